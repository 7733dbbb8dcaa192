//! Fetcher: HTTP with bounded concurrency, per-host limits, conditional GET
//! and a body size limit enforced while streaming.

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::HttpConfig;

/// Validators from the previous successful fetch, sent back as-is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: nothing to parse or store.
    NotModified,
    Fetched(FetchedBody),
}

#[derive(Debug)]
pub struct FetchedBody {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// Where the body came from after redirects.
    pub final_url: Url,
    /// Set when a permanent redirect (301/308) was followed: the address the
    /// user should put in the config.
    pub permanent_redirect: Option<Url>,
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub message: String,
    /// From `Retry-After` on 429/503.
    pub retry_after: Option<DateTime<Utc>>,
}

pub struct Fetcher {}

impl Fetcher {
    pub fn new(config: &HttpConfig) -> Result<Fetcher, FetchError> {
        let _ = config;
        todo!("fetcher")
    }

    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Result<FetchOutcome, FetchError> {
        let _ = (url, validators);
        todo!("fetch")
    }
}
