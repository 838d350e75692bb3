//! Writer behaviour: out-of-order writes, refused writes, aborts that leave nothing behind,
//! failures and drops that keep what was uploaded, conditional create, flush/suspend/resume
//! and the shared budget.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::common;

use std::time::Duration;

use common::{data, small_config, Env, MIB, PART};
use vast_s3_data::{
    checksum, listing, multipart, BufferBudget, DataError, ImageReader, ReaderConfig,
    SegmentedWriter, WriterConfig,
};

fn writer(env: &Env, name: &str) -> SegmentedWriter {
    SegmentedWriter::new(
        env.client.clone(),
        env.budget.clone(),
        env.image(name),
        small_config(),
    )
    .unwrap()
}

async fn read_back(env: &Env, name: &str) -> Vec<u8> {
    let mut r = ImageReader::open(
        env.client.clone(),
        env.budget.clone(),
        env.image(name),
        small_config().segment_size,
        ReaderConfig::default(),
    )
    .await
    .unwrap();
    let len = r.len() as usize;
    r.read_at(0, len).await.unwrap()
}

async fn open_uploads(env: &Env, name: &str) -> usize {
    multipart::list_uploads(&env.client, &env.bucket, &Env::prefix(name))
        .await
        .unwrap()
        .len()
}

async fn objects(env: &Env, name: &str) -> Vec<String> {
    listing::list_keys(&env.client, &env.bucket, &Env::prefix(name))
        .await
        .unwrap()
}

#[tokio::test]
async fn out_of_order_writes_inside_the_window_land_in_place() {
    let env = Env::start().await;
    let len = 3 * PART as usize + 1000;
    let bytes = data(len, 3);
    let mut w = writer(&env, "ooo");
    // 1 MiB pieces in a shuffled order that stays inside the 3-part window.
    let mib = MIB as usize;
    let mut order: Vec<usize> = (0..len.div_ceil(mib)).collect();
    for pair in order.chunks_mut(4) {
        pair.reverse();
    }
    for i in order {
        let end = ((i + 1) * mib).min(len);
        w.write((i * mib) as u64, &bytes[i * mib..end])
            .await
            .unwrap();
    }
    // An overlapping rewrite of bytes still buffered is allowed (the newest bytes win).
    let tail = 3 * PART as usize;
    w.write(tail as u64, &bytes[tail..tail + 10]).await.unwrap();
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.crc32c, checksum::crc32c(&bytes));
    assert_eq!(read_back(&env, "ooo").await, bytes);
}

#[tokio::test]
async fn rewrites_of_uploaded_parts_far_writes_and_holes_are_refused() {
    let env = Env::start().await;
    let bytes = data(2 * PART as usize, 9);
    let mut w = writer(&env, "refused");
    w.write(0, &bytes[..PART as usize + 10]).await.unwrap();
    // Part 0 is full and gone to the server: rewriting it is an error, not silent corruption.
    let err = w.write(100, &bytes[100..200]).await.unwrap_err();
    assert!(
        matches!(err, DataError::RewriteOfUploaded { part: 0, .. }),
        "{err}"
    );
    // More than the window ahead of the oldest open part.
    let err = w.write(5 * PART, b"far").await.unwrap_err();
    assert!(matches!(err, DataError::BeyondWindow { .. }), "{err}");
    // Leave a hole: bytes [PART+10, PART+20) never written.
    w.write(PART + 20, &bytes[PART as usize + 20..])
        .await
        .unwrap();
    let err = w.finish().await.unwrap_err();
    assert!(
        matches!(err, DataError::Hole { start, end } if start == PART + 10 && end == PART + 20),
        "{err}"
    );
    // Refusals change nothing: fill the hole and finish.
    w.write(PART + 10, &bytes[PART as usize + 10..PART as usize + 20])
        .await
        .unwrap();
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.length, 2 * PART);
    assert_eq!(read_back(&env, "refused").await, bytes);
    // A finished writer refuses more work.
    assert!(matches!(
        w.write(2 * PART, b"x").await,
        Err(DataError::WriterClosed("finished"))
    ));
}

