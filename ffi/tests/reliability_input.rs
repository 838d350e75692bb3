//! Reliability: bad input through the C API (names with `/`, `..`, NUL, non-UTF-8; zero and
//! huge lengths; offsets past the end; read on a write handle and the reverse; closed, forged
//! and doubly closed handles; calls after terminate) and descriptors corrupted on the server.
//! See docs/reliability.md; tests/c/driver.c's `bad` mode (ffi/tests/bad_input.rs) covers NULL
//! pointers, unterminated and over-long strings and calls before init.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::rel::*;
use common::{DataPath, Env};

#[test]
fn bad_input_returns_documented_codes_logs_one_line_each_and_harms_no_image() {
    let env = Env::start(DataPath::S3);
    let out = env.rel(&["bad2"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("checks passed, no crash"), "{t}");
    assert!(t.contains("KEEPER_VERIFIED 8388608"), "{t}");
    let log = env.log_text();
    // Per call: how many checks expected a failure (list ends and missing images are logged
    // at debug only), and how many "<call> failed" lines the log holds. Calls after
    // stspi_terminate are logged too: the log stays open for the process.
    let mut failing: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for line in t.lines() {
        let Some(rest) = line.trim_start().strip_prefix("ok ") else {
            continue;
        };
        total += 1;
        let code: i32 = rest.rsplit("-> ").next().unwrap().trim().parse().unwrap();
        assert!(
            code == 0 || ost_model::OstStatus::from_code(code).is_some(),
            "undocumented code in: {line}"
        );
        let call = rest.trim().split(['(', ' ']).next().unwrap().to_owned();
        if code != 0 && code != ENOENT {
            *failing.entry(call).or_default() += 1;
        }
    }
    // driver.c's start() checks once that a foreign server name is refused (STS_ECLAIM).
    *failing.entry("stspi_claim".to_owned()).or_default() += 1;
    for (call, n) in &failing {
        let logged = log
            .lines()
            .filter(|l| l.contains(&format!("{call} failed")))
            .count();
        assert_eq!(
            logged, *n,
            "{call}: {n} failing calls, {logged} log lines\n{log}"
        );
    }
    let failures: usize = failing.values().sum::<usize>() - 1;
    println!(
        "CHECKED {total} bad-input calls: only documented codes, no crash; {failures} failures \
         across {} entry points each logged exactly one line; the Complete image verified after",
        failing.len()
    );
}

#[test]
fn corrupted_and_truncated_descriptors_fail_cleanly() {
    let env = Env::start(DataPath::S3);
    for (name, seed) in [
        ("garbled", 41),
        ("truncated", 42),
        ("wrongtype", 43),
        ("intact", 44),
    ] {
        let out = env.rel(&["backup", name, &(8 * MIB).to_string(), &seed.to_string()]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let truncated = env.get_object(&Env::descriptor_key("truncated"));
    env.put_object(
        &Env::descriptor_key("truncated"),
        truncated[..truncated.len() / 2].to_vec(),
    );
    env.put_object(
        &Env::descriptor_key("garbled"),
        b"\x00\xff{ not json at all".to_vec(),
    );
    let mut doc: serde_json::Value = serde_json::from_slice(&truncated).unwrap();
    doc["byte_size"] = serde_json::json!("a lot");
    env.put_object(
        &Env::descriptor_key("wrongtype"),
        serde_json::to_vec(&doc).unwrap(),
    );
    println!(
        "INJECT descriptors overwritten on the server: truncated to {} of {} bytes, garbage \
         bytes, a string where the size belongs",
        truncated.len() / 2,
        truncated.len()
    );
    for name in ["garbled", "truncated", "wrongtype"] {
        let out = env.rel(&["open-read", name]);
        let t = text(&out);
        assert!(out.status.success(), "the driver crashed:\n{t}");
        let open: i32 = result_line(&t, "OPEN_READ ").unwrap()[0].parse().unwrap();
        let prop: i32 = result_line(&t, "PROP ").unwrap()[0].parse().unwrap();
        let listed: i32 = result_line(&t, "LISTED ").unwrap()[0].parse().unwrap();
        let delete: i32 = result_line(&t, "DELETE ").unwrap()[0].parse().unwrap();
        assert_ne!(open, EOK, "{name}: a corrupt descriptor opened for read");
        assert!(
            ost_model::OstStatus::from_code(open).is_some(),
            "{name}: {open}"
        );
        assert_ne!(prop, EOK, "{name}: props of a corrupt descriptor");
        assert_ne!(listed, -1, "{name}: the image list failed as a whole");
        assert_eq!(
            delete, EOK,
            "{name}: an image with a corrupt descriptor cannot be expired"
        );
        let log = env.log_text();
        let line = log
            .lines()
            .find(|l| l.contains("stspi_open_image_v10 failed") && l.contains(name))
            .unwrap_or_else(|| panic!("no log line for {name}:\n{log}"));
        assert!(
            line.to_lowercase().contains("descriptor"),
            "unclear: {line}"
        );
        println!(
            "CHECKED {name}: open for read -> {open}, props -> {prop}, listed {listed}, \
             delete -> {delete}; log: {}",
            line.split("failed: ").nth(1).unwrap_or(line)
        );
    }
    assert_restores(&env, "intact", 8 * MIB, 44);
}
