//! Parses the fixture feeds of `tests/fixtures/parse/` and checks what a
//! reader would see.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use url::Url;

use super::{parse_feed, parse_feed_with, Limits};
use crate::model::{Item, ParsedFeed};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parse")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn now() -> DateTime<Utc> {
    utc("2025-03-15T12:00:00Z")
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn parse(name: &str, content_type: Option<&str>, url: &str) -> ParsedFeed {
    let base = Url::parse(url).unwrap();
    parse_feed(&fixture(name), content_type, &base, now()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn by_title<'a>(feed: &'a ParsedFeed, prefix: &str) -> &'a Item {
    feed.items
        .iter()
        .find(|i| i.title.starts_with(prefix))
        .unwrap_or_else(|| {
            panic!(
                "no item titled {prefix:?} in {:?}",
                feed.items.iter().map(|i| &i.title).collect::<Vec<_>>()
            )
        })
}

#[test]
fn rss2_regional() {
    let feed = parse(
        "rss2-regional.xml",
        Some("application/rss+xml"),
        "https://feeds.example.org/rss",
    );
    assert_eq!(feed.meta.title.as_deref(), Some("Regional & Balkan News"));
    assert_eq!(feed.meta.link.as_deref(), Some("https://news.example.org/"));
    assert_eq!(feed.meta.id, None);
    assert_eq!(feed.ttl_minutes, Some(15));
    assert_eq!(feed.items.len(), 3);

    let kfor = &feed.items[0];
    assert_eq!(kfor.title, "KFOR and the Kosovo Security Force hold talks");
    assert_eq!(kfor.guid.as_deref(), Some("urn:uuid:2f1c1a7e-0001"));
    // Relative to the channel link, tracking parameters gone, fragment kept.
    assert_eq!(
        kfor.link.as_deref(),
        Some("https://news.example.org/en/kfor-talks?id=7#comments")
    );
    assert_eq!(kfor.published, Some(utc("2025-03-12T14:00:00Z")));
    assert_eq!(kfor.updated, None, "only pubDate was given");
    assert_eq!(kfor.authors, vec!["Regional Desk"]);
    assert_eq!(kfor.categories, vec!["Defense", "KFOR"]);
    let summary = kfor.summary_html.as_deref().unwrap();
    assert!(
        summary.contains("href=\"https://news.example.org/en/kfor\""),
        "{summary}"
    );
    assert!(
        !summary.contains("script") && !summary.contains("alert"),
        "{summary}"
    );
    let content = kfor.content_html.as_deref().unwrap();
    assert!(
        content.contains("src=\"https://news.example.org/img/kfor.jpg\""),
        "{content}"
    );
    for bad in ["onclick", "javascript", "iframe", "evil.example"] {
        assert!(!content.contains(bad), "{bad} in {content}");
    }
    assert!(kfor
        .match_text
        .starts_with("KFOR and the Kosovo Security Force hold talks\nMinister Maqedonci"));
    assert!(
        kfor.match_text.ends_with("\nDefense\nKFOR"),
        "{}",
        kfor.match_text
    );
    assert!(!kfor.match_text.contains('<'));

    let vucic = by_title(&feed, "Vučić");
    assert_eq!(vucic.title, "Vučić: Srbija neće priznati nezavisnost");
    assert_eq!(vucic.published, Some(utc("2025-03-13T08:30:00Z")));
    assert_eq!(
        vucic.link.as_deref(),
        Some("https://www.example.rs/vesti/123/")
    );

    let kurti = by_title(&feed, "Kurti");
    assert_eq!(kurti.title, "Kurti takon Thaçin në Prishtinë");
    assert_eq!(kurti.guid, None);
    assert_eq!(kurti.published, Some(utc("2025-03-14T06:00:00Z")));
}

