//! `cargo xtask deny`: the dependency policy in `deny.toml`.
//!
//! Checks licences, bans (duplicate major versions, denied crates) and sources, then yanked
//! crates. The full advisories check needs the RustSec database from GitHub, which this project's
//! build machines cannot reach; set `XTASK_DENY_ADVISORIES=1` where it can be fetched (it covers
//! yanked crates too). Without it, the yanked-crate check runs offline from the crates.io index
//! alone (`yanked.rs`).

use anyhow::Result;

use crate::command::{cargo, ensure_cargo_tool, run as run_step};

/// The cargo-deny this task runs (installed when missing). Pinned: the offline yanked check
/// relies on how cargo-deny 0.20 names its database directory (`yanked.rs`).
const CARGO_DENY_VERSION: &str = "0.20.2";

/// Runs cargo-deny (installing it first when it is missing).
pub(crate) fn run() -> Result<()> {
    ensure_cargo_tool("cargo-deny", CARGO_DENY_VERSION)?;
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
