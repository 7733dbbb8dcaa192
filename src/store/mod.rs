//! Store: SQLite, one writer, one transaction per polled source.
//!
//! Dedup rules 1-3 of the contract are enforced by UNIQUE constraints in the
//! schema, not only by the code paths that insert.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::fetch::Validators;
use crate::model::{Entry, FeedMeta, Item};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// A configured source as the store records it (synced from the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub name: String,
    pub url: String,
    pub region: Option<String>,
}

/// What the store remembers about a source between polls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceState {
    pub name: String,
    pub validators: Validators,
    /// SHA-256 (hex) of the last body parsed, so an unchanged 200 costs no parse.
    pub body_hash: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// Not polled again before this (backoff, Retry-After).
    pub not_before: Option<DateTime<Utc>>,
    /// Set when the source's URL answered with a permanent redirect.
    pub redirected_to: Option<String>,
    pub feed: FeedMeta,
    /// Items stored from this source.
    pub items: u64,
}

/// An item with the topics it was tagged with (keywords + source tags).
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedItem {
    pub item: Item,
    pub topics: Vec<String>,
}

/// What one poll changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollStats {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Which entries a feed holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryFilter {
    All,
    Topic(String),
    Region(String),
}

pub struct Store {}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let _ = path;
        todo!("open")
    }

    /// Records the configured sources (name, url, region); sources no longer
    /// configured keep their items.
    pub fn sync_sources(&mut self, sources: &[SourceInfo]) -> Result<(), StoreError> {
        let _ = sources;
        todo!()
    }

    pub fn source_state(&self, name: &str) -> Result<Option<SourceState>, StoreError> {
        let _ = name;
        todo!()
    }

    /// Every source the store knows, by name.
    pub fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        todo!()
    }

    /// A 200 whose body was parsed: stores the items (dedup rules 1-3), the
    /// feed's metadata, the validators and body hash, and marks the attempt a
    /// success; all in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn record_fetched(
        &mut self,
        source: &str,
        meta: &FeedMeta,
        validators: &Validators,
        body_hash: &str,
        redirected_to: Option<&str>,
        items: &[TaggedItem],
        now: DateTime<Utc>,
    ) -> Result<PollStats, StoreError> {
        let _ = (source, meta, validators, body_hash, redirected_to, items, now);
        todo!()
    }

    /// A 304, or a 200 whose body hash equals the last one: a success that
    /// changes no item.
    pub fn record_unchanged(
        &mut self,
        source: &str,
        validators: Option<&Validators>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _ = (source, validators, now);
        todo!()
    }

    /// A failed attempt: error text, one more consecutive failure, and the
    /// earliest time to try again (backoff or Retry-After).
    pub fn record_failure(
        &mut self,
        source: &str,
        error: &str,
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _ = (source, error, not_before, now);
        todo!()
    }

    /// The newest `limit` entries of a feed, newest first (by `updated`, then uid).
    pub fn entries(&self, filter: &EntryFilter, limit: usize) -> Result<Vec<Entry>, StoreError> {
        let _ = (filter, limit);
        todo!()
    }

    /// Re-tags every stored copy when the topic configuration changed since
    /// the last call (compared by `fingerprint`). `tagger(source_name,
    /// match_text)` returns the topics. Returns whether anything was re-tagged.
    pub fn retag_if_changed(
        &mut self,
        fingerprint: &str,
        tagger: &dyn Fn(&str, &str) -> Vec<String>,
    ) -> Result<bool, StoreError> {
        let _ = (fingerprint, tagger);
        todo!()
    }
}
