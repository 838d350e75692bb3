//! Links the cdylib with `exports.map` so only `stspi_*` symbols are exported (no Rust symbols).

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    println!("cargo:rerun-if-changed=exports.map");
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/exports.map");
        // Dependencies may carry their own `#[no_mangle]` C exports (crc-fast does): symbols
        // from the dependency archives are never exported.
        println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
    }
}
