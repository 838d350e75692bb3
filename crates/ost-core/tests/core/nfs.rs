//! The NFS data path (files under a local directory standing in for the mount) passes the same
//! image tests as S3; VMS still comes from vast-sim.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::PathBuf;

use common::*;
use ost_core::{
    CloseFlags, CopyRequest, CreateFlags, DataPathKind, ImageFilter, ImageInfoFlags, OpenMode,
    OstError,
};

fn nfs_plugin(env: &Env, orphan_age: u64) -> (std::sync::Arc<ost_core::Plugin>, PathBuf) {
    // The mount point exists, as a mounted view does (open refuses a missing one).
    let root = env.dir.path().join("nfs");
    std::fs::create_dir_all(&root).unwrap();
    let r = root.clone();
    let p = env.plugin_with(move |c| {
        c.data_path = DataPathKind::Nfs;
        c.nfs_root = Some(r);
        c.s3_url = None;
        c.orphan_age_secs = orphan_age;
    });
    (p, root)
}

fn files_under(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            if e.path().is_dir() {
                files_under(&e.path())
            } else {
                1
            }
        })
        .sum()
}

/// The checksum the descriptor of image `name` stores.
fn stored_crc(root: &std::path::Path, l: &ost_core::LsuName, name: &str) -> String {
    let path = root
        .join(l.as_str())
        .join(format!("netbackup/{name}/20261125120000/metadata"));
    let d = ost_model::ImageDescriptor::parse(&std::fs::read(path).unwrap()).unwrap();
    d.checksum.unwrap().value
}

#[test]
fn nfs_roundtrip_lifecycle_and_delete() {
    let env = Env::start();
    let (p, root) = nfs_plugin(&env, 86_400);
    let s = env.open(&p);
    assert_eq!(p.server_props(s).unwrap().data_path, DataPathKind::Nfs);
    let l = p.list_lsus(s).unwrap().remove(0);
    assert_eq!(l, default_lsu());
    let def = image("nfs_client_C1_F1");
    let bytes = data(23 * MIB + 11, 1);
    let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
    write_all(&p, h, &bytes, 0, MIB);
    assert!(matches!(
        p.open_image(s, &l, &def.id(), OpenMode::READ),
        Err(OstError::Busy { .. })
    ));
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert!(matches!(
        p.create_image(s, &l, &def, CreateFlags::empty()),
        Err(OstError::AlreadyExists { .. })
    ));
    assert!(matches!(
        p.open_image(s, &l, &def.id(), OpenMode::WRITE),
        Err(OstError::PermissionDenied { .. })
    ));
    let info = p.image_props_by_name(s, &l, &def.id()).unwrap();
    assert_eq!(
        (info.size, info.flags),
        (bytes.len() as u64, ImageInfoFlags::IMAGE_CREATED)
    );
    assert_eq!(read_all(&p, s, &l, &def.id(), 3 << 20), bytes);
    let image_dir = root.join(l.as_str()).join("netbackup/nfs_client_C1_F1");
    assert_eq!(files_under(&image_dir), 4, "3 segments + descriptor");

    p.write_image_meta(s, &l, &def.id(), 0, b"meta").unwrap();
    let mut buf = [0u8; 8];
    let n = p.read_image_meta(s, &l, &def.id(), 0, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"meta");
    assert_eq!(p.list_images(s, &l, &ImageFilter::all()).unwrap().len(), 1);

    p.delete_image(s, &l, &def.id()).unwrap();
    assert_eq!(files_under(&image_dir), 0);
    assert_eq!(
        p.image_props_by_name(s, &l, &def.id()).unwrap_err().code(),
        2_060_013
    );
}

