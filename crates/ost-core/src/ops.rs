//! Asynchronous operations (async copy): progress, cancel, completion events.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::handles::OpId;
use crate::server::Server;
use crate::types::{CopyRequest, Event, EventKind, OpState, OpStatus};

/// Progress and cancellation shared between an operation and its task.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    cancel: AtomicBool,
}

impl Progress {
    /// Sets the bytes to move.
    pub(crate) fn set_total(&self, n: u64) {
        self.total.store(n, Ordering::Relaxed);
    }

    /// Counts moved bytes.
    pub(crate) fn add_done(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// Whether cancellation was asked for.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// A running or finished operation.
pub struct Operation {
    progress: Arc<Progress>,
    state: Mutex<OpState>,
    id: Mutex<Option<OpId>>,
    finished: watch::Receiver<bool>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl Operation {
    /// Starts an async copy on the runtime (must be called inside it).
    pub(crate) fn start_copy(server: Arc<Server>, req: CopyRequest) -> Arc<Self> {
        let (tx, rx) = watch::channel(false);
        let op = Arc::new(Self {
            progress: Arc::new(Progress::default()),
            state: Mutex::new(OpState::Running),
            id: Mutex::new(None),
            finished: rx,
        });
        let task_op = op.clone();
        tokio::spawn(async move {
            let result = server.copy_image(&req, Some(&task_op.progress)).await;
            let state = match result {
                Ok(_) => OpState::Done,
                Err(ost_model::OstError::Cancelled { .. }) => OpState::Cancelled,
                Err(e) => OpState::Failed(e),
            };
            let (kind, severity, message) = match &state {
                OpState::Done => (
                    EventKind::CopyDone,
                    "INFO",
                    format!("copy of {} to {} done", req.src, req.dst.id()),
                ),
                OpState::Cancelled => (
                    EventKind::CopyFailed,
                    "INFO",
                    format!("copy of {} cancelled", req.src),
                ),
                OpState::Failed(e) => (
                    EventKind::CopyFailed,
                    "ERROR",
                    format!("copy of {} failed: {e}", req.src),
                ),
                OpState::Running => (EventKind::CopyFailed, "ERROR", String::new()),
            };
            *task_op.lock_state() = state;
            server.events().publish(Event {
                kind,
                severity: severity.to_owned(),
                lsu: Some(req.dst_lsu.clone()),
                image: Some(req.dst.id()),
                op: *task_op
                    .id
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                message,
                time_unix: crate::types::unix_now(),
            });
            let _ = tx.send(true);
        });
        op
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, OpState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the id the operation was registered under (for its completion event).
    pub(crate) fn set_id(&self, id: OpId) {
        *self
            .id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(id);
    }

    /// Current status.
    pub(crate) fn status(&self, id: OpId) -> OpStatus {
        OpStatus {
            id,
            state: self.lock_state().clone(),
            bytes_done: self.progress.done.load(Ordering::Relaxed),
            bytes_total: self.progress.total.load(Ordering::Relaxed),
        }
    }

    /// Asks the operation to stop.
    pub(crate) fn cancel(&self) {
        self.progress.cancel.store(true, Ordering::Relaxed);
    }

    /// Waits until the operation is no longer running.
    pub(crate) async fn wait(&self) {
        let mut rx = self.finished.clone();
        let _ = rx.wait_for(|done| *done).await;
    }
}
