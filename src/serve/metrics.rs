//! Counters of the daemon's polling, in the Prometheus text exposition
//! format (version 0.0.4).
//!
//! The daemon feeds [`Metrics::record_cycle`] with each cycle's report; the
//! server renders the text on each scrape. One mutex is plenty: a cycle is
//! recorded once every few seconds at most, and a scrape takes microseconds.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::pipeline::{CycleReport, PollOutcome};

/// Upper bounds (seconds) of the poll-duration histogram: from a 304 on the
/// same network to a slow server near the 30 s default timeout.
const BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

/// The media type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Polling counters since the daemon started.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Counters>,
}

#[derive(Debug, Default, Clone)]
struct Counters {
    cycles: u64,
    /// By outcome: stored, unchanged, failed.
    polls: [u64; 3],
    /// Failed polls per configured source (zero for sources that never
    /// failed, so `rate()` sees the series from the start).
    source_failures: BTreeMap<String, u64>,
    items_new: u64,
    items_updated: u64,
    merged: u64,
    /// Cumulative counts per bucket of [`BUCKETS`], then the +Inf count.
    duration_buckets: [u64; BUCKETS.len() + 1],
    duration_sum: f64,
    last_success: Option<DateTime<Utc>>,
    last_cycle_failed_sources: u64,
}

const OUTCOMES: [&str; 3] = ["stored", "unchanged", "failed"];

