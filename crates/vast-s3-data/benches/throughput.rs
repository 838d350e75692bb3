//! Writes and reads an image in 1 MiB calls against vast-sim's S3 face (run in a child process)
//! and does the same transfer with s5cmd on the same server, printing throughput, client CPU
//! seconds per GiB and client peak RSS side by side.
//!
//! `cargo bench -p vast-s3-data --bench throughput`. Settings (environment):
//! `BENCH_GIB` (image size, default 2), `BENCH_PART_MIB` (16), `BENCH_IN_FLIGHT` (4),
//! `BENCH_CHUNK_MIB` (8), `BENCH_AHEAD` (8), `BENCH_BUDGET_MIB` (512), `S5CMD` (path to
//! s5cmd; searched on PATH and in /tmp/s5cmd-venv/bin; skipped when absent),
//! `BENCH_DIR` (server data directory, default under /dev/shm), `BENCH_LATENCY_MS` (delay the
//! simulator adds to every request, to mimic a remote cluster; default 0), `BENCH_SIGN` (0: send
//! parts as UNSIGNED-PAYLOAD, as the client does over HTTPS; default 1 over this plain-HTTP server).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use vast_s3_data::{
    buckets, BufferBudget, ImageLocation, ImageReader, ReaderConfig, S3ClientBuilder,
    SegmentedWriter, WriterConfig,
};
use vast_sim::control::{AccessRequest, ControlPlane, S3Identity};

const AK: &str = "AKIDBENCH000000000000000";
const SK: &str = "bench-secret-000000000000000000000000000000";
const MIB: u64 = 1 << 20;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if let Ok(dir) = std::env::var("VAST_S3_BENCH_SERVE") {
        serve(PathBuf::from(dir));
        return;
    }
    let gib = env_u64("BENCH_GIB", 2);
    let size = gib << 30;
    let dir = PathBuf::from(
        std::env::var("BENCH_DIR")
            .unwrap_or_else(|_| format!("/dev/shm/vast-s3-bench-{}", std::process::id())),
    );
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = Command::new(std::env::current_exe().unwrap())
        .env("VAST_S3_BENCH_SERVE", dir.join("sim"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().strip_prefix("LISTEN ").unwrap().to_owned();
    let server_pid = server.id();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    rt.block_on(async {
        let client = S3ClientBuilder::new(&url, AK, SK)
            .sign_payload(env_u64("BENCH_SIGN", 1) == 1)
            .build()
            .unwrap();
        buckets::create(&client, "bench").await.unwrap();
        let budget = BufferBudget::new((env_u64("BENCH_BUDGET_MIB", 512) * MIB) as usize);
        let config = WriterConfig {
            part_size: env_u64("BENCH_PART_MIB", 16) * MIB,
            max_in_flight: env_u64("BENCH_IN_FLIGHT", 4) as usize,
            ..WriterConfig::default()
        };
        let location = ImageLocation::with_prefix("bench", "netbackup/bench/data/");
        let block = pattern();

        reset_peak_rss();
        let (cpu0, srv0, t0) = (self_cpu(), pid_cpu(server_pid), Instant::now());
        let mut w = SegmentedWriter::new(
            client.clone(),
            budget.clone(),
            location.clone(),
            config.clone(),
        )
        .unwrap();
        let mut buf = block.clone();
        for i in 0..size / MIB {
            stamp(&mut buf, i);
            w.write(i * MIB, &buf).await.unwrap();
        }
        let summary = w.finish().await.unwrap();
        assert_eq!(summary.length, size);
        rows.push(Row::new(
            "vast-s3-data write",
            size,
            t0,
            self_cpu() - cpu0,
            pid_cpu(server_pid) - srv0,
            peak_rss_mib(),
        ));

        reset_peak_rss();
        let reader_config = ReaderConfig {
            chunk_size: env_u64("BENCH_CHUNK_MIB", 8) * MIB,
            read_ahead_chunks: env_u64("BENCH_AHEAD", 8) as usize,
            ..ReaderConfig::default()
        };
        let (cpu0, srv0, t0) = (self_cpu(), pid_cpu(server_pid), Instant::now());
        let mut r = ImageReader::new(
            client.clone(),
            budget.clone(),
            location,
            config.segment_size,
            size,
            reader_config,
        )
        .unwrap();
        let mut out = vec![0u8; MIB as usize];
        let mut expect = block.clone();
        for i in 0..size / MIB {
            let n = r.read_into(i * MIB, &mut out).await.unwrap();
            assert_eq!(n as u64, MIB);
            stamp(&mut expect, i);
            assert_eq!(out[..8], expect[..8], "chunk {i}");
        }
        rows.push(Row::new(
            "vast-s3-data read",
            size,
            t0,
            self_cpu() - cpu0,
            pid_cpu(server_pid) - srv0,
            peak_rss_mib(),
        ));
        println!("budget after the run: {:?}", budget.stats());
    });

    match find_s5cmd() {
        Some(s5cmd) => {
            let file = dir.join("s5cmd-src");
            write_file(&file, size);
            let srv0 = pid_cpu(server_pid);
            let t0 = Instant::now();
            let (cpu, rss) = timed(
                &s5cmd,
                &url,
                &[file.to_str().unwrap(), "s3://bench/s5cmd/image"],
            );
            rows.push(Row::new(
                "s5cmd upload",
                size,
                t0,
                cpu,
                pid_cpu(server_pid) - srv0,
                rss,
            ));
            std::fs::remove_file(&file).ok();
            let dst = dir.join("s5cmd-dst");
            let srv0 = pid_cpu(server_pid);
            let t0 = Instant::now();
            let (cpu, rss) = timed(
                &s5cmd,
                &url,
                &["s3://bench/s5cmd/image", dst.to_str().unwrap()],
            );
            rows.push(Row::new(
                "s5cmd download",
                size,
                t0,
                cpu,
                pid_cpu(server_pid) - srv0,
                rss,
            ));
            std::fs::remove_file(&dst).ok();
        }
        None => println!("s5cmd not found (set S5CMD): comparison skipped"),
    }
    server.kill().ok();
    server.wait().ok();
    if std::env::var("BENCH_DIR").is_err() {
        std::fs::remove_dir_all(&dir).ok();
    }

    println!("\n{gib} GiB in 1 MiB calls, 2 cores shared by client and server");
    println!(
        "{:<20} {:>9} {:>10} {:>15} {:>15} {:>13}",
        "transfer",
        "wall s",
        "MiB/s",
        "client CPU s/GiB",
        "server CPU s/GiB",
        "client peak RSS MiB"
    );
    for r in rows {
        println!(
            "{:<20} {:>9.2} {:>10.0} {:>15.2} {:>15.2} {:>13}",
            r.name, r.wall, r.mib_s, r.cpu_per_gib, r.server_cpu_per_gib, r.rss_mib
        );
    }
}

struct Row {
    name: &'static str,
    wall: f64,
    mib_s: f64,
    cpu_per_gib: f64,
    server_cpu_per_gib: f64,
    rss_mib: u64,
}

impl Row {
    fn new(
        name: &'static str,
        size: u64,
        t0: Instant,
        cpu: f64,
        server_cpu: f64,
        rss_mib: u64,
    ) -> Self {
        let wall = t0.elapsed().as_secs_f64();
        let gib = size as f64 / (1u64 << 30) as f64;
        Row {
            name,
            wall,
            mib_s: size as f64 / MIB as f64 / wall,
            cpu_per_gib: cpu / gib,
            server_cpu_per_gib: server_cpu / gib,
            rss_mib,
        }
    }
}

/// 1 MiB of pseudo-random bytes (incompressible, like backup data after dedup/compression).
fn pattern() -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..MIB)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn stamp(buf: &mut [u8], i: u64) {
    buf[..8].copy_from_slice(&i.to_le_bytes());
}

