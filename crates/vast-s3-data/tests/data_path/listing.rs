//! Listing as a stream over continuation tokens, batched deletes, buckets and the multipart
//! orphan sweep.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::common;

use std::time::Duration;

use common::{Env, PART};
use futures::TryStreamExt as _;
use vast_s3_data::listing::{self, ListEntry, ListRequest};
use vast_s3_data::multipart::{StaleUploads, SweepMode};
use vast_s3_data::{buckets, delete, multipart, DataError, S3ClientBuilder};

#[tokio::test]
async fn listing_follows_continuation_tokens_and_deletes_go_in_batches() {
    let env = Env::start().await;
    let mut keys = Vec::new();
    for image in 0..3 {
        for seg in 0..9 {
            keys.push(format!("netbackup/img{image}/2026/data/{seg:06}"));
        }
        keys.push(format!("netbackup/img{image}/2026/metadata"));
    }
    for k in &keys {
        env.client
            .sdk()
            .put_object()
            .bucket(&env.bucket)
            .key(k)
            .body(k.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    // Pages of 4 keys: 30 objects need 8 pages, all streamed in order.
    let request = ListRequest {
        prefix: Some("netbackup/".into()),
        page_size: Some(4),
        ..ListRequest::default()
    };
    let got: Vec<ListEntry> = listing::list(&env.client, &env.bucket, request)
        .try_collect()
        .await
        .unwrap();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(
        got.iter().map(|e| e.name().to_owned()).collect::<Vec<_>>(),
        expected
    );
    assert!(matches!(&got[0], ListEntry::Object { size, .. } if *size == expected[0].len() as u64));

    // With a delimiter: the images come out as prefixes, across pages too.
    let request = ListRequest {
        prefix: Some("netbackup/".into()),
        delimiter: Some("/".into()),
        page_size: Some(2),
        ..ListRequest::default()
    };
    let got: Vec<ListEntry> = listing::list(&env.client, &env.bucket, request)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        got,
        (0..3)
            .map(|i| ListEntry::Prefix(format!("netbackup/img{i}/")))
            .collect::<Vec<_>>()
    );

    // Delete one image (segments + metadata), then the rest by prefix.
    let deleted = delete::delete_prefix(&env.client, &env.bucket, "netbackup/img1/")
        .await
        .unwrap();
    assert_eq!(deleted, 10);
    assert!(
        listing::list_keys(&env.client, &env.bucket, "netbackup/img1/")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        listing::list_keys(&env.client, &env.bucket, "netbackup/")
            .await
            .unwrap()
            .len(),
        20
    );
    // One key goes alone (DeleteObject); a key that does not exist is fine there too.
    let mut batch = listing::list_keys(&env.client, &env.bucket, "netbackup/")
        .await
        .unwrap();
    let one = batch.pop().unwrap();
    for _ in 0..2 {
        assert_eq!(
            delete::delete_keys(&env.client, &env.bucket, std::slice::from_ref(&one))
                .await
                .unwrap(),
            1
        );
    }
    // Keys that do not exist are fine.
    batch.push("netbackup/never-existed".into());
    assert_eq!(
        delete::delete_keys(&env.client, &env.bucket, &batch)
            .await
            .unwrap(),
        20
    );
    assert!(listing::list_keys(&env.client, &env.bucket, "")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn bucket_lifecycle_and_tags() {
    let env = Env::start().await;
    let b = "nbu-lsu-2";
    assert!(!buckets::exists(&env.client, b).await.unwrap());
    buckets::create(&env.client, b).await.unwrap();
    buckets::create(&env.client, b).await.unwrap();
    assert!(buckets::exists(&env.client, b).await.unwrap());
    assert!(buckets::get_tags(&env.client, b).await.unwrap().is_empty());
    let tags = vec![
        ("owner".to_owned(), "netbackup".to_owned()),
        ("lsu".to_owned(), "2".to_owned()),
    ];
    buckets::put_tags(&env.client, b, &tags).await.unwrap();
    let mut got = buckets::get_tags(&env.client, b).await.unwrap();
    got.sort();
    let mut want = tags.clone();
    want.sort();
    assert_eq!(got, want);
    buckets::delete(&env.client, b).await.unwrap();
    assert!(!buckets::exists(&env.client, b).await.unwrap());
}

#[tokio::test]
async fn stale_multipart_uploads_are_listed_and_aborted_under_a_prefix() {
    let env = Env::start().await;
    let sdk = env.client.sdk();
    let mut ids = Vec::new();
    for key in [
        "netbackup/a/data/000000",
        "netbackup/b/data/000000",
        "other/c",
    ] {
        let id = sdk
            .create_multipart_upload()
            .bucket(&env.bucket)
            .key(key)
            .send()
            .await
            .unwrap()
            .upload_id
            .unwrap();
        sdk.upload_part()
            .bucket(&env.bucket)
            .key(key)
            .upload_id(&id)
            .part_number(1)
            .body(vec![1u8; PART as usize].into())
            .send()
            .await
            .unwrap();
        ids.push(id);
    }
    let listed = multipart::list_uploads(&env.client, &env.bucket, "netbackup/")
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    let parts = multipart::list_parts(
        &env.client,
        &env.bucket,
        &listed[0].key,
        &listed[0].upload_id,
    )
    .await
    .unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].size, PART);

    // Nothing is older than an hour ago.
    let hour_old = StaleUploads::older_than("netbackup/", Duration::from_secs(3600));
    for mode in [SweepMode::DryRun, SweepMode::Abort] {
        assert!(
            multipart::sweep_stale(&env.client, &env.bucket, &hour_old, mode)
                .await
                .unwrap()
                .is_empty()
        );
    }
    // Any age, but `netbackup/b/` is kept: the dry run names what the sweep then aborts.
    let which = StaleUploads {
        prefix: "netbackup/".to_owned(),
        cutoff: None,
        keep: vec!["netbackup/b/".to_owned()],
    };
    let preview = multipart::sweep_stale(&env.client, &env.bucket, &which, SweepMode::DryRun)
        .await
        .unwrap();
    assert_eq!(
        multipart::list_uploads(&env.client, &env.bucket, "netbackup/")
            .await
            .unwrap()
            .len(),
        2,
        "a dry run aborts nothing"
    );
    let aborted = multipart::sweep_stale(&env.client, &env.bucket, &which, SweepMode::Abort)
        .await
        .unwrap();
    assert_eq!(preview, aborted);
    assert_eq!(aborted.len(), 1);
    assert_eq!(aborted[0].key, "netbackup/a/data/000000");
    let which = StaleUploads {
        keep: Vec::new(),
        ..which
    };
    let aborted = multipart::sweep_stale(&env.client, &env.bucket, &which, SweepMode::Abort)
        .await
        .unwrap();
    assert_eq!(aborted.len(), 1);
    assert!(
        multipart::list_uploads(&env.client, &env.bucket, "netbackup/")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        multipart::list_uploads(&env.client, &env.bucket, "")
            .await
            .unwrap()
            .len(),
        1,
        "other prefixes untouched"
    );
}

#[tokio::test]
async fn credentials_swap_at_run_time() {
    let env = Env::start().await;
    // A key rotation: a new key is issued over VMS, the client switches to it while in use,
    // then the old key is revoked.
    let client = env.client.clone();
    let (new_ak, new_sk) = env.issue_key().await;
    client.set_credentials(&new_ak, &new_sk);
    env.revoke_key(&env.access_key).await;
    assert_eq!(env.client.access_key(), new_ak, "clones share the keys");
    assert!(buckets::exists(&env.client, &env.bucket).await.unwrap());

    // A client on the revoked key is refused, without the secret in the error.
    let old = S3ClientBuilder::new(&env.url, &env.access_key, &env.secret_key)
        .max_attempts(1)
        .build()
        .unwrap();
    let err = buckets::exists(&old, &env.bucket).await.unwrap_err();
    assert!(
        matches!(
            err,
            DataError::S3 {
                status: Some(403),
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains(&env.secret_key));
    assert!(!format!("{old:?}").contains(&env.secret_key));
    // ... until it is given the current key.
    old.set_credentials(&new_ak, &new_sk);
    assert!(buckets::exists(&old, &env.bucket).await.unwrap());
}
