//! Health check: VMS reachable, cluster ONLINE, S3 reachable, every LSU writable.

use ost_model::OstError;

use super::Server;
use crate::types::{HealthCheck, HealthReport};

/// Key of the probe object written and removed in each LSU.
const PROBE_KEY: &str = "netbackup/.vast-ost-health-probe";

fn check(name: impl Into<String>, result: Result<String, OstError>) -> HealthCheck {
    match result {
        Ok(detail) => HealthCheck {
            name: name.into(),
            ok: true,
            detail,
        },
        Err(e) => HealthCheck {
            name: name.into(),
            ok: false,
            detail: e.to_string(),
        },
    }
}

impl Server {
    /// Runs every check; the report says which failed (the call itself only fails when the
    /// server is unusable for reasons outside the checks).
    pub(crate) async fn health(&self) -> Result<HealthReport, OstError> {
        let mut checks = Vec::new();
        let cluster = self.vms().cluster().await.map_err(crate::error::vms);
        checks.push(check(
            "vms",
            cluster
                .as_ref()
                .map(|c| format!("cluster {}", c.name))
                .map_err(Clone::clone),
        ));
        checks.push(check(
            "cluster",
            match &cluster {
                Ok(c) if c.is_online() => Ok("ONLINE".to_owned()),
                Ok(c) => Err(OstError::TryAgain {
                    cause: format!("state {}", c.state.as_deref().unwrap_or("unknown")),
                }),
                Err(e) => Err(e.clone()),
            },
        ));
        match self.list_lsus().await {
            Ok(lsus) => {
                checks.push(check("data", Ok(format!("{} LSU(s)", lsus.len()))));
                for lsu in lsus {
                    let probe = async {
                        self.store()
                            .put(&lsu, PROBE_KEY, b"ok".to_vec(), false)
                            .await?;
                        self.store().delete(&lsu, &[PROBE_KEY.to_owned()]).await?;
                        Ok("writable".to_owned())
                    };
                    checks.push(check(format!("lsu:{lsu}"), probe.await));
                }
            }
            Err(e) => checks.push(check("data", Err(e))),
        }
        Ok(HealthReport { checks })
    }
}
