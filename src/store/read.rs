//! Reading: entries for the renderer, source states for `status` and the
//! scheduler.
//!
//! Entries are read in two steps, so that a render costs about the same
//! whatever the size of the database and however rare a topic is:
//! 1. windows: one walk over the stories, newest first, finds the story ids
//!    of every feed at once (the newest `limit` of all, of each topic, of
//!    each region) and stops as soon as every feed is full. A feed still
//!    short after `WALK_FACTOR * limit` stories is rare in recent news, and
//!    is read from its own side instead (its topic's or region's copies),
//!    which costs what the feed holds rather than a walk to the oldest story.
//! 2. entries: each window is read story by story (two primary-key lookups
//!    each) into one reused [`Entry`] that the caller turns into bytes at
//!    once; no feed's entries are ever all in memory.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{params, CachedStatement, Row};

use super::{db_err, parse_opt_ts, parse_ts, EntryFilter, SourceState, Store, StoreError};
use crate::fetch::Validators;
use crate::model::{Entry, EntrySource, FeedMeta};

/// The walk of step 1: every story, newest first (`stories_newest`), with
/// its copies' sources and topics, one row per copy and topic. Rows of one
/// story come together, so the walk can stop at any story.
const WALK_SQL: &str = "
    SELECT s.id, c.source_id, t.topic
      FROM stories s
      JOIN copies c ON c.story_id = s.id
      LEFT JOIN copy_topics t ON t.copy_id = c.id
     ORDER BY s.updated DESC, s.uid ASC";

/// The walk looks at most this many stories per entry of a feed before the
/// feeds still short are read from their own side.
const WALK_FACTOR: usize = 32;

/// A topic feed read from the topic's side: every story of the topic, then
/// the newest. Costs the size of the topic, not of the database.
const TOPIC_WINDOW_SQL: &str = "
    SELECT s.id FROM stories s
     WHERE s.id IN (SELECT c.story_id FROM copy_topics t JOIN copies c ON c.id = t.copy_id
                     WHERE t.topic = ?1)
     ORDER BY s.updated DESC, s.uid ASC
     LIMIT ?2";

/// A region feed read from its sources' side (by `copies(source_id, ...)`).
const REGION_WINDOW_SQL: &str = "
    SELECT s.id FROM stories s
     WHERE s.id IN (SELECT c.story_id FROM sources r JOIN copies c ON c.source_id = r.id
                     WHERE r.region = ?1)
     ORDER BY s.updated DESC, s.uid ASC
     LIMIT ?2";

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
        let regions = SourceRegions::load(self)?;
        let windows = windows(self, &regions, filters, limit)?;
        let mut reader = EntryReader::new(self, &regions)?;
        for (i, ids) in windows.iter().enumerate() {
            for &id in ids {
                if reader.read(id)? && sink(i, Some(&reader.entry)).is_break() {
                    return Ok(());
                }
            }
            if sink(i, None).is_break() {
                return Ok(());
            }
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

/// Step 1: the story ids of each feed, newest first, at most `limit` each.
fn windows(
    store: &Store,
    regions: &SourceRegions,
    filters: &[EntryFilter],
    limit: usize,
) -> Result<Vec<Vec<i64>>, StoreError> {
    let mut walk = Walk::new(regions, filters, limit);
    if limit == 0 || filters.is_empty() {
        return Ok(walk.ids);
    }
    let path = store.path.as_path();
    let what = "cannot read entries";
    let mut stmt = store
        .conn
        .prepare_cached(WALK_SQL)
        .map_err(|e| db_err(path, what, e))?;
    let mut rows = stmt.query([]).map_err(|e| db_err(path, what, e))?;
    let cap = limit.saturating_mul(WALK_FACTOR);
    let mut story = None;
    let mut walked = 0usize;
    let mut capped = false;
    while let Some(row) = rows.next().map_err(|e| db_err(path, what, e))? {
        let id: i64 = row.get(0).map_err(|e| db_err(path, what, e))?;
        if story != Some(id) {
            if walk.open == 0 {
                break;
            }
            if walked == cap {
                capped = true;
                break;
            }
            story = Some(id);
            walked += 1;
            walk.story(id);
        }
        let source: i64 = row.get(1).map_err(|e| db_err(path, what, e))?;
        let topic = row
            .get_ref(2)
            .and_then(|v| v.as_str_or_null().map_err(Into::into))
            .map_err(|e| db_err(path, what, e))?;
        walk.copy(id, source, topic);
    }
    drop(rows);
    let mut ids = walk.ids;
    if capped {
        for (filter, window) in filters.iter().zip(ids.iter_mut()) {
            if window.len() < limit {
                *window = window_of(store, filter, limit)?;
            }
        }
    }
    Ok(ids)
}

/// The state of the walk: each feed's window so far, and which feeds a
/// story belongs to.
struct Walk<'a> {
    ids: Vec<Vec<i64>>,
    limit: usize,
    /// Feeds not yet full.
    open: usize,
    all: Vec<usize>,
    by_topic: HashMap<&'a str, Vec<usize>>,
    by_source: HashMap<i64, Vec<usize>>,
}

