//! Provisioning helpers that follow VAST's own sequence (the COSI bucket provisioner): ensure
//! the user, find the S3 policy, ensure the bucket view, pick an endpoint, issue keys. Every
//! `ensure_*` is idempotent: a second run finds what the first created and changes nothing.

use http::Method;

use crate::client::VmsClient;
use crate::error::{Call, Error};
use crate::query::Query;
use crate::resources::users::AccessKeyPair;
use crate::resources::view_policies::NewViewPolicy;
use crate::resources::views::NewView;
use crate::resources::{
    NewS3Policy, NewTenant, NewUser, S3Policy, S3PolicyPatch, Tenant, User, View, ViewPolicy,
};
use crate::rules::ApiProfile;

/// Name of VAST's built-in S3 view policy (matched case-insensitively).
pub const S3_DEFAULT_POLICY: &str = "s3_default_policy";

/// Range VAST's provisioner draws S3 users' uids from.
const UID_RANGE: std::ops::Range<u64> = 50_000..60_000;

/// What an `ensure_*` call found.
#[derive(Clone, Debug, PartialEq)]
pub enum Ensured<T> {
    /// It already existed and was left alone.
    Existing(T),
    /// It was created by this call.
    Created(T),
}

impl<T> Ensured<T> {
    /// The object, however it came about.
    pub fn into_inner(self) -> T {
        match self {
            Ensured::Existing(t) | Ensured::Created(t) => t,
        }
    }

    /// The object, borrowed.
    pub fn get(&self) -> &T {
        match self {
            Ensured::Existing(t) | Ensured::Created(t) => t,
        }
    }

    /// Whether this call created it.
    pub fn was_created(&self) -> bool {
        matches!(self, Ensured::Created(_))
    }
}

/// The S3 user to ensure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct S3UserSpec {
    /// User name (the bucket owner).
    pub name: String,
    /// Tenant the user is for (used for its S3 keys; a user belongs to a tenant through its
    /// local provider).
    pub tenant_id: Option<u64>,
    /// The tenant's local provider, where the user is created (required from VAST 5.5).
    pub local_provider_id: Option<u64>,
    /// uid; a random one in 50000..60000 when `None`, as VAST's provisioner does.
    pub uid: Option<u64>,
}

impl S3UserSpec {
    /// A user called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// In tenant `tenant_id`.
    #[must_use]
    pub fn in_tenant(mut self, tenant_id: u64) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    /// In `tenant`: its id, and its local provider when it shows one.
    #[must_use]
    pub fn for_tenant(mut self, tenant: &Tenant) -> Self {
        self.tenant_id = Some(tenant.id);
        self.local_provider_id = tenant.local_provider();
        self
    }

    /// In `tenant` under the rules of `profile`: [`S3UserSpec::for_tenant`], failing with
    /// [`Error::Missing`] when the release creates local users only in a provider
    /// ([`ApiProfile::user_requires_local_provider`]) and the tenant shows none.
    pub fn for_tenant_under(self, tenant: &Tenant, profile: ApiProfile) -> Result<Self, Error> {
        let spec = self.for_tenant(tenant);
        if spec.local_provider_id.is_none() && profile.user_requires_local_provider() {
            return Err(Error::Missing {
                call: Call::new(&Method::GET, &format!("tenants/{}/", tenant.id), Some(200)),
                what: format!(
                    "tenant {:?} has no local provider, and VAST {} creates local users only \
                     in one: assign a local provider to the tenant",
                    tenant.name,
                    profile.release()
                ),
            });
        }
        Ok(spec)
    }
}

/// What [`Bootstrap::ensure_identity_policy`] found.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EnsuredPolicy {
    /// The policy, as found, created or restored.
    pub policy: Ensured<S3Policy>,
    /// It existed with another document or disabled, and was put back.
    pub restored: bool,
}

/// What [`Bootstrap::ensure_policy_user`] found.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EnsuredPolicyUser {
    /// The user, as found or created (with the policy attached).
    pub user: Ensured<User>,
    /// It existed without the policy, which was attached now.
    pub attached: bool,
}

