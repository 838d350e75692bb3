//! `vast-ost image list|show|delete|verify`.

use std::process::ExitCode;

use ost_core::{ImageFilter, ImageInfo, ImageInfoFlags};
use ost_model::{ImageDate, ImageDescriptor, ImageState};
use serde_json::{json, Value};

use crate::args::{Global, ImageCommand};
use crate::context::Session;
use crate::error::{CliError, Context as _};
use crate::image_ref;
use crate::output::{print_fields, print_json, print_text, Table};
use crate::progress;
use crate::units::human_bytes;

fn state_of(i: &ImageInfo) -> &'static str {
    if i.flags.contains(ImageInfoFlags::IMAGE_PENDING) {
        "pending"
    } else {
        "complete"
    }
}

fn state_word(s: ImageState) -> &'static str {
    match s {
        ImageState::Pending => "pending",
        ImageState::Complete => "complete",
    }
}

/// A Unix time as RFC 3339 (UTC).
pub(crate) fn rfc3339(secs: u64) -> String {
    ImageDate::from_unix_seconds(secs).map_or_else(|_| secs.to_string(), |d| d.to_rfc3339())
}

fn descriptor_json(d: &ImageDescriptor) -> Value {
    let def = d.def();
    json!({
        "image": def.id().to_string(),
        "name": def.basename.as_str(),
        "date": def.date.to_string(),
        "state": state_word(d.state),
        "size": d.byte_size,
        "segment_size": d.layout.segment_size,
        "part_size": d.layout.part_size,
        "segments": d.layout.segment_count,
        "checksum": d.checksum.as_ref().map(|c| format!("{}:{}", c.algorithm.name(), c.value)),
        "created": rfc3339(d.created_unix),
        "completed": d.completed_unix.map(rfc3339),
        "writer_host": d.writer_host,
        "plugin_version": d.plugin_version,
        "retain_until": d.retain_until_unix.map(rfc3339),
    })
}

