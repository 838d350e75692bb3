//! Turning the clients' errors into [`OstError`]s. Causes keep the request and the server's
//! reason; they never contain credentials (neither client puts any in its errors).

use ost_model::OstError;
use vast_s3_data::DataError;

/// S3 error codes that mean "out of space".
const NO_SPACE_CODES: &[&str] = &[
    "QuotaExceeded",
    "NoSpaceLeft",
    "InsufficientStorage",
    "EntityTooLarge",
];

/// True for a write refusal that may also mean a full quota: 403 without a quota code (e.g.
/// `AccessDenied`) or HTTP 500 / `InternalError`. `store::refusal` asks VMS before answering.
pub(crate) fn ambiguous_write_refusal(err: &DataError) -> bool {
    let quota_code = err.code().is_some_and(|c| NO_SPACE_CODES.contains(&c));
    !quota_code
        && (err.status() == Some(403)
            || err.status() == Some(500)
            || err.code() == Some("InternalError"))
}

/// Maps a data-path error.
pub(crate) fn data(err: DataError) -> OstError {
    let cause = err.to_string();
    if let Some(code) = err.code() {
        if NO_SPACE_CODES.contains(&code) {
            return OstError::NoSpace { cause };
        }
        if code == "SlowDown" {
            return OstError::TryAgain { cause };
        }
    }
    if err.is_precondition_failed() {
        return OstError::AlreadyExists { cause };
    }
    if err.is_not_found() {
        return OstError::NotFound { cause };
    }
    match &err {
        DataError::S3 {
            status: Some(s), ..
        } => OstError::from_http_status(*s, cause),
        DataError::S3 { status: None, .. } | DataError::Body { .. } => OstError::Network { cause },
        DataError::Hole { .. }
        | DataError::RewriteOfUploaded { .. }
        | DataError::BeyondWindow { .. }
        | DataError::TooLarge { .. } => OstError::InvalidArgument { cause },
        DataError::MissingSegment { .. } => OstError::Corrupt { cause },
        DataError::Config(_) => OstError::InvalidArgument { cause },
        _ => OstError::Internal { cause },
    }
}

/// Maps a VMS client error.
pub(crate) fn vms(err: vast_vms_client::Error) -> OstError {
    use vast_vms_client::Error as E;
    let cause = err.to_string();
    match err {
        E::NotFound { .. } | E::Missing { .. } => OstError::NotFound { cause },
        E::Conflict { .. } => OstError::AlreadyExists { cause },
        E::Validation { .. } | E::Config(_) => OstError::InvalidArgument { cause },
        E::AuthFailed { .. } => OstError::Auth { cause },
        E::PermissionDenied { .. } => OstError::PermissionDenied { cause },
        E::Transport { .. } | E::Tls { .. } | E::Server { .. } => OstError::Network { cause },
        E::Timeout { .. } | E::TaskTimeout { .. } => OstError::Timeout { cause },
        _ => OstError::Internal { cause },
    }
}

/// Maps a local file-system error (NFS data path, state directory).
pub(crate) fn io(what: &str, err: &std::io::Error) -> OstError {
    let cause = format!("{what}: {err}");
    match err.kind() {
        std::io::ErrorKind::NotFound => OstError::NotFound { cause },
        std::io::ErrorKind::AlreadyExists => OstError::AlreadyExists { cause },
        std::io::ErrorKind::PermissionDenied => OstError::PermissionDenied { cause },
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            OstError::NoSpace { cause }
        }
        std::io::ErrorKind::TimedOut => OstError::Timeout { cause },
        _ => OstError::Internal { cause },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(code: &str, status: u16) -> DataError {
        DataError::S3 {
            operation: "UploadPart",
            target: "b/k".into(),
            code: Some(code.into()),
            status: Some(status),
            message: "m".into(),
        }
    }

    #[test]
    fn quota_is_no_space_and_404_is_not_found() {
        assert!(matches!(
            data(s3("QuotaExceeded", 403)),
            OstError::NoSpace { .. }
        ));
        assert!(matches!(
            data(s3("NoSuchKey", 404)),
            OstError::NotFound { .. }
        ));
        assert!(matches!(
            data(s3("AccessDenied", 403)),
            OstError::PermissionDenied { .. }
        ));
        assert!(matches!(
            data(s3("PreconditionFailed", 412)),
            OstError::AlreadyExists { .. }
        ));
        assert!(matches!(
            data(DataError::Hole { start: 1, end: 2 }),
            OstError::InvalidArgument { .. }
        ));
    }
}
