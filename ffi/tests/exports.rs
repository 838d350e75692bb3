//! `nm -D --defined-only` of the library shows only the `stspi_*` entry points: no Rust
//! symbols and no dependency's C exports leak.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

#[test]
fn only_stspi_symbols_are_exported() {
    let lib = common::library();
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("nm (binutils) is needed");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let symbols: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    let leaked: Vec<&&str> = symbols
        .iter()
        .filter(|s| !s.starts_with("stspi_"))
        .collect();
    assert!(leaked.is_empty(), "non-OST exports: {leaked:?}");
    let header =
        std::fs::read_to_string(common::workspace().join("ffi/include/stspi_vast.h")).unwrap();
    for sym in &symbols {
        assert!(
            header.contains(&format!(" {sym}(")),
            "{sym} is exported but not in the header"
        );
    }
    assert_eq!(symbols.len(), 40, "{symbols:?}");
}
