//! Property tests of the ost-model: key layout round trips, per-rule rejection of invalid names,
//! and forward compatibility of the image descriptor.

// Test helpers outside `#[test]` fns build known-valid fixtures; a panic there is a test failure.
#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, Ipv6Addr};

use ost_model::descriptor::{DescriptorError, FormatVersion, ImageDescriptor};
use ost_model::image_key::{
    basename_prefix, data_segment_key, descriptor_key, image_prefix, nbmeta_key, root_prefix,
    staged_tail_key,
};
use ost_model::limits::{MAX_IMAGE_NAME_LEN, MAX_OBJECT_KEY_LEN, MAX_SERVER_NAME_LEN};
use ost_model::server_name::format_interface_list;
use ost_model::{
    parse_interface_list, Checksum, ChecksumAlgorithm, Endpoint, EndpointError, Host, HostnameRule,
    ImageDate, ImageDef, ImageId, ImageKey, ImageName, ImageNameError, Layout, LsuName,
    LsuNameError, ObjectKind, ServerName, ServerNameError,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

// ---------- generators ----------

fn is_valid_image_name(s: &str) -> bool {
    !s.contains("..") && s != "."
}

/// Valid image base names, including non-ASCII and maximum-length ones.
fn image_name() -> impl Strategy<Value = ImageName> {
    prop_oneof![
        "[a-zA-Z0-9_.,+=@ é-]{1,80}",
        "[a-z0-9_]{1,20}_[0-9]{10}_C[0-9]_F[0-9]{1,3}",
        "[a-z]{256}",
    ]
    .prop_filter("no .. or .", |s| is_valid_image_name(s))
    .prop_map(|s| ImageName::new(&s).unwrap())
}

/// Any representable image date (1970-01-01 .. 9999-12-31T23:59:59).
fn image_date() -> impl Strategy<Value = ImageDate> {
    (0u64..=253_402_300_799).prop_map(|s| ImageDate::from_unix_seconds(s).unwrap())
}

fn image_id() -> impl Strategy<Value = ImageId> {
    (image_name(), image_date()).prop_map(|(n, d)| ImageId::new(n, d))
}

fn object_kind() -> impl Strategy<Value = ObjectKind> {
    prop_oneof![
        any::<u32>().prop_map(ObjectKind::DataSegment),
        Just(ObjectKind::Descriptor),
        Just(ObjectKind::NbMeta),
        any::<u64>().prop_map(ObjectKind::StagedTail),
    ]
}

fn insert_at(base: &str, pos_seed: usize, what: &str) -> (String, usize) {
    let boundaries: Vec<usize> = (0..=base.len())
        .filter(|i| base.is_char_boundary(*i))
        .collect();
    let pos = boundaries[pos_seed % boundaries.len()];
    (format!("{}{what}{}", &base[..pos], &base[pos..]), pos)
}

fn valid_lsu() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,10}([.-][a-z0-9]{1,10}){0,4}".prop_filter("S3 special forms", |s| {
        let parts: Vec<&str> = s.split('.').collect();
        let ip = parts.len() == 4 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
        s.len() >= 3
            && !ip
            && !s.starts_with("xn--")
            && !s.starts_with("sthree-")
            && !s.ends_with("-s3alias")
            && !s.ends_with("--ol-s3")
            && !s.ends_with("--x-s3")
    })
}

