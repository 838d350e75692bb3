//! `cargo xtask ci`: what CI runs, in the order that fails fastest.

use anyhow::Result;

use crate::command::{cargo, run as run_step};

/// Runs format check, header check, crate layering check, clippy, tests, then (unless
/// `--quick`) the package checks (glibc baseline, exports, rpm/deb, C driver on the packaged
/// library), compat scripts, a bounded cargo-fuzz run and cargo-deny.
pub(crate) fn run_ci(quick: bool) -> Result<()> {
    run_step("format", cargo().args(["fmt", "--all", "--", "--check"]))?;
    eprintln!("==> header --check");
    crate::header::run(&["--check".to_owned()])?;
    eprintln!("==> layering");
    crate::layering::run()?;
    run_step(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    // The ffi tests dlopen the cdylib this same `cargo test` builds (target/debug/deps/): a
    // separate `cargo build -p ost-ffi` would resolve other features and rebuild half the tree.
    run_step("tests", cargo().args(["test", "--workspace"]))?;
    if !quick {
        // The package guarantees: built against glibc 2.17 (no newer symbol version), exactly the
        // header's stspi_* functions exported, the .rpm and .deb made and read back, and the
        // packaged library passing the C driver. A debug build keeps CI short; `cargo xtask package`
        // runs the same checks on the release build it ships.
        eprintln!("==> package --debug");
        crate::package::run(&["--debug".to_owned()])?;
        crate::compat::run()?;
        crate::fuzz::run_targets(crate::fuzz::DEFAULT_SECONDS)?;
        crate::deny::run()?;
    }
    eprintln!("==> ci: all green");
    Ok(())
}

/// Entry point with the task's arguments.
pub(crate) fn run(args: &[String]) -> Result<()> {
    run_ci(args.iter().any(|arg| arg == "--quick"))
}