#[test]
fn nfs_checkpoint_resume_copy_and_sweep() {
    let env = Env::start();
    let (p, root) = nfs_plugin(&env, 86_400);
    let s = env.open(&p);
    let l = p.list_lsus(s).unwrap().remove(0);
    let bytes = data(15 * MIB, 2);
    let def = image("nfs_resumed");
    let h = p.create_image(s, &l, &def, CreateFlags::empty()).unwrap();
    write_all(&p, h, &bytes[..9 * MIB], 0, MIB);
    p.close_image(h, CloseFlags::IH_INCOMPLETE).unwrap();
    let info = p.image_props_by_name(s, &l, &def.id()).unwrap();
    assert_eq!(
        (info.size, info.flags),
        (9 * MIB as u64, ImageInfoFlags::IMAGE_PENDING)
    );
    let h = p.open_image(s, &l, &def.id(), OpenMode::WRITE).unwrap();
    write_all(&p, h, &bytes[9 * MIB..], 9 * MIB as u64, MIB);
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(read_all(&p, s, &l, &def.id(), 2 << 20), bytes);
    assert_eq!(
        stored_crc(&root, &l, "nfs_resumed"),
        format!("{:08x}", crc32c::crc32c(&bytes))
    );

    // Out-of-order writes still give the checksum of the image.
    let shuffled = data(3 * MIB, 9);
    let h = p
        .create_image(s, &l, &image("nfs_shuffled"), CreateFlags::empty())
        .unwrap();
    for i in [1usize, 0, 2] {
        p.write_image(h, (i * MIB) as u64, &shuffled[i * MIB..(i + 1) * MIB])
            .unwrap();
    }
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    assert_eq!(
        stored_crc(&root, &l, "nfs_shuffled"),
        format!("{:08x}", crc32c::crc32c(&shuffled))
    );
    assert_eq!(read_all(&p, s, &l, &id("nfs_shuffled"), MIB), shuffled);

    let second = lsu("netbackup-pool-02");
    p.create_lsu(s, &second).unwrap();
    let req = CopyRequest {
        src_lsu: l.clone(),
        src: def.id(),
        dst_lsu: second.clone(),
        dst: image("nfs_copy"),
    };
    assert_eq!(p.copy_image(s, &req).unwrap(), bytes.len() as u64);
    assert_eq!(read_all(&p, s, &second, &id("nfs_copy"), 4 << 20), bytes);

    // A crashed writer, then the sweep.
    let h = p
        .create_image(s, &l, &image("nfs_crashed"), CreateFlags::empty())
        .unwrap();
    write_all(&p, h, &data(3 * MIB, 3), 0, MIB);
    p.terminate();
    drop(p);
    let (sweeper, _) = nfs_plugin(&env, 0);
    let s = env.open(&sweeper);
    let report = sweeper.sweep_orphans(s).unwrap();
    assert_eq!(report.images_removed.len(), 1, "{report:?}");
    assert_eq!(
        files_under(&root.join(l.as_str()).join("netbackup/nfs_crashed")),
        0
    );
    assert_eq!(
        read_all(&sweeper, s, &l, &def.id(), 8 << 20),
        bytes,
        "complete images stay"
    );
}

/// `open` and `check` ran separate copies of the data-path step, and they drifted: `check`
/// refused an `nfs_root` that is not a directory (the view not mounted), `open` accepted it and
/// the first LSU listing then created the LSU directories on the local disk, under the missing
/// mount point. Both now run the same step, and refuse.
#[test]
fn open_and_check_refuse_an_nfs_root_that_is_not_mounted() {
    let env = Env::start();
    let root = env.dir.path().join("not-mounted");
    let r = root.clone();
    let p = env.plugin_with(move |c| {
        c.data_path = DataPathKind::Nfs;
        c.nfs_root = Some(r);
        c.s3_url = None;
    });
    let err = p.open_server(&env.server_name(), None).unwrap_err();
    assert!(matches!(err, OstError::InvalidArgument { .. }), "{err:?}");
    assert!(err.to_string().contains("not-mounted"), "{err}");

    let report = p
        .check_server(&env.server_name(), None, &mut |_: &ost_core::CheckStep| {})
        .unwrap();
    let failed = report.failure().unwrap();
    assert_eq!(failed.name, "s3", "{report:#?}");
    assert!(
        failed.hint.as_deref().unwrap().contains("mount"),
        "{failed:?}"
    );
    assert!(
        !root.exists(),
        "nothing may be created where the mount should be"
    );

    // Once the view is mounted there, both pass.
    std::fs::create_dir(&root).unwrap();
    let report = p
        .check_server(&env.server_name(), None, &mut |_: &ost_core::CheckStep| {})
        .unwrap();
    assert!(report.passed(), "{report:#?}");
    p.open_server(&env.server_name(), None).unwrap();
}
