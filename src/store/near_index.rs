//! The near-duplicate index: for each stored copy, the keys of its title
//! words it can be found by ([`stored_keys`]) with the copy's date, so that a new
//! item is compared only with copies that share title words and lie within
//! the time window, never with every story.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::ident::plain_text;
use super::near::{score, NearDupSettings, Signature, PERFECT_SCORE};
use super::{db_err, parse_ts, StoreError};

/// Key in `meta` of the index rules the stored keys were made with. Bump
/// [`INDEX_VERSION`] when folding or [`stored_keys`] changes:
/// the index is then rebuilt when the store is opened.
const INDEX_META: &str = "near_index_version";
const INDEX_VERSION: &str = "3";

/// Postings read per key, newest first within the window, are at most 200
/// (in [`POSTINGS_SQL`]): that bounds the work per item when a word (a
/// country's name) is in every other title.
/// A key's postings within a time window, newest first (see `find_story`).
pub(super) const POSTINGS_SQL: &str = "SELECT copy_id, at FROM near_keys
  WHERE key = ?1 AND at >= ?2 AND at <= ?3 LIMIT 200";

/// Copies scored per item, those sharing the most keys first.
const CANDIDATES: usize = 16;

/// The signature of a stored or incoming item: its title and, as the lead,
/// its summary (or, without one, its content) as plain text.
pub(super) fn signature(title: &str, summary: Option<&str>, content: Option<&str>) -> Signature {
    let html = summary
        .filter(|s| !s.trim().is_empty())
        .or(content)
        .unwrap_or("");
    let lead = plain_text(html);
    // A lead is only read to its first words; a long article body is cut
    // here so folding never walks all of it.
    let lead = truncate(&lead, 2000);
    Signature::new(title, (!lead.trim().is_empty()).then_some(lead))
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The date a copy is compared by: its published date, else its updated
/// date, else when it was first seen; never later than first seen.
pub(super) fn item_at(
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    seen: DateTime<Utc>,
) -> DateTime<Utc> {
    published.or(updated).unwrap_or(seen).min(seen)
}

/// Removes the index rows of one stored copy, found again from what its
/// row holds: the keys come from the title alone and the date from its
/// dates. The index has no column to find a copy's rows by, because an
/// index on copy ids cost every new copy as many rows again; edits and
/// prunes, which remove rows, are rare by comparison.
pub(super) fn unindex_copy(tx: &Transaction<'_>, copy_id: i64) -> rusqlite::Result<()> {
    let stored = tx
        .prepare_cached("SELECT title, published, updated, first_seen FROM copies WHERE id = ?1")?
        .query_row([copy_id], |r| {
            let seen = super::row_ts(r, 3)?.unwrap_or(DateTime::<Utc>::MIN_UTC);
            let at = item_at(super::row_ts(r, 1)?, super::row_ts(r, 2)?, seen);
            Ok((r.get::<_, String>(0)?, at))
        })
        .optional()?;
    let Some((title, at)) = stored else {
        return Ok(());
    };
    let mut delete =
        tx.prepare_cached("DELETE FROM near_keys WHERE key = ?1 AND at = ?2 AND copy_id = ?3")?;
    for key in stored_keys(&Signature::new(&title, None)) {
        delete.execute(params![key_hash(key), at.timestamp(), copy_id])?;
    }
    Ok(())
}

/// Adds the index rows of a copy that has none yet (just inserted).
pub(super) fn index_new_copy(
    tx: &Transaction<'_>,
    copy_id: i64,
    sig: &Signature,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let at = at.timestamp();
    let mut insert = tx
        .prepare_cached("INSERT OR IGNORE INTO near_keys (key, at, copy_id) VALUES (?1, ?2, ?3)")?;
    for key in stored_keys(sig) {
        insert.execute(params![key_hash(key), at, copy_id])?;
    }
    Ok(())
}

/// The keys a copy is indexed under: the keys a copy that could match it
/// looks up by. A title with numbers only ever matches a title with the
/// same numbers (see `near::score`), and such a title is looked up by its
/// numbers alone (`Signature::lookup_keys`), so its word keys would only
/// be postings no lookup can use; without numbers, every word key.
fn stored_keys(sig: &Signature) -> Vec<&str> {
    sig.lookup_key_refs().0
}

/// The stored form of an index key: 64 bits of FNV-1a, stable across
/// versions (the index outlives the binary). A collision only adds a
/// candidate, which is then scored like any other.
fn key_hash(key: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// The story an item is a near-duplicate of, if any: the best-scoring
/// stored copy within the window that belongs to a story this source has
/// no copy in yet (a source does not carry one story twice; two of its
/// items alike are a follow-up or a recurring post).
pub(super) fn find_story(
    tx: &Transaction<'_>,
    path: &Path,
    source_id: i64,
    sig: &Signature,
    at: DateTime<Utc>,
    settings: &NearDupSettings,
) -> Result<Option<i64>, StoreError> {
    if !settings.enabled || sig.is_empty() {
        return Ok(None);
    }
    let what = "cannot look up near-duplicates";
    let err = |e: rusqlite::Error| db_err(path, what, e);
    let window = TimeDelta::from_std(settings.window).unwrap_or(TimeDelta::days(30));
    let lo = at
        .checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let hi = at
        .checked_add_signed(window)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let (keys, min_shared) = sig.lookup_key_refs();
    let mut shared: HashMap<i64, (usize, i64)> = HashMap::new();
    {
        // Newest first without ORDER BY: the primary key holds `at`
        // descending, and SQLite re-prepared this statement on every run
        // (its costliest step in a cold poll) whenever it had an ORDER BY.
        // `candidate_lookup_uses_the_index` checks the plan.
        let mut postings = tx.prepare_cached(POSTINGS_SQL).map_err(err)?;
        // Whole seconds, rounded outwards: `score` checks the exact gap.
        let (lo, hi) = (lo.timestamp(), hi.timestamp().saturating_add(1));
        for key in &keys {
            let rows = postings
                .query_map(params![key_hash(key), lo, hi], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(err)?;
            for row in rows {
                let (copy, copy_at) = row.map_err(err)?;
                shared.entry(copy).or_insert((0, copy_at)).0 += 1;
            }
        }
    }
    // A copy sharing fewer keys cannot reach any useful threshold (see
    // `lookup_keys`); skipping it saves loading and folding its text.
    let mut candidates: Vec<(i64, usize, i64)> = shared
        .into_iter()
        .filter(|(_, (n, _))| *n >= min_shared)
        .map(|(id, (n, at))| (id, n, at))
        .collect();
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    candidates.truncate(CANDIDATES);

    let mut best: Option<(f64, i64)> = None;
    // Several candidates are often copies of one story (a syndicated
    // story gathers one per outlet): whether it has a copy from this
    // source is asked once per story.
    let mut has_ours: HashMap<i64, bool> = HashMap::new();
    for (copy_id, _, copy_at) in candidates {
        let Some((story, other)) = candidate(tx, copy_id).map_err(err)? else {
            continue;
        };
        let ours = match has_ours.get(&story) {
            Some(&ours) => ours,
            None => {
                let ours = has_copy_from(tx, story, source_id).map_err(err)?;
                has_ours.insert(story, ours);
                ours
            }
        };
        if ours {
            continue;
        }
        let Some(copy_at) = DateTime::<Utc>::from_timestamp(copy_at, 0) else {
            continue;
        };
        let gap = (at - copy_at)
            .abs()
            .to_std()
            .unwrap_or(std::time::Duration::MAX);
        let s = score(sig, &other, gap, settings);
        if s >= settings.threshold && best.is_none_or(|(b, _)| s > b) {
            best = Some((s, story));
            // Only a higher score replaces the best, and none is higher
            // than a perfect one: the copies left cannot change the answer,
            // so their signatures are not read. A syndicated story's
            // copies usually match each other perfectly, and each is read
            // from a random place in a table as large as the store.
            if s >= PERFECT_SCORE {
                break;
            }
        }
    }
    Ok(best.map(|(_, story)| story))
}

/// A candidate copy's story and signature. The signature is its stored
/// form when there is one (see near/stored.rs), else it is built from the
/// copy's text: for copies stored before signatures were kept, or under
/// other rules.
fn candidate(tx: &Transaction<'_>, copy_id: i64) -> rusqlite::Result<Option<(i64, Signature)>> {
    let stored = tx
        .prepare_cached("SELECT story_id, sig FROM near_sigs WHERE copy_id = ?1")?
        .query_row([copy_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .optional()?;
    let decoded = stored.and_then(|(story, bytes)| Some((story, Signature::decode(&bytes)?)));
    match decoded {
        Some(d) => Ok(Some(d)),
        None => from_text(tx, copy_id),
    }
}

/// Whether story `story` has a copy from source `source_id`, from the
/// index on (story, source): no copy's row is read.
fn has_copy_from(tx: &Transaction<'_>, story: i64, source_id: i64) -> rusqlite::Result<bool> {
    tx.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM copies WHERE story_id = ?1 AND source_id = ?2)",
    )?
    .query_row(params![story, source_id], |r| r.get(0))
}

/// A stored copy's story and the signature built from its text.
fn from_text(tx: &Transaction<'_>, copy_id: i64) -> rusqlite::Result<Option<(i64, Signature)>> {
    tx.prepare_cached(
        "SELECT story_id, title, summary_html, content_html FROM copies WHERE id = ?1",
    )?
    .query_row([copy_id], |r| {
        let title: String = r.get(1)?;
        let summary: Option<String> = r.get(2)?;
        let content: Option<String> = r.get(3)?;
        let sig = signature(&title, summary.as_deref(), content.as_deref());
        Ok((r.get::<_, i64>(0)?, sig))
    })
    .optional()
}

/// Keeps a copy's signature (replacing the one it had, after an edit).
pub(super) fn store_signature(
    tx: &Transaction<'_>,
    copy_id: i64,
    story_id: i64,
    sig: &[u8],
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO near_sigs (copy_id, story_id, sig) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![copy_id, story_id, sig])?;
    Ok(())
}

/// Removes a copy's stored signature (before the copy is deleted).
pub(super) fn forget_signature(tx: &Transaction<'_>, copy_id: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM near_sigs WHERE copy_id = ?1")?
        .execute([copy_id])?;
    Ok(())
}

/// Builds the index for every stored copy when it is missing or was made
/// under other rules (a database from before the index, or an upgrade that
/// changed folding). One transaction; copies are read in batches.
pub(super) fn ensure(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let what = "cannot build the near-duplicate index";
    let err = |e: rusqlite::Error| db_err(path, what, e);
    let version: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [INDEX_META], |r| {
            r.get(0)
        })
        .optional()
        .map_err(err)?;
    if version.as_deref() == Some(INDEX_VERSION) {
        return Ok(());
    }
    let tx = super::immediate(conn, path, what)?;
    tx.execute("DELETE FROM near_keys", []).map_err(err)?;
    let mut last = 0i64;
    loop {
        type Row = (i64, String, Option<String>, Option<String>, String);
        // Only titles and dates: the keys come from the title alone (see
        // `unindex_copy`), so summaries and contents are not read.
        let batch: Vec<Row> = tx
            .prepare_cached(
                "SELECT id, title, published, updated, first_seen
                   FROM copies WHERE id > ?1 ORDER BY id LIMIT 500",
            )
            .and_then(|mut st| {
                st.query_map([last], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect()
            })
            .map_err(err)?;
        let Some(&(id, ..)) = batch.last() else {
            break;
        };
        last = id;
        for (id, title, published, updated, seen) in batch {
            let published = super::parse_opt_ts(path, "copies.published", published)?;
            let updated = super::parse_opt_ts(path, "copies.updated", updated)?;
            let seen = parse_ts(path, "copies.first_seen", &seen)?;
            let sig = Signature::new(&title, None);
            index_new_copy(&tx, id, &sig, item_at(published, updated, seen)).map_err(err)?;
        }
    }
    super::set_meta(&tx, INDEX_META, INDEX_VERSION).map_err(err)?;
    tx.commit().map_err(err)
}
