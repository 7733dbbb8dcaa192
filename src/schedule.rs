//! Cron schedules with crontab's meaning (see ARCHITECTURE.md for why croner).
//!
//! Accepted forms:
//! - 5 fields, crontab: `minute hour day-of-month month day-of-week`;
//! - 6 fields: a leading seconds field, then the five above;
//! - 7 fields: seconds, the five above, then a year;
//! - the aliases `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
//!   `@midnight` and `@hourly`.
//!
//! Day-of-week 0 and 7 are Sunday, `1-5` is Monday to Friday, names
//! (`MON`, `JAN`) work in any case. Croner's extensions (`L`, `W`, `#`, a
//! `+` prefix on day-of-week for AND) are accepted too.
//!
//! Daylight saving time follows Vixie cron, which tells apart two kinds of
//! schedule by their seconds, minute and hour fields:
//! - *fixed* (none of them starts with `*`, e.g. `30 2 * * *`, `0 2,14 * * *`):
//!   it names wall-clock times. When the clock falls back and a time of day
//!   happens twice, it fires only the first time. When the clock springs
//!   forward over a time it names, it fires once, at the first instant after
//!   the gap (02:30 on a day that jumps from 02:00 to 03:00 fires at 03:00).
//! - *interval* (any of them starts with `*`, e.g. `*/15 * * * *`,
//!   `0 * * * *`): it fires at every matching wall-clock time that exists, so
//!   a repeated hour is polled on both passes and a skipped one not at all;
//!   in real time the rhythm simply carries on across the change.

use std::sync::Arc;

use chrono::{DateTime, LocalResult, NaiveDateTime, SubsecRound, TimeDelta, TimeZone, Utc};
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// A parsed cron expression: 5 fields (crontab), or 6/7 with leading seconds
/// (and trailing year).
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The expression as written in the config.
    pub expr: String,
    /// Shared: a parsed pattern takes about 5 KB, and every source without a
    /// `cron` of its own carries the default schedule (10,000 sources held
    /// 50 MB of copies of it).
    cron: Arc<Cron>,
    /// Vixie's "non-wildcard" job: seconds, minute and hour name wall-clock
    /// times, so DST must neither repeat nor drop them (see the module doc).
    fixed: bool,
}

/// Why an expression was rejected; one sentence that quotes the expression.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(pub String);

/// The latest possible skip count in [`Schedule::next_after`]: one per
/// matching second of a repeated hour, which a fixed schedule has at most
/// 3600 of per hour; zones never repeat more than a few hours.
const MAX_SKIPS: usize = 100_000;

