//! Small images with few requests (issue 19), and what that must not cost: a create whose
//! lease is surely its own writes without reading its descriptor back, but a handle past that
//! window, or on a cluster without atomic creates, still reads it and stops when another
//! writer holds the image; a Complete image deleted by its known keys leaves nothing, and what
//! a crash left beside it (an upload) goes with the sweep.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::*;
use ost_core::{CloseFlags, CopyRequest, CreateFlags, ImageFilter, OpenMode};
use ost_model::{LsuName, OstError};

const DESC: &str = "netbackup/x/20261125120000/metadata";

fn all() -> ImageFilter {
    ImageFilter {
        include_pending: true,
        ..ImageFilter::default()
    }
}

/// Replaces the writer lease of the stored descriptor of `x` with another writer's, as a
/// writer that took the image over (or won a create race) would have stored it.
fn forge_other_writer(env: &Env, l: &LsuName) {
    let bytes = env.s3_get(l.as_str(), DESC).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let lease = v
        .get_mut("writer_lease")
        .and_then(|l| l.as_object_mut())
        .expect("the descriptor carries a writer lease");
    lease.insert("writer_id".to_owned(), "elsewhere:1:1.0:0".into());
    lease.insert("host".to_owned(), "elsewhere".into());
    env.s3_put(l.as_str(), DESC, &serde_json::to_vec(&v).unwrap());
}

