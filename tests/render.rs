//! Atom rendering and atomic writes, checked the way a reader would see the
//! files: parsed back with feed-rs and run through the shared validator.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use feedmill::model::{Entry, EntrySource};
use feedmill::render::{atom_document, write_if_changed, FeedInfo, REGION_SCHEME};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn labels() -> HashMap<String, String> {
    [
        ("defense", "Defense & security"),
        ("eu", "EU integration <diplomacy>"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn feed_info() -> FeedInfo {
    FeedInfo {
        id: "https://news.example.org/feed.atom".into(),
        title: "Regional news".into(),
        self_url: Some("https://news.example.org/feed.atom".into()),
        author: "Regional news".into(),
    }
}

/// A story brought by three sources, with every field set.
fn syndicated() -> Entry {
    Entry {
        uid: "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b".into(),
        title: "Ushtria e Kosovës merr pjesë në stërvitjen e NATO-s".into(),
        link: Some("https://kallxo.example/lajme/ushtria-stervitje".into()),
        summary_html: Some("<p>FSK dhe <b>KFOR</b> në stërvitje.</p>".into()),
        content_html: Some(
            "<p>Stërvitja &amp; manovrat.</p><p><a href=\"https://kallxo.example/x\">më shumë</a></p>"
                .into(),
        ),
        authors: vec!["Arta Krasniqi".into(), "  ".into(), "Ilir Berisha".into()],
        published: Some(at("2024-05-03T06:00:00Z")),
        updated: at("2024-05-03T08:30:15Z"),
        topics: vec!["defense".into(), "eu".into()],
        regions: vec!["kosovo".into(), "serbia".into()],
        source: EntrySource {
            name: "Kallxo".into(),
            url: "https://kallxo.example/feed".into(),
            feed_title: Some("Kallxo.com".into()),
            feed_id: Some("tag:kallxo.example,2024:feed".into()),
            feed_link: Some("https://kallxo.example/".into()),
        },
        related: vec![
            "https://koha.example/ushtria".into(),
            // A copy equal to the main link must not be listed twice.
            "https://kallxo.example/lajme/ushtria-stervitje".into(),
            "https://rtk.example/lajm?id=7".into(),
            "https://koha.example/ushtria".into(),
        ],
    }
}

/// Serbian Cyrillic with hostile text in every field.
fn hostile() -> Entry {
    Entry {
        uid: "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d".into(),
        title: "Вучић: <b>\"NATO\" & EU</b> ]]> крај\u{1}\u{b}\u{FFFE}".into(),
        link: Some("https://rts.example/вести/чланак 1?a=<b>&c=\"d\"".into()),
        summary_html: Some("<p>Прво &amp; друго ]]&gt; &lt;![CDATA[</p>\u{0}".into()),
        content_html: Some("<p>]]></p><p><![CDATA[ x ]]></p>".into()),
        authors: vec!["Јован <jovan@rts.example>".into()],
        published: None,
        updated: at("2024-05-02T12:00:00Z"),
        topics: vec!["energy".into()],
        regions: vec!["serbia".into()],
        source: EntrySource {
            name: "RTS".into(),
            url: "https://rts.example/rss.xml?lang=sr&script=cyr".into(),
            feed_title: Some("РТС :: Вести & <друго>".into()),
            // Not an absolute IRI: the configured URL must be used instead.
            feed_id: Some("rts-feed 1".into()),
            feed_link: None,
        },
        related: vec![],
    }
}

/// No link, no content, nothing optional at all.
fn bare_without_link() -> Entry {
    Entry {
        uid: "11111111-2222-4333-8444-555555555555".into(),
        title: "Bare item without link".into(),
        link: None,
        summary_html: None,
        content_html: None,
        authors: vec![],
        published: None,
        updated: at("2024-05-01T00:00:00Z"),
        topics: vec![],
        regions: vec![],
        source: EntrySource {
            name: "Bare Source".into(),
            url: "http://bare.example/feed".into(),
            ..EntrySource::default()
        },
        related: vec![],
    }
}

/// A link, and nothing else optional (empty strings count as missing).
fn bare_with_link() -> Entry {
    Entry {
        uid: "66666666-7777-4888-9999-000000000000".into(),
        title: "Bare item with link".into(),
        link: Some("https://bare.example/story".into()),
        summary_html: Some("   ".into()),
        content_html: Some(String::new()),
        authors: vec![],
        published: None,
        updated: at("2024-04-30T23:59:59Z"),
        topics: vec![],
        regions: vec![],
        source: EntrySource {
            name: "Bare Source".into(),
            url: "http://bare.example/feed".into(),
            feed_title: Some(" ".into()),
            feed_id: Some(String::new()),
            feed_link: Some(String::new()),
        },
        related: vec![],
    }
}

fn all_entries() -> Vec<Entry> {
    vec![
        syndicated(),
        hostile(),
        bare_without_link(),
        bare_with_link(),
    ]
}

fn render(entries: &[Entry]) -> String {
    atom_document(&feed_info(), entries, &labels())
}

fn parse(doc: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(doc.as_bytes()).unwrap_or_else(|e| panic!("feed-rs: {e}\n{doc}"))
}

fn links(entry: &feed_rs::model::Entry, rel: &str) -> Vec<String> {
    entry
        .links
        .iter()
        .filter(|l| l.rel.as_deref().unwrap_or("alternate") == rel)
        .map(|l| l.href.clone())
        .collect()
}

#[test]
fn parsed_back_feed_matches_entries() {
    let doc = render(&all_entries());
    let feed = parse(&doc);

    assert_eq!(feed.id, "https://news.example.org/feed.atom");
    assert_eq!(feed.title.as_ref().unwrap().content, "Regional news");
    assert_eq!(feed.updated, Some(at("2024-05-03T08:30:15Z")));
    assert_eq!(feed.authors[0].name.as_deref(), Some("Regional news"));
    assert_eq!(feed.generator.as_ref().unwrap().content, "feedmill");
    let self_link = feed.links.iter().find(|l| l.rel.as_deref() == Some("self"));
    assert_eq!(
        self_link.map(|l| (l.href.as_str(), l.media_type.as_deref())),
        Some((
            "https://news.example.org/feed.atom",
            Some("application/atom+xml")
        ))
    );

    // Order kept, ids derived from the uid.
    let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
    let want: Vec<String> = all_entries()
        .iter()
        .map(|e| format!("urn:uuid:{}", e.uid))
        .collect();
    assert_eq!(ids, want);

    let e = &feed.entries[0];
    assert_eq!(e.title.as_ref().unwrap().content, syndicated().title);
    assert_eq!(e.updated, Some(at("2024-05-03T08:30:15Z")));
    assert_eq!(e.published, Some(at("2024-05-03T06:00:00Z")));
    assert_eq!(
        links(e, "alternate"),
        vec!["https://kallxo.example/lajme/ushtria-stervitje"]
    );
    assert_eq!(
        links(e, "related"),
        vec![
            "https://koha.example/ushtria",
            "https://rtk.example/lajm?id=7"
        ]
    );
    let authors: Vec<&str> = e.authors.iter().filter_map(|a| a.name.as_deref()).collect();
    assert_eq!(authors, vec!["Arta Krasniqi", "Ilir Berisha"]);
    let cats: Vec<(&str, Option<&str>, Option<&str>)> = e
        .categories
        .iter()
        .map(|c| (c.term.as_str(), c.label.as_deref(), c.scheme.as_deref()))
        .collect();
    assert_eq!(
        cats,
        vec![
            ("defense", Some("Defense & security"), None),
            ("eu", Some("EU integration <diplomacy>"), None),
            ("kosovo", None, Some(REGION_SCHEME)),
            ("serbia", None, Some(REGION_SCHEME)),
        ]
    );
    assert_eq!(
        e.summary.as_ref().unwrap().content,
        syndicated().summary_html.unwrap()
    );
    assert_eq!(
        e.content.as_ref().unwrap().body.as_deref(),
        syndicated().content_html.as_deref()
    );

    // Hostile text survives as text, minus what XML cannot carry.
    let h = &feed.entries[1];
    assert_eq!(
        h.title.as_ref().unwrap().content,
        "Вучић: <b>\"NATO\" & EU</b> ]]> крај"
    );
    assert_eq!(
        h.summary.as_ref().unwrap().content,
        "<p>Прво &amp; друго ]]&gt; &lt;![CDATA[</p>"
    );
    assert_eq!(
        h.content.as_ref().unwrap().body.as_deref(),
        Some("<p>]]></p><p><![CDATA[ x ]]></p>")
    );
    // The document keeps the IRI; feed-rs hands it back as a URI.
    let iri = "https://rts.example/вести/чланак%201?a=%3Cb%3E&c=%22d%22";
    assert!(doc.contains(&format!("href=\"{}\"", iri.replace('&', "&amp;"))));
    assert_eq!(
        links(h, "alternate"),
        vec![url::Url::parse(iri).unwrap().to_string()]
    );
    assert_eq!(
        h.authors[0].name.as_deref(),
        Some("Јован <jovan@rts.example>")
    );
    assert_eq!(h.categories[0].label.as_deref(), Some("energy"));
    assert_eq!(h.published, None);

    // No link and no content: the title becomes text content.
    let b = &feed.entries[2];
    assert!(links(b, "alternate").is_empty());
    let content = b.content.as_ref().unwrap();
    assert_eq!(content.content_type.to_string(), "text/plain");
    assert_eq!(content.body.as_deref(), Some("Bare item without link"));
    assert!(b.summary.is_none() && b.authors.is_empty() && b.categories.is_empty());

    // A link and blank optional fields: no content, no summary.
    let l = &feed.entries[3];
    assert!(l.content.is_none() && l.summary.is_none());
    assert_eq!(links(l, "alternate"), vec!["https://bare.example/story"]);
}

#[derive(Debug, Default, PartialEq)]
struct SourceSeen {
    id: String,
    title: String,
    links: Vec<(String, String)>,
}

/// feed-rs does not read `<source>`, so walk the XML for it.
fn sources(doc: &str) -> Vec<SourceSeen> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut out: Vec<SourceSeen> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if name == "source" {
                    out.push(SourceSeen::default());
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(e)
                if path.last().map(String::as_str) == Some("source")
                    && e.local_name().as_ref() == "link" =>
            {
                let attr = |k: &str| {
                    e.attributes()
                        .map(|a| a.unwrap())
                        .find(|a| a.key.as_ref() == k)
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned()
                        })
                        .unwrap_or_default()
                };
                out.last_mut()
                    .unwrap()
                    .links
                    .push((attr("rel"), attr("href")));
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name: &str = &r;
                match r.resolve_char_ref().unwrap() {
                    Some(c) => text.push(c),
                    None => {
                        text.push_str(quick_xml::escape::resolve_predefined_entity(name).unwrap())
                    }
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap();
                if path.last().map(String::as_str) == Some("source") {
                    let s = out.last_mut().unwrap();
                    match name.as_str() {
                        "id" => s.id = text.clone(),
                        "title" => s.title = text.clone(),
                        _ => {}
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

#[test]
fn every_entry_names_its_source() {
    let doc = render(&all_entries());
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    let want = vec![
        SourceSeen {
            id: "tag:kallxo.example,2024:feed".into(),
            title: "Kallxo.com".into(),
            links: vec![
                pair("self", "https://kallxo.example/feed"),
                pair("alternate", "https://kallxo.example/"),
            ],
        },
        SourceSeen {
            id: "https://rts.example/rss.xml?lang=sr&script=cyr".into(),
            title: "РТС :: Вести & <друго>".into(),
            links: vec![pair(
                "self",
                "https://rts.example/rss.xml?lang=sr&script=cyr",
            )],
        },
        SourceSeen {
            id: "http://bare.example/feed".into(),
            title: "Bare Source".into(),
            links: vec![pair("self", "http://bare.example/feed")],
        },
        SourceSeen {
            id: "http://bare.example/feed".into(),
            title: "Bare Source".into(),
            links: vec![pair("self", "http://bare.example/feed")],
        },
    ];
    assert_eq!(sources(&doc), want);
}

#[test]
fn rendering_is_deterministic_and_updated_follows_newest_entry() {
    let a = render(&all_entries());
    let b = render(&all_entries());
    assert_eq!(a, b);

    let empty = render(&[]);
    assert_eq!(empty, render(&[]));
    assert_eq!(parse(&empty).updated, Some(at("1970-01-01T00:00:00Z")));
    assert!(empty.contains("<updated>1970-01-01T00:00:00Z</updated>"));

    // A newer entry changes the document; the feed's updated follows it.
    let mut newer = hostile();
    newer.uid = "b0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d".into();
    newer.updated = at("2024-06-01T10:00:00Z");
    let mut entries = vec![newer];
    entries.extend(all_entries());
    let c = render(&entries);
    assert_ne!(a, c);
    assert_eq!(parse(&c).updated, Some(at("2024-06-01T10:00:00Z")));
}

#[test]
fn repeated_uids_render_once() {
    let doc = render(&[syndicated(), syndicated()]);
    assert_eq!(parse(&doc).entries.len(), 1);
}

/// The golden file pins the exact bytes, so an accidental change of ids or
/// layout shows up in review. `UPDATE_FIXTURES=1` rewrites it.
#[test]
fn matches_golden_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render/full.atom");
    let doc = render(&all_entries());
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        fs::write(&path, &doc).unwrap();
    }
    let golden = fs::read_to_string(&path).unwrap();
    assert_eq!(doc, golden, "rendered feed differs from {}", path.display());
}

fn validator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/validate-atom")
}

/// Runs validate-atom; a missing validator is a failure, not a skip.
fn validate(files: &[PathBuf]) -> (bool, String) {
    let out = Command::new(validator())
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", validator().display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "validate-atom could not check the files: {text}"
    );
    (out.status.success(), text)
}

#[test]
fn rendered_files_pass_validate_atom() {
    let dir = tempfile::tempdir().unwrap();
    let no_self = FeedInfo {
        self_url: None,
        id: "urn:feedmill:feed:all".into(),
        author: String::new(),
        ..feed_info()
    };
    let cases: Vec<(&str, String)> = vec![
        ("full.atom", render(&all_entries())),
        ("empty.atom", render(&[])),
        (
            "empty-no-self.atom",
            atom_document(&no_self, &[], &HashMap::new()),
        ),
        ("no-link.atom", render(&[bare_without_link()])),
        (
            "all-missing.atom",
            render(&[bare_without_link(), bare_with_link()]),
        ),
        (
            "hostile.atom",
            atom_document(&no_self, &[hostile()], &HashMap::new()),
        ),
    ];
    let mut files = Vec::new();
    for (name, doc) in &cases {
        let path = dir.path().join(name);
        assert!(write_if_changed(&path, doc.as_bytes()).unwrap());
        files.push(path);
    }
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render/full.atom"));
    let (ok, report) = validate(&files);
    assert!(ok, "validate-atom failed:\n{report}");
    assert!(
        report.contains(&format!("{} files checked, {0} valid", files.len())),
        "{report}"
    );

    // The harness can fail: a feed without its id is rejected.
    let broken = dir.path().join("broken.atom");
    let doc =
        render(&all_entries()).replacen("  <id>https://news.example.org/feed.atom</id>\n", "", 1);
    fs::write(&broken, doc).unwrap();
    let (ok, report) = validate(&[broken]);
    assert!(
        !ok,
        "validate-atom accepted a feed without an id:\n{report}"
    );
}