#[tokio::test]
async fn images_below_one_part_use_a_single_put() {
    let env = Env::start().await;
    let bytes = data(PART as usize - 1, 4);
    let mut w = writer(&env, "small");
    w.write(0, &bytes).await.unwrap();
    w.finish().await.unwrap();
    assert_eq!(env.faults.counter("s3.op.PutObject"), 1);
    assert_eq!(env.faults.counter("s3.op.CreateMultipartUpload"), 0);
    assert_eq!(read_back(&env, "small").await, bytes);
}

/// A writer resumed from the server's record, with or without the flush-time checkpoint.
async fn resume_from(
    env: &Env,
    name: &str,
    checkpoint: Option<&vast_s3_data::Checkpoint>,
) -> Result<SegmentedWriter, DataError> {
    SegmentedWriter::resume(
        env.client.clone(),
        env.budget.clone(),
        env.image(name),
        small_config(),
        checkpoint,
    )
    .await
}

/// A writer resumed from the server's record (no checkpoint).
async fn resumed(env: &Env, name: &str) -> SegmentedWriter {
    resume_from(env, name, None).await.unwrap()
}

/// Writes `bytes[from..]` in 1 MiB calls.
async fn write_from(w: &mut SegmentedWriter, bytes: &[u8], from: usize) -> Result<(), DataError> {
    for (i, chunk) in bytes[from..].chunks(MIB as usize).enumerate() {
        w.write((from + i * MIB as usize) as u64, chunk).await?;
    }
    Ok(())
}

/// Resumes `name` from a flush's `point` (its tail put back), checks that the writer stands
/// exactly at `at`, writes `expected[at..]`, finishes, and checks that the image is exactly
/// `expected` (length, CRC32C, bytes read back).
async fn resume_at_and_finish(
    env: &Env,
    name: &str,
    point: &vast_s3_data::FlushPoint,
    at: usize,
    expected: &[u8],
) {
    let mut w = resume_from(env, name, Some(&point.checkpoint))
        .await
        .unwrap();
    w.restore_tail(point.checkpoint.offset, &point.tail)
        .await
        .unwrap();
    assert_eq!(w.written(), at as u64, "{name} resumes exactly at {at}");
    write_from(&mut w, expected, at).await.unwrap();
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.length, expected.len() as u64, "{name}");
    assert_eq!(summary.crc32c, checksum::crc32c(expected), "{name}");
    assert_eq!(read_back(env, name).await, expected, "{name}");
}

#[tokio::test]
async fn abort_leaves_nothing_and_drop_keeps_what_was_uploaded() {
    let env = Env::start().await;
    let bytes = data(5 * PART as usize + 123, 5);

    // Explicit abort after a full segment completed and another upload is open.
    let mut w = writer(&env, "aborted");
    w.write(0, &bytes).await.unwrap();
    assert!(open_uploads(&env, "aborted").await + objects(&env, "aborted").await.len() > 0);
    w.abort().await.unwrap();
    assert_eq!(
        open_uploads(&env, "aborted").await,
        0,
        "no multipart upload left"
    );
    assert!(objects(&env, "aborted").await.is_empty(), "no segment left");

    // Dropped unfinished (a process that went away): the uploaded parts stay and a resume
    // continues after them.
    let mut w = writer(&env, "dropped");
    w.write(0, &bytes[..3 * PART as usize]).await.unwrap();
    w.flush().await.unwrap();
    drop(w);
    assert_eq!(objects(&env, "dropped").await.len(), 1, "segment 0 kept");
    assert_eq!(
        open_uploads(&env, "dropped").await,
        1,
        "segment 1's upload kept"
    );
    let mut w = resumed(&env, "dropped").await;
    assert_eq!(w.durable_offset(), 3 * PART);
    write_from(&mut w, &bytes, 3 * PART as usize).await.unwrap();
    w.finish().await.unwrap();
    assert_eq!(read_back(&env, "dropped").await, bytes);
}

