//! `get_config` / `set_config` of an open server: both only consult the table of
//! [`crate::config::keys`].

use ost_model::OstError;

use super::Server;
use crate::config::keys::{self, Shown};

impl Server {
    /// A configuration value by its TOML key, as this server uses it (an unset key is the
    /// empty string); a secret is [`OstError::PermissionDenied`], never its value.
    pub(crate) fn get_config(&self, key: &str) -> Result<String, OstError> {
        let k = keys::server_key(key).ok_or_else(|| OstError::InvalidArgument {
            cause: format!("unknown configuration key {key:?}"),
        })?;
        match k.show(&self.config().resolved_for(&self.name)) {
            Shown::Value(v) => Ok(v.map(|v| v.to_string()).unwrap_or_default()),
            Shown::Secret { .. } => Err(OstError::PermissionDenied {
                cause: format!("{key}: secrets are never returned"),
            }),
        }
    }

    /// Changes a run-time settable key, in memory and for this process only; it takes effect
    /// from the next use (the LSU cache and the bandwidth limits at once, reads and writes opened from then on, an
    /// event channel from its next poll). Other keys are [`OstError::NotSupported`], naming
    /// the keys that are settable.
    pub(crate) fn set_config(&self, key: &str, value: &str) -> Result<(), OstError> {
        let set =
            keys::server_key(key)
                .and_then(|k| k.set)
                .ok_or_else(|| OstError::NotSupported {
                    cause: format!(
                        "configuration key {key:?} cannot be changed at run time (only {} can)",
                        keys::runtime_settable_keys()
                    ),
                })?;
        let mut c = self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let ttl = c.lsu_cache_ttl();
        set(&mut c, value).map_err(|why| OstError::InvalidArgument {
            cause: format!("{key} {why}"),
        })?;
        if c.lsu_cache_ttl() != ttl {
            // The LSU cache keeps its own lifetime (and forgets its answers when it changes).
            self.lsus.set_ttl(c.lsu_cache_ttl());
        }
        // The bandwidth limits apply at once, to requests waiting too.
        self.shared().bandwidth.configure(&c, None);
        drop(c);
        tracing::info!(key, value, "configuration changed");
        Ok(())
    }
}
