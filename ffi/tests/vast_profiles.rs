//! NetBackup's sequences against vast-sim answering as each VAST release it models (5.3 and
//! 5.5, `SimConfig::profile`): a backup and a restore verified byte for byte (the C driver's
//! `full` mode), and a checkpoint resumed by another media server (the durability workers).
//! On 5.5 the simulator refuses a user without its tenant's local provider and a bucket view
//! whose policy is of another tenant, so the plugin passing there proves it follows 5.5's rules;
//! the administrator's view of what it created is checked too.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dur::*;
use common::{stdout, DataPath, Env, Options};
use vast_sim::{Profile, SimConfig};
use vast_vms_client::VmsClient;

fn env(profile: Profile) -> Env {
    let configure: fn(&mut SimConfig) = match profile {
        Profile::V5_3 => |c| c.profile = Profile::V5_3,
        Profile::V5_5 => |c| c.profile = Profile::V5_5,
    };
    Env::start_with(Options::new(DataPath::S3).sim(configure))
}

/// Backup, restore with checksum verification, labels: the driver's whole sequence.
fn backup_and_restore(profile: Profile) -> Env {
    let env = env(profile);
    let out = env.run(&["full", &(12u64 << 20).to_string()]);
    let text = stdout(&out);
    assert!(out.status.success(), "{profile}: driver failed:\n{text}");
    assert!(text.contains("driver full: all steps passed"), "{text}");
    assert!(
        text.contains("checksum") && text.contains("verified"),
        "{profile}: the restore was not verified:\n{text}"
    );
    // The log says which rules the plugin followed for this cluster.
    let log = env.log_text();
    let rules = format!("VAST {} rules", profile.release());
    assert!(
        log.contains(&rules),
        "{profile}: no {rules:?} in the log:\n{log}"
    );
    env
}

/// A checkpoint (close without COMPLETE) in one media server, resumed and completed in
/// another, restored byte for byte.
fn checkpoint_and_resume(env: &Env, profile: Profile) {
    let (model, bytes) = model_file(env, "model", 16 * MIB, 0x5EED);
    let name = "profile_ck";
    let mut a = env.worker(Media::A, &model);
    a.ok(&format!("create {name}"));
    let acked = a.write_ok(0, PART + 1, CALL);
    a.expect(
        "close-incomplete",
        EOK,
        "a checkpoint close of a healthy image",
    );
    a.quit();
    let mut b = env.worker(Media::B, &model);
    let p = b.ok(&format!("props {name}"));
    assert!(
        p.num("size") == acked && p.flag("pending"),
        "{profile}: another media server sees `{}` after a checkpoint at {acked}",
        p.line
    );
    b.expect(
        &format!("open-write {name}"),
        EOK,
        "resume of a checkpointed image",
    );
    let end = b.write_ok(acked, 3 * MIB, CALL);
    b.expect("close-complete", EOK, "completing the resumed image");
    assert_restores_model(env, &mut b, name, &bytes, end);
    b.quit();
}

/// What the administrator sees on the cluster: the S3 user in its tenant's local provider,
/// and the default LSU's bucket view under a policy its tenant may use.
fn identity_on_the_cluster(env: &Env) -> (u64, Option<u64>, Option<u64>, Option<u64>) {
    let (user, password) = env.sim.admin_credentials();
    let vms = VmsClient::builder(env.sim.vms_url())
        .password(user, password)
        .build()
        .unwrap();
    env.rt.block_on(async {
        let tenant = vms.tenants().by_name("netbackup").await.unwrap().unwrap();
        let s3_user = vms.users().by_name("netbackup-s3").await.unwrap().unwrap();
        let view = vms
            .views()
            .by_bucket("netbackup-pool-01")
            .await
            .unwrap()
            .unwrap();
        let policy = vms
            .view_policies()
            .get(view.policy_id.unwrap())
            .await
            .unwrap();
        assert_eq!(
            view.tenant_id,
            Some(tenant.id),
            "the bucket is in the plugin's tenant"
        );
        assert_eq!(
            s3_user.local_provider_id(),
            tenant.local_provider(),
            "the S3 user is in its tenant's local provider"
        );
        (
            tenant.id,
            tenant.local_provider(),
            policy.tenant_id,
            view.tenant_id,
        )
    })
}

#[test]
fn vast_5_3_backup_restore_and_checkpoint_resume() {
    let env = backup_and_restore(Profile::V5_3);
    checkpoint_and_resume(&env, Profile::V5_3);
    let (tenant, provider, policy_tenant, _) = identity_on_the_cluster(&env);
    // 5.3: tenants share the seeded provider, and VAST's built-in s3_default_policy of the
    // default tenant serves the plugin's bucket (what clusters upgraded from 5.3 have).
    assert_eq!(provider, Some(1));
    assert_eq!(policy_tenant, Some(1));
    assert_ne!(tenant, 1);
}

#[test]
fn vast_5_5_backup_restore_and_checkpoint_resume() {
    let env = backup_and_restore(Profile::V5_5);
    checkpoint_and_resume(&env, Profile::V5_5);
    let (tenant, provider, policy_tenant, view_tenant) = identity_on_the_cluster(&env);
    // 5.5: the tenant's own provider, and a policy of the bucket's own tenant.
    assert!(provider.is_some_and(|p| p != 1), "{provider:?}");
    assert_eq!(policy_tenant, Some(tenant));
    assert_eq!(view_tenant, Some(tenant));
}
