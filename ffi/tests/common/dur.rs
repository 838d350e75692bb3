//! The durability suite's fixture (issue 14) on top of [`super::Env`]: the interactive C worker
//! (`tests/reliability/dur_driver.c`), a second media server (the same configuration with its
//! own fresh `state_dir`), model files and a seeded random generator.
//!
//! A worker is one media-server process: it opens the server once, then answers one line
//! `RC <status> key=value ...` per command, so a test can drive many operations per process,
//! SIGKILL it at any moment and start another one.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::{compile_c, library, Env};

pub const KIB: u64 = 1 << 10;
pub const MIB: u64 = 1 << 20;
/// The fixture's multipart part size (`part_size`): vast-sim refuses a middle part under it.
pub const PART: u64 = 5 * MIB;
/// The fixture's segment size (`segment_size`).
pub const SEGMENT: u64 = 10 * MIB;
/// NetBackup's usual write size.
pub const CALL: u64 = 256 * KIB;

/// Status codes (ffi/include/stspi_vast.h).
pub const EOK: i32 = 0;
pub const EINVAL: i32 = 2_060_001;
pub const ENOENT: i32 = 2_060_013;
pub const EBUSY: i32 = 2_060_905;

/// Which media server a worker plays. Both use the same simulator, user and bucket; each has
/// its own state directory (and so its own S3 key: VAST allows two per user, so there are
/// never more than these two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// The fixture's configuration (`state/`).
    A,
    /// The same configuration with a fresh `state_dir` (`state-b/`): another media server.
    B,
}

impl Env {
    /// Compiles the durability driver (once per environment).
    pub fn dur_driver(&self) -> PathBuf {
        let path = self.dir.path().join("dur_driver");
        if !path.exists() {
            compile_c(
                self.dir.path(),
                "tests/reliability/dur_driver.c",
                "dur_driver",
            );
        }
        path
    }

    /// The configuration of a second media server: identical to [`Env::config`] except
    /// `state_dir`, a fresh directory (written once).
    pub fn second_media_server_config(&self) -> PathBuf {
        let path = self.dir.path().join("vast-ost-b.toml");
        if !path.exists() {
            let text = std::fs::read_to_string(&self.config).unwrap();
            let state = self.dir.path().join("state").display().to_string();
            let state_b = self.dir.path().join("state-b").display().to_string();
            let from = format!("state_dir = \"{state}\"");
            assert!(text.contains(&from), "no state_dir line in:\n{text}");
            let text = text.replace(&from, &format!("state_dir = \"{state_b}\""));
            std::fs::write(&path, text).unwrap();
        }
        path
    }

    /// The configuration file of a media server.
    pub fn media_config(&self, media: Media) -> PathBuf {
        match media {
            Media::A => self.config.clone(),
            Media::B => self.second_media_server_config(),
        }
    }

    /// Starts a worker process of media server `media` with `model` as its model file, and
    /// waits until it has opened the server (`READY`).
    pub fn worker(&self, media: Media, model: &Path) -> Worker {
        let (user, password) = self.sim.admin_credentials();
        let n = WORKERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let label = format!("worker{n}/{media:?}");
        let err_path = self.dir.path().join(format!("worker{n}.stderr"));
        let mut child = Command::new(self.dur_driver())
            .arg(library())
            .arg(self.server_name())
            .arg("worker")
            .arg(model)
            .env("VAST_OST_CONFIG", self.media_config(media))
            .env("VAST_OST_USER", user)
            .env("VAST_OST_PASSWORD", password)
            .env("DUR_TIMEOUT", "180")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let pid = child.id();
        let mut w = Worker {
            label,
            child: Some(child),
            stdin,
            stdout,
            transcript: String::new(),
            pid,
            err_path,
            log: self.log.clone(),
        };
        let ready = w.read_line_starting(&["READY"]);
        w.transcript
            .push_str(&format!("(started, pid {pid}) {ready}\n"));
        w
    }
}

static WORKERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One answer of a worker: the status and its `key=value` words.
#[derive(Clone, Debug)]
pub struct Reply {
    pub rc: i32,
    pub line: String,
    kv: BTreeMap<String, String>,
}

impl Reply {
    fn parse(line: &str) -> Reply {
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some("RC"), "not a reply: {line}");
        let rc = words
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no status in reply: {line}"));
        let kv = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Reply {
            rc,
            line: line.to_owned(),
            kv,
        }
    }

    /// A value of the reply.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.kv.get(key).map(String::as_str)
    }

    /// A number of the reply; panics naming the line when absent.
    pub fn num(&self, key: &str) -> u64 {
        self.get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no number {key}= in `{}`", self.line))
    }

    /// A 0/1 flag of the reply.
    pub fn flag(&self, key: &str) -> bool {
        self.num(key) == 1
    }
}

/// A durability worker: one media-server process.
pub struct Worker {
    pub label: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    transcript: String,
    pid: u32,
    err_path: PathBuf,
    log: PathBuf,
}