#[test]
fn atom_with_xml_base() {
    let feed = parse(
        "atom-xml-base.xml",
        None,
        "https://atom.example.org/blog/feed.atom",
    );
    assert_eq!(feed.meta.title.as_deref(), Some("Balkan Insight Blog"));
    assert_eq!(
        feed.meta.id.as_deref(),
        Some("tag:atom.example.org,2025:feed")
    );
    assert_eq!(feed.meta.link.as_deref(), Some("https://atom.example.org/"));
    assert_eq!(feed.items.len(), 2);

    let first = &feed.items[0];
    assert_eq!(first.title, "EU and Belgrade & Pristina resume dialogue");
    assert_eq!(
        first.guid.as_deref(),
        Some("tag:atom.example.org,2025:entry-1")
    );
    assert_eq!(
        first.link.as_deref(),
        Some("https://atom.example.org/blog/posts/dialogue.html")
    );
    assert_eq!(first.published, Some(utc("2025-03-12T09:00:00Z")));
    assert_eq!(first.updated, None);
    assert_eq!(first.authors, vec!["Ana Petrović"]);
    assert_eq!(first.categories, vec!["EU integration"]);
    // type="text": the angle brackets are text, escaped, not markup.
    assert_eq!(
        first.summary_html.as_deref(),
        Some("Talks in Brussels &lt;today&gt;.")
    );
    let content = first.content_html.as_deref().unwrap();
    assert!(
        content.contains("href=\"https://atom.example.org/blog/maps/brussels.png\""),
        "{content}"
    );

    let second = &feed.items[1];
    assert_eq!(second.title, "Energy deal signed");
    assert_eq!(
        second.link.as_deref(),
        Some("https://cdn.example.net/mirror/energy.html")
    );
    assert_eq!(second.published, None);
    assert_eq!(second.updated, Some(utc("2025-03-11T08:00:00Z")));
    let content = second.content_html.as_deref().unwrap();
    assert!(
        content.contains("src=\"https://cdn.example.net/mirror/pipe.jpg\""),
        "{content}"
    );
}

#[test]
fn rss1_rdf() {
    let feed = parse("rss1-rdf.xml", None, "https://rdf.example.org/index.rdf");
    assert_eq!(feed.meta.title.as_deref(), Some("RDF Balkan wire"));
    assert_eq!(feed.items.len(), 1);
    let item = &feed.items[0];
    assert_eq!(item.title, "Energy ministers meet in Skopje");
    assert_eq!(item.link.as_deref(), Some("https://rdf.example.org/a/1"));
    assert_eq!(item.published, Some(utc("2025-03-10T11:00:00Z")));
    assert_eq!(
        item.summary_html.as_deref(),
        Some("Regional <b>energy</b> market.")
    );
    assert_eq!(item.authors, vec!["Wire"]);
}

#[test]
fn json_feed() {
    let feed = parse(
        "jsonfeed.json",
        Some("application/feed+json"),
        "https://json.example.org/feed.json",
    );
    assert_eq!(feed.meta.title.as_deref(), Some("Western Balkans JSON"));
    assert_eq!(feed.meta.link.as_deref(), Some("https://json.example.org/"));
    assert_eq!(feed.items.len(), 2);
    let first = &feed.items[0];
    assert_eq!(first.guid.as_deref(), Some("j-1"));
    assert_eq!(first.link.as_deref(), Some("https://json.example.org/p/1"));
    assert_eq!(first.title, "Elections in Montenegro");
    assert_eq!(
        first.content_html.as_deref(),
        Some("<p>Voters <b>went</b> to the polls.</p>")
    );
    assert_eq!(first.published, Some(utc("2025-03-09T19:00:00Z")));
    assert_eq!(first.updated, Some(utc("2025-03-09T21:00:00Z")));
    assert_eq!(first.authors, vec!["Podgorica Desk"]);
    assert_eq!(first.categories, vec!["elections", "Montenegro"]);
    let second = &feed.items[1];
    assert_eq!(second.guid.as_deref(), Some("42"));
    assert_eq!(second.link.as_deref(), Some("https://json.example.org/p/2"));
    assert!(
        second
            .title
            .starts_with("No title, only text about the North Kosovo bridge"),
        "{}",
        second.title
    );
    assert!(second.title.ends_with('…'));
    assert_eq!(second.published, Some(now()), "year 9999 is clamped to now");
}

#[test]
fn serbian_cyrillic_declared_only_in_http_header() {
    let feed = parse(
        "serbian-cyrillic-1251.xml",
        Some("text/xml; charset=windows-1251"),
        "https://cyr.example.rs/rss",
    );
    assert_eq!(feed.meta.title.as_deref(), Some("Вести из Србије"));
    let item = &feed.items[0];
    assert_eq!(
        item.title,
        "Вучић: Србија ће наставити дијалог са Приштином"
    );
    assert_eq!(item.categories, vec!["Политика"]);
    assert!(item
        .match_text
        .contains("Александар Вучић изјавио је у Београду"));
}

