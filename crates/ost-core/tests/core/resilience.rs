//! Concurrency, crashes, quota, token expiry and failed writes against vast-sim.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use ost_core::{CloseFlags, CreateFlags, ImageFilter, ImageInfoFlags, OpenMode, OstError};
use vast_sim::faults::{FaceFaults, FaultConfig};

#[test]
fn images_written_concurrently_from_many_threads() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    // Two images, each fed by four threads taking 1 MiB chunks in turn.
    let shared: Vec<(String, Vec<u8>)> = (0..2)
        .map(|i| (format!("shared_{i}"), data(14 * MIB + 17, 10 + i)))
        .collect();
    let p: &ost_core::Plugin = &p;
    let l = &l;
    std::thread::scope(|scope| {
        for (name, bytes) in &shared {
            let h = p
                .create_image(s, l, &image(name), CreateFlags::empty())
                .unwrap();
            let next = Arc::new(AtomicUsize::new(0));
            let chunks: Vec<&[u8]> = bytes.chunks(MIB).collect();
            let chunks = Arc::new(chunks);
            let writers: Vec<_> = (0..4)
                .map(|_| {
                    let (next, chunks) = (next.clone(), chunks.clone());
                    scope.spawn(move || loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(c) = chunks.get(i) else { break };
                        p.write_image(h, (i * MIB) as u64, c).unwrap();
                    })
                })
                .collect();
            scope.spawn(move || {
                for w in writers {
                    w.join().unwrap();
                }
                p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
            });
        }
        // Meanwhile, four more images, one thread each.
        for i in 0..4u64 {
            scope.spawn(move || {
                let bytes = data(6 * MIB + i as usize, 20 + i);
                let def = image(&format!("single_{i}"));
                let h = p.create_image(s, l, &def, CreateFlags::empty()).unwrap();
                write_all(p, h, &bytes, 0, 256 << 10);
                p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
            });
        }
    });
    for (name, bytes) in &shared {
        assert_eq!(&read_all(p, s, l, &id(name), 3 << 20), bytes, "{name}");
    }
    for i in 0..4u64 {
        let bytes = data(6 * MIB + i as usize, 20 + i);
        assert_eq!(read_all(p, s, l, &id(&format!("single_{i}")), MIB), bytes);
    }
    assert_eq!(p.list_images(s, l, &ImageFilter::all()).unwrap().len(), 6);
    let stats = p.statistics(s).unwrap();
    assert_eq!(stats.server.images_completed, 6);
    assert_eq!(stats.open_images, 0);
    let expected: u64 = shared.iter().map(|(_, b)| b.len() as u64).sum::<u64>()
        + (0..4).map(|i| 6 * MIB as u64 + i).sum::<u64>();
    assert_eq!(stats.server.bytes_written, expected);
}

