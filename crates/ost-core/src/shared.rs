//! State shared by every open handle of the same storage server in this process: the registry
//! of open images (busy-read / busy-write), statistics, the event hub and the bandwidth limits. NetBackup may open a
//! server several times in one process; all those opens see the same images and events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ost_model::{ImageId, LsuName, ServerName};

use crate::bandwidth::Bandwidth;
use crate::events::EventHub;
use crate::stats::Stats;

/// How an image is held open in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Busy {
    /// Open for write (one writer at most).
    Write,
    /// Open for read by this many handles.
    Read(u32),
}

/// What every open of one server shares.
#[derive(Default)]
pub(crate) struct ServerShared {
    /// Open images.
    pub(crate) busy: Mutex<HashMap<(LsuName, ImageId), Busy>>,
    /// Counters.
    pub(crate) stats: Stats,
    /// Events.
    pub(crate) events: EventHub,
    /// Bandwidth limits (all images of the server in this process wait on them).
    pub(crate) bandwidth: Bandwidth,
}

/// [`ServerShared`] by server name.
#[derive(Default)]
pub(crate) struct SharedRegistry {
    map: Mutex<HashMap<String, Arc<ServerShared>>>,
}

impl SharedRegistry {
    /// The shared state of `name`, created on first use.
    pub(crate) fn for_server(&self, name: &ServerName) -> Arc<ServerShared> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(name.to_string())
            .or_default()
            .clone()
    }
}
