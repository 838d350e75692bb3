//! Fault injection and request counters, shared by both faces.
//!
//! Faults are off unless asked for. Tests switch them through [`Faults::set`] (library) or
//! `PUT /_sim/faults` on the VMS listener (process), and read what was served and injected from
//! [`Faults::stats`] or `GET /_sim/stats`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use futures::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, StatusCode};
use serde::{Deserialize, Serialize};

use crate::http::{json_response, xml_response, BoxError, FaceBody, FaceFuture, Handler};

/// Which face of the cluster a fault or counter belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Face {
    /// The VMS REST API.
    Vms,
    /// The S3 endpoint.
    S3,
}

impl Face {
    fn name(self) -> &'static str {
        match self {
            Face::Vms => "vms",
            Face::S3 => "s3",
        }
    }
}

/// Faults applied to every request of one face.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaceFaults {
    /// Fraction (0.0 to 1.0) of requests answered with `error_status` instead of being served.
    pub error_rate: f64,
    /// Status of injected errors: 503 (S3 `SlowDown`, the default) or 500 (`InternalError`).
    /// With `error_code`, any status from 400 to 599.
    pub error_status: u16,
    /// S3 only: the error code of injected errors (e.g. `EntityTooLarge`), sent with
    /// `error_status`, instead of the code the status implies.
    pub error_code: Option<String>,
    /// Latency added before each request is served, in milliseconds.
    pub latency_ms: u64,
    /// Fraction of requests whose connection is reset mid-body: after the first chunk of the
    /// request body for uploads, after the first chunk of the response body otherwise.
    pub reset_rate: f64,
    /// When set, the faults above apply only to requests whose URI path contains this text
    /// (e.g. `/netbackup-list/` for the listing catalogue's objects); others are served as
    /// if no fault were planned.
    pub path_contains: Option<String>,
}

impl FaceFaults {
    /// Whether this plan's faults apply to a request for `path`.
    fn applies_to(&self, path: &str) -> bool {
        self.path_contains
            .as_deref()
            .is_none_or(|part| path.contains(part))
    }
}

/// The whole fault plan of a simulator.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Faults of the S3 face.
    pub s3: FaceFaults,
    /// Faults of the VMS face.
    pub vms: FaceFaults,
    /// Buckets whose quota behaves as exhausted: every write into them fails as a hard-limit
    /// write fails.
    pub full_buckets: Vec<String>,
}

/// Live fault plan and counters of one simulator.
#[derive(Debug, Default)]
pub struct Faults {
    config: RwLock<FaultConfig>,
    counters: Mutex<BTreeMap<String, u64>>,
    token_epoch: AtomicU64,
}

impl Faults {
    /// A fault plan with every fault off.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Replaces the fault plan.
    pub fn set(&self, config: FaultConfig) {
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = config;
    }

    /// The current fault plan.
    pub fn get(&self) -> FaultConfig {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Switches every fault off.
    pub fn clear(&self) {
        self.set(FaultConfig::default());
    }

    /// Whether writes into `bucket` must fail as if its quota were full.
    pub fn bucket_full(&self, bucket: &str) -> bool {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .full_buckets
            .iter()
            .any(|b| b == bucket)
    }

    /// Makes every JWT access token issued so far expire now (the VMS face compares each
    /// token's epoch claim with [`Faults::token_epoch`]).
    pub fn expire_tokens_now(&self) {
        self.token_epoch.fetch_add(1, Ordering::SeqCst);
        self.count("vms.faults.tokens_expired");
    }

    /// The current token epoch: tokens minted in an older epoch are expired.
    pub fn token_epoch(&self) -> u64 {
        self.token_epoch.load(Ordering::SeqCst)
    }

    /// Adds one to the counter `name` (e.g. `s3.op.PutObject`, `s3.faults.error`).
    pub fn count(&self, name: &str) {
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        *counters.entry(name.to_owned()).or_default() += 1;
    }

    /// The counter `name`, 0 when never counted.
    pub fn counter(&self, name: &str) -> u64 {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    /// Every counter, by name.
    pub fn stats(&self) -> BTreeMap<String, u64> {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn face(&self, face: Face) -> FaceFaults {
        let config = self.config.read().unwrap_or_else(PoisonError::into_inner);
        match face {
            Face::Vms => config.vms.clone(),
            Face::S3 => config.s3.clone(),
        }
    }
}

/// Wraps a face's handler so the face's faults apply to each request before it is served.
pub fn with_faults(face: Face, faults: Arc<Faults>, inner: Handler) -> Handler {
    Arc::new(move |req: Request<Incoming>| -> FaceFuture {
        let faults = faults.clone();
        let inner = inner.clone();
        Box::pin(async move {
            faults.count(&format!("{}.requests", face.name()));
            let plan = faults.face(face);
            if !plan.applies_to(req.uri().path()) {
                return inner(req).await;
            }
            if plan.latency_ms > 0 {
                tokio::time::sleep(Duration::from_millis(plan.latency_ms)).await;
            }
            if chance(plan.error_rate) {
                faults.count(&format!("{}.faults.error", face.name()));
                return Ok(injected_error(
                    face,
                    plan.error_status,
                    plan.error_code.as_deref(),
                ));
            }
            if chance(plan.reset_rate) {
                faults.count(&format!("{}.faults.reset", face.name()));
                return reset_mid_body(req, inner).await;
            }
            inner(req).await
        })
    })
}

fn chance(rate: f64) -> bool {
    rate > 0.0 && rand::random::<f64>() < rate
}

fn injected_error(face: Face, status: u16, s3_code: Option<&str>) -> hyper::Response<FaceBody> {
    if let (Face::S3, Some(code)) = (face, s3_code) {
        let status = StatusCode::from_u16(status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return s3_error_response(status, code, "Injected by vast-sim.");
    }
    let status = match status {
        500 => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    match face {
        Face::Vms => json_response(
            status,
            &serde_json::json!({"detail": "Service temporarily unavailable (injected by vast-sim)"}),
        ),
        Face::S3 => {
            let (code, message) = if status == StatusCode::SERVICE_UNAVAILABLE {
                ("SlowDown", "Please reduce your request rate.")
            } else {
                (
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                )
            };
            s3_error_response(status, code, message)
        }
    }
}

fn s3_error_response(status: StatusCode, code: &str, message: &str) -> hyper::Response<FaceBody> {
    xml_response(
        status,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>{message}</Message><RequestId>vast-sim-fault</RequestId></Error>"
        ),
    )
}

/// Cuts the connection part-way: after the first chunk of an upload's body, or half-way through
/// the first chunk of the response body. Either way the client sees a reset mid-transfer.
async fn reset_mid_body(
    mut req: Request<Incoming>,
    inner: Handler,
) -> Result<hyper::Response<FaceBody>, BoxError> {
    if !req.body().is_end_stream() && req.body().size_hint().lower() > 0 {
        let _ = req.body_mut().frame().await;
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset mid-request by vast-sim",
        ));
    }
    let response = inner(req).await?;
    let (parts, body) = response.into_parts();
    let mut data = body.into_data_stream();
    let half = match data.next().await {
        Some(Ok(chunk)) => chunk.slice(..chunk.len() / 2),
        Some(Err(e)) => return Err(e),
        None => bytes::Bytes::new(),
    };
    let frames = futures::stream::iter([
        Ok(Frame::data(half)),
        Err::<Frame<bytes::Bytes>, BoxError>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset mid-response by vast-sim",
        )),
    ]);
    Ok(hyper::Response::from_parts(
        parts,
        StreamBody::new(frames).boxed_unsync(),
    ))
}
