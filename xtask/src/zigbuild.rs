//! Builds `libstspiVastDataMT.so` and the `vast-ost` tool against an old glibc (the baseline,
//! 2.17: RHEL 7; RHEL 8 has 2.28) with `cargo zigbuild`: Zig's C toolchain links against stub
//! libraries of the requested glibc version, so the results load on every release since.
//! Zig and cargo-zigbuild come from PyPI (`ziglang`, `cargo-zigbuild`), pinned, into the
//! virtualenv `target/zig-venv` (crate::venv).

use std::path::PathBuf;

use anyhow::Result;

use crate::command::{cargo, run as run_step};
use crate::harness::target_dir;

/// The oldest glibc the shipped binaries may need (major, minor).
pub(crate) const GLIBC_BASELINE: (u32, u32) = (2, 17);
/// The Rust target the binaries are built for.
pub(crate) const RUST_TARGET: &str = "x86_64-unknown-linux-gnu";
/// PyPI packages, pinned.
const PACKAGES: [&str; 2] = ["ziglang==0.17.1", "cargo-zigbuild==0.24.1"];

/// What a zigbuild produced.
pub(crate) struct Built {
    /// `libstspiVastDataMT.so`.
    pub(crate) lib: PathBuf,
    /// The `vast-ost` tool.
    pub(crate) tool: PathBuf,
}

/// Builds `ost-ffi` and `vast-ost-cli` for [`RUST_TARGET`] at the glibc baseline, in release
/// or debug, under `target/<RUST_TARGET>/<profile>/`.
pub(crate) fn build(release: bool) -> Result<Built> {
    let bin = crate::venv::ensure("zig-venv", &PACKAGES, &["cargo-zigbuild", "python-zig"])?;
    let (major, minor) = GLIBC_BASELINE;
    let mut command = cargo();
    // cargo-zigbuild finds `cargo-zigbuild` and Zig (`python3 -m ziglang`) on PATH.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path =
        std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(&path)))?;
    command
        .env("PATH", path)
        .args([
            "zigbuild",
            "-p",
            "ost-ffi",
            "-p",
            "vast-ost-cli",
            "--target",
        ])
        .arg(format!("{RUST_TARGET}.{major}.{minor}"));
    if release {
        command.arg("--release");
    }
    let step = format!("zigbuild (glibc {major}.{minor})");
    if let Err(first) = run_step(&step, &mut command) {
        // Once seen on a cold CI machine: Zig's linker exited 1 on the tool's link with no
        // message, and the same build passed everywhere else. A second run only redoes what
        // failed (the link), so one retry costs little; a real error fails twice.
        eprintln!("{first:#}; running the build once more");
        run_step(&step, &mut command)?;
    }
    let dir = target_dir()
        .join(RUST_TARGET)
        .join(if release { "release" } else { "debug" });
    Ok(Built {
        lib: dir.join("libstspiVastDataMT.so"),
        tool: dir.join("vast-ost"),
    })
}
