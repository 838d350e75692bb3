//! The vast-ost command's integration tests, one binary (one module per former test file).
//! `cargo test -p vast-ost-cli --test cli -- worm::` runs one module.

mod bootstrap;
mod check;
mod common;
mod images;
mod tools;
mod worm;
