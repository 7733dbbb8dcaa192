//! `once` prunes stories past `[retention]`, never one an output shows.

mod common;

use common::*;

#[test]
fn once_prunes_old_stories_but_not_what_the_feeds_show() {
    let server = FixtureServer::start();
    let rss = "application/rss+xml";
    for name in ["kosovo-online", "telegrafi", "kossev"] {
        server.set(
            &format!("/{name}.rss"),
            Route::feed(fixture(&format!("e2e/{name}.rss")), rss),
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    let base = &server.base;
    // Just fetched, no story was first seen a day ago, so max_items does
    // the pruning; the windows of 2 entries per feed keep more than 3.
    std::fs::write(
        &config,
        format!(
            "database = \"state/feedmill.db\"\n[output]\npath = \"public/feed.atom\"\nmax_entries = 2\n\
             [retention]\nmax_age = \"1d\"\nmax_items = 3\n\
             [[source]]\nname = \"Kosovo Online\"\nurl = \"{base}/kosovo-online.rss\"\nregion = \"kosovo\"\n\
             [[source]]\nname = \"Telegrafi\"\nurl = \"{base}/telegrafi.rss\"\nregion = \"kosovo\"\n\
             [[source]]\nname = \"KoSSev\"\nurl = \"{base}/kossev.rss\"\nregion = \"north-kosovo\"\n\
             [[topic]]\nname = \"defense\"\nkeywords = [\"KFOR\", \"army\"]\n"
        ),
    )
    .expect("write config");
    ok(feedmill(&config, &["once"]));

    let public = dir.path().join("public");
    let files = atom_files(&public);
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let db = rusqlite::Connection::open(dir.path().join("state/feedmill.db")).expect("db");
    let stories: Vec<String> = db
        .prepare("SELECT uid FROM stories")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let copies: i64 = db
        .query_row("SELECT COUNT(*) FROM copies", [], |r| r.get(0))
        .unwrap();
    let last_prune: Option<String> = db
        .query_row("SELECT value FROM meta WHERE key = 'last_prune'", [], |r| {
            r.get(0)
        })
        .ok();
    drop(db);
    assert!(last_prune.is_some(), "once records its prune");
    eprintln!("{} stories, {copies} copies kept", stories.len());
    // 8 items from three sources (two of them one syndicated story); only
    // what some window of 2 holds may stay.
    assert!(stories.len() < 7, "{} stories kept", stories.len());
    assert!(copies >= stories.len() as i64);

    // Every entry shown is still stored, and a render from the pruned
    // database writes the very same files.
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for id in text.split("<id>urn:uuid:").skip(1) {
            let uid = &id[..36];
            assert!(
                stories.iter().any(|s| s == uid),
                "{uid} of {} was pruned",
                file.display()
            );
        }
    }
    let out = ok(feedmill(&config, &["render"]));
    assert!(stdout(&out).contains("wrote 0 feeds"), "{}", stdout(&out));
    let after: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(before == after);
    validate_atom(&files);
}
