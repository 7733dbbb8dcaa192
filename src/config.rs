//! Configuration: the TOML file of the contract, loaded and validated.
//!
//! Every error names file, line, column and key, because the person reading
//! it is editing that file right now. Array entries are counted from 1 in key
//! paths: `source[3].url` is the `url` of the third `[[source]]` table.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::schedule::Schedule;

mod check;

/// A validated configuration. Paths are absolute (resolved against the config
/// file's folder); schedules are parsed; names are checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was loaded from (absolute).
    pub path: PathBuf,
    /// The SQLite file.
    pub database: PathBuf,
    pub schedule: ScheduleConfig,
    pub http: HttpConfig,
    pub output: OutputConfig,
    /// In file order.
    pub sources: Vec<SourceConfig>,
    /// In file order.
    pub topics: Vec<TopicConfig>,
    pub dedup: DedupConfig,
    pub serve: ServeConfig,
    pub limits: LimitsConfig,
    pub retention: RetentionConfig,
}

/// `[serve]`: the built-in HTTP server of `run` (see `serve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// `listen` (default: none, the server is off): the address and port.
    pub listen: Option<std::net::SocketAddr>,
    /// `max_age` (default "5m"): the `Cache-Control: max-age` of served files.
    pub max_age: Duration,
}

/// Readers poll every few minutes; five minutes of caching costs them
/// nothing and spares the daemon most requests.
pub const DEFAULT_SERVE_MAX_AGE: Duration = Duration::from_secs(300);

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: None,
            max_age: DEFAULT_SERVE_MAX_AGE,
        }
    }
}

/// `[retention]`: how long stories stay in the database. Stories an output
/// feed still shows always stay (see `store::Retention`).
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionConfig {
    /// `max_age` (default "90d"): stories older than this are pruned.
    pub max_age: Duration,
    /// `max_items` (default 100000): at most this many stories are kept.
    pub max_items: usize,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            max_age: DEFAULT_RETENTION_AGE,
            max_items: DEFAULT_RETENTION_ITEMS,
        }
    }
}

impl Config {
    /// What the store keeps: `[retention]`, and every feed's window.
    pub fn retention_policy(&self) -> crate::store::Retention {
        crate::store::Retention {
            max_age: chrono::Duration::from_std(self.retention.max_age).ok(),
            max_items: Some(self.retention.max_items),
            window: self.output.max_entries,
        }
    }
}

/// `[limits]`: what one source may cost, beyond `[http]`'s body size.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitsConfig {
    /// `max_items_per_feed` (default 10000): items of a document after
    /// this many are ignored.
    pub max_items_per_feed: usize,
    /// `max_item_bytes` (default 262144): an item's summary and content are
    /// each cut to this many bytes before sanitizing.
    pub max_item_bytes: usize,
    /// `source_timeout` (default "2m"): the longest one source's poll may
    /// take from its first request to its parsed items (fetching, redirects,
    /// decompression, parsing); waiting for a free connection slot does not
    /// count. At least `[http].timeout`.
    pub source_timeout: Duration,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let parse = crate::parse::Limits::default();
        LimitsConfig {
            max_items_per_feed: parse.max_items,
            max_item_bytes: parse.item.max_html_bytes,
            source_timeout: DEFAULT_SOURCE_TIMEOUT,
        }
    }
}

impl LimitsConfig {
    /// The parser's limits, with the parsing deadline `deadline`.
    pub fn parse_limits(&self, deadline: Option<std::time::Instant>) -> crate::parse::Limits {
        let mut limits = crate::parse::Limits {
            max_items: self.max_items_per_feed,
            ..Default::default()
        };
        limits.item.max_html_bytes = self.max_item_bytes;
        limits.item.deadline = deadline;
        limits
    }
}

/// `[dedup]`: near-duplicate detection across sources, beyond the
/// contract's three rules (see `store::near`).
#[derive(Debug, Clone, PartialEq)]
pub struct DedupConfig {
    /// `near_duplicates` (default true): merge the same story brought by
    /// other sources under other links.
    pub near_duplicates: bool,
    /// `threshold` (default 0.75): similarity from which two items are one
    /// story; more than 0 and at most 1.
    pub threshold: f64,
    /// `window` (default "72h"): the longest time between two copies' dates.
    pub window: Duration,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            near_duplicates: true,
            threshold: crate::store::near::DEFAULT_THRESHOLD,
            window: crate::store::near::DEFAULT_WINDOW,
        }
    }
}

/// `[schedule]`.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// Default schedule of every source (`[schedule].cron`, default `*/15 * * * *`).
    pub cron: Schedule,
    /// IANA zone the schedules are read in (default UTC).
    pub timezone: chrono_tz::Tz,
    /// Whether a server's cache lifetime (Cache-Control `max-age`,
    /// `Expires`) and a feed's `<ttl>` hold the next poll back (at most a
    /// day). Default true: polite to servers that ask for it.
    pub honor_cache_hints: bool,
}

