//! Links the cdylib with `exports.map` so only `stspi_*` symbols are exported (no Rust symbols).
//!
//! Dependencies may carry their own `#[no_mangle]` C exports (crc-fast does). With the system
//! linker, `--exclude-libs,ALL` keeps every symbol of the dependency archives local. Zig's linker
//! (`cargo zigbuild`, the glibc 2.17 package build) refuses that flag; it keeps only the last
//! version script it is given, which is ours, so `local: *;` alone does the job there.
//! `cargo xtask package` and `cargo xtask ci` check the result: exactly the `stspi_*` functions
//! are exported (xtask/src/elf_check.rs).

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    println!("cargo:rerun-if-changed=exports.map");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/exports.map");
        if !linker_is_zig() {
            println!("cargo:rustc-cdylib-link-arg=-Wl,--exclude-libs,ALL");
        }
    }
}

/// Whether cargo links this target through Zig (cargo-zigbuild sets the target's linker to its
/// `zigcc-<target>` wrapper; cargo passes it to build scripts as `RUSTC_LINKER`).
fn linker_is_zig() -> bool {
    std::env::var("RUSTC_LINKER").is_ok_and(|linker| {
        std::path::Path::new(&linker)
            .file_name()
            .is_some_and(|name| name.to_string_lossy().contains("zig"))
    })
}
