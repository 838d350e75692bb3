//! Durability (issue 14) under faults, across two media servers, and tolerance of what
//! NetBackup passes, through the built C library (`tests/reliability/dur_driver.c`).
//!
//! - S3 stopped during a flush: the flush fails, the previous durable point survives, a new
//!   process resumes there and completes byte-exact.
//! - A write that fails (bucket full, S3 down past the retries) marks the handle failed; close
//!   without COMPLETE leaves the image Pending at its last durable size, close COMPLETE refuses
//!   and leaves it Pending too; another media server resumes it.
//! - Another media server sees a live writer (STS_II_BUSY_WRITE, the flushed size) and can
//!   neither reopen it for write nor delete it (STS_EBUSY) until the writer closes or dies; a
//!   live writer's lease is refreshed, a frozen writer's lease expires.
//! - Tolerance: write lengths of any size, the create pending flag, unknown flag bits,
//!   delete's asynchronous flag; pointer, handle and string checks stay strict.
//!
//! "Last durable size" after a failure: every test knows `floor`, the caller's offset at its
//! last successful flush or checkpoint, and `acked`, the end of what the plugin acknowledged.
//! The image must be Pending with floor <= imo_size <= acked; the resume continues at imo_size
//! and the final restore checks every byte against the model, so bytes above the floor count
//! only if they are really there.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::dur::*;
use common::rel::BUCKET;
use common::{DataPath, Env, Options};
use vast_sim::faults::FaultConfig;

const MODEL_SIZE: u64 = 96 * MIB;
const ENOSPC: i32 = 2_060_904;
/// delete's asynchronous flag as a caller passes it (the header names none; OST passes a
/// non-zero int).
const DELETE_ASYNC: u32 = 1;
/// `STS_CIF_MORE_PENDING`, `STS_IF_INCLUDE_PENDING`.
const CIF_MORE_PENDING: u32 = 1;

fn setup(options: Options) -> (Env, std::path::PathBuf, Vec<u8>) {
    let env = Env::start_with(options);
    let (model, bytes) = model_file(&env, "model", MODEL_SIZE, 0xFA17);
    (env, model, bytes)
}

/// Props of `name` on `w`: asserts it exists, Pending, floor <= size <= acked; returns size.
fn assert_pending_between(w: &mut Worker, name: &str, floor: u64, acked: u64, when: &str) -> u64 {
    let p = w.cmd(&format!("props {name}"));
    if p.rc != EOK || !p.flag("pending") || p.flag("created") {
        w.die(&format!(
            "{when}: props answer `{}`; the image must still exist, Pending and resumable \
             (a failure does not destroy earlier progress)",
            p.line
        ));
    }
    let size = p.num("size");
    if size < floor || size > acked {
        w.die(&format!(
            "{when}: imo_size {size}; the last durable point was {floor} and {acked} bytes were \
             acknowledged: it must lie between them"
        ));
    }
    println!("CHECKED {when}: {name} Pending, imo_size {size} (last durable point {floor}, acknowledged {acked})");
    size
}

#[test]
fn s3_stopped_during_a_flush_keeps_the_previous_durable_point() {
    let (env, model, bytes) = setup(Options::new(DataPath::S3));
    let name = "flush_outage";
    let mut a = env.worker(Media::A, &model);
    let mut b = env.worker(Media::B, &model);
    a.ok(&format!("create {name}"));
    let floor = a.write_ok(0, 7 * MIB + CALL, CALL);
    a.expect("flush", EOK, "a flush with S3 up");
    let p = b.ok(&format!("props {name}"));
    if p.num("size") != floor {
        b.die(&format!(
            "after a successful flush at {floor}, another media server sees `{}`",
            p.line
        ));
    }
    let acked = a.write_ok(floor, 6 * MIB, CALL);

    env.sim.stop_s3();
    println!("INJECT S3 face stopped after {acked} bytes acknowledged, {floor} flushed");
    let r = a.cmd("flush");
    env.rt.block_on(env.sim.restart_s3()).unwrap();
    println!("INJECT S3 face restarted");
    if r.rc == EOK {
        a.die(&format!(
            "flush answered STS_EOK while S3 was stopped: the bytes after {floor} cannot be \
             durable, so it must fail"
        ));
    }
    println!(
        "CHECKED flush with S3 stopped answered {} ({})",
        r.rc,
        code_name(r.rc)
    );
    assert_pending_between(&mut b, name, floor, acked, "after the failed flush");
    let r = a.cmd("close-incomplete");
    println!(
        "  close without COMPLETE of the failed handle answered {} ({})",
        r.rc,
        code_name(r.rc)
    );
    a.quit();
    // A new process of the other media server resumes.
    drop(b);
    let mut b = env.worker(Media::B, &model);
    let size = assert_pending_between(&mut b, name, floor, acked, "after the failed writer closed");
    resume_and_complete(&env, &mut b, name, size, 20 * MIB + 3 * 512, MIB, &bytes);
    b.quit();
}

