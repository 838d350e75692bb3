//! `get_config` / `set_config` against vast-sim, from the caller's side: every documented key
//! is answered but the secrets, and each run-time setter changes what the server does next.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::*;
use ost_core::config::keys::SERVER_KEYS;
use ost_core::{CloseFlags, CreateFlags, OstError};
use vast_sim::faults::{FaceFaults, FaultConfig};

#[test]
fn get_config_answers_the_documented_keys_it_refused_and_never_a_secret() {
    let env = Env::start();
    let p = env.plugin_with(|c| {
        c.api_token = None;
        c.bucket_path_prefix = "/nbu".to_owned();
        c.s3_port = Some(9443);
    });
    let s = env.open(&p);
    let (user, _) = env.sim.admin_credentials();
    // The keys the first version refused although the documentation lists them.
    let expected = [
        ("insecure", "false".to_owned()),
        ("ca_bundle", String::new()),
        ("s3_vippool", String::new()),
        ("s3_https", "true".to_owned()),
        ("s3_port", "9443".to_owned()),
        ("bucket_path_prefix", "/nbu".to_owned()),
        ("username", user.to_owned()),
        ("nfs_root", String::new()),
        ("vms_timeout_secs", "10".to_owned()),
        ("s3_timeout_secs", "30".to_owned()),
        ("connect_timeout_secs", "10".to_owned()),
        ("vms_url", env.sim.vms_url()),
        ("part_size", PART.to_string()),
    ];
    for (key, value) in expected {
        assert_eq!(p.get_config(s, key).unwrap(), value, "{key}");
    }
    for secret in ["password", "api_token"] {
        assert!(matches!(
            p.get_config(s, secret),
            Err(OstError::PermissionDenied { .. })
        ));
    }
}

#[test]
fn get_config_answers_every_key_of_the_table_but_the_secrets() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let (_, password) = env.sim.admin_credentials();
    for key in SERVER_KEYS {
        match p.get_config(s, key.name) {
            Ok(v) => {
                assert!(
                    !key.is_secret(),
                    "{} is a secret but was answered",
                    key.name
                );
                assert!(!v.contains(password), "{} leaks the password", key.name);
            }
            Err(OstError::PermissionDenied { cause }) => {
                assert!(key.is_secret(), "{} refused: {cause}", key.name);
                assert!(!cause.contains(password), "{cause}");
            }
            Err(e) => panic!("{}: {e}", key.name),
        }
    }
    assert!(matches!(
        p.get_config(s, "nonsense"),
        Err(OstError::InvalidArgument { .. })
    ));
}

