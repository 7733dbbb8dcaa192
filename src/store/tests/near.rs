//! Near-duplicates across sources in the write path, and re-polls that
//! change nothing.

use super::*;
use crate::store::near::{NearDupSettings, Signature};

/// A store knowing sources A-E, each in its own region (C in none).
fn five_sources() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = open_temp();
    store
        .sync_sources(&[
            src("A", "https://a.example/rss", Some("kosovo")),
            src("B", "https://b.example/rss", Some("serbia")),
            src("C", "https://c.example/rss", None),
            src("D", "https://d.example/rss", Some("serbia")),
            src("E", "https://e.example/rss", Some("albania")),
        ])
        .unwrap();
    (dir, store)
}

const LEAD: &str = "<p>Predsednik Srbije Aleksandar Vučić izjavio je danas u Beogradu da Srbija nikada neće priznati nezavisnost Kosova.</p>";
const LEAD_CYR: &str = "<p>Председник Србије Александар Вучић изјавио је данас у Београду да Србија никада неће признати независност Косова.</p>";

fn copy(guid: &str, link: &str, title: &str, lead: Option<&str>, published: DateTime<Utc>) -> Item {
    Item {
        guid: Some(guid.into()),
        link: Some(link.into()),
        title: title.into(),
        summary_html: lead.map(Into::into),
        match_text: title.into(),
        published: Some(published),
        ..Item::default()
    }
}

/// Outlet A's copy of the agency story, in Latin script.
fn latin_copy(published: DateTime<Utc>) -> Item {
    let title = "Vučić: Srbija neće priznati nezavisnost Kosova";
    copy("a1", "https://a.example/1", title, Some(LEAD), published)
}

/// Outlet B's copy of the same story, in Cyrillic, under a link of its own.
fn cyrillic_copy(published: DateTime<Utc>) -> Item {
    let title = "Вучић: Србија неће признати независност Косова";
    copy(
        "b1",
        "https://b.example/1",
        title,
        Some(LEAD_CYR),
        published,
    )
}

