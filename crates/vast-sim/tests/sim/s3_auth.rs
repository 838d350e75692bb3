//! SigV4 against the VMS side's keys: wrong secret, unknown or disabled key, anonymous.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves
use crate::s3_common as common;

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

/// VAST's keys are base64 with `/` and `+` (VAST's own example `2h/MzqtiTQSVl8J/4wsDbg==`). A
/// client signing with such a key (and a secret with `/` and `+`) is served, header-signed and
/// with aws-chunked (streaming) uploads alike, and its signature is still checked.
#[tokio::test]
async fn keys_with_slash_and_plus_sign_like_any_other() {
    const VAST_AK: &str = "2h/MzqtiTQSVl8J/4wsD+g==";
    const VAST_SK: &str = "q+9/Zt0oVb4D8yJ/7kXw+1mNcP2rS5uTvW3xY6zA0B8=";
    let sim = S3Sim::start().await;
    sim.control.add_user("carol", VAST_AK, VAST_SK, true, true);
    let s3 = sim.client_as(VAST_AK, VAST_SK);
    s3.create_bucket().bucket("slashkey").send().await.unwrap();
    let body = bytes(6 << 20, 7);
    s3.put_object()
        .bucket("slashkey")
        .key("a/b")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let back = s3
        .get_object()
        .bucket("slashkey")
        .key("a/b")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(back.as_ref(), body.as_slice());
    let listed = s3
        .list_objects_v2()
        .bucket("slashkey")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(1));
    assert_eq!(sim.control.created.lock().unwrap()[0].1, "carol");

    let forged = sim.client_as(VAST_AK, "q+9/Zt0oVb4D8yJ/7kXw+1mNcP2rS5uTvW3xY6zA0B9=");
    let err = forged
        .list_objects_v2()
        .bucket("slashkey")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (status(&err), code(&err)),
        (403, "SignatureDoesNotMatch".to_owned())
    );
    // The same key with its `/` changed is another, unknown key.
    let other = sim.client_as("2h_MzqtiTQSVl8J/4wsD+g==", VAST_SK);
    let err = other.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidAccessKeyId");
}
