//! Entries as streamed (one walk for every feed, rare feeds from their own
//! side, facts from the walk) against the plain answer: one query per feed
//! with correlated subqueries, as the store read them before.

use std::ops::ControlFlow;

use chrono::{TimeDelta, TimeZone, Utc};

use super::window::WALK_SQL;
use crate::model::{Entry, EntrySource, Item};
use crate::store::near::NearDupSettings;
use crate::store::tests::{open_temp, poll, src, tagged};
use crate::store::{EntryFilter, Store};

/// The straightforward query: every story of the feed, newest first, each
/// with its lists from correlated subqueries.
const REFERENCE_SQL: &str = "
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
     WHERE CASE ?2
             WHEN 'all' THEN 1
             WHEN 'topic' THEN EXISTS (SELECT 1 FROM copies cx JOIN copy_topics tx
                                         ON tx.copy_id = cx.id
                                        WHERE cx.story_id = s.id AND tx.topic = ?3)
             ELSE EXISTS (SELECT 1 FROM copies cx JOIN sources sx ON sx.id = cx.source_id
                           WHERE cx.story_id = s.id AND sx.region = ?3)
           END
     ORDER BY s.updated DESC, s.uid ASC
     LIMIT ?1";

fn reference(store: &Store, filter: &EntryFilter, limit: usize) -> Vec<Entry> {
    let (kind, name) = match filter {
        EntryFilter::All => ("all", ""),
        EntryFilter::Topic(t) => ("topic", t.as_str()),
        EntryFilter::Region(r) => ("region", r.as_str()),
    };
    let list = |json: String| -> Vec<String> {
        serde_json::from_str::<Vec<Option<String>>>(&json)
            .unwrap()
            .into_iter()
            .flatten()
            .collect()
    };
    let ts = |s: String| {
        chrono::DateTime::parse_from_rfc3339(&s)
            .unwrap()
            .with_timezone(&Utc)
    };
    let mut stmt = store.conn.prepare(REFERENCE_SQL).unwrap();
    let rows = stmt
        .query_map(rusqlite::params![limit as i64, kind, name], |r| {
            let mut topics = list(r.get(13)?);
            topics.sort();
            topics.dedup();
            let mut regions = list(r.get(14)?);
            regions.sort();
            regions.dedup();
            let mut related: Vec<String> = Vec::new();
            for link in list(r.get(15)?) {
                if !related.contains(&link) {
                    related.push(link);
                }
            }
            Ok(Entry {
                uid: r.get(0)?,
                updated: ts(r.get(1)?),
                title: r.get(2)?,
                link: r.get(3)?,
                summary_html: r.get(4)?,
                content_html: r.get(5)?,
                authors: list(r.get(6)?),
                published: r.get::<_, Option<String>>(7)?.map(ts),
                source: EntrySource {
                    name: r.get(8)?,
                    url: r.get(9)?,
                    feed_title: r.get(10)?,
                    feed_id: r.get(11)?,
                    feed_link: r.get(12)?,
                },
                topics,
                regions,
                related,
            })
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// 400 stories from four sources over 400 hours: a common topic, a rare
/// one, one only on old stories, one only on a second copy; ten stories
/// also carried by a fifth source, the only one of its region, half of them
/// under another link.
fn corpus() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = open_temp();
    store.set_near_duplicates(NearDupSettings {
        enabled: false,
        ..NearDupSettings::default()
    });
    store
        .sync_sources(&[
            src("A", "https://a.example/rss", Some("kosovo")),
            src("B", "https://b.example/rss", Some("serbia")),
            src("C", "https://c.example/rss", None),
            src("D", "https://d.example/rss", Some("north")),
            src("E", "https://e.example/rss", Some("kosovo")),
        ])
        .unwrap();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut polls: Vec<Vec<_>> = vec![Vec::new(); 5];
    for n in 0..400usize {
        let at = start + TimeDelta::hours(n as i64);
        let s = n % 4;
        let mut topics = Vec::new();
        if n % 2 == 0 {
            topics.push("common");
        }
        if n % 97 == 5 {
            topics.push("rare");
        }
        if n < 30 && n % 3 == 0 {
            topics.push("old");
        }
        let item = Item {
            guid: Some(format!("g{n}")),
            link: Some(format!("https://news.example/{n}")),
            title: format!("Story {n}"),
            summary_html: (n % 5 != 0).then(|| format!("<p>About {n}</p>")),
            content_html: (n % 7 == 0).then(|| format!("<p>All of {n}</p>")),
            authors: match n % 3 {
                0 => vec![],
                1 => vec!["Desk".into()],
                _ => vec!["Desk".into(), "Agency \"X\"".into()],
            },
            published: (n % 4 != 1).then_some(at),
            updated: Some(at),
            match_text: format!("Story {n}"),
            ..Item::default()
        };
        // Every 40th story (all from E) also comes from D, under another
        // link or the same one, with a topic only that copy has.
        if n % 40 == 3 {
            let mut copy = item.clone();
            copy.guid = Some(format!("d{n}"));
            if n % 80 == 43 {
                copy.link = Some(format!("https://www.news.example/{n}/?utm_source=d"));
            }
            polls[4].push(tagged(copy, &["second", "common"]));
        }
        polls[s].push(tagged(item, &topics));
    }
    let now = start + TimeDelta::days(30);
    for (s, items) in polls.into_iter().enumerate() {
        let name = ["A", "B", "C", "E", "D"][s];
        poll(&mut store, name, items, now);
    }
    (dir, store)
}

fn filters() -> Vec<EntryFilter> {
    let mut filters = vec![EntryFilter::All];
    for t in ["common", "rare", "old", "second", "none"] {
        filters.push(EntryFilter::Topic(t.into()));
    }
    for r in ["kosovo", "serbia", "north", "none"] {
        filters.push(EntryFilter::Region(r.into()));
    }
    filters
}

#[test]
fn streamed_feeds_equal_one_query_per_feed() {
    let (_dir, store) = corpus();
    let filters = filters();
    // 3 and 10 stop the walk at its cap (32 stories per entry) with the
    // rare feeds still short; 1000 walks every story.
    for limit in [0, 1, 3, 10, 1000] {
        let want: Vec<Vec<Entry>> = filters
            .iter()
            .map(|f| reference(&store, f, limit))
            .collect();
        let mut got: Vec<Vec<Entry>> = vec![Vec::new(); filters.len()];
        let mut ended = Vec::new();
        store
            .stream_entries(&filters, limit, |i, entry| {
                match entry {
                    Some(e) => got[i].push(e.clone()),
                    None => ended.push(i),
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(
            ended,
            (0..filters.len()).collect::<Vec<_>>(),
            "limit {limit}"
        );
        for (i, filter) in filters.iter().enumerate() {
            assert_eq!(got[i], want[i], "{filter:?}, limit {limit}");
            assert_eq!(
                store.entries(filter, limit).unwrap(),
                want[i],
                "{filter:?} alone, limit {limit}"
            );
        }
    }
    // The corpus has what the walk must get right.
    let all = reference(&store, &EntryFilter::All, 1000);
    assert_eq!(all.len(), 400);
    assert!(all.iter().any(|e| !e.related.is_empty()));
    assert!(all
        .iter()
        .any(|e| e.regions == ["kosovo", "north"] && e.related.is_empty()));
    assert_eq!(
        reference(&store, &EntryFilter::Topic("rare".into()), 10).len(),
        5
    );
}

#[test]
fn a_stream_stops_when_told() {
    let (_dir, store) = corpus();
    let filters = filters();
    let mut calls = 0;
    store
        .stream_entries(&filters, 10, |_, _| {
            calls += 1;
            if calls == 15 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(calls, 15);
    // The read transaction is over: the store can write again.
    assert!(store.conn.is_autocommit());
}

#[test]
fn the_walk_follows_the_newest_index_without_sorting() {
    let (_dir, store) = open_temp();
    let mut stmt = store
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {WALK_SQL}"))
        .unwrap();
    let plan: Vec<String> = stmt
        .query_map([], |r| r.get(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        plan.iter().any(|p| p.contains("stories_newest")),
        "{plan:?}"
    );
    // Indexes only: no copy's row is read.
    assert!(
        plan.iter()
            .any(|p| p.contains("COVERING INDEX copies_story_source")),
        "{plan:?}"
    );
    // A sort would read every story before the first row.
    assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:?}");
}
