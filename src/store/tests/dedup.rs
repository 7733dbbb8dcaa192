//! Dedup rules 1-3, entries, re-tagging.

use super::*;
use crate::store::ident::{canonical_key, identity, story_uid};
use crate::store::*;

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
    assert_eq!(items_of(&store, "B"), 1);

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
    // A story's first copy exists.
    let e = dup("INSERT INTO stories (uid, first_seen, updated, first_copy_id) SELECT uid, first_seen, updated, 999999 FROM stories LIMIT 1");
    assert!(e.as_deref().unwrap_or("").contains("FOREIGN KEY"), "{e:?}");
    assert_eq!(store.story_count().unwrap(), 2);
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
fn an_item_without_guid_or_link_keeps_its_stored_identity() {
    // Rule 3's key is stored: a new version must compute the same one
    // (SHA-256 of the normalized title, a newline and the summary text).
    let it = Item {
        summary_html: None,
        ..item(None, None, "abc")
    };
    assert_eq!(
        identity(&it, None),
        "text:edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb"
    );
}

#[test]
fn story_uid_is_uuid_shaped_and_stable() {
    let u = story_uid("A", "guid:1");
    // Entry ids must survive upgrades: the value, not only the shape.
    assert_eq!(u, "79d30f12-cfc9-8aed-a0f6-127e40d54355");
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
