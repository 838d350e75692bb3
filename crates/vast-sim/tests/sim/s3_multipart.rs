//! Multipart uploads with the AWS SDK: parts, part copies, listing, completion checks, abort,
//! conditional completion.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves
use crate::s3_common as common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use common::*;

const MIB: usize = 1024 * 1024;

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, etag)| {
                    CompletedPart::builder()
                        .part_number(*n)
                        .e_tag(*etag)
                        .build()
                })
                .collect(),
        ))
        .build()
}

fn multipart_etag(parts: &[&[u8]]) -> String {
    use md5::Digest as _;
    let mut all = md5::Md5::new();
    for part in parts {
        all.update(md5::Md5::digest(part));
    }
    let hex: String = all.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}-{}\"", parts.len())
}

#[tokio::test]
async fn upload_list_copy_complete() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("mpu").await;
    let source = bytes(3 * MIB, 7);
    s3.put_object()
        .bucket("mpu")
        .key("source")
        .body(ByteStream::from(source.clone()))
        .send()
        .await
        .unwrap();

    let upload = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("big")
        .content_type("application/x-mp")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let p1 = bytes(5 * MIB, 1);
    let p3 = bytes(1234, 3);
    let e1 = s3
        .upload_part()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from(p1.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(e1.e_tag(), Some(format!("\"{}\"", md5_hex(&p1)).as_str()));
    assert!(
        e1.checksum_crc32().is_some(),
        "the SDK's default CRC32 is verified and echoed"
    );
    // Part 2: a ranged copy of the source's last 2 MiB.
    let copy = s3
        .upload_part_copy()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .part_number(2)
        .copy_source("mpu/source")
        .copy_source_range(format!("bytes={}-{}", MIB, 3 * MIB - 1))
        .send()
        .await
        .unwrap();
    let p2 = &source[MIB..3 * MIB];
    let e2 = copy.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    assert_eq!(e2, format!("\"{}\"", md5_hex(p2)));
    let e3 = s3
        .upload_part()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .part_number(3)
        .body(ByteStream::from(p3.clone()))
        .send()
        .await
        .unwrap();

    let parts = s3
        .list_parts()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    let listed: Vec<_> = parts
        .parts()
        .iter()
        .map(|p| (p.part_number(), p.size()))
        .collect();
    assert_eq!(
        listed,
        [
            (Some(1), Some(5 * MIB as i64)),
            (Some(2), Some(2 * MIB as i64)),
            (Some(3), Some(1234))
        ]
    );
    let page = s3
        .list_parts()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .max_parts(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.parts().len(), 2);
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(page.next_part_number_marker(), Some("2"));

    let uploads = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    let open: Vec<_> = uploads
        .uploads()
        .iter()
        .map(|u| (u.key(), u.upload_id()))
        .collect();
    assert_eq!(open, [(Some("big"), Some(id))]);

    // A part under 5 MiB that is not the last is refused.
    let err = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .multipart_upload(completed(&[
            (1, e1.e_tag().unwrap()),
            (2, &e2),
            (3, e3.e_tag().unwrap()),
        ]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "EntityTooSmall");
    // Wrong ETag, unknown part, wrong order.
    let err = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .multipart_upload(completed(&[
            (1, "\"00000000000000000000000000000000\""),
            (3, e3.e_tag().unwrap()),
        ]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidPart");
    let err = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .multipart_upload(completed(&[
            (1, e1.e_tag().unwrap()),
            (9, e3.e_tag().unwrap()),
        ]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidPart");
    let err = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .multipart_upload(completed(&[
            (3, e3.e_tag().unwrap()),
            (1, e1.e_tag().unwrap()),
        ]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidPartOrder");

    // Parts 1 and 3 (part 2 is left out).
    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .multipart_upload(completed(&[
            (1, e1.e_tag().unwrap()),
            (3, e3.e_tag().unwrap()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(done.e_tag(), Some(multipart_etag(&[&p1, &p3]).as_str()));
    let got = s3
        .get_object()
        .bucket("mpu")
        .key("big")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), done.e_tag());
    assert_eq!(got.content_type(), Some("application/x-mp"));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.len(), p1.len() + p3.len());
    assert!(body[..p1.len()] == p1[..] && body[p1.len()..] == p3[..]);
    assert_eq!(
        sim.store_usage("mpu"),
        ((3 * MIB + 5 * MIB + 1234) as u64, 2)
    );
    assert!(s3
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap()
        .uploads()
        .is_empty());
    let err = s3
        .list_parts()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
}

#[tokio::test]
async fn part_copy_ranges_are_checked() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("pcopy").await;
    s3.put_object()
        .bucket("pcopy")
        .key("src")
        .body(ByteStream::from(bytes(100, 1)))
        .send()
        .await
        .unwrap();
    let id = s3
        .create_multipart_upload()
        .bucket("pcopy")
        .key("dst")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let err = s3
        .upload_part_copy()
        .bucket("pcopy")
        .key("dst")
        .upload_id(&id)
        .part_number(1)
        .copy_source("pcopy/src")
        .copy_source_range("bytes=50-100")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRange");
    let ok = s3
        .upload_part_copy()
        .bucket("pcopy")
        .key("dst")
        .upload_id(&id)
        .part_number(1)
        .copy_source("pcopy/src")
        .copy_source_range("bytes=50-99")
        .send()
        .await
        .unwrap();
    let etag = ok.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", md5_hex(&bytes(100, 1)[50..])));
    let err = s3
        .upload_part()
        .bucket("pcopy")
        .key("dst")
        .upload_id("nosuchupload")
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
}

#[tokio::test]
async fn abort_removes_parts_and_pending_bytes() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("abort").await;
    sim.control.set_limit("abort", 1000);
    let id = s3
        .create_multipart_upload()
        .bucket("abort")
        .key("k")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    s3.upload_part()
        .bucket("abort")
        .key("k")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from(vec![1; 800]))
        .send()
        .await
        .unwrap();
    // Pending parts count against the quota.
    let err = s3
        .put_object()
        .bucket("abort")
        .key("other")
        .body(ByteStream::from(vec![1; 300]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "QuotaExceeded");
    s3.abort_multipart_upload()
        .bucket("abort")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("abort")
        .key("other")
        .body(ByteStream::from(vec![1; 300]))
        .send()
        .await
        .unwrap();
    assert_eq!(count_files(&sim.dir.path().join("s3").join("uploads")), 0);
    let err = s3
        .abort_multipart_upload()
        .bucket("abort")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchUpload");
}

#[tokio::test]
async fn conditional_complete() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("condmp").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = s3
            .create_multipart_upload()
            .bucket("condmp")
            .key("k")
            .send()
            .await
            .unwrap()
            .upload_id()
            .unwrap()
            .to_owned();
        let etag = s3
            .upload_part()
            .bucket("condmp")
            .key("k")
            .upload_id(&id)
            .part_number(1)
            .body(ByteStream::from_static(b"part"))
            .send()
            .await
            .unwrap()
            .e_tag()
            .unwrap()
            .to_owned();
        ids.push((id, etag));
    }
    for (i, (id, etag)) in ids.iter().enumerate() {
        let result = s3
            .complete_multipart_upload()
            .bucket("condmp")
            .key("k")
            .upload_id(id)
            .if_none_match("*")
            .multipart_upload(completed(&[(1, etag)]))
            .send()
            .await;
        if i == 0 {
            result.unwrap();
        } else {
            let err = result.unwrap_err();
            assert_eq!(
                (status(&err), code(&err)),
                (412, "PreconditionFailed".to_owned())
            );
        }
    }
}

/// Uploads `parts` as a multipart upload of `key` and completes it; returns the ETag.
async fn upload_parts(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, parts: &[&[u8]]) -> String {
    let id = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let mut etags = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let out = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .body(ByteStream::from(part.to_vec()))
            .send()
            .await
            .unwrap();
        etags.push(out.e_tag().unwrap().to_owned());
    }
    let numbered: Vec<(i32, &str)> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| (i as i32 + 1, e.as_str()))
        .collect();
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&id)
        .multipart_upload(completed(&numbered))
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_owned()
}

/// GETs `range` of `key` in bucket `ranges`; returns its Content-Range and body.
async fn get_range(s3: &aws_sdk_s3::Client, key: &str, range: &str) -> (Option<String>, Vec<u8>) {
    let got = s3
        .get_object()
        .bucket("ranges")
        .key(key)
        .range(range)
        .send()
        .await
        .unwrap();
    let content_range = got.content_range().map(str::to_owned);
    let body = got.body.collect().await.unwrap().into_bytes().to_vec();
    (content_range, body)
}

/// A completed multipart object is stored as its parts (linked, not copied); every way of reading
/// it must see the object: ranges within a part, across part boundaries and across all parts,
/// suffix and open-ended ranges, HEAD, CopyObject and UploadPartCopy, after a restart of the
/// store, and nothing once it is deleted.
#[tokio::test]
async fn a_multipart_object_reads_as_one_across_part_boundaries() {
    let sim = S3Sim::start().await;
    let s3 = sim.bucket("ranges").await;
    // Uneven parts, so that part boundaries fall off the 1 MiB chunk grid.
    let parts = [
        bytes(5 * MIB + 4097, 1),
        bytes(5 * MIB + 3, 2),
        bytes(1000, 3),
    ];
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let whole = parts.concat();
    let size = whole.len();
    let b1 = parts[0].len(); // first byte of part 2
    let b2 = b1 + parts[1].len(); // first byte of part 3
    let etag = upload_parts(&s3, "ranges", "big", &refs).await;
    assert_eq!(etag, multipart_etag(&refs));

    let check = |s3: aws_sdk_s3::Client, whole: Vec<u8>| async move {
        for (start, end) in [
            (0, 99),
            (b1 - 10, b1 + 9),
            (b1 - 1, b1),
            (b1, b1),
            (MIB - 5, 3 * MIB + 5),
            (b1 - 1, b2),
            (b2 - 1, size - 1),
            (1, size - 2),
            (0, size - 1),
        ] {
            let (content_range, body) =
                get_range(&s3, "big", &format!("bytes={start}-{end}")).await;
            assert_eq!(
                content_range.as_deref(),
                Some(format!("bytes {start}-{end}/{size}").as_str())
            );
            assert!(body == whole[start..=end], "bytes {start}-{end}");
        }
        let (_, tail) = get_range(&s3, "big", "bytes=-1500").await;
        assert!(tail == whole[size - 1500..]);
        let (_, rest) = get_range(&s3, "big", &format!("bytes={}-", b1 - 3)).await;
        assert!(rest == whole[b1 - 3..]);
        let got = s3
            .get_object()
            .bucket("ranges")
            .key("big")
            .send()
            .await
            .unwrap();
        assert_eq!(got.content_length(), Some(size as i64));
        let etag = got.e_tag().map(str::to_owned);
        assert!(got.body.collect().await.unwrap().into_bytes() == whole[..]);
        let head = s3
            .head_object()
            .bucket("ranges")
            .key("big")
            .send()
            .await
            .unwrap();
        assert_eq!(
            (head.content_length(), head.e_tag().map(str::to_owned)),
            (Some(size as i64), etag)
        );
    };
    check(s3.clone(), whole.clone()).await;

    // Copies read it too: the whole object, and a part copied from a range across a boundary.
    s3.copy_object()
        .bucket("ranges")
        .key("copy")
        .copy_source("ranges/big")
        .send()
        .await
        .unwrap();
    let copy = s3
        .get_object()
        .bucket("ranges")
        .key("copy")
        .send()
        .await
        .unwrap();
    assert_eq!(
        copy.e_tag(),
        Some(format!("\"{}\"", md5_hex(&whole)).as_str())
    );
    assert!(copy.body.collect().await.unwrap().into_bytes() == whole[..]);
    let id = s3
        .create_multipart_upload()
        .bucket("ranges")
        .key("spliced")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let part = s3
        .upload_part_copy()
        .bucket("ranges")
        .key("spliced")
        .upload_id(&id)
        .part_number(1)
        .copy_source("ranges/big")
        .copy_source_range(format!("bytes={}-{}", b1 - 100, b2))
        .send()
        .await
        .unwrap();
    let etag = part.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", md5_hex(&whole[b1 - 100..=b2])));

    // The store re-opened on the same directory reads it the same way.
    let (dir, control) = sim.stop();
    let sim = S3Sim::start_in(dir, control).await;
    let s3 = sim.client();
    check(s3.clone(), whole.clone()).await;

    // Deleted: gone for readers, and from the disk.
    let objects = sim.dir.path().join("s3/buckets/ranges/objects");
    let before = count_files(&objects);
    s3.delete_object()
        .bucket("ranges")
        .key("big")
        .send()
        .await
        .unwrap();
    let err = s3
        .get_object()
        .bucket("ranges")
        .key("big")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    assert_eq!(
        count_files(&objects),
        before - 2,
        "its sidecar and its parts"
    );
}
