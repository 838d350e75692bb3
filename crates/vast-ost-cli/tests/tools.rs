//! bench, sweep and config check against vast-sim.

mod common;

use common::{data, Env};
use ost_core::{CloseFlags, CreateFlags, ImageDef, LsuName};

#[test]
fn bench_reports_throughput_latency_cpu_and_memory_and_cleans_up() {
    let env = Env::start();
    assert_eq!(env.run(&["lsu", "create", "bench-pool"]).code, 0);
    let server = env.server_name();
    let out = env.run(&[
        "--json",
        "bench",
        &server,
        "bench-pool",
        "--size",
        "6M",
        "--streams",
        "2",
        "--block",
        "1M",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    for phase in ["write", "read"] {
        assert_eq!(v[phase]["bytes"], 12u64 << 20, "{v}");
        assert_eq!(v[phase]["calls"], 12, "{v}");
        assert!(v[phase]["bytes_per_sec"].as_f64().unwrap() > 0.0);
        let l = &v[phase]["latency_ms"];
        assert!(
            l["p50"].as_f64().unwrap() <= l["p99"].as_f64().unwrap(),
            "{l}"
        );
        assert!(
            l["p99"].as_f64().unwrap() <= l["max"].as_f64().unwrap(),
            "{l}"
        );
    }
    assert!(v["peak_rss_bytes"].as_u64().unwrap() > 0);
    assert!(v["cpu"]["percent_of_one_core"].as_f64().unwrap() >= 0.0);
    // The bench images are gone.
    let left = env
        .run(&["--json", "image", "list", "bench-pool", "--pending"])
        .json();
    assert!(left.as_array().unwrap().is_empty(), "{left}");

    // Human output is a table with both phases.
    let out = env.run(&[
        "bench",
        &server,
        "bench-pool",
        "--size",
        "1M",
        "--streams",
        "1",
        "--keep",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("THROUGHPUT"), "{}", out.stdout);
    assert!(out.stdout.contains("client CPU"), "{}", out.stdout);
    let kept = env.run(&["--json", "image", "list", "bench-pool"]).json();
    assert_eq!(kept.as_array().unwrap().len(), 1, "--keep keeps the image");
}

#[test]
fn sweep_dry_run_then_real_removes_a_pending_image() {
    let env = Env::start();
    assert_eq!(env.run(&["lsu", "create", "sweep-pool"]).code, 0);
    // A pending image: written, then closed without completing (a crashed or checkpointed job).
    let (p, server) = env.plugin();
    let lsu = LsuName::new("sweep-pool").unwrap();
    let def = ImageDef::new("orphan".parse().unwrap(), "20261125100000".parse().unwrap());
    let h = p
        .create_image(server, &lsu, &def, CreateFlags::empty())
        .unwrap();
    p.write_image(h, 0, &data(1 << 20, 5)).unwrap();
    p.close_image(h, CloseFlags::empty()).unwrap();
    p.terminate();

    // Younger than a day: nothing to do.
    let v = env.run(&["--json", "sweep", "sweep-pool"]).json();
    assert!(v["images"].as_array().unwrap().is_empty(), "{v}");

    let v = env
        .run(&[
            "--json",
            "sweep",
            "sweep-pool",
            "--older-than",
            "0s",
            "--dry-run",
        ])
        .json();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["images"][0], "orphan@20261125100000", "{v}");
    let listed = env
        .run(&["--json", "image", "list", "sweep-pool", "--pending"])
        .json();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "a dry run removes nothing"
    );

    let out = env.run(&["sweep", "sweep-pool", "--older-than", "0s"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("removed 1 pending image"),
        "{}",
        out.stdout
    );
    let listed = env
        .run(&["--json", "image", "list", "sweep-pool", "--pending"])
        .json();
    assert!(listed.as_array().unwrap().is_empty(), "{listed}");

    let out = env.run(&["sweep", "sweep-pool", "--older-than", "soon"]);
    out.assert_one_line_error();
    assert_eq!(out.code, 2);
}

#[test]
fn config_check_prints_effective_values_and_names_bad_keys() {
    let env = Env::start();
    let out = env.run(&["config", "check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("valid"), "{}", out.stdout);
    assert!(out.stdout.contains(&env.server_name()), "{}", out.stdout);
    assert!(out.stdout.contains("tenant"), "defaults are shown");
    assert!(out.stdout.contains("netbackup-pool-01"), "{}", out.stdout);

    let with_password = env.path("pw.toml");
    std::fs::write(
        &with_password,
        "[servers.\"vast://vms.example.com\"]\nusername = \"nbu\"\npassword = \"hunter2\"\ntenant = \"nbu\"\n",
    )
    .unwrap();
    let out = env.run(&["--json", "config", "check", with_password.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    let s = &v["servers"]["vast://vms.example.com"];
    assert_eq!(s["tenant"], "nbu");
    assert_eq!(s["vms_url"], "https://vms.example.com");
    assert_eq!(s["password"], "(set)");
    assert!(
        !out.stdout.contains("hunter2"),
        "the password is never printed"
    );

    let bad = env.path("bad.toml");
    std::fs::write(&bad, "[plugin]\nlog_levle = \"debug\"\n").unwrap();
    let out = env.run(&["config", "check", bad.to_str().unwrap()]);
    out.assert_one_line_error();
    assert!(out.stderr.contains("log_levle"), "{}", out.stderr);
}

#[test]
fn missing_password_without_a_terminal_is_a_clear_error() {
    let env = Env::start();
    let out = env
        .command()
        .args(["--user", "admin", "lsu", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--password-file"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
