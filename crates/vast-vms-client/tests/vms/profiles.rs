//! The client against vast-sim answering as VAST 5.3 and as 5.5 (`SimConfig::profile`): each
//! release rule the client must follow, from the caller's side.

use crate::common;

use common::Harness;
use vast_sim::Profile;
use vast_vms_client::{ApiProfile, ApiTokenChange, Error, NewApiToken, NewUser, Query, S3UserSpec};

#[tokio::test]
async fn the_cluster_version_picks_the_profile() -> anyhow::Result<()> {
    for (sim, client) in [
        (Profile::V5_3, ApiProfile::V5_3),
        (Profile::V5_5, ApiProfile::V5_5),
    ] {
        let h = Harness::start_with(|c| c.profile = sim).await?;
        let cluster = h.admin()?.cluster().await?;
        assert_eq!(
            ApiProfile::for_version(cluster.sw_version.as_deref()),
            client,
            "{:?}",
            cluster.sw_version
        );
    }
    Ok(())
}

#[tokio::test]
async fn s3_users_are_created_in_the_tenants_local_provider() -> anyhow::Result<()> {
    for profile in Profile::ALL {
        let h = Harness::start_with(|c| c.profile = profile).await?;
        let admin = h.admin()?;
        let boot = admin.bootstrap();
        let tenant = boot.ensure_tenant("nbu").await?.into_inner();
        let provider = tenant.local_provider();
        assert!(provider.is_some(), "{profile}: {tenant:?}");
        let spec = S3UserSpec::new("nbu-s3").for_tenant(&tenant);
        let user = boot.ensure_s3_user(&spec).await?;
        assert!(user.was_created());
        assert_eq!(user.get().local_provider_id(), provider, "{profile}");
        // Idempotent: the second run finds the user in that provider.
        let again = boot.ensure_s3_user(&spec).await?;
        assert!(!again.was_created());
        assert_eq!(again.get().id, user.get().id);
    }
    Ok(())
}

#[tokio::test]
async fn vast_5_5_refuses_a_user_without_a_local_provider() -> anyhow::Result<()> {
    let h = Harness::start_with(|c| c.profile = Profile::V5_5).await?;
    let err = h
        .admin()?
        .users()
        .create(&NewUser::new("nobody"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    // The cause VMS gave reaches the caller.
    assert!(err.to_string().contains("local_provider_id"), "{err}");
    // 5.3 takes the same request.
    let h = Harness::start_with(|c| c.profile = Profile::V5_3).await?;
    h.admin()?.users().create(&NewUser::new("nobody")).await?;
    Ok(())
}

#[tokio::test]
async fn api_token_revoke_and_modify_accept_a_plain_string() -> anyhow::Result<()> {
    for profile in Profile::ALL {
        let h = Harness::start_with(|c| c.profile = profile).await?;
        let admin = h.admin()?;
        let tokens = admin.api_tokens();
        let issued = tokens.create(&NewApiToken::named("t")).await?;
        tokens
            .modify(&issued.id, &ApiTokenChange::rename("renamed"))
            .await?;
        assert_eq!(
            tokens.get(&issued.id).await?.name.as_deref(),
            Some("renamed")
        );
        tokens.revoke(&issued.id).await?;
        assert_eq!(tokens.get(&issued.id).await?.revoked, Some(true));
        // An unknown token is still an error, with the call that failed.
        let err = tokens.revoke("no-such-token").await.unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
    }
    Ok(())
}

#[tokio::test]
async fn a_refresh_without_a_new_refresh_token_keeps_the_session() -> anyhow::Result<()> {
    for profile in Profile::ALL {
        let h = Harness::start_with(|c| c.profile = profile).await?;
        let client = h.admin()?;
        client.views().list(&Query::new()).await?;
        for round in 0..3 {
            h.sim.faults().expire_tokens_now();
            client.views().list(&Query::new()).await?;
            assert_eq!(
                h.counter("vms.auth.refresh"),
                round + 1,
                "{profile}: each expiry is one refresh, with the refresh token kept"
            );
        }
        assert_eq!(
            h.counter("vms.auth.token"),
            1,
            "{profile}: refreshes, not new password logins"
        );
    }
    Ok(())
}
