//! `cargo xtask ci`: what CI runs, in the order that fails fastest.

use anyhow::Result;

use crate::command::{cargo, run};

/// Runs format check, clippy, tests, then (unless `--quick`) compat scripts and cargo-deny.
pub fn run_ci(quick: bool) -> Result<()> {
    run("format", cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(
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
    run("tests", cargo().args(["test", "--workspace"]))?;
    if !quick {
        crate::compat::run()?;
        crate::deny::run()?;
    }
    eprintln!("==> ci: all green");
    Ok(())
}

/// Entry point with the task's arguments.
pub fn run(args: &[String]) -> Result<()> {
    run_ci(args.iter().any(|arg| arg == "--quick"))
}
