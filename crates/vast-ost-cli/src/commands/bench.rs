//! `vast-ost bench vast://HOST LSU [--size 4G --streams 4]`: write then read synthetic images
//! through the plugin, and report throughput, call latency percentiles, CPU and peak memory.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use ost_core::{CloseFlags, CreateFlags, ImageDef, ImageId, LsuName, OpenMode, Plugin, ServerId};
use serde_json::{json, Value};

use crate::args::{BenchArgs, Global};
use crate::context::Session;
use crate::error::{CliError, Context as _};
use crate::image_ref;
use crate::output::{print_json, print_text, Table};
use crate::progress;
use crate::sysstats;
use crate::units::{human_bytes, human_rate, parse_size};

/// Latency percentiles of one phase.
#[derive(Debug, Default)]
struct Phase {
    bytes: u64,
    wall: Duration,
    calls: Vec<Duration>,
}

impl Phase {
    fn percentile(&self, p: f64) -> Duration {
        if self.calls.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p * self.calls.len() as f64).ceil() as usize).clamp(1, self.calls.len());
        self.calls[rank - 1]
    }

    fn json(&self) -> Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let secs = self.wall.as_secs_f64();
        json!({
            "bytes": self.bytes,
            "seconds": secs,
            "bytes_per_sec": if secs > 0.0 { self.bytes as f64 / secs } else { 0.0 },
            "calls": self.calls.len(),
            "latency_ms": {
                "p50": ms(self.percentile(0.50)),
                "p90": ms(self.percentile(0.90)),
                "p99": ms(self.percentile(0.99)),
                "max": ms(self.percentile(1.0)),
            },
        })
    }
}

/// Synthetic, incompressible-looking data for one stream.
fn block(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

struct Job {
    plugin: Arc<Plugin>,
    server: ServerId,
    lsu: LsuName,
    size: u64,
    block: usize,
    bar: ProgressBar,
}

fn write_stream(job: &Job, def: &ImageDef, seed: u64) -> Result<Vec<Duration>, CliError> {
    let id = def.id();
    let p = &job.plugin;
    let h = p
        .create_image(job.server, &job.lsu, def, CreateFlags::empty())
        .doing(|| format!("creating bench image {id}"))?;
    let mut data = block(job.block, seed);
    let mut lat = Vec::new();
    let mut offset = 0u64;
    while offset < job.size {
        let n = (job.size - offset).min(job.block as u64) as usize;
        data[..8].copy_from_slice(&offset.to_le_bytes());
        let t = Instant::now();
        if let Err(e) = p.write_image(h, offset, &data[..n]) {
            let failure = CliError::ost(format!("writing bench image {id}"), &e);
            return Err(super::transfer::discard(p, h, failure));
        }
        lat.push(t.elapsed());
        offset += n as u64;
        job.bar.inc(n as u64);
    }
    p.complete_backup(h)
        .doing(|| format!("completing bench image {id}"))?;
    Ok(lat)
}

fn read_stream(job: &Job, id: &ImageId) -> Result<Vec<Duration>, CliError> {
    let p = &job.plugin;
    let h = p
        .open_image(job.server, &job.lsu, id, OpenMode::READ)
        .doing(|| format!("opening bench image {id}"))?;
    let mut buf = vec![0u8; job.block];
    let mut lat = Vec::new();
    let mut offset = 0u64;
    let result = loop {
        let t = Instant::now();
        match p.read_image(h, offset, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                lat.push(t.elapsed());
                offset += n as u64;
                job.bar.inc(n as u64);
            }
            Err(e) => break Err(CliError::ost(format!("reading bench image {id}"), &e)),
        }
    };
    let _ = p.close_image(h, CloseFlags::empty());
    result.map(|()| lat)
}

/// Runs `f` on every stream at once and gathers the call latencies.
fn phase<T: Sync>(
    items: &[T],
    f: impl Fn(usize, &T) -> Result<Vec<Duration>, CliError> + Sync,
) -> Result<Phase, CliError> {
    let started = Instant::now();
    let results: Vec<Result<Vec<Duration>, CliError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let f = &f;
                scope.spawn(move || f(i, item))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(CliError::new(
                        "a bench stream",
                        "the stream's thread panicked",
                    ))
                })
            })
            .collect()
    });
    let wall = started.elapsed();
    let mut calls = Vec::new();
    for r in results {
        calls.extend(r?);
    }
    calls.sort();
    Ok(Phase {
        bytes: 0,
        wall,
        calls,
    })
}

