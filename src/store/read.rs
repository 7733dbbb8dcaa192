//! Reading: entries for the renderer, source states for `status` and the
//! scheduler.
//!
//! Entries are read in two steps, so that a render costs about the same
//! whatever the size of the database and however rare a topic is:
//! 1. windows (`read/window.rs`): one walk over the stories, newest first,
//!    finds the story ids of every feed at once (the newest `limit` of all,
//!    of each topic, of each region) and stops as soon as every feed is
//!    full. A feed still short after `WALK_FACTOR * limit` stories is rare
//!    in recent news, and is read from its own side instead (its topic's or
//!    region's copies), which costs what the feed holds rather than a walk
//!    to the oldest story.
//! 2. entries: each window is read story by story into one reused
//!    [`Entry`] that the caller turns into bytes at once, so no feed's
//!    entries are ever all in memory. A story is one primary-key lookup
//!    (story, first copy, source); its topics and region come from the
//!    walk, and only a story with several copies reads them all (for its
//!    related links).
//!
//! Everything is read in one transaction: one snapshot for all feeds.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{CachedStatement, Row, Transaction, TransactionBehavior};

use super::{db_err, parse_opt_ts, parse_ts, EntryFilter, SourceState, Store, StoreError};
use crate::fetch::Validators;
use crate::model::{Entry, EntrySource, FeedMeta};
use window::{windows, Windows};

mod window;

#[cfg(test)]
mod tests;

/// What an entry shows: the story and its first copy and source.
const ENTRY_SQL: &str = "
    SELECT s.uid, s.updated, c.id, c.title, c.link, c.summary_html, c.content_html,
           c.authors, c.published, src.name, src.url, src.feed_title, src.feed_id,
           src.feed_link
      FROM stories s
      JOIN copies c ON c.id = s.first_copy_id
      JOIN sources src ON src.id = c.source_id
     WHERE s.id = ?1";

/// Every copy of a story with its topics (one row per copy and topic): the
/// entry's topics, regions and related links.
const COPIES_SQL: &str = "
    SELECT c.id, c.link, c.source_id, t.topic
      FROM copies c
      LEFT JOIN copy_topics t ON t.copy_id = c.id
     WHERE c.story_id = ?1
     ORDER BY c.id";

impl Store {
    /// Streams the newest `limit` entries of each of `filters` (newest
    /// first, by `updated` then uid), feed after feed in the order given:
    /// `sink(i, Some(entry))` for each entry of feed `i`, then
    /// `sink(i, None)` when feed `i` is complete. The entry is only
    /// borrowed: it is refilled for the next call. `sink` returns
    /// `ControlFlow::Break` to stop early.
    pub fn stream_entries(
        &self,
        filters: &[EntryFilter],
        limit: usize,
        mut sink: impl FnMut(usize, Option<&Entry>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        // One read transaction for the whole stream: every feed comes from
        // the same snapshot, and each statement does not take and release
        // the database's shared lock (two system calls) on its own.
        let snapshot = if self.conn.is_autocommit() {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)
                .map_err(|e| db_err(&self.path, "cannot start reading entries", e))?;
            Some(tx)
        } else {
            None
        };
        let regions = SourceRegions::load(self)?;
        let windows = windows(self, &regions, filters, limit)?;
        let mut reader = EntryReader::new(self, &regions)?;
        for (i, ids) in windows.ids.iter().enumerate() {
            for &id in ids {
                if reader.read(id, &windows)? && sink(i, Some(&reader.entry)).is_break() {
                    return Ok(());
                }
            }
            if sink(i, None).is_break() {
                break;
            }
        }
        drop(reader);
        // Nothing was written: ending the read is all that is left to do.
        if let Some(tx) = snapshot {
            tx.commit()
                .map_err(|e| db_err(&self.path, "cannot finish reading entries", e))?;
        }
        Ok(())
    }
}

/// [`Store::entries`]: one feed's entries, collected.
pub(super) fn entries(
    store: &Store,
    filter: &EntryFilter,
    limit: usize,
) -> Result<Vec<Entry>, StoreError> {
    let mut out = Vec::new();
    store.stream_entries(std::slice::from_ref(filter), limit, |_, entry| {
        if let Some(e) = entry {
            out.push(e.clone());
        }
        ControlFlow::Continue(())
    })?;
    Ok(out)
}

/// Each source's region, by source id.
struct SourceRegions(HashMap<i64, Option<String>>);

impl SourceRegions {
    fn load(store: &Store) -> Result<SourceRegions, StoreError> {
        let err = |e| db_err(&store.path, "cannot read the regions of the sources", e);
        let mut stmt = store
            .conn
            .prepare_cached("SELECT id, region FROM sources")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(err)?;
        let map = rows.collect::<Result<_, _>>().map_err(err)?;
        Ok(SourceRegions(map))
    }

    fn of(&self, source_id: i64) -> Option<&str> {
        self.0.get(&source_id).and_then(|r| r.as_deref())
    }
}