#[test]
fn serbian_cyrillic_undeclared_is_guessed() {
    let feed = parse(
        "serbian-cyrillic-1251.xml",
        None,
        "https://cyr.example.rs/rss",
    );
    assert_eq!(
        feed.items[0].title,
        "Вучић: Србија ће наставити дијалог са Приштином"
    );
}

#[test]
fn serbian_latin_windows_1250_in_prolog() {
    // The prolog wins over a wrong HTTP charset.
    let feed = parse(
        "serbian-latin-1250.xml",
        Some("text/xml; charset=ISO-8859-1"),
        "https://lat.example.rs/rss",
    );
    let item = &feed.items[0];
    assert_eq!(
        item.title,
        "Đoković osvojio turnir u Šapcu; Čačak i Užice slave"
    );
    assert!(item.match_text.contains("građani Niša su slavili. Žabljak"));
}

#[test]
fn albanian_utf16_with_bom() {
    let feed = parse(
        "albanian-utf16le-bom.xml",
        None,
        "https://u16.example.al/rss",
    );
    assert_eq!(feed.meta.title.as_deref(), Some("Lajme nga Kosova"));
    assert_eq!(
        feed.items[0].title,
        "Kurti dhe Thaçi në Prishtinë — çështja e veriut"
    );
}

#[test]
fn html_entities_and_missing_version() {
    let feed = parse(
        "entities-noversion.xml",
        None,
        "https://entities.example.org/rss",
    );
    assert_eq!(feed.meta.title.as_deref(), Some("Café Balkan — News…"));
    let first = &feed.items[0];
    assert_eq!(first.title, "Thaçi’s “trial” €5 million © AT&T &unknown;");
    assert_eq!(
        first.link.as_deref(),
        Some("https://entities.example.org/a?x=1&y=2")
    );
    assert!(
        first.match_text.contains("Tekst ovde and été"),
        "{}",
        first.match_text
    );
    let second = &feed.items[1];
    assert_eq!(second.title, "Inline HTML in title is not cut");
    let summary = second.summary_html.as_deref().unwrap();
    assert!(
        summary.contains("Raw") && summary.contains("<p>markup</p>") && summary.contains("more"),
        "{summary}"
    );
}

#[test]
fn items_without_guid_get_none_every_time() {
    let a = parse("no-guid.xml", None, "https://noguid.example.org/rss");
    let b = parse("no-guid.xml", None, "https://noguid.example.org/rss");
    assert_eq!(a, b, "parsing is deterministic");
    assert_eq!(a.items.len(), 3);
    for item in &a.items {
        assert_eq!(item.guid, None, "{}", item.title);
    }
    assert_eq!(
        a.items[0].link.as_deref(),
        Some("https://noguid.example.org/story/1")
    );
    assert_eq!(a.items[1].link, None);
    assert_eq!(a.items[1].title, "Neither guid nor link");
}

#[test]
fn local_zone_and_broken_dates() {
    let feed = parse("cet-dates.xml", None, "https://dates.example.org/rss");
    let date = |guid: &str| {
        let item = feed
            .items
            .iter()
            .find(|i| i.guid.as_deref() == Some(guid))
            .unwrap();
        item.published
    };
    assert_eq!(date("d1"), Some(utc("2025-03-12T14:00:00Z")));
    assert_eq!(
        date("d2"),
        Some(utc("2025-07-13T13:00:00Z")).map(|t| t.min(now()))
    );
    assert_eq!(date("d3"), Some(utc("2025-03-12T00:00:00Z")));
    assert_eq!(date("d4"), Some(utc("2025-03-12T15:00:00Z")));
    assert_eq!(date("d5"), Some(utc("2025-03-12T15:00:00Z")));
    assert_eq!(date("d6"), Some(now()));
    assert_eq!(date("d7"), None);
    assert_eq!(date("d8"), Some(utc("2025-03-12T14:00:00Z")));
}

#[test]
fn external_entities_are_never_resolved() {
    let started = Instant::now();
    let feed = parse("xxe.xml", None, "https://xxe.example.org/rss");
    assert!(started.elapsed() < Duration::from_secs(5));
    let all = format!("{feed:?}");
    assert!(!all.contains("root:"), "file content leaked: {all}");
    assert_eq!(feed.items[0].title, "Leak: &xxe; &remote;");
}

