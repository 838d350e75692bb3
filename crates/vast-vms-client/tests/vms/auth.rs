//! Authentication against vast-sim: token expiry mid-sequence, refresh-token expiry, wrong
//! password, permission denied, API tokens, Basic, tenant scoping.

use crate::common;

use std::time::Duration;

use common::Harness;
use vast_vms_client::{Error, NewApiToken, NewTenant, NewUser, Query, Secret, VmsClient};

#[tokio::test]
async fn access_token_expiry_mid_sequence_is_invisible() -> anyhow::Result<()> {
    let h = Harness::start_with(|c| c.access_token_ttl = Duration::from_secs(1)).await?;
    let client = h.admin()?;
    for round in 0..4 {
        let tenants = client.tenants().list(&Query::new()).await?;
        assert!(!tenants.is_empty(), "round {round}");
        client.cluster().await?;
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert!(
        h.counter("vms.auth.refresh") >= 1,
        "{:?}",
        h.sim.faults().stats()
    );
    assert_eq!(h.counter("vms.auth.token"), 1, "refreshes, not new logins");
    Ok(())
}

#[tokio::test]
async fn tokens_expired_by_the_server_are_renewed() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;
    client.views().list(&Query::new()).await?;
    h.sim.faults().expire_tokens_now();
    client.views().list(&Query::new()).await?;
    h.sim.faults().expire_tokens_now();
    // Concurrent callers after an expiry share one refresh.
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.tenants().list(&Query::new()).await })
        })
        .collect();
    for call in calls {
        call.await??;
    }
    assert_eq!(h.counter("vms.auth.token"), 1);
    assert_eq!(h.counter("vms.auth.refresh"), 2);
    Ok(())
}

#[tokio::test]
async fn an_expired_refresh_token_leads_to_a_new_login() -> anyhow::Result<()> {
    let h = Harness::start_with(|c| {
        c.access_token_ttl = Duration::from_secs(1);
        c.refresh_token_ttl = Duration::from_secs(1);
    })
    .await?;
    let client = h.admin()?;
    client.login().await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let clusters = client.clusters().list(&Query::new()).await?;
    assert_eq!(clusters.len(), 1);
    assert_eq!(
        h.counter("vms.auth.token"),
        2,
        "{:?}",
        h.sim.faults().stats()
    );
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_without_a_retry_storm() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.builder().password("admin", "not-the-password").build()?;
    let before = h.counter("vms.requests");
    let err = client.tenants().list(&Query::new()).await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err}");
    assert_eq!(err.status(), Some(401));
    assert!(!format!("{err} {err:?}").contains("not-the-password"));
    assert_eq!(
        h.counter("vms.requests") - before,
        1,
        "one login attempt, nothing more"
    );
    assert_eq!(h.counter("vms.auth.token"), 0);

    let basic = h.builder().basic("admin", "not-the-password").build()?;
    let before = h.counter("vms.requests");
    let err = basic.tenants().list(&Query::new()).await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err}");
    assert_eq!(h.counter("vms.requests") - before, 1);
    Ok(())
}

#[tokio::test]
async fn permission_denied_is_reported_without_retry() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let admin = h.admin()?;
    let mut user = NewUser::new("plain-user");
    user.password = Some(Secret::new("user-pass-1"));
    admin.users().create(&user).await?;

    let client = h.builder().password("plain-user", "user-pass-1").build()?;
    assert_eq!(client.whoami().await?.username, "plain-user");
    let before = h.counter("vms.requests");
    let err = client.views().list(&Query::new()).await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err}");
    assert_eq!(err.status(), Some(403));
    assert_eq!(h.counter("vms.requests") - before, 1);
    assert_eq!(h.counter("vms.auth.refresh"), 0);
    Ok(())
}

#[tokio::test]
async fn api_tokens_and_basic_work_too() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let admin = h.admin()?;
    let issued = admin
        .api_tokens()
        .create(&NewApiToken::named("client-test").expiring_in("30d"))
        .await?;
    assert!(!format!("{issued:?}").contains(issued.token.expose()));
    let by_token = h.builder().api_token(issued.token.clone()).build()?;
    assert_eq!(by_token.cluster().await?.name, "vast-sim");
    assert_eq!(by_token.whoami().await?.username, "admin");

    let listed = admin.api_tokens().list(Some("admin")).await?;
    let mine = listed
        .iter()
        .find(|t| t.id == issued.id)
        .expect("the new token is listed");
    assert_eq!(mine.name.as_deref(), Some("client-test"));
    assert_eq!(mine.expiry_date.as_deref(), Some("30d"));
    assert!(mine.last_used.is_some(), "{mine:?}");
    assert_eq!(admin.api_tokens().get(&issued.id).await?.id, issued.id);

    let (user, password) = h.sim.admin_credentials();
    let basic = h.builder().basic(user, password).build()?;
    assert_eq!(basic.cluster().await?.name, "vast-sim");
    assert_eq!(
        h.counter("vms.auth.token"),
        1,
        "only the admin client logged in"
    );

    // Revoked: the token no longer authenticates, and is not retried.
    admin.api_tokens().revoke(&issued.id).await?;
    assert_eq!(
        admin.api_tokens().get(&issued.id).await?.revoked,
        Some(true)
    );
    let before = h.counter("vms.auth.api_token_requests");
    let err = by_token.cluster().await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed { .. }), "{err:?}");
    assert_eq!(h.counter("vms.auth.api_token_requests"), before + 1);
    Ok(())
}

#[tokio::test]
async fn api_tokens_are_limited_per_owner() -> anyhow::Result<()> {
    let h = Harness::start_with(|c| c.max_api_tokens_per_user = 2).await?;
    let admin = h.admin()?;
    for n in 0..2 {
        admin
            .api_tokens()
            .create(&NewApiToken::named(format!("t{n}")))
            .await?;
    }
    let err = admin
        .api_tokens()
        .create(&NewApiToken::named("one-too-many"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Max allowed API tokens"), "{err}");
    Ok(())
}

#[tokio::test]
async fn versions_and_tenant_scoping() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let (user, password) = h.sim.admin_credentials();
    for version in ["v1", "v5", "latest"] {
        let client = h
            .builder()
            .password(user, password)
            .api_version(version)
            .build()?;
        assert_eq!(client.cluster().await?.id, 1, "version {version}");
    }
    let unversioned = h.builder().password(user, password).unversioned().build()?;
    assert_eq!(unversioned.cluster().await?.id, 1);

    let admin = h.admin()?;
    admin.tenants().create(&NewTenant::new("scoped")).await?;
    let scoped = h
        .builder()
        .password(user, password)
        .tenant("scoped")
        .build()?;
    let visible: Vec<String> = scoped
        .tenants()
        .list(&Query::new())
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(visible, ["scoped"], "X-Tenant-Name limits what is seen");
    assert!(admin.tenants().list(&Query::new()).await?.len() >= 2);

    let unknown = VmsClient::builder(h.sim.vms_url())
        .password(user, password)
        .tenant("no-such-tenant")
        .build()?;
    let err = unknown.views().list(&Query::new()).await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    Ok(())
}

#[tokio::test]
async fn close_logs_out() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h.admin()?;
    client.cluster().await?;
    client.close().await?;
    // The client stays usable: the next call logs in again.
    client.cluster().await?;
    assert_eq!(h.counter("vms.auth.token"), 2);
    Ok(())
}
