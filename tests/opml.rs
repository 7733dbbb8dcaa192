//! `feedmill opml import` / `export` through the real binary: OPML files in
//! the shapes NetNewsWire, Feedly, Miniflux, newsboat and Thunderbird
//! export, appended to a config one after the other as a user would, then
//! exported and imported back.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use feedmill::config::Config;

const BASE: &str = r#"database = "db"
[output]
path = "public/feed.atom"
title = "Balkan desk"

[[source]]
name = "Koha"
url = "https://www.koha.net/rss"
region = "kosovo"

[[source]]
name = "KoSSev"
url = "https://kossev.info/feed/"
region = "north-kosovo"
tags = ["serbian"]

[[source]]
name = "Paused"
url = "https://paused.example/rss"
enabled = false
"#;

/// (name, url, region, tags) of a source.
type Row = (String, String, Option<String>, Vec<String>);

fn row(name: &str, url: &str, region: Option<&str>, tags: &[&str]) -> Row {
    (
        name.into(),
        url.into(),
        region.map(String::from),
        tags.iter().map(|t| t.to_string()).collect(),
    )
}

fn rows(config: &Config, enabled_only: bool) -> BTreeSet<Row> {
    config
        .sources
        .iter()
        .filter(|s| s.enabled || !enabled_only)
        .map(|s| {
            (
                s.name.clone(),
                s.url.to_string(),
                s.region.clone(),
                s.tags.clone(),
            )
        })
        .collect()
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/opml")
        .join(name)
}