/// Five outlets, five links, the same agency story.
fn syndicated() -> Vec<(&'static str, Item, &'static [&'static str])> {
    vec![
        (
            "A",
            copy(
                "a1",
                "https://a.example/vucic-kosovo",
                "Vučić: Srbija neće priznati nezavisnost Kosova",
                Some(LEAD),
                t(9, 0),
            ),
            &["politics"],
        ),
        (
            "B",
            copy(
                "b1",
                "https://b.example/lat/123",
                "Вучић: Србија неће признати независност Косова",
                Some(LEAD_CYR),
                t(9, 20),
            ),
            &["politics", "serbia"],
        ),
        (
            "C",
            copy(
                "c1",
                "https://c.example/news/55",
                "VIDEO | Vučić: Srbija neće priznati nezavisnost Kosova",
                Some(LEAD),
                t(9, 45),
            ),
            &[],
        ),
        (
            "D",
            copy(
                "d1",
                "https://d.example/v/1",
                "Vučić: Srbija nikada neće priznati nezavisnost Kosova",
                None,
                t(10, 30),
            ),
            &["kosovo"],
        ),
        (
            "E",
            copy(
                "e1",
                "https://e.example/s?id=9",
                "Vučić: Srbija neće priznati nezavisnost Kosova!",
                Some(LEAD),
                t(12, 0),
            ),
            &["politics"],
        ),
    ]
}

#[test]
fn five_syndicated_copies_become_one_entry_with_four_related_links() {
    let (_d, mut store) = five_sources();
    for (i, (source, item, topics)) in syndicated().into_iter().enumerate() {
        let s = poll(
            &mut store,
            source,
            vec![tagged(item, topics)],
            t(13, i as u32),
        );
        assert_eq!(s, stats(1, 0, 0), "copy from {source} is new to {source}");
    }
    let e = all(&store);
    assert_eq!(
        e.len(),
        1,
        "{:#?}",
        e.iter().map(|e| &e.title).collect::<Vec<_>>()
    );
    let e = &e[0];
    assert_eq!(e.uid, crate::store::ident::story_uid("A", "guid:a1"));
    assert_eq!(e.source.name, "A");
    assert_eq!(e.title, "Vučić: Srbija neće priznati nezavisnost Kosova");
    assert_eq!(e.link.as_deref(), Some("https://a.example/vucic-kosovo"));
    assert_eq!(
        e.related,
        vec![
            "https://b.example/lat/123",
            "https://c.example/news/55",
            "https://d.example/v/1",
            "https://e.example/s?id=9"
        ]
    );
    assert_eq!(e.topics, vec!["kosovo", "politics", "serbia"]);
    assert_eq!(e.regions, vec!["albania", "kosovo", "serbia"]);
    assert_eq!(
        e.updated,
        t(9, 0),
        "joining copies do not make the story newer"
    );
    for (filter, n) in [
        (EntryFilter::Topic("kosovo".into()), 1),
        (EntryFilter::Region("albania".into()), 1),
        (EntryFilter::Region("serbia".into()), 1),
    ] {
        assert_eq!(store.entries(&filter, 10).unwrap().len(), n, "{filter:?}");
    }
    // Every copy counts for its own source.
    for s in ["A", "B", "C", "D", "E"] {
        assert_eq!(items_of(&store, s), 1, "{s}");
    }

    // A sixth outlet reposting D's link joins by rule 2 (the story owns it now).
    store
        .sync_sources(&[src("F", "https://f.example/rss", None)])
        .unwrap();
    let repost = copy(
        "f1",
        "https://d.example/v/1?utm_source=f",
        "Something else entirely",
        None,
        t(14, 0),
    );
    poll(&mut store, "F", vec![tagged(repost, &["f"])], t(14, 0));
    assert_eq!(store.story_count().unwrap(), 1);
    assert!(all(&store)[0].topics.contains(&"f".to_string()));
}

#[test]
fn near_duplicates_are_not_merged_when_they_should_not_be() {
    let base = || latin_copy(t(9, 0));
    let cases: Vec<(&str, &str, Item, NearDupSettings)> = vec![
        (
            "same source, other link",
            "A",
            copy(
                "a2",
                "https://a.example/2",
                "Vučić: Srbija neće priznati nezavisnost Kosova",
                Some(LEAD),
                t(10, 0),
            ),
            NearDupSettings::default(),
        ),
        (
            "outside the window",
            "B",
            copy(
                "b1",
                "https://b.example/1",
                "Vučić: Srbija neće priznati nezavisnost Kosova",
                Some(LEAD),
                t(9, 0) + chrono::TimeDelta::hours(73),
            ),
            NearDupSettings::default(),
        ),
        (
            "outside a shorter window",
            "B",
            copy(
                "b1",
                "https://b.example/1",
                "Vučić: Srbija neće priznati nezavisnost Kosova",
                Some(LEAD),
                t(9, 0) + chrono::TimeDelta::hours(3),
            ),
            NearDupSettings {
                window: std::time::Duration::from_secs(2 * 3600),
                ..NearDupSettings::default()
            },
        ),
        (
            "detection off",
            "B",
            copy(
                "b1",
                "https://b.example/1",
                "Vučić: Srbija neće priznati nezavisnost Kosova",
                Some(LEAD),
                t(9, 30),
            ),
            NearDupSettings {
                enabled: false,
                ..NearDupSettings::default()
            },
        ),
        (
            "threshold above the score",
            "B",
            copy(
                "b1",
                "https://b.example/1",
                "Vučić: Srbija nikada neće priznati nezavisnost Kosova",
                None,
                t(9, 30),
            ),
            NearDupSettings {
                threshold: 0.99,
                ..NearDupSettings::default()
            },
        ),
        (
            "numbers differ",
            "B",
            copy(
                "b1",
                "https://b.example/1",
                "Vučić: Srbija neće priznati nezavisnost Kosova 2",
                Some(LEAD),
                t(9, 30),
            ),
            NearDupSettings::default(),
        ),
        (
            "another story",
            "B",
            copy(
                "b1",
                "https://b.example/1",
                "Vučić: Srbija neće uvesti sankcije Rusiji",
                None,
                t(9, 30),
            ),
            NearDupSettings::default(),
        ),
    ];
    for (what, source, other, settings) in cases {
        let (_d, mut store) = with_sources();
        store.set_near_duplicates(settings);
        poll(&mut store, "A", vec![tagged(base(), &[])], t(20, 0));
        let seen = other.published.unwrap() + chrono::TimeDelta::hours(1);
        poll(
            &mut store,
            source,
            vec![tagged(other, &[])],
            seen.max(t(21, 0)),
        );
        assert_eq!(store.story_count().unwrap(), 2, "{what}");
    }
}

fn own_title(source: &str) -> &'static str {
    match source {
        "A" => "Zjarr në pyjet e Pejës",
        "B" => "Protest studenata u Novom Sadu",
        "C" => "Snow closes the road to Bjelasica",
        "D" => "Poplave u Obrenovcu posle kiše",
        _ => "Përmbytje në Shkodër pas reshjeve",
    }
}

