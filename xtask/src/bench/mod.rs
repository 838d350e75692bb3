//! `cargo xtask bench [--quick] [--size-mib N] [--runs N] [--small-count N] [--budget-mib N]`:
//! the plugin against the S3 tools administrators already trust, in one run (issue 8).
//!
//! Builds the library and vast-sim (release), starts vast-sim on loopback with its data in
//! `/dev/shm` when there is one, and on the same server and the same bytes measures: backup
//! through `libstspiVastDataMT.so` via the C driver (`write_image` in 1 MiB and 64 MiB calls)
//! against s5cmd, rclone and the AWS CLI uploading the same file; restore (`read_image` 1 MiB /
//! 64 MiB) against the tools downloading it; 1, 4 and 16 images written at once through the
//! library; 10,000 small images (create, list, delete); and curl's single PUT/GET as the ceiling.
//! Every row: median MiB/s, client CPU s/GiB (the client process alone, from `wait4`), server
//! CPU s/GiB, client peak RSS. Output: `target/bench/bench.{md,json,svg}`.
//!
//! `--scale` runs the scale-out table instead (VIPs × media-server processes × streams, see
//! `scale.rs`).

#[allow(unsafe_code)] // wait4 and sysconf: see the module documentation
mod measure;
mod report;
mod scale;
mod tools;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::harness::{
    build_library_and_sim, compile_driver, driver_command, start_sim, target_dir,
    write_plugin_config, SimInfo,
};
use measure::{run_measured, Sample};
use report::{Report, Row, SmallRow};
use tools::{delete_object, S3Target, Tool};

const MIB: u64 = 1 << 20;
/// The single-stream row at a quarter of the image size (for the RSS-growth check).
const QUARTER: &str = "plugin, 1 MiB write_image, 1/4 size";
/// The LSU (bucket) the plugin creates on first use.
const BUCKET: &str = "netbackup-pool-01";

struct Options {
    quick: bool,
    size_mib: u64,
    runs: usize,
    small_count: u64,
    small_kib: u64,
    budget_mib: u64,
}

fn parse(args: &[String]) -> Result<Options> {
    let quick = args.iter().any(|a| a == "--quick");
    let num = |flag: &str, default: u64| number_arg(args, flag, default);
    let o = Options {
        quick,
        size_mib: num("--size-mib", if quick { 128 } else { 4096 })?,
        runs: usize::try_from(num("--runs", if quick { 1 } else { 3 })?)?,
        small_count: num("--small-count", if quick { 200 } else { 10_000 })?,
        small_kib: 64,
        budget_mib: num("--budget-mib", 512)?,
    };
    if o.size_mib < 16 || !o.size_mib.is_multiple_of(16) {
        bail!("--size-mib must be a multiple of 16 (16 streams share the concurrency rows)");
    }
    if o.runs == 0 {
        bail!("--runs must be at least 1");
    }
    Ok(o)
}

/// The number after `flag` in `args`, `default` when the flag is absent.
fn number_arg(args: &[String], flag: &str, default: u64) -> Result<u64> {
    match args.iter().position(|a| a == flag) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("{flag} needs a number")),
        None => Ok(default),
    }
}

