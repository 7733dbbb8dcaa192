//! End to end through the real binary: fixture feeds served on 127.0.0.1,
//! `feedmill once`, then the output files read the way a reader reads them.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;

const RSS: &str = "application/rss+xml; charset=utf-8";

struct Desk {
    server: FixtureServer,
    dir: tempfile::TempDir,
    config: PathBuf,
}

/// A fixture server with the regional feeds and a config pointing at it.
fn desk() -> Desk {
    let server = FixtureServer::start();
    server.set(
        "/kosovo-online.rss",
        Route::feed(fixture("e2e/kosovo-online.rss"), RSS).with_etag("\"ko-v1\""),
    );
    // Telegrafi carries the syndicated KFOR story; answering later makes
    // Kosovo Online the story's first source.
    server.set(
        "/telegrafi.rss",
        Route::feed(fixture("e2e/telegrafi.rss"), RSS).delayed(400),
    );
    server.set("/kossev.rss", Route::feed(fixture("e2e/kossev.rss"), RSS));
    // Declared only in the HTTP header: the XML prolog names no encoding.
    server.set(
        "/rts.rss",
        Route::feed(
            fixture("e2e/rts-cyrillic.windows-1251.rss"),
            "text/xml; charset=windows-1251",
        ),
    );
    server.set("/gone.rss", Route::status(500));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    let text = String::from_utf8(fixture("e2e/config.toml.in"))
        .expect("utf-8")
        .replace("@BASE@", &server.base);
    std::fs::write(&config, text).expect("write config");
    Desk {
        server,
        dir,
        config,
    }
}

impl Desk {
    fn out(&self, rel: &str) -> PathBuf {
        self.dir.path().join("public").join(rel)
    }
}

fn by_title<'a>(seen: &'a [Seen], prefix: &str) -> &'a Seen {
    seen.iter()
        .find(|s| s.title.starts_with(prefix))
        .unwrap_or_else(|| {
            panic!(
                "no entry titled {prefix:?} in {:#?}",
                seen.iter().map(|s| &s.title).collect::<Vec<_>>()
            )
        })
}

fn topics(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn once_ingests_dedups_tags_and_writes_valid_feeds() {
    let desk = desk();
    let run = ok(feedmill(&desk.config, &["once"]));
    // The failing source is reported, by name and URL, and the cycle still succeeds.
    let err = stderr(&run);
    assert!(
        err.contains("Broken Outlet") && err.contains("/gone.rss") && err.contains("500"),
        "stderr: {err}"
    );

    let all = entries(&desk.out("feed.atom"));
    // 3 + 3 + 2 + 2 items, one story syndicated twice.
    assert_eq!(
        all.len(),
        9,
        "{:#?}",
        all.iter().map(|s| &s.title).collect::<Vec<_>>()
    );
    let ids: BTreeSet<_> = all.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids.len(), all.len(), "entry ids are unique");
    assert!(ids.iter().all(|id| id.starts_with("urn:uuid:")), "{ids:?}");
    // Newest first.
    let updated: Vec<_> = all.iter().map(|s| s.updated.clone()).collect();
    let mut sorted = updated.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(updated, sorted);

    // The syndicated KFOR story: one entry, first source named, the copy related.
    let kfor = by_title(&all, "KFOR increases patrols");
    assert_eq!(
        kfor.source_title.as_deref(),
        Some("Kosovo Online (English)")
    );
    assert_eq!(
        kfor.alternate.as_deref(),
        Some("https://www.kosovo-online.example/en/news/kfor-patrols-north")
    );
    // The copy's link, without its tracking parameter.
    assert_eq!(
        kfor.related,
        vec!["http://kosovo-online.example/en/news/kfor-patrols-north/#comments".to_string()]
    );
    assert_eq!(kfor.topics, topics(&["defense", "english"]));
    assert!(kfor
        .labels
        .contains(&("defense".into(), "Defense and security".into())));
    assert_eq!(kfor.regions, topics(&["kosovo"]));
    // Relative links in summaries are made absolute against the source.
    assert!(
        kfor.content
            .contains("https://www.kosovo-online.example/en/news/kfor-background"),
        "{}",
        kfor.content
    );

    // Whole words: "Europe" is not "EU", "armyworm" is not "army".
    let armyworm = by_title(&all, "Armyworm outbreak");
    assert_eq!(armyworm.topics, topics(&["english"]));
    assert_eq!(
        by_title(&all, "Central Election Commission").topics,
        topics(&["elections", "english"])
    );
    // Diacritics and scripts fold: Thaci ~ Thaçi, Vucic ~ Vučić ~ Вучић.
    assert_eq!(
        by_title(&all, "Thaçi: deklaratë").topics,
        topics(&["people"])
    );
    assert_eq!(
        by_title(&all, "Vučić o izborima").topics,
        topics(&["elections", "people"])
    );
    // windows-1251 declared only in the HTTP header decodes to Cyrillic.
    let rts = by_title(&all, "Вучић: избори на пролеће");
    assert_eq!(rts.topics, topics(&["elections", "people"]));
    assert_eq!(rts.regions, topics(&["serbia"]));
    assert_eq!(
        by_title(&all, "Нова цена струје").topics,
        topics(&["energy"])
    );
    assert_eq!(
        by_title(&all, "Çmimi i energjisë").topics,
        topics(&["energy"])
    );

    // Hostile HTML is sanitized; the item without guid or link is kept.
    for s in &all {
        let c = s.content.to_ascii_lowercase();
        for bad in ["<script", "onerror", "onclick", "javascript:", "<iframe"] {
            assert!(!c.contains(bad), "{bad} in {:?}: {}", s.title, s.content);
        }
    }
    let zvecan = by_title(&all, "Saopštenje opštine Zvečan");
    assert!(zvecan.alternate.is_none());
    assert!(
        zvecan
            .content
            .contains("https://kossev.example/slike/zvecan.jpg"),
        "{}",
        zvecan.content
    );

    // Per-topic and per-region files hold just their entries.
    let defense = entries(&desk.out("topics/defense.atom"));
    assert_eq!(
        defense.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(),
        vec!["KFOR increases patrols near the northern crossings"]
    );
    let elections = entries(&desk.out("topics/elections.atom"));
    assert_eq!(elections.len(), 3);
    let serbia = entries(&desk.out("regions/serbia.atom"));
    assert_eq!(serbia.len(), 2);
    assert!(entries(&desk.out("regions/north-kosovo.atom")).len() == 2);

    let mut files = vec![desk.out("feed.atom")];
    for dir in ["topics", "regions"] {
        for f in std::fs::read_dir(desk.out(dir)).expect("output folder") {
            files.push(f.expect("entry").path());
        }
    }
    assert!(files.len() >= 1 + 5 + 4, "{files:?}");
    validate_atom(&files);
}

