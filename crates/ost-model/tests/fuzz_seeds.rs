//! The committed cargo-fuzz seeds (`fuzz/seeds/<target>/`, read by `cargo xtask fuzz`) are real
//! inputs: descriptor documents exactly as [`ImageDescriptor`] writes them today, and names, dates,
//! object keys and server names the parsers accept. Every seed also passes the fuzz properties
//! (`fuzz/checks.rs`).
//!
//! After a deliberate change to the descriptor format or the names, rewrite the seeds with
//! `FUZZ_SEEDS_WRITE=1 cargo test -p ost-model --test fuzz_seeds`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/checks.rs"]
#[allow(unreachable_pub)]
mod checks;

use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ost_model::flags::ImageDefFlags;
use ost_model::image_key::{data_segment_key, descriptor_key, nbmeta_key, staged_tail_key};
use ost_model::{
    parse_interface_list, Checksum, ChecksumAlgorithm, ImageDate, ImageDef, ImageDescriptor,
    ImageKey, ImageName, Layout, LsuName, ServerName, WriterLease,
};
use serde_json::{json, Value};

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
}

fn def(name: &str, date: &str) -> ImageDef {
    ImageDef::new(ImageName::new(name).unwrap(), date.parse().unwrap())
}

/// The layout ost-core uses by default: 64 MiB segments uploaded in 8 MiB parts.
fn layout() -> Layout {
    Layout::new(64 << 20, 8 << 20).unwrap()
}

fn json_bytes(d: &ImageDescriptor) -> Vec<u8> {
    d.to_json_vec().unwrap()
}

/// Descriptor documents as the plugin writes them over an image's life.
fn descriptor_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let pending = ImageDescriptor::new_pending(
        def("client1_1764072000_C1_F1", "20261125120000"),
        layout(),
        1_764_072_000,
        "media1.example.com",
        "0.1.0",
    );

    // A checkpointed image being written: ost-core keeps the resume point (with its staged
    // tail) in an extra field, and the writer's lease.
    let mut checkpointed = pending.clone();
    checkpointed.byte_size = 137_363_456;
    checkpointed.extra.insert(
        "checkpoint".to_owned(),
        json!({ "offset": 137_363_456u64, "crc32c": 2_868_205_466u32,
                "segment_crcs": [1_166_544_262u32, 3_417_224_431u32],
                "tail": { "start": 134_217_728u64, "len": 3_145_728u64, "crc32c": 305_419_896u32 } }),
    );
    checkpointed.writer_lease = Some(WriterLease::new(
        "media2.example.com",
        4242,
        "media2.example.com:4242:1764072300.000000001:0",
        1_764_072_300,
    ));

    let mut complete = pending.clone();
    let crc = Checksum::new(ChecksumAlgorithm::Crc32c, "1a2b3c4d").unwrap();
    complete.complete(200 << 20, crc, 1_764_072_600).unwrap();

    let mut empty = ImageDescriptor::new_pending(
        def("client2_1764072000_C1_F1", "20261125120000"),
        layout(),
        1_764_072_000,
        "media1",
        "0.1.0",
    );
    let crc = Checksum::new(ChecksumAlgorithm::Crc32c, "00000000").unwrap();
    empty.complete(0, crc, 1_764_072_001).unwrap();

    // A second copy with image flags and a SHA-256 checksum.
    let mut copy_def = def("host-a.corp_1764000000_C2_F3", "20261124175320");
    copy_def.flags = ImageDefFlags::from_bits_retain(0b101);
    let mut copy =
        ImageDescriptor::new_pending(copy_def, layout(), 1_764_000_100, "media2", "0.1.0");
    let sha = Checksum::new(ChecksumAlgorithm::Sha256, &"0123456789abcdef".repeat(4)).unwrap();
    copy.complete((3 << 30) + 17, sha, 1_764_003_700).unwrap();

    // Written by a newer minor version: unknown fields at every level are kept.
    let mut newer = complete.clone();
    newer.format_version.minor = 7;
    newer.extra.insert(
        "retention_lock".to_owned(),
        json!({ "until_unix": 1_800_000_000u64 }),
    );
    newer
        .image
        .extra
        .insert("policy".to_owned(), Value::String("daily-full".to_owned()));
    if let Some(checksum) = newer.checksum.as_mut() {
        checksum
            .extra
            .insert("per_segment".to_owned(), json!(["1a2b3c4d", "5e6f7a8b"]));
    }

    vec![
        ("pending.json", json_bytes(&pending)),
        ("pending-checkpoint.json", json_bytes(&checkpointed)),
        ("complete-crc32c.json", json_bytes(&complete)),
        ("complete-empty.json", json_bytes(&empty)),
        ("complete-sha256-copy2.json", json_bytes(&copy)),
        ("newer-minor-extra-fields.json", json_bytes(&newer)),
    ]
}

