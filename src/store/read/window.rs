//! Step 1 of reading entries: the story ids of every feed (see `read.rs`).

use std::collections::HashMap;

use rusqlite::params;

use super::{text_or_null, SourceRegions};
use crate::store::{db_err, EntryFilter, Store, StoreError};

/// The walk of step 1: every story, newest first (`stories_newest`), with
/// its copies' sources and topics, one row per copy and topic. Rows of one
/// story come together, so the walk can stop at any story.
pub(super) const WALK_SQL: &str = "
    SELECT s.id, c.id, c.source_id, t.topic
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

/// Step 1's result: each feed's story ids, newest first, and what the walk
/// learnt about the stories in them.
pub(super) struct Windows {
    pub(super) ids: Vec<Vec<i64>>,
    /// Stories of a window that the walk saw, by id.
    pub(super) facts: HashMap<i64, Facts>,
    /// Topic names, indexed by `Facts::topics`.
    pub(super) topics: Vec<String>,
}

/// A walked story's copies and topics: for a story with one copy (most of
/// them), all that step 2 needs besides the entry's own row.
pub(super) struct Facts {
    /// The copy and its source when the story has exactly one.
    pub(super) single: Option<(i64, i64)>,
    /// Indexes into `Windows::topics`, unsorted, maybe repeated.
    pub(super) topics: Vec<u32>,
}

/// Step 1: the story ids of each feed, newest first, at most `limit` each.
pub(super) fn windows(
    store: &Store,
    regions: &SourceRegions,
    filters: &[EntryFilter],
    limit: usize,
) -> Result<Windows, StoreError> {
    let mut walk = Walk::new(regions, filters, limit);
    if walk.fill.open > 0 {
        let path = store.path.as_path();
        let err = |e| db_err(path, "cannot read entries", e);
        let mut stmt = store.conn.prepare_cached(WALK_SQL).map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        let cap = limit.saturating_mul(WALK_FACTOR);
        let mut walked = 0usize;
        while let Some(row) = rows.next().map_err(err)? {
            let id: i64 = row.get(0).map_err(err)?;
            if walk.fill.story != Some(id) {
                walk.end_story();
                if walk.fill.open == 0 {
                    break;
                }
                if walked == cap {
                    walk.capped = true;
                    break;
                }
                walked += 1;
                walk.start_story(id);
            }
            let (copy, source): (i64, i64) = (row.get(1).map_err(err)?, row.get(2).map_err(err)?);
            walk.copy(copy, source, text_or_null(row, 3).map_err(err)?);
        }
        walk.end_story();
    }
    let mut windows = Windows {
        ids: walk.fill.ids,
        facts: walk.facts,
        topics: walk.topics.names,
    };
    if walk.capped {
        for (filter, window) in filters.iter().zip(windows.ids.iter_mut()) {
            if window.len() < limit {
                if let Some(ids) = window_of(store, filter, limit)? {
                    *window = ids;
                }
            }
        }
    }
    Ok(windows)
}

/// The state of the walk: each feed's window so far, which feeds a story
/// belongs to, and the story being read.
struct Walk<'a> {
    fill: Fill,
    /// Stopped at the cap rather than at the last story or full windows.
    capped: bool,
    all: Vec<usize>,
    by_topic: HashMap<&'a str, Vec<usize>>,
    by_source: HashMap<i64, Vec<usize>>,
    facts: HashMap<i64, Facts>,
    topics: Interned,
    /// The story being read: its first copy and source, whether it has
    /// others, and its topics.
    first: Option<(i64, i64)>,
    more: bool,
    story_topics: Vec<u32>,
}

/// The windows being filled, and the story being read.
struct Fill {
    ids: Vec<Vec<i64>>,
    limit: usize,
    /// Windows not yet full.
    open: usize,
    story: Option<i64>,
    /// Whether a window took the story being read.
    taken: bool,
}

impl Fill {
    /// Appends the story being read to window `feed` unless it is full or
    /// already ends with it (a story's rows come together).
    fn add(&mut self, feed: usize) {
        let (Some(id), Some(window)) = (self.story, self.ids.get_mut(feed)) else {
            return;
        };
        if window.len() < self.limit && window.last() != Some(&id) {
            window.push(id);
            self.taken = true;
            if window.len() == self.limit {
                self.open -= 1;
            }
        }
    }
}

impl<'a> Walk<'a> {
    fn new(regions: &SourceRegions, filters: &'a [EntryFilter], limit: usize) -> Walk<'a> {
        let mut walk = Walk {
            fill: Fill {
                ids: vec![Vec::new(); filters.len()],
                limit,
                open: if limit == 0 { 0 } else { filters.len() },
                story: None,
                taken: false,
            },
            capped: false,
            all: Vec::new(),
            by_topic: HashMap::new(),
            by_source: HashMap::new(),
            facts: HashMap::new(),
            topics: Interned::default(),
            first: None,
            more: false,
            story_topics: Vec::new(),
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
    fn start_story(&mut self, id: i64) {
        self.fill.story = Some(id);
        for &f in &self.all {
            self.fill.add(f);
        }
    }

    /// One copy (and one of its topics) of the story.
    fn copy(&mut self, copy: i64, source: i64, topic: Option<&str>) {
        match self.first {
            None => self.first = Some((copy, source)),
            Some((first, _)) => self.more |= first != copy,
        }
        for &f in self.by_source.get(&source).into_iter().flatten() {
            self.fill.add(f);
        }
        if let Some(t) = topic {
            for &f in self.by_topic.get(t).into_iter().flatten() {
                self.fill.add(f);
            }
            let index = self.topics.index(t);
            self.story_topics.push(index);
        }
    }

    /// Keeps what step 2 needs of the story just read, if a window took it.
    fn end_story(&mut self) {
        let topics = std::mem::take(&mut self.story_topics);
        let taken = std::mem::take(&mut self.fill.taken);
        if let (Some(id), true) = (self.fill.story.take(), taken) {
            let single = self.first.filter(|_| !self.more);
            self.facts.insert(id, Facts { single, topics });
        }
        self.first = None;
        self.more = false;
    }
}

/// Topic names by first appearance, each stored once.
#[derive(Default)]
struct Interned {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interned {
    fn index(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        i
    }
}

/// One feed's window read from its own side (see [`TOPIC_WINDOW_SQL`]);
/// `None` for the main feed, which the walk always fills first.
fn window_of(
    store: &Store,
    filter: &EntryFilter,
    limit: usize,
) -> Result<Option<Vec<i64>>, StoreError> {
    let err = |e| db_err(&store.path, "cannot read entries", e);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (sql, name) = match filter {
        EntryFilter::Topic(t) => (TOPIC_WINDOW_SQL, t),
        EntryFilter::Region(r) => (REGION_WINDOW_SQL, r),
        EntryFilter::All => return Ok(None),
    };
    let mut stmt = store.conn.prepare_cached(sql).map_err(err)?;
    let rows = stmt
        .query_map(params![name, limit], |r| r.get(0))
        .map_err(err)?;
    rows.collect::<Result<_, _>>().map(Some).map_err(err)
}