#[test]
fn a_crash_mid_write_is_swept_leaving_no_trace() {
    let env = Env::start();
    let l = default_lsu();
    let crashed = env.plugin();
    let s = env.open(&crashed);
    let keep = image("kept_checkpoint");
    let h = crashed
        .create_image(s, &l, &keep, CreateFlags::empty())
        .unwrap();
    crashed.write_image(h, 0, &data(6 * MIB, 1)).unwrap();
    crashed.close_image(h, CloseFlags::IH_INCOMPLETE).unwrap();
    let h = crashed
        .create_image(s, &l, &image("crashed"), CreateFlags::empty())
        .unwrap();
    write_all(&crashed, h, &data(13 * MIB, 2), 0, MIB);
    // The process dies: no close, the handle just goes away with the plugin.
    crashed.terminate();
    drop(crashed);
    assert!(!env.s3_keys(l.as_str(), "netbackup/crashed/").is_empty());

    // A young pending image is not an orphan yet.
    let patient = env.plugin();
    let s = env.open(&patient);
    let report = patient.sweep_orphans(s).unwrap();
    assert!(report.images_removed.is_empty(), "{report:?}");
    patient.terminate();

    let sweeper = env.plugin_with(|c| c.orphan_age_secs = 0);
    let s = env.open(&sweeper);
    // An image open in this process is never swept, whatever its age.
    let live = sweeper
        .create_image(s, &l, &image("live"), CreateFlags::empty())
        .unwrap();
    sweeper.write_image(live, 0, &data(6 * MIB, 3)).unwrap();
    let report = sweeper.sweep_orphans(s).unwrap();
    let mut removed: Vec<String> = report
        .images_removed
        .iter()
        .map(|(_, id)| id.basename.to_string())
        .collect();
    removed.sort();
    assert_eq!(removed, ["crashed", "kept_checkpoint"]);
    assert!(env.s3_keys(l.as_str(), "netbackup/crashed/").is_empty());
    assert_eq!(env.s3_uploads(l.as_str(), "netbackup/crashed/"), 0);
    assert!(env
        .s3_keys(l.as_str(), "netbackup/kept_checkpoint/")
        .is_empty());
    assert_eq!(env.s3_uploads(l.as_str(), "netbackup/kept_checkpoint/"), 0);
    assert_eq!(
        sweeper
            .image_props_by_name(s, &l, &id("crashed"))
            .unwrap_err()
            .code(),
        2_060_013
    );
    sweeper.close_image(live, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(
        sweeper
            .image_props_by_name(s, &l, &id("live"))
            .unwrap()
            .size,
        6 * MIB as u64
    );
}

#[test]
fn quota_exhausted_mid_backup_is_no_space_and_the_image_stays_resumable() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let def = image("too_big");
    let bytes: Vec<u8> = (0..40).flat_map(|i| data(MIB, i as u64)).collect();
    let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
    write_all(&p, h, &bytes[..11 * MIB], 0, MIB);
    p.flush_image(h).unwrap();
    env.set_faults(FaultConfig {
        full_buckets: vec![l.to_string()],
        ..FaultConfig::default()
    });
    let mut err = None;
    for i in 11..40 {
        if let Err(e) = p.write_image(h, (i * MIB) as u64, &bytes[i * MIB..(i + 1) * MIB]) {
            err = Some(e);
            break;
        }
    }
    let err = err.unwrap_or_else(|| p.close_image(h, CloseFlags::IH_COMPLETE).unwrap_err());
    assert!(matches!(err, OstError::NoSpace { .. }), "{err}");
    assert_eq!(err.code(), 2_060_904);
    // The failure sticks to the handle and close reports it; nothing is removed.
    let _ = p.write_image(h, 50 * MIB as u64, b"x").unwrap_err();
    let close = p.close_image(h, CloseFlags::IH_COMPLETE);
    assert!(close.is_err());
    env.set_faults(FaultConfig::default());
    let info = p.image_props_by_name(s, &l, &def.id()).unwrap();
    assert_eq!(info.flags, ImageInfoFlags::IMAGE_PENDING);
    assert_eq!(
        info.size,
        11 * MIB as u64,
        "the flushed bytes survive the failure"
    );
    // Space again: the job resumes where the flush left it and completes.
    let h = p.open_image(s, &l, &def.id(), OpenMode::WRITE).unwrap();
    write_all(&p, h, &bytes[11 * MIB..], 11 * MIB as u64, MIB);
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(read_all(&p, s, &l, &def.id(), 4 << 20), bytes);
}

#[test]
fn a_vms_quota_hard_limit_is_no_space() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    assert_eq!(p.list_lsus(s).unwrap(), vec![l.clone()]);
    env.vms(async |c| {
        let view = c.views().by_bucket(l.as_str()).await.unwrap().unwrap();
        c.quotas()
            .create(&vast_vms_client::NewQuota::new(
                "nbu-pool-limit",
                &view.path,
                8 << 20,
            ))
            .await
            .unwrap();
    });
    let info = p.lsu_info(s, &l).unwrap();
    assert_eq!(info.capacity, 8 << 20);
    let h = p
        .create_image(s, &l, &image("over_quota"), CreateFlags::empty())
        .unwrap();
    let mut failed = None;
    for i in 0..12 {
        if let Err(e) = p.write_image(h, (i * MIB) as u64, &data(MIB, i as u64)) {
            failed = Some(e);
            break;
        }
    }
    let err = match failed {
        Some(e) => {
            assert!(p.close_image(h, CloseFlags::IH_COMPLETE).is_err());
            e
        }
        None => p.close_image(h, CloseFlags::IH_COMPLETE).unwrap_err(),
    };
    assert!(matches!(err, OstError::NoSpace { .. }), "{err}");
    // Pending, not sealed; NetBackup expires it with a delete, which removes all of it.
    let info = p.image_props_by_name(s, &l, &id("over_quota")).unwrap();
    assert_eq!(info.flags, ImageInfoFlags::IMAGE_PENDING);
    p.delete_image(s, &l, &id("over_quota")).unwrap();
    assert!(env.s3_keys(l.as_str(), "netbackup/over_quota/").is_empty());
    assert_eq!(env.s3_uploads(l.as_str(), "netbackup/over_quota/"), 0);
}

