//! Rows of results and their three renderings: a markdown table, a JSON document and an SVG bar
//! chart of throughput per tool (hand-written SVG: a chart of bars needs no plotting crate).

use std::fmt::Write as _;

use serde_json::json;

use super::measure::Sample;
use super::targets::Target;

const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * MIB;

/// How the clients reach vast-sim. HTTPS, the production path, comes first in every table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scheme {
    /// vast-sim with `--tls`; every client trusts its generated certificate.
    Https,
    /// Plain HTTP.
    Http,
}

impl Scheme {
    /// Both, headline first.
    pub(crate) const ALL: [Scheme; 2] = [Scheme::Https, Scheme::Http];

    /// Column label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Scheme::Https => "HTTPS",
            Scheme::Http => "HTTP",
        }
    }
}

/// Order of the groups in the tables.
const GROUPS: [&str; 5] = [
    "backup",
    "restore",
    "restore (streamed)",
    "ceiling",
    "concurrency",
];

/// One measured row: the same transfer repeated.
pub(crate) struct Row {
    /// HTTPS or HTTP.
    pub(crate) scheme: Scheme,
    /// `backup`, `restore`, `concurrency` or `ceiling`.
    pub(crate) group: &'static str,
    /// Who moved the bytes (`plugin 1 MiB calls`, `s5cmd`, ...).
    pub(crate) client: String,
    /// Settings, for the reader.
    pub(crate) settings: String,
    /// Bytes moved per run.
    pub(crate) bytes: u64,
    /// One sample per run.
    pub(crate) samples: Vec<Sample>,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

impl Row {
    /// Median throughput, MiB/s.
    pub(crate) fn mib_s(&self) -> f64 {
        median(
            self.samples
                .iter()
                .map(|s| self.bytes as f64 / MIB / s.wall.max(1e-9))
                .collect(),
        )
    }
    /// Median client CPU seconds per GiB.
    pub(crate) fn cpu_per_gib(&self) -> f64 {
        median(
            self.samples
                .iter()
                .map(|s| s.cpu / (self.bytes as f64 / GIB))
                .collect(),
        )
    }
    /// Median server CPU seconds per GiB.
    pub(crate) fn server_cpu_per_gib(&self) -> f64 {
        median(
            self.samples
                .iter()
                .map(|s| s.server_cpu / (self.bytes as f64 / GIB))
                .collect(),
        )
    }
    /// Largest peak RSS over the runs, MiB.
    pub(crate) fn peak_rss_mib(&self) -> f64 {
        self.samples
            .iter()
            .map(|s| s.max_rss_kib as f64 / 1024.0)
            .fold(0.0, f64::max)
    }
    /// Slowest and fastest run, MiB/s.
    pub(crate) fn range(&self) -> (f64, f64) {
        let v: Vec<f64> = self
            .samples
            .iter()
            .map(|s| self.bytes as f64 / MIB / s.wall.max(1e-9))
            .collect();
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(0.0, f64::max),
        )
    }
}

/// The listing / small-image measurement of one client on one scheme.
pub(crate) struct SmallRow {
    /// HTTPS or HTTP.
    pub(crate) scheme: Scheme,
    /// Who created, listed and deleted (the plugin's C driver, or a peer tool's batch mode).
    pub(crate) client: String,
    /// Images (or objects) created, listed and deleted.
    pub(crate) count: u64,
    /// Bytes per image.
    pub(crate) size: u64,
    /// One entry per run.
    pub(crate) runs: Vec<SmallRun>,
}

/// One run of a [`SmallRow`].
pub(crate) struct SmallRun {
    /// Seconds to create, list and delete them all.
    pub(crate) seconds: (f64, f64, f64),
    /// The client process(es): wall, CPU, peak RSS, server CPU.
    pub(crate) sample: Sample,
    /// S3 requests vast-sim served over the run (its own counters).
    pub(crate) s3_requests: u64,
}

