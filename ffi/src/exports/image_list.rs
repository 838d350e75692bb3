//! Image lists.

use ost_core::{ImageFilter, ListId};

use crate::abi::*;
use crate::exports::lsu_arg;
use crate::guard::{self, entry};
use crate::marshal::{self, c_image_info};

fn filter(f: Option<&sts_image_filter_t>) -> Result<ImageFilter, ost_core::OstError> {
    let Some(f) = f else {
        return Ok(ImageFilter::all());
    };
    let flags = marshal::known_bits(f.if_flags, STS_IF_INCLUDE_PENDING, "image filter flag");
    let prefix = marshal::fixed_str(&f.if_prefix, "filter prefix")?;
    Ok(ImageFilter {
        basename_prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
        created_after: (f.if_created_after != 0).then_some(f.if_created_after),
        created_before: (f.if_created_before != 0).then_some(f.if_created_before),
        include_pending: flags & STS_IF_INCLUDE_PENDING != 0,
    })
}

/// Opens a list of an LSU's images; `filter` NULL lists every complete image.
///
/// # Safety
/// `lsu`, `filter` NULL or readable; `list` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_open_image_list_v10(
    lsu: *const sts_lsu_t,
    filter_in: *const sts_image_filter_t,
    list: *mut sts_list_handle_t,
) -> sts_status_t {
    entry("stspi_open_image_list_v10", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let list = unsafe { marshal::out(list, "list") }?;
        // SAFETY: forwarded contract.
        let (server, name) = unsafe { lsu_arg(lsu, ctx) }?;
        // SAFETY: forwarded contract.
        let f = filter(unsafe { marshal::optional(filter_in, "filter") }?)?;
        let id = guard::plugin()?.open_image_list(server, &name, &f)?;
        list.set(id.raw());
        Ok(())
    })
}

/// The next image of a list; `STS_ENOENT` (2060013, "no more entries") at the end.
///
/// # Safety
/// `info` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_list_image_v10(
    list: sts_list_handle_t,
    info: *mut sts_image_info_t,
) -> sts_status_t {
    entry("stspi_list_image_v10", |_| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let info = unsafe { marshal::out(info, "info") }?;
        let got = guard::plugin()?.next_image(ListId::from_raw(list))?;
        info.set(c_image_info(&got));
        Ok(())
    })
}

/// Closes an image list.
#[no_mangle]
pub extern "C" fn stspi_close_image_list(list: sts_list_handle_t) -> sts_status_t {
    entry("stspi_close_image_list", |_| {
        guard::plugin()?.close_list(ListId::from_raw(list))
    })
}
