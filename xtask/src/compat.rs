//! `cargo xtask compat`: third-party clients against vast-sim (`tests/compat/run`).

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::command::{run as run_step, workspace_root};

/// Runs the compatibility script, which builds vast-sim, starts it and drives vastpy and the AWS
/// CLI from a virtualenv.
pub(crate) fn run() -> Result<()> {
    run_with(None, None)
}

/// Runs the compatibility script with binaries already built (`vast-sim` and the `moto_s3`
/// test binary of the ffi crate), or lets the script build them.
pub(crate) fn run_with(sim: Option<&Path>, moto_tests: Option<&Path>) -> Result<()> {
    let root = workspace_root();
    let mut command = Command::new("bash");
    command
        .arg(root.join("tests/compat/run"))
        .current_dir(&root);
    if let Some(sim) = sim {
        command.env("VAST_SIM_BIN", sim);
    }
    if let Some(tests) = moto_tests {
        command.env("MOTO_TEST_BIN", tests);
    }
    run_step("compat", &mut command)
}
