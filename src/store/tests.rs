//! Store tests: real SQLite files in temporary folders.

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

use super::write::{canonical_key, story_uid};
use super::*;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, h, m, 0).unwrap()
}

fn open_temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("feedmill.db")).unwrap();
    (dir, store)
}

/// A store knowing sources "A" (region kosovo), "B" (region serbia), "C" (no region).
fn with_sources() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = open_temp();
    store
        .sync_sources(&[
            src("A", "https://a.example/rss", Some("kosovo")),
            src("B", "https://b.example/rss", Some("serbia")),
            src("C", "https://c.example/rss", None),
        ])
        .unwrap();
    (dir, store)
}

fn src(name: &str, url: &str, region: Option<&str>) -> SourceInfo {
    SourceInfo {
        name: name.into(),
        url: url.into(),
        region: region.map(Into::into),
    }
}

fn item(guid: Option<&str>, link: Option<&str>, title: &str) -> Item {
    Item {
        guid: guid.map(Into::into),
        link: link.map(Into::into),
        title: title.into(),
        summary_html: Some(format!("<p>About {title}</p>")),
        match_text: title.into(),
        ..Item::default()
    }
}

fn tagged(item: Item, topics: &[&str]) -> TaggedItem {
    TaggedItem {
        item,
        topics: topics.iter().map(|s| s.to_string()).collect(),
    }
}

fn poll(store: &mut Store, source: &str, items: Vec<TaggedItem>, now: DateTime<Utc>) -> PollStats {
    let meta = FeedMeta {
        title: Some(format!("{source} feed")),
        id: None,
        link: Some(format!("https://{source}.example/")),
    };
    store
        .record_fetched(
            source,
            &meta,
            &Validators::default(),
            "hash",
            None,
            &items,
            now,
        )
        .unwrap()
}

fn all(store: &Store) -> Vec<Entry> {
    store.entries(&EntryFilter::All, 100).unwrap()
}

fn stats(new: usize, updated: usize, unchanged: usize) -> PollStats {
    PollStats {
        new,
        updated,
        unchanged,
    }
}

#[test]
fn open_creates_folders_sets_pragmas_and_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep/er/feedmill.db");
    let store = Store::open(&path).unwrap();
    let c = &store.conn;
    let q = |sql: &str| {
        c.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
            .unwrap()
    };
    use rusqlite::types::Value::{Integer, Text};
    assert_eq!(q("PRAGMA journal_mode"), Text("wal".into()));
    assert_eq!(q("PRAGMA foreign_keys"), Integer(1));
    assert_eq!(q("PRAGMA synchronous"), Integer(1)); // NORMAL
    assert_eq!(q("PRAGMA busy_timeout"), Integer(5000));
    assert_eq!(
        q("PRAGMA user_version"),
        Integer(schema::MIGRATIONS.len() as i64)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o002, 0, "database file is world-writable: {mode:o}");
    }
}

#[test]
fn reopen_is_idempotent_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feedmill.db");
    {
        let mut store = Store::open(&path).unwrap();
        store
            .sync_sources(&[src("A", "https://a.example/rss", None)])
            .unwrap();
        poll(
            &mut store,
            "A",
            vec![tagged(item(Some("1"), None, "One"), &[])],
            t(10, 0),
        );
    }
    for _ in 0..2 {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.story_count().unwrap(), 1);
        let v: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema::MIGRATIONS.len() as i64);
    }
}

#[test]
fn newer_schema_foreign_and_broken_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();

    let newer = dir.path().join("newer.db");
    drop(Store::open(&newer).unwrap());
    Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let e = Store::open(&newer).err().unwrap().to_string();
    assert!(
        e.contains(&newer.display().to_string()) && e.contains("newer"),
        "{e}"
    );

    let foreign = dir.path().join("foreign.db");
    let c = Connection::open(&foreign).unwrap();
    c.execute_batch("CREATE TABLE x (y); PRAGMA application_id = 42; PRAGMA user_version = 1;")
        .unwrap();
    drop(c);
    let e = Store::open(&foreign).err().unwrap().to_string();
    assert!(
        e.contains("foreign.db") && e.contains("not a feedmill database"),
        "{e}"
    );

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let e = Store::open(&junk).err().unwrap().to_string();
    assert!(e.contains(&junk.display().to_string()), "{e}");
}

