//! Durability (issue 14): "acknowledged means durable at a checkpoint", from NetBackup's side.
//!
//! Media server A (one process) creates an image and writes the model file's first OFFSET bytes
//! in `stspi_write_image` calls (256 KiB, or odd lengths), every call answered STS_EOK. Then it
//! checkpoints, either by `stspi_close_image` without STS_CLOSEF_IH_COMPLETE or by a successful
//! `stspi_flush_image` followed by SIGKILL. Media server B (another process with a fresh state
//! dir) must then see the image Pending with imo_size == OFFSET (every acknowledged byte), reopen
//! it for write at exactly OFFSET, continue from OFFSET (where the caller stands: A's own
//! offset, never the size the plugin reports), complete it, and restore the model's bytes.
//!
//! Offsets: 1 byte past a part boundary, 3 MiB (inside the first part), 24 MiB, 5 MiB - 512,
//! exactly a part boundary (5 MiB) and exactly a segment boundary (10 MiB); parts are 5 MiB and
//! segments 10 MiB in the fixture. Plus the issue's own reproduction over TLS.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::dur::*;
use common::{DataPath, Env, Options};

/// The model: every image of this suite holds the model file's first bytes.
const MODEL_SIZE: u64 = 40 * MIB;
/// What B writes after the checkpoint: crosses a part boundary and ends with a short call
/// (4096 bytes in the 256 KiB variant, 4097 in the odd-length one).
fn tail(call: u64) -> u64 {
    if call.is_multiple_of(512) {
        6 * MIB + 4096
    } else {
        6 * MIB + 4097
    }
}
/// The odd write length of the second variant (not a multiple of 512 or of anything).
const ODD_CALL: u64 = 1_048_573;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checkpoint {
    /// `stspi_close_image(STS_CLOSEF_IH_INCOMPLETE)`; A then quits normally.
    CloseIncomplete,
    /// `stspi_flush_image`, then A is SIGKILLed holding the handle.
    FlushThenSigkill,
}

/// One scenario; panics (through the worker) with a message naming what broke.
fn scenario(env: &Env, model: &Path, model_bytes: &[u8], offset: u64, call: u64, how: Checkpoint) {
    let name = format!(
        "ck_{offset}_{call}_{}",
        match how {
            Checkpoint::CloseIncomplete => "close",
            Checkpoint::FlushThenSigkill => "flush",
        }
    );
    println!("--- {name}: {offset} bytes in {call}-byte calls, checkpoint by {how:?}");
    let mut a = env.worker(Media::A, model);
    a.ok(&format!("create {name}"));
    // The caller's own offset: the end of the bytes the plugin acknowledged.
    let acked = a.write_ok(0, offset, call);
    match how {
        Checkpoint::CloseIncomplete => {
            a.expect(
                "close-incomplete",
                EOK,
                "a checkpoint close of a healthy image",
            );
        }
        Checkpoint::FlushThenSigkill => {
            a.expect("flush", EOK, "a flush of a healthy image");
        }
    }

    // Another media server (fresh state dir) looks at it.
    let mut b = env.worker(Media::B, model);
    let p = b.ok(&format!("props {name}"));
    if p.num("size") != acked || !p.flag("pending") || p.flag("created") {
        b.die(&format!(
            "after {how:?} at {acked} acknowledged bytes, another media server sees `{}`: \
             expected Pending with imo_size {acked} (every acknowledged byte durable and counted)",
            p.line
        ));
    }
    match how {
        Checkpoint::CloseIncomplete => {
            if p.flag("busy_write") {
                b.die(&format!(
                    "the writer closed its handle, yet the image is still busy-write: `{}`",
                    p.line
                ));
            }
            a.quit();
        }
        Checkpoint::FlushThenSigkill => {
            if !p.flag("busy_write") {
                b.die(&format!(
                    "the writer still holds the image open (lease fresh), yet another media \
                     server does not see STS_II_BUSY_WRITE: `{}`",
                    p.line
                ));
            }
            a.kill();
        }
    }
    println!("CHECKED {name}: another media server sees Pending, imo_size {acked}");

    // It resumes where the caller stands.
    b.expect(
        &format!("open-write {name}"),
        EOK,
        "reopen for write of a Pending image whose writer checkpointed (or died)",
    );
    let h = b.ok("hprops");
    if h.num("size") != acked {
        b.die(&format!(
            "reopened for write, the handle reports `{}`: it must continue at exactly {acked}",
            h.line
        ));
    }
    let end = b.write_ok(acked, tail(call), call);
    b.expect(
        "close-complete",
        EOK,
        "completing an image resumed at the caller's offset",
    );
    let p = b.ok(&format!("props {name}"));
    if p.num("size") != end || !p.flag("created") || p.flag("pending") {
        b.die(&format!(
            "after close COMPLETE: `{}`, expected Complete with {end} bytes",
            p.line
        ));
    }
    assert_restores_model(env, &mut b, &name, model_bytes, end);
    b.quit();
    println!(
        "CHECKED {name}: resumed in another media server at {acked}, completed at {end}, \
         restored byte-exact"
    );
}

