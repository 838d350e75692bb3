//! `cargo xtask <task>`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! Tasks:
//! - `ci`: everything CI checks (format, lints, tests on the glibc 2.17 build, package checks
//!   on that build, compatibility scripts, licence policy).
//! - `deny`: the cargo-deny policy in `deny.toml` (licences, bans, sources, yanked crates).
//! - `fuzz`: the cargo-fuzz targets in `fuzz/` for a bounded time (`--seconds N` each).
//! - `compat`: third-party clients (vastpy, the AWS CLI) against vast-sim.
//! - `demo`: the project's main job end to end on the embedded simulator.
//! - `bench`: the plugin against s5cmd, rclone and the AWS CLI on vast-sim, over HTTPS and
//!   HTTP (issues 8 and 19);
//!   `bench --scale`: VIPs × media-server processes × streams (issue 17).
//! - `layering`: the crate layers (which crate may depend on which) over `cargo metadata`.
//! - `header`: the C header `ffi/include/stspi_vast.h` (cbindgen); `--check` compares.
//! - `package`: release build against glibc 2.17 (cargo-zigbuild), stripped and checked (glibc
//!   symbol versions, exported symbols), as a tarball, an .rpm and a .deb.
//! - `abi-check`: our sizes, offsets and constants against a licensed OST SDK's headers.
// Only `bench::measure` may use `unsafe` (wait4 for a child's own CPU time and peak RSS,
// which std does not expose); it allows it by name.
#![deny(unsafe_code)]

mod abi_check;
mod bench;
mod ci;
mod command;
mod compat;
mod demo;
mod deny;
mod elf_check;
mod fuzz;
mod harness;
mod header;
mod layering;
mod package;
mod venv;
mod yanked;
mod zigbuild;

use anyhow::{bail, Result};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_else(|| "help".to_owned());
    let rest: Vec<String> = args.collect();
    match task.as_str() {
        "ci" => ci::run(&rest),
        "deny" => deny::run(),
        "fuzz" => fuzz::run(&rest),
        "compat" => compat::run(),
        "demo" => demo::run(&rest),
        "bench" => bench::run(&rest),
        "header" => header::run(&rest),
        "layering" => layering::run(),
        "abi-check" => abi_check::run(&rest),
        "package" => package::run(&rest),
        "help" | "--help" | "-h" => {
            print_help();
            Ok(())
        }
        other => {
            print_help();
            bail!("unknown task `{other}`")
        }
    }
}

fn print_help() {
    eprintln!(
        "usage: cargo xtask <task>\n\n\
         tasks:\n  \
         ci       format check, clippy -D warnings, tests on the glibc 2.17 build, package checks\n           \
         on that build, compat scripts (vastpy, AWS CLI, moto_server), cargo-deny\n           \
         (`ci --quick`: plain cargo test; no package, compat or deny)\n  \
         deny     licence/bans/sources policy (deny.toml) and yanked crates\n  \
         fuzz     cargo-fuzz targets `parsers` and `descriptor`, N s each ([--seconds N], default 45)\n  \
         compat   vastpy and the AWS CLI against vast-sim (needs python3)\n  \
         demo     the main job end to end on vast-sim (1 GiB backup/restore/copy/expire)\n  \
         bench    the plugin vs s5cmd/rclone/AWS CLI on vast-sim, HTTPS and HTTP; `--quick` for CI\n           \
         smoke ([--size-mib N] [--runs N] [--small-count N] [--budget-mib N]\n           \
         [--scheme both|https|http]; target/bench/)\n           \
         `--scale [--tls]`: 1/4 VIPs × 1/4 processes × 1/4 streams (target/bench/scale.md)\n  \
         header   generate ffi/include/stspi_vast.h (`header --check`: fail if stale)\n  \
         layering fail when a crate depends on what its layer must not (cargo metadata)\n  \
         package  glibc 2.17 release build, checked, as .tar.gz, .rpm and .deb under target/package/\n           \
         ([--debug] [--no-smoke]: debug build; skip the C-driver run on the packaged library)\n  \
         abi-check --sdk-include DIR [--sdk-header NAME]  compare the ABI with a licensed OST SDK"
    );
}
