//! `cargo xtask bench [--quick] [--size-mib N] [--runs N] [--small-count N] [--budget-mib N]
//! [--scheme both|https|http]`: the plugin against the S3 tools administrators already trust, in
//! one run (issues 8 and 19).
//!
//! Builds the library and vast-sim (release) and starts two vast-sims on loopback, one serving
//! HTTPS (`--tls`: its generated certificate is every client's CA bundle, the plugin's through
//! `ca_bundle`) and one plain HTTP, with their data in `/dev/shm` when there is one. On each, with
//! the same bytes, it measures: backup through `libstspiVastDataMT.so` via the C driver
//! (`write_image` in 256 KiB, NetBackup's default disk buffer size, 1 MiB and 64 MiB calls)
//! against s5cmd, rclone and the AWS CLI uploading the same file; restore (`read_image` in the
//! same sizes) against the tools downloading it; 1, 4 and 16 images written and restored at once
//! through the library; small images (create, list, delete); and curl's single PUT/GET as the
//! ceiling. The schemes alternate within every run, so both see the same machine.
//! Every row: median MiB/s, client CPU s/GiB (the client process alone, from `wait4`), server
//! CPU s/GiB, client peak RSS; then the targets of issue 19 judged from those medians
//! (`targets.rs`) and the machine's load over the run (`load.rs`). Output:
//! `target/bench/bench.{md,json,svg}`.
//!
//! `--scale` runs the scale-out table instead (VIPs × media-server processes × streams, see
//! `scale.rs`).

mod load;
#[allow(unsafe_code)] // wait4 and sysconf: see the module documentation
mod measure;
mod report;
mod scale;
mod targets;
mod tools;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::harness::{
    build_library_and_sim, compile_driver, driver_command, sim_s3_requests, start_sim_with,
    target_dir, write_plugin_config, SimInfo, SimProcess,
};
use measure::{run_measured, run_measured_into, Sample};
use report::{Report, Row, Scheme, SmallRow};
use targets::{backup_client, concurrent_client, restore_client};
use tools::{delete_object, s5cmd_batch, S3Target, Tool};

const MIB: u64 = 1 << 20;
/// The restore rows whose bytes go to `/dev/null` (written there, as NetBackup's media server
/// passes restored data on rather than filing it): the plugin's driver writes each
/// `read_image` buffer, the tools stream the object to standard output.
const STREAMED: &str = "restore (streamed)";
const DEV_NULL: &str = "/dev/null";
/// The single-stream row at a quarter of the image size (for the RSS-growth check).
const QUARTER: &str = "plugin, 1 MiB write_image, 1/4 size";
/// The LSU (bucket) the plugin creates on first use.
const BUCKET: &str = "netbackup-pool-01";
/// `write_image` / `read_image` call sizes of the single-stream rows: NetBackup's default disk
/// buffer size (256 KiB), 1 MiB, and 64 MiB (not with `--quick`, whose image is one such call).
const CALLS: [(u64, &str); 3] = [(256 << 10, "256 KiB"), (MIB, "1 MiB"), (64 * MIB, "64 MiB")];
/// Call size of the concurrency rows (and of the quarter-size row).
const CONCURRENT_CALL: u64 = MIB;
/// Images backed up and restored at once in the concurrency rows (`--quick`: 4 and 16; one
/// stream repeats the single-stream 1 MiB rows).
const STREAMS: [u64; 3] = [1, 4, 16];

