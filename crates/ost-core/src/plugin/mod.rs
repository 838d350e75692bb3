//! [`Plugin`]: the process-wide object the C layer drives. It owns the one tokio runtime, the
//! shared buffer budget and the checked handle tables, and offers every OST operation as a
//! **blocking** method callable from any number of NetBackup threads at once.
//!
//! Blocking methods must not be called from inside an async runtime (they would stall it): they
//! refuse with [`OstError::Internal`] when they detect one. The future of a call runs on the
//! calling thread (driven by the runtime's I/O), so a panic in it unwinds into the caller: the C
//! layer wraps every entry point in `catch_unwind`. Background tasks (part uploads, async
//! copies, event polling) run on the runtime's workers; their failures come back as errors.
//!
//! Thread safety: `Plugin` is `Send + Sync`; every method takes `&self`. Calls on one image
//! handle are serialised (NetBackup writes an image from one thread at a time, but nothing breaks
//! if it does not); calls on different handles run in parallel. Every method returns
//! `Result<_, OstError>`; the C layer turns the error into its status code with
//! [`OstError::code`].

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ost_model::{ImageInfo, LsuName, OstError, ServerName};
use vast_s3_data::BufferBudget;

mod admin_ops;
mod copy_ops;
pub mod fork;
mod global;
mod image_ops;
mod lookup;
mod lsu_ops;
mod server_ops;
mod tools;

pub(crate) use fork::ChildCloses;

use crate::config::PluginConfig;
use crate::events::EventChannel;
use crate::handles::{self, EventChannelId, HandleTable, ImageHandleId, ListId, OpId, ServerId};
use crate::image::ImageHandle;
use crate::ops::Operation;
use crate::server::Server;
use crate::shared::SharedRegistry;
use crate::types::Credentials;

/// An open list cursor.
enum ListCursor {
    Lsus(VecDeque<LsuName>),
    Images(ImageCursor),
}

/// An open image list: the server it lists, where the listing stands, and the batch of images
/// fetched and not yet handed out.
struct ImageCursor {
    server: Arc<Server>,
    pager: crate::server::ImagePager,
    batch: VecDeque<ImageInfo>,
}

/// What a plugin is to its process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Started with [`Plugin::init`] (tests, the `vast-ost` tool): nothing recorded.
    Own,
    /// The process-wide plugin: its server opens are recorded for a forked child.
    Global,
    /// The process-wide plugin of a child forked from `parent_pid` after the parent's plugin
    /// started: the parent's server handles re-open on first use.
    ForkedChild {
        /// The parent's process id.
        parent_pid: u32,
    },
}

