//! Validation: the file as written (serde structs that keep spans) turned
//! into a [`Config`], with one located sentence per mistake.

use std::collections::HashMap;
use std::fmt::Display;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use super::*;
use crate::schedule::Schedule;

mod bounds;

/// See [`Config::parse`].
pub(super) fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let cwd = std::env::current_dir().map_err(|e| ConfigError {
            message: format!(
                "cannot read config {}: cannot determine the current folder: {e}",
                path.display()
            ),
        })?;
        cwd.join(path)
    };
    let absolute = tidy(&absolute);
    let ctx = Ctx {
        file: path.display().to_string(),
        text,
        dir: absolute.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| ctx.toml_error(&e))?;
    ctx.validate(raw, absolute)
}

// The file as written. Every value that is checked after parsing keeps its
// span so the error can point at it; missing keys are found here rather than
// by serde so the error can point at the table that lacks them.

type S<T> = Option<Spanned<T>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    database: S<String>,
    schedule: Option<RawSchedule>,
    http: Option<RawHttp>,
    output: S<RawOutput>,
    #[serde(default)]
    source: Vec<Spanned<RawSource>>,
    #[serde(default)]
    topic: Vec<Spanned<RawTopic>>,
    dedup: Option<RawDedup>,
    serve: Option<RawServe>,
    limits: Option<bounds::RawLimits>,
    retention: Option<bounds::RawRetention>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServe {
    listen: S<String>,
    max_age: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDedup {
    near_duplicates: Option<bool>,
    threshold: S<f64>,
    window: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    cron: S<String>,
    timezone: S<String>,
    honor_cache_hints: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    user_agent: S<String>,
    timeout: S<String>,
    max_body_bytes: S<i64>,
    concurrency: S<i64>,
    per_host: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    path: S<String>,
    title: S<String>,
    self_url: S<String>,
    max_entries: S<i64>,
    per_topic: Option<bool>,
    per_region: Option<bool>,
    index: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: S<String>,
    url: S<String>,
    region: S<String>,
    cron: S<String>,
    enabled: Option<bool>,
    tags: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    name: S<String>,
    label: S<String>,
    keywords: S<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    regions: Option<Vec<Spanned<String>>>,
}

/// What every error needs: the file's name and text, and its folder.
struct Ctx<'a> {
    file: String,
    text: &'a str,
    dir: PathBuf,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, key: &str, what: impl Display) -> ConfigError {
        let (line, col) = line_col(self.text, span.start);
        ConfigError {
            message: format!("{}:{line}:{col}: {key}: {what}", self.file),
        }
    }

    fn missing(&self, span: Range<usize>, key: &str) -> ConfigError {
        self.err(span, key, "required key is missing")
    }

    /// Turns a toml/serde error into one sentence with position and key.
    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        // A syntax error: toml reports one, not necessarily the first, so
        // recover and report the earliest; there is no tree to name a key.
        let (_, mut syntax) = toml::de::DeTable::parse_recoverable(self.text);
        syntax.sort_by_key(|e| e.span().map_or(0, |s| s.start));
        let (e, doc) = match syntax.first() {
            Some(first) => (first, None),
            None => (e, toml::de::DeTable::parse(self.text).ok()),
        };
        let span = e.span().unwrap_or(0..0);
        let (line, col) = line_col(self.text, span.start);
        let message = if e.message().contains(" as i128") {
            // An integer beyond 64 bits; toml's wording talks about types.
            "the number is too large".to_owned()
        } else {
            e.message().to_owned()
        };
        let message = message
            .trim_end()
            .replace("unknown field", "unknown key")
            .replace("expected i64", "expected an integer")
            .replace('\n', " ");
        let key = match &doc {
            Some(doc) => key_path(doc.get_ref(), span.start, ""),
            // The span of a duplicate key covers the key itself.
            None if message.contains("duplicate key") => self
                .text
                .get(span.clone())
                .map(|k| table_prefix(self.text, span.start) + k.trim()),
            None => None,
        };
        let hint = match key.as_deref() {
            Some("source" | "topic") if message.contains("expected a sequence") => {
                " (write each one as its own [[source]] or [[topic]] table)"
            }
            _ => "",
        };
        let message = match key {
            Some(key) => format!("{}:{line}:{col}: {key}: {message}{hint}", self.file),
            None => format!("{}:{line}:{col}: invalid TOML: {message}", self.file),
        };
        ConfigError { message }
    }

    fn path(&self, value: &Spanned<String>, key: &str) -> Result<PathBuf, ConfigError> {
        if value.get_ref().trim().is_empty() {
            return Err(self.err(value.span(), key, "must not be empty"));
        }
        Ok(tidy(&self.dir.join(value.get_ref())))
    }

    fn int(&self, value: &Spanned<i64>, key: &str, max: i64) -> Result<i64, ConfigError> {
        let n = *value.get_ref();
        if n < 1 {
            return Err(self.err(value.span(), key, format_args!("{n} must be at least 1")));
        }
        if n > max {
            return Err(self.err(
                value.span(),
                key,
                format_args!("{n} is more than the limit of {max}"),
            ));
        }
        Ok(n)
    }

    fn cron(&self, value: &Spanned<String>, key: &str) -> Result<Schedule, ConfigError> {
        Schedule::parse(value.get_ref()).map_err(|e| self.err(value.span(), key, e))
    }

    fn slug(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let s = value.get_ref();
        let ok = !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(self.err(
                value.span(),
                key,
                format_args!("{s:?} must be lower-case letters a-z, digits and \"-\" only"),
            ));
        }
        Ok(s.clone())
    }

    fn words(&self, list: &[Spanned<String>], key: &str) -> Result<Vec<String>, ConfigError> {
        let mut out = Vec::with_capacity(list.len());
        for (i, w) in list.iter().enumerate() {
            let key = format!("{key}[{}]", i + 1);
            if w.get_ref().trim().is_empty() {
                return Err(self.err(w.span(), &key, "must not be empty"));
            }
            if !w.get_ref().chars().any(char::is_alphanumeric) {
                return Err(self.err(
                    w.span(),
                    &key,
                    format_args!("{:?} has no letters or digits", w.get_ref()),
                ));
            }
            out.push(w.get_ref().trim().to_owned());
        }
        Ok(out)
    }

    fn validate(&self, raw: RawConfig, path: PathBuf) -> Result<Config, ConfigError> {
        let database = match &raw.database {
            Some(db) => self.path(db, "database")?,
            None => return Err(self.missing(0..0, "database")),
        };

        let sched = raw.schedule.unwrap_or(RawSchedule {
            cron: None,
            timezone: None,
            honor_cache_hints: None,
        });
        let default_cron = match &sched.cron {
            Some(c) => self.cron(c, "schedule.cron")?,
            None => Schedule::parse(DEFAULT_CRON).map_err(|e| ConfigError {
                message: e.to_string(),
            })?,
        };
        let timezone = match &sched.timezone {
            Some(tz) => chrono_tz::Tz::from_str(tz.get_ref()).map_err(|_| {
                self.err(
                    tz.span(),
                    "schedule.timezone",
                    format_args!(
                        "{:?} is not an IANA time zone name such as \"UTC\" or \"Europe/Belgrade\"",
                        tz.get_ref()
                    ),
                )
            })?,
            None => chrono_tz::UTC,
        };

        let http = self.http(raw.http)?;
        let output = match &raw.output {
            Some(o) => self.output(o)?,
            None => return Err(self.missing(0..0, "output.path")),
        };
        self.database_outside_output(raw.database.as_ref(), &database, &output)?;

        let mut sources: Vec<SourceConfig> = Vec::with_capacity(raw.source.len());
        let mut source_lines: HashMap<String, (usize, Range<usize>)> = HashMap::new();
        let mut schedules: HashMap<String, Schedule> = HashMap::new();
        for (i, spanned) in raw.source.iter().enumerate() {
            let key = format!("source[{}]", i + 1);
            let raw = spanned.get_ref();
            let name = raw
                .name
                .as_ref()
                .ok_or_else(|| self.missing(spanned.span(), &format!("{key}.name")))?;
            if name.get_ref().trim().is_empty() {
                return Err(self.err(name.span(), &format!("{key}.name"), "must not be empty"));
            }
            if let Some((n, first)) = source_lines.get(name.get_ref()) {
                let (line, _) = line_col(self.text, first.start);
                return Err(self.err(
                    name.span(),
                    &format!("{key}.name"),
                    format_args!("{:?} is already the name of source[{n}] (line {line}); source names must be unique", name.get_ref()),
                ));
            }
            source_lines.insert(name.get_ref().clone(), (i + 1, name.span()));
            let url = raw
                .url
                .as_ref()
                .ok_or_else(|| self.missing(spanned.span(), &format!("{key}.url")))?;
            let url = self.http_url(url, &format!("{key}.url"))?;
            let region = match &raw.region {
                Some(r) => Some(self.slug(r, &format!("{key}.region"))?),
                None => None,
            };
            // One parsed schedule per distinct expression, shared (see
            // `Schedule`): many sources name the same few.
            let schedule = match &raw.cron {
                Some(c) => match schedules.get(c.get_ref()) {
                    Some(s) => Schedule::clone(s),
                    None => {
                        let s = self.cron(c, &format!("{key}.cron"))?;
                        schedules.insert(c.get_ref().clone(), s.clone());
                        s
                    }
                },
                None => default_cron.clone(),
            };
            let mut tags: Vec<String> = Vec::new();
            for (j, t) in raw.tags.iter().flatten().enumerate() {
                let tag = self.slug(t, &format!("{key}.tags[{}]", j + 1))?;
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            sources.push(SourceConfig {
                name: name.get_ref().clone(),
                url,
                region,
                schedule,
                enabled: raw.enabled.unwrap_or(true),
                tags,
            });
        }

        let mut topics: Vec<TopicConfig> = Vec::with_capacity(raw.topic.len());
        let mut topic_lines: HashMap<String, (usize, Range<usize>)> = HashMap::new();
        for (i, spanned) in raw.topic.iter().enumerate() {
            let key = format!("topic[{}]", i + 1);
            let raw = spanned.get_ref();
            let name = raw
                .name
                .as_ref()
                .ok_or_else(|| self.missing(spanned.span(), &format!("{key}.name")))?;
            let name_str = self.slug(name, &format!("{key}.name"))?;
            if let Some((n, first)) = topic_lines.get(&name_str) {
                let (line, _) = line_col(self.text, first.start);
                return Err(self.err(
                    name.span(),
                    &format!("{key}.name"),
                    format_args!("{name_str:?} is already the name of topic[{n}] (line {line}); topic names must be unique"),
                ));
            }
            topic_lines.insert(name_str.clone(), (i + 1, name.span()));
            let label = match &raw.label {
                Some(l) if l.get_ref().trim().is_empty() => {
                    return Err(self.err(
                        l.span(),
                        &format!("{key}.label"),
                        "must not be empty (leave it out instead)",
                    ))
                }
                Some(l) => Some(l.get_ref().trim().to_owned()),
                None => None,
            };
            let kw = raw
                .keywords
                .as_ref()
                .ok_or_else(|| self.missing(spanned.span(), &format!("{key}.keywords")))?;
            if kw.get_ref().is_empty() {
                return Err(self.err(
                    kw.span(),
                    &format!("{key}.keywords"),
                    "must list at least one keyword",
                ));
            }
            let keywords = self.words(kw.get_ref(), &format!("{key}.keywords"))?;
            let exclude = self.words(
                raw.exclude.as_deref().unwrap_or(&[]),
                &format!("{key}.exclude"),
            )?;
            let mut regions: Vec<String> = Vec::new();
            for (j, r) in raw.regions.iter().flatten().enumerate() {
                let rkey = format!("{key}.regions[{}]", j + 1);
                let region = self.slug(r, &rkey)?;
                // A typo would silently leave the topic empty.
                if !sources.iter().any(|s| s.region.as_ref() == Some(&region)) {
                    return Err(self.err(
                        r.span(),
                        &rkey,
                        format_args!("{region:?} is not the region of any source"),
                    ));
                }
                if !regions.contains(&region) {
                    regions.push(region);
                }
            }
            topics.push(TopicConfig {
                name: name_str,
                label,
                keywords,
                exclude,
                regions,
            });
        }
        let dedup = self.dedup(raw.dedup)?;
        let serve = self.serve(raw.serve)?;
        let limits = self.limits(raw.limits, &http)?;
        let retention = self.retention(raw.retention)?;

        Ok(Config {
            path,
            database,
            schedule: ScheduleConfig {
                cron: default_cron,
                timezone,
                honor_cache_hints: sched.honor_cache_hints.unwrap_or(true),
            },
            http,
            output,
            sources,
            topics,
            dedup,
            serve,
            limits,
            retention,
        })
    }

    fn serve(&self, raw: Option<RawServe>) -> Result<ServeConfig, ConfigError> {
        let mut serve = ServeConfig::default();
        let Some(raw) = raw else { return Ok(serve) };
        if let Some(l) = &raw.listen {
            let text = l.get_ref().trim();
            // A host name would need resolving, and could mean several
            // addresses; the listening socket wants exactly one.
            let addr: std::net::SocketAddr = text.parse().map_err(|_| {
                self.err(
                    l.span(),
                    "serve.listen",
                    format_args!(
                        "{text:?} is not an IP address and port such as \"127.0.0.1:8080\" or \"[::1]:8080\""
                    ),
                )
            })?;
            if addr.port() == 0 {
                return Err(self.err(
                    l.span(),
                    "serve.listen",
                    format_args!(
                        "{text:?} needs a port other than 0, so readers know where to find it"
                    ),
                ));
            }
            serve.listen = Some(addr);
        }
        if let Some(m) = &raw.max_age {
            serve.max_age =
                parse_duration(m.get_ref()).map_err(|e| self.err(m.span(), "serve.max_age", e))?;
        }
        Ok(serve)
    }

    fn dedup(&self, raw: Option<RawDedup>) -> Result<DedupConfig, ConfigError> {
        let mut dedup = DedupConfig::default();
        let Some(raw) = raw else { return Ok(dedup) };
        if let Some(on) = raw.near_duplicates {
            dedup.near_duplicates = on;
        }
        if let Some(t) = &raw.threshold {
            let v = *t.get_ref();
            if !(v > 0.0 && v <= 1.0) {
                return Err(self.err(
                    t.span(),
                    "dedup.threshold",
                    format_args!("{v} must be more than 0 and at most 1"),
                ));
            }
            dedup.threshold = v;
        }
        if let Some(w) = &raw.window {
            dedup.window = parse_duration_up_to(w.get_ref(), MAX_DEDUP_WINDOW)
                .map_err(|e| self.err(w.span(), "dedup.window", e))?;
        }
        Ok(dedup)
    }

    fn http(&self, raw: Option<RawHttp>) -> Result<HttpConfig, ConfigError> {
        let mut http = HttpConfig {
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            concurrency: DEFAULT_CONCURRENCY,
            per_host: DEFAULT_PER_HOST,
        };
        let Some(raw) = raw else { return Ok(http) };
        if let Some(ua) = &raw.user_agent {
            let s = ua.get_ref();
            if s.trim().is_empty() {
                return Err(self.err(ua.span(), "http.user_agent", "must not be empty"));
            }
            // It goes into a header as-is; a control character would break it.
            if s.chars().any(char::is_control) {
                return Err(self.err(
                    ua.span(),
                    "http.user_agent",
                    "must not contain control characters such as line breaks",
                ));
            }
            http.user_agent = s.clone();
        }
        if let Some(t) = &raw.timeout {
            http.timeout =
                parse_duration(t.get_ref()).map_err(|e| self.err(t.span(), "http.timeout", e))?;
        }
        if let Some(n) = &raw.max_body_bytes {
            http.max_body_bytes = self.int(n, "http.max_body_bytes", MAX_BODY_LIMIT)? as u64;
        }
        if let Some(n) = &raw.concurrency {
            http.concurrency = self.int(n, "http.concurrency", MAX_PARALLEL)? as usize;
        }
        if let Some(n) = &raw.per_host {
            http.per_host = self.int(n, "http.per_host", MAX_PARALLEL)? as usize;
        }
        Ok(http)
    }

    fn output(&self, spanned: &Spanned<RawOutput>) -> Result<OutputConfig, ConfigError> {
        let raw = spanned.get_ref();
        let path = match &raw.path {
            Some(p) => self.path(p, "output.path")?,
            None => return Err(self.missing(spanned.span(), "output.path")),
        };
        let title = match &raw.title {
            Some(t) if t.get_ref().trim().is_empty() => {
                return Err(self.err(t.span(), "output.title", "must not be empty"))
            }
            Some(t) => t.get_ref().trim().to_owned(),
            None => DEFAULT_TITLE.to_owned(),
        };
        let self_url = match &raw.self_url {
            Some(u) => Some(self.http_url(u, "output.self_url")?.to_string()),
            None => None,
        };
        let max_entries = match &raw.max_entries {
            Some(n) => self.int(n, "output.max_entries", MAX_ENTRIES_LIMIT)? as usize,
            None => DEFAULT_MAX_ENTRIES,
        };
        Ok(OutputConfig {
            path,
            title,
            self_url,
            max_entries,
            per_topic: raw.per_topic.unwrap_or(true),
            per_region: raw.per_region.unwrap_or(true),
            index: raw.index.unwrap_or(true),
        })
    }

    /// An absolute http(s) URL with a host.
    fn http_url(&self, value: &Spanned<String>, key: &str) -> Result<url::Url, ConfigError> {
        let s = value.get_ref();
        let url = url::Url::parse(s.trim()).map_err(|e| {
            self.err(
                value.span(),
                key,
                format_args!("{s:?} is not a valid absolute URL ({e})"),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(self.err(
                value.span(),
                key,
                format_args!("{s:?} is not an http or https URL"),
            ));
        }
        Ok(url)
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// The dotted key path (`source[2].tags[1]`) of the deepest key or value in
/// `table` whose span holds byte `pos`.
fn key_path(table: &toml::de::DeTable<'_>, pos: usize, prefix: &str) -> Option<String> {
    let holds = |r: Range<usize>| r.start <= pos && pos < r.end;
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        // Look deeper first: a `[[source]]` element's own span is only its
        // header, and its keys lie outside it.
        if let Some(deeper) = value_path(value, pos, &path) {
            return Some(deeper);
        }
        if holds(key.span()) || holds(value.span()) {
            return Some(path);
        }
    }
    None
}

fn value_path(value: &Spanned<toml::de::DeValue<'_>>, pos: usize, path: &str) -> Option<String> {
    match value.get_ref() {
        toml::de::DeValue::Table(t) => key_path(t, pos, path),
        toml::de::DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let path = format!("{path}[{}]", i + 1);
            let span = item.span();
            value_path(item, pos, &path)
                .or_else(|| (span.start <= pos && pos < span.end).then_some(path))
        }),
        _ => None,
    }
}

/// The key prefix (`output.`, `source[2].`) of the table that byte `pos`
/// lies in, read from the last table header before it. Only used when the
/// document does not parse, so there is no tree to ask.
fn table_prefix(text: &str, pos: usize) -> String {
    // Whole lines only: a duplicate `[output]` must not count itself.
    let before = text.get(..pos).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if before[line_start..].trim_start().starts_with('[') {
        // The duplicate is a table header itself: its name is the whole key.
        return String::new();
    }
    let before = &before[..line_start];
    let mut header = None;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for line in before.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim();
            let n = counts.entry(name).or_insert(0);
            *n += 1;
            header = Some(format!("{name}[{n}]."));
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            header = Some(format!("{}.", name.trim()));
        }
    }
    header.unwrap_or_default()
}

/// Drops `.` components so paths read cleanly in messages; `..` stays, since
/// resolving it without the file system would be wrong across symlinks.
fn tidy(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}