/// Runs every variant at `offset` on one simulator and reports all failures together.
fn offset_suite(offset: u64) {
    let env = Env::start(DataPath::S3);
    let (model, bytes) = model_file(&env, "model", MODEL_SIZE, 0xC0FFEE ^ offset);
    let variants = [
        (CALL, Checkpoint::CloseIncomplete),
        (ODD_CALL, Checkpoint::CloseIncomplete),
        (CALL, Checkpoint::FlushThenSigkill),
    ];
    let mut failures = Vec::new();
    for (call, how) in variants {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            scenario(&env, &model, &bytes, offset, call, how);
        }));
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            let first = msg.lines().next().unwrap_or("").to_owned();
            failures.push(format!("{call}-byte calls, {how:?}: {first}"));
        }
    }
    assert!(
        failures.is_empty(),
        "checkpoint at {offset} bytes: {} of {} variants failed:\n  {}",
        failures.len(),
        variants.len(),
        failures.join("\n  ")
    );
}

#[test]
fn checkpoint_one_byte_past_a_part_boundary() {
    offset_suite(PART + 1);
}

#[test]
fn checkpoint_at_3_mib_inside_the_first_part() {
    offset_suite(3 * MIB);
}

#[test]
fn checkpoint_at_24_mib() {
    offset_suite(24 * MIB);
}

#[test]
fn checkpoint_512_bytes_before_a_part_boundary() {
    offset_suite(PART - 512);
}

#[test]
fn checkpoint_exactly_at_a_part_boundary() {
    offset_suite(PART);
}

#[test]
fn checkpoint_exactly_at_a_segment_boundary() {
    offset_suite(SEGMENT);
}

/// The issue's reproduction, as reported: over TLS, 24 MiB in 256 KiB calls, close without
/// COMPLETE, props, reopen for write, continue at 24 MiB, close COMPLETE, restore.
#[test]
fn issue_14_reproduction_over_tls() {
    let env = Env::start_with(Options {
        tls: true,
        ..Options::new(DataPath::S3)
    });
    let (model, bytes) = model_file(&env, "model", MODEL_SIZE, 14);
    let name = "issue14_tls";
    let mut w = env.worker(Media::A, &model);
    w.ok(&format!("create {name}"));
    let acked = w.write_ok(0, 24 * MIB, CALL);
    w.expect("close-incomplete", EOK, "checkpoint close");
    let p = w.ok(&format!("props {name}"));
    if p.num("size") != acked || !p.flag("pending") {
        w.die(&format!(
            "24 MiB acknowledged, checkpoint close answered STS_EOK, yet props report `{}`: \
             imo_size must be {acked} and the image Pending",
            p.line
        ));
    }
    w.expect(&format!("open-write {name}"), EOK, "reopen for write");
    let end = w.write_ok(acked, 8 * MIB, CALL);
    w.expect(
        "close-complete",
        EOK,
        "close COMPLETE after continuing at 24 MiB, where the caller stands (issue: \"image has a hole\")",
    );
    assert_restores_model(&env, &mut w, name, &bytes, end);
    w.quit();
    println!(
        "CHECKED issue 14 over TLS: checkpoint at 24 MiB, resumed at 24 MiB, {end} bytes restored"
    );
}

/// A flush inside segment 1, then writes on until segments 1 – 4 complete, then SIGKILL: the
/// checkpointed part lives only inside the completed segment 1. B resumes at the checkpoint
/// and restores the model (the plugin once deleted that segment at resume: lost bytes and
/// `STS_EINTERNAL`).
#[test]
fn a_checkpoint_whose_segment_completed_before_the_crash_resumes_with_every_byte() {
    let env = Env::start(DataPath::S3);
    killed_after_the_checkpoint_segment_completed(&env, "completed_after", |env, name| {
        let s3 = env.s3();
        let keys = env
            .rt
            .block_on(vast_s3_data::listing::list_keys(
                &s3,
                common::rel::BUCKET,
                &format!("netbackup/{name}/"),
            ))
            .unwrap();
        for segment in ["/data/000001", "/data/000002"] {
            assert!(
                keys.iter().any(|k| k.ends_with(segment)),
                "segment {segment} is not complete before the kill: {keys:?}"
            );
        }
    });
}
