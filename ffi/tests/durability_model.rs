//! Durability (issue 14), model-based: random schedules of writes, flushes, checkpoints,
//! SIGKILLs and resumes, through the built C library (one process per media server, two media
//! servers with their own state dirs), checked against a plain file as the model.
//!
//! Each schedule writes one image, always the model file's bytes at the caller's offset. The
//! caller (this test, playing NetBackup) keeps three numbers:
//! - `acked`: the end of the bytes `stspi_write_image` acknowledged (where the caller stands);
//! - `floor`, the last durable point: `acked` at the last successful `stspi_flush_image` or
//!   checkpoint close, or the size a resume found;
//! - `ceiling`: the most bytes ever possibly acknowledged (for a kill while a write was in
//!   flight: the end of that write).
//!
//! What is asserted:
//! - every write of any length (1 B .. 7 MiB, in calls of 1 B .. 4 MiB + 1) is acknowledged;
//! - after a flush, another media server's props show imo_size == acked, Pending, BUSY_WRITE;
//! - after a checkpoint close, props (same or other media server) show imo_size == acked,
//!   Pending, not BUSY_WRITE, and a reopen for write answers STS_EOK with the handle's imo_size
//!   == acked; the caller continues at its own offset `acked`;
//! - after a SIGKILL (between commands, paused in the middle of a write, or racing a write),
//!   a new process (either media server) finds the image Pending (never deleted) with
//!   floor <= imo_size <= ceiling: never below the last durable point, never more than was
//!   acknowledged. Bytes above the floor are allowed (uploaded before the kill) but they are
//!   verified: the writer continues at that size (or, half the time when it is above the
//!   floor, at the floor, as NetBackup restarting from its own checkpoint does, rewriting the
//!   same bytes), and the final restore compares every byte with the model;
//! - the reopen for write after a kill answers STS_EOK at once (a dead writer on this host is a
//!   crashed writer) with the handle's imo_size == the size props showed;
//! - close COMPLETE answers STS_EOK, props show Complete with the model's size, and the restore
//!   equals the model's first bytes.
//!
//! Two tests: schedules whose every length is a multiple of 512 (the durability contract
//! alone), and schedules with odd lengths (the tolerance contract too). 200 schedules in all
//! by default (`DURABILITY_SCHEDULES=N` for more, split between the two);
//! `DURABILITY_FIRST_SEED` moves the seeds; `DURABILITY_SEED=S` runs that one schedule (both
//! kinds decide by the seed's parity: even seeds aligned, odd seeds odd lengths).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Instant;

use common::dur::*;
use common::{DataPath, Env};

const MODEL_SIZE: u64 = 34 * MIB;
/// Failing schedules after which a test stops (the first ones are the useful ones).
const MAX_FAILURES: usize = 8;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The two media servers' current worker processes.
struct Pool<'a> {
    env: &'a Env,
    model: &'a Path,
    model_bytes: &'a [u8],
    a: Option<Worker>,
    b: Option<Worker>,
    spawned: u64,
    killed: u64,
    current: String,
    /// How often each kind of step ran (printed: what the schedules covered).
    counts: std::collections::BTreeMap<&'static str, u64>,
}

impl Pool<'_> {
    fn slot(&mut self, m: Media) -> &mut Option<Worker> {
        match m {
            Media::A => &mut self.a,
            Media::B => &mut self.b,
        }
    }

    fn get(&mut self, m: Media) -> &mut Worker {
        if self.slot(m).is_none() {
            let mut w = self.env.worker(m, self.model);
            w.mark(&self.current);
            self.spawned += 1;
            *self.slot(m) = Some(w);
        }
        self.slot(m).as_mut().unwrap()
    }

    fn kill(&mut self, m: Media) {
        if let Some(w) = self.slot(m).take() {
            let _ = w.kill();
            self.killed += 1;
        }
    }

    fn count(&mut self, what: &'static str) {
        *self.counts.entry(what).or_default() += 1;
    }

    /// Marks the start of a schedule in the transcripts (of workers started later too).
    fn mark(&mut self, s: String) {
        for w in [&mut self.a, &mut self.b].into_iter().flatten() {
            w.mark(&s);
        }
        self.current = s;
    }

    fn clear(&mut self) {
        self.a = None;
        self.b = None;
    }
}

fn other(m: Media) -> Media {
    match m {
        Media::A => Media::B,
        Media::B => Media::A,
    }
}

struct Schedule {
    seed: u64,
    rng: Rng,
    name: String,
    aligned: bool,
    target: u64,
    writer: Media,
    acked: u64,
    floor: u64,
    ceiling: u64,
    steps: Vec<String>,
}

