//! Configuration: the TOML file of the contract, loaded and validated.
//!
//! Every error names file, line, column and key, because the person reading
//! it is editing that file right now.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::schedule::Schedule;

/// A validated configuration. Paths are absolute (resolved against the config
/// file's folder); schedules are parsed; names are checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was loaded from.
    pub path: PathBuf,
    pub database: PathBuf,
    pub schedule: ScheduleConfig,
    pub http: HttpConfig,
    pub output: OutputConfig,
    pub sources: Vec<SourceConfig>,
    pub topics: Vec<TopicConfig>,
}

#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// Default schedule of every source (`[schedule].cron`, default `*/15 * * * *`).
    pub cron: Schedule,
    /// IANA zone the schedules are read in (default UTC).
    pub timezone: chrono_tz::Tz,
}

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
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub name: String,
    pub url: url::Url,
    pub region: Option<String>,
    /// The source's own schedule, or a copy of `[schedule].cron`.
    pub schedule: Schedule,
    pub enabled: bool,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct TopicConfig {
    pub name: String,
    pub label: Option<String>,
    pub keywords: Vec<String>,
    pub exclude: Vec<String>,
}

/// A configuration error: one sentence, naming file, line, column and key.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub message: String,
}

impl Config {
    /// Reads, parses and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let _ = path;
        todo!("config loading")
    }

    /// Where per-topic feeds go: `<dir of output.path>/topics/<topic>.atom`.
    pub fn topic_feed_path(&self, topic: &str) -> PathBuf {
        self.output_dir().join("topics").join(format!("{topic}.atom"))
    }

    /// Where per-region feeds go: `<dir of output.path>/regions/<region>.atom`.
    pub fn region_feed_path(&self, region: &str) -> PathBuf {
        self.output_dir().join("regions").join(format!("{region}.atom"))
    }

    pub fn output_dir(&self) -> PathBuf {
        self.output
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}
