//! Starting an in-process vast-sim and clients for it.
#![allow(dead_code)]

use std::time::Duration;

use tempfile::TempDir;
use vast_sim::{SimConfig, VastSim};
use vast_vms_client::{RetryPolicy, VmsClient};

/// A running simulator and the directory holding its state (removed on drop).
pub(crate) struct Harness {
    pub(crate) sim: VastSim,
    _dir: TempDir,
}

impl Harness {
    /// A simulator with default settings on free loopback ports.
    pub(crate) async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// A simulator with settings changed by `adjust`.
    pub(crate) async fn start_with(adjust: impl FnOnce(&mut SimConfig)) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut config = SimConfig::new(dir.path().join("sim"));
        adjust(&mut config);
        let sim = VastSim::start(config).await?;
        Ok(Self { sim, _dir: dir })
    }

    /// A JWT client logged in as the seeded admin, with quick retries.
    pub(crate) fn admin(&self) -> anyhow::Result<VmsClient> {
        let (user, password) = self.sim.admin_credentials();
        Ok(self.builder().password(user, password).build()?)
    }

    /// A builder for this simulator with quick retries and its CA certificate when TLS is on.
    pub(crate) fn builder(&self) -> vast_vms_client::ClientBuilder {
        let mut builder = VmsClient::builder(self.sim.vms_url()).retry(quick_retries(6));
        if let Some(ca) = self.sim.ca_cert_path() {
            builder = builder.ca_bundle(ca);
        }
        builder
    }

    /// The value of a simulator counter (0 if never counted).
    pub(crate) fn counter(&self, name: &str) -> u64 {
        self.sim.faults().stats().get(name).copied().unwrap_or(0)
    }
}

/// Retries with millisecond delays so fault tests stay fast.
pub(crate) fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}
