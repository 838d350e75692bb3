//! `cargo xtask fuzz [--seconds N]`: the cargo-fuzz targets in `fuzz/`, each for a bounded time.
//!
//! Builds the targets once with `cargo fuzz build --sanitizer none -O` (stable Rust: no ASan, the
//! code is safe Rust; the coverage-guided search is what we want), then runs each libFuzzer binary
//! directly with a fresh corpus `target/fuzz-corpus/<target>` (written) plus the committed seeds
//! `fuzz/seeds/<target>` (read only). Crash artifacts go to `target/fuzz-artifacts/<target>/`;
//! the full libFuzzer output to `target/fuzz-logs/<target>.log`. On a crash the task fails and
//! prints the reproducer's path and bytes.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::command::{cargo, ensure_cargo_tool, run as run_step, workspace_root};
use crate::harness::target_dir;

/// The fuzz targets (`fuzz/fuzz_targets/<name>.rs`).
const TARGETS: [&str; 2] = ["parsers", "descriptor"];

/// The cargo-fuzz this task runs (installed when missing).
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Seconds per target when `--seconds` is not given (what CI runs).
pub(crate) const DEFAULT_SECONDS: u64 = 45;

/// Lines of libFuzzer output shown when a target fails.
const TAIL_LINES: usize = 40;

/// Entry point with the task's arguments.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut seconds = DEFAULT_SECONDS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = args.next().context("--seconds needs a value")?;
                seconds = value
                    .parse()
                    .with_context(|| format!("--seconds {value:?}: not a whole number"))?;
            }
            other => bail!("fuzz: unknown argument `{other}` (usage: fuzz [--seconds N])"),
        }
    }
    run_targets(seconds)
}

/// Builds both targets and runs each for `seconds`; fails on the first crash.
pub(crate) fn run_targets(seconds: u64) -> Result<()> {
    if seconds == 0 {
        bail!("fuzz: --seconds must be at least 1");
    }
    ensure_cargo_tool("cargo-fuzz", CARGO_FUZZ_VERSION)?;
    let triple = host_triple()?;
    let build_dir = target_dir().join("fuzz");
    let started = Instant::now();
    let mut build = cargo();
    build
        .args([
            "fuzz",
            "build",
            "--fuzz-dir",
            "fuzz",
            "--sanitizer",
            "none",
            "-O",
        ])
        .args(["--target", &triple])
        .arg("--target-dir")
        .arg(&build_dir);
    run_step("fuzz build", &mut build)?;
    eprintln!("==> fuzz build: {:.0} s", started.elapsed().as_secs_f64());
    let binaries = build_dir.join(&triple).join("release");
    for target in TARGETS {
        let summary = run_target(&binaries.join(target), target, seconds)?;
        eprintln!("==> fuzz {target}: {summary}");
    }
    Ok(())
}

/// What one bounded run did.
struct Summary {
    /// Inputs executed (libFuzzer's `Done N runs`).
    runs: u64,
    /// Wall-clock seconds of the run.
    seconds: f64,
    /// Inputs libFuzzer wrote to the fresh corpus.
    new_inputs: usize,
    /// Committed seed inputs it started from.
    seeds: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rate = if self.seconds > 0.0 {
            self.runs as f64 / self.seconds
        } else {
            0.0
        };
        write!(
            f,
            "{} runs in {:.1} s ({:.0} runs/s); corpus {} new inputs + {} seeds",
            self.runs, self.seconds, rate, self.new_inputs, self.seeds
        )
    }
}

