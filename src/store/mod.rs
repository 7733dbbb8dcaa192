//! Store: SQLite, one writer; each write transaction holds whole polls
//! (one, or a cycle's batch: see `batch.rs`).
//!
//! Dedup rules 1-3 of the contract are enforced by UNIQUE constraints in the
//! schema, not only by the code paths that insert (see `schema.rs`).
//!
//! Layout: `schema.rs` opens and migrates, `write.rs` records polls (dedup)
//! and re-tags, `read.rs` answers entries and source states.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, TransactionBehavior};

use crate::fetch::Validators;
use crate::model::{Entry, FeedMeta, Item};

mod batch;
mod checkpoint;
mod ident;
pub mod near;
mod near_index;
mod prune;
mod read;
mod schema;
mod write;

#[cfg(test)]
mod tests;

pub use batch::Batch;
pub use prune::{PruneStats, Retention};

/// A store failure: one sentence naming the database file (and the source,
/// when one is involved).
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
    /// Items stored from this source; counted by [`Store::source_states`]
    /// only (`None` from [`Store::source_state`]).
    pub items: Option<u64>,
}

/// An item with the topics it was tagged with (keywords + source tags),
/// and what the store derives from it before writing.
///
/// The derived parts (near-duplicate signature, canonical link, identity,
/// content hash, the row's JSON and dates) are made here, with the item: a
/// cycle does it on the parse threads, so the single writer spends the
/// write transaction on writing. The item cannot be changed afterwards, so
/// they cannot go stale.
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedItem {
    item: Item,
    near: near::Signature,
    row: write::Prepared,
}

impl TaggedItem {
    pub fn new(item: Item, topics: Vec<String>) -> TaggedItem {
        let near = near_index::signature(
            &item.title,
            item.summary_html.as_deref(),
            item.content_html.as_deref(),
        );
        let row = write::Prepared::new(&item, topics, &near);
        TaggedItem { item, near, row }
    }

    pub fn item(&self) -> &Item {
        &self.item
    }

    /// The topics, sorted, without repeats.
    pub fn topics(&self) -> &[String] {
        &self.row.topics
    }
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

/// The feedmill database: one connection, used by one writer.
pub struct Store {
    /// Declared before `conn`: its thread stops before the connection
    /// closes (see checkpoint.rs).
    _checkpointer: checkpoint::Checkpointer,
    conn: Connection,
    path: PathBuf,
    /// Near-duplicate detection used when storing polls.
    near: near::NearDupSettings,
    /// New copies merged into a story already stored, since opening.
    merged: u64,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// Creates missing parent folders; refuses a database whose schema is
    /// newer than this binary, or that is not a feedmill database.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = schema::open(path)?;
        // Every statement of a poll and a render is prepared once and kept:
        // rusqlite's default cache (16) is smaller than the store's set of
        // statements, and re-preparing showed in the profile of a cold poll.
        conn.set_prepared_statement_cache_capacity(64);
        near_index::ensure(&mut conn, path)?;
        let checkpointer = checkpoint::Checkpointer::install(&mut conn, path)
            .map_err(|e| db_err(path, "cannot set up checkpoints", e))?;
        Ok(Store {
            _checkpointer: checkpointer,
            conn,
            path: path.to_path_buf(),
            near: near::NearDupSettings::default(),
            merged: 0,
        })
    }

    /// Sets how near-duplicates across sources are detected when polls are
    /// stored (`[dedup]`); until called, [`near::NearDupSettings::default`]
    /// applies (on, threshold 0.75, window 72 h). Stories already merged
    /// stay merged.
    pub fn set_near_duplicates(&mut self, settings: near::NearDupSettings) {
        self.near = settings;
    }

