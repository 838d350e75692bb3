//! TLS settings for the S3 connection: system roots, a CA bundle, or (for labs) no verification;
//! the behaviour is `vast-tls`'s, shared with the VMS client.

use vast_tls::Trust;

use crate::error::{DataError, Result};

/// How the server's certificate is checked on `https://` endpoints, the same way as the VMS
/// client (`vast-tls`).
#[derive(Clone, Default)]
pub enum TlsOptions {
    /// Trust the operating system's certificate store; Mozilla's roots built into the binary
    /// when the system has no usable CA certificate (logged as a warning).
    #[default]
    SystemRoots,
    /// Trust only the certificates of this PEM bundle (e.g. the cluster's self-signed CA). A
    /// bundle holding no usable certificate is refused when the client is built.
    CaBundle(Vec<u8>),
    /// Accept any certificate (handshake signatures are still checked). For labs only: it
    /// gives up protection against interception; a warning is logged every time a client is
    /// built with it.
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

/// Builds the rustls client configuration for `options`.
pub(crate) fn client_config(options: &TlsOptions) -> Result<rustls::ClientConfig> {
    let trust = match options {
        TlsOptions::SystemRoots => Trust::SystemRoots,
        TlsOptions::CaBundle(pem) => Trust::CaBundle {
            pem,
            origin: "for the S3 endpoint",
        },
        TlsOptions::Insecure => Trust::Insecure,
    };
    vast_tls::client_config(trust, "S3").map_err(|e| DataError::Config(e.to_string()))
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
