//! Per-kind field declarations and typed validation of request bodies (DRF-style messages;
//! undeclared and read-only fields are ignored, as DRF serializers do).

use serde_json::{Map, Value};

use super::error::{ApiError, FieldErrors};
use super::store::Row;

/// The type of a writable field.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    /// A string.
    Str,
    /// An integer.
    Int,
    /// A boolean.
    Bool,
    /// A list of strings.
    StrList,
    /// A list of integers.
    IntList,
    /// One of fixed strings.
    Choice(&'static [&'static str]),
    /// A list of fixed strings.
    Choices(&'static [&'static str]),
    /// Any JSON value (nested settings the simulator only stores).
    Any,
}

/// One writable field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
}

const fn opt(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
    }
}

const fn req(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: true,
    }
}

/// One resource kind: its table, writable fields and the methods it has.
#[derive(Debug)]
pub(crate) struct Kind {
    /// The collection (and table) name, e.g. `views`.
    pub(crate) name: &'static str,
    /// The singular noun for messages, e.g. `view`.
    pub(crate) noun: &'static str,
    /// The writable fields.
    pub(crate) fields: &'static [Field],
    /// `POST /<coll>/` exists.
    pub(crate) create: bool,
    /// `PATCH /<coll>/<id>/` exists.
    pub(crate) patch: bool,
    /// `PUT /<coll>/<id>/` exists.
    pub(crate) put: bool,
    /// `DELETE /<coll>/<id>/` exists.
    pub(crate) delete: bool,
    /// Whether `name` must be unique in the table.
    pub(crate) unique_name: bool,
    /// Whether rows carry a `tenant_id` that `X-Tenant-Name` scopes.
    pub(crate) tenant_scoped: bool,
}

const PROTOCOLS: &[&str] = &[
    "NFS", "NFS4", "SMB", "S3", "ENDPOINT", "DATABASE", "KAFKA", "BLOCK",
];
const SEVERITIES: &[&str] = &["INFO", "MINOR", "MAJOR", "CRITICAL"];

/// Tenants.
pub(crate) const TENANTS: Kind = Kind {
    name: "tenants",
    noun: "tenant",
    fields: &[
        req("name", Ty::Str),
        opt("client_ip_ranges", Ty::Any),
        opt("access_ip_ranges", Ty::Any),
        opt("capacity_rules", Ty::Any),
        opt("max_views", Ty::Int),
        opt("domain_name", Ty::Str),
        opt("local_provider_id", Ty::Int),
        opt("ad_provider_id", Ty::Int),
        opt("ldap_provider_id", Ty::Int),
        opt("nis_provider_id", Ty::Int),
        opt("qos", Ty::Any),
    ],
    create: true,
    patch: true,
    put: false,
    delete: true,
    unique_name: true,
    tenant_scoped: false,
};

/// View policies.
pub(crate) const VIEW_POLICIES: Kind = Kind {
    name: "viewpolicies",
    noun: "view policy",
    fields: &[
        req("name", Ty::Str),
        opt(
            "flavor",
            Ty::Choice(&["NFS", "SMB", "MIXED_LAST_WINS", "S3_NATIVE"]),
        ),
        opt("tenant_id", Ty::Int),
        opt("is_s3_default_policy", Ty::Bool),
        opt("s3_read_write", Ty::StrList),
        opt("s3_read_only", Ty::StrList),
        opt("s3_visibility", Ty::StrList),
        opt("s3_visibility_groups", Ty::StrList),
        opt("s3_special_chars_support", Ty::Bool),
        opt("vip_pools", Ty::IntList),
        opt("nfs_read_write", Ty::StrList),
        opt("nfs_read_only", Ty::StrList),
        opt("nfs_root_squash", Ty::StrList),
        opt("nfs_no_squash", Ty::StrList),
        opt(
            "auth_source",
            Ty::Choice(&["RPC", "PROVIDERS", "RPC_AND_PROVIDERS"]),
        ),
        opt("allowed_characters", Ty::Choice(&["LCD", "NPL"])),
        opt("path_length", Ty::Choice(&["LCD", "NPL"])),
    ],
    create: true,
    patch: true,
    put: false,
    delete: true,
    unique_name: true,
    tenant_scoped: true,
};

