//! Ingest without network, on one thread: for each feed of an e2e corpus
//! held in memory, the body hash, parse + normalize (sanitizing on), topic
//! matching, and storing into a new SQLite database, as `once` does after a
//! fetch. Issue 6's target: at least 60,000 items/s of CPU on one core.
//!
//! `cargo bench --bench ingest`. Environment: `FEEDMILL_BENCH_N` (feeds,
//! default 170: about 10,000 items), `FEEDMILL_BENCH_RUNS` (default 5).
//! Prints per stage the median CPU time of this thread (and wall time) over
//! the runs, items/s, and the items stored and duplicates merged next to the
//! generator's own counts. The config is the e2e benchmark's (three topics,
//! near-duplicate detection on); the database lives in a temporary folder.
//! Polls are written as a cycle writes the results that are ready: several
//! per transaction, up to the pipeline's batch bounds (the commit's time
//! counts in the store stage).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use feedmill::config::Config;
use feedmill::fetch::Validators;
use feedmill::model::ParsedFeed;
use feedmill::parse::parse_feed_with;
use feedmill::pipeline::{source_infos, BATCH_ITEMS, BATCH_SOURCES};
use feedmill::store::{Store, TaggedItem};
use feedmill::topics::Matcher;
use sha2::{Digest, Sha256};

#[path = "common/rng.rs"]
mod rng;

#[path = "common/corpus.rs"]
mod corpus;

#[path = "common/mode.rs"]
mod mode;

#[path = "common/cpu.rs"]
mod cpu;
use cpu::thread_cpu;

/// "tag": topic matching and the near-duplicate signature, both made on the
/// parse threads in a cycle (`TaggedItem::new`).
const STAGES: [&str; 4] = ["body hash", "parse + normalize", "tag", "store"];

#[derive(Default, Clone, Copy)]
struct Spent {
    cpu: [Duration; 4],
    wall: [Duration; 4],
}

/// One ingest of the whole corpus into a new database in `dir`; returns
/// the time per stage and (items stored, duplicates merged).
fn ingest(corpus: &corpus::Corpus, dir: &Path) -> (Spent, (i64, i64)) {
    let text = corpus::config_toml(corpus, "http://127.0.0.1:8080");
    let config = Config::parse(&text, &dir.join("feedmill.toml")).unwrap_or_else(|e| panic!("{e}"));
    let matcher = Matcher::new(&config.topics).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open(&config.database).unwrap_or_else(|e| panic!("{e}"));
    store.set_near_duplicates((&config.dedup).into());
    store
        .sync_sources(&source_infos(&config))
        .unwrap_or_else(|e| panic!("{e}"));
    let limits = config.limits.parse_limits(None);
    // After every date of the corpus, so none is clamped as "future".
    let now = Utc
        .with_ymd_and_hms(2026, 11, 5, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut spent = Spent::default();
    let mut batch = store.batch().unwrap_or_else(|e| panic!("{e}"));
    let (mut batch_sources, mut batch_items) = (0, 0);
    let count = config.sources.len();
    for (i, (source, (_, ctype, body))) in config.sources.iter().zip(&corpus.feeds).enumerate() {
        let mut marks = [(thread_cpu(), Instant::now()); 5];
        let mut mark = |stage: usize| marks[stage + 1] = (thread_cpu(), Instant::now());

        let hash: String = Sha256::digest(body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        mark(0);
        let ParsedFeed { meta, items, .. } =
            parse_feed_with(body, Some(ctype), &source.url, now, &limits)
                .unwrap_or_else(|e| panic!("{}: {e}", source.url));
        mark(1);
        let region = source.region.as_deref();
        let tagged: Vec<TaggedItem> = items
            .into_iter()
            .map(|item| {
                let mut topics = matcher.topics_in(&item.match_text, region);
                for t in &source.tags {
                    if !topics.contains(t) {
                        topics.push(t.clone());
                    }
                }
                TaggedItem::new(item, topics)
            })
            .collect();
        mark(2);
        batch
            .record_fetched(
                &source.name,
                &meta,
                &Validators::default(),
                &hash,
                None,
                &tagged,
                None,
                now,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        batch_sources += 1;
        batch_items += tagged.len();
        if batch_sources == BATCH_SOURCES || batch_items >= BATCH_ITEMS || i + 1 == count {
            batch.commit().unwrap_or_else(|e| panic!("{e}"));
            batch = store.batch().unwrap_or_else(|e| panic!("{e}"));
            (batch_sources, batch_items) = (0, 0);
        }
        mark(3);
        for s in 0..STAGES.len() {
            spent.cpu[s] += marks[s + 1].0.saturating_sub(marks[s].0);
            spent.wall[s] += marks[s + 1].1.saturating_duration_since(marks[s].1);
        }
    }
    drop(batch);
    drop(store);
    let db = rusqlite::Connection::open(&config.database).unwrap_or_else(|e| panic!("{e}"));
    let count = |sql: &str| {
        db.query_row(sql, [], |r| r.get::<_, i64>(0))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let copies = count("SELECT count(*) FROM copies");
    (
        spent,
        (copies, copies - count("SELECT count(*) FROM stories")),
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo test --benches` (no `--bench`): one small run, checked.
    let measuring = mode::measuring();
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    };
    let (feeds, runs) = if measuring {
        (
            env("FEEDMILL_BENCH_N", 170),
            env("FEEDMILL_BENCH_RUNS", 5).max(1),
        )
    } else {
        (8, 1)
    };
    let corpus = corpus::generate(feeds);
    let mut all = Vec::new();
    let mut counts = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (spent, stored) = ingest(&corpus, dir.path());
        all.push(spent);
        counts.push(stored);
    }
    let expected = (corpus.items as i64, corpus.syndicated as i64);
    if !measuring {
        assert!(
            counts.iter().all(|&c| c == expected),
            "stored/merged {counts:?}, expected {expected:?}"
        );
        println!("ingest: checked on {feeds} feeds (measure with `cargo bench --bench ingest`)");
        return;
    }
    let items = corpus.items as f64;
    println!(
        "ingest, one thread: {feeds} feeds, {} items, {runs} runs (medians)",
        corpus.items
    );
    println!(
        "{:<18} {:>10} {:>10} {:>12} {:>9}",
        "stage", "CPU", "wall", "items/s CPU", "µs/item"
    );
    let row = |name: &str, cpu: Duration, wall: Duration| {
        println!(
            "{name:<18} {:>9.3}s {:>9.3}s {:>12.0} {:>9.1}",
            cpu.as_secs_f64(),
            wall.as_secs_f64(),
            items / cpu.as_secs_f64().max(1e-9),
            cpu.as_secs_f64() * 1e6 / items
        )
    };
    for (s, name) in STAGES.iter().enumerate() {
        row(
            name,
            median(all.iter().map(|r| r.cpu[s]).collect()),
            median(all.iter().map(|r| r.wall[s]).collect()),
        );
    }
    row(
        "total",
        median(all.iter().map(|r| r.cpu.iter().sum()).collect()),
        median(all.iter().map(|r| r.wall.iter().sum()).collect()),
    );
    let (copies, merged) = counts[counts.len() - 1];
    println!(
        "stored {copies} items, merged {merged} (expected {}/{}){}; target: total >= 60000 items/s CPU",
        expected.0,
        expected.1,
        if counts.iter().all(|&c| c == expected) {
            ""
        } else {
            " MISMATCH"
        }
    );
}
