//! `vast-ost bootstrap` against vast-sim: the password is used once to set up the cluster side
//! and issue a VMS API token; with `api_token_file` configured, check, backup, restore and
//! listing then work with no password anywhere, and VMS sees no password login or Basic call.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{data, Env};

/// The configuration with `username` (the only credential it had) replaced by the token file.
fn switch_to_token(env: &Env, token_file: &str) {
    let text = std::fs::read_to_string(&env.config).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("username") && !l.starts_with("password"))
        .map(|l| format!("{l}\n"))
        .collect();
    let text = text.replacen(
        "s3_url =",
        &format!("api_token_file = \"{token_file}\"\ns3_url ="),
        1,
    );
    std::fs::write(&env.config, text).unwrap();
}

fn password_auth_calls(env: &Env) -> (u64, u64, u64) {
    let f = env.sim.faults();
    (
        f.counter("vms.auth.token"),
        f.counter("vms.auth.refresh"),
        f.counter("vms.auth.basic_requests"),
    )
}

#[test]
fn after_bootstrap_the_plugin_runs_on_the_api_token_alone() {
    let env = Env::start();
    let server = env.server_name();

    // Bootstrap with the administrator's password (--password-file).
    let out = env.run(&["--json", "bootstrap", "--token-expiry", "30d"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v = out.json();
    assert_eq!(v["tenant"], "netbackup", "{v}");
    assert_eq!(v["s3_user"], "netbackup-s3", "{v}");
    assert!(
        v["lsus"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "netbackup-pool-01"),
        "{v}"
    );
    assert_eq!(v["api_token"]["owner"], "admin", "{v}");
    let file = v["api_token"]["file"].as_str().unwrap().to_owned();
    let token = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    assert!(token.len() >= 20, "token file holds {} bytes", token.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "token file mode {mode:o}");
    }
    assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token));
    println!(
        "CHECKED bootstrap issued API token {} into {file} (mode 0600)",
        v["api_token"]["id"]
    );

    // A second bootstrap refuses to overwrite the token file without --force.
    let again = env.run(&["bootstrap"]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);

    // From here on: no password in the configuration, the environment or the command line.
    switch_to_token(&env, &file);
    let before = password_auth_calls(&env);
    let api_before = env.sim.faults().counter("vms.auth.api_token_requests");

    let shown = env.run_without_password(&["--json", "config", "check"]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let section = &shown.json()["servers"][&server];
    assert_eq!(section["api_token_file"], file.as_str(), "{section}");
    assert_eq!(section["password"], "(not set)", "{section}");
    assert!(
        !shown.stdout.contains(&token),
        "config check printed the token"
    );

    let check = env.run_without_password(&["check", &server]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("API token"), "{}", check.stdout);

    let input = env.path("in.bin");
    let payload = data(7 << 20, 17);
    std::fs::write(&input, &payload).unwrap();
    let backup = env.run_without_password(&[
        "backup",
        "netbackup-pool-01",
        "tokimg",
        input.to_str().unwrap(),
    ]);
    assert_eq!(backup.code, 0, "{}", backup.stderr);
    let output = env.path("out.bin");
    let restore = env.run_without_password(&[
        "restore",
        "netbackup-pool-01",
        "tokimg",
        output.to_str().unwrap(),
    ]);
    assert_eq!(restore.code, 0, "{}", restore.stderr);
    assert!(
        std::fs::read(&output).unwrap() == payload,
        "restored bytes differ"
    );
    let list = env.run_without_password(&["--json", "image", "list", "netbackup-pool-01"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert_eq!(list.json().as_array().unwrap().len(), 1, "{}", list.stdout);

    let after = password_auth_calls(&env);
    let api_calls = env.sim.faults().counter("vms.auth.api_token_requests") - api_before;
    assert_eq!(
        before, after,
        "(password logins, refreshes, Basic calls) changed after the switch to the token"
    );
    assert!(api_calls > 0, "no VMS call carried the API token");
    println!(
        "CHECKED with api_token_file only: check, backup + restore of 7 MiB (bytes equal), list; \
         {api_calls} VMS calls with the token, 0 password logins, 0 refreshes, 0 Basic calls"
    );

    // A revoked token is refused, with a hint that says how to get a new one.
    let id = v["api_token"]["id"].as_str().unwrap().to_owned();
    let (user, password) = env.sim.admin_credentials();
    let vms = vast_vms_client::VmsClient::builder(env.sim.vms_url())
        .password(user, password)
        .build()
        .unwrap();
    env.rt.block_on(vms.api_tokens().revoke(&id)).unwrap();
    let refused = env.run_without_password(&["--json", "check", &server]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    let v = refused.json();
    let failed = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["outcome"] == "failed")
        .unwrap()
        .clone();
    assert_eq!(failed["name"], "login", "{v}");
    assert!(
        failed["hint"]
            .as_str()
            .unwrap()
            .contains("vast-ost bootstrap"),
        "{failed}"
    );
    println!(
        "CHECKED revoked token: check fails at login with hint {}",
        failed["hint"]
    );
}
