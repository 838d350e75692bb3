//! SIGPIPE. A write to a connection the peer already closed (an S3 endpoint answering 503 before
//! reading a part's body, a reset) raises SIGPIPE, whose default action kills the process. Rust
//! programs ignore it at start-up; a C host that loads this library may not, and then one
//! closed connection kills the media server process (`tests/reliability/` found this with
//! 503s injected). `stspi_init` therefore ignores SIGPIPE when it is still at its default
//! action; a host that installed its own handler (or ignores it already) is left alone. Writes
//! then fail with `EPIPE`, which the HTTP clients retry like any broken connection.

/// Ignores SIGPIPE if its action is the default one. Returns whether it changed anything.
pub(crate) fn ignore_if_default() -> bool {
    // SAFETY: `sigaction` with a null new action only reads the current action into `old`,
    // a zeroed (valid) `sigaction` struct.
    let current = unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) != 0 {
            return false;
        }
        old.sa_sigaction
    };
    if current != libc::SIG_DFL {
        return false;
    }
    // SAFETY: installs SIG_IGN (no handler code runs) with an empty mask, on a zeroed struct.
    unsafe {
        let mut ignore: libc::sigaction = std::mem::zeroed();
        ignore.sa_sigaction = libc::SIG_IGN;
        libc::sigemptyset(&mut ignore.sa_mask);
        libc::sigaction(libc::SIGPIPE, &ignore, std::ptr::null_mut()) == 0
    }
}
