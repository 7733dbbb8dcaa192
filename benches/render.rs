//! Rendering: one Atom document of 500 entries (pure, in memory), and
//! `render_all` over a database of 100,000 stories with 20 topics and 4
//! regions (25 feeds of 500 entries and the index page), both when every
//! file is written and when none changed. Issue 6's target: all feeds
//! written in under 0.5 s.
//!
//! `cargo bench --bench render -- --quick`. The database is filled through
//! `Store::record_fetched` (about a minute), once: it is kept in
//! `target/tmp/render-bench/` keyed by `CORPUS_VERSION` and each run renders
//! from a fresh copy (`FEEDMILL_BENCH_REFILL=1` fills it again);
//! `cargo test --benches` fills 2,000 stories in a temporary folder instead.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use feedmill::config::Config;
use feedmill::fetch::Validators;
use feedmill::model::{Entry, EntrySource, FeedMeta, Item};
use feedmill::parse::{parse_feed_with, Limits};
use feedmill::render::{atom_document, render_all, FeedInfo};
use feedmill::store::near::NearDupSettings;
use feedmill::store::{Store, TaggedItem};
use url::Url;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

#[path = "common/corpus.rs"]
mod corpus;

#[path = "common/mode.rs"]
mod mode;

const TOPICS: usize = 20;
const SOURCES: usize = 100;
const REGIONS: [&str; 4] = ["kosovo", "albania", "serbia", "bosnia"];
/// Stories are spread over this many days before `end()`.
const DAYS: i64 = 60;

fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// 500 entries made from five e2e-corpus feeds, parsed and sanitized as
/// the pipeline stores them, newest first.
fn entries() -> Vec<Entry> {
    let corpus = corpus::generate_with(5, Some(100));
    let mut out = Vec::new();
    for (f, (path, ctype, body)) in corpus.feeds.iter().enumerate() {
        let url = format!("https://www.outlet{f}.example{path}");
        let base = Url::parse(&url).unwrap_or_else(|e| panic!("{e}"));
        let feed = parse_feed_with(body, Some(ctype), &base, end(), &Limits::default())
            .unwrap_or_else(|e| panic!("{e}"));
        for item in feed.items {
            let n = out.len();
            out.push(Entry {
                uid: format!("{:016x}", 0x5eed_0000_0000u64 + n as u64),
                title: item.title,
                link: item.link,
                summary_html: item.summary_html,
                content_html: item.content_html,
                authors: item.authors,
                published: item.published,
                updated: item.updated.or(item.published).unwrap_or_else(end),
                topics: ["defense", "elections", "energy"]
                    .into_iter()
                    .enumerate()
                    .filter(|(k, _)| (n >> k) & 1 == 1)
                    .map(|(_, t)| t.to_string())
                    .collect(),
                regions: vec![REGIONS[f % 4].to_string()],
                source: EntrySource {
                    name: format!("outlet {f}"),
                    url: url.clone(),
                    feed_title: feed.meta.title.clone(),
                    feed_id: feed.meta.id.clone(),
                    feed_link: feed.meta.link.clone(),
                },
                related: if n % 10 == 0 {
                    vec![format!("https://other.example/copy/{n}")]
                } else {
                    Vec::new()
                },
            });
        }
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.updated));
    out
}

