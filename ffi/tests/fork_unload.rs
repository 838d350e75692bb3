//! Fork and unload (issue 21), from C through `dlopen` against vast-sim: a child forked after
//! `stspi_open_server` works on the parent's server handle with a runtime of its own while the
//! parent carries on; `stspi_terminate` + `dlclose` leave no thread behind and the library loads
//! again. The program is `tests/c/fork_unload.c`; what it checks is in its header.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::{compile_c, library, stdout, DataPath, Env};

/// The `THREADS <when> <count>` line of the program's output.
fn threads(text: &str, when: &str) -> usize {
    let prefix = format!("THREADS {when} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_forked_child_works_on_the_parents_handles_and_unload_leaves_no_thread() {
    let env = Env::start(DataPath::S3);
    let program = compile_c(env.dir.path(), "tests/c/fork_unload.c", "fork_unload");
    let (user, password) = env.sim.admin_credentials();
    let out = Command::new(&program)
        .arg(library())
        .arg(env.server_name())
        .arg((6u64 << 20).to_string())
        .env("VAST_OST_CONFIG", &env.config)
        .env("VAST_OST_USER", user)
        .env("VAST_OST_PASSWORD", password)
        .output()
        .unwrap();
    let text = stdout(&out);
    println!("{text}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "fork_unload failed ({}):\n{text}\nplugin log:\n{}",
        out.status,
        env.log_text()
    );
    assert!(text.contains("fork_unload: all steps passed"), "{text}");

    // The child used the parent's server handle, restored the parent's image, was refused the
    // parent's write handle, backed up and restored its own image, and exited 0.
    assert!(text.contains("CHILD_EXIT 0"), "{text}");
    for line in [
        "child: stspi_open_lsu_list_v11 on the parent's server handle",
        "child: restore fu-parent: 6291456 bytes verified",
        "child: the parent's write handle is refused",
        "child: restore fu-child: 6291456 bytes verified",
        "parent: restore fu-parent: 6291456 bytes verified",
        "parent: restore fu-open: 6291456 bytes verified",
        "parent: restore fu-child: 6291456 bytes verified",
        "reload: restore fu-reload: 1048576 bytes verified",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }

    // Unload: the thread count is back where it was before dlopen, after terminate + dlclose,
    // two seconds later, and after a second load / unload cycle.
    let before = threads(&text, "before-dlopen");
    assert!(threads(&text, "before-fork") > before, "{text}");
    assert_eq!(threads(&text, "after-dlclose"), before, "{text}");
    assert_eq!(threads(&text, "after-2s"), before, "{text}");
    assert_eq!(threads(&text, "after-reload"), before, "{text}");

    // The child logged in on its own: the parent's session was never logged out by it, and
    // nothing of the parent's open image was aborted (the parent finished it: restored above).
    let log = env.log_text();
    assert!(!log.contains("panicked"), "{log}");
}