fn load(path: &Path) -> Config {
    Config::load(path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn reader_exports_import_into_the_config_and_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    std::fs::write(&config, BASE).expect("config");
    // (fixture, new sources, already configured or repeated, left out)
    let table: Vec<(&str, Vec<Row>, usize, usize)> = vec![
        (
            "netnewswire.opml",
            vec![
                row(
                    "Kallxo.com",
                    "https://kallxo.com/feed/",
                    Some("kosovo"),
                    &[],
                ),
                row("N1 Srbija", "https://n1info.rs/feed/", Some("serbia"), &[]),
                row(
                    "Balkan Insight",
                    "https://balkaninsight.com/feed/",
                    None,
                    &[],
                ),
            ],
            1,
            0,
        ),
        (
            "feedly.opml",
            vec![
                row("MIA", "https://mia.mk/feed", Some("must-read"), &[]),
                row(
                    "Sloboden Pečat",
                    "https://www.slobodenpecat.mk/feed/",
                    Some("north-macedonia"),
                    &[],
                ),
            ],
            // Koha under another spelling of its URL; MIA in two folders.
            2,
            0,
        ),
        (
            "miniflux.opml",
            vec![
                row(
                    "Top Channel",
                    "https://top-channel.tv/feed/",
                    Some("albania"),
                    &[],
                ),
                row(
                    "European Western Balkans",
                    "https://europeanwesternbalkans.com/feed/",
                    Some("regional-eu"),
                    &[],
                ),
            ],
            1,
            0,
        ),
        (
            "newsboat.opml",
            vec![
                row(
                    "РТС :: Вести",
                    "https://www.rts.rs/page/stories/ci/rss.html",
                    None,
                    &["serbia", "vesti", "tag-with-spaces"],
                ),
                row("Danas", "https://www.danas.rs/feed/", None, &[]),
            ],
            1,
            0,
        ),
        (
            "thunderbird.opml",
            vec![
                row(
                    "Vijesti",
                    "https://www.vijesti.me/rss",
                    Some("balkans"),
                    &["montenegro"],
                ),
                row(
                    "Radio Free Europe: Balkans",
                    "https://www.rferl.org/api/zbgvmtl-vomx-tpeqkmy",
                    Some("balkans"),
                    &[],
                ),
            ],
            0,
            // The file:// feed.
            1,
        ),
    ];
    let mut expected = rows(&load(&config), false);
    for (file, new, duplicates, left_out) in &table {
        let before = rows(&load(&config), false);
        let out = ok(feedmill(
            &config,
            &["opml", "import", fixture_path(file).to_str().expect("path")],
        ));
        let toml = stdout(&out);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "{} new source(s) from {}; {duplicates} already configured or listed twice; {left_out} left out",
                new.len(),
                fixture_path(file).display()
            )),
            "{file}: {err}"
        );
        if *left_out > 0 {
            assert!(
                err.contains(&format!("{}:15:7", fixture_path(file).display()))
                    && err.contains("\"file:///home/ana/digest.xml\" is not an http or https URL"),
                "{file}: {err}"
            );
        }
        // The user appends what was printed; the config stays valid.
        let mut text = std::fs::read_to_string(&config).expect("config");
        text.push('\n');
        text.push_str(&toml);
        std::fs::write(&config, text).expect("config");
        ok(feedmill(&config, &["check"]));
        let after = rows(&load(&config), false);
        let added: BTreeSet<Row> = after.difference(&before).cloned().collect();
        assert_eq!(
            added,
            new.iter().cloned().collect::<BTreeSet<_>>(),
            "{file}:\n{toml}"
        );
        expected.extend(new.iter().cloned());
        // Importing the same file again adds nothing.
        let again = ok(feedmill(
            &config,
            &["opml", "import", fixture_path(file).to_str().expect("path")],
        ));
        assert_eq!(stdout(&again), "", "{file}");
    }
    let combined = load(&config);
    assert_eq!(rows(&combined, false), expected);

    // Export: OPML 2.0, one folder per region, tags as categories.
    let exported = stdout(&ok(feedmill(&config, &["opml", "export"])));
    let doc = roxmltree::Document::parse(&exported).unwrap_or_else(|e| panic!("{e}\n{exported}"));
    assert_eq!(doc.root_element().attribute("version"), Some("2.0"));
    let body = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("body"))
        .expect("body");
    let mut seen: BTreeSet<Row> = BTreeSet::new();
    for node in body.children().filter(|n| n.has_tag_name("outline")) {
        let (region, feeds): (Option<String>, Vec<roxmltree::Node>) = match node.attribute("xmlUrl")
        {
            Some(_) => (None, vec![node]),
            None => (
                node.attribute("text").map(String::from),
                node.children()
                    .filter(|n| n.has_tag_name("outline"))
                    .collect(),
            ),
        };
        for f in feeds {
            assert_eq!(f.attribute("type"), Some("rss"));
            let tags = f
                .attribute("category")
                .map(|c| c.split(',').map(String::from).collect())
                .unwrap_or_default();
            seen.insert((
                f.attribute("text").expect("text").into(),
                f.attribute("xmlUrl").expect("xmlUrl").into(),
                region.clone(),
                tags,
            ));
        }
    }
    assert_eq!(seen, rows(&combined, true), "{exported}");
    assert!(exported.contains("<!-- 1 disabled source(s) left out -->"));

    // Importing the export adds nothing to the config it came from…
    let export_file = dir.path().join("export.opml");
    std::fs::write(&export_file, &exported).expect("export file");
    let back = ok(feedmill(
        &config,
        &["opml", "import", export_file.to_str().expect("path")],
    ));
    assert_eq!(stdout(&back), "");
    // …and gives every enabled source back to a config without sources.
    let empty = dir.path().join("empty.toml");
    std::fs::write(
        &empty,
        "database = \"db\"\n[output]\npath = \"public/feed.atom\"\n",
    )
    .expect("empty");
    let fresh = ok(feedmill(
        &empty,
        &["opml", "import", export_file.to_str().expect("path")],
    ));
    std::fs::write(
        &empty,
        format!(
            "database = \"db\"\n[output]\npath = \"public/feed.atom\"\n{}",
            stdout(&fresh)
        ),
    )
    .expect("fresh config");
    assert_eq!(rows(&load(&empty), false), rows(&combined, true));
}