    /// New copies that joined a story already stored (by canonical link or
    /// as near-duplicates) since this store was opened: the daemon's
    /// "duplicates merged" counter.
    pub fn merged_total(&self) -> u64 {
        self.merged
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An error naming the database and what was being done.
    fn err(&self, what: &str, e: impl std::fmt::Display) -> StoreError {
        db_err(&self.path, what, e)
    }

    /// Records the configured sources (name, url, region); sources no longer
    /// configured keep their items.
    ///
    /// A source whose URL changed forgets its validators, body hash and
    /// redirect: they belonged to the old address.
    pub fn sync_sources(&mut self, sources: &[SourceInfo]) -> Result<(), StoreError> {
        let what = "cannot record the configured sources";
        let tx = immediate(&mut self.conn, &self.path, what)?;
        {
            let mut upsert = tx
                .prepare(
                    "INSERT INTO sources (name, url, region) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET
                        region = excluded.region,
                        etag = CASE WHEN url = excluded.url THEN etag END,
                        last_modified = CASE WHEN url = excluded.url THEN last_modified END,
                        body_hash = CASE WHEN url = excluded.url THEN body_hash END,
                        redirected_to = CASE WHEN url = excluded.url THEN redirected_to END,
                        url = excluded.url
                     WHERE url IS NOT excluded.url OR region IS NOT excluded.region",
                )
                .map_err(|e| db_err(&self.path, what, e))?;
            let mut changed = 0;
            for s in sources {
                changed += upsert
                    .execute(params![s.name, s.url, s.region])
                    .map_err(|e| {
                        db_err(&self.path, &format!("cannot record source {:?}", s.name), e)
                    })?;
            }
            // A new region or URL shows in the outputs.
            if changed > 0 {
                bump_content_version(&tx).map_err(|e| db_err(&self.path, what, e))?;
            }
        }
        tx.commit().map_err(|e| db_err(&self.path, what, e))
    }

    /// What the store remembers about the source named `name`, if anything,
    /// as a poll needs it: without counting its items.
    pub fn source_state(&self, name: &str) -> Result<Option<SourceState>, StoreError> {
        read::source_states(self, Some(name), false).map(|mut v| v.pop())
    }

    /// Every source the store knows, by name, with its count of items.
    pub fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        read::source_states(self, None, true)
    }

    /// A write transaction for several polls at once (see [`Batch`]).
    pub fn batch(&mut self) -> Result<Batch<'_>, StoreError> {
        Batch::begin(self)
    }

    /// A 200 whose body was parsed: stores the items (dedup rules 1-3), the
    /// feed's metadata, the validators and body hash, and marks the attempt a
    /// success; all in one transaction. `not_before` holds the next poll back
    /// (the server's cache lifetime or the feed's `<ttl>`).
    #[allow(clippy::too_many_arguments)]
    pub fn record_fetched(
        &mut self,
        source: &str,
        meta: &FeedMeta,
        validators: &Validators,
        body_hash: &str,
        redirected_to: Option<&str>,
        items: &[TaggedItem],
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<PollStats, StoreError> {
        let mut batch = self.batch()?;
        let stats = batch.record_fetched(
            source,
            meta,
            validators,
            body_hash,
            redirected_to,
            items,
            not_before,
            now,
        )?;
        batch.commit()?;
        Ok(stats)
    }

    /// A 304, or a 200 whose body hash equals the last one: a success that
    /// changes no item. `validators` replace the stored ones when given;
    /// `not_before` as for [`Store::record_fetched`].
    pub fn record_unchanged(
        &mut self,
        source: &str,
        validators: Option<&Validators>,
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let batch = self.batch()?;
        batch.record_unchanged(source, validators, not_before, now)?;
        batch.commit()
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
        let batch = self.batch()?;
        batch.record_failure(source, error, not_before, now)?;
        batch.commit()
    }

    /// A number that changes whenever something the output feeds show may
    /// have changed (items, feed titles, regions, topics): outputs rendered
    /// at one value are current while it stays.
    pub fn content_version(&self) -> Result<i64, StoreError> {
        self.meta(CONTENT_VERSION)
            .map(|v| v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// What [`Store::set_rendered`] last recorded.
    pub fn rendered(&self) -> Result<Option<String>, StoreError> {
        self.meta(RENDERED)
    }

    /// Records what the outputs were last rendered from (a content version
    /// and the output settings, as the caller spells them).
    pub fn set_rendered(&mut self, marker: &str) -> Result<(), StoreError> {
        set_meta(&self.conn, RENDERED, marker).map_err(|e| self.err("cannot record the render", e))
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(&format!("cannot read {key} from meta"), e))
    }

    /// The newest `limit` entries of a feed, newest first (by `updated`, then uid).
    pub fn entries(&self, filter: &EntryFilter, limit: usize) -> Result<Vec<Entry>, StoreError> {
        read::entries(self, filter, limit)
    }

    /// How many stories (output entries) the store holds.
    pub fn story_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM stories", [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err("cannot count stories", e))
    }

    /// Deletes stories past `policy`'s age or count, except those in any
    /// output feed's window (see `prune.rs`), and records when it ran.
    pub fn prune(
        &mut self,
        policy: &Retention,
        now: DateTime<Utc>,
    ) -> Result<PruneStats, StoreError> {
        prune::prune(self, policy, now)
    }

    /// When [`Store::prune`] last ran on this database, if ever.
    pub fn last_prune(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        prune::last_prune(self)
    }

    /// Re-tags every stored copy when the topic configuration changed since
    /// the last call (compared by `fingerprint`). `tagger(source_name,
    /// match_text)` returns the topics. Returns whether anything was re-tagged.
    pub fn retag_if_changed(
        &mut self,
        fingerprint: &str,
        tagger: &dyn Fn(&str, &str) -> Vec<String>,
    ) -> Result<bool, StoreError> {
        write::retag_if_changed(self, fingerprint, tagger)
    }
}

