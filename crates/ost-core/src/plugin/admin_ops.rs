//! [`Plugin`]'s OST calls on one kind of object. Events, health, configuration and statistics of an
//! open server.

use std::time::Duration;

use ost_model::OstError;

use super::Plugin;
use crate::events::EventChannel;
use crate::handles::{EventChannelId, ServerId};
use crate::types::{Event, HealthReport, Statistics, SweepReport};

impl Plugin {
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