fn config(dir: &Path) -> Config {
    let mut text = String::from(
        "database = \"feedmill.db\"\n[output]\npath = \"public/feed.atom\"\n\
         self_url = \"https://news.example.org/feed.atom\"\nmax_entries = 500\n",
    );
    for t in 0..TOPICS {
        text.push_str(&format!(
            "[[topic]]\nname = \"topic-{t}\"\nlabel = \"Topic {t}\"\nkeywords = [\"kw{t}\"]\n"
        ));
    }
    for s in 0..SOURCES {
        text.push_str(&format!(
            "[[source]]\nname = \"outlet {s}\"\nurl = \"https://www.outlet{s}.example/rss\"\nregion = \"{}\"\n",
            REGIONS[s % REGIONS.len()]
        ));
    }
    Config::parse(&text, &dir.join("feedmill.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// One stored story: title and summary in the source's language, 0-3 of
/// the 20 topics.
fn item(rng: &mut Rng, source: usize, serial: usize, at: DateTime<Utc>) -> TaggedItem {
    let words = [corpus::EN, corpus::SQ, corpus::SR_LATN, corpus::SR_CYRL][source % 4];
    let host = format!("outlet{source}.example");
    let mut s = |n| corpus::sentence(rng, words, n);
    let title = format!("{} {serial}", s(6));
    let summary = format!(
        "<p>{} <b>{}</b> <a href=\"https://www.{host}/related/{serial}\" rel=\"noopener noreferrer nofollow\">{}</a>.</p>\
         <p>{} <img src=\"https://www.{host}/img/{serial}.jpg\" alt=\"\"> {}.</p>",
        s(18),
        s(3),
        s(2),
        s(22),
        s(12)
    );
    let topics = (0..rng.below(4))
        .map(|_| format!("topic-{}", rng.below(TOPICS)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    TaggedItem::new(
        Item {
            guid: Some(format!("{host}-{serial}")),
            link: Some(format!("https://www.{host}/news/{serial}")),
            match_text: title.clone(),
            title,
            summary_html: Some(summary),
            published: Some(at),
            authors: vec!["Desk".into()],
            ..Item::default()
        },
        topics,
    )
}

/// Stores `stories` items, spread evenly over the sources and over the
/// last `DAYS` days.
fn fill(store: &mut Store, config: &Config, stories: usize) {
    store
        .sync_sources(&feedmill::pipeline::source_infos(config))
        .unwrap_or_else(|e| panic!("{e}"));
    // Near-duplicate lookups cost the fill time and change nothing here:
    // every title carries its own serial number.
    store.set_near_duplicates(NearDupSettings {
        enabled: false,
        ..NearDupSettings::default()
    });
    let mut rng = Rng(0x7e4d_e700_0000_0001);
    let step = TimeDelta::seconds(DAYS * 86_400 / stories as i64);
    let start = end() - TimeDelta::days(DAYS);
    let per_source = stories.div_ceil(SOURCES);
    for (s, source) in config.sources.iter().enumerate() {
        let serials: Vec<usize> = (0..per_source)
            .map(|k| k * SOURCES + s)
            .filter(|&n| n < stories)
            .collect();
        for chunk in serials.chunks(500) {
            let items: Vec<TaggedItem> = chunk
                .iter()
                .map(|&n| item(&mut rng, s, n, start + step * n as i32))
                .collect();
            store
                .record_fetched(
                    &source.name,
                    &FeedMeta {
                        title: Some(format!("Outlet {s}")),
                        ..FeedMeta::default()
                    },
                    &Validators::default(),
                    "h",
                    None,
                    &items,
                    None,
                    end(),
                )
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// Bump when `fill`, `item` or `config` change what is stored: the filled
/// database is kept under the target folder, keyed by this and the size.
const CORPUS_VERSION: u32 = 1;

/// Puts a database of `stories` stories at `config.database`. The 100,000
/// story database takes about a minute to fill, so under `cargo bench` it
/// is filled once and kept in `target/tmp` (`FEEDMILL_BENCH_REFILL=1` fills
/// it again); each run works on a fresh copy of it, opened anew, which the
/// store then migrates as it would any user's database. Returns how it got
/// there, for the log.
fn filled_store(config: &Config, stories: usize) -> &'static str {
    let fill_at = |path: &Path| {
        let mut store = Store::open(path).unwrap_or_else(|e| panic!("{e}"));
        fill(&mut store, config, stories);
        // Closing checkpoints the WAL into the file, so the file alone is
        // the whole database.
        drop(store);
    };
    if !mode::measuring() {
        fill_at(&config.database);
        return "filled";
    }
    let cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("render-bench");
    let cached = cache_dir.join(format!("v{CORPUS_VERSION}-{stories}.db"));
    let refill = std::env::var_os("FEEDMILL_BENCH_REFILL").is_some_and(|v| v == "1");
    let how = if refill || !cached.exists() {
        std::fs::create_dir_all(&cache_dir).unwrap_or_else(|e| panic!("{e}"));
        let partial = cache_dir.join(format!("v{CORPUS_VERSION}-{stories}.db.partial"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
        }
        fill_at(&partial);
        std::fs::rename(&partial, &cached).unwrap_or_else(|e| panic!("{e}"));
        "filled (and kept for the next run)"
    } else {
        "copied from the kept database"
    };
    std::fs::copy(&cached, &config.database).unwrap_or_else(|e| panic!("{e}"));
    how
}

fn bench(c: &mut Criterion) {
    let entries = entries();
    assert_eq!(entries.len(), 500);
    let labels: HashMap<String, String> = ["energy", "elections", "defense"]
        .into_iter()
        .map(|t| (t.to_string(), format!("Topic {t}")))
        .collect();
    let info = FeedInfo {
        id: "https://news.example.org/feed.atom".into(),
        title: "Regional news".into(),
        self_url: Some("https://news.example.org/feed.atom".into()),
        author: "Regional news".into(),
    };
    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Elements(entries.len() as u64));
    let size = atom_document(&info, &entries, &labels).len();
    group.bench_function(
        format!("atom_document, 500 entries ({} KB)", size / 1024),
        |b| b.iter(|| black_box(atom_document(&info, black_box(&entries), &labels).len())),
    );
    group.finish();

    let stories = if mode::measuring() { 100_000 } else { 2_000 };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = config(dir.path());
    let started = std::time::Instant::now();
    let filled = filled_store(&config, stories);
    let store = Store::open(&config.database).unwrap_or_else(|e| panic!("{e}"));
    let first = render_all(&config, &store).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "store of {} stories {filled} in {:.1}s; render_all writes {} feeds (+ index.html)",
        store.story_count().unwrap_or(0),
        started.elapsed().as_secs_f64(),
        first.written
    );
    assert_eq!(first.written, 1 + TOPICS + REGIONS.len(), "feeds written");
    let public = config.output_dir();
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    group.throughput(Throughput::Elements(first.written as u64));
    let name = |what: &str| format!("render_all, {stories} stories, 20 topics, 4 regions: {what}");
    group.bench_function(name("every file written"), |b| {
        b.iter_batched(
            || std::fs::remove_dir_all(&public).unwrap_or_else(|e| panic!("{e}")),
            |()| {
                let report = render_all(&config, &store).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(report.written, first.written);
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function(name("no file changed"), |b| {
        b.iter(|| {
            let report = render_all(&config, &store).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(report.written, 0);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