/// A fresh work directory `vast-ost-<what>-<pid>` in `/dev/shm` when there is one (so the
/// simulator's store is in memory), else in the temporary directory.
fn scratch_dir(what: &str) -> Result<PathBuf> {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let work = base.join(format!("vast-ost-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    Ok(work)
}

/// Everything a measurement needs.
struct Bench {
    work: PathBuf,
    driver: PathBuf,
    lib: PathBuf,
    config: PathBuf,
    sim: SimInfo,
    sim_pid: u32,
    seq: u32,
}

impl Bench {
    fn log_path(&mut self, what: &str) -> PathBuf {
        self.seq += 1;
        self.work.join(format!(
            "log-{:03}-{}.txt",
            self.seq,
            what.replace([' ', '/'], "_")
        ))
    }

    fn measure(&mut self, what: &str, command: &mut Command) -> Result<(Sample, String)> {
        let log = self.log_path(what);
        let (sample, out) = run_measured(command, &log, self.sim_pid)?;
        Ok((sample, out))
    }

    fn driver(&self, args: &[&str]) -> Command {
        driver_command(&self.driver, &self.lib, &self.sim, &self.config, args)
    }

    /// Runs the driver untimed (set-up and clean-up steps).
    fn driver_step(&mut self, what: &str, args: &[&str]) -> Result<String> {
        let mut cmd = self.driver(args);
        Ok(self.measure(what, &mut cmd)?.1)
    }
}

fn push(
    rows: &mut Vec<Row>,
    group: &'static str,
    client: &str,
    settings: &str,
    bytes: u64,
    s: Sample,
) {
    if let Some(r) = rows
        .iter_mut()
        .find(|r| r.group == group && r.client == client)
    {
        r.samples.push(s);
        return;
    }
    rows.push(Row {
        group,
        client: client.to_owned(),
        settings: settings.to_owned(),
        bytes,
        samples: vec![s],
    });
}

fn say(group: &str, client: &str, bytes: u64, s: &Sample) {
    eprintln!(
        "    {group:<11} {client:<36} {:>8.1} MiB/s  cpu {:>5.2} s  rss {:>5} MiB",
        bytes as f64 / MIB as f64 / s.wall.max(1e-9),
        s.cpu,
        s.max_rss_kib / 1024
    );
}

/// Entry point with the task's arguments.
pub(crate) fn run(args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "--scale") {
        return scale::run(args);
    }
    let o = parse(args)?;
    let started = std::time::Instant::now();
    let (lib, sim_bin) = build_library_and_sim(true)?;
    let work = scratch_dir("bench")?;
    let result = run_in(&o, &lib, &sim_bin, &work, started);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn run_in(
    o: &Options,
    lib: &Path,
    sim_bin: &Path,
    work: &Path,
    started: std::time::Instant,
) -> Result<()> {
    let driver = work.join("driver");
    compile_driver(&driver)?;
    let (tools, mut notes) = tools::install(work)?;
    let versions = tools::versions(&tools);

    let size = o.size_mib * MIB;
    let src = work.join("source.bin");
    eprintln!(
        "==> generate the {} MiB source file in {}",
        o.size_mib,
        work.display()
    );
    generate(&src, size)?;
    let dl = work.join("restored.bin");

    let (sim_proc, sim) = start_sim(sim_bin, &work.join("sim"))?;
    let config = write_plugin_config(
        work,
        &sim,
        &format!("buffer_budget = {}\n", o.budget_mib * MIB),
    )?;
    let mut b = Bench {
        work: work.to_path_buf(),
        driver,
        lib: lib.to_path_buf(),
        config,
        sim_pid: sim_proc.pid(),
        sim,
        seq: 0,
    };
    // Warm-up (untimed): the plugin bootstraps its user, key and LSU bucket.
    b.driver_step("warm-up", &["bench-small", "warmup_", "1", "262144"])?;
    let s3 = s3_target(work, &b.sim)?;

    let mut rows = Vec::new();
    let small_size = size / 4;
    let (one, big) = ("1048576".to_owned(), (64 * MIB).to_string());
    let src_s = src.to_string_lossy().into_owned();
    let dl_s = dl.to_string_lossy().into_owned();
    for run in 0..o.runs {
        eprintln!("==> run {}/{} ({} MiB image)", run + 1, o.runs, o.size_mib);
        let verify = run == 0;
        // Plugin backup 1 MiB calls, restores 1 MiB / 64 MiB, delete; backup 64 MiB, delete.
        for (call, label) in [(&one, "1 MiB"), (&big, "64 MiB")] {
            let client = format!("plugin, {label} write_image");
            let (s, _) = b.measure(&client, &mut b.driver(&["bench-put", &src_s, "img", call]))?;
            say("backup", &client, size, &s);
            push(
                &mut rows,
                "backup",
                &client,
                "C driver → libstspiVastDataMT.so",
                size,
                s,
            );
            if call == &one {
                for (rcall, rlabel) in [(&one, "1 MiB"), (&big, "64 MiB")] {
                    let client = format!("plugin, {rlabel} read_image");
                    let (s, _) =
                        b.measure(&client, &mut b.driver(&["bench-get", "img", &dl_s, rcall]))?;
                    say("restore", &client, size, &s);
                    push(
                        &mut rows,
                        "restore",
                        &client,
                        "C driver → libstspiVastDataMT.so",
                        size,
                        s,
                    );
                    finish_download(&src, &dl, verify, &client)?;
                }
            }
            b.driver_step("delete", &["bench-delete", "img"])?;
        }
        // The same single stream at 1/4 of the size: peak RSS must not grow with the image.
        let client = QUARTER;
        let limit = small_size.to_string();
        let (s, _) = b.measure(
            client,
            &mut b.driver(&["bench-put", &src_s, "quarter", &one, "1", &limit]),
        )?;
        say("backup", client, small_size, &s);
        push(
            &mut rows,
            "backup",
            client,
            "C driver → libstspiVastDataMT.so",
            small_size,
            s,
        );
        b.driver_step("delete", &["bench-delete", "quarter"])?;
        // Peer tools and the curl ceiling.
        for tool in tools.iter().chain(std::iter::once(&Tool::Curl)) {
            let key = format!(
                "bench-tools/{}.bin",
                tool.label().replace([' ', '(', ')'], "")
            );
            let (up_group, down_group) = if matches!(tool, Tool::Curl) {
                ("ceiling", "ceiling")
            } else {
                ("backup", "restore")
            };
            let up = format!("{} upload", tool.label());
            let (s, _) = b.measure(&up, &mut tool.upload(&s3, &src, &key))?;
            say(up_group, &up, size, &s);
            let client = if up_group == "ceiling" {
                "curl PUT"
            } else {
                tool.label()
            };
            push(&mut rows, up_group, client, &tool.settings(), size, s);
            let down = format!("{} download", tool.label());
            let (s, _) = b.measure(&down, &mut tool.download(&s3, &key, &dl))?;
            say(down_group, &down, size, &s);
            let client = if down_group == "ceiling" {
                "curl GET"
            } else {
                tool.label()
            };
            push(&mut rows, down_group, client, &tool.settings(), size, s);
            finish_download(&src, &dl, verify, &down)?;
            b.measure("delete object", &mut delete_object(&s3, &key))?;
        }
    }
    // Concurrency: the image's bytes split over 1, 4 and 16 images written at once.
    for streams in [1u64, 4, 16] {
        let per = size / streams;
        let client = format!(
            "plugin, {streams} stream{}",
            if streams > 1 { "s" } else { "" }
        );
        for run in 0..o.runs {
            eprintln!(
                "==> concurrency {streams} streams, run {}/{}",
                run + 1,
                o.runs
            );
            let (s, _) = b.measure(
                &client,
                &mut b.driver(&[
                    "bench-put",
                    &src_s,
                    "conc",
                    &one,
                    &streams.to_string(),
                    &per.to_string(),
                ]),
            )?;
            say("concurrency", &client, size, &s);
            let settings = format!("{streams} × {} MiB images, 1 MiB write_image", per >> 20);
            push(&mut rows, "concurrency", &client, &settings, size, s);
            b.driver_step("delete", &["bench-delete", "conc", &streams.to_string()])?;
        }
    }
    // Small images.
    let mut small = SmallRow {
        count: o.small_count,
        size: o.small_kib * 1024,
        runs: Vec::new(),
    };
    if o.small_count > 0 {
        for run in 0..o.runs {
            eprintln!(
                "==> {} small images, run {}/{}",
                o.small_count,
                run + 1,
                o.runs
            );
            let (s, out) = b.measure(
                "small images",
                &mut b.driver(&[
                    "bench-small",
                    &format!("small{run}_"),
                    &o.small_count.to_string(),
                    &small.size.to_string(),
                ]),
            )?;
            let get = |k: &str| {
                bench_value(&out, k).with_context(|| format!("driver printed no {k}: {out}"))
            };
            let t = (
                get("create_seconds")?,
                get("list_seconds")?,
                get("delete_seconds")?,
            );
            eprintln!(
                "    create {:.0}/s  list {:.2} s  delete {:.0}/s",
                o.small_count as f64 / t.0,
                t.1,
                o.small_count as f64 / t.2
            );
            small.runs.push((t, s));
        }
    }
    drop(sim_proc);

    if tools.iter().all(|t| !matches!(t, Tool::Rclone(_))) {
        notes.push("rclone row missing: see above".to_owned());
    }
    notes.push(
        "Client and server share the machine's cores (and other jobs may have been running): \
         compare ratios within this run, not absolute numbers."
            .to_owned(),
    );
    notes.push(format!(
        "Whole-process wall time (start-up, login and close included) for every client; each \
         restore was checked byte for byte against the source in the first run; the plugin's \
         buffer budget is {} MiB.",
        o.budget_mib
    ));
    let mut context = machine_context(o, &b.work);
    for (tool, v) in versions {
        context.push((format!("{tool} version"), v));
    }
    context.push((
        "bench wall time".to_owned(),
        format!("{:.0} s", started.elapsed().as_secs_f64()),
    ));
    let verdicts = verdicts(&rows, o);
    let report = Report {
        context,
        rows,
        small: if o.small_count > 0 { Some(small) } else { None },
        verdicts,
        notes,
    };
    let out_dir = target_dir().join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let md = report.markdown();
    std::fs::write(out_dir.join("bench.md"), &md)?;
    std::fs::write(
        out_dir.join("bench.json"),
        serde_json::to_string_pretty(&report.json())?,
    )?;
    std::fs::write(out_dir.join("bench.svg"), report.svg())?;
    println!("\n{md}");
    println!(
        "written: {0}/bench.md, {0}/bench.json, {0}/bench.svg ({1:.0} s in all{2})",
        out_dir.display(),
        started.elapsed().as_secs_f64(),
        if o.quick { ", --quick" } else { "" }
    );
    Ok(())
}

/// The tools use the plugin's own S3 key (stored by the warm-up) on the plugin's bucket.
fn s3_target(work: &Path, sim: &SimInfo) -> Result<S3Target> {
    let keys = work.join("state").join("keys");
    let file = std::fs::read_dir(&keys)
        .with_context(|| format!("reading {}", keys.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .context("the plugin stored no S3 key")?;
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file)?)?;
    let s = |k: &str| {
        v[k].as_str()
            .map(str::to_owned)
            .with_context(|| format!("key file lacks {k}"))
    };
    let (access_key, secret_key) = (s("access_key")?, s("secret_key")?);
    let curl_config = work.join("curl.conf");
    tools::write_curl_config(&curl_config, &access_key, &secret_key)?;
    Ok(S3Target {
        url: sim.s3_url.clone(),
        access_key,
        secret_key,
        bucket: BUCKET.to_owned(),
        curl_config,
    })
}

/// Incompressible, reproducible bytes (xorshift64*).
fn generate(path: &Path, size: u64) -> Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut buf = vec![0u8; 8 * MIB as usize];
    let mut left = size;
    while left > 0 {
        for chunk in buf.chunks_exact_mut(8) {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            chunk.copy_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n])?;
        left -= n as u64;
    }
    f.flush()?;
    Ok(())
}

