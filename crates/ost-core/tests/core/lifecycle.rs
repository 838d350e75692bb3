//! Server, LSU and image lifecycle against vast-sim through the blocking `Plugin` API.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use ost_core::{CloseFlags, CreateFlags, ImageFilter, ImageInfoFlags, OpenMode, OstError};

#[test]
fn open_reuses_the_stored_key_and_reports_the_cluster() {
    let env = Env::start();
    let p = env.plugin();
    for _ in 0..4 {
        let s = env.open(&p);
        let props = p.server_props(s).unwrap();
        assert_eq!(props.cluster_name, "vast-sim");
        assert_eq!(props.cluster_state, "ONLINE");
        assert!(props
            .capabilities
            .contains(ost_model::ServerCapabilities::COPY_IMAGE));
        p.close_server(s).unwrap();
    }
    // A fresh plugin (another process) with the same state directory reuses the key too.
    let p2 = env.plugin();
    let s = env.open(&p2);
    p2.close_server(s).unwrap();
    let (keys, owner_keys) = env.vms(async |c| {
        let user = c.users().by_name(MEDIA_USER).await.unwrap().unwrap();
        let owner = c.users().by_name("netbackup-s3").await.unwrap().unwrap();
        (
            c.users().access_keys(user.id).await.unwrap(),
            owner.access_keys,
        )
    });
    assert_eq!(keys.len(), 1, "one key however many opens: {keys:?}");
    assert!(owner_keys.is_empty(), "the buckets' owner needs no key");
    // The server is gone after close.
    assert!(matches!(
        p.server_props(s),
        Err(OstError::InvalidArgument { .. })
    ));
}

#[test]
fn a_revoked_stored_key_is_replaced() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    p.close_server(s).unwrap();
    env.vms(async |c| {
        let user = c.users().by_name(MEDIA_USER).await.unwrap().unwrap();
        for k in c.users().access_keys(user.id).await.unwrap() {
            c.users()
                .delete_access_key(user.id, &k.access_key)
                .await
                .unwrap();
        }
    });
    let s = env.open(&p);
    // The new key works: the default LSU is usable.
    let lsus = p.list_lsus(s).unwrap();
    let h = p
        .create_image(s, &lsus[0], &image("after_revoke"), CreateFlags::empty())
        .unwrap();
    p.write_image(h, 0, b"x").unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
}

#[test]
fn claim_accepts_only_vast_names() {
    let env = Env::start();
    let p = env.plugin();
    assert!(p.claim("vast://cluster.example.com").is_ok());
    let err = p.claim("PureDisk:host").unwrap_err();
    assert_eq!(err.code(), 2_060_901);
}

#[test]
fn default_lsu_is_created_and_listed_with_properties_and_label() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let list = p.open_lsu_list(s).unwrap();
    assert_eq!(p.next_lsu(list).unwrap(), default_lsu());
    let end = p.next_lsu(list).unwrap_err();
    assert_eq!(end.code(), 2_060_013);
    p.close_list(list).unwrap();
    assert!(p.next_lsu(list).is_err(), "closed list");

    p.create_lsu(s, &lsu("netbackup-pool-02")).unwrap();
    assert_eq!(
        p.list_lsus(s).unwrap(),
        vec![default_lsu(), lsu("netbackup-pool-02")]
    );
    let info = p.lsu_info(s, &default_lsu()).unwrap();
    assert_eq!(info.name, default_lsu());
    assert!(info.capacity > 0, "{info:?}");
    assert_eq!(info.label, None);
    p.label_lsu(s, &default_lsu(), "gold tier").unwrap();
    assert_eq!(
        p.lsu_info(s, &default_lsu()).unwrap().label.as_deref(),
        Some("gold tier")
    );
    let missing = p.lsu_info(s, &lsu("not-ours")).unwrap_err();
    assert_eq!(missing.code(), 2_060_013);
}

#[test]
fn image_roundtrip_across_segments() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let def = image("client1_1764000000_C1_F1");
    let bytes = data(23 * MIB + 4321, 1);
    let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
    let live = p.image_props(h).unwrap();
    assert!(live
        .flags
        .contains(ImageInfoFlags::IMAGE_PENDING | ImageInfoFlags::BUSY_WRITE));
    write_all(&p, h, &bytes, 0, 1 << 20);
    assert_eq!(p.image_props(h).unwrap().size, bytes.len() as u64);
    p.flush_image(h).unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert!(
        p.write_image(h, 0, b"x").is_err(),
        "handle gone after close"
    );

    let info = p.image_props_by_name(s, &l, &def.id()).unwrap();
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(info.flags, ImageInfoFlags::IMAGE_CREATED);
    assert_eq!(info.def.copy_number, 1);
    assert_eq!(read_all(&p, s, &l, &def.id(), 3 << 20), bytes);
    // 3 segment objects of 10 MiB + the descriptor.
    let keys = env.s3_keys(l.as_str(), "netbackup/client1_1764000000_C1_F1/");
    assert_eq!(keys.len(), 4, "{keys:?}");

    p.delete_image(s, &l, &def.id()).unwrap();
    assert_eq!(
        p.image_props_by_name(s, &l, &def.id()).unwrap_err().code(),
        2_060_013
    );
    assert!(env.s3_keys(l.as_str(), "netbackup/").is_empty());
    assert_eq!(
        p.delete_image(s, &l, &def.id()).unwrap_err().code(),
        2_060_013
    );
}

