//! Cron schedules with crontab's meaning (see ARCHITECTURE.md for why croner).

use chrono::{DateTime, Utc};

/// A parsed cron expression: 5 fields (crontab), or 6/7 with leading seconds
/// (and trailing year).
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The expression as written in the config.
    pub expr: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(pub String);

impl Schedule {
    pub fn parse(expr: &str) -> Result<Schedule, ScheduleError> {
        let _ = expr;
        todo!("schedule parsing")
    }

    /// The first time strictly after `after` at which the schedule fires,
    /// with the fields read in `tz`. `None` when it never fires again.
    pub fn next_after(&self, after: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
        let _ = (after, tz);
        todo!("next occurrence")
    }
}