#[test]
fn repolling_unchanged_feeds_changes_nothing() {
    let (_d, mut store) = five_sources();
    let feeds = || {
        let mut by_source: Vec<(&str, Vec<TaggedItem>)> = Vec::new();
        for (source, item, topics) in syndicated() {
            let mut items = vec![tagged(item, topics)];
            // Each feed also has a story of its own and one shared by link.
            items.push(tagged(
                copy(
                    &format!("{source}-own"),
                    &format!("https://{source}.example/own"),
                    own_title(source),
                    None,
                    t(8, 0),
                ),
                &[],
            ));
            items.push(tagged(
                copy(
                    &format!("{source}-shared"),
                    "https://agency.example/story?utm_medium=rss",
                    "Agency story",
                    None,
                    t(7, 0),
                ),
                &["agency"],
            ));
            by_source.push((source, items));
        }
        by_source
    };
    for (source, items) in feeds() {
        poll(&mut store, source, items, t(13, 0));
    }
    let before = all(&store);
    assert_eq!(before.len(), 1 + 5 + 1);
    for (source, items) in feeds() {
        let changes = store.conn.total_changes();
        let n = items.len();
        assert_eq!(
            poll(&mut store, source, items, t(14, 0)),
            stats(0, 0, n),
            "{source}"
        );
        assert_eq!(
            store.conn.total_changes() - changes,
            1,
            "{source}: only the source row is written"
        );
    }
    assert_eq!(all(&store), before);
}

#[test]
fn changes_readers_do_not_see_do_not_make_an_entry_newer() {
    let (_d, mut store) = with_sources();
    let mut it = copy(
        "g",
        "https://a.example/1",
        "Kurti takon Escobarin",
        Some(LEAD),
        t(9, 0),
    );
    poll(
        &mut store,
        "A",
        vec![tagged(it.clone(), &["politics"])],
        t(10, 0),
    );
    let before = all(&store);

    // Categories (and so the match text) changed; the topics did not.
    it.categories = vec!["Lajme".into()];
    it.match_text.push_str("\nLajme");
    assert_eq!(
        poll(
            &mut store,
            "A",
            vec![tagged(it.clone(), &["politics"])],
            t(11, 0)
        ),
        stats(0, 0, 1)
    );
    assert_eq!(all(&store), before);

    // A category that brings a topic: re-rendered (counted as updated), not newer.
    it.categories.push("Politika".into());
    it.match_text.push_str("\nPolitika");
    assert_eq!(
        poll(
            &mut store,
            "A",
            vec![tagged(it.clone(), &["politics", "serbia"])],
            t(12, 0)
        ),
        stats(0, 1, 0)
    );
    let after = all(&store);
    assert_eq!(after[0].topics, vec!["politics", "serbia"]);
    assert_eq!(after[0].updated, before[0].updated);

    // The title is seen: updated in place and newer.
    it.title = "Kurti takon Escobarin në Prishtinë".into();
    assert_eq!(
        poll(
            &mut store,
            "A",
            vec![tagged(it, &["politics", "serbia"])],
            t(13, 0)
        ),
        stats(0, 1, 0)
    );
    assert_eq!(all(&store)[0].updated, t(13, 0));
}

