//! `/users/`: local users (S3 bucket owners) and their admin-managed S3 access keys
//! (`/users/<id>/access_keys/`).

use http::Method;
use serde::{Deserialize, Deserializer, Serialize};

use crate::de::{lenient_id, nullable};
use crate::error::Error;
use crate::query::Query;
use crate::resources::collection::{Collection, Creatable, Mutable, Resource};
use crate::resources::LocalProviderRef;
use crate::secret::Secret;

/// A local user.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct User {
    /// User id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// User name (what a bucket's `bucket_owner` names).
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Globally unique id.
    pub guid: Option<String>,
    /// POSIX uid.
    #[serde(deserialize_with = "lenient_id")]
    pub uid: Option<u64>,
    /// VAST id.
    #[serde(deserialize_with = "lenient_id")]
    pub vid: Option<u64>,
    /// Windows SID.
    pub sid: Option<String>,
    /// Leading group id.
    #[serde(deserialize_with = "lenient_id")]
    pub leading_gid: Option<u64>,
    /// Owning tenant (not in VAST's user schema; kept for clusters that show it).
    #[serde(deserialize_with = "lenient_id")]
    pub tenant_id: Option<u64>,
    /// The local provider the user belongs to (`{id, name}`).
    #[serde(deserialize_with = "nullable")]
    pub local_provider: Option<LocalProviderRef>,
    /// May create buckets over S3.
    pub allow_create_bucket: Option<bool>,
    /// May delete buckets over S3.
    pub allow_delete_bucket: Option<bool>,
    /// S3 superuser.
    pub s3_superuser: Option<bool>,
    /// Ids of the S3 identity policies attached to the user.
    #[serde(deserialize_with = "nullable")]
    pub s3_policies_ids: Vec<u64>,
    /// The attached S3 identity policies, `{id, name}`.
    #[serde(deserialize_with = "nullable")]
    pub s3_policies: Vec<S3PolicyRef>,
    /// The user's S3 access keys (secrets are never listed).
    #[serde(deserialize_with = "nullable")]
    pub access_keys: Vec<AccessKey>,
    /// Self link.
    pub url: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Body of `POST /users/`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewUser {
    /// User name (required).
    pub name: String,
    /// POSIX uid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u64>,
    /// May create buckets over S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_create_bucket: Option<bool>,
    /// May delete buckets over S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_delete_bucket: Option<bool>,
    /// Local provider: the tenant's (required from VAST 5.5; a user belongs to a tenant
    /// through its provider, `tenant_id` is not a user field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_provider_id: Option<u64>,
    /// Password for VMS logins as this user (rarely needed for S3 users).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// S3 identity policies to attach (`/s3policies/` ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_policies_ids: Option<Vec<u64>>,
}

/// An attached S3 identity policy as a user record shows it (`PartialS3PolicyInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct S3PolicyRef {
    /// Policy id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Policy name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
}

impl NewUser {
    /// A user called `name` with defaults for everything else.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// One S3 access key of a user, as listed (no secret).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccessKey {
    /// The access key id.
    pub access_key: String,
    /// Whether it may sign requests.
    pub enabled: bool,
    /// When it was made.
    pub creation_time: Option<String>,
    /// Tenant it maps to.
    pub tenant_id: Option<u64>,
}

/// VMS lists keys as objects (`{access_key, enabled, ...}`) or, on some paths, as
/// `[access_key, "enabled"|"disabled", provider, time]`; both read into [`AccessKey`].
impl<'de> Deserialize<'de> for AccessKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Object {
            #[serde(deserialize_with = "nullable")]
            access_key: String,
            enabled: Option<bool>,
            status: Option<String>,
            creation_time: Option<String>,
            #[serde(deserialize_with = "lenient_id")]
            tenant_id: Option<u64>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            Object(Object),
            List(Vec<serde_json::Value>),
        }
        Ok(match Shape::deserialize(deserializer)? {
            Shape::Object(o) => AccessKey {
                enabled: o
                    .enabled
                    .unwrap_or_else(|| o.status.as_deref().is_none_or(is_enabled_word)),
                access_key: o.access_key,
                creation_time: o.creation_time,
                tenant_id: o.tenant_id,
            },
            Shape::List(items) => {
                let text = |i: usize| items.get(i).and_then(|v| v.as_str()).map(str::to_owned);
                AccessKey {
                    access_key: text(0).unwrap_or_default(),
                    enabled: text(1).as_deref().is_none_or(is_enabled_word),
                    creation_time: text(3),
                    tenant_id: None,
                }
            }
        })
    }
}

fn is_enabled_word(word: &str) -> bool {
    word.eq_ignore_ascii_case("enabled") || word.eq_ignore_ascii_case("true")
}

/// A freshly issued key pair. The secret is shown by VMS only once: keep it now.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AccessKeyPair {
    /// The access key id.
    pub access_key: String,
    /// The secret key (redacted in `Debug`).
    pub secret_key: Secret,
}