/// The bucket view to ensure.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BucketSpec {
    /// Bucket name (unique cluster-wide).
    pub bucket: String,
    /// Element Store path of its directory, e.g. `/nbu/<bucket>`.
    pub path: String,
    /// Owner's user name.
    pub owner: String,
    /// S3_NATIVE view policy.
    pub policy_id: u64,
    /// Tenant.
    pub tenant_id: Option<u64>,
    /// A WORM view (S3 object lock, see [`NewView::worm`]).
    pub worm: bool,
}

impl BucketSpec {
    /// Bucket `bucket` at `path`, owned by `owner`, under policy `policy_id`.
    pub fn new(
        bucket: impl Into<String>,
        path: impl Into<String>,
        owner: impl Into<String>,
        policy_id: u64,
    ) -> Self {
        Self {
            bucket: bucket.into(),
            path: path.into(),
            owner: owner.into(),
            policy_id,
            tenant_id: None,
            worm: false,
        }
    }

    /// As a WORM view (S3 object lock).
    #[must_use]
    pub fn worm(mut self) -> Self {
        self.worm = true;
        self
    }

    /// In tenant `tenant_id`.
    #[must_use]
    pub fn in_tenant(mut self, tenant_id: u64) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }
}

/// Which S3 endpoint to resolve.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointSpec {
    /// VIP pool name; any enabled PROTOCOLS pool when `None`.
    pub pool: Option<String>,
    /// `https://` (port 443) rather than `http://` (port 80).
    pub https: bool,
    /// Port other than the scheme's default.
    pub port: Option<u16>,
    /// Only pools open to this tenant (dedicated to it or to none).
    pub tenant_id: Option<u64>,
}

impl EndpointSpec {
    /// Any enabled PROTOCOLS pool, plain HTTP on port 80.
    pub fn new() -> Self {
        Self::default()
    }

    /// The S3 endpoint URL of `address` (an IP, IPv6 in brackets, or a host name) with this
    /// spec's scheme and port.
    pub fn url_for(&self, address: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let host = if address.contains(':') && !address.starts_with('[') {
            format!("[{address}]")
        } else {
            address.to_owned()
        };
        match self.port {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        }
    }

    /// Only the pool called `name`.
    #[must_use]
    pub fn pool(mut self, name: impl Into<String>) -> Self {
        self.pool = Some(name.into());
        self
    }

    /// HTTPS (port 443 unless [`EndpointSpec::port`] says otherwise).
    #[must_use]
    pub fn https(mut self) -> Self {
        self.https = true;
        self
    }

    /// A port other than the scheme's default.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Only pools open to tenant `tenant_id`.
    #[must_use]
    pub fn for_tenant(mut self, tenant_id: u64) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }
}

/// An S3 endpoint on a PROTOCOLS VIP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Endpoint {
    /// `http(s)://<vip>[:port]`.
    pub url: String,
    /// The VIP chosen.
    pub address: String,
    /// The pool it belongs to.
    pub pool: String,
}

/// The provisioning helpers; obtained with [`VmsClient::bootstrap`].
#[derive(Clone, Debug)]
pub struct Bootstrap {
    client: VmsClient,
}

impl VmsClient {
    /// Provisioning helpers (tenant, S3 user, policy, bucket view, keys, endpoint).
    pub fn bootstrap(&self) -> Bootstrap {
        Bootstrap {
            client: self.clone(),
        }
    }
}

impl Bootstrap {
    /// The tenant `name`, created if missing.
    pub async fn ensure_tenant(&self, name: &str) -> Result<Ensured<Tenant>, Error> {
        let tenants = self.client.tenants();
        if let Some(found) = tenants.by_name(name).await? {
            return Ok(Ensured::Existing(found));
        }
        let created = tenants.create(&NewTenant::new(name)).await;
        settle(created, || tenants.by_name(name)).await
    }

