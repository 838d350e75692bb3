//! Types shared by both faces' HTTP handlers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

/// The error type handlers and bodies use. A concrete type (not a boxed trait object) because
/// hyper's `Send` bounds on boxed trait-object errors trip a higher-ranked lifetime limitation of
/// rustc; `std::io::Error::other` wraps any cause.
pub type BoxError = std::io::Error;
/// Every face answers with this body type.
pub type FaceBody = UnsyncBoxBody<Bytes, BoxError>;
/// What a handler returns. An `Err` makes hyper drop the connection (used to inject resets).
pub type FaceFuture = Pin<Box<dyn Future<Output = Result<Response<FaceBody>, BoxError>> + Send>>;
/// One face of the cluster: a function from request to response.
pub type Handler = Arc<dyn Fn(Request<Incoming>) -> FaceFuture + Send + Sync>;

/// A whole body from bytes in memory.
pub fn full_body(bytes: impl Into<Bytes>) -> FaceBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A response with a JSON body and the given status.
pub fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<FaceBody> {
    let mut response = Response::new(full_body(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// A response with an XML body (S3 error documents) and the given status.
pub fn xml_response(status: StatusCode, xml: String) -> Response<FaceBody> {
    let mut response = Response::new(full_body(xml));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/xml"),
    );
    response
}
