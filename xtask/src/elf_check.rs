//! Checks of the shipped ELF files, read with the `object` crate (no tool output parsed):
//! the newest glibc symbol version they need stays at or below the baseline (else they do not
//! load on older enterprise Linux), and the library's dynamic symbol table exports exactly the
//! `stspi_*` functions of the C header and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context, Result};
use object::elf;
use object::read::elf::{FileHeader as _, Sym as _};
use object::Endianness;

/// What the checks need from one ELF file's dynamic section and symbols.
pub(crate) struct ElfInfo {
    /// Undefined dynamic symbols by the version they need (`GLIBC_2.17`, `GCC_3.0`, ...).
    pub(crate) needs: BTreeMap<String, BTreeSet<String>>,
    /// Defined, globally visible dynamic symbols, with whether each is a function.
    pub(crate) exports: BTreeMap<String, bool>,
    /// `DT_NEEDED` libraries (`libc.so.6`, ...).
    pub(crate) needed: Vec<String>,
    /// (library, version) pairs the undefined symbols need (`libc.so.6`, `GLIBC_2.14`).
    pub(crate) versioned_needs: BTreeSet<(String, String)>,
}

/// A glibc symbol version `GLIBC_<major>.<minor>[.<patch>]` as numbers, for ordering.
pub(crate) fn glibc_version(name: &str) -> Option<Vec<u32>> {
    name.strip_prefix("GLIBC_")?
        .split('.')
        .map(|part| part.parse().ok())
        .collect()
}

/// Reads `path`'s dynamic symbols, their versions and `DT_NEEDED` entries.
pub(crate) fn read(path: &Path) -> Result<ElfInfo> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let parse = || -> object::read::Result<ElfInfo> {
        let data = data.as_slice();
        let header = elf::FileHeader64::<Endianness>::parse(data)?;
        let endian = header.endian()?;
        let sections = header.sections(endian, data)?;
        let symbols = sections.symbols(endian, data, elf::SHT_DYNSYM)?;
        let versions = sections.versions(endian, data)?;
        let mut info = ElfInfo {
            needs: BTreeMap::new(),
            exports: BTreeMap::new(),
            needed: Vec::new(),
            versioned_needs: BTreeSet::new(),
        };
        for (index, symbol) in symbols.enumerate() {
            let name = String::from_utf8_lossy(symbol.name(endian, symbols.strings())?);
            if name.is_empty() {
                continue;
            }
            if symbol.is_undefined(endian) {
                let version = match &versions {
                    Some(table) => table.version(table.version_index(endian, index).index())?,
                    None => None,
                };
                if let Some(version) = version {
                    let file = String::from_utf8_lossy(version.file().unwrap_or_default());
                    let version = String::from_utf8_lossy(version.name()).into_owned();
                    info.versioned_needs
                        .insert((file.into_owned(), version.clone()));
                    info.needs
                        .entry(version)
                        .or_default()
                        .insert(name.into_owned());
                }
            } else if symbol.st_bind() != elf::STB_LOCAL
                && matches!(
                    symbol.st_visibility(),
                    elf::STV_DEFAULT | elf::STV_PROTECTED
                )
            {
                info.exports
                    .insert(name.into_owned(), symbol.st_type() == elf::STT_FUNC);
            }
        }
        let dynamic = sections.dynamic_table(endian, data)?;
        for entry in &dynamic {
            if entry.tag == elf::DT_NEEDED {
                let lib = dynamic.string(entry)?;
                info.needed.push(String::from_utf8_lossy(lib).into_owned());
            }
        }
        Ok(info)
    };
    parse().map_err(|e| anyhow::anyhow!("{}: not a readable 64-bit ELF file: {e}", path.display()))
}

impl ElfInfo {
    /// The newest `GLIBC_*` version needed, with the symbols that need it.
    pub(crate) fn max_glibc(&self) -> Option<(&str, &BTreeSet<String>)> {
        self.needs
            .iter()
            .filter_map(|(v, syms)| glibc_version(v).map(|n| (n, v.as_str(), syms)))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, v, syms)| (v, syms))
    }
}