struct Options {
    quick: bool,
    size_mib: u64,
    runs: usize,
    small_count: u64,
    small_kib: u64,
    budget_mib: u64,
    schemes: Vec<Scheme>,
    /// Single-stream call sizes.
    calls: Vec<(u64, &'static str)>,
    /// Stream counts of the concurrency rows.
    streams: Vec<u64>,
}

fn parse(args: &[String]) -> Result<Options> {
    let quick = args.iter().any(|a| a == "--quick");
    let num = |flag: &str, default: u64| number_arg(args, flag, default);
    let schemes = match args.iter().position(|a| a == "--scheme") {
        None => Scheme::ALL.to_vec(),
        Some(i) => match args.get(i + 1).map(String::as_str) {
            Some("both") => Scheme::ALL.to_vec(),
            Some("https") => vec![Scheme::Https],
            Some("http") => vec![Scheme::Http],
            _ => bail!("--scheme needs both, https or http"),
        },
    };
    let o = Options {
        quick,
        // --quick: 64 MiB keeps the smoke under a minute on 2 shared cores (128 MiB took 75 s
        // at load 5 – 9 with both schemes; 64 MiB 52 s).
        size_mib: num("--size-mib", if quick { 64 } else { 1024 })?,
        runs: usize::try_from(num("--runs", if quick { 1 } else { 3 })?)?,
        small_count: num("--small-count", if quick { 200 } else { 10_000 })?,
        small_kib: 64,
        budget_mib: num("--budget-mib", 512)?,
        schemes,
        calls: CALLS
            .into_iter()
            .filter(|(call, _)| !quick || *call < 64 * MIB)
            .collect(),
        streams: STREAMS.into_iter().filter(|n| !quick || *n > 1).collect(),
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

/// One vast-sim (HTTPS or HTTP) with the plugin's configuration and the tools' target on it.
struct Server {
    scheme: Scheme,
    _process: SimProcess,
    pid: u32,
    sim: SimInfo,
    config: PathBuf,
    s3: S3Target,
}

/// Everything a measurement needs besides the server.
struct Bench {
    work: PathBuf,
    driver: PathBuf,
    lib: PathBuf,
    seq: u32,
    rows: Vec<Row>,
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

    fn measure(
        &mut self,
        srv: &Server,
        what: &str,
        command: &mut Command,
    ) -> Result<(Sample, String)> {
        let log = self.log_path(&format!("{}-{what}", srv.scheme.label()));
        run_measured(command, &log, srv.pid)
    }

    /// [`Bench::measure`] with the command's standard output going into `stdout`.
    fn measure_into(
        &mut self,
        srv: &Server,
        what: &str,
        command: &mut Command,
        stdout: &Path,
    ) -> Result<Sample> {
        let log = self.log_path(&format!("{}-{what}", srv.scheme.label()));
        run_measured_into(command, stdout, &log, srv.pid)
    }

    fn driver(&self, srv: &Server, args: &[&str]) -> Command {
        driver_command(&self.driver, &self.lib, &srv.sim, &srv.config, args)
    }

    /// Runs the driver untimed (set-up and clean-up steps).
    fn driver_step(&mut self, srv: &Server, what: &str, args: &[&str]) -> Result<String> {
        let mut cmd = self.driver(srv, args);
        Ok(self.measure(srv, what, &mut cmd)?.1)
    }

    /// Measures the driver with `args` and files the sample under `group` / `client`.
    fn row(
        &mut self,
        srv: &Server,
        (group, client, settings): (&'static str, &str, &str),
        bytes: u64,
        args: &[&str],
    ) -> Result<()> {
        let mut cmd = self.driver(srv, args);
        let (s, _) = self.measure(srv, client, &mut cmd)?;
        self.push(srv.scheme, (group, client, settings), bytes, s);
        Ok(())
    }

    fn push(
        &mut self,
        scheme: Scheme,
        (group, client, settings): (&'static str, &str, &str),
        bytes: u64,
        s: Sample,
    ) {
        say(scheme, group, client, bytes, &s);
        if let Some(r) = self
            .rows
            .iter_mut()
            .find(|r| r.scheme == scheme && r.group == group && r.client == client)
        {
            r.samples.push(s);
            return;
        }
        self.rows.push(Row {
            scheme,
            group,
            client: client.to_owned(),
            settings: settings.to_owned(),
            bytes,
            samples: vec![s],
        });
    }
}

fn say(scheme: Scheme, group: &str, client: &str, bytes: u64, s: &Sample) {
    eprintln!(
        "    {:<5} {group:<11} {client:<36} {:>8.1} MiB/s  cpu {:>5.2} s  rss {:>5} MiB",
        scheme.label(),
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
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        // The logs are the only account of what failed; the bulky files go.
        for big in ["source.bin", "restored.bin"] {
            let _ = std::fs::remove_file(work.join(big));
        }
        eprintln!("kept {} (logs, plugin logs) for a look", work.display());
    }
    result
}

/// Starts vast-sim for `scheme` in `work/<scheme>`, configures the plugin for it and lets the
/// plugin bootstrap its user, key and LSU bucket (untimed); the tools reuse that key.
fn start_server(b: &mut Bench, o: &Options, sim_bin: &Path, scheme: Scheme) -> Result<Server> {
    let dir = b.work.join(scheme.label().to_lowercase());
    std::fs::create_dir_all(&dir)?;
    let extra = match scheme {
        Scheme::Https => vec!["--tls".to_owned()],
        Scheme::Http => Vec::new(),
    };
    let (process, sim) = start_sim_with(sim_bin, &dir.join("sim"), &extra)?;
    if (scheme == Scheme::Https) != sim.ca_cert.is_some() {
        bail!(
            "vast-sim for {} reported ca_cert {:?}",
            scheme.label(),
            sim.ca_cert
        );
    }
    let config = write_plugin_config(
        &dir,
        &sim,
        &format!("buffer_budget = {}\n", o.budget_mib * MIB),
    )?;
    let mut srv = Server {
        scheme,
        pid: process.pid(),
        _process: process,
        s3: S3Target {
            url: sim.s3_url.clone(),
            ca_cert: sim.ca_cert.clone(),
            access_key: String::new(),
            secret_key: String::new(),
            bucket: BUCKET.to_owned(),
            curl_config: dir.join("curl.conf"),
        },
        sim,
        config,
    };
    b.driver_step(&srv, "warm-up", &["bench-small", "warmup_", "1", "262144"])?;
    load_key(&dir, &mut srv.s3)?;
    Ok(srv)
}

fn run_in(
    o: &Options,
    lib: &Path,
    sim_bin: &Path,
    work: &Path,
    started: std::time::Instant,
) -> Result<()> {
    let machine_load = load::Sampler::start();
    let date = utc_date();
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

    let mut b = Bench {
        work: work.to_path_buf(),
        driver,
        lib: lib.to_path_buf(),
        seq: 0,
        rows: Vec::new(),
    };
    let servers = o
        .schemes
        .iter()
        .map(|&scheme| start_server(&mut b, o, sim_bin, scheme))
        .collect::<Result<Vec<_>>>()?;
    let files = Files {
        src: &src,
        dl: &dl,
        size,
    };
    for run in 0..o.runs {
        for srv in &servers {
            eprintln!(
                "==> {} run {}/{} ({} MiB image)",
                srv.scheme.label(),
                run + 1,
                o.runs,
                o.size_mib
            );
            single_streams(&mut b, srv, &files, &o.calls, run == 0)?;
            peer_tools(&mut b, srv, &tools, &files, run == 0)?;
        }
    }
    for &streams in &o.streams {
        for run in 0..o.runs {
            for srv in &servers {
                eprintln!(
                    "==> {} concurrency {streams} stream(s), run {}/{}",
                    srv.scheme.label(),
                    run + 1,
                    o.runs
                );
                concurrency(&mut b, srv, &files, streams)?;
            }
        }
    }
    let mut small = Vec::new();
    if o.small_count > 0 {
        let s5cmd = tools.iter().find_map(|t| match t {
            Tool::S5cmd(bin) => Some(bin.as_path()),
            _ => None,
        });
        let one = work.join("small-object.bin");
        generate(&one, o.small_kib * 1024)?;
        for srv in &servers {
            let row = |client: &str| SmallRow {
                scheme: srv.scheme,
                client: client.to_owned(),
                count: o.small_count,
                size: o.small_kib * 1024,
                runs: Vec::new(),
            };
            let peer = s5cmd.map(|_| row(S5CMD_SMALL));
            small.push((row(PLUGIN_SMALL), peer));
        }
        for run in 0..o.runs {
            for (srv, (plugin, peer)) in servers.iter().zip(small.iter_mut()) {
                small_images(&mut b, srv, plugin, run, o.runs)?;
                if let (Some(bin), Some(peer)) = (s5cmd, peer.as_mut()) {
                    small_objects_s5cmd(&mut b, srv, bin, &one, peer, run)?;
                }
            }
        }
    }
    let small: Vec<SmallRow> = small
        .into_iter()
        .flat_map(|(plugin, peer)| std::iter::once(plugin).chain(peer))
        .collect();
    drop(servers);
    let machine_load = machine_load.finish();

    if tools.iter().all(|t| !matches!(t, Tool::Rclone(_))) {
        notes.push("rclone row missing: see above".to_owned());
    }
    notes.extend(method_notes(o));
    let mut context = machine_context(o, &b.work, date);
    context.push(("machine load".to_owned(), machine_load));
    for (tool, v) in versions {
        context.push((format!("{tool} version"), v));
    }
    context.push((
        "bench wall time".to_owned(),
        format!("{:.0} s", started.elapsed().as_secs_f64()),
    ));
    let targets = targets::judge(&b.rows, o.budget_mib, QUARTER);
    let mut report = Report {
        context,
        rows: b.rows,
        small,
        targets,
        notes,
    };
    report.sort_rows();
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

/// The source file, where restores go, and the image size.
struct Files<'a> {
    src: &'a Path,
    dl: &'a Path,
    size: u64,
}

const PLUGIN: &str = "C driver → libstspiVastDataMT.so";
const PLUGIN_STREAMED: &str = "C driver → libstspiVastDataMT.so, each buffer written to /dev/null";

/// The plugin's single-stream rows on `srv`: backup in each call size, restore (of the image
/// written in 1 MiB calls) in each call size, and a backup of a quarter of the image.
fn single_streams(
    b: &mut Bench,
    srv: &Server,
    f: &Files<'_>,
    calls: &[(u64, &str)],
    verify: bool,
) -> Result<()> {
    let (src, dl) = (f.src.to_string_lossy(), f.dl.to_string_lossy());
    for &(call, label) in calls {
        let client = backup_client(label);
        let call_s = call.to_string();
        b.row(
            srv,
            ("backup", &client, PLUGIN),
            f.size,
            &["bench-put", &src, "img", &call_s],
        )?;
        if call == MIB {
            for &(rcall, rlabel) in calls {
                let client = restore_client(rlabel);
                b.row(
                    srv,
                    ("restore", &client, PLUGIN),
                    f.size,
                    &["bench-get", "img", &dl, &rcall.to_string()],
                )?;
                finish_download(f.src, f.dl, verify, &client)?;
            }
            for &(rcall, rlabel) in calls {
                b.row(
                    srv,
                    (STREAMED, &restore_client(rlabel), PLUGIN_STREAMED),
                    f.size,
                    &["bench-get", "img", DEV_NULL, &rcall.to_string()],
                )?;
            }
        }
        b.driver_step(srv, "delete", &["bench-delete", "img"])?;
    }
    // The same single stream at 1/4 of the size: peak RSS must not grow with the image.
    let quarter = f.size / 4;
    b.row(
        srv,
        ("backup", QUARTER, PLUGIN),
        quarter,
        &[
            "bench-put",
            &src,
            "quarter",
            &CONCURRENT_CALL.to_string(),
            "1",
            &quarter.to_string(),
        ],
    )?;
    b.driver_step(srv, "delete", &["bench-delete", "quarter"])?;
    Ok(())
}

/// The peer tools' upload and download of the same file on `srv`, and curl's ceiling.
fn peer_tools(
    b: &mut Bench,
    srv: &Server,
    tools: &[Tool],
    f: &Files<'_>,
    verify: bool,
) -> Result<()> {
    for tool in tools.iter().chain(std::iter::once(&Tool::Curl)) {
        let key = format!(
            "bench-tools/{}.bin",
            tool.label().replace([' ', '(', ')'], "")
        );
        let ceiling = matches!(tool, Tool::Curl);
        let (up_group, down_group) = if ceiling {
            ("ceiling", "ceiling")
        } else {
            ("backup", "restore")
        };
        let (up_client, down_client) = if ceiling {
            ("curl PUT", "curl GET")
        } else {
            (tool.label(), tool.label())
        };
        let settings = tool.settings();
        let up = format!("{} upload", tool.label());
        let (s, _) = b.measure(srv, &up, &mut tool.upload(&srv.s3, f.src, &key))?;
        b.push(srv.scheme, (up_group, up_client, &settings), f.size, s);
        let down = format!("{} download", tool.label());
        let (s, _) = b.measure(srv, &down, &mut tool.download(&srv.s3, &key, f.dl))?;
        b.push(srv.scheme, (down_group, down_client, &settings), f.size, s);
        finish_download(f.src, f.dl, verify, &down)?;
        if !ceiling {
            let what = format!("{} stream", tool.label());
            let mut cmd = tool.stream(&srv.s3, &key);
            let s = b.measure_into(srv, &what, &mut cmd, Path::new(DEV_NULL))?;
            let settings = tool.stream_settings();
            b.push(srv.scheme, (STREAMED, down_client, &settings), f.size, s);
        }
        b.measure(srv, "delete object", &mut delete_object(&srv.s3, &key))?;
    }
    Ok(())
}

/// The image's bytes split over `streams` images backed up at once, then restored at once
/// (discarded), then deleted.
fn concurrency(b: &mut Bench, srv: &Server, f: &Files<'_>, streams: u64) -> Result<()> {
    let per = f.size / streams;
    let (call, n) = (CONCURRENT_CALL.to_string(), streams.to_string());
    let src = f.src.to_string_lossy();
    let put = concurrent_client("backup", streams);
    let settings = format!("{streams} × {} MiB images, 1 MiB write_image", per >> 20);
    b.row(
        srv,
        ("concurrency", &put, &settings),
        f.size,
        &["bench-put", &src, "conc", &call, &n, &per.to_string()],
    )?;
    let get = concurrent_client("restore", streams);
    let settings = format!("{streams} × {} MiB images, 1 MiB read_image", per >> 20);
    b.row(
        srv,
        ("concurrency", &get, &settings),
        f.size,
        &["bench-get", "conc", "-", &call, &n],
    )?;
    b.driver_step(srv, "delete", &["bench-delete", "conc", &n])?;
    Ok(())
}

/// The small-image rows' client labels.
const PLUGIN_SMALL: &str = "plugin (C driver, one thread)";
const S5CMD_SMALL: &str = "s5cmd run, --numworkers 1 (cp / ls / rm of objects)";

/// One run of the small-image measurement on `srv`.
fn small_images(
    b: &mut Bench,
    srv: &Server,
    small: &mut SmallRow,
    run: usize,
    runs: usize,
) -> Result<()> {
    eprintln!(
        "==> {} {} small images, run {}/{runs}",
        srv.scheme.label(),
        small.count,
        run + 1,
    );
    let mut cmd = b.driver(
        srv,
        &[
            "bench-small",
            &format!("small{run}_"),
            &small.count.to_string(),
            &small.size.to_string(),
        ],
    );
    let before = sim_s3_requests(&srv.sim)?;
    let (s, out) = b.measure(srv, "small images", &mut cmd)?;
    let s3_requests = sim_s3_requests(&srv.sim)?.saturating_sub(before);
    let get =
        |k: &str| bench_value(&out, k).with_context(|| format!("driver printed no {k}: {out}"));
    let seconds = (
        get("create_seconds")?,
        get("list_seconds")?,
        get("delete_seconds")?,
    );
    small.push_run(seconds, s, s3_requests);
    Ok(())
}

/// The same count of objects of the same size put, listed and deleted by s5cmd's batch mode
/// with one worker: what a general S3 tool costs per object, one request at a time (it orders
/// nothing and guards no name against a second creator, as the plugin's create must).
fn small_objects_s5cmd(
    b: &mut Bench,
    srv: &Server,
    bin: &Path,
    object: &Path,
    small: &mut SmallRow,
    run: usize,
) -> Result<()> {
    let prefix = format!("s3://{}/bench-small-s5cmd/run{run}", srv.s3.bucket);
    let file = |what: &str, lines: Vec<String>| -> Result<PathBuf> {
        let path = b
            .work
            .join(format!("s5cmd-{}-{what}.txt", srv.scheme.label()));
        std::fs::write(&path, lines.join("\n") + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    };
    let each = |line: &dyn Fn(u64) -> String| (0..small.count).map(line).collect::<Vec<_>>();
    let put = file(
        "put",
        each(&|i| format!("cp {} {prefix}/o{i}", object.display())),
    )?;
    let list = file("list", vec![format!("ls {prefix}/*")])?;
    let delete = file("delete", each(&|i| format!("rm {prefix}/o{i}")))?;
    let before = sim_s3_requests(&srv.sim)?;
    let (p, _) = b.measure(srv, "s5cmd small put", &mut s5cmd_batch(bin, &srv.s3, &put))?;
    let (l, listed) = b.measure(srv, "s5cmd small ls", &mut s5cmd_batch(bin, &srv.s3, &list))?;
    let (d, _) = b.measure(
        srv,
        "s5cmd small rm",
        &mut s5cmd_batch(bin, &srv.s3, &delete),
    )?;
    let s3_requests = sim_s3_requests(&srv.sim)?.saturating_sub(before);
    let seen = listed.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    if seen != small.count {
        bail!(
            "s5cmd listed {seen} objects under {prefix}, {} were put",
            small.count
        );
    }
    let whole = Sample {
        wall: p.wall + l.wall + d.wall,
        cpu: p.cpu + l.cpu + d.cpu,
        max_rss_kib: p.max_rss_kib.max(l.max_rss_kib).max(d.max_rss_kib),
        server_cpu: p.server_cpu + l.server_cpu + d.server_cpu,
    };
    small.push_run((p.wall, l.wall, d.wall), whole, s3_requests);
    Ok(())
}

/// How the run was made, for the report's notes.
fn method_notes(o: &Options) -> Vec<String> {
    let calls: Vec<&str> = o.calls.iter().map(|(_, l)| *l).collect();
    let streams: Vec<String> = o.streams.iter().map(u64::to_string).collect();
    vec![
        "Client and server share the machine's cores (and other jobs may have been running): \
         compare ratios within this run, not absolute numbers."
            .to_owned(),
        format!(
            "Whole-process wall time (start-up, login and close included) for every client; each \
             restore was checked byte for byte against the source in the first run; the plugin's \
             buffer budget is {} MiB; single-stream call sizes {}; concurrency rows {} \
             streams, 1 MiB calls{}.",
            o.budget_mib,
            calls.join(", "),
            streams.join(" / "),
            if o.quick {
                " (--quick leaves out the 64 MiB calls and the one-stream concurrency rows)"
            } else {
                ""
            }
        ),
        "HTTPS: vast-sim `--tls` with its generated certificate, trusted by every client through \
         its own CA option (plugin `ca_bundle`, s5cmd `AWS_CA_BUNDLE` + `SSL_CERT_FILE`, AWS CLI \
         `--ca-bundle`, rclone `--ca-cert`, curl `--cacert`); no client skips verification. The plugin sends \
         `UNSIGNED-PAYLOAD` with CRC32C over HTTPS and signs the payload (SHA-256) over HTTP."
            .to_owned(),
    ]
}

/// Fills in the plugin's own S3 key (stored under `dir/state/keys` by the warm-up), which the
/// tools reuse on the plugin's bucket, and writes curl's config file holding it.
fn load_key(dir: &Path, s3: &mut S3Target) -> Result<()> {
    let keys = dir.join("state").join("keys");
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
    s3.access_key = s("access_key")?;
    s3.secret_key = s("secret_key")?;
    tools::write_curl_config(&s3.curl_config, &s3.access_key, &s3.secret_key)
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

/// `date -u` now.
fn utc_date() -> String {
    Command::new("date")
        .arg("-u")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine_context(o: &Options, work: &Path, date: String) -> Vec<(String, String)> {
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
            format!(
                "client and vast-sim share these cores (loopback; {})",
                o.schemes
                    .iter()
                    .map(|s| s.label())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
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
        ("date (start)".to_owned(), date),
    ]
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
            (64, 1, 200)
        );
        assert_eq!(quick.calls.len(), 2);
        assert_eq!(quick.streams, vec![4, 16]);
        assert!(parse(&args(&["--size-mib", "100"])).is_err());
        assert_eq!(parse(&args(&["--runs", "5"])).unwrap().runs, 5);
        let full = parse(&args(&[])).unwrap();
        assert_eq!((full.size_mib, full.runs), (1024, 3));
        assert_eq!((full.calls.len(), full.streams.len()), (3, 3));
        assert_eq!(full.schemes, Scheme::ALL.to_vec());
        let http = parse(&args(&["--scheme", "http"])).unwrap();
        assert_eq!(http.schemes, vec![Scheme::Http]);
        assert!(parse(&args(&["--scheme", "ftp"])).is_err());
    }
}
