//! `cargo xtask header [--check]`: generates `ffi/include/stspi_vast.h` with cbindgen from the
//! `ost-ffi` sources, then appends the status codes (from `ost-model`'s single table) and the
//! flag values (from `ffi/src/abi/flags.rs`, which reads them from `ost-model`) as `#define`s
//! with their confidence tags. `--check` fails when the checked-in header differs.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::command::workspace_root;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../../ffi/src/abi/flags.rs"]
mod abi_flags;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../../ffi/src/abi/constants.rs"]
mod abi_constants;

/// Where the header lives.
pub(crate) fn header_path() -> PathBuf {
    workspace_root().join("ffi/include/stspi_vast.h")
}

fn confidence(c: ost_model::Confidence) -> &'static str {
    use ost_model::Confidence::*;
    match c {
        Verified => "V",
        Inferred => "I",
        Reported => "R",
        Design => "D",
        Chosen => "chosen",
    }
}

/// The `#define`s cbindgen cannot see: status codes and flag values.
fn trailer() -> String {
    let mut out = String::new();
    out.push_str("\n/* ---- plugin identity (ffi/src/abi/constants.rs) ---- */\n");
    for (name, value) in [
        ("STSPI_PREFIX", abi_constants::STSPI_PREFIX),
        ("STSPI_LABEL", abi_constants::STSPI_LABEL),
        ("STSPI_VENDOR", abi_constants::STSPI_VENDOR),
    ] {
        let _ = writeln!(out, "#define {name} \"{value}\" /* chosen */");
    }
    out.push_str(
        "\n/* ---- status codes (ost-model status table; tag = confidence in the value) ---- */\n",
    );
    for row in ost_model::status::STATUS_TABLE {
        let _ = writeln!(
            out,
            "#define {} {} /* {}; {} */",
            row.name,
            row.status.code(),
            row.text,
            confidence(row.value_confidence)
        );
    }
    out.push_str("#define STS_ENO_MORE_ENTRIES STS_ENOENT /* end of a list (V) */\n");
    for fam in abi_flags::flag_families() {
        let _ = writeln!(
            out,
            "\n/* ---- {} (values chosen; tag = name) ---- */",
            fam.what
        );
        for (name, value, tag) in &fam.members {
            let _ = writeln!(out, "#define {name} {value:#x}u /* {tag} */");
        }
    }
    out
}

/// The header text as generated now.
pub(crate) fn generate() -> Result<String> {
    let root = workspace_root();
    let crate_dir = root.join("ffi");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|e| anyhow::anyhow!("reading ffi/cbindgen.toml: {e}"))?;
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .context("cbindgen could not generate the header")?;
    let mut bytes = Vec::new();
    bindings.write(&mut bytes);
    let text = String::from_utf8(bytes).context("header is not UTF-8")?;
    // The defines go inside the include guard, before its closing #endif.
    let guard_end = "#endif  /* STSPI_VAST_H */";
    let at = text
        .rfind(guard_end)
        .context("cbindgen output has no include-guard end")?;
    Ok(format!("{}{}\n{}", &text[..at], trailer(), &text[at..]))
}

/// Entry point with the task's arguments.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let check = args.iter().any(|a| a == "--check");
    let text = generate()?;
    let path = header_path();
    if check {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != text {
            bail!(
                "{} is out of date: run `cargo xtask header` and commit it",
                path.display()
            );
        }
        eprintln!("==> header: {} is up to date", path.display());
    } else {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("==> header: wrote {}", path.display());
    }
    Ok(())
}
