//! Flag values of the C ABI. Bit values come from `ost-model`'s flag sets (one place); the
//! header generator (`cargo xtask header`) writes them as `#define`s with their tags.
//! Only values that exist nowhere else are defined here.

/// `sts_cred_t.cr_type`: no credentials, use the configured ones (chosen).
pub const STS_CRED_NONE: u32 = 0;
/// `sts_cred_t.cr_type`: user name + clear-text password (`STS_CRED_CLEAR`: name D, value chosen).
pub const STS_CRED_CLEAR: u32 = 1;

/// `sts_image_filter_t.if_flags`: include pending images (chosen).
pub const STS_IF_INCLUDE_PENDING: u32 = 1;

/// `stspi_delete_image_v10` flags: the caller allows an asynchronous delete (chosen). The plugin
/// always deletes synchronously, which satisfies such a caller too.
pub const STS_DELETE_ASYNC: u32 = 1;

/// `sts_op_status_t.op_state`: still running (chosen).
pub const STS_OP_RUNNING: u32 = 1;
/// `sts_op_status_t.op_state`: finished, copy complete (chosen).
pub const STS_OP_DONE: u32 = 2;
/// `sts_op_status_t.op_state`: failed, `op_error` says why (chosen).
pub const STS_OP_FAILED: u32 = 3;
/// `sts_op_status_t.op_state`: cancelled (chosen).
pub const STS_OP_CANCELLED: u32 = 4;

/// `sts_event_t.ev_kind`: an image was sealed complete (chosen).
pub const STS_EV_IMAGE_CREATED: u32 = 1;
/// `sts_event_t.ev_kind`: an image was deleted (chosen).
pub const STS_EV_IMAGE_DELETED: u32 = 2;
/// `sts_event_t.ev_kind`: an asynchronous copy finished (chosen).
pub const STS_EV_COPY_DONE: u32 = 3;
/// `sts_event_t.ev_kind`: an asynchronous copy failed or was cancelled (chosen).
pub const STS_EV_COPY_FAILED: u32 = 4;
/// `sts_event_t.ev_kind`: a cluster event or alarm (chosen).
pub const STS_EV_CLUSTER: u32 = 5;

/// `sts_server_info_t.srv_data_path`: S3 (chosen).
pub const STS_DATA_PATH_S3: u32 = 1;
/// `sts_server_info_t.srv_data_path`: NFS (chosen).
pub const STS_DATA_PATH_NFS: u32 = 2;

/// A flag family of `ost-model` as the header generator prints it: C prefix, members
/// `(C name, value, tag)`.
#[derive(Debug, Clone)]
pub struct FlagFamily {
    /// What the family is (comment line).
    pub what: &'static str,
    /// Members: C name, bit value, confidence of the name.
    pub members: Vec<(&'static str, u64, &'static str)>,
}

macro_rules! fam {
    ($what:literal, $($name:literal => $val:expr, $tag:literal);* $(;)?) => {
        FlagFamily { what: $what, members: vec![$(($name, $val as u64, $tag)),*] }
    };
}

use ost_model::{
    CloseFlags, CreateFlags, ImageDefFlags, ImageInfoFlags, LsuFlags, OpenMode, ServerCapabilities,
    ServerFlags,
};