#[test]
fn set_config_refuses_file_only_keys_naming_the_settable_ones() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    for key in ["tenant", "read_chunk_size", "password", "nonsense"] {
        match p.set_config(s, key, "1") {
            Err(OstError::NotSupported { cause }) => {
                assert!(cause.contains(key), "{cause}");
                assert!(cause.contains("read_ahead_chunks"), "{cause}");
                assert!(cause.contains("lsu_cache_secs"), "{cause}");
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    assert!(matches!(
        p.set_config(s, "orphan_age_secs", "soon"),
        Err(OstError::InvalidArgument { .. })
    ));
}

/// GetObject requests served by the simulator so far.
fn gets(env: &Env) -> u64 {
    env.sim.faults().counter("s3.op.GetObject")
}

/// Reads the image whole in 64 KiB calls; returns the GETs its reads cost (open and close
/// excluded).
fn gets_to_read(env: &Env, p: &ost_core::Plugin, s: ost_core::ServerId, name: &str) -> u64 {
    let h = p
        .open_image(s, &default_lsu(), &id(name), ost_core::OpenMode::READ)
        .unwrap();
    let before = gets(env);
    let mut buf = vec![0u8; 64 << 10];
    let mut offset = 0u64;
    loop {
        let n = p.read_image(h, offset, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        offset += n as u64;
    }
    let cost = gets(env) - before;
    p.close_image(h, CloseFlags::empty()).unwrap();
    assert_eq!(offset, 2 * MIB as u64);
    cost
}

#[test]
fn set_config_read_ahead_chunks_changes_the_reads_of_images_opened_next() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let h = p
        .create_image(s, &default_lsu(), &image("ra"), CreateFlags::empty())
        .unwrap();
    write_all(&p, h, &data(2 * MIB, 7), 0, MIB);
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();

    // Read-ahead off: every 64 KiB read is its own ranged GET (32 of them).
    p.set_config(s, "read_ahead_chunks", "0").unwrap();
    assert_eq!(p.get_config(s, "read_ahead_chunks").unwrap(), "0");
    let off = gets_to_read(&env, &p, s, "ra");
    assert!(
        off >= 32,
        "read-ahead off, yet only {off} GETs for 32 reads"
    );

    // Read-ahead on again: 2 MiB chunks fetched ahead, a handful of GETs.
    p.set_config(s, "read_ahead_chunks", "4").unwrap();
    let on = gets_to_read(&env, &p, s, "ra");
    assert!(on <= 4, "read-ahead on, yet {on} GETs for 32 reads");
}

#[test]
fn set_config_max_in_flight_changes_the_uploads_of_images_created_next() {
    let env = Env::start();
    // Slow S3 answers keep part uploads in flight while the next parts are written.
    env.set_faults(FaultConfig {
        s3: FaceFaults {
            latency_ms: 200,
            ..FaceFaults::default()
        },
        ..FaultConfig::default()
    });
    // Part buffers a fresh plugin (its own budget and free pool) allocates for one image of
    // six parts, with `max_in_flight` set at run time just before the image is created.
    let buffers_with = |in_flight: &str| {
        let p = env.plugin();
        let s = env.open(&p);
        p.set_config(s, "max_in_flight", in_flight).unwrap();
        assert_eq!(p.get_config(s, "max_in_flight").unwrap(), in_flight);
        let before = p.budget().stats().allocations;
        let h = p
            .create_image(
                s,
                &default_lsu(),
                &image(&format!("mif{in_flight}")),
                CreateFlags::empty(),
            )
            .unwrap();
        write_all(&p, h, &data(6 * PART as usize, 3), 0, PART as usize);
        p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
        p.budget().stats().allocations - before
    };
    // One upload in flight: one part buffer uploading, one filling, reused part after part.
    // Four in flight: more uploading while the next part fills, so more buffers at once (how
    // many more also depends on the test's buffer budget and timing; at least one).
    let serial = buffers_with("1");
    let parallel = buffers_with("4");
    env.set_faults(FaultConfig::default());
    assert!(
        parallel > serial,
        "{parallel} part buffers with four uploads in flight, {serial} with one"
    );
}

#[test]
fn set_config_lsu_cache_secs_changes_how_long_lsu_lists_are_kept() {
    let env = Env::start();
    let p = env.plugin();
    let s1 = env.open(&p);
    let s2 = env.open(&p);
    let extra = lsu("netbackup-pool-07");
    p.set_config(s1, "lsu_cache_secs", "3600").unwrap();
    assert!(!p.list_lsus(s1).unwrap().contains(&extra));
    p.create_lsu(s2, &extra).unwrap();
    assert!(
        !p.list_lsus(s1).unwrap().contains(&extra),
        "an hour's cache answers the list it kept"
    );
    p.set_config(s1, "lsu_cache_secs", "0").unwrap();
    assert!(
        p.list_lsus(s1).unwrap().contains(&extra),
        "without a cache the new LSU is listed at once"
    );
}

#[test]
fn set_config_orphan_age_secs_changes_what_the_next_sweep_removes() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let h = p
        .create_image(s, &default_lsu(), &image("stale"), CreateFlags::empty())
        .unwrap();
    write_all(&p, h, &data(MIB, 1), 0, MIB);
    p.close_image(h, CloseFlags::empty()).unwrap();
    let report = p.sweep_orphans(s).unwrap();
    assert!(report.images_removed.is_empty(), "{report:?}");
    p.set_config(s, "orphan_age_secs", "0").unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let report = p.sweep_orphans(s).unwrap();
    assert_eq!(report.images_removed, vec![(default_lsu(), id("stale"))]);
}

// `event_poll_secs`: `copy_ops.rs` `cluster_events_reach_the_channel_and_opens_share_state`
// sets it to 1 and needs a cluster event within 20 s (the default polls every 60 s).

#[test]
fn a_failed_backup_discarded_by_the_tool_leaves_nothing_behind() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let h = p
        .create_image(s, &default_lsu(), &image("failed"), CreateFlags::empty())
        .unwrap();
    write_all(&p, h, &data(MIB, 5), 0, MIB);
    env.set_faults(FaultConfig {
        full_buckets: vec![default_lsu().to_string()],
        ..FaultConfig::default()
    });
    let mut failed = false;
    for i in 0..8u64 {
        let at = MIB as u64 + i * PART;
        if p.write_image(h, at, &data(PART as usize, i)).is_err() || p.flush_image(h).is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed, "a full bucket fails the backup");
    env.set_faults(FaultConfig::default());
    p.discard_failed_backup(h).unwrap();
    assert!(p
        .image_props_by_name(s, &default_lsu(), &id("failed"))
        .is_err());
    assert!(env
        .s3_keys(default_lsu().as_str(), "netbackup/failed")
        .is_empty());
    assert_eq!(
        env.s3_uploads(default_lsu().as_str(), "netbackup/failed"),
        0
    );
    // The name is free again.
    let h = p
        .create_image(s, &default_lsu(), &image("failed"), CreateFlags::empty())
        .unwrap();
    write_all(&p, h, &data(MIB, 6), 0, MIB);
    // A backup whose completion fails is a failed backup too.
    env.set_faults(FaultConfig {
        full_buckets: vec![default_lsu().to_string()],
        ..FaultConfig::default()
    });
    assert!(matches!(
        p.complete_backup(h),
        Err(OstError::NoSpace { .. })
    ));
    env.set_faults(FaultConfig::default());
    assert!(p
        .image_props_by_name(s, &default_lsu(), &id("failed"))
        .is_err());
    assert!(env
        .s3_keys(default_lsu().as_str(), "netbackup/failed")
        .is_empty());
}

