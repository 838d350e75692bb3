//! Server-side image copies (optimized duplication), synchronous and asynchronous.

use ost_core::{CopyRequest, OpId, OpState, OpStatus, OstError, ServerId};

use crate::abi::*;
use crate::exports::lsu_arg;
use crate::guard::{self, entry, Ctx};
use crate::marshal;

/// Decodes the four copy arguments; both LSUs must be on the same open server.
///
/// # Safety
/// All pointers NULL or readable.
unsafe fn request(
    src_lsu: *const sts_lsu_t,
    src: *const sts_image_def_t,
    dst_lsu: *const sts_lsu_t,
    dst: *const sts_image_def_t,
    ctx: &mut Ctx,
) -> Result<(ServerId, CopyRequest), OstError> {
    // SAFETY: forwarded contract.
    let (dst_server, dst_name) = unsafe { lsu_arg(dst_lsu, ctx) }?;
    // SAFETY: forwarded contract.
    let (server, src_name) = unsafe { lsu_arg(src_lsu, ctx) }?;
    // SAFETY: forwarded contract.
    let src = marshal::image_def(unsafe { marshal::input(src, "source image") }?)?;
    ctx.image(src.id());
    // SAFETY: forwarded contract.
    let dst = marshal::image_def(unsafe { marshal::input(dst, "destination image") }?)?;
    if dst_server != server {
        return Err(marshal::invalid(
            "source and destination LSUs are on different server handles",
        ));
    }
    Ok((
        server,
        CopyRequest {
            src_lsu: src_name,
            src: src.id(),
            dst_lsu: dst_name,
            dst,
        },
    ))
}

/// Copies a complete image server-side; `bytes_copied` receives its size. The copy lands
/// complete or not at all.
///
/// # Safety
/// Inputs NULL or readable; `bytes_copied` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_copy_image_v9(
    src_lsu: *const sts_lsu_t,
    src: *const sts_image_def_t,
    dst_lsu: *const sts_lsu_t,
    dst: *const sts_image_def_t,
    bytes_copied: *mut u64,
) -> sts_status_t {
    entry("stspi_copy_image_v9", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let bytes_copied = unsafe { marshal::out(bytes_copied, "bytes_copied") }?;
        // SAFETY: forwarded contract.
        let (server, req) = unsafe { request(src_lsu, src, dst_lsu, dst, ctx) }?;
        let n = guard::plugin()?.copy_image(server, &req)?;
        bytes_copied.set(n);
        Ok(())
    })
}

/// Starts a server-side copy in the background; follow it with `stspi_query_operation_v11`,
/// stop it with `stspi_cancel_operation_v11`, release it with `stspi_close_operation_v11`.
///
/// # Safety
/// Inputs NULL or readable; `op` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_async_copy_image_v11(
    src_lsu: *const sts_lsu_t,
    src: *const sts_image_def_t,
    dst_lsu: *const sts_lsu_t,
    dst: *const sts_image_def_t,
    op: *mut sts_op_handle_t,
) -> sts_status_t {
    entry("stspi_async_copy_image_v11", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let op = unsafe { marshal::out(op, "op") }?;
        // SAFETY: forwarded contract.
        let (server, req) = unsafe { request(src_lsu, src, dst_lsu, dst, ctx) }?;
        let id = guard::plugin()?.async_copy_image(server, &req)?;
        op.set(id.raw());
        Ok(())
    })
}

fn c_op_status(s: &OpStatus) -> sts_op_status_t {
    let mut out = sts_op_status_t::zeroed();
    (out.op_state, out.op_error) = match &s.state {
        OpState::Running => (STS_OP_RUNNING, 0),
        OpState::Done => (STS_OP_DONE, 0),
        OpState::Failed(e) => (STS_OP_FAILED, e.code()),
        OpState::Cancelled => (STS_OP_CANCELLED, 0),
    };
    out.op_bytes_done = s.bytes_done;
    out.op_bytes_total = s.bytes_total;
    out
}

/// State and progress of an asynchronous operation.
///
/// # Safety
/// `status` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_query_operation_v11(
    op: sts_op_handle_t,
    status: *mut sts_op_status_t,
) -> sts_status_t {
    entry("stspi_query_operation_v11", |_| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let status = unsafe { marshal::out(status, "status") }?;
        let got = guard::plugin()?.query_operation(OpId::from_raw(op))?;
        status.set(c_op_status(&got));
        Ok(())
    })
}

/// Asks an operation to stop; a cancelled copy leaves nothing behind.
#[no_mangle]
pub extern "C" fn stspi_cancel_operation_v11(op: sts_op_handle_t) -> sts_status_t {
    entry("stspi_cancel_operation_v11", |_| {
        guard::plugin()?.cancel_operation(OpId::from_raw(op))
    })
}

/// Forgets an operation (chosen name; the design notes have no release call). A running
/// operation keeps running but can no longer be queried.
#[no_mangle]
pub extern "C" fn stspi_close_operation_v11(op: sts_op_handle_t) -> sts_status_t {
    entry("stspi_close_operation_v11", |_| {
        guard::plugin()?.release_operation(OpId::from_raw(op))
    })
}
