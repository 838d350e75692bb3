//! Every C name, struct layout, flag value, size constant and status code of the plugin's ABI,
//! in one place, each with its confidence tag from `shared/reference/ost-api.md`:
//! **V** verified public name, **I** inferred, **R** reported, **D** only in the original design
//! notes, **chosen** by vast-ost. The licensed OST SDK header is not public; whoever holds it
//! corrects these files (and `cargo xtask abi-check --sdk-include DIR` checks them) without
//! touching any logic.
//!
//! - [`constants`]: sizes of string buffers, the block size, plugin identity, API version.
//! - [`types`]: `#[repr(C)]` structs and handle types.
//! - [`flags`]: flag values, taken from `ost-model`'s flag sets (not duplicated here).
//! - [`status`]: status codes, taken from `ost-model`'s single table (not duplicated here).

pub mod constants;
pub mod flags;
pub mod status;
pub mod types;

pub use constants::*;
pub use flags::*;
pub use status::*;
pub use types::*;
