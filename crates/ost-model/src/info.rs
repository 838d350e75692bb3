//! Property records the plugin reports: server, LSU and image information.
//!
//! Field names follow the verified OST names where they exist (`imo_size`, `lsu_capacity`,
//! `lsu_used`, `lsu_used_phys`, ost-api.md 1.6, V); the C layouts are not public and belong to the
//! FFI layer.

use crate::descriptor::{ImageDescriptor, ImageState};
use crate::flags::{ImageInfoFlags, LsuFlags, ServerCapabilities, ServerFlags};
use crate::image::ImageDef;
use crate::lsu_name::LsuName;
use crate::server_name::ServerName;

/// Storage-server information (`sts_server_info_t`, D).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// The server name.
    pub name: ServerName,
    /// Server flags (`srv_flags`, D).
    pub flags: ServerFlags,
    /// Capabilities (`srv_cap`, D).
    pub capabilities: ServerCapabilities,
}

/// LSU information (`sts_lsu_info_t`, V name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LsuInfo {
    /// The LSU (bucket) name.
    pub name: LsuName,
    /// Total capacity in bytes (`lsu_capacity`, V).
    pub capacity: u64,
    /// Logical bytes used (`lsu_used`, V).
    pub used: u64,
    /// Physical bytes used after reduction (`lsu_used_phys`, V).
    pub used_phys: u64,
    /// LSU flags.
    pub flags: LsuFlags,
    /// Administrator label, if set.
    pub label: Option<String>,
    /// The WORM policy of a WORM LSU (its images are locked when complete).
    pub worm: Option<crate::worm::WormPolicy>,
}

impl LsuInfo {
    /// Bytes still free (capacity minus logical use, never negative).
    pub fn free(&self) -> u64 {
        self.capacity.saturating_sub(self.used)
    }

    /// The data-reduction ratio of the LSU, logical over physical use (`3.0`: three bytes
    /// written per byte stored); `None` while nothing is stored.
    pub fn reduction_ratio(&self) -> Option<f64> {
        (self.used > 0 && self.used_phys > 0).then(|| self.used as f64 / self.used_phys as f64)
    }
}

/// Image information (`sts_image_info_t`, V name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// The image definition.
    pub def: ImageDef,
    /// Image size in bytes (`imo_size`, V).
    pub size: u64,
    /// Status flags (`STS_II_*`, V).
    pub flags: ImageInfoFlags,
    /// On a WORM LSU, the date (Unix seconds) until which the image cannot be deleted.
    pub retain_until_unix: Option<u64>,
}

impl ImageInfo {
    /// Information from a stored descriptor: pending images are `IMAGE_PENDING`, complete ones
    /// `IMAGE_CREATED`. Busy flags depend on open handles and are added by the caller.
    pub fn from_descriptor(d: &ImageDescriptor) -> Self {
        let flags = match d.state {
            ImageState::Pending => ImageInfoFlags::IMAGE_PENDING,
            ImageState::Complete => ImageInfoFlags::IMAGE_CREATED,
        };
        Self {
            def: d.def().clone(),
            size: d.byte_size,
            flags,
            retain_until_unix: d.retain_until_unix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::{Checksum, ChecksumAlgorithm, Layout};
    use crate::image_name::ImageName;

    #[test]
    fn image_info_follows_state() {
        let def = ImageDef::new(
            ImageName::new("a").unwrap(),
            "20240101000000".parse().unwrap(),
        );
        let mut d = ImageDescriptor::new_pending(def, Layout::new(10, 5).unwrap(), 1, "h", "0.1.0");
        let info = ImageInfo::from_descriptor(&d);
        assert_eq!(info.flags, ImageInfoFlags::IMAGE_PENDING);
        assert_eq!(info.size, 0);
        d.complete(
            25,
            Checksum::new(ChecksumAlgorithm::Crc32c, "00000001").unwrap(),
            2,
        )
        .unwrap();
        let info = ImageInfo::from_descriptor(&d);
        assert_eq!(info.flags, ImageInfoFlags::IMAGE_CREATED);
        assert_eq!(info.size, 25);
    }

    #[test]
    fn lsu_free_never_negative() {
        let mut lsu = LsuInfo {
            name: LsuName::new("pool").unwrap(),
            capacity: 100,
            used: 40,
            used_phys: 10,
            flags: LsuFlags::DEDUP,
            label: None,
            worm: None,
        };
        assert_eq!(lsu.free(), 60);
        lsu.used = 140;
        assert_eq!(lsu.free(), 0);
    }
}
