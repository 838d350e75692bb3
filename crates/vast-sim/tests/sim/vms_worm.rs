//! WORM views over HTTP: VAST's view fields of S3 object lock (`locking`, `s3_versioning`,
//! `s3_locks_retention_mode`, `default_retention_period`, ...), their rules, and what reaches
//! the object store.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves

use crate::common;

use common::start;
use serde_json::{json, Value};
use vast_sim::control::BucketLock;

fn view(bucket: &str, extra: Value) -> Value {
    let mut v = json!({
        "path": format!("/buckets/{bucket}"), "policy_id": 2, "protocols": ["S3"],
        "bucket": bucket, "bucket_owner": "owner", "create_dir": true,
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

#[tokio::test]
async fn a_worm_view_locks_its_bucket_for_good() {
    let vms = start().await;
    vms.user("owner").await;
    let worm = vms
        .create(
            "/api/views/",
            view(
                "worm",
                json!({"locking": true, "s3_versioning": true, "files_retention_mode": "NONE"}),
            ),
        )
        .await;
    assert_eq!(worm["locking"], true);
    assert_eq!(
        vms.store.locks.lock().unwrap().get("worm"),
        Some(&BucketLock {
            versioning: true,
            object_lock: true,
            default_retention: None,
        })
    );
    let id = worm["id"].as_u64().unwrap();
    for off in [json!({"locking": false}), json!({"s3_versioning": false})] {
        let (status, body) = vms
            .admin("PATCH", &format!("/api/views/{id}/"), Some(off.clone()))
            .await;
        assert_eq!(status, 400, "{off} -> {body}");
    }

    // A retention mode makes every new version locked by default: it needs its period.
    let (status, body) = vms
        .admin(
            "POST",
            "/api/views/",
            Some(view(
                "dflt",
                json!({"locking": true, "s3_locks_retention_mode": "COMPLIANCE"}),
            )),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string().contains("default_retention_period"),
        "{body}"
    );
    vms.create(
        "/api/views/",
        view(
            "dflt",
            json!({"locking": true, "s3_locks_retention_mode": "COMPLIANCE", "default_retention_period": "2d"}),
        ),
    )
    .await;
    assert_eq!(
        vms.store
            .locks
            .lock()
            .unwrap()
            .get("dflt")
            .unwrap()
            .default_retention,
        Some(("COMPLIANCE".to_owned(), 2 * 86_400))
    );

    // Versioning needs locking; periods need locking and a unit.
    for (bucket, extra) in [
        ("v-only", json!({"s3_versioning": true})),
        ("p-only", json!({"default_retention_period": "2d"})),
        (
            "bad-unit",
            json!({"locking": true, "min_retention_period": "2w"}),
        ),
    ] {
        let (status, body) = vms
            .admin("POST", "/api/views/", Some(view(bucket, extra)))
            .await;
        assert_eq!(status, 400, "{bucket}: {body}");
    }
}
