//! vast-sim's integration tests, one binary (one module per former test file: a single link
//! instead of fifteen). `cargo test -p vast-sim --test sim -- s3_objects::` runs one module.

mod common;
mod s3_auth;
mod s3_buckets;
mod s3_common;
mod s3_faults;
mod s3_large;
mod s3_list;
mod s3_multipart;
mod s3_object_lock;
mod s3_objects;
mod stack;
mod vms_auth;
mod vms_keys;
mod vms_lists;
mod vms_profiles;
mod vms_resources;
mod vms_worm;
