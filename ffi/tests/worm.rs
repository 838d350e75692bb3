//! Immutable backups (issue 18), from NetBackup's side through the C ABI (`dlopen`), on a WORM
//! LSU of vast-sim with seconds-long retention.
//!
//! - A backup into a WORM LSU is locked at close COMPLETE; NetBackup's delete before the
//!   retain-until date answers `STS_EWORM` (2060069) and removes nothing; after the date the
//!   delete leaves zero objects and zero versions.
//! - An attacker holding the plugin's own S3 key cannot remove or overwrite a locked version.
//! - A checkpointed (Pending) image is not locked; it resumes, completes, and is locked then.
//! - The administrator's bypass: refused in compliance mode, works in governance mode (the
//!   tool's entry point, `vast-ost image delete --bypass-governance`); NetBackup's calls never
//!   bypass.
//! - A copy from a WORM LSU to a normal LSU is not locked; a copy into a WORM LSU is.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::dur::*;
use common::{DataPath, Env};
use ost_core::{Credentials, ImageFilter, Plugin, PluginConfig, ServerId};
use ost_model::{LsuFlags, LsuName, ServerCapabilities, WormPolicy};
use vast_s3_data::object_lock;

const EWORM: i32 = 2_060_069;
/// Sorts before the default LSU, so the C worker (which takes the first LSU) writes into it.
const WORM_LSU: &str = "immutable-pool";

/// The administrator's view, in process: the same configuration, the sim's admin.
fn admin(env: &Env) -> (Arc<Plugin>, ServerId) {
    let plugin = Plugin::init(PluginConfig::load(&env.config).unwrap()).unwrap();
    let (user, password) = env.sim.admin_credentials();
    let server = plugin
        .open_server(&env.server_name(), Some(Credentials::new(user, password)))
        .unwrap();
    (plugin, server)
}

fn worm_env(policy: &str) -> (Env, Arc<Plugin>, ServerId, LsuName) {
    let env = Env::start(DataPath::S3);
    let (plugin, server) = admin(&env);
    let lsu = LsuName::new(WORM_LSU).unwrap();
    let policy: WormPolicy = policy.parse().unwrap();
    plugin.create_worm_lsu(server, &lsu, policy).unwrap();
    let info = plugin.lsu_info(server, &lsu).unwrap();
    assert!(info.flags.contains(LsuFlags::WORM), "{info:?}");
    assert_eq!(info.worm, Some(policy));
    let props = plugin.server_props(server).unwrap();
    assert!(props.capabilities.contains(ServerCapabilities::WORM));
    (env, plugin, server, lsu)
}