#[test]
fn an_edited_copy_is_compared_by_its_new_title() {
    let (_d, mut store) = with_sources();
    let mut a = copy("a1", "https://a.example/1", "Untitled draft", None, t(9, 0));
    poll(&mut store, "A", vec![tagged(a.clone(), &[])], t(9, 0));
    a.title = "Kurti takon Escobarin në Prishtinë sot".into();
    poll(&mut store, "A", vec![tagged(a, &[])], t(9, 30));
    let b = copy(
        "b1",
        "https://b.example/1",
        "FOTO: Kurti takon Escobarin në Prishtinë sot",
        None,
        t(10, 0),
    );
    poll(&mut store, "B", vec![tagged(b, &[])], t(10, 0));
    assert_eq!(store.story_count().unwrap(), 1);
}

/// A copy keeps its signature's stored form, and a stored form that is
/// damaged, from another format or missing is rebuilt from the copy's
/// text: the match is the same either way.
#[test]
fn a_stored_signature_is_used_and_a_damaged_one_rebuilt() {
    let a = latin_copy(t(9, 0));
    let b = cyrillic_copy(t(10, 0));
    for damage in [None, Some("x'00'"), Some("x'01ff'"), Some("")] {
        let (_d, mut store) = with_sources();
        poll(&mut store, "A", vec![tagged(a.clone(), &[])], t(9, 0));
        let stored: Vec<u8> = store
            .conn
            .query_row("SELECT sig FROM near_sigs", [], |r| r.get(0))
            .unwrap();
        let want = crate::store::near_index::signature(&a.title, a.summary_html.as_deref(), None);
        assert_eq!(Signature::decode(&stored), Some(want));
        let damaged = match damage {
            // Intact: the stored form alone can match, so the copy's text
            // is made unrelated; had it been folded again, B would stay
            // a story of its own.
            None => "UPDATE copies SET title = 'Zjarr në pyjet e Pejës', summary_html = NULL"
                .to_string(),
            Some("") => "DELETE FROM near_sigs".to_string(),
            Some(value) => format!("UPDATE near_sigs SET sig = {value}"),
        };
        store.conn.execute_batch(&damaged).unwrap();
        poll(&mut store, "B", vec![tagged(b.clone(), &[])], t(10, 0));
        assert_eq!(store.story_count().unwrap(), 1, "stored form {damage:?}");
    }
}

