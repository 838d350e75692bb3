//! Bandwidth limits and data-reduction reporting, from NetBackup's side: the C driver writes
//! through `dlopen` against vast-sim.
//!
//! The rate test measures bytes over wall time by necessity (it is what an administrator
//! sets): four streams under a limit move that rate ± 10% together and each gets its fair
//! share (± 25%); lifting the limit at run time (`vast-ost bandwidth set --write 0`, the
//! override file every plugin process of the media server reads) takes effect within a second.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{library, stdout, DataPath, Env, Options};

const MIB: f64 = (1u64 << 20) as f64;
/// The issue asks for 40 MiB/s; a debug build of plugin and simulator on two shared cores moves
/// only ~30 MiB/s unthrottled when the machine is busy, so a limit there would measure the
/// machine, not the limiter. The limiter does not depend on the rate; 16 MiB/s leaves headroom.
const LIMIT_MIB_S: f64 = 16.0;

/// One `RATE t=<s> b0 b1 b2 b3` line of the driver.
#[derive(Debug, Clone, Copy)]
struct Sample {
    t: f64,
    bytes: [u64; 4],
}

fn parse(line: &str) -> Option<Sample> {
    let rest = line.strip_prefix("RATE t=")?;
    let mut fields = rest.split_whitespace();
    let t = fields.next()?.parse().ok()?;
    let mut bytes = [0u64; 4];
    for b in &mut bytes {
        *b = fields.next()?.parse().ok()?;
    }
    Some(Sample { t, bytes })
}

/// The first sample at or after `t`.
fn at(samples: &[Sample], t: f64) -> Sample {
    *samples
        .iter()
        .find(|s| s.t >= t)
        .unwrap_or_else(|| panic!("no sample at {t} s"))
}

/// MiB/s of each stream between two samples.
fn rates(from: Sample, to: Sample) -> [f64; 4] {
    let secs = to.t - from.t;
    let mut out = [0.0; 4];
    for (i, r) in out.iter_mut().enumerate() {
        *r = (to.bytes[i] - from.bytes[i]) as f64 / MIB / secs;
    }
    out
}

#[test]
fn four_streams_share_the_write_limit_fairly_and_lifting_it_applies_within_a_second() {
    let env = Env::start_with(
        Options::new(DataPath::S3).server_key("max_write_mib_s", LIMIT_MIB_S as u64),
    );
    let server = env.server_name().parse().unwrap();
    let override_file = ost_core::bandwidth::override_path(&env.dir.path().join("state"), &server);
    let (user, password) = env.sim.admin_credentials();
    let mut child = Command::new(&env.driver)
        .arg(library())
        .arg(env.server_name())
        .args(["rate-put", "16"])
        .env("VAST_OST_CONFIG", &env.config)
        .env("VAST_OST_USER", user)
        .env("VAST_OST_PASSWORD", password)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let part_uploads = || env.sim.faults().counter("s3.op.UploadPart");
    let mut samples = Vec::new();
    let mut lifted_at = None;
    // UploadParts the simulator received when the limit was lifted and one second later.
    let mut sent_at_lift = 0;
    let mut sent_a_second_later = None;
    let mut text = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        let Some(sample) = parse(&line) else { continue };
        samples.push(sample);
        if let Some(lifted) = lifted_at {
            if sent_a_second_later.is_none() && sample.t >= lifted + 1.0 {
                sent_a_second_later = Some(part_uploads());
            }
        }
        if lifted_at.is_none() && sample.t >= 13.0 {
            sent_at_lift = part_uploads();
            // What `vast-ost bandwidth set --write 0` writes.
            ost_core::bandwidth::set_override(
                &override_file,
                &[("max_write_mib_s", Some("0".to_owned()))],
            )
            .unwrap();
            lifted_at = Some(sample.t);
        }
    }
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "driver failed:\n{text}\n{}",
        env.log_text()
    );
    assert!(text.contains("rate-put: done"), "{text}");

    let per_second: Vec<String> = (0..16)
        .filter_map(|t| {
            let (from, to) = (t as f64, t as f64 + 1.0);
            (samples.last()?.t >= to).then(|| {
                format!(
                    "{t}s: {:.1}",
                    rates(at(&samples, from), at(&samples, to))
                        .iter()
                        .sum::<f64>()
                )
            })
        })
        .collect();
    // Limited: from 3 s (the part buffers filled: acknowledged bytes then move at the rate they
    // leave) to 13 s.
    let limited = rates(at(&samples, 3.0), at(&samples, 13.0));
    let total: f64 = limited.iter().sum();
    assert!(
        (total - LIMIT_MIB_S).abs() <= LIMIT_MIB_S * 0.10,
        "four streams under {LIMIT_MIB_S} MiB/s moved {total:.1} MiB/s together ({limited:?}); \
         MiB/s per second: {per_second:?}\n{}",
        env.log_text()
    );
    for (i, r) in limited.iter().enumerate() {
        let fair = total / 4.0;
        assert!(
            (r - fair).abs() <= fair * 0.25,
            "stream {i} moved {r:.1} MiB/s, its fair share is {fair:.1} ({limited:?})"
        );
    }

    // Lifted at run time: within a second the parts that were waiting go out. (Measured as
    // requests the cluster received: bytes acknowledged lag, since all the parts released
    // together finish together.)
    let lifted = lifted_at.expect("the run reached 13 s");
    let sent = sent_a_second_later.expect("the run went on a second after the lift") - sent_at_lift;
    let part_mib = 5.0;
    let allowed = LIMIT_MIB_S / part_mib;
    assert!(
        sent as f64 > 2.0 * allowed,
        "in the second after the limit was lifted (at {lifted:.1} s) only {sent} parts went \
         out, the limit allowed {allowed:.1}; MiB/s per second: {per_second:?}\n{}",
        env.log_text()
    );
    let log = env.log_text();
    assert!(log.contains("bandwidth override read"), "{log}");
    println!(
        "limited: {total:.1} MiB/s together, per stream {limited:.1?}; parts sent in the second \
         after the lift: {sent} (limit: {allowed:.1}/s); MiB/s per second: {per_second:?}"
    );
}

/// Runs the driver's `reduction` mode and returns (dedup flag, lsu_used, lsu_used_phys).
fn reduction(env: &Env, size: u64) -> (bool, u64, u64) {
    let out = env.run(&["reduction", &size.to_string()]);
    let text = stdout(&out);
    assert!(out.status.success(), "driver failed:\n{text}");
    let value = |key: &str| -> u64 {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
    };
    (value("dedup=") == 1, value("used="), value("used_phys="))
}

#[test]
fn a_reducing_cluster_sets_sts_srv_dedup_and_reports_logical_and_physical_use() {
    const SIZE: u64 = 8 << 20;
    let reducing = Env::start_with(Options::new(DataPath::S3).sim(|c| c.data_reduction = 4.0));
    let (dedup, used, used_phys) = reduction(&reducing, SIZE);
    assert!(dedup, "a cluster reporting drr 4.0 sets STS_SRV_DEDUP");
    assert!(
        used >= SIZE,
        "lsu_used {used} counts the image's {SIZE} bytes"
    );
    assert_eq!(
        used_phys,
        (used as f64 / 4.0).round() as u64,
        "lsu_used_phys is VAST's physical figure (logical / 4)"
    );

    let plain = Env::start(DataPath::S3);
    let (dedup, used, used_phys) = reduction(&plain, SIZE);
    assert!(!dedup, "no reduction reported: no STS_SRV_DEDUP");
    assert!(used >= SIZE);
    assert_eq!(
        used_phys, used,
        "without reduction physical use is logical use"
    );
}
