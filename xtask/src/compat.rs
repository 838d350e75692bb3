//! `cargo xtask compat`: third-party clients against vast-sim (`tests/compat/run`).

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::command::{run as run_step, workspace_root};
use crate::zigbuild::Built;

/// Runs the compatibility script, which builds vast-sim, starts it and drives vastpy and the AWS
/// CLI from a virtualenv.
pub(crate) fn run() -> Result<()> {
    script(&[])
}

/// Runs the compatibility script with the binaries a test build already made (`vast-sim`, and
/// the ffi crate's `moto_s3` and `worm` test binaries); the script builds what is missing.
pub(crate) fn run_with(built: &Built) -> Result<()> {
    let given = [
        ("VAST_SIM_BIN", &built.sim),
        ("MOTO_TEST_BIN", &built.moto_tests),
        ("WORM_TEST_BIN", &built.worm_tests),
    ];
    let given: Vec<(&str, &Path)> = given
        .iter()
        .filter_map(|(var, path)| path.as_deref().map(|p| (*var, p)))
        .collect();
    script(&given)
}

fn script(binaries: &[(&str, &Path)]) -> Result<()> {
    let root = workspace_root();
    let mut command = Command::new("bash");
    command
        .arg(root.join("tests/compat/run"))
        .current_dir(&root);
    for (var, path) in binaries {
        command.env(var, path);
    }
    run_step("compat", &mut command)
}
