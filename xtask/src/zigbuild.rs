//! Builds `libstspiVastDataMT.so` and the `vast-ost` tool against an old glibc (the baseline,
//! 2.17: RHEL 7; RHEL 8 has 2.28) with `cargo zigbuild`: Zig's C toolchain links against stub
//! libraries of the requested glibc version, so the results load on every release since.
//! Zig and cargo-zigbuild come from PyPI (`ziglang`, `cargo-zigbuild`), pinned, into the
//! virtualenv `target/zig-venv` (crate::venv).

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;

use crate::command::{run as run_step, workspace_root};
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
    /// The `vast-sim` simulator, when the build made one (a test build does).
    pub(crate) sim: Option<PathBuf>,
    /// The ffi crate's `moto_s3` test binary, when the build made one (a test build does).
    pub(crate) moto_tests: Option<PathBuf>,
    /// The ffi crate's `worm` test binary (its AWS CLI attacker test), likewise.
    pub(crate) worm_tests: Option<PathBuf>,
}

/// Builds `ost-ffi` and `vast-ost-cli` for [`RUST_TARGET`] at the glibc baseline, in release
/// or debug, under `target/<RUST_TARGET>/<profile>/`.
pub(crate) fn build(release: bool) -> Result<Built> {
    let mut command = zig_cargo("zigbuild")?;
    command.args(["-p", "ost-ffi", "-p", "vast-ost-cli"]);
    if release {
        command.arg("--release");
    }
    run_with_retry(&mut command)?;
    let dir = profile_dir(release);
    Ok(Built {
        lib: dir.join("libstspiVastDataMT.so"),
        tool: dir.join("vast-ost"),
        sim: None,
        moto_tests: None,
        worm_tests: None,
    })
}

/// Builds and runs the whole workspace's tests for [`RUST_TARGET`] at the glibc baseline (debug):
/// every test binary, the cdylib the ffi tests load and the `vast-ost` tool the CLI tests run are
/// the baseline-linked kind the package ships. Returns that library and tool, so CI checks and
/// packages what its tests ran without compiling the tree a second time.
pub(crate) fn test_workspace() -> Result<Built> {
    // Build with the retry, run without: a failing test must fail CI, not run twice.
    run_with_retry(zig_cargo("test")?.args(["--workspace", "--no-run"]))?;
    run_step(
        "tests (glibc baseline build)",
        zig_cargo("test")?.arg("--workspace"),
    )?;
    let dir = profile_dir(false);
    Ok(Built {
        // A test build leaves the ffi crate's cdylib beside the test binaries.
        lib: dir.join("deps").join("libstspiVastDataMT.so"),
        tool: dir.join("vast-ost"),
        sim: Some(dir.join("vast-sim")),
        moto_tests: newest_test_binary(&dir.join("deps"), "moto_s3")?,
        worm_tests: newest_test_binary(&dir.join("deps"), "worm")?,
    })
}

/// The newest test executable `<name>-<hash>` in `deps` (cargo keeps older builds beside it).
fn newest_test_binary(deps: &std::path::Path, name: &str) -> Result<Option<PathBuf>> {
    let prefix = format!("{name}-");
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(deps)? {
        let entry = entry?;
        let file = entry.file_name();
        let file = file.to_string_lossy();
        // Test executables have no extension; `.d` and `.o` files beside them do.
        if !file.starts_with(&prefix) || file.contains('.') {
            continue;
        }
        let modified = entry.metadata()?.modified()?;
        if newest.as_ref().is_none_or(|(time, _)| modified > *time) {
            newest = Some((modified, entry.path()));
        }
    }
    Ok(newest.map(|(_, path)| path))
}

/// `cargo-zigbuild <subcommand> --target <RUST_TARGET>.<baseline>`, with Zig and cargo-zigbuild
/// (installed into their virtualenv first) on `PATH`.
fn zig_cargo(subcommand: &str) -> Result<Command> {
    let bin = crate::venv::ensure("zig-venv", &PACKAGES, &["cargo-zigbuild", "python-zig"])?;
    let (major, minor) = GLIBC_BASELINE;
    // cargo-zigbuild finds Zig (`python3 -m ziglang`) on PATH; it runs the `cargo` that invoked
    // us (CARGO), so the same toolchain builds every step.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path =
        std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(&path)))?;
    let mut command = Command::new(bin.join("cargo-zigbuild"));
    command
        .current_dir(workspace_root())
        .env("PATH", path)
        .arg(subcommand)
        .arg("--target")
        .arg(format!("{RUST_TARGET}.{major}.{minor}"));
    Ok(command)
}

/// Runs a zig build, once more if it fails.
fn run_with_retry(command: &mut Command) -> Result<()> {
    let (major, minor) = GLIBC_BASELINE;
    let step = format!("zig {} (glibc {major}.{minor})", subcommand_of(command));
    if let Err(first) = run_step(&step, command) {
        // Once seen on a cold CI machine: Zig's linker exited 1 on the tool's link with no
        // message, and the same build passed everywhere else. A second run only redoes what
        // failed, so one retry costs little; a real error (a failing test too) fails twice.
        eprintln!("{first:#}; running it once more");
        run_step(&step, command)?;
    }
    Ok(())
}

/// The cargo subcommand a zig command runs (for the step's name).
fn subcommand_of(command: &Command) -> String {
    command
        .get_args()
        .next()
        .map_or_else(String::new, |arg| arg.to_string_lossy().into_owned())
}

/// `target/<RUST_TARGET>/<debug|release>`.
fn profile_dir(release: bool) -> PathBuf {
    target_dir()
        .join(RUST_TARGET)
        .join(if release { "release" } else { "debug" })
}
