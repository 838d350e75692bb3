//! Images: which ones an image list returns.

use ost_model::ImageDef;

/// Which images an image list returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageFilter {
    /// Only images whose base name starts with this.
    pub basename_prefix: Option<String>,
    /// Only images created at or after this date (Unix seconds).
    pub created_after: Option<u64>,
    /// Only images created before this date (Unix seconds).
    pub created_before: Option<u64>,
    /// Include images still pending (default: complete ones only).
    pub include_pending: bool,
}

impl ImageFilter {
    /// Every complete image.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether `def` passes the name and date criteria (state is checked by the caller).
    pub fn matches(&self, def: &ImageDef) -> bool {
        let secs = def.date.to_unix_seconds();
        self.basename_prefix
            .as_deref()
            .is_none_or(|p| def.basename.as_str().starts_with(p))
            && self.created_after.is_none_or(|t| secs >= t)
            && self.created_before.is_none_or(|t| secs < t)
    }
}