impl Schedule {
    /// Parses a cron expression (see the module doc for the accepted forms).
    pub fn parse(expr: &str) -> Result<Schedule, ScheduleError> {
        let invalid = |reason: &str| {
            ScheduleError(format!("{expr:?} is not a valid cron expression: {reason}"))
        };
        let trimmed = expr.trim();
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        let expanded = if trimmed.starts_with('@') {
            expand_alias(trimmed).ok_or_else(|| {
                invalid("unknown alias (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)")
            })?
        } else {
            trimmed
        };
        let written: Vec<&str> = expanded.split_whitespace().collect();
        let mut fields: Vec<String> = written.iter().map(|f| (*f).to_owned()).collect();
        let (time_fields, dom, dow) = match fields.len() {
            5 => (0..2, 2, 4),
            6 | 7 => (0..3, 3, 5),
            n => {
                return Err(invalid(&format!(
                    "it has {n} fields; expected 5 (minute hour day-of-month month day-of-week), \
                     6 (a leading seconds field) or 7 (seconds first, year last)"
                )))
            }
        };
        let starred = |f: &str| f.starts_with('*') || f.starts_with('?');
        let fixed = !fields[time_fields].iter().any(|f| starred(f));

        // Vixie cron ANDs day-of-month and day-of-week as soon as either field
        // *starts* with `*` (so `*/2` counts as unrestricted), and ORs them
        // otherwise. Croner only treats a bare `*` that way and would OR
        // `0 0 */2 * 1`; its `+` prefix asks for AND, which gives crontab's
        // answer. With a bare `*` on either side both rules agree.
        let (dom_f, dow_f) = (&fields[dom], &fields[dow]);
        let bare = |f: &str| f == "*" || f == "?";
        if (starred(dom_f) || starred(dow_f))
            && !bare(dom_f)
            && !bare(dow_f)
            && !dow_f.starts_with('+')
        {
            fields[dow] = format!("+{}", fields[dow]);
        }

        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Optional)
            .dom_and_dow(false)
            .build();
        let cron = parser
            .parse(&fields.join(" "))
            .map_err(|e| invalid(&culprit(&parser, &written, &e)))?;
        let schedule = Schedule {
            expr: expr.to_owned(),
            cron: Arc::new(cron),
            fixed,
        };
        // `0 0 30 2 *` parses but can never fire; say so now rather than let
        // a source silently never be polled. Reference point: the year 2000,
        // so a year field in the past is still caught but the answer does not
        // depend on today's date.
        let reference = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
        if reference
            .and_then(|r| schedule.next_after(r, chrono_tz::UTC))
            .is_none()
        {
            return Err(invalid("it never fires"));
        }
        Ok(schedule)
    }

    /// The first time strictly after `after` at which the schedule fires,
    /// with the fields read in `tz`. `None` when it never fires again.
    pub fn next_after(&self, after: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
        // Croner works in whole seconds; a fire time is always a whole second,
        // so the first one after the truncated instant is the first one after
        // `after` too.
        let after = after.trunc_subsecs(0);
        if self.fixed {
            return self.next_fixed(after, tz);
        }
        // Croner's own handling of interval jobs is Vixie's: it walks real
        // time, fires on both passes of a repeated hour and skips a gap.
        let local = after.with_timezone(&tz);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Fixed schedules walk the wall clock and map each match to an instant.
    ///
    /// Croner applies the fire-once and run-after-the-gap rules only to a
    /// single time of day (`30 2 * * *`); a list such as `0,30 2 * * *` or
    /// `0 2,14 * * *` would fire twice on a fall-back and be dropped on a
    /// spring-forward. Doing the mapping here gives every fixed schedule
    /// Vixie's behaviour.
    fn next_fixed(&self, after: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
        let mut wall = after.with_timezone(&tz).naive_local();
        for _ in 0..MAX_SKIPS {
            let next: NaiveDateTime = self.cron.find_next_occurrence(&wall, false).ok()?;
            let instant = match tz.from_local_datetime(&next) {
                LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
                // The later twin repeats a wall time that already fired at the
                // earlier one; when the earlier one is behind us, skip it.
                LocalResult::Ambiguous(earlier, _later) => Some(earlier.with_timezone(&Utc)),
                LocalResult::None => first_instant_at_or_after(next, tz),
            };
            match instant {
                Some(t) if t > after => return Some(t),
                Some(_) => wall = next,
                None => return None,
            }
        }
        None
    }
}

/// Croner's messages do not say which field is wrong ("Number out of
/// bounds"); find the first field that fails on its own and name it.
fn culprit(parser: &CronParser, fields: &[&str], error: &croner::errors::CronError) -> String {
    const NAMES: [&str; 7] = [
        "second",
        "minute",
        "hour",
        "day-of-month",
        "month",
        "day-of-week",
        "year",
    ];
    let names = if fields.len() == 5 {
        &NAMES[1..6]
    } else {
        &NAMES[..]
    };
    let reason = error.to_string();
    let reason = reason.strip_prefix("Component error: ").unwrap_or(&reason);
    for (i, field) in fields.iter().enumerate() {
        let mut probe = vec!["*"; fields.len()];
        probe[i] = field;
        if parser.parse(&probe.join(" ")).is_err() {
            let name = names.get(i).copied().unwrap_or("a");
            return format!("{name} field {field:?}: {reason}");
        }
    }
    reason.to_owned()
}

/// Croner has no `@midnight`, and passes unknown aliases on to fail with a
/// confusing character error, so aliases are expanded here.
fn expand_alias(alias: &str) -> Option<&'static str> {
    Some(match alias.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => return None,
    })
}

