//! Event channels: image and operation events published by the state machines, plus cluster
//! events and alarms polled from VMS. One poller per server per process: it runs while at least
//! one channel of that server is open (started by the first, stopped with the last) and
//! publishes each cluster event once into the hub every channel reads.

use std::sync::Arc;
use std::time::Duration;

use ost_model::OstError;
use tokio::sync::{broadcast, Mutex};
use tokio::task::JoinHandle;

use crate::server::Server;
use crate::shared::ServerShared;
use crate::types::{Event, EventKind};

/// Events buffered per channel before the oldest are dropped.
const CHANNEL_DEPTH: usize = 1024;

/// The publishing side, one per server per process (in [`crate::shared::ServerShared`]).
pub(crate) struct EventHub {
    tx: broadcast::Sender<Event>,
    poller: std::sync::Mutex<Poller>,
}

/// The cluster-event poller of a hub and how many channels use it.
#[derive(Default)]
struct Poller {
    channels: usize,
    task: Option<JoinHandle<()>>,
}

impl Default for EventHub {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(CHANNEL_DEPTH);
        Self {
            tx,
            poller: std::sync::Mutex::default(),
        }
    }
}

impl EventHub {
    /// Publishes to every open channel (none open: dropped).
    pub(crate) fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    fn poller(&self) -> std::sync::MutexGuard<'_, Poller> {
        self.poller
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One more channel: the first starts the cluster-event poller on `server`.
    fn attach(&self, server: &Arc<Server>) {
        let mut p = self.poller();
        p.channels += 1;
        if p.task.is_none() {
            p.task = Some(tokio::spawn(crate::server::poll_cluster_events(
                server.clone(),
            )));
        }
    }

    /// One channel fewer: the last stops the poller.
    fn detach(&self) {
        let mut p = self.poller();
        p.channels = p.channels.saturating_sub(1);
        if p.channels == 0 {
            if let Some(task) = p.task.take() {
                task.abort();
            }
        }
    }
}

/// One open channel.
pub struct EventChannel {
    rx: Mutex<broadcast::Receiver<Event>>,
    shared: Arc<ServerShared>,
}

impl std::fmt::Debug for EventChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventChannel").finish_non_exhaustive()
    }
}

impl EventChannel {
    /// Subscribes to `server`'s events; the first channel of the server in this process starts
    /// polling its cluster events. Must run inside the runtime.
    pub(crate) fn open(server: &Arc<Server>) -> Arc<Self> {
        let shared = server.shared().clone();
        let rx = shared.events.subscribe();
        shared.events.attach(server);
        Arc::new(Self {
            rx: Mutex::new(rx),
            shared,
        })
    }

    /// The next event, waiting up to `wait`.
    pub(crate) async fn next(&self, wait: Duration) -> Result<Event, OstError> {
        let mut rx = self.rx.lock().await;
        loop {
            match tokio::time::timeout(wait, rx.recv()).await {
                Ok(Ok(e)) => return Ok(e),
                Ok(Err(broadcast::error::RecvError::Lagged(n))) => {
                    tracing::warn!(
                        missed = n,
                        "event channel overflowed; oldest events dropped"
                    );
                }
                Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => {
                    return Err(OstError::NoMoreEntries {
                        cause: "no event".to_owned(),
                    })
                }
            }
        }
    }
}

impl Drop for EventChannel {
    fn drop(&mut self) {
        self.shared.events.detach();
    }
}

/// An event about an image.
pub(crate) fn image_event(
    kind: EventKind,
    lsu: &ost_model::LsuName,
    id: &ost_model::ImageId,
    message: String,
) -> Event {
    Event {
        kind,
        severity: "INFO".to_owned(),
        lsu: Some(lsu.clone()),
        image: Some(id.clone()),
        op: None,
        message,
        time_unix: crate::types::unix_now(),
    }
}
