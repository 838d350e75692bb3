//! Copies (sync and async), events, health, configuration and statistics against vast-sim.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::*;
use ost_core::{CloseFlags, CopyRequest, CreateFlags, EventKind, OpState, OstError};
use vast_sim::faults::FaultConfig;

fn write_image(p: &ost_core::Plugin, s: ost_core::ServerId, name: &str, bytes: &[u8]) {
    let h = p
        .create_image(s, &default_lsu(), &image(name), CreateFlags::empty())
        .unwrap();
    write_all(p, h, bytes, 0, MIB);
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
}

#[test]
fn sync_copy_to_another_lsu_is_a_complete_image() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let bytes = data(12 * MIB + 5, 1);
    write_image(&p, s, "original", &bytes);
    p.write_image_meta(s, &default_lsu(), &id("original"), 0, b"nb-header")
        .unwrap();
    let second = lsu("netbackup-pool-02");
    p.create_lsu(s, &second).unwrap();
    let req = CopyRequest {
        src_lsu: default_lsu(),
        src: id("original"),
        dst_lsu: second.clone(),
        dst: image("original_C2"),
    };
    assert_eq!(p.copy_image(s, &req).unwrap(), bytes.len() as u64);
    assert_eq!(read_all(&p, s, &second, &id("original_C2"), 4 << 20), bytes);
    let mut buf = [0u8; 32];
    let n = p
        .read_image_meta(s, &second, &id("original_C2"), 0, &mut buf)
        .unwrap();
    assert_eq!(&buf[..n], b"nb-header");
    // A second copy onto the same name is refused; copying a missing image is "no entry".
    assert!(matches!(
        p.copy_image(s, &req),
        Err(OstError::AlreadyExists { .. })
    ));
    let missing = CopyRequest {
        src: id("nope"),
        dst: image("nope2"),
        ..req.clone()
    };
    assert_eq!(p.copy_image(s, &missing).unwrap_err().code(), 2_060_013);
    // A pending image is not copied.
    let h = p
        .create_image(s, &default_lsu(), &image("pending"), CreateFlags::empty())
        .unwrap();
    let pending = CopyRequest {
        src: id("pending"),
        dst: image("pending_copy"),
        ..req.clone()
    };
    assert!(matches!(
        p.copy_image(s, &pending),
        Err(OstError::Busy { .. })
    ));
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(
        p.statistics(s).unwrap().server.bytes_copied,
        bytes.len() as u64
    );
}

#[test]
fn a_failed_copy_leaves_nothing() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    write_image(&p, s, "src", &data(3 * MIB, 2));
    let target = lsu("netbackup-pool-03");
    p.create_lsu(s, &target).unwrap();
    env.set_faults(FaultConfig {
        full_buckets: vec![target.to_string()],
        ..FaultConfig::default()
    });
    let req = CopyRequest {
        src_lsu: default_lsu(),
        src: id("src"),
        dst_lsu: target.clone(),
        dst: image("dst"),
    };
    let err = p.copy_image(s, &req).unwrap_err();
    assert!(matches!(err, OstError::NoSpace { .. }), "{err}");
    env.set_faults(FaultConfig::default());
    assert!(env.s3_keys(target.as_str(), "netbackup/").is_empty());
}

#[test]
fn async_copy_reports_progress_and_an_event() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let bytes = data(21 * MIB, 3);
    write_image(&p, s, "big", &bytes);
    let ch = p.open_event_channel(s).unwrap();
    let req = CopyRequest {
        src_lsu: default_lsu(),
        src: id("big"),
        dst_lsu: default_lsu(),
        dst: image("big_copy"),
    };
    let op = p.async_copy_image(s, &req).unwrap();
    let done = p.wait_operation(op).unwrap();
    assert_eq!(done.state, OpState::Done);
    assert_eq!(done.bytes_done, bytes.len() as u64);
    assert_eq!(done.bytes_total, bytes.len() as u64);
    assert_eq!(p.query_operation(op).unwrap(), done);
    let event = p.next_event(ch, Duration::from_secs(10)).unwrap();
    assert_eq!(event.kind, EventKind::CopyDone);
    assert_eq!(event.image, Some(id("big_copy")));
    assert_eq!(
        read_all(&p, s, &default_lsu(), &id("big_copy"), 8 << 20),
        bytes
    );
    p.release_operation(op).unwrap();
    assert!(p.query_operation(op).is_err());
    // Nothing else is queued.
    assert_eq!(
        p.next_event(ch, Duration::from_millis(50))
            .unwrap_err()
            .code(),
        2_060_013
    );
    p.close_event_channel(ch).unwrap();
}