#[test]
fn rule1_same_guid_repolled_unchanged_writes_nothing() {
    let (_d, mut store) = with_sources();
    let items = || {
        vec![tagged(
            item(Some("g1"), Some("https://a.example/1"), "One"),
            &["x"],
        )]
    };
    assert_eq!(poll(&mut store, "A", items(), t(10, 0)), stats(1, 0, 0));
    let before = all(&store);
    let changes = store.conn.total_changes();
    assert_eq!(poll(&mut store, "A", items(), t(11, 0)), stats(0, 0, 1));
    // Only the source row (last attempt/success) was written.
    assert_eq!(store.conn.total_changes() - changes, 1);
    assert_eq!(all(&store), before);
    assert_eq!(before[0].updated, t(10, 0));
}

#[test]
fn rule1_edited_item_is_updated_in_place_with_newer_updated() {
    let (_d, mut store) = with_sources();
    let mut it = item(Some("g1"), Some("https://a.example/1"), "Draft");
    it.updated = Some(t(9, 0));
    poll(&mut store, "A", vec![tagged(it.clone(), &["x"])], t(10, 0));
    let uid = all(&store)[0].uid.clone();
    assert_eq!(all(&store)[0].updated, t(9, 0));

    // The item's own updated moved forward: it is used.
    it.title = "Final".into();
    it.updated = Some(t(10, 30));
    let s = poll(
        &mut store,
        "A",
        vec![tagged(it.clone(), &["x", "y"])],
        t(11, 0),
    );
    assert_eq!(s, stats(0, 1, 0));
    let e = all(&store);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].uid.as_str(), e[0].title.as_str()),
        (uid.as_str(), "Final")
    );
    assert_eq!(e[0].updated, t(10, 30));
    assert_eq!(e[0].topics, vec!["x", "y"]);

    // Content changed but the item's updated did not: the poll time is used.
    it.summary_html = Some("<p>corrected</p>".into());
    assert_eq!(
        poll(&mut store, "A", vec![tagged(it.clone(), &[])], t(12, 0)),
        stats(0, 1, 0)
    );
    let e = all(&store);
    assert_eq!((e.len(), e[0].updated), (1, t(12, 0)));
    assert_eq!(e[0].summary_html.as_deref(), Some("<p>corrected</p>"));

    // An item date moving backwards never moves the entry backwards.
    it.updated = Some(t(1, 0));
    poll(&mut store, "A", vec![tagged(it.clone(), &[])], t(13, 0));
    assert_eq!(all(&store)[0].updated, t(13, 0));
    assert_eq!(store.story_count().unwrap(), 1);
}

#[test]
fn entry_updated_falls_back_to_published_then_first_seen_and_is_not_in_the_future() {
    let (_d, mut store) = with_sources();
    let mut published = item(Some("p"), None, "Published only");
    published.published = Some(t(8, 0));
    let mut future = item(Some("f"), None, "From the future");
    future.updated = Some(t(23, 0));
    let undated = item(Some("u"), None, "Undated");
    poll(
        &mut store,
        "A",
        vec![
            tagged(published, &[]),
            tagged(future, &[]),
            tagged(undated, &[]),
        ],
        t(10, 0),
    );
    let by_title = |title: &str| all(&store).into_iter().find(|e| e.title == title).unwrap();
    assert_eq!(by_title("Published only").updated, t(8, 0));
    assert_eq!(by_title("Published only").published, Some(t(8, 0)));
    assert_eq!(by_title("From the future").updated, t(10, 0));
    assert_eq!(by_title("Undated").updated, t(10, 0));
}

