//! `cargo xtask package [--debug] [--no-smoke]`: `libstspiVastDataMT.so` and the `vast-ost`
//! tool built against glibc 2.17 (crate::zigbuild), stripped and checked (crate::elf_check: no
//! glibc symbol newer than the baseline; exactly the header's `stspi_*` functions exported),
//! then shipped three ways under `target/package/`:
//! - `vast-ost-<version>-linux-x86_64.tar.gz` (library, tool, header, sample configuration,
//!   docs, `SHA256SUMS`; placed by hand, docs/install.md),
//! - `vast-ost-<version>-1.x86_64.rpm` and `vast-ost_<version>-1_amd64.deb`, which install the
//!   same files where `layout.rs` says.
//!
//! Last, unless `--no-smoke`, the packaged library is loaded by the C driver and runs a full
//! NetBackup-style cycle against vast-sim (smoke.rs). `--debug` packages a debug build (CI's
//! quicker check of the same guarantees).

mod deb;
mod deps;
mod layout;
mod rpm;
mod smoke;
mod tarball;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::command::{run as run_step, workspace_root};
use crate::elf_check::{self, ElfInfo};
use crate::harness::target_dir;
use crate::zigbuild::{self, Built, GLIBC_BASELINE};

/// Files copied from the source tree into the staging directory.
const COPIES: [(&str, &str); 6] = [
    ("ffi/include/stspi_vast.h", "include/stspi_vast.h"),
    ("ffi/dist/vast-ost.toml.sample", "etc/vast-ost.toml.sample"),
    ("docs/install.md", "docs/install.md"),
    ("docs/configuration.md", "docs/configuration.md"),
    ("docs/cli.md", "docs/cli.md"),
    ("docs/abi-check.md", "docs/abi-check.md"),
];
const LIB: &str = "lib/libstspiVastDataMT.so";
const TOOL: &str = "bin/vast-ost";

/// Entry point with the task's arguments.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let debug = args.iter().any(|a| a == "--debug");
    let smoke = !args.iter().any(|a| a == "--no-smoke");
    let built = zigbuild::build(!debug)?;
    ship(&built, smoke)
}

/// Stages, strips, checks and packages an already built library and tool (CI passes the ones
/// its baseline-linked test run built and ran), then runs the smoke cycle when `smoke`.
pub(crate) fn ship(built: &Built, smoke: bool) -> Result<()> {
    crate::header::run(&["--check".to_owned()])?;
    let root = workspace_root();
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("vast-ost-{version}-linux-{}", std::env::consts::ARCH);
    let out_dir = target_dir().join("package");
    let stage = out_dir.join(&name);
    if stage.exists() {
        std::fs::remove_dir_all(&stage)?;
    }
    for sub in ["bin", "lib", "include", "etc", "docs"] {
        std::fs::create_dir_all(stage.join(sub))?;
    }
    std::fs::copy(&built.lib, stage.join(LIB)).context("copying the library")?;
    std::fs::copy(&built.tool, stage.join(TOOL)).context("copying the vast-ost tool")?;
    run_step(
        "strip",
        Command::new("strip")
            .arg("--strip-unneeded")
            .arg(stage.join(LIB))
            .arg(stage.join(TOOL)),
    )?;
    for (from, to) in COPIES {
        std::fs::copy(root.join(from), stage.join(to))
            .with_context(|| format!("copying {from}"))?;
    }
    let (lib_info, tool_info) = check(&stage)?;

    let files: Vec<&str> = [LIB, TOOL]
        .into_iter()
        .chain(COPIES.iter().map(|(_, to)| *to))
        .collect();
    let sums = tarball::write_sums(&stage, &files)?;
    let tarball = tarball::write(&out_dir, &name)?;
    let build_time = build_time();
    let infos = [&lib_info, &tool_info];
    let rpm = rpm::write(
        &stage,
        &out_dir,
        version,
        &deps::rpm_requires(&infos),
        build_time,
    )?;
    rpm::verify(&rpm)?;
    let deb = deb::write(
        &stage,
        &out_dir,
        version,
        &deps::deb_depends(&infos)?,
        build_time,
    )?;
    print!("{sums}");
    for path in [&tarball, &rpm, &deb] {
        let size = std::fs::metadata(path)?.len();
        println!(
            "package: {} ({:.1} MiB)",
            path.display(),
            size as f64 / f64::from(1 << 20)
        );
    }
    if smoke {
        smoke::run(&stage.join(LIB))?;
    }
    Ok(())
}

/// The ELF checks on the staged (stripped) files, with the numbers printed.
fn check(stage: &Path) -> Result<(ElfInfo, ElfInfo)> {
    let header = std::fs::read_to_string(stage.join("include/stspi_vast.h"))?;
    let expected = elf_check::header_functions(&header);
    let lib = elf_check::read(&stage.join(LIB))?;
    let tool = elf_check::read(&stage.join(TOOL))?;
    elf_check::check_glibc(LIB, &lib, GLIBC_BASELINE)?;
    elf_check::check_glibc(TOOL, &tool, GLIBC_BASELINE)?;
    elf_check::check_exports(LIB, &lib, &expected)?;
    for (what, info) in [(LIB, &lib), (TOOL, &tool)] {
        let max = info.max_glibc().map_or("none", |(v, _)| v);
        println!(
            "elf check: {what}: newest glibc symbol {max} (baseline {}.{}), {} symbols exported, \
             needs {}",
            GLIBC_BASELINE.0,
            GLIBC_BASELINE.1,
            info.exports.len(),
            info.needed.join(" ")
        );
    }
    Ok((lib, tool))
}

/// The packages' timestamp: `SOURCE_DATE_EPOCH` when set (reproducible builds), else the last
/// commit's time, else now.
fn build_time() -> u32 {
    let from_env = std::env::var("SOURCE_DATE_EPOCH").ok();
    let from_git = || {
        Command::new("git")
            .args(["log", "-1", "--format=%ct"])
            .current_dir(workspace_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    from_env
        .or_else(from_git)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        })
}
