//! Every typed resource against vast-sim over loopback HTTP.

use crate::common;

use std::time::Duration;

use common::Harness;
use futures::TryStreamExt;
use vast_vms_client::{
    EventQuery, Method, NewQuota, NewTenant, NewUser, NewView, NewViewPolicy, Query, QuotaPatch,
};

#[tokio::test]
async fn cluster_vms_and_whoami() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;
    let cluster = client.cluster().await?;
    assert!(cluster.is_online(), "{cluster:?}");
    assert_eq!(cluster.name, "vast-sim");
    assert!(cluster.sw_version.is_some());
    assert_eq!(client.clusters().get(cluster.id).await?.name, cluster.name);

    let vms = client.vms().list(&Query::new()).await?;
    assert_eq!(vms.len(), 1);
    assert_eq!(client.vms().get(vms[0].id).await?.id, vms[0].id);

    let me = client.whoami().await?;
    assert_eq!(me.username, "admin");
    assert_eq!(me.user_type.as_deref(), Some("SUPER_ADMIN"));
    Ok(())
}

#[tokio::test]
async fn tenants_crud_and_async_delete() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;
    let default = client.tenants().by_name("default").await?;
    assert!(default.is_some());

    let created = client
        .tenants()
        .create(&NewTenant::new("backup-tenant"))
        .await?;
    assert_eq!(created.name, "backup-tenant");
    assert_eq!(
        client.tenants().get(created.id).await?.name,
        "backup-tenant"
    );
    let renamed = client
        .tenants()
        .update(created.id, &serde_json::json!({"name": "backup-tenant-2"}))
        .await?;
    assert_eq!(renamed.name, "backup-tenant-2");

    let task = client
        .tenants()
        .delete_with(created.id, &Query::new().filter("force_remove", true))
        .await?
        .expect("a forced tenant removal answers with an async task");
    let done = client
        .vtasks()
        .wait(task, Duration::from_millis(20), Duration::from_secs(30))
        .await?;
    assert_eq!(done.state, "COMPLETED");
    let gone = client.tenants().get(created.id).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    assert_eq!(gone.status(), Some(404));
    Ok(())
}

#[tokio::test]
async fn view_policies_users_views_and_quotas() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;

    let s3_policy = client
        .view_policies()
        .by_name("S3_DEFAULT_POLICY", None)
        .await?
        .expect("the sim seeds s3_default_policy");
    assert!(s3_policy.is_s3_native());
    let own_policy = client
        .view_policies()
        .create(&NewViewPolicy::s3("nbu-policy", Some(1)))
        .await?;
    assert!(own_policy.is_s3_native());

    let user = client.users().create(&NewUser::new("nbu-owner")).await?;
    assert_eq!(
        client.users().by_name("nbu-owner").await?.map(|u| u.id),
        Some(user.id)
    );

    let view = client
        .views()
        .create(&NewView::bucket(
            "nbu-bucket",
            "/nbu/bucket",
            "nbu-owner",
            own_policy.id,
        ))
        .await?;
    assert!(view.is_bucket());
    assert_eq!(view.bucket.as_deref(), Some("nbu-bucket"));
    assert_eq!(view.bucket_owner.as_deref(), Some("nbu-owner"));
    assert_eq!(
        client.views().by_bucket("nbu-bucket").await?.map(|v| v.id),
        Some(view.id)
    );
    assert_eq!(
        client.views().by_path("/nbu/bucket").await?.map(|v| v.id),
        Some(view.id)
    );
    assert!(client
        .views()
        .buckets()
        .await?
        .iter()
        .any(|v| v.id == view.id));

    let duplicate = client
        .views()
        .create(&NewView::bucket(
            "nbu-bucket",
            "/nbu/other",
            "nbu-owner",
            own_policy.id,
        ))
        .await
        .unwrap_err();
    assert_eq!(duplicate.status(), Some(400), "{duplicate}");
    assert!(matches!(
        duplicate,
        vast_vms_client::Error::Validation { .. }
    ));
    assert_eq!(
        duplicate.call().map(|c| c.method.clone()),
        Some(Method::POST)
    );

    let quota = client
        .quotas()
        .create(&NewQuota::new("nbu-quota", "/nbu/bucket", 10 << 30))
        .await?;
    assert_eq!(quota.hard_limit, Some(10 << 30));
    let quota = client
        .quotas()
        .update(quota.id, &QuotaPatch::hard_limit(20 << 30))
        .await?;
    assert_eq!(quota.hard_limit, Some(20 << 30));
    assert_eq!(
        client.quotas().by_path("/nbu/bucket").await?.map(|q| q.id),
        Some(quota.id)
    );

    // `fields=` trims the answer; the models take the missing fields in their stride.
    let slim = client
        .views()
        .list(
            &Query::new()
                .filter("bucket", "nbu-bucket")
                .fields(&["id", "path"]),
        )
        .await?;
    assert_eq!(slim.len(), 1);
    assert_eq!(
        (slim[0].id, slim[0].path.as_str()),
        (view.id, "/nbu/bucket")
    );
    assert_eq!(slim[0].bucket, None);

    let capacity = client
        .capacity()
        .get(&vast_vms_client::CapacityQuery::path("/nbu"))
        .await?;
    assert_eq!(capacity.keys.len(), 3);
    assert_eq!(capacity.usable(), Some(0));

    assert!(client.quotas().delete(quota.id).await?.is_none());
    client.views().delete(view.id).await?;
    assert!(client
        .views()
        .get(view.id)
        .await
        .unwrap_err()
        .is_not_found());
    client.users().delete(user.id).await?;
    client.view_policies().delete(own_policy.id).await?;
    Ok(())
}

