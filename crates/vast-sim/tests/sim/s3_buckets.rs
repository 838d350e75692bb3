//! Buckets over S3 and through the data plane: create, list, head, location, delete, tagging,
//! permissions and the control-plane callbacks.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves
use crate::s3_common as common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};
use common::*;
use vast_sim::control::{DataPlane, DataPlaneError};

#[tokio::test]
async fn create_list_head_delete() {
    let sim = S3Sim::start().await;
    let s3 = sim.client();
    s3.create_bucket().bucket("alpha").send().await.unwrap();
    s3.create_bucket().bucket("beta").send().await.unwrap();
    assert_eq!(
        *sim.control.created.lock().unwrap(),
        [
            ("alpha".to_owned(), "alice".to_owned()),
            ("beta".to_owned(), "alice".to_owned())
        ]
    );
    let list = s3.list_buckets().send().await.unwrap();
    let names: Vec<_> = list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert!(list.buckets()[0].creation_date().is_some());

    s3.head_bucket().bucket("alpha").send().await.unwrap();
    let location = s3
        .get_bucket_location()
        .bucket("alpha")
        .send()
        .await
        .unwrap();
    assert!(location
        .location_constraint()
        .is_none_or(|c| c.as_str().is_empty()));
    let err = s3.head_bucket().bucket("gamma").send().await.unwrap_err();
    assert_eq!(status(&err), 404);

    let err = s3.create_bucket().bucket("alpha").send().await.unwrap_err();
    assert_eq!(code(&err), "BucketAlreadyOwnedByYou");

    s3.delete_bucket().bucket("beta").send().await.unwrap();
    assert_eq!(*sim.control.deleted.lock().unwrap(), ["beta"]);
    let list = s3.list_buckets().send().await.unwrap();
    let names: Vec<_> = list.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha"]);
    let err = s3.delete_bucket().bucket("beta").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn delete_needs_an_empty_bucket() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("full").await;
    s3.put_object()
        .bucket("full")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let err = s3.delete_bucket().bucket("full").send().await.unwrap_err();
    assert_eq!(code(&err), "BucketNotEmpty");
    s3.delete_object()
        .bucket("full")
        .key("k")
        .send()
        .await
        .unwrap();

    // An open multipart upload also keeps the bucket.
    let upload = s3
        .create_multipart_upload()
        .bucket("full")
        .key("mp")
        .send()
        .await
        .unwrap();
    let err = s3.delete_bucket().bucket("full").send().await.unwrap_err();
    assert_eq!(code(&err), "BucketNotEmpty");
    assert_eq!(
        sim.store.delete_bucket("full"),
        Err(DataPlaneError::BucketNotEmpty("full".into()))
    );
    s3.abort_multipart_upload()
        .bucket("full")
        .key("mp")
        .upload_id(upload.upload_id().unwrap())
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket("full").send().await.unwrap();
}

#[tokio::test]
async fn permissions_for_bucket_creation_deletion_and_access() {
    let sim = S3Sim::start().await;
    let alice = sim.bucket("alices").await;
    let bob = sim.client_as(AK_BOB, SK_BOB);
    // bob may not create or delete buckets, nor touch alice's.
    let err = bob.create_bucket().bucket("bobs").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    assert!(sim.store.bucket_usage("bobs").is_none());
    let err = bob
        .put_object()
        .bucket("alices")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err)), (403, "AccessDenied".to_owned()));
    let err = bob
        .list_objects_v2()
        .bucket("alices")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // bob does not see alice's bucket in his list.
    assert!(bob
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .is_empty());
    // A bucket made by the VMS side and granted to bob.
    sim.store.create_bucket("granted").unwrap();
    sim.control.grant("bob", "granted");
    bob.put_object()
        .bucket("granted")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let err = bob.delete_object().bucket("granted").key("k").send().await;
    assert!(err.is_ok());
    let err = bob
        .delete_bucket()
        .bucket("granted")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // Copying from a bucket bob may not read is refused.
    alice
        .put_object()
        .bucket("alices")
        .key("secret")
        .body(ByteStream::from_static(b"s"))
        .send()
        .await
        .unwrap();
    let err = bob
        .copy_object()
        .bucket("granted")
        .key("stolen")
        .copy_source("alices/secret")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // Bucket names are unique cluster-wide.
    let err = alice
        .create_bucket()
        .bucket("granted")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "BucketAlreadyExists");
    assert_eq!(
        sim.store.create_bucket("alices"),
        Err(DataPlaneError::BucketExists("alices".into()))
    );
}

#[tokio::test]
async fn bucket_tagging() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("tagged").await;
    let err = s3
        .get_bucket_tagging()
        .bucket("tagged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchTagSet");
    let tagging = Tagging::builder()
        .tag_set(Tag::builder().key("team").value("backup").build().unwrap())
        .tag_set(Tag::builder().key("tier").value("gold").build().unwrap())
        .build()
        .unwrap();
    s3.put_bucket_tagging()
        .bucket("tagged")
        .tagging(tagging)
        .send()
        .await
        .unwrap();
    let got = s3
        .get_bucket_tagging()
        .bucket("tagged")
        .send()
        .await
        .unwrap();
    let tags: Vec<_> = got.tag_set().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [("team", "backup"), ("tier", "gold")]);
    s3.delete_bucket_tagging()
        .bucket("tagged")
        .send()
        .await
        .unwrap();
    let err = s3
        .get_bucket_tagging()
        .bucket("tagged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchTagSet");
}

#[tokio::test]
async fn usage_counts_completed_objects() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("usage").await;
    assert_eq!(sim.store_usage("usage"), (0, 0));
    s3.put_object()
        .bucket("usage")
        .key("a")
        .body(ByteStream::from(vec![0; 1000]))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("usage")
        .key("b")
        .body(ByteStream::from(vec![0; 500]))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.store_usage("usage"), (1500, 2));
    s3.put_object()
        .bucket("usage")
        .key("a")
        .body(ByteStream::from(vec![0; 10]))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.store_usage("usage"), (510, 2));
    assert!(sim.store.bucket_usage("none").is_none());
}