/// Views (a view with the S3 protocol is a bucket).
pub(crate) const VIEWS: Kind = Kind {
    name: "views",
    noun: "view",
    fields: &[
        req("path", Ty::Str),
        req("policy_id", Ty::Int),
        opt("create_dir", Ty::Bool),
        opt("create_dir_mode", Ty::Int),
        opt("create_dir_acl", Ty::Any),
        opt("protocols", Ty::Choices(PROTOCOLS)),
        opt("bucket", Ty::Str),
        opt("bucket_owner", Ty::Str),
        opt("bucket_owner_type", Ty::Choice(&["USER", "ROLE"])),
        opt("bucket_creators", Ty::StrList),
        opt("bucket_creators_groups", Ty::StrList),
        opt("tenant_id", Ty::Int),
        opt("name", Ty::Str),
        opt("share", Ty::Str),
        opt("alias", Ty::Str),
        opt("qos_policy_id", Ty::Int),
        opt("s3_versioning", Ty::Bool),
        opt("locking", Ty::Bool),
        opt("s3_locks_retention_mode", Ty::Str),
        opt("default_retention_period", Ty::Str),
        opt("min_retention_period", Ty::Str),
        opt("max_retention_period", Ty::Str),
        opt("files_retention_mode", Ty::Str),
        opt("auto_commit", Ty::Str),
        opt("is_indestructible_object_enabled", Ty::Bool),
        opt("indestructible_object_duration", Ty::Int),
        opt("allow_s3_anonymous_access", Ty::Bool),
        opt("s3_object_ownership_rule", Ty::Str),
        opt("bucket_logging", Ty::Any),
        opt("event_notifications", Ty::Any),
    ],
    create: true,
    patch: true,
    put: true,
    delete: true,
    unique_name: false,
    tenant_scoped: true,
};

/// Directory quotas.
pub(crate) const QUOTAS: Kind = Kind {
    name: "quotas",
    noun: "quota",
    fields: &[
        req("name", Ty::Str),
        req("path", Ty::Str),
        opt("hard_limit", Ty::Int),
        opt("soft_limit", Ty::Int),
        opt("hard_limit_inodes", Ty::Int),
        opt("soft_limit_inodes", Ty::Int),
        opt("grace_period", Ty::Str),
        opt("create_dir", Ty::Bool),
        opt("create_dir_mode", Ty::Int),
        opt("tenant_id", Ty::Int),
        opt("is_physical_quota", Ty::Bool),
        opt("is_user_quota", Ty::Bool),
        opt("default_user_quota", Ty::Any),
        opt("default_group_quota", Ty::Any),
        opt("user_quotas", Ty::Any),
        opt("group_quotas", Ty::Any),
        opt("enable_alarms", Ty::Bool),
    ],
    create: true,
    patch: true,
    put: false,
    delete: true,
    unique_name: false,
    tenant_scoped: true,
};

/// Local users.
pub(crate) const USERS: Kind = Kind {
    name: "users",
    noun: "user",
    fields: &[
        req("name", Ty::Str),
        opt("uid", Ty::Int),
        opt("gids", Ty::IntList),
        opt("leading_gid", Ty::Int),
        opt("local_provider_id", Ty::Int),
        opt("allow_create_bucket", Ty::Bool),
        opt("allow_delete_bucket", Ty::Bool),
        opt("s3_superuser", Ty::Bool),
        opt("s3_policies_ids", Ty::IntList),
        opt("password", Ty::Str),
    ],
    create: true,
    patch: true,
    put: false,
    delete: true,
    unique_name: true,
    tenant_scoped: false,
};

/// S3 identity policies (`/s3policies/`): an IAM-style JSON document (`policy`, a string)
/// attached to users through their `s3_policies_ids`.
pub(crate) const S3_POLICIES: Kind = Kind {
    name: "s3policies",
    noun: "s3 policy",
    fields: &[
        req("name", Ty::Str),
        req("policy", Ty::Str),
        opt("tenant_id", Ty::Int),
        opt("enabled", Ty::Bool),
    ],
    create: true,
    patch: true,
    put: false,
    delete: true,
    unique_name: true,
    tenant_scoped: true,
};

