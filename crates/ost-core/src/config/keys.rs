//! The one table of configuration keys: every key of `[plugin]` and of a
//! `[servers."vast://..."]` section, with its type, how to read it (secrets only as set / not
//! set), whether `set_config` may change it at run time, and one line of documentation.
//!
//! Everything that names keys consults this table: the file parser (unknown keys),
//! `get_config` / `set_config`, `vast-ost config check`, and the test that keeps
//! `docs/configuration.md` listing exactly these keys. Defaults are not repeated here: a key's
//! default is what its getter reads from the section's `Default`.

use std::fmt;
use std::path::PathBuf;

use super::{DataPathKind, PluginSection, Schedule, ServerConfig};

/// The type of a key's value, as written in the TOML file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true` / `false`.
    Bool,
    /// A whole number (bytes, seconds, counts).
    Number,
    /// A string.
    Text,
    /// A file or directory path.
    Path,
    /// One of a few words.
    Choice(&'static [&'static str]),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Bool => f.write_str("true or false"),
            Kind::Number => f.write_str("a whole number"),
            Kind::Text => f.write_str("a string"),
            Kind::Path => f.write_str("a path"),
            Kind::Choice(words) => write!(f, "one of {}", words.join(", ")),
        }
    }
}

/// A key's current value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Number(u64),
    /// A string or path.
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Number(n)
    }
}

