//! The simulator's own admin API on the VMS listener, under `/_sim/` (not part of VAST's API;
//! no auth, no faults): fault plan, counters, token expiry, and stopping the S3 face.
//!
//! | call | effect |
//! |---|---|
//! | `GET /_sim/faults` | the fault plan ([`crate::FaultConfig`]) |
//! | `PUT /_sim/faults` | replace the fault plan (JSON body) |
//! | `DELETE /_sim/faults` | every fault off |
//! | `GET /_sim/stats` | counters by name |
//! | `POST /_sim/expire-tokens` | every JWT access token issued so far expires now |
//! | `POST /_sim/s3/stop?for_ms=N` | stop the S3 face (for N ms, else until started) |
//! | `POST /_sim/s3/start` | start the S3 face again on the same port |
//! | `GET /_sim/vips` | each S3 VIP: `[{ip, up, requests, part_uploads, gets}]` |
//! | `POST /_sim/vips/{ip}/stop` | stop one VIP's S3 listener ("a CNode goes down") |
//! | `POST /_sim/vips/{ip}/start` | start it again on the same port |

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::json;

use crate::faults::{FaultConfig, Faults};
use crate::http::{json_response, FaceBody, FaceFuture, Handler};
use crate::vips::VipSet;

const PREFIX: &str = "/_sim/";

/// Serves `/_sim/...` itself and passes every other request to `vms`.
pub(crate) fn handler(faults: Arc<Faults>, s3: Arc<VipSet>, vms: Handler) -> Handler {
    Arc::new(move |req: Request<Incoming>| -> FaceFuture {
        if !req.uri().path().starts_with(PREFIX) {
            return vms(req);
        }
        let faults = faults.clone();
        let s3 = s3.clone();
        Box::pin(async move { Ok(admin(req, &faults, &s3).await) })
    })
}

async fn admin(
    req: Request<Incoming>,
    faults: &Faults,
    s3: &Arc<VipSet>,
) -> hyper::Response<FaceBody> {
    let path = req
        .uri()
        .path()
        .trim_start_matches(PREFIX)
        .trim_end_matches('/')
        .to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "faults") => ok(json!(faults.get())),
        (Method::PUT, "faults") => match read_json::<FaultConfig>(req).await {
            Ok(config) => {
                faults.set(config);
                ok(json!(faults.get()))
            }
            Err(detail) => json_response(StatusCode::BAD_REQUEST, &json!({ "detail": detail })),
        },
        (Method::DELETE, "faults") => {
            faults.clear();
            ok(json!(faults.get()))
        }
        (Method::GET, "stats") => ok(json!(faults.stats())),
        (Method::POST, "expire-tokens") => {
            faults.expire_tokens_now();
            ok(json!({ "token_epoch": faults.token_epoch() }))
        }
        (Method::GET, "vips") => ok(json!(s3.status())),
        (Method::POST, vip) if vip.starts_with("vips/") => one_vip(vip, s3).await,
        (Method::POST, "s3/stop") => {
            s3.stop_all();
            let for_ms = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("for_ms="))
                .and_then(|v| v.parse::<u64>().ok());
            if let Some(ms) = for_ms {
                let s3 = s3.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    if let Err(error) = s3.start_all().await {
                        tracing::error!(%error, "restarting the S3 face");
                    }
                });
            }
            ok(json!({ "s3": "stopped", "for_ms": for_ms }))
        }
        (Method::POST, "s3/start") => match s3.start_all().await {
            Ok(()) => ok(json!({ "s3": "running" })),
            Err(error) => json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({ "detail": format!("restarting the S3 face: {error}") }),
            ),
        },
        _ => json_response(StatusCode::NOT_FOUND, &json!({ "detail": "Not found." })),
    }
}

/// `vips/{ip}/stop` or `vips/{ip}/start`.
async fn one_vip(path: &str, s3: &VipSet) -> hyper::Response<FaceBody> {
    let parts: Vec<&str> = path.split('/').collect();
    let (ip, action) = match parts.as_slice() {
        ["vips", ip, action] => (*ip, *action),
        _ => return json_response(StatusCode::NOT_FOUND, &json!({ "detail": "Not found." })),
    };
    let Ok(addr) = ip.parse::<std::net::IpAddr>() else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "detail": format!("{ip:?} is not an IP address") }),
        );
    };
    let found = match action {
        "stop" => Ok(s3.stop(addr)),
        "start" => s3.start_vip(addr).await,
        _ => return json_response(StatusCode::NOT_FOUND, &json!({ "detail": "Not found." })),
    };
    match found {
        Ok(true) => ok(json!(s3.status())),
        Ok(false) => json_response(
            StatusCode::NOT_FOUND,
            &json!({ "detail": format!("no S3 VIP {ip}") }),
        ),
        Err(error) => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({ "detail": format!("starting the S3 listener of {ip}: {error}") }),
        ),
    }
}

fn ok(value: serde_json::Value) -> hyper::Response<FaceBody> {
    json_response(StatusCode::OK, &value)
}

async fn read_json<T: serde::de::DeserializeOwned>(req: Request<Incoming>) -> Result<T, String> {
    let bytes = req
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the body: {e}"))?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|e| format!("invalid JSON: {e}"))
}