impl Schedule {
    fn new(seed: u64) -> Schedule {
        let mut rng = Rng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xD0_4AB1);
        let aligned = seed.is_multiple_of(2);
        // Mostly small images: a quarter within the first part, most under 25 MiB.
        let mut target = match rng.range(0, 99) {
            0..=24 => rng.range(1, PART + MIB),
            25..=79 => rng.range(PART, 14 * MIB),
            _ => rng.range(14 * MIB, 30 * MIB),
        };
        if aligned {
            target = target.div_ceil(512) * 512;
        }
        let writer = if rng.percent(50) { Media::A } else { Media::B };
        Schedule {
            seed,
            rng,
            name: format!("model_s{seed}"),
            aligned,
            target,
            writer,
            acked: 0,
            floor: 0,
            ceiling: 0,
            steps: Vec::new(),
        }
    }

    fn note(&mut self, s: String) {
        self.steps.push(s);
    }

    /// A write length for the next write: 1 B .. 7 MiB, not past the target.
    fn write_len(&mut self) -> u64 {
        let len = match self.rng.range(0, 99) {
            0..=24 => self.rng.range(1, 64 * KIB),
            25..=59 => self.rng.range(64 * KIB, 2 * MIB),
            _ => self.rng.range(2 * MIB, 7 * MIB),
        };
        let len = if self.aligned {
            len.div_ceil(512) * 512
        } else {
            len
        };
        len.min(self.target - self.acked)
    }

    /// A call size for a write of `len` bytes (at most ~1500 calls per write).
    fn call_size(&mut self, len: u64) -> u64 {
        let c = if self.aligned {
            match self.rng.range(0, 4) {
                0 => CALL,
                1 => MIB,
                2 => 4 * MIB,
                3 => 512 * self.rng.range(1, 4096),
                _ => 64 * KIB,
            }
        } else {
            match self.rng.range(0, 5) {
                0 => CALL,
                1 => MIB,
                2 => 4 * MIB + 1,
                3 => self.rng.range(1, 2 * MIB),
                4 => self.rng.range(1, 4096),
                _ => CALL - 1,
            }
        };
        let min = len.div_ceil(1500).max(1);
        let min = if self.aligned {
            min.div_ceil(512) * 512
        } else {
            min
        };
        c.max(min)
    }

    fn fail(&self, pool: &Pool<'_>, why: String) -> ! {
        let transcript = |w: &Option<Worker>| {
            w.as_ref()
                .map(|w| {
                    let t = w.transcript();
                    let lines: Vec<&str> = t.lines().collect();
                    lines[lines.len().saturating_sub(30)..].join("\n")
                })
                .unwrap_or_default()
        };
        panic!(
            "schedule seed {} ({}, image {}, target {} bytes) failed: {why}\n\
             re-run: DURABILITY_SEED={} cargo test -p ost-ffi --test durability_model -- --nocapture\n\
             steps:\n  {}\n--- worker A transcript (tail)\n{}\n--- worker B transcript (tail)\n{}\n\
             --- plugin log, lines of this image\n{}--- plugin log tail\n{}",
            self.seed,
            if self.aligned { "aligned lengths" } else { "odd lengths" },
            self.name,
            self.target,
            self.seed,
            self.steps.join("\n  "),
            transcript(&pool.a),
            transcript(&pool.b),
            log_lines_naming(&pool.env.log, &self.name),
            log_tail(&pool.env.log, 20)
        )
    }

    fn run(&mut self, pool: &mut Pool<'_>) {
        let name = self.name.clone();
        pool.mark(format!("--- schedule seed {} ({name})", self.seed));
        let w = pool.get(self.writer);
        let r = w.cmd(&format!("create {name}"));
        if r.rc != EOK {
            self.fail(
                pool,
                format!("create answered {} ({})", r.rc, code_name(r.rc)),
            );
        }
        self.note(format!("create on {:?}", self.writer));
        let steps = self.rng.range(2, 8);
        for _ in 0..steps {
            match self.rng.range(0, 99) {
                0..=44 => self.step_write(pool),
                45..=59 => self.step_flush(pool),
                60..=79 => self.step_checkpoint(pool),
                80..=89 => self.step_kill_between(pool),
                _ => self.step_kill_mid_write(pool),
            }
        }
        self.finish(pool);
    }

    fn step_write(&mut self, pool: &mut Pool<'_>) {
        let len = self.write_len();
        if len == 0 {
            return;
        }
        let call = self.call_size(len);
        let at = self.acked;
        self.note(format!("write [{at}, {}) in {call}-byte calls", at + len));
        let w = pool.get(self.writer);
        let r = w.cmd(&format!("write {at} {len} {call}"));
        if r.rc != EOK || r.num("acked") != at + len || r.flag("short") {
            self.fail(
                pool,
                format!(
                    "write [{at}, {}) in {call}-byte calls answered {} ({}), {} bytes \
                     acknowledged: a write of any length must be accepted",
                    at + len,
                    r.rc,
                    code_name(r.rc),
                    r.get("acked").unwrap_or("?")
                ),
            );
        }
        self.acked = at + len;
        self.ceiling = self.ceiling.max(self.acked);
        pool.count("writes");
    }

    fn step_flush(&mut self, pool: &mut Pool<'_>) {
        let name = self.name.clone();
        let acked = self.acked;
        self.note(format!("flush at {acked}"));
        let r = pool.get(self.writer).cmd("flush");
        if r.rc != EOK {
            self.fail(
                pool,
                format!("flush answered {} ({})", r.rc, code_name(r.rc)),
            );
        }
        self.floor = acked;
        pool.count("flushes");
        if self.rng.percent(60) {
            pool.count("flushes checked from the other media server");
            let o = other(self.writer);
            let p = pool.get(o).cmd(&format!("props {name}"));
            self.note(format!("props on {o:?}: {}", p.line));
            if p.rc != EOK || p.num("size") != acked || !p.flag("pending") || !p.flag("busy_write")
            {
                self.fail(
                    pool,
                    format!(
                        "after a successful flush at {acked}, the other media server sees `{}`; \
                         expected Pending, BUSY_WRITE, imo_size {acked}",
                        p.line
                    ),
                );
            }
        }
    }

    fn step_checkpoint(&mut self, pool: &mut Pool<'_>) {
        let name = self.name.clone();
        let acked = self.acked;
        let r = pool.get(self.writer).cmd("close-incomplete");
        self.note(format!("close-incomplete at {acked} on {:?}", self.writer));
        if r.rc != EOK {
            self.fail(
                pool,
                format!("checkpoint close answered {} ({})", r.rc, code_name(r.rc)),
            );
        }
        self.floor = acked;
        let m = if self.rng.percent(50) {
            self.writer
        } else {
            other(self.writer)
        };
        pool.count(if m == self.writer {
            "checkpoints resumed in the same process"
        } else {
            "checkpoints resumed on the other media server"
        });
        let p = pool.get(m).cmd(&format!("props {name}"));
        self.note(format!("props on {m:?}: {}", p.line));
        if p.rc != EOK || p.num("size") != acked || !p.flag("pending") || p.flag("busy_write") {
            self.fail(
                pool,
                format!(
                    "after a checkpoint close at {acked}, {m:?} sees `{}`; expected Pending, \
                     not busy, imo_size {acked}",
                    p.line
                ),
            );
        }
        self.reopen(pool, m, acked);
        self.writer = m;
    }

    /// Reopens for write on `m` and checks the handle's size.
    fn reopen(&mut self, pool: &mut Pool<'_>, m: Media, size: u64) {
        let name = self.name.clone();
        let w = pool.get(m);
        let r = w.cmd(&format!("open-write {name}"));
        let h = if r.rc == EOK {
            Some(w.cmd("hprops"))
        } else {
            None
        };
        self.note(format!("open-write on {m:?}: {}", r.line));
        if r.rc != EOK {
            self.fail(
                pool,
                format!(
                    "reopen for write on {m:?} answered {} ({})",
                    r.rc,
                    code_name(r.rc)
                ),
            );
        }
        let h = h.unwrap();
        if h.rc != EOK || h.num("size") != size {
            self.fail(
                pool,
                format!(
                    "reopened for write, the handle reports `{}`; it must continue at {size}",
                    h.line
                ),
            );
        }
    }

    /// After the writer died: a new process of either media server finds the image, checks
    /// its size against floor and ceiling, reopens it and continues.
    fn resume_after_kill(&mut self, pool: &mut Pool<'_>) {
        let name = self.name.clone();
        let m = if self.rng.percent(50) {
            Media::A
        } else {
            Media::B
        };
        let p = pool.get(m).cmd(&format!("props {name}"));
        self.note(format!("props on {m:?} after the kill: {}", p.line));
        if p.rc != EOK || !p.flag("pending") || p.flag("created") {
            self.fail(
                pool,
                format!(
                    "after the writer was killed, {m:?} sees `{}`: the image must stay Pending \
                     and resumable",
                    p.line
                ),
            );
        }
        let size = p.num("size");
        if size < self.floor || size > self.ceiling {
            self.fail(
                pool,
                format!(
                    "after the writer was killed, imo_size is {size}; the last durable point was \
                     {} and at most {} bytes were ever acknowledged: it must lie between them",
                    self.floor, self.ceiling
                ),
            );
        }
        self.reopen(pool, m, size);
        self.writer = m;
        pool.count(if size > self.floor {
            "resumes after a kill above the last durable point"
        } else {
            "resumes after a kill at the last durable point"
        });
        let from = if size > self.floor && self.rng.percent(50) {
            self.floor
        } else {
            size
        };
        self.floor = size;
        self.acked = from;
        if from < size {
            pool.count("resumes at the caller's own checkpoint below the plugin's size");
            // NetBackup restarting from its own checkpoint: it resends the bytes from there,
            // at least up to the size the plugin holds.
            let mut len = size - from + self.rng.range(0, MIB);
            if self.aligned {
                len = len.div_ceil(512) * 512;
            }
            let len = len.min(self.target - from);
            let call = self.call_size(len);
            self.note(format!(
                "resume at own checkpoint {from} (plugin holds {size}): write [{from}, {}) in {call}-byte calls",
                from + len
            ));
            let r = pool.get(m).cmd(&format!("write {from} {len} {call}"));
            if r.rc != EOK || r.num("acked") != from + len {
                self.fail(
                    pool,
                    format!(
                        "rewriting [{from}, {}) (below the plugin's size {size}) answered {} ({})",
                        from + len,
                        r.rc,
                        code_name(r.rc)
                    ),
                );
            }
            self.acked = from + len;
        }
        self.ceiling = self.ceiling.max(self.acked);
    }

    fn step_kill_between(&mut self, pool: &mut Pool<'_>) {
        self.note(format!(
            "SIGKILL {:?} between commands (acked {}, floor {})",
            self.writer, self.acked, self.floor
        ));
        pool.kill(self.writer);
        pool.count("kills between commands");
        self.resume_after_kill(pool);
    }

    fn step_kill_mid_write(&mut self, pool: &mut Pool<'_>) {
        let len = self.write_len();
        if len == 0 {
            return self.step_kill_between(pool);
        }
        let call = self.call_size(len);
        let calls = len.div_ceil(call);
        let at = self.acked;
        if calls >= 2 && self.rng.percent(60) {
            let k = self.rng.range(1, calls - 1);
            self.note(format!(
                "write [{at}, {}) in {call}-byte calls, SIGKILL after {k} calls",
                at + len
            ));
            let w = pool.get(self.writer);
            w.send(&format!("write {at} {len} {call} {k}"));
            let acked = match w.wait_paused() {
                Ok(acked) => acked,
                Err(r) => self.fail(
                    pool,
                    format!(
                        "write [{at}, {}) in {call}-byte calls answered {} ({}) after {} bytes, \
                         before its pause point: a write of any length must be accepted",
                        at + len,
                        r.rc,
                        code_name(r.rc),
                        r.get("acked").unwrap_or("?")
                    ),
                ),
            };
            self.ceiling = self.ceiling.max(acked);
            self.note(format!("paused at {acked}, SIGKILL (floor {})", self.floor));
            pool.count("kills in the middle of a write (after K calls)");
        } else {
            let delay = self.rng.range(0, 120);
            self.note(format!(
                "write [{at}, {}) in {call}-byte calls, SIGKILL {delay} ms after sending it (floor {})",
                at + len,
                self.floor
            ));
            pool.get(self.writer)
                .send(&format!("write {at} {len} {call}"));
            std::thread::sleep(std::time::Duration::from_millis(delay));
            self.ceiling = self.ceiling.max(at + len);
            pool.count("kills racing a write");
        }
        pool.kill(self.writer);
        self.resume_after_kill(pool);
    }

    fn finish(&mut self, pool: &mut Pool<'_>) {
        let name = self.name.clone();
        if self.acked < self.target {
            let len = self.target - self.acked;
            let call = self.call_size(len);
            let at = self.acked;
            self.note(format!(
                "write the rest [{at}, {}) in {call}-byte calls",
                self.target
            ));
            let r = pool
                .get(self.writer)
                .cmd(&format!("write {at} {len} {call}"));
            if r.rc != EOK || r.num("acked") != self.target {
                self.fail(
                    pool,
                    format!(
                        "write [{at}, {}) answered {} ({})",
                        self.target,
                        r.rc,
                        code_name(r.rc)
                    ),
                );
            }
            self.acked = self.target;
        }
        let r = pool.get(self.writer).cmd("close-complete");
        self.note(format!("close-complete at {}: {}", self.acked, r.line));
        if r.rc != EOK {
            self.fail(
                pool,
                format!(
                    "close COMPLETE at {} answered {} ({})",
                    self.acked,
                    r.rc,
                    code_name(r.rc)
                ),
            );
        }
        let m = if self.rng.percent(50) {
            Media::A
        } else {
            Media::B
        };
        let p = pool.get(m).cmd(&format!("props {name}"));
        if p.rc != EOK || p.num("size") != self.target || !p.flag("created") || p.flag("pending") {
            self.fail(
                pool,
                format!(
                    "after close COMPLETE, {m:?} sees `{}`; expected Complete, imo_size {}",
                    p.line, self.target
                ),
            );
        }
        let path = pool.env.dir.path().join(format!("restore-{}", self.name));
        let r = pool
            .get(m)
            .cmd(&format!("restore {name} {}", path.display()));
        let got = std::fs::read(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        let want = &pool.model_bytes[..self.target as usize];
        if r.rc != EOK || got != want {
            let first = got
                .iter()
                .zip(want)
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(want.len()));
            self.fail(
                pool,
                format!(
                    "restore answered {} with {} bytes; expected the model's first {} bytes; \
                     first difference at byte {first}",
                    r.rc,
                    got.len(),
                    self.target
                ),
            );
        }
        // Keep the simulator small.
        let r = pool.get(m).cmd(&format!("delete {name}"));
        if r.rc != EOK {
            self.fail(
                pool,
                format!("delete answered {} ({})", r.rc, code_name(r.rc)),
            );
        }
    }
}

