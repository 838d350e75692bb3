//! TLS settings for the S3 connection: system roots, a CA bundle, or (for labs) no verification.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{DataError, Result};

/// How the server's certificate is checked on `https://` endpoints.
#[derive(Clone, Default)]
pub enum TlsOptions {
    /// Trust the operating system's certificate store.
    #[default]
    SystemRoots,
    /// Trust only the certificates of this PEM bundle (e.g. the cluster's self-signed CA).
    CaBundle(Vec<u8>),
    /// Accept any certificate. For labs only: it gives up protection against interception.
    Insecure,
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsOptions::SystemRoots => f.write_str("SystemRoots"),
            TlsOptions::CaBundle(pem) => write!(f, "CaBundle({} bytes)", pem.len()),
            TlsOptions::Insecure => f.write_str("Insecure"),
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Builds the rustls client configuration for `options`.
pub(crate) fn client_config(options: &TlsOptions) -> Result<ClientConfig> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| DataError::Config(format!("TLS protocol versions: {e}")))?;
    let config = match options {
        TlsOptions::SystemRoots => {
            let mut roots = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                tracing::warn!("no usable system CA certificates found; https endpoints will fail");
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        TlsOptions::CaBundle(pem) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| DataError::Config(format!("CA bundle: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| DataError::Config(format!("CA bundle certificate: {e}")))?;
            }
            if roots.is_empty() {
                return Err(DataError::Config(
                    "CA bundle contains no certificate".to_owned(),
                ));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        TlsOptions::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
            .with_no_client_auth(),
    };
    Ok(config)
}

/// A verifier that accepts any certificate but still checks handshake signatures.
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
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
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
    fn empty_or_garbage_bundles_are_refused() {
        assert!(client_config(&TlsOptions::CaBundle(Vec::new())).is_err());
        assert!(client_config(&TlsOptions::CaBundle(b"not a pem".to_vec())).is_err());
        assert!(client_config(&TlsOptions::Insecure).is_ok());
    }

    #[test]
    fn debug_does_not_dump_the_bundle() {
        let s = format!("{:?}", TlsOptions::CaBundle(vec![1, 2, 3]));
        assert_eq!(s, "CaBundle(3 bytes)");
    }
}
