//! `vast-ost`: the administrator's command-line tool for the vast-ost NetBackup plugin. It
//! answers "does it work, and how fast?" before NetBackup is involved: a step-by-step server
//! check, LSU and image management, backup/restore of a file through the plugin's own image
//! path, a benchmark, the orphan sweep and configuration checks. All logic lives in `ost-core`;
//! this crate parses arguments, asks for passwords and prints tables or JSON.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod context;
mod error;
mod image_ref;
mod output;
mod password;
mod progress;
mod sysstats;
mod units;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("vast-ost: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
