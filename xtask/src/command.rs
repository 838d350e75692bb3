//! Running child commands from the workspace root, loudly.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The workspace root (the parent of this crate's directory).
pub(crate) fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// The `cargo` that invoked us (so the same toolchain runs every step).
pub(crate) fn cargo() -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.current_dir(workspace_root());
    command
}

/// Runs `command`, printing it first; fails when it exits non-zero.
pub(crate) fn run(step: &str, command: &mut Command) -> Result<()> {
    eprintln!("==> {step}: {command:?}");
    let started = std::time::Instant::now();
    let status = command
        .status()
        .with_context(|| format!("{step}: could not start {command:?}"))?;
    eprintln!(
        "<== {step}: {status} after {} s",
        started.elapsed().as_secs()
    );
    if !status.success() {
        bail!("{step} failed ({status})");
    }
    Ok(())
}

/// Whether a program is on `PATH` (or is a cargo subcommand installed as `cargo-<name>`).
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Makes sure the cargo subcommand of crate `krate` (`cargo-deny`, ...) is installed at
/// `version`, installing it with `cargo install --locked` otherwise, so that the tasks work on a
/// machine that has only the toolchain.
pub(crate) fn ensure_cargo_tool(krate: &str, version: &str) -> Result<()> {
    let sub = krate.trim_start_matches("cargo-");
    let installed = cargo()
        .args([sub, "--version"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    let wanted = format!("{krate} {version}");
    if installed.as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    run(
        &format!("install {wanted}"),
        // `--debug`: a debug build of the tool compiles in a fraction of the release build's
        // time on a cold CI machine, and what these tools do here takes seconds either way.
        cargo().args([
            "install",
            krate,
            "--locked",
            "--debug",
            "--version",
            version,
        ]),
    )
}
