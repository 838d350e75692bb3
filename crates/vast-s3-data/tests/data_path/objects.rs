//! Small objects stored and read whole, with ETag conditions, and the S3 cause in their errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use bytes::Bytes;
use common::Env;
use vast_s3_data::objects::{self, PutCondition};
use vast_s3_data::DataError;
use vast_sim::faults::{FaceFaults, FaultConfig};

#[tokio::test]
async fn create_only_refuses_an_existing_object_and_if_match_a_changed_one() {
    let env = Env::start().await;
    let (c, b, key) = (&env.client, env.bucket.as_str(), "netbackup/img/desc.json");
    assert_eq!(objects::get(c, b, key, None).await.unwrap(), None);

    objects::put(
        c,
        b,
        key,
        Bytes::from_static(b"v1"),
        &PutCondition::CreateOnly,
    )
    .await
    .unwrap();
    let err = objects::put(
        c,
        b,
        key,
        Bytes::from_static(b"v2"),
        &PutCondition::CreateOnly,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DataError::AlreadyExists { .. }), "{err}");
    let v1 = objects::get(c, b, key, None).await.unwrap().unwrap();
    assert_eq!(v1.data, "v1");
    let etag1 = v1.etag.clone().expect("the sim sends ETags");

    // Replace the version read, then a writer still holding that version loses.
    objects::put(
        c,
        b,
        key,
        Bytes::from_static(b"v2"),
        &PutCondition::IfMatch(etag1.clone()),
    )
    .await
    .unwrap();
    let err = objects::put(
        c,
        b,
        key,
        Bytes::from_static(b"v3"),
        &PutCondition::IfMatch(etag1.clone()),
    )
    .await
    .unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");
    assert!(
        !matches!(err, DataError::AlreadyExists { .. }),
        "not a create: {err}"
    );
    let v2 = objects::get(c, b, key, None).await.unwrap().unwrap();
    assert_eq!(v2.data, "v2");
    assert_ne!(v2.etag.as_deref(), Some(etag1.as_str()));

    // A read of a known version: the current one is served, the old one refused.
    let again = objects::get(c, b, key, v2.etag.as_deref())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, v2);
    let err = objects::get(c, b, key, Some(&etag1)).await.unwrap_err();
    assert!(err.is_precondition_failed(), "{err}");

    // Always replaces whatever is there.
    objects::put(c, b, key, Bytes::from_static(b"v4"), &PutCondition::Always)
        .await
        .unwrap();
    assert_eq!(
        objects::get(c, b, key, None).await.unwrap().unwrap().data,
        "v4"
    );
}

#[tokio::test]
async fn an_s3_error_names_the_call_the_object_the_code_and_the_status() {
    let env = Env::start().await;
    env.faults.set(FaultConfig {
        s3: FaceFaults {
            error_rate: 1.0,
            error_status: 400,
            error_code: Some("EntityTooLarge".to_owned()),
            ..FaceFaults::default()
        },
        ..FaultConfig::default()
    });
    let err = objects::put(
        &env.client,
        &env.bucket,
        "k",
        Bytes::from_static(b"x"),
        &PutCondition::Always,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("EntityTooLarge"));
    assert_eq!(err.status(), Some(400));
    let text = err.to_string();
    for part in [
        "PutObject",
        "nbu-data/k",
        "EntityTooLarge",
        "HTTP 400",
        "Injected by vast-sim",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
}