impl Worker {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// What the worker was told and answered so far.
    pub fn transcript(&self) -> &str {
        &self.transcript
    }

    /// Panics with the worker's transcript, its stderr and the tail of the plugin log.
    pub fn die(&self, why: &str) -> ! {
        let err = std::fs::read_to_string(&self.err_path).unwrap_or_default();
        panic!(
            "{}: {why}\n--- transcript\n{}--- stderr\n{err}--- plugin log tail\n{}",
            self.label,
            self.transcript,
            log_tail(&self.log, 25)
        );
    }

    fn read_line_starting(&mut self, keywords: &[&str]) -> String {
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).unwrap_or(0);
            if n == 0 {
                let status = self.child.as_mut().and_then(|c| c.wait().ok());
                self.die(&format!(
                    "output ended before {keywords:?} (exit: {status:?})"
                ));
            }
            if line.starts_with("FAIL") {
                self.transcript.push_str(&line);
                self.die("the driver failed");
            }
            if keywords.iter().any(|k| line.starts_with(k)) {
                return line.trim_end().to_owned();
            }
            self.transcript.push_str(&line);
        }
    }

    /// Adds a line to the transcript (where a test stands).
    pub fn mark(&mut self, s: &str) {
        self.transcript.push_str(&format!("# {s}\n"));
    }

    /// Sends one command without waiting for its answer.
    pub fn send(&mut self, cmd: &str) {
        self.transcript.push_str(&format!("> {cmd}\n"));
        let stdin = self.stdin.as_mut().unwrap();
        if stdin
            .write_all(format!("{cmd}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .is_err()
        {
            self.die(&format!("cannot send `{cmd}`"));
        }
    }

    /// Reads the answer of the command sent last.
    pub fn answer(&mut self) -> Reply {
        let line = self.read_line_starting(&["RC "]);
        self.transcript.push_str(&format!("< {line}\n"));
        Reply::parse(&line)
    }

    /// Sends a command and returns its answer.
    pub fn cmd(&mut self, cmd: &str) -> Reply {
        self.send(cmd);
        self.answer()
    }

    /// Sends a command and asserts it answers `want`.
    pub fn expect(&mut self, cmd: &str, want: i32, why: &str) -> Reply {
        let r = self.cmd(cmd);
        if r.rc != want {
            self.die(&format!(
                "`{cmd}` answered {} ({}), expected {want} ({}): {why}",
                r.rc,
                code_name(r.rc),
                code_name(want)
            ));
        }
        r
    }

    /// Sends a command and asserts it answers STS_EOK.
    pub fn ok(&mut self, cmd: &str) -> Reply {
        self.expect(cmd, EOK, "")
    }

    /// Writes the model's [offset, offset+len) in `chunk`-byte calls and asserts every call
    /// was acknowledged in full. Returns the caller's new offset.
    pub fn write_ok(&mut self, offset: u64, len: u64, chunk: u64) -> u64 {
        let r = self.cmd(&format!("write {offset} {len} {chunk}"));
        if r.rc != EOK || r.num("acked") != offset + len || r.flag("short") {
            self.die(&format!(
                "writing [{offset}, {}) in {chunk}-byte calls: answered {} ({}) with {} bytes \
                 acknowledged; every write of any length must be accepted",
                offset + len,
                r.rc,
                code_name(r.rc),
                r.get("acked").unwrap_or("?")
            ));
        }
        offset + len
    }

    /// Waits for the `PAUSED acked=N` line of a pausing write; returns N, or the write's
    /// answer when it ended before its pause point (a call failed).
    pub fn wait_paused(&mut self) -> Result<u64, Reply> {
        let line = self.read_line_starting(&["PAUSED", "RC "]);
        self.transcript.push_str(&format!("< {line}\n"));
        if line.starts_with("RC ") {
            return Err(Reply::parse(&line));
        }
        Ok(line
            .split_once("acked=")
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("bad pause line {line}")))
    }

    /// Lets a paused write go on.
    pub fn go(&mut self) {
        self.send("go");
    }

    /// SIGKILL, as a crashing media server, and reap it (so its pid no longer exists).
    pub fn kill(mut self) -> String {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        println!("INJECT SIGKILL of {} (pid {})", self.label, self.pid);
        std::mem::take(&mut self.transcript)
    }

    /// SIGSTOP: the process lives on (its pid exists) but does nothing, heartbeats included.
    pub fn freeze(&self) {
        // SAFETY: a signal to our own child.
        let rc = unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGSTOP) };
        assert_eq!(rc, 0);
        println!("INJECT SIGSTOP of {} (pid {})", self.label, self.pid);
    }

    /// `quit`: closes the server and terminates the plugin; waits for the exit.
    pub fn quit(mut self) -> Reply {
        let r = self.cmd("quit");
        drop(self.stdin.take());
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
        r
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The last `n` lines of a log file.
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[lines.len().saturating_sub(n)..].join("\n");
    out.push('\n');
    out
}

