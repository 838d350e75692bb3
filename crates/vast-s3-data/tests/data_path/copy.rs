//! Server-side copies within and across buckets, including segments above the single-copy limit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::common;

use common::{data, small_config, Env, MIB, PART};
use vast_s3_data::copy::{self, CopyConfig, ObjectRef};
use vast_s3_data::{
    buckets, checksum, multipart, ImageLocation, ImageReader, ReaderConfig, SegmentedWriter,
};

async fn read_image(env: &Env, loc: ImageLocation) -> Vec<u8> {
    let mut r = ImageReader::open(
        env.client.clone(),
        env.budget.clone(),
        loc,
        small_config().segment_size,
        ReaderConfig::default(),
    )
    .await
    .unwrap();
    let len = r.len() as usize;
    r.read_at(0, len).await.unwrap()
}

#[tokio::test]
async fn images_copy_within_and_across_buckets() {
    let env = Env::start().await;
    let seg = small_config().segment_size;
    // Two full 10 MiB segments and a 3 MiB one.
    let bytes = data((2 * seg + 3 * MIB) as usize, 77);
    let src = env.image("orig");
    let mut w = SegmentedWriter::new(
        env.client.clone(),
        env.budget.clone(),
        src.clone(),
        small_config(),
    )
    .unwrap();
    w.write(0, &bytes).await.unwrap();
    let summary = w.finish().await.unwrap();

    // Limit scaled down: the 10 MiB segments go part by part (UploadPartCopy of 5 MiB parts,
    // concurrently), the 3 MiB one with one CopyObject.
    let config = CopyConfig {
        single_copy_limit: 6 * MIB,
        part_size: PART,
        max_in_flight: 2,
    };
    let other = "nbu-dup";
    buckets::create(&env.client, other).await.unwrap();
    for dst in [
        env.image("copy"),
        ImageLocation::with_prefix(other, "netbackup/orig/data/"),
    ] {
        let copied = copy::copy_image(&env.client, &src, &dst, summary.segments, &config)
            .await
            .unwrap();
        assert_eq!(copied, summary.length);
        let back = read_image(&env, dst.clone()).await;
        assert_eq!(checksum::crc32c(&back), summary.crc32c);
        assert_eq!(back, bytes);
        let open = multipart::list_uploads(&env.client, &dst.bucket, "netbackup/")
            .await
            .unwrap();
        assert!(open.is_empty(), "{open:?}");
    }

    // Each destination: two segments above the limit in two parts each, one plain copy.
    assert_eq!(env.faults.counter("s3.op.UploadPartCopy"), 2 * 2 * 2);
    assert_eq!(env.faults.counter("s3.op.CopyObject"), 2);

    // Metadata-sized objects copy too, and a missing source is a not-found error.
    let meta = "netbackup/orig/metadata";
    env.client
        .sdk()
        .put_object()
        .bucket(&env.bucket)
        .key(meta)
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();
    let n = copy::copy_object(
        &env.client,
        ObjectRef {
            bucket: &env.bucket,
            key: meta,
        },
        ObjectRef {
            bucket: other,
            key: meta,
        },
        &config,
    )
    .await
    .unwrap();
    assert_eq!(n, 2);
    let err = copy::copy_object(
        &env.client,
        ObjectRef {
            bucket: &env.bucket,
            key: "netbackup/none",
        },
        ObjectRef {
            bucket: other,
            key: "x",
        },
        &config,
    )
    .await
    .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}