    /// The S3 user `spec.name`, created if missing with `allow_create_bucket` and
    /// `allow_delete_bucket` (step 1 of VAST's sequence), in `spec.local_provider_id` (send
    /// the tenant's: VAST 5.5 requires it, see [`S3UserSpec::for_tenant`]).
    pub async fn ensure_s3_user(&self, spec: &S3UserSpec) -> Result<Ensured<User>, Error> {
        let users = self.client.users();
        let provider = spec.local_provider_id;
        if let Some(found) = users.by_name_in(&spec.name, provider).await? {
            return Ok(Ensured::Existing(found));
        }
        let new = NewUser {
            name: spec.name.clone(),
            uid: Some(spec.uid.unwrap_or_else(|| rand::random_range(UID_RANGE))),
            allow_create_bucket: Some(true),
            allow_delete_bucket: Some(true),
            local_provider_id: provider,
            password: None,
            s3_policies_ids: None,
        };
        let created = users.create(&new).await;
        settle(created, || users.by_name_in(&spec.name, provider)).await
    }

    /// The S3_NATIVE policy `name` (step 2), created if missing. Pass [`S3_DEFAULT_POLICY`]
    /// to use VAST's built-in one.
    pub async fn ensure_s3_policy(
        &self,
        name: &str,
        tenant_id: Option<u64>,
    ) -> Result<Ensured<ViewPolicy>, Error> {
        let policies = self.client.view_policies();
        if let Some(found) = policies.by_name(name, tenant_id).await? {
            return Ok(Ensured::Existing(found));
        }
        let created = policies.create(&NewViewPolicy::s3(name, tenant_id)).await;
        settle(created, || policies.by_name(name, tenant_id)).await
    }

    /// The S3 identity policy `name` of tenant `tenant_id` with the JSON document `document`:
    /// created when missing; one that exists with another document (compared as JSON) or
    /// disabled is put back to `document`, enabled (the caller owns the policy by its name).
    pub async fn ensure_identity_policy(
        &self,
        name: &str,
        document: &str,
        tenant_id: u64,
    ) -> Result<EnsuredPolicy, Error> {
        let policies = self.client.s3_policies();
        let found = match policies.by_name(name, Some(tenant_id)).await? {
            Some(found) => found,
            None => {
                let new = NewS3Policy::new(name, document, Some(tenant_id));
                let created = policies.create(&new).await;
                match settle(created, || policies.by_name(name, Some(tenant_id))).await? {
                    Ensured::Created(p) => {
                        return Ok(EnsuredPolicy {
                            policy: Ensured::Created(p),
                            restored: false,
                        })
                    }
                    Ensured::Existing(p) => p,
                }
            }
        };
        if found.is_enabled() && same_document(&found.policy, document) {
            return Ok(EnsuredPolicy {
                policy: Ensured::Existing(found),
                restored: false,
            });
        }
        let path = format!("s3policies/{}/", found.id);
        let _: Option<serde_json::Value> = self
            .client
            .call(
                Method::PATCH,
                &path,
                &Query::new(),
                Some(&S3PolicyPatch::restore(document)),
            )
            .await?;
        Ok(EnsuredPolicy {
            policy: Ensured::Existing(policies.get(found.id).await?),
            restored: true,
        })
    }

    /// The S3 user `spec.name` with S3 identity policy `policy_id` attached: created with it
    /// when missing (without `allow_create_bucket` / `allow_delete_bucket`: its rights come
    /// from the policy), or the policy added to the user's `s3_policies_ids` (the others kept)
    /// when it is not attached.
    pub async fn ensure_policy_user(
        &self,
        spec: &S3UserSpec,
        policy_id: u64,
    ) -> Result<EnsuredPolicyUser, Error> {
        let users = self.client.users();
        let provider = spec.local_provider_id;
        let found = match users.by_name_in(&spec.name, provider).await? {
            Some(found) => found,
            None => {
                let new = NewUser {
                    name: spec.name.clone(),
                    uid: Some(spec.uid.unwrap_or_else(|| rand::random_range(UID_RANGE))),
                    local_provider_id: provider,
                    s3_policies_ids: Some(vec![policy_id]),
                    ..NewUser::default()
                };
                let created = users.create(&new).await;
                match settle(created, || users.by_name_in(&spec.name, provider)).await? {
                    Ensured::Created(u) => {
                        return Ok(EnsuredPolicyUser {
                            user: Ensured::Created(u),
                            attached: false,
                        })
                    }
                    Ensured::Existing(u) => u,
                }
            }
        };
        if found.has_s3_policy(policy_id) {
            return Ok(EnsuredPolicyUser {
                user: Ensured::Existing(found),
                attached: false,
            });
        }
        let mut ids = found.s3_policy_ids();
        ids.push(policy_id);
        let patch = serde_json::json!({ "s3_policies_ids": ids });
        let _: Option<serde_json::Value> = self
            .client
            .call(
                Method::PATCH,
                &format!("users/{}/", found.id),
                &Query::new(),
                Some(&patch),
            )
            .await?;
        Ok(EnsuredPolicyUser {
            user: Ensured::Existing(users.get(found.id).await?),
            attached: true,
        })
    }