#[test]
fn rule2_same_canonical_link_across_sources_is_one_story_with_a_related_link() {
    let (_d, mut store) = with_sources();
    let a_link = "https://www.example.org/news/1?id=7&utm_source=rss";
    let b_link = "http://example.org/news/1/?fbclid=abc&id=7";
    poll(
        &mut store,
        "A",
        vec![tagged(
            item(Some("a-1"), Some(a_link), "From A"),
            &["defense"],
        )],
        t(10, 0),
    );
    let s = poll(
        &mut store,
        "B",
        vec![tagged(
            item(Some("b-9"), Some(b_link), "From B"),
            &["energy"],
        )],
        t(11, 0),
    );
    assert_eq!(s, stats(1, 0, 0), "B's copy is new to B");
    let e = all(&store);
    assert_eq!(e.len(), 1);
    let e = &e[0];
    assert_eq!(e.title, "From A");
    assert_eq!(e.link.as_deref(), Some(a_link));
    assert_eq!(e.source.name, "A");
    assert_eq!(e.source.feed_title.as_deref(), Some("A feed"));
    assert_eq!(e.related, vec![b_link]);
    assert_eq!(e.topics, vec!["defense", "energy"]);
    assert_eq!(e.regions, vec!["kosovo", "serbia"]);
    assert_eq!(
        e.updated,
        t(10, 0),
        "a joining copy does not make the story newer"
    );
    // Items count per source = its copies.
    assert_eq!(store.source_state("B").unwrap().unwrap().items, 1);

    // A third copy with the story's own link adds no related link.
    poll(
        &mut store,
        "C",
        vec![tagged(item(None, Some(a_link), "From C"), &[])],
        t(12, 0),
    );
    let e = all(&store);
    assert_eq!(
        (e.len(), e[0].related.clone()),
        (1, vec![b_link.to_string()])
    );
}

#[test]
fn rule2_link_without_guid_is_identified_by_its_canonical_link() {
    let (_d, mut store) = with_sources();
    let first = item(None, Some("https://example.org/a?utm_medium=x"), "T");
    assert_eq!(
        poll(&mut store, "A", vec![tagged(first.clone(), &[])], t(10, 0)),
        stats(1, 0, 0)
    );
    let mut again = first.clone();
    again.link = Some("https://EXAMPLE.org/a/#comments".into());
    // Same identity, but what a reader sees (the link) changed: updated in place.
    assert_eq!(
        poll(&mut store, "A", vec![tagged(again, &[])], t(11, 0)),
        stats(0, 1, 0)
    );
    assert_eq!(
        poll(&mut store, "A", vec![tagged(first, &[])], t(12, 0)),
        stats(0, 1, 0)
    );
    assert_eq!(store.story_count().unwrap(), 1);
}

#[test]
fn rule3_item_without_guid_or_link_is_identified_by_normalized_text() {
    let (_d, mut store) = with_sources();
    let mut a = item(None, None, "Power cut in Mitrovica");
    a.summary_html = Some("<p>Parts of the  city</p>".into());
    let mut b = a.clone();
    b.title = "  POWER cut\nin   Mitrovica ".into();
    b.summary_html = Some("<div>parts of the city</div>".into());
    let mut other = a.clone();
    other.title = "Power restored in Mitrovica".into();
    let s = poll(
        &mut store,
        "A",
        vec![
            tagged(a.clone(), &[]),
            tagged(b.clone(), &[]),
            tagged(other, &[]),
        ],
        t(10, 0),
    );
    assert_eq!(s, stats(2, 0, 1));
    assert_eq!(store.story_count().unwrap(), 2);
    assert_eq!(
        poll(&mut store, "A", vec![tagged(a, &[])], t(11, 0)),
        stats(0, 0, 1)
    );
    assert_eq!(store.story_count().unwrap(), 2);
}

