//! Four media servers on one cluster: four plugin processes, each with its own state directory
//! and `media_server` name, driven by the C driver through `dlopen`, back up, list, restore
//! each other's images and delete them, and no S3 user ever holds more than VAST's two keys.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{stdout, DataPath, Env};
use vast_vms_client::Query;

const MEDIA_SERVERS: usize = 4;
const CALL: &str = "1048576";

fn name(i: usize) -> String {
    format!("media{i}")
}

/// The image media server `i` backs up (the driver adds `_s0`).
fn image(i: usize) -> String {
    format!("ms{i}img")
}

/// Runs `mode(i)` as the four media servers at once, one process each; every run must pass.
fn all_at_once(env: &Env, configs: &[PathBuf], mode: impl Fn(usize) -> Vec<String> + Sync) {
    let outputs: Vec<Output> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..MEDIA_SERVERS)
            .map(|i| {
                let mode = &mode;
                s.spawn(move || {
                    let args = mode(i);
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    env.run_as(&configs[i], &args)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for (i, out) in outputs.iter().enumerate() {
        assert!(
            out.status.success(),
            "media server {i} failed:\n{}\n{}",
            stdout(out),
            env.log_text()
        );
    }
}

#[test]
fn four_media_servers_share_the_lsu_with_one_key_each() {
    let env = Env::start(DataPath::S3);
    let configs: Vec<PathBuf> = (0..MEDIA_SERVERS)
        .map(|i| env.media_server_config(&name(i)))
        .collect();
    // Each media server backs up its own content (2 MiB, different bytes each).
    let files: Vec<(PathBuf, Vec<u8>)> = (0..MEDIA_SERVERS)
        .map(|i| {
            let bytes: Vec<u8> = (0..2u32 << 20)
                .map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8 ^ (i as u8 * 37))
                .collect();
            let path = env.dir.path().join(format!("source-{i}"));
            std::fs::write(&path, &bytes).unwrap();
            (path, bytes)
        })
        .collect();

    // 1. Backups, all four media servers opening the cluster for the first time together.
    all_at_once(&env, &configs, |i| {
        let file = files[i].0.display().to_string();
        vec!["bench-put".into(), file, image(i), CALL.into()]
    });

    // 2. Every media server lists all four images.
    let listed: Vec<Output> = (0..MEDIA_SERVERS)
        .map(|i| env.run_as(&configs[i], &["list", "ms"]))
        .collect();
    for (i, out) in listed.iter().enumerate() {
        assert!(out.status.success(), "list {i}: {}", stdout(out));
        let text = stdout(out);
        for j in 0..MEDIA_SERVERS {
            let line = format!("IMAGE {}_s0 {}", image(j), 2u32 << 20);
            assert!(
                text.contains(&line),
                "media server {i} misses {line}:\n{text}"
            );
        }
    }

    // 3. Each restores the next one's image, byte for byte.
    all_at_once(&env, &configs, |i| {
        let out = env.dir.path().join(format!("restored-{i}"));
        let peer = image((i + 1) % MEDIA_SERVERS);
        vec![
            "bench-get".into(),
            peer,
            out.display().to_string(),
            CALL.into(),
        ]
    });
    for i in 0..MEDIA_SERVERS {
        let got = std::fs::read(env.dir.path().join(format!("restored-{i}"))).unwrap();
        assert!(
            got == files[(i + 1) % MEDIA_SERVERS].1,
            "media server {i} restored other bytes than media server {} backed up",
            (i + 1) % MEDIA_SERVERS
        );
    }

    // 4. Each deletes the image two along (another media server's); none is left.
    all_at_once(&env, &configs, |i| {
        vec!["bench-delete".into(), image((i + 2) % MEDIA_SERVERS)]
    });
    let after = env.run_as(&configs[0], &["list", "ms"]);
    assert!(after.status.success());
    assert!(!stdout(&after).contains("IMAGE "), "{}", stdout(&after));

    // What the administrator sees in VMS: one identity policy, attached to the four media
    // servers' users; each of them holds exactly one key; no user holds more than two; the
    // buckets' owner holds none.
    let vms = env.vms_admin();
    let (users, policies) = env.rt.block_on(async {
        let users = vms.users().list(&Query::new()).await.unwrap();
        let policies = vms.s3_policies().list(&Query::new()).await.unwrap();
        (users, policies)
    });
    assert_eq!(policies.len(), 1, "{policies:#?}");
    let policy = &policies[0];
    assert_eq!(policy.name, "netbackup-s3-data");
    let mut attached = policy.users.clone();
    attached.sort();
    let expected: Vec<String> = (0..MEDIA_SERVERS)
        .map(|i| format!("netbackup-s3-{}", name(i)))
        .collect();
    assert_eq!(attached, expected);
    for user in &users {
        assert!(
            user.access_keys.len() <= 2,
            "{} holds {} keys",
            user.name,
            user.access_keys.len()
        );
    }
    for want in &expected {
        let user = users.iter().find(|u| &u.name == want).unwrap();
        assert_eq!(user.access_keys.len(), 1, "{want}: {:?}", user.access_keys);
        assert!(user.has_s3_policy(policy.id));
    }
    let owner = users.iter().find(|u| u.name == "netbackup-s3").unwrap();
    assert!(owner.access_keys.is_empty(), "{:?}", owner.access_keys);
}

/// Two processes given the same `media_server` name but separate state directories share one
/// S3 user: each stores a key of its own (two keys, VAST's limit), and a third is refused with
/// an error naming the fix, without revoking the keys the other two are using.
#[test]
fn a_third_state_dir_with_a_taken_name_is_refused_without_breaking_the_others() {
    let env = Env::start(DataPath::S3);
    let twins: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|dir| {
            let config = env.media_server_config(&format!("twin-{dir}"));
            let text = std::fs::read_to_string(&config).unwrap();
            let text = text.replace(
                &format!("media_server = \"twin-{dir}\""),
                "media_server = \"twin\"",
            );
            std::fs::write(&config, text).unwrap();
            config
        })
        .collect();
    let file = env.dir.path().join("source");
    std::fs::write(&file, vec![7u8; 1 << 20]).unwrap();
    let put = |config: &PathBuf, name: &str| {
        env.run_as(
            config,
            &["bench-put", &file.display().to_string(), name, CALL],
        )
    };
    assert!(put(&twins[0], "twin-a").status.success());
    assert!(put(&twins[1], "twin-b").status.success());
    let refused = put(&twins[2], "twin-c");
    assert!(!refused.status.success(), "{}", stdout(&refused));
    let log = env.log_text();
    assert!(
        log.contains("already holds VAST's 2 keys") && log.contains("media_server"),
        "the refusal names the cause and the fix:\n{log}"
    );
    // The first two still work with the keys they stored.
    assert!(env.run_as(&twins[0], &["list", "twin"]).status.success());
    let listed = env.run_as(&twins[1], &["list", "twin"]);
    assert!(listed.status.success());
    assert!(
        stdout(&listed).contains("IMAGE twin-a_s0") && stdout(&listed).contains("IMAGE twin-b_s0")
    );
}

/// An installation from before the user per media server stored a key of the buckets' owner
/// (`s3_user`) itself. The next open switches to the media server's own user, stores its key,
/// and revokes the old key (the one this state directory issued), leaving the owner keyless.
#[test]
fn an_upgraded_media_server_switches_to_its_own_user_and_revokes_its_old_key() {
    let env = Env::start(DataPath::S3);
    let config = env.media_server_config("upgraded");
    let vms = env.vms_admin();
    let (owner_id, old) = env.rt.block_on(async {
        let boot = vms.bootstrap();
        let tenant = boot.ensure_tenant("netbackup").await.unwrap().into_inner();
        let spec = vast_vms_client::S3UserSpec::new("netbackup-s3").for_tenant(&tenant);
        let owner = boot.ensure_s3_user(&spec).await.unwrap().into_inner();
        let old = boot
            .issue_access_key(owner.id, Some(tenant.id))
            .await
            .unwrap();
        (owner.id, old)
    });
    let keys = env.dir.path().join("state-upgraded").join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let stem = env
        .server_name()
        .trim_start_matches("vast://")
        .replace(':', "_");
    std::fs::write(
        keys.join(format!("{stem}.json")),
        serde_json::json!({
            "user_id": owner_id,
            "access_key": old.access_key,
            "secret_key": old.secret_key.expose(),
        })
        .to_string(),
    )
    .unwrap();

    let file = env.dir.path().join("source");
    std::fs::write(&file, vec![3u8; 1 << 20]).unwrap();
    let out = env.run_as(
        &config,
        &["bench-put", &file.display().to_string(), "upgraded", CALL],
    );
    assert!(out.status.success(), "{}\n{}", stdout(&out), env.log_text());

    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(keys.join(format!("{stem}.json"))).unwrap()).unwrap();
    assert_ne!(stored["access_key"], old.access_key.as_str());
    let (owner, mine) = env.rt.block_on(async {
        let owner = vms.users().get(owner_id).await.unwrap();
        let mine = vms
            .users()
            .by_name("netbackup-s3-upgraded")
            .await
            .unwrap()
            .unwrap();
        (owner, mine)
    });
    assert!(
        owner.access_keys.is_empty(),
        "old key left: {:?}",
        owner.access_keys
    );
    assert_eq!(stored["user_id"].as_u64(), Some(mine.id));
    assert_eq!(mine.access_keys.len(), 1);
    assert_eq!(
        mine.access_keys[0].access_key,
        stored["access_key"].as_str().unwrap()
    );
}