impl User {
    /// The id of the local provider the user belongs to, when VMS shows it.
    pub fn local_provider_id(&self) -> Option<u64> {
        self.local_provider.as_ref().and_then(|p| p.id)
    }

    /// Whether S3 identity policy `policy_id` is attached (by `s3_policies_ids`, or by
    /// `s3_policies` where VMS shows only that).
    pub fn has_s3_policy(&self, policy_id: u64) -> bool {
        self.s3_policies_ids.contains(&policy_id)
            || self.s3_policies.iter().any(|p| p.id == policy_id)
    }

    /// The attached policy ids, from whichever of the two fields VMS filled.
    pub fn s3_policy_ids(&self) -> Vec<u64> {
        let mut ids = self.s3_policies_ids.clone();
        ids.extend(self.s3_policies.iter().map(|p| p.id));
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

impl Resource for User {
    const COLLECTION: &'static str = "users";
}

impl Creatable for User {
    type New = NewUser;
}

impl Mutable for User {}

fn keys_path(user_id: u64) -> String {
    format!("users/{user_id}/access_keys/")
}

impl Collection<User> {
    /// The user called exactly `name`, if any.
    pub async fn by_name(&self, name: &str) -> Result<Option<User>, Error> {
        self.by_name_in(name, None).await
    }

    /// The user called exactly `name`, preferring the one of local provider `provider`
    /// (user names are unique per provider); any user of that name when none is there.
    pub async fn by_name_in(
        &self,
        name: &str,
        provider: Option<u64>,
    ) -> Result<Option<User>, Error> {
        let found: Vec<User> = self
            .list(&Query::new().filter("name", name))
            .await?
            .into_iter()
            .filter(|u| u.name == name)
            .collect();
        let in_provider = found
            .iter()
            .position(|u| provider.is_some() && u.local_provider_id() == provider);
        Ok(match in_provider {
            Some(i) => found.into_iter().nth(i),
            None => found.into_iter().next(),
        })
    }

    /// Issues a new S3 key pair for the user (`POST /users/<id>/access_keys/`). Not retried:
    /// a lost answer would leave a key whose secret nobody knows.
    pub async fn create_access_key(
        &self,
        user_id: u64,
        tenant_id: Option<u64>,
    ) -> Result<AccessKeyPair, Error> {
        let body = match tenant_id {
            Some(tenant) => serde_json::json!({ "tenant_id": tenant }),
            None => serde_json::json!({}),
        };
        self.client
            .call(
                Method::POST,
                &keys_path(user_id),
                &Query::new(),
                Some(&body),
            )
            .await
    }

    /// The user's access keys (from `GET /users/<id>/`).
    pub async fn access_keys(&self, user_id: u64) -> Result<Vec<AccessKey>, Error> {
        Ok(self.get(user_id).await?.access_keys)
    }

    /// Enables or disables one key.
    pub async fn set_access_key_enabled(
        &self,
        user_id: u64,
        access_key: &str,
        enabled: bool,
    ) -> Result<(), Error> {
        let body = serde_json::json!({ "access_key": access_key, "enabled": enabled });
        let _: Option<serde_json::Value> = self
            .client
            .call(
                Method::PATCH,
                &keys_path(user_id),
                &Query::new(),
                Some(&body),
            )
            .await?;
        Ok(())
    }

    /// Deletes one key (`DELETE` with a JSON body).
    pub async fn delete_access_key(&self, user_id: u64, access_key: &str) -> Result<(), Error> {
        let body = serde_json::json!({ "access_key": access_key });
        let _: Option<serde_json::Value> = self
            .client
            .call(
                Method::DELETE,
                &keys_path(user_id),
                &Query::new(),
                Some(&body),
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_keys_read_in_both_shapes() {
        let user: User = serde_json::from_str(
            r#"{"id":3,"name":"s3user","access_keys":[
                {"access_key":"AK1","enabled":false,"creation_time":"t","tenant_id":1},
                ["AK2","enabled","local","2026-01-01T00:00:00Z"],
                {"access_key":"AK3","status":"disabled"}],"new_field":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(user.access_keys.len(), 3);
        assert_eq!(user.access_keys[0].access_key, "AK1");
        assert!(!user.access_keys[0].enabled);
        assert_eq!(user.access_keys[0].tenant_id, Some(1));
        assert_eq!(user.access_keys[1].access_key, "AK2");
        assert!(user.access_keys[1].enabled);
        assert!(!user.access_keys[2].enabled);
        assert!(user.extra.contains_key("new_field"));
    }

    #[test]
    fn key_pair_debug_hides_the_secret() {
        let pair: AccessKeyPair =
            serde_json::from_str(r#"{"access_key":"AKX","secret_key":"very-secret"}"#).unwrap();
        let shown = format!("{pair:?}");
        assert!(
            shown.contains("AKX") && !shown.contains("very-secret"),
            "{shown}"
        );
    }
}
