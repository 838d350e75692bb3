//! Round trips of images of every interesting size through the simulator, and reads at every
//! boundary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::common;

use common::{data, small_config, Env, MIB, PART};
use vast_s3_data::{
    checksum, listing, multipart, DataError, ImageReader, ReaderConfig, SegmentedWriter,
};

async fn write_image(
    env: &Env,
    name: &str,
    bytes: &[u8],
    chunk: usize,
) -> vast_s3_data::WriteSummary {
    let mut w = SegmentedWriter::new(
        env.client.clone(),
        env.budget.clone(),
        env.image(name),
        small_config(),
    )
    .unwrap();
    for (i, piece) in bytes.chunks(chunk.max(1)).enumerate() {
        w.write((i * chunk) as u64, piece).await.unwrap();
    }
    w.finish().await.unwrap()
}

fn reader(env: &Env, name: &str, len: u64, config: ReaderConfig) -> ImageReader {
    ImageReader::new(
        env.client.clone(),
        env.budget.clone(),
        env.image(name),
        small_config().segment_size,
        len,
        config,
    )
    .unwrap()
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn read_all(r: &mut ImageReader, step: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let got = r.read_at(out.len() as u64, step).await.unwrap();
        if got.is_empty() {
            return out;
        }
        out.extend_from_slice(&got);
    }
}

#[tokio::test]
async fn images_of_every_size_round_trip() {
    let env = Env::start().await;
    let seg = small_config().segment_size;
    let sizes = [0u64, 1, PART, PART + 1, 2 * seg + PART + 12_345];
    for (i, &len) in sizes.iter().enumerate() {
        let name = format!("img{i}");
        let bytes = data(len as usize, i as u64 + 1);
        let summary = write_image(&env, &name, &bytes, 1_000_000).await;
        assert_eq!(summary.length, len);
        assert_eq!(summary.crc32c, checksum::crc32c(&bytes), "size {len}");
        assert_eq!(summary.segments, len.div_ceil(seg).max(1));

        // The segment objects are exactly what the layout says.
        let keys = listing::list_keys(&env.client, &env.bucket, &Env::prefix(&name))
            .await
            .unwrap();
        assert_eq!(keys.len() as u64, summary.segments, "{keys:?}");
        assert_eq!(keys[0], format!("{}000000", Env::prefix(&name)));
        // Multipart segments carry the ETag the writer expects (it uses it to recognise its own
        // completion when a retried CompleteMultipartUpload finds the upload already done).
        if len >= PART {
            let head = env
                .client
                .sdk()
                .head_object()
                .bucket(&env.bucket)
                .key(&keys[0])
                .send()
                .await
                .unwrap();
            let seg0 = &bytes[..len.min(seg) as usize];
            let part_etags: Vec<String> = seg0.chunks(PART as usize).map(md5_hex).collect();
            assert_eq!(
                head.e_tag().unwrap().trim_matches('"'),
                checksum::multipart_etag(&part_etags)
            );
        }
        // Single-put segments report their CRC32C, which a retried conditional put checks.
        if len < PART {
            let head = env
                .client
                .sdk()
                .head_object()
                .bucket(&env.bucket)
                .key(&keys[0])
                .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
                .send()
                .await
                .unwrap();
            assert_eq!(
                head.checksum_crc32_c(),
                Some(checksum::to_header(summary.crc32c).as_str())
            );
        }
        // Nothing left open on the server.
        let open = multipart::list_uploads(&env.client, &env.bucket, &Env::prefix(&name))
            .await
            .unwrap();
        assert!(open.is_empty(), "{open:?}");

        // Sequential read-back (read-ahead path) with the known length...
        let mut r = reader(
            &env,
            &name,
            len,
            ReaderConfig {
                chunk_size: 3 * MIB,
                ..ReaderConfig::default()
            },
        );
        assert_eq!(read_all(&mut r, MIB as usize).await, bytes, "size {len}");
        // ... and with the length discovered from the segments.
        let mut r = ImageReader::open(
            env.client.clone(),
            env.budget.clone(),
            env.image(&name),
            seg,
            ReaderConfig::default(),
        )
        .await
        .unwrap();
        assert_eq!(r.len(), len);
        assert_eq!(read_all(&mut r, 777_777).await, bytes);
    }
    let stats = env.budget.stats();
    assert_eq!(stats.in_use_bytes, 0, "every buffer went back: {stats:?}");
    assert!(stats.reuses > 0, "buffers are reused: {stats:?}");
}

