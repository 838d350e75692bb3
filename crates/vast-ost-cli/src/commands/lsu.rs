//! `vast-ost lsu list|show|create|label`.

use std::process::ExitCode;

use ost_core::LsuInfo;
use ost_model::{WormError, WormPolicy};
use serde_json::{json, Value};

use crate::args::{Global, LsuCommand};
use crate::context::Session;
use crate::error::{CliError, Context as _};
use crate::image_ref;
use crate::output::{print_fields, print_json, print_text, Table};
use crate::units::human_bytes;

fn info_json(i: &LsuInfo) -> Value {
    json!({
        "name": i.name.as_str(),
        "capacity": i.capacity,
        "used": i.used,
        "used_physical": i.used_phys,
        "reduction_ratio": i.reduction_ratio(),
        "free": i.free(),
        "flags": format!("{:?}", i.flags),
        "label": i.label,
        "worm": i.worm.map(|w| json!({
            "mode": w.mode.name(),
            "retention": w.retention.to_string(),
            "retention_secs": w.retention.secs(),
        })),
    })
}

/// `3.0:1`, or `-` while nothing is stored.
fn reduction(i: &LsuInfo) -> String {
    i.reduction_ratio()
        .map_or_else(|| "-".to_owned(), |r| format!("{r:.1}:1"))
}

/// Runs an LSU command.
pub(crate) fn run(global: &Global, cmd: LsuCommand) -> Result<ExitCode, CliError> {
    let s = Session::open(global, None)?;
    let (p, server) = (&s.plugin, s.server);
    match cmd {
        LsuCommand::List => {
            let names = p
                .list_lsus(server)
                .doing(|| format!("listing the LSUs of {}", s.name))?;
            let mut infos = Vec::new();
            for n in &names {
                infos.push(p.lsu_info(server, n).doing(|| format!("reading LSU {n}"))?);
            }
            if global.json {
                print_json(&Value::Array(infos.iter().map(info_json).collect()));
            } else {
                let mut t = Table::new(&["LSU", "CAPACITY", "USED", "FREE", "LABEL"]);
                for i in &infos {
                    t.row(vec![
                        i.name.to_string(),
                        human_bytes(i.capacity),
                        human_bytes(i.used),
                        human_bytes(i.free()),
                        i.label.clone().unwrap_or_default(),
                    ]);
                }
                t.print();
            }
        }
        LsuCommand::Show { name } => {
            let lsu = image_ref::lsu(&name)?;
            let i = p
                .lsu_info(server, &lsu)
                .doing(|| format!("reading LSU {lsu}"))?;
            if global.json {
                print_json(&info_json(&i));
            } else {
                print_fields(&[
                    ("LSU", i.name.to_string()),
                    ("capacity", human_bytes(i.capacity)),
                    ("used", human_bytes(i.used)),
                    ("used (physical)", human_bytes(i.used_phys)),
                    ("data reduction", reduction(&i)),
                    ("free", human_bytes(i.free())),
                    ("flags", format!("{:?}", i.flags)),
                    ("label", i.label.clone().unwrap_or_default()),
                    (
                        "WORM",
                        i.worm.map_or_else(
                            || "no".to_owned(),
                            |w| {
                                format!(
                                    "{} mode, images locked {} from creation",
                                    w.mode, w.retention
                                )
                            },
                        ),
                    ),
                ]);
            }
        }
        LsuCommand::Create {
            name,
            worm,
            mode,
            retention,
        } => {
            let lsu = image_ref::lsu(&name)?;
            let policy = match (worm, mode, retention) {
                (true, Some(mode), Some(retention)) => Some(WormPolicy {
                    mode: mode
                        .parse()
                        .map_err(|e: WormError| CliError::new("reading --mode", e.to_string()))?,
                    retention: retention.parse().map_err(|e: WormError| {
                        CliError::new("reading --retention", e.to_string())
                    })?,
                }),
                _ => None,
            };
            match policy {
                Some(policy) => p
                    .create_worm_lsu(server, &lsu, policy)
                    .doing(|| format!("creating WORM LSU {lsu}"))?,
                None => p
                    .create_lsu(server, &lsu)
                    .doing(|| format!("creating LSU {lsu}"))?,
            }
            if global.json {
                print_json(&json!({
                    "created": lsu.as_str(),
                    "worm": policy.map(|w| json!({ "mode": w.mode.name(), "retention": w.retention.to_string() })),
                }));
            } else if let Some(w) = policy {
                print_text(&format!(
                    "WORM LSU {lsu} ready: {} mode, images locked {} from creation\n",
                    w.mode, w.retention
                ));
            } else {
                print_text(&format!("LSU {lsu} ready\n"));
            }
        }
        LsuCommand::Label { name, text } => {
            let lsu = image_ref::lsu(&name)?;
            p.label_lsu(server, &lsu, &text)
                .doing(|| format!("labelling LSU {lsu}"))?;
            if global.json {
                print_json(&json!({ "lsu": lsu.as_str(), "label": text }));
            } else {
                print_text(&format!("LSU {lsu} labelled {text:?}\n"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
