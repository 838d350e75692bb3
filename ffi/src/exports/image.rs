//! Images: create, open, write, read, flush, close, properties, delete.

use ost_core::{CloseFlags, CreateFlags, ImageHandleId, OpenMode};

use crate::abi::*;
use crate::exports::lsu_arg;
use crate::guard::{self, entry};
use crate::marshal::{self, c_image_info};

/// Creates an image, Pending and busy for write, and opens it for write. `flags`:
/// `STS_CIF_MORE_PENDING` (a hint) or 0; unknown bits are ignored. `STS_EEXIST` when the image
/// exists.
///
/// # Safety
/// `lsu` and `def` must be NULL or readable, `image` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_create_image_v10(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
    flags: u32,
    image: *mut sts_image_handle_t,
) -> sts_status_t {
    entry("stspi_create_image_v10", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let image = unsafe { marshal::out(image, "image") }?;
        // SAFETY: forwarded contract.
        let (server, name) = unsafe { lsu_arg(lsu, ctx) }?;
        // SAFETY: forwarded contract.
        let def = marshal::image_def(unsafe { marshal::input(def, "image definition") }?)?;
        ctx.image(def.id());
        let flags = CreateFlags::from_bits_truncate(marshal::known_bits(
            flags,
            CreateFlags::all().bits(),
            "create flag",
        ));
        let id = guard::plugin()?.create_image(server, &name, &def, flags)?;
        image.set(id.raw());
        Ok(())
    })
}

/// `stspi_create_image_v10` with the pending hint as an int (non-zero = more pending).
///
/// # Safety
/// As [`stspi_create_image_v10`].
#[no_mangle]
pub unsafe extern "C" fn stspi_create_image_v7(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
    pending: i32,
    image: *mut sts_image_handle_t,
) -> sts_status_t {
    let flags = if pending != 0 {
        CreateFlags::MORE_PENDING.bits()
    } else {
        0
    };
    // SAFETY: forwarded contract.
    unsafe { stspi_create_image_v10(lsu, def, flags, image) }
}

/// Opens an image: `STS_O_READ` needs a complete image; `STS_O_WRITE` resumes a Pending one
/// (after a checkpoint close or a failure) at its durable size. Unknown mode bits are ignored;
/// one of the two is needed. `STS_EBUSY` while another process's writer holds the image.
///
/// # Safety
/// As [`stspi_create_image_v10`].
#[no_mangle]
pub unsafe extern "C" fn stspi_open_image_v10(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
    mode: u32,
    image: *mut sts_image_handle_t,
) -> sts_status_t {
    entry("stspi_open_image_v10", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let image = unsafe { marshal::out(image, "image") }?;
        // SAFETY: forwarded contract.
        let (server, name) = unsafe { lsu_arg(lsu, ctx) }?;
        // SAFETY: forwarded contract.
        let def = marshal::image_def(unsafe { marshal::input(def, "image definition") }?)?;
        ctx.image(def.id());
        let mode = OpenMode::from_bits_truncate(marshal::known_bits(
            mode,
            OpenMode::all().bits(),
            "open mode",
        ));
        if mode.is_empty() {
            return Err(marshal::invalid(format!(
                "open mode {:#x} has neither STS_O_READ nor STS_O_WRITE",
                mode.bits()
            )));
        }
        let id = guard::plugin()?.open_image(server, &name, &def.id(), mode)?;
        image.set(id.raw());
        Ok(())
    })
}

/// `stspi_open_image_v10` for reading.
///
/// # Safety
/// As [`stspi_create_image_v10`].
#[no_mangle]
pub unsafe extern "C" fn stspi_open_image_v9(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
    image: *mut sts_image_handle_t,
) -> sts_status_t {
    // SAFETY: forwarded contract.
    unsafe { stspi_open_image_v10(lsu, def, OpenMode::READ.bits(), image) }
}

/// Writes `len` bytes (any length up to `STS_MAX_IO`: no block size is assumed, and the last
/// write of an image is usually short) at `offset`. `stat` (the content description) may be
/// NULL; when given, `st_version` must be `STS_STAT_VERSION`. The bytes are acknowledged when
/// this returns `STS_EOK` and durable after the next `stspi_flush_image` or checkpoint close. A
/// failure after buffering is reported by a later write, flush or close.
///
/// # Safety
/// `stat` NULL or readable; `buf` readable for `len` bytes; `written` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_write_image(
    image: sts_image_handle_t,
    stat: *const sts_stat_t,
    buf: *const u8,
    len: u64,
    offset: u64,
    written: *mut u64,
) -> sts_status_t {
    entry("stspi_write_image", |ctx| {
        let plugin = guard::plugin()?;
        ctx.image_handle_on_failure(image);
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let written = unsafe { marshal::out(written, "written") }?;
        // SAFETY: forwarded contract.
        if let Some(stat) = unsafe { marshal::optional(stat, "stat") }? {
            if stat.st_version != STS_STAT_VERSION {
                return Err(marshal::invalid(format!(
                    "unknown stat version {}",
                    stat.st_version
                )));
            }
        }
        // SAFETY: forwarded contract.
        let data = unsafe { marshal::bytes(buf, len, STS_MAX_IO, "buffer") }?;
        let n = plugin.write_image(ImageHandleId::from_raw(image), offset, data)?;
        written.set(n as u64);
        Ok(())
    })
}