/// Step 2: reads one story at a time into a reused entry, with its two
/// statements prepared once.
struct EntryReader<'s> {
    path: &'s Path,
    regions: &'s SourceRegions,
    story: CachedStatement<'s>,
    copies: CachedStatement<'s>,
    entry: Entry,
    /// Strings of the last entry's lists, kept for their capacity.
    spare: Vec<String>,
}

impl<'s> EntryReader<'s> {
    fn new(store: &'s Store, regions: &'s SourceRegions) -> Result<Self, StoreError> {
        let err = |e| db_err(&store.path, "cannot read entries", e);
        Ok(EntryReader {
            path: &store.path,
            regions,
            story: store.conn.prepare_cached(ENTRY_SQL).map_err(err)?,
            copies: store.conn.prepare_cached(COPIES_SQL).map_err(err)?,
            entry: blank_entry(),
            spare: Vec::new(),
        })
    }

    /// Fills `self.entry` with story `id`; false when the story has no
    /// first copy (then it is no entry, as with the join it stands for).
    fn read(&mut self, id: i64, windows: &Windows) -> Result<bool, StoreError> {
        let path = self.path;
        let err = |e| db_err(path, "cannot read entries", e);
        let entry = &mut self.entry;
        let mut rows = self.story.query([id]).map_err(err)?;
        let Some(row) = rows.next().map_err(err)? else {
            return Ok(false);
        };
        let first_copy = fill(entry, row).map_err(err)?;
        let authors = text(row, 7).map_err(err)?;
        entry.authors = list(path, &entry.uid, "copies.authors", authors)?;
        entry.updated = parse_ts(path, "stories.updated", text(row, 1).map_err(err)?)?;
        entry.published = match text_or_null(row, 8).map_err(err)? {
            Some(p) => Some(parse_ts(path, "copies.published", p)?),
            None => None,
        };
        drop(rows);

        for list in [&mut entry.topics, &mut entry.regions, &mut entry.related] {
            self.spare.append(list);
        }
        let known = windows.facts.get(&id).and_then(|f| match f.single {
            Some((copy, source)) if copy == first_copy => Some((f, source)),
            _ => None,
        });
        if let Some((facts, source)) = known {
            // The walk saw the story's only copy: no related links, and
            // its topics and region are known.
            for &t in &facts.topics {
                if let Some(name) = windows.topics.get(t as usize) {
                    push_string(&mut entry.topics, &mut self.spare, name);
                }
            }
            if let Some(r) = self.regions.of(source) {
                push_string(&mut entry.regions, &mut self.spare, r);
            }
        } else {
            self.copies_of(id, first_copy)?;
        }
        let entry = &mut self.entry;
        entry.topics.sort_unstable();
        entry.topics.dedup();
        entry.regions.sort_unstable();
        entry.regions.dedup();
        Ok(true)
    }

    /// The topics, regions and related links of story `id`, from all its
    /// copies.
    fn copies_of(&mut self, id: i64, first_copy: i64) -> Result<(), StoreError> {
        let path = self.path;
        let err = |e| db_err(path, "cannot read entries", e);
        let entry = &mut self.entry;
        let mut rows = self.copies.query([id]).map_err(err)?;
        let mut last_copy = None;
        while let Some(row) = rows.next().map_err(err)? {
            let copy: i64 = row.get(0).map_err(err)?;
            if let Some(t) = text_or_null(row, 3).map_err(err)? {
                push_string(&mut entry.topics, &mut self.spare, t);
            }
            if last_copy == Some(copy) {
                continue;
            }
            last_copy = Some(copy);
            let source: i64 = row.get(2).map_err(err)?;
            if let Some(r) = self.regions.of(source) {
                push_string(&mut entry.regions, &mut self.spare, r);
            }
            // Other copies' links, first seen first, unless they are the
            // entry's own link.
            let link = text_or_null(row, 1).map_err(err)?;
            if let Some(link) =
                link.filter(|&l| copy != first_copy && Some(l) != entry.link.as_deref())
            {
                if !entry.related.iter().any(|r| r == link) {
                    push_string(&mut entry.related, &mut self.spare, link);
                }
            }
        }
        Ok(())
    }
}

/// The entry `EntryReader` refills (`Entry` has no `Default`).
fn blank_entry() -> Entry {
    Entry {
        uid: String::new(),
        title: String::new(),
        link: None,
        summary_html: None,
        content_html: None,
        authors: Vec::new(),
        published: None,
        updated: chrono::DateTime::UNIX_EPOCH,
        topics: Vec::new(),
        regions: Vec::new(),
        source: EntrySource::default(),
        related: Vec::new(),
    }
}

