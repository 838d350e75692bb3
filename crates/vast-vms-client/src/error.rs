//! The one error type of the crate: what went wrong, and on which call.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use http::Method;

/// The call an error belongs to: method, path (with query) and, when a response arrived, its
/// status. Its `Display` is what a log line needs, e.g. `GET /api/latest/views/ -> 404`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// HTTP method of the request.
    pub method: Method,
    /// Path and query of the request, e.g. `/api/latest/views/?bucket=b1`.
    pub path: String,
    /// Status of the response, if one arrived.
    pub status: Option<u16>,
}

impl Call {
    pub(crate) fn new(method: &Method, path: &str, status: Option<u16>) -> Self {
        Self {
            method: method.clone(),
            path: path.to_owned(),
            status,
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "{} {} -> {status}", self.method, self.path),
            None => write!(f, "{} {} -> no response", self.method, self.path),
        }
    }
}

/// Boxed source of a transport failure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything a VMS call can fail with. Each variant that comes from a request keeps its [`Call`]
/// (method, path, status); none holds a password, token or secret key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 404: the object or collection does not exist.
    #[error("{call}: not found: {detail}")]
    NotFound {
        /// The failed call.
        call: Call,
        /// VMS's `detail` message.
        detail: String,
    },
    /// 409: the change conflicts with the current state.
    #[error("{call}: conflict{}: {detail}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Conflict {
        /// The failed call.
        call: Call,
        /// VMS's reason code, when given.
        code: Option<String>,
        /// VMS's `detail` message.
        detail: String,
    },
    /// 400: the request was refused as invalid.
    #[error("{call}: invalid request: {}", validation_summary(detail.as_deref(), fields))]
    Validation {
        /// The failed call.
        call: Call,
        /// VMS's `detail` message, when given.
        detail: Option<String>,
        /// Messages per field (DRF style `{"field": ["message"]}`).
        fields: BTreeMap<String, Vec<String>>,
    },
    /// 401 (or a 403 about the token that survived a re-login): bad credentials.
    #[error("{call}: authentication failed: {detail}")]
    AuthFailed {
        /// The failed call.
        call: Call,
        /// VMS's `detail` message.
        detail: String,
    },
    /// 403: authenticated, but the user's role does not allow this call.
    #[error("{call}: permission denied: {detail}")]
    PermissionDenied {
        /// The failed call.
        call: Call,
        /// VMS's `detail` message.
        detail: String,
    },
    /// 5xx: VMS failed or is unavailable (after the retries allowed).
    #[error("{call}: server error: {detail}")]
    Server {
        /// The failed call.
        call: Call,
        /// VMS's `detail` message.
        detail: String,
    },
    /// Any other unexpected status.
    #[error("{call}: unexpected answer: {detail}")]
    Unexpected {
        /// The failed call.
        call: Call,
        /// VMS's `detail` message or the start of the body.
        detail: String,
    },
    /// The connection could not be made or broke (DNS, TCP, reset).
    #[error("{call}: transport error: {detail}")]
    Transport {
        /// The failed call.
        call: Call,
        /// Whether the request never left (the connection could not be established), which
        /// makes even a POST safe to retry.
        connect: bool,
        /// The whole chain of causes, as one line.
        detail: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// The TLS handshake failed, typically because the server's certificate is not trusted
    /// (see the CA bundle option). Not retried.
    #[error("{call}: TLS handshake failed: {detail}")]
    Tls {
        /// The failed call.
        call: Call,
        /// The whole chain of causes, as one line.
        detail: String,
    },
    /// No complete answer within the per-request timeout.
    #[error("{call}: timed out after {after:?}")]
    Timeout {
        /// The failed call.
        call: Call,
        /// The timeout that expired.
        after: Duration,
    },
    /// The answer was not the JSON the call expects.
    #[error("{call}: unreadable answer: {message}")]
    Decode {
        /// The failed call.
        call: Call,
        /// What did not fit (quoted values removed, so no secret can leak through).
        message: String,
    },
    /// An async task (`/vtasks/<id>/`) ended in a state other than COMPLETED.
    #[error("{call}: task {task_id} ended {state}: {}", messages.join("; "))]
    TaskFailed {
        /// The last poll of the task.
        call: Call,
        /// The task's id.
        task_id: u64,
        /// Its final state (FAILED, TIMEOUT, ...).
        state: String,
        /// Its messages.
        messages: Vec<String>,
    },
    /// An async task did not finish within the time given.
    #[error("{call}: task {task_id} still {state} after {after:?}")]
    TaskTimeout {
        /// The last poll of the task.
        call: Call,
        /// The task's id.
        task_id: u64,
        /// The state it was last seen in.
        state: String,
        /// How long it was waited for.
        after: Duration,
    },
    /// The cluster lacks something a helper needs (e.g. no PROTOCOLS VIP pool).
    #[error("{call}: {what}")]
    Missing {
        /// The lookup that came back empty.
        call: Call,
        /// What is missing.
        what: String,
    },
    /// The client was configured wrongly (bad URL, unreadable CA bundle, ...).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The call this error belongs to (none for configuration errors).
    pub fn call(&self) -> Option<&Call> {
        match self {
            Error::NotFound { call, .. }
            | Error::Conflict { call, .. }
            | Error::Validation { call, .. }
            | Error::AuthFailed { call, .. }
            | Error::PermissionDenied { call, .. }
            | Error::Server { call, .. }
            | Error::Unexpected { call, .. }
            | Error::Transport { call, .. }
            | Error::Tls { call, .. }
            | Error::Timeout { call, .. }
            | Error::Decode { call, .. }
            | Error::TaskFailed { call, .. }
            | Error::TaskTimeout { call, .. }
            | Error::Missing { call, .. } => Some(call),
            Error::Config(_) => None,
        }
    }

    /// The HTTP status of the failed call, if a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.call().and_then(|c| c.status)
    }

    /// Whether this is a 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether the failure is transient: a connection failure, a timeout, or 502/503/504.
    /// Retries of idempotent calls happen on exactly these.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Server { call, .. } => matches!(call.status, Some(502..=504)),
            _ => false,
        }
    }

    /// Builds the error for a non-success response from its status and body.
    pub(crate) fn from_response(call: Call, body: &[u8]) -> Self {
        let status = call.status.unwrap_or(0);
        let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        // VMS's reason `code`, when it sent one beside `detail` (409 shows it on its own).
        let code = parsed
            .as_ref()
            .and_then(|v| v.get("code"))
            .map(value_text)
            .filter(|_| status != 409);
        let detail = with_code(detail_of(parsed.as_ref(), body), code);
        match status {
            400 => Error::Validation {
                call,
                detail: parsed
                    .as_ref()
                    .and_then(|v| v.get("detail"))
                    .map(value_text),
                fields: field_messages(parsed.as_ref()),
            },
            401 => Error::AuthFailed { call, detail },
            403 if is_token_rejection(body) => Error::AuthFailed { call, detail },
            403 => Error::PermissionDenied { call, detail },
            404 => Error::NotFound { call, detail },
            409 => Error::Conflict {
                call,
                code: parsed.as_ref().and_then(|v| v.get("code")).map(value_text),
                detail,
            },
            500..=599 => Error::Server { call, detail },
            _ => Error::Unexpected { call, detail },
        }
    }

    /// A transport failure; certificate and other TLS failures become [`Error::Tls`].
    pub(crate) fn transport(call: Call, connect: bool, source: BoxError) -> Self {
        let detail = cause_chain(source.as_ref());
        if is_tls_failure(source.as_ref()) {
            Error::Tls { call, detail }
        } else {
            Error::Transport {
                call,
                connect,
                detail,
                source,
            }
        }
    }

    pub(crate) fn decode(call: Call, err: &serde_json::Error) -> Self {
        Error::Decode {
            call,
            message: scrub_quoted(&err.to_string()),
        }
    }
}

