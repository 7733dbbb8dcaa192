//! Recording polls (dedup rules 1-3 of the contract) and re-tagging.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use super::{db_err, immediate, item_date, ts, unknown_source, PollStats, Store, StoreError};
use std::path::Path;

use super::ident::{canonical_key, identity, story_uid};
use super::near::{NearDupSettings, Signature};
use super::near_index;
use super::{parse_opt_ts, TaggedItem};
use crate::fetch::Validators;
use crate::model::{FeedMeta, Item};

/// Key in `meta` of the topic configuration the stored tags were made with.
const TOPICS_FINGERPRINT: &str = "topics_fingerprint";

/// Copies re-tagged per batch, so re-tagging a large store uses bounded memory.
const RETAG_BATCH: i64 = 500;

/// The arguments of `Store::record_fetched`.
pub(super) struct Fetched<'a> {
    pub source: &'a str,
    pub meta: &'a FeedMeta,
    pub validators: &'a Validators,
    pub body_hash: &'a str,
    pub redirected_to: Option<&'a str>,
    pub items: &'a [TaggedItem],
    pub not_before: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Stores one poll inside `tx`; returns what changed and how many new
/// copies joined a story already stored.
pub(super) fn record_fetched(
    tx: &Transaction<'_>,
    path: &Path,
    near: &NearDupSettings,
    f: Fetched<'_>,
) -> Result<(PollStats, u64), StoreError> {
    let what = format!("cannot store the poll of source {:?}", f.source);
    let (source_id, old_meta) = tx
        .prepare_cached("SELECT id, feed_title, feed_id, feed_link FROM sources WHERE name = ?1")
        .and_then(|mut st| {
            st.query_row([f.source], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    FeedMeta {
                        title: r.get(1)?,
                        id: r.get(2)?,
                        link: r.get(3)?,
                    },
                ))
            })
            .optional()
        })
        .map_err(|e| db_err(path, &what, e))?
        .ok_or_else(|| unknown_source(path, f.source))?;

    let now = item_date(Some(f.now)).unwrap_or(f.now);
    let mut stats = PollStats::default();
    let mut merged = 0;
    let mut seen = HashSet::new();
    for tagged in f.items {
        let row = CopyRow::new(tagged);
        let (canon, identity) = (row.canon.clone(), row.identity);
        // A feed listing the same item twice: the first listing wins.
        if !seen.insert(identity) {
            stats.unchanged += 1;
            continue;
        }
        let err = |e| item_err(path, f.source, identity, e);
        let existing = tx
            .prepare_cached(
                "SELECT id, story_id, content_hash, updated, first_seen FROM copies
                 WHERE source_id = ?1 AND identity = ?2",
            )
            .and_then(|mut st| {
                st.query_row(params![source_id, identity], |r| {
                    Ok(Existing {
                        id: r.get(0)?,
                        story_id: r.get(1)?,
                        hash: r.get(2)?,
                        updated: r.get(3)?,
                        first_seen: r.get(4)?,
                    })
                })
                .optional()
            })
            .map_err(err)?;
        match existing {
            Some(old) if old.hash == row.hash => {
                sync_topics(tx, old.id, row.topics).map_err(err)?;
                stats.unchanged += 1;
            }
            Some(old) if !visible_change(tx, old.id, &row).map_err(err)? => {
                // Only what readers do not see (categories, match text)
                // changed: kept current for tagging, but the entry is not
                // newer; re-rendered only if its topics moved.
                tx.prepare_cached(
                    "UPDATE copies SET categories = ?2, match_text = ?3, content_hash = ?4
                     WHERE id = ?1",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        old.id,
                        row.categories,
                        row.item.match_text,
                        row.hash
                    ])
                })
                .map_err(err)?;
                if sync_topics(tx, old.id, row.topics).map_err(err)? {
                    stats.updated += 1;
                } else {
                    stats.unchanged += 1;
                }
            }
            Some(old) => {
                let old_updated = parse_opt_ts(path, "copies.updated", old.updated.clone())?;
                update_copy(tx, &old, old_updated, &row, canon.as_deref(), now).map_err(err)?;
                stats.updated += 1;
            }
            None => {
                let new = NewCopy {
                    source_id,
                    source: f.source,
                    identity,
                    row: &row,
                    canon,
                    now,
                };
                if insert_copy(tx, path, new, near)? {
                    merged += 1;
                }
                stats.new += 1;
            }
        }
    }

    tx.prepare_cached(
        "UPDATE sources SET etag = ?2, last_modified = ?3, body_hash = ?4, redirected_to = ?5,
            feed_title = ?6, feed_id = ?7, feed_link = ?8, last_attempt = ?9,
            last_success = ?9, last_error = NULL, consecutive_failures = 0, not_before = ?10
         WHERE id = ?1",
    )
    .and_then(|mut st| {
        st.execute(params![
            source_id,
            f.validators.etag,
            f.validators.last_modified,
            f.body_hash,
            f.redirected_to,
            f.meta.title,
            f.meta.id,
            f.meta.link,
            ts(now),
            f.not_before.map(ts),
        ])
    })
    .map_err(|e| db_err(path, &what, e))?;
    // Entries name their source's feed title and link.
    if stats.new + stats.updated > 0 || old_meta != *f.meta {
        super::bump_content_version(tx).map_err(|e| db_err(path, &what, e))?;
    }
    Ok((stats, merged))
}

