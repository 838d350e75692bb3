//! Reliability: backups through the built C library while vast-sim injects faults (S3 errors,
//! connection resets, latency, an S3 outage, VMS down, token expiry, a full quota). Each test
//! prints what it injected (`INJECT`) and what it checked (`CHECKED`). See docs/reliability.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rel::*;
use common::{DataPath, Env, Options};
use vast_sim::faults::{FaceFaults, FaultConfig};

/// Size of the big backup under 10% S3 errors: `REL_BIG_MIB` (default 256; the issue asks for
/// 1 GiB, which `REL_BIG_MIB=1024` runs).
fn big_size() -> u64 {
    std::env::var("REL_BIG_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
        * MIB
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn s3_faults(f: FaceFaults) -> FaultConfig {
    FaultConfig {
        s3: f,
        ..FaultConfig::default()
    }
}

/// Runs a backup to its end and returns the driver's output.
fn backup(env: &Env, name: &str, size: u64, seed: u64) -> String {
    let out = env.rel(&["backup", name, &size.to_string(), &seed.to_string()]);
    let t = text(&out);
    assert!(
        out.status.success(),
        "backup failed:\n{t}\nplugin log tail:\n{}",
        tail(&env.log_text(), 15)
    );
    assert!(t.contains("BACKUP_COMPLETE"), "{t}");
    let (state, bytes, listed, _) = state_of(&t);
    assert_eq!((state.as_str(), bytes, listed), ("complete", size, 1));
    t
}

#[test]
fn s3_503_and_500_on_10_percent_of_requests() {
    let env = Env::start(DataPath::S3);
    let size = big_size();
    env.set_faults(s3_faults(FaceFaults {
        error_rate: 0.10,
        error_status: 503,
        ..FaceFaults::default()
    }));
    backup(&env, "errors10", size, 11);
    let injected_backup = env.stat("s3.faults.error");
    let requests_backup = env.stat("s3.requests");
    env.set_faults(s3_faults(FaceFaults {
        error_rate: 0.10,
        error_status: 500,
        ..FaceFaults::default()
    }));
    let verified = assert_restores(&env, "errors10", size, 11);
    let injected = env.stat("s3.faults.error");
    let requests = env.stat("s3.requests");
    env.set_faults(FaultConfig::default());
    print_stats(&env, &["s3.faults", "s3.requests", "s3.op."]);
    println!(
        "CHECKED {} MiB backup under 10% 503 SlowDown: complete; {injected_backup} errors injected \
         in {requests_backup} S3 requests, each retried by the plugin",
        size / MIB
    );
    println!(
        "CHECKED restore under 10% 500 InternalError: {verified} bytes verified; {} errors \
         injected in {} S3 requests",
        injected - injected_backup,
        requests - requests_backup
    );
    assert!(injected_backup > 0, "no 503 was injected");
    assert!(
        injected > injected_backup,
        "no 500 was injected during the restore"
    );
    // Every injected error was answered with another attempt: the requests served exceed the
    // requests that succeeded by at least the errors injected.
    let served_ok: u64 = env
        .stats()
        .iter()
        .filter(|(k, _)| k.starts_with("s3.op."))
        .map(|(_, v)| *v)
        .sum();
    assert!(
        requests >= served_ok + injected,
        "{requests} requests, {served_ok} served, {injected} injected"
    );
}

#[test]
fn connections_reset_mid_part_and_mid_read() {
    // 1 MiB read-ahead chunks: the restore makes ~130 GETs, so a 10 % reset rate hits some
    // (and the ~100 requests of a 128 MiB backup) with near certainty, while five attempts in a
    // row failing stays negligible.
    let env = Env::start_with(Options::new(DataPath::S3).server_key("read_chunk_size", MIB));
    let size = 128 * MIB;
    env.set_faults(s3_faults(FaceFaults {
        reset_rate: 0.10,
        ..FaceFaults::default()
    }));
    backup(&env, "resets", size, 12);
    let resets_backup = env.stat("s3.faults.reset");
    let verified = assert_restores(&env, "resets", size, 12);
    let resets = env.stat("s3.faults.reset");
    env.set_faults(FaultConfig::default());
    print_stats(&env, &["s3.faults", "s3.requests"]);
    println!(
        "CHECKED backup with 10% of connections reset mid-body: complete ({resets_backup} resets \
         mid-upload); restore: {verified} bytes verified ({} resets mid-read)",
        resets - resets_backup
    );
    assert!(resets_backup > 0, "no reset was injected during the backup");
    assert!(
        resets > resets_backup,
        "no reset was injected during the restore"
    );
}

#[test]
fn latency_of_200_ms_on_both_faces() {
    let env = Env::start(DataPath::S3);
    let size = 32 * MIB;
    let slow = FaceFaults {
        latency_ms: 200,
        ..FaceFaults::default()
    };
    env.set_faults(FaultConfig {
        s3: slow.clone(),
        vms: slow,
        ..FaultConfig::default()
    });
    backup(&env, "latency", size, 13);
    let verified = assert_restores(&env, "latency", size, 13);
    let (s3, vms) = (env.stat("s3.requests"), env.stat("vms.requests"));
    env.set_faults(FaultConfig::default());
    println!(
        "CHECKED 200 ms added to each of {s3} S3 and {vms} VMS requests: backup complete, \
         {verified} bytes verified"
    );
}

#[test]
fn s3_face_stopped_for_5_s_mid_backup() {
    let env = Env::start(DataPath::S3);
    let size = 64 * MIB;
    // Start the S3 face once so the stored key and bucket exist.
    let mut d = env.spawn_rel(
        &[
            "backup",
            "outage",
            &size.to_string(),
            "14",
            &(16 * MIB).to_string(),
        ],
        &[],
    );
    d.wait_for("PAUSED");
    env.sim.stop_s3();
    println!("INJECT S3 face stopped at 16 MiB written (connections refused), restarted after 5 s");
    d.resume();
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(std::time::Duration::from_secs(5));
            env.rt.block_on(env.sim.restart_s3()).unwrap();
            println!("INJECT S3 face restarted");
        });
    });
    let (code, out) = d.finish();
    let (state, bytes, _, listed_complete) = state_of(&out);
    if code == Some(0) {
        assert!(out.contains("BACKUP_COMPLETE"));
        assert_eq!((state.as_str(), bytes), ("complete", size));
        let verified = assert_restores(&env, "outage", size, 14);
        println!("CHECKED the backup rode out the 5 s outage: complete, {verified} bytes verified");
    } else {
        let failed = result_line(&out, "WRITE_FAILED ")
            .map(|w| w[1].clone())
            .or_else(|| result_line(&out, "CLOSE_FAILED ").map(|w| w[0].clone()))
            .unwrap();
        assert_eq!(failed.parse::<i32>().unwrap(), ENET, "{out}");
        assert!(!out.contains("CLOSE_ACCEPTED_A_FAILED_IMAGE"), "{out}");
        assert_ne!(
            state, "complete",
            "a failed backup is marked Complete:\n{out}"
        );
        assert_eq!(listed_complete, 0);
        println!(
            "CHECKED the backup failed cleanly with STS_ENET, image state {state}, not Complete"
        );
    }
    print_stats(&env, &["s3.requests"]);
}

