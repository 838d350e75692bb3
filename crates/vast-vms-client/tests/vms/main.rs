//! The VMS client's integration tests against vast-sim, one binary (one module per former test
//! file). `cargo test -p vast-vms-client --test vms -- auth::` runs one module.

mod auth;
mod bootstrap;
mod common;
mod faults;
mod profiles;
mod resources;
mod tls;
