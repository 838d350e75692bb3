//! The exported `stspi_*` entry points, one file per OST object. Older versioned entry points
//! (`_v7`, `_v9`) convert their arguments and call the newest version.
//!
//! Common contract of every function (documented in the header):
//! - returns `STS_EOK` (0) or an OST status code from `ost-model`'s table;
//! - before `stspi_init` (or after `stspi_terminate`) every call but `stspi_init` returns
//!   `STS_EINTERNAL`;
//! - NULL, misaligned or over-long arguments, strings not NUL-terminated within their `STS_MAX_*`
//!   buffer, and unknown, closed or forged handles return `STS_EINVAL`;
//! - output structs are written only on success.

pub mod copy;
pub mod events;
pub mod image;
pub mod image_list;
pub mod lsu;
pub mod meta;
pub mod plugin;
pub mod server;

use ost_core::{LsuName, OstError, ServerId};

use crate::abi::sts_lsu_t;
use crate::guard::Ctx;
use crate::marshal;

/// Decodes an `sts_lsu_t`: its server handle and LSU name, recorded in `ctx`.
///
/// # Safety
/// `lsu` must be NULL or point to a readable `sts_lsu_t`.
pub(crate) unsafe fn lsu_arg(
    lsu: *const sts_lsu_t,
    ctx: &mut Ctx,
) -> Result<(ServerId, LsuName), OstError> {
    // SAFETY: forwarded contract.
    let lsu = unsafe { marshal::input(lsu, "lsu") }?;
    ctx.server_handle(lsu.lsu_server);
    let name = marshal::fixed_str(&lsu.lsu_name, "LSU name")?;
    ctx.lsu(name);
    Ok((ServerId::from_raw(lsu.lsu_server), LsuName::new(name)?))
}