#[test]
fn bad_opml_is_a_clear_error_with_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    std::fs::write(&config, BASE).expect("config");
    // (what, file bytes, "line:col" or "" when there is none, fragment)
    let table: &[(&str, &[u8], &str, &str)] = &[
        ("not XML at all", b"Koha https://www.koha.net/rss\n", "1:1", "not an OPML file"),
        ("an RSS feed", b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>\n", "2:1", "the root element is <rss>, not <opml>"),
        ("no body", b"<opml version=\"2.0\">\n  <head><title>x</title></head>\n</opml>\n", "4:1", "has no <body>"),
        ("mismatched end tag", b"<opml>\n<body>\n  <outline text=\"a\">\n</body>\n</opml>\n", "4:1", "not well-formed XML"),
        ("unescaped ampersand", b"<opml>\n<body>\n  <outline text=\"Tom & Jerry\" xmlUrl=\"https://t.example/rss\"/>\n</body></opml>\n", "3:3", "attribute"),
        ("a DOCTYPE with entities", b"<?xml version=\"1.0\"?>\n<!DOCTYPE opml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<opml><body/></opml>\n", "2:1", "DOCTYPE is not allowed"),
        ("Latin-1 bytes", b"<opml><body><outline text=\"Z\xebri\"/></body></opml>\n", "1:29", "not UTF-8"),
        ("empty", b"", "1:1", "empty"),
    ];
    let mut failures = Vec::new();
    for (what, bytes, at, fragment) in table {
        let file = dir.path().join("bad.opml");
        std::fs::write(&file, bytes).expect("write");
        let out = feedmill(&config, &["opml", "import", file.to_str().expect("path")]);
        let err = stderr(&out);
        let want = format!("feedmill: {}:{at}: ", file.display());
        if out.status.code() != Some(2)
            || !err.starts_with(&want)
            || !err.contains(fragment)
            || err.lines().count() != 1
        {
            failures.push(format!(
                "{what}: status {:?}, want {want:?} + {fragment:?}, got {err:?}",
                out.status.code()
            ));
        }
        if !stdout(&out).is_empty() {
            failures.push(format!("{what}: printed {:?}", stdout(&out)));
        }
    }
    let missing = dir.path().join("missing.opml");
    let out = feedmill(
        &config,
        &["opml", "import", missing.to_str().expect("path")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(&format!("feedmill: cannot read {}: ", missing.display())),
        "{}",
        stderr(&out)
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn names_stay_unique_and_odd_titles_stay_valid_toml() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    std::fs::write(&config, BASE).expect("config");
    let file = dir.path().join("odd.opml");
    std::fs::write(
        &file,
        r#"<opml version="2.0"><body>
<outline text="Koha" xmlUrl="https://koha.example/other-feed"/>
<outline text="Koha" xmlUrl="https://koha.example/third-feed"/>
<outline title="Quote &quot;and&quot; \ backslash" xmlUrl="https://q.example/rss"/>
<outline xmlUrl="https://untitled.example/rss"/>
<outline text="   ">
  <outline text="Ελλάδα"><outline text="Kathimerini" xmlUrl="https://www.ekathimerini.com/rss"/></outline>
</outline>
</body></opml>"#,
    )
    .expect("opml");
    let out = ok(feedmill(
        &config,
        &["opml", "import", file.to_str().expect("path")],
    ));
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(&stdout(&out));
    std::fs::write(&config, text).expect("config");
    let c = load(&config);
    let names: Vec<&str> = c.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Koha",
            "KoSSev",
            "Paused",
            "Koha (2)",
            "Koha (3)",
            "Quote \"and\" \\ backslash",
            "untitled.example",
            "Kathimerini"
        ]
    );
    // A folder whose name has nothing left after slugifying names no region.
    let k = c.source("Kathimerini").expect("Kathimerini");
    assert_eq!((k.region.as_deref(), k.tags.len()), (None, 0));
}
