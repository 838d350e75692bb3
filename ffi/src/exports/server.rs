//! Storage servers: open, close, properties.

use std::os::raw::c_char;

use ost_core::{Credentials, DataPathKind, OstError, ServerId, ServerProps};

use crate::abi::*;
use crate::guard::{self, entry, Ctx};
use crate::marshal::{self, put_str};

/// Decodes optional credentials: NULL or `STS_CRED_NONE` means "the configured ones".
fn credentials(cred: Option<&sts_cred_t>) -> Result<Option<Credentials>, OstError> {
    let Some(cred) = cred else { return Ok(None) };
    match cred.cr_type {
        STS_CRED_NONE => Ok(None),
        STS_CRED_CLEAR => {
            let user = marshal::fixed_str(&cred.cr_user, "credential user")?;
            let password = marshal::fixed_str(&cred.cr_password, "credential password")?;
            Ok(Some(Credentials::new(user, password.to_owned())))
        }
        other => Err(marshal::invalid(format!("unknown credential type {other}"))),
    }
}

fn c_server_info(p: &ServerProps) -> sts_server_info_t {
    let mut out = sts_server_info_t::zeroed();
    put_str(&mut out.srv_server, &p.name.to_string());
    out.srv_flags = p.flags.bits();
    out.srv_cap = p.capabilities.bits();
    out.srv_data_path = match p.data_path {
        DataPathKind::S3 => STS_DATA_PATH_S3,
        DataPathKind::Nfs => STS_DATA_PATH_NFS,
    };
    out.srv_capacity = p.capacity;
    out.srv_free = p.free;
    put_str(&mut out.srv_cluster, &p.cluster_name);
    put_str(&mut out.srv_cluster_version, &p.cluster_version);
    put_str(&mut out.srv_cluster_state, &p.cluster_state);
    put_str(&mut out.srv_plugin_version, &p.plugin_version);
    out
}

/// Decodes the server-name and credential arguments shared by open and prop-by-name.
///
/// # Safety
/// As the callers.
unsafe fn name_and_cred<'a>(
    server_name: *const c_char,
    cred: *const sts_cred_t,
    ctx: &mut Ctx,
) -> Result<(&'a str, Option<Credentials>), OstError> {
    // SAFETY: forwarded contract.
    let name = unsafe { marshal::c_str(server_name, STS_MAX_STSNAME - 1, "server name") }?;
    ctx.server_name(name);
    // SAFETY: forwarded contract.
    let cred = credentials(unsafe { marshal::optional(cred, "credentials") }?)?;
    Ok((name, cred))
}

/// Opens a storage server. `cred` may be NULL (configured credentials); `interfaces` may be
/// NULL (its addresses are the S3 endpoints when the server's `s3_vips = "interfaces"`).
///
/// # Safety
/// Pointers must be NULL or valid: strings readable, `cred` readable, `server` writable.
#[no_mangle]
pub unsafe extern "C" fn stspi_open_server(
    server_name: *const c_char,
    cred: *const sts_cred_t,
    interfaces: *const c_char,
    server: *mut sts_server_handle_t,
) -> sts_status_t {
    entry("stspi_open_server", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let server = unsafe { marshal::out(server, "server") }?;
        // SAFETY: forwarded contract.
        let (name, cred) = unsafe { name_and_cred(server_name, cred, ctx) }?;
        let interfaces = if interfaces.is_null() {
            ""
        } else {
            // SAFETY: forwarded contract.
            unsafe { marshal::c_str(interfaces, STS_MAX_IF - 1, "interfaces") }?
        };
        let id = guard::plugin()?.open_server_on(name, cred, interfaces)?;
        server.set(id.raw());
        Ok(())
    })
}

/// Closes a storage server; images still open on it are closed incomplete.
#[no_mangle]
pub extern "C" fn stspi_close_server(server: sts_server_handle_t) -> sts_status_t {
    entry("stspi_close_server", |ctx| {
        ctx.server_handle(server);
        guard::plugin()?.close_server(ServerId::from_raw(server))
    })
}

/// Properties of an open storage server.
///
/// # Safety
/// `info` must be NULL or point to a writable `sts_server_info_t`.
#[no_mangle]
pub unsafe extern "C" fn stspi_get_server_prop(
    server: sts_server_handle_t,
    info: *mut sts_server_info_t,
) -> sts_status_t {
    entry("stspi_get_server_prop", |ctx| {
        ctx.server_handle(server);
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let info = unsafe { marshal::out(info, "info") }?;
        let props = guard::plugin()?.server_props(ServerId::from_raw(server))?;
        info.set(c_server_info(&props));
        Ok(())
    })
}

/// Properties of a storage server by name (opened for the call when not open).
///
/// # Safety
/// As [`stspi_open_server`].
#[no_mangle]
pub unsafe extern "C" fn stspi_get_server_prop_byname(
    server_name: *const c_char,
    cred: *const sts_cred_t,
    info: *mut sts_server_info_t,
) -> sts_status_t {
    entry("stspi_get_server_prop_byname", |ctx| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let info = unsafe { marshal::out(info, "info") }?;
        // SAFETY: forwarded contract.
        let (name, cred) = unsafe { name_and_cred(server_name, cred, ctx) }?;
        let props = guard::plugin()?.server_props_by_name(name, cred)?;
        info.set(c_server_info(&props));
        Ok(())
    })
}
