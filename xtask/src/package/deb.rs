//! The .deb: an `ar` archive of `debian-binary`, `control.tar.gz` (control, conffiles, md5sums,
//! postinst) and `data.tar.gz` (the files of `layout::ENTRIES`), written with the `ar`, `tar`
//! and `flate2` crates. The configuration is a conffile: never overwritten once edited, kept by
//! `dpkg -r`.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use flate2::write::GzEncoder;
use md5::{Digest as _, Md5};

use super::layout::{self, Kind};

/// Writes `vast-ost_<version>-1_amd64.deb` into `out_dir`; returns its path.
pub(crate) fn write(
    stage: &Path,
    out_dir: &Path,
    version: &str,
    depends: &str,
    build_time: u32,
) -> Result<PathBuf> {
    let mtime = u64::from(build_time);
    let mut md5sums = String::new();
    let mut installed_bytes = 0u64;
    let mut data = tar::Builder::new(GzEncoder::new(Vec::new(), flate2::Compression::best()));
    let mut dirs_done = BTreeSet::new();
    for entry in &layout::ENTRIES {
        let rel = entry.dest.trim_start_matches('/');
        for dir in Path::new(rel)
            .ancestors()
            .skip(1)
            .collect::<Vec<_>>()
            .iter()
            .rev()
        {
            if dir.as_os_str().is_empty() || !dirs_done.insert(dir.to_path_buf()) {
                continue;
            }
            let mut header = tar_header(tar::EntryType::Directory, 0o755, 0, mtime);
            data.append_data(&mut header, Path::new(".").join(dir), std::io::empty())?;
        }
        let bytes = std::fs::read(stage.join(entry.staged))
            .with_context(|| format!("reading {}", entry.staged))?;
        installed_bytes += bytes.len() as u64;
        let hex: String = Md5::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        md5sums.push_str(&format!("{hex}  {rel}\n"));
        let mut header = tar_header(
            tar::EntryType::Regular,
            entry.mode,
            bytes.len() as u64,
            mtime,
        );
        data.append_data(&mut header, Path::new(".").join(rel), bytes.as_slice())?;
    }
    let data = data.into_inner()?.finish()?;

    let conffiles: String = layout::ENTRIES
        .iter()
        .filter(|e| e.kind == Kind::Config)
        .map(|e| format!("{}\n", e.dest))
        .collect();
    let description = wrap(layout::DESCRIPTION, 72);
    let control_file = format!(
        "Package: vast-ost\nVersion: {version}-1\nArchitecture: amd64\n\
         Maintainer: vast-ost developers <vast-ost@example.invalid>\n\
         Installed-Size: {}\nDepends: {depends}\nSection: admin\nPriority: optional\n\
         Description: {}\n{description}",
        installed_bytes.div_ceil(1024),
        layout::SUMMARY
    );
    let postinst = format!("#!/bin/sh\nset -e\n{}", layout::post_install_script());
    let mut control = tar::Builder::new(GzEncoder::new(Vec::new(), flate2::Compression::best()));
    let mut dir = tar_header(tar::EntryType::Directory, 0o755, 0, mtime);
    control.append_data(&mut dir, "./", std::io::empty())?;
    for (name, text, mode) in [
        ("control", control_file.as_str(), 0o644),
        ("conffiles", conffiles.as_str(), 0o644),
        ("md5sums", md5sums.as_str(), 0o644),
        ("postinst", postinst.as_str(), 0o755),
    ] {
        let mut header = tar_header(tar::EntryType::Regular, mode, text.len() as u64, mtime);
        control.append_data(&mut header, format!("./{name}"), text.as_bytes())?;
    }
    let control = control.into_inner()?.finish()?;

    let path = out_dir.join(format!("vast-ost_{version}-1_amd64.deb"));
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut deb = ar::Builder::new(file);
    for (name, bytes) in [
        ("debian-binary", b"2.0\n".as_slice()),
        ("control.tar.gz", control.as_slice()),
        ("data.tar.gz", data.as_slice()),
    ] {
        let mut header = ar::Header::new(name.as_bytes().to_vec(), bytes.len() as u64);
        header.set_mode(0o100644);
        header.set_mtime(mtime);
        deb.append(&header, bytes)
            .with_context(|| format!("writing {name} into {}", path.display()))?;
    }
    Ok(path)
}

/// `text` as a control file's extended description: lines of at most `width` characters, each
/// starting with a space.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&format!(" {line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!(" {line}\n"));
    }
    out
}

/// A tar header owned by root with `mode` and `mtime`.
fn tar_header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    // Best effort: names only label the owner; uid/gid 0 is what dpkg applies.
    let _ = header.set_username("root");
    let _ = header.set_groupname("root");
    header
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn descriptions_wrap_with_a_leading_space() {
        let text = wrap("one two three four five", 9);
        assert_eq!(text, " one two\n three\n four five\n");
    }

    /// Members of an ar archive by name.
    fn members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = ar::Archive::new(bytes);
        let mut out = Vec::new();
        while let Some(entry) = archive.next_entry() {
            let mut entry = entry.unwrap();
            let name = String::from_utf8_lossy(entry.header().identifier()).into_owned();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            out.push((name, data));
        }
        out
    }

    /// (path, mode, contents) of a gzipped tar.
    fn tar_files(bytes: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        let mut out = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let mode = entry.header().mode().unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            out.push((path, mode, data));
        }
        out
    }

    #[test]
    fn the_deb_holds_the_layout_and_marks_the_configuration() {
        let stage = layout::test_stage();
        let out = tempfile::tempdir().unwrap();
        let deb = write(stage.path(), out.path(), "9.9.9", "libc6 (>= 2.17)", 1).unwrap();
        let members = members(&std::fs::read(deb).unwrap());
        let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["debian-binary", "control.tar.gz", "data.tar.gz"]);
        assert_eq!(members[0].1, b"2.0\n");
        let control = tar_files(&members[1].1);
        let file = |name: &str| {
            control
                .iter()
                .find(|(p, _, _)| p.trim_start_matches("./") == name)
                .map(|(_, mode, data)| (*mode, String::from_utf8_lossy(data).into_owned()))
                .unwrap()
        };
        assert_eq!(file("conffiles").1, format!("{}\n", layout::CONFIG));
        assert!(file("control").1.contains("Version: 9.9.9-1\n"));
        assert!(file("control").1.contains("Depends: libc6 (>= 2.17)\n"));
        assert_eq!(file("postinst").0, 0o755);
        assert!(file("postinst").1.starts_with("#!/bin/sh\nset -e\n"));
        let data = tar_files(&members[2].1);
        for entry in &layout::ENTRIES {
            let rel = entry.dest.trim_start_matches('/');
            let (_, mode, contents) = data
                .iter()
                .find(|(p, _, _)| p.trim_start_matches("./") == rel)
                .unwrap();
            assert_eq!(*mode, entry.mode, "{rel}");
            assert_eq!(contents, entry.staged.as_bytes(), "{rel}");
            assert!(file("md5sums").1.contains(&format!("  {rel}\n")), "{rel}");
        }
    }
}
