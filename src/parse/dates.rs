//! Lenient timestamps: what feeds really write in `pubDate`, `dc:date`,
//! `updated` and friends. Plugged into feed-rs with `timestamp_parser`.
//!
//! Accepted, besides RFC 3339 and RFC 2822: ISO 8601 with a space or a
//! lower-case `t`, without seconds, with `+hhmm` or no zone, date only;
//! RFC 822 with any or no weekday, long or local month names (English,
//! Serbian Latin and Cyrillic, Albanian, a few others), one-digit hours,
//! two-digit years, comments in parentheses, zone names (`CET`, `CEST`,
//! `EST`, military letters), a missing space before the zone, `AM`/`PM`;
//! Unix epoch seconds. A missing zone is read as UTC. Impossible dates
//! (32 July) are rejected, not guessed.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parses a feed timestamp to UTC, or `None` when it is not a date.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let s = text.trim();
    if s.is_empty() || s.len() > 200 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    iso_like(s).or_else(|| rfc822_like(s)).or_else(|| epoch(s))
}

/// A date from the future (beyond `now` plus a day of clock skew) is a
/// publisher's mistake; it would pin the item to the top forever, so it
/// becomes `now`.
pub fn clamp_future(t: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    if t > now + Duration::days(1) {
        now
    } else {
        t
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i < self.b.len() && self.i - start < max && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()?
            .parse()
            .ok()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn spaces(&mut self) {
        while self.b.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn rest(&self) -> &[u8] {
        &self.b[self.i..]
    }
}

/// `YYYY-MM-DD[( |T|t)hh:mm[:ss[.frac]]][zone]`, also with `/`.
fn iso_like(s: &str) -> Option<DateTime<Utc>> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let year = c.digits(4, 4)?;
    let sep = *c.b.get(c.i)?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    c.i += 1;
    let month = c.digits(1, 2)?;
    if !c.eat(sep) {
        return None;
    }
    let day = c.digits(1, 2)?;
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    c.spaces();
    if c.rest().first().is_some_and(|b| *b == b'T' || *b == b't') {
        c.i += 1;
        c.spaces();
    }
    if c.rest().is_empty() {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    let hour = c.digits(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2, 2)?;
    let mut second = 0;
    let mut nanos = 0;
    if c.eat(b':') {
        second = c.digits(1, 2)?;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.i;
            let frac = c.digits(1, 9)?;
            nanos = frac * 10u32.pow(9 - (c.i - start) as u32);
            while c.rest().first().is_some_and(u8::is_ascii_digit) {
                c.i += 1;
            }
        }
    }
    c.spaces();
    let zone = std::str::from_utf8(c.rest()).ok()?.trim();
    let offset = if zone.is_empty() {
        0
    } else {
        zone_offset(zone)?
    };
    finish(date, hour, minute, second, nanos, offset)
}

/// Builds the UTC instant; 24:00 is the start of the same day (as
/// feed-rs reads it), a leap second is the second before.
fn finish(
    date: NaiveDate,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_secs: i32,
) -> Option<DateTime<Utc>> {
    let hour = if hour == 24 { 0 } else { hour };
    let second = second.min(59);
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let local = NaiveDateTime::new(date, time);
    let utc = local.checked_sub_signed(Duration::seconds(offset_secs.into()))?;
    Some(Utc.from_utc_datetime(&utc))
}

/// `+hh:mm`, `+hhmm`, `+hh`, `Z` or a zone name, in seconds east of UTC.
fn zone_offset(zone: &str) -> Option<i32> {
    let b = zone.as_bytes();
    match b.first()? {
        sign @ (b'+' | b'-') => {
            let digits: Vec<u8> = b[1..].iter().copied().filter(|c| *c != b':').collect();
            if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let n: i32 = std::str::from_utf8(&digits).ok()?.parse().ok()?;
            let (h, m) = if digits.len() <= 2 {
                (n, 0)
            } else {
                (n / 100, n % 100)
            };
            if h > 14 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => named_zone(zone),
    }
}

/// Zone abbreviations seen in feeds, in seconds east of UTC. Military
/// single letters other than `Z` are read as UTC, as RFC 2822 advises.
fn named_zone(name: &str) -> Option<i32> {
    let upper = name.to_ascii_uppercase();
    let hours: f32 = match upper.as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "WET" | "ZULU" => 0.0,
        "BST" | "WEST" | "CET" | "MET" | "MEZ" => 1.0,
        "CEST" | "MEST" | "MESZ" | "EET" | "SAST" => 2.0,
        "EEST" | "MSK" | "TRT" => 3.0,
        "EST" => -5.0,
        "EDT" => -4.0,
        "CST" => -6.0,
        "CDT" => -5.0,
        "MST" => -7.0,
        "MDT" => -6.0,
        "PST" => -8.0,
        "PDT" => -7.0,
        "AKST" => -9.0,
        "AKDT" => -8.0,
        "HST" => -10.0,
        "JST" | "KST" => 9.0,
        "AEST" => 10.0,
        "AEDT" => 11.0,
        "NZST" => 12.0,
        "NZDT" => 13.0,
        s if s.len() == 1 && s.as_bytes()[0].is_ascii_alphabetic() => 0.0,
        _ => return None,
    };
    Some((hours * 3600.0) as i32)
}

/// Month names and abbreviations: English, Serbian (Latin and Cyrillic),
/// Albanian, and the common ones of a few other languages.
fn month_number(word: &str) -> Option<u32> {
    let m = match word {
        "jan" | "january" | "januar" | "janar" | "jänner" | "janv" | "janvier" | "јан"
        | "јануар" => 1,
        "feb" | "february" | "februar" | "shkurt" | "shk" | "fev" | "fév" | "févr" | "феб"
        | "фебруар" => 2,
        "mar" | "march" | "mart" | "mars" | "mär" | "märz" | "мар" | "март" => 3,
        "apr" | "april" | "prill" | "pri" | "abr" | "avr" | "avril" | "апр" | "април" => 4,
        "may" | "maj" | "mai" | "мај" => 5,
        "jun" | "june" | "juni" | "qershor" | "qer" | "juin" | "јун" => 6,
        "jul" | "july" | "juli" | "korrik" | "korr" | "juil" | "juillet" | "јул" => 7,
        "aug" | "august" | "avg" | "avgust" | "gusht" | "gush" | "ago" | "août" | "авг"
        | "август" => 8,
        "sep" | "sept" | "september" | "septembar" | "shtator" | "sht" | "set" | "септ" | "сеп"
        | "септембар" => 9,
        "oct" | "october" | "okt" | "oktobar" | "tetor" | "tet" | "out" | "oktober" | "окт"
        | "октобар" => 10,
        "nov" | "november" | "novembar" | "nëntor" | "nën" | "нов" | "новембар" => 11,
        "dec" | "december" | "decembar" | "dhjetor" | "dhj" | "dez" | "dezember" | "déc"
        | "дец" | "децембар" => 12,
        _ => return None,
    };
    Some(m)
}

/// RFC 822-like: tokens in any reasonable order.
fn rfc822_like(s: &str) -> Option<DateTime<Utc>> {
    let cleaned = strip_comments(s);
    let mut day = None;
    let mut month = None;
    let mut year = None;
    let mut time: Option<(u32, u32, u32)> = None;
    let mut offset = None;
    let mut pm = None;
    for raw in cleaned.split(|c: char| c.is_whitespace() || c == ',') {
        for tok in split_token(raw) {
            let lower = tok.to_lowercase();
            let word = lower.trim_end_matches('.');
            if word.is_empty() {
                continue;
            }
            let first = word.chars().next()?;
            if (first == '+' || first == '-') && time.is_some() {
                offset = Some(zone_offset(word)?);
            } else if first.is_ascii_digit() && word.contains(':') {
                time = Some(parse_clock(word)?);
            } else if first.is_ascii_digit() {
                // "16th", "1st": the ordinal suffix is noise.
                let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                if word.len() - digits.len() > 2 {
                    return None;
                }
                let n: u32 = digits.parse().ok()?;
                if digits.len() >= 3 {
                    year = Some(n as i32);
                } else if day.is_none() {
                    day = Some(n);
                } else if year.is_none() {
                    year = Some(if n < 50 {
                        2000 + n as i32
                    } else {
                        1900 + n as i32
                    });
                } else {
                    return None;
                }
            } else if let Some(m) = month_number(word) {
                month = Some(m);
            } else if word == "am" || word == "pm" {
                pm = Some(word == "pm");
            } else if time.is_some() && offset.is_none() {
                // A zone we do not know is still a zone: RFC 2822 says read
                // it as UTC rather than lose the date.
                offset = Some(named_zone(word).unwrap_or(0));
            }
            // Anything else is a weekday in some language: ignored.
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let (mut h, m, sec) = time.unwrap_or((0, 0, 0));
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    finish(date, h, m, sec, 0, offset.unwrap_or(0))
}

/// `h:mm[:ss]`.
fn parse_clock(word: &str) -> Option<(u32, u32, u32)> {
    let mut parts = word.split(':');
    let h = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let s = match parts.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() || h > 24 || m > 59 || s > 60 {
        return None;
    }
    Some((h, m, s))
}

/// Splits a whitespace-free token where a zone is glued to the time
/// (`12:00:00GMT`, `12:00+0100`) and at `-` or `/` between date parts
/// (`12-Mar-2024`).
fn split_token(tok: &str) -> Vec<&str> {
    let mut out = Vec::new();
    if tok.contains(':') && tok.starts_with(|c: char| c.is_ascii_digit()) {
        let end = tok
            .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
            .unwrap_or(tok.len());
        out.push(&tok[..end]);
        if end < tok.len() {
            out.push(&tok[end..]);
        }
        return out;
    }
    if tok.starts_with(['+', '-']) {
        out.push(tok);
        return out;
    }
    out.extend(tok.split(['-', '/']).filter(|p| !p.is_empty()));
    out
}

fn strip_comments(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('(') {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.into()
}

/// Unix time in seconds (or milliseconds), as some CMSs write `dc:date`.
fn epoch(s: &str) -> Option<DateTime<Utc>> {
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = s.parse().ok()?;
    match s.len() {
        9..=11 => DateTime::from_timestamp(n, 0),
        12..=13 => DateTime::from_timestamp_millis(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    #[test]
    fn lenient_table() {
        let rows: &[(&str, Option<&str>)] = &[
            ("2025-03-12T15:00:00+01:00", Some("2025-03-12T14:00:00Z")),
            (
                "Wed, 12 Mar 2025 15:00:00 +0100",
                Some("2025-03-12T14:00:00Z"),
            ),
            (
                "Wed, 12 Mar 2025 15:00:00 CET",
                Some("2025-03-12T14:00:00Z"),
            ),
            (
                "Sun, 13 Jul 2025 15:00:00 CEST",
                Some("2025-07-13T13:00:00Z"),
            ),
            ("12 Mar 2025 15:00 CET", Some("2025-03-12T14:00:00Z")),
            ("Wed, 12 Mar 2025 15:00:00", Some("2025-03-12T15:00:00Z")),
            ("Wed, 12 Mar 2025", Some("2025-03-12T00:00:00Z")),
            ("2025-03-12", Some("2025-03-12T00:00:00Z")),
            ("2025-03-12 15:00:00", Some("2025-03-12T15:00:00Z")),
            ("2025-03-12 15:00", Some("2025-03-12T15:00:00Z")),
            ("2003-07-01T01:55:07-0500", Some("2003-07-01T06:55:07Z")),
            ("2003-07-01 T 01:55:07-05:00", Some("2003-07-01T06:55:07Z")),
            ("2003-12-13t18:30:02.25z", Some("2003-12-13T18:30:02.250Z")),
            ("2006-01-17T12:35:9+01:00", Some("2006-01-17T11:35:09Z")),
            ("2025/03/12 15:00:00 +01:00", Some("2025-03-12T14:00:00Z")),
            (
                "Thurs, 13 Jul 2011 07:38:00 GMT",
                Some("2011-07-13T07:38:00Z"),
            ),
            (
                "Wed, 12 March 2025 15:00:00 GMT",
                Some("2025-03-12T15:00:00Z"),
            ),
            ("Wed, 2 Apr 2025 9:05:00 GMT", Some("2025-04-02T09:05:00Z")),
            ("Sat, 31 Dec 05 12:00:00 GMT", Some("2005-12-31T12:00:00Z")),
            ("Sat, 31 Dec 99 12:00:00 GMT", Some("1999-12-31T12:00:00Z")),
            ("Sat, 31 Dec 2005 12:00:00GMT", Some("2005-12-31T12:00:00Z")),
            (
                "Thu (oh how I hate thursdays), 16(th) Feb(ruary) 2006 01:39 +0000 (GMT r0x0rz)",
                Some("2006-02-16T01:39:00Z"),
            ),
            ("Sat, 31 Dec 2005 12:00:00 A", Some("2005-12-31T12:00:00Z")),
            (
                "Tue, 10 Jun 2003 09:41:01 EST",
                Some("2003-06-10T14:41:01Z"),
            ),
            (
                "Seg, 05 Set 2011 10:00:00 -0300",
                Some("2011-09-05T13:00:00Z"),
            ),
            ("12. mart 2025. 15:00", Some("2025-03-12T15:00:00Z")),
            ("12 март 2025 15:00 CET", Some("2025-03-12T14:00:00Z")),
            ("12 nëntor 2024 08:00", Some("2024-11-12T08:00:00Z")),
            ("March 12, 2025 3:00 PM", Some("2025-03-12T15:00:00Z")),
            (
                "Mon, 01 Jan 2024 24:00:00 GMT",
                Some("2024-01-01T00:00:00Z"),
            ),
            ("1518478934", Some("2018-02-12T23:42:14Z")),
            (
                "  Sat, 03 Jun 2017 15:15:44 -0500 ",
                Some("2017-06-03T20:15:44Z"),
            ),
            ("2003-07-32T15:51:30-05:00", None),
            ("2003-13-01T15:51:30-05:00", None),
            ("Wed, 31 Feb 2025 10:00:00 GMT", None),
            ("not a date", None),
            ("", None),
            ("yesterday", None),
            ("12345", None),
        ];
        for (input, want) in rows {
            let got = parse_timestamp(input);
            assert_eq!(got, want.map(utc), "input {input:?}");
        }
    }

    #[test]
    fn future_dates_are_clamped() {
        let now = utc("2025-03-12T12:00:00Z");
        assert_eq!(clamp_future(utc("9999-12-31T23:59:59Z"), now), now);
        assert_eq!(clamp_future(utc("2025-03-14T12:00:00Z"), now), now);
        let soon = utc("2025-03-13T06:00:00Z");
        assert_eq!(clamp_future(soon, now), soon);
        let past = utc("2001-01-01T00:00:00Z");
        assert_eq!(clamp_future(past, now), past);
    }
}
