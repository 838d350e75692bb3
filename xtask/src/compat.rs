//! `cargo xtask compat`: third-party clients against vast-sim (`tests/compat/run`).

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::command::{run as run_step, workspace_root};

/// Runs the compatibility script, which builds vast-sim, starts it and drives vastpy and the AWS
/// CLI from a virtualenv.
pub(crate) fn run() -> Result<()> {
    run_with(None)
}

/// Runs the compatibility script with a vast-sim binary already built (`sim`), or lets the
/// script build one.
pub(crate) fn run_with(sim: Option<&Path>) -> Result<()> {
    let root = workspace_root();
    let mut command = Command::new("bash");
    command
        .arg(root.join("tests/compat/run"))
        .current_dir(&root);
    if let Some(sim) = sim {
        command.env("VAST_SIM_BIN", sim);
    }
    run_step("compat", &mut command)
}
