//! The self-signed certificate both faces serve with `--tls`, as a real cluster ships one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// File name of the certificate (PEM) inside the data directory; clients use it as a CA bundle.
pub const CERT_FILE: &str = "tls-cert.pem";
/// File name of the private key (PEM) inside the data directory.
pub const KEY_FILE: &str = "tls-key.pem";

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Reading or writing the PEM files failed.
    #[error("TLS material in {path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Generating the certificate failed.
    #[error("generating the self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// The PEM files did not parse.
    #[error("parsing PEM material: {0}")]
    Pem(#[from] rustls::pki_types::pem::Error),
    /// rustls refused the certificate or key.
    #[error("building the TLS server configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// File name of the list of names the certificate carries (one a line), beside it.
const NAMES_FILE: &str = "tls-names.txt";

/// Loads the certificate from `data_dir`, generating it on first use (kept across restarts so
/// clients that trust it keep trusting it, unless the names it must carry changed), and returns
/// a rustls server configuration. The certificate names `localhost`, `127.0.0.1`, `::1` and
/// every address of `vips` (each S3 listener's IP, so a client verifies whichever VIP it uses).
pub fn server_config(
    data_dir: &Path,
    vips: &[std::net::IpAddr],
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cert_path = data_dir.join(CERT_FILE);
    let key_path = data_dir.join(KEY_FILE);
    let names_path = data_dir.join(NAMES_FILE);
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    for ip in vips {
        let ip = ip.to_string();
        if !names.contains(&ip) {
            names.push(ip);
        }
    }
    let listed = names.join("\n");
    let same_names = std::fs::read_to_string(&names_path).is_ok_and(|old| old == listed)
        || (!names_path.exists() && names.len() == 3);
    if !cert_path.exists() || !key_path.exists() || !same_names {
        let generated = rcgen::generate_simple_self_signed(names)?;
        write(&cert_path, generated.cert.pem().as_bytes())?;
        write(&key_path, generated.signing_key.serialize_pem().as_bytes())?;
        write(&names_path, listed.as_bytes())?;
    }
    let certs = CertificateDer::pem_file_iter(&cert_path)?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&key_path)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    std::fs::write(path, bytes).map_err(|source| TlsError::Io {
        path: path.to_owned(),
        source,
    })
}