/// The writer fails with `inject` in place; returns (floor, acked) after the failing write.
fn write_until_failure(
    env: &Env,
    a: &mut Worker,
    name: &str,
    inject: &dyn Fn(&Env),
    want: Option<i32>,
) -> (u64, u64) {
    a.ok(&format!("create {name}"));
    let floor = a.write_ok(0, 6 * MIB, CALL);
    a.expect("flush", EOK, "a flush of a healthy image");
    inject(env);
    let r = a.cmd(&format!("write {floor} {} {MIB}", 64 * MIB));
    let acked = r.num("acked");
    if r.rc == EOK {
        a.die("every write succeeded through the fault: the test injected nothing");
    }
    if let Some(want) = want {
        if r.rc != want {
            a.die(&format!(
                "the failing write answered {} ({}), expected {want} ({})",
                r.rc,
                code_name(r.rc),
                code_name(want)
            ));
        }
    }
    println!(
        "CHECKED {name}: a write failed at {acked} with {} ({})",
        r.rc,
        code_name(r.rc)
    );
    // The handle is failed: the next write fails too.
    let r = a.cmd(&format!("write {acked} {MIB} {MIB}"));
    if r.rc == EOK {
        a.die("a write after a failed write succeeded: the handle must stay failed");
    }
    (floor, acked)
}

fn fill_bucket(env: &Env) {
    env.set_faults(FaultConfig {
        full_buckets: vec![BUCKET.to_owned()],
        ..FaultConfig::default()
    });
}

#[test]
fn a_failed_write_then_close_complete_refuses_and_leaves_the_image_pending() {
    let (env, model, bytes) = setup(Options::new(DataPath::S3));
    let name = "full_complete";
    let mut a = env.worker(Media::A, &model);
    let (floor, acked) = write_until_failure(&env, &mut a, name, &fill_bucket, Some(ENOSPC));
    let r = a.cmd("close-complete");
    if r.rc == EOK {
        a.die("close COMPLETE after a failed write answered STS_EOK: it must refuse");
    }
    println!(
        "CHECKED close COMPLETE after the failure refused: {} ({})",
        r.rc,
        code_name(r.rc)
    );
    env.set_faults(FaultConfig::default());
    let mut b = env.worker(Media::B, &model);
    let size = assert_pending_between(&mut b, name, floor, acked, "after close COMPLETE refused");
    a.quit();
    resume_and_complete(&env, &mut b, name, size, 16 * MIB + 512, MIB, &bytes);
    b.quit();
}

#[test]
fn a_failed_write_then_close_incomplete_leaves_the_image_pending_and_resumable() {
    let (env, model, bytes) = setup(Options::new(DataPath::S3));
    let name = "full_incomplete";
    let mut a = env.worker(Media::A, &model);
    let (floor, acked) = write_until_failure(&env, &mut a, name, &fill_bucket, Some(ENOSPC));
    env.set_faults(FaultConfig::default());
    let r = a.cmd("close-incomplete");
    println!(
        "  close without COMPLETE after the failure answered {} ({})",
        r.rc,
        code_name(r.rc)
    );
    let mut b = env.worker(Media::B, &model);
    let size = assert_pending_between(&mut b, name, floor, acked, "after close without COMPLETE");
    a.quit();
    resume_and_complete(&env, &mut b, name, size, 12 * MIB + 7 * 512, MIB, &bytes);
    b.quit();
}

