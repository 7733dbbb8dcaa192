//! The normalizer's steps alone, per item: the canonical link (the dedup
//! key the store computes), sanitizing summary HTML (ammonia), plain-text
//! extraction (what topics are matched against), and `normalize_item` as a
//! whole (cleaned link, sanitized summary, text, title).
//!
//! `cargo bench --bench normalize -- --quick`. Input: the 400 items of four
//! e2e-corpus feeds (`common/corpus.rs`: English, Albanian, Serbian Latin
//! and Cyrillic; links with tracking parameters, summaries with a link, an
//! image, bold text and relative URLs); throughput in items per second.

use std::hint::black_box;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use feedmill::normalize::html::{sanitize, to_text};
use feedmill::normalize::link::canonical_link;
use feedmill::normalize::{normalize_item, ItemLimits, RawItem, RawText, TextKind};
use url::Url;

#[path = "common/rng.rs"]
mod rng;

#[path = "common/corpus.rs"]
mod corpus;

/// One item with the base its relative links resolve against.
struct Input {
    base: Url,
    entry: corpus::RawEntry,
}

fn inputs() -> Vec<Input> {
    let corpus = corpus::generate_with(4, Some(100));
    let mut out = Vec::new();
    for (f, (_, _, body)) in corpus.feeds.iter().enumerate() {
        let base = Url::parse(&format!("https://www.outlet{f}.example/"))
            .unwrap_or_else(|e| panic!("{e}"));
        for entry in corpus::raw_entries(body) {
            out.push(Input {
                base: base.clone(),
                entry,
            });
        }
    }
    assert_eq!(out.len(), 400, "items read back from the corpus");
    out
}

fn raw_item(input: &Input, published: DateTime<Utc>) -> RawItem {
    let text = |body: &str, kind| {
        Some(RawText {
            body: body.to_string(),
            kind,
        })
    };
    RawItem {
        link: Some(input.entry.link.clone()),
        title: text(&input.entry.title, TextKind::Plain),
        summary: text(&input.entry.summary_html, TextKind::Html),
        published: Some(published),
        ..RawItem::default()
    }
}

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    let now = Utc
        .with_ymd_and_hms(2026, 11, 5, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let sanitized: Vec<String> = inputs
        .iter()
        .map(|i| sanitize(&i.entry.summary_html, Some(&i.base)))
        .collect();
    for (input, html) in inputs.iter().zip(&sanitized).take(1) {
        // A sanity check that the work is the real one: links resolved.
        assert!(html.contains(&format!("{}related/", input.base)), "{html}");
    }
    let mut group = c.benchmark_group("normalize");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("canonical_link, 400 links", |b| {
        b.iter(|| {
            for i in &inputs {
                black_box(canonical_link(black_box(&i.entry.link)));
            }
        })
    });
    group.bench_function("sanitize, 400 summaries", |b| {
        b.iter(|| {
            for i in &inputs {
                black_box(sanitize(black_box(&i.entry.summary_html), Some(&i.base)));
            }
        })
    });
    group.bench_function("to_text, 400 sanitized summaries", |b| {
        b.iter(|| {
            for html in &sanitized {
                black_box(to_text(black_box(html)));
            }
        })
    });
    let limits = ItemLimits::default();
    group.bench_function("normalize_item, 400 items", |b| {
        b.iter_batched(
            || inputs.iter().map(|i| raw_item(i, now)).collect::<Vec<_>>(),
            |raws| {
                for (raw, input) in raws.into_iter().zip(&inputs) {
                    black_box(normalize_item(raw, &input.base, now, &limits));
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