#[test]
fn set_config_bandwidth_keys_are_checked_and_lifting_a_limit_releases_a_waiting_write() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    for (key, bad) in [
        ("max_write_mib_s", "fast"),
        ("write_schedule", "08:00-25:00=1"),
        ("read_schedule", "08:00-18:00"),
    ] {
        match p.set_config(s, key, bad) {
            Err(OstError::InvalidArgument { cause }) => assert!(cause.contains(key), "{cause}"),
            other => panic!("{key} = {bad:?}: {other:?}"),
        }
    }
    p.set_config(s, "read_schedule", "22:00-06:00=500, *=0")
        .unwrap();
    assert_eq!(
        p.get_config(s, "read_schedule").unwrap(),
        "22:00-06:00=500,*=0"
    );

    // 1 MiB/s: an image of four parts needs ~20 s to go up. Lift the limit while its parts
    // wait; the close then completes long before that.
    p.set_config(s, "max_write_mib_s", "1").unwrap();
    let h = p
        .create_image(s, &default_lsu(), &image("bw-lift"), CreateFlags::empty())
        .unwrap();
    let writer = {
        let p = p.clone();
        std::thread::spawn(move || {
            write_all(&p, h, &data(4 * PART as usize, 5), 0, PART as usize);
            p.close_image(h, CloseFlags::IH_COMPLETE)
        })
    };
    std::thread::sleep(Duration::from_secs(1));
    assert!(!writer.is_finished(), "20 MiB at 1 MiB/s is still going");
    p.set_config(s, "max_write_mib_s", "0").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !writer.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(writer.is_finished(), "lifting the limit releases the write");
    writer.join().unwrap().unwrap();
    let info = p
        .image_props_by_name(s, &default_lsu(), &id("bw-lift"))
        .unwrap();
    assert_eq!(info.size, 4 * PART);
}
