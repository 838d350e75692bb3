//! The steps of opening a storage server, each a named async function with a typed result, in
//! the order [`Server::open`](super::Server::open) chains them:
//!
//! 1. [`connect_vms`]: credentials (API token, NetBackup's, or the configured ones), the VMS
//!    client (URL, timeouts, TLS trust) and proof that VMS accepts them.
//! 2. [`verify_cluster`]: the cluster is ONLINE.
//! 3. [`ensure_identity`]: the plugin's tenant, S3 user and view policy exist (created when
//!    missing); on S3 also this media server's S3 user with the plugin's identity policy
//!    attached (`media_server.rs`).
//! 4. [`obtain_data_key`]: the stored S3 key of the media server's user, reused or issued (S3
//!    data path only).
//! 5. [`build_data_store`]: the S3 endpoint (configured or resolved from a VIP pool) and client,
//!    or the NFS root; on S3 with its [`CapabilityGate`] (`capabilities.rs`: conditional
//!    create and checksums, from the state-dir cache or probed before the first write) and the
//!    quota check of ambiguous write refusals (`store::refusal`).
//! 6. [`LsuOwner::ensure_lsus`]: the LSUs, the default one created when there is none (run at
//!    the first LSU listing, not at open).
//!
//! `vast-ost check` (`super::check`) runs these very functions and adds only its probes (DNS,
//! TCP, TLS, S3 reachability, a probe object) and hints, so each step's logic exists once.

mod capabilities;
mod data_path;
mod identity;
mod lsus;
mod media_server;
mod vms;

pub(crate) use capabilities::{CapabilityGate, ClusterKey, PROBE_PREFIX};
pub(crate) use data_path::{build_data_store, DataPath, DataPathError, GateScope, VipRefresh};
pub(crate) use identity::{ensure_identity, obtain_data_key, DataKey, Identity};
pub(crate) use lsus::LsuOwner;
pub(crate) use vms::{connect_vms, verify_cluster, ClusterError, ConnectError, VmsSession};
