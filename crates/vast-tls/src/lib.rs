//! The TLS trust of the VAST clients: how `vast-vms-client` and `vast-s3-data` check a
//! server's certificate. One behaviour for both (docs/configuration.md, `ca_bundle` and
//! `insecure`):
//!
//! - [`Trust::SystemRoots`] (the default): the operating system's CA store (read by
//!   `rustls-native-certs`, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR`). When the system
//!   has no usable CA certificate, Mozilla's roots compiled into the binary (`webpki-roots`)
//!   are used instead, with a warning.
//! - [`Trust::CaBundle`]: only the certificates of one PEM bundle (e.g. the cluster's
//!   self-signed certificate or its CA); not the system roots. A bundle that is not PEM, or
//!   holds no usable certificate, is refused when the client is built.
//! - [`Trust::Insecure`]: any certificate is accepted (handshake signatures are still checked,
//!   so the session keys belong to the peer). A warning is logged each time a client is built
//!   this way: anyone on the path can read the credentials. For labs only.
//!
//! Every configuration uses the aws-lc-rs provider and rustls's safe protocol versions.
#![forbid(unsafe_code)]

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// How a server's certificate is checked.
#[derive(Clone, Copy, Debug, Default)]
pub enum Trust<'a> {
    /// The system's roots, else Mozilla's bundled roots.
    #[default]
    SystemRoots,
    /// Only the certificates of a PEM bundle.
    CaBundle {
        /// The PEM text.
        pem: &'a [u8],
        /// Where it came from (a file name), for errors.
        origin: &'a str,
    },
    /// Any certificate (logged as a warning).
    Insecure,
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA bundle is not PEM, or holds no usable certificate.
    #[error("CA bundle {origin}: {reason}")]
    CaBundle {
        /// Where the bundle came from.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS setup: {0}")]
    Setup(#[from] rustls::Error),
}

/// The rustls client configuration for `trust`; `connection` names the connection in the
/// warnings (`"VMS"`, `"S3"`).
pub fn client_config(trust: Trust<'_>, connection: &str) -> Result<ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let config = match trust {
        Trust::Insecure => {
            tracing::warn!(
                connection,
                "TLS certificate verification is OFF for the {connection} connection (insecure \
                 mode): credentials and data can be intercepted; use a CA bundle instead"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
                .with_no_client_auth()
        }
        Trust::CaBundle { pem, origin } => builder
            .with_root_certificates(bundle_roots(pem, origin)?)
            .with_no_client_auth(),
        Trust::SystemRoots => {
            let (roots, source) = system_roots(rustls_native_certs::load_native_certs());
            if source == RootSource::Bundled {
                tracing::warn!(
                    connection,
                    "no usable system CA certificates; the {connection} connection trusts \
                     Mozilla's roots built into the plugin (set ca_bundle for a private CA)"
                );
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(config)
}

fn bundle_roots(pem: &[u8], origin: &str) -> Result<RootCertStore, TlsError> {
    let bad = |reason: String| TlsError::CaBundle {
        origin: origin.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(certs);
    if ignored > 0 {
        tracing::warn!(
            origin,
            ignored,
            "CA bundle: certificates that cannot be used are ignored"
        );
    }
    if added == 0 {
        return Err(bad("holds no usable certificate".to_owned()));
    }
    Ok(roots)
}

/// Where [`Trust::SystemRoots`] took its roots from.
#[derive(Debug, PartialEq, Eq)]
enum RootSource {
    /// The operating system's store.
    System,
    /// Mozilla's roots compiled in (the system had none usable).
    Bundled,
}

/// The roots of `native` (the system's store as loaded), or Mozilla's when it has none usable.
fn system_roots(native: rustls_native_certs::CertificateResult) -> (RootCertStore, RootSource) {
    for err in &native.errors {
        tracing::debug!(error = %err, "reading the system CA certificates");
    }
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(native.certs);
    if added > 0 {
        return (roots, RootSource::System);
    }
    let bundled = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    (bundled, RootSource::Bundled)
}

/// Accepts every certificate but still checks handshake signatures (so the session keys are
/// the peer's), for [`Trust::Insecure`] only.
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
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn self_signed_pem() -> String {
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .unwrap()
            .cert
            .pem()
    }

    #[test]
    fn a_system_without_roots_falls_back_to_the_bundled_ones() {
        let (roots, source) = system_roots(rustls_native_certs::CertificateResult::default());
        assert_eq!(source, RootSource::Bundled);
        assert_eq!(roots.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        assert!(!roots.is_empty());
    }

    #[test]
    fn system_roots_are_used_when_there_are_some() {
        let pem = self_signed_pem();
        let mut native = rustls_native_certs::CertificateResult::default();
        native.certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let (roots, source) = system_roots(native);
        assert_eq!(source, RootSource::System);
        assert_eq!(roots.len(), 1);
    }

    #[test]
    fn a_bundle_is_refused_when_it_holds_no_certificate() {
        for pem in [&b""[..], b"not a certificate\n"] {
            let err = client_config(
                Trust::CaBundle {
                    pem,
                    origin: "/etc/ca.pem",
                },
                "S3",
            )
            .unwrap_err();
            assert!(err.to_string().contains("/etc/ca.pem"), "{err}");
        }
        let pem = self_signed_pem();
        let trust = Trust::CaBundle {
            pem: pem.as_bytes(),
            origin: "ca.pem",
        };
        assert!(client_config(trust, "S3").is_ok());
    }
}