#[test]
fn second_poll_is_conditional_and_changes_nothing() {
    let desk = desk();
    ok(feedmill(&desk.config, &["once"]));
    let feed = desk.out("feed.atom");
    let first = std::fs::read(&feed).expect("feed");
    let mtime = std::fs::metadata(&feed)
        .and_then(|m| m.modified())
        .expect("mtime");
    std::thread::sleep(std::time::Duration::from_millis(1100));

    ok(feedmill(&desk.config, &["once"]));
    let requests = desk.server.requests("/kosovo-online.rss");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].if_none_match.as_deref(), Some("\"ko-v1\""));
    assert_eq!(requests[1].status, 304);
    assert_eq!(requests[0].user_agent.as_deref(), Some("feedmill-test/1"));
    // Byte-for-byte the same, and not rewritten.
    assert_eq!(std::fs::read(&feed).expect("feed"), first);
    assert_eq!(
        std::fs::metadata(&feed)
            .and_then(|m| m.modified())
            .expect("mtime"),
        mtime
    );

    // `render` without fetching also leaves unchanged files alone, and
    // restores a deleted one with the same content.
    std::fs::remove_file(desk.out("topics/energy.atom")).expect("remove");
    ok(feedmill(&desk.config, &["render"]));
    assert_eq!(
        std::fs::metadata(&feed)
            .and_then(|m| m.modified())
            .expect("mtime"),
        mtime
    );
    assert!(desk.out("topics/energy.atom").exists());
}

#[test]
fn a_poll_that_changes_nothing_renders_nothing() {
    let desk = desk();
    let first = ok(feedmill(&desk.config, &["once"]));
    assert!(stdout(&first).contains("; wrote "), "{}", stdout(&first));
    let feed = desk.out("feed.atom");
    let before = std::fs::read(&feed).expect("feed");

    // Every source unchanged (304, the same body, or failing): no render.
    let second = ok(feedmill(&desk.config, &["once"]));
    assert!(
        stdout(&second).contains("0 new items, 0 updated; feeds already current, none written"),
        "{}",
        stdout(&second)
    );

    // Outputs gone from disk are written again.
    std::fs::remove_file(&feed).expect("remove");
    let third = ok(feedmill(&desk.config, &["once"]));
    assert!(
        stdout(&third).contains("; wrote 1 feeds"),
        "{}",
        stdout(&third)
    );
    assert_eq!(std::fs::read(&feed).expect("feed"), before);

    // So are outputs of other settings.
    let text = std::fs::read_to_string(&desk.config).expect("config");
    std::fs::write(
        &desk.config,
        text.replace("Balkan test desk", "Balkan desk, renamed"),
    )
    .expect("write config");
    let fourth = ok(feedmill(&desk.config, &["once"]));
    assert!(stdout(&fourth).contains("; wrote "), "{}", stdout(&fourth));
    let after = std::fs::read_to_string(&feed).expect("feed");
    assert!(after.contains("Balkan desk, renamed"), "{after}");

    // And a changed feed is rendered: an edited item arrives.
    let edited = String::from_utf8(fixture("e2e/kosovo-online.rss"))
        .expect("utf-8")
        .replace("</title>", " (updated)</title>");
    desk.server.set(
        "/kosovo-online.rss",
        Route::feed(edited, RSS).with_etag("\"ko-v9\""),
    );
    let fifth = ok(feedmill(&desk.config, &["once"]));
    assert!(stdout(&fifth).contains("; wrote "), "{}", stdout(&fifth));
    assert!(std::fs::read_to_string(&feed)
        .expect("feed")
        .contains("(updated)"));
}

