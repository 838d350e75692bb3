//! The whole simulated cluster, both faces wired together: keys issued by the VMS face
//! authenticate S3, quotas set over VMS bind S3 writes, the admin endpoints inject faults, state
//! survives a restart, and the binary prints its startup line.

#![allow(clippy::unwrap_used)] // test fixtures outside #[test] functions

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use vast_sim::{SimConfig, VastSim};

/// One VMS (or admin) call with Basic auth; returns status and JSON body (Null when empty).
async fn call(base: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let auth = base64::engine::general_purpose::STANDARD.encode("admin:123456");
    let mut builder = Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("authorization", format!("Basic {auth}"));
    let body = match body {
        Some(value) => {
            builder = builder.header("content-type", "application/json");
            Full::new(Bytes::from(value.to_string()))
        }
        None => Full::new(Bytes::new()),
    };
    let response = client.request(builder.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, value)
}

/// What a plugin-like client needs: a bucket view owned by a fresh user, and that user's key.
struct Provisioned {
    user_id: u64,
    access_key: String,
    secret_key: String,
}

/// Follows VAST's provisioning sequence over the VMS API (user, policy, bucket view, access key).
async fn provision(vms: &str, user: &str, bucket: &str) -> Provisioned {
    let (status, created) = call(
        vms,
        Method::POST,
        "/api/users/",
        Some(json!({"name": user, "uid": 50123, "allow_create_bucket": true, "allow_delete_bucket": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let user_id = created["id"].as_u64().unwrap();
    let (status, policies) = call(
        vms,
        Method::GET,
        "/api/viewpolicies/?name=s3_default_policy",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let policy_id = policies[0]["id"].as_u64().unwrap();
    let (status, view) = call(
        vms,
        Method::POST,
        "/api/views/",
        Some(json!({
            "path": format!("/{bucket}"), "create_dir": true, "bucket": bucket,
            "bucket_owner": user, "protocols": ["S3"], "policy_id": policy_id
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let (status, key) = call(
        vms,
        Method::POST,
        &format!("/api/users/{user_id}/access_keys/"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{key}");
    Provisioned {
        user_id,
        access_key: key["access_key"].as_str().unwrap().to_owned(),
        secret_key: key["secret_key"].as_str().unwrap().to_owned(),
    }
}

fn s3_client(endpoint: &str, key: &Provisioned) -> aws_sdk_s3::Client {
    let credentials =
        aws_sdk_s3::config::Credentials::new(&key.access_key, &key.secret_key, None, None, "test");
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .force_path_style(true)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(1))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

async fn start(dir: &std::path::Path) -> VastSim {
    VastSim::start(SimConfig::new(dir)).await.unwrap()
}

#[tokio::test]
async fn keys_issued_by_vms_authenticate_s3_until_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path()).await;
    let vms = sim.vms_url();
    let key = provision(&vms, "backup", "stack-bucket").await;
    let s3 = s3_client(&sim.s3_url(), &key);

    s3.put_object()
        .bucket("stack-bucket")
        .key("a/b")
        .body(ByteStream::from_static(b"payload"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("stack-bucket")
        .key("a/b")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"payload"
    );
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(buckets
        .buckets()
        .iter()
        .any(|b| b.name() == Some("stack-bucket")));

    let (status, _) = call(
        &vms,
        Method::PATCH,
        &format!("/api/users/{}/access_keys/", key.user_id),
        Some(json!({"access_key": key.access_key, "enabled": false})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let refused = s3
        .head_object()
        .bucket("stack-bucket")
        .key("a/b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        refused.raw_response().map(|r| r.status().as_u16()),
        Some(403)
    );

    let wrong = Provisioned {
        secret_key: "not-the-secret".into(),
        ..key
    };
    let refused = s3_client(&sim.s3_url(), &wrong)
        .list_buckets()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        refused.raw_response().map(|r| r.status().as_u16()),
        Some(403)
    );
}

#[tokio::test]
async fn a_vms_quota_hard_limit_binds_s3_writes() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path()).await;
    let vms = sim.vms_url();
    let key = provision(&vms, "quota-user", "quota-bucket").await;
    let (status, quota) = call(
        &vms,
        Method::POST,
        "/api/quotas/",
        Some(json!({"name": "q", "path": "/quota-bucket", "hard_limit": 1_048_576})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{quota}");
    let s3 = s3_client(&sim.s3_url(), &key);

    s3.put_object()
        .bucket("quota-bucket")
        .key("first")
        .body(ByteStream::from(vec![1u8; 600_000]))
        .send()
        .await
        .unwrap();
    let refused = s3
        .put_object()
        .bucket("quota-bucket")
        .key("second")
        .body(ByteStream::from(vec![2u8; 600_000]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        refused.raw_response().map(|r| r.status().as_u16()),
        Some(403)
    );
    assert_eq!(
        refused.as_service_error().and_then(|e| e.meta().code()),
        Some("QuotaExceeded")
    );
    let listed = s3
        .list_objects_v2()
        .bucket("quota-bucket")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["first"], "the refused write left nothing behind");

    let (status, quotas) = call(&vms, Method::GET, "/api/quotas/?name=q", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        quotas[0]["used_capacity"].as_u64(),
        Some(600_000),
        "{quotas}"
    );
}

#[tokio::test]
async fn admin_endpoints_inject_faults_and_count_requests() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path()).await;
    let vms = sim.vms_url();
    let key = provision(&vms, "fault-user", "fault-bucket").await;
    let s3 = s3_client(&sim.s3_url(), &key);

    let (status, _) = call(
        &vms,
        Method::PUT,
        "/_sim/faults",
        Some(json!({"s3": {"error_rate": 1.0, "error_status": 503}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let failed = s3
        .list_objects_v2()
        .bucket("fault-bucket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        failed.raw_response().map(|r| r.status().as_u16()),
        Some(503)
    );
    let (status, _) = call(&vms, Method::DELETE, "/_sim/faults", None).await;
    assert!(status.is_success());
    s3.put_object()
        .bucket("fault-bucket")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    let (_, stats) = call(&vms, Method::GET, "/_sim/stats", None).await;
    assert!(
        stats["s3.op.PutObject"].as_u64().unwrap_or(0) >= 1,
        "{stats}"
    );

    let (status, _) = call(&vms, Method::POST, "/_sim/s3/stop", None).await;
    assert_eq!(status, StatusCode::OK);
    let down = s3
        .head_object()
        .bucket("fault-bucket")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert!(
        down.raw_response().is_none(),
        "no HTTP answer while the S3 face is stopped"
    );
    let (status, _) = call(&vms, Method::POST, "/_sim/s3/start", None).await;
    assert_eq!(status, StatusCode::OK);
    s3.head_object()
        .bucket("fault-bucket")
        .key("k")
        .send()
        .await
        .unwrap();

    call(
        &vms,
        Method::PUT,
        "/_sim/faults",
        Some(json!({"full_buckets": ["fault-bucket"]})),
    )
    .await;
    let full = s3
        .put_object()
        .bucket("fault-bucket")
        .key("k2")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        full.as_service_error().and_then(|e| e.meta().code()),
        Some("QuotaExceeded")
    );
}

#[tokio::test]
async fn s3_is_served_on_every_vip_of_the_pool_and_one_vip_can_go_down() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SimConfig::new(dir.path());
    config.s3_vips = 3;
    let sim = VastSim::start(config).await.unwrap();
    let vms = sim.vms_url();
    let key = provision(&vms, "vip-user", "vip-bucket").await;
    let port = sim.s3_addr().port();

    // The PROTOCOLS pool lists the three VIPs; each one serves S3 on the same port.
    let (_, pools) = call(&vms, Method::GET, "/api/vippools/?name=vippool-1", None).await;
    assert_eq!(
        pools[0]["ip_ranges"],
        json!([["127.0.0.1", "127.0.0.3"]]),
        "{pools}"
    );
    for i in 1..=3 {
        s3_client(&format!("http://127.0.0.{i}:{port}"), &key)
            .put_object()
            .bucket("vip-bucket")
            .key(format!("k{i}"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let (status, vips) = call(&vms, Method::GET, "/_sim/vips", None).await;
    assert_eq!(status, StatusCode::OK);
    let ips: Vec<&str> = vips
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["ip"].as_str().unwrap())
        .collect();
    assert_eq!(ips, ["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
    for vip in vips.as_array().unwrap() {
        assert_eq!(vip["up"], json!(true), "{vips}");
        assert!(vip["requests"].as_u64().unwrap() >= 1, "{vips}");
    }

    // One CNode goes down: its VIP refuses connections, the others still serve.
    let (status, _) = call(&vms, Method::POST, "/_sim/vips/127.0.0.2/stop", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tokio::net::TcpStream::connect(("127.0.0.2", port))
        .await
        .is_err());
    let s3_on_3 = s3_client(&format!("http://127.0.0.3:{port}"), &key);
    let got = s3_on_3
        .get_object()
        .bucket("vip-bucket")
        .key("k2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"x"
    );
    let down = sim.vip_counters();
    assert!(!down[1].up && down[0].up && down[2].up, "{down:?}");
    assert_eq!(down[2].gets, 1, "{down:?}");

    // And comes back on the same address and port.
    let (status, _) = call(&vms, Method::POST, "/_sim/vips/127.0.0.2/start", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tokio::net::TcpStream::connect(("127.0.0.2", port))
        .await
        .is_ok());
    let (status, _) = call(&vms, Method::POST, "/_sim/vips/10.9.9.9/stop", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn state_survives_a_restart_on_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let sim = start(dir.path()).await;
        let key = provision(&sim.vms_url(), "keeper", "kept-bucket").await;
        s3_client(&sim.s3_url(), &key)
            .put_object()
            .bucket("kept-bucket")
            .key("kept")
            .body(ByteStream::from_static(b"still here"))
            .send()
            .await
            .unwrap();
        sim.shutdown();
        key
    };
    let sim = start(dir.path()).await;
    let (status, views) = call(
        &sim.vms_url(),
        Method::GET,
        "/api/views/?bucket=kept-bucket",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(views.as_array().map(Vec::len), Some(1));
    let got = s3_client(&sim.s3_url(), &key)
        .get_object()
        .bucket("kept-bucket")
        .key("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"still here"
    );
}

#[tokio::test]
async fn the_binary_prints_one_json_line_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vast-sim"))
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(info["admin_user"], "admin");
    let vms = info["vms_url"].as_str().unwrap().to_owned();
    let (status, clusters) = tokio::time::timeout(
        Duration::from_secs(30),
        call(&vms, Method::GET, "/api/clusters/", None),
    )
    .await
    .unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(clusters.as_array().map(Vec::len), Some(1));
}

/// The S3 error code of a refused request.
fn s3_code<E: aws_sdk_s3::error::ProvideErrorMetadata>(err: &E) -> String {
    err.code().unwrap_or_default().to_owned()
}

/// A user who does not own a bucket is refused (403 AccessDenied) until an enabled identity
/// policy attached to it (`/s3policies/` + the user's `s3_policies_ids`) allows the action;
/// a Deny in another attached policy wins; disabling or deleting the policy takes the access
/// away again.
#[tokio::test]
async fn identity_policies_decide_what_a_non_owner_may_do() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path()).await;
    let vms = sim.vms_url();
    let owner = provision(&vms, "owner", "shared-bucket").await;
    s3_client(&sim.s3_url(), &owner)
        .put_object()
        .bucket("shared-bucket")
        .key("img/1")
        .body(ByteStream::from_static(b"image"))
        .send()
        .await
        .unwrap();
    let other = provision(&vms, "media-1", "own-bucket").await;
    let s3 = s3_client(&sim.s3_url(), &other);
    let get = || s3.get_object().bucket("shared-bucket").key("img/1").send();
    let err = get().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    assert_eq!(s3_code(&err), "AccessDenied");
    let err = s3
        .list_objects_v2()
        .bucket("shared-bucket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(s3_code(&err), "AccessDenied");

    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::shared-*", "arn:aws:s3:::shared-bucket/*"]}]});
    let (status, policy) = call(
        &vms,
        Method::POST,
        "/api/s3policies/",
        Some(json!({"name": "backup-rw", "policy": allow.to_string()})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{policy}");
    let pid = policy["id"].as_u64().unwrap();
    assert_eq!(policy["enabled"], true);
    assert_eq!(policy["tenant_id"], 1);
    assert_eq!(policy["users"], json!([]));
    let (status, user) = call(
        &vms,
        Method::PATCH,
        &format!("/api/users/{}/", other.user_id),
        Some(json!({"s3_policies_ids": [pid]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(
        user["s3_policies"],
        json!([{"id": pid, "name": "backup-rw"}])
    );
    let (_, listed) = call(&vms, Method::GET, "/api/s3policies/", None).await;
    assert_eq!(listed[0]["users"], json!(["media-1"]));

    let got = get().await.unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"image"
    );
    s3.put_object()
        .bucket("shared-bucket")
        .key("img/2")
        .body(ByteStream::from_static(b"two"))
        .send()
        .await
        .unwrap();
    s3.list_objects_v2()
        .bucket("shared-bucket")
        .send()
        .await
        .unwrap();

    let deny = json!({"Statement": {"Effect": "Deny", "Action": ["s3:DeleteObject"],
        "Resource": "arn:aws:s3:::shared-bucket/img/*"}});
    let (status, denying) = call(
        &vms,
        Method::POST,
        "/api/s3policies/",
        Some(json!({"name": "no-deletes", "policy": deny.to_string()})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{denying}");
    let (status, _) = call(
        &vms,
        Method::PATCH,
        &format!("/api/users/{}/", other.user_id),
        Some(json!({"s3_policies_ids": [pid, denying["id"]]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let err = s3
        .delete_object()
        .bucket("shared-bucket")
        .key("img/2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(s3_code(&err), "AccessDenied");
    get().await.unwrap();

    // A policy the document reader refuses is a 400 naming the field.
    let (status, refused) = call(
        &vms,
        Method::POST,
        "/api/s3policies/",
        Some(json!({"name": "broken", "policy": "{not json"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["policy"][0].as_str().unwrap().contains("Invalid"));

    let (status, _) = call(
        &vms,
        Method::PATCH,
        &format!("/api/s3policies/{pid}/"),
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s3_code(&get().await.unwrap_err()), "AccessDenied");
    let (status, _) = call(
        &vms,
        Method::DELETE,
        &format!("/api/s3policies/{pid}/"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, user) = call(
        &vms,
        Method::GET,
        &format!("/api/users/{}/", other.user_id),
        None,
    )
    .await;
    assert_eq!(user["s3_policies_ids"], json!([denying["id"]]));
    // The owner is unaffected by all of it.
    s3_client(&sim.s3_url(), &owner)
        .delete_object()
        .bucket("shared-bucket")
        .key("img/2")
        .send()
        .await
        .unwrap();
}