/// Runs `seeds` on one simulator; panics with the first failures.
fn run_schedules(kind: &str, seeds: &[u64]) {
    let t0 = Instant::now();
    let env = Env::start(DataPath::S3);
    let (model, model_bytes) = model_file(&env, "model", MODEL_SIZE, 0x5EED_0014);
    let mut pool = Pool {
        env: &env,
        model: &model,
        model_bytes: &model_bytes,
        a: None,
        b: None,
        spawned: 0,
        killed: 0,
        current: String::new(),
        counts: std::collections::BTreeMap::new(),
    };
    let mut failures: Vec<(u64, String)> = Vec::new();
    let mut bytes = 0u64;
    let mut ran = 0usize;
    for &seed in seeds {
        let mut s = Schedule::new(seed);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.run(&mut pool)));
        ran += 1;
        match result {
            Ok(()) => bytes += s.target,
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push((seed, msg.lines().next().unwrap_or("").to_owned()));
                // Start from fresh processes after a failure.
                pool.clear();
                if failures.len() >= MAX_FAILURES {
                    break;
                }
            }
        }
    }
    println!(
        "SCHEDULES {kind}: {ran} run, {} failed, {bytes} bytes completed and verified, \
         {} processes started, {} SIGKILLed, {:.1} s",
        failures.len(),
        pool.spawned,
        pool.killed,
        t0.elapsed().as_secs_f64()
    );
    for (what, n) in &pool.counts {
        println!("  {what}: {n}");
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} {kind} schedules failed{}:\n  {}",
        failures.len(),
        if failures.len() >= MAX_FAILURES {
            format!(" (stopped after {MAX_FAILURES})")
        } else {
            String::new()
        },
        failures
            .iter()
            .map(|(s, m)| format!("seed {s}: {m}"))
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// The seeds of one kind (parity 0: aligned, 1: odd lengths).
fn seeds(parity: u64) -> Vec<u64> {
    if let Some(seed) = env_u64("DURABILITY_SEED") {
        return if seed % 2 == parity {
            vec![seed]
        } else {
            Vec::new()
        };
    }
    let total = env_u64("DURABILITY_SCHEDULES").unwrap_or(200);
    let first = env_u64("DURABILITY_FIRST_SEED").unwrap_or(1);
    (first..)
        .filter(|s| s % 2 == parity)
        .take(total.div_ceil(2) as usize)
        .collect()
}

#[test]
fn random_schedules_with_aligned_lengths() {
    let seeds = seeds(0);
    if !seeds.is_empty() {
        run_schedules("aligned-length", &seeds);
    }
}

#[test]
fn random_schedules_with_odd_lengths() {
    let seeds = seeds(1);
    if !seeds.is_empty() {
        run_schedules("odd-length", &seeds);
    }
}
