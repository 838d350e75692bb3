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

#[test]
fn access_keys_the_plugin_creates_belong_to_its_own_user_and_tenant() {
    use vast_vms_client::{BucketSpec, S3UserSpec};
    let env = Env::start(DataPath::S3);
    let out = env.rel(&["backup", "scoped", &(6 * MIB).to_string(), "71"]);
    assert!(out.status.success(), "{}", text(&out));
    let stored = env.stored_key();
    let access_key = stored["access_key"].as_str().unwrap().to_owned();
    let vms = env.vms_admin();

    // VMS: the key is listed under the plugin's S3 user only, and maps to the plugin's tenant.
    let (tenant, users) = env.rt.block_on(async {
        let tenant = vms.tenants().list(&Default::default()).await.unwrap();
        let users = vms.users().list(&Default::default()).await.unwrap();
        (tenant, users)
    });
    let tenant_id = tenant.iter().find(|t| t.name == "netbackup").unwrap().id;
    let holders: Vec<_> = users
        .iter()
        .filter(|u| u.access_keys.iter().any(|k| k.access_key == access_key))
        .collect();
    assert_eq!(holders.len(), 1, "key listed under {} users", holders.len());
    // The media server's own user (`<s3_user>-<media_server>`), not the buckets' owner.
    let owner = holders[0];
    assert!(
        owner.name.starts_with("netbackup-s3-"),
        "key of user {}",
        owner.name
    );
    assert_eq!(stored["user_id"].as_u64(), Some(owner.id));
    assert_ne!(
        owner.s3_superuser,
        Some(true),
        "the plugin's user is an S3 superuser"
    );
    let key = owner
        .access_keys
        .iter()
        .find(|k| k.access_key == access_key)
        .unwrap();
    // Local users are cluster-wide on VAST; a key maps to one tenant.
    assert_eq!(key.tenant_id, Some(tenant_id), "{key:?}");
    assert_eq!(
        owner.access_keys.len(),
        1,
        "the plugin left more than one key on its user"
    );
    println!(
        "CHECKED VMS: access key {access_key} is listed only under the media server's user {} \
         (id {}) and maps to tenant netbackup (id {tenant_id}); it is the user's only key; not an \
         S3 superuser",
        owner.name, owner.id
    );

    // S3: another tenant's bucket is out of the key's reach; its own user's key reaches it.
    let other_secret = env.rt.block_on(async {
        let boot = vms.bootstrap();
        let t = boot.ensure_tenant("other").await.unwrap().into_inner();
        let u = boot
            .ensure_s3_user(&S3UserSpec::new("other-s3").in_tenant(t.id))
            .await
            .unwrap()
            .into_inner();
        let policy = boot
            .ensure_s3_policy(vast_vms_client::bootstrap::S3_DEFAULT_POLICY, None)
            .await
            .unwrap()
            .into_inner();
        boot.ensure_bucket_view(
            &BucketSpec::new("other-bucket", "/other/other-bucket", "other-s3", policy.id)
                .in_tenant(t.id),
        )
        .await
        .unwrap();
        boot.issue_access_key(u.id, Some(t.id)).await.unwrap()
    });
    let theirs = env.s3_with(&other_secret.access_key, other_secret.secret_key.expose());
    let ours = env.s3();
    let denied = env.rt.block_on(async {
        theirs
            .sdk()
            .put_object()
            .bucket("other-bucket")
            .key("theirs")
            .body(b"their data".to_vec().into())
            .send()
            .await
            .expect("the other tenant's own key writes its bucket");
        let put = ours
            .sdk()
            .put_object()
            .bucket("other-bucket")
            .key("intruder")
            .body(b"x".to_vec().into())
            .send()
            .await;
        let get = ours
            .sdk()
            .get_object()
            .bucket("other-bucket")
            .key("theirs")
            .send()
            .await;
        let list = ours
            .sdk()
            .list_objects_v2()
            .bucket("other-bucket")
            .send()
            .await;
        let delete = ours
            .sdk()
            .delete_object()
            .bucket("other-bucket")
            .key("theirs")
            .send()
            .await;
        [
            ("PutObject", put.err().map(|e| format!("{e:?}"))),
            ("GetObject", get.err().map(|e| format!("{e:?}"))),
            ("ListObjectsV2", list.err().map(|e| format!("{e:?}"))),
            ("DeleteObject", delete.err().map(|e| format!("{e:?}"))),
        ]
    });
    for (op, err) in &denied {
        let err = err
            .as_deref()
            .unwrap_or_else(|| panic!("{op} on another tenant's bucket succeeded"));
        assert!(err.contains("AccessDenied"), "{op}: {err}");
    }
    let still_there = env.rt.block_on(
        theirs
            .sdk()
            .head_object()
            .bucket("other-bucket")
            .key("theirs")
            .send(),
    );
    assert!(still_there.is_ok(), "the other tenant's object was touched");
    println!(
        "CHECKED S3: the plugin's key gets AccessDenied on another tenant's bucket for \
         PutObject, GetObject, ListObjectsV2 and DeleteObject; that tenant's own key works and \
         its object is untouched"
    );
}

