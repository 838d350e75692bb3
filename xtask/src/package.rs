//! `cargo xtask package`: release builds of `libstspiVastDataMT.so` and the `vast-ost` tool,
//! stripped, with the header, a sample configuration, docs/install.md, docs/configuration.md,
//! docs/cli.md and SHA-256 sums, as
//! `target/package/vast-ost-<version>-linux-<arch>.tar.gz`. Uses `strip`, `sha256sum` and `tar`.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::command::{cargo, run as run_step, workspace_root};
use crate::harness::target_dir;

/// Entry point.
pub(crate) fn run() -> Result<()> {
    run_step(
        "release build",
        cargo().args(["build", "--release", "-p", "ost-ffi", "-p", "vast-ost-cli"]),
    )?;
    crate::header::run(&["--check".to_owned()])?;
    let root = workspace_root();
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("vast-ost-{version}-linux-{}", std::env::consts::ARCH);
    let out_dir = target_dir().join("package");
    let stage = out_dir.join(&name);
    if stage.exists() {
        std::fs::remove_dir_all(&stage)?;
    }
    for sub in ["bin", "lib", "include", "etc", "docs"] {
        std::fs::create_dir_all(stage.join(sub))?;
    }
    let lib = stage.join("lib/libstspiVastDataMT.so");
    std::fs::copy(target_dir().join("release/libstspiVastDataMT.so"), &lib)
        .context("copying the release library")?;
    let tool = stage.join("bin/vast-ost");
    std::fs::copy(target_dir().join("release/vast-ost"), &tool)
        .context("copying the release vast-ost tool")?;
    run_step(
        "strip",
        Command::new("strip")
            .arg("--strip-unneeded")
            .arg(&lib)
            .arg(&tool),
    )?;
    let copies = [
        ("ffi/include/stspi_vast.h", "include/stspi_vast.h"),
        ("ffi/dist/vast-ost.toml.sample", "etc/vast-ost.toml.sample"),
        ("docs/install.md", "docs/install.md"),
        ("docs/configuration.md", "docs/configuration.md"),
        ("docs/cli.md", "docs/cli.md"),
        ("docs/abi-check.md", "docs/abi-check.md"),
    ];
    for (from, to) in copies {
        std::fs::copy(root.join(from), stage.join(to))
            .with_context(|| format!("copying {from}"))?;
    }
    let files: Vec<&str> = ["lib/libstspiVastDataMT.so", "bin/vast-ost"]
        .into_iter()
        .chain(copies.iter().map(|(_, to)| *to))
        .collect();
    let sums = Command::new("sha256sum")
        .args(&files)
        .current_dir(&stage)
        .output()
        .context("running sha256sum")?;
    if !sums.status.success() {
        bail!("sha256sum failed");
    }
    std::fs::write(stage.join("SHA256SUMS"), &sums.stdout)?;
    let tarball = out_dir.join(format!("{name}.tar.gz"));
    run_step(
        "tar",
        Command::new("tar")
            .arg("czf")
            .arg(&tarball)
            .arg("-C")
            .arg(&out_dir)
            .arg(&name),
    )?;
    let tar_sum = Command::new("sha256sum").arg(&tarball).output()?;
    std::fs::write(
        out_dir.join(format!("{name}.tar.gz.sha256")),
        &tar_sum.stdout,
    )?;
    println!("package: {}", tarball.display());
    print!("{}", String::from_utf8_lossy(&sums.stdout));
    Ok(())
}
