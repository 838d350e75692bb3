//! The yanked-crate check of `cargo deny check advisories`, without the RustSec database.
//!
//! This project's build machines cannot reach GitHub, where the RustSec database lives, but they
//! can reach the crates.io sparse index, which is where cargo-deny looks for yanked versions (in
//! cargo's local index cache). cargo-deny only runs the advisories check, yanked crates included,
//! once it has loaded an advisory database, so this task gives it a stand-in under
//! `target/deny-advisory-db/`: one withdrawn advisory for a crate that does not exist, which
//! matches nothing. Steps:
//! 1. `cargo update --dry-run` refreshes the index cache from crates.io (the lock file stays as
//!    it is), so yank flags are current;
//! 2. `cargo fetch --locked` downloads every locked package, which the offline run needs;
//! 3. `cargo deny --offline` with a generated config (`yanked = "deny"`, the stand-in database)
//!    checks every locked version against the cache and fails on a yanked one.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use crate::command::{cargo, run as run_step};
use crate::harness::target_dir;

/// Where the stand-in database claims to come from; never fetched (`--offline`).
const DB_URL: &str = "https://offline.invalid/vast-ost-advisory-db";

/// The directory cargo-deny 0.20 opens for [`DB_URL`] under `db-path`: the URL's last path
/// segment and the XxHash64 (seed 0xca80de71) of the URL. If a newer cargo-deny names it
/// differently, the check fails with "failed to find expected `crates` directory"; its debug log
/// (`--log-level debug`: "Opening advisory database at ...") shows the new name.
const DB_DIR: &str = "vast-ost-advisory-db-c11d0b27f3fa3af7";

/// The stand-in advisory: withdrawn, for a crate name nobody publishes.
const STAND_IN_ADVISORY: &str = r#"```toml
[advisory]
id = "VAST-0000-0001"
package = "vast-ost-no-such-crate"
date = "2026-11-25"
withdrawn = "2026-11-25"

[versions]
patched = []
```

# Stand-in so cargo-deny loads an advisory database offline

Withdrawn, and for a crate that does not exist: it never matches. Written by `cargo xtask deny`.
"#;

/// Runs the yanked-crate check over the workspace's lock file.
pub(crate) fn run() -> Result<()> {
    let root = target_dir().join("deny-advisory-db");
    write_stand_in_db(&root.join(DB_DIR))?;
    let config = root.join("deny-yanked.toml");
    fs::write(&config, config_text(&root))
        .with_context(|| format!("writing {}", config.display()))?;

    run_step(
        "refresh the crates.io index cache",
        cargo().args(["update", "--dry-run", "--quiet"]),
    )?;
    run_step("fetch locked crates", cargo().args(["fetch", "--locked"]))?;
    let mut deny = cargo();
    deny.args(["deny", "--offline", "--workspace", "--config"])
        .arg(&config)
        .args(["check", "advisories"]);
    run_step("deny yanked crates", &mut deny)
}

/// Writes the stand-in database: `crates/` with one advisory, and `.git/FETCH_HEAD`, whose
/// modification time cargo-deny reads as the last fetch (now, so it is never stale).
fn write_stand_in_db(db: &Path) -> Result<()> {
    let krate = db.join("crates").join("vast-ost-no-such-crate");
    fs::create_dir_all(&krate).with_context(|| format!("creating {}", krate.display()))?;
    fs::write(krate.join("VAST-0000-0001.md"), STAND_IN_ADVISORY)
        .with_context(|| format!("writing the stand-in advisory in {}", krate.display()))?;
    let git = db.join(".git");
    fs::create_dir_all(&git).with_context(|| format!("creating {}", git.display()))?;
    fs::write(git.join("FETCH_HEAD"), "")
        .with_context(|| format!("writing {}", git.join("FETCH_HEAD").display()))
}

/// The cargo-deny config of the offline run: only the advisories section.
fn config_text(db_root: &Path) -> String {
    format!(
        "# Written by `cargo xtask deny` (xtask/src/yanked.rs): yanked crates only, offline.\n\
         [advisories]\n\
         version = 2\n\
         db-path = {}\n\
         db-urls = [{}]\n\
         yanked = \"deny\"\n",
        toml_string(&db_root.to_string_lossy()),
        toml_string(DB_URL)
    )
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(toml_string("/work/target"), "\"/work/target\"");
        assert_eq!(toml_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }

    #[test]
    fn config_points_at_the_stand_in_and_denies_yanked() {
        let text = config_text(Path::new("/t/deny-advisory-db"));
        assert!(text.contains("db-path = \"/t/deny-advisory-db\"\n"));
        assert!(text.contains(&format!("db-urls = [\"{DB_URL}\"]\n")));
        assert!(text.contains("yanked = \"deny\"\n"));
        assert!(DB_DIR.starts_with("vast-ost-advisory-db-"));
    }
}
