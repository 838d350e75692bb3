//! The listing catalogue's keys: zero-byte objects, one or two per image, whose *names* carry
//! what an image list needs, so listing an LSU is a key listing and reads no descriptor.
//!
//! ```text
//! netbackup-list/{basename}/{date}/complete-{size}-{copy}-{fragment}-{flags}[-{retain_until}]
//!                                              the image is Complete (written after its
//!                                              descriptor says so; the list trusts it)
//! netbackup-list/{basename}/{date}/pending     the image may exist (written before its
//!                                              descriptor is created; the list reads the
//!                                              descriptor to know more)
//! netbackup-list/catalogue-v1                  every image of the LSU has its entries
//! ```
//! The descriptor stays the source of truth; the entries are written so that a crash at any
//! point leaves either a `pending` hint (resolved by reading the descriptor) or nothing for an
//! image that has no descriptor either. The catalogue sits outside `netbackup/` so no image
//! key, sweep or image list of the data ever sees it.

use std::fmt::Write as _;

use crate::descriptor::ImageDescriptor;
use crate::flags::ImageDefFlags;
use crate::image::{ImageDef, ImageId};
use crate::image_date::ImageDate;
use crate::image_name::ImageName;

/// First component of every catalogue key.
const CATALOGUE_ROOT: &str = "netbackup-list";
/// Name of the entry of an image that may exist.
const PENDING_ENTRY: &str = "pending";
/// Start of the name of a Complete image's entry.
const COMPLETE_ENTRY: &str = "complete-";
/// The marker of an LSU whose catalogue covers every image.
const READY_MARKER: &str = "catalogue-v1";

/// Prefix of every catalogue entry: `netbackup-list/`.
pub fn catalogue_prefix() -> String {
    format!("{CATALOGUE_ROOT}/")
}

/// Prefix of the entries of the images whose base name starts with `name_start`.
pub fn catalogue_name_prefix(name_start: &str) -> String {
    format!("{CATALOGUE_ROOT}/{name_start}")
}

/// Prefix of one image's entries: `netbackup-list/{basename}/{date}/`.
pub fn catalogue_image_prefix(id: &ImageId) -> String {
    format!("{CATALOGUE_ROOT}/{}/{}/", id.basename, id.date)
}

/// Key of the `pending` entry of an image.
pub fn pending_entry_key(id: &ImageId) -> String {
    format!("{}{PENDING_ENTRY}", catalogue_image_prefix(id))
}

/// Key of the entry of a Complete image of `size` bytes defined by `def`, locked until
/// `retain_until` (Unix seconds) on a WORM LSU.
pub fn complete_entry_key(def: &ImageDef, size: u64, retain_until: Option<u64>) -> String {
    let mut key = catalogue_image_prefix(&def.id());
    // Writing to a String cannot fail.
    let _ = write!(
        key,
        "{COMPLETE_ENTRY}{size}-{}-{}-{}",
        def.copy_number,
        def.fragment_number,
        def.flags.bits()
    );
    if let Some(until) = retain_until {
        let _ = write!(key, "-{until}");
    }
    key
}

/// Key of the Complete entry of the image a descriptor describes (whatever its state).
pub fn complete_entry_of(d: &ImageDescriptor) -> String {
    complete_entry_key(d.def(), d.byte_size, d.retain_until_unix)
}

/// Key of the marker saying the catalogue of an LSU covers every image.
pub fn catalogue_ready_key() -> String {
    format!("{CATALOGUE_ROOT}/{READY_MARKER}")
}

/// What one catalogue key says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueEntry {
    /// The image may exist: its descriptor decides.
    Pending(ImageId),
    /// The image is Complete, with this definition and size.
    Complete {
        /// The image definition.
        def: ImageDef,
        /// Its size in bytes.
        size: u64,
        /// On a WORM LSU, when its lock runs out (Unix seconds).
        retain_until: Option<u64>,
    },
}

impl CatalogueEntry {
    /// The image the entry is about.
    pub fn id(&self) -> ImageId {
        match self {
            Self::Pending(id) => id.clone(),
            Self::Complete { def, .. } => def.id(),
        }
    }