/// Checks a download against the source (when asked), then removes it.
fn finish_download(src: &Path, dl: &Path, verify: bool, what: &str) -> Result<()> {
    if verify && !same_bytes(src, dl)? {
        bail!("{what}: the restored bytes differ from the source");
    }
    std::fs::remove_file(dl).with_context(|| format!("{what}: no file at {}", dl.display()))
}

fn same_bytes(a: &Path, b: &Path) -> Result<bool> {
    let (mut fa, mut fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 4 * MIB as usize], vec![0u8; 4 * MIB as usize]);
    loop {
        let n = fa.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        fb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

fn bench_value(text: &str, key: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with("BENCH "))?
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))?
        .parse()
        .ok()
}

fn machine_context(o: &Options, work: &Path) -> Vec<(String, String)> {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("?")
        .trim()
        .to_owned();
    let mem_gib = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or("?".to_owned(), |kib| {
            format!("{:.1} GiB", kib / 1024.0 / 1024.0)
        });
    let nproc = std::thread::available_parallelism().map_or(0, usize::from);
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    vec![
        (
            "machine".to_owned(),
            format!(
                "{nproc} CPUs (nproc) {model}, {mem_gib} RAM, Linux {}",
                read("/proc/sys/kernel/osrelease").trim()
            ),
        ),
        (
            "sharing".to_owned(),
            "client and vast-sim share these cores (loopback, plain HTTP)".to_owned(),
        ),
        (
            "data".to_owned(),
            format!(
                "source, restores and vast-sim's store in {}",
                work.display()
            ),
        ),
        (
            "image".to_owned(),
            format!(
                "{} MiB, {} run(s) per row{}",
                o.size_mib,
                o.runs,
                if o.quick { " (--quick)" } else { "" }
            ),
        ),
        ("commit".to_owned(), commit),
        (
            "date".to_owned(),
            Command::new("date")
                .arg("-u")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default(),
        ),
    ]
}

