//! Image metadata (NetBackup's own, stored beside the image).

use crate::abi::*;
use crate::exports::lsu_arg;
use crate::guard::{self, entry};
use crate::marshal;

/// Writes `len` bytes (at most `STS_MAX_META_IO`) of image metadata at `offset`.
///
/// # Safety
/// `lsu`, `def` NULL or readable; `buf` readable for `len`; `written` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_write_image_meta(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
    buf: *const u8,
    len: u64,
    offset: u64,
    written: *mut u64,
) -> sts_status_t {
    entry("stspi_write_image_meta", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let written = unsafe { marshal::out(written, "written") }?;
        // SAFETY: forwarded contract.
        let (server, name) = unsafe { lsu_arg(lsu, ctx) }?;
        // SAFETY: forwarded contract.
        let def = marshal::image_def(unsafe { marshal::input(def, "image definition") }?)?;
        ctx.image(def.id());
        // SAFETY: forwarded contract.
        let data = unsafe { marshal::bytes(buf, len, STS_MAX_META_IO, "buffer") }?;
        let n = guard::plugin()?.write_image_meta(server, &name, &def.id(), offset, data)?;
        written.set(n as u64);
        Ok(())
    })
}

/// Reads up to `len` bytes of image metadata at `offset`; `STS_ENOENT` when the image has none.
///
/// # Safety
/// `lsu`, `def` NULL or readable; `buf` writable for `len`; `bytes_read` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_read_image_meta(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
    buf: *mut u8,
    len: u64,
    offset: u64,
    bytes_read: *mut u64,
) -> sts_status_t {
    entry("stspi_read_image_meta", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let bytes_read = unsafe { marshal::out(bytes_read, "bytes_read") }?;
        // SAFETY: forwarded contract.
        let (server, name) = unsafe { lsu_arg(lsu, ctx) }?;
        // SAFETY: forwarded contract.
        let def = marshal::image_def(unsafe { marshal::input(def, "image definition") }?)?;
        ctx.image(def.id());
        // SAFETY: forwarded contract.
        let out = unsafe { marshal::bytes_mut(buf, len, STS_MAX_META_IO, "buffer") }?;
        let n = guard::plugin()?.read_image_meta(server, &name, &def.id(), offset, out)?;
        bytes_read.set(n as u64);
        Ok(())
    })
}