impl SmallRow {
    /// Files one run and says it on stderr.
    pub(crate) fn push_run(&mut self, seconds: (f64, f64, f64), sample: Sample, s3_requests: u64) {
        let n = self.count as f64;
        eprintln!(
            "    {}: create {:.0}/s  list {:.2} s  delete {:.0}/s  {:.2} S3 requests per image",
            self.client,
            n / seconds.0.max(1e-9),
            seconds.1,
            n / seconds.2.max(1e-9),
            s3_requests as f64 / n.max(1.0),
        );
        self.runs.push(SmallRun {
            seconds,
            sample,
            s3_requests,
        });
    }

    /// Medians: create/s, list s, delete/s, client CPU s, S3 requests per image; and the
    /// largest peak RSS, MiB.
    fn medians(&self) -> (f64, f64, f64, f64, f64, f64) {
        let n = self.count as f64;
        let m = |f: &dyn Fn(&SmallRun) -> f64| median(self.runs.iter().map(f).collect());
        (
            m(&|r| n / r.seconds.0.max(1e-9)),
            m(&|r| r.seconds.1),
            m(&|r| n / r.seconds.2.max(1e-9)),
            m(&|r| r.sample.cpu),
            m(&|r| r.s3_requests as f64 / n.max(1.0)),
            self.runs
                .iter()
                .map(|r| r.sample.max_rss_kib as f64 / 1024.0)
                .fold(0.0, f64::max),
        )
    }
}

/// Everything a run produced.
pub(crate) struct Report {
    /// Machine and run description, one `key: value` per entry.
    pub(crate) context: Vec<(String, String)>,
    /// Transfer rows.
    pub(crate) rows: Vec<Row>,
    /// Small images per scheme, when measured.
    pub(crate) small: Vec<SmallRow>,
    /// The targets of issue 19, one line each.
    pub(crate) targets: Vec<Target>,
    /// Skipped rows and other notes.
    pub(crate) notes: Vec<String>,
}

fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 && c != '-' {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Report {
    /// Rows in report order: HTTPS before HTTP, then by group, then as measured.
    pub(crate) fn sort_rows(&mut self) {
        let group = |g: &str| GROUPS.iter().position(|x| *x == g).unwrap_or(GROUPS.len());
        self.rows.sort_by_key(|r| (r.scheme, group(r.group)));
        self.small.sort_by_key(|s| s.scheme);
    }

    /// The markdown rendering.
    pub(crate) fn markdown(&self) -> String {
        let mut md = String::new();
        for (k, v) in &self.context {
            let _ = writeln!(md, "- {k}: {v}");
        }
        md.push('\n');
        md.push_str(
            "| scheme | group | client | settings | size | MiB/s (median) | min – max | client CPU s/GiB | server CPU s/GiB | client peak RSS MiB | runs |\n\
             |---|---|---|---|---|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let (lo, hi) = r.range();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} MiB | **{}** | {} – {} | {:.2} | {:.2} | {:.0} | {} |",
                r.scheme.label(),
                r.group,
                r.client,
                r.settings,
                r.bytes >> 20,
                thousands(r.mib_s()),
                thousands(lo),
                thousands(hi),
                r.cpu_per_gib(),
                r.server_cpu_per_gib(),
                r.peak_rss_mib(),
                r.samples.len()
            );
        }
        if !self.small.is_empty() {
            md.push_str(
                "\n| scheme | small images | count × size | create images/s | list s | delete images/s | S3 requests per image (create + list + delete) | client CPU s (whole run) | client peak RSS MiB | runs |\n\
                 |---|---|---|---|---|---|---|---|---|---|\n",
            );
        }
        for s in &self.small {
            let (c, l, d, cpu, req, rss) = s.medians();
            let _ = writeln!(
                md,
                "| {} | {} | {} × {} KiB | {} | {:.2} | {} | {:.2} | {:.1} | {:.0} | {} |",
                s.scheme.label(),
                s.client,
                s.count,
                s.size >> 10,
                thousands(c),
                l,
                thousands(d),
                req,
                cpu,
                rss,
                s.runs.len()
            );
        }
        if !self.targets.is_empty() {
            md.push_str(
                "\nTargets (issue 19), from the medians above:\n\n\
                 | target | scheme | plugin | reference | measured | result |\n\
                 |---|---|---|---|---|---|\n",
            );
            for t in &self.targets {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    t.target,
                    t.scheme.map_or("-", Scheme::label),
                    t.plugin,
                    t.reference,
                    t.measured,
                    t.result()
                );
            }
        }
        if !self.notes.is_empty() {
            md.push_str("\nNotes:\n\n");
            for n in &self.notes {
                let _ = writeln!(md, "- {n}");
            }
        }
        md
    }

    /// The JSON rendering (every sample kept).
    pub(crate) fn json(&self) -> serde_json::Value {
        let rows: Vec<_> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "scheme": r.scheme.label(),
                    "group": r.group,
                    "client": r.client,
                    "settings": r.settings,
                    "bytes": r.bytes,
                    "mib_s_median": r.mib_s(),
                    "client_cpu_s_per_gib_median": r.cpu_per_gib(),
                    "server_cpu_s_per_gib_median": r.server_cpu_per_gib(),
                    "client_peak_rss_mib": r.peak_rss_mib(),
                    "samples": r.samples.iter().map(|s| json!({
                        "wall_s": s.wall, "client_cpu_s": s.cpu,
                        "client_max_rss_kib": s.max_rss_kib, "server_cpu_s": s.server_cpu,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let small: Vec<_> = self
            .small
            .iter()
            .map(|s| {
                let (c, l, d, cpu, req, rss) = s.medians();
                json!({
                    "scheme": s.scheme.label(), "client": s.client,
                    "count": s.count, "size": s.size,
                    "create_per_s_median": c, "list_s_median": l, "delete_per_s_median": d,
                    "s3_requests_per_image_median": req,
                    "client_cpu_s_median": cpu, "client_peak_rss_mib": rss,
                    "runs": s.runs.iter().map(|r| json!({
                        "create_s": r.seconds.0, "list_s": r.seconds.1, "delete_s": r.seconds.2,
                        "s3_requests": r.s3_requests,
                        "wall_s": r.sample.wall, "client_cpu_s": r.sample.cpu,
                        "client_max_rss_kib": r.sample.max_rss_kib,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "context": self.context.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "rows": rows,
            "small_images": small,
            "targets": self.targets.iter().map(Target::json).collect::<Vec<_>>(),
            "notes": self.notes,
        })
    }

    /// An SVG bar chart: median MiB/s per row, grouped, one colour per client kind.
    pub(crate) fn svg(&self) -> String {
        let bar_h = 18.0;
        let gap = 6.0;
        let label_w = 330.0;
        let chart_w = 520.0;
        let top = 40.0;
        let max = self.rows.iter().map(Row::mib_s).fold(1.0, f64::max);
        let mut y = top;
        let mut body = String::new();
        let mut last_group = String::new();
        for r in &self.rows {
            let group = format!("{} {}", r.scheme.label(), r.group);
            if group != last_group {
                y += 10.0;
                let _ = writeln!(
                    body,
                    r#"<text x="8" y="{:.0}" font-weight="bold">{}</text>"#,
                    y + 12.0,
                    group
                );
                y += bar_h + gap;
                last_group = group;
            }
            let v = r.mib_s();
            let w = (v / max * chart_w).max(1.0);
            let colour = if r.client.starts_with("plugin") {
                "#1f77b4"
            } else if r.client.starts_with("curl") {
                "#7f7f7f"
            } else {
                "#ff7f0e"
            };
            let _ = writeln!(
                body,
                r##"<text x="{:.0}" y="{:.0}" text-anchor="end">{}</text><rect x="{:.0}" y="{:.0}" width="{:.1}" height="{bar_h:.0}" fill="{colour}"/><text x="{:.1}" y="{:.0}">{}</text>"##,
                label_w - 6.0,
                y + 13.0,
                xml_escape(&r.client),
                label_w,
                y,
                w,
                label_w + w + 4.0,
                y + 13.0,
                thousands(v)
            );
            y += bar_h + gap;
        }
        let height = y + 20.0;
        let width = label_w + chart_w + 80.0;
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="22" font-size="15" font-weight="bold">vast-ost vs S3 tools on vast-sim (loopback, HTTPS and HTTP): median MiB/s</text>
<text x="{:.0}" y="22" fill="#1f77b4">■ plugin</text><text x="{:.0}" y="22" fill="#ff7f0e">■ S3 tools</text><text x="{:.0}" y="22" fill="#7f7f7f">■ curl ceiling</text>
{body}</svg>
"##,
            width - 250.0,
            width - 180.0,
            width - 100.0
        )
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(wall: f64, cpu: f64, rss_mib: u64) -> Sample {
        Sample {
            wall,
            cpu,
            max_rss_kib: rss_mib * 1024,
            server_cpu: cpu * 2.0,
        }
    }

    fn row(client: &str, walls: &[f64]) -> Row {
        Row {
            scheme: Scheme::Https,
            group: "backup",
            client: client.to_owned(),
            settings: "s".to_owned(),
            bytes: 1 << 30,
            samples: walls.iter().map(|&w| sample(w, w / 2.0, 100)).collect(),
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![]), 0.0);
    }

    #[test]
    fn row_metrics_are_medians_per_gib() {
        let r = row("plugin", &[1.0, 4.0, 2.0]);
        assert_eq!(r.mib_s(), 512.0);
        assert_eq!(r.cpu_per_gib(), 1.0);
        assert_eq!(r.server_cpu_per_gib(), 2.0);
        assert_eq!(r.peak_rss_mib(), 100.0);
        assert_eq!(r.range(), (256.0, 1024.0));
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }

    #[test]
    fn small_rows_show_each_clients_rates_and_requests_per_image() {
        let sample = Sample {
            wall: 1.0,
            cpu: 0.5,
            max_rss_kib: 2048,
            server_cpu: 0.25,
        };
        let mut plugin = SmallRow {
            scheme: Scheme::Https,
            client: "plugin (C driver, one thread)".into(),
            count: 100,
            size: 64 << 10,
            runs: Vec::new(),
        };
        plugin.push_run((0.5, 0.1, 0.25), sample, 950);
        plugin.push_run((1.0, 0.3, 0.5), sample, 900);
        plugin.push_run((0.4, 0.2, 0.2), sample, 1000);
        let report = Report {
            context: vec![],
            rows: vec![],
            small: vec![plugin],
            targets: vec![],
            notes: vec![],
        };
        let md = report.markdown();
        assert!(
            md.contains("| HTTPS | plugin (C driver, one thread) | 100 × 64 KiB | 200 | 0.20 | 400 | 9.50 | 0.5 | 2 | 3 |"),
            "{md}"
        );
        let json = report.json();
        assert_eq!(json["small_images"][0]["s3_requests_per_image_median"], 9.5);
        assert_eq!(json["small_images"][0]["runs"][1]["s3_requests"], 900);
    }

    #[test]
    fn renderings_hold_every_row() {
        let mut http = row("plugin, 1 MiB", &[1.0]);
        http.scheme = Scheme::Http;
        let mut report = Report {
            context: vec![("machine".into(), "2 CPUs".into())],
            rows: vec![http, row("plugin, 1 MiB", &[1.0]), row("s5cmd <x>", &[2.0])],
            small: vec![],
            targets: vec![],
            notes: vec![],
        };
        report.sort_rows();
        let md = report.markdown();
        assert!(md.contains("| HTTPS | backup | plugin, 1 MiB | s | 1024 MiB | **1,024** |"));
        assert!(md.contains("| HTTPS | backup | s5cmd <x> |"));
        assert!(md.contains("| HTTP | backup | plugin, 1 MiB |"));
        let https_first = md.find("| HTTPS |").unwrap() < md.find("| HTTP |").unwrap();
        assert!(https_first, "HTTPS rows lead: {md}");
        let svg = report.svg();
        assert_eq!(svg.matches("<rect x=").count(), 3);
        assert!(svg.contains("s5cmd &lt;x&gt;"));
        let json = report.json();
        assert_eq!(json["rows"][1]["mib_s_median"], 512.0);
        assert_eq!(json["rows"][2]["scheme"], "HTTP");
    }
}