/// `[http]`.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub user_agent: String,
    /// Whole request, connect to last byte.
    pub timeout: Duration,
    /// Counted after decompression.
    pub max_body_bytes: u64,
    /// Requests in flight in total (>= 1).
    pub concurrency: usize,
    /// Requests in flight per host (>= 1).
    pub per_host: usize,
}

/// `[output]`.
#[derive(Debug, Clone)]
pub struct OutputConfig {
    /// The aggregated feed of everything.
    pub path: PathBuf,
    pub title: String,
    /// `rel="self"` of the main feed; also the base of the feed ids.
    pub self_url: Option<String>,
    pub max_entries: usize,
    pub per_topic: bool,
    pub per_region: bool,
    /// `index` (default true): also write `<dir of path>/index.html`, a
    /// page for people listing every feed.
    pub index: bool,
}

/// One `[[source]]`.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub url: url::Url,
    pub region: Option<String>,
    /// The source's own schedule, or a copy of `[schedule].cron`.
    pub schedule: Schedule,
    pub enabled: bool,
    /// Topic names added to every item of this source (deduplicated, in file order).
    pub tags: Vec<String>,
}

/// One `[[topic]]`.
#[derive(Debug, Clone)]
pub struct TopicConfig {
    pub name: String,
    pub label: Option<String>,
    pub keywords: Vec<String>,
    pub exclude: Vec<String>,
    /// `regions` (optional): when not empty, the topic applies only to items
    /// from sources in one of these regions.
    pub regions: Vec<String>,
}

/// A configuration error: one sentence, naming file, line, column and key.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub message: String,
}

/// Defaults of the contract.
pub const DEFAULT_CRON: &str = "*/15 * * * *";
pub const DEFAULT_USER_AGENT: &str = "feedmill/0.1 (+https://example.org/feedmill)";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10_485_760;
pub const DEFAULT_CONCURRENCY: usize = 16;
pub const DEFAULT_PER_HOST: usize = 2;
pub const DEFAULT_TITLE: &str = "Regional news";
pub const DEFAULT_MAX_ENTRIES: usize = 500;
pub const DEFAULT_SOURCE_TIMEOUT: Duration = Duration::from_secs(120);
pub const DEFAULT_RETENTION_AGE: Duration = Duration::from_secs(90 * DAY_SECS);
pub const DEFAULT_RETENTION_ITEMS: usize = 100_000;
const DAY_SECS: u64 = 24 * 3600;

/// A config larger than this is certainly a mistake; refusing it keeps
/// memory bounded.
const MAX_FILE_BYTES: u64 = 4 << 20;
// Upper bounds that keep a typo from exhausting memory or overflowing timers.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
const MAX_BODY_LIMIT: i64 = 1 << 30;
const MAX_PARALLEL: i64 = 1024;
const MAX_ENTRIES_LIMIT: i64 = 1_000_000;
const MAX_ITEMS_LIMIT: i64 = 1_000_000;
const MAX_RETENTION_AGE: Duration = Duration::from_secs(3650 * DAY_SECS);
const MAX_RETENTION_ITEMS: i64 = 100_000_000;
/// `[dedup].window` may reach back a month; longer would merge a story with
/// its anniversary.
pub const MAX_DEDUP_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);

impl Config {
    /// Reads, parses and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let cannot = |reason: &dyn Display| ConfigError {
            message: format!("cannot read config {}: {reason}", path.display()),
        };
        let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
        let mut bytes = Vec::new();
        use std::io::Read;
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| cannot(&e))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(cannot(&format_args!(
                "it is larger than {MAX_FILE_BYTES} bytes"
            )));
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let valid = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
                let (line, col) = check::line_col(&valid, at);
                return Err(ConfigError {
                    message: format!(
                        "{}:{line}:{col}: the file is not valid UTF-8",
                        path.display()
                    ),
                });
            }
        };
        Config::parse(&text, path)
    }

    /// Parses and validates `text` as if it were the file at `path` (which
    /// names it in errors and anchors relative paths; it is not read).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        check::parse(text, path)
    }

    /// The source configured under `name`.
    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The topic configured under `name`.
    pub fn topic(&self, name: &str) -> Option<&TopicConfig> {
        self.topics.iter().find(|t| t.name == name)
    }

    /// Where per-topic feeds go: `<dir of output.path>/topics/<topic>.atom`.
    pub fn topic_feed_path(&self, topic: &str) -> PathBuf {
        self.output_dir()
            .join("topics")
            .join(format!("{topic}.atom"))
    }

    /// Where per-region feeds go: `<dir of output.path>/regions/<region>.atom`.
    pub fn region_feed_path(&self, region: &str) -> PathBuf {
        self.output_dir()
            .join("regions")
            .join(format!("{region}.atom"))
    }

    /// The page for people: `<dir of output.path>/index.html`.
    pub fn index_path(&self) -> PathBuf {
        self.output_dir().join("index.html")
    }

    pub fn output_dir(&self) -> PathBuf {
        self.output
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// `"500ms"`, `"30s"`, `"2m"`, `"1h"`, `"1d"`: a whole number and a unit,
/// more than zero and at most a day.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    parse_duration_up_to(text, MAX_TIMEOUT)
}

