//! The .rpm, made with the `rpm` crate (no rpmbuild): the files of `layout::ENTRIES` from the
//! staging directory, the configuration as `%config(noreplace)`, the documentation as `%doc`,
//! the install scripts and the requirements derived from the ELF files. gzip payload and rpm v4
//! format, which every rpm since RHEL 7's reads.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::layout::{self, Kind};

/// Writes `vast-ost-<version>-1.x86_64.rpm` into `out_dir`; returns its path.
pub(crate) fn write(
    stage: &Path,
    out_dir: &Path,
    version: &str,
    requires: &[String],
    build_time: u32,
) -> Result<PathBuf> {
    let config = rpm::BuildConfig::v4()
        .compression(rpm::CompressionType::Gzip)
        .source_date(build_time);
    let mut builder =
        rpm::PackageBuilder::new("vast-ost", version, "Apache-2.0", "x86_64", layout::SUMMARY);
    builder
        .using_config(config)
        .release("1")
        .description(layout::DESCRIPTION)
        .vendor("vast-ost developers")
        .group("Applications/Archiving");
    for entry in &layout::ENTRIES {
        let mut options = rpm::FileOptions::new(entry.dest).permissions(entry.mode as u16);
        options = match entry.kind {
            Kind::Program => options,
            Kind::Config => options.config().noreplace(),
            Kind::Doc => options.doc(),
        };
        builder
            .with_file(stage.join(entry.staged), options)
            .with_context(|| format!("adding {} to the rpm", entry.staged))?;
    }
    builder
        .post_install_script(layout::post_install_script())
        .post_uninstall_script(layout::rpm_post_uninstall_script());
    for requirement in requires {
        builder.requires(rpm::Dependency::any(requirement.as_str()));
    }
    let package = builder.build().context("building the rpm")?;
    let path = out_dir.join(format!("vast-ost-{version}-1.x86_64.rpm"));
    package
        .write_file(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Reads the package back and checks what the layout promises: every file at its path with its
/// mode, and the configuration flagged `%config(noreplace)`.
pub(crate) fn verify(path: &Path) -> Result<()> {
    let package =
        rpm::Package::open(path).with_context(|| format!("reading {}", path.display()))?;
    let entries = package
        .metadata
        .get_file_entries()
        .context("reading the rpm's file list")?;
    for want in &layout::ENTRIES {
        let got = entries
            .iter()
            .find(|e| e.path() == Path::new(want.dest))
            .with_context(|| format!("{} is not in the rpm", want.dest))?;
        let mode = u32::from(got.permissions());
        anyhow::ensure!(
            mode == want.mode,
            "{}: mode {mode:o} in the rpm, {:o} wanted",
            want.dest,
            want.mode
        );
        let noreplace = got.flags().contains(rpm::FileFlags::CONFIG)
            && got.flags().contains(rpm::FileFlags::NOREPLACE);
        anyhow::ensure!(
            noreplace == (want.kind == Kind::Config),
            "{}: %config(noreplace) is {noreplace} in the rpm",
            want.dest
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rpm_holds_the_layout_and_reads_back() {
        let stage = layout::test_stage();
        let out = tempfile::tempdir().unwrap();
        let requires = ["libc.so.6(GLIBC_2.17)(64bit)".to_owned()];
        let path = write(stage.path(), out.path(), "9.9.9", &requires, 1).unwrap();
        verify(&path).unwrap();
        let package = rpm::Package::open(&path).unwrap();
        let deps = package.metadata.get_requires().unwrap();
        assert!(deps.iter().any(|d| d.name == requires[0]));
        let scripts = package.metadata.get_post_uninstall_script().unwrap();
        assert!(scripts.script.contains(".rpmsave"));
    }
}
