//! Every name parser (image, LSU, date, object key, server, interface list) and the descriptor
//! parser on arbitrary bytes; the properties are in `../checks.rs`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::check_bytes(data);
});