impl<'a> Walk<'a> {
    fn new(regions: &SourceRegions, filters: &'a [EntryFilter], limit: usize) -> Walk<'a> {
        let mut walk = Walk {
            ids: vec![Vec::new(); filters.len()],
            limit,
            open: if limit == 0 { 0 } else { filters.len() },
            all: Vec::new(),
            by_topic: HashMap::new(),
            by_source: HashMap::new(),
        };
        for (i, filter) in filters.iter().enumerate() {
            match filter {
                EntryFilter::All => walk.all.push(i),
                EntryFilter::Topic(t) => walk.by_topic.entry(t.as_str()).or_default().push(i),
                EntryFilter::Region(r) => {
                    for (&source, region) in &regions.0 {
                        if region.as_deref() == Some(r.as_str()) {
                            walk.by_source.entry(source).or_default().push(i);
                        }
                    }
                }
            }
        }
        walk
    }

    /// A new story: it belongs to every feed of everything.
    fn story(&mut self, id: i64) {
        for k in 0..self.all.len() {
            self.add(self.all[k], id);
        }
    }

    /// One copy (and one of its topics) of story `id`.
    fn copy(&mut self, id: i64, source: i64, topic: Option<&str>) {
        if let Some(feeds) = self.by_source.get(&source) {
            for &f in feeds {
                add(&mut self.ids[f], &mut self.open, self.limit, id);
            }
        }
        if let Some(feeds) = topic.and_then(|t| self.by_topic.get(t)) {
            for &f in feeds {
                add(&mut self.ids[f], &mut self.open, self.limit, id);
            }
        }
    }

    fn add(&mut self, feed: usize, id: i64) {
        add(&mut self.ids[feed], &mut self.open, self.limit, id);
    }
}

/// Appends story `id` to a window unless it is full or already ends with
/// it (a story's rows come together).
fn add(window: &mut Vec<i64>, open: &mut usize, limit: usize, id: i64) {
    if window.len() < limit && window.last() != Some(&id) {
        window.push(id);
        if window.len() == limit {
            *open -= 1;
        }
    }
}

/// One feed's window read from its own side (see [`TOPIC_WINDOW_SQL`]).
fn window_of(store: &Store, filter: &EntryFilter, limit: usize) -> Result<Vec<i64>, StoreError> {
    let path = store.path.as_path();
    let what = "cannot read entries";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (sql, name) = match filter {
        EntryFilter::Topic(t) => (TOPIC_WINDOW_SQL, t),
        EntryFilter::Region(r) => (REGION_WINDOW_SQL, r),
        // The walk fills the main feed first: it is never short when capped.
        EntryFilter::All => return Ok(Vec::new()),
    };
    let mut stmt = store
        .conn
        .prepare_cached(sql)
        .map_err(|e| db_err(path, what, e))?;
    let rows = stmt
        .query_map(params![name, limit], |r| r.get(0))
        .map_err(|e| db_err(path, what, e))?;
    rows.collect::<Result<_, _>>()
        .map_err(|e| db_err(path, what, e))
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
    fn read(&mut self, id: i64) -> Result<bool, StoreError> {
        let path = self.path;
        let err = |e| db_err(path, "cannot read entries", e);
        let entry = &mut self.entry;
        let mut rows = self.story.query([id]).map_err(err)?;
        let Some(row) = rows.next().map_err(err)? else {
            return Ok(false);
        };
        let (first_copy, updated, published) = fill(entry, row).map_err(err)?;
        let authors = text(row, 7).map_err(err)?;
        entry.authors = list(path, &entry.uid, "copies.authors", authors)?;
        entry.updated = parse_ts(path, "stories.updated", &updated)?;
        entry.published = parse_opt_ts(path, "copies.published", published)?;
        drop(rows);

        for list in [&mut entry.topics, &mut entry.regions, &mut entry.related] {
            self.spare.append(list);
        }
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
        entry.topics.sort_unstable();
        entry.topics.dedup();
        entry.regions.sort_unstable();
        entry.regions.dedup();
        Ok(true)
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

/// Copies the columns of `ENTRY_SQL` into `entry`, reusing its strings;
/// returns the first copy's id and the timestamps, still text.
fn fill(entry: &mut Entry, r: &Row<'_>) -> rusqlite::Result<(i64, String, Option<String>)> {
    set(&mut entry.uid, text(r, 0)?);
    let updated = text(r, 1)?.to_owned();
    let first_copy = r.get(2)?;
    set(&mut entry.title, text(r, 3)?);
    set_opt(&mut entry.link, text_or_null(r, 4)?);
    set_opt(&mut entry.summary_html, text_or_null(r, 5)?);
    set_opt(&mut entry.content_html, text_or_null(r, 6)?);
    let published = text_or_null(r, 8)?.map(str::to_owned);
    let source = &mut entry.source;
    set(&mut source.name, text(r, 9)?);
    set(&mut source.url, text(r, 10)?);
    set_opt(&mut source.feed_title, text_or_null(r, 11)?);
    set_opt(&mut source.feed_id, text_or_null(r, 12)?);
    set_opt(&mut source.feed_link, text_or_null(r, 13)?);
    Ok((first_copy, updated, published))
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

pub(super) fn source_states(
    store: &Store,
    name: Option<&str>,
) -> Result<Vec<SourceState>, StoreError> {
    let path = store.path.as_path();
    let what = match name {
        Some(n) => format!("cannot read the state of source {n:?}"),
        None => "cannot read the state of the sources".to_string(),
    };
    let mut stmt = store
        .conn
        .prepare_cached(
            "SELECT s.name, s.etag, s.last_modified, s.body_hash, s.last_attempt,
                    s.last_success, s.last_error, s.consecutive_failures, s.not_before,
                    s.redirected_to, s.feed_title, s.feed_id, s.feed_link,
                    (SELECT COUNT(*) FROM copies c WHERE c.source_id = s.id)
               FROM sources s
              WHERE ?1 IS NULL OR s.name = ?1
              ORDER BY s.name",
        )
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
                items: u64::try_from(r.get::<_, i64>(13)?).unwrap_or(0),
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
