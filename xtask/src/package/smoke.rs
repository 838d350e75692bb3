//! The packaged library must not only link: the NetBackup-style C driver (`tests/c/driver.c`)
//! `dlopen`s it, resolves every `stspi_*` by name and runs its full sequence (backup, list,
//! restore with checksum, copy, metadata, delete) against vast-sim.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::command::{cargo, run as run_step};
use crate::harness::{compile_driver, driver_command, start_sim, target_dir, write_plugin_config};

/// Image size of the smoke run, bytes.
const SIZE: u64 = 24 << 20;

/// Runs the driver's `full` mode on `lib`.
pub(crate) fn run(lib: &Path) -> Result<()> {
    run_step("build vast-sim", cargo().args(["build", "-p", "vast-sim"]))?;
    let tmp = tempdir()?;
    let driver = tmp.join("driver");
    compile_driver(&driver)?;
    let (sim_proc, sim) = start_sim(&target_dir().join("debug/vast-sim"), &tmp.join("sim"))?;
    let config = write_plugin_config(&tmp, &sim, "")?;
    eprintln!("==> smoke: the C driver on {}", lib.display());
    let out = driver_command(&driver, lib, &sim, &config, &["full", &SIZE.to_string()])
        .output()
        .context("running the C driver")?;
    drop(sim_proc);
    let text = String::from_utf8_lossy(&out.stdout);
    let passed = out.status.success() && text.contains("driver full: all steps passed");
    if passed {
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
        bail!(
            "smoke: the packaged library failed the C driver ({}; files in {})",
            out.status,
            tmp.display()
        );
    }
    let resolved = text
        .lines()
        .find(|l| l.contains("entry points resolved by name"))
        .unwrap_or("");
    println!("smoke: the packaged library passed the C driver's full sequence ({resolved})");
    Ok(())
}

fn tempdir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("vast-ost-package-smoke-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