#[test]
fn constraints_reject_duplicates_even_via_raw_sql() {
    let (_d, mut store) = with_sources();
    poll(
        &mut store,
        "A",
        vec![
            tagged(
                item(Some("g1"), Some("https://example.org/1"), "One"),
                &["x"],
            ),
            tagged(item(Some("g2"), Some("https://example.org/2"), "Two"), &[]),
        ],
        t(10, 0),
    );
    let c = &store.conn;
    let copy_cols = "story_id, source_id, identity, link, canonical_link, title, match_text, content_hash, first_seen";
    let dup = |sql: &str| c.execute(sql, []).err().map(|e| e.to_string());
    // Rule 1: the same guid again from the same source.
    let e = dup(&format!(
        "INSERT INTO copies ({copy_cols}) SELECT story_id, source_id, identity, NULL, NULL, 'x', '', '', first_seen FROM copies WHERE identity = 'guid:g1'"
    ));
    assert!(e.as_deref().unwrap_or("").contains("UNIQUE"), "{e:?}");
    // Rule 2: a canonical link owned by two stories.
    let e = dup("INSERT INTO story_links SELECT 'example.org/1', id FROM stories WHERE id NOT IN (SELECT story_id FROM story_links WHERE canonical_link = 'example.org/1')");
    assert!(e.as_deref().unwrap_or("").contains("UNIQUE"), "{e:?}");
    // Rule 2: a copy with a canonical link attached to a story that does not own it.
    let e = dup(&format!(
        "INSERT INTO copies ({copy_cols}) SELECT s.id, 2, 'guid:zzz', 'https://example.org/1', 'example.org/1', 'x', '', '', '' FROM stories s WHERE s.id NOT IN (SELECT story_id FROM story_links WHERE canonical_link = 'example.org/1')"
    ));
    assert!(e.as_deref().unwrap_or("").contains("FOREIGN KEY"), "{e:?}");
    // Story ids are unique.
    let e = dup("INSERT INTO stories (uid, first_seen, updated) SELECT uid, first_seen, updated FROM stories LIMIT 1");
    assert!(e.as_deref().unwrap_or("").contains("UNIQUE"), "{e:?}");
    assert_eq!(store.story_count().unwrap(), 2);
}

