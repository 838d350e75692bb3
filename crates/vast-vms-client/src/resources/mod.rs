//! Typed VMS resources. Every model tolerates unknown fields (kept in `extra`) and missing or
//! `null` ones (left at their default).

pub mod alarms;
pub mod api_tokens;
pub mod capacity;
pub mod clusters;
pub mod collection;
pub mod events;
pub mod local_providers;
pub mod managers;
pub mod quotas;
pub mod s3_policies;
#[cfg(test)]
mod schema_shapes;
pub mod tenants;
pub mod users;
pub mod view_policies;
pub mod views;
pub mod vippools;
pub mod vms;
pub mod vtasks;

pub use alarms::{Alarm, AlarmQuery};
pub use api_tokens::{ApiToken, ApiTokenChange, ApiTokensApi, IssuedApiToken, NewApiToken};
pub use capacity::{Capacity, CapacityApi, CapacityKind, CapacityQuery};
pub use clusters::Cluster;
pub use collection::{Collection, Creatable, Mutable, Resource};
pub use events::{Event, EventQuery};
pub use local_providers::{LocalProvider, LocalProviderRef};
pub use managers::Manager;
pub use quotas::{NewQuota, Quota, QuotaPatch};
pub use s3_policies::{NewS3Policy, S3Policy, S3PolicyPatch};
pub use tenants::{NewTenant, Tenant};
pub use users::{AccessKey, AccessKeyPair, NewUser, S3PolicyRef, User};
pub use view_policies::{NewViewPolicy, ViewPolicy};
pub use views::{NewView, View};
pub use vippools::VipPool;
pub use vms::Vms;
pub use vtasks::{TaskOutcome, TaskRef, VTask};

use crate::client::VmsClient;
use crate::error::Error;
use crate::query::Query;

impl VmsClient {
    /// `/clusters/`.
    pub fn clusters(&self) -> Collection<Cluster> {
        Collection::new(self.clone())
    }

    /// The cluster (the first and only entry of `/clusters/`).
    pub async fn cluster(&self) -> Result<Cluster, Error> {
        let found = self.clusters().first(&Query::new()).await?;
        found.ok_or_else(|| Error::Missing {
            call: crate::error::Call::new(&http::Method::GET, "clusters/", Some(200)),
            what: "VMS lists no cluster".to_owned(),
        })
    }

    /// `/vms/`.
    pub fn vms(&self) -> Collection<Vms> {
        Collection::new(self.clone())
    }

    /// `/tenants/`.
    pub fn tenants(&self) -> Collection<Tenant> {
        Collection::new(self.clone())
    }

    /// `/localproviders/`.
    pub fn local_providers(&self) -> Collection<LocalProvider> {
        Collection::new(self.clone())
    }

    /// `/viewpolicies/`.
    pub fn view_policies(&self) -> Collection<ViewPolicy> {
        Collection::new(self.clone())
    }

    /// `/views/` (buckets included).
    pub fn views(&self) -> Collection<View> {
        Collection::new(self.clone())
    }

    /// `/quotas/`.
    pub fn quotas(&self) -> Collection<Quota> {
        Collection::new(self.clone())
    }

    /// `/users/` and their access keys.
    pub fn users(&self) -> Collection<User> {
        Collection::new(self.clone())
    }

    /// `/s3policies/` (S3 identity policies).
    pub fn s3_policies(&self) -> Collection<S3Policy> {
        Collection::new(self.clone())
    }

    /// `/vippools/`.
    pub fn vip_pools(&self) -> Collection<VipPool> {
        Collection::new(self.clone())
    }

    /// `/events/`.
    pub fn events(&self) -> Collection<Event> {
        Collection::new(self.clone())
    }

    /// `/alarms/`.
    pub fn alarms(&self) -> Collection<Alarm> {
        Collection::new(self.clone())
    }

    /// `/vtasks/`.
    pub fn vtasks(&self) -> Collection<VTask> {
        Collection::new(self.clone())
    }

    /// `/capacity/`.
    pub fn capacity(&self) -> CapacityApi {
        CapacityApi {
            client: self.clone(),
        }
    }

    /// `/apitokens/`.
    pub fn api_tokens(&self) -> ApiTokensApi {
        ApiTokensApi {
            client: self.clone(),
        }
    }

    /// The manager the client is authenticated as (`GET /login/`).
    pub async fn whoami(&self) -> Result<Manager, Error> {
        self.get_json("login/", &Query::new()).await
    }
}
