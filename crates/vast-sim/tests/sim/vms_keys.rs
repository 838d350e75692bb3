//! S3 access keys over HTTP and what the S3 side sees of them (`ControlPlane`), the S3-side
//! bucket callbacks, and state persisting across a re-open of the same data directory.

use crate::common;

use std::sync::Arc;

use common::{start, start_in, FakeStore};
use serde_json::json;
use vast_sim::{AccessRequest, ControlPlane};

#[tokio::test]
async fn access_keys_create_disable_delete_and_limit() {
    let vms = start().await;
    let uid = vms.user("keyuser").await;
    let path = format!("/api/users/{uid}/access_keys/");
    let (status, first) = vms.admin("POST", &path, None).await;
    assert_eq!(status, 200, "{first}");
    let ak = first["access_key"].as_str().unwrap().to_owned();
    let sk = first["secret_key"].as_str().unwrap().to_owned();
    assert_eq!(ak.len(), 24);
    assert_eq!(sk.len(), 44);

    let identity = vms.state.s3_identity(&ak).expect("enabled key");
    assert_eq!(identity.secret_key, sk);
    assert_eq!(identity.user_name, "keyuser");
    assert_eq!(identity.user_id, uid);
    assert_eq!(identity.tenant_id, 1);
    assert!(identity.allow_create_bucket);
    assert!(!identity.allow_delete_bucket);
    assert!(
        !format!("{identity:?}").contains(&sk),
        "Debug hides the secret"
    );

    let (status, second) = vms
        .admin("POST", &path, Some(json!({"tenant_id": 1})))
        .await;
    assert_eq!(status, 200);
    let (status, body) = vms.admin("POST", &path, None).await;
    assert_eq!(status, 400, "third key over the limit of 2: {body}");

    // The user shows its keys without secrets.
    let (_, user) = vms.admin("GET", &format!("/api/users/{uid}/"), None).await;
    let keys = user["access_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys
        .iter()
        .all(|k| k.get("secret_key").is_none() && k["enabled"] == true));
    assert!(!user.to_string().contains(&sk));
    let (_, local) = vms
        .admin("GET", &format!("/api/locals3keys/?user_id={uid}"), None)
        .await;
    assert_eq!(local.as_array().unwrap().len(), 2);
    assert!(!local.to_string().contains(&sk));

    // Disable: S3 no longer knows it; enable: back.
    let (status, body) = vms
        .admin(
            "PATCH",
            &path,
            Some(json!({"access_key": ak, "enabled": false})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(vms.state.s3_identity(&ak).is_none());
    let (_, user) = vms.admin("GET", &format!("/api/users/{uid}/"), None).await;
    assert_eq!(user["access_keys"][0]["enabled"], false);
    vms.admin(
        "PATCH",
        &path,
        Some(json!({"access_key": ak, "enabled": true})),
    )
    .await;
    assert!(vms.state.s3_identity(&ak).is_some());
    let (status, body) = vms
        .admin("PATCH", &path, Some(json!({"access_key": ak})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["enabled"][0], "This field is required.");

    // Delete with a JSON body.
    let (status, _) = vms
        .admin("DELETE", &path, Some(json!({"access_key": ak})))
        .await;
    assert_eq!(status, 204);
    assert!(vms.state.s3_identity(&ak).is_none());
    assert_eq!(
        vms.admin("DELETE", &path, Some(json!({"access_key": ak})))
            .await
            .0,
        404
    );
    // A slot is free again.
    assert_eq!(vms.admin("POST", &path, None).await.0, 200);
    assert_eq!(vms.admin("GET", &path, None).await.0, 405);
    assert_eq!(
        vms.admin("POST", "/api/users/999/access_keys/", None)
            .await
            .0,
        404
    );

    // Keys events were recorded.
    let (_, events) = vms
        .admin("GET", "/api/events/?event_name=ACCESS_KEY_CREATED", None)
        .await;
    assert_eq!(events["count"], 3);

    // Deleting the user drops its keys.
    let other = second["access_key"].as_str().unwrap();
    assert!(vms.state.s3_identity(other).is_some());
    assert_eq!(
        vms.admin("DELETE", &format!("/api/users/{uid}/"), None)
            .await
            .0,
        204
    );
    assert!(vms.state.s3_identity(other).is_none());
}

#[tokio::test]
async fn s3_side_callbacks_and_access() {
    let vms = start().await;
    let uid = vms.user("s3user").await;
    let (_, key) = vms
        .admin("POST", &format!("/api/users/{uid}/access_keys/"), None)
        .await;
    let identity = vms
        .state
        .s3_identity(key["access_key"].as_str().unwrap())
        .unwrap();

    vms.state
        .bucket_created_over_s3("from-s3", &identity, false);
    let (_, views) = vms.admin("GET", "/api/views/?bucket=from-s3", None).await;
    assert_eq!(views[0]["path"], "/from-s3");
    assert_eq!(views[0]["policy"], "s3_default_policy");
    assert_eq!(views[0]["bucket_owner"], "s3user");
    assert!(vms.state.may_access(&identity, &list("from-s3")));
    assert!(!vms.state.may_access(&identity, &list("unknown-bucket")));

    // Someone in another tenant who does not own it may not.
    let t2 = vms.create("/api/tenants/", json!({"name": "other"})).await;
    let uid2 = vms.user("stranger").await;
    let (_, key2) = vms
        .admin(
            "POST",
            &format!("/api/users/{uid2}/access_keys/"),
            Some(json!({"tenant_id": t2["id"]})),
        )
        .await;
    let stranger = vms
        .state
        .s3_identity(key2["access_key"].as_str().unwrap())
        .unwrap();
    assert_eq!(stranger.tenant_id, t2["id"].as_u64().unwrap());
    assert!(!vms.state.may_access(&stranger, &list("from-s3")));

    vms.state.bucket_deleted_over_s3("from-s3");
    let (_, views) = vms.admin("GET", "/api/views/?bucket=from-s3", None).await;
    assert_eq!(views, json!([]));
}

#[tokio::test]
async fn state_persists_across_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(FakeStore::default());
    let (ak, sk, view_id, tenant_id) = {
        let vms = start_in(tmp.path(), store.clone()).await;
        let tenant = vms.create("/api/tenants/", json!({"name": "kept"})).await;
        let uid = vms.user("persist").await;
        let view = vms.bucket("kept-bucket", "persist").await;
        vms.create(
            "/api/quotas/",
            json!({"name": "kq", "path": "/buckets/kept-bucket", "hard_limit": 5000}),
        )
        .await;
        let (_, key) = vms
            .admin("POST", &format!("/api/users/{uid}/access_keys/"), None)
            .await;
        vms.listener.stop();
        (
            key["access_key"].as_str().unwrap().to_owned(),
            key["secret_key"].as_str().unwrap().to_owned(),
            view["id"].as_u64().unwrap(),
            tenant["id"].as_u64().unwrap(),
        )
    };
    assert!(tmp.path().join("vms.json").exists());
    let vms = start_in(tmp.path(), store).await;
    let (status, tenant) = vms
        .admin("GET", &format!("/api/tenants/{tenant_id}/"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(tenant["name"], "kept");
    let (_, view) = vms
        .admin("GET", &format!("/api/views/{view_id}/"), None)
        .await;
    assert_eq!(view["bucket"], "kept-bucket");
    let identity = vms.state.s3_identity(&ak).expect("key survives a restart");
    assert_eq!(identity.secret_key, sk);
    assert_eq!(vms.state.bucket_hard_limit("kept-bucket"), Some(5000));
    // Seeds are not duplicated and ids continue.
    let (_, tenants) = vms.admin("GET", "/api/tenants/", None).await;
    assert_eq!(tenants.as_array().unwrap().len(), 2);
    let next = vms.create("/api/tenants/", json!({"name": "after"})).await;
    assert_eq!(next["id"], tenant_id + 1);
}

/// `s3:ListBucket` on `bucket`.
fn list(bucket: &str) -> AccessRequest<'_> {
    AccessRequest::bucket("s3:ListBucket", bucket)
}
