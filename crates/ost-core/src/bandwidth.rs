//! Bandwidth limits of one storage server for the whole process: the two
//! [`vast_s3_data::Throttles`] every S3 client of that server waits on, and where their rate
//! comes from.
//!
//! The rate of a direction, read on every data request and while one waits, is:
//! 1. the run-time override file `<state_dir>/bandwidth/<server>.toml` (written by
//!    `vast-ost bandwidth set`, read by every process of this media server, re-checked at
//!    most every [`vast_s3_data::throttle::RECHECK`]): its keys win over the configuration;
//! 2. else the configuration (the file, or `set_config` in this process);
//! 3. of those, the schedule's window for the local time of day, else `max_*_mib_s`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use ost_model::{OstError, ServerName};
use vast_s3_data::throttle::RECHECK;
use vast_s3_data::{Throttle, Throttles};

use crate::config::keys;
use crate::config::schedule::local_minute_now;
use crate::config::{Schedule, ServerConfig};

/// The keys of the override file (the bandwidth keys of the configuration table).
pub const OVERRIDE_KEYS: [&str; 4] = [
    "max_write_mib_s",
    "max_read_mib_s",
    "write_schedule",
    "read_schedule",
];

const MIB: u64 = 1 << 20;

/// The limits of both directions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Limits {
    write_mib_s: u64,
    read_mib_s: u64,
    write_schedule: Schedule,
    read_schedule: Schedule,
}

impl Limits {
    fn of(c: &ServerConfig) -> Self {
        Self {
            write_mib_s: c.max_write_mib_s,
            read_mib_s: c.max_read_mib_s,
            write_schedule: c.write_schedule.clone(),
            read_schedule: c.read_schedule.clone(),
        }
    }

    /// Bytes per second in one direction; the clock (`minute`) is read only when that
    /// direction has a schedule.
    fn bytes_per_sec(&self, write: bool, minute: impl FnOnce() -> u16) -> u64 {
        let (plain, schedule) = if write {
            (self.write_mib_s, &self.write_schedule)
        } else {
            (self.read_mib_s, &self.read_schedule)
        };
        let mib_s = if schedule.is_empty() {
            plain
        } else {
            schedule.limit_at(minute(), plain)
        };
        mib_s.saturating_mul(MIB)
    }
}

/// The override file as last read.
#[derive(Default)]
struct Override {
    path: Option<PathBuf>,
    checked: Option<Instant>,
    modified: Option<SystemTime>,
    /// Its keys as `(key, value)`, already validated.
    entries: Vec<(String, String)>,
}

/// The configuration, the override file and the limits computed from both. The limits are
/// computed again only when one of the two changes, never per request.
#[derive(Default)]
struct State {
    configured: Mutex<ServerConfig>,
    over: Mutex<Override>,
    limits: Mutex<Limits>,
}

impl State {
    /// The rate of one direction now: what the throttles call before every data request.
    fn bytes_per_sec(&self, write: bool) -> u64 {
        self.refresh_override();
        lock(&self.limits).bytes_per_sec(write, local_minute_now)
    }

    /// Computes the limits again from the configuration and the override file's entries.
    fn recompute(&self) {
        let mut c = lock(&self.configured).clone();
        for (k, v) in &lock(&self.over).entries {
            if let Some(set) = keys::server_key(k).and_then(|k| k.set) {
                // Validated when read; a failure here cannot happen, and would keep the value.
                let _ = set(&mut c, v);
            }
        }
        *lock(&self.limits) = Limits::of(&c);
    }