/// Every version and delete marker under an image's prefix, as the plugin's own key sees them.
fn versions(env: &Env, name: &str) -> Vec<object_lock::VersionEntry> {
    let s3 = env.s3();
    env.rt
        .block_on(object_lock::list_versions(
            &s3,
            WORM_LSU,
            &format!("netbackup/{name}/"),
        ))
        .unwrap()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn image_id(plugin: &Plugin, server: ServerId, lsu: &LsuName, name: &str) -> ost_model::ImageId {
    let filter = ImageFilter {
        include_pending: true,
        ..ImageFilter::default()
    };
    plugin
        .list_images(server, lsu, &filter)
        .unwrap()
        .into_iter()
        .find(|i| i.def.basename.as_str() == name)
        .unwrap_or_else(|| panic!("image {name} not listed"))
        .def
        .id()
}

#[test]
fn a_locked_backup_refuses_delete_until_its_date_then_leaves_nothing() {
    let (env, plugin, server, lsu) = worm_env("compliance 6s");
    let (model, bytes) = model_file(&env, "model", 12 * MIB, 18);
    let mut w = env.worker(Media::A, &model);
    assert!(
        w.transcript().contains(&format!("READY {WORM_LSU}")),
        "{}",
        w.transcript()
    );
    // Taken before the create: the descriptor's creation second is the create's, and a second
    // may tick between the create and the next line.
    let before = unix_now();
    w.ok("create img1");
    assert_eq!(w.write_ok(0, 12 * MIB, CALL), 12 * MIB);
    w.ok("close-complete");

    // The descriptor carries the date: creation + 6 s.
    let id = image_id(&plugin, server, &lsu, "img1");
    let d = plugin.image_descriptor(server, &lsu, &id).unwrap();
    let until = d
        .retain_until_unix
        .expect("a WORM image has a retain-until date");
    assert_eq!(until, d.created_unix + 6);
    assert!(until >= before + 6 && until <= unix_now() + 6, "{until}");
    let held = versions(&env, "img1");
    // Current: 2 segments + the descriptor (its Pending version stays as a noncurrent one).
    assert_eq!(
        held.iter()
            .filter(|v| v.is_latest && !v.delete_marker)
            .count(),
        3,
        "{held:?}"
    );

    // NetBackup's delete: STS_EWORM, one log line naming the image and the date, nothing gone.
    w.expect("delete img1", EWORM, "a locked image must not be deleted");
    assert_eq!(versions(&env, "img1"), held);
    let log = std::fs::read_to_string(&env.log).unwrap();
    let refusals: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("delete refused: image is WORM locked"))
        .collect();
    assert_eq!(refusals.len(), 1, "{log}");
    assert!(refusals[0].contains("img1"), "{}", refusals[0]);
    assert!(refusals[0].contains(
        &ost_model::ImageDate::from_unix_seconds(until)
            .unwrap()
            .to_rfc3339()
    ));
    assert_restores_model(&env, &mut w, "img1", &bytes, 12 * MIB);

    // The administrator cannot bypass compliance either.
    let err = plugin
        .delete_image_bypassing_governance(server, &lsu, &id)
        .unwrap_err();
    assert_eq!(err.code(), EWORM, "{err}");
    assert_eq!(versions(&env, "img1"), held);

    // An attacker with the plugin's own S3 key: removing a version is refused, overwriting
    // adds a version and leaves the locked one as it was.
    let s3 = env.s3();
    let data = held.iter().find(|v| v.key.contains("/data/")).unwrap();
    let refused = env.rt.block_on(object_lock::delete_versions(
        &s3,
        WORM_LSU,
        &[(data.key.clone(), data.version_id.clone())],
        true,
    ));
    let err = refused.unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"), "{err}");
    env.rt
        .block_on(
            s3.sdk()
                .put_object()
                .bucket(WORM_LSU)
                .key(&data.key)
                .body(b"ransom".to_vec().into())
                .send(),
        )
        .unwrap();
    let original = env
        .rt
        .block_on(
            s3.sdk()
                .get_object()
                .bucket(WORM_LSU)
                .key(&data.key)
                .version_id(&data.version_id)
                .send(),
        )
        .unwrap();
    assert_eq!(original.content_length(), Some(10 * MIB as i64));

    // After the date: the delete works and leaves zero objects and zero versions.
    while unix_now() <= until {
        std::thread::sleep(Duration::from_millis(250));
    }
    w.ok("delete img1");
    assert_eq!(versions(&env, "img1"), Vec::new());
    w.quit();
}

