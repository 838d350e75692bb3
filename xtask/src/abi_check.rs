//! `cargo xtask abi-check --sdk-include DIR [--sdk-header NAME]`: compares our C ABI with a
//! licensed OST SDK's headers, for whoever holds them.
//!
//! 1. Reads `ffi/include/stspi_vast.h` (generated from the Rust `repr(C)` types) for every
//!    struct, field and `#define`d number.
//! 2. Compiles and runs a small C program against OUR header that prints each struct's size,
//!    each field's offset and size, and each constant's value (so the C compiler, not this
//!    tool, computes the layout).
//! 3. For each item, compiles a one-line C file against the SDK header with
//!    `_Static_assert(<sdk expression> == <our value>)`. Items the SDK does not define are
//!    reported as "absent", mismatches as "DIFFERS", and the task fails if anything differs.
//!
//! See docs/abi-check.md.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::command::workspace_root;

/// One thing to compare: a C expression and our value of it.
struct Item {
    what: String,
    expr: String,
}

/// Structs (with fields) and numeric `#define`s of our header.
fn items(header: &str) -> Vec<Item> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in header.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("typedef struct ") {
            let name = rest.trim_end_matches(" {").trim().to_owned();
            out.push(Item {
                what: format!("sizeof({name})"),
                expr: format!("sizeof({name})"),
            });
            current = Some(name);
            continue;
        }
        if t.starts_with('}') {
            current = None;
            continue;
        }
        if let Some(st) = &current {
            if t.ends_with(';') && !t.starts_with("/*") && !t.starts_with('*') {
                let decl = t.trim_end_matches(';');
                let name = decl
                    .split(|c: char| c.is_whitespace() || c == '*')
                    .next_back()
                    .unwrap_or("")
                    .split('[')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                if !name.is_empty() {
                    out.push(Item {
                        what: format!("offsetof({st}, {name})"),
                        expr: format!("offsetof({st}, {name})"),
                    });
                    out.push(Item {
                        what: format!("sizeof({st}.{name})"),
                        expr: format!("sizeof((({st} *)0)->{name})"),
                    });
                }
            }
            continue;
        }
        if let Some(rest) = t.strip_prefix("#define ") {
            let mut parts = rest.splitn(2, ' ');
            let name = parts.next().unwrap_or("");
            let value = parts.next().unwrap_or("").trim();
            let numeric = value
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '(' || c == '-');
            if numeric && name.starts_with("STS") && !name.ends_with("_H") {
                out.push(Item {
                    what: name.to_owned(),
                    expr: format!("(long long)({name})"),
                });
            }
        }
    }
    out
}

fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_owned())
}

/// Our values, computed by the C compiler from our header.
fn our_values(items: &[Item], work: &Path) -> Result<Vec<i128>> {
    let mut src = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include \"stspi_vast.h\"\nint main(void) {\n",
    );
    for item in items {
        let _ = writeln!(src, "  printf(\"%lld\\n\", (long long)({}));", item.expr);
    }
    src.push_str("  return 0;\n}\n");
    let c = work.join("ours.c");
    let exe = work.join("ours");
    std::fs::write(&c, src)?;
    let status = Command::new(cc())
        .arg("-I")
        .arg(workspace_root().join("ffi/include"))
        .arg(&c)
        .arg("-o")
        .arg(&exe)
        .status()
        .context("running the C compiler")?;
    if !status.success() {
        bail!("our own header does not compile");
    }
    let out = Command::new(&exe).output()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse::<i128>().context("our value"))
        .collect()
}

/// Compiles one assertion against the SDK: Ok(true) equal, Ok(false) differs, Err absent.
fn sdk_check(sdk: &Path, header: &str, item: &Item, ours: i128, work: &Path) -> Result<bool, ()> {
    let c = work.join("check.c");
    let probe = format!(
        "#include <stddef.h>\n#include <stdint.h>\n#include \"{header}\"\n\
         static const long long probe = (long long)({});\n",
        item.expr
    );
    let assert = format!(
        "{probe}_Static_assert(({}) == {ours}LL, \"differs\");\n",
        item.expr
    );
    let compiles = |text: &str| -> bool {
        std::fs::write(&c, text).is_ok()
            && Command::new(cc())
                .args(["-fsyntax-only", "-std=c11", "-I"])
                .arg(sdk)
                .arg(&c)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
    };
    if !compiles(&probe) {
        return Err(());
    }
    Ok(compiles(&assert))
}

/// Entry point with the task's arguments.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sdk = PathBuf::from(
        arg("--sdk-include")
            .context("usage: cargo xtask abi-check --sdk-include DIR [--sdk-header NAME]")?,
    );
    let sdk_header = arg("--sdk-header").unwrap_or_else(|| "stspi.h".to_owned());
    if !sdk.join(&sdk_header).is_file() {
        bail!(
            "{} not found (pass the SDK's main header with --sdk-header NAME)",
            sdk.join(&sdk_header).display()
        );
    }
    let ours_header = std::fs::read_to_string(workspace_root().join("ffi/include/stspi_vast.h"))?;
    let items = items(&ours_header);
    let work = std::env::temp_dir().join(format!("vast-ost-abi-check-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let values = our_values(&items, &work)?;
    let (mut same, mut differ, mut absent) = (0, 0, 0);
    for (item, ours) in items.iter().zip(values) {
        match sdk_check(&sdk, &sdk_header, item, ours, &work) {
            Ok(true) => same += 1,
            Ok(false) => {
                differ += 1;
                println!("DIFFERS  {:<60} ours = {ours}", item.what);
            }
            Err(()) => {
                absent += 1;
                println!(
                    "absent   {:<60} (not in the SDK: a vast-ost name)",
                    item.what
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    println!("abi-check: {same} match, {differ} differ, {absent} not in the SDK");
    if differ > 0 {
        bail!("{differ} items differ from the SDK: correct ffi/src/abi (and ost-model) and regenerate the header");
    }
    Ok(())
}