#[test]
fn with_an_api_token_the_plugin_never_uses_the_admin_password_after_bootstrap() {
    let env = Env::start(DataPath::S3);
    // Bootstrap: one open with the administrator's password (what `vast-ost bootstrap` does:
    // tenant, S3 user, policy, default LSU, stored S3 key), then a VMS API token. The CLI's own
    // test (crates/vast-ost-cli/tests/cli/bootstrap.rs) covers the command; here the token is
    // issued over VMS as the administrator.
    let first = env.rel(&["backup", "before", &(6 * MIB).to_string(), "81"]);
    assert!(first.status.success(), "{}", text(&first));
    let vms = env.vms_admin();
    let issued = env
        .rt
        .block_on(
            vms.api_tokens()
                .create(&vast_vms_client::NewApiToken::named("vast-ost@rel").expiring_in("1d")),
        )
        .unwrap();
    let token_file = env.dir.path().join("vms.token");
    std::fs::write(&token_file, format!("{}\n", issued.token.expose())).unwrap();
    env.add_server_key("api_token_file", &format!("\"{}\"", token_file.display()));

    let stats = |env: &Env| {
        (
            env.stat("vms.auth.token"),
            env.stat("vms.auth.refresh"),
            env.stat("vms.auth.basic_requests"),
            env.stat("vms.auth.api_token_requests"),
        )
    };
    let before = stats(&env);
    // NetBackup passes no credentials at all: backup, restore of both images, list.
    let backup = env.rel_without_credentials(&["backup", "after", &(6 * MIB).to_string(), "82"]);
    assert!(backup.status.success(), "{}", text(&backup));
    for (name, seed) in [("before", 81), ("after", 82)] {
        let out = env.rel_without_credentials(&[
            "restore",
            name,
            &(6 * MIB).to_string(),
            &seed.to_string(),
        ]);
        let t = text(&out);
        assert!(out.status.success(), "{t}");
        let verified = result_line(&t, "RESTORE_VERIFIED ").unwrap();
        assert_eq!(verified[0], (6 * MIB).to_string(), "{t}");
    }
    // NetBackup passes the admin's credentials: the token is still what the plugin uses.
    assert_restores(&env, "after", 6 * MIB, 82);
    let after = stats(&env);
    assert_eq!(
        (before.0, before.1, before.2),
        (after.0, after.1, after.2),
        "password logins / refreshes / Basic calls happened in API-token mode"
    );
    let token_calls = after.3 - before.3;
    assert!(token_calls > 0, "no VMS call carried the API token");
    // A revoked token: open fails with STS_EAUTH, and the log names the token's file.
    env.rt
        .block_on(vms.api_tokens().revoke(&issued.id))
        .unwrap();
    let t = text(&env.rel_without_credentials(&["open-server", "1"]));
    const EAUTH: i32 = 2_060_903;
    assert_eq!(open_codes(&t), [EAUTH], "{t}");
    let log = env.log_text();
    let line = log
        .lines()
        .rfind(|l| l.contains("stspi_open_server failed"))
        .unwrap_or_else(|| panic!("no failure logged:\n{log}"))
        .to_owned();
    assert!(line.contains("api_token_file"), "{line}");
    assert!(
        !log.contains(issued.token.expose()),
        "the API token is in the plugin log"
    );
    println!("CHECKED revoked token: open -> {EAUTH} ({line})");
    println!(
        "CHECKED api_token_file configured: 4 driver runs (one passing NetBackup credentials) \
         backed up and restored 2 x 6 MiB with {token_calls} VMS calls on the token, 0 password \
         logins, 0 refreshes, 0 Basic calls; the token is not in the log"
    );
}
