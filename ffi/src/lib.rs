//! `libstspiVastDataMT.so`: the C library NetBackup loads from its OST plug-in directory.
//!
//! This crate only marshals: C structs in ([`abi`]), a call into [`ost_core::Plugin`], C structs
//! and an OST status code out. Every exported `stspi_*` function (see [`exports`]) runs inside
//! [`guard::entry`]: panics are caught, every pointer, length, string and handle is checked,
//! each failure is logged once naming server, LSU and image, and only status codes from
//! `ost-model`'s table escape. The C header `ffi/include/stspi_vast.h` is generated from this
//! crate by `cargo xtask header`.
#![deny(clippy::undocumented_unsafe_blocks)]
#![allow(non_snake_case)] // the library name `stspiVastDataMT` is NetBackup's naming pattern

pub mod abi;
pub mod exports;

mod fork_hooks;
mod guard;
mod marshal;
mod sigpipe;