/// A stored copy found by (source, identity).
struct Existing {
    id: i64,
    story_id: i64,
    hash: String,
    updated: Option<String>,
    first_seen: String,
}

/// What the `copies` table stores of an item besides the item's own
/// fields, derived once when the item is tagged (see `TaggedItem`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Prepared {
    canon: Option<String>,
    identity: String,
    authors: String,
    categories: String,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    /// Sorted, without repeats.
    pub(super) topics: Vec<String>,
    /// SHA-256 over everything a reader sees of the item; topics are left
    /// out because they follow the topic configuration (see `retag_if_changed`).
    hash: String,
    /// The near-duplicate signature's stored form (`near_sigs.sig`).
    near_sig: Vec<u8>,
}

/// An item as the `copies` table stores it.
struct CopyRow<'a> {
    item: &'a Item,
    near: &'a Signature,
    canon: &'a Option<String>,
    identity: &'a str,
    authors: &'a str,
    categories: &'a str,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    topics: &'a [String],
    hash: &'a str,
    near_sig: &'a [u8],
}

impl<'a> CopyRow<'a> {
    fn new(tagged: &'a TaggedItem) -> CopyRow<'a> {
        let p = &tagged.row;
        CopyRow {
            item: &tagged.item,
            near: &tagged.near,
            canon: &p.canon,
            identity: &p.identity,
            authors: &p.authors,
            categories: &p.categories,
            published: p.published,
            updated: p.updated,
            topics: &p.topics,
            hash: &p.hash,
            near_sig: &p.near_sig,
        }
    }
}

impl Prepared {
    pub(super) fn new(item: &Item, mut topics: Vec<String>, near: &Signature) -> Prepared {
        let canon = item.link.as_deref().and_then(canonical_key);
        let identity = identity(item, canon.as_deref());
        let authors = json_strings(&item.authors);
        let categories = json_strings(&item.categories);
        let published = item_date(item.published);
        let updated = item_date(item.updated);
        topics.sort();
        topics.dedup();
        let mut h = Sha256::new();
        // Length-prefixed fields, so no two different items hash alike by
        // moving text from one field to the next.
        for field in [
            Some(item.title.as_str()),
            item.link.as_deref(),
            item.summary_html.as_deref(),
            item.content_html.as_deref(),
            Some(authors.as_str()),
            Some(categories.as_str()),
            published.map(ts).as_deref(),
            updated.map(ts).as_deref(),
            Some(item.match_text.as_str()),
        ] {
            match field {
                Some(s) => {
                    h.update((s.len() as u64 + 1).to_le_bytes());
                    h.update(s.as_bytes());
                }
                None => h.update(0u64.to_le_bytes()),
            }
        }
        Prepared {
            canon,
            identity,
            authors,
            categories,
            published,
            updated,
            topics,
            hash: format!("{:x}", h.finalize()),
            near_sig: near.encode(),
        }
    }
}

fn json_strings(v: &[String]) -> String {
    // Serializing a list of strings cannot fail; "[]" keeps the column valid anyway.
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_string())
}

/// A copy not stored yet, from `source`.
struct NewCopy<'a> {
    source_id: i64,
    source: &'a str,
    identity: &'a str,
    row: &'a CopyRow<'a>,
    canon: Option<String>,
    now: DateTime<Utc>,
}

/// The error of storing item `identity` of `source`. Called only on an
/// error: the message is not built for every item.
fn item_err(path: &Path, source: &str, identity: &str, e: rusqlite::Error) -> StoreError {
    let what = format!("cannot store item {identity:?} of source {source:?}");
    db_err(path, &what, e)
}

