//! Retention: pruning by age and count, never inside a feed's window, and
//! a database that stops growing.

use chrono::{Duration, TimeZone};

use super::*;
use crate::store::*;

fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 8, 0, 0).unwrap() + Duration::days(n)
}

/// An item published on day `d`.
fn dated(guid: &str, title: &str, d: i64) -> Item {
    Item {
        published: Some(day(d)),
        ..item(
            Some(guid),
            Some(&format!("https://x.example/{guid}")),
            title,
        )
    }
}

/// Every feed's entries as the renderer would read them.
fn windows(store: &Store, window: usize) -> Vec<(EntryFilter, Vec<Entry>)> {
    let mut filters = vec![EntryFilter::All];
    for t in ["rare", "common"] {
        filters.push(EntryFilter::Topic(t.into()));
    }
    for r in ["kosovo", "serbia"] {
        filters.push(EntryFilter::Region(r.into()));
    }
    filters
        .into_iter()
        .map(|f| {
            let entries = store.entries(&f, window).unwrap();
            (f, entries)
        })
        .collect()
}

fn count(store: &Store, table: &str) -> i64 {
    store
        .conn
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// A: 40 stories over 40 days, "common" topic; B (serbia): 3 old stories
/// with the "rare" topic; C (no region): one story linked by A's copy too.
fn filled() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = with_sources();
    for d in 0..40 {
        let it = dated(&format!("a{d}"), &format!("Alpha story number {d}"), d);
        poll(&mut store, "A", vec![tagged(it, &["common"])], day(d));
    }
    for d in 0..3 {
        let it = dated(&format!("b{d}"), &format!("Bravo rare thing {d}"), d);
        poll(&mut store, "B", vec![tagged(it, &["rare"])], day(d));
    }
    (dir, store)
}

#[test]
fn pruning_by_age_and_count_keeps_every_feed_window() {
    let window = 5;
    // At day 45, A's stories are days 0..=39, B's days 0..=2. The windows of
    // 5 hold A's days 35..=39 (all, "common", kosovo) and B's three
    // ("rare", serbia).
    for (max_age, max_items, kept) in [
        // Days 35..=39 are young enough anyway; B's stay for their windows.
        (Some(Duration::days(10)), None, 8),
        // The newest 7 (A's days 33..=39), and B's for their windows.
        (None, Some(7), 10),
        // Everything is too old or too many: only the windows stay.
        (Some(Duration::days(1)), Some(1), 8),
    ] {
        let (_d, mut store) = filled();
        let before = windows(&store, window);
        let policy = Retention {
            max_age,
            max_items,
            window,
        };
        let stats = store.prune(&policy, day(45)).unwrap();
        assert_eq!(stats.stories, 43 - kept, "{policy:?}");
        assert_eq!(stats.copies, stats.stories, "one copy per story here");
        assert_eq!(store.story_count().unwrap(), kept as u64, "{policy:?}");
        // Nothing any feed shows changed.
        assert_eq!(windows(&store, window), before, "{policy:?}");
        // Nothing refers to a pruned story any more.
        let fk: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(fk, 0);
        for (table, orphan) in [
            ("copy_topics", "copy_id NOT IN (SELECT id FROM copies)"),
            ("near_keys", "copy_id NOT IN (SELECT id FROM copies)"),
            ("near_sigs", "copy_id NOT IN (SELECT id FROM copies)"),
            ("story_links", "story_id NOT IN (SELECT id FROM stories)"),
            ("copies", "story_id NOT IN (SELECT id FROM stories)"),
        ] {
            let n: i64 = store
                .conn
                .query_row(
                    &format!("SELECT COUNT(*) FROM {table} WHERE {orphan}"),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 0, "orphans in {table}");
        }
        assert_eq!(store.last_prune().unwrap(), Some(day(45)));
    }
}

