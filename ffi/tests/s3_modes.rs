//! The built library against vast-sim in each non-default S3 mode a VAST cluster may show:
//! `If-None-Match: *` ignored or refused, flexible checksum headers refused (and Content-MD5
//! too), and each answer to a write past a full quota. In every mode NetBackup's sequences must
//! work as on the default simulator: backup and restore-verify (the C driver's `full` mode),
//! checkpoint and resume in another media server, racing creates of one image, and a full quota
//! answered as no space.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dur::{assert_restores_model, model_file, Media, CALL, PART};
use common::rel::{assert_restores, result_line, state_of, text, BUCKET, EBUSY, EEXIST, ENOSPC};
use common::{stdout, DataPath, Env, Options};
use vast_sim::{ChecksumHeaders, ConditionalCreate, QuotaAnswer, SimConfig};

const MIB: u64 = 1 << 20;

fn start(configure: fn(&mut SimConfig)) -> Env {
    Env::start_with(Options::new(DataPath::S3).sim(configure))
}

/// Backup, restore-verify, copy, delete and list: the C driver's whole NetBackup sequence.
fn backup_and_restore_verify(env: &Env) {
    let out = env.run(&["full", &(24 * MIB).to_string()]);
    let t = stdout(&out);
    assert!(
        out.status.success() && t.contains("driver full: all steps passed"),
        "driver failed:\n{t}\nplugin log:\n{}",
        env.log_text()
    );
    assert!(t.contains("checksum") && t.contains("verified"), "{t}");
}

/// Media server A writes 16 MiB + 4 KiB (a completed segment, a whole part, a tail) and
/// checkpoints; media server B (its own state dir, so it probes the cluster itself) sees it
/// Pending at exactly that size, resumes there, completes it and restores it byte-exact.
fn checkpoint_and_resume(env: &Env, name: &str) {
    let (model, bytes) = model_file(env, name, 24 * MIB, 0xC0DE);
    let mut a = env.worker(Media::A, &model);
    a.ok(&format!("create {name}"));
    let acked = a.write_ok(0, 3 * PART + 4096, CALL);
    a.ok("close-incomplete");
    a.quit();
    let mut b = env.worker(Media::B, &model);
    let p = b.ok(&format!("props {name}"));
    assert!(
        p.num("size") == acked && p.flag("pending"),
        "after a checkpoint at {acked} bytes another media server sees `{}`",
        p.line
    );
    b.ok(&format!("open-write {name}"));
    let h = b.ok("hprops");
    assert_eq!(h.num("size"), acked, "{}", h.line);
    let end = b.write_ok(acked, 6 * MIB + 4096, CALL);
    b.ok("close-complete");
    let p = b.ok(&format!("props {name}"));
    assert!(p.flag("created") && p.num("size") == end, "{}", p.line);
    assert_restores_model(env, &mut b, name, &bytes, end);
    b.quit();
}

/// Two processes create the same image at once, three times. Never two complete images, never
/// a corrupt one: exactly one writer completes it and it restores that writer's bytes; the
/// other is refused at create (EEXIST/EBUSY) or, in the fallback's remaining race, when it
/// next writes the descriptor (its writer lease was replaced).
fn racing_creates(env: &Env, tag: &str) {
    assert!(env.rel(&["state", "warmup"]).status.success());
    for round in 0..3 {
        let name = format!("contested{tag}{round}");
        let mut a = env.spawn_rel(&["race", &name, "31"], &[]);
        let mut b = env.spawn_rel(&["race", &name, "32"], &[]);
        a.wait_for("READY");
        b.wait_for("READY");
        a.resume();
        b.resume();
        let (_, oa) = a.finish();
        let (_, ob) = b.finish();
        let won: Vec<u64> = [&oa, &ob]
            .iter()
            .filter_map(|o| result_line(o, "WON ").map(|w| w[0].parse().unwrap()))
            .collect();
        assert_eq!(won.len(), 1, "winners: {won:?}\n{oa}\n{ob}");
        let lost: Vec<i32> = [&oa, &ob]
            .iter()
            .filter_map(|o| result_line(o, "LOST ").map(|w| w[0].parse().unwrap()))
            .collect();
        assert!(
            lost.iter().all(|c| *c == EEXIST || *c == EBUSY),
            "loser got {lost:?}\n{oa}\n{ob}"
        );
        assert_restores(env, &name, 8 * MIB, won[0]);
    }
}