    /// Parses a catalogue key; `None` for the marker and for any key this module did not
    /// build.
    pub fn parse(key: &str) -> Option<Self> {
        let rest = key.strip_prefix(CATALOGUE_ROOT)?.strip_prefix('/')?;
        let mut parts = rest.splitn(3, '/');
        let (Some(name), Some(date), Some(entry)) = (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let id = ImageId::new(ImageName::new(name).ok()?, date.parse::<ImageDate>().ok()?);
        if entry == PENDING_ENTRY {
            return Some(Self::Pending(id));
        }
        let mut fields = entry.strip_prefix(COMPLETE_ENTRY)?.split('-');
        let mut next = || -> Option<u64> { canonical_number(fields.next()?) };
        let size = next()?;
        let copy_number = u32::try_from(next()?).ok()?;
        let fragment_number = u32::try_from(next()?).ok()?;
        let flags = ImageDefFlags::from_bits_retain(u32::try_from(next()?).ok()?);
        let retain_until = match fields.next() {
            Some(text) => Some(canonical_number(text)?),
            None => None,
        };
        if fields.next().is_some() {
            return None;
        }
        let def = ImageDef {
            copy_number,
            fragment_number,
            flags,
            ..ImageDef::new(id.basename, id.date)
        };
        Some(Self::Complete {
            def,
            size,
            retain_until,
        })
    }
}

/// A decimal number written the one way this module writes it (no sign, no leading zero).
fn canonical_number(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str) -> ImageDef {
        ImageDef::new(
            ImageName::new(name).unwrap(),
            "20261130120000".parse().unwrap(),
        )
    }

    #[test]
    fn complete_entries_carry_what_a_list_reports() {
        let mut d = def("host_1764504000_C2_F3");
        d.flags = ImageDefFlags::from_bits_retain(0x8000_0001);
        let key = complete_entry_key(&d, 123_456_789_012, None);
        assert_eq!(
            key,
            "netbackup-list/host_1764504000_C2_F3/20261130120000/complete-123456789012-2-3-2147483649"
        );
        assert_eq!(
            CatalogueEntry::parse(&key),
            Some(CatalogueEntry::Complete {
                def: d.clone(),
                size: 123_456_789_012,
                retain_until: None
            })
        );
        let locked = complete_entry_key(&d, 5, Some(1_796_000_000));
        assert!(
            locked.ends_with("/complete-5-2-3-2147483649-1796000000"),
            "{locked}"
        );
        assert_eq!(
            CatalogueEntry::parse(&locked),
            Some(CatalogueEntry::Complete {
                def: d,
                size: 5,
                retain_until: Some(1_796_000_000)
            })
        );
    }

    #[test]
    fn given_copy_and_fragment_numbers_survive_even_against_the_name() {
        let mut d = def("host_1_C1_F1");
        d.copy_number = 0;
        d.fragment_number = 7;
        let parsed = CatalogueEntry::parse(&complete_entry_key(&d, 0, None));
        assert_eq!(
            parsed,
            Some(CatalogueEntry::Complete {
                def: d,
                size: 0,
                retain_until: None
            })
        );
    }

    #[test]
    fn pending_entries_name_the_image() {
        let d = def("a-b-c");
        let key = pending_entry_key(&d.id());
        assert_eq!(key, "netbackup-list/a-b-c/20261130120000/pending");
        assert_eq!(
            CatalogueEntry::parse(&key),
            Some(CatalogueEntry::Pending(d.id()))
        );
        assert!(key.starts_with(&catalogue_image_prefix(&d.id())));
        assert!(key.starts_with(&catalogue_name_prefix("a-b")));
    }

    #[test]
    fn an_image_s_complete_entry_sorts_before_its_pending_one() {
        let d = def("x");
        assert!(complete_entry_key(&d, u64::MAX, Some(u64::MAX)) < pending_entry_key(&d.id()));
    }

    #[test]
    fn other_keys_are_not_entries() {
        for key in [
            catalogue_ready_key(),
            "netbackup-list/x".to_owned(),
            "netbackup-list/x/20261130120000".to_owned(),
            "netbackup-list/x/notadate/pending".to_owned(),
            "netbackup-list/x/20261130120000/complete-1-2-3".to_owned(),
            "netbackup-list/x/20261130120000/complete-1-2-3-4-5-6".to_owned(),
            "netbackup-list/x/20261130120000/complete-1-2-3-4-05".to_owned(),
            "netbackup-list/x/20261130120000/complete-01-2-3-4".to_owned(),
            "netbackup-list/x/20261130120000/complete-1-2-3-+4".to_owned(),
            "netbackup-list/x/20261130120000/complete-1-4294967296-3-4".to_owned(),
            "netbackup-list/x/20261130120000/pending/more".to_owned(),
            "netbackup/x/20261130120000/metadata".to_owned(),
        ] {
            assert_eq!(CatalogueEntry::parse(&key), None, "{key}");
        }
    }
}
