//! Image identity and image definitions (`sts_image_def_t`).
//!
//! The identity of an image is its base name plus its creation date (ost-api.md 1.9, I); that pair
//! is what the object keys encode. The other fields travel in the image descriptor.

use std::fmt;

use crate::flags::{bits_serde, ImageDefFlags};
use crate::image_date::ImageDate;
use crate::image_name::ImageName;

/// What identifies an image inside an LSU: base name + creation date.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ImageId {
    /// The NetBackup image name.
    pub basename: ImageName,
    /// The creation date.
    pub date: ImageDate,
}

impl ImageId {
    /// Pairs a name with a date.
    pub fn new(basename: ImageName, date: ImageDate) -> Self {
        Self { basename, date }
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.basename, self.date)
    }
}

/// An image definition as NetBackup passes it to create/open/delete (`sts_image_def_t`).
///
/// Only `basename` + `date` are known to be part of it (I); copy number, fragment number and
/// flags follow NetBackup's naming (`..._C<copy>_F<fragment>`, V) and are **chosen** fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ImageDef {
    /// The NetBackup image name.
    pub basename: ImageName,
    /// The creation date.
    pub date: ImageDate,
    /// Copy number (0 = not given).
    #[serde(default)]
    pub copy_number: u32,
    /// Fragment number (0 = not given).
    #[serde(default)]
    pub fragment_number: u32,
    /// Image definition flags (raw bits in JSON; unknown bits kept).
    #[serde(default, with = "bits_serde")]
    pub flags: ImageDefFlags,
}

impl ImageDef {
    /// A definition with only name and date; copy and fragment come from the name when it follows
    /// NetBackup's `_C<copy>_F<fragment>` convention.
    pub fn new(basename: ImageName, date: ImageDate) -> Self {
        let (copy_number, fragment_number) = basename.netbackup_copy_fragment().unwrap_or((0, 0));
        Self {
            basename,
            date,
            copy_number,
            fragment_number,
            flags: ImageDefFlags::empty(),
        }
    }

    /// The identity (name + date) the object keys are built from.
    pub fn id(&self) -> ImageId {
        ImageId::new(self.basename.clone(), self.date)
    }
}

impl From<ImageId> for ImageDef {
    fn from(id: ImageId) -> Self {
        Self::new(id.basename, id.date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_takes_copy_and_fragment_from_name() {
        let def = ImageDef::new(
            ImageName::new("client1_1638486030_C2_F3").unwrap(),
            "20211202223030".parse().unwrap(),
        );
        assert_eq!((def.copy_number, def.fragment_number), (2, 3));
        assert_eq!(
            def.id().to_string(),
            "client1_1638486030_C2_F3@20211202223030"
        );
    }

    #[test]
    fn json_shape() {
        let def = ImageDef::new(
            ImageName::new("img").unwrap(),
            "20240101000000".parse().unwrap(),
        );
        let v = serde_json::to_value(&def).unwrap();
        assert_eq!(v["basename"], "img");
        assert_eq!(v["date"], "20240101000000");
        assert_eq!(v["flags"], 0);
        let back: ImageDef = serde_json::from_value(v).unwrap();
        assert_eq!(back, def);
        let bad = serde_json::json!({"basename": "a/b", "date": "20240101000000"});
        assert!(serde_json::from_value::<ImageDef>(bad).is_err());
    }
}
