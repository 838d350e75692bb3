//! LSUs: list, properties, label.

use std::os::raw::c_char;

use ost_core::{ListId, LsuInfo, ServerId};

use crate::abi::*;
use crate::exports::lsu_arg;
use crate::guard::{self, entry};
use crate::marshal::{self, put_str};

/// Opens a list of the server's LSUs. `flags` is reserved (unknown bits are ignored).
///
/// # Safety
/// `list` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_open_lsu_list_v11(
    server: sts_server_handle_t,
    flags: u32,
    list: *mut sts_list_handle_t,
) -> sts_status_t {
    entry("stspi_open_lsu_list_v11", |ctx| {
        ctx.server_handle(server);
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let list = unsafe { marshal::out(list, "list") }?;
        marshal::known_bits(flags, 0, "LSU list flag");
        let id = guard::plugin()?.open_lsu_list(ServerId::from_raw(server))?;
        list.set(id.raw());
        Ok(())
    })
}

/// `stspi_open_lsu_list_v11` without flags.
///
/// # Safety
/// As [`stspi_open_lsu_list_v11`].
#[no_mangle]
pub unsafe extern "C" fn stspi_open_lsu_list_v9(
    server: sts_server_handle_t,
    list: *mut sts_list_handle_t,
) -> sts_status_t {
    // SAFETY: forwarded contract.
    unsafe { stspi_open_lsu_list_v11(server, 0, list) }
}

/// The next LSU of a list; `STS_ENOENT` (2060013, "no more entries") at the end.
///
/// # Safety
/// `lsu` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_list_lsu(
    list: sts_list_handle_t,
    lsu: *mut sts_lsu_name_t,
) -> sts_status_t {
    entry("stspi_list_lsu", |_| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let lsu = unsafe { marshal::out(lsu, "lsu") }?;
        let name = guard::plugin()?.next_lsu(ListId::from_raw(list))?;
        let mut out = sts_lsu_name_t::zeroed();
        put_str(&mut out.sln_name, name.as_str());
        lsu.set(out);
        Ok(())
    })
}

/// Closes an LSU list.
#[no_mangle]
pub extern "C" fn stspi_close_lsu_list(list: sts_list_handle_t) -> sts_status_t {
    entry("stspi_close_lsu_list", |_| {
        guard::plugin()?.close_list(ListId::from_raw(list))
    })
}

fn c_lsu_info(info: &LsuInfo) -> sts_lsu_info_t {
    let mut out = sts_lsu_info_t::zeroed();
    put_str(&mut out.lsu_name, info.name.as_str());
    out.lsu_flags = info.flags.bits();
    out.lsu_capacity = info.capacity;
    out.lsu_used = info.used;
    out.lsu_used_phys = info.used_phys;
    put_str(&mut out.lsu_label, info.label.as_deref().unwrap_or(""));
    out
}

/// Properties of an LSU.
///
/// # Safety
/// `lsu` must be NULL or readable, `info` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_get_lsu_prop_byname_v11(
    lsu: *const sts_lsu_t,
    info: *mut sts_lsu_info_t,
) -> sts_status_t {
    entry("stspi_get_lsu_prop_byname_v11", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let info = unsafe { marshal::out(info, "info") }?;
        // SAFETY: forwarded contract.
        let (server, name) = unsafe { lsu_arg(lsu, ctx) }?;
        let got = guard::plugin()?.lsu_info(server, &name)?;
        info.set(c_lsu_info(&got));
        Ok(())
    })
}

/// Properties of an LSU in the v9 layout (converted from v11).
///
/// # Safety
/// As [`stspi_get_lsu_prop_byname_v11`].
#[no_mangle]
pub unsafe extern "C" fn stspi_get_lsu_prop_byname_v9(
    lsu: *const sts_lsu_t,
    info: *mut sts_lsu_info_v9_t,
) -> sts_status_t {
    if info.is_null() || !info.is_aligned() {
        // Let the v11 call report the bad output pointer.
        // SAFETY: forwarded contract; v11 rejects the NULL output before writing.
        return unsafe { stspi_get_lsu_prop_byname_v11(lsu, std::ptr::null_mut()) };
    }
    let mut v11 = sts_lsu_info_t::zeroed();
    // SAFETY: forwarded contract; `v11` is a local.
    let status = unsafe { stspi_get_lsu_prop_byname_v11(lsu, &mut v11) };
    if status == status::OK {
        let mut out = sts_lsu_info_v9_t::zeroed();
        out.lsu_name = v11.lsu_name;
        out.lsu_flags = v11.lsu_flags;
        out.lsu_capacity = v11.lsu_capacity;
        out.lsu_used = v11.lsu_used;
        // SAFETY: checked non-null and aligned above; writable per the caller.
        unsafe { info.write(out) };
    }
    status
}

/// Sets an LSU's label (S3 data path; `STS_ENOTSUP` on NFS).
///
/// # Safety
/// `lsu` must be NULL or readable, `label` NULL or a readable string.
#[no_mangle]
pub unsafe extern "C" fn stspi_label_lsu(
    lsu: *const sts_lsu_t,
    label: *const c_char,
) -> sts_status_t {
    entry("stspi_label_lsu", |ctx| {
        // SAFETY: forwarded contract.
        let (server, name) = unsafe { lsu_arg(lsu, ctx) }?;
        // SAFETY: forwarded contract.
        let label = unsafe { marshal::c_str(label, STS_MAX_LABEL - 1, "label") }?;
        guard::plugin()?.label_lsu(server, &name, label)
    })
}