fn state_of(env: &Env, l: &LsuName) -> String {
    let v: serde_json::Value =
        serde_json::from_slice(&env.s3_get(l.as_str(), DESC).unwrap()).unwrap();
    v["state"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn a_handle_past_its_sure_window_reads_its_lease_back_and_stops_when_another_holds_it() {
    let env = Env::start();
    // A lease of 2 s: surely ours for (2 - 1) / 2 = 0.5 s after each renewal.
    let p = env.plugin_with(|c| c.writer_lease_secs = 2);
    let s = env.open(&p);
    let l = default_lsu();
    let h = p
        .create_image(s, &l, &image("x"), CreateFlags::empty())
        .unwrap();
    p.write_image(h, 0, &data(4096, 1)).unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    forge_other_writer(&env, &l);
    let err = p.close_image(h, CloseFlags::IH_COMPLETE).unwrap_err();
    assert!(matches!(err, OstError::Busy { .. }), "{err:?}");
    assert_eq!(
        state_of(&env, &l),
        "pending",
        "the other writer's image is untouched"
    );
}

#[test]
fn without_atomic_creates_every_descriptor_write_reads_the_lease_back() {
    let env = Env::start_configured(|c| c.conditional_create = vast_sim::ConditionalCreate::Ignore);
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    // The capabilities are probed before the first write.
    let h = p
        .create_image(s, &l, &image("warm"), CreateFlags::empty())
        .unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    // Two creators may both see their own descriptor: the later one's lease is stored.
    let h = p
        .create_image(s, &l, &image("x"), CreateFlags::empty())
        .unwrap();
    p.write_image(h, 0, &data(4096, 1)).unwrap();
    forge_other_writer(&env, &l);
    let err = p.close_image(h, CloseFlags::IH_COMPLETE).unwrap_err();
    assert!(matches!(err, OstError::Busy { .. }), "{err:?}");
    assert_eq!(state_of(&env, &l), "pending");
}

#[test]
fn two_creates_of_one_image_exactly_one_wins_and_completes() {
    let env = Env::start();
    let a = env.plugin();
    let b = env.plugin_at(env.dir.path().join("state-b"), |_| {});
    let (sa, sb) = (env.open(&a), env.open(&b));
    let l = default_lsu();
    let ha = a
        .create_image(sa, &l, &image("x"), CreateFlags::empty())
        .unwrap();
    let lost = b
        .create_image(sb, &l, &image("x"), CreateFlags::empty())
        .unwrap_err();
    assert!(matches!(lost, OstError::AlreadyExists { .. }), "{lost:?}");
    a.write_image(ha, 0, &data(4096, 1)).unwrap();
    a.close_image(ha, CloseFlags::IH_COMPLETE).unwrap();
    let again = b
        .create_image(sb, &l, &image("x"), CreateFlags::empty())
        .unwrap_err();
    assert!(matches!(again, OstError::AlreadyExists { .. }), "{again:?}");
    assert_eq!(state_of(&env, &l), "complete");
}

#[test]
fn a_delete_by_known_keys_leaves_nothing_and_the_sweep_takes_a_crash_leftover_upload() {
    let env = Env::start();
    let p = env.plugin_with(|c| c.orphan_age_secs = 1);
    let s = env.open(&p);
    let l = default_lsu();
    let bucket = l.to_string();
    assert!(p.list_images(s, &l, &all()).unwrap().is_empty());
    let h = p
        .create_image(s, &l, &image("x"), CreateFlags::empty())
        .unwrap();
    p.write_image(h, 0, &data(4096, 1)).unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    p.write_image_meta(s, &l, &id("x"), 0, b"nb").unwrap();
    // What a retried CreateMultipartUpload may leave: an upload nobody finishes.
    env.start_upload(&bucket, "netbackup/x/20261125120000/data/000001");

    let lists = env.counter("s3.op.ListObjectsV2") + env.counter("s3.op.ListMultipartUploads");
    p.delete_image(s, &l, &id("x")).unwrap();
    assert_eq!(
        env.counter("s3.op.ListObjectsV2") + env.counter("s3.op.ListMultipartUploads"),
        lists,
        "a delete by known keys lists nothing"
    );
    assert!(env.s3_keys(&bucket, "netbackup/x/").is_empty());
    assert!(env.s3_keys(&bucket, "netbackup-list/x/").is_empty());
    assert!(p.list_images(s, &l, &all()).unwrap().is_empty());
    assert_eq!(env.s3_uploads(&bucket, "netbackup/x/"), 1);

    std::thread::sleep(Duration::from_millis(2100));
    p.sweep_orphans(s).unwrap();
    assert_eq!(env.s3_uploads(&bucket, "netbackup/x/"), 0);
}

#[test]
fn a_checkpointed_image_and_its_copy_are_deleted_whole() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let bucket = l.to_string();
    // Checkpointed with a staged tail, resumed, completed: its keys are listed at delete.
    let h = p
        .create_image(s, &l, &image("x"), CreateFlags::empty())
        .unwrap();
    p.write_image(h, 0, &data(4096, 1)).unwrap();
    p.close_image(h, CloseFlags::empty()).unwrap();
    let h = p.open_image(s, &l, &id("x"), OpenMode::WRITE).unwrap();
    p.write_image(h, 4096, &data(4096, 2)).unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    // A staged tail whose removal failed stays beside the image.
    env.s3_put(
        &bucket,
        "netbackup/x/20261125120000/tail/00000000000000000000",
        b"old",
    );
    p.delete_image(s, &l, &id("x")).unwrap();
    assert!(env.s3_keys(&bucket, "netbackup/x/").is_empty());
    assert!(env.s3_keys(&bucket, "netbackup-list/x/").is_empty());

    // A copy of an image written in one go is deleted by its known keys, and whole.
    let h = p
        .create_image(s, &l, &image("src"), CreateFlags::empty())
        .unwrap();
    p.write_image(h, 0, &data(4096, 3)).unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    p.write_image_meta(s, &l, &id("src"), 0, b"nb").unwrap();
    let req = CopyRequest {
        src_lsu: l.clone(),
        src: id("src"),
        dst_lsu: l.clone(),
        dst: image("dst"),
    };
    p.copy_image(s, &req).unwrap();
    p.delete_image(s, &l, &id("dst")).unwrap();
    assert!(env.s3_keys(&bucket, "netbackup/dst/").is_empty());
    assert!(env.s3_keys(&bucket, "netbackup-list/dst/").is_empty());
    assert_eq!(p.list_images(s, &l, &all()).unwrap().len(), 1);
}
