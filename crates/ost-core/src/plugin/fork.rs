//! `fork()` safety of the process-wide slot.
//!
//! A fork is *detected* by the process id (see [`super::global`]): every entry point compares
//! it with the id recorded when the plugin started. That needs no hook and cannot miss a fork.
//!
//! What a hook is needed for is the one lock a child must take: the slot's own. A parent thread
//! holding it at the instant of the fork would leave it locked forever in the child (only the
//! forking thread exists there). So `pthread_atfork` handlers take the lock before the fork and
//! release it on both sides after, as glibc does for `malloc`: the child always finds the slot
//! unlocked and consistent. The handlers do nothing else (no allocation, no logging); the child
//! handler only releases a lock its own thread holds. Everything else the child uses is its own
//! (a fresh runtime, clients and tables) or lock-free (handle ids, the log file writer).
//!
//! The handlers are plain Rust functions here ([`prepare`], [`release`], [`in_child`]); the C
//! library (crate `ost-ffi`, the only crate with `unsafe` code) registers them with
//! `pthread_atfork` once per load, and hands over the one system call this module needs and
//! cannot make safely, `close` of a raw descriptor ([`use_fd_closer`]). glibc's
//! `pthread_atfork` records the registering shared object, and `dlclose` unregisters its
//! handlers (`__cxa_finalize`), so no handler points into unloaded code;
//! `tests/c/fork_unload.c` forks after `dlclose` to pin it. A host that embeds ost-core without
//! the C library (the CLI) registers nothing: it does not fork with the plugin running.

use std::cell::RefCell;
use std::fs::File;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{MutexGuard, OnceLock};

use super::global::{self, Global};

thread_local! {
    /// The slot's lock, held by the forking thread from `prepare` until after the fork.
    static HELD: RefCell<Option<MutexGuard<'static, Global>>> = const { RefCell::new(None) };
}

/// Closes a raw descriptor: given by the C library, which owns the process's system calls.
static CLOSE_FD: OnceLock<fn(RawFd)> = OnceLock::new();

/// Sets how a forked child closes its copies of the parent's lock descriptors (the first call
/// wins). Called by the C library when it registers the fork handlers.
pub fn use_fd_closer(close: fn(RawFd)) {
    let _ = CLOSE_FD.set(close);
}

/// Before `fork()`, in the forking thread: waits for the slot's lock and keeps it. Never
/// unwinds (no panicking call inside), as a `pthread_atfork` handler must not.
pub extern "C" fn prepare() {
    let guard = global::lock();
    // Should the thread be exiting (its thread-locals gone), the guard is dropped here: the
    // lock is released before the fork rather than held forever.
    let _ = HELD.try_with(|held| {
        if let Ok(mut held) = held.try_borrow_mut() {
            *held = Some(guard);
        }
    });
}

/// After `fork()`, in the parent and in the child: releases the lock `prepare` took.
pub extern "C" fn release() {
    let _ = HELD.try_with(|held| {
        if let Ok(mut held) = held.try_borrow_mut() {
            held.take();
        }
    });
}

/// After `fork()`, in the child: releases the lock and closes the child's copies of the
/// parent's lock descriptors (`close` is async-signal-safe, the slots are atomics).
pub extern "C" fn in_child() {
    release();
    close_inherited_lock_fds();
}

/// This process's id (`getpid`, not cached: a fork changes it).
pub(super) fn current_pid() -> u32 {
    std::process::id()
}

/// Descriptors holding an `flock` (the S3 key file's lock) right now. `flock` locks belong to
/// the open file, which `fork()` shares with the child: the child's copy would keep the lock
/// after the parent released it, for as long as the child lives, and the child's own re-open
/// would wait for it for ever. A forked child closes its copies first thing. Lock-free slots:
/// a fork may come at any instant.
static LOCK_FDS: [AtomicI32; 32] = [const { AtomicI32::new(-1) }; 32];

/// A descriptor a forked child closes while this guard lives (see [`LOCK_FDS`]). Register
/// before locking, unlock before dropping the guard, close after.
pub(crate) struct ChildCloses {
    slot: Option<usize>,
}

impl ChildCloses {
    /// Registers `file`'s descriptor (with 32 held at once, further ones are not registered).
    pub(crate) fn register(file: &File) -> Self {
        let fd = file.as_raw_fd();
        let slot = LOCK_FDS.iter().position(|s| {
            s.compare_exchange(-1, fd, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        });
        Self { slot }
    }
}

impl Drop for ChildCloses {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            LOCK_FDS[i].store(-1, Ordering::Release);
        }
    }
}

/// In a forked child: closes the copies of descriptors the parent held locks on (from the
/// child fork handler, and again, in case it could not be registered, at the child's first
/// call). Without a closer (no C library registered the handlers) the copies stay open.
pub(super) fn close_inherited_lock_fds() {
    let Some(close) = CLOSE_FD.get() else {
        return;
    };
    for slot in &LOCK_FDS {
        let fd = slot.swap(-1, Ordering::AcqRel);
        if fd >= 0 {
            // The child's copy of one the parent had open and registered; nothing in the child
            // uses it (the parent's state is leaked, never dropped, so it is not closed twice).
            close(fd);
        }
    }
}
