//! The VMS REST API face: a Django-REST-Framework-shaped API over one JSON state file.
//!
//! Paths are `/api/[v<N>/|latest/]<collection>/[<id>/][<action>/]`, with or without the trailing
//! slash. Auth is JWT (`/token/`, `/token/refresh/`), `Api-Token` (`/apitokens/`) or Basic; the
//! seeded super-admin may do everything, a local user with a VMS password only its self-service
//! calls (`/login/`, `/logout/`, `/s3keys/`); anything else is a 403 `permission_denied`.
//!
//! Collections: `clusters`, `vms`, `versions`, `tenants`, `viewpolicies`, `views` (a view with
//! the S3 protocol *is* a bucket: the object store's bucket appears and disappears with it),
//! `quotas`, `users` (+ `users/<id>/access_keys/`), `s3policies` (S3 identity policies,
//! which with bucket ownership decide S3 authorisation: `s3policies.rs`), `locals3keys`, `s3keys`, `apitokens`,
//! `vippools`, `events`, `alarms`, `vtasks` and `capacity`. See `shared/reference/vms-api.md`.
//!
//! **Simulator extension:** every `PROTOCOLS` VIP pool the simulator seeds carries
//! `vast_sim_s3_url`, the full URL (scheme, IP and port) of the S3 listener. A real cluster
//! serves S3 on ports 80/443 of the pool's IPs; the simulator's port is random, so clients
//! under test read it from this field.
//!
//! Lock discipline: the state mutex is never held while calling the [`DataPlane`], because the
//! object store calls back into [`ControlPlane`] while holding its own locks.

mod access_keys;
mod apitokens;
mod auth;
mod error;
mod events;
mod iam;
mod paths;
mod query;
mod quotas;
mod resources;
mod router;
mod s3policies;
mod schema;
mod store;
mod system;
mod tenancy;
mod values;
mod views;
mod worm;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hyper::body::Incoming;
use hyper::Request;

use crate::control::{AccessRequest, BucketUsage, ControlPlane, DataPlane, S3Identity};
use crate::faults::Faults;
use crate::http::{FaceFuture, Handler};
use crate::SimConfig;

use self::auth::Jwt;
use self::error::ApiError;
use self::store::{Db, StateFile};

/// Where the two faces listen, for self links and the PROTOCOLS VIP pool.
#[derive(Clone, Copy, Debug)]
pub struct Endpoints {
    /// The VMS listener.
    pub vms: SocketAddr,
    /// The S3 listener.
    pub s3: SocketAddr,
    /// Whether both faces speak HTTPS.
    pub tls: bool,
    /// How many S3 VIPs serve from `s3`'s address on (see [`crate::vips::vip_addresses`]).
    pub s3_vips: usize,
}

impl Endpoints {
    fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }
}

/// Why the VMS state could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum VmsError {
    /// Reading or writing the state file failed.
    #[error("VMS state: {0}")]
    State(String),
}

/// The cluster's control-plane state.
pub struct VmsState {
    config: SimConfig,
    endpoints: Endpoints,
    data: Arc<dyn DataPlane>,
    faults: Arc<Faults>,
    db: Mutex<Db>,
    /// One create, update or delete at a time, its object-store effects included (the `db`
    /// lock is let go around those): what VMS's database transaction gives, so a create that
    /// loses a race sees the winner committed, never a bucket whose view is not there yet.
    changes: Mutex<()>,
    file: StateFile,
    jwt: Jwt,
}

impl std::fmt::Debug for VmsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VmsState")
            .field("endpoints", &self.endpoints)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl VmsState {
    /// Loads (or seeds) the state in `config.data_dir`.
    pub fn open(
        config: &SimConfig,
        endpoints: Endpoints,
        data: Arc<dyn DataPlane>,
        faults: Arc<Faults>,
    ) -> Result<Arc<Self>, VmsError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| VmsError::State(format!("creating {}: {e}", config.data_dir.display())))?;
        let file = StateFile::new(&config.data_dir);
        let mut db = file.load()?.unwrap_or_default();
        system::seed(&mut db, config, &endpoints);
        file.save(&db)?;
        Ok(Arc::new(Self {
            config: config.clone(),
            endpoints,
            data,
            faults,
            db: Mutex::new(db),
            changes: Mutex::new(()),
            file,
            jwt: Jwt::new(config.access_token_ttl, config.refresh_token_ttl),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Held for the whole of one create, update or delete (see `changes`).
    fn one_change(&self) -> MutexGuard<'_, ()> {
        self.changes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Persists the state (call with the lock held, after a mutation).
    fn save(&self, db: &Db) -> Result<(), ApiError> {
        self.file
            .save(db)
            .map_err(|e| ApiError::internal(e.to_string()))
    }

    /// Bytes and objects of every bucket view, read from the object store without the lock.
    fn usage(&self) -> HashMap<String, BucketUsage> {
        let buckets = views::bucket_names(&self.lock());
        buckets
            .into_iter()
            .filter_map(|b| self.data.bucket_usage(&b).map(|u| (b, u)))
            .collect()
    }
}

impl ControlPlane for VmsState {
    fn s3_identity(&self, access_key: &str) -> Option<S3Identity> {
        access_keys::identity(&self.lock(), access_key)
    }

    fn bucket_hard_limit(&self, bucket: &str) -> Option<u64> {
        quotas::bucket_hard_limit(&self.lock(), bucket)
    }

    fn may_access(&self, identity: &S3Identity, request: &AccessRequest<'_>) -> bool {
        s3policies::may_access(&self.lock(), identity, request)
    }

    fn bucket_created_over_s3(&self, bucket: &str, owner: &S3Identity, locking: bool) {
        let mut db = self.lock();
        if views::record_s3_bucket(&mut db, &self.config, bucket, owner, locking) {
            if let Err(error) = self.file.save(&db) {
                tracing::error!(%error, "saving the VMS state");
            }
        }
    }

    fn bucket_deleted_over_s3(&self, bucket: &str) {
        let mut db = self.lock();
        if views::drop_s3_bucket(&mut db, &self.config, bucket) {
            if let Err(error) = self.file.save(&db) {
                tracing::error!(%error, "saving the VMS state");
            }
        }
    }
}

/// The VMS face's request handler.
pub fn handler(state: Arc<VmsState>) -> Handler {
    Arc::new(move |req: Request<Incoming>| -> FaceFuture {
        let state = state.clone();
        Box::pin(async move { Ok(router::serve(&state, req).await) })
    })
}
