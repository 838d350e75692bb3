//! [`Plugin`]'s OST calls on one kind of object. Storage servers: claim, open, properties, close.

use std::sync::Arc;

use ost_model::{CloseFlags, OstError, ServerName};

use super::{global, Plugin, Role};
use crate::handles::ServerId;
use crate::types::{Credentials, ServerProps};

impl Plugin {
    /// `stspi_claim`: `Ok` when `name` is a `vast://` server name, [`OstError::Claim`] otherwise.
    pub fn claim(&self, name: &str) -> Result<ServerName, OstError> {
        name.parse::<ServerName>().map_err(|e| OstError::claim(&e))
    }

    /// `stspi_open_server`: verifies the cluster is ONLINE, authenticates (NetBackup's
    /// credentials, else the configured ones), bootstraps tenant / S3 user / policy, reuses the
    /// stored S3 key (or issues one), builds the data path and, when configured, sweeps orphans.
    pub fn open_server(
        &self,
        name: &str,
        credentials: Option<Credentials>,
    ) -> Result<ServerId, OstError> {
        self.open_server_on(name, credentials, "")
    }

    /// [`Plugin::open_server`] with the `interfaces` string NetBackup passes: addresses
    /// separated by commas, semicolons or white space, used as the S3 endpoints when the
    /// server's `s3_vips = "interfaces"` (see [`parse_interfaces`]).
    pub fn open_server_on(
        &self,
        name: &str,
        credentials: Option<Credentials>,
        interfaces: &str,
    ) -> Result<ServerId, OstError> {
        let name = self.claim(name)?;
        let mut config = self.config.server(&name);
        config.interfaces = parse_interfaces(interfaces);
        self.open_with(name, config, credentials)
    }

    fn open_with(
        &self,
        name: ServerName,
        config: crate::config::ServerConfig,
        credentials: Option<Credentials>,
    ) -> Result<ServerId, OstError> {
        let params = (self.role != Role::Own).then(|| global::OpenParams {
            name: name.clone(),
            credentials: credentials.clone(),
            interfaces: config.interfaces.clone(),
        });
        let server = self.open_on_runtime(name, config, credentials)?;
        let id = self.servers.insert(server);
        if let Some(params) = params {
            global::record_open(id, params);
        }
        Ok(id)
    }

    /// `stspi_get_server_prop`.
    pub fn server_props(&self, server: ServerId) -> Result<ServerProps, OstError> {
        self.on_server(server, None, async |s| s.props().await)
    }

    /// `stspi_get_server_prop_byname`: answered by an open server of that name, else by
    /// opening one for the call with `credentials` (or the configured ones).
    pub fn server_props_by_name(
        &self,
        name: &str,
        credentials: Option<Credentials>,
    ) -> Result<ServerProps, OstError> {
        let parsed = self.claim(name)?;
        if let Some(s) = self.servers.find(|s| s.name() == &parsed) {
            return self.block_on(s.props());
        }
        // A short open for one answer: no orphan sweep.
        let mut config = self.config.server(&parsed);
        config.sweep_on_open = false;
        let id = self.open_with(parsed, config, credentials)?;
        let props = self.server_props(id);
        if let Err(e) = self.close_server(id) {
            tracing::warn!(error = %e, "closing a server opened for its properties failed");
        }
        props
    }

    /// `stspi_close_server`: logs out of VMS. Images still open on it are closed incomplete.
    /// In a forked child, a server of the parent's that the child never used is only
    /// forgotten: the VMS session is the parent's.
    pub fn close_server(&self, server: ServerId) -> Result<(), OstError> {
        let removed = self.servers.remove(server);
        if self.role != Role::Own {
            let inherited = removed.is_err() && self.server_name(server).is_some();
            global::forget_open(server);
            if inherited {
                return Ok(());
            }
        }
        let s = removed?;
        let images = self.images.remove_where(|h| Arc::ptr_eq(h.server(), &s));
        self.block_on(async {
            for image in images {
                if let Err(e) = image.close(CloseFlags::IH_INCOMPLETE).await {
                    tracing::warn!(error = %e, "closing an image left open at close_server failed");
                }
            }
            s.close().await;
            Ok(())
        })
    }
}

/// The addresses in NetBackup's `interfaces` string: separated by commas, semicolons or white
/// space, empty pieces dropped.
pub(crate) fn parse_interfaces(interfaces: &str) -> Vec<String> {
    interfaces
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_interfaces;

    #[test]
    fn interfaces_split_on_commas_semicolons_and_spaces() {
        assert_eq!(
            parse_interfaces(" 10.0.0.1,10.0.0.2 ; fd00::3\tvip4.example "),
            ["10.0.0.1", "10.0.0.2", "fd00::3", "vip4.example"]
        );
        assert!(parse_interfaces("").is_empty());
        assert!(parse_interfaces(" , ;").is_empty());
    }
}