#[test]
fn lifecycle_is_enforced() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let def = image("enforced");
    let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
    p.write_image(h, 0, &data(MIB, 2)).unwrap();
    // No read of a pending image; no second create; no delete while open.
    assert!(matches!(
        p.open_image(s, &l, &def.id(), OpenMode::READ),
        Err(OstError::Busy { .. })
    ));
    assert!(matches!(
        p.create_image(s, &l, &def, CreateFlags::empty()),
        Err(OstError::Busy { .. })
    ));
    assert!(matches!(
        p.delete_image(s, &l, &def.id()),
        Err(OstError::Busy { .. })
    ));
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    // A second create of an existing image, even from another process, is refused.
    let p2 = env.plugin();
    let s2 = env.open(&p2);
    assert!(matches!(
        p2.create_image(s2, &l, &def, CreateFlags::empty()),
        Err(OstError::AlreadyExists { .. })
    ));
    // Complete means never writable again.
    assert!(matches!(
        p.open_image(s, &l, &def.id(), OpenMode::WRITE),
        Err(OstError::PermissionDenied { .. })
    ));
    // Reading past the end gives 0 bytes.
    let r = p.open_image(s, &l, &def.id(), OpenMode::READ).unwrap();
    let mut buf = vec![0u8; 10];
    assert_eq!(p.read_image(r, MIB as u64, &mut buf).unwrap(), 0);
    assert!(
        p.write_image(r, 0, b"x").is_err(),
        "a read handle does not write"
    );
    p.close_image(r, CloseFlags::empty()).unwrap();
}

#[test]
fn checkpoint_close_keeps_the_image_pending_and_reopen_resumes() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let def = image("checkpointed");
    let bytes = data(17 * MIB + 99, 3);
    let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
    write_all(&p, h, &bytes[..13 * MIB], 0, MIB);
    p.close_image(h, CloseFlags::IH_INCOMPLETE).unwrap();

    let info = p.image_props_by_name(s, &l, &def.id()).unwrap();
    assert_eq!(info.flags, ImageInfoFlags::IMAGE_PENDING);
    // Every acknowledged byte is durable, not only whole parts: 10 MiB in segment 0, the
    // 3 MiB after the last whole part as a staged tail.
    assert_eq!(info.size, 13 * MIB as u64);
    assert!(p.open_image(s, &l, &def.id(), OpenMode::READ).is_err());
    let pending = p
        .list_images(
            s,
            &l,
            &ImageFilter {
                include_pending: true,
                ..ImageFilter::default()
            },
        )
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert!(p
        .list_images(s, &l, &ImageFilter::all())
        .unwrap()
        .is_empty());

    // Resume from an earlier offset (NetBackup's own checkpoint): stored bytes are skipped.
    let h = p.open_image(s, &l, &def.id(), OpenMode::WRITE).unwrap();
    write_all(&p, h, &bytes[8 * MIB..], 8 * MIB as u64, MIB);
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(read_all(&p, s, &l, &def.id(), 4 << 20), bytes);
}

#[test]
fn image_metadata_is_its_own_object() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let def = image("with_meta");
    let missing = p.write_image_meta(s, &l, &def.id(), 0, b"hdr").unwrap_err();
    assert_eq!(missing.code(), 2_060_013, "no image, no metadata");
    let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
    p.write_image(h, 0, b"payload").unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        p.read_image_meta(s, &l, &def.id(), 0, &mut buf)
            .unwrap_err()
            .code(),
        2_060_013
    );
    assert_eq!(
        p.write_image_meta(s, &l, &def.id(), 0, b"HEADER").unwrap(),
        6
    );
    assert_eq!(
        p.write_image_meta(s, &l, &def.id(), 10, b"TAIL").unwrap(),
        4
    );
    let n = p.read_image_meta(s, &l, &def.id(), 0, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"HEADER\0\0\0\0TAIL");
    let n = p.read_image_meta(s, &l, &def.id(), 10, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"TAIL");
    assert!(env
        .s3_keys(l.as_str(), "netbackup/with_meta/")
        .iter()
        .any(|k| k.ends_with("/nbmeta")));
    p.delete_image(s, &l, &def.id()).unwrap();
    assert!(env.s3_keys(l.as_str(), "netbackup/with_meta/").is_empty());
}

