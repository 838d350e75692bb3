//! Versioning and S3 object lock over real HTTP with the AWS SDK: what a ransomware attacker
//! holding a bucket's key can and cannot do to a locked version, governance bypass, compliance,
//! legal hold, default retention, the version listing, and a re-open keeping every version.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves
use crate::s3_common as common;

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    BucketVersioningStatus, DefaultRetention, Delete, ObjectIdentifier, ObjectLockConfiguration,
    ObjectLockEnabled, ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode,
    ObjectLockRetention, ObjectLockRetentionMode, ObjectLockRule, VersioningConfiguration,
};
use common::*;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A bucket created with `x-amz-bucket-object-lock-enabled: true`.
async fn lock_bucket(sim: &S3Sim, name: &str) -> aws_sdk_s3::Client {
    let s3 = sim.client();
    s3.create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    s3
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &[u8]) -> String {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned()
}

async fn lock(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    version: &str,
    mode: &str,
    until: i64,
) {
    s3.put_object_retention()
        .bucket(bucket)
        .key(key)
        .version_id(version)
        .retention(
            ObjectLockRetention::builder()
                .mode(ObjectLockRetentionMode::from(mode))
                .retain_until_date(DateTime::from_secs(until))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

async fn versions(s3: &aws_sdk_s3::Client, bucket: &str) -> (usize, usize) {
    let out = s3
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    (out.versions().len(), out.delete_markers().len())
}

#[tokio::test]
async fn a_locked_version_survives_deletes_and_overwrites_until_its_date() {
    let sim = S3Sim::start().await;
    let s3 = lock_bucket(&sim, "worm").await;
    let v1 = put(&s3, "worm", "img/data", b"backup bytes").await;
    lock(&s3, "worm", "img/data", &v1, "COMPLIANCE", now() + 3).await;

    // The attacker's overwrite adds a version; a plain delete adds a marker: v1 stays.
    put(&s3, "worm", "img/data", b"ransom").await;
    s3.delete_object()
        .bucket("worm")
        .key("img/data")
        .send()
        .await
        .unwrap();
    assert_eq!(versions(&s3, "worm").await, (2, 1));
    // Removing v1 by id is refused, with or without the bypass (compliance).
    for bypass in [false, true] {
        let err = s3
            .delete_object()
            .bucket("worm")
            .key("img/data")
            .version_id(&v1)
            .set_bypass_governance_retention(bypass.then_some(true))
            .send()
            .await
            .unwrap_err();
        assert_eq!(status(&err), 403);
        assert_eq!(code(&err), "AccessDenied");
    }
    // So is shortening its retention.
    let err = s3
        .put_object_retention()
        .bucket("worm")
        .key("img/data")
        .version_id(&v1)
        .retention(
            ObjectLockRetention::builder()
                .mode(ObjectLockRetentionMode::Compliance)
                .retain_until_date(DateTime::from_secs(now() + 1))
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    let got = s3
        .get_object()
        .bucket("worm")
        .key("img/data")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(got.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"backup bytes");

    // After the date every version and marker can go, leaving nothing.
    tokio::time::sleep(std::time::Duration::from_millis(3_200)).await;
    let out = s3
        .list_object_versions()
        .bucket("worm")
        .send()
        .await
        .unwrap();
    let ids: Vec<ObjectIdentifier> = out
        .versions()
        .iter()
        .map(|v| (v.key().unwrap(), v.version_id().unwrap()))
        .chain(
            out.delete_markers()
                .iter()
                .map(|m| (m.key().unwrap(), m.version_id().unwrap())),
        )
        .map(|(k, v)| {
            ObjectIdentifier::builder()
                .key(k)
                .version_id(v)
                .build()
                .unwrap()
        })
        .collect();
    let done = s3
        .delete_objects()
        .bucket("worm")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    assert!(done.errors().is_empty(), "{:?}", done.errors());
    assert_eq!(versions(&s3, "worm").await, (0, 0));
    assert_eq!(sim.store_usage("worm").0, 0);
}

#[tokio::test]
async fn governance_yields_only_to_the_bypass() {
    let sim = S3Sim::start().await;
    let s3 = lock_bucket(&sim, "gov").await;
    let v = put(&s3, "gov", "k", b"x").await;
    lock(&s3, "gov", "k", &v, "GOVERNANCE", now() + 3600).await;
    let err = s3
        .delete_object()
        .bucket("gov")
        .key("k")
        .version_id(&v)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    s3.delete_object()
        .bucket("gov")
        .key("k")
        .version_id(&v)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    assert_eq!(versions(&s3, "gov").await, (0, 0));
}

#[tokio::test]
async fn a_legal_hold_blocks_removal_until_released() {
    let sim = S3Sim::start().await;
    let s3 = lock_bucket(&sim, "hold").await;
    let v = put(&s3, "hold", "k", b"x").await;
    let hold = |on| {
        s3.put_object_legal_hold()
            .bucket("hold")
            .key("k")
            .version_id(&v)
            .legal_hold(ObjectLockLegalHold::builder().status(on).build())
            .send()
    };
    hold(ObjectLockLegalHoldStatus::On).await.unwrap();
    let err = s3
        .delete_object()
        .bucket("hold")
        .key("k")
        .version_id(&v)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    hold(ObjectLockLegalHoldStatus::Off).await.unwrap();
    s3.delete_object()
        .bucket("hold")
        .key("k")
        .version_id(&v)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn lock_headers_and_default_retention_lock_new_versions() {
    let sim = S3Sim::start().await;
    let s3 = lock_bucket(&sim, "dflt").await;
    let put_locked = s3
        .put_object()
        .bucket("dflt")
        .key("a")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(DateTime::from_secs(now() + 60))
        .body(ByteStream::from_static(b"a"))
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("dflt")
        .key("a")
        .version_id(put_locked.version_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Governance));

    s3.put_object_lock_configuration()
        .bucket("dflt")
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::Compliance)
                                .days(1)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let v = put(&s3, "dflt", "b", b"b").await;
    let r = s3
        .get_object_retention()
        .bucket("dflt")
        .key("b")
        .version_id(&v)
        .send()
        .await
        .unwrap();
    let r = r.retention().unwrap();
    assert_eq!(r.mode(), Some(&ObjectLockRetentionMode::Compliance));
    let until = r.retain_until_date().unwrap().secs();
    assert!((now() + 86_400 - until).abs() < 60, "{until}");

    // A bucket without object lock refuses lock headers, and suspending versioning of a lock
    // bucket is refused.
    let plain = sim.bucket("plain").await;
    let err = plain
        .put_object()
        .bucket("plain")
        .key("a")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(DateTime::from_secs(now() + 60))
        .body(ByteStream::from_static(b"a"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    let err = s3
        .put_bucket_versioning()
        .bucket("dflt")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidBucketState");
}

#[tokio::test]
async fn versions_and_locks_survive_a_restart() {
    let sim = S3Sim::start().await;
    let s3 = lock_bucket(&sim, "keep").await;
    let v1 = put(&s3, "keep", "k", b"one").await;
    lock(&s3, "keep", "k", &v1, "COMPLIANCE", now() + 3600).await;
    put(&s3, "keep", "k", b"two").await;
    s3.delete_object()
        .bucket("keep")
        .key("k")
        .send()
        .await
        .unwrap();
    let (dir, control) = sim.stop();
    let sim = S3Sim::start_in(dir, control).await;
    let s3 = sim.client();
    assert_eq!(versions(&s3, "keep").await, (2, 1));
    let err = s3
        .get_object()
        .bucket("keep")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    let err = s3
        .delete_object()
        .bucket("keep")
        .key("k")
        .version_id(&v1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
}