/// Every line of a log file that names `what` (an image: `{name}@` or `/{name}/`).
pub fn log_lines_naming(path: &Path, what: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (at, key) = (format!("{what}@"), format!("/{what}/"));
    text.lines()
        .filter(|l| l.contains(&at) || l.contains(&key))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The header's name of a status code.
pub fn code_name(rc: i32) -> &'static str {
    match rc {
        0 => "STS_EOK",
        2_060_001 => "STS_EINVAL",
        2_060_013 => "STS_ENOENT",
        2_060_019 => "STS_ENET",
        2_060_022 => "STS_EINTERNAL",
        2_060_902 => "STS_EEXIST",
        2_060_904 => "STS_ENOSPC",
        2_060_905 => "STS_EBUSY",
        2_060_906 => "STS_EPERM",
        2_060_909 => "STS_ETIMEDOUT",
        2_060_911 => "STS_EAGAIN",
        2_060_912 => "STS_ECORRUPT",
        _ => "?",
    }
}

/// SplitMix64: a small seeded generator, so a failing schedule is re-run from its seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi] (inclusive).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi);
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// Writes a model file of `size` pseudo-random bytes (from `seed`) into the environment's
/// directory; returns its path and its bytes.
pub fn model_file(env: &Env, name: &str, size: u64, seed: u64) -> (PathBuf, Vec<u8>) {
    let mut rng = Rng::new(seed);
    let mut bytes = Vec::with_capacity(size as usize);
    while (bytes.len() as u64) < size {
        bytes.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    bytes.truncate(size as usize);
    let path = env.dir.path().join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// Restores `name` through `w` into a file and asserts it holds exactly `model[..size]`.
pub fn assert_restores_model(env: &Env, w: &mut Worker, name: &str, model: &[u8], size: u64) {
    let path = env.dir.path().join(format!("restore-{name}"));
    let r = w.cmd(&format!("restore {name} {}", path.display()));
    if r.rc != EOK {
        w.die(&format!(
            "restore of {name} answered {} ({})",
            r.rc,
            code_name(r.rc)
        ));
    }
    let got = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let want = &model[..size as usize];
    if got.len() != want.len() || got != want {
        let first = got
            .iter()
            .zip(want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        w.die(&format!(
            "restore of {name}: {} bytes, expected {}; first difference at byte {first} \
             (part {} + {}, segment {} + {})",
            got.len(),
            want.len(),
            first as u64 / PART,
            first as u64 % PART,
            first as u64 / SEGMENT,
            first as u64 % SEGMENT
        ));
    }
    println!("CHECKED restore of {name}: {size} bytes equal the model's");
}

/// Reopens `name` for write on `w` (a Pending image nobody holds), checks the handle continues
/// at `size`, writes the model up to `end` in `call`-byte calls, completes and restores it.
pub fn resume_and_complete(
    env: &Env,
    w: &mut Worker,
    name: &str,
    size: u64,
    end: u64,
    call: u64,
    model: &[u8],
) {
    w.expect(
        &format!("open-write {name}"),
        EOK,
        "reopen for write of a Pending image nobody holds",
    );
    let h = w.ok("hprops");
    if h.num("size") != size {
        w.die(&format!(
            "reopened for write, the handle reports `{}`; it must continue at {size}",
            h.line
        ));
    }
    w.write_ok(size, end - size, call);
    w.expect("close-complete", EOK, "completing the resumed image");
    assert_restores_model(env, w, name, model, end);
}

/// A writer killed after the segment holding its checkpoint completed. A checkpoints (`flush`)
/// at one segment + one part + 3 MiB, writes on to 5 segments (at most 4 parts are in flight,
/// so the checkpoint's segment and the next ones complete: the checkpointed part now lives only
/// inside a completed segment object), `on_server` looks at the server, then A is SIGKILLed
/// before it checkpoints again. B must see the image Pending at the checkpoint, reopen it for
/// write there, finish it from the model, and restore exactly the model.
pub fn killed_after_the_checkpoint_segment_completed(
    env: &Env,
    name: &str,
    on_server: impl FnOnce(&Env, &str),
) {
    let size = 5 * SEGMENT + PART / 2;
    let (model, bytes) = model_file(env, &format!("model-{name}"), size, 23);
    let checkpoint = SEGMENT + PART + 3 * MIB;
    let mut a = env.worker(Media::A, &model);
    a.ok(&format!("create {name}"));
    let acked = a.write_ok(0, checkpoint, CALL);
    a.expect("flush", EOK, "a flush of a healthy image");
    a.write_ok(acked, 5 * SEGMENT - acked, CALL);
    on_server(env, name);
    a.kill();

    let mut b = env.worker(Media::B, &model);
    let p = b.ok(&format!("props {name}"));
    if p.num("size") != acked || !p.flag("pending") {
        b.die(&format!(
            "after A's death B sees `{}`: expected Pending with imo_size {acked}",
            p.line
        ));
    }
    resume_and_complete(env, &mut b, name, acked, size, CALL, &bytes);
    b.quit();
}