#[test]
fn billion_laughs_does_not_expand() {
    let started = Instant::now();
    let feed = parse("billion-laughs.xml", None, "https://laughs.example.org/rss");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(feed.items[0].title, "&lol9;");
    assert!(format!("{feed:?}").len() < 10_000);
}

fn many_items(n: usize) -> String {
    let mut s = String::from("<rss version=\"2.0\"><channel><title>Many</title>");
    for i in 0..n {
        s.push_str(&format!(
            "<item><guid>g{i}</guid><title>Item {i}</title></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

#[test]
fn items_beyond_the_limit_are_dropped() {
    let base = Url::parse("https://many.example.org/rss").unwrap();
    let limits = Limits {
        max_items: 100,
        ..Limits::default()
    };
    let feed = parse_feed_with(many_items(250).as_bytes(), None, &base, now(), &limits).unwrap();
    assert_eq!(feed.items.len(), 100);
    assert_eq!(feed.items[99].guid.as_deref(), Some("g99"));

    let feed = parse_feed(many_items(10_001).as_bytes(), None, &base, now()).unwrap();
    assert_eq!(feed.items.len(), 10_000);

    let json = format!(
        "{{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{}]}}",
        (0..250)
            .map(|i| format!("{{\"id\":\"{i}\",\"title\":\"t\"}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let feed = parse_feed_with(json.as_bytes(), None, &base, now(), &limits).unwrap();
    assert_eq!(feed.items.len(), 100);
}

#[test]
fn broken_documents_fail_with_a_message_or_recover() {
    let base = Url::parse("https://broken.example.org/rss").unwrap();
    let errors = [
        ("", "empty"),
        ("   \n", "empty"),
        ("<html><body>Not found</body></html>", "HTML page"),
        ("<opml version=\"2.0\"><body/></opml>", "<opml>"),
        ("{\"hello\": 1}", "not a JSON Feed"),
        ("{not json", "not valid JSON"),
        ("plain text, no markup", "no element"),
        (
            "<\u{bd}C 7)\u{d1}\u{b9}Y\u{a9}> \u{1}\u{2}",
            "binary or garbled",
        ),
    ];
    for (body, want) in errors {
        let err = parse_feed(body.as_bytes(), None, &base, now()).expect_err(body);
        assert!(err.to_string().contains(want), "{body:?}: {err}");
    }
    // Truncated, mismatched end tags, a stray `<` and a NUL byte: what is
    // there is still read.
    let truncated = b"<rss version=\"2.0\"><channel><title>T</title><item><guid>a</guid><title>First</title></item>\
                      <item><guid>b</guid><title>Sec\x00ond 1 < 2</b></title><description>cut off</item><ite";
    let feed = parse_feed(truncated, None, &base, now()).unwrap();
    assert_eq!(feed.items.len(), 2);
    assert_eq!(feed.items[1].title, "Second 1 < 2");
    // ... except the item the document ends in, which is incomplete.
    let cut = b"<rss version=\"2.0\"><channel><item><guid>a</guid><title>First</title></item>\
                <item><guid>b</guid><title>Seco";
    let feed = parse_feed(cut, None, &base, now()).unwrap();
    let titles: Vec<_> = feed.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["First"]);
    // A document that cannot be parsed in the time left is refused whole.
    let mut limits = crate::parse::Limits::default();
    limits.item.deadline = Some(std::time::Instant::now());
    std::thread::sleep(std::time::Duration::from_millis(2));
    let err = crate::parse::parse_feed_with(truncated, None, &base, now(), &limits)
        .expect_err("past its deadline");
    assert!(err.to_string().contains("source_timeout"), "{err}");
    // A PHP warning printed before the feed.
    let warning = b"<br />\n<b>Warning</b>:  Undefined variable $x in <b>/var/www/feed.php</b> on line <b>3</b><br />\n\
                    <?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>After warning</title></channel></rss>";
    assert_eq!(
        parse_feed(warning, None, &base, now())
            .unwrap()
            .meta
            .title
            .as_deref(),
        Some("After warning")
    );
    // A declaration in the middle of the document made feed-rs panic.
    let late_decl = b"<!-- c --><?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss><channel><title>x</title></channel></rss>";
    assert_eq!(
        parse_feed(late_decl, None, &base, now())
            .unwrap()
            .meta
            .title
            .as_deref(),
        Some("x")
    );
}
