//! Output: the machine line, one table per scenario (mandi and reference rows per step, and a
//! ratio row mandi/reference), the headline figures, notes; or all of it as one JSON document.

use std::fmt::Write as _;

use serde::Serialize;

use crate::scenario::{ScenarioReport, Summary};
use crate::stats::{StepResult, Target};

/// What the figures were measured on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    /// UTC, when the run started.
    pub date: String,
}

impl Machine {
    pub fn here() -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    pub fn line(&self) -> String {
        format!(
            "machine: nproc {} × {}, {}",
            self.cpus, self.cpu_model, self.date
        )
    }
}

/// The whole run, as `--json` prints it.
#[derive(Serialize)]
pub struct RunReport<'a> {
    pub machine: &'a Machine,
    pub scenarios: &'a [ScenarioReport],
}

const HEADER: &str = "step          server     clients     sent   send/s    deliv/s       p50       p99     p99.9       max     gaps reord  dup disc  srv%  cli%  gen%  bytes";

/// One scenario as a text table.
pub fn table(report: &ScenarioReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "== {} — {}", report.name, report.title);
    let _ = writeln!(out, "   target: {}", report.target);
    if !report.rows.is_empty() {
        let _ = writeln!(out, "{HEADER}");
        let mut labels: Vec<&str> = Vec::new();
        for r in &report.rows {
            if !labels.contains(&r.label.as_str()) {
                labels.push(&r.label);
            }
        }
        for label in labels {
            let of = |t: Target| {
                report
                    .rows
                    .iter()
                    .find(|r| r.label == label && r.target == t)
            };
            for r in report.rows.iter().filter(|r| r.label == label) {
                let _ = writeln!(out, "{}", row(r));
            }
            if let (Some(m), Some(r)) = (of(Target::Mandi), of(Target::Reference)) {
                let _ = writeln!(out, "{}", ratio_row(label, m, r));
            }
        }
    }
    for s in &report.summary {
        let _ = writeln!(out, "   {}", summary_line(s));
    }
    for n in &report.notes {
        let _ = writeln!(out, "   note: {n}");
    }
    out
}

fn row(r: &StepResult) -> String {
    let pct =
        |f: fn(&crate::stats::Latency) -> f64| r.latency.as_ref().map_or("-".into(), |l| us(f(l)));
    format!(
        "{:<13} {:<10} {:>7} {:>8} {:>8.0} {:>10.0} {:>9} {:>9} {:>9} {:>9} {:>8} {:>5} {:>4} {:>4} {:>5.0} {:>5.0} {:>5.0} {:>6}",
        r.label,
        r.target.as_str(),
        r.clients,
        r.sent,
        r.send_rate,
        r.deliveries_per_s,
        pct(|l| l.p50_us),
        pct(|l| l.p99_us),
        pct(|l| l.p999_us),
        pct(|l| l.max_us),
        r.gaps,
        r.reordered,
        r.duplicates,
        r.disconnects,
        r.server_cpu_pct,
        r.client_cpu_pct,
        r.generator_cpu_pct,
        r.frame_bytes,
    )
}

fn ratio_row(label: &str, m: &StepResult, r: &StepResult) -> String {
    let x = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "-".into(),
    };
    let lat = |f: fn(&crate::stats::Latency) -> f64| {
        x(m.latency.as_ref().map(f), r.latency.as_ref().map(f))
    };
    format!(
        "{:<13} {:<10} {:>7} {:>8} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9}",
        label,
        "ratio m/r",
        "",
        "",
        "",
        x(Some(m.deliveries_per_s), Some(r.deliveries_per_s)),
        lat(|l| l.p50_us),
        lat(|l| l.p99_us),
        lat(|l| l.p999_us),
        lat(|l| l.max_us),
    )
}

fn summary_line(s: &Summary) -> String {
    let v = |x: Option<f64>| x.map_or("-".into(), |x| value(x, &s.unit));
    let ratio = s
        .ratio
        .map_or(String::new(), |r| format!(", ratio {r:.2}×"));
    format!(
        "{}: mandi {}, reference {}{ratio}",
        s.what,
        v(s.mandi),
        v(s.reference)
    )
}

/// A figure in its unit, readable.
pub fn value(x: f64, unit: &str) -> String {
    match unit {
        "µs" => us(x),
        "bytes" => format!("{x:.0} B ({:.1} KiB)", x / 1024.0),
        "s" => format!("{x:.2} s"),
        "%" | "% of a core" => format!("{x:.1} %"),
        other => format!("{x:.0} {other}"),
    }
}

/// Microseconds as µs, ms or s.
pub fn us(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}µs")
    } else if x < 1_000.0 {
        format!("{x:.0}µs")
    } else if x < 1_000_000.0 {
        format!("{:.2}ms", x / 1e3)
    } else {
        format!("{:.2}s", x / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_their_scale() {
        let cases = [
            (3.26, "3.3µs"),
            (412.0, "412µs"),
            (1_234.0, "1.23ms"),
            (2_500_000.0, "2.50s"),
        ];
        for (x, want) in cases {
            assert_eq!(us(x), want, "{x}");
        }
    }
}