fn write_file(path: &Path, size: u64) {
    use std::io::Write as _;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut buf = pattern();
    for i in 0..size / MIB {
        stamp(&mut buf, i);
        f.write_all(&buf).unwrap();
    }
    f.flush().unwrap();
}

fn find_s5cmd() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("S5CMD") {
        return Some(PathBuf::from(p));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push(PathBuf::from("/tmp/s5cmd-venv/bin"));
    dirs.into_iter()
        .map(|d| d.join("s5cmd"))
        .find(|p| p.exists())
}

/// Runs `s5cmd cp` under GNU time; returns (user+sys seconds, peak RSS MiB).
fn timed(s5cmd: &Path, url: &str, args: &[&str]) -> (f64, u64) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "TIME %U %S %M"])
        .arg(s5cmd)
        .args(["--endpoint-url", url, "cp"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", SK)
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "s5cmd failed: {stderr}");
    let line = stderr.lines().find(|l| l.starts_with("TIME ")).unwrap();
    let f: Vec<f64> = line[5..]
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    (f[0] + f[1], (f[2] / 1024.0).round() as u64)
}

fn self_cpu() -> f64 {
    pid_cpu(std::process::id())
}

/// utime + stime of a process, in seconds (clock ticks of 1/100 s).
fn pid_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command name: state is field 0, utime 11, stime 12.
    (ticks(11) + ticks(12)) / 100.0
}

fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").ok();
}

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// The server side: vast-sim's S3 face with one fixed key, on a free port.
fn serve(dir: PathBuf) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let control = Arc::new(Control::default());
        let faults = vast_sim::faults::Faults::new();
        let mut plan = vast_sim::faults::FaultConfig::default();
        plan.s3.latency_ms = env_u64("BENCH_LATENCY_MS", 0);
        faults.set(plan);
        let store = vast_sim::s3::ObjectStore::open(&dir, faults.clone()).unwrap();
        let handler = vast_sim::faults::with_faults(
            vast_sim::faults::Face::S3,
            faults.clone(),
            vast_sim::s3::handler(store, control, faults),
        );
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listener = vast_sim::serve::Listener::start_on(tcp, None, handler).unwrap();
        println!("LISTEN http://{}", listener.local_addr());
        std::future::pending::<()>().await;
    });
}

#[derive(Default)]
struct Control {
    grants: Mutex<HashMap<String, bool>>,
}

impl ControlPlane for Control {
    fn s3_identity(&self, access_key: &str) -> Option<S3Identity> {
        (access_key == AK).then(|| S3Identity {
            access_key: AK.to_owned(),
            secret_key: SK.to_owned(),
            user_id: 1000,
            user_name: "bench".to_owned(),
            tenant_id: 1,
            allow_create_bucket: true,
            allow_delete_bucket: true,
        })
    }
    fn bucket_hard_limit(&self, _bucket: &str) -> Option<u64> {
        None
    }
    fn may_access(&self, _identity: &S3Identity, request: &AccessRequest<'_>) -> bool {
        self.grants.lock().unwrap().contains_key(request.bucket)
    }
    fn bucket_created_over_s3(&self, bucket: &str, _owner: &S3Identity, _locking: bool) {
        self.grants.lock().unwrap().insert(bucket.to_owned(), true);
    }
    fn bucket_deleted_over_s3(&self, bucket: &str) {
        self.grants.lock().unwrap().remove(bucket);
    }
}