#[test]
fn token_expiry_during_a_long_backup_is_invisible() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let def = image("long_backup");
    let bytes = data(16 * MIB, 5);
    let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
    for (i, chunk) in bytes.chunks(2 * MIB).enumerate() {
        if i % 2 == 0 {
            env.sim.faults().expire_tokens_now();
            // NetBackup polls the LSU while it writes: VMS calls with an expired token.
            p.lsu_info(s, &l).unwrap();
            p.list_lsus(s).unwrap();
        }
        p.write_image(h, (i * 2 * MIB) as u64, chunk).unwrap();
    }
    env.sim.faults().expire_tokens_now();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    p.server_props(s).unwrap();
    assert_eq!(read_all(&p, s, &l, &def.id(), 4 << 20), bytes);
}

#[test]
fn an_s3_failure_fails_the_handle_and_leaves_the_image_pending_and_resumable() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let def = image("doomed");
    let bytes = data(12 * MIB + 5, 6);
    let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
    write_all(&p, h, &bytes[..6 * MIB + 3], 0, MIB);
    p.flush_image(h).unwrap();
    env.set_faults(FaultConfig {
        s3: FaceFaults {
            error_rate: 1.0,
            error_status: 500,
            ..FaceFaults::default()
        },
        ..FaultConfig::default()
    });
    let mut first = None;
    for i in 6..40 {
        if let Err(e) = p.write_image(h, (i * MIB) as u64 + 3, &data(MIB, 7)) {
            first = Some(e);
            break;
        }
    }
    let first = first.expect("an S3 outage surfaces at a later write");
    env.set_faults(FaultConfig::default());
    // The handle stays failed: flush and writes repeat the error, close reports it.
    assert_eq!(p.flush_image(h).unwrap_err(), first);
    assert_eq!(p.write_image(h, 60 * MIB as u64, b"x").unwrap_err(), first);
    assert_eq!(
        p.close_image(h, CloseFlags::IH_COMPLETE).unwrap_err(),
        first
    );
    // Not sealed, not removed: Pending at the last flush.
    let info = p.image_props_by_name(s, &l, &def.id()).unwrap();
    assert_eq!(info.flags, ImageInfoFlags::IMAGE_PENDING);
    assert_eq!(info.size, 6 * MIB as u64 + 3);
    let h = p.open_image(s, &l, &def.id(), OpenMode::WRITE).unwrap();
    write_all(&p, h, &bytes[6 * MIB + 3..], 6 * MIB as u64 + 3, MIB);
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(read_all(&p, s, &l, &def.id(), 4 << 20), bytes);
    let stats = p.statistics(s).unwrap();
    assert!(stats.server.errors >= 1, "{stats:?}");
}