#[test]
fn a_checkpointed_image_is_locked_only_when_complete_and_governance_yields_to_the_tool() {
    let (env, plugin, server, lsu) = worm_env("governance 1h");
    let (model, bytes) = model_file(&env, "model", 16 * MIB, 19);
    let mut a = env.worker(Media::A, &model);
    a.ok("create img2");
    let acked = a.write_ok(0, 7 * MIB, CALL);
    a.ok("close-incomplete");
    a.quit();

    // Pending: nothing of it is locked.
    let s3 = env.s3();
    let now = unix_now() as i64;
    for v in versions(&env, "img2").iter().filter(|v| !v.delete_marker) {
        let lock = env
            .rt
            .block_on(object_lock::version_lock(
                &s3,
                WORM_LSU,
                &v.key,
                &v.version_id,
            ))
            .unwrap();
        assert!(
            !lock.holds_at(now),
            "{} of a pending image is locked",
            v.key
        );
    }

    // Resume from another media server, complete: locked now.
    let mut b = env.worker(Media::B, &model);
    b.ok("open-write img2");
    b.write_ok(acked, 16 * MIB - acked, CALL);
    b.ok("close-complete");
    let id = image_id(&plugin, server, &lsu, "img2");
    let until = plugin
        .image_descriptor(server, &lsu, &id)
        .unwrap()
        .retain_until_unix
        .unwrap();
    assert!(until > unix_now() + 3000);
    let current: Vec<_> = versions(&env, "img2")
        .into_iter()
        .filter(|v| v.is_latest && !v.delete_marker)
        .collect();
    assert_eq!(current.len(), 3, "{current:?}");
    for v in &current {
        let lock = env
            .rt
            .block_on(object_lock::version_lock(
                &s3,
                WORM_LSU,
                &v.key,
                &v.version_id,
            ))
            .unwrap();
        assert_eq!(
            lock.retention,
            Some((object_lock::LockMode::Governance, until as i64)),
            "{}",
            v.key
        );
    }
    b.expect(
        "delete img2",
        EWORM,
        "a governance lock holds against NetBackup's delete",
    );
    assert_restores_model(&env, &mut b, "img2", &bytes, 16 * MIB);

    // Copies: WORM -> normal is not locked; normal -> WORM is.
    let normal = LsuName::new("normal-pool").unwrap();
    plugin.create_lsu(server, &normal).unwrap();
    let copy_def = |name: &str| ost_model::ImageDef::new(name.parse().unwrap(), id.date);
    plugin
        .copy_image(
            server,
            &ost_core::CopyRequest {
                src_lsu: lsu.clone(),
                src: id.clone(),
                dst_lsu: normal.clone(),
                dst: copy_def("img2copy"),
            },
        )
        .unwrap();
    let plain = plugin
        .image_descriptor(server, &normal, &copy_def("img2copy").id())
        .unwrap();
    assert_eq!(plain.retain_until_unix, None);
    // Normal -> WORM: the copy gets the WORM LSU's retention, lists with its date (from the
    // listing catalogue) and refuses NetBackup's delete.
    let back = copy_def("img2back");
    plugin
        .copy_image(
            server,
            &ost_core::CopyRequest {
                src_lsu: normal.clone(),
                src: copy_def("img2copy").id(),
                dst_lsu: lsu.clone(),
                dst: back.clone(),
            },
        )
        .unwrap();
    let locked = plugin
        .image_descriptor(server, &lsu, &back.id())
        .unwrap()
        .retain_until_unix
        .expect("a copy into a WORM LSU is locked");
    assert!(locked > unix_now() + 3000);
    let listed = plugin
        .list_images(server, &lsu, &ImageFilter::default())
        .unwrap()
        .into_iter()
        .find(|i| i.def.basename.as_str() == "img2back")
        .expect("the copy is listed");
    assert_eq!(listed.retain_until_unix, Some(locked));
    let refused = plugin.delete_image(server, &lsu, &back.id()).unwrap_err();
    assert_eq!(refused.code(), EWORM, "{refused}");
    assert!(!versions(&env, "img2back").is_empty());
    plugin
        .delete_image_bypassing_governance(server, &lsu, &back.id())
        .unwrap();
    assert_eq!(versions(&env, "img2back"), Vec::new());
    plugin
        .delete_image(server, &normal, &copy_def("img2copy").id())
        .unwrap();

    // The administrator's governance bypass removes it, every version with it.
    b.quit();
    plugin
        .delete_image_bypassing_governance(server, &lsu, &id)
        .unwrap();
    assert_eq!(versions(&env, "img2"), Vec::new());
    // Its listing entries went with every version too.
    let entries = env
        .rt
        .block_on(object_lock::list_versions(
            &s3,
            WORM_LSU,
            "netbackup-list/img2",
        ))
        .unwrap();
    assert_eq!(entries, Vec::new());
}