#[test]
fn vms_down_during_a_backup() {
    let env = Env::start(DataPath::S3);
    let size = 32 * MIB;
    let mut d = env.spawn_rel(
        &[
            "backup",
            "vmsdown",
            &size.to_string(),
            "15",
            &(8 * MIB).to_string(),
        ],
        &[],
    );
    d.wait_for("PAUSED");
    env.set_faults(FaultConfig {
        vms: FaceFaults {
            error_rate: 1.0,
            error_status: 503,
            ..FaceFaults::default()
        },
        ..FaultConfig::default()
    });
    d.resume();
    let (code, out) = d.finish();
    let vms_errors = env.stat("vms.faults.error");
    env.set_faults(FaultConfig::default());
    assert_eq!(code, Some(0), "{out}");
    let polls = result_line(&out, "LSU_POLLS ").unwrap();
    println!(
        "CHECKED VMS answering 503 to all {vms_errors} requests from 8 MiB on: the data path went \
         on, backup complete; LSU polls {} of which {} failed (last code {})",
        polls[0], polls[2], polls[4]
    );
    assert!(vms_errors > 0);
    let (state, bytes, _, _) = state_of(&out);
    assert_eq!((state.as_str(), bytes), ("complete", size));
    assert_restores(&env, "vmsdown", size, 15);
}

#[test]
fn vms_token_expiring_every_2_s() {
    let env = Env::start(DataPath::S3);
    let size = 64 * MIB;
    let done = std::sync::atomic::AtomicBool::new(false);
    let out = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_secs(2));
                env.sim.faults().expire_tokens_now();
            }
        });
        let out = env.rel_env(
            &["backup", "tokens", &size.to_string(), "16"],
            &[("REL_WRITE_PAUSE_MS", "120")],
        );
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        text(&out)
    });
    let expired = env.stat("vms.faults.tokens_expired");
    println!("INJECT every VMS access token expired every 2 s ({expired} times)");
    assert!(out.contains("BACKUP_COMPLETE"), "{out}");
    let polls = result_line(&out, "LSU_POLLS ").unwrap();
    assert_eq!(polls[2], "0", "an LSU poll failed: {out}");
    assert!(expired >= 2, "the backup outran the token expiry");
    print_stats(&env, &["vms.faults", "vms.requests"]);
    println!(
        "CHECKED {} LSU polls during the backup all succeeded across {expired} token expiries; \
         backup complete",
        polls[0]
    );
    assert_restores(&env, "tokens", size, 16);
}