#[test]
fn an_edited_item_is_updated_in_place() {
    let desk = desk();
    ok(feedmill(&desk.config, &["once"]));
    let before = entries(&desk.out("feed.atom"));
    let old = by_title(&before, "Central Election Commission");

    let edited = String::from_utf8(fixture("e2e/kosovo-online.rss"))
        .expect("utf-8")
        .replace(
            "certifies local election results",
            "certifies final local election results",
        );
    desk.server.set(
        "/kosovo-online.rss",
        Route::feed(edited, RSS).with_etag("\"ko-v2\""),
    );
    ok(feedmill(&desk.config, &["once"]));

    let after = entries(&desk.out("feed.atom"));
    assert_eq!(after.len(), before.len());
    let new = by_title(&after, "Central Election Commission certifies final");
    assert_eq!(new.id, old.id, "the entry keeps its id");
    assert!(
        new.updated > old.updated,
        "{} > {}",
        new.updated,
        old.updated
    );
    // Every other entry kept its id.
    let ids = |v: &[Seen]| v.iter().map(|s| s.id.clone()).collect::<BTreeSet<_>>();
    assert_eq!(ids(&before), ids(&after));
}

#[test]
fn status_reports_every_source() {
    let desk = desk();
    // Before any poll: every configured source, nothing attempted yet.
    let fresh: serde_json::Value =
        serde_json::from_slice(&ok(feedmill(&desk.config, &["status", "--json"])).stdout)
            .expect("json");
    assert_eq!(fresh.as_array().map(Vec::len), Some(6));
    assert!(
        !desk.dir.path().join("state/feedmill.db").exists(),
        "status does not create a database"
    );

    ok(feedmill(&desk.config, &["once"]));
    ok(feedmill(&desk.config, &["once"]));
    let out = ok(feedmill(&desk.config, &["status", "--json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json array");
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no row {name}"))
    };
    for r in &rows {
        for key in [
            "name",
            "url",
            "enabled",
            "last_attempt",
            "last_success",
            "next_due",
            "last_error",
            "consecutive_failures",
            "items",
        ] {
            assert!(r.get(key).is_some(), "key {key} missing in {r}");
        }
    }
    let ko = row("Kosovo Online");
    assert_eq!(ko["enabled"], true);
    assert_eq!(ko["items"], 3);
    assert_eq!(ko["last_error"], serde_json::Value::Null);
    assert_eq!(ko["consecutive_failures"], 0);
    assert!(ko["last_success"].is_string() && ko["next_due"].is_string());
    assert_eq!(
        row("Telegrafi")["items"],
        3,
        "the syndicated copy counts for its source too"
    );

    let broken = row("Broken Outlet");
    assert_eq!(broken["consecutive_failures"], 2);
    assert!(
        broken["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{broken}"
    );
    assert_eq!(broken["last_success"], serde_json::Value::Null);
    assert!(broken["next_due"].is_string());

    let paused = row("Paused Outlet");
    assert_eq!(paused["enabled"], false);
    assert_eq!(paused["next_due"], serde_json::Value::Null);
    assert_eq!(paused["last_attempt"], serde_json::Value::Null);
    assert!(
        desk.server.requests("/paused.rss").is_empty(),
        "a disabled source is never fetched"
    );

    let table = stdout(&ok(feedmill(&desk.config, &["status"])));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("Broken Outlet") && l.contains("backing off")),
        "{table}"
    );
}

#[test]
fn a_permanent_redirect_is_followed_and_reported() {
    let server = FixtureServer::start();
    server.set("/new-home.rss", Route::feed(fixture("e2e/kossev.rss"), RSS));
    let mut moved = Route::status(301);
    moved
        .headers
        .push(("Location".into(), server.url("/new-home.rss")));
    server.set("/old.rss", moved);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"f.db\"\n[output]\npath = \"out/feed.atom\"\n[[source]]\nname = \"Moved\"\nurl = \"{}\"\n",
            server.url("/old.rss")
        ),
    )
    .expect("write");
    ok(feedmill(&config, &["once"]));
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&ok(feedmill(&config, &["status", "--json"])).stdout).expect("json");
    assert_eq!(rows[0]["items"], 2);
    assert_eq!(
        rows[0]["redirected_to"],
        serde_json::Value::String(server.url("/new-home.rss"))
    );
    let table = stdout(&ok(feedmill(&config, &["status"])));
    assert!(
        table.contains("moved permanently") && table.contains("update the config"),
        "{table}"
    );
}
