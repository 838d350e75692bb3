//! Image base names (the NetBackup image name part of `sts_image_def_t`).
//!
//! NetBackup names images like `client1_1638486030_C1_F1` (ost-api.md 1.9, V). The name becomes one
//! path component of every object key, so anything that could break the key layout is rejected.

use std::fmt;
use std::str::FromStr;

use crate::limits::MAX_IMAGE_NAME_LEN;

/// Why an image base name was rejected. Rules are checked in the order listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageNameError {
    /// The name is empty.
    #[error("image name is empty")]
    Empty,
    /// The name is longer than [`MAX_IMAGE_NAME_LEN`] bytes.
    #[error("image name is {len} bytes long; the limit is {max}")]
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The name contains a NUL byte.
    #[error("image name contains a NUL byte at byte {pos}")]
    Nul {
        /// Byte position.
        pos: usize,
    },
    /// The name contains another control character.
    #[error("image name contains control character {ch:?} at byte {pos}")]
    ControlChar {
        /// The character.
        ch: char,
        /// Byte position.
        pos: usize,
    },
    /// The name contains `/`, which would split the object key.
    #[error("image name contains '/' at byte {pos}")]
    Slash {
        /// Byte position.
        pos: usize,
    },
    /// The name contains `..`.
    #[error("image name contains \"..\"")]
    DotDot,
    /// The name is `.`.
    #[error("image name must not be \".\"")]
    SingleDot,
}

/// A validated image base name.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct ImageName(String);

/// Checks an image base name, reporting the first rule broken.
pub fn validate_image_name(name: &str) -> Result<(), ImageNameError> {
    if name.is_empty() {
        return Err(ImageNameError::Empty);
    }
    if name.len() > MAX_IMAGE_NAME_LEN {
        return Err(ImageNameError::TooLong {
            len: name.len(),
            max: MAX_IMAGE_NAME_LEN,
        });
    }
    if let Some(pos) = name.find('\0') {
        return Err(ImageNameError::Nul { pos });
    }
    if let Some((pos, ch)) = name.char_indices().find(|(_, c)| c.is_control()) {
        return Err(ImageNameError::ControlChar { ch, pos });
    }
    if let Some(pos) = name.find('/') {
        return Err(ImageNameError::Slash { pos });
    }
    if name.contains("..") {
        return Err(ImageNameError::DotDot);
    }
    if name == "." {
        return Err(ImageNameError::SingleDot);
    }
    Ok(())
}

impl ImageName {
    /// Validates `name`.
    pub fn new(name: &str) -> Result<Self, ImageNameError> {
        validate_image_name(name)?;
        Ok(Self(name.to_owned()))
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Copy and fragment numbers when the name follows NetBackup's `..._C<copy>_F<fragment>`
    /// convention (ost-api.md 1.9, V), else `None`.
    pub fn netbackup_copy_fragment(&self) -> Option<(u32, u32)> {
        let (head, fragment) = self.0.rsplit_once("_F")?;
        let (_, copy) = head.rsplit_once("_C")?;
        let number = |s: &str| {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                s.parse::<u32>().ok()
            }
        };
        Some((number(copy)?, number(fragment)?))
    }
}

impl fmt::Display for ImageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ImageName {
    type Err = ImageNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for ImageName {
    type Error = ImageNameError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        validate_image_name(&s)?;
        Ok(Self(s))
    }
}

impl From<ImageName> for String {
    fn from(name: ImageName) -> Self {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_netbackup_names() {
        let n = ImageName::new("client1_1638486030_C1_F1").unwrap();
        assert_eq!(n.netbackup_copy_fragment(), Some((1, 1)));
        let n = ImageName::new("client1_1638486030_C2_IM").unwrap();
        assert_eq!(n.netbackup_copy_fragment(), None);
        assert!(ImageName::new("a.b c-d_é").is_ok());
    }

    #[test]
    fn rejects_with_reason() {
        use ImageNameError as E;
        assert_eq!(ImageName::new(""), Err(E::Empty));
        assert_eq!(
            ImageName::new(&"x".repeat(257)),
            Err(E::TooLong { len: 257, max: 256 })
        );
        assert_eq!(ImageName::new("a\0b"), Err(E::Nul { pos: 1 }));
        assert_eq!(
            ImageName::new("a\nb"),
            Err(E::ControlChar { ch: '\n', pos: 1 })
        );
        assert_eq!(ImageName::new("a/b"), Err(E::Slash { pos: 1 }));
        assert_eq!(ImageName::new("a..b"), Err(E::DotDot));
        assert_eq!(ImageName::new(".."), Err(E::DotDot));
        assert_eq!(ImageName::new("."), Err(E::SingleDot));
    }
}
