//! HTTPS against vast-sim's self-signed certificate.

mod common;

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

#[tokio::test]
async fn insecure_mode_accepts_the_certificate_unverified() -> anyhow::Result<()> {
    let h = Harness::start_with(|c| c.tls = true).await?;
    let (user, password) = h.sim.admin_credentials();
    let client = VmsClient::builder(h.sim.vms_url())
        .password(user, password)
        .insecure(true)
        .build()?;
    assert_eq!(client.cluster().await?.id, 1);
    Ok(())
}