/// The plugin: one per process (see [`Plugin::init_global`]), or several in tests.
pub struct Plugin {
    config: PluginConfig,
    role: Role,
    /// Handle ids below this one were issued before this plugin started (in a forked child:
    /// by the parent).
    first_id: u64,
    /// Held while a forked child re-opens one of the parent's servers.
    reopening: Mutex<()>,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
    handle: tokio::runtime::Handle,
    budget: BufferBudget,
    servers: HandleTable<ServerId, Server>,
    images: HandleTable<ImageHandleId, ImageHandle>,
    lists: HandleTable<ListId, Mutex<ListCursor>>,
    ops: HandleTable<OpId, Operation>,
    channels: HandleTable<EventChannelId, EventChannel>,
    shared: SharedRegistry,
    terminated: AtomicBool,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("servers", &self.servers.len())
            .field("images", &self.images.len())
            .field("terminated", &self.terminated.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// Starts a plugin: validates `config`, sets up logging (once per process) and starts the
    /// runtime. `stspi_init` calls [`Plugin::init_global`] instead.
    pub fn init(config: PluginConfig) -> Result<Arc<Self>, OstError> {
        Self::start(config, Role::Own).map(Arc::new)
    }

    fn start(config: PluginConfig, role: Role) -> Result<Self, OstError> {
        config.validate()?;
        crate::logging::init(&config.plugin);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.plugin.worker_threads)
            .thread_name("vast-ost")
            .enable_all()
            .build()
            .map_err(|e| OstError::Internal {
                cause: format!("cannot start the plugin runtime: {e}"),
            })?;
        let handle = runtime.handle().clone();
        let budget =
            BufferBudget::new(usize::try_from(config.plugin.buffer_budget).unwrap_or(usize::MAX));
        tracing::info!(
            version = crate::PLUGIN_VERSION,
            "vast-ost plugin initialised"
        );
        Ok(Self {
            config,
            role,
            first_id: handles::next_raw_id(),
            reopening: Mutex::new(()),
            runtime: Mutex::new(Some(runtime)),
            handle,
            budget,
            servers: HandleTable::default(),
            images: HandleTable::default(),
            lists: HandleTable::default(),
            ops: HandleTable::default(),
            channels: HandleTable::default(),
            shared: SharedRegistry::default(),
            terminated: AtomicBool::new(false),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &PluginConfig {
        &self.config
    }

    /// The shared buffer budget (for statistics and tests).
    pub fn budget(&self) -> &BufferBudget {
        &self.budget
    }

    /// Closes every server (logging out), drops every handle and stops the runtime. Images still
    /// open for write stay Pending (the next orphan sweep removes them). Idempotent.
    pub fn terminate(&self) {
        if self.terminated.swap(true, Ordering::SeqCst) {
            return;
        }
        for op in self.ops.drain() {
            op.cancel();
        }
        self.channels.drain();
        self.lists.drain();
        let images = self.images.drain();
        let servers = self.servers.drain();
        if tokio::runtime::Handle::try_current().is_err() {
            self.handle.block_on(async {
                for server in &servers {
                    server.close().await;
                }
            });
        }
        drop(images);
        drop(servers);
        let runtime = self
            .runtime
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(rt) = runtime {
            if tokio::runtime::Handle::try_current().is_ok() {
                rt.shutdown_background();
            } else {
                rt.shutdown_timeout(Duration::from_secs(5));
            }
        }
        tracing::info!("vast-ost plugin terminated");
    }

    /// Opens `name` with `config` on this plugin's runtime, state dir, buffer budget and the
    /// server's shared in-process state (what every open of a server does).
    fn open_on_runtime(
        &self,
        name: ServerName,
        config: crate::config::ServerConfig,
        credentials: Option<Credentials>,
    ) -> Result<Arc<Server>, OstError> {
        let shared = self.shared.for_server(&name);
        let media_server = self.config.plugin.media_server_name();
        self.block_on(Server::open(
            name,
            config,
            credentials,
            self.config.plugin.state_dir.clone(),
            &media_server,
            self.budget.clone(),
            shared,
        ))
    }

    /// Runs `fut` on the runtime and waits for it from this (non-runtime) thread.
    fn block_on<T>(&self, fut: impl Future<Output = Result<T, OstError>>) -> Result<T, OstError> {
        if self.terminated.load(Ordering::SeqCst) {
            return Err(OstError::Internal {
                cause: "the plugin is terminated".to_owned(),
            });
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(OstError::Internal {
                cause: "a blocking plugin entry point was called from inside an async runtime"
                    .to_owned(),
            });
        }
        self.handle.block_on(fut)
    }

    /// Runs an operation on an open server and counts it in the server's statistics.
    fn on_server<T>(
        &self,
        server: ServerId,
        lsu: Option<&LsuName>,
        f: impl AsyncFnOnce(Arc<Server>) -> Result<T, OstError>,
    ) -> Result<T, OstError> {
        let s = self.server(server)?;
        let counted = s.clone();
        let result = self.block_on(f(s));
        counted.stats().op(lsu, result.is_err());
        result
    }

    /// Runs an operation on an open image and counts it.
    fn on_image<T>(
        &self,
        image: ImageHandleId,
        f: impl AsyncFnOnce(Arc<ImageHandle>) -> Result<T, OstError>,
    ) -> Result<T, OstError> {
        let h = self.own(image, self.images.get(image))?;
        let counted = h.clone();
        let result = self.block_on(f(h));
        counted
            .server()
            .stats()
            .op(Some(counted.lsu()), result.is_err());
        result
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        self.terminate();
    }
}

fn no_more(what: &str) -> OstError {
    OstError::NoMoreEntries {
        cause: format!("end of the {what}"),
    }
}

fn wrong_list(list: ListId, what: &str) -> OstError {
    OstError::InvalidArgument {
        cause: format!("{list} is {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn plugin_is_shareable_across_threads_and_refuses_async_callers() {
        assert_send_sync::<Plugin>();
        let mut config = PluginConfig::default();
        config.plugin.worker_threads = 1;
        config.plugin.state_dir = std::env::temp_dir();
        let p = Plugin::init(config).unwrap();
        assert!(p.claim("vast://h").is_ok());
        assert!(matches!(
            p.server_props(ServerId::from_raw(42)),
            Err(OstError::InvalidArgument { .. })
        ));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let inside = rt.block_on(async { p.list_lsus(ServerId::from_raw(1)) });
        assert!(inside.is_err());
        let err = rt
            .block_on(async { p.block_on(async { Ok(()) }) })
            .unwrap_err();
        assert!(err.cause().contains("inside an async runtime"), "{err}");
        p.terminate();
        let after = p.block_on(async { Ok(()) }).unwrap_err();
        assert!(after.cause().contains("terminated"));
    }
}
