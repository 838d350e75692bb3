//! The NetBackup-style C driver plays the whole OST sequence against vast-sim on the NFS path
//! (image bytes under a local directory standing in for the mount; VMS from vast-sim).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{stdout, DataPath, Env};

#[test]
fn full_sequence_on_nfs() {
    let env = Env::start(DataPath::Nfs);
    let out = env.run(&["full", &(12u64 << 20).to_string()]);
    let text = stdout(&out);
    assert!(out.status.success(), "driver failed:\n{text}");
    assert!(text.contains("driver full: all steps passed"), "{text}");
    assert!(text.contains("data path nfs"), "{text}");
    assert!(text.contains("STS_ENOTSUP"), "{text}");
    let nfs = env.dir.path().join("nfs");
    assert!(
        nfs.is_dir(),
        "the NFS data path wrote nothing under {}",
        nfs.display()
    );
}