impl Metrics {
    /// Makes sure every configured source has a failure series, and drops
    /// the series of sources no longer configured (after a reload).
    pub fn set_sources<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        let mut c = self.lock();
        let mut kept = BTreeMap::new();
        for name in names {
            let n = c.source_failures.get(name).copied().unwrap_or(0);
            kept.insert(name.to_string(), n);
        }
        c.source_failures = kept;
    }

    /// Adds one completed cycle. `merged_total` is the store's count of
    /// copies merged into an existing story since it was opened (a counter
    /// kept by the store, so it is taken as is).
    pub fn record_cycle(&self, report: &CycleReport, merged_total: u64, at: DateTime<Utc>) {
        let mut c = self.lock();
        c.cycles += 1;
        let mut failed = 0;
        for s in &report.sources {
            let i = match &s.outcome {
                PollOutcome::Stored(stats) => {
                    c.items_new += stats.new as u64;
                    c.items_updated += stats.updated as u64;
                    0
                }
                PollOutcome::Unchanged => 1,
                PollOutcome::Failed(_) => {
                    *c.source_failures.entry(s.name.clone()).or_insert(0) += 1;
                    failed += 1;
                    2
                }
            };
            c.polls[i] += 1;
            c.observe(s.elapsed);
        }
        c.merged = c.merged.max(merged_total);
        c.last_success = Some(at);
        c.last_cycle_failed_sources = failed;
    }

    /// The scrape: every metric with its HELP and TYPE lines.
    pub fn render(&self) -> String {
        let c = self.lock().clone();
        let mut out = String::with_capacity(2048 + 64 * c.source_failures.len());
        header(
            &mut out,
            "feedmill_cycles_total",
            "counter",
            "Poll cycles completed since the daemon started.",
        );
        let _ = writeln!(out, "feedmill_cycles_total {}", c.cycles);

        header(&mut out, "feedmill_polls_total", "counter", "Source polls by outcome: stored (a new body was parsed and stored), unchanged (304 or the same body), failed.");
        for (name, n) in OUTCOMES.iter().zip(c.polls) {
            let _ = writeln!(out, "feedmill_polls_total{{outcome=\"{name}\"}} {n}");
        }

        header(
            &mut out,
            "feedmill_source_failures_total",
            "counter",
            "Failed polls per configured source.",
        );
        for (name, n) in &c.source_failures {
            let _ = writeln!(
                out,
                "feedmill_source_failures_total{{source=\"{}\"}} {n}",
                label_value(name)
            );
        }

        header(
            &mut out,
            "feedmill_items_stored_total",
            "counter",
            "Items stored from polls: new copies and updated ones.",
        );
        let _ = writeln!(
            out,
            "feedmill_items_stored_total{{kind=\"new\"}} {}",
            c.items_new
        );
        let _ = writeln!(
            out,
            "feedmill_items_stored_total{{kind=\"updated\"}} {}",
            c.items_updated
        );

        header(
            &mut out,
            "feedmill_duplicates_merged_total",
            "counter",
            "New copies that joined a story already stored (same link or near-duplicate).",
        );
        let _ = writeln!(out, "feedmill_duplicates_merged_total {}", c.merged);

        header(
            &mut out,
            "feedmill_poll_duration_seconds",
            "histogram",
            "Time from the start of a source's fetch to the end of its parsing.",
        );
        for (bound, n) in BUCKETS.iter().zip(c.duration_buckets) {
            let _ = writeln!(
                out,
                "feedmill_poll_duration_seconds_bucket{{le=\"{bound}\"}} {n}"
            );
        }
        let count = c.duration_buckets[BUCKETS.len()];
        let _ = writeln!(
            out,
            "feedmill_poll_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "feedmill_poll_duration_seconds_sum {}",
            float(c.duration_sum)
        );
        let _ = writeln!(out, "feedmill_poll_duration_seconds_count {count}");

        header(
            &mut out,
            "feedmill_last_successful_cycle_timestamp_seconds",
            "gauge",
            "Unix time the last poll cycle completed (0: none yet).",
        );
        let last = c
            .last_success
            .map_or(0.0, |t| t.timestamp_millis() as f64 / 1000.0);
        let _ = writeln!(
            out,
            "feedmill_last_successful_cycle_timestamp_seconds {}",
            float(last)
        );

        header(
            &mut out,
            "feedmill_last_cycle_failed_sources",
            "gauge",
            "Sources that failed in the last completed cycle.",
        );
        let _ = writeln!(
            out,
            "feedmill_last_cycle_failed_sources {}",
            c.last_cycle_failed_sources
        );
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        // Counters stay meaningful even if a holder panicked mid-update.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Counters {
    fn observe(&mut self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.duration_buckets[i] += 1;
            }
        }
        self.duration_buckets[BUCKETS.len()] += 1;
        self.duration_sum += secs;
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the text format wants it: backslash, double quote and
/// line feed escaped.
fn label_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A float as Go's `strconv` would print it for Prometheus: integers
/// without a fraction, the rest with as many digits as needed.
fn float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::SourceReport;
    use crate::store::PollStats;

    fn report(rows: &[(&str, PollOutcome, u64)]) -> CycleReport {
        CycleReport {
            sources: rows
                .iter()
                .map(|(name, outcome, us)| SourceReport {
                    name: name.to_string(),
                    url: format!("https://{name}.example/rss"),
                    outcome: outcome.clone(),
                    elapsed: Duration::from_micros(*us),
                })
                .collect(),
        }
    }

    fn value(text: &str, series: &str) -> Option<String> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ').map(String::from))
    }

    #[test]
    fn cycles_add_up_by_outcome_source_and_bucket() {
        let m = Metrics::default();
        m.set_sources(["a", "b", "q\"uo\\te\nd"]);
        let stored = PollOutcome::Stored(PollStats {
            new: 3,
            updated: 1,
            unchanged: 2,
        });
        let at = DateTime::from_timestamp(1_700_000_000, 500_000_000).unwrap_or_default();
        m.record_cycle(
            &report(&[
                ("a", stored.clone(), 31_250),
                ("b", PollOutcome::Failed("HTTP 500".into()), 1_500_000),
                ("q\"uo\\te\nd", PollOutcome::Unchanged, 62_500),
            ]),
            2,
            at,
        );
        m.record_cycle(
            &report(&[("b", PollOutcome::Failed("timeout".into()), 70_000_000)]),
            2,
            at,
        );
        let text = m.render();
        // (series, value)
        let table = [
            ("feedmill_cycles_total", "2"),
            ("feedmill_polls_total{outcome=\"stored\"}", "1"),
            ("feedmill_polls_total{outcome=\"unchanged\"}", "1"),
            ("feedmill_polls_total{outcome=\"failed\"}", "2"),
            ("feedmill_source_failures_total{source=\"a\"}", "0"),
            ("feedmill_source_failures_total{source=\"b\"}", "2"),
            (
                "feedmill_source_failures_total{source=\"q\\\"uo\\\\te\\nd\"}",
                "0",
            ),
            ("feedmill_items_stored_total{kind=\"new\"}", "3"),
            ("feedmill_items_stored_total{kind=\"updated\"}", "1"),
            ("feedmill_duplicates_merged_total", "2"),
            ("feedmill_poll_duration_seconds_bucket{le=\"0.05\"}", "1"),
            ("feedmill_poll_duration_seconds_bucket{le=\"0.1\"}", "2"),
            ("feedmill_poll_duration_seconds_bucket{le=\"2.5\"}", "3"),
            ("feedmill_poll_duration_seconds_bucket{le=\"60\"}", "3"),
            ("feedmill_poll_duration_seconds_bucket{le=\"+Inf\"}", "4"),
            ("feedmill_poll_duration_seconds_count", "4"),
            ("feedmill_poll_duration_seconds_sum", "71.59375"),
            (
                "feedmill_last_successful_cycle_timestamp_seconds",
                "1700000000.5",
            ),
            ("feedmill_last_cycle_failed_sources", "1"),
        ];
        for (series, want) in table {
            assert_eq!(
                value(&text, series).as_deref(),
                Some(want),
                "{series} in\n{text}"
            );
        }
        // Every sample line belongs to a family declared by a TYPE line.
        let families: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap_or("");
            assert!(
                families.iter().any(|f| name == *f
                    || name
                        .strip_prefix(f)
                        .is_some_and(|s| ["_bucket", "_sum", "_count"].contains(&s))),
                "{line}"
            );
        }
    }

    #[test]
    fn a_reload_keeps_known_sources_and_drops_removed_ones() {
        let m = Metrics::default();
        m.set_sources(["a", "b"]);
        m.record_cycle(
            &report(&[("a", PollOutcome::Failed("x".into()), 1)]),
            0,
            Utc::now(),
        );
        m.set_sources(["a", "c"]);
        let text = m.render();
        assert_eq!(
            value(&text, "feedmill_source_failures_total{source=\"a\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            value(&text, "feedmill_source_failures_total{source=\"c\"}").as_deref(),
            Some("0")
        );
        assert!(!text.contains("source=\"b\""), "{text}");
    }

    #[test]
    fn before_any_cycle_everything_is_zero() {
        let text = Metrics::default().render();
        assert_eq!(value(&text, "feedmill_cycles_total").as_deref(), Some("0"));
        assert_eq!(
            value(&text, "feedmill_last_successful_cycle_timestamp_seconds").as_deref(),
            Some("0")
        );
        assert_eq!(
            value(&text, "feedmill_poll_duration_seconds_count").as_deref(),
            Some("0")
        );
    }
}
