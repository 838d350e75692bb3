//! `vast-ost bandwidth show|set|clear`: the run-time bandwidth override of this media server
//! (no VMS call: the plugin processes of the same state directory read the file themselves).

use std::process::ExitCode;

use ost_core::bandwidth;
use serde_json::{json, Value};

use crate::args::{BandwidthCommand, Global};
use crate::context;
use crate::error::CliError;
use crate::output::{print_fields, print_json};

const MIB: u64 = 1 << 20;

/// `12 MiB/s`, or `unlimited`.
fn rate(bytes_per_sec: u64) -> String {
    if bytes_per_sec == 0 {
        "unlimited".to_owned()
    } else {
        format!("{} MiB/s", bytes_per_sec / MIB)
    }
}

/// Runs a bandwidth command.
pub(crate) fn run(global: &Global, cmd: BandwidthCommand) -> Result<ExitCode, CliError> {
    let config = context::load_config(global)?;
    let server = context::pick_server(global, &config, None)?;
    let config = context::effective_config(global, config, &server);
    let path = bandwidth::override_path(&config.plugin.state_dir, &server);
    let failed = |e: ost_core::OstError| {
        CliError::ost(format!("the bandwidth override {}", path.display()), &e)
    };
    let changes: Vec<(&str, Option<String>)> = match cmd {
        BandwidthCommand::Show => Vec::new(),
        BandwidthCommand::Clear => bandwidth::OVERRIDE_KEYS
            .iter()
            .map(|k| (*k, None))
            .collect(),
        BandwidthCommand::Set {
            write,
            read,
            write_schedule,
            read_schedule,
        } => {
            let schedule = |s: Option<String>| s.map(|s| (!s.trim().is_empty()).then_some(s));
            let mut changes = Vec::new();
            if let Some(w) = write {
                changes.push(("max_write_mib_s", Some(w.to_string())));
            }
            if let Some(r) = read {
                changes.push(("max_read_mib_s", Some(r.to_string())));
            }
            if let Some(s) = schedule(write_schedule) {
                changes.push(("write_schedule", s));
            }
            if let Some(s) = schedule(read_schedule) {
                changes.push(("read_schedule", s));
            }
            if changes.is_empty() {
                return Err(CliError::usage("bandwidth set", "nothing to set")
                    .hint("give --write, --read, --write-schedule or --read-schedule"));
            }
            changes
        }
    };
    let entries = if changes.is_empty() {
        if path.exists() {
            bandwidth::read_override(&path).map_err(failed)?
        } else {
            Vec::new()
        }
    } else {
        bandwidth::set_override(&path, &changes).map_err(failed)?
    };
    let (write_now, read_now) = bandwidth::limits_now(&config.server(&server), &path);
    if global.json {
        let over: serde_json::Map<String, Value> = entries
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        print_json(&json!({
            "server": server.to_string(),
            "override_file": path.display().to_string(),
            "override": over,
            "write_bytes_per_sec": write_now,
            "read_bytes_per_sec": read_now,
        }));
    } else {
        let over = if entries.is_empty() {
            "none (the configuration's limits apply)".to_owned()
        } else {
            entries
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        print_fields(&[
            ("server", server.to_string()),
            ("override file", path.display().to_string()),
            ("override", over),
            ("write limit now", rate(write_now)),
            ("read limit now", rate(read_now)),
        ]);
    }
    Ok(ExitCode::SUCCESS)
}