/// Every flag family the C ABI uses, with values read from `ost-model` (values are all chosen;
/// the tag is that of the name).
pub fn flag_families() -> Vec<FlagFamily> {
    vec![
        fam!("server flags (sts_server_info_t.srv_flags)",
            "STS_SRV_DISK" => ServerFlags::DISK.bits(), "D";
            "STS_SRV_CRED" => ServerFlags::CRED.bits(), "D";
            "STS_SRV_DEDUP" => ServerFlags::DEDUP.bits(), "D"),
        fam!("server capabilities (sts_server_info_t.srv_cap)",
            "STS_SRVC_WRITE_IMAGE_RANDOM" => ServerCapabilities::WRITE_IMAGE_RANDOM.bits(), "D";
            "STS_SRVC_COPY_IMAGE" => ServerCapabilities::COPY_IMAGE.bits(), "D";
            "STS_SRVC_COPY_EXTENT" => ServerCapabilities::COPY_EXTENT.bits(), "chosen";
            "STS_SRVC_OPTIMIZED_IMAGE" => ServerCapabilities::OPTIMIZED_IMAGE.bits(), "chosen";
            "STS_SRVC_ASYNC_COPY" => ServerCapabilities::ASYNC_COPY.bits(), "chosen";
            "STS_SRVC_EVENTS" => ServerCapabilities::EVENTS.bits(), "chosen";
            "STS_SRVC_IMAGE_META" => ServerCapabilities::IMAGE_META.bits(), "chosen";
            "STS_SRVC_LIST_IMAGES" => ServerCapabilities::LIST_IMAGES.bits(), "chosen";
            "STS_SRVC_LABEL_LSU" => ServerCapabilities::LABEL_LSU.bits(), "chosen";
            "STS_SRVC_FLUSH" => ServerCapabilities::FLUSH.bits(), "chosen";
            "STS_SRVC_WORM" => ServerCapabilities::WORM.bits(), "chosen"),
        fam!("LSU flags (sts_lsu_info_t.lsu_flags)",
            "STS_LSUF_REPLICATION_SOURCE" => LsuFlags::REPLICATION_SOURCE.bits(), "R";
            "STS_LSUF_REPLICATION_TARGET" => LsuFlags::REPLICATION_TARGET.bits(), "R";
            "STS_LSUF_STORAGE_NOT_FREED" => LsuFlags::STORAGE_NOT_FREED.bits(), "R";
            "STS_LSUF_WORM" => LsuFlags::WORM.bits(), "chosen";
            "STS_LSUF_DEDUP" => LsuFlags::DEDUP.bits(), "chosen"),
        fam!("image-info flags (sts_image_info_t.imo_flags)",
            "STS_II_IMAGE_PENDING" => ImageInfoFlags::IMAGE_PENDING.bits(), "V";
            "STS_II_BUSY_WRITE" => ImageInfoFlags::BUSY_WRITE.bits(), "V";
            "STS_II_IMAGE_CREATED" => ImageInfoFlags::IMAGE_CREATED.bits(), "V";
            "STS_II_FILES_PENDING" => ImageInfoFlags::FILES_PENDING.bits(), "V";
            "STS_II_FILES_CREATED" => ImageInfoFlags::FILES_CREATED.bits(), "V";
            "STS_II_BUSY_READ" => ImageInfoFlags::BUSY_READ.bits(), "chosen"),
        fam!("image-definition flags (sts_image_def_t.img_flags)",
            "STS_IMG_FULL" => ImageDefFlags::FULL.bits(), "D";
            "STS_IMG_INCREMENTAL" => ImageDefFlags::INCREMENTAL.bits(), "D";
            "STS_IMG_SYNTHETIC" => ImageDefFlags::SYNTHETIC.bits(), "chosen"),
        fam!("open modes (stspi_open_image_v10 mode)",
            "STS_O_READ" => OpenMode::READ.bits(), "chosen";
            "STS_O_WRITE" => OpenMode::WRITE.bits(), "chosen"),
        fam!("close flags (stspi_close_image flags)",
            "STS_CLOSEF_IH_INCOMPLETE" => CloseFlags::IH_INCOMPLETE.bits(), "V name, I zero value";
            "STS_CLOSEF_IH_COMPLETE" => CloseFlags::IH_COMPLETE.bits(), "V"),
        fam!("create flags (stspi_create_image_v10 flags: the pending hint)",
            "STS_CIF_MORE_PENDING" => CreateFlags::MORE_PENDING.bits(), "V concept, chosen name"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn flag_names_are_unique_and_values_distinct_per_family() {
        let mut names = HashSet::new();
        for fam in flag_families() {
            let mut values = HashSet::new();
            for (name, value, tag) in &fam.members {
                assert!(names.insert(*name), "{name} twice");
                assert!(
                    values.insert(*value),
                    "{name} reuses {value:#x} in {}",
                    fam.what
                );
                assert!(name.starts_with("STS_"), "{name}");
                assert!(!tag.is_empty());
                assert!(
                    *value == 0 && *name == "STS_CLOSEF_IH_INCOMPLETE" || value.is_power_of_two(),
                    "{name} = {value:#x} is not one bit"
                );
            }
        }
        assert!(names.contains("STS_II_IMAGE_PENDING"));
        assert!(names.contains("STS_CLOSEF_IH_COMPLETE"));
    }
}
