//! Opening, migrations, source state and transactions.

use rusqlite::Connection;

use super::*;
use crate::store::*;

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
fn a_version_7_database_keeps_its_stories_through_the_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feedmill.db");
    let before = {
        let mut store = Store::open(&path).unwrap();
        store
            .sync_sources(&[
                src("A", "https://a.example/rss", Some("kosovo")),
                src("B", "https://b.example/rss", Some("serbia")),
            ])
            .unwrap();
        let shared = || item(Some("s"), Some("https://example.org/shared"), "Shared");
        poll(
            &mut store,
            "A",
            vec![
                tagged(shared(), &["x"]),
                tagged(item(Some("a"), None, "Only A"), &[]),
            ],
            t(9, 0),
        );
        poll(&mut store, "B", vec![tagged(shared(), &["y"])], t(10, 0));
        let before = all(&store);
        // Back to schema 7: `stories` as version 1 made it.
        store
            .conn
            .execute_batch(
                "PRAGMA foreign_keys = OFF;
                 CREATE TABLE stories_v7 (
                     id INTEGER PRIMARY KEY,
                     uid TEXT NOT NULL UNIQUE CHECK (length(uid) = 36),
                     first_copy_id INTEGER REFERENCES copies(id),
                     first_seen TEXT NOT NULL,
                     updated TEXT NOT NULL);
                 INSERT INTO stories_v7 SELECT id, uid, first_copy_id, first_seen, updated FROM stories;
                 DROP TABLE stories;
                 ALTER TABLE stories_v7 RENAME TO stories;
                 CREATE INDEX stories_newest ON stories(updated DESC, uid);
                 PRAGMA user_version = 7;",
            )
            .unwrap();
        before
    };
    assert_eq!(before.len(), 2);
    let shared = before.iter().find(|e| e.title == "Shared").unwrap();
    assert_eq!(
        shared.regions,
        ["kosovo", "serbia"],
        "one story, two copies"
    );

    let mut store = Store::open(&path).unwrap();
    let q =
        |store: &Store, sql: &str| -> i64 { store.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        q(&store, "PRAGMA user_version"),
        schema::MIGRATIONS.len() as i64
    );
    assert_eq!(q(&store, "PRAGMA foreign_keys"), 1);
    let indexes = |table: &str| -> Vec<(String, String)> {
        let sql = format!("SELECT name, origin FROM pragma_index_list('{table}') ORDER BY name");
        let mut st = store.conn.prepare(&sql).unwrap();
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    let named = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(n, o)| (n.to_string(), o.to_string()))
            .collect()
    };
    assert_eq!(
        indexes("stories"),
        named(&[("stories_newest", "c")]),
        "no index on uid"
    );
    assert_eq!(
        q(
            &store,
            "SELECT COUNT(*) FROM story_links WHERE canonical_link = 'example.org/shared'"
        ),
        1
    );
    assert_eq!(
        q(&store, "SELECT COUNT(*) FROM pragma_foreign_key_check"),
        0
    );
    assert_eq!(all(&store), before, "entries as they were");
    // New stories, and copies joining by their link, on the rebuilt table.
    let joining = item(
        Some("s2"),
        Some("https://www.example.org/shared/"),
        "Shared",
    );
    poll(
        &mut store,
        "B",
        vec![
            tagged(item(Some("b"), None, "Only B"), &[]),
            tagged(joining, &[]),
        ],
        t(11, 0),
    );
    assert_eq!(all(&store).len(), 3);
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
            None,
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
            None,
            t(10, 10),
        )
        .unwrap();
    let s = store.source_state("A").unwrap().unwrap();
    assert_eq!(s.validators, v);
    assert_eq!(s.body_hash.as_deref(), Some("bodyhash"));
    assert_eq!(s.redirected_to.as_deref(), Some("https://a2.example/rss"));
    assert_eq!(s.feed, meta);
    assert_eq!((s.consecutive_failures, s.last_error.clone()), (0, None));
    assert_eq!(s.items, None, "a poll's state does not count items");
    assert_eq!(items_of(&store, "A"), 2);
    assert_eq!(s.last_success, Some(t(10, 10)));

    store.record_failure("A", "boom", None, t(10, 20)).unwrap();
    store.record_unchanged("A", None, None, t(10, 30)).unwrap();
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
    assert_eq!((s.validators, s.body_hash), (Validators::default(), None));
    assert_eq!(items_of(&store, "A"), 2);

    let e = store
        .record_failure("ghost", "x", None, t(11, 0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"ghost\"") && e.contains("feedmill.db"), "{e}");
    let e = store
        .record_unchanged("ghost", None, None, t(11, 0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"ghost\""), "{e}");
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