fn dns_name() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z]([a-z0-9-]{0,10}[a-z0-9])?", 1..4).prop_map(|v| v.join("."))
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    let host = prop_oneof![
        dns_name().prop_map(Host::Dns),
        any::<Ipv4Addr>().prop_map(Host::Ipv4),
        any::<Ipv6Addr>().prop_map(Host::Ipv6),
    ];
    (host, prop::option::of(1u16..=u16::MAX)).prop_map(|(h, p)| Endpoint::new(h, p))
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9 ]{0,12}".prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Unknown fields a newer writer might add; the `future_` prefix keeps them clear of known names.
fn extra_fields() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("future_[a-z]{1,8}", json_value(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

// ---------- key layout ----------

proptest! {
    #[test]
    fn key_layout_round_trips(id in image_id(), kind in object_kind()) {
        let key = ImageKey::new(id.clone(), kind);
        let text = key.to_key();
        prop_assert_eq!(ImageKey::parse(&text), Ok(key));
        prop_assert!(text.len() <= MAX_OBJECT_KEY_LEN);
        prop_assert!(text.starts_with(&image_prefix(&id)));
        prop_assert!(image_prefix(&id).starts_with(&basename_prefix(&id.basename)));
        prop_assert!(basename_prefix(&id.basename).starts_with(&root_prefix()));
        let expected = match kind {
            ObjectKind::DataSegment(n) => data_segment_key(&id, n),
            ObjectKind::Descriptor => descriptor_key(&id),
            ObjectKind::NbMeta => nbmeta_key(&id),
            ObjectKind::StagedTail(offset) => staged_tail_key(&id, offset),
        };
        prop_assert_eq!(text, expected);
    }

    #[test]
    fn image_def_rebuilds_from_key(id in image_id(), seg in 0u32..1_000_000) {
        let def = ImageDef::from(id.clone());
        let parsed = ImageKey::parse(&data_segment_key(&def.id(), seg)).unwrap();
        prop_assert_eq!(parsed.kind, ObjectKind::DataSegment(seg));
        prop_assert_eq!(ImageDef::from(parsed.id), def);
    }

    #[test]
    fn segment_keys_sort_like_numbers(id in image_id(), a in 0u32..1_000_000, b in 0u32..1_000_000) {
        prop_assert_eq!(a.cmp(&b), data_segment_key(&id, a).cmp(&data_segment_key(&id, b)));
    }

    #[test]
    fn date_string_round_trips(d in image_date()) {
        prop_assert_eq!(d.to_string().parse::<ImageDate>(), Ok(d));
        prop_assert_eq!(ImageDate::from_unix_seconds(d.to_unix_seconds()), Ok(d));
    }
}

// ---------- image names: one broken rule each ----------

proptest! {
    #[test]
    fn image_name_too_long(s in "[a-z]{257,400}") {
        prop_assert_eq!(
            ImageName::new(&s),
            Err(ImageNameError::TooLong { len: s.len(), max: MAX_IMAGE_NAME_LEN })
        );
    }

    #[test]
    fn image_name_nul(base in image_name(), seed in any::<usize>()) {
        let base: String = base.as_str().chars().take(200).collect();
        let (s, pos) = insert_at(&base, seed, "\0");
        prop_assert_eq!(ImageName::new(&s), Err(ImageNameError::Nul { pos }));
    }

    #[test]
    fn image_name_control(
        base in "[a-zA-Z0-9_ é-]{1,80}",
        seed in any::<usize>(),
        ch in prop_oneof![proptest::char::range('\u{1}', '\u{1f}'), Just('\u{7f}'), proptest::char::range('\u{80}', '\u{9f}')],
    ) {
        let (s, pos) = insert_at(&base, seed, &ch.to_string());
        prop_assert_eq!(ImageName::new(&s), Err(ImageNameError::ControlChar { ch, pos }));
    }

    #[test]
    fn image_name_slash(base in "[a-zA-Z0-9_ é-]{1,80}", seed in any::<usize>()) {
        let (s, pos) = insert_at(&base, seed, "/");
        prop_assert_eq!(ImageName::new(&s), Err(ImageNameError::Slash { pos }));
    }

    #[test]
    fn image_name_dotdot(base in "[a-zA-Z0-9_ é-]{0,80}", seed in any::<usize>()) {
        let (s, _) = insert_at(&base, seed, "..");
        prop_assert_eq!(ImageName::new(&s), Err(ImageNameError::DotDot));
    }
}

#[test]
fn image_name_empty_and_dot() {
    assert_eq!(ImageName::new(""), Err(ImageNameError::Empty));
    assert_eq!(ImageName::new("."), Err(ImageNameError::SingleDot));
}

// ---------- LSU names: one broken rule each ----------

proptest! {
    #[test]
    fn lsu_valid_accepted(s in valid_lsu()) {
        prop_assert_eq!(LsuName::new(&s).map(|n| n.to_string()), Ok(s));
    }

    #[test]
    fn lsu_too_short(s in "[a-z0-9]{0,2}") {
        prop_assert_eq!(LsuName::new(&s), Err(LsuNameError::TooShort { len: s.len() }));
    }

    #[test]
    fn lsu_too_long(s in "[a-z0-9]{64,120}") {
        prop_assert_eq!(LsuName::new(&s), Err(LsuNameError::TooLong { len: s.len() }));
    }

    #[test]
    fn lsu_invalid_char(
        base in valid_lsu(),
        seed in any::<usize>(),
        ch in "[A-Z_!#$%&'()*+,/:;<=>?@^`{|}~ ]",
    ) {
        prop_assume!(base.len() < 63);
        let (s, pos) = insert_at(&base, seed, &ch);
        let ch = ch.chars().next().unwrap();
        prop_assert_eq!(LsuName::new(&s), Err(LsuNameError::InvalidChar { ch, pos }));
    }

    #[test]
    fn lsu_bad_start(base in valid_lsu(), ch in prop_oneof![Just('-'), Just('.')]) {
        prop_assume!(base.len() < 63);
        prop_assert_eq!(LsuName::new(&format!("{ch}{base}")), Err(LsuNameError::BadStart { ch }));
    }

    #[test]
    fn lsu_bad_end(base in valid_lsu(), ch in prop_oneof![Just('-'), Just('.')]) {
        prop_assume!(base.len() < 63);
        prop_assert_eq!(LsuName::new(&format!("{base}{ch}")), Err(LsuNameError::BadEnd { ch }));
    }

    #[test]
    fn lsu_consecutive_dots(a in "[a-z0-9]{1,25}", b in "[a-z0-9]{1,25}") {
        prop_assert_eq!(LsuName::new(&format!("{a}..{b}")), Err(LsuNameError::ConsecutiveDots));
    }

    #[test]
    fn lsu_dash_next_to_dot(a in "[a-z0-9]{1,25}", b in "[a-z0-9]{1,25}", mid in prop_oneof![Just(".-"), Just("-.")]) {
        prop_assert_eq!(LsuName::new(&format!("{a}{mid}{b}")), Err(LsuNameError::DashNextToDot));
    }

    #[test]
    fn lsu_ip_form(parts in prop::array::uniform4("[0-9]{1,3}")) {
        prop_assert_eq!(LsuName::new(&parts.join(".")), Err(LsuNameError::IpAddressForm));
    }

    #[test]
    fn lsu_reserved_prefix(prefix in prop_oneof![Just("xn--"), Just("sthree-")], rest in "[a-z0-9]{1,40}") {
        prop_assert_eq!(
            LsuName::new(&format!("{prefix}{rest}")),
            Err(LsuNameError::ReservedPrefix { prefix })
        );
    }

    #[test]
    fn lsu_reserved_suffix(suffix in prop_oneof![Just("-s3alias"), Just("--ol-s3"), Just("--x-s3")], head in "[a-z0-9]{1,40}") {
        prop_assert_eq!(
            LsuName::new(&format!("{head}{suffix}")),
            Err(LsuNameError::ReservedSuffix { suffix })
        );
    }
}

// ---------- server names ----------

fn endpoint_err(s: &str) -> Result<ServerName, ServerNameError> {
    format!("vast://{s}").parse()
}

proptest! {
    #[test]
    fn server_name_round_trips(ep in endpoint()) {
        let name = ServerName::new(ep);
        let text = name.to_string();
        prop_assert_eq!(text.parse::<ServerName>(), Ok(name));
        prop_assert!(ServerName::claims(&text));
        // Canonical text prints back unchanged.
        prop_assert_eq!(text.parse::<ServerName>().unwrap().to_string(), text);
    }

    #[test]
    fn interface_list_round_trips(eps in prop::collection::vec(endpoint(), 1..6)) {
        let text = format_interface_list(&eps);
        prop_assert_eq!(parse_interface_list(&text), Ok(eps));
    }

    #[test]
    fn server_missing_scheme(s in "[a-zA-Z0-9:/._-]{1,60}") {
        prop_assume!(!s.starts_with("vast://"));
        prop_assert_eq!(s.parse::<ServerName>(), Err(ServerNameError::MissingScheme));
    }

    #[test]
    fn server_too_long(n in (MAX_SERVER_NAME_LEN - 6)..2000usize) {
        let s = format!("vast://{}", "a".repeat(n));
        prop_assert_eq!(s.parse::<ServerName>(), Err(ServerNameError::TooLong { len: s.len(), max: MAX_SERVER_NAME_LEN }));
    }

    #[test]
    fn server_path_or_userinfo(host in dns_name(), seed in any::<usize>(), ch in prop_oneof![Just('/'), Just('?'), Just('#'), Just('@')]) {
        let (s, _) = insert_at(&host, seed, &ch.to_string());
        prop_assert_eq!(endpoint_err(&s), Err(ServerNameError::Endpoint(EndpointError::NotHostPort { ch })));
    }

    #[test]
    fn server_unbracketed_ipv6(addr in any::<Ipv6Addr>()) {
        prop_assert_eq!(endpoint_err(&addr.to_string()), Err(ServerNameError::Endpoint(EndpointError::UnbracketedIpv6)));
    }

    #[test]
    fn server_bad_ipv6(junk in "[g-z]{1,8}") {
        prop_assert_eq!(
            endpoint_err(&format!("[{junk}]")),
            Err(ServerNameError::Endpoint(EndpointError::InvalidIpv6 { text: junk }))
        );
    }

    #[test]
    fn server_bad_port(host in dns_name(), port in prop_oneof![
        Just("0".to_string()),
        (65_536u32..10_000_000).prop_map(|p| p.to_string()),
        "[a-z]{1,5}",
        "0[0-9]{1,4}",
        Just(String::new()),
    ]) {
        prop_assert_eq!(
            endpoint_err(&format!("{host}:{port}")),
            Err(ServerNameError::Endpoint(EndpointError::InvalidPort { text: port }))
        );
    }

    #[test]
    fn server_bad_ipv4(parts in prop::collection::vec(0u32..1000, 1..7)) {
        let text = parts.iter().map(ToString::to_string).collect::<Vec<_>>().join(".");
        prop_assume!(text.parse::<Ipv4Addr>().is_err());
        prop_assert_eq!(
            endpoint_err(&text),
            Err(ServerNameError::Endpoint(EndpointError::InvalidIpv4 { text }))
        );
    }

    #[test]
    fn server_bad_hostname(a in "[a-z]{1,10}", b in "[a-z]{1,10}", case in 0usize..5) {
        let (host, rule) = match case {
            0 => (format!("-{a}.{b}"), HostnameRule::HyphenAtLabelEdge),
            1 => (format!("{a}..{b}"), HostnameRule::EmptyLabel),
            2 => (format!("{a}.{}.{b}", "x".repeat(64)), HostnameRule::LabelTooLong),
            3 => (format!("{a}.{b}.42"), HostnameRule::NumericTopLabel),
            _ => (format!("{a}_{b}"), HostnameRule::InvalidChar),
        };
        prop_assert_eq!(
            endpoint_err(&host),
            Err(ServerNameError::Endpoint(EndpointError::InvalidHostname { rule }))
        );
    }
}

// ---------- descriptor forward compatibility ----------

fn descriptor_json(def: &ImageDef) -> Value {
    let d = ImageDescriptor::new_pending(
        def.clone(),
        Layout::new(1 << 20, 1 << 18).unwrap(),
        1_700_000_000,
        "media-1",
        "0.1.0",
    );
    serde_json::to_value(d).unwrap()
}

fn merge(target: &mut Value, extra: &Map<String, Value>) {
    let obj = target.as_object_mut().unwrap();
    for (k, v) in extra {
        obj.insert(k.clone(), v.clone());
    }
}

/// Found by `cargo xtask fuzz` (descriptor target): a long decimal in an unknown field used to
/// read as a float one ulp off the nearest one, so a read-write-read cycle changed it. serde_json's
/// `float_roundtrip` feature parses exactly.
#[test]
fn a_long_decimal_in_an_unknown_field_survives_read_write_read() {
    let mut doc = descriptor_json(&ImageDef::from(ImageId::new(
        ImageName::new("client1_1764072000_C1_F1").unwrap(),
        "20261125120000".parse().unwrap(),
    )));
    let long = "233333333333333333333333333333333333333333333333333333333333333.33333333868205466";
    let text = doc
        .to_string()
        .replacen('{', &format!("{{\"future_ratio\":{long},"), 1);
    doc = serde_json::from_str(&text).unwrap();
    let first = ImageDescriptor::parse(text.as_bytes()).unwrap();
    let again = ImageDescriptor::parse(&first.to_json_vec().unwrap()).unwrap();
    assert_eq!(again, first);
    assert_eq!(
        doc["future_ratio"].as_f64(),
        Some(2.333_333_333_333_333_4e62)
    );
}

proptest! {
    #[test]
    fn newer_minor_extra_fields_survive_read_modify_write(
        id in image_id(),
        minor in 0u32..1000,
        top in extra_fields(),
        image in extra_fields(),
        layout in extra_fields(),
        size in 0u64..(1 << 40),
    ) {
        let mut doc = descriptor_json(&ImageDef::from(id));
        doc["format_version"] = format!("1.{minor}").into();
        merge(&mut doc, &top);
        merge(&mut doc["image"], &image);
        merge(&mut doc["layout"], &layout);

        let mut d = ImageDescriptor::parse(doc.to_string().as_bytes()).unwrap();
        prop_assert_eq!(d.format_version, FormatVersion { major: 1, minor });
        d.writer_host = "media-2".into();
        d.complete(size, Checksum::new(ChecksumAlgorithm::Sha256, &"ab".repeat(32)).unwrap(), 1_700_000_500).unwrap();
        let bytes = d.to_json_vec().unwrap();
        let again = ImageDescriptor::parse(&bytes).unwrap();
        prop_assert_eq!(&again, &d);

        let out: Value = serde_json::from_slice(&bytes).unwrap();
        for (k, v) in &top {
            prop_assert_eq!(&out[k], v);
        }
        for (k, v) in &image {
            prop_assert_eq!(&out["image"][k], v);
        }
        for (k, v) in &layout {
            prop_assert_eq!(&out["layout"][k], v);
        }
        prop_assert_eq!(&out["writer_host"], "media-2");
        prop_assert_eq!(&out["format_version"], &Value::from(format!("1.{minor}")));
    }

    #[test]
    fn newer_major_is_refused(id in image_id(), major in 2u32..10_000, minor in 0u32..100, top in extra_fields()) {
        let mut doc = descriptor_json(&ImageDef::from(id));
        doc["format_version"] = format!("{major}.{minor}").into();
        merge(&mut doc, &top);
        prop_assert_eq!(
            ImageDescriptor::parse(doc.to_string().as_bytes()),
            Err(DescriptorError::UnsupportedMajor { found: FormatVersion { major, minor }, supported: 1 })
        );
    }
}
