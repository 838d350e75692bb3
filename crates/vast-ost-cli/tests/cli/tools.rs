//! bench, sweep and config check against vast-sim.

use crate::common;

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

#[test]
fn config_check_finds_the_file_in_the_plugins_order_and_shows_every_key() {
    let env = Env::start();
    let bare = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_vast-ost"));
        c.env_remove("VAST_OST_SERVER")
            .env_remove("VAST_OST_USER")
            .env_remove("VAST_OST_PASSWORD")
            .stdin(std::process::Stdio::null());
        c
    };
    // No --config: the file named by VAST_OST_CONFIG, as the plugin reads it.
    let out = bare()
        .env("VAST_OST_CONFIG", &env.config)
        .args(["--json", "config", "check"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], env.config.display().to_string());
    let section = v["servers"][env.server_name()].as_object().unwrap();
    let shown: Vec<&str> = section.keys().map(String::as_str).collect();
    let mut table: Vec<&str> = ost_core::config::keys::SERVER_KEYS
        .iter()
        .map(|k| k.name)
        .collect();
    table.sort_unstable();
    assert_eq!(shown, table, "config check shows every key of the table");
    assert_eq!(section["writer_lease_secs"], 600);
    let plugin = v["plugin"].as_object().unwrap();
    assert_eq!(plugin.len(), ost_core::config::keys::PLUGIN_KEYS.len());

    // --config comes first, before the environment.
    let other = env.path("other.toml");
    std::fs::write(&other, "[plugin]\nworker_threads = 7\n").unwrap();
    let out = bare()
        .env("VAST_OST_CONFIG", &env.config)
        .arg("--config")
        .arg(&other)
        .args(["--json", "config", "check"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], other.display().to_string());
    assert_eq!(v["plugin"]["worker_threads"], 7);

    // A file named by the environment that is missing is an error naming it.
    let out = bare()
        .env("VAST_OST_CONFIG", env.path("missing.toml"))
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

/// Makes every write into `bucket` fail as a full quota does.
fn fill_bucket(env: &Env, bucket: &str) {
    env.sim.faults().set(vast_sim::faults::FaultConfig {
        full_buckets: vec![bucket.to_owned()],
        ..vast_sim::faults::FaultConfig::default()
    });
}

fn pending_images(env: &Env, lsu: &str) -> serde_json::Value {
    env.sim.faults().clear();
    env.run(&["--json", "image", "list", lsu, "--pending"])
        .json()
}

#[test]
fn a_failed_backup_and_a_failed_bench_leave_no_image_behind() {
    let env = Env::start();
    assert_eq!(env.run(&["lsu", "create", "full-pool"]).code, 0);
    let src = env.path("src.bin");
    std::fs::write(&src, data(12 << 20, 9)).unwrap();
    fill_bucket(&env, "full-pool");
    let out = env.run(&["backup", "full-pool", "doomed", src.to_str().unwrap()]);
    out.assert_one_line_error();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let left = pending_images(&env, "full-pool");
    assert!(left.as_array().unwrap().is_empty(), "{left}");

    // bench --keep keeps the images it wrote, not the one whose write failed: the bucket
    // fills up once the bench image exists.
    let mut bench = env.command();
    bench
        .arg("--password-file")
        .arg(&env.password_file)
        .args(["bench", &env.server_name(), "full-pool", "--size", "64M"])
        .args(["--streams", "1", "--block", "1M", "--keep"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    env.sim.faults().set(vast_sim::faults::FaultConfig {
        s3: vast_sim::faults::FaceFaults {
            latency_ms: 50,
            ..Default::default()
        },
        ..Default::default()
    });
    let mut child = bench.spawn().unwrap();
    let objects = env.path("sim/s3/buckets/full-pool/objects");
    let created = (0..400).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(25));
        std::fs::read_dir(&objects).is_ok_and(|d| {
            d.filter_map(Result::ok).any(|e| {
                std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("vast-ost-bench"))
            })
        })
    });
    assert!(created, "the bench image was created");
    fill_bucket(&env, "full-pool");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let left = pending_images(&env, "full-pool");
    assert!(left.as_array().unwrap().is_empty(), "{left}");
}

#[test]
fn bandwidth_set_show_and_clear_change_what_the_plugin_processes_apply() {
    const MIB: u64 = 1 << 20;
    let env = Env::start();
    let out = env.run(&[
        "--json",
        "bandwidth",
        "set",
        "--write",
        "40",
        "--read-schedule",
        "00:00-24:00=10",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = out.json();
    assert_eq!(v["write_bytes_per_sec"], 40 * MIB, "{v}");
    assert_eq!(v["read_bytes_per_sec"], 10 * MIB, "{v}");
    let file = std::path::PathBuf::from(v["override_file"].as_str().unwrap());
    assert!(file.starts_with(env.state_dir()), "{}", file.display());
    // What a plugin process reads: the same values, checked the same way.
    let entries = ost_core::bandwidth::read_override(&file).unwrap();
    assert!(
        entries.contains(&("max_write_mib_s".to_owned(), "40".to_owned())),
        "{entries:?}"
    );

    // A later set changes one key and keeps the others; show reports it.
    assert_eq!(env.run(&["bandwidth", "set", "--write", "0"]).code, 0);
    let v = env.run(&["--json", "bandwidth", "show"]).json();
    assert_eq!(v["write_bytes_per_sec"], 0, "{v}");
    assert_eq!(v["read_bytes_per_sec"], 10 * MIB, "{v}");

    // A mistake is refused before anything is written, naming the key.
    let bad = env.run(&["bandwidth", "set", "--write-schedule", "08:00-25:00=1"]);
    bad.assert_one_line_error();
    assert!(bad.stderr.contains("write_schedule"), "{}", bad.stderr);
    assert!(ost_core::bandwidth::read_override(&file).is_ok());

    // Clear: the configuration's limits (none here) apply again.
    let v = env.run(&["--json", "bandwidth", "clear"]).json();
    assert_eq!(v["write_bytes_per_sec"], 0, "{v}");
    assert_eq!(v["read_bytes_per_sec"], 0, "{v}");
    assert!(!file.exists());
}

#[test]
fn lsu_show_prints_the_data_reduction_ratio_from_vast_figures() {
    let env = Env::start_with(|c| c.data_reduction = 2.5);
    assert_eq!(env.run(&["lsu", "create", "red-pool"]).code, 0);
    let v = env.run(&["--json", "lsu", "show", "red-pool"]).json();
    assert!(
        v["reduction_ratio"].is_null(),
        "empty LSU: no ratio yet {v}"
    );
    let out = env.run_with_stdin(&["backup", "red-pool", "img1", "-"], &data(4 << 20, 9));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = env.run(&["--json", "lsu", "show", "red-pool"]).json();
    let ratio = v["reduction_ratio"].as_f64().unwrap();
    assert!((ratio - 2.5).abs() < 0.01, "{v}");
    assert!(v["used_physical"].as_u64().unwrap() < v["used"].as_u64().unwrap());
    let text = env.run(&["lsu", "show", "red-pool"]).stdout;
    assert!(text.contains("2.5:1"), "{text}");
}
