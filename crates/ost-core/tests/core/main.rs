//! ost-core's integration tests against vast-sim, one binary (one module per topic). The
//! process-wide plugin's tests stay in their own binary (`tests/global.rs`): they configure the one
//! global instance. `cargo test -p ost-core --test core -- catalogue::` runs one module.

mod admin;
mod catalogue;
mod common;
mod copy_ops;
mod lifecycle;
mod nfs;
mod resilience;
mod runtime_config;
mod small_images;
