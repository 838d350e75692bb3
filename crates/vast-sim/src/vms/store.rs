//! The persisted control-plane state: one JSON file (`vms.json`) in the data directory, rewritten
//! atomically (temp file + rename) after every mutation.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::VmsError;

/// The state file's name inside the data directory.
pub(crate) const STATE_FILE: &str = "vms.json";

/// One JSON object per row, by id.
pub(crate) type Row = Map<String, Value>;

/// One collection: rows by id and the next id to hand out.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Table {
    pub(crate) next_id: u64,
    pub(crate) rows: BTreeMap<u64, Row>,
}

impl Table {
    /// Stores `row` under a fresh id (written into the row as `id`) and returns the id.
    pub(crate) fn insert(&mut self, mut row: Row) -> u64 {
        self.next_id = self.next_id.max(1);
        let id = self.next_id;
        self.next_id += 1;
        row.insert("id".to_owned(), json!(id));
        self.rows.insert(id, row);
        id
    }
}

/// An S3 access key pair of a local user.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct AccessKey {
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
    pub(crate) user_id: u64,
    pub(crate) tenant_id: u64,
    pub(crate) enabled: bool,
    pub(crate) creation_time: String,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key", &self.access_key)
            .field("user_id", &self.user_id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A VMS API token (`Authorization: Api-Token <token>`).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct ApiToken {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) token: String,
    pub(crate) created: String,
    /// Unix seconds after which the token no longer works.
    pub(crate) expires_at: Option<i64>,
    pub(crate) expiry_date: Option<String>,
    pub(crate) last_used: Option<String>,
    pub(crate) revoked: bool,
    pub(crate) revocation_time: Option<String>,
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

/// Everything the VMS side knows, as persisted.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct Db {
    /// Generic collections by name (`tenants`, `views`, `users`, …).
    pub(crate) tables: BTreeMap<String, Table>,
    /// S3 access keys of local users.
    pub(crate) access_keys: Vec<AccessKey>,
    /// API tokens.
    pub(crate) api_tokens: Vec<ApiToken>,
    /// VMS login passwords of local users, by user id (write-only in the API).
    pub(crate) passwords: BTreeMap<u64, String>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("tables", &self.tables.keys().collect::<Vec<_>>())
            .field("access_keys", &self.access_keys.len())
            .field("api_tokens", &self.api_tokens.len())
            .finish_non_exhaustive()
    }
}

impl Db {
    /// The table `name`, created empty on first use.
    pub(crate) fn table(&mut self, name: &str) -> &mut Table {
        self.tables.entry(name.to_owned()).or_default()
    }

    /// The rows of `name` (empty when the table does not exist).
    pub(crate) fn rows(&self, name: &str) -> impl Iterator<Item = (&u64, &Row)> {
        self.tables
            .get(name)
            .into_iter()
            .flat_map(|t| t.rows.iter())
    }

    /// One row.
    pub(crate) fn row(&self, name: &str, id: u64) -> Option<&Row> {
        self.tables.get(name).and_then(|t| t.rows.get(&id))
    }

    /// The first row of `table` whose `field` is the string `value`.
    pub(crate) fn find_by(&self, table: &str, field: &str, value: &str) -> Option<(u64, &Row)> {
        self.rows(table)
            .find(|(_, row)| row.get(field).and_then(Value::as_str) == Some(value))
            .map(|(id, row)| (*id, row))
    }

    /// A string field of a row, or `""`.
    pub(crate) fn name_of(&self, table: &str, id: u64) -> Option<String> {
        self.row(table, id)
            .and_then(|r| r.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// Where the state lives and how it is written.
#[derive(Debug, Clone)]
pub(crate) struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file under `data_dir`.
    pub(crate) fn new(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(STATE_FILE),
        }
    }

    /// The stored state, or `None` when there is none yet.
    pub(crate) fn load(&self) -> Result<Option<Db>, VmsError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| VmsError::State(format!("parsing {}: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(VmsError::State(format!(
                "reading {}: {e}",
                self.path.display()
            ))),
        }
    }

    /// Writes the state atomically: a temp file in the same directory, then a rename.
    pub(crate) fn save(&self, db: &Db) -> Result<(), VmsError> {
        let bytes = serde_json::to_vec_pretty(db)
            .map_err(|e| VmsError::State(format!("serializing the state: {e}")))?;
        let tmp = self.path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()
        };
        write().map_err(|e| VmsError::State(format!("writing {}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &self.path)
            .map_err(|e| VmsError::State(format!("renaming to {}: {e}", self.path.display())))
    }
}