#[test]
fn image_lists_filter_by_name_date_and_state() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let mut defs = Vec::new();
    for (name, date) in [
        ("alpha_1", "20250101000000"),
        ("alpha_2", "20260101000000"),
        ("beta_1", "20260601000000"),
    ] {
        let def = ost_core::ImageDef::new(
            ost_model::ImageName::new(name).unwrap(),
            date.parse().unwrap(),
        );
        let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
        p.write_image(h, 0, name.as_bytes()).unwrap();
        p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
        defs.push(def);
    }
    let pending = p
        .create_image(s, &l, &image("alpha_pending"), CreateFlags::empty())
        .unwrap();

    let names = |f: &ImageFilter| -> Vec<String> {
        let list = p.open_image_list(s, &l, f).unwrap();
        let mut out = Vec::new();
        loop {
            match p.next_image(list) {
                Ok(i) => out.push(i.def.basename.to_string()),
                Err(e) => {
                    assert_eq!(e.code(), 2_060_013);
                    break;
                }
            }
        }
        p.close_list(list).unwrap();
        out
    };
    assert_eq!(names(&ImageFilter::all()), ["alpha_1", "alpha_2", "beta_1"]);
    let alpha = ImageFilter {
        basename_prefix: Some("alpha".into()),
        ..ImageFilter::default()
    };
    assert_eq!(names(&alpha), ["alpha_1", "alpha_2"]);
    let recent = ImageFilter {
        created_after: Some(defs[1].date.to_unix_seconds()),
        ..ImageFilter::default()
    };
    assert_eq!(names(&recent), ["alpha_2", "beta_1"]);
    let with_pending = ImageFilter {
        include_pending: true,
        ..alpha
    };
    assert_eq!(
        names(&with_pending),
        ["alpha_1", "alpha_2", "alpha_pending"]
    );
    let sizes: Vec<u64> = p
        .list_images(s, &l, &ImageFilter::all())
        .unwrap()
        .iter()
        .map(|i| i.size)
        .collect();
    assert_eq!(sizes, [7, 7, 6]);
    p.close_image(pending, CloseFlags::IH_COMPLETE).unwrap();
}

#[test]
fn props_by_name_lsu_counts_and_a_resolved_s3_endpoint() {
    let env = Env::start();
    let port = env.sim.s3_addr().port();
    // No s3_url: the endpoint comes from the PROTOCOLS VIP pool through VMS.
    let p = env.plugin_with(|c| {
        c.s3_url = None;
        c.s3_https = false;
        c.s3_port = Some(port);
    });
    // Without an open server, the call opens one for itself (configured credentials).
    let props = p.server_props_by_name(&env.server_name(), None).unwrap();
    assert_eq!(props.cluster_name, "vast-sim");
    let s = env.open(&p);
    let l = default_lsu();
    for (i, close) in [
        CloseFlags::IH_COMPLETE,
        CloseFlags::IH_COMPLETE,
        CloseFlags::IH_INCOMPLETE,
    ]
    .into_iter()
    .enumerate()
    {
        let h = p
            .create_image(s, &l, &image(&format!("counted_{i}")), CreateFlags::empty())
            .unwrap();
        p.write_image(h, 0, b"data").unwrap();
        p.close_image(h, close).unwrap();
    }
    let props = p.lsu_props(s, &l).unwrap();
    assert_eq!(
        (props.image_count, props.pending_count, props.online),
        (2, 1, true)
    );
    assert_eq!(props.info.name, l);
    assert_eq!(
        p.server_props_by_name(&env.server_name(), None)
            .unwrap()
            .name
            .to_string(),
        env.server_name()
    );
}

#[test]
fn tls_with_the_cluster_ca_bundle() {
    let env = Env::start_with(true);
    assert!(env.sim.vms_url().starts_with("https://"));
    let p = env.plugin();
    let s = env.open(&p);
    let l = default_lsu();
    let bytes = data(7 * MIB, 8);
    let h = p
        .create_image(s, &l, &image("over_tls"), CreateFlags::empty())
        .unwrap();
    write_all(&p, h, &bytes, 0, MIB);
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(read_all(&p, s, &l, &id("over_tls"), 2 << 20), bytes);
    // Without the bundle the cluster's certificate is not trusted.
    let untrusting = env.plugin_with(|c| c.ca_bundle = None);
    let err = untrusting
        .open_server(&env.server_name(), None)
        .unwrap_err();
    assert!(matches!(err, OstError::Network { .. }), "{err}");
}