/// Fails when `info` needs a glibc symbol version newer than `baseline` (or a private one).
pub(crate) fn check_glibc(what: &str, info: &ElfInfo, baseline: (u32, u32)) -> Result<()> {
    let limit = vec![baseline.0, baseline.1];
    let mut over = Vec::new();
    for (version, symbols) in &info.needs {
        let too_new = match glibc_version(version) {
            Some(v) => v > limit,
            None => version.starts_with("GLIBC_"), // GLIBC_PRIVATE and the like
        };
        if too_new {
            let names: Vec<&str> = symbols.iter().map(String::as_str).collect();
            over.push(format!("{version}: {}", names.join(", ")));
        }
    }
    if !over.is_empty() {
        bail!(
            "{what} needs glibc symbols newer than {}.{}:\n  {}",
            baseline.0,
            baseline.1,
            over.join("\n  ")
        );
    }
    Ok(())
}

/// The `stspi_*` functions the C header declares.
pub(crate) fn header_functions(header: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = header;
    while let Some(start) = rest.find("stspi_") {
        let tail = &rest[start..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let at_word_start =
            start == 0 || !rest[..start].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if at_word_start && tail[len..].trim_start().starts_with('(') {
            names.insert(tail[..len].to_owned());
        }
        rest = &tail[len..];
    }
    names
}

/// Fails unless the exported symbols are exactly the functions in `expected`.
pub(crate) fn check_exports(what: &str, info: &ElfInfo, expected: &BTreeSet<String>) -> Result<()> {
    let exported: BTreeSet<String> = info.exports.keys().cloned().collect();
    let extra: Vec<&String> = exported.difference(expected).collect();
    let missing: Vec<&String> = expected.difference(&exported).collect();
    let not_functions: Vec<&String> = info
        .exports
        .iter()
        .filter(|(name, is_func)| !**is_func && expected.contains(*name))
        .map(|(name, _)| name)
        .collect();
    if !extra.is_empty() || !missing.is_empty() || !not_functions.is_empty() {
        bail!(
            "{what} must export exactly the {} stspi_* functions of the header:\n  \
             exported but not expected: {extra:?}\n  expected but missing: {missing:?}\n  \
             exported but not functions: {not_functions:?}",
            expected.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_versions_order_numerically() {
        assert!(glibc_version("GLIBC_2.34") > glibc_version("GLIBC_2.4"));
        assert!(glibc_version("GLIBC_2.2.5") < glibc_version("GLIBC_2.17"));
        assert_eq!(glibc_version("GLIBC_PRIVATE"), None);
        assert_eq!(glibc_version("GCC_3.0"), None);
    }

    #[test]
    fn header_functions_are_the_called_names() {
        let header = "int stspi_init(int x);\ntypedef int stspi_handle_t;\n\
                      int  stspi_close_server (void);\n/* see stspi_init */";
        let names: Vec<String> = header_functions(header).into_iter().collect();
        assert_eq!(names, ["stspi_close_server", "stspi_init"]);
    }

    #[test]
    fn versions_above_the_baseline_fail() {
        let mut needs = BTreeMap::new();
        needs.insert(
            "GLIBC_2.34".to_owned(),
            BTreeSet::from(["pthread_create".to_owned()]),
        );
        needs.insert(
            "GLIBC_2.2.5".to_owned(),
            BTreeSet::from(["read".to_owned()]),
        );
        let info = ElfInfo {
            needs,
            exports: BTreeMap::new(),
            needed: Vec::new(),
            versioned_needs: BTreeSet::new(),
        };
        assert_eq!(info.max_glibc().map(|(v, _)| v), Some("GLIBC_2.34"));
        let err = check_glibc("lib", &info, (2, 17)).unwrap_err().to_string();
        assert!(err.contains("GLIBC_2.34: pthread_create"), "{err}");
        assert!(check_glibc("lib", &info, (2, 34)).is_ok());
    }
}
