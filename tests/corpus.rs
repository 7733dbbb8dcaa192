//! Every file of the shared feed corpus either parses or fails with a clean
//! error message: no panic, no empty message, and at least `FLOOR` of the
//! files parse.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use feedmill::parse::parse_feed;
use url::Url;

/// Share of corpus files that must parse. Set from what the parser reaches
/// (see the printed table); the files that fail are broken beyond what a
/// reader can recover (truncated, empty, no channel, undecodable).
const FLOOR: f64 = 0.99;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_none_or(|ext| ext != "md") {
            // SOURCES.md documents the corpus; every other file is a feed input.
            out.push(path);
        }
    }
}

#[test]
fn whole_corpus_parses_or_fails_cleanly() {
    let dir = corpus_dir();
    assert!(
        dir.is_dir(),
        "the corpus folder {} is missing",
        dir.display()
    );
    let mut files = Vec::new();
    walk(&dir, &mut files);
    assert!(
        files.len() >= 200,
        "expected the whole corpus, found {} files",
        files.len()
    );

    let base = Url::parse("https://corpus.example.org/feed").unwrap();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z")
        .unwrap()
        .into();
    let mut parsed = 0usize;
    let mut items = 0usize;
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut panics: Vec<String> = Vec::new();
    for path in &files {
        let name = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .display()
            .to_string();
        let body = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
        match catch_unwind(AssertUnwindSafe(|| parse_feed(&body, None, &base, now))) {
            Ok(Ok(feed)) => {
                parsed += 1;
                items += feed.items.len();
                for item in &feed.items {
                    assert!(
                        item.guid
                            .as_deref()
                            .is_none_or(|g| !g.is_empty() && !g.contains('\u{1}')),
                        "{name}"
                    );
                    if let Some(link) = &item.link {
                        assert!(
                            link.starts_with("http://") || link.starts_with("https://"),
                            "{name}: {link}"
                        );
                    }
                    for html in item.summary_html.iter().chain(item.content_html.iter()) {
                        let lower = html.to_lowercase();
                        assert!(
                            !lower.contains("<script") && !lower.contains("javascript:"),
                            "{name}: {html}"
                        );
                    }
                    assert!(
                        item.updated
                            .is_none_or(|t| t <= now + chrono::Duration::days(1)),
                        "{name}"
                    );
                }
            }
            Ok(Err(e)) => {
                let message = e.to_string();
                assert!(!message.trim().is_empty(), "{name}: empty error message");
                failures.push((name, message));
            }
            Err(_) => panics.push(name),
        }
    }

    let share = parsed as f64 / files.len() as f64;
    println!(
        "\ncorpus: {parsed}/{} files parsed ({:.1}%), {items} items",
        files.len(),
        share * 100.0
    );
    if !failures.is_empty() {
        println!("\n| file | error |\n| --- | --- |");
        for (name, message) in &failures {
            println!("| {name} | {message} |");
        }
    }
    assert!(panics.is_empty(), "parse_feed panicked on: {panics:?}");
    assert!(
        share >= FLOOR,
        "only {:.1}% of the corpus parsed (floor {:.0}%)",
        share * 100.0,
        FLOOR * 100.0
    );
}

/// Throughput of parse + normalize over the real-world captures, for the
/// ingest target. Meaningful only with `--release`:
/// `cargo test --release --test corpus -- --ignored --nocapture`.
#[test]
#[ignore]
fn corpus_throughput() {
    let mut files = Vec::new();
    walk(&corpus_dir().join("real"), &mut files);
    let bodies: Vec<Vec<u8>> = files
        .iter()
        .map(|p| std::fs::read(p).expect("corpus file"))
        .collect();
    let base = Url::parse("https://corpus.example.org/feed").unwrap();
    let now = Utc::now();
    let started = std::time::Instant::now();
    let mut items = 0usize;
    let mut bytes = 0usize;
    for _ in 0..20 {
        for body in &bodies {
            bytes += body.len();
            if let Ok(feed) = parse_feed(body, None, &base, now) {
                items += feed.items.len();
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "parsed {items} items ({:.1} MB) in {secs:.2} s: {:.0} items/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        items as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}
