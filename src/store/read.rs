//! Reading: entries for the renderer, source states for `status` and the
//! scheduler.

use rusqlite::types::Value;

use super::{db_err, parse_opt_ts, parse_ts, EntryFilter, SourceState, Store, StoreError};
use crate::fetch::Validators;
use crate::model::{Entry, EntrySource, FeedMeta};

/// One query for the page of entries: the story, its first copy and source,
/// and the per-story lists as JSON arrays from correlated subqueries.
const ENTRIES_SQL: &str = "
    SELECT s.uid, s.updated, c.title, c.link, c.summary_html, c.content_html, c.authors,
           c.published, src.name, src.url, src.feed_title, src.feed_id, src.feed_link,
           (SELECT json_group_array(DISTINCT t.topic)
              FROM copies c2 JOIN copy_topics t ON t.copy_id = c2.id
             WHERE c2.story_id = s.id) AS topics,
           (SELECT json_group_array(DISTINCT r.region)
              FROM copies c3 JOIN sources r ON r.id = c3.source_id
             WHERE c3.story_id = s.id AND r.region IS NOT NULL) AS regions,
           (SELECT json_group_array(c4.link ORDER BY c4.id)
              FROM copies c4
             WHERE c4.story_id = s.id AND c4.id <> c.id
               AND c4.link IS NOT NULL AND c4.link IS NOT c.link) AS related
      FROM stories s
      JOIN copies c ON c.id = s.first_copy_id
      JOIN sources src ON src.id = c.source_id
     WHERE {filter}
     ORDER BY s.updated DESC, s.uid ASC
     LIMIT ?1";

pub(super) fn entries(
    store: &Store,
    filter: &EntryFilter,
    limit: usize,
) -> Result<Vec<Entry>, StoreError> {
    let path = store.path.as_path();
    let what = "cannot read entries";
    let (cond, arg) = match filter {
        EntryFilter::All => ("1", None),
        // `+tx.topic` keeps SQLite off the topic index here: through it, each
        // story would scan every copy of the topic (stories × copies, 25x
        // slower at 6,000 stories); by the primary key it is two lookups.
        EntryFilter::Topic(t) => (
            "EXISTS (SELECT 1 FROM copies cx JOIN copy_topics tx ON tx.copy_id = cx.id
                      WHERE cx.story_id = s.id AND +tx.topic = ?2)",
            Some(t),
        ),
        EntryFilter::Region(r) => (
            "EXISTS (SELECT 1 FROM copies cx JOIN sources sx ON sx.id = cx.source_id
                      WHERE cx.story_id = s.id AND sx.region = ?2)",
            Some(r),
        ),
    };
    let sql = ENTRIES_SQL.replace("{filter}", cond);
    let limit = Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX));
    let mut params = vec![limit];
    if let Some(a) = arg {
        params.push(Value::Text(a.clone()));
    }
    let mut stmt = store
        .conn
        .prepare_cached(&sql)
        .map_err(|e| db_err(path, what, e))?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params), |r| {
            Ok(RawEntry {
                uid: r.get(0)?,
                updated: r.get(1)?,
                title: r.get(2)?,
                link: r.get(3)?,
                summary_html: r.get(4)?,
                content_html: r.get(5)?,
                authors: r.get(6)?,
                published: r.get(7)?,
                source: EntrySource {
                    name: r.get(8)?,
                    url: r.get(9)?,
                    feed_title: r.get(10)?,
                    feed_id: r.get(11)?,
                    feed_link: r.get(12)?,
                },
                topics: r.get(13)?,
                regions: r.get(14)?,
                related: r.get(15)?,
            })
        })
        .map_err(|e| db_err(path, what, e))?;
    let mut out = Vec::new();
    for raw in rows {
        let raw = raw.map_err(|e| db_err(path, what, e))?;
        out.push(raw.into_entry(store)?);
    }
    Ok(out)
}

/// A row of `ENTRIES_SQL` before the JSON and timestamps are decoded.
struct RawEntry {
    uid: String,
    updated: String,
    title: String,
    link: Option<String>,
    summary_html: Option<String>,
    content_html: Option<String>,
    authors: String,
    published: Option<String>,
    source: EntrySource,
    topics: String,
    regions: String,
    related: String,
}

impl RawEntry {
    fn into_entry(self, store: &Store) -> Result<Entry, StoreError> {
        let path = store.path.as_path();
        let list = |column: &str, json: &str| -> Result<Vec<String>, StoreError> {
            serde_json::from_str::<Vec<Option<String>>>(json)
                .map(|v| v.into_iter().flatten().collect())
                .map_err(|e| {
                    db_err(
                        path,
                        &format!("story {}: {column} is not a JSON list of strings", self.uid),
                        e,
                    )
                })
        };
        let mut topics = list("topics", &self.topics)?;
        topics.sort();
        topics.dedup();
        let mut regions = list("regions", &self.regions)?;
        regions.sort();
        regions.dedup();
        let mut related: Vec<String> = Vec::new();
        for link in list("related links", &self.related)? {
            if !related.contains(&link) {
                related.push(link);
            }
        }
        Ok(Entry {
            updated: parse_ts(path, "stories.updated", &self.updated)?,
            published: parse_opt_ts(path, "copies.published", self.published.clone())?,
            authors: list("copies.authors", &self.authors)?,
            uid: self.uid,
            title: self.title,
            link: self.link,
            summary_html: self.summary_html,
            content_html: self.content_html,
            topics,
            regions,
            source: self.source,
            related,
        })
    }
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
    // Two statements: with `?1 IS NULL OR s.name = ?1` SQLite cannot use
    // the name's index, and a cycle asks for each source in turn.
    let filter = match name {
        Some(_) => "s.name = ?1",
        None => "?1 IS NULL",
    };
    let mut stmt = store
        .conn
        .prepare_cached(&format!(
            "SELECT s.name, s.etag, s.last_modified, s.body_hash, s.last_attempt,
                    s.last_success, s.last_error, s.consecutive_failures, s.not_before,
                    s.redirected_to, s.feed_title, s.feed_id, s.feed_link,
                    (SELECT COUNT(*) FROM copies c WHERE c.source_id = s.id)
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
