//! What the endpoint does with conditional creates and checksum headers, probed, and the data
//! path working whatever the answer: against vast-sim in each of its S3 modes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use bytes::Bytes;
use common::{data, small_config, Env, MIB};
use vast_s3_data::capabilities::{probe_checksum, probe_conditional_create};
use vast_s3_data::objects::{self, PutCondition};
use vast_s3_data::{
    ChecksumMode, ConditionalCreate, DataError, ImageReader, ReaderConfig, S3Modes, SegmentedWriter,
};
use vast_sim::{ChecksumHeaders, ConditionalCreate as SimCreate};

const PROBES: &str = "netbackup/.probe/";

async fn probed_create(mode: SimCreate) -> ConditionalCreate {
    let env = Env::start_configured(|c| c.conditional_create = mode).await;
    let found = probe_conditional_create(&env.client, &env.bucket, PROBES)
        .await
        .unwrap();
    let left = vast_s3_data::listing::list_keys(&env.client, &env.bucket, PROBES)
        .await
        .unwrap();
    assert!(left.is_empty(), "the probe left {left:?}");
    found
}

#[tokio::test]
async fn conditional_create_probe_tells_honoured_ignored_and_refused_apart() {
    assert_eq!(
        probed_create(SimCreate::Honour).await,
        ConditionalCreate::Honoured
    );
    assert_eq!(
        probed_create(SimCreate::Ignore).await,
        ConditionalCreate::Ignored
    );
    assert_eq!(
        probed_create(SimCreate::Refuse).await,
        ConditionalCreate::Refused
    );
}

async fn probed_checksum(mode: ChecksumHeaders) -> ChecksumMode {
    let env = Env::start_configured(|c| c.checksum_headers = mode).await;
    probe_checksum(&env.client, &env.bucket, PROBES)
        .await
        .unwrap()
}

#[tokio::test]
async fn checksum_probe_picks_crc32c_then_md5_then_none() {
    assert_eq!(
        probed_checksum(ChecksumHeaders::Accept).await,
        ChecksumMode::Crc32c
    );
    assert_eq!(
        probed_checksum(ChecksumHeaders::Refuse).await,
        ChecksumMode::Md5
    );
    assert_eq!(
        probed_checksum(ChecksumHeaders::RefuseAll).await,
        ChecksumMode::None
    );
}

/// Create-only puts without If-None-Match: the second create of a key loses and the first
/// object stays.
async fn create_only_without_if_none_match(mode: SimCreate, found: ConditionalCreate) {
    let env = Env::start_configured(|c| c.conditional_create = mode).await;
    env.client.set_modes(S3Modes {
        conditional_create: found,
        ..S3Modes::default()
    });
    let (c, b, key) = (&env.client, env.bucket.as_str(), "netbackup/img/metadata");
    objects::put(
        c,
        b,
        key,
        Bytes::from_static(b"writer-1"),
        &PutCondition::CreateOnly,
    )
    .await
    .unwrap();
    let err = objects::put(
        c,
        b,
        key,
        Bytes::from_static(b"writer-2"),
        &PutCondition::CreateOnly,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DataError::AlreadyExists { .. }), "{err}");
    let kept = objects::get(c, b, key, None).await.unwrap().unwrap();
    assert_eq!(
        kept.data, "writer-1",
        "the loser must not replace the winner's object"
    );
}

#[tokio::test]
async fn create_only_falls_back_to_check_write_read_back() {
    create_only_without_if_none_match(SimCreate::Ignore, ConditionalCreate::Ignored).await;
    create_only_without_if_none_match(SimCreate::Refuse, ConditionalCreate::Refused).await;
}

/// A multi-segment image written, checkpointed, resumed, finished and read back with `mode`
/// checksums on a cluster refusing what `sim` refuses; deletes and tags work too.
async fn image_roundtrip(sim: ChecksumHeaders, mode: ChecksumMode) {
    let env = Env::start_configured(|c| {
        c.checksum_headers = sim;
        c.conditional_create = SimCreate::Refuse;
    })
    .await;
    env.client.set_modes(S3Modes {
        checksum: mode,
        conditional_create: ConditionalCreate::Refused,
    });
    let bytes = data(23 * MIB as usize, 7);
    let image = env.image("modes");
    let mut w = SegmentedWriter::new(
        env.client.clone(),
        env.budget.clone(),
        image.clone(),
        small_config(),
    )
    .unwrap();
    // 16 MiB: one completed segment, one whole part of the next and a 1 MiB tail.
    let split = 16 * MIB as usize;
    for (i, chunk) in bytes[..split].chunks(MIB as usize).enumerate() {
        w.write((i * MIB as usize) as u64, chunk).await.unwrap();
    }
    let point = w.flush().await.unwrap();
    drop(w);
    let mut w = SegmentedWriter::resume(
        env.client.clone(),
        env.budget.clone(),
        image.clone(),
        small_config(),
        Some(&point.checkpoint),
    )
    .await
    .unwrap();
    assert_eq!(point.checkpoint.offset, 15 * MIB);
    assert_eq!(
        w.durable_offset(),
        point.checkpoint.offset,
        "the resumed writer keeps every uploaded part ({mode:?})"
    );
    let from = point.checkpoint.offset as usize;
    for (i, chunk) in bytes[from..].chunks(MIB as usize).enumerate() {
        w.write((from + i * MIB as usize) as u64, chunk)
            .await
            .unwrap();
    }
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.length, bytes.len() as u64);
    assert_eq!(
        summary.crc32c,
        vast_s3_data::checksum::crc32c(&bytes),
        "{mode:?}"
    );
    let mut r = ImageReader::new(
        env.client.clone(),
        env.budget.clone(),
        image,
        small_config().segment_size,
        summary.length,
        ReaderConfig::default(),
    )
    .unwrap();
    let back = r.read_at(0, bytes.len()).await.unwrap();
    assert!(back == bytes, "restored bytes differ ({mode:?})");

    vast_s3_data::buckets::put_tags(&env.client, &env.bucket, &[("k".into(), "v".into())])
        .await
        .unwrap();
    let removed = vast_s3_data::delete::delete_prefix(&env.client, &env.bucket, "netbackup/")
        .await
        .unwrap();
    assert!(removed >= 3, "{removed}");
}

#[tokio::test]
async fn images_round_trip_with_md5_on_a_cluster_refusing_flexible_checksums() {
    image_roundtrip(ChecksumHeaders::Refuse, ChecksumMode::Md5).await;
}

#[tokio::test]
async fn images_round_trip_without_checksums_on_a_cluster_refusing_all() {
    image_roundtrip(ChecksumHeaders::RefuseAll, ChecksumMode::None).await;
}

#[tokio::test]
async fn crc32c_is_refused_by_such_a_cluster() {
    let env = Env::start_configured(|c| c.checksum_headers = ChecksumHeaders::Refuse).await;
    let err = objects::put(
        &env.client,
        &env.bucket,
        "k",
        Bytes::from_static(b"x"),
        &PutCondition::Always,
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(err.to_string().contains("InvalidArgument"), "{err}");
}