#[tokio::test]
async fn payload_signing_can_be_switched_off_over_http() {
    let env = Env::start().await;
    assert!(
        env.client.signs_payload(),
        "plain HTTP signs payloads by default"
    );
    let client = vast_s3_data::S3ClientBuilder::new(&env.url, &env.access_key, &env.secret_key)
        .sign_payload(false)
        .build()
        .unwrap();
    let bytes = data(PART as usize + 10, 99);
    let mut w = SegmentedWriter::new(
        client,
        env.budget.clone(),
        env.image("unsigned"),
        small_config(),
    )
    .unwrap();
    w.write(0, &bytes).await.unwrap();
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.crc32c, checksum::crc32c(&bytes));
    let mut r = reader(
        &env,
        "unsigned",
        bytes.len() as u64,
        ReaderConfig::default(),
    );
    assert_eq!(read_all(&mut r, MIB as usize).await, bytes);
}

#[tokio::test]
async fn reads_at_every_boundary_and_short_read_at_end() {
    let env = Env::start().await;
    let seg = small_config().segment_size;
    let len = 2 * seg + 3 * MIB + 17;
    let bytes = data(len as usize, 42);
    write_image(&env, "bounds", &bytes, 4 * MIB as usize + 3).await;
    let mut r = reader(&env, "bounds", len, ReaderConfig::default());
    let points = [
        0,
        1,
        PART - 1,
        PART,
        PART + 1,
        seg - 1,
        seg,
        seg + 1,
        2 * seg - 1,
        2 * seg,
        len - 1,
    ];
    let lens = [1usize, 2, 4096, PART as usize + 2];
    for &p in &points {
        for &n in &lens {
            // Random access (direct ranged GETs): each read starts elsewhere.
            let got = r.read_at(p, n).await.unwrap();
            let end = (p as usize + n).min(len as usize);
            assert_eq!(
                got.len(),
                end - p as usize,
                "short read only at the end: at {p} len {n}"
            );
            assert_eq!(got, &bytes[p as usize..end], "at {p} len {n}");
        }
    }
    // At and past the end: nothing, not an error.
    assert!(r.read_at(len, 10).await.unwrap().is_empty());
    assert!(r.read_at(len + 5 * MIB, 10).await.unwrap().is_empty());

    // Sequential reads straddling every boundary, through the read-ahead pipeline with chunks
    // that do not divide the segment size.
    let mut r = reader(
        &env,
        "bounds",
        len,
        ReaderConfig {
            chunk_size: 3 * MIB + 1,
            read_ahead_chunks: 3,
            sequential_after: 1,
        },
    );
    assert_eq!(read_all(&mut r, 1_048_573).await, bytes);
    // Switching between sequential and random access keeps the data right.
    let mut r = reader(
        &env,
        "bounds",
        len,
        ReaderConfig {
            chunk_size: MIB,
            read_ahead_chunks: 4,
            sequential_after: 1,
        },
    );
    let mut pos = 0u64;
    for step in 0..12u64 {
        let got = r.read_at(pos, 700_001).await.unwrap();
        assert_eq!(got, &bytes[pos as usize..(pos as usize + got.len())]);
        pos = if step % 4 == 3 {
            (pos * 7 + 12_345) % len
        } else {
            pos + got.len() as u64
        };
    }
}

#[tokio::test]
async fn a_missing_segment_is_an_error() {
    let env = Env::start().await;
    let seg = small_config().segment_size;
    let len = 2 * seg + 100;
    let bytes = data(len as usize, 7);
    write_image(&env, "holey", &bytes, MIB as usize).await;
    let key = env.image("holey").key(1);
    env.client
        .sdk()
        .delete_object()
        .bucket(&env.bucket)
        .key(&key)
        .send()
        .await
        .unwrap();

    let mut r = reader(&env, "holey", len, ReaderConfig::default());
    // Segment 0 still reads.
    assert_eq!(r.read_at(0, 100).await.unwrap(), &bytes[..100]);
    let err = r.read_at(seg + 10, 100).await.unwrap_err();
    assert!(
        matches!(err, DataError::MissingSegment { index: 1, .. }),
        "{err}"
    );
    // Also through read-ahead.
    let mut r = reader(
        &env,
        "holey",
        len,
        ReaderConfig {
            chunk_size: MIB,
            ..ReaderConfig::default()
        },
    );
    let mut pos = 0u64;
    let err = loop {
        match r.read_at(pos, MIB as usize).await {
            Ok(got) => pos += got.len() as u64,
            Err(e) => break e,
        }
    };
    assert_eq!(pos, seg, "everything before the missing segment was served");
    assert!(
        matches!(err, DataError::MissingSegment { index: 1, .. }),
        "{err}"
    );
    // A reader that discovers the length stops at the gap instead.
    let missing_first = vast_s3_data::ImageLocation::with_prefix(env.bucket.clone(), "nothing/");
    let err = ImageReader::open(
        env.client.clone(),
        env.budget.clone(),
        missing_first,
        seg,
        ReaderConfig::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, DataError::MissingSegment { index: 0, .. }),
        "{err}"
    );
}
