//! The process-wide plugin (`stspi_init` ... `stspi_terminate`) and what it does after `fork()`.
//!
//! One slot holds the plugin, the id of the process that started it and the parameters every
//! open server was opened with. Every entry point reaches the plugin through
//! [`Plugin::global`] (or [`Plugin::init_global`] / [`Plugin::terminate_global`]), which compares
//! the process id with the recorded one. When they differ the process is a child forked after the
//! plugin started: the parent's plugin (its runtime, whose worker threads do not exist here, its
//! locks and pooled sockets, its open uploads and VMS sessions) is leaked on purpose, never used
//! and never dropped, and a fresh plugin takes its place. The parent's server handles stay valid:
//! the child re-opens each on first use from its recorded name and credentials (a fresh VMS
//! login and S3 client on the child's runtime). Other handles of the parent (images, lists,
//! operations, event channels) answer `STS_EINVAL`. See `docs/ARCHITECTURE.md`, "Fork and unload".

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ost_model::{OstError, ServerName};

use super::{fork, Plugin, Role};
use crate::config::PluginConfig;
use crate::handles::ServerId;
use crate::types::Credentials;

/// What a server was opened with: enough for a forked child to open it again.
#[derive(Clone, Debug)]
pub(crate) struct OpenParams {
    /// The storage server.
    pub(crate) name: ServerName,
    /// NetBackup's credentials, if it passed any (the password stays a redacting `Secret`).
    pub(crate) credentials: Option<Credentials>,
    /// The addresses NetBackup passed as `interfaces`.
    pub(crate) interfaces: Vec<String>,
}

/// The slot behind [`Plugin::global`].
pub(super) struct Global {
    /// The process that started `plugin` (0: none yet).
    pid: u32,
    plugin: Option<Arc<Plugin>>,
    /// Every server handle open in this process, by raw id.
    opened: BTreeMap<u64, OpenParams>,
}

static GLOBAL: Mutex<Global> = Mutex::new(Global {
    pid: 0,
    plugin: None,
    opened: BTreeMap::new(),
});

/// Locks the slot. Short critical sections only; `fork()` waits for them (see [`fork`]), so a
/// forked child never finds it locked.
pub(super) fn lock() -> MutexGuard<'static, Global> {
    GLOBAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Records a server opened by the process-wide plugin.
pub(super) fn record_open(id: ServerId, params: OpenParams) {
    lock().opened.insert(id.raw(), params);
}

/// Forgets a closed server.
pub(super) fn forget_open(id: ServerId) {
    lock().opened.remove(&id.raw());
}

/// The open parameters of a server handle of this process.
pub(super) fn open_params(id: ServerId) -> Option<OpenParams> {
    lock().opened.get(&id.raw()).cloned()
}

impl Global {
    /// After a fork: leaves the parent's plugin alone and starts the child's own. A no-op in the
    /// process that started the plugin.
    fn adopt_after_fork(&mut self) -> Result<(), OstError> {
        let pid = fork::current_pid();
        if self.pid == pid {
            return Ok(());
        }
        let parent_pid = std::mem::replace(&mut self.pid, pid);
        fork::close_inherited_lock_fds();
        let Some(parent) = self.plugin.take() else {
            return Ok(());
        };
        let config = parent.config().clone();
        leak(parent);
        match Plugin::start(config, Role::ForkedChild { parent_pid }) {
            Ok(child) => {
                tracing::info!(
                    parent_pid,
                    pid,
                    servers = self.opened.len(),
                    "process forked: the plugin restarted in the child (the parent's runtime, \
                     connections and uploads are left alone; servers re-open on first use)"
                );
                self.plugin = Some(Arc::new(child));
                Ok(())
            }
            Err(e) => {
                self.opened.clear();
                Err(e)
            }
        }
    }
}

/// Leaks the parent's plugin in a forked child. Dropping it would run `Plugin::terminate`: join
/// runtime worker threads that do not exist in the child (a hang), log the parent's VMS sessions
/// out and abort the parent's multipart uploads from the child. The memory stays as it was at
/// the fork; the child never touches it.
fn leak(parent: Arc<Plugin>) {
    std::mem::forget(parent);
}

impl Plugin {
    /// The process-wide plugin (`stspi_init`): created from [`PluginConfig::from_env`] on the
    /// first call, the same one returned afterwards until [`Plugin::terminate_global`]. In a
    /// child forked after the plugin started, a fresh plugin (see the module documentation).
    pub fn init_global() -> Result<Arc<Self>, OstError> {
        let mut slot = lock();
        slot.adopt_after_fork()?;
        if let Some(p) = slot.plugin.as_ref() {
            return Ok(p.clone());
        }
        let plugin = Arc::new(Self::start(PluginConfig::from_env()?, Role::Global)?);
        slot.pid = fork::current_pid();
        slot.plugin = Some(plugin.clone());
        Ok(plugin)
    }

    /// The process-wide plugin, when initialised; in a forked child, the child's own (started on
    /// this call when it is the child's first).
    pub fn global() -> Result<Arc<Self>, OstError> {
        let mut slot = lock();
        slot.adopt_after_fork()?;
        slot.plugin.clone().ok_or_else(|| OstError::Internal {
            cause: "the plugin is not initialised (stspi_init not called)".to_owned(),
        })
    }

    /// Terminates the process-wide plugin (`stspi_terminate`); a no-op when none is running.
    /// In a forked child that has not used the plugin, the parent's plugin is left alone.
    pub fn terminate_global() {
        let plugin = {
            let mut slot = lock();
            slot.opened.clear();
            if slot.pid != fork::current_pid() {
                slot.pid = fork::current_pid();
                if let Some(parent) = slot.plugin.take() {
                    leak(parent);
                }
            }
            slot.plugin.take()
        };
        if let Some(p) = plugin {
            p.terminate();
        }
    }
}
