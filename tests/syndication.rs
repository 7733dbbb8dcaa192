//! End to end through the real binary: one agency story carried by five
//! outlets under five links (Latin and Cyrillic, labels, a word added)
//! becomes one entry in every feed it belongs to, named after its first
//! source, with the four other copies as related links and the union of
//! topics; a re-poll of unchanged items changes no output file.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;

const RSS: &str = "application/rss+xml; charset=utf-8";
const LEAD: &str = "Predsednik Srbije Aleksandar Vučić izjavio je danas u Beogradu da Srbija nikada neće priznati nezavisnost Kosova.";
const LEAD_CYR: &str = "Председник Србије Александар Вучић изјавио је данас у Београду да Србија никада неће признати независност Косова.";

/// (path, feed title, region, story title, lead, story link, own item title)
type Outlet = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

const OUTLETS: [Outlet; 5] = [
    (
        "/a.rss",
        "Outlet A",
        "kosovo",
        "Vučić: Srbija neće priznati nezavisnost Kosova",
        Some(LEAD),
        "https://a.example/vesti/vucic-kosovo",
        "Zjarr në pyjet e Pejës",
    ),
    (
        "/b.rss",
        "Outlet B",
        "serbia",
        "Вучић: Србија неће признати независност Косова",
        Some(LEAD_CYR),
        "https://b.example/cir/123",
        "Протест студената у Новом Саду",
    ),
    (
        "/c.rss",
        "Outlet C",
        "serbia",
        "VIDEO | Vučić: Srbija neće priznati nezavisnost Kosova",
        Some(LEAD),
        "https://c.example/news/55?utm_source=rss",
        "Snow closes the road to Bjelasica",
    ),
    (
        "/d.rss",
        "Outlet D",
        "north-kosovo",
        "Vučić: Srbija nikada neće priznati nezavisnost Kosova",
        None,
        "https://d.example/v/1",
        "Poplave u Obrenovcu posle kiše",
    ),
    (
        "/e.rss",
        "Outlet E",
        "albania",
        "Vučić: Srbija neće priznati nezavisnost Kosova!",
        Some(LEAD),
        "https://e.example/s?id=9",
        "Përmbytje në Shkodër pas reshjeve",
    ),
];

fn rss(i: usize, build_date: &str) -> String {
    let (_, title, _, story, lead, link, own) = OUTLETS[i];
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
    let lead = lead
        .map(|l| format!("<description>{}</description>", esc(l)))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
<title>{title}</title><link>https://outlet{i}.example/</link><description>news</description>
<lastBuildDate>{build_date}</lastBuildDate>
<item><title>{story}</title><link>{link}</link><guid isPermaLink="false">story-{i}</guid>
<pubDate>Wed, 25 Nov 2026 1{i}:00:00 +0100</pubDate>{lead}</item>
<item><title>{own}</title><link>https://outlet{i}.example/own</link><guid isPermaLink="false">own-{i}</guid>
<pubDate>Wed, 25 Nov 2026 08:00:00 +0100</pubDate></item>
</channel></rss>"#,
        link = esc(link),
    )
}

struct Desk {
    /// One server per outlet, as five outlets are five hosts.
    servers: Vec<FixtureServer>,
    dir: tempfile::TempDir,
    config: PathBuf,
}

fn desk(build_date: &str) -> Desk {
    let servers: Vec<FixtureServer> = OUTLETS.iter().map(|_| FixtureServer::start()).collect();
    serve(&servers, build_date);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from(
        "database = \"state/feedmill.db\"\n[http]\ntimeout = \"5s\"\n\
         [output]\npath = \"public/feed.atom\"\nself_url = \"https://news.example.org/feed.atom\"\n",
    );
    for ((path, title, region, ..), server) in OUTLETS.iter().zip(&servers) {
        text.push_str(&format!(
            "[[source]]\nname = \"{title}\"\nurl = \"{}\"\nregion = \"{region}\"\n",
            server.url(path)
        ));
    }
    text.push_str(
        "[[topic]]\nname = \"politics\"\nkeywords = [\"Vučić\"]\n\
         [[topic]]\nname = \"kosovo\"\nkeywords = [\"Косов*\"]\n\
         [[topic]]\nname = \"weather\"\nkeywords = [\"snow\", \"poplave\", \"përmbytje\"]\n",
    );
    let config = dir.path().join("feedmill.toml");
    std::fs::write(&config, text).expect("write config");
    Desk {
        servers,
        dir,
        config,
    }
}

