//! One module per command; each returns the process exit code or a [`CliError`].

mod bandwidth;
mod bench;
mod bootstrap;
mod check;
mod config;
mod image;
mod lsu;
mod sweep;
mod transfer;

use std::process::ExitCode;

use crate::args::{Cli, Command};
use crate::error::CliError;

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let g = &cli.global;
    match cli.command {
        Command::Bootstrap(args) => bootstrap::run(g, &args),
        Command::Check { server } => check::run(g, &server),
        Command::Lsu(cmd) => lsu::run(g, cmd),
        Command::Image(cmd) => image::run(g, cmd),
        Command::Backup { lsu, image, file } => transfer::backup(g, &lsu, &image, &file),
        Command::Restore { lsu, image, file } => transfer::restore(g, &lsu, &image, &file),
        Command::Bench(args) => bench::run(g, &args),
        Command::Sweep {
            lsu,
            older_than,
            dry_run,
        } => sweep::run(g, &lsu, &older_than, dry_run),
        Command::Config(cmd) => config::run(g, cmd),
        Command::Bandwidth(cmd) => bandwidth::run(g, cmd),
    }
}
