//! VMS list conventions over HTTP: bare arrays, the paged envelope, Django-style filters and
//! `fields=`.

use crate::common;

use common::start;
use serde_json::json;

#[tokio::test]
async fn paging_filters_and_fields() {
    let vms = start().await;
    for i in 1..=7 {
        vms.create("/api/tenants/", json!({"name": format!("Team-{i}")}))
            .await;
    }
    // 8 tenants with the default one.
    let (_, all) = vms.admin("GET", "/api/tenants/", None).await;
    assert_eq!(all.as_array().unwrap().len(), 8);

    let (status, page1) = vms.admin("GET", "/api/tenants/?page_size=3", None).await;
    assert_eq!(status, 200);
    assert_eq!(page1["count"], 8);
    assert_eq!(page1["results"].as_array().unwrap().len(), 3);
    assert_eq!(page1["previous"], json!(null));
    let next = page1["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/api/tenants/?", vms.base())),
        "{next}"
    );
    let (_, page2) = vms
        .admin("GET", next.strip_prefix(&vms.base()).unwrap(), None)
        .await;
    assert_eq!(page2["results"][0]["id"], 4);
    assert!(page2["previous"].is_string());
    let (_, page3) = vms
        .admin("GET", "/api/latest/tenants/?page=3&page_size=3", None)
        .await;
    assert_eq!(page3["results"].as_array().unwrap().len(), 2);
    assert_eq!(page3["next"], json!(null));
    assert!(page3["previous"]
        .as_str()
        .unwrap()
        .contains("/api/latest/tenants/?"));
    let (status, body) = vms
        .admin("GET", "/api/tenants/?page=9&page_size=3", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["detail"], "Invalid page.");

    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, exact) = vms.admin("GET", "/api/tenants/?name=Team-3", None).await;
    assert_eq!(names(&exact), ["Team-3"]);
    let (_, none) = vms.admin("GET", "/api/tenants/?name=team-3", None).await;
    assert_eq!(none, json!([]));
    let (_, icontains) = vms
        .admin("GET", "/api/tenants/?name__icontains=TEAM", None)
        .await;
    assert_eq!(icontains.as_array().unwrap().len(), 7);
    let (_, contains) = vms
        .admin("GET", "/api/tenants/?name__contains=TEAM", None)
        .await;
    assert_eq!(contains, json!([]));
    let (_, starts) = vms
        .admin("GET", "/api/tenants/?name__startswith=def", None)
        .await;
    assert_eq!(names(&starts), ["default"]);
    let (_, within) = vms
        .admin("GET", "/api/tenants/?id__in=2,4&id__in=6", None)
        .await;
    assert_eq!(names(&within), ["Team-1", "Team-3", "Team-5"]);
    let (_, range) = vms
        .admin("GET", "/api/tenants/?id__gte=3&id__lte=5", None)
        .await;
    assert_eq!(names(&range), ["Team-2", "Team-3", "Team-4"]);

    let (_, slim) = vms
        .admin("GET", "/api/tenants/?fields=id,name&name=Team-1", None)
        .await;
    assert_eq!(slim, json!([{"id": 2, "name": "Team-1"}]));
    let (_, one) = vms.admin("GET", "/api/tenants/2/?fields=name", None).await;
    assert_eq!(one, json!({"name": "Team-1"}));
    let (_, paged_slim) = vms
        .admin("GET", "/api/tenants/?fields=id&page_size=1", None)
        .await;
    assert_eq!(paged_slim["results"], json!([{"id": 1}]));
}

#[tokio::test]
async fn nested_filters_on_views() {
    let vms = start().await;
    vms.user("u").await;
    vms.bucket("alpha-1", "u").await;
    vms.bucket("beta-2", "u").await;
    vms.create("/api/views/", json!({"path": "/nfs/x", "policy_id": 1}))
        .await;
    let count = |v: serde_json::Value| v.as_array().unwrap().len();
    assert_eq!(
        count(
            vms.admin("GET", "/api/views/?policy__name=s3_default_policy", None)
                .await
                .1
        ),
        2
    );
    assert_eq!(
        count(vms.admin("GET", "/api/views/?policy__id=1", None).await.1),
        1
    );
    assert_eq!(
        count(vms.admin("GET", "/api/views/?bucket=beta-2", None).await.1),
        1
    );
    assert_eq!(
        count(
            vms.admin("GET", "/api/views/?path__endswith=-1", None)
                .await
                .1
        ),
        1
    );
    assert_eq!(
        count(vms.admin("GET", "/api/views/?protocols=S3", None).await.1),
        2
    );
    assert_eq!(
        count(
            vms.admin("GET", "/api/views/?tenant_name__icontains=DEF", None)
                .await
                .1
        ),
        3
    );
    assert_eq!(
        count(vms.admin("GET", "/api/users/?name=u", None).await.1),
        1
    );
}
