//! Reliability: a media server process killed mid-backup (SIGKILL) and two media servers
//! creating the same image at once, through the built C library. See docs/reliability.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rel::*;
use common::{DataPath, Env, Options};

#[test]
fn sigkill_mid_backup_then_sweep_removes_it_and_the_name_is_reusable() {
    // Writers refresh their descriptor every orphan_age/4 = 1 s; a dead one stops doing so.
    // The sweep at open runs once per LSU per interval: 1 s here, so a later open sweeps again.
    let env = Env::start_with(
        Options::new(DataPath::S3)
            .server_key("orphan_age_secs", 4)
            .server_key("sweep_on_open", true)
            .server_key("sweep_interval_secs", 1),
    );
    let size = 64 * MIB;
    let mut d = env.spawn_rel(
        &[
            "backup",
            "killed",
            &size.to_string(),
            "21",
            &(24 * MIB).to_string(),
        ],
        &[],
    );
    d.wait_for("PAUSED");
    d.kill();
    let keys = env.image_keys("killed");
    let uploads = env.image_uploads("killed");
    println!(
        "  left by the dead process: {} objects {keys:?}, {uploads} multipart uploads",
        keys.len()
    );
    assert!(keys.contains(&Env::descriptor_key("killed")), "{keys:?}");
    assert!(uploads >= 1, "no open upload after a kill at 24 MiB");

    // A restarted process (sweep at open; the descriptor is younger than orphan_age yet).
    let t = text(&env.rel(&["state", "killed"]));
    let (state, _, _, listed_complete) = state_of(&t);
    assert_eq!(listed_complete, 0, "{t}");
    assert_ne!(state, "complete", "{t}");
    println!("CHECKED after restart: {state}, not listed complete");

    // Once older than orphan_age, the sweep of the next open removes everything.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let out = env.rel(&["wait-gone", "killed", "60"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        !t.contains("SEEN_COMPLETE") && !t.contains("LISTED_COMPLETE_AFTER_RESTART"),
        "{t}"
    );
    let keys = env.image_keys("killed");
    let uploads = env.image_uploads("killed");
    assert!(keys.is_empty(), "left after the sweep: {keys:?}");
    assert_eq!(uploads, 0);
    println!("CHECKED the orphan sweep removed descriptor, segments and uploads: 0 objects, 0 uploads left");

    let out = env.rel(&["backup", "killed", &size.to_string(), "22"]);
    let t = text(&out);
    assert!(out.status.success() && t.contains("BACKUP_COMPLETE"), "{t}");
    let verified = assert_restores(&env, "killed", size, 22);
    println!("CHECKED a new backup of the same name: complete, {verified} bytes verified");
}

#[test]
fn two_processes_creating_the_same_image_exactly_one_wins() {
    let env = Env::start(DataPath::S3);
    // Open once so both racers reuse the stored S3 key instead of racing to create one.
    assert!(env.rel(&["state", "warmup"]).status.success());
    for round in 0..3 {
        let name = format!("contested{round}");
        let mut a = env.spawn_rel(&["race", &name, "31"], &[]);
        let mut b = env.spawn_rel(&["race", &name, "32"], &[]);
        a.wait_for("READY");
        b.wait_for("READY");
        println!("INJECT round {round}: two processes create {name} at the same moment");
        a.resume();
        b.resume();
        let (ca, oa) = a.finish();
        let (cb, ob) = b.finish();
        assert_eq!((ca, cb), (Some(0), Some(0)), "{oa}\n{ob}");
        let won: Vec<u64> = [&oa, &ob]
            .iter()
            .filter_map(|o| result_line(o, "WON ").map(|w| w[0].parse().unwrap()))
            .collect();
        let lost: Vec<i32> = [&oa, &ob]
            .iter()
            .filter_map(|o| result_line(o, "LOST ").map(|w| w[0].parse().unwrap()))
            .collect();
        assert_eq!(won.len(), 1, "winners: {won:?}\n{oa}\n{ob}");
        assert_eq!(lost.len(), 1, "{oa}\n{ob}");
        assert!(
            lost[0] == EEXIST || lost[0] == EBUSY,
            "loser got {}",
            lost[0]
        );
        let verified = assert_restores(&env, &name, 8 * MIB, won[0]);
        println!(
            "CHECKED round {round}: exactly one winner (stream {}), the other got {}; the image \
             holds the winner's {verified} bytes",
            won[0], lost[0]
        );
    }
}
