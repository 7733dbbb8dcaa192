//! `/healthz`: whether the daemon's last poll cycle completed.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::status::rfc3339;

/// What the daemon last did, as a load balancer or monitor wants to know.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Started; no cycle has completed yet.
    Starting,
    /// The last cycle completed (sources may have failed; they are retried
    /// with backoff and do not make the daemon unhealthy).
    Completed { at: DateTime<Utc>, summary: String },
    /// The last cycle, or the render after it, failed.
    Failed { at: DateTime<Utc>, reason: String },
}

/// Shared between the daemon (writer) and the server (reader).
#[derive(Debug)]
pub struct Health {
    state: Mutex<State>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            state: Mutex::new(State::Starting),
        }
    }
}

impl Health {
    /// A cycle completed; `summary` is its one-line report.
    pub fn completed(&self, at: DateTime<Utc>, summary: String) {
        *self.lock() = State::Completed { at, summary };
    }

    /// A cycle or render failed with `reason` (one sentence).
    pub fn failed(&self, at: DateTime<Utc>, reason: String) {
        *self.lock() = State::Failed { at, reason };
    }

    /// The HTTP status and a one-line body for `/healthz`.
    pub fn report(&self) -> (u16, String) {
        match &*self.lock() {
            State::Starting => (503, "starting: no poll cycle has completed yet\n".into()),
            State::Completed { at, summary } => (
                200,
                format!("ok: last cycle completed {}: {summary}\n", rfc3339(*at)),
            ),
            State::Failed { at, reason } => {
                (503, format!("failing since {}: {reason}\n", rfc3339(*at)))
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starting_then_completed_then_failed_then_recovered() {
        let h = Health::default();
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        type Step<'a> = &'a dyn Fn(&Health);
        let table: [(Step, u16, &str); 4] = [
            (&|_| {}, 503, "starting: no poll cycle has completed yet"),
            (
                &|h| h.completed(at, "polled 2 sources".into()),
                200,
                "ok: last cycle completed 2023-11-14T22:13:20Z: polled 2 sources",
            ),
            (
                &|h| h.failed(at, "cannot write x.db: disk full".into()),
                503,
                "failing since 2023-11-14T22:13:20Z: cannot write x.db: disk full",
            ),
            (
                &|h| h.completed(at, "polled 1 sources".into()),
                200,
                "ok: last cycle",
            ),
        ];
        for (step, status, text) in table {
            step(&h);
            let (got_status, body) = h.report();
            assert_eq!(got_status, status, "{body}");
            assert!(body.starts_with(text) && body.ends_with('\n'), "{body}");
        }
    }
}