/// Names, dates, object keys, server names and interface lists in the forms NetBackup and an
/// administrator give them.
fn parser_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let id = def("client1_1764072000_C1_F1", "20261125120000").id();
    let text = |s: &str| s.as_bytes().to_vec();
    vec![
        ("image-name", text("client1_1764072000_C1_F1")),
        ("image-name-fqdn", text("host-a.corp_1764000000_C2_F3")),
        ("lsu-name", text("nbu-lsu-01")),
        ("image-date", text("20261125120000")),
        ("key-data-segment", text(&data_segment_key(&id, 3))),
        ("key-descriptor", text(&descriptor_key(&id))),
        ("key-nbmeta", text(&nbmeta_key(&id))),
        ("key-staged-tail", text(&staged_tail_key(&id, 16_777_217))),
        ("server-name-host", text("vast://cluster.example.com")),
        ("server-name-ipv4-port", text("vast://10.0.1.100:443")),
        ("server-name-ipv6-port", text("vast://[fd00::10]:9443")),
        ("interface-list", text("10.0.1.1,10.0.1.2:9000,[fd00::2]")),
    ]
}

/// Whether any of the name parsers accepts `text`.
fn some_parser_accepts(text: &str) -> bool {
    ImageName::new(text).is_ok()
        || LsuName::new(text).is_ok()
        || ImageDate::from_str(text).is_ok()
        || ImageKey::parse(text).is_ok()
        || ServerName::from_str(text).is_ok()
        || parse_interface_list(text).is_ok()
}

/// Writes the seeds when `FUZZ_SEEDS_WRITE` is set; otherwise checks the committed ones match.
fn check_or_write(target: &str, seeds: &[(&str, Vec<u8>)]) {
    let dir = seeds_dir(target);
    if std::env::var_os("FUZZ_SEEDS_WRITE").is_some() {
        fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in seeds {
            fs::write(dir.join(name), bytes).unwrap();
        }
    }
    for (name, bytes) in seeds {
        let path = dir.join(name);
        let committed = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            &committed == bytes,
            "{} is stale; rewrite with FUZZ_SEEDS_WRITE=1 cargo test -p ost-model --test fuzz_seeds",
            path.display()
        );
    }
    let committed = fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        committed,
        seeds.len(),
        "{} holds files this test does not generate",
        dir.display()
    );
}

#[test]
fn descriptor_seeds_are_what_the_model_writes_and_parse_back() {
    let seeds = descriptor_seeds();
    check_or_write("descriptor", &seeds);
    for (name, bytes) in &seeds {
        let parsed = ImageDescriptor::parse(bytes)
            .unwrap_or_else(|e| panic!("seed {name} does not parse: {e}"));
        assert_eq!(
            json_bytes(&parsed),
            *bytes,
            "seed {name} does not round-trip"
        );
        checks::check_bytes(bytes);
    }
    let newer = ImageDescriptor::parse(&seeds[5].1).unwrap();
    assert_eq!(newer.format_version.to_string(), "1.7");
    assert!(newer.extra.contains_key("retention_lock"));
}

#[test]
fn parser_seeds_are_accepted_names_and_pass_the_properties() {
    let seeds = parser_seeds();
    check_or_write("parsers", &seeds);
    for (name, bytes) in &seeds {
        let text = std::str::from_utf8(bytes).unwrap();
        assert!(
            some_parser_accepts(text),
            "seed {name} ({text:?}) is rejected by every parser"
        );
        checks::check_bytes(bytes);
    }
    let key = ImageKey::parse(std::str::from_utf8(&seeds[4].1).unwrap()).unwrap();
    assert_eq!(key.id.basename.as_str(), "client1_1764072000_C1_F1");
}