impl From<usize> for Value {
    fn from(n: usize) -> Self {
        Value::Number(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

impl From<u16> for Value {
    fn from(n: u16) -> Self {
        Value::Number(n.into())
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::Text(s.clone())
    }
}

impl From<&PathBuf> for Value {
    fn from(p: &PathBuf) -> Self {
        Value::Text(p.display().to_string())
    }
}

/// How a key is read.
pub enum Read<C> {
    /// A plain value; `None` when unset.
    Plain(fn(&C) -> Option<Value>),
    /// A secret: only whether it is set can be read, never its value.
    Secret(fn(&C) -> bool),
}

/// What reading a key shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A plain key's value; `None` when unset.
    Value(Option<Value>),
    /// A secret, as set or not set.
    Secret {
        /// Whether the secret is set.
        set: bool,
    },
}

/// A run-time setter: parses `value` and stores it in the section, or says why not.
pub type Setter<C> = fn(&mut C, &str) -> Result<(), String>;

/// One configuration key.
pub struct Key<C> {
    /// The TOML key.
    pub name: &'static str,
    /// The type of its value.
    pub kind: Kind,
    /// How it is read.
    pub read: Read<C>,
    /// How `set_config` changes it in a running process; `None`: only the file sets it.
    pub set: Option<Setter<C>>,
    /// One line for administrators.
    pub doc: &'static str,
}

impl<C: Default> Key<C> {
    /// Whether the key holds a secret (never returned, never printed).
    pub fn is_secret(&self) -> bool {
        matches!(self.read, Read::Secret(_))
    }

    /// Whether `set_config` may change the key at run time.
    pub fn is_runtime_settable(&self) -> bool {
        self.set.is_some()
    }

    /// The key's value in `section` (a secret only as set / not set).
    pub fn show(&self, section: &C) -> Shown {
        match self.read {
            Read::Plain(get) => Shown::Value(get(section)),
            Read::Secret(is_set) => Shown::Secret {
                set: is_set(section),
            },
        }
    }

    /// The built-in default (`None`: unset by default, or a secret).
    pub fn default_value(&self) -> Option<Value> {
        match self.show(&C::default()) {
            Shown::Value(v) => v,
            Shown::Secret { .. } => None,
        }
    }
}

/// Parses a whole number for a setter.
fn whole(value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("must be {}, not {value:?}", Kind::Number))
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

macro_rules! plain {
    ($field:ident) => {
        Read::Plain(|c| Some(Value::from(c.$field)))
    };
    (ref $field:ident) => {
        Read::Plain(|c| Some(Value::from(&c.$field)))
    };
    (opt $field:ident) => {
        Read::Plain(|c| c.$field.as_ref().map(Value::from))
    };
    (copt $field:ident) => {
        Read::Plain(|c| c.$field.map(Value::from))
    };
}

macro_rules! key {
    ($name:ident, $kind:expr, $read:expr, $doc:literal) => {
        Key {
            name: stringify!($name),
            kind: $kind,
            read: $read,
            set: None,
            doc: $doc,
        }
    };
    ($name:ident, $kind:expr, $read:expr, set $set:expr, $doc:literal) => {
        Key {
            name: stringify!($name),
            kind: $kind,
            read: $read,
            set: Some($set),
            doc: $doc,
        }
    };
}

/// The keys of `[plugin]`, in the order `docs/configuration.md` lists them.
pub static PLUGIN_KEYS: &[Key<PluginSection>] = &[
    key!(
        log_file,
        Kind::Path,
        plain!(opt log_file),
        "file the plugin appends its log to (stderr when unset)"
    ),
    key!(
        log_level,
        Kind::Text,
        plain!(ref log_level),
        "error, warn, info, debug, trace, or a tracing filter"
    ),
    key!(
        state_dir,
        Kind::Path,
        plain!(ref state_dir),
        "persistent state: stored S3 keys and API tokens"
    ),
    key!(
        worker_threads,
        Kind::Number,
        plain!(worker_threads),
        "threads of the plugin's tokio runtime"
    ),
    key!(
        buffer_budget,
        Kind::Number,
        plain!(buffer_budget),
        "bytes all data-path buffers of the process may hold together"
    ),
    key!(
        media_server,
        Kind::Text,
        plain!(opt media_server),
        "this media server's name; its S3 user is <s3_user>-<media_server> (host name when unset)"
    ),
];

/// The keys of a `[servers."vast://..."]` section, in the order `docs/configuration.md`
/// lists them.
pub static SERVER_KEYS: &[Key<ServerConfig>] = &[
    key!(
        vms_url,
        Kind::Text,
        plain!(opt vms_url),
        "VMS REST API base URL (default https://<host>[:port] of the server name)"
    ),
    key!(
        s3_url,
        Kind::Text,
        plain!(opt s3_url),
        "S3 endpoint URL (resolved through VMS when unset)"
    ),
    key!(
        s3_vippool,
        Kind::Text,
        plain!(opt s3_vippool),
        "VIP pool the S3 endpoint is taken from (any enabled PROTOCOLS pool when unset)"
    ),
    key!(
        s3_https,
        Kind::Bool,
        plain!(s3_https),
        "use https:// for a resolved S3 endpoint"
    ),
    key!(
        s3_port,
        Kind::Number,
        plain!(copt s3_port),
        "port of a resolved S3 endpoint (scheme default when unset)"
    ),
    key!(
        s3_vips,
        Kind::Choice(&["all", "one", "interfaces"]),
        Read::Plain(|c| Some(Value::Text(c.s3_vips.as_str().to_owned()))),
        "S3 requests spread over every VIP of the pool(s) (all), go to one picked at open (one), or spread over the addresses NetBackup passes as interfaces (interfaces)"
    ),
    key!(
        s3_vip_refresh_secs,
        Kind::Number,
        plain!(s3_vip_refresh_secs),
        "how often an open server re-reads the VIP list from VMS (s3_vips = all), seconds"
    ),
    key!(
        ca_bundle,
        Kind::Path,
        plain!(opt ca_bundle),
        "PEM bundle trusted for VMS and S3 (system roots when unset)"
    ),
    key!(
        insecure,
        Kind::Bool,
        plain!(insecure),
        "accept any certificate (labs only)"
    ),
    key!(
        tenant,
        Kind::Text,
        plain!(ref tenant),
        "tenant the plugin's user and buckets live in"
    ),
    key!(
        s3_user,
        Kind::Text,
        plain!(ref s3_user),
        "S3 user owning the plugin's buckets"
    ),
    key!(
        view_policy,
        Kind::Text,
        plain!(ref view_policy),
        "S3_NATIVE view policy of new bucket views"
    ),
    key!(
        bucket_path_prefix,
        Kind::Text,
        plain!(ref bucket_path_prefix),
        "Element Store directory of new bucket views"
    ),
    key!(
        default_lsu,
        Kind::Text,
        plain!(ref default_lsu),
        "LSU created on first use when the plugin has none"
    ),
    key!(
        username,
        Kind::Text,
        plain!(opt username),
        "VMS user when NetBackup passes no credentials"
    ),
    key!(
        password,
        Kind::Text,
        Read::Secret(|c| c.password.is_some()),
        "its password (secret)"
    ),
    key!(
        api_token_file,
        Kind::Path,
        plain!(opt api_token_file),
        "file whose first line is a VMS API token"
    ),
    key!(
        api_token,
        Kind::Text,
        Read::Secret(|c| c.api_token.is_some()),
        "a VMS API token inline (secret; prefer api_token_file)"
    ),
    key!(
        data_path,
        Kind::Choice(&["s3", "nfs"]),
        Read::Plain(|c| Some(Value::Text(match c.data_path {
            DataPathKind::S3 => "s3".to_owned(),
            DataPathKind::Nfs => "nfs".to_owned(),
        }))),
        "which data path moves image bytes"
    ),
    key!(
        nfs_root,
        Kind::Path,
        plain!(opt nfs_root),
        "mount point of the view root for the NFS data path"
    ),
    key!(
        part_size,
        Kind::Number,
        plain!(part_size),
        "bytes per multipart part"
    ),
    key!(
        segment_size,
        Kind::Number,
        plain!(segment_size),
        "bytes per data segment object (a multiple of part_size)"
    ),
    key!(
        max_in_flight,
        Kind::Number,
        plain!(max_in_flight),
        set | c,
        v | {
            c.max_in_flight = to_usize(whole(v)?.max(1));
            Ok(())
        },
        "part uploads in flight per image (images created from then on)"
    ),
    key!(
        read_chunk_size,
        Kind::Number,
        plain!(read_chunk_size),
        "bytes per read-ahead GET"
    ),
    key!(
        read_ahead_chunks,
        Kind::Number,
        plain!(read_ahead_chunks),
        set | c,
        v | {
            c.read_ahead_chunks = to_usize(whole(v)?);
            Ok(())
        },
        "read-ahead depth in chunks, 0: off (images opened for read from then on)"
    ),
    key!(
        vms_timeout_secs,
        Kind::Number,
        plain!(vms_timeout_secs),
        "limit for one VMS request, seconds"
    ),
    key!(
        s3_timeout_secs,
        Kind::Number,
        plain!(s3_timeout_secs),
        "limit for one S3 request attempt, seconds"
    ),
    key!(
        s3_checksum,
        Kind::Choice(&["auto", "crc32c", "md5", "none"]),
        Read::Plain(|c| Some(Value::Text(c.s3_checksum.as_str().to_owned()))),
        "body checksum of S3 parts and objects; auto probes the cluster once per version"
    ),
    key!(
        connect_timeout_secs,
        Kind::Number,
        plain!(connect_timeout_secs),
        "TCP/TLS connect limit, VMS and S3, seconds"
    ),
    key!(
        lsu_cache_secs,
        Kind::Number,
        plain!(lsu_cache_secs),
        set | c,
        v | {
            c.lsu_cache_secs = whole(v)?;
            Ok(())
        },
        "how long LSU lists and properties are cached, seconds (0: no cache)"
    ),
    key!(
        orphan_age_secs,
        Kind::Number,
        plain!(orphan_age_secs),
        set | c,
        v | {
            c.orphan_age_secs = whole(v)?;
            Ok(())
        },
        "age from which a Pending image or upload is an orphan, seconds"
    ),
    key!(
        writer_lease_secs,
        Kind::Number,
        plain!(writer_lease_secs),
        "lifetime of a writer's lease on an image open for write, seconds"
    ),
    key!(
        sweep_on_open,
        Kind::Bool,
        plain!(sweep_on_open),
        "run the orphan sweep when the server is opened"
    ),
    key!(
        sweep_interval_secs,
        Kind::Number,
        plain!(sweep_interval_secs),
        "the sweep at open runs once per LSU per this many seconds, all processes together"
    ),
    key!(
        sweep_max_images,
        Kind::Number,
        plain!(sweep_max_images),
        "image descriptors one sweep at open examines per LSU (the next continues after them)"
    ),
    key!(
        list_concurrency,
        Kind::Number,
        plain!(list_concurrency),
        set | c,
        v | {
            c.list_concurrency = to_usize(whole(v)?.max(1));
            Ok(())
        },
        "image descriptors fetched at once while listing images (lists opened from then on)"
    ),
    key!(
        list_batch,
        Kind::Number,
        plain!(list_batch),
        set | c,
        v | {
            c.list_batch = to_usize(whole(v)?.max(1));
            Ok(())
        },
        "object keys per listing request while listing images; a list holds one batch"
    ),
    key!(
        event_poll_secs,
        Kind::Number,
        plain!(event_poll_secs),
        set | c,
        v | {
            c.event_poll_secs = whole(v)?.max(1);
            Ok(())
        },
        "how often an event channel polls VMS events, seconds (from its next poll on)"
    ),
    key!(
        max_write_mib_s,
        Kind::Number,
        plain!(max_write_mib_s),
        set | c,
        v | {
            c.max_write_mib_s = whole(v)?;
            Ok(())
        },
        "MiB/s this process may send to the server, all images together, 0: unlimited (at once)"
    ),
    key!(
        max_read_mib_s,
        Kind::Number,
        plain!(max_read_mib_s),
        set | c,
        v | {
            c.max_read_mib_s = whole(v)?;
            Ok(())
        },
        "MiB/s this process may read from the server, all images together, 0: unlimited (at once)"
    ),
    key!(
        write_schedule,
        Kind::Text,
        Read::Plain(|c| Some(Value::Text(c.write_schedule.to_string()))),
        set | c,
        v | {
            c.write_schedule = Schedule::parse(v)?;
            Ok(())
        },
        "write limits by local time of day, \"HH:MM-HH:MM=MIB,...,*=MIB\" (over max_write_mib_s; at once)"
    ),
    key!(
        read_schedule,
        Kind::Text,
        Read::Plain(|c| Some(Value::Text(c.read_schedule.to_string()))),
        set | c,
        v | {
            c.read_schedule = Schedule::parse(v)?;
            Ok(())
        },
        "read limits by local time of day, \"HH:MM-HH:MM=MIB,...,*=MIB\" (over max_read_mib_s; at once)"
    ),
];

/// The server key `name`, if there is one.
pub fn server_key(name: &str) -> Option<&'static Key<ServerConfig>> {
    SERVER_KEYS.iter().find(|k| k.name == name)
}

/// The server keys `set_config` may change at run time, comma-separated (for messages).
pub fn runtime_settable_keys() -> String {
    SERVER_KEYS
        .iter()
        .filter(|k| k.is_runtime_settable())
        .map(|k| k.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keys of a parsed file that the table does not know, as `([section], key)` pairs: the file
/// parser reports them (the first one) before anything else.
pub(crate) fn unknown_keys(file: &toml::Table) -> Vec<(String, String)> {
    fn unknown_in<C>(section: &str, table: &toml::Table, keys: &[Key<C>]) -> Vec<(String, String)> {
        table
            .keys()
            .filter(|k| !keys.iter().any(|key| key.name == k.as_str()))
            .map(|k| (section.to_owned(), k.clone()))
            .collect()
    }
    let mut unknown = Vec::new();
    for (name, value) in file {
        match (name.as_str(), value) {
            ("plugin", toml::Value::Table(t)) => {
                unknown.extend(unknown_in("[plugin]", t, PLUGIN_KEYS));
            }
            ("servers", toml::Value::Table(servers)) => {
                for (server, section) in servers {
                    if let toml::Value::Table(t) = section {
                        let place = format!("[servers.\"{server}\"]");
                        unknown.extend(unknown_in(&place, t, SERVER_KEYS));
                    }
                }
            }
            ("plugin" | "servers", _) => {}
            (other, _) => unknown.push((String::new(), other.to_owned())),
        }
    }
    unknown
}

#[cfg(test)]
mod tests;
