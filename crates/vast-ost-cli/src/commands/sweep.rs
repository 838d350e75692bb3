//! `vast-ost sweep LSU [--older-than AGE] [--dry-run]`: the orphan sweep, by hand.

use std::process::ExitCode;

use serde_json::json;

use crate::args::Global;
use crate::context::Session;
use crate::error::{CliError, Context as _};
use crate::image_ref;
use crate::output::{print_json, print_text, Table};
use crate::units::parse_age;

/// Runs the sweep (or its dry run).
pub(crate) fn run(
    global: &Global,
    lsu: &str,
    older_than: &str,
    dry_run: bool,
) -> Result<ExitCode, CliError> {
    let lsu = image_ref::lsu(lsu)?;
    let age = parse_age(older_than).map_err(|e| CliError::usage("--older-than", e))?;
    let s = Session::open(global, None)?;
    let report = s
        .plugin
        .sweep_lsu(s.server, &lsu, age, dry_run)
        .doing(|| format!("sweeping {lsu}"))?;
    let images: Vec<String> = report
        .images_removed
        .iter()
        .map(|(_, id)| id.to_string())
        .collect();
    if global.json {
        print_json(&json!({
            "lsu": lsu.as_str(),
            "dry_run": dry_run,
            "older_than_secs": age.as_secs(),
            "images": images,
            "uploads": report.uploads_aborted,
        }));
    } else {
        let verb = if dry_run { "would remove" } else { "removed" };
        if !images.is_empty() {
            let mut t = Table::new(&["PENDING IMAGE", "ACTION"]);
            for i in &images {
                t.row(vec![i.clone(), verb.to_owned()]);
            }
            t.print();
        }
        print_text(&format!(
            "sweep of {lsu} (orphans older than {older_than}){}: {verb} {} pending image(s) and {} stale upload(s)\n",
            if dry_run { ", dry run" } else { "" },
            images.len(),
            report.uploads_aborted
        ));
    }
    Ok(ExitCode::SUCCESS)
}