/// The first instant whose wall-clock time in `tz` is at or after `wall`: for
/// a wall time inside a spring-forward gap, the moment the clock jumps.
fn first_instant_at_or_after(wall: NaiveDateTime, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    // UTC offsets lie within -12h..+14h, so these bound the answer; within a
    // day of a gap the wall clock only moves forward, so bisection works.
    let mut lo = wall.and_utc().checked_sub_signed(TimeDelta::hours(15))?;
    let mut hi = wall.and_utc().checked_add_signed(TimeDelta::hours(13))?;
    let reached = |t: DateTime<Utc>| tz.from_utc_datetime(&t.naive_utc()).naive_local() >= wall;
    while hi - lo > TimeDelta::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        let mid = mid.trunc_subsecs(0);
        if reached(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    const UTC: Tz = chrono_tz::UTC;
    const BELGRADE: Tz = chrono_tz::Europe::Belgrade;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap_or_else(|e| panic!("bad test time {rfc3339}: {e}"))
            .with_timezone(&Utc)
    }

    /// The next `n` fire times after `start`, as RFC 3339 in `tz`.
    fn fires(expr: &str, tz: Tz, start: &str, n: usize) -> Vec<String> {
        let schedule = Schedule::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let mut t = at(start);
        let mut out = Vec::new();
        for _ in 0..n {
            match schedule.next_after(t, tz) {
                Some(next) => {
                    assert!(next > t, "{expr}: {next} is not after {t}");
                    out.push(next.with_timezone(&tz).to_rfc3339());
                    t = next;
                }
                None => {
                    out.push("never".to_owned());
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn fire_times_table() {
        // (what it proves, expression, zone, start, expected fire times)
        #[rustfmt::skip]
        let table: &[(&str, &str, Tz, &str, &[&str])] = &[
            ("5 fields, step", "*/15 * * * *", UTC, "2026-01-01T00:07:00Z",
             &["2026-01-01T00:15:00+00:00", "2026-01-01T00:30:00+00:00", "2026-01-01T00:45:00+00:00", "2026-01-01T01:00:00+00:00"]),
            ("strictly after: a fire time is not returned again", "*/15 * * * *", UTC, "2026-01-01T00:15:00Z",
             &["2026-01-01T00:30:00+00:00"]),
            ("sub-second start just before a fire time", "*/15 * * * *", UTC, "2026-01-01T00:14:59.900Z",
             &["2026-01-01T00:15:00+00:00"]),
            ("sub-second start just after a fire time", "*/15 * * * *", UTC, "2026-01-01T00:15:00.100Z",
             &["2026-01-01T00:30:00+00:00"]),
            // 2026-01-02 is a Friday.
            ("1-5 is Monday to Friday", "0 9 * * 1-5", UTC, "2026-01-02T10:00:00Z",
             &["2026-01-05T09:00:00+00:00", "2026-01-06T09:00:00+00:00", "2026-01-07T09:00:00+00:00",
               "2026-01-08T09:00:00+00:00", "2026-01-09T09:00:00+00:00", "2026-01-12T09:00:00+00:00"]),
            ("0 is Sunday", "0 12 * * 0", UTC, "2026-01-01T00:00:00Z",
             &["2026-01-04T12:00:00+00:00", "2026-01-11T12:00:00+00:00"]),
            ("7 is Sunday too", "0 12 * * 7", UTC, "2026-01-01T00:00:00Z",
             &["2026-01-04T12:00:00+00:00", "2026-01-11T12:00:00+00:00"]),
            ("names, any case", "0 12 * * sun", UTC, "2026-01-01T00:00:00Z",
             &["2026-01-04T12:00:00+00:00"]),
            ("5-7 is Friday to Sunday", "0 12 * * 5-7", UTC, "2026-01-01T00:00:00Z",
             &["2026-01-02T12:00:00+00:00", "2026-01-03T12:00:00+00:00", "2026-01-04T12:00:00+00:00", "2026-01-09T12:00:00+00:00"]),
            ("MON-FRI names", "0 9 * * MON-FRI", UTC, "2026-01-02T10:00:00Z",
             &["2026-01-05T09:00:00+00:00"]),
            ("restricted day-of-month OR day-of-week (13th or Friday)", "0 0 13 * 5", UTC, "2026-01-01T00:00:00Z",
             &["2026-01-02T00:00:00+00:00", "2026-01-09T00:00:00+00:00", "2026-01-13T00:00:00+00:00", "2026-01-16T00:00:00+00:00"]),
            ("day-of-month alone when day-of-week is *", "0 0 13 * *", UTC, "2026-01-01T00:00:00Z",
             &["2026-01-13T00:00:00+00:00", "2026-02-13T00:00:00+00:00"]),
            ("Vixie: a field starting with * makes it AND (odd days that are Mondays)", "0 0 */2 * 1", UTC, "2026-01-01T00:00:00Z",
             &["2026-01-05T00:00:00+00:00", "2026-01-19T00:00:00+00:00", "2026-02-09T00:00:00+00:00", "2026-02-23T00:00:00+00:00"]),
            ("months by name", "0 0 1 jan,jul *", UTC, "2026-01-01T00:00:00Z",
             &["2026-07-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"]),
            ("6 fields: leading seconds", "*/20 * * * * *", UTC, "2026-01-01T00:00:05Z",
             &["2026-01-01T00:00:20+00:00", "2026-01-01T00:00:40+00:00", "2026-01-01T00:01:00+00:00"]),
            ("6 fields: fixed second", "30 0 12 * * *", UTC, "2026-01-01T00:00:00Z",
             &["2026-01-01T12:00:30+00:00", "2026-01-02T12:00:30+00:00"]),
            ("7 fields: trailing year, then never", "0 0 0 1 1 * 2028", UTC, "2026-06-01T00:00:00Z",
             &["2028-01-01T00:00:00+00:00", "never"]),
            ("7 fields: year range", "0 0 12 29 2 * 2027-2032", UTC, "2026-01-01T00:00:00Z",
             &["2028-02-29T12:00:00+00:00", "2032-02-29T12:00:00+00:00", "never"]),
            ("@hourly", "@hourly", UTC, "2026-01-01T00:30:00Z",
             &["2026-01-01T01:00:00+00:00", "2026-01-01T02:00:00+00:00"]),
            ("@daily", "@daily", UTC, "2026-01-01T00:30:00Z", &["2026-01-02T00:00:00+00:00"]),
            ("@midnight", "@midnight", UTC, "2026-01-01T00:30:00Z", &["2026-01-02T00:00:00+00:00"]),
            ("@weekly is Sunday midnight", "@weekly", UTC, "2026-01-01T00:00:00Z", &["2026-01-04T00:00:00+00:00"]),
            ("@monthly", "@MONTHLY", UTC, "2026-01-15T00:00:00Z", &["2026-02-01T00:00:00+00:00"]),
            ("@yearly", "@yearly", UTC, "2026-01-15T00:00:00Z", &["2027-01-01T00:00:00+00:00"]),
            ("fields are read in the zone (winter, +01:00)", "0 9 * * *", BELGRADE, "2026-01-01T00:00:00Z",
             &["2026-01-01T09:00:00+01:00"]),
            ("fields are read in the zone (summer, +02:00)", "0 9 * * *", BELGRADE, "2026-07-01T00:00:00Z",
             &["2026-07-01T09:00:00+02:00"]),
            // Fall-back: 2026-10-25 03:00 CEST becomes 02:00 CET, so 02:00-02:59 happen twice.
            ("fall-back: a fixed time fires once, on the first pass", "30 2 * * *", BELGRADE, "2026-10-24T12:00:00Z",
             &["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]),
            ("fall-back: starting inside the second pass, the repeat is skipped", "30 2 * * *", BELGRADE, "2026-10-25T01:10:00Z",
             &["2026-10-26T02:30:00+01:00"]),
            ("fall-back: a list of fixed times fires once each (croner alone fires twice)", "0,30 2 * * *", BELGRADE, "2026-10-24T12:00:00Z",
             &["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:00:00+01:00"]),
            ("fall-back: an hour list fires once", "0 2,14 * * *", BELGRADE, "2026-10-25T00:30:00Z",
             &["2026-10-25T14:00:00+01:00"]),
            ("fall-back: an interval keeps its real-time rhythm over both passes", "*/30 * * * *", BELGRADE, "2026-10-24T23:45:00Z",
             &["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00",
               "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00"]),
            ("fall-back: an hourly job fires on both passes", "0 * * * *", BELGRADE, "2026-10-24T23:30:00Z",
             &["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"]),
            // Spring-forward: 2026-03-29 02:00 CET becomes 03:00 CEST, so 02:00-02:59 do not exist.
            ("spring-forward: a fixed time in the gap fires right after it", "30 2 * * *", BELGRADE, "2026-03-28T12:00:00Z",
             &["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]),
            ("spring-forward: several fixed times in the gap fire once, right after it", "0,30 2 * * *", BELGRADE, "2026-03-28T12:00:00Z",
             &["2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"]),
            ("spring-forward: seconds-precision fixed time in the gap", "15 45 2 * * *", BELGRADE, "2026-03-29T00:59:00Z",
             &["2026-03-29T03:00:00+02:00"]),
            ("spring-forward: a fixed time at the gap's end is not doubled", "0,30 2-3 * * *", BELGRADE, "2026-03-28T23:00:00Z",
             &["2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00", "2026-03-30T02:00:00+02:00"]),
            ("spring-forward: an interval skips the gap and keeps its rhythm", "*/30 * * * *", BELGRADE, "2026-03-29T00:15:00Z",
             &["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"]),
            ("spring-forward: a time outside the gap is untouched", "0 3 * * *", BELGRADE, "2026-03-28T12:00:00Z",
             &["2026-03-29T03:00:00+02:00", "2026-03-30T03:00:00+02:00"]),
        ];
        let mut failures = Vec::new();
        for (what, expr, tz, start, expected) in table {
            let got = fires(expr, *tz, start, expected.len());
            if got != *expected {
                failures.push(format!("{what}: {expr:?} from {start} in {tz}\n  expected {expected:?}\n  got      {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn invalid_expressions_are_rejected_clearly() {
        // (expression, a fragment the message must contain besides the expression)
        let table: &[(&str, &str)] = &[
            ("", "empty"),
            ("   ", "empty"),
            ("* * * *", "4 fields"),
            ("0 0 0 * * * * *", "8 fields"),
            ("60 * * * *", "minute field \"60\""),
            ("* 24 * * *", "hour field \"24\""),
            ("* * 32 * *", "day-of-month field \"32\""),
            ("* * 0 * *", "day-of-month field \"0\""),
            ("* * * 13 *", "month field \"13\""),
            ("* * * * 8", "day-of-week field \"8\""),
            ("61 * * * * *", "second field \"61\""),
            ("0 * * * * * 12000", "year field \"12000\""),
            ("0 0 */2 * 9", "day-of-week field \"9\""),
            ("every five minutes", "fields"),
            ("*/15 * * * x", "illegal"),
            ("5/5 * * * *", "minute field \"5/5\""),
            ("@reboot", "alias"),
            ("@every 5m", "alias"),
            ("0 0 30 2 *", "never fires"),
            ("0 0 0 1 1 * 1999", "never fires"),
        ];
        for (expr, fragment) in table {
            match Schedule::parse(expr) {
                Ok(s) => panic!("{expr:?} was accepted: {s:?}"),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains(&format!("{expr:?}")),
                        "{expr:?}: message does not quote it: {msg}"
                    );
                    assert!(
                        msg.contains("not a valid cron expression"),
                        "{expr:?}: {msg}"
                    );
                    assert!(
                        msg.contains(fragment),
                        "{expr:?}: message lacks {fragment:?}: {msg}"
                    );
                    assert!(!msg.contains('\n'), "{expr:?}: not one line: {msg}");
                }
            }
        }
    }

    #[test]
    fn the_contract_default_parses_and_keeps_its_text() {
        let s = Schedule::parse("*/15 * * * *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.expr, "*/15 * * * *");
    }
}
