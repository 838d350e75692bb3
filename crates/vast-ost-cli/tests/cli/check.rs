//! `vast-ost check` against vast-sim: the passing path and each failure with its hint.

use crate::common;

use common::Env;

const STEPS: [&str; 16] = [
    "dns",
    "tcp",
    "tls",
    "login",
    "cluster",
    "rules",
    "bootstrap",
    "media-server",
    "access-key",
    "s3",
    "probe",
    "conditional-create",
    "checksums",
    "quota-answer",
    "object-lock",
    "cluster-version",
];

#[test]
fn check_passes_every_step_and_reports_json() {
    let env = Env::start();
    let server = env.server_name();
    let out = env.run(&["check", &server]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for step in STEPS {
        assert!(out.stdout.contains(step), "no step {step}:\n{}", out.stdout);
    }
    assert!(out.stdout.contains("[skip] tls"), "{}", out.stdout);
    assert!(out.stdout.contains("all checks passed"), "{}", out.stdout);

    let out = env.run(&["--json", "check", &server]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["passed"], true);
    let names: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, STEPS);
    assert_eq!(v["steps"][4]["outcome"], "ok");
    assert!(v["steps"][4]["detail"].as_str().unwrap().contains("ONLINE"));
    // The administrator sees the cluster's version and the rules the plugin follows for it.
    let rules = v["steps"][5]["detail"].as_str().unwrap();
    assert!(
        rules.contains("version 5.3.") && rules.contains("VAST 5.3 rules"),
        "{rules}"
    );
    // The probe object is gone afterwards.
    assert!(v["steps"][10]["detail"]
        .as_str()
        .unwrap()
        .contains("deleted"));
}

#[test]
fn wrong_password_fails_at_login_with_a_hint() {
    let env = Env::start();
    let server = env.server_name();
    let mut cmd = env.command();
    cmd.args(["--json", "check", &server])
        .env("VAST_OST_PASSWORD", "not-the-password");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["passed"], false);
    let last = v["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["name"], "login");
    assert_eq!(last["outcome"], "failed");
    assert!(
        last["hint"].as_str().unwrap().contains("password"),
        "{last}"
    );
    // The password never shows up in the output.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("not-the-password"));
}

#[test]
fn stopped_s3_fails_at_the_s3_step_with_a_hint() {
    let env = Env::start();
    env.sim.stop_s3();
    let server = env.server_name();
    let out = env.run(&["check", &server]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("[ ok ] access-key"), "{}", out.stdout);
    assert!(out.stdout.contains("[FAIL] s3"), "{}", out.stdout);
    assert!(
        out.stdout.contains("hint: nothing answers S3"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("probe"), "stops at the first failure");
    assert!(out.stdout.contains("check FAILED at step s3"));
}

#[test]
fn untrusted_certificate_fails_at_tls_and_a_ca_bundle_fixes_it() {
    let env = Env::start_with(|c| c.tls = true);
    let server = env.server_name();
    let out = env.run(&["--json", "check", &server]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let v = out.json();
    let last = v["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["name"], "tls", "{v}");
    assert_eq!(last["outcome"], "failed");
    assert!(
        last["hint"].as_str().unwrap().contains("ca_bundle"),
        "{last}"
    );

    // Other commands say the same in one line.
    let out = env.run(&["lsu", "list"]);
    out.assert_one_line_error();
    assert!(out.stderr.contains("--ca-bundle"), "{}", out.stderr);

    let ca = env.sim.ca_cert_path().unwrap();
    let out = env.run(&["check", &server, "--ca-bundle", ca.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("[ ok ] tls"), "{}", out.stdout);
    assert!(out.stdout.contains("verified against"), "{}", out.stdout);
}

#[test]
fn unreachable_vms_fails_at_tcp() {
    let env = Env::start();
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = env
        .command()
        .args(["--json", "check", &format!("vast://127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let last = v["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["name"], "tcp", "{v}");
    assert!(last["hint"].as_str().unwrap().contains("firewall"));
}

#[test]
fn a_bad_server_name_is_a_usage_error() {
    let env = Env::start();
    let out = env.run(&["check", "http://nope"]);
    out.assert_one_line_error();
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("vast://HOST"), "{}", out.stderr);
}
