//! The client over HTTPS: the cluster's CA bundle, insecure mode for labs, and refusal of an
//! unknown certificate.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::common;

use common::{data, small_config, Env};
use vast_s3_data::{
    buckets, checksum, DataError, ImageReader, ReaderConfig, S3ClientBuilder, SegmentedWriter,
    TlsOptions,
};

#[tokio::test]
async fn https_with_ca_bundle_insecure_and_unknown_ca() {
    let env = Env::start_with(true).await;
    assert!(env.url.starts_with("https://"));
    assert!(
        !env.client.signs_payload(),
        "over HTTPS parts go as UNSIGNED-PAYLOAD"
    );

    // The fixture's client trusts the simulator's certificate through a CA bundle.
    let bytes = data(1 << 20, 5);
    let mut w = SegmentedWriter::new(
        env.client.clone(),
        env.budget.clone(),
        env.image("tls"),
        small_config(),
    )
    .unwrap();
    w.write(0, &bytes).await.unwrap();
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.crc32c, checksum::crc32c(&bytes));

    // Insecure mode reads it back without a bundle.
    let insecure = S3ClientBuilder::new(&env.url, &env.access_key, &env.secret_key)
        .tls(TlsOptions::Insecure)
        .build()
        .unwrap();
    let mut r = ImageReader::open(
        insecure,
        env.budget.clone(),
        env.image("tls"),
        small_config().segment_size,
        ReaderConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(r.read_at(0, bytes.len()).await.unwrap(), bytes);

    // The system roots do not know the self-signed certificate: refused, not retried forever.
    let strict = S3ClientBuilder::new(&env.url, &env.access_key, &env.secret_key)
        .max_attempts(1)
        .build()
        .unwrap();
    let err = buckets::exists(&strict, &env.bucket).await.unwrap_err();
    assert!(matches!(err, DataError::S3 { status: None, .. }), "{err}");

    // A bundle holding some other cluster's certificate is refused as well.
    let elsewhere = Env::start_with(true).await;
    let other = S3ClientBuilder::new(&env.url, &env.access_key, &env.secret_key)
        .tls(TlsOptions::CaBundle(elsewhere.ca_bundle()))
        .max_attempts(1)
        .build()
        .unwrap();
    let err = buckets::exists(&other, &env.bucket).await.unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    // The right bundle, given explicitly, works.
    let right = S3ClientBuilder::new(&env.url, &env.access_key, &env.secret_key)
        .tls(TlsOptions::CaBundle(env.ca_bundle()))
        .build()
        .unwrap();
    assert!(buckets::exists(&right, &env.bucket).await.unwrap());
}

/// Log lines written while a test runs (this thread's tracing output).
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Insecure mode behaves as on the VMS client: a warning each time a client is built, and the
/// self-signed certificate is accepted.
#[tokio::test]
async fn insecure_mode_warns_and_still_connects() {
    let env = Env::start_with(true).await;
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let insecure = {
        let _guard = tracing::subscriber::set_default(subscriber);
        S3ClientBuilder::new(&env.url, &env.access_key, &env.secret_key)
            .tls(TlsOptions::Insecure)
            .build()
            .unwrap()
    };
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("WARN") && text.contains("verification is OFF for the S3 connection"),
        "{text}"
    );
    assert!(buckets::exists(&insecure, &env.bucket).await.unwrap());
}

/// A bundle that holds no certificate is refused when the client is built, as on the VMS
/// client, not at the first request.
#[test]
fn a_bundle_without_a_certificate_is_refused_at_build() {
    let err = S3ClientBuilder::new("https://127.0.0.1:1", "AK", "SK")
        .tls(TlsOptions::CaBundle(b"not a certificate\n".to_vec()))
        .build()
        .unwrap_err();
    assert!(matches!(err, DataError::Config(_)), "{err}");
    assert!(err.to_string().contains("no usable certificate"), "{err}");
}