/// VIP pools.
pub(crate) const VIP_POOLS: Kind = Kind {
    name: "vippools",
    noun: "vip pool",
    fields: &[
        req("name", Ty::Str),
        opt("ip_ranges", Ty::Any),
        opt("subnet_cidr", Ty::Int),
        opt("gw_ip", Ty::Str),
        opt("vlan", Ty::Int),
        opt(
            "role",
            Ty::Choice(&[
                "PROTOCOLS",
                "REPLICATION",
                "BIG_CATALOG",
                "QUERY_ENGINE_CNODE_GROUP",
            ]),
        ),
        opt("enabled", Ty::Bool),
        opt("tenant_id", Ty::Int),
        opt("domain_name", Ty::Str),
        opt("cnode_ids", Ty::IntList),
        opt("port_membership", Ty::Str),
        opt("enable_l3", Ty::Bool),
    ],
    create: true,
    patch: true,
    put: false,
    delete: true,
    unique_name: true,
    tenant_scoped: true,
};

/// Virtual IPs of the VIP pools (read-only, seeded: one per S3 listener).
pub(crate) const VIPS: Kind = Kind {
    name: "vips",
    noun: "vip",
    fields: &[],
    create: false,
    patch: false,
    put: false,
    delete: false,
    unique_name: false,
    tenant_scoped: false,
};

/// The cluster (one row, seeded).
pub(crate) const CLUSTERS: Kind = Kind {
    name: "clusters",
    noun: "cluster",
    fields: &[
        opt("enable_s3", Ty::Bool),
        opt("s3_enable_http", Ty::Bool),
        opt("s3_enable_https", Ty::Bool),
        opt("s3_block_v2_authentication", Ty::Bool),
        opt("s3_enable_v2_authentication", Ty::Bool),
    ],
    create: false,
    patch: true,
    put: false,
    delete: false,
    unique_name: false,
    tenant_scoped: false,
};

/// The VMS (one row, seeded).
pub(crate) const VMS: Kind = Kind {
    name: "vms",
    noun: "vms",
    fields: &[opt("min_tls_version", Ty::Choice(&["1.2", "1.3"]))],
    create: false,
    patch: true,
    put: false,
    delete: false,
    unique_name: false,
    tenant_scoped: false,
};

/// Events (`POST` injects one).
pub(crate) const EVENTS: Kind = Kind {
    name: "events",
    noun: "event",
    fields: &[
        req("object_type", Ty::Str),
        req("object_id", Ty::Int),
        opt("event_type", Ty::Str),
        opt("event_message", Ty::Str),
        opt("severity", Ty::Choice(SEVERITIES)),
    ],
    create: true,
    patch: false,
    put: false,
    delete: false,
    unique_name: false,
    tenant_scoped: false,
};

/// Alarms.
pub(crate) const ALARMS: Kind = Kind {
    name: "alarms",
    noun: "alarm",
    fields: &[opt("acknowledged", Ty::Bool)],
    create: false,
    patch: true,
    put: false,
    delete: true,
    unique_name: false,
    tenant_scoped: false,
};

/// Async tasks (read-only).
pub(crate) const VTASKS: Kind = Kind {
    name: "vtasks",
    noun: "vtask",
    fields: &[],
    create: false,
    patch: false,
    put: false,
    delete: false,
    unique_name: false,
    tenant_scoped: false,
};

/// Software versions (read-only; `GET /versions/?status=success` → `[0].sys_version`).
pub(crate) const VERSIONS: Kind = Kind {
    name: "versions",
    noun: "version",
    fields: &[],
    create: false,
    patch: false,
    put: false,
    delete: false,
    unique_name: false,
    tenant_scoped: false,
};

/// Local user providers (read-only; the seeded `local` one).
pub(crate) const LOCAL_PROVIDERS: Kind = Kind {
    name: "localproviders",
    noun: "local provider",
    fields: &[],
    create: false,
    patch: false,
    put: false,
    delete: false,
    unique_name: false,
    tenant_scoped: false,
};

