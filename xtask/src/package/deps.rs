//! The packages' dependencies, derived from what the shipped ELF files need (crate::elf_check),
//! the way rpmbuild's and dpkg-shlibdeps' automatic dependencies would be.

use std::collections::BTreeSet;

use anyhow::{bail, Result};

use crate::elf_check::{glibc_version, ElfInfo};

/// Sonames that glibc itself provides (rpm package `glibc`, deb package `libc6`).
const GLIBC_SONAMES: [&str; 8] = [
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "ld-linux-x86-64.so.2",
];
/// GCC's unwinder, which Rust's panic unwinding links (rpm `libgcc`, deb `libgcc-s1`, older
/// `libgcc1`).
const LIBGCC: &str = "libgcc_s.so.1";

/// rpm requirements in rpmbuild's spelling for x86_64: `libc.so.6()(64bit)` for each needed
/// library and `libc.so.6(GLIBC_2.14)(64bit)` for each symbol version, which the `glibc` and
/// `libgcc` packages provide.
pub(crate) fn rpm_requires(files: &[&ElfInfo]) -> Vec<String> {
    let mut requires = BTreeSet::new();
    for info in files {
        for lib in &info.needed {
            requires.insert(format!("{lib}()(64bit)"));
        }
        for (lib, version) in &info.versioned_needs {
            requires.insert(format!("{lib}({version})(64bit)"));
        }
    }
    requires.into_iter().collect()
}

/// The deb `Depends:` field: `libc6 (>= <newest glibc version needed>)`, plus libgcc when the
/// unwinder is needed. Fails on a library no rule here covers, so it cannot be forgotten.
pub(crate) fn deb_depends(files: &[&ElfInfo]) -> Result<String> {
    let mut newest: Option<Vec<u32>> = None;
    let mut libgcc = false;
    for info in files {
        for lib in &info.needed {
            if lib == LIBGCC {
                libgcc = true;
            } else if !GLIBC_SONAMES.contains(&lib.as_str()) {
                bail!("no package dependency is known for the library {lib}");
            }
        }
        for (_, version) in &info.versioned_needs {
            if let Some(v) = glibc_version(version) {
                if newest.as_ref().is_none_or(|n| v > *n) {
                    newest = Some(v);
                }
            }
        }
    }
    let mut depends = match newest {
        Some(v) => {
            let v: Vec<String> = v.iter().map(u32::to_string).collect();
            format!("libc6 (>= {})", v.join("."))
        }
        None => "libc6".to_owned(),
    };
    if libgcc {
        depends.push_str(", libgcc-s1 | libgcc1");
    }
    Ok(depends)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn info(needed: &[&str], versioned: &[(&str, &str)]) -> ElfInfo {
        ElfInfo {
            needs: BTreeMap::new(),
            exports: BTreeMap::new(),
            needed: needed.iter().map(|s| (*s).to_owned()).collect(),
            versioned_needs: versioned
                .iter()
                .map(|(l, v)| ((*l).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn dependencies_follow_the_elf_needs() {
        let lib = info(
            &["libc.so.6", "libgcc_s.so.1"],
            &[
                ("libc.so.6", "GLIBC_2.2.5"),
                ("libc.so.6", "GLIBC_2.17"),
                ("libgcc_s.so.1", "GCC_3.0"),
            ],
        );
        let tool = info(&["libc.so.6"], &[("libc.so.6", "GLIBC_2.14")]);
        assert_eq!(
            deb_depends(&[&lib, &tool]).ok().as_deref(),
            Some("libc6 (>= 2.17), libgcc-s1 | libgcc1")
        );
        let rpm = rpm_requires(&[&lib, &tool]);
        assert!(rpm.contains(&"libc.so.6(GLIBC_2.17)(64bit)".to_owned()));
        assert!(rpm.contains(&"libgcc_s.so.1(GCC_3.0)(64bit)".to_owned()));
        assert!(rpm.contains(&"libc.so.6()(64bit)".to_owned()));
        assert!(deb_depends(&[&info(&["libssl.so.3"], &[])]).is_err());
    }
}
