//! Parsing one fetched document into normalized items: decoding, repair,
//! feed-rs, and the normalizer over every item (canonical and cleaned
//! links, sanitized summaries, plain text for matching), as the pipeline
//! runs it per 200 answer.
//!
//! `cargo bench --bench parse -- --quick`. Feeds of 100 items from the e2e
//! corpus (`common/corpus.rs`): RSS 2.0 and Atom, in each of the corpus's
//! four languages; throughput in items per second.

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use feedmill::parse::{parse_feed_with, Limits};
use url::Url;

#[path = "common/rng.rs"]
mod rng;

#[path = "common/corpus.rs"]
mod corpus;

const ITEMS: usize = 100;
/// Feed `f` of the corpus is RSS when even, Atom when odd, in language `f % 4`.
const FEEDS: [&str; 4] = [
    "rss 2.0, English",
    "atom, Albanian",
    "rss 2.0, Serbian Latin",
    "atom, Serbian Cyrillic",
];

fn bench(c: &mut Criterion) {
    let corpus = corpus::generate_with(FEEDS.len(), Some(ITEMS));
    // After every date of the corpus, so none is clamped as "future".
    let now = Utc
        .with_ymd_and_hms(2026, 11, 5, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(ITEMS as u64));
    for (f, (path, ctype, body)) in corpus.feeds.iter().enumerate() {
        let base = Url::parse(&format!("https://www.outlet{f}.example{path}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let parsed = parse_feed_with(body, Some(ctype), &base, now, &limits)
            .unwrap_or_else(|e| panic!("feed {f}: {e}"));
        assert_eq!(parsed.items.len(), ITEMS, "feed {f}: items parsed");
        let name = format!("{} ({} KB), 100 items", FEEDS[f], body.len() / 1024);
        group.bench_function(name, |b| {
            b.iter(|| {
                let feed = parse_feed_with(black_box(body), Some(ctype), &base, now, &limits);
                black_box(feed.map(|f| f.items.len()).unwrap_or(0))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
