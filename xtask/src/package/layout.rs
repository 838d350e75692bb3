//! Where every packaged file goes: one table that both the .rpm and the .deb are made from, so
//! the two install the same files with the same modes. The tarball keeps the staging layout
//! (`lib/`, `bin/`, `include/`, `etc/`, `docs/`) and the administrator places the files
//! (docs/install.md).

/// The configuration the plugin reads by default (docs/configuration.md); a config file of the
/// packages (%config(noreplace), conffile), never overwritten once installed.
pub(crate) const CONFIG: &str = "/usr/openv/lib/ost-plugins/vast-ost.toml";
/// The plugin's state (S3 keys, API tokens: mode 0700). Made by the install script, owned by no
/// package, so removing the package leaves it.
pub(crate) const STATE_DIR: &str = "/usr/openv/var/vast-ost";
/// The sample configuration's log directory, made like the state directory.
pub(crate) const LOG_DIR: &str = "/usr/openv/logs/vast-ost";

/// How a package treats a file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A program or library.
    Program,
    /// The configuration: installed once, never replaced, kept on removal.
    Config,
    /// Documentation (and the header).
    Doc,
}

/// One installed file.
pub(crate) struct Entry {
    /// Path in the staging directory (and the tarball).
    pub(crate) staged: &'static str,
    /// Absolute install path.
    pub(crate) dest: &'static str,
    /// Permission bits.
    pub(crate) mode: u32,
    /// How the packages treat it.
    pub(crate) kind: Kind,
}

const fn entry(staged: &'static str, dest: &'static str, mode: u32, kind: Kind) -> Entry {
    Entry {
        staged,
        dest,
        mode,
        kind,
    }
}

/// Every file of the .rpm and the .deb.
pub(crate) const ENTRIES: [Entry; 10] = [
    entry(
        "lib/libstspiVastDataMT.so",
        "/usr/openv/lib/ost-plugins/libstspiVastDataMT.so",
        0o755,
        Kind::Program,
    ),
    entry("bin/vast-ost", "/usr/bin/vast-ost", 0o755, Kind::Program),
    entry("etc/vast-ost.toml.sample", CONFIG, 0o600, Kind::Config),
    entry(
        "include/stspi_vast.h",
        "/usr/include/vast-ost/stspi_vast.h",
        0o644,
        Kind::Doc,
    ),
    entry(
        "etc/vast-ost.toml.sample",
        "/usr/share/doc/vast-ost/vast-ost.toml.sample",
        0o644,
        Kind::Doc,
    ),
    entry(
        "docs/install.md",
        "/usr/share/doc/vast-ost/install.md",
        0o644,
        Kind::Doc,
    ),
    entry(
        "docs/configuration.md",
        "/usr/share/doc/vast-ost/configuration.md",
        0o644,
        Kind::Doc,
    ),
    entry(
        "docs/cli.md",
        "/usr/share/doc/vast-ost/cli.md",
        0o644,
        Kind::Doc,
    ),
    entry(
        "docs/abi-check.md",
        "/usr/share/doc/vast-ost/abi-check.md",
        0o644,
        Kind::Doc,
    ),
    entry(
        "SHA256SUMS",
        "/usr/share/doc/vast-ost/SHA256SUMS",
        0o644,
        Kind::Doc,
    ),
];

/// The packages' one-line summary.
pub(crate) const SUMMARY: &str = "VAST Data OpenStorage (OST) plugin for Veritas NetBackup";
/// The packages' long description.
pub(crate) const DESCRIPTION: &str = "libstspiVastDataMT.so, the OpenStorage plugin NetBackup \
media servers load to write backup images to VAST Data clusters (VMS REST API for control, S3 \
for data), and vast-ost, the administrator's tool (bootstrap, check, LSUs, images, sweep).";

/// Run after install and upgrade (rpm %post, deb postinst): the state and log directories, which
/// no package owns, so that removing the package leaves them.
pub(crate) fn post_install_script() -> String {
    format!(
        "mkdir -p {STATE_DIR} {LOG_DIR}\nchmod 0700 {STATE_DIR}\n\
         echo 'vast-ost: edit {CONFIG}, then see /usr/share/doc/vast-ost/install.md'\n"
    )
}

/// rpm %postun: on erase (`$1` = 0) rpm has renamed an edited configuration to `.rpmsave`; put
/// it back, so that removing the package leaves the configuration where the plugin reads it
/// (dpkg keeps conffiles in place on `dpkg -r` by itself).
pub(crate) fn rpm_post_uninstall_script() -> String {
    format!(
        "if [ \"$1\" = 0 ] && [ -f {CONFIG}.rpmsave ] && [ ! -e {CONFIG} ]; then\n    \
         mv {CONFIG}.rpmsave {CONFIG}\nfi\n"
    )
}

/// A stage directory holding every entry of the layout (each file's content is its own staged
/// path), for the package writers' tests.
#[cfg(test)]
pub(crate) fn test_stage() -> tempfile::TempDir {
    let stage = tempfile::tempdir().expect("a temporary directory");
    for entry in &ENTRIES {
        let path = stage.path().join(entry.staged);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("a stage directory");
        }
        std::fs::write(&path, entry.staged).expect("a staged file");
    }
    stage
}
