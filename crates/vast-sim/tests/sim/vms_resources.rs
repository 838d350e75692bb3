//! VMS resources over HTTP: cluster objects, tenants, policies, views as buckets, quotas, VIP
//! pools, events, alarms, vtasks, capacity, and the status codes and error bodies.

use crate::common;

use common::{start, Auth, FAKE_S3};
use serde_json::json;
use vast_sim::ControlPlane;

#[tokio::test]
async fn cluster_vms_versions_and_seeds() {
    let vms = start().await;
    let (status, clusters) = vms.admin("GET", "/api/clusters/", None).await;
    assert_eq!(status, 200);
    let cluster = &clusters[0];
    assert_eq!(cluster["id"], 1);
    assert_eq!(cluster["name"], "sim-cluster");
    assert_eq!(cluster["state"], "ONLINE");
    assert!(cluster["sw_version"].as_str().unwrap().starts_with("5.3"));
    assert!(cluster["physical_space"].as_u64().unwrap() > 0);
    assert_eq!(cluster["physical_space_in_use"], 0);

    let (_, vms_list) = vms.admin("GET", "/api/vms/", None).await;
    assert_eq!(vms_list.as_array().unwrap().len(), 1);
    assert_eq!(vms_list[0]["access_token_lifetime"], "00:00:01");
    assert_eq!(vms_list[0]["max_api_tokens_per_user"], 5);

    let (_, versions) = vms
        .admin("GET", "/api/versions/?status=success", None)
        .await;
    assert_eq!(versions[0]["sys_version"], cluster["sw_version"]);

    let (_, tenants) = vms.admin("GET", "/api/tenants/", None).await;
    assert_eq!(tenants, json!([tenants[0].clone()]));
    assert_eq!(tenants[0]["name"], "default");
    assert_eq!(tenants[0]["id"], 1);

    let (_, policies) = vms
        .admin("GET", "/api/viewpolicies/?name=s3_default_policy", None)
        .await;
    assert_eq!(policies[0]["flavor"], "S3_NATIVE");
    assert_eq!(policies[0]["tenant_id"], 1);
    let (_, policies) = vms
        .admin("GET", "/api/viewpolicies/?name=default", None)
        .await;
    assert_eq!(policies.as_array().unwrap().len(), 1);

    let (_, pools) = vms.admin("GET", "/api/vippools/", None).await;
    assert_eq!(pools[0]["role"], "PROTOCOLS");
    assert_eq!(pools[0]["ip_ranges"], json!([["127.0.0.1", "127.0.0.1"]]));
    assert_eq!(pools[0]["vast_sim_s3_url"], format!("http://{FAKE_S3}"));

    let (_, providers) = vms.admin("GET", "/api/localproviders/", None).await;
    assert_eq!(providers[0]["name"], "local");
    let (_, manager) = vms.admin("GET", "/api/managers/1/", None).await;
    assert_eq!(manager["username"], "admin");
    assert_eq!(manager["user_type"], "SUPER_ADMIN");
    let (status, body) = vms
        .admin(
            "POST",
            "/api/users/",
            Some(json!({"name": "p", "local_provider_id": 9})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["local_provider_id"][0],
        "Invalid pk \"9\" - object does not exist."
    );
    let user = vms.create("/api/users/", json!({"name": "p"})).await;
    assert_eq!(user["local_provider"]["name"], "local");
    assert_eq!(user["allow_create_bucket"], false);
    assert!(user["uid"].as_i64().unwrap() >= 1000);
    let (status, body) = vms
        .admin("POST", "/api/users/", Some(json!({"name": "p"})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["name"][0], "user with this name already exists.");
    let (status, patched) = vms
        .admin(
            "PATCH",
            &format!("/api/users/{}/", user["id"]),
            Some(json!({"allow_delete_bucket": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["allow_delete_bucket"], true);

    // PATCH the cluster; no create or delete.
    let (status, patched) = vms
        .admin(
            "PATCH",
            "/api/clusters/1/",
            Some(json!({"s3_enable_http": false})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["s3_enable_http"], false);
    assert_eq!(vms.admin("DELETE", "/api/clusters/1/", None).await.0, 405);
    assert_eq!(
        vms.admin("POST", "/api/clusters/", Some(json!({}))).await.0,
        405
    );
}

#[tokio::test]
async fn tenants_crud_and_tenant_scoping() {
    let vms = start().await;
    let tenant = vms
        .create(
            "/api/tenants/",
            json!({"name": "t2", "domain_name": "t2.example"}),
        )
        .await;
    let t2 = tenant["id"].as_u64().unwrap();
    assert_eq!(tenant["url"], format!("{}/api/tenants/{t2}/", vms.base()));
    let (status, dup) = vms
        .admin("POST", "/api/tenants/", Some(json!({"name": "t2"})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(dup["name"][0], "tenant with this name already exists.");

    let policy = vms
        .create(
            "/api/viewpolicies/",
            json!({"name": "p2", "flavor": "S3_NATIVE", "tenant_id": t2}),
        )
        .await;
    assert_eq!(policy["tenant_name"], "t2");
    vms.user("alice").await;
    // With X-Tenant-Name the view lands in that tenant and lists show only that tenant.
    let (status, view) = vms
        .call_with(
            "POST",
            "/api/views/",
            Auth::Admin,
            Some(json!({"path": "/t2/v", "policy_id": policy["id"]})),
            &[("X-Tenant-Name", "t2")],
        )
        .await;
    assert_eq!(status, 201, "{view}");
    assert_eq!(view["tenant_id"], t2);
    vms.create("/api/views/", json!({"path": "/t1/v", "policy_id": 1}))
        .await;
    let (_, all) = vms.admin("GET", "/api/views/", None).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, scoped) = vms
        .call_with(
            "GET",
            "/api/views/",
            Auth::Admin,
            None,
            &[("X-Tenant-Name", "t2.example")],
        )
        .await;
    assert_eq!(scoped.as_array().unwrap().len(), 1);
    assert_eq!(scoped[0]["path"], "/t2/v");
    let (status, _) = vms
        .call_with(
            "GET",
            "/api/views/",
            Auth::Admin,
            None,
            &[("X-Tenant-Name", "nope")],
        )
        .await;
    assert_eq!(status, 400);

    // In use: refused; default tenant: refused.
    let (status, body) = vms
        .admin("DELETE", &format!("/api/tenants/{t2}/"), None)
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "tenant_in_use");
    assert_eq!(vms.admin("DELETE", "/api/tenants/1/", None).await.0, 400);
    let (status, patched) = vms
        .admin(
            "PATCH",
            &format!("/api/tenants/{t2}/"),
            Some(json!({"max_views": 7})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["max_views"], 7);

    let t3 = vms.create("/api/tenants/", json!({"name": "t3"})).await;
    let (status, body) = vms
        .admin(
            "DELETE",
            &format!("/api/tenants/{}/?force_remove=true", t3["id"]),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let task_id = body["async_task"]["id"].as_u64().unwrap();
    let (status, task) = vms
        .admin("GET", &format!("/api/vtasks/{task_id}/"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(task["state"], "COMPLETED");
    let t4 = vms.create("/api/tenants/", json!({"name": "t4"})).await;
    assert_eq!(
        vms.admin("DELETE", &format!("/api/tenants/{}/", t4["id"]), None)
            .await
            .0,
        204
    );
    assert_eq!(
        vms.admin("GET", &format!("/api/tenants/{}/", t4["id"]), None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn views_are_buckets() {
    let vms = start().await;
    vms.user("owner1").await;
    let view = vms.bucket("bkt-one", "owner1").await;
    assert!(vms.store.has("bkt-one"));
    assert_eq!(view["bucket"], "bkt-one");
    assert_eq!(view["title"], "/buckets/bkt-one");
    assert_eq!(view["policy"], "s3_default_policy");
    assert_eq!(view["tenant_id"], 1);
    let id = view["id"].as_u64().unwrap();
    assert_eq!(view["name"], format!("view-{id}"));

    // Duplicate bucket and duplicate path: 400 with the field.
    let (status, body) = vms
        .admin(
            "POST",
            "/api/views/",
            Some(json!({"path": "/other", "policy_id": 2,
            "protocols": ["S3"], "bucket": "bkt-one", "bucket_owner": "owner1"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["bucket"][0]
        .as_str()
        .unwrap()
        .contains("already exists"));
    let (status, body) = vms
        .admin(
            "POST",
            "/api/views/",
            Some(json!({"path": "/buckets/bkt-one", "policy_id": 1})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["path"][0].as_str().unwrap().contains("already exists"));
    // Validation errors per field.
    let (status, body) = vms
        .admin(
            "POST",
            "/api/views/",
            Some(json!({"path": "rel", "policy_id": 99,
            "protocols": ["S3"], "bucket_owner": "ghost"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["path"].is_array());
    assert_eq!(
        body["policy_id"][0],
        "Invalid pk \"99\" - object does not exist."
    );
    assert!(body["bucket"].is_array());
    assert!(body["bucket_owner"][0].as_str().unwrap().contains("ghost"));
    let (status, body) = vms.admin("POST", "/api/views/", Some(json!({}))).await;
    assert_eq!(status, 400);
    assert_eq!(body["path"][0], "This field is required.");

    // Non-empty: 409, bucket kept; empty: 204, bucket gone.
    vms.store.fill("bkt-one", 10, 1);
    let (_, view) = vms.admin("GET", &format!("/api/views/{id}/"), None).await;
    assert_eq!(view["logical_capacity"], 10);
    let (status, body) = vms
        .admin("DELETE", &format!("/api/views/{id}/"), None)
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "bucket_not_empty");
    assert!(vms.store.has("bkt-one"));
    vms.store.fill("bkt-one", 0, 0);
    let (status, body) = vms
        .admin("DELETE", &format!("/api/views/{id}/"), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(body, serde_json::Value::Null);
    assert!(!vms.store.has("bkt-one"));
    assert_eq!(
        vms.admin("GET", &format!("/api/views/{id}/"), None).await.1,
        json!({"detail": "Not found."})
    );

    // PATCH and PUT exist on views.
    let plain = vms
        .create("/api/views/", json!({"path": "/nfs", "policy_id": 1}))
        .await;
    let pid = plain["id"].as_u64().unwrap();
    assert_eq!(plain["protocols"], json!(["NFS"]));
    let (status, patched) = vms
        .admin(
            "PATCH",
            &format!("/api/views/{pid}/"),
            Some(json!({"protocols": ["NFS", "NFS4"]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["protocols"], json!(["NFS", "NFS4"]));
    let (status, body) = vms
        .admin(
            "PUT",
            &format!("/api/views/{pid}/"),
            Some(json!({"path": "/nfs2"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["policy_id"][0], "This field is required.");
    let (status, put) = vms
        .admin(
            "PUT",
            &format!("/api/views/{pid}/"),
            Some(json!({"path": "/nfs2", "policy_id": 1})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(put["path"], "/nfs2");
    // Turning a view into a bucket creates the bucket.
    let (status, _) = vms
        .admin(
            "PATCH",
            &format!("/api/views/{pid}/"),
            Some(json!({"protocols": ["S3"],
            "bucket": "late-bucket", "bucket_owner": "owner1"})),
        )
        .await;
    assert_eq!(status, 200);
    assert!(vms.store.has("late-bucket"));
}

/// Two clients creating the same bucket view at once (two plugin processes' first LSU
/// listing): one gets 201, the other 400 "already exists", and that one finds the winner's
/// view when it looks right after, as it would on VMS (one database transaction per create).
/// The simulator used to let the loser see the bucket before the winner's view existed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_create_that_loses_a_race_finds_the_winners_view() {
    let vms = start().await;
    vms.user("racer").await;
    vms.store
        .create_delay_ms
        .store(300, std::sync::atomic::Ordering::Relaxed);
    let body = json!({"path": "/buckets/raced", "policy_id": 2,
        "protocols": ["S3"], "bucket": "raced", "bucket_owner": "racer"});
    // Each client looks the bucket up as soon as its own create answers.
    let create_then_look = || async {
        let (status, _) = vms.admin("POST", "/api/views/", Some(body.clone())).await;
        let (_, found) = vms.admin("GET", "/api/views/?bucket=raced", None).await;
        (status, found.as_array().map_or(0, Vec::len))
    };
    let (a, b) = tokio::join!(create_then_look(), create_then_look());
    let mut answers = [a, b];
    answers.sort();
    assert_eq!(answers, [(201, 1), (400, 1)]);
    assert!(vms.store.has("raced"));
}

#[tokio::test]
async fn quotas_usage_state_and_hard_limit() {
    let vms = start().await;
    vms.user("q").await;
    vms.bucket("qbk", "q").await;
    assert_eq!(vms.state.bucket_hard_limit("qbk"), None);
    let quota = vms
        .create(
            "/api/quotas/",
            json!({"name": "qq", "path": "/buckets/qbk", "hard_limit": 1000, "soft_limit": 500}),
        )
        .await;
    let id = quota["id"].as_u64().unwrap();
    assert_eq!(quota["state"], "OK");
    assert_eq!(quota["used_capacity"], 0);
    assert_eq!(vms.state.bucket_hard_limit("qbk"), Some(1000));
    vms.store.fill("qbk", 600, 3);
    let (_, quota) = vms.admin("GET", &format!("/api/quotas/{id}/"), None).await;
    assert_eq!(quota["used_capacity"], 600);
    assert_eq!(quota["used_inodes"], 3);
    assert_eq!(quota["state"], "SOFT_EXCEEDED");
    assert_eq!(quota["percent_capacity"], 60);
    vms.store.fill("qbk", 1000, 4);
    let (_, quota) = vms.admin("GET", &format!("/api/quotas/{id}/"), None).await;
    assert_eq!(quota["state"], "HARD_EXCEEDED");

    let (status, patched) = vms
        .admin(
            "PATCH",
            &format!("/api/quotas/{id}/"),
            Some(json!({"hard_limit": 0})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["hard_limit"], 0);
    assert_eq!(
        vms.state.bucket_hard_limit("qbk"),
        None,
        "0 is not enforced"
    );
    let (status, body) = vms
        .admin(
            "PUT",
            &format!("/api/quotas/{id}/"),
            Some(json!({"name": "x", "path": "/x"})),
        )
        .await;
    assert_eq!(status, 405);
    assert_eq!(body["detail"], "Method \"PUT\" not allowed.");
    let (status, body) = vms
        .admin(
            "POST",
            "/api/quotas/",
            Some(json!({"name": "n", "hard_limit": "big"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["path"][0], "This field is required.");
    assert_eq!(body["hard_limit"][0], "A valid integer is required.");
    let (_, found) = vms
        .admin("GET", "/api/quotas/?path__contains=qbk", None)
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(
        vms.admin("DELETE", &format!("/api/quotas/{id}/"), None)
            .await
            .0,
        204
    );
    assert_eq!(vms.admin("GET", "/api/quotas/", None).await.1, json!([]));
}

#[tokio::test]
async fn vippools_events_alarms_capacity() {
    let vms = start().await;
    let pool = vms
        .create(
            "/api/vippools/",
            json!({"name": "rep", "role": "REPLICATION",
            "ip_ranges": [["10.0.0.1", "10.0.0.4"]], "subnet_cidr": 24}),
        )
        .await;
    assert_eq!(pool["role"], "REPLICATION");
    let (status, body) = vms
        .admin(
            "POST",
            "/api/vippools/",
            Some(json!({"name": "bad", "ip_ranges": "x", "role": "NOPE"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["role"][0], "\"NOPE\" is not a valid choice.");
    let (_, found) = vms.admin("GET", "/api/vippools/?name=rep", None).await;
    assert_eq!(found[0]["id"], pool["id"]);

    vms.user("ev").await;
    let evb = vms.bucket("evb", "ev").await;
    // Events are always paged and newest first; the sim recorded what it did.
    let (status, events) = vms.admin("GET", "/api/events/", None).await;
    assert_eq!(status, 200);
    assert!(events["count"].as_u64().unwrap() >= 3);
    assert!(events["results"].is_array());
    let (_, views_events) = vms
        .admin(
            "GET",
            "/api/events/?object_type=view&event_name=VIEW_CREATED",
            None,
        )
        .await;
    assert_eq!(views_events["count"], 1);
    assert_eq!(views_events["results"][0]["object_name"], evb["name"]);
    assert_eq!(views_events["results"][0]["object_id"], evb["id"]);
    let ts = views_events["results"][0]["timestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, later) = vms
        .admin(
            "GET",
            &format!(
                "/api/events/?object_type=view&timestamp__gte={}",
                ts.replace('+', "%2B")
            ),
            None,
        )
        .await;
    assert_eq!(later["count"], 1);
    let (_, future) = vms
        .admin(
            "GET",
            "/api/events/?timestamp__gte=2999-01-01T00:00:00Z",
            None,
        )
        .await;
    assert_eq!(future["count"], 0);
    let (_, past) = vms
        .admin(
            "GET",
            "/api/events/?timestamp__lte=2000-01-01T00:00:00Z&page_size=5",
            None,
        )
        .await;
    assert_eq!(
        past,
        json!({"count": 0, "next": null, "previous": null, "results": []})
    );

    // Injected events: INFO stays an event, MAJOR raises an alarm.
    let (status, event) = vms
        .admin(
            "POST",
            "/api/events/",
            Some(json!({"object_type": "cluster", "object_id": 1,
            "event_message": "disk slow", "severity": "MAJOR"})),
        )
        .await;
    assert_eq!(status, 201, "{event}");
    assert_eq!(event["event_message"], "disk slow");
    let (status, alarms) = vms.admin("GET", "/api/alarms/?severity=MAJOR", None).await;
    assert_eq!(status, 200);
    assert_eq!(alarms.as_array().unwrap().len(), 1);
    assert_eq!(alarms[0]["alarm_message"], "disk slow");
    let alarm_id = alarms[0]["id"].as_u64().unwrap();
    let (_, acked) = vms
        .admin(
            "PATCH",
            &format!("/api/alarms/{alarm_id}/"),
            Some(json!({"acknowledged": true})),
        )
        .await;
    assert_eq!(acked["acknowledged"], true);
    assert_eq!(vms.admin("PATCH", "/api/alarms/clear/", None).await.0, 200);
    assert_eq!(vms.admin("GET", "/api/alarms/", None).await.1, json!([]));
    let (status, body) = vms
        .admin(
            "POST",
            "/api/events/",
            Some(json!({"object_type": "cluster"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["object_id"][0], "This field is required.");

    vms.store.fill("evb", 4096, 2);
    let (status, cap) = vms.admin("GET", "/api/capacity/?path=/buckets", None).await;
    assert_eq!(status, 200);
    assert_eq!(cap["root_data"], json!([4096, 4096, 4096]));
    assert_eq!(cap["keys"], json!(["usable", "unique", "logical"]));
    let (_, clusters) = vms.admin("GET", "/api/clusters/", None).await;
    assert_eq!(clusters[0]["physical_space_in_use"], 4096);
    let (_, tasks) = vms.admin("GET", "/api/vtasks/", None).await;
    assert_eq!(tasks, json!([]));
}

#[tokio::test]
async fn malformed_bodies() {
    let vms = start().await;
    let (status, body) = vms.admin("POST", "/api/tenants/", Some(json!([1]))).await;
    assert_eq!(status, 400);
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("Expected a dictionary"));
    let (status, body) = vms.admin("GET", "/api/views/abc/", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["detail"], "Not found.");
}