/// Rows in the near-duplicate index.
fn near_key_count(store: &Store) -> i64 {
    store
        .conn
        .query_row("SELECT COUNT(*) FROM near_keys", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_version_1_database_gets_its_index_built_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feedmill.db");
    {
        let mut store = Store::open(&path).unwrap();
        store
            .sync_sources(&[
                src("A", "https://a.example/rss", None),
                src("B", "https://b.example/rss", None),
            ])
            .unwrap();
        let a = latin_copy(t(9, 0));
        poll(&mut store, "A", vec![tagged(a, &[])], t(9, 0));
        // Back to schema 1, as a database written before the index existed.
        store
            .conn
            .execute_batch(
                "DROP TABLE near_keys; DELETE FROM meta WHERE key = 'near_index_version';
                 DROP TABLE near_sigs; PRAGMA user_version = 1;",
            )
            .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    let keys = near_key_count(&store);
    assert!(keys >= 4, "{keys} keys");
    let b = cyrillic_copy(t(10, 0));
    poll(&mut store, "B", vec![tagged(b, &[])], t(10, 0));
    assert_eq!(store.story_count().unwrap(), 1);
}

#[test]
fn candidate_lookup_uses_the_index() {
    let (_d, store) = open_temp();
    let sql = format!(
        "EXPLAIN QUERY PLAN {}",
        super::super::near_index::POSTINGS_SQL
    );
    let plan: Vec<String> = store
        .conn
        .prepare(&sql)
        .unwrap()
        .query_map([1i64, 2, 3], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join("; ");
    // By the primary key (key, at DESC, copy_id): newest postings first,
    // with no sort.
    assert!(
        plan.contains("SEARCH near_keys USING PRIMARY KEY (key=? AND at>? AND at<?)"),
        "{plan}"
    );
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
}

#[test]
fn postings_come_newest_first() {
    let (_d, store) = with_sources();
    // Rows of the index alone, no copies (the index has no foreign key).
    for (at, copy) in [(100i64, 1i64), (300, 2), (200, 3), (250, 4)] {
        store
            .conn
            .execute(
                "INSERT INTO near_keys (key, at, copy_id) VALUES (7, ?1, ?2)",
                [at, copy],
            )
            .unwrap();
    }
    let ats: Vec<i64> = store
        .conn
        .prepare(super::super::near_index::POSTINGS_SQL)
        .unwrap()
        .query_map([7i64, 150, 400], |r| r.get(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ats, vec![300, 250, 200]);
}

/// The index has no column to find a copy's rows by: an edit (rule 1) must
/// still replace them exactly, and a changed date must move them.
#[test]
fn an_edit_replaces_the_copys_index_rows_exactly() {
    let (_d, mut store) = with_sources();
    let keys = |store: &Store| -> Vec<(i64, i64)> {
        store
            .conn
            .prepare("SELECT key, at FROM near_keys ORDER BY key, at")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let first = latin_copy(t(9, 0));
    poll(&mut store, "A", vec![tagged(first, &[])], t(9, 0));
    let before = keys(&store);
    assert!(before.len() >= 4, "{before:?}");
    let edited = copy(
        "a1",
        "https://a.example/1",
        "Kurti takon Escobarin në Prishtinë sot",
        Some(LEAD),
        t(8, 30),
    );
    poll(&mut store, "A", vec![tagged(edited.clone(), &[])], t(10, 0));
    let after = keys(&store);
    // Only the new title's keys, at the new date: none of the old ones.
    let fresh = {
        let (_d2, mut other) = with_sources();
        poll(&mut other, "A", vec![tagged(edited, &[])], t(9, 0));
        keys(&other)
    };
    assert_eq!(after, fresh);
    assert!(after.iter().all(|k| !before.contains(k)), "{after:?}");
}

/// A title with numbers is only ever looked up by its numbers, so only they
/// are stored; a title without numbers is stored under every word key.
#[test]
fn a_title_with_numbers_is_indexed_by_its_numbers() {
    let (_d, mut store) = with_sources();
    let count = near_key_count;
    let numbered = copy(
        "a1",
        "https://a.example/1",
        "Uhapšena 3 osumnjičena za napad u Banjskoj, 12 povređenih",
        None,
        t(9, 0),
    );
    poll(&mut store, "A", vec![tagged(numbered, &[])], t(9, 0));
    assert_eq!(count(&store), 2);
    let words = copy(
        "a2",
        "https://a.example/2",
        "Uhapšeni osumnjičeni za napad u Banjskoj",
        None,
        t(9, 0),
    );
    poll(&mut store, "A", vec![tagged(words, &[])], t(9, 0));
    assert!(count(&store) >= 6, "{}", count(&store));
    // Still found by the numbers: the same story from B merges.
    let b = copy(
        "b1",
        "https://b.example/1",
        "Uhapšena tri osumnjičena za napad u Banjskoj, 12 povređenih",
        None,
        t(9, 30),
    );
    poll(&mut store, "B", vec![tagged(b, &[])], t(9, 30));
    assert_eq!(store.story_count().unwrap(), 2);
}
