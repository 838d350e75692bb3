//! The release profiles (`SimConfig::profile`, `--profile`): each VAST 5.3 / 5.5 rule of the
//! VMS API, as a raw-HTTP client meets it.

use crate::common;

use common::{start_profile, Auth};
use serde_json::{json, Value};
use vast_sim::Profile;

/// Creates tenant `name` as admin and returns it.
async fn tenant(vms: &common::TestVms, name: &str) -> Value {
    vms.create("/api/tenants/", json!({ "name": name })).await
}

#[tokio::test]
async fn the_cluster_reports_the_profiles_version() {
    for profile in Profile::ALL {
        let vms = start_profile(profile).await;
        let (status, clusters) = vms.admin("GET", "/api/clusters/", None).await;
        assert_eq!(status, 200);
        let version = clusters[0]["sw_version"].as_str().unwrap().to_owned();
        assert!(
            version.starts_with(profile.release()),
            "{profile}: {version}"
        );
        let (_, versions) = vms.admin("GET", "/api/versions/", None).await;
        assert_eq!(versions[0]["sys_version"], json!(version));
    }
}

#[tokio::test]
async fn users_need_a_local_provider_on_5_5_only() {
    let v53 = start_profile(Profile::V5_3).await;
    let (status, user) = v53
        .admin("POST", "/api/users/", Some(json!({"name": "u53"})))
        .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["local_provider"]["id"], 1, "{user}");

    let v55 = start_profile(Profile::V5_5).await;
    let (status, body) = v55
        .admin(
            "POST",
            "/api/users/",
            Some(json!({"name": "u55", "tenant_id": 1})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["local_provider_id"][0], "This field is required.");
    let (status, user) = v55
        .admin(
            "POST",
            "/api/users/",
            Some(json!({"name": "u55", "local_provider_id": 1})),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    assert!(user.get("tenant_id").is_none(), "not a user field: {user}");
    assert_eq!(user["local_provider"]["id"], 1);
}

#[tokio::test]
async fn each_5_5_tenant_has_its_own_local_provider() {
    let v55 = start_profile(Profile::V5_5).await;
    let nbu = tenant(&v55, "nbu").await;
    let provider = nbu["local_provider_id"].as_u64().unwrap();
    assert_ne!(provider, 1, "not the default tenant's: {nbu}");
    assert_eq!(nbu["local_provider"]["id"], provider);
    let (status, listed) = v55.admin("GET", "/api/localproviders/", None).await;
    assert_eq!(status, 200);
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == provider));
    // A user made in that provider shows it.
    let (status, user) = v55
        .admin(
            "POST",
            "/api/users/",
            Some(json!({"name": "nbu-s3", "local_provider_id": provider})),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["local_provider"]["id"], provider);
    // A provider serves one tenant: another tenant may not take it.
    let (status, body) = v55
        .admin(
            "POST",
            "/api/tenants/",
            Some(json!({"name": "other", "local_provider_id": provider})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["local_provider_id"][0]
        .as_str()
        .unwrap()
        .contains("nbu"));

    // 5.3: every tenant shares the seeded provider.
    let v53 = start_profile(Profile::V5_3).await;
    let a = tenant(&v53, "a").await;
    let b = tenant(&v53, "b").await;
    assert_eq!(a["local_provider_id"], 1);
    assert_eq!(b["local_provider"]["id"], 1);
}

#[tokio::test]
async fn a_5_5_view_must_be_in_its_policys_tenant() {
    for profile in Profile::ALL {
        let vms = start_profile(profile).await;
        let nbu = tenant(&vms, "nbu").await;
        let tenant_id = nbu["id"].as_u64().unwrap();
        let provider = nbu["local_provider_id"].clone();
        vms.create(
            "/api/users/",
            json!({"name": "owner", "local_provider_id": provider}),
        )
        .await;
        // s3_default_policy (id 2) belongs to the default tenant.
        let view = |bucket: &str, policy: u64| {
            json!({
                "path": format!("/b/{bucket}"), "policy_id": policy, "protocols": ["S3"],
                "bucket": bucket, "bucket_owner": "owner", "create_dir": true,
                "tenant_id": tenant_id,
            })
        };
        let (status, body) = vms
            .admin("POST", "/api/views/", Some(view("cross", 2)))
            .await;
        if profile.view_tenant_matches_policy() {
            assert_eq!(status, 400, "{profile}: {body}");
            assert!(
                body["policy_id"][0].as_str().unwrap().contains("tenant"),
                "{body}"
            );
        } else {
            assert_eq!(status, 201, "{profile}: {body}");
        }
        // A policy of the view's tenant, or of no tenant, is fine in both.
        let own = vms
            .create(
                "/api/viewpolicies/",
                json!({"name": "nbu-s3", "flavor": "S3_NATIVE", "tenant_id": tenant_id}),
            )
            .await;
        let own = own["id"].as_u64().unwrap();
        let (status, body) = vms
            .admin("POST", "/api/views/", Some(view("own", own)))
            .await;
        assert_eq!(status, 201, "{profile}: {body}");
        let shared = vms
            .create(
                "/api/viewpolicies/",
                json!({"name": "shared-s3", "flavor": "S3_NATIVE", "tenant_id": null}),
            )
            .await;
        let shared = shared["id"].as_u64().unwrap();
        let (status, body) = vms
            .admin("POST", "/api/views/", Some(view("shared", shared)))
            .await;
        assert_eq!(status, 201, "{profile}: {body}");
    }
}

#[tokio::test]
async fn a_5_5_refresh_answers_only_an_access_token() {
    for profile in Profile::ALL {
        let vms = start_profile(profile).await;
        let (status, pair) = vms
            .call(
                "POST",
                "/api/token/",
                Auth::None,
                Some(json!({"username": "admin", "password": "123456"})),
            )
            .await;
        assert_eq!(status, 200);
        let refresh = pair["refresh"].as_str().unwrap().to_owned();
        let body = json!({ "refresh": refresh });
        let (status, first) = vms
            .call(
                "POST",
                "/api/token/refresh/",
                Auth::None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 200, "{first}");
        let access = first["access"].as_str().unwrap();
        let (status, _) = vms
            .call("GET", "/api/views/", Auth::Bearer(access), None)
            .await;
        assert_eq!(status, 200, "{profile}: the new access token works");
        let (status, again) = vms
            .call("POST", "/api/token/refresh/", Auth::None, Some(body))
            .await;
        if profile.refresh_rotates() {
            assert!(first["refresh"].is_string(), "{first}");
            assert_eq!(status, 401, "{profile}: a rotated refresh token is spent");
        } else {
            assert!(first.get("refresh").is_none(), "{first}");
            assert_eq!(
                status, 200,
                "{profile}: the refresh token stays valid: {again}"
            );
        }
    }
}
