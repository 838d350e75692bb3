//! `vast-ost config check [FILE]`: validate a configuration file and print the effective values.

use std::process::ExitCode;

use ost_core::{DataPathKind, PluginConfig, ServerConfig, ServerName};
use serde_json::{json, Map, Value};

use crate::args::{ConfigCommand, Global};
use crate::context;
use crate::error::CliError;
use crate::output::{print_json, print_text, Table};

fn opt<T: ToString>(v: Option<T>) -> Value {
    v.map_or(Value::Null, |x| Value::String(x.to_string()))
}

/// Every effective key of a server section (the password only as set / not set).
fn server_values(name: &str, s: &ServerConfig) -> Map<String, Value> {
    let vms_url = name.parse::<ServerName>().map_or_else(
        |_| s.vms_url.clone().unwrap_or_default(),
        |n| s.vms_url_for(&n),
    );
    let v = json!({
        "vms_url": vms_url,
        "s3_url": s.s3_url.clone().map_or(Value::String("(resolved through VMS)".into()), Value::String),
        "s3_vippool": opt(s.s3_vippool.as_ref()),
        "s3_https": s.s3_https,
        "s3_port": opt(s.s3_port.as_ref()),
        "ca_bundle": opt(s.ca_bundle.as_ref().map(|p| p.display())),
        "insecure": s.insecure,
        "tenant": s.tenant,
        "s3_user": s.s3_user,
        "view_policy": s.view_policy,
        "bucket_path_prefix": s.bucket_path_prefix,
        "default_lsu": s.default_lsu,
        "username": opt(s.username.as_ref()),
        "password": if s.password.is_some() { "(set)" } else { "(not set)" },
        "api_token_file": opt(s.api_token_file.as_ref().map(|p| p.display())),
        "api_token": if s.api_token.is_some() { "(set)" } else { "(not set)" },
        "data_path": match s.data_path { DataPathKind::S3 => "s3", DataPathKind::Nfs => "nfs" },
        "nfs_root": opt(s.nfs_root.as_ref().map(|p| p.display())),
        "part_size": s.part_size,
        "segment_size": s.segment_size,
        "max_in_flight": s.max_in_flight,
        "read_chunk_size": s.read_chunk_size,
        "read_ahead_chunks": s.read_ahead_chunks,
        "vms_timeout_secs": s.vms_timeout_secs,
        "s3_timeout_secs": s.s3_timeout_secs,
        "connect_timeout_secs": s.connect_timeout_secs,
        "lsu_cache_secs": s.lsu_cache_secs,
        "orphan_age_secs": s.orphan_age_secs,
        "sweep_on_open": s.sweep_on_open,
        "event_poll_secs": s.event_poll_secs,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn plugin_values(c: &PluginConfig) -> Map<String, Value> {
    let p = &c.plugin;
    let v = json!({
        "log_file": opt(p.log_file.as_ref().map(|f| f.display())),
        "log_level": p.log_level,
        "state_dir": p.state_dir.display().to_string(),
        "worker_threads": p.worker_threads,
        "buffer_budget": p.buffer_budget,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// Runs a config command.
pub(crate) fn run(global: &Global, cmd: ConfigCommand) -> Result<ExitCode, CliError> {
    let ConfigCommand::Check { file } = cmd;
    let path = file.or_else(|| context::config_path(global));
    let (config, source) = match &path {
        Some(p) => (
            PluginConfig::load(p).map_err(|e| {
                CliError::new(format!("configuration {}", p.display()), e.to_string())
                    .hint("fix the key named above; docs/configuration.md lists every key")
            })?,
            p.display().to_string(),
        ),
        None => (
            PluginConfig::default(),
            "(no file: built-in defaults)".to_owned(),
        ),
    };
    let plugin = plugin_values(&config);
    let servers: Map<String, Value> = config
        .servers
        .iter()
        .map(|(n, s)| (n.clone(), Value::Object(server_values(n, s))))
        .collect();
    if global.json {
        print_json(&json!({
            "file": source,
            "valid": true,
            "plugin": plugin,
            "servers": servers,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!("{source}: valid\n\n[plugin]\n");
    let mut t = Table::new(&["KEY", "VALUE"]);
    for (k, v) in &plugin {
        t.row(vec![k.clone(), text(v)]);
    }
    out.push_str(&t.render());
    if servers.is_empty() {
        out.push_str("\nno [servers.\"vast://...\"] section: every server uses the defaults\n");
    }
    for (name, values) in &servers {
        out.push_str(&format!("\n[servers.\"{name}\"]\n"));
        let mut t = Table::new(&["KEY", "VALUE"]);
        if let Value::Object(m) = values {
            for (k, v) in m {
                t.row(vec![k.clone(), text(v)]);
            }
        }
        out.push_str(&t.render());
    }
    print_text(&out);
    Ok(ExitCode::SUCCESS)
}
