//! WORM LSUs from the administrator's side: `lsu create --worm`, `lsu show`, `image show` /
//! `image list` with the lock date, a locked delete refused, and `image delete
//! --bypass-governance` (refused in compliance mode, and without confirmation).

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns, as in the tests themselves

use crate::common;

use common::{data, Env, Run};

/// `vast-ost lsu create LSU --worm --mode MODE --retention RETENTION`.
fn create_worm(env: &Env, lsu: &str, mode: &str, retention: &str) -> Run {
    env.run(&[
        "lsu",
        "create",
        lsu,
        "--worm",
        "--mode",
        mode,
        "--retention",
        retention,
    ])
}

/// How many images `vast-ost image list LSU [--pending]` shows.
fn image_count(env: &Env, lsu: &str, pending: bool) -> usize {
    let mut args = vec!["--json", "image", "list", lsu];
    if pending {
        args.push("--pending");
    }
    env.run(&args).json().as_array().unwrap().len()
}

fn backup(env: &Env, lsu: &str, image: &str) {
    let file = env.path(&format!("{image}.bin"));
    std::fs::write(&file, data(3 << 20, 7)).unwrap();
    let out = env.run(&["backup", lsu, image, file.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn worm_lsus_lock_images_and_only_the_governance_bypass_deletes_early() {
    let env = Env::start();
    // Usage errors: --worm needs a mode and a retention that parse.
    assert_eq!(env.run(&["lsu", "create", "gov-pool", "--worm"]).code, 2);
    let bad = create_worm(&env, "gov-pool", "governance", "3m");
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("ambiguous"), "{}", bad.stderr);

    let out = create_worm(&env, "gov-pool", "governance", "1h");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("governance mode"), "{}", out.stdout);
    let show = env.run(&["--json", "lsu", "show", "gov-pool"]).json();
    assert_eq!(show["worm"]["mode"], "governance", "{show}");
    assert_eq!(show["worm"]["retention_secs"], 3600, "{show}");
    // The retention is never shortened.
    let shorter = create_worm(&env, "gov-pool", "governance", "1s");
    assert_ne!(shorter.code, 0, "{}", shorter.stdout);

    backup(&env, "gov-pool", "locked1@20261125100000");
    let shown = env
        .run(&["--json", "image", "show", "gov-pool", "locked1"])
        .json();
    let until = shown["retain_until"].as_str().unwrap().to_owned();
    let listed = env.run(&["--json", "image", "list", "gov-pool"]).json();
    assert_eq!(listed[0]["retain_until"], until.as_str(), "{listed}");

    // A plain delete is refused with the date; the bypass without a terminal needs --yes.
    let refused = env.run(&["image", "delete", "gov-pool", "locked1"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains(&until), "{}", refused.stderr);
    let unconfirmed = env.run(&[
        "image",
        "delete",
        "gov-pool",
        "locked1",
        "--bypass-governance",
    ]);
    assert_ne!(unconfirmed.code, 0);
    assert!(
        unconfirmed.stderr.contains("--yes"),
        "{}",
        unconfirmed.stderr
    );
    assert_eq!(image_count(&env, "gov-pool", false), 1);
    let bypass = env.run(&[
        "image",
        "delete",
        "gov-pool",
        "locked1",
        "--bypass-governance",
        "--yes",
    ]);
    assert_eq!(bypass.code, 0, "{}", bypass.stderr);
    assert_eq!(image_count(&env, "gov-pool", true), 0);

    // Compliance: the bypass is refused and the image stays.
    let out = create_worm(&env, "comp-pool", "compliance", "1h");
    assert_eq!(out.code, 0, "{}", out.stderr);
    backup(&env, "comp-pool", "locked2@20261125100000");
    let refused = env.run(&[
        "image",
        "delete",
        "comp-pool",
        "locked2",
        "--bypass-governance",
        "--yes",
    ]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("compliance"), "{}", refused.stderr);
    assert_eq!(image_count(&env, "comp-pool", false), 1);
}
