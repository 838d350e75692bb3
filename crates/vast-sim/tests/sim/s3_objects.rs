//! Objects over real HTTP with the AWS SDK: put/get/head/delete, ranges, metadata, copies,
//! conditional writes, checksums.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves
use crate::s3_common as common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumMode, Delete, MetadataDirective, ObjectIdentifier};
use common::*;

#[tokio::test]
async fn put_get_head_delete_round_trip() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("objs").await;
    let data = bytes(3 * 1024 * 1024 + 17, 1);
    let put = s3
        .put_object()
        .bucket("objs")
        .key("dir/a.bin")
        .content_type("application/x-test")
        .metadata("origin", "unit")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.e_tag(),
        Some(format!("\"{}\"", md5_hex(&data)).as_str())
    );

    let got = s3
        .get_object()
        .bucket("objs")
        .key("dir/a.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some(data.len() as i64));
    assert_eq!(got.content_type(), Some("application/x-test"));
    assert_eq!(
        got.metadata().unwrap().get("origin").map(String::as_str),
        Some("unit")
    );
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.as_ref(), data.as_slice());

    let head = s3
        .head_object()
        .bucket("objs")
        .key("dir/a.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(data.len() as i64));
    assert_eq!(head.e_tag(), put.e_tag());

    s3.delete_object()
        .bucket("objs")
        .key("dir/a.bin")
        .send()
        .await
        .unwrap();
    let err = s3
        .head_object()
        .bucket("objs")
        .key("dir/a.bin")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 404);
    let err = s3
        .get_object()
        .bucket("objs")
        .key("dir/a.bin")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    // Deleting a missing key succeeds, as on S3.
    s3.delete_object()
        .bucket("objs")
        .key("dir/a.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(sim.faults.counter("s3.op.PutObject"), 1);
    // The HEAD and the GET of the deleted key.
    assert_eq!(sim.faults.counter("s3.error.NoSuchKey"), 2);
}

#[tokio::test]
async fn empty_object_and_missing_bucket() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("empty").await;
    s3.put_object()
        .bucket("empty")
        .key("zero")
        .body(ByteStream::from(Vec::new()))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("empty")
        .key("zero")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some(0));
    assert!(got.body.collect().await.unwrap().into_bytes().is_empty());
    let err = s3
        .put_object()
        .bucket("nobucket")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn ranged_gets() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("ranges").await;
    let data = bytes(1000, 2);
    s3.put_object()
        .bucket("ranges")
        .key("r")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    for (range, want) in [
        ("bytes=10-19", &data[10..20]),
        ("bytes=990-", &data[990..]),
        ("bytes=-5", &data[995..]),
        ("bytes=995-5000", &data[995..]),
    ] {
        let got = s3
            .get_object()
            .bucket("ranges")
            .key("r")
            .range(range)
            .send()
            .await
            .unwrap();
        assert_eq!(got.content_length(), Some(want.len() as i64), "{range}");
        assert!(got.content_range().unwrap().ends_with("/1000"), "{range}");
        let body = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(body.as_ref(), want, "{range}");
    }
    let err = s3
        .get_object()
        .bucket("ranges")
        .key("r")
        .range("bytes=1000-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 416);
    assert_eq!(code(&err), "InvalidRange");
}