/// A backup that ran out of space: the driver failed (exit 3) with STS_ENOSPC at a write or at
/// close, the image was not sealed and stays Pending (resumable at its last durable point: the
/// driver never flushed, so 0 bytes); NetBackup's expiry (delete) then removes every object and
/// upload of it. Returns where it failed.
fn assert_no_space_left_pending_then_expired(
    env: &Env,
    name: &str,
    code: Option<i32>,
    out: &str,
) -> String {
    assert_eq!(code, Some(3), "{out}");
    let (code, at) = match result_line(out, "WRITE_FAILED ") {
        Some(w) => (w[1].parse::<i32>().unwrap(), format!("write at {}", w[0])),
        None => (
            result_line(out, "CLOSE_FAILED ").unwrap()[0]
                .parse()
                .unwrap(),
            "close".to_owned(),
        ),
    };
    assert_eq!(code, ENOSPC, "{out}");
    assert!(!out.contains("CLOSE_ACCEPTED_A_FAILED_IMAGE"), "{out}");
    let (state, _, _, listed_complete) = state_of(out);
    assert_eq!((state.as_str(), listed_complete), ("pending", 0), "{out}");
    assert!(
        env.image_keys(name).contains(&Env::descriptor_key(name)),
        "the failed image was removed"
    );
    let deleted = text(&env.rel(&["delete", name]));
    assert_eq!(
        result_line(&deleted, "DELETE ").unwrap()[0],
        "0",
        "{deleted}"
    );
    let keys = env.image_keys(name);
    assert!(keys.is_empty(), "left behind after delete: {keys:?}");
    assert_eq!(env.image_uploads(name), 0);
    at
}

#[test]
fn quota_hard_limit_mid_write_is_no_space_and_leaves_the_image_pending() {
    let env = Env::start(DataPath::S3);
    let size = 48 * MIB;
    let mut d = env.spawn_rel(
        &[
            "backup",
            "quota",
            &size.to_string(),
            "17",
            &(16 * MIB).to_string(),
        ],
        &[],
    );
    d.wait_for("PAUSED");
    env.set_faults(FaultConfig {
        full_buckets: vec![BUCKET.to_owned()],
        ..FaultConfig::default()
    });
    d.resume();
    let (code, out) = d.finish();
    env.set_faults(FaultConfig::default());
    let at = assert_no_space_left_pending_then_expired(&env, "quota", code, &out);
    println!(
        "CHECKED bucket full from 16 MiB on: {at} returned STS_ENOSPC, close refused to seal, \
         image left Pending (resumable); after NetBackup's delete: 0 objects, 0 multipart uploads"
    );
    // The name is usable again once there is space.
    backup(&env, "quota", 8 * MIB, 18);
    assert_restores(&env, "quota", 8 * MIB, 18);
}

#[test]
fn vms_quota_hard_limit_mid_backup_is_no_space_and_leaves_the_image_pending() {
    let env = Env::start(DataPath::S3);
    backup(&env, "seed", 4 * MIB, 19);
    // A real VMS quota on the bucket's directory: 20 MiB hard, 4 MiB already used.
    let vms = env.vms_admin();
    let quota = env.rt.block_on(async {
        let view = vms.views().by_bucket(BUCKET).await.unwrap().unwrap();
        vms.quotas()
            .create(&vast_vms_client::NewQuota::new(
                "nbu-pool-limit",
                &view.path,
                20 * MIB,
            ))
            .await
            .unwrap()
    });
    println!(
        "INJECT VMS quota {} on {}: hard limit 20 MiB",
        quota.name, quota.path
    );
    let out = env.rel(&["backup", "overquota", &(48 * MIB).to_string(), "20"]);
    let t = text(&out);
    let at = assert_no_space_left_pending_then_expired(&env, "overquota", out.status.code(), &t);
    assert_restores(&env, "seed", 4 * MIB, 19);
    println!(
        "CHECKED 48 MiB backup into a bucket with 16 MiB left under a VMS hard quota: {at} \
         returned STS_ENOSPC, not sealed, left Pending until deleted; the earlier image still \
         restores"
    );
    // Raised quota: the same name backs up.
    env.rt
        .block_on(
            vms.quotas()
                .update(quota.id, &serde_json::json!({"hard_limit": 256 * MIB})),
        )
        .unwrap();
    backup(&env, "overquota", 48 * MIB, 20);
    assert_restores(&env, "overquota", 48 * MIB, 20);
}