    /// Reads the override file again when it changed (checked at most every [`RECHECK`]) and
    /// then computes the limits again.
    fn refresh_override(&self) {
        {
            let mut o = lock(&self.over);
            let Some(path) = o.path.clone() else {
                return;
            };
            if o.checked.is_some_and(|t| t.elapsed() < RECHECK) {
                return;
            }
            o.checked = Some(Instant::now());
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
            if modified == o.modified {
                return;
            }
            o.modified = modified;
            o.entries = match modified.map(|_| read_override(&path)) {
                None => Vec::new(),
                Some(Ok(entries)) => {
                    tracing::info!(file = %path.display(), ?entries, "bandwidth override read");
                    entries
                }
                Some(Err(e)) => {
                    tracing::warn!(file = %path.display(), error = %e, "bandwidth override ignored");
                    Vec::new()
                }
            };
        }
        self.recompute();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads and validates an override file: a TOML table of [`OVERRIDE_KEYS`].
pub fn read_override(path: &Path) -> Result<Vec<(String, String)>, OstError> {
    let bad = |cause: String| OstError::InvalidArgument {
        cause: format!("{}: {cause}", path.display()),
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let table: toml::Table = text.parse().map_err(|e| bad(format!("{e}")))?;
    let mut entries = Vec::new();
    let mut probe = ServerConfig::default();
    for (k, v) in table {
        if !OVERRIDE_KEYS.contains(&k.as_str()) {
            return Err(bad(format!(
                "unknown key {k:?} (only {})",
                OVERRIDE_KEYS.join(", ")
            )));
        }
        let value = match v {
            toml::Value::String(s) => s,
            toml::Value::Integer(n) => n.to_string(),
            other => return Err(bad(format!("{k}: {other} is not a number or a string"))),
        };
        let set = keys::server_key(&k)
            .and_then(|key| key.set)
            .ok_or_else(|| bad(format!("{k} is not settable")))?;
        set(&mut probe, &value).map_err(|why| bad(format!("{k} {why}")))?;
        entries.push((k, value));
    }
    Ok(entries)
}

/// Changes keys of the override file at `path` (created with its directory when missing;
/// `value` `None` removes a key; no key left removes the file). Every value is checked as
/// `set_config` checks it before anything is written; the file is replaced atomically, so a plugin process never reads
/// half of it. Returns the entries now in the file.
pub fn set_override(
    path: &Path,
    changes: &[(&str, Option<String>)],
) -> Result<Vec<(String, String)>, OstError> {
    let mut probe = ServerConfig::default();
    for (key, value) in changes {
        let set = keys::server_key(key)
            .and_then(|k| k.set)
            .filter(|_| OVERRIDE_KEYS.contains(key))
            .ok_or_else(|| OstError::InvalidArgument {
                cause: format!("{key} is not one of {}", OVERRIDE_KEYS.join(", ")),
            })?;
        if let Some(v) = value {
            set(&mut probe, v).map_err(|why| OstError::InvalidArgument {
                cause: format!("{key} {why}"),
            })?;
        }
    }
    let mut entries = if path.exists() {
        read_override(path)?
    } else {
        Vec::new()
    };
    for (key, value) in changes {
        entries.retain(|(k, _)| k != key);
        if let Some(v) = value {
            entries.push(((*key).to_owned(), v.clone()));
        }
    }
    let mut table = toml::Table::new();
    for (k, v) in &entries {
        let value = match v.trim().parse::<i64>() {
            Ok(n) if !k.ends_with("_schedule") => toml::Value::Integer(n),
            _ => toml::Value::String(v.clone()),
        };
        table.insert(k.clone(), value);
    }
    let io = |e: std::io::Error| crate::error::io(&format!("writing {}", path.display()), &e);
    if entries.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(entries),
        };
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, table.to_string()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    // The same checks the plugin makes when it reads it.
    read_override(path)
}

/// The limits in force now for a server with settings `config` and override file `path`,
/// bytes per second (write, read; 0 = unlimited): what its plugin processes apply.
pub fn limits_now(config: &ServerConfig, path: &Path) -> (u64, u64) {
    let bw = Bandwidth::default();
    bw.configure(config, Some(path.to_path_buf()));
    bw.now()
}

/// The override file of server `name` in `state_dir`.
pub fn override_path(state_dir: &Path, name: &ServerName) -> PathBuf {
    state_dir
        .join("bandwidth")
        .join(format!("{}.toml", crate::config::state_file_stem(name)))
}

/// One server's bandwidth limits in this process (shared by all its opens).
pub(crate) struct Bandwidth {
    state: Arc<State>,
    throttles: Throttles,
}

impl Default for Bandwidth {
    fn default() -> Self {
        let state = Arc::new(State::default());
        let direction = |write: bool| {
            let state = state.clone();
            Throttle::new(move || state.bytes_per_sec(write))
        };
        Self {
            throttles: Throttles {
                write: direction(true),
                read: direction(false),
            },
            state,
        }
    }
}

impl Bandwidth {
    /// The throttles the server's S3 clients wait on.
    pub(crate) fn throttles(&self) -> Throttles {
        self.throttles.clone()
    }

    /// Takes the configured limits (at open and after `set_config`) and the override file's
    /// place; a waiting request sees the change at once.
    pub(crate) fn configure(&self, config: &ServerConfig, override_file: Option<PathBuf>) {
        *lock(&self.state.configured) = config.clone();
        if let Some(path) = override_file {
            let mut o = lock(&self.state.over);
            if o.path.as_ref() != Some(&path) {
                *o = Override {
                    path: Some(path),
                    ..Override::default()
                };
            }
        }
        self.state.recompute();
        self.throttles.write.changed();
        self.throttles.read.changed();
    }

    /// The limits in force now, bytes per second (write, read; 0 = unlimited).
    pub(crate) fn now(&self) -> (u64, u64) {
        (
            self.state.bytes_per_sec(true),
            self.state.bytes_per_sec(false),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_file_wins_over_the_configuration_and_is_validated() {
        let dir = tempfile::tempdir().unwrap();
        let name: ServerName = "vast://cluster".parse().unwrap();
        let path = override_path(dir.path(), &name);
        let bw = Bandwidth::default();
        let config = ServerConfig {
            max_write_mib_s: 40,
            max_read_mib_s: 80,
            ..ServerConfig::default()
        };
        bw.configure(&config, Some(path.clone()));
        assert_eq!(bw.now(), (40 * MIB, 80 * MIB));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            "max_write_mib_s = 0\nread_schedule = \"00:00-24:00=5\"\n",
        )
        .unwrap();
        std::thread::sleep(RECHECK);
        assert_eq!(bw.now(), (0, 5 * MIB));
        std::fs::write(&path, "max_write_mib_s = \"lots\"\n").unwrap();
        let err = read_override(&path).unwrap_err().to_string();
        assert!(err.contains("max_write_mib_s"), "{err}");
        std::fs::write(&path, "part_size = 1\n").unwrap();
        assert!(read_override(&path).is_err());
    }
}
