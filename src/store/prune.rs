//! Retention: old stories leave the database so it stops growing, except
//! those an output feed still shows.
//!
//! A story goes when it is older than `max_age` (by its `updated` date and
//! by when it was first seen, so a re-listed old item stays a while), or
//! when more than `max_items` newer stories exist. It stays, whatever its
//! age, while it is among the newest `window` entries of the main feed or
//! of any topic or region feed: pruning never changes an output file.
//!
//! A story a source still lists may come back after it was pruned; its id
//! is derived from its source and identity, so it comes back as the same
//! entry.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::{db_err, immediate, near_index, parse_ts, ts, Store, StoreError};

/// Key in `meta`: when the last prune ran.
const LAST_PRUNE: &str = "last_prune";
/// Stories deleted per transaction, so a large first prune does not hold
/// the write lock (or grow the WAL) for long.
const BATCH: i64 = 2000;

/// What to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Stories older than this go (`None`: no age limit).
    pub max_age: Option<chrono::Duration>,
    /// At most this many stories stay, the newest (`None`: no count limit).
    pub max_items: Option<usize>,
    /// Entries per output feed (`[output] max_entries`): the newest this
    /// many of every feed always stay.
    pub window: usize,
}

/// What a prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneStats {
    pub stories: usize,
    pub copies: usize,
}

/// Stories in some feed's window: the newest `window` of all, of each
/// topic, and of each region.
const PROTECTED_SQL: &str = "
    CREATE TEMP TABLE prune_keep AS
    SELECT id FROM (SELECT id FROM stories ORDER BY updated DESC, uid LIMIT ?1)
    UNION
    SELECT story_id FROM (
        SELECT x.story_id, ROW_NUMBER() OVER (
                   PARTITION BY x.topic ORDER BY s.updated DESC, s.uid) AS rank
          FROM (SELECT DISTINCT c.story_id, t.topic
                  FROM copies c JOIN copy_topics t ON t.copy_id = c.id) x
          JOIN stories s ON s.id = x.story_id)
     WHERE rank <= ?1
    UNION
    SELECT story_id FROM (
        SELECT x.story_id, ROW_NUMBER() OVER (
                   PARTITION BY x.region ORDER BY s.updated DESC, s.uid) AS rank
          FROM (SELECT DISTINCT c.story_id, src.region
                  FROM copies c JOIN sources src ON src.id = c.source_id
                 WHERE src.region IS NOT NULL) x
          JOIN stories s ON s.id = x.story_id)
     WHERE rank <= ?1";

/// Stories past the age or beyond the count, not in any window.
const DOOMED_SQL: &str = "
    CREATE TEMP TABLE prune_doomed AS
    SELECT id FROM (
        SELECT id, updated, first_seen,
               ROW_NUMBER() OVER (ORDER BY updated DESC, uid) AS rank
          FROM stories)
     WHERE ((updated < ?1 AND first_seen < ?1) OR rank > ?2)
       AND id NOT IN (SELECT id FROM prune_keep)";

