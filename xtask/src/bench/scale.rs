//! `cargo xtask bench --scale [--quick] [--tls] [--size-mib N] [--runs N]`: the scale-out
//! table of issue 17 (over HTTPS with `--tls`: vast-sim's generated certificate, which covers
//! every VIP, trusted by the plugin through `ca_bundle`). One vast-sim serving 1 and then 4 S3 VIPs (listeners on 127.0.0.1 .. 127.0.0.4,
//! one port, one store); on each, the same bytes backed up and restored by 1 and 4 plugin
//! processes (each its own media server: own state directory, `media_server` name, S3 user
//! and key) running 1 and 4 streams each. Every process is the C driver on
//! `libstspiVastDataMT.so`, started at once; the row's wall time runs from the first start
//! to the last exit.
//!
//! Per row: aggregate MiB/s, client CPU s/GiB (all processes, from `wait4`), the largest
//! peak RSS of one process, vast-sim's CPU s/GiB, and the share of part uploads (backup) and
//! GETs (restore) each VIP served, from vast-sim's per-listener counters (`GET /_sim/vips`).
//! Output: `target/bench/scale.{md,json}` (`scale-https.{md,json}` with `--tls`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::measure::{process_cpu_seconds, run_measured, Sample};
use super::{generate, number_arg, scratch_dir, MIB};
use crate::harness::{
    build_library_and_sim, compile_driver, driver_command, sim_vip_counters, start_sim_with,
    target_dir, write_plugin_config_for, PluginConfig, SimInfo,
};

/// VIP counts, process counts and streams per process measured (every combination).
const VIPS: [u32; 2] = [1, 4];
const PROCS: [u32; 2] = [1, 4];
const STREAMS: [u32; 2] = [1, 4];
/// NetBackup-sized `write_image` / `read_image` calls.
const CALL: &str = "1048576";

struct Options {
    size_mib: u64,
    runs: usize,
    budget_mib: u64,
    /// vast-sim `--tls`: every VIP and VMS over HTTPS.
    tls: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let quick = args.iter().any(|a| a == "--quick");
    let num = |flag: &str, default: u64| number_arg(args, flag, default);
    let o = Options {
        size_mib: num("--size-mib", if quick { 256 } else { 1024 })?,
        runs: usize::try_from(num("--runs", 1)?)?,
        budget_mib: num("--budget-mib", 512)?,
        tls: args.iter().any(|a| a == "--tls"),
    };
    if o.size_mib < 16 || !o.size_mib.is_multiple_of(16) {
        bail!("--size-mib must be a multiple of 16 (it is split over up to 16 images)");
    }
    if o.runs == 0 {
        bail!("--runs must be at least 1");
    }
    Ok(o)
}

/// One direction of one row, summed over its processes.
#[derive(Default, Clone)]
struct Aggregate {
    /// Wall seconds, first start to last exit (median over runs is taken by the caller).
    wall: f64,
    /// Client CPU seconds, all processes.
    cpu: f64,
    /// The largest peak RSS of one process, KiB.
    max_rss_kib: u64,
    /// vast-sim CPU seconds over the run.
    server_cpu: f64,
    /// Requests each VIP served (part uploads for a backup, GETs for a restore), by IP.
    per_vip: Vec<(String, u64)>,
}

impl Aggregate {
    fn mib_s(&self, bytes: u64) -> f64 {
        bytes as f64 / MIB as f64 / self.wall.max(1e-9)
    }

    fn per_gib(&self, seconds: f64, bytes: u64) -> f64 {
        seconds / (bytes as f64 / (1024.0 * MIB as f64))
    }

    /// "34/33/33" style shares of each VIP, in percent.
    fn spread(&self) -> String {
        let total: u64 = self.per_vip.iter().map(|(_, n)| n).sum();
        if total == 0 {
            return "-".to_owned();
        }
        self.per_vip
            .iter()
            .map(|(_, n)| format!("{:.0}", *n as f64 * 100.0 / total as f64))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// One row of the table: the median run of each direction.
struct ScaleRow {
    vips: u32,
    procs: u32,
    streams: u32,
    bytes: u64,
    backup: Aggregate,
    restore: Aggregate,
}

/// Entry point for `bench --scale`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let o = parse(args)?;
    let started = Instant::now();
    let (lib, sim_bin) = build_library_and_sim(true)?;
    let work = scratch_dir("scale")?;
    let result = run_in(&o, &lib, &sim_bin, &work);
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        eprintln!("kept {} (logs, plugin logs) for a look", work.display());
    }
    let rows = result?;
    let md = markdown(&o, &rows, started.elapsed().as_secs_f64());
    let out_dir = target_dir().join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let stem = if o.tls { "scale-https" } else { "scale" };
    std::fs::write(out_dir.join(format!("{stem}.md")), &md)?;
    std::fs::write(
        out_dir.join(format!("{stem}.json")),
        serde_json::to_string_pretty(&to_json(&rows))?,
    )?;
    println!("\n{md}");
    println!("written: {0}/{stem}.md, {0}/{stem}.json", out_dir.display());
    Ok(())
}