/// Inserts a new copy, into an existing story (rule 2 or near-duplicate)
/// or a new one; returns whether it was merged into an existing story.
fn insert_copy(
    tx: &Transaction<'_>,
    path: &Path,
    new: NewCopy<'_>,
    near: &NearDupSettings,
) -> Result<bool, StoreError> {
    let err = |e| item_err(path, new.source, new.identity, e);
    let (row, canon, now) = (new.row, &new.canon, new.now);
    let item = row.item;
    // Rule 2: a canonical link already owned by a story joins that story.
    let owner: Option<i64> = match canon {
        Some(c) => tx
            .prepare_cached("SELECT story_id FROM story_links WHERE canonical_link = ?1")
            .and_then(|mut st| st.query_row([c], |r| r.get(0)).optional())
            .map_err(err)?,
        None => None,
    };
    let sig = row.near;
    let at = near_index::item_at(row.published, row.updated, now);
    // Beyond the contract: the same story under another link, nearly the
    // same words, from another source within the window.
    let owner = match owner {
        Some(id) => Some(id),
        None => near_index::find_story(tx, path, new.source_id, sig, at, near)?,
    };
    let created = owner.is_none();
    let story_id = match owner {
        Some(id) => id,
        None => {
            // A feed date in the future would pin the entry on top of every
            // feed; no story is newer than the moment it was first seen.
            let updated = row.updated.or(row.published).unwrap_or(now).min(now);
            tx.prepare_cached("INSERT INTO stories (uid, first_seen, updated) VALUES (?1, ?2, ?3)")
                .and_then(|mut st| {
                    st.execute(params![
                        story_uid(new.source, new.identity),
                        ts(now),
                        ts(updated)
                    ])
                })
                .map_err(err)?;
            tx.last_insert_rowid()
        }
    };
    if let Some(c) = canon {
        // The story now owns this link too, so later copies carrying it
        // join by rule 2. A story found by rule 2 already owns it.
        tx.prepare_cached(
            "INSERT OR IGNORE INTO story_links (canonical_link, story_id) VALUES (?1, ?2)",
        )
        .and_then(|mut st| st.execute(params![c, story_id]))
        .map_err(err)?;
    }
    tx.prepare_cached(
        "INSERT INTO copies (story_id, source_id, identity, link, canonical_link, title,
            summary_html, content_html, authors, categories, published, updated, match_text,
            content_hash, first_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .and_then(|mut st| {
        st.execute(params![
            story_id,
            new.source_id,
            new.identity,
            item.link,
            canon,
            item.title,
            item.summary_html,
            item.content_html,
            row.authors,
            row.categories,
            row.published.map(ts),
            row.updated.map(ts),
            item.match_text,
            row.hash,
            ts(now),
        ])
    })
    .map_err(err)?;
    let copy_id = tx.last_insert_rowid();
    if created {
        tx.prepare_cached("UPDATE stories SET first_copy_id = ?2 WHERE id = ?1")
            .and_then(|mut st| st.execute(params![story_id, copy_id]))
            .map_err(err)?;
    }
    // A new copy has no index rows or topics to replace yet.
    near_index::index_new_copy(tx, copy_id, sig, at).map_err(err)?;
    near_index::store_signature(tx, copy_id, story_id, row.near_sig).map_err(err)?;
    insert_topics(tx, copy_id, row.topics).map_err(err)?;
    Ok(!created)
}

/// Whether anything a reader sees of a stored copy differs from `row`:
/// title, link, summary, content, authors or dates (not categories or the
/// match text, which only feed tagging).
fn visible_change(tx: &Transaction<'_>, copy_id: i64, row: &CopyRow<'_>) -> rusqlite::Result<bool> {
    type Visible = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let stored: Visible = tx
        .prepare_cached(
            "SELECT title, link, summary_html, content_html, authors, published, updated
               FROM copies WHERE id = ?1",
        )?
        .query_row([copy_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?;
    let item = row.item;
    let now: Visible = (
        item.title.clone(),
        item.link.clone(),
        item.summary_html.clone(),
        item.content_html.clone(),
        row.authors.to_string(),
        row.published.map(ts),
        row.updated.map(ts),
    );
    Ok(stored != now)
}

/// Rule 1: the same item from the same source changed; update it in place.
fn update_copy(
    tx: &Transaction<'_>,
    old: &Existing,
    old_updated: Option<DateTime<Utc>>,
    row: &CopyRow<'_>,
    canon: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    // The link may have changed. Its canonical form is recorded on this copy
    // only when it is free or already this story's; a link owned by another
    // story stays with that story (the copy keeps its own identity).
    let canon = match canon {
        Some(c) => {
            let owner: Option<i64> = tx
                .prepare_cached("SELECT story_id FROM story_links WHERE canonical_link = ?1")?
                .query_row([c], |r| r.get(0))
                .optional()?;
            match owner {
                Some(id) if id == old.story_id => Some(c),
                Some(_) => None,
                None => {
                    tx.prepare_cached(
                        "INSERT INTO story_links (canonical_link, story_id) VALUES (?1, ?2)",
                    )?
                    .execute(params![c, old.story_id])?;
                    Some(c)
                }
            }
        }
        None => None,
    };
    let item = row.item;
    // The edited words are what later copies must be compared with; the
    // old rows are found from the row before it changes.
    near_index::unindex_copy(tx, old.id)?;
    tx.prepare_cached(
        "UPDATE copies SET link = ?2, canonical_link = ?3, title = ?4, summary_html = ?5,
            content_html = ?6, authors = ?7, categories = ?8, published = ?9, updated = ?10,
            match_text = ?11, content_hash = ?12
         WHERE id = ?1",
    )?
    .execute(params![
        old.id,
        item.link,
        canon,
        item.title,
        item.summary_html,
        item.content_html,
        row.authors,
        row.categories,
        row.published.map(ts),
        row.updated.map(ts),
        item.match_text,
        row.hash,
    ])?;
    sync_topics(tx, old.id, row.topics)?;
    let seen = DateTime::parse_from_rfc3339(&old.first_seen)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now);
    near_index::index_new_copy(
        tx,
        old.id,
        row.near,
        near_index::item_at(row.published, row.updated, seen),
    )?;
    near_index::store_signature(tx, old.id, old.story_id, row.near_sig)?;

    // The entry shows its first copy: only that copy's edits make it newer.
    let (first_copy, story_updated): (Option<i64>, String) = tx
        .prepare_cached("SELECT first_copy_id, updated FROM stories WHERE id = ?1")?
        .query_row([old.story_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if first_copy != Some(old.id) {
        return Ok(());
    }
    let story_updated = super::text_ts(1, &story_updated)?;
    let new_updated = newer_updated(story_updated, old_updated, row.updated, now);
    tx.prepare_cached("UPDATE stories SET updated = ?2 WHERE id = ?1")?
        .execute(params![old.story_id, ts(new_updated)])?;
    Ok(())
}

/// The `updated` of an edited story: the item's own `updated` when it moved
/// forward (and is not in the future), else the time the edit was seen;
/// never earlier than before.
fn newer_updated(
    story: DateTime<Utc>,
    old_item: Option<DateTime<Utc>>,
    new_item: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let moved_forward = match (new_item, old_item) {
        (Some(new), Some(old)) => new > old,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let candidate = match new_item {
        Some(new) if moved_forward => new.min(now),
        _ => now,
    };
    if candidate > story {
        candidate
    } else {
        story.max(now)
    }
}

/// Makes the copy's topics exactly `topics` (sorted, deduplicated), writing
/// nothing when they already are.
/// Returns whether they changed.
fn sync_topics(tx: &Transaction<'_>, copy_id: i64, topics: &[String]) -> rusqlite::Result<bool> {
    let stored: Vec<String> = tx
        .prepare_cached("SELECT topic FROM copy_topics WHERE copy_id = ?1 ORDER BY topic")?
        .query_map([copy_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if stored == topics {
        return Ok(false);
    }
    tx.prepare_cached("DELETE FROM copy_topics WHERE copy_id = ?1")?
        .execute([copy_id])?;
    insert_topics(tx, copy_id, topics)?;
    Ok(true)
}

/// Adds `topics` to a copy that has none.
fn insert_topics(tx: &Transaction<'_>, copy_id: i64, topics: &[String]) -> rusqlite::Result<()> {
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO copy_topics (copy_id, topic) VALUES (?1, ?2)")?;
    for t in topics {
        insert.execute(params![copy_id, t])?;
    }
    Ok(())
}

pub(super) fn retag_if_changed(
    store: &mut Store,
    fingerprint: &str,
    tagger: &dyn Fn(&str, &str) -> Vec<String>,
) -> Result<bool, StoreError> {
    let path = store.path.as_path();
    let what = "cannot re-tag the stored items";
    let err = |e: rusqlite::Error| db_err(path, what, e);
    let tx = immediate(&mut store.conn, path, what)?;
    let old: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [TOPICS_FINGERPRINT],
            |r| r.get(0),
        )
        .optional()
        .map_err(err)?;
    if old.as_deref() == Some(fingerprint) {
        return Ok(false);
    }
    let mut last_id = 0i64;
    loop {
        let batch: Vec<(i64, String, String)> = tx
            .prepare_cached(
                "SELECT c.id, s.name, c.match_text FROM copies c
                 JOIN sources s ON s.id = c.source_id
                 WHERE c.id > ?1 ORDER BY c.id LIMIT ?2",
            )
            .and_then(|mut st| {
                st.query_map(params![last_id, RETAG_BATCH], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect()
            })
            .map_err(err)?;
        let Some(&(id, _, _)) = batch.last() else {
            break;
        };
        last_id = id;
        for (copy_id, source, text) in &batch {
            let mut topics = tagger(source, text);
            topics.sort();
            topics.dedup();
            sync_topics(&tx, *copy_id, &topics).map_err(err)?;
        }
    }
    super::set_meta(&tx, TOPICS_FINGERPRINT, fingerprint).map_err(err)?;
    super::bump_content_version(&tx).map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(true)
}
