//! Typed flag and capability sets.
//!
//! Confidence tags as in ost-api.md: **V** verified public name, **D** name from the original
//! design notes, **R** reported, **chosen** = invented by vast-ost. No flag *value* is public, so
//! every bit value below is **chosen**; correct them here against a real SDK.
//! Unknown bits are kept (`from_bits_retain`), so values from a newer peer survive a round trip.

use bitflags::bitflags;

bitflags! {
    /// Storage-server flags (`srv_flags` of `sts_server_info_t`, D).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ServerFlags: u32 {
        /// `STS_SRV_DISK` (D): the server stores disk images.
        const DISK = 1 << 0;
        /// `STS_SRV_CRED` (D): the server needs credentials.
        const CRED = 1 << 1;
        /// `STS_SRV_DEDUP` (D): the server deduplicates (`lsu_used_phys` < `lsu_used`).
        const DEDUP = 1 << 2;
    }
}

bitflags! {
    /// Storage-server capabilities (`srv_cap`, D) NetBackup records when the server is created or
    /// refreshed (ost-api.md 1.2, V).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ServerCapabilities: u64 {
        /// `STS_SRVC_WRITE_IMAGE_RANDOM` (D): writes may arrive at any offset.
        const WRITE_IMAGE_RANDOM = 1 << 0;
        /// `STS_SRVC_COPY_IMAGE` (D): server-side image copy (optimized duplication by appliance copy, I).
        const COPY_IMAGE = 1 << 1;
        /// Extent-based optimized duplication driven by NetBackup in 256-KB chunks (V concept, chosen name).
        const COPY_EXTENT = 1 << 2;
        /// OpenStorage `OptimizedImage` attribute: optimized synthetics / Accelerator (V concept, chosen name).
        const OPTIMIZED_IMAGE = 1 << 3;
        /// Asynchronous copy with operation query/cancel (D).
        const ASYNC_COPY = 1 << 4;
        /// Event channel (D).
        const EVENTS = 1 << 5;
        /// `write_image_meta` / `read_image_meta` (D).
        const IMAGE_META = 1 << 6;
        /// Image listing (chosen).
        const LIST_IMAGES = 1 << 7;
        /// LSU labels (D).
        const LABEL_LSU = 1 << 8;
        /// `stsp_flush` supported (V name).
        const FLUSH = 1 << 9;
        /// WORM / retention-locked LSUs (V concept, chosen name).
        const WORM = 1 << 10;
    }
}

bitflags! {
    /// LSU flags (`STS_LSUF_*`, R family; members chosen).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LsuFlags: u32 {
        /// The LSU is a replication source (R).
        const REPLICATION_SOURCE = 1 << 0;
        /// The LSU is a replication target (R).
        const REPLICATION_TARGET = 1 << 1;
        /// Deleting images does not free space at once (R).
        const STORAGE_NOT_FREED = 1 << 2;
        /// Images are WORM / retention locked (chosen).
        const WORM = 1 << 3;
        /// Capacity figures are deduplicated (physical differs from logical) (chosen).
        const DEDUP = 1 << 4;
    }
}

bitflags! {
    /// Image-info flags (`STS_II_*` of `sts_image_info_t`; names V, values chosen).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ImageInfoFlags: u32 {
        /// `STS_II_IMAGE_PENDING` (V): being created, not complete.
        const IMAGE_PENDING = 1 << 0;
        /// `STS_II_BUSY_WRITE` (V): open for writing.
        const BUSY_WRITE = 1 << 1;
        /// `STS_II_IMAGE_CREATED` (V): complete (set at close-complete).
        const IMAGE_CREATED = 1 << 2;
        /// `STS_II_FILES_PENDING` (V): ignored on create.
        const FILES_PENDING = 1 << 3;
        /// `STS_II_FILES_CREATED` (V): ignored on create.
        const FILES_CREATED = 1 << 4;
        /// Open for reading (chosen).
        const BUSY_READ = 1 << 5;
    }
}

bitflags! {
    /// Flags carried in an image definition (chosen; the design notes mention full/incremental, D).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ImageDefFlags: u32 {
        /// A full backup (D).
        const FULL = 1 << 0;
        /// An incremental backup (D).
        const INCREMENTAL = 1 << 1;
        /// A synthetic image built on the server (optimized synthetics, V concept).
        const SYNTHETIC = 1 << 2;
    }
}

bitflags! {
    /// Image open modes (the `mode` argument of `open_image`, D; values chosen).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct OpenMode: u32 {
        /// Open for reading.
        const READ = 1 << 0;
        /// Open for writing (resume of a pending image).
        const WRITE = 1 << 1;
    }
}

bitflags! {
    /// Image close flags (`STS_CLOSEF_*`; names V, value chosen).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct CloseFlags: u32 {
        /// `STS_CLOSEF_IH_COMPLETE` (V): the image is complete and sealed forever.
        /// Its absence, `STS_CLOSEF_IH_INCOMPLETE` (I: the zero value), leaves the image pending.
        const IH_COMPLETE = 1 << 0;
    }
}

bitflags! {
    /// Image create flags (the *pending flag* of `stsp_create_image`, V; value chosen).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct CreateFlags: u32 {
        /// Hint: this process will create another image on the same LSU right after this one (V).
        const MORE_PENDING = 1 << 0;
    }
}

impl CloseFlags {
    /// `STS_CLOSEF_IH_INCOMPLETE` (I): the cleared value.
    pub const IH_INCOMPLETE: Self = Self::empty();

    /// True when the close seals the image.
    pub fn is_complete(self) -> bool {
        self.contains(Self::IH_COMPLETE)
    }
}

/// Serde helper: a flag set as its raw bit number, keeping unknown bits.
pub mod bits_serde {
    use bitflags::Flags;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serializes the raw bits.
    pub fn serialize<F, S>(flags: &F, serializer: S) -> Result<S::Ok, S::Error>
    where
        F: Flags,
        F::Bits: Serialize,
        S: Serializer,
    {
        flags.bits().serialize(serializer)
    }

    /// Deserializes raw bits, retaining unknown ones.
    pub fn deserialize<'de, F, D>(deserializer: D) -> Result<F, D::Error>
    where
        F: Flags,
        F::Bits: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        F::Bits::deserialize(deserializer).map(F::from_bits_retain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitflags::Flags;

    #[test]
    fn close_incomplete_is_zero() {
        assert_eq!(CloseFlags::IH_INCOMPLETE.bits(), 0);
        assert!(!CloseFlags::IH_INCOMPLETE.is_complete());
        assert!(CloseFlags::IH_COMPLETE.is_complete());
    }

    #[test]
    fn flag_values_are_distinct_bits() {
        let all = ImageInfoFlags::all();
        assert_eq!(
            all.bits().count_ones() as usize,
            ImageInfoFlags::FLAGS.len()
        );
        let caps = ServerCapabilities::all();
        assert_eq!(
            caps.bits().count_ones() as usize,
            ServerCapabilities::FLAGS.len()
        );
    }

    #[test]
    fn unknown_bits_survive_serde() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct W {
            #[serde(with = "bits_serde")]
            f: LsuFlags,
        }
        let w: W = serde_json::from_str(r#"{"f": 4294967295}"#).unwrap();
        assert!(w.f.contains(LsuFlags::WORM));
        assert_eq!(serde_json::to_string(&w).unwrap(), r#"{"f":4294967295}"#);
    }
}
