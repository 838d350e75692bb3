//! The descriptor JSON parser on arbitrary bytes (seed the corpus with real descriptors);
//! the properties are in `../checks.rs`.
#![no_main]

// Only the descriptor check is used here; the name checks serve the `parsers` target.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::check_descriptor(data);
});
