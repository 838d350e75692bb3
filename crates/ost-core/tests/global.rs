//! The process-wide plugin, configured from the file named by `VAST_OST_CONFIG` (its own test
//! binary: it sets an environment variable).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "core/common/mod.rs"]
mod common;

use common::*;
use ost_core::{CloseFlags, CreateFlags, OstError, Plugin};

#[test]
fn init_global_reads_the_configured_file_and_sweeps_on_open() {
    let env = Env::start();
    // A crashed writer leaves a pending image behind.
    let crashed = env.plugin();
    let s = env.open(&crashed);
    let h = crashed
        .create_image(
            s,
            &default_lsu(),
            &image("left_behind"),
            CreateFlags::empty(),
        )
        .unwrap();
    crashed.write_image(h, 0, &data(6 * MIB, 1)).unwrap();
    crashed.terminate();
    drop(crashed);

    let (user, password) = env.sim.admin_credentials();
    let file = env.dir.path().join("vast-ost.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[plugin]
state_dir = "{state}"
worker_threads = 2
log_level = "warn"

[servers."{name}"]
vms_url = "{vms}"
s3_url = "{s3}"
username = "{user}"
password = "{password}"
part_size = 5242880
segment_size = 10485760
orphan_age_secs = 0
sweep_on_open = true
"#,
            state = env.state_dir().display(),
            name = env.server_name(),
            vms = env.sim.vms_url(),
            s3 = env.sim.s3_url(),
        ),
    )
    .unwrap();
    assert!(matches!(Plugin::global(), Err(OstError::Internal { .. })));
    // Edition 2021 (set_var is safe) and this binary holds a single test.
    std::env::set_var(ost_core::CONFIG_ENV, &file);
    let p = Plugin::init_global().unwrap();
    assert!(std::sync::Arc::ptr_eq(&p, &Plugin::init_global().unwrap()));
    assert_eq!(p.config().plugin.worker_threads, 2);
    let s = p.open_server(&env.server_name(), None).unwrap();
    // The background sweep at open removes the orphan.
    let mut gone = false;
    for _ in 0..100 {
        if p.image_props_by_name(s, &default_lsu(), &id("left_behind"))
            .is_err()
            && env
                .s3_keys(default_lsu().as_str(), "netbackup/left_behind/")
                .is_empty()
        {
            gone = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(gone, "the sweep at open removed the orphan");
    let h = p
        .create_image(s, &default_lsu(), &image("after"), CreateFlags::empty())
        .unwrap();
    p.close_image(h, CloseFlags::IH_COMPLETE).unwrap();
    Plugin::terminate_global();
    assert!(Plugin::global().is_err());
    assert!(p.server_props(s).is_err(), "terminated");
}