#[tokio::test]
async fn a_failed_upload_keeps_the_last_flush_for_a_resume() {
    let env = Env::start().await;
    let bytes = data(4 * PART as usize, 11);
    let mut w = writer(&env, "failing");
    let flushed_at = 2 * PART as usize + 1;
    w.write(0, &bytes[..flushed_at]).await.unwrap();
    let point = w.flush().await.unwrap();
    assert_eq!(point.checkpoint.offset, 2 * PART);
    assert_eq!(
        point.end(),
        flushed_at as u64,
        "the tail covers every byte written"
    );
    assert_eq!(point.tail, bytes[2 * PART as usize..flushed_at]);
    // The bucket's quota is now exhausted: the next uploads fail.
    let mut faults = env.faults.get();
    faults.full_buckets.push(env.bucket.clone());
    env.faults.set(faults);
    let result = write_from(&mut w, &bytes, flushed_at).await;
    let err = match result {
        Err(e) => e,
        Ok(()) => w.finish().await.unwrap_err(),
    };
    assert!(matches!(err, DataError::S3 { .. }), "{err}");
    assert!(matches!(
        w.write(0, b"x").await,
        Err(DataError::WriterClosed("failed"))
    ));
    env.faults.clear();
    drop(w);
    // What the flush made durable is still there: resume, put the tail back, go on.
    let mut w = resume_from(&env, "failing", Some(&point.checkpoint))
        .await
        .unwrap();
    assert!(w.durable_offset() >= point.checkpoint.offset);
    w.restore_tail(point.checkpoint.offset, &point.tail)
        .await
        .unwrap();
    assert!(w.written() >= flushed_at as u64);
    let from = w.written() as usize;
    write_from(&mut w, &bytes, from).await.unwrap();
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.crc32c, checksum::crc32c(&bytes));
    assert_eq!(read_back(&env, "failing").await, bytes);
}

#[tokio::test]
async fn flush_at_any_offset_then_resume_elsewhere_keeps_every_byte() {
    let env = Env::start().await;
    let len = 5 * PART as usize + 4321;
    let bytes = data(len, 31);
    let offsets = [
        1,
        PART as usize - 512,
        PART as usize,
        PART as usize + 1,
        3 * MIB as usize,
        2 * PART as usize,
        4 * PART as usize + 17,
    ];
    for (i, &at) in offsets.iter().enumerate() {
        let name = format!("flushed-{i}");
        let mut w = writer(&env, &name);
        // Odd write lengths, as a caller may send.
        let mut pos = 0;
        while pos < at {
            let n = (at - pos).min(777_777);
            w.write(pos as u64, &bytes[pos..pos + n]).await.unwrap();
            pos += n;
        }
        let point = w.flush().await.unwrap();
        assert_eq!(point.end(), at as u64, "flush at {at} covers every byte");
        assert_eq!(point.checkpoint.offset % PART, 0);
        assert!(point.tail.len() < PART as usize);
        assert_eq!(
            point.checkpoint.crc32c,
            checksum::crc32c(&bytes[..point.checkpoint.offset as usize])
        );
        drop(w);
        resume_at_and_finish(&env, &name, &point, at, &bytes).await;
    }
}

/// A writer that checkpointed inside a segment, then wrote on until that segment (and the next)
/// completed, and died before its next checkpoint: the checkpointed bytes live only in the
/// completed segment object. The resumed writer keeps them, resumes exactly at the checkpoint,
/// and the image the caller finishes (resending from the checkpoint, with other bytes) reads
/// back as what the caller wrote.
#[tokio::test]
async fn a_segment_completed_after_the_checkpoint_keeps_the_checkpointed_bytes() {
    let env = Env::start().await;
    let seg = 2 * PART as usize;
    let len = 3 * seg + 1234;
    let first = data(len, 51);
    // What the resumed job sends from the checkpoint on differs from what the dead one sent.
    let second = data(len, 52);
    for (i, at) in [PART as usize + 10, seg + PART as usize + 3]
        .into_iter()
        .enumerate()
    {
        let name = format!("completed-after-{i}");
        let mut w = writer(&env, &name);
        write_from(&mut w, &first[..at], 0).await.unwrap();
        let point = w.flush().await.unwrap();
        assert!(point.checkpoint.offset > (at / seg * seg) as u64);
        // Two more segments' worth: the checkpoint's segment and the next one complete.
        let past = (at / seg + 2) * seg + 100;
        write_from(&mut w, &first[..past], at).await.unwrap();
        w.flush().await.unwrap();
        drop(w); // killed before it checkpointed again

        let mut expected = first[..at].to_vec();
        expected.extend_from_slice(&second[at..]);
        resume_at_and_finish(&env, &name, &point, at, &expected).await;
        assert_eq!(open_uploads(&env, &name).await, 0, "checkpoint at {at}");
    }
}

