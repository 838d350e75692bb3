//! VMS auth over HTTP: JWT pairs, refresh rotation, expiry (TTL and epoch), Basic, API tokens,
//! logout, RBAC and API path forms.

use crate::common;

use common::{start, Auth};
use serde_json::json;

#[allow(clippy::unwrap_used)]
async fn token_pair(vms: &common::TestVms, user: &str, pass: &str) -> (String, String) {
    let (status, body) = vms
        .call(
            "POST",
            "/api/token/",
            Auth::None,
            Some(json!({"username": user, "password": pass})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (
        body["access"].as_str().unwrap().to_owned(),
        body["refresh"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn jwt_login_use_and_bad_credentials() {
    let vms = start().await;
    let (access, refresh) = token_pair(&vms, "admin", "123456").await;
    assert_ne!(access, refresh);
    let (status, clusters) = vms
        .call("GET", "/api/clusters/", Auth::Bearer(&access), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(clusters.as_array().unwrap().len(), 1);

    let (status, body) = vms
        .call(
            "POST",
            "/api/token/",
            Auth::None,
            Some(json!({"username": "admin", "password": "nope"})),
        )
        .await;
    assert_eq!(status, 401);
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("No active account"));

    let (status, body) = vms
        .call("POST", "/api/token/", Auth::None, Some(json!({})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["username"][0], "This field is required.");
    assert_eq!(body["password"][0], "This field is required.");

    let (status, body) = vms.call("GET", "/api/token/", Auth::None, None).await;
    assert_eq!(status, 405);
    assert_eq!(body["detail"], "Method \"GET\" not allowed.");

    // A token minted with another secret is invalid.
    let (status, body) = vms
        .call("GET", "/api/views/", Auth::Bearer("a.b.c"), None)
        .await;
    assert_eq!(status, 403);
    assert_eq!(body, json!({"detail": "Token is invalid or expired"}));

    let (status, body) = vms.call("GET", "/api/views/", Auth::None, None).await;
    assert_eq!(status, 401);
    assert_eq!(
        body["detail"],
        "Authentication credentials were not provided."
    );
}

#[tokio::test]
async fn access_token_expires_after_its_ttl_and_refresh_rotates_both() {
    let vms = start().await;
    let (access, refresh) = token_pair(&vms, "admin", "123456").await;
    assert_eq!(
        vms.call("GET", "/api/views/", Auth::Bearer(&access), None)
            .await
            .0,
        200
    );
    // The tests' access TTL is 1 s.
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let (status, body) = vms
        .call("GET", "/api/views/", Auth::Bearer(&access), None)
        .await;
    assert_eq!(status, 403);
    assert_eq!(body, json!({"detail": "Token is invalid or expired"}));

    let (status, pair) = vms
        .call(
            "POST",
            "/api/token/refresh/",
            Auth::None,
            Some(json!({"refresh": refresh})),
        )
        .await;
    assert_eq!(status, 200, "{pair}");
    let new_access = pair["access"].as_str().unwrap();
    let new_refresh = pair["refresh"].as_str().unwrap();
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh);
    assert_eq!(
        vms.call("GET", "/api/views/", Auth::Bearer(new_access), None)
            .await
            .0,
        200
    );

    // The old refresh token was rotated away.
    let (status, body) = vms
        .call(
            "POST",
            "/api/token/refresh/",
            Auth::None,
            Some(json!({"refresh": refresh})),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "Token is invalid or expired");
    // An access token is not a refresh token.
    let (status, _) = vms
        .call(
            "POST",
            "/api/token/refresh/",
            Auth::None,
            Some(json!({"refresh": new_access})),
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn expire_tokens_epoch_invalidates_access_tokens_but_not_refresh() {
    let vms = start().await;
    let (access, refresh) = token_pair(&vms, "admin", "123456").await;
    vms.faults.expire_tokens_now();
    let (status, body) = vms
        .call("GET", "/api/tenants/", Auth::Bearer(&access), None)
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["detail"], "Token is invalid or expired");
    let (status, pair) = vms
        .call(
            "POST",
            "/api/token/refresh/",
            Auth::None,
            Some(json!({"refresh": refresh})),
        )
        .await;
    assert_eq!(status, 200);
    let access = pair["access"].as_str().unwrap();
    assert_eq!(
        vms.call("GET", "/api/tenants/", Auth::Bearer(access), None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn logout_ends_the_access_token() {
    let vms = start().await;
    let (access, _) = token_pair(&vms, "admin", "123456").await;
    let (status, me) = vms
        .call("GET", "/api/login/", Auth::Bearer(&access), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["user_type"], "SUPER_ADMIN");
    let (status, me) = vms
        .call("POST", "/api/logout/", Auth::Bearer(&access), None)
        .await;
    assert_eq!(status, 201);
    assert_eq!(me["username"], "admin");
    assert_eq!(
        vms.call("GET", "/api/login/", Auth::Bearer(&access), None)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn basic_auth() {
    let vms = start().await;
    assert_eq!(
        vms.call("GET", "/api/quotas/", Auth::Basic("admin", "123456"), None)
            .await
            .0,
        200
    );
    let (status, body) = vms
        .call("GET", "/api/quotas/", Auth::Basic("admin", "x"), None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "Invalid username/password.");
}

#[tokio::test]
async fn api_tokens_limit_revoke_and_auth() {
    let vms = start().await;
    let (status, created) = vms
        .admin(
            "POST",
            "/api/apitokens/",
            Some(json!({"name": "ci", "expiry_date": "90d"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();
    let (status, views) = vms
        .call("GET", "/api/views/", Auth::ApiToken(&token), None)
        .await;
    assert_eq!(status, 200);
    assert!(views.is_array());

    let (status, listed) = vms.admin("GET", "/api/apitokens/", None).await;
    assert_eq!(status, 200);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["owner"], "admin");
    assert_eq!(listed[0]["expiry_date"], "90d");
    assert!(
        listed[0].get("token").is_none(),
        "the token is shown only once"
    );

    for _ in 0..4 {
        assert_eq!(
            vms.admin("POST", "/api/apitokens/", Some(json!({})))
                .await
                .0,
            201
        );
    }
    let (status, body) = vms.admin("POST", "/api/apitokens/", Some(json!({}))).await;
    assert_eq!(status, 503);
    assert_eq!(body, json!("Max allowed API tokens reached"));

    let (status, revoked) = vms
        .admin("PATCH", &format!("/api/apitokens/{id}/revoke"), None)
        .await;
    assert_eq!(status, 200);
    // VAST answers a plain JSON string, not the token (S53/S55 `apitokens_revoke`).
    assert!(revoked.is_string(), "{revoked}");
    let (_, shown) = vms
        .admin("GET", &format!("/api/apitokens/{id}/"), None)
        .await;
    assert_eq!(shown["revoked"], true, "{shown}");
    let (status, body) = vms
        .call("GET", "/api/views/", Auth::ApiToken(&token), None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "Invalid token.");
    // A slot freed up.
    assert_eq!(
        vms.admin("POST", "/api/apitokens/", Some(json!({})))
            .await
            .0,
        201
    );
    assert_eq!(
        vms.admin("PATCH", "/api/apitokens/nope/revoke", None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn local_user_is_denied_admin_calls() {
    let vms = start().await;
    vms.create("/api/users/", json!({"name": "bob", "password": "pw"}))
        .await;
    let (status, body) = vms
        .call("GET", "/api/views/", Auth::Basic("bob", "pw"), None)
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "permission_denied");
    let (access, _) = token_pair(&vms, "bob", "pw").await;
    let (status, body) = vms
        .call(
            "POST",
            "/api/tenants/",
            Auth::Bearer(&access),
            Some(json!({"name": "t"})),
        )
        .await;
    assert_eq!(status, 403);
    assert!(body.to_string().contains("permission_denied"));
    // Self-service keys are allowed.
    let (status, key) = vms
        .call("POST", "/api/s3keys/", Auth::Bearer(&access), None)
        .await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["secret_key"].as_str().unwrap().len(), 44);
    let (status, keys) = vms
        .call("GET", "/api/s3keys/", Auth::Bearer(&access), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(keys[0]["access_key"], key["access_key"]);
    assert!(keys[0].get("secret_key").is_none());
    // VAST's keys hold `/` and `+`: a key in a path is percent-encoded.
    let ak = key["access_key"]
        .as_str()
        .unwrap()
        .replace('%', "%25")
        .replace('/', "%2F")
        .replace('+', "%2B");
    let (status, _) = vms
        .call(
            "DELETE",
            &format!("/api/s3keys/{ak}/"),
            Auth::Bearer(&access),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // The password is write-only.
    let (_, users) = vms.admin("GET", "/api/users/?name=bob", None).await;
    assert!(users[0].get("password").is_none());
}

#[tokio::test]
async fn path_forms_and_self_links() {
    let vms = start().await;
    for prefix in ["/api/", "/api/v1/", "/api/v5/", "/api/latest/"] {
        for suffix in ["tenants/", "tenants", "tenants/1/", "tenants/1"] {
            let (status, body) = vms.admin("GET", &format!("{prefix}{suffix}"), None).await;
            assert_eq!(status, 200, "{prefix}{suffix}: {body}");
        }
        let (_, tenant) = vms.admin("GET", &format!("{prefix}tenants/1/"), None).await;
        assert_eq!(tenant["url"], format!("{}{prefix}tenants/1/", vms.base()));
    }
    // Unversioned token endpoints, and versioned ones, both work.
    let (status, _) = vms
        .call(
            "POST",
            "/api/v1/token/",
            Auth::None,
            Some(json!({"username": "admin", "password": "123456"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = vms.admin("GET", "/api/nothing/", None).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"detail": "Not found."}));
}