pub(super) fn prune(
    store: &mut Store,
    policy: &Retention,
    now: DateTime<Utc>,
) -> Result<PruneStats, StoreError> {
    let path = store.path.clone();
    let what = "cannot prune old stories";
    let err = |e: rusqlite::Error| db_err(&path, what, e);
    // With no age limit, a cutoff before every possible date.
    let cutoff = policy
        .max_age
        .and_then(|age| now.checked_sub_signed(age))
        .map_or_else(|| "0000".to_string(), ts);
    let max_items = policy
        .max_items
        .and_then(|n| i64::try_from(n).ok())
        .unwrap_or(i64::MAX);
    let window = i64::try_from(policy.window).unwrap_or(i64::MAX);

    // Finding the feeds' windows ranks every story of every feed; most
    // prunes (every one of a young database) have nothing past the limits,
    // which one index range and a count tell.
    let anything_past: bool = store
        .conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM stories WHERE updated < ?1 AND first_seen < ?1)
                 OR (SELECT count(*) FROM stories) > ?2",
            params![cutoff, max_items],
            |r| r.get(0),
        )
        .map_err(err)?;
    if !anything_past {
        let tx = immediate(&mut store.conn, &path, what)?;
        record_prune(&tx, now).map_err(err)?;
        tx.commit().map_err(err)?;
        return Ok(PruneStats::default());
    }

    // Which stories go is decided once, in one snapshot; they are then
    // deleted in batches. New polls cannot interleave: this connection is
    // the only writer.
    {
        let tx = immediate(&mut store.conn, &path, what)?;
        tx.execute_batch(
            "DROP TABLE IF EXISTS temp.prune_keep; DROP TABLE IF EXISTS temp.prune_doomed;",
        )
        .map_err(err)?;
        tx.execute(PROTECTED_SQL, [window]).map_err(err)?;
        tx.execute(DOOMED_SQL, params![cutoff, max_items])
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
    let mut stats = PruneStats::default();
    loop {
        let tx = immediate(&mut store.conn, &path, what)?;
        let batch = delete_batch(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        if batch.stories == 0 {
            break;
        }
        stats.stories += batch.stories;
        stats.copies += batch.copies;
    }
    let tx = immediate(&mut store.conn, &path, what)?;
    tx.execute_batch("DROP TABLE temp.prune_keep; DROP TABLE temp.prune_doomed;")
        .map_err(err)?;
    record_prune(&tx, now).map_err(err)?;
    tx.commit().map_err(err)?;
    if stats.stories > 0 {
        // Hands the freed pages back to the file system when the database
        // was created with incremental auto-vacuum; a no-op otherwise (the
        // free pages are then reused by new stories).
        store
            .conn
            .execute_batch("PRAGMA incremental_vacuum")
            .map_err(err)?;
    }
    Ok(stats)
}

/// Records that a prune ran at `now`.
fn record_prune(tx: &Transaction<'_>, now: DateTime<Utc>) -> rusqlite::Result<()> {
    super::set_meta(tx, LAST_PRUNE, &ts(now))
}

/// Deletes up to `BATCH` doomed stories with everything that refers to them.
fn delete_batch(tx: &Transaction<'_>) -> rusqlite::Result<PruneStats> {
    tx.execute_batch(
        "DROP TABLE IF EXISTS temp.prune_batch;
         CREATE TEMP TABLE prune_batch (id INTEGER PRIMARY KEY);",
    )?;
    let stories = tx.execute(
        "INSERT INTO prune_batch SELECT id FROM prune_doomed ORDER BY id LIMIT ?1",
        [BATCH],
    )?;
    if stories == 0 {
        tx.execute_batch("DROP TABLE temp.prune_batch;")?;
        return Ok(PruneStats::default());
    }
    let copy_ids: Vec<i64> = tx
        .prepare("SELECT id FROM copies WHERE story_id IN (SELECT id FROM prune_batch)")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in copy_ids {
        near_index::unindex_copy(tx, id)?;
        near_index::forget_signature(tx, id)?;
    }
    // Children before parents, as the foreign keys require.
    tx.execute_batch(
        "DELETE FROM copy_topics WHERE copy_id IN
             (SELECT id FROM copies WHERE story_id IN (SELECT id FROM prune_batch));
         UPDATE stories SET first_copy_id = NULL WHERE id IN (SELECT id FROM prune_batch);",
    )?;
    let copies = tx.execute(
        "DELETE FROM copies WHERE story_id IN (SELECT id FROM prune_batch)",
        [],
    )?;
    tx.execute_batch(
        "DELETE FROM story_links WHERE story_id IN (SELECT id FROM prune_batch);
         DELETE FROM stories WHERE id IN (SELECT id FROM prune_batch);
         DELETE FROM prune_doomed WHERE id IN (SELECT id FROM prune_batch);
         DROP TABLE temp.prune_batch;",
    )?;
    Ok(PruneStats { stories, copies })
}

/// When the last prune ran, if ever.
pub(super) fn last_prune(store: &Store) -> Result<Option<DateTime<Utc>>, StoreError> {
    let value: Option<String> = store
        .conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [LAST_PRUNE], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| db_err(&store.path, "cannot read the last prune time", e))?;
    value
        .map(|v| parse_ts(&store.path, "meta.last_prune", &v))
        .transpose()
}