fn all_sequences(env: &Env, tag: &str) {
    backup_and_restore_verify(env);
    checkpoint_and_resume(env, &format!("ck{tag}"));
    racing_creates(env, tag);
}

#[test]
fn conditional_create_ignored() {
    let env = start(|c| c.conditional_create = ConditionalCreate::Ignore);
    all_sequences(&env, "ign");
    let log = env.log_text();
    assert!(
        log.contains("conditional_create=\"ignored\"") || log.contains("ignored"),
        "{log}"
    );
}

#[test]
fn conditional_create_refused() {
    let env = start(|c| c.conditional_create = ConditionalCreate::Refuse);
    all_sequences(&env, "ref");
}

#[test]
fn flexible_checksums_refused_md5_instead() {
    let env = start(|c| c.checksum_headers = ChecksumHeaders::Refuse);
    all_sequences(&env, "md5");
    let log = env.log_text();
    assert!(log.contains("S3 capabilities probed"), "{log}");
    assert!(
        env.stat("s3.error.InvalidArgument") >= 1,
        "the probe met the refusal"
    );
}

#[test]
fn every_checksum_refused_none_sent() {
    let env = start(|c| c.checksum_headers = ChecksumHeaders::RefuseAll);
    all_sequences(&env, "none");
}

/// A VMS hard quota with 16 MiB left and a 48 MiB backup: whatever S3 answers, NetBackup gets
/// no space, the image stays Pending until deleted, and a raised quota lets the name back up.
fn quota_full_is_no_space(configure: fn(&mut SimConfig)) {
    let env = start(configure);
    let seed = env.rel(&["backup", "seed", &(4 * MIB).to_string(), "19"]);
    assert!(seed.status.success(), "{}", text(&seed));
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
    let out = env.rel(&["backup", "overquota", &(48 * MIB).to_string(), "20"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    let code: i32 = match result_line(&t, "WRITE_FAILED ") {
        Some(w) => w[1].parse().unwrap(),
        None => result_line(&t, "CLOSE_FAILED ").unwrap()[0]
            .parse()
            .unwrap(),
    };
    assert_eq!(code, ENOSPC, "{t}\nplugin log:\n{}", env.log_text());
    let (state, _, _, listed_complete) = state_of(&t);
    assert_eq!((state.as_str(), listed_complete), ("pending", 0), "{t}");
    env.rt
        .block_on(
            vms.quotas()
                .update(quota.id, &serde_json::json!({"hard_limit": 256 * MIB})),
        )
        .unwrap();
    let deleted = text(&env.rel(&["delete", "overquota"]));
    assert_eq!(
        result_line(&deleted, "DELETE ").unwrap()[0],
        "0",
        "{deleted}"
    );
    let again = env.rel(&["backup", "overquota", &(48 * MIB).to_string(), "20"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_restores(&env, "overquota", 48 * MIB, 20);
}

#[test]
fn quota_full_answered_403_access_denied() {
    quota_full_is_no_space(|c| c.quota_answer = QuotaAnswer::AccessDenied);
}

#[test]
fn quota_full_answered_507() {
    quota_full_is_no_space(|c| c.quota_answer = QuotaAnswer::InsufficientStorage);
}

#[test]
fn quota_full_answered_500() {
    quota_full_is_no_space(|c| c.quota_answer = QuotaAnswer::InternalError);
}

#[test]
fn quota_full_answered_403_quota_exceeded() {
    quota_full_is_no_space(|c| c.quota_answer = QuotaAnswer::QuotaExceeded);
}
