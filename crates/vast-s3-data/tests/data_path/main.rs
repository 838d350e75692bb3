//! The S3 data path's integration tests, one binary (one module per former test file: a
//! single link instead of ten). `cargo test -p vast-s3-data --test data_path -- writer::` runs one
//! module.

mod canned;
mod capabilities;
mod common;
mod copy;
mod errors;
mod listing;
mod moto_answers;
mod objects;
mod roundtrip;
mod tls;
mod vips;
mod writer;
