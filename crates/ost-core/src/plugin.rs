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

use ost_model::{
    CloseFlags, CreateFlags, ImageDef, ImageId, ImageInfo, LsuInfo, LsuName, OpenMode, OstError,
    ServerName,
};
use vast_s3_data::BufferBudget;

pub mod fork;
mod global;
mod lookup;
mod tools;

pub(crate) use fork::ChildCloses;

use crate::config::PluginConfig;
use crate::events::EventChannel;
use crate::handles::{self, EventChannelId, HandleTable, ImageHandleId, ListId, OpId, ServerId};
use crate::image::ImageHandle;
use crate::ops::Operation;
use crate::server::Server;
use crate::shared::SharedRegistry;
use crate::types::{
    CopyRequest, Credentials, Event, HealthReport, ImageFilter, LsuProps, OpStatus, ServerProps,
    Statistics, SweepReport,
};

/// An open list cursor.
enum ListCursor {
    Lsus(VecDeque<LsuName>),
    Images(VecDeque<ImageInfo>),
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
        self.block_on(Server::open(
            name,
            config,
            credentials,
            self.config.plugin.state_dir.clone(),
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

    // ---- storage servers -------------------------------------------------------------------

    /// `stspi_claim`: `Ok` when `name` is a `vast://` server name, [`OstError::Claim`] otherwise.
    pub fn claim(&self, name: &str) -> Result<ServerName, OstError> {
        name.parse::<ServerName>().map_err(|e| OstError::claim(&e))
    }

    /// `stspi_open_server`: verifies the cluster is ONLINE, authenticates (NetBackup's
    /// credentials, else the configured ones), bootstraps tenant / S3 user / policy, reuses the
    /// stored S3 key (or issues one), builds the data path and, when configured, sweeps orphans.
    pub fn open_server(
        &self,
        name: &str,
        credentials: Option<Credentials>,
    ) -> Result<ServerId, OstError> {
        let name = self.claim(name)?;
        let config = self.config.server(&name);
        self.open_with(name, config, credentials)
    }

    fn open_with(
        &self,
        name: ServerName,
        config: crate::config::ServerConfig,
        credentials: Option<Credentials>,
    ) -> Result<ServerId, OstError> {
        let params = (self.role != Role::Own).then(|| global::OpenParams {
            name: name.clone(),
            credentials: credentials.clone(),
        });
        let server = self.open_on_runtime(name, config, credentials)?;
        let id = self.servers.insert(server);
        if let Some(params) = params {
            global::record_open(id, params);
        }
        Ok(id)
    }

    /// `stspi_get_server_prop`.
    pub fn server_props(&self, server: ServerId) -> Result<ServerProps, OstError> {
        self.on_server(server, None, async |s| s.props().await)
    }

    /// `stspi_get_server_prop_byname`: answered by an open server of that name, else by
    /// opening one for the call with `credentials` (or the configured ones).
    pub fn server_props_by_name(
        &self,
        name: &str,
        credentials: Option<Credentials>,
    ) -> Result<ServerProps, OstError> {
        let parsed = self.claim(name)?;
        if let Some(s) = self.servers.find(|s| s.name() == &parsed) {
            return self.block_on(s.props());
        }
        // A short open for one answer: no orphan sweep.
        let mut config = self.config.server(&parsed);
        config.sweep_on_open = false;
        let id = self.open_with(parsed, config, credentials)?;
        let props = self.server_props(id);
        if let Err(e) = self.close_server(id) {
            tracing::warn!(error = %e, "closing a server opened for its properties failed");
        }
        props
    }

    /// `stspi_close_server`: logs out of VMS. Images still open on it are closed incomplete.
    /// In a forked child, a server of the parent's that the child never used is only
    /// forgotten: the VMS session is the parent's.
    pub fn close_server(&self, server: ServerId) -> Result<(), OstError> {
        let removed = self.servers.remove(server);
        if self.role != Role::Own {
            let inherited = removed.is_err() && self.server_name(server).is_some();
            global::forget_open(server);
            if inherited {
                return Ok(());
            }
        }
        let s = removed?;
        let images = self.images.remove_where(|h| Arc::ptr_eq(h.server(), &s));
        self.block_on(async {
            for image in images {
                if let Err(e) = image.close(CloseFlags::IH_INCOMPLETE).await {
                    tracing::warn!(error = %e, "closing an image left open at close_server failed");
                }
            }
            s.close().await;
            Ok(())
        })
    }

    // ---- LSUs -------------------------------------------------------------------------------

    /// Every LSU (bucket) the plugin manages on the server; creates the default LSU when there
    /// is none. Cached for `lsu_cache_secs`.
    pub fn list_lsus(&self, server: ServerId) -> Result<Vec<LsuName>, OstError> {
        self.on_server(server, None, async |s| s.list_lsus().await)
    }

    /// `stspi_open_lsu_list`: a cursor over [`Plugin::list_lsus`].
    pub fn open_lsu_list(&self, server: ServerId) -> Result<ListId, OstError> {
        let lsus = self.list_lsus(server)?;
        Ok(self
            .lists
            .insert(Arc::new(Mutex::new(ListCursor::Lsus(lsus.into())))))
    }

    /// `stspi_list_lsu`: the next LSU, or [`OstError::NoMoreEntries`].
    pub fn next_lsu(&self, list: ListId) -> Result<LsuName, OstError> {
        let cursor = self.own(list, self.lists.get(list))?;
        let mut guard = cursor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &mut *guard {
            ListCursor::Lsus(items) => items.pop_front().ok_or_else(|| no_more("LSU list")),
            ListCursor::Images(_) => Err(wrong_list(list, "an image list")),
        }
    }

    /// `stspi_close_lsu_list` / `stspi_close_image_list`.
    pub fn close_list(&self, list: ListId) -> Result<(), OstError> {
        self.own(list, self.lists.remove(list)).map(drop)
    }

    /// Creates an LSU (bucket view in the plugin's tenant); an existing one of ours is fine.
    pub fn create_lsu(&self, server: ServerId, lsu: &LsuName) -> Result<(), OstError> {
        self.on_server(server, Some(lsu), async |s| s.create_lsu(lsu).await)
    }

    /// `stspi_get_lsu_prop_byname`: capacity and use from the bucket's quota (or the view),
    /// label, flags. Cached for `lsu_cache_secs`.
    pub fn lsu_info(&self, server: ServerId, lsu: &LsuName) -> Result<LsuInfo, OstError> {
        self.on_server(server, Some(lsu), async |s| s.lsu_info(lsu).await)
    }

    /// [`Plugin::lsu_info`] plus the LSU's image counts and online state.
    pub fn lsu_props(&self, server: ServerId, lsu: &LsuName) -> Result<LsuProps, OstError> {
        self.on_server(server, Some(lsu), async |s| s.lsu_props(lsu).await)
    }

    /// `stspi_label_lsu`: stores `label` as a bucket tag.
    pub fn label_lsu(&self, server: ServerId, lsu: &LsuName, label: &str) -> Result<(), OstError> {
        self.on_server(server, Some(lsu), async |s| s.label_lsu(lsu, label).await)
    }

    // ---- images -----------------------------------------------------------------------------

    /// `stspi_create_image`: writes a Pending descriptor (refused with
    /// [`OstError::AlreadyExists`] when the image exists) and returns a handle open for write.
    pub fn create_image(
        &self,
        server: ServerId,
        lsu: &LsuName,
        def: &ImageDef,
        flags: CreateFlags,
    ) -> Result<ImageHandleId, OstError> {
        let handle = self.on_server(server, Some(lsu), async |s| {
            ImageHandle::create(s, lsu.clone(), def.clone(), flags).await
        })?;
        Ok(self.images.insert(handle))
    }

    /// `stspi_open_image`: [`OpenMode::READ`] needs a Complete image; [`OpenMode::WRITE`]
    /// resumes a Pending one (after a checkpoint, a failure or a crash) at its durable size;
    /// [`OstError::Busy`] while another process's live writer lease holds it.
    pub fn open_image(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
        mode: OpenMode,
    ) -> Result<ImageHandleId, OstError> {
        let handle = self.on_server(server, Some(lsu), async |s| {
            ImageHandle::open(s, lsu.clone(), id.clone(), mode).await
        })?;
        Ok(self.images.insert(handle))
    }

    /// `stspi_write_image`: writes `data` at `offset`; returns the bytes accepted (all of
    /// them). A failure marks the handle failed: later calls and close report it.
    pub fn write_image(
        &self,
        image: ImageHandleId,
        offset: u64,
        data: &[u8],
    ) -> Result<usize, OstError> {
        self.on_image(image, async |h| h.write_at(offset, data).await)
    }

    /// `stspi_read_image`: reads into `buf` at `offset`; returns the bytes read (short only at
    /// the end of the image, 0 at or past it).
    pub fn read_image(
        &self,
        image: ImageHandleId,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, OstError> {
        self.on_image(image, async |h| h.read_at(offset, buf).await)
    }

    /// `stspi_flush_image`: makes every byte acknowledged so far durable and records the size
    /// in the descriptor (other processes see it); reports any deferred write error. A failed
    /// flush fails the handle; the image stays resumable at its previous durable size.
    pub fn flush_image(&self, image: ImageHandleId) -> Result<(), OstError> {
        self.on_image(image, async |h| h.flush().await)
    }

    /// `stspi_close_image`. With [`CloseFlags::IH_COMPLETE`] the image is sealed (Complete,
    /// size, checksum, segments) and never writable again; without it (a checkpoint: every
    /// acknowledged byte made durable, as by a flush) it stays Pending and can be reopened for
    /// write. A failed handle returns its error and leaves the image Pending at its last durable
    /// size (never sealed, never removed). The handle is gone afterwards whatever the result.
    pub fn close_image(&self, image: ImageHandleId, flags: CloseFlags) -> Result<(), OstError> {
        let h = self.own(image, self.images.remove(image))?;
        let result = self.block_on(h.close(flags));
        h.server().stats().op(Some(h.lsu()), result.is_err());
        result
    }

    /// `stspi_get_image_prop` on an open handle (live size and busy flags).
    pub fn image_props(&self, image: ImageHandleId) -> Result<ImageInfo, OstError> {
        self.on_image(image, async |h| h.info().await)
    }

    /// The server, LSU and image an open handle refers to.
    pub fn image_identity(
        &self,
        image: ImageHandleId,
    ) -> Result<(ServerId, LsuName, ImageId), OstError> {
        let h = self.own(image, self.images.get(image))?;
        let server = self
            .server_id_of(h.server())
            .ok_or_else(|| OstError::InvalidArgument {
                cause: "the image's server is closed".to_owned(),
            })?;
        Ok((server, h.lsu().clone(), h.id().clone()))
    }

    fn server_id_of(&self, server: &Arc<Server>) -> Option<ServerId> {
        self.servers.find_id(|s| Arc::ptr_eq(s, server))
    }

    /// `stspi_get_image_prop_byname`: from the descriptor; a missing descriptor is
    /// [`OstError::NoMoreEntries`] (as Veritas' S3 plugin answers).
    pub fn image_props_by_name(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<ImageInfo, OstError> {
        self.on_server(server, Some(lsu), async |s| s.image_info(lsu, id).await)
    }

    /// `stspi_delete_image`: data, descriptor, metadata and any open upload. Refused with
    /// [`OstError::Busy`] while the image is open in this process or held by another process's
    /// live writer lease.
    pub fn delete_image(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<(), OstError> {
        self.on_server(server, Some(lsu), async |s| s.delete_image(lsu, id).await)
    }

    /// Images of an LSU matching `filter` (from their descriptors).
    pub fn list_images(
        &self,
        server: ServerId,
        lsu: &LsuName,
        filter: &ImageFilter,
    ) -> Result<Vec<ImageInfo>, OstError> {
        self.on_server(server, Some(lsu), async |s| {
            s.list_images(lsu, filter).await
        })
    }

    /// `stspi_open_image_list`: a cursor over [`Plugin::list_images`].
    pub fn open_image_list(
        &self,
        server: ServerId,
        lsu: &LsuName,
        filter: &ImageFilter,
    ) -> Result<ListId, OstError> {
        let images = self.list_images(server, lsu, filter)?;
        Ok(self
            .lists
            .insert(Arc::new(Mutex::new(ListCursor::Images(images.into())))))
    }

    /// `stspi_list_image`: the next image, or [`OstError::NoMoreEntries`].
    pub fn next_image(&self, list: ListId) -> Result<ImageInfo, OstError> {
        let cursor = self.own(list, self.lists.get(list))?;
        let mut guard = cursor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &mut *guard {
            ListCursor::Images(items) => items.pop_front().ok_or_else(|| no_more("image list")),
            ListCursor::Lsus(_) => Err(wrong_list(list, "an LSU list")),
        }
    }

    /// `stspi_write_image_meta`: writes NetBackup's own metadata at `offset` (its own object
    /// beside the descriptor). Returns the bytes written.
    pub fn write_image_meta(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
        offset: u64,
        data: &[u8],
    ) -> Result<usize, OstError> {
        self.on_server(server, Some(lsu), async |s| {
            s.write_image_meta(lsu, id, offset, data).await
        })
    }

    /// `stspi_read_image_meta`: reads NetBackup's metadata at `offset` into `buf`; returns the
    /// bytes read. No metadata object is [`OstError::NoMoreEntries`].
    pub fn read_image_meta(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, OstError> {
        self.on_server(server, Some(lsu), async |s| {
            s.read_image_meta(lsu, id, offset, buf).await
        })
    }

    // ---- copies -----------------------------------------------------------------------------

    /// `stspi_copy_image`: server-side copy of a Complete image within the cluster; returns
    /// the bytes copied. The copy lands complete or not at all.
    pub fn copy_image(&self, server: ServerId, request: &CopyRequest) -> Result<u64, OstError> {
        self.on_server(server, Some(&request.dst_lsu), async |s| {
            s.copy_image(request, None).await
        })
    }

    /// `stspi_async_copy_image`: starts the copy in the background; follow it with
    /// [`Plugin::query_operation`], stop it with [`Plugin::cancel_operation`]. Completion is
    /// also announced on event channels.
    pub fn async_copy_image(
        &self,
        server: ServerId,
        request: &CopyRequest,
    ) -> Result<OpId, OstError> {
        let s = self.server(server)?;
        let op = self.block_on(async { Ok(Operation::start_copy(s, request.clone())) })?;
        let id = self.ops.insert(op.clone());
        op.set_id(id);
        Ok(id)
    }

    /// `stspi_query_operation`: state and progress. Finished operations stay queryable until
    /// [`Plugin::release_operation`].
    pub fn query_operation(&self, op: OpId) -> Result<OpStatus, OstError> {
        Ok(self.own(op, self.ops.get(op))?.status(op))
    }

    /// `stspi_cancel_operation`: asks the operation to stop; a cancelled copy leaves nothing.
    pub fn cancel_operation(&self, op: OpId) -> Result<(), OstError> {
        self.own(op, self.ops.get(op))?.cancel();
        Ok(())
    }

    /// Blocks until the operation is no longer running and returns its final status.
    pub fn wait_operation(&self, op: OpId) -> Result<OpStatus, OstError> {
        let o = self.own(op, self.ops.get(op))?;
        self.block_on(async {
            o.wait().await;
            Ok(o.status(op))
        })
    }

    /// Forgets a finished operation.
    pub fn release_operation(&self, op: OpId) -> Result<(), OstError> {
        self.own(op, self.ops.remove(op)).map(drop)
    }

    // ---- events, health, configuration, statistics ------------------------------------------

    /// `stspi_open_evchannel`: image and operation events of this server plus cluster events
    /// and alarms polled from VMS every `event_poll_secs`.
    pub fn open_event_channel(&self, server: ServerId) -> Result<EventChannelId, OstError> {
        let s = self.server(server)?;
        let ch = self.block_on(async { Ok(EventChannel::open(&s)) })?;
        Ok(self.channels.insert(ch))
    }

    /// `stspi_get_event`: the next event, waiting up to `wait`; [`OstError::NoMoreEntries`]
    /// when none arrived.
    pub fn next_event(&self, channel: EventChannelId, wait: Duration) -> Result<Event, OstError> {
        let ch = self.own(channel, self.channels.get(channel))?;
        self.block_on(ch.next(wait))
    }

    /// `stspi_close_evchannel`.
    pub fn close_event_channel(&self, channel: EventChannelId) -> Result<(), OstError> {
        self.own(channel, self.channels.remove(channel)).map(drop)
    }

    /// Health: VMS reachable, cluster ONLINE, S3 reachable, every LSU writable.
    pub fn health_check(&self, server: ServerId) -> Result<HealthReport, OstError> {
        self.on_server(server, None, async |s| s.health().await)
    }

    /// A configuration value of this server by its TOML key (any key of
    /// [`crate::config::keys::SERVER_KEYS`]); a secret is [`OstError::PermissionDenied`], never
    /// returned.
    pub fn get_config(&self, server: ServerId, key: &str) -> Result<String, OstError> {
        self.server(server)?.get_config(key)
    }

    /// Changes a configuration value of this server in memory, for the keys of
    /// [`crate::config::keys::SERVER_KEYS`] that have a run-time setter; it applies from the
    /// next use on. Other keys are [`OstError::NotSupported`].
    pub fn set_config(&self, server: ServerId, key: &str, value: &str) -> Result<(), OstError> {
        self.server(server)?.set_config(key, value)
    }

    /// Statistics kept in process: bytes and operations per server and LSU, errors,
    /// throughput since the previous call.
    pub fn statistics(&self, server: ServerId) -> Result<Statistics, OstError> {
        Ok(self.server(server)?.statistics())
    }

    /// Removes Pending images with no live handle older than `orphan_age_secs`, and multipart
    /// uploads older than that, in every LSU of the server.
    pub fn sweep_orphans(&self, server: ServerId) -> Result<SweepReport, OstError> {
        self.on_server(server, None, async |s| s.sweep_orphans().await)
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
