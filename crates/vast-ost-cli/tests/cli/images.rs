//! LSU and image commands, backup and restore, against vast-sim.

use crate::common;

use common::{data, Env};

#[test]
fn lsu_create_list_show_label() {
    let env = Env::start();
    let out = env.run(&["lsu", "create", "cli-pool"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("LSU cli-pool ready"));

    let out = env.run(&["lsu", "label", "cli-pool", "weekly fulls"]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    let out = env.run(&["lsu", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let header = out.stdout.lines().next().unwrap();
    assert!(
        header.starts_with("LSU") && header.contains("LABEL"),
        "{header}"
    );
    assert!(out.stdout.contains("cli-pool"), "{}", out.stdout);
    assert!(out.stdout.contains("weekly fulls"), "{}", out.stdout);

    let v = env.run(&["--json", "lsu", "show", "cli-pool"]).json();
    assert_eq!(v["name"], "cli-pool");
    assert_eq!(v["label"], "weekly fulls");
    assert!(v["capacity"].as_u64().unwrap() > 0, "{v}");

    let v = env.run(&["--json", "lsu", "list"]).json();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"cli-pool"), "{names:?}");

    let out = env.run(&["lsu", "show", "no-such-lsu"]);
    out.assert_one_line_error();
    assert!(out.stderr.contains("no-such-lsu"), "{}", out.stderr);
}

#[test]
fn backup_list_show_verify_restore_delete() {
    let env = Env::start();
    assert_eq!(env.run(&["lsu", "create", "cli-pool"]).code, 0);
    // 12 MiB + a bit: more than one 10 MiB segment and several 5 MiB parts.
    let bytes = data((12 << 20) + 12_345, 7);
    let src = env.path("src.bin");
    std::fs::write(&src, &bytes).unwrap();
    let image = "client1_1732536000@20261125120000";

    let out = env.run(&["backup", "cli-pool", image, src.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected_crc = format!("crc32c:{:08x}", crc32c::crc32c(&bytes));
    assert!(out.stdout.contains(&expected_crc), "{}", out.stdout);

    // The same image again is refused with a hint.
    let out = env.run(&["backup", "cli-pool", image, src.to_str().unwrap()]);
    out.assert_one_line_error();
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert!(out.stderr.contains("try:"), "{}", out.stderr);

    let out = env.run(&["image", "list", "cli-pool"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("client1_1732536000"), "{}", out.stdout);
    assert!(
        out.stdout.contains("2026-11-25T12:00:00Z"),
        "{}",
        out.stdout
    );

    let v = env
        .run(&["--json", "image", "list", "cli-pool", "--prefix", "client1"])
        .json();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["size"], bytes.len() as u64);
    assert_eq!(v[0]["state"], "complete");
    let v = env
        .run(&["--json", "image", "list", "cli-pool", "--prefix", "other"])
        .json();
    assert!(v.as_array().unwrap().is_empty());

    // The name alone finds the only image of that name.
    let v = env
        .run(&["--json", "image", "show", "cli-pool", "client1_1732536000"])
        .json();
    assert_eq!(v["state"], "complete");
    assert_eq!(v["size"], bytes.len() as u64);
    assert_eq!(v["checksum"], expected_crc);
    assert_eq!(v["segments"], 2);

    let out = env.run(&["image", "verify", "cli-pool", image]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("ok"), "{}", out.stdout);
    let v = env
        .run(&["--json", "image", "verify", "cli-pool", image])
        .json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["bytes_read"], bytes.len() as u64);

    let dst = env.path("restored.bin");
    let out = env.run(&["restore", "cli-pool", image, dst.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(std::fs::read(&dst).unwrap(), bytes);

    // To stdout: the data on stdout, the summary on stderr.
    let out = env.run(&["restore", "cli-pool", image, "-"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("restored"), "{}", out.stderr);

    let out = env.run(&["image", "delete", "cli-pool", image]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = env
        .run(&["--json", "image", "list", "cli-pool", "--pending"])
        .json();
    assert!(v.as_array().unwrap().is_empty(), "{v}");

    let out = env.run(&["image", "show", "cli-pool", "client1_1732536000"]);
    out.assert_one_line_error();
    assert!(
        out.stderr.contains("no image of that name"),
        "{}",
        out.stderr
    );
}

#[test]
fn restore_to_stdout_is_byte_exact_and_backup_reads_stdin() {
    let env = Env::start();
    assert_eq!(env.run(&["lsu", "create", "cli-pool"]).code, 0);
    let bytes = data(3 << 20, 11);
    let out = env.run_with_stdin(
        &["--json", "backup", "cli-pool", "piped@20261125130000", "-"],
        &bytes,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["bytes"], bytes.len() as u64);

    let o = env
        .command()
        .arg("--password-file")
        .arg(&env.password_file)
        .args(["restore", "cli-pool", "piped", "-"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, bytes);
}

#[test]
fn verify_detects_a_damaged_image() {
    let env = Env::start();
    assert_eq!(env.run(&["lsu", "create", "cli-pool"]).code, 0);
    let bytes = data(1 << 20, 3);
    let src = env.path("src.bin");
    std::fs::write(&src, &bytes).unwrap();
    let image = "damaged@20261125140000";
    assert_eq!(
        env.run(&["backup", "cli-pool", image, src.to_str().unwrap()])
            .code,
        0
    );

    // Overwrite the stored data segment behind the plugin's back (same size, other bytes).
    let (p, server) = env.plugin();
    let lsu = ost_core::LsuName::new("cli-pool").unwrap();
    let id: ost_core::ImageId = ost_core::ImageDef::new(
        "damaged".parse().unwrap(),
        "20261125140000".parse().unwrap(),
    )
    .id();
    let d = p.image_descriptor(server, &lsu, &id).unwrap();
    assert_eq!(d.byte_size, bytes.len() as u64);
    let segment = env.sim_object_path("cli-pool", &ost_model::image_key::data_prefix(&id));
    let mut stored = std::fs::read(&segment).unwrap();
    stored[100] ^= 0xff;
    std::fs::write(&segment, &stored).unwrap();

    let out = env.run(&["image", "verify", "cli-pool", image]);
    out.assert_one_line_error();
    assert!(out.stderr.contains("checksum mismatch"), "{}", out.stderr);
}