/// A checkpoint exactly at a segment boundary, a dead writer that began the next segment's
/// upload, and a caller that resends nothing more: the image finishes at the checkpoint (no
/// completion of an upload without parts), holds exactly the checkpointed bytes, and leaves
/// no upload behind.
#[tokio::test]
async fn a_resume_at_a_segment_boundary_finishes_without_the_dead_writers_upload() {
    let env = Env::start().await;
    let seg = 2 * PART as usize;
    let bytes = data(seg + PART as usize + 10, 53);
    let mut w = writer(&env, "boundary");
    write_from(&mut w, &bytes[..seg], 0).await.unwrap();
    let point = w.flush().await.unwrap();
    assert_eq!(point.checkpoint.offset, seg as u64);
    write_from(&mut w, &bytes, seg).await.unwrap();
    w.flush().await.unwrap();
    drop(w);
    assert_eq!(open_uploads(&env, "boundary").await, 1);

    let mut w = resume_from(&env, "boundary", Some(&point.checkpoint))
        .await
        .unwrap();
    assert_eq!(w.written(), seg as u64);
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.length, seg as u64);
    assert_eq!(summary.crc32c, checksum::crc32c(&bytes[..seg]));
    assert_eq!(read_back(&env, "boundary").await, &bytes[..seg]);
    assert_eq!(open_uploads(&env, "boundary").await, 0);
}

/// A second upload of the open segment's key, started after the one holding the checkpointed
/// parts (a CreateMultipartUpload retried after its answer was lost): the resume keeps the
/// upload whose parts reach the checkpoint, not the newest.
#[tokio::test]
async fn a_newer_empty_upload_of_the_open_segment_does_not_hide_the_checkpointed_parts() {
    let env = Env::start().await;
    let len = 2 * PART as usize + 77;
    let bytes = data(len, 54);
    let mut w = writer(&env, "two-uploads");
    write_from(&mut w, &bytes[..PART as usize + 5], 0)
        .await
        .unwrap();
    let point = w.flush().await.unwrap();
    assert_eq!(point.checkpoint.offset, PART);
    drop(w);
    tokio::time::sleep(Duration::from_millis(5)).await;
    env.client
        .sdk()
        .create_multipart_upload()
        .bucket(&env.bucket)
        .key(env.image("two-uploads").key(0))
        .send()
        .await
        .unwrap();
    assert_eq!(open_uploads(&env, "two-uploads").await, 2);

    resume_at_and_finish(&env, "two-uploads", &point, PART as usize + 5, &bytes).await;
}

/// A part the checkpoint recorded, overwritten afterwards with other bytes (a writer that lost
/// its lease and went on): the resume refuses, naming the part, instead of adopting bytes the
/// caller never sent there.
#[tokio::test]
async fn a_checkpointed_part_overwritten_later_is_refused_at_resume() {
    let env = Env::start().await;
    let bytes = data(PART as usize + 5, 55);
    let mut w = writer(&env, "overwritten");
    write_from(&mut w, &bytes, 0).await.unwrap();
    let point = w.flush().await.unwrap();
    drop(w);
    let key = env.image("overwritten").key(0);
    let uploads = multipart::list_uploads(&env.client, &env.bucket, &key)
        .await
        .unwrap();
    let other = data(PART as usize, 56);
    env.client
        .sdk()
        .upload_part()
        .bucket(&env.bucket)
        .key(&key)
        .upload_id(&uploads[0].upload_id)
        .part_number(1)
        .checksum_crc32_c(checksum::to_header(checksum::crc32c(&other)))
        .body(other.into())
        .send()
        .await
        .unwrap();
    let err = resume_from(&env, "overwritten", Some(&point.checkpoint))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("overwritten"), "{err}");
}

