//! Spreading one client's requests over a cluster's VIPs (the simulator's S3 face on four
//! listeners), and carrying on when one of them goes away.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::common;

use common::{data, small_config, Env, PART};
use vast_s3_data::{
    checksum, ImageReader, ReaderConfig, S3Client, S3ClientBuilder, SegmentedWriter, TlsOptions,
    WriterConfig,
};

const VIPS: usize = 4;

async fn four_vips(tls: bool) -> Env {
    Env::start_configured(|c| {
        c.s3_vips = VIPS;
        c.tls = tls;
    })
    .await
}

/// A client of the test user spread over every VIP (trusting the simulator's certificate).
fn spread_client(env: &Env) -> S3Client {
    let mut builder = S3ClientBuilder::new(&env.url, &env.access_key, &env.secret_key)
        .endpoints(env.vip_urls())
        .max_attempts(5);
    if env.url.starts_with("https://") {
        builder = builder.tls(TlsOptions::CaBundle(env.ca_bundle()));
    }
    builder.build().unwrap()
}

fn config() -> WriterConfig {
    WriterConfig {
        max_in_flight: 8,
        window_parts: 8,
        ..small_config()
    }
}

async fn write(client: &S3Client, env: &Env, name: &str, bytes: &[u8]) -> u32 {
    let mut w = SegmentedWriter::new(
        client.clone(),
        env.budget.clone(),
        env.image(name),
        config(),
    )
    .unwrap();
    for (i, piece) in bytes.chunks(1 << 20).enumerate() {
        w.write((i << 20) as u64, piece).await.unwrap();
    }
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.length, bytes.len() as u64);
    summary.crc32c
}

async fn read(client: &S3Client, env: &Env, name: &str, len: u64) -> Vec<u8> {
    let reader_config = ReaderConfig {
        chunk_size: PART,
        read_ahead_chunks: 8,
        sequential_after: 1,
    };
    let mut r = ImageReader::new(
        client.clone(),
        env.budget.clone(),
        env.image(name),
        config().segment_size,
        len,
        reader_config,
    )
    .unwrap();
    let mut out = Vec::new();
    loop {
        let got = r.read_at(out.len() as u64, 1 << 20).await.unwrap();
        if got.is_empty() {
            return out;
        }
        out.extend_from_slice(&got);
    }
}

#[tokio::test]
async fn parts_and_read_ahead_gets_go_to_every_vip_over_tls() {
    let env = four_vips(true).await;
    let client = spread_client(&env);
    let bytes = data((16 * PART) as usize, 7);
    let crc = write(&client, &env, "spread", &bytes).await;
    assert_eq!(crc, checksum::crc32c(&bytes));
    let back = read(&client, &env, "spread", bytes.len() as u64).await;
    assert!(back == bytes, "the image reads back byte for byte");

    let vips = env.sim().vip_counters();
    assert_eq!(vips.len(), VIPS);
    let parts: u64 = vips.iter().map(|v| v.part_uploads).sum();
    let gets: u64 = vips.iter().map(|v| v.gets).sum();
    // 16 parts are too few for a share test (least-outstanding follows which VIP answers
    // first); ffi/tests/scale_vips.rs checks the shares on 1 GiB. Here: every VIP carries data.
    for vip in &vips {
        assert!(vip.up, "{vip:?}");
        assert!(
            vip.part_uploads > 0,
            "every VIP takes part uploads ({parts} in all): {vips:?}"
        );
        assert!(
            vip.gets > 0,
            "every VIP serves GETs ({gets} in all): {vips:?}"
        );
    }
    let stats = client.endpoint_stats();
    assert_eq!(stats.len(), VIPS);
    assert!(
        stats.iter().all(|s| s.up && s.outstanding == 0),
        "{stats:?}"
    );
}

#[tokio::test]
async fn a_vip_that_goes_down_mid_backup_is_left_out_and_taken_back() {
    let env = four_vips(false).await;
    let client = spread_client(&env);
    let bytes = data((12 * PART) as usize, 11);
    let victim = env.sim().s3_vip_ips()[1];

    let mut w = SegmentedWriter::new(
        client.clone(),
        env.budget.clone(),
        env.image("outage"),
        config(),
    )
    .unwrap();
    let half = bytes.len() / 2;
    w.write(0, &bytes[..half]).await.unwrap();
    assert!(env.sim().stop_vip(victim));
    w.write(half as u64, &bytes[half..]).await.unwrap();
    let summary = w.finish().await.unwrap();
    assert_eq!(summary.crc32c, checksum::crc32c(&bytes));
    assert!(read(&client, &env, "outage", bytes.len() as u64).await == bytes);

    let down = client
        .endpoint_stats()
        .into_iter()
        .find(|s| s.url.contains(&format!("//{victim}:")))
        .unwrap();
    assert!(!down.up && down.failures >= 1, "{down:?}");
    let served_while_down = env.sim().vip_counters()[1].requests;

    // Back up: the probe puts it in rotation again and it gets requests.
    assert!(env.sim().start_vip(victim).await.unwrap());
    loop {
        let back = client.endpoint_stats();
        if back.iter().all(|s| s.up) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let again = data((4 * PART) as usize, 12);
    write(&client, &env, "after", &again).await;
    assert!(env.sim().vip_counters()[1].requests > served_while_down);
}