/// Where the AWS CLI is (set by tests/compat/run, which installs it in its virtualenv).
fn aws_cli() -> PathBuf {
    PathBuf::from(
        std::env::var_os("VAST_OST_AWS_CLI")
            .expect("VAST_OST_AWS_CLI (the AWS CLI's path) is set by tests/compat/run"),
    )
}

/// The AWS CLI as an attacker would run it: the plugin's own stored S3 key, vast-sim's endpoint.
struct Attacker {
    aws: PathBuf,
    endpoint: String,
    env: Vec<(&'static str, String)>,
}

impl Attacker {
    fn with_plugins_key(env: &Env) -> Attacker {
        let key = env.stored_key();
        let config = env.dir.path().join("aws-config");
        std::fs::write(&config, "[default]\ns3 =\n    addressing_style = path\n").unwrap();
        let mut vars = vec![
            (
                "AWS_ACCESS_KEY_ID",
                key["access_key"].as_str().unwrap().to_owned(),
            ),
            (
                "AWS_SECRET_ACCESS_KEY",
                key["secret_key"].as_str().unwrap().to_owned(),
            ),
            ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
            ("AWS_CONFIG_FILE", config.display().to_string()),
        ];
        if let Some(ca) = env.sim.ca_cert_path() {
            vars.push(("AWS_CA_BUNDLE", ca.display().to_string()));
        }
        Attacker {
            aws: aws_cli(),
            endpoint: env.sim.s3_url(),
            env: vars,
        }
    }

    /// Runs `aws s3api <args>`: (success, stdout, stderr).
    fn s3api(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(&self.aws)
            .arg("--endpoint-url")
            .arg(&self.endpoint)
            .arg("s3api")
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        println!("aws s3api {}: {}", args.join(" "), out.status);
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    }

    /// `aws s3api <args>` must be refused with S3's AccessDenied.
    fn refused(&self, what: &str, args: &[&str]) {
        let (ok, out, err) = self.s3api(args);
        assert!(!ok, "{what} was allowed: {out}");
        assert!(err.contains("AccessDenied"), "{what}: {err}");
    }

