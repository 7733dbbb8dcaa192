//! A Python reader subscribes: feedparser (installed by `.ci/run`) fetches
//! the feeds `feedmill run` serves, reads every entry with its categories,
//! and polls again conditionally. Fails, not skips, without python3 or
//! feedparser.

mod common;
mod serving;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serving::*;

/// Entry id → sorted category terms, as the Atom file on disk has them.
fn terms_on_disk(path: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(path).expect("feed file");
    let doc = roxmltree::Document::parse(&text).expect("feed XML");
    let atom = "http://www.w3.org/2005/Atom";
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name((atom, "entry")))
        .map(|e| {
            let id = e
                .children()
                .find(|c| c.has_tag_name((atom, "id")))
                .and_then(|c| c.text())
                .unwrap_or_default()
                .to_string();
            let mut terms: Vec<String> = e
                .children()
                .filter(|c| c.has_tag_name((atom, "category")))
                .filter_map(|c| c.attribute("term").map(String::from))
                .collect();
            terms.sort();
            (id, terms)
        })
        .collect()
}

fn read_with_feedparser(url: &str) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/feedparser_reader.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); install python3 and feedparser"));
    assert!(
        out.status.success(),
        "the feedparser reader failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn feedparser_subscribes_reads_every_entry_and_polls_conditionally() {
    let mut served = Served::start("", |_| {});
    served.wait_healthy(Duration::from_secs(20));
    for (path, want_entries) in [
        ("feed.atom", 9),
        ("topics/defense.atom", 1),
        ("topics/elections.atom", 3),
        ("regions/serbia.atom", 2),
    ] {
        let seen = read_with_feedparser(&served.url(&format!("/{path}")));
        let ctx = format!("{path}: {seen}");
        assert_eq!(seen["status"], 200, "{ctx}");
        assert_eq!(seen["bozo"], false, "well-formed: {ctx}");
        assert_eq!(seen["format"], "atom10", "{ctx}");
        assert_eq!(
            seen["content_type"], "application/atom+xml; charset=utf-8",
            "{ctx}"
        );
        assert_eq!(
            seen["content_encoding"], "gzip",
            "feedparser asks for gzip: {ctx}"
        );
        let on_disk = terms_on_disk(&served.out(path));
        let entries = seen["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), want_entries, "{ctx}");
        assert_eq!(on_disk.len(), want_entries, "{ctx}");
        // Every entry, with exactly the categories of the file.
        let mut read: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in entries {
            let id = e["id"].as_str().expect("id").to_string();
            assert!(e["title"].as_str().is_some_and(|t| !t.is_empty()), "{e}");
            // An item without a link gets its id as link from feedparser.
            assert!(e["link"].as_str().is_some_and(|l| !l.is_empty()), "{e}");
            assert!(e["source"].as_str().is_some(), "{e}");
            let terms = e["terms"]
                .as_array()
                .expect("terms")
                .iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect();
            read.insert(id, terms);
        }
        assert_eq!(read, on_disk, "{ctx}");
        // Polling again with what it was given: nothing to download.
        assert_eq!(seen["status_with_etag"], 304, "{ctx}");
        assert_eq!(seen["entries_with_etag"], 0, "{ctx}");
        assert_eq!(seen["status_with_date"], 304, "{ctx}");
    }
    // Terms a reader filters on: topics and regions.
    let all = read_with_feedparser(&served.url("/feed.atom"));
    let kfor = all["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["title"] == "KFOR increases patrols near the northern crossings")
        .unwrap_or_else(|| panic!("KFOR entry in {all}"))
        .clone();
    let terms: Vec<&str> = kfor["terms"]
        .as_array()
        .expect("terms")
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    for want in ["defense", "english", "kosovo"] {
        assert!(terms.contains(&want), "{want} in {terms:?}");
    }
    served.stop();
}
