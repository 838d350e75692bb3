//! `/apitokens/` (VAST 5.3+): long-lived tokens a manager issues so that a service can call
//! VMS without its password (`Authorization: Api-Token <token>`, see
//! [`ClientBuilder::api_token`](crate::ClientBuilder::api_token)).

use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::VmsClient;
use crate::de::nullable;
use crate::error::Error;
use crate::query::Query;
use crate::secret::Secret;

/// One API token as listed (the token itself is shown only when it is issued).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ApiToken {
    /// Token id (a string on VMS).
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// Name given at creation.
    pub name: Option<String>,
    /// Manager (or user) the token acts as.
    pub owner: Option<String>,
    /// When it was issued.
    pub created: Option<String>,
    /// When it was last used.
    pub last_used: Option<String>,
    /// Expiry as set (`90d`, `1Y`, ...).
    pub expiry_date: Option<String>,
    /// Whether it was revoked.
    pub revoked: Option<bool>,
    /// When it was revoked.
    pub revocation_time: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Body of `POST /apitokens/`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NewApiToken {
    /// A name that says who uses the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Owner; VMS defaults it to the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Lifetime: an integer and a unit (`Y`, `M`, `w`, `d`, `h`, `m`, `s`), e.g. `365d`; VMS
    /// defaults it to (and caps it at) the password-expiration timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
}

impl NewApiToken {
    /// A token called `name`, owned by the caller, with VMS's default lifetime.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// Sets the lifetime (`365d`, `12M`, ...).
    pub fn expiring_in(mut self, expiry: impl Into<String>) -> Self {
        self.expiry_date = Some(expiry.into());
        self
    }

    /// Sets the owner (a manager name; default: the caller).
    pub fn owned_by(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }
}

/// Body of `PATCH /apitokens/<id>/`: what to change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ApiTokenChange {
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new lifetime from now (`365d`, `12M`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
}

impl ApiTokenChange {
    /// Renames the token.
    pub fn rename(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }
}

/// A freshly issued token. VMS shows it only once: keep it now.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IssuedApiToken {
    /// Token id (for revocation).
    pub id: String,
    /// The token (redacted in `Debug`).
    pub token: Secret,
}

/// The `/apitokens/` endpoint.
#[derive(Clone, Debug)]
pub struct ApiTokensApi {
    pub(crate) client: VmsClient,
}

impl ApiTokensApi {
    /// Active tokens, optionally only those of `owner`.
    pub async fn list(&self, owner: Option<&str>) -> Result<Vec<ApiToken>, Error> {
        let mut query = Query::new();
        if let Some(owner) = owner {
            query = query.filter("owner", owner);
        }
        self.client.list_all("apitokens/", &query).await
    }

    /// One token's properties.
    pub async fn get(&self, id: &str) -> Result<ApiToken, Error> {
        self.client
            .get_json(&format!("apitokens/{id}/"), &Query::new())
            .await
    }

    /// Issues a token (`POST /apitokens/`). Not retried: a lost answer would leave a token
    /// nobody knows (it expires, or an administrator revokes it). VMS answers 503 when the
    /// owner already holds its maximum (5 by default).
    pub async fn create(&self, new: &NewApiToken) -> Result<IssuedApiToken, Error> {
        self.client
            .call(Method::POST, "apitokens/", &Query::new(), Some(new))
            .await
    }

    /// Revokes a token (`PATCH /apitokens/<id>/revoke`). VMS answers a plain string, not the
    /// token: any 2xx answer is success; [`ApiTokensApi::get`] shows the revoked token.
    pub async fn revoke(&self, id: &str) -> Result<(), Error> {
        self.client
            .call_any_body(
                Method::PATCH,
                &format!("apitokens/{id}/revoke"),
                &Query::new(),
                None::<&()>,
            )
            .await
    }

    /// Renames a token or changes its lifetime (`PATCH /apitokens/<id>/`). VMS answers a
    /// plain string: any 2xx answer is success.
    pub async fn modify(&self, id: &str, change: &ApiTokenChange) -> Result<(), Error> {
        self.client
            .call_any_body(
                Method::PATCH,
                &format!("apitokens/{id}/"),
                &Query::new(),
                Some(change),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_token_debug_hides_the_token() {
        let issued: IssuedApiToken =
            serde_json::from_str(r#"{"id":"a1b2","token":"tok-very-secret"}"#).unwrap();
        let shown = format!("{issued:?}");
        assert!(
            shown.contains("a1b2") && !shown.contains("tok-very-secret"),
            "{shown}"
        );
    }

    #[test]
    fn new_token_sends_only_what_is_set() {
        let body =
            serde_json::to_value(NewApiToken::named("vast-ost").expiring_in("365d")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "vast-ost", "expiry_date": "365d"})
        );
    }
}