    /// The bytes of one version.
    fn version_bytes(&self, key: &str, version: &str, to: &Path) -> Vec<u8> {
        let (ok, _, err) = self.s3api(&[
            "get-object",
            "--bucket",
            WORM_LSU,
            "--key",
            key,
            "--version-id",
            version,
            &to.display().to_string(),
        ]);
        assert!(ok, "get-object {key} {version}: {err}");
        std::fs::read(to).unwrap()
    }
}

#[test]
#[ignore = "needs the AWS CLI: run by tests/compat/run (cargo xtask compat)"]
fn an_attacker_with_the_plugins_key_and_the_aws_cli_cannot_remove_a_locked_backup() {
    // Governance, the weaker mode: only s3:BypassGovernanceRetention lifts it, which the
    // media servers' key does not hold.
    let (env, plugin, server, lsu) = worm_env("governance 1h");
    let (model, bytes) = model_file(&env, "model", 12 * MIB, 23);
    let mut w = env.worker(Media::A, &model);
    w.ok("create img3");
    assert_eq!(w.write_ok(0, 12 * MIB, CALL), 12 * MIB);
    w.ok("close-complete");
    let held = versions(&env, "img3");
    let locked: Vec<_> = held
        .iter()
        .filter(|v| v.is_latest && !v.delete_marker)
        .cloned()
        .collect();
    assert_eq!(locked.len(), 3, "2 segments and the descriptor: {held:?}");

    // NetBackup's own delete refuses (the locks hold).
    let id = image_id(&plugin, server, &lsu, "img3");
    assert_eq!(
        plugin.delete_image(server, &lsu, &id).unwrap_err().code(),
        EWORM
    );

    let attacker = Attacker::with_plugins_key(&env);
    let dir = env.dir.path();
    let originals: Vec<Vec<u8>> = locked
        .iter()
        .enumerate()
        .map(|(i, v)| attacker.version_bytes(&v.key, &v.version_id, &dir.join(format!("v{i}"))))
        .collect();
    let in_an_hour = ost_model::ImageDate::from_unix_seconds(unix_now() + 60)
        .unwrap()
        .to_rfc3339();
    for v in &locked {
        let (key, version) = (v.key.as_str(), v.version_id.as_str());
        let object = ["--bucket", WORM_LSU, "--key", key, "--version-id", version];
        attacker.refused(
            "delete-object --version-id",
            &[&["delete-object"][..], &object].concat(),
        );
        attacker.refused(
            "delete-object --version-id --bypass-governance-retention",
            &[
                &["delete-object"][..],
                &object,
                &["--bypass-governance-retention"],
            ]
            .concat(),
        );
        let shorter = format!("{{\"Mode\":\"GOVERNANCE\",\"RetainUntilDate\":\"{in_an_hour}\"}}");
        attacker.refused(
            "put-object-retention (shortened) --bypass-governance-retention",
            &[
                &["put-object-retention"][..],
                &object,
                &["--retention", &shorter, "--bypass-governance-retention"],
            ]
            .concat(),
        );
        // A batch delete answers 200 with a per-key error.
        let batch = format!(
            "{{\"Objects\":[{{\"Key\":\"{key}\",\"VersionId\":\"{version}\"}}],\"Quiet\":false}}"
        );
        let (_, out, err) = attacker.s3api(&[
            "delete-objects",
            "--bucket",
            WORM_LSU,
            "--delete",
            &batch,
            "--bypass-governance-retention",
        ]);
        assert!(
            out.contains("AccessDenied") || err.contains("AccessDenied"),
            "delete-objects of a locked version: {out} {err}"
        );
        assert!(
            !out.contains("\"Deleted\""),
            "delete-objects removed {key}: {out}"
        );
    }

    // Overwrites and plain deletes only add versions and markers: every locked version is
    // still there, byte for byte.
    let ransom = dir.join("ransom");
    std::fs::write(&ransom, b"ransom").unwrap();
    for v in &locked {
        let object = ["--bucket", WORM_LSU, "--key", v.key.as_str()];
        let (ok, _, err) = attacker.s3api(
            &[
                &["put-object"][..],
                &object,
                &["--body", &ransom.display().to_string()],
            ]
            .concat(),
        );
        assert!(ok, "put-object: {err}");
        let (ok, _, err) = attacker.s3api(&[&["delete-object"][..], &object].concat());
        assert!(ok, "delete-object: {err}");
    }
    for (i, v) in locked.iter().enumerate() {
        let now = attacker.version_bytes(&v.key, &v.version_id, &dir.join(format!("after{i}")));
        assert!(
            now == originals[i],
            "{} version {} changed",
            v.key,
            v.version_id
        );
    }
    let after = versions(&env, "img3");
    for v in &locked {
        assert!(
            after
                .iter()
                .any(|a| a.key == v.key && a.version_id == v.version_id),
            "{} version {} is gone",
            v.key,
            v.version_id
        );
    }
    // The segments' locked versions hold the backup's bytes.
    let mut data: Vec<u8> = Vec::new();
    let mut segments: Vec<_> = locked
        .iter()
        .zip(&originals)
        .filter(|(v, _)| v.key.contains("/data/"))
        .collect();
    segments.sort_by(|a, b| a.0.key.cmp(&b.0.key));
    for (_, b) in segments {
        data.extend_from_slice(b);
    }
    assert!(data == bytes, "the locked segments are not the backup");

    w.quit();
}
