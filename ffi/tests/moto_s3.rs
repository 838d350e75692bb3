//! The NetBackup-style C drivers against a second S3 implementation that nobody here wrote:
//! VMS from vast-sim, S3 on moto_server (`s3_url` pointing at it). The full sequence (backup,
//! restore, copy, metadata, list, delete) and a checkpoint resumed by another media server must
//! pass there as they do against vast-sim's S3 face.
//!
//! moto knows no VMS views: on VAST a bucket view *is* the S3 bucket, so the test creates the
//! bucket the plugin's default LSU names in moto (with the data-path client and a throwaway key:
//! moto accepts any) before the plugin creates the view on vast-sim. Each test uses its own LSU.
//!
//! Run by `tests/compat/run` (`cargo xtask compat`), which starts moto_server from its virtualenv
//! and sets `VAST_OST_MOTO_URL`; ignored by a plain `cargo test`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dur::*;
use common::{stdout, DataPath, Env, Options};

/// Where moto_server listens (set by tests/compat/run).
fn moto_url() -> String {
    std::env::var("VAST_OST_MOTO_URL")
        .expect("VAST_OST_MOTO_URL (moto_server's URL) is set by tests/compat/run")
}

/// vast-sim for VMS, moto for S3, `lsu` as the default LSU, created in moto as its bucket.
fn start(lsu: &str) -> Env {
    let url = moto_url();
    let env = Env::start_with(
        Options::new(DataPath::S3)
            .server_key("s3_url", format!("\"{url}\""))
            .server_key("default_lsu", format!("\"{lsu}\"")),
    );
    let client = vast_s3_data::S3ClientBuilder::new(&url, "moto", "moto-accepts-any-secret")
        .build()
        .unwrap();
    env.rt
        .block_on(vast_s3_data::buckets::create(&client, lsu))
        .unwrap();
    env
}

#[test]
#[ignore = "needs moto_server: run by tests/compat/run (cargo xtask compat)"]
fn full_sequence_with_s3_on_moto() {
    let env = start("moto-full");
    let out = env.run(&["full", &(24u64 << 20).to_string()]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "driver failed:\n{text}\n--- plugin log\n{}",
        env.log_text()
    );
    assert!(text.contains("driver full: all steps passed"), "{text}");
    assert!(text.contains("data path s3"), "{text}");
    assert!(
        text.contains("checksum") && text.contains("verified"),
        "{text}"
    );
}

#[test]
#[ignore = "needs moto_server: run by tests/compat/run (cargo xtask compat)"]
fn checkpoint_resumed_by_another_media_server_with_s3_on_moto() {
    let env = start("moto-resume");
    let (model, bytes) = model_file(&env, "model", 24 * MIB, 16);
    // One completed segment, one whole part of the next (its upload stays open) and a tail:
    // the resume needs HEAD, ListParts of the open upload (moto lists no part checksums) and
    // the staged tail.
    let offset = SEGMENT + PART + 3 * MIB + 512;
    let mut a = env.worker(Media::A, &model);
    a.ok("create moto_ck");
    let acked = a.write_ok(0, offset, CALL);
    a.expect(
        "close-incomplete",
        EOK,
        "a checkpoint close of a healthy image",
    );
    a.quit();

    let mut b = env.worker(Media::B, &model);
    let p = b.ok("props moto_ck");
    if p.num("size") != acked || !p.flag("pending") {
        b.die(&format!(
            "another media server sees `{}`: expected Pending with imo_size {acked}",
            p.line
        ));
    }
    // The reopen needs ListParts of the open upload.
    resume_and_complete(&env, &mut b, "moto_ck", acked, 24 * MIB, CALL, &bytes);
    b.quit();
}

/// The same with S3 on moto: the checkpointed part inside a segment completed after the
/// checkpoint is carried into a new upload with UploadPartCopy (moto's checksums for copied
/// parts, or the checkpoint's), then completed again.
#[test]
#[ignore = "needs moto_server: run by tests/compat/run (cargo xtask compat)"]
fn a_checkpoint_whose_segment_completed_before_the_crash_resumes_on_moto() {
    let env = start("moto-carry");
    killed_after_the_checkpoint_segment_completed(&env, "moto_carry", |_, _| {});
}