#[test]
fn a_cancelled_async_copy_leaves_nothing() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    write_image(&p, s, "slow_src", &data(31 * MIB, 4));
    // Slow S3 so the cancel lands while segments are still being copied.
    env.set_faults(FaultConfig {
        s3: vast_sim::faults::FaceFaults {
            latency_ms: 200,
            ..Default::default()
        },
        ..FaultConfig::default()
    });
    let req = CopyRequest {
        src_lsu: default_lsu(),
        src: id("slow_src"),
        dst_lsu: default_lsu(),
        dst: image("slow_dst"),
    };
    let op = p.async_copy_image(s, &req).unwrap();
    p.cancel_operation(op).unwrap();
    let status = p.wait_operation(op).unwrap();
    env.set_faults(FaultConfig::default());
    match status.state {
        OpState::Cancelled => {
            assert!(env
                .s3_keys(default_lsu().as_str(), "netbackup/slow_dst/")
                .is_empty());
        }
        // The copy may finish before the cancel is seen: then it is complete.
        OpState::Done => {
            assert_eq!(
                read_all(&p, s, &default_lsu(), &id("slow_dst"), 8 << 20).len(),
                31 * MIB
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn image_events_health_config_and_statistics() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let ch = p.open_event_channel(s).unwrap();
    write_image(&p, s, "evented", &data(MIB, 5));
    let e = p.next_event(ch, Duration::from_secs(5)).unwrap();
    assert_eq!(
        (e.kind, e.image),
        (EventKind::ImageCreated, Some(id("evented")))
    );
    p.delete_image(s, &default_lsu(), &id("evented")).unwrap();
    assert_eq!(
        p.next_event(ch, Duration::from_secs(5)).unwrap().kind,
        EventKind::ImageDeleted
    );

    let health = p.health_check(s).unwrap();
    assert!(health.healthy(), "{health:?}");
    assert!(health
        .checks
        .iter()
        .any(|c| c.name == "lsu:netbackup-pool-01" && c.ok));
    env.set_faults(FaultConfig {
        full_buckets: vec![default_lsu().to_string()],
        ..FaultConfig::default()
    });
    let sick = p.health_check(s).unwrap();
    assert!(!sick.healthy());
    assert!(sick
        .checks
        .iter()
        .any(|c| c.name == "lsu:netbackup-pool-01" && !c.ok));
    env.set_faults(FaultConfig::default());

    assert_eq!(p.get_config(s, "tenant").unwrap(), "netbackup");
    assert_eq!(p.get_config(s, "part_size").unwrap(), (5 << 20).to_string());
    assert!(matches!(
        p.get_config(s, "password"),
        Err(OstError::PermissionDenied { .. })
    ));
    assert!(p.get_config(s, "nonsense").is_err());
    p.set_config(s, "orphan_age_secs", "120").unwrap();
    assert_eq!(p.get_config(s, "orphan_age_secs").unwrap(), "120");
    assert!(matches!(
        p.set_config(s, "tenant", "x"),
        Err(OstError::NotSupported { .. })
    ));
    assert!(p.set_config(s, "lsu_cache_secs", "soon").is_err());

    let stats = p.statistics(s).unwrap();
    assert_eq!(stats.server.bytes_written, MIB as u64);
    // Every entry point on the server counts; the failed get/set_config calls above are not
    // entry points that reach VMS or S3, the failed health LSU probe is a check, not an error.
    assert!(stats.server.operations >= 5, "{stats:?}");
    assert_eq!(stats.lsus[0].1.images_deleted, 1);
    assert_eq!(stats.server.images_created, 1);
    assert_eq!(stats.server.images_deleted, 1);
    assert_eq!(stats.lsus.len(), 1);
    assert_eq!(stats.lsus[0].0, default_lsu());
}

#[test]
fn cluster_events_reach_the_channel_and_opens_share_state() {
    let env = Env::start();
    let p = env.plugin();
    let s1 = env.open(&p);
    let s2 = env.open(&p);
    p.list_lsus(s1).unwrap();
    p.set_config(s2, "event_poll_secs", "1").unwrap();
    let ch = p.open_event_channel(s2).unwrap();
    // Two opens of the same server in one process share open images and events.
    let h = p
        .create_image(s1, &default_lsu(), &image("shared"), CreateFlags::empty())
        .unwrap();
    assert!(matches!(
        p.create_image(s2, &default_lsu(), &image("shared"), CreateFlags::empty()),
        Err(OstError::Busy { .. })
    ));
    p.write_image(h, 0, b"abc").unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    let e = p.next_event(ch, Duration::from_secs(5)).unwrap();
    assert_eq!(
        (e.kind, e.image),
        (EventKind::ImageCreated, Some(id("shared")))
    );
    // A VMS-side change (a new bucket view) shows up as a cluster event.
    p.create_lsu(s1, &lsu("netbackup-pool-09")).unwrap();
    let mut cluster = None;
    for _ in 0..20 {
        match p.next_event(ch, Duration::from_secs(1)) {
            Ok(e) if e.kind == EventKind::Cluster => {
                cluster = Some(e);
                break;
            }
            _ => {}
        }
    }
    let cluster = cluster.expect("a cluster event within 20 s");
    assert!(!cluster.message.is_empty(), "{cluster:?}");
    assert_eq!(p.statistics(s2).unwrap().server.images_completed, 1);
}

/// NetBackup may open several event channels on one server in one process: each sees a cluster
/// event exactly once (one VMS poller per server, not one per channel), and nothing more
/// arrives in the following poll intervals.
#[test]
fn a_cluster_event_reaches_each_of_three_channels_once() {
    let env = Env::start();
    let p = env.plugin_with(|c| c.event_poll_secs = 1);
    let s1 = env.open(&p);
    let s2 = env.open(&p);
    let channels = [
        p.open_event_channel(s1).unwrap(),
        p.open_event_channel(s1).unwrap(),
        p.open_event_channel(s2).unwrap(),
    ];
    // Let the poller take its starting point (events before the first channel are not news).
    std::thread::sleep(Duration::from_millis(1200));
    let message = "injected for the three channels";
    env.vms(async |c| {
        c.send_json::<_, serde_json::Value>(
            vast_vms_client::Method::POST,
            "events/",
            &vast_vms_client::Query::default(),
            Some(&serde_json::json!({
                "object_type": "cluster",
                "object_id": 1,
                "event_message": message,
            })),
        )
        .await
    })
    .unwrap();
    for ch in channels {
        // The event arrives, then no copy of it for two poll intervals and more.
        let mut seen = 0;
        while let Ok(e) = p.next_event(ch, Duration::from_millis(2500)) {
            if e.kind == EventKind::Cluster && e.message == message {
                seen += 1;
            }
        }
        assert_eq!(seen, 1, "channel {ch:?} saw the event {seen} times");
        p.close_event_channel(ch).unwrap();
    }
}