/// A flush while a part is missing (writes out of order) and the segment after it is already
/// whole: the checkpoint covers only the bytes before the hole (its checksum and segment
/// checksums included), and a resume from it rebuilds exactly those.
#[tokio::test]
async fn a_checkpoint_before_a_hole_ignores_a_segment_completed_past_it() {
    let env = Env::start().await;
    let part = PART as usize;
    let bytes = data(4 * part + 9, 57);
    let mut w = writer(&env, "holed");
    // Part 0, then parts 2 and 3 (segment 1 whole), part 1 not yet.
    w.write(0, &bytes[..part]).await.unwrap();
    w.write(2 * PART, &bytes[2 * part..4 * part]).await.unwrap();
    let point = w.flush().await.unwrap();
    assert_eq!(point.checkpoint.offset, PART);
    assert_eq!(point.checkpoint.crc32c, checksum::crc32c(&bytes[..part]));
    assert!(point.checkpoint.segment_crcs.is_empty(), "{point:?}");
    drop(w);

    // The flush's tail is empty (part 1 never arrived): the resume stands at the checkpoint.
    assert!(point.tail.is_empty());
    resume_at_and_finish(&env, "holed", &point, part, &bytes).await;
}

#[tokio::test]
async fn a_tail_past_the_uploaded_parts_is_refused() {
    let env = Env::start().await;
    let bytes = data(PART as usize + 10, 41);
    let mut w = writer(&env, "lost");
    w.write(0, &bytes[..10]).await.unwrap();
    let point = w.flush().await.unwrap();
    drop(w);
    let mut w = resumed(&env, "lost").await;
    // A tail claimed one part further than the server holds is lost data, never papered over.
    let err = w.restore_tail(PART, &point.tail).await.unwrap_err();
    assert!(matches!(err, DataError::Inconsistent(_)), "{err}");
    let cp = vast_s3_data::Checkpoint {
        offset: PART,
        ..point.checkpoint
    };
    let err = resume_from(&env, "lost", Some(&cp)).await.unwrap_err();
    assert!(matches!(err, DataError::Inconsistent(_)), "{err}");
}

/// Writes the rest of an image and finishes; returns the first error.
async fn complete(w: &mut SegmentedWriter, bytes: &[u8], from: usize) -> Result<(), DataError> {
    for (i, chunk) in bytes[from..].chunks(MIB as usize).enumerate() {
        w.write((from + i * MIB as usize) as u64, chunk).await?;
    }
    w.finish().await.map(|_| ())
}

#[tokio::test]
async fn conditional_create_lets_only_one_writer_win() {
    let env = Env::start().await;
    for (name, len) in [("race-small", 1000usize), ("race-big", 3 * PART as usize)] {
        let a_bytes = data(len, 1);
        let b_bytes = data(len, 2);
        let first = len.min(PART as usize);
        // Both start before either has created anything.
        let mut a = writer(&env, name);
        let mut b = writer(&env, name);
        a.write(0, &a_bytes[..first]).await.unwrap();
        b.write(0, &b_bytes[..first]).await.unwrap();
        complete(&mut a, &a_bytes, first).await.unwrap();
        let err = complete(&mut b, &b_bytes, first).await.unwrap_err();
        assert!(err.is_precondition_failed(), "{err}");
        assert!(matches!(err, DataError::AlreadyExists { .. }), "{err}");
        // The loser's abort removes only its own uploads; the winner's image is intact.
        b.abort().await.unwrap();
        assert_eq!(open_uploads(&env, name).await, 0);
        assert_eq!(read_back(&env, name).await, a_bytes);

        // A writer that starts after the image exists fails before sending its parts.
        let mut c = writer(&env, name);
        let err = complete(&mut c, &b_bytes, 0).await.unwrap_err();
        assert!(matches!(err, DataError::AlreadyExists { .. }), "{err}");
        assert_eq!(read_back(&env, name).await, a_bytes);
    }
    assert_eq!(
        env.faults.counter("s3.error.PreconditionFailed"),
        2,
        "two lost races"
    );
}