#[test]
fn exact_survivors_of_an_age_limit() {
    let (_d, mut store) = filled();
    let policy = Retention {
        max_age: Some(Duration::days(10)),
        max_items: None,
        window: 3,
    };
    store.prune(&policy, day(45)).unwrap();
    let mut titles: Vec<String> = store
        .entries(&EntryFilter::All, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.title)
        .collect();
    titles.sort();
    // Days 35..=39 are younger than 10 days; B's three are the whole
    // "rare" and "serbia" windows; nothing else of A's is in a window of 3.
    let mut want: Vec<String> = (35..40)
        .map(|d| format!("Alpha story number {d}"))
        .chain((0..3).map(|d| format!("Bravo rare thing {d}")))
        .collect();
    want.sort();
    assert_eq!(titles, want);
    assert_eq!(count(&store, "copies"), 8);
}

#[test]
fn a_pruned_story_that_comes_back_keeps_its_id() {
    let (_d, mut store) = with_sources();
    let old = dated("g-1", "An old story", 0);
    poll(&mut store, "A", vec![tagged(old.clone(), &[])], day(0));
    let uid = all(&store)[0].uid.clone();
    let newer: Vec<TaggedItem> = (1..=3)
        .map(|d| tagged(dated(&format!("n{d}"), &format!("Newer {d}"), d), &[]))
        .collect();
    poll(&mut store, "A", newer.clone(), day(3));
    let policy = Retention {
        max_age: Some(Duration::days(30)),
        max_items: None,
        window: 3,
    };
    assert_eq!(store.prune(&policy, day(60)).unwrap().stories, 1);
    assert!(all(&store).iter().all(|e| e.uid != uid));
    // The source still lists it: it is stored again, as the same entry.
    let mut again = newer;
    again.push(tagged(old, &[]));
    poll(&mut store, "A", again, day(61));
    assert!(all(&store).iter().any(|e| e.uid == uid));
    // Seen again today, it is not pruned again the next day.
    assert_eq!(store.prune(&policy, day(62)).unwrap().stories, 0);
}

/// A year of polls, pruned daily: the file grows while nothing is old
/// enough to go, then stays flat.
#[test]
fn a_year_of_polls_reaches_a_plateau() {
    let (dir, mut store) = with_sources();
    store.set_near_duplicates(crate::store::near::NearDupSettings {
        enabled: false,
        ..Default::default()
    });
    let policy = Retention {
        max_age: Some(Duration::days(30)),
        max_items: Some(100_000),
        window: 50,
    };
    let per_day = 10;
    let path = dir.path().join("feedmill.db");
    let mut sizes = Vec::new();
    for d in 0..365 {
        for source in ["A", "B"] {
            let items: Vec<TaggedItem> = (0..per_day)
                .map(|i| {
                    let guid = format!("{source}-{d}-{i}");
                    let mut it = dated(&guid, &format!("{source} report {i} of day {d}"), d);
                    it.summary_html = Some(format!(
                        "<p>{}</p>",
                        "Lorem ipsum dolor sit amet. ".repeat(12)
                    ));
                    tagged(it, &["common"])
                })
                .collect();
            poll(&mut store, source, items, day(d));
        }
        store.prune(&policy, day(d)).unwrap();
        if d % 10 == 0 || d == 364 {
            // What the file holds once the WAL is written back.
            store
                .conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .unwrap();
            sizes.push((d, std::fs::metadata(&path).unwrap().len()));
        }
    }
    let size = |day: i64| sizes.iter().find(|(d, _)| *d == day).map_or(0, |s| s.1);
    let kb = |d: i64| size(d) / 1024;
    eprintln!(
        "database size in KiB: day 10 {}, 30 {}, 60 {}, 90 {}, 120 {}, 240 {}, 364 {}",
        kb(10),
        kb(30),
        kb(60),
        kb(90),
        kb(120),
        kb(240),
        kb(364)
    );
    assert!(
        size(30) > 2 * size(10),
        "grows until the first stories age out"
    );
    // From three ages on, free pages are reused as fast as stories come.
    let settled = size(90);
    let late_max = sizes
        .iter()
        .filter(|(d, _)| *d >= 90)
        .map(|s| s.1)
        .max()
        .unwrap();
    assert!(
        late_max <= settled + settled / 10,
        "grew from {settled} to {late_max} bytes after day 90"
    );
    assert_eq!(
        store.story_count().unwrap(),
        2 * per_day as u64 * 31,
        "31 days of stories are kept (days 334..=364)"
    );
}
