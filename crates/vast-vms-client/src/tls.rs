//! TLS settings for the VMS connection: system roots, a PEM CA bundle, or (loudly) no checks.

use std::path::PathBuf;
use std::sync::Arc;

use hyper_rustls::builderstates::WantsSchemes;
use hyper_rustls::HttpsConnectorBuilder as ConnectorBuilder;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::Error;

/// How the VMS certificate is checked. The default verifies it against the system's roots (or
/// Mozilla's, when the system has none).
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// A PEM file of CA certificates to trust instead of the system roots (e.g. the cluster's
    /// self-signed certificate).
    pub ca_bundle: Option<PathBuf>,
    /// Accept any certificate. Dangerous: anyone on the path can read the credentials. A warning
    /// is logged every time a client is built with it.
    pub insecure: bool,
}

/// The HTTPS connector builder for `options`, always on the aws-lc-rs provider.
pub(crate) fn connector_builder(
    options: &TlsOptions,
) -> Result<ConnectorBuilder<WantsSchemes>, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ConnectorBuilder::new();
    if options.insecure {
        tracing::warn!(
            "TLS certificate verification is OFF for the VMS connection (insecure mode): \
             credentials can be intercepted; use a CA bundle instead"
        );
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
            .with_no_client_auth();
        return Ok(builder.with_tls_config(config));
    }
    if let Some(path) = &options.ca_bundle {
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_root_certificates(bundle_roots(path)?)
            .with_no_client_auth();
        return Ok(builder.with_tls_config(config));
    }
    match builder.with_provider_and_native_roots(provider.clone()) {
        Ok(builder) => Ok(builder),
        Err(err) => {
            tracing::debug!("no usable system CA certificates ({err}); using the Mozilla roots");
            ConnectorBuilder::new()
                .with_provider_and_webpki_roots(provider)
                .map_err(tls_error)
        }
    }
}

fn tls_error(err: impl std::fmt::Display) -> Error {
    Error::Config(format!("TLS setup: {err}"))
}

fn bundle_roots(path: &PathBuf) -> Result<RootCertStore, Error> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::Config(format!("CA bundle {}: {e}", path.display())))?;
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(Error::Config(format!(
            "CA bundle {} holds no usable certificate",
            path.display()
        )));
    }
    Ok(roots)
}

/// Accepts every certificate but still checks handshake signatures (so the session keys are
/// the peer's), for `insecure` mode only.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
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
