//! Event channels: image and operation events published by the state machines, plus cluster
//! events and alarms polled from VMS.

use std::time::Duration;

use ost_model::OstError;
use tokio::sync::{broadcast, Mutex};
use tokio::task::JoinHandle;

use crate::server::Server;
use crate::types::{Event, EventKind};

/// Events buffered per channel before the oldest are dropped.
const CHANNEL_DEPTH: usize = 1024;

/// The publishing side, one per server.
pub(crate) struct EventHub {
    tx: broadcast::Sender<Event>,
}

impl Default for EventHub {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(CHANNEL_DEPTH);
        Self { tx }
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
}

/// One open channel.
pub struct EventChannel {
    rx: Mutex<broadcast::Receiver<Event>>,
    poller: JoinHandle<()>,
}

impl std::fmt::Debug for EventChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventChannel").finish_non_exhaustive()
    }
}

impl EventChannel {
    /// Subscribes to `server`'s events and starts polling its cluster events. Must run inside
    /// the runtime.
    pub(crate) fn open(server: &std::sync::Arc<Server>) -> std::sync::Arc<Self> {
        let rx = server.events().subscribe();
        let poller = tokio::spawn(crate::server::poll_cluster_events(server.clone()));
        std::sync::Arc::new(Self {
            rx: Mutex::new(rx),
            poller,
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
        self.poller.abort();
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