/// Runs an image command.
pub(crate) fn run(global: &Global, cmd: ImageCommand) -> Result<ExitCode, CliError> {
    let s = Session::open(global, None)?;
    let (p, server) = (&s.plugin, s.server);
    match cmd {
        ImageCommand::List {
            lsu,
            prefix,
            pending,
        } => {
            let lsu = image_ref::lsu(&lsu)?;
            let filter = ImageFilter {
                basename_prefix: prefix,
                include_pending: pending,
                ..ImageFilter::default()
            };
            let images = p
                .list_images(server, &lsu, &filter)
                .doing(|| format!("listing the images of {lsu}"))?;
            if global.json {
                let items: Vec<Value> = images
                    .iter()
                    .map(|i| {
                        json!({
                            "image": i.def.id().to_string(),
                            "name": i.def.basename.as_str(),
                            "date": i.def.date.to_string(),
                            "size": i.size,
                            "state": state_of(i),
                            "retain_until": i.retain_until_unix.map(rfc3339),
                        })
                    })
                    .collect();
                print_json(&Value::Array(items));
            } else {
                let mut t = Table::new(&["IMAGE", "DATE (UTC)", "SIZE", "STATE", "LOCKED UNTIL"]);
                for i in &images {
                    t.row(vec![
                        i.def.basename.to_string(),
                        i.def.date.to_rfc3339(),
                        human_bytes(i.size),
                        state_of(i).to_owned(),
                        i.retain_until_unix.map_or_else(|| "-".to_owned(), rfc3339),
                    ]);
                }
                t.print();
            }
        }
        ImageCommand::Show { lsu, image } => {
            let lsu = image_ref::lsu(&lsu)?;
            let id = image_ref::resolve(p, server, &lsu, &image)?;
            let d = p
                .image_descriptor(server, &lsu, &id)
                .doing(|| format!("reading image {id} in {lsu}"))?;
            if global.json {
                print_json(&descriptor_json(&d));
            } else {
                print_fields(&[
                    ("image", id.to_string()),
                    ("LSU", lsu.to_string()),
                    ("state", state_word(d.state).to_owned()),
                    (
                        "size",
                        format!("{} ({} bytes)", human_bytes(d.byte_size), d.byte_size),
                    ),
                    (
                        "layout",
                        format!(
                            "{} segment(s) of {}, parts of {}",
                            d.layout.segment_count,
                            human_bytes(d.layout.segment_size),
                            human_bytes(d.layout.part_size)
                        ),
                    ),
                    (
                        "checksum",
                        d.checksum.as_ref().map_or_else(
                            || "-".to_owned(),
                            |c| format!("{}:{}", c.algorithm.name(), c.value),
                        ),
                    ),
                    ("created", rfc3339(d.created_unix)),
                    (
                        "completed",
                        d.completed_unix.map_or_else(|| "-".to_owned(), rfc3339),
                    ),
                    ("writer host", d.writer_host.clone()),
                    ("plugin version", d.plugin_version.clone()),
                    (
                        "locked until",
                        d.retain_until_unix.map_or_else(|| "-".to_owned(), rfc3339),
                    ),
                ]);
            }
        }
        ImageCommand::Delete {
            lsu,
            image,
            bypass_governance,
            yes,
        } => {
            let lsu = image_ref::lsu(&lsu)?;
            let id = image_ref::resolve(p, server, &lsu, &image)?;
            if bypass_governance {
                if !yes {
                    confirm_bypass(&lsu, &id)?;
                }
                p.delete_image_bypassing_governance(server, &lsu, &id)
                    .doing(|| {
                        format!("deleting locked image {id} from {lsu} (governance bypass)")
                    })?;
            } else {
                p.delete_image(server, &lsu, &id)
                    .doing(|| format!("deleting image {id} from {lsu}"))?;
            }
            if global.json {
                print_json(&json!({ "deleted": id.to_string(), "lsu": lsu.as_str() }));
            } else {
                print_text(&format!("image {id} deleted from {lsu}\n"));
            }
        }
        ImageCommand::Verify { lsu, image } => {
            let lsu = image_ref::lsu(&lsu)?;
            let id = image_ref::resolve(p, server, &lsu, &image)?;
            let bar = progress::bytes(None, &format!("verifying {id}"));
            let progress = |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            };
            let r = p
                .verify_image(server, &lsu, &id, &progress)
                .doing(|| format!("verifying image {id} in {lsu}"))?;
            bar.finish_and_clear();
            if global.json {
                print_json(&json!({
                    "image": id.to_string(),
                    "lsu": lsu.as_str(),
                    "bytes_read": r.bytes_read,
                    "algorithm": r.algorithm,
                    "expected": r.expected,
                    "actual": r.actual,
                    "ok": r.ok(),
                }));
            }
            if !r.ok() {
                return Err(CliError::new(
                    format!("verifying image {id} in {lsu}"),
                    format!(
                        "checksum mismatch: stored {}:{}, data read back {}:{}",
                        r.algorithm, r.expected, r.algorithm, r.actual
                    ),
                )
                .hint("the stored image is damaged: restore from another copy"));
            }
            if !global.json {
                print_text(&format!(
                    "image {id} ok: {} read, {} {} matches the descriptor\n",
                    human_bytes(r.bytes_read),
                    r.algorithm,
                    r.actual
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks the administrator to type the image's name before a governance bypass.
fn confirm_bypass(lsu: &ost_model::LsuName, id: &ost_model::ImageId) -> Result<(), CliError> {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    let what = format!("deleting locked image {id} from {lsu} (governance bypass)");
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(what, "no terminal to confirm on")
            .hint("pass --yes to confirm a governance bypass without a prompt"));
    }
    eprint!(
        "Image {id} in WORM LSU {lsu} is still locked. Deleting it now bypasses its governance\n\
         retention and cannot be undone. Type the image name ({}) to confirm: ",
        id.basename
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::new(what.clone(), e.to_string()))?;
    if line.trim() != id.basename.as_str() {
        return Err(CliError::new(what, "not confirmed; nothing was deleted"));
    }
    Ok(())
}