#[test]
fn s3_down_past_the_retries_fails_a_write_and_the_image_stays_resumable() {
    let (env, model, bytes) = setup(Options::new(DataPath::S3));
    let name = "s3_down";
    let mut a = env.worker(Media::A, &model);
    let stop = |env: &Env| {
        env.sim.stop_s3();
        println!("INJECT S3 face stopped (connections refused)");
    };
    let (floor, acked) = write_until_failure(&env, &mut a, name, &stop, None);
    env.rt.block_on(env.sim.restart_s3()).unwrap();
    println!("INJECT S3 face restarted");
    let r = a.cmd("close-complete");
    if r.rc == EOK {
        a.die("close COMPLETE after a failed write answered STS_EOK: it must refuse");
    }
    let mut b = env.worker(Media::B, &model);
    let size = assert_pending_between(&mut b, name, floor, acked, "after S3 came back");
    a.quit();
    resume_and_complete(&env, &mut b, name, size, 14 * MIB + 1024, MIB, &bytes);
    b.quit();
}

/// B's view of A's image while A holds it: all the caller-side signs of a live writer.
fn assert_busy_elsewhere(b: &mut Worker, name: &str, size: u64, when: &str) {
    let p = b.ok(&format!("props {name}"));
    if !p.flag("busy_write") || !p.flag("pending") || p.num("size") != size {
        b.die(&format!(
            "{when}: another media server's props answer `{}`; expected Pending, \
             STS_II_BUSY_WRITE, imo_size {size}",
            p.line
        ));
    }
    let l = b.ok(&format!("list {name}"));
    if l.num("found") != 1 || !l.flag("busy_write") || l.num("size") != size {
        b.die(&format!(
            "{when}: another media server's image list shows `{}`; expected the image with \
             STS_II_BUSY_WRITE and imo_size {size}",
            l.line
        ));
    }
    b.expect(
        &format!("open-write {name}"),
        EBUSY,
        &format!("{when}: another media server holds the image open for write (fresh lease)"),
    );
    b.expect(
        &format!("delete {name}"),
        EBUSY,
        &format!("{when}: deleting an image another media server is writing"),
    );
    b.expect(
        &format!("delete {name} {DELETE_ASYNC}"),
        EBUSY,
        &format!("{when}: deleting (async flag) an image another media server is writing"),
    );
    println!("CHECKED {when}: the other media server sees BUSY_WRITE and {size} bytes; open-write and delete answer STS_EBUSY");
}

#[test]
fn another_media_server_sees_a_live_writer_and_takes_over_when_it_dies() {
    let (env, model, bytes) = setup(Options::new(DataPath::S3));
    let name = "leased";
    let mut a = env.worker(Media::A, &model);
    let mut b = env.worker(Media::B, &model);
    a.ok(&format!("create {name}"));
    let mut acked = a.write_ok(0, 6 * MIB + 7 * 512, CALL);
    a.expect("flush", EOK, "flush");
    assert_busy_elsewhere(&mut b, name, acked, "after a flush");
    // The live size follows the writer's flushes.
    acked = a.write_ok(acked, 5 * MIB, CALL);
    a.expect("flush", EOK, "flush");
    assert_busy_elsewhere(&mut b, name, acked, "after a second flush");
    // Still there and writable by its owner.
    let p = a.ok("hprops");
    assert_eq!(p.num("size"), acked, "{}", p.line);

    // Closed without COMPLETE: the lease is released.
    a.expect("close-incomplete", EOK, "checkpoint close");
    let p = b.ok(&format!("props {name}"));
    if p.flag("busy_write") || p.num("size") != acked {
        b.die(&format!(
            "after the writer closed its handle: `{}`; expected not busy, imo_size {acked}",
            p.line
        ));
    }
    b.expect(
        &format!("open-write {name}"),
        EOK,
        "the writer closed its handle: the lease is released",
    );
    b.expect("close-incomplete", EOK, "checkpoint close");
    println!("CHECKED after the writer's checkpoint close, the other media server could reopen it");

    // A takes it back, writes, flushes, and dies.
    a.expect(
        &format!("open-write {name}"),
        EOK,
        "reopen by the first writer",
    );
    acked = a.write_ok(acked, 3 * MIB + 512, CALL);
    a.expect("flush", EOK, "flush");
    assert_busy_elsewhere(&mut b, name, acked, "after the writer reopened and flushed");
    a.kill();
    // Same host, the writer's process gone: crashed at once.
    b.expect(
        &format!("open-write {name}"),
        EOK,
        "the writer was SIGKILLed (same host, its process no longer exists): take over at once",
    );
    let h = b.ok("hprops");
    if h.num("size") != acked {
        b.die(&format!(
            "taken over, the handle reports `{}`; expected {acked}",
            h.line
        ));
    }
    let end = b.write_ok(acked, 4 * MIB + 4 * 512, CALL);
    b.expect("close-complete", EOK, "complete after the takeover");
    assert_restores_model(&env, &mut b, name, &bytes, end);
    b.quit();
}

