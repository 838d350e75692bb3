//! `cargo xtask demo`: the project's main job end to end on the embedded simulator.

use anyhow::Result;

/// The demo drives the C library through a backup and a restore against vast-sim. The C library
/// does not exist yet (issue 7), so this says so plainly instead of pretending.
pub(crate) fn run(_args: &[String]) -> Result<()> {
    println!(
        "vast-ost demo: NOT BUILT YET.\n\
         The end-to-end demo (vast-sim + libstspiVastDataMT.so driven from C: backup, list, restore)\n\
         arrives with the C library (issue 7). What exists today: the workspace, ost-model and\n\
         vast-sim (`cargo run -p vast-sim -- --data-dir /tmp/sim`)."
    );
    Ok(())
}