/// Keys in `meta`: see [`Store::content_version`] and [`Store::rendered`].
const CONTENT_VERSION: &str = "content_version";
const RENDERED: &str = "rendered";

/// Sets `key` in the `meta` table (a transaction derefs to its connection).
fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])
    .map(|_| ())
}

/// Moves [`Store::content_version`] on, inside the writing transaction.
fn bump_content_version(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
    )?
    .execute([CONTENT_VERSION])
    .map(|_| ())
}

/// An error naming the database and what was being done.
fn db_err(path: &Path, what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("database {}: {what}: {e}", path.display()))
}

/// Starts a write transaction. `BEGIN IMMEDIATE` takes the write lock up
/// front: a deferred transaction that reads and then writes fails with
/// "busy" at the write, whatever the busy timeout.
fn immediate<'c>(
    conn: &'c mut Connection,
    path: &Path,
    what: &str,
) -> Result<rusqlite::Transaction<'c>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| db_err(path, what, e))
}

fn unknown_source(path: &Path, source: &str) -> StoreError {
    StoreError(format!(
        "database {}: source {source:?} is not known to the store (sync_sources first)",
        path.display()
    ))
}

/// Timestamps are stored as fixed-width RFC 3339 UTC text (microseconds),
/// so they are readable in the `sqlite3` shell and sort as text.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads back a stored timestamp; `column` names it in the error.
fn parse_ts(path: &Path, column: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            StoreError(format!(
                "database {}: {column} holds {s:?}, not a timestamp: {e}",
                path.display()
            ))
        })
}

/// A stored timestamp read inside a query: column `i` of `row`, as the
/// error rusqlite gives for a value of the wrong type.
fn row_ts(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    row.get::<_, Option<String>>(i)?
        .map(|s| text_ts(i, &s))
        .transpose()
}

/// See [`row_ts`]; `i` is the column the text came from.
fn text_ts(i: usize, s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
}

fn parse_opt_ts(
    path: &Path,
    column: &str,
    s: Option<String>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.map(|s| parse_ts(path, column, &s)).transpose()
}

/// A date from a feed as the store keeps it: microsecond precision (what
/// `ts` writes, so comparisons with stored values are exact), and only years
/// 1..=9999, which RFC 3339 text can hold; anything else is no date.
fn item_date(d: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, DurationRound, TimeDelta};
    let d = d?;
    if !(1..=9999).contains(&d.year()) {
        return None;
    }
    d.duration_trunc(TimeDelta::microseconds(1)).ok()
}