/// A live writer's lease is refreshed in the background; a frozen (SIGSTOPped) writer's lease
/// ages past `writer_lease_secs` and the image is taken over as a crashed writer's.
#[test]
fn a_live_writers_lease_is_refreshed_and_a_frozen_writers_lease_expires() {
    const LEASE: u64 = 5;
    let (env, model, bytes) =
        setup(Options::new(DataPath::S3).server_key("writer_lease_secs", LEASE));
    let name = "lease_age";
    let mut a = env.worker(Media::A, &model);
    let mut b = env.worker(Media::B, &model);
    a.ok(&format!("create {name}"));
    let acked = a.write_ok(0, 3 * MIB, CALL);
    a.expect("flush", EOK, "flush");
    // Idle but alive for longer than the lease age: its lease must still be fresh.
    std::thread::sleep(Duration::from_secs(LEASE + 3));
    assert_busy_elsewhere(
        &mut b,
        name,
        acked,
        &format!(
            "the writer idle but alive for {} s (lease {LEASE} s)",
            LEASE + 3
        ),
    );
    a.freeze();
    std::thread::sleep(Duration::from_secs(LEASE + 3));
    b.expect(
        &format!("open-write {name}"),
        EOK,
        &format!(
            "the writer's process is frozen, its lease older than writer_lease_secs = {LEASE}: \
             a crashed writer"
        ),
    );
    a.kill();
    let h = b.ok("hprops");
    if h.num("size") != acked {
        b.die(&format!(
            "taken over, the handle reports `{}`; expected {acked}",
            h.line
        ));
    }
    let end = b.write_ok(acked, 2 * MIB + 512, CALL);
    b.expect("close-complete", EOK, "complete after the takeover");
    assert_restores_model(&env, &mut b, name, &bytes, end);
    b.quit();
}

#[test]
fn write_lengths_of_any_size_are_accepted() {
    let (env, model, bytes) = setup(Options::new(DataPath::S3));
    let name = "odd_lengths";
    let mut w = env.worker(Media::A, &model);
    w.ok(&format!("create {name}"));
    // One call each: tiny, around a block, around a part boundary, a long odd one, short tail.
    let lengths = [
        1,
        511,
        513,
        4097,
        CALL - 1,
        PART - (1 + 511 + 513 + 4097 + CALL - 1) - 3,
        7,
        MIB + 3,
        3 * MIB + 12_345,
        777,
    ];
    let mut at = 0;
    for len in lengths {
        at = w.write_ok(at, len, len);
    }
    w.expect(
        "close-complete",
        EOK,
        "completing an image of odd write lengths",
    );
    let p = w.ok(&format!("props {name}"));
    assert_eq!(p.num("size"), at, "{}", p.line);
    assert_restores_model(&env, &mut w, name, &bytes, at);
    w.quit();
}

/// Sends `cmd`, records a mismatch with `want` in `bad`; returns the answer.
fn check(w: &mut Worker, bad: &mut Vec<String>, cmd: &str, want: i32, what: &str) -> Reply {
    let r = w.cmd(cmd);
    if r.rc == want {
        println!("CHECKED {what}: `{cmd}` -> {} ({})", r.rc, code_name(r.rc));
    } else {
        bad.push(format!(
            "{what}: `{cmd}` answered {} ({}), expected {want} ({})",
            r.rc,
            code_name(r.rc),
            code_name(want)
        ));
    }
    r
}

