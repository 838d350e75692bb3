//! `cargo xtask deny`: the dependency policy in `deny.toml`.
//!
//! Checks licences, bans (duplicate major versions, denied crates) and sources, then yanked
//! crates. The full advisories check needs the RustSec database from GitHub, which this project's
//! build machines cannot reach; set `XTASK_DENY_ADVISORIES=1` where it can be fetched (it covers
//! yanked crates too). Without it, the yanked-crate check runs offline from the crates.io index
//! alone (`yanked.rs`).

use anyhow::{bail, Result};

use crate::command::{cargo, on_path, run as run_step};

/// Runs cargo-deny, which `.ci/run` installs.
pub(crate) fn run() -> Result<()> {
    if !on_path("cargo-deny") {
        bail!("cargo-deny is not installed: `cargo install cargo-deny --locked` (as .ci/run does)");
    }
    let full_advisories = std::env::var_os("XTASK_DENY_ADVISORIES").is_some();
    let mut checks = vec!["licenses", "bans", "sources"];
    if full_advisories {
        checks.push("advisories");
    }
    let mut command = cargo();
    command.args(["deny", "--workspace", "check"]).args(&checks);
    run_step("deny", &mut command)?;
    if full_advisories {
        Ok(())
    } else {
        crate::yanked::run()
    }
}
