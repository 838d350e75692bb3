//! The crate's error type.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;

/// Everything that can go wrong on the data path.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// An S3 request failed (after the SDK's own retries). Its text names the call, the object,
    /// the server's message, and its S3 code and HTTP status when it sent them.
    #[error("S3 {operation} on {target} failed: {message}{}", answer(code.as_deref(), *status))]
    S3 {
        /// The S3 operation, e.g. `UploadPart`.
        operation: &'static str,
        /// The bucket/key (or bucket) the request was about.
        target: String,
        /// The S3 error code when the server sent one (e.g. `NoSuchKey`).
        code: Option<String>,
        /// The HTTP status when a response arrived.
        status: Option<u16>,
        /// A human-readable description (never contains credentials).
        message: String,
    },
    /// A conditional create (`If-None-Match: *`) lost: the object already exists.
    #[error("{key} already exists in bucket {bucket} (conditional create lost)")]
    AlreadyExists {
        /// The bucket.
        bucket: String,
        /// The key that already existed.
        key: String,
    },
    /// A write landed on a range that was already uploaded.
    #[error("write at offset {offset} (+{len}) overlaps part {part} which is already uploaded")]
    RewriteOfUploaded {
        /// Offset of the rejected write in the image.
        offset: u64,
        /// Its length.
        len: u64,
        /// Global part index that was already uploaded.
        part: u64,
    },
    /// A write landed too far ahead of the data not yet uploaded.
    #[error("write at offset {offset} is beyond the out-of-order window ({window} parts from offset {base})")]
    BeyondWindow {
        /// Offset of the rejected write.
        offset: u64,
        /// Start of the oldest part still buffered.
        base: u64,
        /// The window size in parts.
        window: usize,
    },
    /// At completion, a range of the image was never written.
    #[error("image has a hole: bytes {start}..{end} were never written")]
    Hole {
        /// First missing byte.
        start: u64,
        /// End (exclusive) of the missing range.
        end: u64,
    },
    /// A segment object the image needs does not exist.
    #[error("segment {index} ({key}) of the image is missing")]
    MissingSegment {
        /// Segment number.
        index: u64,
        /// Its key.
        key: String,
    },
    /// The writer was already finished, aborted or failed.
    #[error("the writer is {0}")]
    WriterClosed(&'static str),
    /// The image is larger than the layout allows.
    #[error("offset {offset} is beyond the maximum image size {max}")]
    TooLarge {
        /// The offending offset.
        offset: u64,
        /// Largest image size the layout allows.
        max: u64,
    },
    /// The state found on the server does not allow the requested operation.
    #[error("inconsistent server state: {0}")]
    Inconsistent(String),
    /// A configuration value is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Reading a response body failed.
    #[error("reading the body of {key}: {message}")]
    Body {
        /// The key being read.
        key: String,
        /// What happened.
        message: String,
    },
    /// A background task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

impl DataError {
    /// Builds a [`DataError::S3`] from an SDK error.
    pub(crate) fn sdk<E, R>(
        operation: &'static str,
        target: impl Into<String>,
        err: SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HasStatus,
    {
        let status = err.raw_response().map(HasStatus::status_code);
        let code = err.code().map(str::to_owned);
        let message = match &err {
            SdkError::ServiceError(se) => match se.err().message() {
                Some(message) => message.to_owned(),
                // No message the SDK could read: the answer was not S3's XML error document,
                // had no body, or was a success the SDK could not parse. Its start and the
                // SDK's whole context are the cause.
                None => unparsed_answer(&err, se.raw().body_excerpt()),
            },
            // No answer at all (or one the SDK could not take apart): the SDK's whole chain,
            // down to the connector's own error, is the cause.
            other => bounded(DisplayErrorContext(other).to_string()),
        };
        DataError::S3 {
            operation,
            target: target.into(),
            code,
            status,
            message,
        }
    }

    /// The S3 error code, when this is an S3 error that carried one.
    pub fn code(&self) -> Option<&str> {
        match self {
            DataError::S3 { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status, when this is an S3 error that got a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            DataError::S3 { status, .. } => *status,
            _ => None,
        }
    }

    /// True for "not found" answers (404, `NoSuchKey`, `NoSuchBucket`, `NotFound`, `NoSuchUpload`).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code(),
            Some("NoSuchKey" | "NoSuchBucket" | "NotFound" | "NoSuchUpload")
        ) || self.status() == Some(404)
    }

    /// True when a conditional request failed (412 / `PreconditionFailed`) or a conditional
    /// create lost ([`DataError::AlreadyExists`]).
    pub fn is_precondition_failed(&self) -> bool {
        matches!(self, DataError::AlreadyExists { .. })
            || self.code() == Some("PreconditionFailed")
            || self.status() == Some(412)
    }
}

/// Access to the HTTP status (and the start of the body) of a raw response, whatever its type.
pub(crate) trait HasStatus {
    /// The HTTP status code.
    fn status_code(&self) -> u16;
    /// The start of the body as text, when the SDK kept it in memory and it is not empty.
    fn body_excerpt(&self) -> Option<String> {
        None
    }
}

impl HasStatus for aws_smithy_runtime_api::client::orchestrator::HttpResponse {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }

    fn body_excerpt(&self) -> Option<String> {
        excerpt(self.body().bytes()?)
    }
}

/// Longest piece of an unparsed error body carried in an error's text.
const MAX_BODY_EXCERPT: usize = 300;

/// The first [`MAX_BODY_EXCERPT`] characters of a body, on one line; `None` when empty.
fn excerpt(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(MAX_BODY_EXCERPT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    })
}

/// The cause of a service error the SDK could not read a message from: the start of the body
/// (when there was one) and the SDK's error context (which names what it could not parse).
fn unparsed_answer(err: &dyn std::error::Error, body: Option<String>) -> String {
    let body = match body {
        Some(text) => format!("body `{text}`"),
        None => "empty body".to_owned(),
    };
    bounded(format!(
        "the SDK could not read the answer ({body}); SDK: {}",
        DisplayErrorContext(err)
    ))
}

/// Longest SDK context carried in an error's text (its debug view repeats the raw response).
const MAX_CONTEXT: usize = 2000;

/// `text` cut to [`MAX_CONTEXT`] characters.
fn bounded(text: String) -> String {
    match text.char_indices().nth(MAX_CONTEXT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// ` (CODE, HTTP nnn)` of an S3 error's text, or what of it is known.
fn answer(code: Option<&str>, status: Option<u16>) -> String {
    match (code, status) {
        (Some(c), Some(s)) => format!(" ({c}, HTTP {s})"),
        (Some(c), None) => format!(" ({c})"),
        (None, Some(s)) => format!(" (HTTP {s})"),
        (None, None) => String::new(),
    }
}

/// Renders an error and its sources on one line.
pub(crate) fn describe_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The crate's result type.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
