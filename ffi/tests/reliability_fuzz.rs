//! Reliability: a bounded fuzz run of the name parsers and the descriptor JSON parser
//! (proptest, part of `cargo test`), with the same properties as the cargo-fuzz targets in
//! `fuzz/` (`fuzz/checks.rs`), which `cargo xtask fuzz` runs on stable with `--sanitizer none`
//! (CI: 45 s per target). `REL_FUZZ_CASES` sets the cases per property (default 4000).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../fuzz/checks.rs"]
#[allow(unreachable_pub)]
mod checks;

use ost_model::descriptor::{Checksum, ChecksumAlgorithm, Layout};
use ost_model::{ImageDate, ImageDef, ImageDescriptor, ImageName};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("REL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000)
}

/// A valid Complete descriptor, the seed the mutations start from.
fn valid_descriptor() -> Vec<u8> {
    let def = ImageDef::new(
        ImageName::new("client_1700000000_C1_F1").unwrap(),
        "20261125120000".parse::<ImageDate>().unwrap(),
    );
    let layout = Layout::new(10 << 20, 5 << 20).unwrap();
    let mut d = ImageDescriptor::new_pending(def, layout, 1_764_072_000, "media1", "0.1.0");
    d.complete(
        24 << 20,
        Checksum::new(ChecksumAlgorithm::Crc32c, "1a2b3c4d").unwrap(),
        1_764_072_100,
    )
    .unwrap();
    d.to_json_vec().unwrap()
}

/// Characters that matter to the parsers: separators, dots, NUL, escapes, brackets, digits.
fn name_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('/'),
            Just('.'),
            Just('\0'),
            Just('\\'),
            Just('_'),
            Just('-'),
            Just(':'),
            Just('['),
            Just(']'),
            Just('%'),
            Just(' '),
            Just('é'),
            Just('\u{202e}'),
            proptest::char::range('a', 'z'),
            proptest::char::range('A', 'Z'),
            proptest::char::range('0', '9'),
        ],
        0..80,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Keys, server names and dates built from mostly valid pieces, so the fuzz reaches deep.
fn structured() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("netbackup/"),
            Just("vast://"),
            Just(""),
            Just("netbackup//"),
            Just("netbackup-list/")
        ],
        name_like(),
        prop_oneof![Just("/20261125120000/"), Just("/"), Just(":8443"), Just("")],
        prop_oneof![
            Just("metadata"),
            Just("nbmeta"),
            Just("data/000001"),
            Just("data/1"),
            Just("pending"),
            Just("complete-12-1-0-3"),
            Just("complete-012-1-0-3"),
            Just("")
        ],
        name_like(),
    )
        .prop_map(|(a, b, c, d, e)| format!("{a}{b}{c}{d}{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        checks::check_bytes(&bytes);
    }

    #[test]
    fn name_like_strings(text in name_like()) {
        checks::check_names(&text);
    }

    #[test]
    fn structured_keys_and_names(text in structured()) {
        checks::check_names(&text);
    }

    #[test]
    fn mutated_descriptors(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut doc = valid_descriptor();
        for (at, byte) in flips {
            let i = at.index(doc.len());
            doc[i] = byte;
        }
        if truncate {
            let n = cut.index(doc.len());
            doc.truncate(n);
        }
        checks::check_descriptor(&doc);
    }
}

#[test]
fn the_seed_descriptor_is_valid_and_round_trips() {
    let doc = valid_descriptor();
    let d = ImageDescriptor::parse(&doc).unwrap();
    assert_eq!(d.byte_size, 24 << 20);
    checks::check_descriptor(&doc);
    println!(
        "CHECKED bounded fuzz: {} cases per property over 4 properties (arbitrary bytes, \
         name-like strings, structured keys, mutated descriptors)",
        cases()
    );
}