#[test]
fn flags_netbackup_may_pass_are_tolerated() {
    let (env, model, _) = setup(Options::new(DataPath::S3));
    let mut w = env.worker(Media::A, &model);
    let mut bad: Vec<String> = Vec::new();
    // The pending hint of create, both entry points.
    check(
        &mut w,
        &mut bad,
        &format!("create tol_pending {CIF_MORE_PENDING}"),
        EOK,
        "create with STS_CIF_MORE_PENDING",
    );
    check(&mut w, &mut bad, "close-incomplete", EOK, "close");
    check(
        &mut w,
        &mut bad,
        "create7 tol_pending7 1",
        EOK,
        "create_v7 with pending = 1",
    );
    check(&mut w, &mut bad, "close-incomplete", EOK, "close");
    // Unknown high bits.
    let r = check(
        &mut w,
        &mut bad,
        &format!("create tol_unknown {}", 0x8000_0000u32 | CIF_MORE_PENDING),
        EOK,
        "create with an unknown high flag bit",
    );
    if r.rc == EOK {
        check(&mut w, &mut bad, "close-incomplete", EOK, "close");
    }
    let r = check(
        &mut w,
        &mut bad,
        &format!("open-write tol_pending {}", 0x4000_0000u32),
        EOK,
        "open for write with an unknown high mode bit",
    );
    if r.rc == EOK {
        check(&mut w, &mut bad, "close-incomplete", EOK, "close");
    }
    let r = check(
        &mut w,
        &mut bad,
        &format!("list tol_pending {}", 0x4000_0000u32),
        EOK,
        "image list with an unknown high filter bit",
    );
    if r.rc == EOK && r.num("found") != 1 {
        bad.push(format!(
            "image list with an unknown filter bit: `{}`, expected the image",
            r.line
        ));
    }
    check(
        &mut w,
        &mut bad,
        &format!("lsu-list {}", 0x8000_0000u32),
        EOK,
        "LSU list with an unknown flag bit",
    );
    // delete's asynchronous flag: accepted, and deleted by the time it returns.
    check(
        &mut w,
        &mut bad,
        &format!("delete tol_pending {DELETE_ASYNC}"),
        EOK,
        "delete with the asynchronous flag",
    );
    check(
        &mut w,
        &mut bad,
        "props tol_pending",
        ENOENT,
        "the image is gone when delete (async) returns",
    );
    let l = check(
        &mut w,
        &mut bad,
        "list tol_pending",
        EOK,
        "image list after the delete",
    );
    if l.rc == EOK && l.num("found") != 0 {
        bad.push(format!("deleted image still listed: `{}`", l.line));
    }
    w.quit();
    assert!(
        bad.is_empty(),
        "{} tolerance checks failed:\n  {}",
        bad.len(),
        bad.join("\n  ")
    );
}

#[test]
fn pointer_handle_and_string_checks_stay_strict() {
    let (env, model, _) = setup(Options::new(DataPath::S3));
    let mut w = env.worker(Media::A, &model);
    w.ok("create strict_img");
    let r = w.ok("strict strict_other");
    let mut bad = Vec::new();
    for key in [
        "null_def",
        "null_out",
        "null_lsu",
        "forged_server",
        "unterminated_name",
        "slash_name",
        "forged_handle",
        "null_buf",
        "null_info",
        "null_delete_def",
        "null_list_out",
        "stale_close",
    ] {
        let got: i32 = r.get(key).and_then(|v| v.parse().ok()).unwrap();
        if got != EINVAL {
            bad.push(format!(
                "{key}: {got} ({}), expected STS_EINVAL",
                code_name(got)
            ));
        }
    }
    // None of them created anything.
    w.expect(
        "props strict_other",
        ENOENT,
        "strict checks create no image",
    );
    w.ok("close-incomplete");
    w.ok("delete strict_img");
    w.quit();
    assert!(
        bad.is_empty(),
        "checks that must stay strict: {}",
        bad.join("; ")
    );
    println!("CHECKED NULL pointers, forged/stale handles, unterminated and '/' names: STS_EINVAL");
}
