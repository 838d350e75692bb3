//! Registers ost-core's `fork()` handlers with `pthread_atfork`, once per load of the library.
//!
//! What the handlers do, and why, is ost-core's (`ost_core::plugin::fork`); this module makes
//! only the two system calls that need `unsafe`: the registration, and `close` of the raw
//! descriptors a forked child must not keep.

use std::os::fd::RawFd;
use std::sync::Once;

use ost_core::plugin::fork;

static HOOKS: Once = Once::new();

/// Registers the handlers (the first call; later calls do nothing).
pub(crate) fn install() {
    HOOKS.call_once(|| {
        fork::use_fd_closer(close_fd);
        // SAFETY: the three handlers are `extern "C"` functions of this library that never
        // unwind (no panicking call inside); glibc unregisters them when the library is unloaded.
        let rc = unsafe {
            libc::pthread_atfork(
                Some(fork::prepare),
                Some(fork::release),
                Some(fork::in_child),
            )
        };
        if rc != 0 {
            tracing::warn!(
                rc,
                "pthread_atfork failed: a fork racing a plugin call could leave the child stuck"
            );
        }
    });
}

/// `close(2)` of a descriptor the child inherited and nothing in it uses.
fn close_fd(fd: RawFd) {
    // SAFETY: ost-core passes only the child's copies of descriptors the parent registered
    // while holding a lock on them; nothing in the child owns or uses them (the parent's state
    // is leaked in the child, never dropped), so no descriptor is closed twice.
    unsafe { libc::close(fd) };
}