/// Copies the text columns of `ENTRY_SQL` but the timestamps and authors
/// into `entry`, reusing its strings; returns the first copy's id.
fn fill(entry: &mut Entry, r: &Row<'_>) -> rusqlite::Result<i64> {
    set(&mut entry.uid, text(r, 0)?);
    let first_copy = r.get(2)?;
    set(&mut entry.title, text(r, 3)?);
    set_opt(&mut entry.link, text_or_null(r, 4)?);
    set_opt(&mut entry.summary_html, text_or_null(r, 5)?);
    set_opt(&mut entry.content_html, text_or_null(r, 6)?);
    let source = &mut entry.source;
    set(&mut source.name, text(r, 9)?);
    set(&mut source.url, text(r, 10)?);
    set_opt(&mut source.feed_title, text_or_null(r, 11)?);
    set_opt(&mut source.feed_id, text_or_null(r, 12)?);
    set_opt(&mut source.feed_link, text_or_null(r, 13)?);
    Ok(first_copy)
}

fn text<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i).and_then(|v| v.as_str().map_err(Into::into))
}

fn text_or_null<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    match r.get_ref(i)? {
        ValueRef::Null => Ok(None),
        v => v.as_str().map(Some).map_err(Into::into),
    }
}

fn set(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

fn set_opt(dst: &mut Option<String>, src: Option<&str>) {
    match (dst.as_mut(), src) {
        (Some(d), Some(s)) => set(d, s),
        (None, Some(s)) => *dst = Some(s.to_owned()),
        (_, None) => *dst = None,
    }
}

/// Appends `s` to `list`, in a spare string when there is one.
fn push_string(list: &mut Vec<String>, spare: &mut Vec<String>, s: &str) {
    let mut owned = spare.pop().unwrap_or_default();
    set(&mut owned, s);
    list.push(owned);
}

/// A JSON list of strings (nulls skipped), as `copies.authors` holds.
fn list(path: &Path, uid: &str, column: &str, json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str::<Vec<Option<String>>>(json)
        .map(|v| v.into_iter().flatten().collect())
        .map_err(|e| {
            db_err(
                path,
                &format!("story {uid}: {column} is not a JSON list of strings"),
                e,
            )
        })
}

/// The state of source `name`, or of every source; with `count_items`, how
/// many items each has stored too. Counting reads all of a source's rows in
/// the (source, identity) index, so the polls of a cycle, which never need
/// it, leave it out.
pub(super) fn source_states(
    store: &Store,
    name: Option<&str>,
    count_items: bool,
) -> Result<Vec<SourceState>, StoreError> {
    let path = store.path.as_path();
    let what = match name {
        Some(n) => format!("cannot read the state of source {n:?}"),
        None => "cannot read the state of the sources".to_string(),
    };
    // Two statements: with `?1 IS NULL OR s.name = ?1` SQLite cannot use
    // the name's index, and a cycle asks for each source in turn.
    let filter = match name {
        Some(_) => "s.name = ?1",
        None => "?1 IS NULL",
    };
    let items = if count_items {
        "(SELECT COUNT(*) FROM copies c WHERE c.source_id = s.id)"
    } else {
        "NULL"
    };
    let mut stmt = store
        .conn
        .prepare_cached(&format!(
            "SELECT s.name, s.etag, s.last_modified, s.body_hash, s.last_attempt,
                    s.last_success, s.last_error, s.consecutive_failures, s.not_before,
                    s.redirected_to, s.feed_title, s.feed_id, s.feed_link,
                    {items}
               FROM sources s
              WHERE {filter}
              ORDER BY s.name"
        ))
        .map_err(|e| db_err(path, &what, e))?;
    type Raw = (SourceState, [Option<String>; 3]);
    let rows = stmt
        .query_map([name], |r| -> rusqlite::Result<Raw> {
            let state = SourceState {
                name: r.get(0)?,
                validators: Validators {
                    etag: r.get(1)?,
                    last_modified: r.get(2)?,
                },
                body_hash: r.get(3)?,
                last_error: r.get(6)?,
                consecutive_failures: u32::try_from(r.get::<_, i64>(7)?).unwrap_or(u32::MAX),
                redirected_to: r.get(9)?,
                feed: FeedMeta {
                    title: r.get(10)?,
                    id: r.get(11)?,
                    link: r.get(12)?,
                },
                items: r
                    .get::<_, Option<i64>>(13)?
                    .map(|n| u64::try_from(n).unwrap_or(0)),
                ..SourceState::default()
            };
            Ok((state, [r.get(4)?, r.get(5)?, r.get(8)?]))
        })
        .map_err(|e| db_err(path, &what, e))?;
    let mut out = Vec::new();
    for row in rows {
        let (mut state, [attempt, success, not_before]) =
            row.map_err(|e| db_err(path, &what, e))?;
        state.last_attempt = parse_opt_ts(path, "sources.last_attempt", attempt)?;
        state.last_success = parse_opt_ts(path, "sources.last_success", success)?;
        state.not_before = parse_opt_ts(path, "sources.not_before", not_before)?;
        out.push(state);
    }
    Ok(out)
}