/// Whether a 401/403 body says the token (not the user's role) is the problem.
pub(crate) fn is_token_rejection(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    text.contains("token is invalid or expired")
        || text.contains("token_not_valid")
        || (text.contains("token") && text.contains("expired"))
}

/// The errors under `err`, outermost first. `io::Error::source` skips the error it wraps, so
/// a wrapped payload is visited as well (TLS failures arrive as io errors inside io errors).
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(current) = next {
        out.push(current);
        if out.len() > 16 {
            break;
        }
        let payload = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        next = payload.or_else(|| current.source());
    }
    out
}

/// `outer: inner: innermost`, skipping causes whose text is already shown.
fn cause_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in causes(err) {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn is_tls_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    causes(err)
        .iter()
        .any(|cause| cause.downcast_ref::<rustls::Error>().is_some())
}

const MAX_DETAIL: usize = 500;

fn detail_of(parsed: Option<&serde_json::Value>, body: &[u8]) -> String {
    let text = match parsed {
        Some(serde_json::Value::Object(map)) => match map.get("detail") {
            Some(detail) => value_text(detail),
            None => serde_json::Value::Object(map.clone()).to_string(),
        },
        Some(other) => value_text(other),
        None => String::from_utf8_lossy(body).into_owned(),
    };
    let text = text.trim();
    if text.is_empty() {
        return "(no detail)".to_owned();
    }
    match text.char_indices().nth(MAX_DETAIL) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `detail (code CODE)` when VMS sent a reason code and `detail` does not already show it.
fn with_code(detail: String, code: Option<String>) -> String {
    match code {
        Some(code) if !code.is_empty() && !detail.contains(&code) => {
            format!("{detail} (code {code})")
        }
        _ => detail,
    }
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(value_text).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

fn field_messages(parsed: Option<&serde_json::Value>) -> BTreeMap<String, Vec<String>> {
    let Some(serde_json::Value::Object(map)) = parsed else {
        return BTreeMap::new();
    };
    map.iter()
        .filter(|(key, _)| key.as_str() != "detail" && key.as_str() != "code")
        .map(|(key, value)| {
            let messages = match value {
                serde_json::Value::Array(items) => items.iter().map(value_text).collect(),
                other => vec![value_text(other)],
            };
            (key.clone(), messages)
        })
        .collect()
}

fn validation_summary(detail: Option<&str>, fields: &BTreeMap<String, Vec<String>>) -> String {
    let mut parts: Vec<String> = detail.map(str::to_owned).into_iter().collect();
    parts.extend(
        fields
            .iter()
            .map(|(field, messages)| format!("{field}: {}", messages.join(", "))),
    );
    if parts.is_empty() {
        "(no detail)".to_owned()
    } else {
        parts.join("; ")
    }
}

/// Replaces the contents of every `"..."` with `…`: serde messages quote the offending value,
/// which could be a secret.
fn scrub_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for ch in message.chars() {
        if ch == '"' {
            if inside {
                out.push('…');
            }
            out.push(ch);
            inside = !inside;
        } else if !inside {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(status: u16) -> Call {
        Call::new(&Method::POST, "/api/latest/views/", Some(status))
    }

    #[test]
    fn validation_keeps_field_messages() {
        let err = Error::from_response(
            call(400),
            br#"{"bucket": ["bucket with this name already exists."], "path": ["bad"]}"#,
        );
        let Error::Validation { fields, detail, .. } = &err else {
            panic!("wrong kind: {err:?}");
        };
        assert_eq!(detail, &None);
        assert_eq!(
            fields["bucket"],
            vec!["bucket with this name already exists."]
        );
        let shown = err.to_string();
        assert!(shown.contains("POST /api/latest/views/ -> 400"), "{shown}");
        assert!(shown.contains("path: bad"), "{shown}");
    }

    #[test]
    fn status_maps_to_kind() {
        let detail = br#"{"detail": "x"}"#;
        assert!(matches!(
            Error::from_response(call(401), detail),
            Error::AuthFailed { .. }
        ));
        assert!(matches!(
            Error::from_response(call(403), br#"{"detail":"permission_denied"}"#),
            Error::PermissionDenied { .. }
        ));
        assert!(matches!(
            Error::from_response(call(403), br#"{"detail":"Token is invalid or expired"}"#),
            Error::AuthFailed { .. }
        ));
        assert!(Error::from_response(call(404), detail).is_not_found());
        let conflict = Error::from_response(call(409), br#"{"code":"busy","detail":"x"}"#);
        assert!(matches!(&conflict, Error::Conflict { code: Some(c), .. } if c == "busy"));
        let unavailable = Error::from_response(call(503), b"not json");
        assert!(unavailable.is_transient());
        assert_eq!(unavailable.status(), Some(503));
        assert!(!Error::from_response(call(500), detail).is_transient());
        assert!(matches!(
            Error::from_response(call(418), detail),
            Error::Unexpected { .. }
        ));
    }

    #[test]
    fn the_vms_reason_code_is_shown_with_the_detail() {
        let shown = Error::from_response(
            call(403),
            br#"{"detail": "You do not have permission", "code": "permission_denied_role"}"#,
        )
        .to_string();
        assert!(
            shown.contains("POST /api/latest/views/ -> 403: permission denied: You do not have permission (code permission_denied_role)"),
            "{shown}"
        );
        let shown = Error::from_response(call(409), br#"{"code":"busy","detail":"x"}"#).to_string();
        assert_eq!(shown.matches("busy").count(), 1, "{shown}");
        let shown = Error::from_response(call(502), b"<html>Bad Gateway</html>").to_string();
        assert!(
            shown.contains("-> 502: server error: <html>Bad Gateway</html>"),
            "{shown}"
        );
    }

    #[test]
    fn decode_errors_drop_quoted_values() {
        let err = serde_json::from_str::<u64>("\"my-secret-key\"").unwrap_err();
        let shown = Error::decode(call(200), &err).to_string();
        assert!(!shown.contains("my-secret-key"), "{shown}");
        assert!(shown.contains("invalid type"), "{shown}");
    }
}
