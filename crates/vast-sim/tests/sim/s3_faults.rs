//! Quotas, the bucket-full fault, injected 503s seen by the SDK as retries, operation counters,
//! and persistence across a re-open of the store.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves
use crate::s3_common as common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use common::*;
use vast_sim::faults::{FaceFaults, FaultConfig};

#[tokio::test]
async fn quota_exceeded_leaves_nothing_behind() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("quota").await;
    sim.control.set_limit("quota", 10_000);
    s3.put_object()
        .bucket("quota")
        .key("a")
        .body(ByteStream::from(vec![1; 6000]))
        .send()
        .await
        .unwrap();
    let err = s3
        .put_object()
        .bucket("quota")
        .key("b")
        .body(ByteStream::from(vec![2; 5000]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (status(&err), code(&err)),
        (403, "QuotaExceeded".to_owned())
    );
    let err = s3
        .copy_object()
        .bucket("quota")
        .key("c")
        .copy_source("quota/a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "QuotaExceeded");
    let id = s3
        .create_multipart_upload()
        .bucket("quota")
        .key("m")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let err = s3
        .upload_part()
        .bucket("quota")
        .key("m")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from(vec![3; 4500]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "QuotaExceeded");
    let err = s3
        .upload_part_copy()
        .bucket("quota")
        .key("m")
        .upload_id(&id)
        .part_number(1)
        .copy_source("quota/a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "QuotaExceeded");
    // Nothing was left: usage, listing, parts and temporary files are as before.
    assert_eq!(sim.store_usage("quota"), (6000, 1));
    let keys: Vec<_> = s3
        .list_objects_v2()
        .bucket("quota")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    assert_eq!(keys, ["a"]);
    assert!(s3
        .list_parts()
        .bucket("quota")
        .key("m")
        .upload_id(&id)
        .send()
        .await
        .unwrap()
        .parts()
        .is_empty());
    assert_eq!(sim.tmp_files(), 0);
    // Overwriting frees the old bytes; a write up to the limit fits.
    s3.put_object()
        .bucket("quota")
        .key("a")
        .body(ByteStream::from(vec![1; 10_000]))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.store_usage("quota"), (10_000, 1));
    assert!(sim.faults.counter("s3.error.QuotaExceeded") >= 4);
}

#[tokio::test]
async fn a_large_refused_write_gets_a_clean_answer() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("bigno").await;
    sim.control.set_limit("bigno", 1024 * 1024);
    // Refused before its body is read: the body is drained so the client sees the answer
    // rather than a closed connection.
    let err = s3
        .put_object()
        .bucket("bigno")
        .key("k")
        .body(ByteStream::from(bytes(16 * 1024 * 1024, 3)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (status(&err), code(&err)),
        (403, "QuotaExceeded".to_owned())
    );
    assert_eq!(
        sim.faults.counter("s3.op.PutObject"),
        1,
        "no retries of a 403"
    );
    assert_eq!(sim.store_usage("bigno"), (0, 0));
    assert_eq!(sim.tmp_files(), 0);
}

#[tokio::test]
async fn bucket_full_fault_refuses_writes() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("fullb").await;
    s3.put_object()
        .bucket("fullb")
        .key("a")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    sim.faults.set(FaultConfig {
        full_buckets: vec!["fullb".to_owned()],
        ..FaultConfig::default()
    });
    let err = s3
        .put_object()
        .bucket("fullb")
        .key("b")
        .body(ByteStream::from_static(b"y"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (status(&err), code(&err)),
        (403, "QuotaExceeded".to_owned())
    );
    // Reads still work.
    s3.get_object()
        .bucket("fullb")
        .key("a")
        .send()
        .await
        .unwrap();
    sim.faults.clear();
    s3.put_object()
        .bucket("fullb")
        .key("b")
        .body(ByteStream::from_static(b"y"))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.store_usage("fullb"), (2, 2));
}

#[tokio::test]
async fn injected_503s_are_retried_by_the_sdk() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("flaky").await;
    sim.faults.set(FaultConfig {
        s3: FaceFaults {
            error_rate: 1.0,
            error_status: 503,
            ..FaceFaults::default()
        },
        ..FaultConfig::default()
    });
    let err = s3
        .put_object()
        .bucket("flaky")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&err), code(&err)), (503, "SlowDown".to_owned()));
    // The SDK's standard retry policy makes 3 attempts.
    assert_eq!(sim.faults.counter("s3.faults.error"), 3);
    assert_eq!(sim.faults.counter("s3.op.PutObject"), 0);
    sim.faults.clear();
    s3.put_object()
        .bucket("flaky")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.faults.counter("s3.op.PutObject"), 1);
    assert_eq!(sim.faults.counter("s3.op.CreateBucket"), 1);
}

#[tokio::test]
async fn state_survives_reopen() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("persist").await;
    let data = bytes(200_000, 4);
    s3.put_object()
        .bucket("persist")
        .key("dir/obj")
        .metadata("k", "v")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("persist")
        .key("dir/obj")
        .body(ByteStream::from(data.clone()))
        .metadata("k", "v2")
        .send()
        .await
        .unwrap();
    let id = s3
        .create_multipart_upload()
        .bucket("persist")
        .key("mp")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let part = s3
        .upload_part()
        .bucket("persist")
        .key("mp")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"part-one"))
        .send()
        .await
        .unwrap();
    let (dir, control) = sim.stop();

    let sim = S3Sim::start_in(dir, control).await;
    let s3 = sim.client();
    // The object's bytes plus the open upload's part: parts count as used space (the quota's
    // view), and both survive the restart.
    assert_eq!(sim.store_usage("persist"), (200_000 + 8, 1));
    let got = s3
        .get_object()
        .bucket("persist")
        .key("dir/obj")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.metadata().unwrap().get("k").map(String::as_str),
        Some("v2")
    );
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        data.as_slice()
    );
    let parts = s3
        .list_parts()
        .bucket("persist")
        .key("mp")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(parts.parts().len(), 1);
    let done = s3
        .complete_multipart_upload()
        .bucket("persist")
        .key("mp")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(done.e_tag().unwrap().ends_with("-1\""));
    let got = s3
        .get_object()
        .bucket("persist")
        .key("mp")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"part-one"
    );
    let names: Vec<_> = s3
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    assert_eq!(names, ["persist"]);
}
