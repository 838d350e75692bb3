//! The properties the fuzz targets check, shared by cargo-fuzz (`fuzz_targets/`) and the
//! bounded proptest run in the regular tests (`ffi/tests/reliability_fuzz.rs`).
//!
//! Each check takes arbitrary bytes. It panics only when a property is broken: a parser
//! panicking, a name that validates but could escape its place in a key or a path, or a value
//! that does not survive its own round trip.

use std::str::FromStr;

use ost_model::catalogue_key::{complete_entry_key, pending_entry_key};
use ost_model::{
    parse_interface_list, CatalogueEntry, ImageDate, ImageDescriptor, ImageKey, ImageName, LsuName,
    ServerName,
};

/// A name that validated may never leave its key segment or directory.
fn assert_confined(kind: &str, name: &str) {
    assert!(!name.is_empty(), "{kind} {name:?}: empty name accepted");
    assert!(!name.contains('/'), "{kind} {name:?}: '/' accepted");
    assert!(!name.contains('\0'), "{kind} {name:?}: NUL accepted");
    assert!(
        name != "." && name != "..",
        "{kind} {name:?}: dot name accepted"
    );
}

/// Every name parser on `text`: image names, LSU names, dates, object keys, listing entries,
/// server names and interface lists.
pub fn check_names(text: &str) {
    if let Ok(name) = ImageName::new(text) {
        assert_confined("image name", name.as_str());
        assert_eq!(name.to_string(), text);
        assert_eq!(ImageName::from_str(&name.to_string()).ok(), Some(name));
    }
    if let Ok(lsu) = LsuName::new(text) {
        assert_confined("LSU name", lsu.as_str());
        assert!(!lsu.as_str().contains(".."), "LSU {text:?}: '..' accepted");
        assert_eq!(LsuName::from_str(lsu.as_str()).ok(), Some(lsu));
    }
    if let Ok(date) = ImageDate::from_str(text) {
        assert_eq!(ImageDate::from_str(&date.to_string()).ok(), Some(date));
        assert_eq!(
            ImageDate::from_unix_seconds(date.to_unix_seconds()).ok(),
            Some(date)
        );
    }
    if let Ok(key) = ImageKey::parse(text) {
        // Only the canonical spelling parses, so a key names exactly one object.
        assert_eq!(key.to_key(), text);
        assert_confined("image name in key", key.id.basename.as_str());
    }
    if let Some(entry) = CatalogueEntry::parse(text) {
        // A listing entry parses only as this plugin writes it, so it names one image.
        let again = match &entry {
            CatalogueEntry::Pending(id) => pending_entry_key(id),
            CatalogueEntry::Complete {
                def,
                size,
                retain_until,
            } => complete_entry_key(def, *size, *retain_until),
        };
        assert_eq!(again, text);
        assert_confined("image name in listing entry", entry.id().basename.as_str());
    }
    if let Ok(server) = ServerName::from_str(text) {
        let again = ServerName::from_str(&server.to_string());
        assert_eq!(again.ok(), Some(server));
    }
    let _ = ServerName::claims(text);
    if let Ok(list) = parse_interface_list(text) {
        let again = parse_interface_list(&ost_model::server_name::format_interface_list(&list));
        assert_eq!(again.ok(), Some(list));
    }
}

/// The descriptor parser on `bytes`: never a panic; an accepted document survives a write and
/// a read unchanged.
pub fn check_descriptor(bytes: &[u8]) {
    if let Ok(d) = ImageDescriptor::parse(bytes) {
        let json = d.to_json_vec().expect("an accepted descriptor serializes");
        let again = ImageDescriptor::parse(&json).expect("a written descriptor parses");
        assert_eq!(again, d);
    }
}

/// Arbitrary bytes as the fuzzers feed them: names from a lossy UTF-8 view, the descriptor
/// from the raw bytes.
pub fn check_bytes(bytes: &[u8]) {
    check_names(&String::from_utf8_lossy(bytes));
    check_descriptor(bytes);
}
