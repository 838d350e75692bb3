//! Event channels.

use std::time::Duration;

use ost_core::{EventChannelId, EventKind, ServerId};

use crate::abi::*;
use crate::guard::{self, entry};
use crate::marshal::{self, c_image_id, put_str};

/// Opens an event channel on a server: image and copy events plus cluster events.
///
/// # Safety
/// `channel` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_open_evchannel_v11(
    server: sts_server_handle_t,
    channel: *mut sts_evc_handle_t,
) -> sts_status_t {
    entry("stspi_open_evchannel_v11", |ctx| {
        ctx.server_handle(server);
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let channel = unsafe { marshal::out(channel, "channel") }?;
        let id = guard::plugin()?.open_event_channel(ServerId::from_raw(server))?;
        channel.set(id.raw());
        Ok(())
    })
}

/// The next event, waiting up to `timeout_ms`; `STS_ENOENT` when none arrived.
///
/// # Safety
/// `event` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_get_event_v11(
    channel: sts_evc_handle_t,
    timeout_ms: u32,
    event: *mut sts_event_t,
) -> sts_status_t {
    entry("stspi_get_event_v11", |_| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let event = unsafe { marshal::out(event, "event") }?;
        let ev = guard::plugin()?.next_event(
            EventChannelId::from_raw(channel),
            Duration::from_millis(u64::from(timeout_ms)),
        )?;
        let mut out = sts_event_t::zeroed();
        out.ev_kind = match ev.kind {
            EventKind::ImageCreated => STS_EV_IMAGE_CREATED,
            EventKind::ImageDeleted => STS_EV_IMAGE_DELETED,
            EventKind::CopyDone => STS_EV_COPY_DONE,
            EventKind::CopyFailed => STS_EV_COPY_FAILED,
            EventKind::Cluster => STS_EV_CLUSTER,
        };
        out.ev_op = ev.op.map_or(0, |o| o.raw());
        out.ev_time = ev.time_unix;
        put_str(&mut out.ev_severity, &ev.severity);
        put_str(&mut out.ev_lsu, ev.lsu.as_ref().map_or("", |l| l.as_str()));
        if let Some(id) = &ev.image {
            out.ev_image = c_image_id(id);
        }
        put_str(&mut out.ev_message, &ev.message);
        event.set(out);
        Ok(())
    })
}

/// Closes an event channel.
#[no_mangle]
pub extern "C" fn stspi_close_evchannel_v9(channel: sts_evc_handle_t) -> sts_status_t {
    entry("stspi_close_evchannel_v9", |_| {
        guard::plugin()?.close_event_channel(EventChannelId::from_raw(channel))
    })
}
