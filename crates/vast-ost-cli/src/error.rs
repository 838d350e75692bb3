//! The tool's one error type: what failed, the server's answer, what to try, printed as one
//! line (never a backtrace).

use ost_core::OstError;

/// A failure of a command.
#[derive(Debug)]
pub(crate) struct CliError {
    /// What the tool was doing.
    what: String,
    /// Why it failed (the server's answer).
    cause: String,
    /// What to try.
    hint: Option<String>,
    /// Process exit code.
    code: u8,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.cause)?;
        if let Some(h) = &self.hint {
            write!(f, " (try: {h})")?;
        }
        Ok(())
    }
}

impl CliError {
    /// A failure with its cause and an optional hint.
    pub(crate) fn new(what: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            cause: cause.into(),
            hint: None,
            code: 1,
        }
    }

    /// Adds a hint.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A usage error (exit code 2).
    pub(crate) fn usage(what: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            code: 2,
            ..Self::new(what, cause)
        }
    }

    /// The process exit code.
    pub(crate) fn exit_code(&self) -> u8 {
        self.code
    }

    /// A plugin error while doing `what`, with the hint its kind suggests.
    pub(crate) fn ost(what: impl Into<String>, err: &OstError) -> Self {
        let hint = match err {
            OstError::Claim { .. } => Some("storage server names look like vast://HOST[:PORT]"),
            OstError::Auth { .. } => Some(
                "check --user and the password (--password-file or VAST_OST_PASSWORD); \
                 `vast-ost check vast://HOST` shows every step",
            ),
            OstError::Network { cause } if cause.contains("certificate") => Some(
                "the cluster's certificate is not trusted: give its CA with --ca-bundle FILE \
                 (or ca_bundle in the configuration)",
            ),
            OstError::Network { .. } => Some(
                "check the address, the network and the certificate with `vast-ost check \
                 vast://HOST`",
            ),
            OstError::NotFound { .. } | OstError::NoMoreEntries { .. } => Some(
                "see what exists with `vast-ost lsu list` or `vast-ost image list LSU --pending`",
            ),
            OstError::AlreadyExists { .. } => {
                Some("use another image name or date (NAME@YYYYMMDDhhmmss), or delete the old one")
            }
            OstError::NoSpace { .. } => {
                Some("raise the LSU's quota or free space (`vast-ost sweep LSU` removes orphans)")
            }
            OstError::Busy { .. } => Some("the image is in use or pending; try again later"),
            OstError::PermissionDenied { .. } => Some(
                "the VMS user or the S3 key lacks a right; `vast-ost check vast://HOST` shows \
                 which step",
            ),
            OstError::Timeout { .. } | OstError::TryAgain { .. } => {
                Some("retry; if it persists run `vast-ost check vast://HOST`")
            }
            OstError::Corrupt { .. } => {
                Some("the stored image is damaged: restore from another copy")
            }
            OstError::WormLocked { .. } => Some("wait until the retention lock expires"),
            _ => None,
        };
        let e = Self::new(what, err.to_string());
        match hint {
            Some(h) => e.hint(h),
            None => e,
        }
    }
}

/// Adds context to plugin results.
pub(crate) trait Context<T> {
    /// Maps the error to a [`CliError`] saying what was being done.
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, CliError>;
}

impl<T> Context<T> for Result<T, OstError> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, CliError> {
        self.map_err(|e| CliError::ost(what(), &e))
    }
}
