//! `cargo xtask demo [--release] [--size-mib N]`: the project's main job end to end.
//!
//! Builds `libstspiVastDataMT.so` and vast-sim, compiles the NetBackup-style C driver
//! (`tests/c/driver.c`), starts vast-sim in a temporary directory, writes the plugin
//! configuration and drives a NetBackup-like cycle of a generated image (1 GiB by default)
//! through the C ABI: backup, list, restore-and-verify, duplicate (server-side copy) and expire
//! (delete), with progress bars and a closing summary (throughput, bytes verified, objects on
//! the server). Needs a C compiler (`cc`).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::command::{cargo, run as run_step, workspace_root};

/// Kills vast-sim when the demo ends, however it ends.
struct SimProcess(Child);

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What vast-sim prints on its first line.
struct SimInfo {
    vms_addr: String,
    vms_url: String,
    s3_url: String,
    user: String,
    password: String,
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace_root().join(p)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn start_sim(bin: &Path, data_dir: &Path) -> Result<(SimProcess, SimInfo)> {
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stdout = child.stdout.take().context("vast-sim stdout")?;
    let sim = SimProcess(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("reading vast-sim's startup line")?;
    let v: serde_json::Value =
        serde_json::from_str(&line).with_context(|| format!("vast-sim said {line:?}"))?;
    let s = |k: &str| -> Result<String> {
        v[k].as_str()
            .map(str::to_owned)
            .with_context(|| format!("vast-sim startup info lacks {k}"))
    };
    let info = SimInfo {
        vms_addr: s("vms_addr")?,
        vms_url: s("vms_url")?,
        s3_url: s("s3_url")?,
        user: s("admin_user")?,
        password: s("admin_password")?,
    };
    Ok((sim, info))
}

/// Objects (and their bytes) the simulator's S3 store holds: `*.data` files under
/// `buckets/*/objects/`.
fn objects_on_server(dir: &Path) -> (u64, u64) {
    let mut count = 0;
    let mut bytes = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            let (c, b) = objects_on_server(&path);
            count += c;
            bytes += b;
        } else if path.extension().is_some_and(|e| e == "data")
            && path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "objects")
        {
            count += 1;
            bytes += entry.metadata().map_or(0, |m| m.len());
        }
    }
    (count, bytes)
}

/// Runs the driver, echoing its output live (progress bars included); returns the output.
fn run_driver(
    driver: &Path,
    lib: &Path,
    server: &str,
    args: &[&str],
    config: &Path,
    sim: &SimInfo,
) -> Result<String> {
    let mut child = Command::new(driver)
        .arg(lib)
        .arg(server)
        .args(args)
        .env("VAST_OST_CONFIG", config)
        .env("VAST_OST_USER", &sim.user)
        .env("VAST_OST_PASSWORD", &sim.password)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the C driver")?;
    let mut out = child.stdout.take().context("driver stdout")?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let mut stdout = std::io::stdout();
    loop {
        let n = out.read(&mut buf)?;
        if n == 0 {
            break;
        }
        stdout.write_all(&buf[..n])?;
        stdout.flush()?;
        seen.extend_from_slice(&buf[..n]);
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("the C driver failed ({status})");
    }
    Ok(String::from_utf8_lossy(&seen).into_owned())
}

fn summary_value(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find(|l| l.starts_with("SUMMARY "))?
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(str::to_owned))
}

fn compile_driver(out: &Path) -> Result<()> {
    let root = workspace_root();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    run_step(
        "compile tests/c/driver.c",
        Command::new(cc)
            .args(["-std=c11", "-Wall", "-Wextra", "-O2", "-pthread", "-I"])
            .arg(root.join("ffi/include"))
            .arg(root.join("tests/c/driver.c"))
            .arg("-o")
            .arg(out)
            .arg("-ldl"),
    )
}

/// Entry point with the task's arguments.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let release = args.iter().any(|a| a == "--release");
    let size_mib: u64 = match args.iter().position(|a| a == "--size-mib") {
        Some(i) => args
            .get(i + 1)
            .context("--size-mib needs a number")?
            .parse()
            .context("--size-mib needs a number")?,
        None => 1024,
    };
    if size_mib == 0 {
        bail!("--size-mib must be at least 1");
    }
    let size = size_mib << 20;

    let mut build = cargo();
    build.args(["build", "-p", "ost-ffi", "-p", "vast-sim"]);
    if release {
        build.arg("--release");
    }
    run_step("build the library and vast-sim", &mut build)?;
    let profile = target_dir().join(if release { "release" } else { "debug" });
    let lib = profile.join("libstspiVastDataMT.so");
    let sim_bin = profile.join("vast-sim");

    let tmp = std::env::temp_dir().join(format!("vast-ost-demo-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let driver = tmp.join("driver");
    compile_driver(&driver)?;

    let sim_dir = tmp.join("sim");
    let (sim_proc, sim) = start_sim(&sim_bin, &sim_dir)?;
    let server = format!("vast://{}", sim.vms_addr);
    let log = tmp.join("vast-ost.log");
    let config = tmp.join("vast-ost.toml");
    std::fs::write(
        &config,
        format!(
            "[plugin]\nlog_file = \"{}\"\nlog_level = \"info\"\nstate_dir = \"{}\"\n\n\
             [servers.\"{server}\"]\nvms_url = \"{}\"\ns3_url = \"{}\"\nsweep_on_open = false\n",
            log.display(),
            tmp.join("state").display(),
            sim.vms_url,
            sim.s3_url,
        ),
    )?;
    println!(
        "\nvast-ost demo: vast-sim at {} (S3 {}), data in {}\n",
        sim.vms_url,
        sim.s3_url,
        tmp.display()
    );

    let backup = run_driver(
        &driver,
        &lib,
        &server,
        &["demo-backup", &size.to_string()],
        &config,
        &sim,
    )?;
    let (objects_full, bytes_full) = objects_on_server(&sim_dir);
    println!(
        "  objects on the server: {objects_full} ({:.1} MiB)",
        bytes_full as f64 / f64::from(1 << 20)
    );
    run_driver(&driver, &lib, &server, &["demo-expire"], &config, &sim)?;
    let (objects_after, bytes_after) = objects_on_server(&sim_dir);
    drop(sim_proc);
    let _ = std::fs::remove_dir_all(&sim_dir);
    let _ = std::fs::remove_file(&driver);

    let get = |k: &str| summary_value(&backup, k).unwrap_or_else(|| "?".to_owned());
    println!("\n==================== vast-ost demo summary ====================");
    println!(
        "  image                 1 image of {size_mib} MiB through libstspiVastDataMT.so (C ABI)"
    );
    println!("  backup throughput     {} MiB/s", get("backup_mib_s"));
    println!("  restore throughput    {} MiB/s", get("restore_mib_s"));
    println!(
        "  bytes verified        {} (checksum match)",
        get("bytes_verified")
    );
    println!(
        "  duplicate             server-side copy in {} s",
        get("copy_seconds")
    );
    println!(
        "  objects on server     {objects_full} after backup + duplicate ({bytes_full} bytes)"
    );
    println!("                        {objects_after} after expire ({bytes_after} bytes)");
    println!("  plugin log            {}", log.display());
    println!("===============================================================");
    if objects_after >= objects_full {
        bail!("expire removed nothing from the server");
    }
    Ok(())
}