/// A simulator with `vips` S3 listeners and one configuration (media server) per process.
struct Cluster {
    _sim: crate::harness::SimProcess,
    sim_pid: u32,
    sim: SimInfo,
    configs: Vec<PathBuf>,
    work: PathBuf,
}

fn run_in(o: &Options, lib: &Path, sim_bin: &Path, work: &Path) -> Result<Vec<ScaleRow>> {
    let driver = work.join("driver");
    compile_driver(&driver)?;
    let size = o.size_mib * MIB;
    let src = work.join("source.bin");
    generate(&src, size)?;
    let max_procs = PROCS.iter().copied().max().unwrap_or(1);
    let mut rows = Vec::new();
    for vips in VIPS {
        eprintln!("==> vast-sim with {vips} S3 VIP(s)");
        let dir = work.join(format!("vips{vips}"));
        let mut sim_args = vec!["--s3-vips".to_owned(), vips.to_string()];
        if o.tls {
            sim_args.push("--tls".to_owned());
        }
        let (sim_proc, sim) = start_sim_with(sim_bin, &dir.join("sim"), &sim_args)?;
        let mut configs = Vec::new();
        for p in 0..max_procs {
            let ms = dir.join(format!("ms{p}"));
            std::fs::create_dir_all(&ms)?;
            configs.push(write_plugin_config_for(
                &ms,
                &sim,
                &PluginConfig {
                    plugin_extra: format!(
                        "buffer_budget = {}\nmedia_server = \"bench-ms{p}\"\n",
                        o.budget_mib * MIB
                    ),
                    server_extra: String::new(),
                    pinned_s3_url: false,
                },
            )?);
        }
        let cluster = Cluster {
            sim_pid: sim_proc.pid(),
            _sim: sim_proc,
            sim,
            configs,
            work: dir,
        };
        // Warm-up (untimed): each media server bootstraps its user, key and the LSU.
        for p in 0..max_procs {
            let name = format!("warmup{p}_");
            let cmd =
                |c: &Cluster| driver_in(c, &driver, lib, p, &["bench-small", &name, "1", "262144"]);
            run_all(&cluster, vec![cmd(&cluster)], &format!("warm-up ms{p}"))?;
        }
        for procs in PROCS {
            for streams in STREAMS {
                let per = size / u64::from(procs * streams);
                let mut backups = Vec::new();
                let mut restores = Vec::new();
                for run in 0..o.runs {
                    eprintln!(
                        "==> {vips} VIP(s), {procs} process(es) × {streams} stream(s), run {}/{}",
                        run + 1,
                        o.runs
                    );
                    let name = |p: u32| format!("scale_p{p}");
                    let put: Vec<Command> = (0..procs)
                        .map(|p| {
                            let src = src.to_string_lossy().into_owned();
                            driver_in(
                                &cluster,
                                &driver,
                                lib,
                                p,
                                &[
                                    "bench-put",
                                    &src,
                                    &name(p),
                                    CALL,
                                    &streams.to_string(),
                                    &per.to_string(),
                                ],
                            )
                        })
                        .collect();
                    let b = run_all(&cluster, put, "backup")?;
                    let get: Vec<Command> = (0..procs)
                        .map(|p| {
                            driver_in(
                                &cluster,
                                &driver,
                                lib,
                                p,
                                &["bench-get", &name(p), "-", CALL, &streams.to_string()],
                            )
                        })
                        .collect();
                    let r = run_all(&cluster, get, "restore")?;
                    for p in 0..procs {
                        let del = driver_in(
                            &cluster,
                            &driver,
                            lib,
                            p,
                            &["bench-delete", &name(p), &streams.to_string()],
                        );
                        run_all(&cluster, vec![del], "delete")?;
                    }
                    say("backup", &b, size);
                    say("restore", &r, size);
                    backups.push(b);
                    restores.push(r);
                }
                rows.push(ScaleRow {
                    vips,
                    procs,
                    streams,
                    bytes: size,
                    backup: median_run(backups),
                    restore: median_run(restores),
                });
            }
        }
    }
    Ok(rows)
}

fn driver_in(c: &Cluster, driver: &Path, lib: &Path, p: u32, args: &[&str]) -> Command {
    let idx = usize::try_from(p).unwrap_or(0);
    driver_command(driver, lib, &c.sim, &c.configs[idx], args)
}

