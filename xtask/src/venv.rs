//! Python tools installed by the tasks themselves: a virtualenv under the target directory per
//! purpose (`bench-venv`, `zig-venv`, ...), filled with pip, so a machine with only `python3`
//! (with `venv`) runs every task.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::command::run as run_step;
use crate::harness::target_dir;

/// Makes sure `target/<name>` is a virtualenv holding `packages` (pins such as `name==1.2.3`
/// allowed) in which every program of `probes` exists under `bin/`; creates it and runs
/// `pip install` otherwise, or when the package list differs from the one installed last
/// (`.xtask-packages` in the venv). Returns the venv's `bin` directory.
pub(crate) fn ensure(name: &str, packages: &[&str], probes: &[&str]) -> Result<PathBuf> {
    let venv = target_dir().join(name);
    let bin = venv.join("bin");
    let stamp = venv.join(".xtask-packages");
    let wanted = packages.join("\n");
    let installed = std::fs::read_to_string(&stamp).ok();
    if installed.as_deref() == Some(wanted.as_str()) && probes.iter().all(|p| bin.join(p).is_file())
    {
        return Ok(bin);
    }
    run_step(
        &format!("create the virtualenv {name}"),
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
    )?;
    run_step(
        &format!("pip install {}", packages.join(" ")),
        Command::new(bin.join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(packages),
    )?;
    std::fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(bin)
}