/// Runs the benchmark.
pub(crate) fn run(global: &Global, args: &BenchArgs) -> Result<ExitCode, CliError> {
    let lsu = image_ref::lsu(&args.lsu)?;
    let size = parse_size(&args.size).map_err(|e| CliError::usage("--size", e))?;
    let block_len = parse_size(&args.block).map_err(|e| CliError::usage("--block", e))?;
    if args.streams == 0 || size == 0 || block_len == 0 {
        return Err(CliError::usage(
            "bench",
            "--size, --block and --streams must be positive",
        ));
    }
    let block_len = usize::try_from(block_len.min(256 << 20)).unwrap_or(1 << 20);
    let s = Session::open(global, Some(&args.server))?;
    let cpu_start = sysstats::cpu_times();
    let started = Instant::now();
    let stamp = image_ref::new_def("bench")?.date;
    let defs: Vec<ImageDef> = (0..args.streams)
        .map(|i| {
            image_ref::new_def(&format!(
                "vast-ost-bench-{}-{i}@{stamp}",
                std::process::id()
            ))
        })
        .collect::<Result<_, _>>()?;
    let total = size * args.streams as u64;
    let mut job = Job {
        plugin: s.plugin.clone(),
        server: s.server,
        lsu: lsu.clone(),
        size,
        block: block_len,
        bar: progress::bytes(Some(total), "write"),
    };
    let written = phase(&defs, |i, def| write_stream(&job, def, i as u64 + 1));
    job.bar.finish_and_clear();
    let ids: Vec<ImageId> = defs.iter().map(ImageDef::id).collect();
    let cleanup = |job: &Job| {
        if !args.keep {
            for id in &ids {
                let _ = job.plugin.delete_image(job.server, &job.lsu, id);
            }
        }
    };
    let mut write = match written {
        Ok(p) => p,
        Err(e) => {
            cleanup(&job);
            return Err(e);
        }
    };
    write.bytes = total;
    job.bar = progress::bytes(Some(total), "read");
    let read = phase(&ids, |_, id| read_stream(&job, id));
    job.bar.finish_and_clear();
    cleanup(&job);
    let mut read = read?;
    read.bytes = total;
    let wall = started.elapsed();
    let cpu_end = sysstats::cpu_times();
    let user = cpu_end.0.saturating_sub(cpu_start.0);
    let sys = cpu_end.1.saturating_sub(cpu_start.1);
    let cpu_pct = (user + sys).as_secs_f64() / wall.as_secs_f64().max(1e-9) * 100.0;
    let peak = sysstats::peak_rss();
    if global.json {
        print_json(&json!({
            "server": s.name.to_string(),
            "lsu": lsu.as_str(),
            "streams": args.streams,
            "image_size": size,
            "block_size": block_len,
            "write": write.json(),
            "read": read.json(),
            "cpu": {
                "user_seconds": user.as_secs_f64(),
                "system_seconds": sys.as_secs_f64(),
                "percent_of_one_core": cpu_pct,
            },
            "peak_rss_bytes": peak,
            "images_kept": args.keep,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
    let mut t = Table::new(&[
        "PHASE",
        "BYTES",
        "SECONDS",
        "THROUGHPUT",
        "CALLS",
        "P50 ms",
        "P90 ms",
        "P99 ms",
        "MAX ms",
    ]);
    for (name, ph) in [("write", &write), ("read", &read)] {
        t.row(vec![
            name.to_owned(),
            human_bytes(ph.bytes),
            format!("{:.2}", ph.wall.as_secs_f64()),
            human_rate(ph.bytes, ph.wall.as_secs_f64()),
            ph.calls.len().to_string(),
            ms(ph.percentile(0.50)),
            ms(ph.percentile(0.90)),
            ms(ph.percentile(0.99)),
            ms(ph.percentile(1.0)),
        ]);
    }
    print_text(&format!(
        "bench {} LSU {lsu}: {} stream(s) x {}, {} per call\n",
        s.name,
        args.streams,
        human_bytes(size),
        human_bytes(block_len as u64)
    ));
    t.print();
    print_text(&format!(
        "client CPU: {:.2}s user + {:.2}s system ({cpu_pct:.0}% of one core); peak memory {}\n",
        user.as_secs_f64(),
        sys.as_secs_f64(),
        human_bytes(peak)
    ));
    Ok(ExitCode::SUCCESS)
}
