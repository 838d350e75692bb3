//! `cargo xtask ci`: what CI runs, in the order that fails fastest.

use anyhow::Result;

use crate::command::{cargo, run as run_step};

/// Runs format check, header check, crate layering check, clippy, then the tests: with
/// `--quick` a plain `cargo test`; otherwise the tests on a build linked against the glibc
/// baseline, the package checks on that same build (glibc baseline, exports, rpm/deb), the
/// compat scripts and cargo-deny. The fuzz targets' properties run in the tests as bounded
/// proptests; `cargo xtask fuzz` runs cargo-fuzz on them (outside CI's time budget).
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
    if quick {
        run_step("tests", cargo().args(["test", "--workspace"]))?;
    } else {
        // The tests run on binaries linked against the glibc baseline (2.17) by Zig, the kind
        // the package ships: the ffi tests dlopen that cdylib from C, the CLI tests run that
        // tool. The same build is then checked (no glibc symbol newer than the baseline,
        // exactly the header's stspi_* exported) and packaged (.tar.gz, .rpm, .deb, read
        // back), so CI compiles the tree once for both. `cargo xtask package` does the same
        // from a release build, with the smoke cycle on the packaged library.
        let built = crate::zigbuild::test_workspace()?;
        eprintln!("==> package (the tested debug build)");
        crate::package::ship(&built, false)?;
        crate::compat::run_with(&built)?;
        crate::deny::run()?;
    }
    eprintln!("==> ci: all green");
    Ok(())
}

/// Entry point with the task's arguments.
pub(crate) fn run(args: &[String]) -> Result<()> {
    run_ci(args.iter().any(|arg| arg == "--quick"))
}