#[test]
fn a_failure_mid_poll_stores_nothing_of_that_poll() {
    let (_d, mut store) = with_sources();
    // A trigger makes the second item fail inside SQLite, after the first was written.
    store
        .conn
        .execute_batch(
            "CREATE TEMP TRIGGER boom BEFORE INSERT ON copies WHEN NEW.title = 'boom'
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
        )
        .unwrap();
    let items = vec![
        tagged(
            item(Some("ok"), Some("https://example.org/ok"), "fine"),
            &["x"],
        ),
        tagged(
            item(Some("bad"), Some("https://example.org/bad"), "boom"),
            &[],
        ),
    ];
    let validators = Validators {
        etag: Some("\"v1\"".into()),
        last_modified: None,
    };
    let err = store
        .record_fetched(
            "A",
            &FeedMeta::default(),
            &validators,
            "h",
            None,
            &items,
            t(10, 0),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("simulated failure") && err.contains("\"A\"") && err.contains("feedmill.db"),
        "{err}"
    );
    assert_eq!(store.story_count().unwrap(), 0);
    let n: i64 = store
        .conn
        .query_row("SELECT COUNT(*) FROM story_links", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    let state = store.source_state("A").unwrap().unwrap();
    assert_eq!(
        (state.last_attempt, state.validators.etag, state.body_hash),
        (None, None, None)
    );
    // The store is usable afterwards.
    poll(&mut store, "A", items[..1].to_vec(), t(11, 0));
    assert_eq!(store.story_count().unwrap(), 1);
}

#[test]
fn entries_are_newest_first_limited_and_filtered() {
    let (_d, mut store) = with_sources();
    let dated = |guid: &str, h: u32| {
        let mut it = item(
            Some(guid),
            Some(&format!("https://example.org/{guid}")),
            guid,
        );
        it.updated = Some(t(h, 0));
        it
    };
    poll(
        &mut store,
        "A",
        vec![
            tagged(dated("a1", 1), &["defense"]),
            tagged(dated("a3", 3), &["energy"]),
        ],
        t(20, 0),
    );
    poll(
        &mut store,
        "B",
        vec![
            tagged(dated("b2", 2), &["defense"]),
            tagged(dated("b3", 3), &[]),
        ],
        t(20, 0),
    );
    let titles = |v: Vec<Entry>| v.into_iter().map(|e| e.title).collect::<Vec<_>>();
    let all_titles = titles(all(&store));
    // a3 and b3 tie on updated: ordered by uid.
    let (u_a3, u_b3) = (story_uid("A", "guid:a3"), story_uid("B", "guid:b3"));
    let tied = if u_a3 < u_b3 {
        ["a3", "b3"]
    } else {
        ["b3", "a3"]
    };
    assert_eq!(all_titles, vec![tied[0], tied[1], "b2", "a1"]);
    assert_eq!(
        titles(store.entries(&EntryFilter::All, 2).unwrap()),
        tied.to_vec()
    );
    assert_eq!(
        titles(store.entries(&EntryFilter::All, 0).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        titles(
            store
                .entries(&EntryFilter::Topic("defense".into()), 10)
                .unwrap()
        ),
        vec!["b2", "a1"]
    );
    assert_eq!(
        titles(
            store
                .entries(&EntryFilter::Region("kosovo".into()), 10)
                .unwrap()
        ),
        vec!["a3", "a1"]
    );
    assert!(store
        .entries(&EntryFilter::Topic("none".into()), 10)
        .unwrap()
        .is_empty());
}

#[test]
fn retag_recomputes_topics_only_when_the_fingerprint_changes() {
    let (_d, mut store) = with_sources();
    let mut it = item(Some("g"), None, "NATO exercise");
    it.match_text = "NATO exercise near the border".into();
    poll(&mut store, "A", vec![tagged(it, &["old"])], t(10, 0));
    let calls = std::cell::Cell::new(0);
    let tagger = |source: &str, text: &str| {
        calls.set(calls.get() + 1);
        let mut v = vec![format!("src-{}", source.to_lowercase())];
        if text.contains("NATO") {
            v.push("defense".to_string());
        }
        v
    };
    assert!(store.retag_if_changed("v1", &tagger).unwrap());
    assert_eq!(all(&store)[0].topics, vec!["defense", "src-a"]);
    assert_eq!(calls.get(), 1);
    assert!(!store.retag_if_changed("v1", &tagger).unwrap());
    assert_eq!(calls.get(), 1);
    assert!(store
        .retag_if_changed("v2", &|_: &str, _: &str| vec![])
        .unwrap());
    assert!(all(&store)[0].topics.is_empty());
    assert_eq!(
        all(&store)[0].updated,
        t(10, 0),
        "re-tagging does not make entries newer"
    );
}

#[test]
fn source_state_follows_fetches_failures_and_config() {
    let (_d, mut store) = with_sources();
    assert!(store.source_state("nope").unwrap().is_none());
    assert_eq!(store.source_states().unwrap().len(), 3);

    store
        .record_failure(
            "A",
            "GET https://a.example/rss: HTTP 503",
            Some(t(11, 0)),
            t(10, 0),
        )
        .unwrap();
    store
        .record_failure("A", "GET https://a.example/rss: timed out", None, t(10, 5))
        .unwrap();
    let s = store.source_state("A").unwrap().unwrap();
    assert_eq!(s.consecutive_failures, 2);
    assert_eq!(
        s.last_error.as_deref(),
        Some("GET https://a.example/rss: timed out")
    );
    assert_eq!(
        (s.last_attempt, s.last_success, s.not_before),
        (Some(t(10, 5)), None, None)
    );

    let v = Validators {
        etag: Some("W/\"abc\"".into()),
        last_modified: Some("Wed, 01 May 2024 10:00:00 GMT".into()),
    };
    let meta = FeedMeta {
        title: Some("A news".into()),
        id: Some("urn:a".into()),
        link: Some("https://a.example/".into()),
    };
    let items = vec![
        tagged(item(Some("1"), None, "x"), &[]),
        tagged(item(Some("2"), None, "y"), &[]),
    ];
    store
        .record_fetched(
            "A",
            &meta,
            &v,
            "bodyhash",
            Some("https://a2.example/rss"),
            &items,
            t(10, 10),
        )
        .unwrap();
    let s = store.source_state("A").unwrap().unwrap();
    assert_eq!(s.validators, v);
    assert_eq!(s.body_hash.as_deref(), Some("bodyhash"));
    assert_eq!(s.redirected_to.as_deref(), Some("https://a2.example/rss"));
    assert_eq!(s.feed, meta);
    assert_eq!(
        (s.consecutive_failures, s.last_error.clone(), s.items),
        (0, None, 2)
    );
    assert_eq!(s.last_success, Some(t(10, 10)));

    store.record_failure("A", "boom", None, t(10, 20)).unwrap();
    store.record_unchanged("A", None, t(10, 30)).unwrap();
    let s = store.source_state("A").unwrap().unwrap();
    assert_eq!((s.consecutive_failures, s.last_error.clone()), (0, None));
    assert_eq!(
        (s.last_attempt, s.last_success),
        (Some(t(10, 30)), Some(t(10, 30)))
    );
    assert_eq!(
        s.validators, v,
        "a 304 without validators keeps the stored ones"
    );

    // Same URL: state kept. New URL: validators forgotten, items kept.
    store
        .sync_sources(&[src("A", "https://a.example/rss", Some("kosovo"))])
        .unwrap();
    assert_eq!(store.source_state("A").unwrap().unwrap().validators, v);
    store
        .sync_sources(&[src("A", "https://a.example/feed", None)])
        .unwrap();
    let s = store.source_state("A").unwrap().unwrap();
    assert_eq!(
        (s.validators, s.body_hash, s.items),
        (Validators::default(), None, 2)
    );

    let e = store
        .record_failure("ghost", "x", None, t(11, 0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"ghost\"") && e.contains("feedmill.db"), "{e}");
    let e = store
        .record_unchanged("ghost", None, t(11, 0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"ghost\""), "{e}");
}

#[test]
fn story_uid_is_uuid_shaped_and_stable() {
    let u = story_uid("A", "guid:1");
    assert_eq!(u, story_uid("A", "guid:1"));
    assert_ne!(u, story_uid("B", "guid:1"));
    assert_ne!(u, story_uid("A", "guid:2"));
    let parts: Vec<&str> = u.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        vec![8, 4, 4, 4, 12]
    );
    assert!(u
        .chars()
        .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)));
    assert!(parts[2].starts_with('8'), "version 8: {u}");
}