/// VMS managers (read-only; the seeded super-admin).
pub(crate) const MANAGERS: Kind = Kind {
    name: "managers",
    noun: "manager",
    fields: &[],
    create: false,
    patch: false,
    put: false,
    delete: false,
    unique_name: false,
    tenant_scoped: false,
};

/// Every generic kind.
pub(crate) const KINDS: &[&Kind] = &[
    &TENANTS,
    &VIEW_POLICIES,
    &VIEWS,
    &QUOTAS,
    &USERS,
    &S3_POLICIES,
    &VIP_POOLS,
    &VIPS,
    &CLUSTERS,
    &VMS,
    &EVENTS,
    &ALARMS,
    &VTASKS,
    &VERSIONS,
    &LOCAL_PROVIDERS,
    &MANAGERS,
];

/// The kind serving `collection`.
pub(crate) fn kind(collection: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.name == collection)
}

/// Checks a body against a kind's fields: the declared fields it carries, typed. With
/// `creating` (or a PUT) every required field must be there.
pub(crate) fn validate(kind: &Kind, body: &Value, creating: bool) -> Result<Row, ApiError> {
    let Value::Object(body) = body else {
        return Err(ApiError::bad_request(
            "Invalid data. Expected a dictionary, but got list.",
        ));
    };
    let mut errors = FieldErrors::default();
    let mut row = Map::new();
    for field in kind.fields {
        match body.get(field.name) {
            None => {
                if creating && field.required {
                    errors.add(field.name, "This field is required.");
                }
            }
            Some(Value::Null) if field.required => {
                errors.add(field.name, "This field may not be null.");
            }
            Some(Value::Null) => {
                row.insert(field.name.to_owned(), Value::Null);
            }
            Some(value) => match check(field.ty, value) {
                Ok(()) if field.required && value.as_str() == Some("") => {
                    errors.add(field.name, "This field may not be blank.");
                }
                Ok(()) => {
                    row.insert(field.name.to_owned(), value.clone());
                }
                Err(message) => errors.add(field.name, message),
            },
        }
    }
    errors.finish().map(|()| row)
}

fn check(ty: Ty, value: &Value) -> Result<(), String> {
    match ty {
        Ty::Str => value
            .is_string()
            .then_some(())
            .ok_or_else(|| "Not a valid string.".to_owned()),
        Ty::Int => value
            .is_i64()
            .then_some(())
            .ok_or_else(|| "A valid integer is required.".to_owned()),
        Ty::Bool => value
            .is_boolean()
            .then_some(())
            .ok_or_else(|| "Must be a valid boolean.".to_owned()),
        Ty::StrList => list(value, |v| check(Ty::Str, v)),
        Ty::IntList => list(value, |v| check(Ty::Int, v)),
        Ty::Choice(choices) => match value.as_str() {
            Some(s) if choices.contains(&s) => Ok(()),
            _ => Err(format!("\"{}\" is not a valid choice.", plain(value))),
        },
        Ty::Choices(choices) => list(value, |v| check(Ty::Choice(choices), v)),
        Ty::Any => Ok(()),
    }
}

fn list(value: &Value, item: impl Fn(&Value) -> Result<(), String>) -> Result<(), String> {
    match value {
        Value::Array(items) => items.iter().try_for_each(item),
        other => Err(format!(
            "Expected a list of items but got type \"{}\".",
            match other {
                Value::String(_) => "str",
                Value::Number(_) => "int",
                Value::Bool(_) => "bool",
                Value::Object(_) => "dict",
                _ => "NoneType",
            }
        )),
    }
}

fn plain(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_errors() {
        let err = validate(&VIEWS, &json!({"path": 3, "protocols": ["S4"]}), true).unwrap_err();
        assert_eq!(err.status, hyper::StatusCode::BAD_REQUEST);
        assert_eq!(err.body["path"][0], "Not a valid string.");
        assert_eq!(err.body["policy_id"][0], "This field is required.");
        assert_eq!(err.body["protocols"][0], "\"S4\" is not a valid choice.");
        let row = validate(&VIEWS, &json!({"policy_id": 2, "junk": 1}), false).unwrap();
        assert_eq!(row.get("policy_id"), Some(&json!(2)));
        assert!(!row.contains_key("junk"));
    }
}
