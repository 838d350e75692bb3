//! `cargo xtask demo [--release] [--size-mib N]`: the project's main job end to end.
//!
//! Builds `libstspiVastDataMT.so` and vast-sim, compiles the NetBackup-style C driver
//! (`tests/c/driver.c`), starts vast-sim in a temporary directory, writes the plugin
//! configuration and drives a NetBackup-like cycle of a generated image (1 GiB by default)
//! through the C ABI: backup, list, restore-and-verify, duplicate (server-side copy) and expire
//! (delete), with progress bars and a closing summary (throughput, bytes verified, objects on
//! the server). Needs a C compiler (`cc`).

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;

use anyhow::{bail, Context, Result};

use crate::harness::{
    build_library_and_sim, compile_driver, driver_command, start_sim, write_plugin_config, SimInfo,
};

/// Objects (and their bytes) the simulator's S3 store holds: `*.data` files (or directories of
/// parts) under `buckets/*/objects/`.
fn objects_on_server(dir: &Path) -> (u64, u64) {
    let mut count = 0;
    let mut bytes = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let object = path.extension().is_some_and(|e| e == "data")
            && path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "objects");
        if object {
            // A completed multipart upload is a directory of its parts.
            count += 1;
            bytes += if path.is_dir() {
                std::fs::read_dir(&path).map_or(0, |parts| {
                    parts
                        .filter_map(Result::ok)
                        .filter_map(|p| p.metadata().ok())
                        .map(|m| m.len())
                        .sum()
                })
            } else {
                entry.metadata().map_or(0, |m| m.len())
            };
        } else if path.is_dir() {
            let (c, b) = objects_on_server(&path);
            count += c;
            bytes += b;
        }
    }
    (count, bytes)
}

/// Runs the driver, echoing its output live (progress bars included); returns the output.
fn run_driver(
    driver: &Path,
    lib: &Path,
    args: &[&str],
    config: &Path,
    sim: &SimInfo,
) -> Result<String> {
    let mut child = driver_command(driver, lib, sim, config, args)
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

    let (lib, sim_bin) = build_library_and_sim(release)?;

    let tmp = std::env::temp_dir().join(format!("vast-ost-demo-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let driver = tmp.join("driver");
    compile_driver(&driver)?;

    let sim_dir = tmp.join("sim");
    let (sim_proc, sim) = start_sim(&sim_bin, &sim_dir)?;
    let config = write_plugin_config(&tmp, &sim, "")?;
    let log = tmp.join("vast-ost.log");
    println!(
        "\nvast-ost demo: vast-sim at {} (S3 {}), data in {}\n",
        sim.vms_url,
        sim.s3_url,
        tmp.display()
    );

    let backup = run_driver(
        &driver,
        &lib,
        &["demo-backup", &size.to_string()],
        &config,
        &sim,
    )?;
    let (objects_full, bytes_full) = objects_on_server(&sim_dir);
    println!(
        "  objects on the server: {objects_full} ({:.1} MiB)",
        bytes_full as f64 / f64::from(1 << 20)
    );
    run_driver(&driver, &lib, &["demo-expire"], &config, &sim)?;
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