#[test]
fn a_second_writer_waits_for_the_first_instead_of_failing() {
    let (dir, mut store) = with_sources();
    let path = dir.path().join("feedmill.db");
    let mut other = Connection::open(&path).unwrap();
    let (tx_ready, rx_ready) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let tx = other
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "UPDATE sources SET last_error = 'held' WHERE name = 'B'",
            [],
        )
        .unwrap();
        tx_ready.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        tx.commit().unwrap();
    });
    rx_ready.recv().unwrap();
    store.record_failure("A", "e", None, t(10, 0)).unwrap();
    holder.join().unwrap();
    assert_eq!(
        store
            .source_state("B")
            .unwrap()
            .unwrap()
            .last_error
            .as_deref(),
        Some("held")
    );
}

#[test]
fn canonical_key_follows_the_contract_rule() {
    let same = [
        (
            "https://www.Example.org/a/?b=2&a=1#top",
            "http://example.org/a?a=1&b=2",
        ),
        (
            "https://example.org/a?utm_source=x&fbclid=1&gclid=2&mc_cid=3&mc_eid=4",
            "https://example.org/a",
        ),
        ("http://example.org:80/a", "https://example.org/a/"),
    ];
    for (x, y) in same {
        assert_eq!(canonical_key(x), canonical_key(y), "{x} vs {y}");
        assert!(canonical_key(x).is_some());
    }
    let different = [
        ("https://example.org/a?id=1", "https://example.org/a?id=2"),
        ("https://example.org/a", "https://example.org/b"),
        ("https://example.org:8080/a", "https://example.org/a"),
    ];
    for (x, y) in different {
        assert_ne!(canonical_key(x), canonical_key(y), "{x} vs {y}");
    }
    assert_eq!(canonical_key("mailto:x@example.org"), None);
    assert_eq!(canonical_key("not a url"), None);
}