#[tokio::test]
async fn suspend_and_resume_from_the_server_record() {
    let env = Env::start().await;
    let len = 5 * PART as usize + 777;
    let bytes = data(len, 21);
    let mut w = writer(&env, "resumable");
    // 3.5 parts: segment 0 completes, segment 1 has one full part and half a part buffered.
    let first = 3 * PART as usize + PART as usize / 2;
    w.write(0, &bytes[..first]).await.unwrap();
    let point = w.suspend().await.unwrap();
    let cp = point.checkpoint.clone();
    assert_eq!(cp.offset, 3 * PART, "whole parts uploaded");
    assert_eq!(
        point.tail,
        bytes[cp.offset as usize..first],
        "the half part handed back"
    );
    assert_eq!(cp.crc32c, checksum::crc32c(&bytes[..cp.offset as usize]));
    assert_eq!(cp.segment_crcs.len(), 1);
    drop(w);
    assert_eq!(
        open_uploads(&env, "resumable").await,
        1,
        "suspend keeps the open upload"
    );

    for with_checkpoint in [true, false] {
        let name = "resumable";
        let mut w = resume_from(&env, name, with_checkpoint.then_some(&cp))
            .await
            .unwrap();
        assert_eq!(w.durable_offset(), cp.offset);
        if with_checkpoint {
            // Put the tail back, write a little more, suspend again (no new whole part), then
            // go on without the checkpoint in the second round.
            w.restore_tail(cp.offset, &point.tail).await.unwrap();
            w.write(first as u64, &bytes[first..first + 1000])
                .await
                .unwrap();
            let again = w.suspend().await.unwrap();
            assert_eq!(again.checkpoint, cp);
            assert_eq!(again.tail, bytes[cp.offset as usize..first + 1000]);
            continue;
        }
        let start = w.durable_offset() as usize;
        write_from(&mut w, &bytes, start).await.unwrap();
        let summary = w.finish().await.unwrap();
        assert_eq!(summary.length, len as u64);
        assert_eq!(summary.crc32c, checksum::crc32c(&bytes));
    }
    assert_eq!(read_back(&env, "resumable").await, bytes);
    assert_eq!(open_uploads(&env, "resumable").await, 0);
}

#[tokio::test]
async fn writers_share_one_budget_with_back_pressure() {
    let env = Env::start().await;
    // Room for three parts in the whole process, four writers with up to three uploads each.
    let budget = BufferBudget::new(3 * PART as usize);
    let config = WriterConfig {
        max_in_flight: 3,
        ..small_config()
    };
    let mut tasks = Vec::new();
    for i in 0..4u64 {
        let (client, budget, loc, config) = (
            env.client.clone(),
            budget.clone(),
            env.image(&format!("shared{i}")),
            config.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let bytes = data(4 * PART as usize + 5, 100 + i);
            let mut w = SegmentedWriter::new(client, budget, loc, config).unwrap();
            for (j, chunk) in bytes.chunks(MIB as usize).enumerate() {
                w.write((j as u64) * MIB, chunk).await.unwrap();
            }
            (w.finish().await.unwrap(), checksum::crc32c(&bytes))
        }));
    }
    let mut peak = 0;
    while tasks.iter().any(|t| !t.is_finished()) {
        let s = budget.stats();
        peak = peak.max(s.in_use_bytes);
        assert!(s.in_use_bytes + s.pooled_bytes <= s.total_bytes, "{s:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for t in tasks {
        let (summary, crc) = t.await.unwrap();
        assert_eq!(summary.crc32c, crc);
    }
    let s = budget.stats();
    assert!(peak <= s.total_bytes);
    assert_eq!(s.in_use_bytes, 0);
    assert!(
        s.allocations <= 3,
        "at most one allocation per budget slot: {s:?}"
    );
    assert!(s.reuses >= 4 * 5 - 3, "{s:?}");
}

