//! HTTPS against vast-sim's self-signed certificate.

use crate::common;

use common::Harness;
use vast_vms_client::{Error, Query, VmsClient};

#[tokio::test]
async fn the_ca_bundle_makes_the_self_signed_certificate_trusted() -> anyhow::Result<()> {
    let h = Harness::start_with(|c| c.tls = true).await?;
    assert!(h.sim.vms_url().starts_with("https://"));
    let ca = h.sim.ca_cert_path().expect("TLS sims have a certificate");
    let (user, password) = h.sim.admin_credentials();
    let client = VmsClient::builder(h.sim.vms_url())
        .password(user, password)
        .ca_bundle(ca)
        .build()?;
    assert!(client.cluster().await?.is_online());
    assert!(!client.tenants().list(&Query::new()).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn without_the_ca_bundle_the_certificate_is_refused() -> anyhow::Result<()> {
    let h = Harness::start_with(|c| c.tls = true).await?;
    let (user, password) = h.sim.admin_credentials();
    let client = VmsClient::builder(h.sim.vms_url())
        .password(user, password)
        .retry(common::quick_retries(4))
        .build()?;
    let err = client.cluster().await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert!(err.to_string().contains("/api/token/"), "{err}");
    assert_eq!(h.counter("vms.requests"), 0, "nothing got through");
    Ok(())
}

/// Log lines written while a test runs (this thread's tracing output).
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn insecure_mode_warns_and_accepts_the_certificate_unverified() -> anyhow::Result<()> {
    let h = Harness::start_with(|c| c.tls = true).await?;
    let (user, password) = h.sim.admin_credentials();
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let client = {
        let _guard = tracing::subscriber::set_default(subscriber);
        VmsClient::builder(h.sim.vms_url())
            .password(user, password)
            .insecure(true)
            .build()?
    };
    let text = String::from_utf8(
        logs.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone(),
    )?;
    assert!(
        text.contains("WARN") && text.contains("verification is OFF for the VMS connection"),
        "{text}"
    );
    assert_eq!(client.cluster().await?.id, 1);
    Ok(())
}
