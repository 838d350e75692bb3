//! `vast-ost backup` and `vast-ost restore`: a real image write or read through ost-core.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use ost_core::{CloseFlags, CreateFlags, ImageHandleId, OpenMode, Plugin};
use serde_json::json;

use crate::args::Global;
use crate::context::Session;
use crate::error::{CliError, Context as _};
use crate::image_ref;
use crate::output::{print_json, print_text};
use crate::progress;
use crate::units::{human_bytes, human_rate};

/// Bytes per write/read call.
const CHUNK: usize = 8 << 20;

/// Reads until `buf` is full or the input ends.
fn fill(input: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Applies ost-core's policy for a backup whose write failed
/// ([`Plugin::discard_failed_backup`]; [`Plugin::complete_backup`] applies it to a failed
/// completion) and returns the failure, with a hint when the image could not be removed.
pub(crate) fn discard(p: &Plugin, handle: ImageHandleId, failure: CliError) -> CliError {
    match p.discard_failed_backup(handle) {
        Ok(()) => failure,
        Err(e) => failure.hint(format!(
            "the failed image could not be removed ({e}); it stays pending until \
             `vast-ost image delete` or the orphan sweep removes it"
        )),
    }
}

/// `backup LSU IMAGE FILE|-`.
pub(crate) fn backup(
    global: &Global,
    lsu: &str,
    image: &str,
    file: &str,
) -> Result<ExitCode, CliError> {
    let lsu = image_ref::lsu(lsu)?;
    let def = image_ref::new_def(image)?;
    let (mut input, total): (Box<dyn Read>, Option<u64>) = if file == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let f = std::fs::File::open(file)
            .map_err(|e| CliError::new(format!("opening {file}"), e.to_string()))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let s = Session::open(global, None)?;
    let (p, server) = (&s.plugin, s.server);
    let id = def.id();
    let handle = p
        .create_image(server, &lsu, &def, CreateFlags::empty())
        .doing(|| format!("creating image {id} in {lsu}"))?;
    let bar = progress::bytes(total, &format!("backup {id}"));
    let started = Instant::now();
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    let result: Result<(), CliError> = loop {
        let n = match fill(&mut *input, &mut buf) {
            Ok(n) => n,
            Err(e) => break Err(CliError::new(format!("reading {file}"), e.to_string())),
        };
        if n == 0 {
            break Ok(());
        }
        if let Err(e) = p.write_image(handle, offset, &buf[..n]) {
            break Err(CliError::ost(
                format!("writing image {id} at offset {offset}"),
                &e,
            ));
        }
        offset += n as u64;
        bar.set_position(offset);
    };
    bar.finish_and_clear();
    if let Err(e) = result {
        return Err(discard(p, handle, e));
    }
    p.complete_backup(handle)
        .doing(|| format!("completing image {id} in {lsu}"))?;
    let secs = started.elapsed().as_secs_f64();
    let checksum = p
        .image_descriptor(server, &lsu, &id)
        .ok()
        .and_then(|d| d.checksum)
        .map(|c| format!("{}:{}", c.algorithm.name(), c.value));
    if global.json {
        print_json(&json!({
            "image": id.to_string(),
            "lsu": lsu.as_str(),
            "bytes": offset,
            "seconds": secs,
            "checksum": checksum,
        }));
    } else {
        print_text(&format!(
            "image {id} written to {lsu}: {} in {secs:.1}s ({}), checksum {}\n",
            human_bytes(offset),
            human_rate(offset, secs),
            checksum.unwrap_or_else(|| "-".to_owned())
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `restore LSU IMAGE FILE|-`.
pub(crate) fn restore(
    global: &Global,
    lsu: &str,
    image: &str,
    file: &str,
) -> Result<ExitCode, CliError> {
    let lsu = image_ref::lsu(lsu)?;
    let s = Session::open(global, None)?;
    let (p, server) = (&s.plugin, s.server);
    let id = image_ref::resolve(p, server, &lsu, image)?;
    let to_stdout = file == "-";
    let mut output: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(file)
                .map_err(|e| CliError::new(format!("creating {file}"), e.to_string()))?,
        )
    };
    let handle = p
        .open_image(server, &lsu, &id, OpenMode::READ)
        .doing(|| format!("opening image {id} in {lsu}"))?;
    let total = p.image_props(handle).ok().map(|i| i.size);
    let bar = progress::bytes(total, &format!("restore {id}"));
    let started = Instant::now();
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    let mut crc = 0u32;
    let result: Result<(), CliError> = loop {
        let n = match p.read_image(handle, offset, &mut buf) {
            Ok(n) => n,
            Err(e) => {
                break Err(CliError::ost(
                    format!("reading image {id} at offset {offset}"),
                    &e,
                ))
            }
        };
        if n == 0 {
            break output
                .flush()
                .map_err(|e| CliError::new(format!("writing {file}"), e.to_string()));
        }
        if let Err(e) = output.write_all(&buf[..n]) {
            break Err(CliError::new(format!("writing {file}"), e.to_string()));
        }
        crc = crc32c::crc32c_append(crc, &buf[..n]);
        offset += n as u64;
        bar.set_position(offset);
    };
    bar.finish_and_clear();
    let _ = p.close_image(handle, CloseFlags::empty());
    result?;
    drop(output);
    let secs = started.elapsed().as_secs_f64();
    let summary = json!({
        "image": id.to_string(),
        "lsu": lsu.as_str(),
        "bytes": offset,
        "seconds": secs,
        "crc32c": format!("{crc:08x}"),
    });
    let text = format!(
        "image {id} restored from {lsu}: {} in {secs:.1}s ({}), crc32c {crc:08x}\n",
        human_bytes(offset),
        human_rate(offset, secs)
    );
    if to_stdout {
        // stdout carries the data: the summary goes to stderr.
        if !global.json {
            eprint!("{text}");
        }
    } else if global.json {
        print_json(&summary);
    } else {
        print_text(&text);
    }
    Ok(ExitCode::SUCCESS)
}