/// Like [`parse_duration`], with another upper limit (a whole number of
/// hours).
pub fn parse_duration_up_to(text: &str, max: Duration) -> Result<Duration, String> {
    let garbage = || {
        format!("{text:?} is not a duration; write a whole number and a unit, such as \"500ms\", \"30s\", \"2m\", \"1h\" or \"90d\"")
    };
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let millis_per_unit: u64 = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(garbage()),
    };
    let n: u64 = number.parse().map_err(|_| garbage())?;
    let millis = n.checked_mul(millis_per_unit).map(Duration::from_millis);
    match millis {
        Some(d) if d.is_zero() => Err(format!("{text:?} must be more than zero")),
        Some(d) if d <= max => Ok(d),
        _ => {
            let secs = max.as_secs();
            let limit = if secs > DAY_SECS && secs % DAY_SECS == 0 {
                format!("{}d", secs / DAY_SECS)
            } else {
                format!("{}h", secs / 3600)
            };
            Err(format!("{text:?} is longer than the limit of {limit}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check::line_col;
    use super::*;

    #[test]
    fn the_example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/feedmill.toml");
        let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            config.sources.len() >= 15,
            "{} sources",
            config.sources.len()
        );
        assert!(config.topics.len() >= 6, "{} topics", config.topics.len());
        for s in &config.sources {
            assert!(s.region.is_some(), "source {:?} has no region", s.name);
        }
        let cyrillic = |s: &str| s.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
        for t in &config.topics {
            assert!(t.label.is_some(), "topic {} has no label", t.name);
            assert!(
                t.keywords.iter().any(|k| cyrillic(k)),
                "topic {} has no Cyrillic keyword",
                t.name
            );
            assert!(
                t.keywords.iter().any(|k| k.contains(' ')),
                "topic {} has no multi-word keyword",
                t.name
            );
        }
        assert!(
            config.sources.iter().any(|s| !s.enabled),
            "no disabled example"
        );
        assert!(
            config.sources.iter().any(|s| !s.tags.is_empty()),
            "no tags example"
        );
        let own_cron = config
            .sources
            .iter()
            .filter(|s| s.schedule.expr != config.schedule.cron.expr);
        assert!(
            own_cron.count() >= 2,
            "fewer than two sources with their own cron"
        );
        assert_eq!(config.schedule.timezone, chrono_tz::Europe::Belgrade);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(
            config.database.starts_with(dir.join("config")),
            "{}",
            config.database.display()
        );
        assert!(config.database.ends_with("state/feedmill.db"));
        assert!(config.output.path.ends_with("public/feed.atom"));
    }

    #[test]
    fn durations() {
        let ok = [
            ("30s", 30_000),
            ("500ms", 500),
            ("2m", 120_000),
            ("1h", 3_600_000),
            (" 45s ", 45_000),
            ("24h", 86_400_000),
            ("1d", 86_400_000),
        ];
        for (text, millis) in ok {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(millis)),
                "{text}"
            );
        }
        let bad = [
            ("0s", "more than zero"),
            ("0ms", "more than zero"),
            ("30", "not a duration"),
            ("s", "not a duration"),
            ("1.5s", "not a duration"),
            ("-1s", "not a duration"),
            ("10 sec", "not a duration"),
            ("2d", "limit of 24h"),
            ("1w", "not a duration"),
            ("", "not a duration"),
            ("25h", "limit"),
            ("99999999999999999999h", "not a duration"),
            ("9999999999999h", "limit"),
        ];
        for (text, fragment) in bad {
            match parse_duration(text) {
                Ok(d) => panic!("{text:?} accepted as {d:?}"),
                Err(e) => assert!(e.contains(fragment), "{text:?}: {e}"),
            }
        }
    }

    #[test]
    fn line_col_counts_characters_from_one() {
        let text = "a = 1\nčć = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 11), (2, 4)); // byte 11 is "=" after two 2-byte letters
        assert_eq!(line_col(text, text.len()), (3, 1));
    }
}