/// A Pending image whose descriptor cannot be read while a sweep runs (one failed GET) is
/// left whole, uploads included: its open upload holds bytes NetBackup was told are stored.
/// (The sweep used to judge it "not pending" and abort its uploads as stale.)
#[test]
fn a_sweep_that_cannot_read_a_pending_descriptor_leaves_its_uploads() {
    let env = Env::start();
    let l = default_lsu();
    let writer = env.plugin();
    let s = env.open(&writer);
    let bytes = data(12 * MIB, 7);
    let def = image("unreadable_now");
    let h = writer
        .create_image(s, &l, &def, CreateFlags::empty())
        .unwrap();
    write_all(&writer, h, &bytes[..7 * MIB], 0, MIB);
    writer.close_image(h, CloseFlags::IH_INCOMPLETE).unwrap();
    let acked = writer.image_props_by_name(s, &l, &def.id()).unwrap().size;
    assert_eq!(acked, 7 * MIB as u64);

    // Every upload is older than the sweeper's orphan age (0 s); only descriptor reads fail.
    let sweeper = env.plugin_with(|c| c.orphan_age_secs = 0);
    let s2 = env.open(&sweeper);
    env.set_faults(FaultConfig {
        s3: FaceFaults {
            error_rate: 1.0,
            error_status: 403,
            error_code: Some("AccessDenied".into()),
            path_contains: Some("/metadata".into()),
            ..FaceFaults::default()
        },
        ..FaultConfig::default()
    });
    let report = sweeper.sweep_orphans(s2).unwrap();
    env.set_faults(FaultConfig::default());
    assert!(report.images_removed.is_empty(), "{report:?}");
    assert_eq!(report.uploads_aborted, 0, "{report:?}");

    // NetBackup resumes where it was told the image stands, and gets back what it wrote.
    let h = writer
        .open_image(s, &l, &def.id(), OpenMode::WRITE)
        .unwrap();
    write_all(&writer, h, &bytes[7 * MIB..], acked, MIB);
    writer.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(read_all(&writer, s, &l, &def.id(), MIB), bytes);
}

#[test]
fn a_long_backup_in_another_process_is_not_swept() {
    let env = Env::start();
    let l = default_lsu();
    // orphan_age 4 s, shorter than the backup: the writer's lease keeps it alive.
    let writer = env.plugin_with(|c| c.orphan_age_secs = 4);
    let s = env.open(&writer);
    let h = writer
        .create_image(s, &l, &image("long_running"), CreateFlags::empty())
        .unwrap();
    let sweeper = env.plugin_with(|c| c.orphan_age_secs = 4);
    let s2 = env.open(&sweeper);
    let mut offset = 0u64;
    // Keep writing for longer than the orphan age, sweeping from the other process meanwhile.
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(7) {
        writer
            .write_image(h, offset, &data(MIB / 2, offset))
            .unwrap();
        offset += (MIB / 2) as u64;
        std::thread::sleep(std::time::Duration::from_millis(250));
        let report = sweeper.sweep_orphans(s2).unwrap();
        assert!(report.images_removed.is_empty(), "{report:?}");
    }
    // The other process sees the image busy, and its size once the writer flushed; it may
    // neither delete it nor open it for write.
    writer.flush_image(h).unwrap();
    let seen = sweeper
        .image_props_by_name(s2, &l, &id("long_running"))
        .unwrap();
    assert_eq!(seen.size, offset);
    assert!(seen.flags.contains(ImageInfoFlags::BUSY_WRITE), "{seen:?}");
    let busy = sweeper
        .open_image(s2, &l, &id("long_running"), OpenMode::WRITE)
        .unwrap_err();
    assert_eq!(busy.code(), 2_060_905, "{busy}");
    let busy = sweeper
        .delete_image(s2, &l, &id("long_running"))
        .unwrap_err();
    assert_eq!(busy.code(), 2_060_905, "{busy}");
    writer.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(
        sweeper
            .image_props_by_name(s2, &l, &id("long_running"))
            .unwrap()
            .size,
        offset
    );
}

/// An S3 `EntityTooLarge` answer to a descriptor's PutObject is "no space" for NetBackup, as it
/// is for segment uploads, with the S3 code in the cause (one S3 error mapping for every call).
#[test]
fn entity_too_large_on_a_small_object_is_no_space_with_the_s3_cause() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    p.list_lsus(s).unwrap();
    env.set_faults(FaultConfig {
        s3: FaceFaults {
            error_rate: 1.0,
            error_status: 400,
            error_code: Some("EntityTooLarge".to_owned()),
            ..FaceFaults::default()
        },
        ..FaultConfig::default()
    });
    let err = p
        .create_image(s, &l, &image("too_large"), CreateFlags::empty())
        .unwrap_err();
    env.set_faults(FaultConfig::default());
    assert!(matches!(err, OstError::NoSpace { .. }), "{err:?}");
    assert_eq!(err.code(), 2_060_904, "STS_ENOSPC");
    let cause = err.to_string();
    assert!(cause.contains("EntityTooLarge"), "{cause}");
    assert!(cause.contains("PutObject"), "{cause}");
    assert!(cause.contains("Injected by vast-sim"), "{cause}");
}