/// Where the plugin stands against each target of issue 8.
fn verdicts(rows: &[Row], o: &Options) -> Vec<String> {
    let find = |g: &str, c: &str| rows.iter().find(|r| r.group == g && r.client == c);
    let plugin_best = |g: &str| {
        rows.iter()
            .filter(|r| r.group == g && r.client.starts_with("plugin") && r.client != QUARTER)
            .max_by(|a, b| a.mib_s().total_cmp(&b.mib_s()))
    };
    let tool_best = |g: &str| {
        rows.iter()
            .filter(|r| r.group == g && !r.client.starts_with("plugin"))
            .max_by(|a, b| a.mib_s().total_cmp(&b.mib_s()))
    };
    let tool_cpu = |g: &str| {
        rows.iter()
            .filter(|r| r.group == g && !r.client.starts_with("plugin"))
            .min_by(|a, b| a.cpu_per_gib().total_cmp(&b.cpu_per_gib()))
    };
    let mut v = Vec::new();
    let ok = |b: bool| if b { "met" } else { "NOT met" };
    for g in ["backup", "restore"] {
        if let (Some(p), Some(t)) = (plugin_best(g), tool_best(g)) {
            let ratio = p.mib_s() / t.mib_s();
            v.push(format!(
                "{g} throughput ≥ 1.0× the best tool: {} — {} {:.0} MiB/s vs {} {:.0} MiB/s = {ratio:.2}×",
                ok(ratio >= 1.0), p.client, p.mib_s(), t.client, t.mib_s()
            ));
        }
        if let (Some(p), Some(t)) = (plugin_best(g), tool_cpu(g)) {
            v.push(format!(
                "{g} client CPU/GiB ≤ the best tool's: {} — {} {:.2} s/GiB vs {} {:.2} s/GiB",
                ok(p.cpu_per_gib() <= t.cpu_per_gib()),
                p.client,
                p.cpu_per_gib(),
                t.client,
                t.cpu_per_gib()
            ));
        }
    }
    let limit = (o.budget_mib + 64) as f64;
    if let Some(p) = find("backup", "plugin, 1 MiB write_image") {
        v.push(format!(
            "one stream's peak RSS ≤ budget + 64 MiB ({limit:.0} MiB): {} — {:.0} MiB",
            ok(p.peak_rss_mib() <= limit),
            p.peak_rss_mib()
        ));
        if let Some(e) = find("backup", QUARTER) {
            if e.bytes < 256 * MIB {
                v.push(format!(
                    "peak RSS not growing with image size: not judged at {} MiB (below the \
                     plugin's steady state of parts in flight; use a full run)",
                    e.bytes >> 20
                ));
            } else {
                v.push(format!(
                    "peak RSS not growing with image size: {} — {:.0} MiB at {} MiB vs {:.0} MiB at {} MiB",
                    ok(p.peak_rss_mib() <= e.peak_rss_mib() * 1.1 + 8.0),
                    p.peak_rss_mib(),
                    p.bytes >> 20,
                    e.peak_rss_mib(),
                    e.bytes >> 20
                ));
            }
        }
    }
    if let Some(p) = find("concurrency", "plugin, 16 streams") {
        v.push(format!(
            "16 concurrent streams within budget + 64 MiB ({limit:.0} MiB): {} — {:.0} MiB",
            ok(p.peak_rss_mib() <= limit),
            p.peak_rss_mib()
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_line_values_are_parsed() {
        let out = "[x 01] start\nBENCH count=10 create_seconds=1.5 list_seconds=0.25\n";
        assert_eq!(bench_value(out, "create_seconds"), Some(1.5));
        assert_eq!(bench_value(out, "list_seconds"), Some(0.25));
        assert_eq!(bench_value(out, "delete_seconds"), None);
    }

    #[test]
    fn generated_files_are_reproducible_and_compared_byte_for_byte() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a"), dir.join("b"));
        generate(&a, 3 * MIB + 4096).unwrap();
        generate(&b, 3 * MIB + 4096).unwrap();
        assert_eq!(std::fs::metadata(&a).unwrap().len(), 3 * MIB + 4096);
        assert!(same_bytes(&a, &b).unwrap());
        let mut bytes = std::fs::read(&b).unwrap();
        bytes[2 * MIB as usize] ^= 1;
        std::fs::write(&b, &bytes).unwrap();
        assert!(!same_bytes(&a, &b).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn options_need_sizes_that_split_over_sixteen_streams() {
        let args = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let quick = parse(&args(&["--quick"])).unwrap();
        assert_eq!(
            (quick.size_mib, quick.runs, quick.small_count),
            (128, 1, 200)
        );
        assert!(parse(&args(&["--size-mib", "100"])).is_err());
        assert_eq!(parse(&args(&["--runs", "5"])).unwrap().runs, 5);
    }
}