/// An image list goes batch by batch (here 7 keys per listing request, 3 descriptors fetched
/// at once, so batches end inside images): every image comes exactly once, pending ones only
/// when asked for, and a name filter holds across batches.
#[test]
fn image_lists_are_exact_across_batch_boundaries() {
    let env = Env::start();
    let p = env.plugin_with(|c| {
        c.list_batch = 7;
        c.list_concurrency = 3;
    });
    let s = env.open(&p);
    let l = default_lsu();
    let count = 150;
    let mut complete = Vec::new();
    let mut pending = Vec::new();
    for i in 0..count {
        let name = format!("img_{i:03}");
        let h = p
            .create_image(s, &l, &image(&name), CreateFlags::empty())
            .unwrap();
        p.write_image(h, 0, name.as_bytes()).unwrap();
        if i % 10 == 3 {
            // A checkpoint close: Pending, resumable.
            p.close_image(h, CloseFlags::empty()).unwrap();
            pending.push(name);
        } else {
            p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
            complete.push(name);
        }
    }
    let listed = |f: &ImageFilter| -> Vec<String> {
        let list = p.open_image_list(s, &l, f).unwrap();
        let mut out = Vec::new();
        loop {
            match p.next_image(list) {
                Ok(i) => out.push(i.def.basename.to_string()),
                Err(e) => {
                    assert_eq!(e.code(), 2_060_013, "{e}");
                    break;
                }
            }
        }
        p.close_list(list).unwrap();
        out.sort();
        out
    };
    assert_eq!(listed(&ImageFilter::all()), complete);
    let mut everything: Vec<String> = complete.iter().chain(&pending).cloned().collect();
    everything.sort();
    let with_pending = ImageFilter {
        include_pending: true,
        ..ImageFilter::default()
    };
    assert_eq!(listed(&with_pending), everything);
    let named = ImageFilter {
        basename_prefix: Some("img_1".into()),
        ..ImageFilter::default()
    };
    let expected: Vec<String> = complete
        .iter()
        .filter(|n| n.starts_with("img_1"))
        .cloned()
        .collect();
    assert_eq!(listed(&named), expected);
    assert_eq!(
        p.list_images(s, &l, &ImageFilter::all()).unwrap().len(),
        complete.len()
    );
}

/// An administrator deletes the media server's S3 user (and with it its key) and disables the
/// plugin's identity policy: the next open creates the user again with the policy attached,
/// issues a key, enables the policy, and backups work.
#[test]
fn a_deleted_media_server_user_and_a_disabled_policy_are_repaired_at_the_next_open() {
    let env = Env::start();
    let p = env.plugin();
    let s = env.open(&p);
    p.close_server(s).unwrap();
    env.vms(async |c| {
        let user = c.users().by_name(MEDIA_USER).await.unwrap().unwrap();
        c.users().delete(user.id).await.unwrap();
        let policy = c
            .s3_policies()
            .by_name("netbackup-s3-data", None)
            .await
            .unwrap()
            .unwrap();
        c.s3_policies()
            .update(policy.id, &serde_json::json!({"enabled": false}))
            .await
            .unwrap();
    });
    let s = env.open(&p);
    let lsus = p.list_lsus(s).unwrap();
    let h = p
        .create_image(s, &lsus[0], &image("after_repair"), CreateFlags::empty())
        .unwrap();
    p.write_image(h, 0, b"x").unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    let (user, policy) = env.vms(async |c| {
        let user = c.users().by_name(MEDIA_USER).await.unwrap().unwrap();
        let policy = c
            .s3_policies()
            .by_name("netbackup-s3-data", None)
            .await
            .unwrap()
            .unwrap();
        (user, policy)
    });
    assert!(policy.is_enabled());
    assert!(user.has_s3_policy(policy.id));
    assert_eq!(user.access_keys.len(), 1, "{:?}", user.access_keys);
}

#[test]
fn s3_vips_one_sends_everything_of_an_open_to_one_vip_and_all_to_every_vip() {
    let env = Env::start_configured(|c| c.s3_vips = 3);
    let port = env.sim.s3_addr().port();
    let mut seen = Vec::new();
    for (setting, name) in [
        (ost_core::config::S3VipsSetting::One, "one_vip"),
        (ost_core::config::S3VipsSetting::All, "all_vips"),
    ] {
        let before = env.sim.vip_counters();
        let p = env.plugin_with(|c| {
            c.s3_url = None;
            c.s3_https = false;
            c.s3_port = Some(port);
            c.s3_vips = setting;
        });
        let s = env.open(&p);
        let h = p
            .create_image(s, &default_lsu(), &image(name), CreateFlags::empty())
            .unwrap();
        write_all(&p, h, &data(64 << 10, 5), 0, 8 << 10);
        p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
        p.close_server(s).unwrap();
        let used = env
            .sim
            .vip_counters()
            .iter()
            .zip(&before)
            .filter(|(after, before)| after.requests > before.requests)
            .count();
        seen.push(used);
    }
    assert_eq!(seen, [1, 3], "VIPs that served the open's requests");
}
