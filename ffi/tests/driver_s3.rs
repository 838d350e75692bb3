//! The NetBackup-style C driver plays the whole OST sequence against vast-sim on the S3 path.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{stdout, DataPath, Env};

#[test]
fn full_sequence_on_s3() {
    let env = Env::start(DataPath::S3);
    let out = env.run(&["full", &(24u64 << 20).to_string()]);
    let text = stdout(&out);
    assert!(out.status.success(), "driver failed:\n{text}");
    assert!(text.contains("driver full: all steps passed"), "{text}");
    assert!(text.contains("40 entry points resolved by name"), "{text}");
    assert!(text.contains("data path s3"), "{text}");
    assert!(
        text.contains("checksum") && text.contains("verified"),
        "{text}"
    );
    assert!(
        text.contains("stspi_label_lsu: label \"driver label\""),
        "{text}"
    );
}
