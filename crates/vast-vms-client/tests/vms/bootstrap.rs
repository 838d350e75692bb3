//! VAST's provisioning sequence against vast-sim, run twice to prove it is idempotent.

use crate::common;

use common::Harness;
use vast_vms_client::bootstrap::S3_DEFAULT_POLICY;
use vast_vms_client::{BucketSpec, EndpointSpec, Error, Query, S3UserSpec};

#[tokio::test]
async fn provisioning_twice_changes_nothing_the_second_time() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;
    let boot = client.bootstrap();

    let mut ids = Vec::new();
    for run in 0..2 {
        let tenant = boot.ensure_tenant("nbu").await?;
        let user = boot
            .ensure_s3_user(&S3UserSpec::new("nbu-s3").in_tenant(tenant.get().id))
            .await?;
        let policy = boot.ensure_s3_policy(S3_DEFAULT_POLICY, None).await?;
        let view = boot
            .ensure_bucket_view(
                &BucketSpec::new("nbu-lsu-1", "/nbu/lsu-1", "nbu-s3", policy.get().id)
                    .in_tenant(tenant.get().id),
            )
            .await?;
        let created = [
            tenant.was_created(),
            user.was_created(),
            policy.was_created(),
            view.was_created(),
        ];
        if run == 0 {
            assert_eq!(
                created,
                [true, true, false, true],
                "the S3 policy is seeded"
            );
            let uid = user.get().uid.expect("users get a uid");
            assert!((50_000..60_000).contains(&uid), "{uid}");
        } else {
            assert_eq!(created, [false; 4], "a second run creates nothing");
        }
        ids.push((
            tenant.get().id,
            user.get().id,
            policy.get().id,
            view.get().id,
        ));
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(
        client
            .views()
            .list(&Query::new().filter("bucket", "nbu-lsu-1"))
            .await?
            .len(),
        1
    );
    Ok(())
}

#[tokio::test]
async fn a_bucket_owned_by_someone_else_is_a_conflict() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let boot = h.admin()?.bootstrap();
    boot.ensure_s3_user(&S3UserSpec::new("alice")).await?;
    boot.ensure_s3_user(&S3UserSpec::new("bob")).await?;
    let policy = boot
        .ensure_s3_policy(S3_DEFAULT_POLICY, None)
        .await?
        .into_inner();
    boot.ensure_bucket_view(&BucketSpec::new("shared", "/shared", "alice", policy.id))
        .await?;
    let err = boot
        .ensure_bucket_view(&BucketSpec::new("shared", "/shared", "bob", policy.id))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    Ok(())
}

#[tokio::test]
async fn keys_are_issued_and_revoked_and_the_endpoint_resolves() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let boot = h.admin()?.bootstrap();
    let user = boot
        .ensure_s3_user(&S3UserSpec::new("keys"))
        .await?
        .into_inner();
    let pair = boot.issue_access_key(user.id, None).await?;
    assert!(!pair.secret_key.is_empty());
    boot.revoke_access_key(user.id, &pair.access_key).await?;
    // Revoking again is fine: the key is already gone.
    boot.revoke_access_key(user.id, &pair.access_key).await?;

    let s3 = h.sim.s3_addr();
    let endpoint = boot
        .resolve_s3_endpoint(&EndpointSpec::new().port(s3.port()))
        .await?;
    assert_eq!(endpoint.url, format!("http://{s3}"));
    assert_eq!(endpoint.address, s3.ip().to_string());

    let missing = boot
        .resolve_s3_endpoint(&EndpointSpec::new().pool("no-such-pool"))
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::Missing { .. }), "{missing}");
    Ok(())
}

