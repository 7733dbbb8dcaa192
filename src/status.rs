//! `feedmill status`: what the store knows about each configured source.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::pipeline::next_due;
use crate::store::SourceState;

/// One row of `status`, and one object of `status --json` (the contract's keys
/// first; the rest are extensions).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceStatus {
    pub name: String,
    pub url: String,
    pub enabled: bool,
    pub last_attempt: Option<String>,
    pub last_success: Option<String>,
    pub next_due: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub items: u64,
    /// `ok`, `failing`, `backing off` (failing, waiting for its next try),
    /// `new` (never polled) or `disabled`.
    pub state: &'static str,
    pub region: Option<String>,
    /// Where the source's URL permanently redirects: update the config.
    pub redirected_to: Option<String>,
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One status per configured source, in config order.
pub fn collect(config: &Config, states: &[SourceState], now: DateTime<Utc>) -> Vec<SourceStatus> {
    config
        .sources
        .iter()
        .map(|source| {
            let state = states.iter().find(|s| s.name == source.name);
            let failures = state.map_or(0, |s| s.consecutive_failures);
            let state_name = if !source.enabled {
                "disabled"
            } else if state.and_then(|s| s.last_attempt).is_none() {
                "new"
            } else if failures > 0 && state.and_then(|s| s.not_before).is_some_and(|t| t > now) {
                "backing off"
            } else if failures > 0 {
                "failing"
            } else {
                "ok"
            };
            SourceStatus {
                name: source.name.clone(),
                url: source.url.to_string(),
                enabled: source.enabled,
                last_attempt: state.and_then(|s| s.last_attempt).map(rfc3339),
                last_success: state.and_then(|s| s.last_success).map(rfc3339),
                next_due: next_due(config, source, state, now).map(rfc3339),
                last_error: state.and_then(|s| s.last_error.clone()),
                consecutive_failures: failures,
                items: state.and_then(|s| s.items).unwrap_or(0),
                state: state_name,
                region: source.region.clone(),
                redirected_to: state.and_then(|s| s.redirected_to.clone()),
            }
        })
        .collect()
}

/// A plain table for people: one row per source, errors last so they can be long.
pub fn table(rows: &[SourceStatus]) -> String {
    let headers = [
        "NAME",
        "STATE",
        "LAST ATTEMPT",
        "LAST SUCCESS",
        "FAILURES",
        "ITEMS",
        "NEXT DUE",
        "LAST ERROR",
    ];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            let state = r.state.to_string();
            let mut error = r.last_error.clone().unwrap_or_else(|| "-".into());
            if let Some(to) = &r.redirected_to {
                error = format!("{error} (moved permanently to {to}: update the config)");
            }
            [
                r.name.clone(),
                state,
                r.last_attempt.clone().unwrap_or_else(|| "-".into()),
                r.last_success.clone().unwrap_or_else(|| "-".into()),
                r.consecutive_failures.to_string(),
                r.items.to_string(),
                r.next_due.clone().unwrap_or_else(|| "-".into()),
                error,
            ]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |fields: &[String]| {
        let last = fields.len() - 1;
        for (i, f) in fields.iter().enumerate() {
            if i == last {
                out.push_str(f);
            } else {
                out.push_str(f);
                let pad = widths[i] - f.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(&headers.map(String::from));
    for row in &cells {
        line(row);
    }
    out
}