/// Reads up to `len` bytes at `offset`; `bytes_read` is short only at the end (0 past it).
///
/// # Safety
/// `buf` writable for `len` bytes; `bytes_read` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_read_image(
    image: sts_image_handle_t,
    buf: *mut u8,
    len: u64,
    offset: u64,
    bytes_read: *mut u64,
) -> sts_status_t {
    entry("stspi_read_image", |ctx| {
        let plugin = guard::plugin()?;
        ctx.image_handle_on_failure(image);
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let bytes_read = unsafe { marshal::out(bytes_read, "bytes_read") }?;
        // SAFETY: forwarded contract.
        let out = unsafe { marshal::bytes_mut(buf, len, STS_MAX_IO, "buffer") }?;
        let n = plugin.read_image(ImageHandleId::from_raw(image), offset, out)?;
        bytes_read.set(n as u64);
        Ok(())
    })
}

/// Reports any deferred write error (data is durable at close).
#[no_mangle]
pub extern "C" fn stspi_flush_image(image: sts_image_handle_t) -> sts_status_t {
    entry("stspi_flush_image", |ctx| {
        let plugin = guard::plugin()?;
        ctx.image_handle(&plugin, image);
        plugin.flush_image(ImageHandleId::from_raw(image))
    })
}

/// Closes an image handle. `STS_CLOSEF_IH_COMPLETE` seals the image forever;
/// `STS_CLOSEF_IH_INCOMPLETE` (0) leaves it Pending and resumable. The handle is gone
/// afterwards whatever the result.
#[no_mangle]
pub extern "C" fn stspi_close_image(image: sts_image_handle_t, flags: u32) -> sts_status_t {
    entry("stspi_close_image", |ctx| {
        let plugin = guard::plugin()?;
        ctx.image_handle(&plugin, image);
        let flags = CloseFlags::from_bits_truncate(marshal::known_bits(
            flags,
            CloseFlags::all().bits(),
            "close flag",
        ));
        plugin.close_image(ImageHandleId::from_raw(image), flags)
    })
}

/// Properties of an open image (live size and busy flags).
///
/// # Safety
/// `info` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_get_image_prop(
    image: sts_image_handle_t,
    info: *mut sts_image_info_t,
) -> sts_status_t {
    entry("stspi_get_image_prop", |ctx| {
        let plugin = guard::plugin()?;
        ctx.image_handle(&plugin, image);
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let info = unsafe { marshal::out(info, "info") }?;
        let got = plugin.image_props(ImageHandleId::from_raw(image))?;
        info.set(c_image_info(&got));
        Ok(())
    })
}

/// Properties of an image by name; `STS_ENOENT` (2060013) when it does not exist. `flags` is
/// reserved (ignored). `imo_size` is the durable size; `STS_II_BUSY_WRITE` is set while a writer
/// (in this process or another's live lease) holds the image.
///
/// # Safety
/// `lsu`, `def` NULL or readable; `info` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_get_image_prop_byname_v10(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
    flags: u32,
    info: *mut sts_image_info_t,
) -> sts_status_t {
    entry("stspi_get_image_prop_byname_v10", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let info = unsafe { marshal::out(info, "info") }?;
        // SAFETY: forwarded contract.
        let (server, name) = unsafe { lsu_arg(lsu, ctx) }?;
        // SAFETY: forwarded contract.
        let def = marshal::image_def(unsafe { marshal::input(def, "image definition") }?)?;
        ctx.image(def.id());
        marshal::known_bits(flags, 0, "image property flag");
        let got = guard::plugin()?.image_props_by_name(server, &name, &def.id())?;
        info.set(c_image_info(&got));
        Ok(())
    })
}

/// `stspi_get_image_prop_byname_v10` without flags.
///
/// # Safety
/// As [`stspi_get_image_prop_byname_v10`].
#[no_mangle]
pub unsafe extern "C" fn stspi_get_image_prop_byname_v9(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
    info: *mut sts_image_info_t,
) -> sts_status_t {
    // SAFETY: forwarded contract.
    unsafe { stspi_get_image_prop_byname_v10(lsu, def, 0, info) }
}

/// Deletes an image (data, descriptor, metadata), always synchronously (`STS_DELETE_ASYNC` is
/// accepted and logged; unknown bits are ignored). `STS_EBUSY` while open in this process or
/// held by another process's live writer; `STS_ENOENT` when missing.
///
/// # Safety
/// `lsu`, `def` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn stspi_delete_image_v10(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
    flags: u32,
) -> sts_status_t {
    entry("stspi_delete_image_v10", |ctx| {
        // SAFETY: forwarded contract.
        let (server, name) = unsafe { lsu_arg(lsu, ctx) }?;
        // SAFETY: forwarded contract.
        let def = marshal::image_def(unsafe { marshal::input(def, "image definition") }?)?;
        ctx.image(def.id());
        if marshal::known_bits(flags, STS_DELETE_ASYNC, "delete flag") & STS_DELETE_ASYNC != 0 {
            tracing::info!(image = %def.id(), "asynchronous delete requested; deleting synchronously");
        }
        guard::plugin()?.delete_image(server, &name, &def.id())
    })
}

/// `stspi_delete_image_v10` without flags.
///
/// # Safety
/// As [`stspi_delete_image_v10`].
#[no_mangle]
pub unsafe extern "C" fn stspi_delete_image_v9(
    lsu: *const sts_lsu_t,
    def: *const sts_image_def_t,
) -> sts_status_t {
    // SAFETY: forwarded contract.
    unsafe { stspi_delete_image_v10(lsu, def, 0) }
}
