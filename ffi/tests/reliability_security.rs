//! Reliability: TLS verification (a self-signed cluster is refused unless its CA bundle is
//! configured or `insecure` is set, with a warning on every open) and no secret in the log of
//! a whole run. See docs/reliability.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rel::*;
use common::{DataPath, Env, Options, Trust};
use vast_sim::faults::{FaceFaults, FaultConfig};

fn tls_env(trust: Trust) -> Env {
    Env::start_with(Options {
        tls: true,
        trust,
        ..Options::new(DataPath::S3)
    })
}

fn open_codes(t: &str) -> Vec<i32> {
    t.lines()
        .filter_map(|l| l.strip_prefix("OPEN_SERVER "))
        .map(|c| c.trim().parse().unwrap())
        .collect()
}

#[test]
fn self_signed_cluster_is_refused_without_ca_bundle_or_insecure() {
    let env = tls_env(Trust::SystemRoots);
    let t = text(&env.rel(&["open-server", "1"]));
    let codes = open_codes(&t);
    assert_eq!(codes.len(), 1, "{t}");
    assert_ne!(
        codes[0], EOK,
        "a self-signed cluster was trusted by default"
    );
    let log = env.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("stspi_open_server failed"))
        .unwrap_or_else(|| panic!("no failure logged:\n{log}"));
    assert!(line.to_lowercase().contains("certificate"), "{line}");
    println!(
        "CHECKED HTTPS cluster with a self-signed certificate, no ca_bundle: open -> {} ({line})",
        codes[0]
    );
}

#[test]
fn self_signed_cluster_is_trusted_through_its_ca_bundle() {
    let env = tls_env(Trust::CaBundle);
    let t = text(&env.rel(&["open-server", "1"]));
    assert_eq!(open_codes(&t), [EOK], "{t}");
    let out = env.rel(&["backup", "tlsimg", &(8 * MIB).to_string(), "51"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_restores(&env, "tlsimg", 8 * MIB, 51);
    assert!(!env.log_text().to_lowercase().contains("insecure"));
    println!("CHECKED ca_bundle = the cluster's certificate: open, backup and restore over HTTPS");
}

#[test]
fn insecure_is_accepted_with_a_warning_on_every_open() {
    let env = tls_env(Trust::Insecure);
    let t = text(&env.rel(&["open-server", "3"]));
    assert_eq!(open_codes(&t), [EOK, EOK, EOK], "{t}");
    let log = env.log_text();
    let warnings = log
        .lines()
        .filter(|l| l.contains("WARN") && l.to_lowercase().contains("insecure"))
        .count();
    assert!(warnings >= 3, "{warnings} warnings for 3 opens:\n{log}");
    println!(
        "CHECKED insecure = true: 3 opens succeeded, {warnings} insecure-mode warnings logged"
    );
}

#[test]
fn no_password_token_or_secret_key_in_the_log_of_a_whole_run() {
    const PASSWORD: &str = "Rel-Adm1n-Pw-9f3c2e";
    let env = Env::start_with(Options {
        admin_password: Some(PASSWORD.to_owned()),
        log_level: "trace".to_owned(),
        ..Options::new(DataPath::S3)
    });
    // The whole NetBackup sequence, the bad-input mode (a wrong password included), a backup
    // across token expiry and S3 errors, and an open that fails authentication.
    let full = env.run(&["full", &(24 * MIB).to_string()]);
    assert!(full.status.success());
    let bad = env.run(&["bad"]);
    assert!(bad.status.success());
    env.set_faults(FaultConfig {
        s3: FaceFaults {
            error_rate: 0.1,
            ..FaceFaults::default()
        },
        ..FaultConfig::default()
    });
    env.sim.faults().expire_tokens_now();
    let backup = env.rel(&["backup", "secrets", &(16 * MIB).to_string(), "61"]);
    assert!(backup.status.success());
    env.set_faults(FaultConfig::default());
    let secret_key = env.stored_secret_key();
    let log = env.log_text();
    let outputs: String = [&full, &bad, &backup]
        .iter()
        .map(|o| format!("{}{}", text(o), String::from_utf8_lossy(&o.stderr)))
        .collect();
    let mut jwt = 0;
    for (what, haystack) in [("plugin log", &log), ("driver output", &outputs)] {
        assert!(
            !haystack.contains(PASSWORD),
            "the admin password is in the {what}"
        );
        assert!(
            !haystack.contains("wrong-password"),
            "a wrong password is in the {what}"
        );
        assert!(
            !haystack.contains(&secret_key),
            "the S3 secret key is in the {what}"
        );
        // Every JWT (access and refresh tokens) starts with the base64 of `{"`.
        jwt += haystack.matches("eyJ").count();
        assert!(!haystack.contains("eyJ"), "a JWT is in the {what}");
        assert!(
            !haystack.contains("Bearer "),
            "an Authorization header is in the {what}"
        );
    }
    println!(
        "CHECKED {} log lines ({} bytes, level trace) and the drivers' output: no admin \
         password, no wrong password, no S3 secret key, {jwt} JWTs, no bearer header",
        log.lines().count(),
        log.len()
    );
}