    /// The bucket view for `spec` (step 3), created if missing. An existing view for the same
    /// bucket is left as it is when it serves S3 and has the same owner; otherwise the bucket
    /// name is taken and this fails with [`Error::Conflict`].
    pub async fn ensure_bucket_view(&self, spec: &BucketSpec) -> Result<Ensured<View>, Error> {
        let views = self.client.views();
        if let Some(found) = views.by_bucket(&spec.bucket).await? {
            return check_bucket(found, spec).map(Ensured::Existing);
        }
        let mut new = NewView::bucket(&spec.bucket, &spec.path, &spec.owner, spec.policy_id);
        if spec.worm {
            new = new.worm();
        }
        new.tenant_id = spec.tenant_id;
        let created = views.create(&new).await;
        match settle(created, || views.by_bucket(&spec.bucket)).await? {
            Ensured::Existing(view) => check_bucket(view, spec).map(Ensured::Existing),
            created => Ok(created),
        }
    }

    /// Issues an S3 key pair for the user (step 5). The secret is only in the answer.
    pub async fn issue_access_key(
        &self,
        user_id: u64,
        tenant_id: Option<u64>,
    ) -> Result<AccessKeyPair, Error> {
        self.client
            .users()
            .create_access_key(user_id, tenant_id)
            .await
    }

    /// Deletes a key; a key that is already gone counts as revoked.
    pub async fn revoke_access_key(&self, user_id: u64, access_key: &str) -> Result<(), Error> {
        match self
            .client
            .users()
            .delete_access_key(user_id, access_key)
            .await
        {
            Err(err) if err.is_not_found() => Ok(()),
            other => other,
        }
    }

    /// Picks an S3 endpoint: a random VIP of the named (or any enabled) PROTOCOLS pool
    /// (step 4); one pick from [`Bootstrap::resolve_s3_endpoints`].
    pub async fn resolve_s3_endpoint(&self, spec: &EndpointSpec) -> Result<S3Endpoint, Error> {
        let all = self.resolve_s3_endpoints(spec).await?;
        let index = rand::random_range(0..all.len());
        all.into_iter().nth(index).ok_or_else(|| no_pool(spec))
    }

    /// Every S3 endpoint of the named (or every enabled) PROTOCOLS pool open to the spec's
    /// tenant: one per VIP (a VAST cluster serves S3 on all of them, one CNode each), in the
    /// pools' order, duplicates dropped. Never empty: no usable VIP is [`Error::Missing`].
    pub async fn resolve_s3_endpoints(
        &self,
        spec: &EndpointSpec,
    ) -> Result<Vec<S3Endpoint>, Error> {
        let pools = self.client.vip_pools();
        let candidates = match &spec.pool {
            Some(name) => pools.by_name(name).await?.into_iter().collect::<Vec<_>>(),
            None => pools.protocols().await?,
        };
        let mut out: Vec<S3Endpoint> = Vec::new();
        for pool in candidates
            .into_iter()
            .filter(|p| p.is_protocols() && p.is_enabled())
            .filter(|p| {
                spec.tenant_id
                    .is_none_or(|t| p.tenant_id.is_none_or(|pt| pt == t))
            })
        {
            for address in pool.addresses() {
                if out.iter().any(|e| e.address == address) {
                    continue;
                }
                out.push(S3Endpoint {
                    url: spec.url_for(&address),
                    address,
                    pool: pool.name.clone(),
                });
            }
        }
        if out.is_empty() {
            return Err(no_pool(spec));
        }
        Ok(out)
    }