/// Runs one libFuzzer binary for `seconds`, with its output in a log file.
fn run_target(binary: &Path, target: &str, seconds: u64) -> Result<Summary> {
    let corpus = target_dir().join("fuzz-corpus").join(target);
    let artifacts = target_dir().join("fuzz-artifacts").join(target);
    let logs = target_dir().join("fuzz-logs");
    for dir in [&corpus, &artifacts] {
        if dir.exists() {
            fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let seeds = workspace_root().join("fuzz").join("seeds").join(target);
    let log_path = logs.join(format!("{target}.log"));

    let mut command = Command::new(binary);
    command.arg(&corpus);
    if seeds.is_dir() {
        command.arg(&seeds);
    }
    // libFuzzer joins the prefix and the file name by plain concatenation: keep the slash.
    let mut prefix = artifacts.clone().into_os_string();
    prefix.push("/");
    let mut prefix_arg = std::ffi::OsString::from("-artifact_prefix=");
    prefix_arg.push(prefix);
    command
        .arg(format!("-max_total_time={seconds}"))
        .arg(prefix_arg)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    eprintln!(
        "==> fuzz {target}: {command:?} (log: {})",
        log_path.display()
    );

    // libFuzzer reports on stderr; anything the target prints on stdout goes to the log as is.
    let log =
        fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    command.stdout(log.try_clone().context("sharing the fuzz log")?);
    let mut log = log;
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let mut lines = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        let mut reader = BufReader::new(stderr);
        let mut raw = Vec::new();
        while reader
            .read_until(b'\n', &mut raw)
            .context("reading libFuzzer output")?
            > 0
        {
            log.write_all(&raw).context("writing the fuzz log")?;
            lines.push(String::from_utf8_lossy(&raw).trim_end().to_owned());
            raw.clear();
        }
    }
    let status = child.wait().context("waiting for libFuzzer")?;
    let elapsed = started.elapsed().as_secs_f64();

    if !status.success() {
        // From the panic message on (a Rust panic is followed by its backtrace and libFuzzer's
        // report), or the last lines when there is no panic (a timeout, running out of memory).
        let tail = lines.len().saturating_sub(TAIL_LINES);
        let from = lines
            .iter()
            .rposition(|line| line.contains("panicked at"))
            .map_or(tail, |panic| panic.min(tail));
        eprintln!("---- last libFuzzer lines ({})", log_path.display());
        for line in &lines[from..] {
            eprintln!("{line}");
        }
        for artifact in files_in(&artifacts)? {
            let bytes =
                fs::read(&artifact).with_context(|| format!("reading {}", artifact.display()))?;
            eprintln!(
                "==> fuzz {target}: reproducer {} ({} bytes): {}",
                artifact.display(),
                bytes.len(),
                hex(&bytes)
            );
            eprintln!("    replay: {} {}", binary.display(), artifact.display());
        }
        bail!("fuzz target `{target}` failed ({})", status);
    }
    let runs = lines
        .iter()
        .rev()
        .find_map(|line| done_runs(line))
        .with_context(|| {
            format!(
                "fuzz {target}: no `Done N runs` line in {}",
                log_path.display()
            )
        })?;
    Ok(Summary {
        runs,
        seconds: elapsed,
        new_inputs: files_in(&corpus)?.len(),
        seeds: if seeds.is_dir() {
            files_in(&seeds)?.len()
        } else {
            0
        },
    })
}

/// The `N` of libFuzzer's closing `Done N runs in S second(s)` line.
fn done_runs(line: &str) -> Option<u64> {
    line.strip_prefix("Done ")?
        .split_once(" runs in ")?
        .0
        .parse()
        .ok()
}

/// Lower-case hex of `bytes`, in groups of four bytes so long inputs stay readable.
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2 + bytes.len() / 4);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The regular files directly in `dir`, sorted.
fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The host's target triple (`rustc -vV`), where cargo-fuzz puts the binaries.
fn host_triple() -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc)
        .arg("-vV")
        .output()
        .with_context(|| format!("running `{rustc} -vV`"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` printed no host triple")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_run_count_from_the_done_line() {
        assert_eq!(
            done_runs("Done 1030864 runs in 6 second(s)"),
            Some(1_030_864)
        );
        assert_eq!(done_runs("#1030864\tDONE   cov: 1100 ft: 5000"), None);
        assert_eq!(done_runs("Done x runs in 6 second(s)"), None);
    }

    #[test]
    fn hex_groups_four_bytes() {
        assert_eq!(hex(b""), "");
        assert_eq!(hex(&[0, 0xff, 0x10]), "00ff10");
        assert_eq!(hex(b"vast://a"), "76617374 3a2f2f61");
    }

    #[test]
    fn summary_reports_rate_and_corpus() {
        let summary = Summary {
            runs: 3_000,
            seconds: 2.0,
            new_inputs: 7,
            seeds: 3,
        };
        assert_eq!(
            summary.to_string(),
            "3000 runs in 2.0 s (1500 runs/s); corpus 7 new inputs + 3 seeds"
        );
    }
}