#[tokio::test]
async fn access_keys_lifecycle() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;
    let users = client.users();
    let user = users.create(&NewUser::new("key-owner")).await?;

    let pair = users.create_access_key(user.id, None).await?;
    assert!(!pair.access_key.is_empty());
    assert!(!pair.secret_key.expose().is_empty());
    assert!(!format!("{pair:?}").contains(pair.secret_key.expose()));

    let keys = users.access_keys(user.id).await?;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].access_key, pair.access_key);
    assert!(keys[0].enabled);

    users
        .set_access_key_enabled(user.id, &pair.access_key, false)
        .await?;
    assert!(!users.access_keys(user.id).await?[0].enabled);
    users
        .set_access_key_enabled(user.id, &pair.access_key, true)
        .await?;
    assert!(users.access_keys(user.id).await?[0].enabled);

    users.delete_access_key(user.id, &pair.access_key).await?;
    assert!(users.access_keys(user.id).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn vip_pools_events_and_alarms() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;
    let pools = client.vip_pools().protocols().await?;
    assert!(!pools.is_empty());
    assert_eq!(pools[0].addresses(), vec![h.sim.s3_addr().ip().to_string()]);
    assert_eq!(
        client
            .vip_pools()
            .by_name(&pools[0].name)
            .await?
            .map(|p| p.id),
        Some(pools[0].id)
    );

    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(5);
    let _: serde_json::Value = client
        .send_json(
            Method::POST,
            "events/",
            &Query::new(),
            Some(&serde_json::json!({
                "object_type": "cluster", "object_id": 1,
                "event_type": "OBJECT_MODIFIED", "event_message": "client test event",
                "severity": "MAJOR",
            })),
        )
        .await?;
    let events = client
        .events()
        .query(&EventQuery::new().since(before))
        .await?;
    assert!(
        events
            .iter()
            .any(|e| e.event_message.as_deref() == Some("client test event")),
        "{events:?}"
    );
    let future = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    assert!(client
        .events()
        .query(&EventQuery::new().since(future))
        .await?
        .is_empty());

    let alarms = client
        .alarms()
        .query(&EventQuery::new().since(before))
        .await?;
    assert!(
        alarms.iter().all(|a| a.timestamp.is_some()),
        "alarms carry timestamps: {alarms:?}"
    );
    Ok(())
}

#[tokio::test]
async fn lists_follow_next_over_several_pages() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;
    for n in 0..5 {
        client
            .users()
            .create(&NewUser::new(format!("pager-{n}")))
            .await?;
    }
    let query = Query::new()
        .filter("name__startswith", "pager-")
        .page_size(2);
    let pages: Vec<_> = client.users().pages(&query).try_collect().await?;
    assert_eq!(pages.len(), 3, "5 users in pages of 2");
    assert_eq!(pages[0].count, Some(5));
    assert!(pages[0].next.is_some() && pages[2].next.is_none());

    let mut names: Vec<String> = client
        .users()
        .stream(&query)
        .map_ok(|u| u.name)
        .try_collect()
        .await?;
    names.sort();
    assert_eq!(
        names,
        ["pager-0", "pager-1", "pager-2", "pager-3", "pager-4"]
    );

    let unpaged = client
        .users()
        .list(&Query::new().filter("name__startswith", "pager-"))
        .await?;
    assert_eq!(unpaged.len(), 5, "a bare array needs no paging");
    Ok(())
}
