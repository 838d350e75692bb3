//! `vast-ost config check [FILE]`: validate a configuration file and print the effective values.

use std::process::ExitCode;

use ost_core::config::keys::{self, Key, Shown};
use ost_core::{PluginConfig, ServerName};
use serde_json::{json, Map, Value};

use crate::args::{ConfigCommand, Global};
use crate::context;
use crate::error::CliError;
use crate::output::{print_json, print_text, Table};

/// Every key of the table with its effective value in `section`; a secret only as set / not
/// set, an unset key as null.
fn values<C: Default>(table: &[Key<C>], section: &C) -> Map<String, Value> {
    table
        .iter()
        .map(|k| {
            let v = match k.show(section) {
                Shown::Value(None) => Value::Null,
                Shown::Value(Some(keys::Value::Bool(b))) => Value::Bool(b),
                Shown::Value(Some(keys::Value::Number(n))) => Value::from(n),
                Shown::Value(Some(keys::Value::Text(s))) => Value::String(s),
                Shown::Secret { set: true } => Value::String("(set)".to_owned()),
                Shown::Secret { set: false } => Value::String("(not set)".to_owned()),
            };
            (k.name.to_owned(), v)
        })
        .collect()
}

/// A server section's effective values (`vms_url` filled in from the name).
fn server_values(name: &str, s: &ost_core::ServerConfig) -> Map<String, Value> {
    match name.parse::<ServerName>() {
        Ok(n) => values(keys::SERVER_KEYS, &s.clone().resolved_for(&n)),
        Err(_) => values(keys::SERVER_KEYS, s),
    }
}

/// The table's one line about `name`.
fn meaning<C>(table: &[Key<C>], name: &str) -> String {
    table
        .iter()
        .find(|k| k.name == name)
        .map_or_else(String::new, |k| k.doc.to_owned())
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
    let plugin = values(keys::PLUGIN_KEYS, &config.plugin);
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
    let mut t = Table::new(&["KEY", "VALUE", "MEANING"]);
    for (k, v) in &plugin {
        t.row(vec![k.clone(), text(v), meaning(keys::PLUGIN_KEYS, k)]);
    }
    out.push_str(&t.render());
    if servers.is_empty() {
        out.push_str("\nno [servers.\"vast://...\"] section: every server uses the defaults\n");
    }
    for (name, values) in &servers {
        out.push_str(&format!("\n[servers.\"{name}\"]\n"));
        let mut t = Table::new(&["KEY", "VALUE", "MEANING"]);
        if let Value::Object(m) = values {
            for (k, v) in m {
                t.row(vec![k.clone(), text(v), meaning(keys::SERVER_KEYS, k)]);
            }
        }
        out.push_str(&t.render());
    }
    print_text(&out);
    Ok(ExitCode::SUCCESS)
}
