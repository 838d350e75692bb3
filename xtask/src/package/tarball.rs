//! The tarball: the staging directory as it is, with `SHA256SUMS` of its files, as
//! `vast-ost-<version>-linux-<arch>.tar.gz` plus its own `.sha256`. Uses `sha256sum` and `tar`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::command::run as run_step;

/// Writes `SHA256SUMS` of `files` (relative to `stage`) into `stage`; returns its text.
pub(crate) fn write_sums(stage: &Path, files: &[&str]) -> Result<String> {
    let sums = Command::new("sha256sum")
        .args(files)
        .current_dir(stage)
        .output()
        .context("running sha256sum")?;
    if !sums.status.success() {
        bail!("sha256sum failed");
    }
    std::fs::write(stage.join("SHA256SUMS"), &sums.stdout)?;
    Ok(String::from_utf8_lossy(&sums.stdout).into_owned())
}

/// Packs `out_dir/<name>` into `out_dir/<name>.tar.gz` and writes its `.sha256`.
pub(crate) fn write(out_dir: &Path, name: &str) -> Result<PathBuf> {
    let tarball = out_dir.join(format!("{name}.tar.gz"));
    run_step(
        "tar",
        Command::new("tar")
            .arg("czf")
            .arg(&tarball)
            .arg("-C")
            .arg(out_dir)
            .arg(name),
    )?;
    let tar_sum = Command::new("sha256sum")
        .arg(&tarball)
        .output()
        .context("running sha256sum")?;
    std::fs::write(
        out_dir.join(format!("{name}.tar.gz.sha256")),
        &tar_sum.stdout,
    )?;
    Ok(tarball)
}
