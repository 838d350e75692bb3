//! The NetBackup OpenStorage (OST) model as plain Rust types: no I/O, no async.