    /// Every view of the cluster that serves S3 for `owner`.
    pub async fn buckets_of(&self, owner: &str) -> Result<Vec<View>, Error> {
        let views = self
            .client
            .views()
            .list(&Query::new().filter("bucket_owner", owner))
            .await?;
        Ok(views
            .into_iter()
            .filter(|v| v.is_bucket() && v.bucket_owner.as_deref() == Some(owner))
            .collect())
    }
}

/// Waits before each lookup of a create that lost a race, in milliseconds: a VMS that answers
/// "already exists" before the winner's object is listed gets a moment (under 2 s in all).
const SETTLE_LOOKUPS_MS: [u64; 4] = [0, 250, 500, 1000];

/// Turns a create that lost a race (another caller created the same object between our
/// lookup and our POST) into `Existing`.
async fn settle<T, F, Fut>(created: Result<T, Error>, lookup: F) -> Result<Ensured<T>, Error>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, Error>>,
{
    match created {
        Ok(t) => Ok(Ensured::Created(t)),
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            for wait in SETTLE_LOOKUPS_MS {
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                if let Some(found) = lookup().await? {
                    return Ok(Ensured::Existing(found));
                }
            }
            Err(err)
        }
        Err(err) => Err(err),
    }
}

/// Whether two policy documents say the same (compared as JSON, so VMS may reformat).
fn same_document(stored: &str, wanted: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(stored),
        serde_json::from_str::<serde_json::Value>(wanted),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => stored == wanted,
    }
}

fn check_bucket(view: View, spec: &BucketSpec) -> Result<View, Error> {
    let same_owner = view.bucket_owner.as_deref() == Some(spec.owner.as_str());
    if spec.worm && view.is_bucket() && same_owner && view.locking != Some(true) {
        return Err(Error::Conflict {
            call: Call::new(
                &Method::GET,
                &format!("views/?bucket={}", spec.bucket),
                Some(200),
            ),
            code: Some("bucket_not_worm".to_owned()),
            detail: format!(
                "bucket {:?} already exists as view {} without WORM locking",
                spec.bucket, view.id
            ),
        });
    }
    if view.is_bucket() && same_owner {
        return Ok(view);
    }
    Err(Error::Conflict {
        call: Call::new(
            &Method::GET,
            &format!("views/?bucket={}", spec.bucket),
            Some(200),
        ),
        code: Some("bucket_taken".to_owned()),
        detail: format!(
            "bucket {:?} already exists as view {} at {} owned by {:?}",
            spec.bucket,
            view.id,
            view.path,
            view.bucket_owner.as_deref().unwrap_or("nobody")
        ),
    })
}

fn no_pool(spec: &EndpointSpec) -> Error {
    let what = match &spec.pool {
        Some(name) => format!("no enabled PROTOCOLS VIP pool named {name:?} with addresses"),
        None => "no enabled PROTOCOLS VIP pool with addresses".to_owned(),
    };
    Error::Missing {
        call: Call::new(&Method::GET, "vippools/", Some(200)),
        what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn lost_race() -> Error {
        Error::Validation {
            call: Call::new(&Method::POST, "views/", Some(400)),
            detail: None,
            fields: BTreeMap::from([(
                "bucket".to_owned(),
                vec!["Bucket b already exists.".to_owned()],
            )]),
        }
    }

    #[tokio::test]
    async fn a_lost_create_waits_for_the_winners_object_to_be_listed() {
        let lookups = AtomicUsize::new(0);
        let lookup = || async {
            // Listed only from the third lookup on.
            Ok((lookups.fetch_add(1, Ordering::SeqCst) >= 2).then_some("winner"))
        };
        let settled = settle(Err::<&str, _>(lost_race()), lookup).await.unwrap();
        assert!(matches!(settled, Ensured::Existing("winner")));
        assert_eq!(lookups.load(Ordering::SeqCst), 3);

        // Never listed: the create's own error, after every lookup.
        let lookups = AtomicUsize::new(0);
        let never = || async {
            lookups.fetch_add(1, Ordering::SeqCst);
            Ok(None::<&str>)
        };
        let err = settle(Err::<&str, _>(lost_race()), never)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "{err}");
        assert_eq!(lookups.load(Ordering::SeqCst), SETTLE_LOOKUPS_MS.len());
    }
}
