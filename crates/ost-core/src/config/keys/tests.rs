//! The table against the configuration structs and against `docs/configuration.md`.

use serde::de::{self, Visitor};
use serde::Deserialize;

use super::*;

/// The administrator's reference, checked by `cargo test` (CI runs it): it must list exactly
/// the table's keys, in order, with the table's defaults.
const DOC: &str = include_str!("../../../../../docs/configuration.md");

/// A deserializer that only records the field names a struct asks for.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only structs"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

fn fields_of<'de, T: Deserialize<'de>>() -> Vec<&'static str> {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields.to_vec()
}

fn names<C>(keys: &[Key<C>]) -> Vec<&'static str> {
    keys.iter().map(|k| k.name).collect()
}

#[test]
fn the_table_has_exactly_the_fields_the_file_parser_accepts() {
    assert_eq!(names(PLUGIN_KEYS), fields_of::<PluginSection>());
    assert_eq!(names(SERVER_KEYS), fields_of::<ServerConfig>());
}

/// The rows `| `key` | default | meaning |` of the doc section whose heading starts with
/// `heading`: (key, default cell).
fn doc_rows(heading: &str) -> Vec<(String, String)> {
    let start = DOC
        .find(heading)
        .unwrap_or_else(|| panic!("docs/configuration.md has no section {heading:?}"));
    let body = &DOC[start + heading.len()..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    body.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let key = cells[0].trim_start_matches("| ").trim_matches('`');
            (
                key.to_owned(),
                cells.get(1).copied().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn check_doc_section<C: Default>(heading: &str, keys: &[Key<C>]) {
    let rows = doc_rows(heading);
    let listed: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        listed,
        names(keys),
        "docs/configuration.md section {heading:?} must list exactly the keys of the table, in order"
    );
    for ((_, cell), key) in rows.iter().zip(keys) {
        match key.default_value() {
            Some(Value::Text(s)) => assert!(
                cell.starts_with(&format!("`\"{s}\"`")),
                "{}: the doc's default {cell:?} is not `\"{s}\"`",
                key.name
            ),
            Some(v) => assert!(
                cell.starts_with(&format!("`{v}`")),
                "{}: the doc's default {cell:?} is not `{v}`",
                key.name
            ),
            None if key.is_secret() => {}
            None => assert!(
                cell.starts_with("unset") || key.name == "vms_url",
                "{}: unset by default, the doc says {cell:?}",
                key.name
            ),
        }
    }
}

#[test]
fn the_docs_list_exactly_the_keys_of_the_table_with_their_defaults() {
    check_doc_section("## `[plugin]`", PLUGIN_KEYS);
    check_doc_section("## `[servers.", SERVER_KEYS);
}

/// The backticked server keys mentioned in the doc's paragraph starting with `opening`.
fn keys_in_paragraph(opening: &str) -> Vec<&'static str> {
    let start = DOC
        .find(opening)
        .unwrap_or_else(|| panic!("docs/configuration.md has no paragraph {opening:?}"));
    let para = &DOC[start..];
    let para = &para[..para.find("\n\n").unwrap_or(para.len())];
    SERVER_KEYS
        .iter()
        .map(|k| k.name)
        .filter(|k| para.contains(&format!("`{k}`")))
        .collect()
}

#[test]
fn the_docs_name_the_secrets_and_the_runtime_settable_keys_of_the_table() {
    let secrets: Vec<&str> = SERVER_KEYS
        .iter()
        .filter(|k| k.is_secret())
        .map(|k| k.name)
        .collect();
    let answered = keys_in_paragraph("`get_config` answers");
    assert!(
        secrets.iter().all(|k| answered.contains(k)),
        "the doc's get_config paragraph must name every secret: {secrets:?}"
    );
    let settable: Vec<&str> = SERVER_KEYS
        .iter()
        .filter(|k| k.is_runtime_settable())
        .map(|k| k.name)
        .collect();
    assert_eq!(keys_in_paragraph("`set_config` changes"), settable);
}

#[test]
fn secrets_show_only_whether_they_are_set() {
    let c = ServerConfig {
        password: Some(vast_vms_client::Secret::new("hunter2".to_owned())),
        ..ServerConfig::default()
    };
    let shown = server_key("password").map(|k| k.show(&c));
    assert_eq!(shown, Some(Shown::Secret { set: true }));
    let shown = server_key("api_token").map(|k| k.show(&c));
    assert_eq!(shown, Some(Shown::Secret { set: false }));
    assert!(server_key("password").is_some_and(|k| k.set.is_none()));
}

#[test]
fn setters_parse_and_clamp() {
    let mut c = ServerConfig::default();
    let set = |c: &mut ServerConfig, k: &str, v: &str| {
        (server_key(k).and_then(|k| k.set).expect("settable"))(c, v)
    };
    set(&mut c, "event_poll_secs", "0").unwrap();
    assert_eq!(c.event_poll_secs, 1);
    set(&mut c, "max_in_flight", "0").unwrap();
    assert_eq!(c.max_in_flight, 1);
    set(&mut c, "read_ahead_chunks", " 0 ").unwrap();
    assert_eq!(c.read_ahead_chunks, 0);
    let err = set(&mut c, "lsu_cache_secs", "soon").unwrap_err();
    assert!(err.contains("whole number"), "{err}");
}

#[test]
fn unknown_keys_are_found_in_every_section() {
    let file: toml::Table =
        "top = 1\n[plugin]\nlog_levle = 1\n[servers.\"vast://a\"]\ntenant = \"x\"\nbogus = 2\n"
            .parse()
            .unwrap();
    let unknown = unknown_keys(&file);
    assert_eq!(
        unknown,
        vec![
            ("[plugin]".to_owned(), "log_levle".to_owned()),
            ("[servers.\"vast://a\"]".to_owned(), "bogus".to_owned()),
            (String::new(), "top".to_owned()),
        ]
    );
}
