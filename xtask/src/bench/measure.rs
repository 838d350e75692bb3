//! One measured run of a client process: wall time, its own CPU (user + sys from `wait4`'s
//! rusage, so nothing of the server or of xtask is counted), its peak RSS, and the server's CPU
//! over the same interval (from `/proc/<pid>/stat`).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// What one run of a client cost.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    /// Wall-clock seconds from spawn to exit.
    pub(crate) wall: f64,
    /// Client user + system CPU seconds.
    pub(crate) cpu: f64,
    /// Client peak resident set, KiB.
    pub(crate) max_rss_kib: u64,
    /// Server (vast-sim) user + system CPU seconds over the run.
    pub(crate) server_cpu: f64,
}

/// Runs `command` to completion (stdin closed, stdout captured, stderr to `stderr_log`);
/// fails with the log's tail when it exits non-zero. `server_pid` is vast-sim's.
pub(crate) fn run_measured(
    command: &mut Command,
    stderr_log: &Path,
    server_pid: u32,
) -> Result<(Sample, String)> {
    run(command, None, stderr_log, server_pid)
}

/// [`run_measured`] with the command's standard output written into `stdout` (a file or
/// `/dev/null`) instead of captured: for clients that stream what they restore.
pub(crate) fn run_measured_into(
    command: &mut Command,
    stdout: &Path,
    stderr_log: &Path,
    server_pid: u32,
) -> Result<Sample> {
    Ok(run(command, Some(stdout), stderr_log, server_pid)?.0)
}

fn run(
    command: &mut Command,
    stdout_into: Option<&Path>,
    stderr_log: &Path,
    server_pid: u32,
) -> Result<(Sample, String)> {
    let log = std::fs::File::create(stderr_log)
        .with_context(|| format!("creating {}", stderr_log.display()))?;
    let stdout = match stdout_into {
        Some(path) => Stdio::from(
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?,
        ),
        None => Stdio::piped(),
    };
    let server_before = process_cpu_seconds(server_pid);
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("starting {}", describe(command)))?;
    let reader = child.stdout.take().map(|mut stdout| {
        std::thread::spawn(move || {
            let mut out = String::new();
            let _ = stdout.read_to_string(&mut out);
            out
        })
    });
    let pid = libc::pid_t::try_from(child.id()).context("child pid")?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unreaped child; `status` and `usage` are valid for writes. The
    // `Child` is never waited on afterwards (its `Drop` does not wait).
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    let server_after = process_cpu_seconds(server_pid);
    if rc != pid {
        bail!(
            "wait4 on {command:?} failed: {}",
            std::io::Error::last_os_error()
        );
    }
    let out = reader
        .map(|r| r.join().unwrap_or_default())
        .unwrap_or_default();
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let text = std::fs::read_to_string(stderr_log).unwrap_or_default();
        let tail: String = text
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        bail!(
            "{} failed (wait status {status:#x})\nstdout: {}\nstderr (end of {}):\n{tail}",
            describe(command),
            out.trim(),
            stderr_log.display()
        );
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok((
        Sample {
            wall,
            cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
            max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
            server_cpu: (server_after - server_before).max(0.0),
        },
        out,
    ))
}

/// Program and arguments, without the environment (where the tools' keys are).
fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// User + system CPU seconds a live process has used so far (0 when unreadable).
pub(crate) fn process_cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as f64 } else { 100.0 };
    (ticks(11) + ticks(12)) as f64 / hz
}
