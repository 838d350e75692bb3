//! The machine's load over a bench run: `/proc/loadavg` read at the start, every few seconds
//! by a background thread, and at the end, so the report says how busy the machine was.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the 1-minute load average is sampled.
const EVERY: Duration = Duration::from_secs(2);

/// The running sampler; [`Sampler::finish`] stops it and describes what it saw.
pub(crate) struct Sampler {
    start: String,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<f64>>,
}

/// `/proc/loadavg`'s three load averages, as written there.
fn averages() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The 1-minute load average (None when unreadable).
fn one_minute() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl Sampler {
    /// Reads the load now and starts sampling.
    pub(crate) fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        // The first sample is taken here, so even a run shorter than a period has one.
        let mut seen: Vec<f64> = one_minute().into_iter().collect();
        let thread = std::thread::spawn(move || {
            loop {
                // Sleep in short steps so `finish` does not wait a whole period.
                for _ in 0..20 {
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    std::thread::sleep(EVERY / 20);
                }
                if flag.load(Ordering::Relaxed) {
                    break;
                }
                seen.extend(one_minute());
            }
            seen
        });
        Sampler {
            start: averages(),
            stop,
            thread,
        }
    }

    /// Stops sampling; the report's line: start and end averages, and the 1-minute range.
    pub(crate) fn finish(self) -> String {
        self.stop.store(true, Ordering::Relaxed);
        let seen = self.thread.join().unwrap_or_default();
        describe(&self.start, &averages(), &seen)
    }
}

fn describe(start: &str, end: &str, seen: &[f64]) -> String {
    let range = if seen.is_empty() {
        "not sampled".to_owned()
    } else {
        let lo = seen.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = seen.iter().copied().fold(0.0, f64::max);
        format!(
            "{lo:.2} – {hi:.2} ({} samples, every {} s)",
            seen.len(),
            EVERY.as_secs()
        )
    };
    format!(
        "load average (1 / 5 / 15 min) {start} at the start, {end} at the end; 1-minute load \
         during the run {range}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_holds_start_end_and_range() {
        let line = describe(
            "1.00 / 2.00 / 3.00",
            "4.00 / 2.50 / 3.00",
            &[1.5, 4.25, 2.0],
        );
        assert!(line.contains("1.00 / 2.00 / 3.00 at the start"));
        assert!(line.contains("4.00 / 2.50 / 3.00 at the end"));
        assert!(line.contains("1.50 – 4.25 (3 samples"));
        assert!(describe("a", "b", &[]).contains("not sampled"));
    }

    #[test]
    fn the_sampler_reads_this_machine() {
        let line = Sampler::start().finish();
        if std::path::Path::new("/proc/loadavg").exists() {
            assert!(!line.contains("not sampled"), "{line}");
        }
    }
}