/// Starts every command at once and waits for all; sums what they cost.
fn run_all(c: &Cluster, commands: Vec<Command>, what: &str) -> Result<Aggregate> {
    let before = sim_vip_counters(&c.sim)?;
    let server_before = process_cpu_seconds(c.sim_pid);
    let start = Instant::now();
    let samples: Vec<Result<Sample>> = std::thread::scope(|scope| {
        let handles: Vec<_> = commands
            .into_iter()
            .enumerate()
            .map(|(i, mut cmd)| {
                let log = c.work.join(format!("log-{what}-{i}.txt"));
                scope.spawn(move || run_measured(&mut cmd, &log, 0).map(|(s, _)| s))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a measuring thread panicked")))
            })
            .collect()
    });
    let wall = start.elapsed().as_secs_f64();
    let server_cpu = (process_cpu_seconds(c.sim_pid) - server_before).max(0.0);
    let after = sim_vip_counters(&c.sim)?;
    let mut agg = Aggregate {
        wall,
        server_cpu,
        ..Aggregate::default()
    };
    for s in samples {
        let s = s.with_context(|| format!("{what}: a process failed"))?;
        agg.cpu += s.cpu;
        agg.max_rss_kib = agg.max_rss_kib.max(s.max_rss_kib);
    }
    let field = if what == "restore" {
        "gets"
    } else {
        "part_uploads"
    };
    agg.per_vip = after
        .iter()
        .map(|(ip, counts)| {
            let was = before
                .iter()
                .find(|(b, _)| b == ip)
                .map_or(0, |(_, c)| counter(c, field));
            (ip.clone(), counter(counts, field).saturating_sub(was))
        })
        .collect();
    Ok(agg)
}

fn counter(v: &serde_json::Value, field: &str) -> u64 {
    v[field].as_u64().unwrap_or(0)
}

/// The run with the median wall time.
fn median_run(mut runs: Vec<Aggregate>) -> Aggregate {
    runs.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    runs.get(runs.len() / 2).cloned().unwrap_or_default()
}

fn say(what: &str, a: &Aggregate, bytes: u64) {
    eprintln!(
        "    {what:<8} {:>8.1} MiB/s  client cpu {:>5.2} s/GiB  max rss {:>5} MiB  VIP shares % {}",
        a.mib_s(bytes),
        a.per_gib(a.cpu, bytes),
        a.max_rss_kib / 1024,
        a.spread()
    );
}

fn markdown(o: &Options, rows: &[ScaleRow], elapsed: f64) -> String {
    let mut s = String::new();
    s.push_str("# vast-ost scale-out benchmark\n\n");
    s.push_str(&format!(
        "{} MiB per row (split evenly over processes × streams), {}, 1 MiB `write_image` / \
         `read_image` calls, buffer budget {} MiB per process, median of {} run(s); \
         {:.0} s in all.\n\n",
        o.size_mib,
        if o.tls {
            "HTTPS (vast-sim `--tls`, its certificate trusted through `ca_bundle`)"
        } else {
            "plain HTTP"
        },
        o.budget_mib,
        o.runs,
        elapsed
    ));
    s.push_str(
        "| VIPs | processes × streams | backup MiB/s | restore MiB/s | client CPU s/GiB (backup / restore) | \
         max RSS of a process MiB (backup / restore) | vast-sim CPU s/GiB (backup) | part uploads per VIP % | GETs per VIP % |\n\
         |---:|---|---:|---:|---|---|---:|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} × {} | {:.0} | {:.0} | {:.2} / {:.2} | {} / {} | {:.2} | {} | {} |\n",
            r.vips,
            r.procs,
            r.streams,
            r.backup.mib_s(r.bytes),
            r.restore.mib_s(r.bytes),
            r.backup.per_gib(r.backup.cpu, r.bytes),
            r.restore.per_gib(r.restore.cpu, r.bytes),
            r.backup.max_rss_kib / 1024,
            r.restore.max_rss_kib / 1024,
            r.backup.per_gib(r.backup.server_cpu, r.bytes),
            r.backup.spread(),
            r.restore.spread(),
        ));
    }
    s
}

fn to_json(rows: &[ScaleRow]) -> serde_json::Value {
    let dir = |a: &Aggregate, bytes: u64| {
        json!({
            "wall_s": a.wall,
            "mib_s": a.mib_s(bytes),
            "client_cpu_s": a.cpu,
            "max_rss_kib": a.max_rss_kib,
            "server_cpu_s": a.server_cpu,
            "per_vip": a.per_vip.iter().map(|(ip, n)| json!({"ip": ip, "requests": n})).collect::<Vec<_>>(),
        })
    };
    json!(rows
        .iter()
        .map(|r| json!({
            "vips": r.vips,
            "processes": r.procs,
            "streams_per_process": r.streams,
            "bytes": r.bytes,
            "backup": dir(&r.backup, r.bytes),
            "restore": dir(&r.restore, r.bytes),
        }))
        .collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_each_vips_share_in_percent() {
        let a = Aggregate {
            per_vip: vec![("a".into(), 1), ("b".into(), 1), ("c".into(), 2)],
            ..Aggregate::default()
        };
        assert_eq!(a.spread(), "25 / 25 / 50");
        assert_eq!(Aggregate::default().spread(), "-");
    }

    #[test]
    fn the_median_run_is_the_middle_wall_time() {
        let run = |wall| Aggregate {
            wall,
            ..Aggregate::default()
        };
        assert_eq!(median_run(vec![run(3.0), run(1.0), run(2.0)]).wall, 2.0);
    }
}
