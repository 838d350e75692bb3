//! SigV4 against the VMS side's keys: wrong secret, unknown or disabled key, anonymous.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves
#[path = "s3_common/mod.rs"]
mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::*;

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let sim = S3Sim::start().await;
    sim.bucket("authb").await;
    let s3 = sim.client_as(AK, "not-the-secret");
    let err = s3
        .list_objects_v2()
        .bucket("authb")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (status(&err), code(&err)),
        (403, "SignatureDoesNotMatch".to_owned())
    );
    let err = s3
        .put_object()
        .bucket("authb")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "SignatureDoesNotMatch");
    assert!(sim.faults.counter("s3.error.SignatureDoesNotMatch") >= 2);
    assert_eq!(sim.store_usage("authb"), (0, 0));
}

#[tokio::test]
async fn unknown_and_disabled_keys_are_invalid() {
    let sim = S3Sim::start().await;
    sim.bucket("authk").await;
    let unknown = sim.client_as("AKIDNOBODY00000000000000", "whatever");
    let err = unknown.list_buckets().send().await.unwrap_err();
    assert_eq!(
        (status(&err), code(&err)),
        (403, "InvalidAccessKeyId".to_owned())
    );

    let alice = sim.client();
    alice.list_buckets().send().await.unwrap();
    sim.control.disabled.lock().unwrap().insert(AK.to_owned());
    let err = alice
        .list_objects_v2()
        .bucket("authk")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidAccessKeyId");
    sim.control.disabled.lock().unwrap().clear();
    alice
        .list_objects_v2()
        .bucket("authk")
        .send()
        .await
        .unwrap();
    assert!(sim.faults.counter("s3.error.InvalidAccessKeyId") >= 2);
}

#[tokio::test]
async fn anonymous_requests_are_denied() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("anon").await;
    s3.put_object()
        .bucket("anon")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/anon"),
        ("GET", "/anon/k"),
        ("PUT", "/anon/k2"),
    ] {
        let (status, body) = raw(sim.addr, method, path).await;
        assert_eq!(status, 403, "{method} {path}");
        assert!(
            body.contains("<Code>AccessDenied</Code>"),
            "{method} {path}: {body}"
        );
    }
    assert_eq!(sim.store_usage("anon"), (1, 1));
}
