//! `/s3policies/`: S3 identity policies, IAM-style JSON documents attached to users (their
//! `s3_policies_ids`) that grant or deny S3 actions on buckets they do not own. A user is
//! denied whatever any attached policy denies, and granted what the attached policies allow.

use serde::{Deserialize, Serialize};

use crate::de::{lenient_id, nullable};
use crate::error::Error;
use crate::query::Query;
use crate::resources::collection::{Collection, Creatable, Mutable, Resource};

/// An S3 identity policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct S3Policy {
    /// Policy id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Policy name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// The policy document, a JSON text (`{"Version":..., "Statement": [...]}`).
    #[serde(deserialize_with = "nullable")]
    pub policy: String,
    /// Whether it takes effect.
    pub enabled: Option<bool>,
    /// Owning tenant.
    #[serde(deserialize_with = "lenient_id")]
    pub tenant_id: Option<u64>,
    /// Owning tenant's name.
    pub tenant_name: Option<String>,
    /// Names of the users it is attached to.
    #[serde(deserialize_with = "nullable")]
    pub users: Vec<String>,
    /// Names of the groups it is attached to.
    #[serde(deserialize_with = "nullable")]
    pub groups: Vec<String>,
    /// Globally unique id.
    pub guid: Option<String>,
    /// Self link.
    pub url: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl S3Policy {
    /// Whether the policy takes effect (VMS shows `enabled`; absent counts as enabled).
    pub fn is_enabled(&self) -> bool {
        self.enabled != Some(false)
    }
}

/// Body of `POST /s3policies/` (answered 201 with the policy).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewS3Policy {
    /// Policy name (required).
    pub name: String,
    /// The policy document as a JSON text (required).
    pub policy: String,
    /// Owning tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<u64>,
}

impl NewS3Policy {
    /// Policy `name` with document `policy` in tenant `tenant_id`.
    pub fn new(name: impl Into<String>, policy: impl Into<String>, tenant_id: Option<u64>) -> Self {
        Self {
            name: name.into(),
            policy: policy.into(),
            tenant_id,
        }
    }
}

/// Body of `PATCH /s3policies/<id>/`: the fields to change.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct S3PolicyPatch {
    /// A new document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Enable or disable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl S3PolicyPatch {
    /// Sets the document and enables the policy.
    pub fn restore(policy: impl Into<String>) -> Self {
        Self {
            policy: Some(policy.into()),
            enabled: Some(true),
        }
    }
}

impl Resource for S3Policy {
    const COLLECTION: &'static str = "s3policies";
}

impl Creatable for S3Policy {
    type New = NewS3Policy;
}

impl Mutable for S3Policy {}

impl Collection<S3Policy> {
    /// The policy called exactly `name` in tenant `tenant_id` (any tenant when `None`). The
    /// list takes no name filter in VAST's schema, so the whole list is read and filtered.
    pub async fn by_name(
        &self,
        name: &str,
        tenant_id: Option<u64>,
    ) -> Result<Option<S3Policy>, Error> {
        let found = self.list(&Query::new()).await?;
        Ok(found.into_iter().find(|p| {
            p.name == name && tenant_id.is_none_or(|t| p.tenant_id.is_none_or(|pt| pt == t))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vms_shape_and_writes_the_create_body() {
        let p: S3Policy = serde_json::from_str(
            r#"{"id":4,"name":"p","policy":"{\"Statement\":[]}","enabled":null,
                "tenant_id":2,"users":["a"],"groups":null,"is_replicated":false}"#,
        )
        .unwrap();
        assert_eq!((p.id, p.tenant_id), (4, Some(2)));
        assert!(p.is_enabled());
        assert_eq!(p.users, ["a"]);
        assert!(p.extra.contains_key("is_replicated"));
        let body = serde_json::to_value(NewS3Policy::new("p", "{}", None)).unwrap();
        assert_eq!(body, serde_json::json!({"name": "p", "policy": "{}"}));
    }
}
