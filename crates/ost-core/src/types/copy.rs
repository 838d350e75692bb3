//! Copies: where one goes, and the state of an asynchronous one.

use ost_model::{ImageDef, ImageId, LsuName};

/// Where an image copy goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyRequest {
    /// Source LSU.
    pub src_lsu: LsuName,
    /// Source image.
    pub src: ImageId,
    /// Destination LSU (same storage server).
    pub dst_lsu: LsuName,
    /// Destination image definition.
    pub dst: ImageDef,
}

/// State of an asynchronous operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpState {
    /// Still running.
    Running,
    /// Finished; the copy is complete.
    Done,
    /// Failed; nothing of the copy remains.
    Failed(ost_model::OstError),
    /// Cancelled; nothing of the copy remains.
    Cancelled,
}

/// Progress of an asynchronous operation (`stspi_query_operation`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpStatus {
    /// The operation.
    pub id: crate::handles::OpId,
    /// Its state.
    pub state: OpState,
    /// Bytes copied so far.
    pub bytes_done: u64,
    /// Bytes to copy in all.
    pub bytes_total: u64,
}
