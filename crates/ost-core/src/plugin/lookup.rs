//! Handle lookups of the blocking entry points, with what a forked child needs: the parent's
//! server handles re-open on first use; the parent's other handles are refused by name.

use std::sync::{Arc, PoisonError};

use ost_model::OstError;

use super::global::{self, OpenParams};
use super::{Plugin, Role};
use crate::handles::{HandleId, ServerId};
use crate::server::Server;

impl Plugin {
    /// The open server of `id`. In a forked child, a server the parent opened is opened again
    /// here (fresh VMS login and S3 client on the child's runtime) under the same id.
    pub(super) fn server(&self, id: ServerId) -> Result<Arc<Server>, OstError> {
        let missing = match self.servers.get(id) {
            Ok(s) => return Ok(s),
            Err(e) => e,
        };
        let Role::ForkedChild { parent_pid } = self.role else {
            return Err(missing);
        };
        if id.raw() >= self.first_id {
            return Err(missing);
        }
        let _one_at_a_time = self
            .reopening
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Ok(s) = self.servers.get(id) {
            return Ok(s);
        }
        let Some(OpenParams {
            name,
            credentials,
            interfaces,
        }) = global::open_params(id)
        else {
            return Err(missing);
        };
        tracing::info!(server = %name, %id, parent_pid, "re-opening the parent's storage server in the forked child");
        let mut config = self.config.server(&name);
        // The parent swept when it opened the server.
        config.sweep_on_open = false;
        config.interfaces = interfaces;
        let server = self.open_on_runtime(name, config, credentials)?;
        self.servers.insert_at(id, server.clone());
        Ok(server)
    }

    /// The name of an open server handle (also one inherited from the parent and not yet
    /// re-opened), for log lines.
    pub fn server_name(&self, id: ServerId) -> Option<String> {
        if let Ok(s) = self.servers.get(id) {
            return Some(s.name().to_string());
        }
        if self.role == Role::Own {
            return None;
        }
        global::open_params(id).map(|p| p.name.to_string())
    }

    /// Turns "unknown handle" into "the parent's handle" for a handle a forked child inherited.
    pub(super) fn own<K: HandleId, T>(&self, id: K, r: Result<T, OstError>) -> Result<T, OstError> {
        match (&r, self.role) {
            (Err(_), Role::ForkedChild { parent_pid }) if id.raw_id() < self.first_id => {
                Err(OstError::InvalidArgument {
                    cause: format!(
                        "{} handle {} was opened by the parent process ({parent_pid}) before it \
                         forked; the parent's {} handles are not usable in the child (open it \
                         again here)",
                        K::kind(),
                        id.raw_id(),
                        K::kind()
                    ),
                })
            }
            _ => r,
        }
    }
}
