//! This process's CPU time and peak memory, from `/proc` (Linux; zeros elsewhere).

use std::time::Duration;

/// Clock ticks per second of `/proc/self/stat` times (USER_HZ, 100 on every Linux ABI).
const TICKS_PER_SEC: u64 = 100;

/// CPU time used so far: (user, system).
pub(crate) fn cpu_times() -> (Duration, Duration) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (Duration::ZERO, Duration::ZERO);
    };
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime is field 14, stime field 15: indexes 11 and 12 after the state field (3).
    let to = |t: u64| Duration::from_millis(t * 1000 / TICKS_PER_SEC);
    (to(ticks(11)), to(ticks(12)))
}

/// Peak resident memory of the process in bytes (`VmHWM`).
pub(crate) fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        let (user, sys) = cpu_times();
        assert!(user + sys >= Duration::ZERO);
        assert!(peak_rss() > 0);
    }
}