#[tokio::test]
async fn throttling_server_errors_and_connection_resets_are_retried() {
    let env = Env::start().await;
    // Ten attempts per request make a run that fails by bad luck vanishingly rare.
    let client = vast_s3_data::S3ClientBuilder::new(&env.url, &env.access_key, &env.secret_key)
        .max_attempts(10)
        .build()
        .unwrap();
    let bytes = data(3 * PART as usize + 99, 31);
    for (status, reset_rate) in [(503, 0.0), (500, 0.0), (503, 0.15)] {
        let name = format!("flaky{status}-{reset_rate}");
        let mut faults = env.faults.get();
        faults.s3.error_rate = 0.2;
        faults.s3.error_status = status;
        faults.s3.reset_rate = reset_rate;
        env.faults.set(faults);
        let mut w = SegmentedWriter::new(
            client.clone(),
            env.budget.clone(),
            env.image(&name),
            small_config(),
        )
        .unwrap();
        for (i, chunk) in bytes.chunks(MIB as usize).enumerate() {
            w.write(i as u64 * MIB, chunk).await.unwrap();
        }
        let summary = w.finish().await.unwrap();
        // Read back sequentially (read-ahead) and at random, both under the same faults.
        let seg = small_config().segment_size;
        let mut r = ImageReader::new(
            client.clone(),
            env.budget.clone(),
            env.image(&name),
            seg,
            bytes.len() as u64,
            ReaderConfig {
                chunk_size: MIB,
                ..ReaderConfig::default()
            },
        )
        .unwrap();
        let mut read = Vec::new();
        while read.len() < bytes.len() {
            read.extend(r.read_at(read.len() as u64, MIB as usize).await.unwrap());
        }
        let random = r.read_at(7 * MIB + 3, 2 * MIB as usize).await.unwrap();
        env.faults.clear();
        assert_eq!(summary.crc32c, checksum::crc32c(&bytes));
        assert_eq!(read, bytes);
        assert_eq!(
            random,
            &bytes[(7 * MIB + 3) as usize..(9 * MIB + 3) as usize]
        );
    }
    assert!(
        env.faults.counter("s3.faults.error") > 0,
        "errors were injected and retried"
    );
    assert!(
        env.faults.counter("s3.faults.reset") > 0,
        "connections were reset and retried"
    );
}

#[tokio::test]
async fn a_cancelled_write_makes_the_writer_unusable_and_keeps_the_upload() {
    let env = Env::start().await;
    let budget = BufferBudget::new(2 * PART as usize);
    let bytes = data(2 * PART as usize, 8);
    let mut w = SegmentedWriter::new(
        env.client.clone(),
        budget.clone(),
        env.image("cancelled"),
        small_config(),
    )
    .unwrap();
    w.write(0, &bytes[..PART as usize]).await.unwrap();
    // Hold the whole budget so the next write waits for memory, then give up on that write.
    let hog = loop {
        if let Some(b) = budget.try_acquire(2 * PART as usize).unwrap() {
            break b;
        }
        tokio::task::yield_now().await;
    };
    {
        let pending = w.write(PART, &bytes[PART as usize..]);
        futures::pin_mut!(pending);
        assert!(
            futures::poll!(pending.as_mut()).is_pending(),
            "waits for the budget"
        );
    }
    drop(hog);
    let err = w.write(PART, &bytes[PART as usize..]).await.unwrap_err();
    assert!(matches!(err, DataError::WriterClosed(_)), "{err}");
    drop(w);
    // The part uploaded before the cancelled call stays; a resume continues after it.
    let mut w = resumed(&env, "cancelled").await;
    assert_eq!(w.durable_offset(), PART);
    write_from(&mut w, &bytes, PART as usize).await.unwrap();
    w.finish().await.unwrap();
    assert_eq!(read_back(&env, "cancelled").await, bytes);
}
