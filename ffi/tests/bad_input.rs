//! The driver's bad-input mode: NULL pointers, forged and stale handles, over-long and
//! unterminated names, double closes, calls before init and after terminate. Every call
//! returns the documented status code and the process does not crash; failures are logged
//! naming the call, server, LSU and image.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{stdout, DataPath, Env};

#[test]
fn bad_input_sees_only_documented_codes() {
    let env = Env::start(DataPath::S3);
    let out = env.run(&["bad"]);
    let text = stdout(&out);
    assert!(out.status.success(), "driver failed:\n{text}");
    assert!(text.contains("checks passed, no crash"), "{text}");
    let checks: usize = text
        .lines()
        .filter(|l| l.trim_start().starts_with("ok "))
        .count();
    assert!(checks >= 60, "only {checks} checks ran");
    // Every code the driver saw is 0 or in the OST table.
    for line in text.lines().filter(|l| l.trim_start().starts_with("ok ")) {
        let code: i32 = line.rsplit("-> ").next().unwrap().trim().parse().unwrap();
        assert!(
            code == 0 || ost_model::OstStatus::from_code(code).is_some(),
            "undocumented code in: {line}"
        );
    }
    let log = env.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("stspi_delete_image_v10 failed")
                && l.contains("bad_input_1700000000_C1_F1")
                && l.contains("netbackup-pool-01")
                && l.contains(&env.server_name())),
        "no log line naming server, LSU and image:\n{log}"
    );
    assert!(
        !log.contains("wrong-password"),
        "a password reached the log"
    );
}
