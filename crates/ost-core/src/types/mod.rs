//! Plain records the public API takes and returns (besides the `ost_model` ones), one file
//! per OST object.

mod copy;
mod event;
mod image;
mod lsu;
mod report;
mod server;
mod time;

pub use copy::{CopyRequest, OpState, OpStatus};
pub use event::{Event, EventKind};
pub use image::ImageFilter;
pub use lsu::LsuProps;
pub use report::{Counters, HealthCheck, HealthReport, Statistics, SweepReport};
pub use server::{Credentials, IssuedToken, ServerProps};
pub(crate) use time::unix_now;
