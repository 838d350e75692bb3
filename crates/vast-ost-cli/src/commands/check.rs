//! `vast-ost check vast://HOST`: the open-server path step by step.

use std::process::ExitCode;

use ost_core::{CheckOutcome, CheckStep};
use serde_json::json;

use crate::args::Global;
use crate::context;
use crate::error::{CliError, Context as _};
use crate::output::{print_json, print_text};

fn outcome_word(o: CheckOutcome) -> &'static str {
    match o {
        CheckOutcome::Ok => "ok",
        CheckOutcome::Failed => "failed",
        CheckOutcome::Skipped => "skipped",
    }
}

fn step_text(s: &CheckStep) -> String {
    let tag = match s.outcome {
        CheckOutcome::Ok => "[ ok ]",
        CheckOutcome::Failed => "[FAIL]",
        CheckOutcome::Skipped => "[skip]",
    };
    let mut line = format!("{tag} {:<10} {}: {}\n", s.name, s.title, s.detail);
    if let Some(h) = &s.hint {
        line.push_str(&format!("       {:<10} hint: {h}\n", ""));
    }
    line
}

/// Runs the check; exit code 1 when a step failed.
pub(crate) fn run(global: &Global, server: &str) -> Result<ExitCode, CliError> {
    let name = context::server_name(server)?;
    let (plugin, config) = context::plugin_for(global, &name)?;
    let creds = context::credentials(global, &config, &name)?;
    let json_out = global.json;
    if !json_out {
        print_text(&format!("checking {name}\n"));
    }
    let mut on_step = move |s: &CheckStep| {
        if !json_out {
            print_text(&step_text(s));
        }
    };
    let report = plugin
        .check_server(&name.to_string(), creds, &mut on_step)
        .doing(|| format!("checking {name}"))?;
    plugin.terminate();
    if json_out {
        let steps: Vec<_> = report
            .steps
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "title": s.title,
                    "outcome": outcome_word(s.outcome),
                    "detail": s.detail,
                    "hint": s.hint,
                })
            })
            .collect();
        print_json(&json!({
            "server": name.to_string(),
            "passed": report.passed(),
            "steps": steps,
        }));
    } else if let Some(f) = report.failure() {
        print_text(&format!("check FAILED at step {}\n", f.name));
    } else {
        print_text(&format!(
            "all checks passed: {name} is ready for NetBackup\n"
        ));
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
