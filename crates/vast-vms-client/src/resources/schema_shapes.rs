//! The models read records shaped as VAST's published OpenAPI schemas (5.3 and 5.5) declare
//! them: the field names and JSON types of `View`, `Quota`, `VIPPool`, `Event`, `Alarm`,
//! `Manager`, `User`, `Tenant`, `LocalProvider` and `S3Policy`. The records below use the schemas' types
//! where vast-sim answers differently (an alarm's `event` is a string; a manager's `roles` and
//! `permissions` are objects; `percent_capacity` is an integer). docs/vast-sim.md lists what
//! was checked.

use serde_json::json;

use super::*;

#[test]
fn records_in_the_schemas_shapes_are_read() {
    let view: View = serde_json::from_value(json!({
        "id": 7, "guid": "g", "name": "v", "title": "/b/x", "path": "/b/x", "policy_id": 3,
        "policy": "p", "protocols": ["S3"], "bucket": "x", "bucket_owner": "u",
        "bucket_owner_type": "USER", "bucket_creators": [], "tenant_id": 2, "tenant_name": "t",
        "cluster": "c", "cluster_id": 1, "created": "2026-01-01T00:00:00Z",
        "logical_capacity": 10, "physical_capacity": 5, "locking": false, "alias": "",
        "share": "", "url": "https://vms/api/views/7/"
    }))
    .unwrap();
    assert!(view.is_bucket());
    assert_eq!((view.policy_id, view.tenant_id), (Some(3), Some(2)));

    let quota: Quota = serde_json::from_value(json!({
        "id": 4, "name": "q", "path": "/b/x", "state": "HARD_EXCEEDED", "tenant_id": 2,
        "hard_limit": 100, "soft_limit": 90, "hard_limit_inodes": 10, "soft_limit_inodes": 9,
        "grace_period": "7 00:00:00", "used_capacity": 100, "used_effective_capacity": 100,
        "used_inodes": 1, "percent_capacity": 100
    }))
    .unwrap();
    assert_eq!(quota.percent_capacity, Some(100.0));
    assert_eq!(quota.state.as_deref(), Some("HARD_EXCEEDED"));

    let pool: VipPool = serde_json::from_value(json!({
        "id": 1, "name": "p", "role": "PROTOCOLS", "ip_ranges": [["10.0.0.1", "10.0.0.2"]],
        "subnet_cidr": 24, "gw_ip": "10.0.0.254", "vlan": 0, "enabled": true,
        "state": "ACTIVE", "tenant_id": null, "domain_name": "d"
    }))
    .unwrap();
    assert_eq!(pool.addresses(), ["10.0.0.1", "10.0.0.2"]);

    let event: Event = serde_json::from_value(json!({
        "id": 9, "guid": "g", "timestamp": "2026-01-01T00:00:00Z", "event_type": "OBJECT",
        "event_name": "VIEW_CREATED", "event_definition": "d", "event_message": "m",
        "event_origin": "VMS", "severity": "INFO", "object_type": "View", "object_id": 7,
        "object_guid": "g", "object_name": "v", "cluster": "c", "metadata": {"k": 1}
    }))
    .unwrap();
    assert_eq!(event.object_type.as_deref(), Some("View"));

    let alarm: Alarm = serde_json::from_value(json!({
        "id": 3, "timestamp": "t", "last_updated": "t", "severity": "MAJOR",
        "alarm_message": "m", "acknowledged": false, "event": "9", "event_name": "n",
        "event_type": "OBJECT", "object_type": "QuotaEntity", "object_id": 4,
        "object_guid": "g", "object_name": "q", "metadata": {}
    }))
    .unwrap();
    assert_eq!((alarm.event, alarm.object_id), (Some(9), Some(4)));
    let named: Alarm = serde_json::from_value(json!({"id": 4, "event": "QUOTA_EXCEEDED"})).unwrap();
    assert_eq!(
        (named.id, named.event),
        (4, None),
        "a non-numeric event is not an id"
    );

    let manager: Manager = serde_json::from_value(json!({
        "id": 1, "username": "admin", "user_type": "SUPER_ADMIN", "tenant_id": null,
        "roles": {"1": "admin"}, "permissions": {"view_logical": true}
    }))
    .unwrap();
    assert_eq!(manager.username, "admin");

    let user: User = serde_json::from_value(json!({
        "id": 5, "name": "u", "uid": 50001, "vid": 5, "sid": "S-1", "leading_gid": 1,
        "allow_create_bucket": true, "allow_delete_bucket": true, "s3_superuser": false,
        "access_keys": [], "local_provider": {"id": 3, "name": "nbu-local"},
        "s3_policies_ids": [7], "s3_policies": [{"id": 7, "name": "nbu-data"}]
    }))
    .unwrap();
    assert_eq!(user.local_provider_id(), Some(3));
    assert!(user.has_s3_policy(7) && !user.has_s3_policy(8));
    assert_eq!(user.s3_policy_ids(), [7]);

    let policy: S3Policy = serde_json::from_value(json!({
        "id": 7, "guid": "g", "name": "nbu-data", "policy": "{}", "enabled": true,
        "tenant_id": 2, "tenant_name": "nbu", "title": "nbu-data", "is_replicated": false,
        "users": ["u"], "groups": [], "url": "https://vms/api/s3policies/7/"
    }))
    .unwrap();
    assert_eq!((policy.tenant_id, policy.users.len()), (Some(2), 1));

    let tenant: Tenant = serde_json::from_value(json!({
        "id": 2, "name": "nbu", "local_provider": {"id": 3, "name": "nbu-local"},
        "local_provider_title": "nbu-local", "vippool_names": [], "max_views": 100
    }))
    .unwrap();
    assert_eq!(
        tenant.local_provider(),
        Some(3),
        "from local_provider when no _id"
    );

    let provider: LocalProvider = serde_json::from_value(json!({
        "id": 3, "name": "nbu-local", "description": null, "managed_by": [],
        "assigned_tenants_preview": "nbu"
    }))
    .unwrap();
    assert_eq!(provider.assigned_tenants_preview.as_deref(), Some("nbu"));
}
