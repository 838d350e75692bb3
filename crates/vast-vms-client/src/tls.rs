//! TLS settings for the VMS connection: system roots, a PEM CA bundle, or (loudly) no checks;
//! the behaviour is `vast-tls`'s, shared with the S3 data path.

use std::path::PathBuf;

use hyper_rustls::builderstates::WantsSchemes;
use hyper_rustls::HttpsConnectorBuilder as ConnectorBuilder;
use vast_tls::Trust;

use crate::error::Error;

/// How the VMS certificate is checked, the same way as the S3 data path (`vast-tls`): by
/// default against the system's roots (Mozilla's built-in roots when the system has none);
/// with `ca_bundle`, against that PEM file only; with `insecure`, not at all, with a warning
/// logged every time a client is built.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// A PEM file of CA certificates to trust instead of the system roots (e.g. the cluster's
    /// self-signed certificate).
    pub ca_bundle: Option<PathBuf>,
    /// Accept any certificate (wins over `ca_bundle`). Dangerous: anyone on the path can read
    /// the credentials.
    pub insecure: bool,
}

/// The HTTPS connector builder for `options`.
pub(crate) fn connector_builder(
    options: &TlsOptions,
) -> Result<ConnectorBuilder<WantsSchemes>, Error> {
    let pem;
    let origin;
    let trust = if options.insecure {
        Trust::Insecure
    } else if let Some(path) = &options.ca_bundle {
        pem = std::fs::read(path)
            .map_err(|e| Error::Config(format!("CA bundle {}: {e}", path.display())))?;
        origin = path.display().to_string();
        Trust::CaBundle {
            pem: &pem,
            origin: &origin,
        }
    } else {
        Trust::SystemRoots
    };
    let config = vast_tls::client_config(trust, "VMS").map_err(|e| Error::Config(e.to_string()))?;
    Ok(ConnectorBuilder::new().with_tls_config(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_bundle_is_a_config_error() {
        let options = TlsOptions {
            ca_bundle: Some(PathBuf::from("/nonexistent/ca.pem")),
            insecure: false,
        };
        let Err(err) = connector_builder(&options) else {
            panic!("a missing bundle must fail");
        };
        assert!(
            matches!(err, Error::Config(ref m) if m.contains("/nonexistent/ca.pem")),
            "{err}"
        );
    }

    #[test]
    fn bundle_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let options = TlsOptions {
            ca_bundle: Some(path),
            insecure: false,
        };
        assert!(matches!(connector_builder(&options), Err(Error::Config(_))));
    }

    #[test]
    fn default_and_insecure_configs_build() {
        assert!(connector_builder(&TlsOptions::default()).is_ok());
        let insecure = TlsOptions {
            ca_bundle: None,
            insecure: true,
        };
        assert!(connector_builder(&insecure).is_ok());
    }
}