/// Outlet A answers first, E last: the order the copies are stored in.
/// Each outlet has a host of its own, so no request waits for another
/// behind the per-host limit and the delays alone decide that order.
fn serve(servers: &[FixtureServer], build_date: &str) {
    for (i, ((path, ..), server)) in OUTLETS.iter().zip(servers).enumerate() {
        server.set(
            path,
            Route::feed(rss(i, build_date), RSS).delayed(300 * i as u64),
        );
    }
}

#[test]
fn five_syndicated_copies_are_one_entry_in_every_feed() {
    let desk = desk("Wed, 25 Nov 2026 18:00:00 +0100");
    ok(feedmill(&desk.config, &["once"]));
    let out = |rel: &str| desk.dir.path().join("public").join(rel);

    let feeds = [
        ("feed.atom", 6),
        ("topics/politics.atom", 1),
        ("topics/kosovo.atom", 1),
        ("regions/kosovo.atom", 2),
        ("regions/serbia.atom", 3),
        ("regions/north-kosovo.atom", 2),
        ("regions/albania.atom", 2),
    ];
    for (feed, count) in feeds {
        let all = entries(&out(feed));
        assert_eq!(
            all.len(),
            count,
            "{feed}: {:?}",
            all.iter().map(|e| &e.title).collect::<Vec<_>>()
        );
        let story: Vec<&Seen> = all.iter().filter(|e| e.title.contains("Vučić")).collect();
        assert_eq!(story.len(), 1, "{feed}: the story is one entry");
        let e = story[0];
        assert_eq!(
            e.title, "Vučić: Srbija neće priznati nezavisnost Kosova",
            "{feed}"
        );
        assert_eq!(e.source_title.as_deref(), Some("Outlet A"), "{feed}");
        assert_eq!(
            e.alternate.as_deref(),
            Some("https://a.example/vesti/vucic-kosovo"),
            "{feed}"
        );
        assert_eq!(
            e.related,
            vec![
                "https://b.example/cir/123",
                "https://c.example/news/55",
                "https://d.example/v/1",
                "https://e.example/s?id=9",
            ],
            "{feed}"
        );
        let want: BTreeSet<String> = ["politics", "kosovo", "serbia", "north-kosovo", "albania"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            e.categories(),
            want,
            "{feed}: topics and regions of every copy"
        );
    }
    // The outlets' own stories stay apart, under their own sources.
    let all = entries(&out("feed.atom"));
    for (_, title, _, _, _, _, own) in OUTLETS {
        let e = all
            .iter()
            .find(|e| e.title == own)
            .unwrap_or_else(|| panic!("{own} missing"));
        assert_eq!(e.source_title.as_deref(), Some(title));
        assert!(e.related.is_empty());
    }

    // Every feed changes its channel date, the items stay as they were:
    // nothing is rewritten.
    let files: Vec<PathBuf> = feeds.iter().map(|(f, _)| out(f)).collect();
    let before: Vec<(Vec<u8>, std::time::SystemTime)> = files
        .iter()
        .map(|f| {
            (
                std::fs::read(f).expect("read"),
                std::fs::metadata(f)
                    .and_then(|m| m.modified())
                    .expect("mtime"),
            )
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    serve(&desk.servers, "Wed, 25 Nov 2026 19:00:00 +0100");
    let second = ok(feedmill(&desk.config, &["once"]));
    for (f, (bytes, mtime)) in files.iter().zip(&before) {
        assert_eq!(&std::fs::read(f).expect("read"), bytes, "{}", f.display());
        let now = std::fs::metadata(f)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(&now, mtime, "{} was rewritten", f.display());
    }
    assert!(
        stderr(&second).contains("0 new items, 0 updated")
            || stdout(&second).contains("0 new items, 0 updated"),
        "stdout: {}\nstderr: {}",
        stdout(&second),
        stderr(&second)
    );
    // The second poll did parse every feed (the bodies changed).
    for ((path, ..), server) in OUTLETS.iter().zip(&desk.servers) {
        assert_eq!(server.requests(path).len(), 2, "{path}");
    }
}