#[tokio::test]
async fn conditional_create_is_race_safe() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("cond").await;
    let mut tasks = Vec::new();
    for i in 0..8u8 {
        let s3 = s3.clone();
        tasks.push(tokio::spawn(async move {
            s3.put_object()
                .bucket("cond")
                .key("once")
                .if_none_match("*")
                .body(ByteStream::from(bytes(256 * 1024, i)))
                .send()
                .await
                .map(|out| (i, out.e_tag().unwrap().to_owned()))
                .map_err(|e| (status(&e), code(&e)))
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(win) => winners.push(win),
            Err((status, code)) => {
                assert_eq!(status, 412);
                assert_eq!(code, "PreconditionFailed");
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one conditional create wins");
    let (seed, etag) = &winners[0];
    let got = s3
        .get_object()
        .bucket("cond")
        .key("once")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.as_ref(), bytes(256 * 1024, *seed).as_slice());
    assert_eq!(sim.store_usage("cond"), (256 * 1024, 1));
    assert_eq!(sim.tmp_files(), 0);
}

#[tokio::test]
async fn if_match_compares_etags() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("ifm").await;
    let first = s3
        .put_object()
        .bucket("ifm")
        .key("k")
        .body(ByteStream::from_static(b"one"))
        .send()
        .await
        .unwrap();
    let err = s3
        .put_object()
        .bucket("ifm")
        .key("k")
        .if_match("\"0123456789abcdef0123456789abcdef\"")
        .body(ByteStream::from_static(b"two"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "PreconditionFailed");
    s3.put_object()
        .bucket("ifm")
        .key("k")
        .if_match(first.e_tag().unwrap())
        .body(ByteStream::from_static(b"two"))
        .send()
        .await
        .unwrap();
    let err = s3
        .get_object()
        .bucket("ifm")
        .key("k")
        .if_match(first.e_tag().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
}

#[tokio::test]
async fn sdk_default_checksums_are_verified_and_stored() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("sums").await;
    let data = bytes(2 * 1024 * 1024 + 3, 5);
    let put = s3
        .put_object()
        .bucket("sums")
        .key("c")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    // The SDK's default is a CRC32 (sent as an aws-chunked trailer over plain HTTP).
    assert_eq!(put.checksum_crc32(), Some(crc32_b64(&data).as_str()));
    let head = s3
        .head_object()
        .bucket("sums")
        .key("c")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc32(), Some(crc32_b64(&data).as_str()));
    // GET with checksum mode: the SDK validates the body against the stored CRC32.
    let got = s3
        .get_object()
        .bucket("sums")
        .key("c")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        data.as_slice()
    );

    // An explicit CRC32C is verified too.
    let put = s3
        .put_object()
        .bucket("sums")
        .key("c32c")
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Crc32C)
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    assert!(put.checksum_crc32_c().is_some());

    // A wrong checksum is refused and leaves nothing behind.
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "BadDigest");
    assert!(s3
        .head_object()
        .bucket("sums")
        .key("bad")
        .send()
        .await
        .is_err());
    assert_eq!(sim.tmp_files(), 0);
}

#[tokio::test]
async fn copy_object_with_metadata_directives() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("src").await;
    sim.bucket("dst").await;
    let data = bytes(1_500_000, 9);
    s3.put_object()
        .bucket("src")
        .key("orig")
        .content_type("text/x-orig")
        .metadata("m", "1")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let copied = s3
        .copy_object()
        .bucket("dst")
        .key("copy")
        .copy_source("src/orig")
        .send()
        .await
        .unwrap();
    assert_eq!(
        copied.copy_object_result().unwrap().e_tag(),
        Some(format!("\"{}\"", md5_hex(&data)).as_str())
    );
    let got = s3
        .get_object()
        .bucket("dst")
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/x-orig"));
    assert_eq!(
        got.metadata().unwrap().get("m").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        data.as_slice()
    );

    s3.copy_object()
        .bucket("dst")
        .key("replaced")
        .copy_source("src/orig")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/x-new")
        .metadata("n", "2")
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("dst")
        .key("replaced")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/x-new"));
    assert_eq!(
        head.metadata().unwrap().get("n").map(String::as_str),
        Some("2")
    );
    assert!(head.metadata().unwrap().get("m").is_none());

    let err = s3
        .copy_object()
        .bucket("dst")
        .key("x")
        .copy_source("src/missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    let err = s3
        .copy_object()
        .bucket("src")
        .key("orig")
        .copy_source("src/orig")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
}

#[tokio::test]
async fn delete_objects_in_one_request() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("many").await;
    for i in 0..5 {
        s3.put_object()
            .bucket("many")
            .key(format!("k{i}"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let ids: Vec<ObjectIdentifier> = ["k0", "k1", "k2", "nope"]
        .iter()
        .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
        .collect();
    let out = s3
        .delete_objects()
        .bucket("many")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 4);
    let left = s3.list_objects_v2().bucket("many").send().await.unwrap();
    let keys: Vec<_> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["k3", "k4"]);
    assert_eq!(sim.store_usage("many"), (2, 2));
}

#[tokio::test]
async fn keys_follow_vast_limits() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("keys").await;
    let ok = "k".repeat(1024);
    s3.put_object()
        .bucket("keys")
        .key(&ok)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("keys")
        .key(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some(1));
    let err = s3
        .put_object()
        .bucket("keys")
        .key("k".repeat(1025))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 400);
}
