//! LSUs: properties beyond `ost_model::LsuInfo`.

/// LSU properties beyond `LsuInfo`: image count and state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LsuProps {
    /// Capacity, use, flags, label.
    pub info: ost_model::LsuInfo,
    /// Complete images in the LSU.
    pub image_count: u64,
    /// Pending images (being written or checkpointed).
    pub pending_count: u64,
    /// The LSU answers (its bucket view exists and its data store is reachable).
    pub online: bool,
}