/// The plugin's S3 identity policy and a media server's user: created once, found the second
/// time; an administrator's edit (document changed, policy disabled) is put back; a detached
/// policy is attached again without dropping the other policies the user holds.
#[tokio::test]
async fn identity_policy_and_policy_user_converge() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;
    let boot = client.bootstrap();
    let tenant = boot.ensure_tenant("nbu").await?.into_inner();
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::*"]}]}"#;

    let first = boot
        .ensure_identity_policy("nbu-data", doc, tenant.id)
        .await?;
    assert!(first.policy.was_created() && !first.restored);
    let again = boot
        .ensure_identity_policy("nbu-data", doc, tenant.id)
        .await?;
    assert!(!again.policy.was_created() && !again.restored);
    let policy_id = first.policy.get().id;
    assert_eq!(again.policy.get().id, policy_id);
    assert_eq!(again.policy.get().tenant_id, Some(tenant.id));

    client
        .s3_policies()
        .update(
            policy_id,
            &serde_json::json!({"enabled": false, "policy": r#"{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#}),
        )
        .await?;
    let repaired = boot
        .ensure_identity_policy("nbu-data", doc, tenant.id)
        .await?;
    assert!(repaired.restored);
    let stored = client.s3_policies().get(policy_id).await?;
    assert!(stored.is_enabled());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stored.policy)?,
        serde_json::from_str::<serde_json::Value>(doc)?
    );

    let spec = S3UserSpec::new("nbu-s3-media1").for_tenant(&tenant);
    let user = boot.ensure_policy_user(&spec, policy_id).await?;
    assert!(user.user.was_created());
    assert!(user.user.get().has_s3_policy(policy_id));
    assert_eq!(user.user.get().allow_create_bucket, Some(false));
    let same = boot.ensure_policy_user(&spec, policy_id).await?;
    assert!(!same.user.was_created() && !same.attached);

    let other = boot
        .ensure_identity_policy("admin-extra", doc, tenant.id)
        .await?
        .policy
        .into_inner();
    let uid = user.user.get().id;
    client
        .users()
        .update(uid, &serde_json::json!({"s3_policies_ids": [other.id]}))
        .await?;
    let reattached = boot.ensure_policy_user(&spec, policy_id).await?;
    assert!(reattached.attached);
    let mut ids = reattached.user.get().s3_policy_ids();
    ids.sort_unstable();
    assert_eq!(ids, [policy_id, other.id]);
    let listed = client.s3_policies().get(policy_id).await?;
    assert_eq!(listed.users, ["nbu-s3-media1"]);
    Ok(())
}

#[tokio::test]
async fn every_vip_of_the_protocols_pool_resolves_and_vips_lists_them() -> anyhow::Result<()> {
    let h = Harness::start_with(|c| c.s3_vips = 3).await?;
    let admin = h.admin()?;
    let port = h.sim.s3_addr().port();
    let all = admin
        .bootstrap()
        .resolve_s3_endpoints(&EndpointSpec::new().port(port))
        .await?;
    let urls: Vec<&str> = all.iter().map(|e| e.url.as_str()).collect();
    let want: Vec<String> = (1..=3)
        .map(|i| format!("http://127.0.0.{i}:{port}"))
        .collect();
    assert_eq!(urls, want);
    assert!(all.iter().all(|e| e.pool == "vippool-1"));
    let one = admin
        .bootstrap()
        .resolve_s3_endpoint(&EndpointSpec::new().port(port))
        .await?;
    assert!(want.contains(&one.url), "{one:?}");

    // `/vips/` in the real shape, filtered by pool name, lists the same addresses.
    let answer: serde_json::Value = admin
        .get_json("vips/", &Query::new().filter("vippool__name", "vippool-1"))
        .await?;
    let vips = answer
        .as_array()
        .or_else(|| answer["results"].as_array())
        .cloned()
        .unwrap_or_default();
    let ips: Vec<&str> = vips.iter().filter_map(|v| v["ip"].as_str()).collect();
    assert_eq!(ips, ["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
    for field in [
        "id", "vippool", "cnode", "hostname", "cluster", "name", "guid", "url",
    ] {
        assert!(vips[0].get(field).is_some(), "{field} in {}", vips[0]);
    }
    Ok(())
}
