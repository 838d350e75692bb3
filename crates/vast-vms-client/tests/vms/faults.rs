//! Transient VMS failures (injected 503s) against vast-sim.

use crate::common;

use std::time::Duration;

use common::{quick_retries, Harness};
use vast_sim::{FaceFaults, FaultConfig};
use vast_vms_client::{Error, NewUser, Query};

fn vms_errors(rate: f64) -> FaultConfig {
    FaultConfig {
        vms: FaceFaults {
            error_rate: rate,
            error_status: 503,
            ..FaceFaults::default()
        },
        ..FaultConfig::default()
    }
}

#[tokio::test]
async fn a_503_burst_is_retried_until_it_passes() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h
        .builder()
        .retry(quick_retries(200))
        .password("admin", "123456")
        .build()?;
    client.login().await?;

    h.sim.faults().set(vms_errors(1.0));
    let call = {
        let client = client.clone();
        tokio::spawn(async move { client.tenants().list(&Query::new()).await })
    };
    // Let the burst last for a few answers, then end it.
    for _ in 0..1000 {
        if h.counter("vms.faults.error") >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.sim.faults().clear();
    let tenants = call.await??;
    assert!(!tenants.is_empty());
    assert!(h.counter("vms.faults.error") >= 3);
    Ok(())
}

#[tokio::test]
async fn random_503s_are_absorbed_by_retries() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h
        .builder()
        .retry(quick_retries(15))
        .password("admin", "123456")
        .build()?;
    client.login().await?;
    h.sim.faults().set(vms_errors(0.3));
    for _ in 0..40 {
        client.cluster().await?;
    }
    h.sim.faults().clear();
    assert!(h.counter("vms.faults.error") > 0);
    Ok(())
}

#[tokio::test]
async fn creates_are_not_retried_and_persistent_failures_are_bounded() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = h
        .builder()
        .retry(quick_retries(3))
        .password("admin", "123456")
        .build()?;
    client.login().await?;
    h.sim.faults().set(vms_errors(1.0));

    let before = h.counter("vms.requests");
    let err = client
        .users()
        .create(&NewUser::new("never"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server { .. }), "{err}");
    assert_eq!(err.status(), Some(503));
    assert_eq!(h.counter("vms.requests") - before, 1, "a POST is sent once");

    let before = h.counter("vms.requests");
    let err = client.tenants().list(&Query::new()).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        h.counter("vms.requests") - before,
        3,
        "max_attempts bounds a GET"
    );
    h.sim.faults().clear();
    Ok(())
}
