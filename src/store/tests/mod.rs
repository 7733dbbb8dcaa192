//! Store tests: real SQLite files in temporary folders.

mod dedup;
mod near;
mod retention;
mod state;

use chrono::{DateTime, TimeZone, Utc};

use super::*;

pub(super) fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, h, m, 0).unwrap()
}

pub(super) fn open_temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("feedmill.db")).unwrap();
    (dir, store)
}

/// A store knowing sources "A" (region kosovo), "B" (region serbia), "C" (no region).
pub(super) fn with_sources() -> (tempfile::TempDir, Store) {
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

pub(super) fn src(name: &str, url: &str, region: Option<&str>) -> SourceInfo {
    SourceInfo {
        name: name.into(),
        url: url.into(),
        region: region.map(Into::into),
    }
}

pub(super) fn item(guid: Option<&str>, link: Option<&str>, title: &str) -> Item {
    Item {
        guid: guid.map(Into::into),
        link: link.map(Into::into),
        title: title.into(),
        summary_html: Some(format!("<p>About {title}</p>")),
        match_text: title.into(),
        ..Item::default()
    }
}

pub(super) fn tagged(item: Item, topics: &[&str]) -> TaggedItem {
    TaggedItem::new(item, topics.iter().map(|s| s.to_string()).collect())
}

pub(super) fn poll(
    store: &mut Store,
    source: &str,
    items: Vec<TaggedItem>,
    now: DateTime<Utc>,
) -> PollStats {
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
            None,
            now,
        )
        .unwrap()
}

pub(super) fn all(store: &Store) -> Vec<Entry> {
    store.entries(&EntryFilter::All, 100).unwrap()
}

/// Items stored from `source`, as `status` counts them.
pub(super) fn items_of(store: &Store, source: &str) -> u64 {
    let states = store.source_states().unwrap();
    let state = states.iter().find(|s| s.name == source).unwrap();
    state.items.unwrap()
}

pub(super) fn stats(new: usize, updated: usize, unchanged: usize) -> PollStats {
    PollStats {
        new,
        updated,
        unchanged,
    }
}
