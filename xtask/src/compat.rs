//! `cargo xtask compat`: third-party clients against vast-sim (`tests/compat/run`).

use std::process::Command;

use anyhow::Result;

use crate::command::{run as run_step, workspace_root};

/// Runs the compatibility script, which builds vast-sim, starts it and drives vastpy and the AWS
/// CLI from a virtualenv.
pub(crate) fn run() -> Result<()> {
    let root = workspace_root();
    run_step(
        "compat",
        Command::new("bash")
            .arg(root.join("tests/compat/run"))
            .current_dir(&root),
    )
}
