//! Storing polls into a store of 100,000 stories with near-duplicate
//! detection on: the index keeps each item's lookup to the stories that
//! share its title words within the window, not a scan of all stories.
//!
//! `cargo bench --bench store_dedup -- --quick` (building the store takes a
//! minute the first time).

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use feedmill::fetch::Validators;
use feedmill::model::{FeedMeta, Item};
use feedmill::store::near::NearDupSettings;
use feedmill::store::{SourceInfo, Store, TaggedItem};

/// Stories stored under `cargo bench`; `cargo test --benches` stores 2,000
/// in a temporary folder instead of the kept database.
const STORIES: usize = 100_000;
const TEST_STORIES: usize = 2_000;
const PER_POLL: usize = 200;
/// Stories are spread over this many days, so a 72 h window holds ~5,000.
const DAYS: i64 = 60;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

#[path = "common/mode.rs"]
mod mode;

const WORDS: &[&str] = &[
    "Vučić",
    "Kurti",
    "Kosovo",
    "Srbija",
    "Priština",
    "Beograd",
    "EU",
    "NATO",
    "KFOR",
    "vlada",
    "skupština",
    "izbori",
    "protest",
    "policija",
    "uhapšen",
    "sastanak",
    "dijalog",
    "Brisel",
    "struja",
    "cene",
    "Qeveria",
    "Kuvendi",
    "zgjedhjet",
    "protesta",
    "policia",
    "takim",
    "Вучић",
    "Косово",
    "влада",
    "избори",
    "Mitrovica",
    "Jarinje",
    "granica",
    "sud",
    "presuda",
    "ministar",
];

/// A title of 6-10 words, with a number in one in four, from `WORDS` and
/// an invented word so that titles are mostly distinct.
fn title(rng: &mut Rng) -> String {
    let n = 6 + (rng.next() % 5) as usize;
    let mut words: Vec<String> = (0..n)
        .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize].to_string())
        .collect();
    words.push(format!("x{}", rng.next() % 50_000));
    if rng.next() % 4 == 0 {
        words.push((rng.next() % 100).to_string());
    }
    words.join(" ")
}

fn item(rng: &mut Rng, i: usize, at: DateTime<Utc>) -> TaggedItem {
    TaggedItem::new(
        Item {
            guid: Some(format!("g{i}")),
            link: Some(format!("https://a.example/{i}")),
            title: title(rng),
            summary_html: Some(format!("<p>{} {}</p>", title(rng), title(rng))),
            published: Some(at),
            match_text: String::new(),
            ..Item::default()
        },
        Vec::new(),
    )
}

fn poll(store: &mut Store, source: &str, items: &[TaggedItem], now: DateTime<Utc>) {
    store
        .record_fetched(
            source,
            &FeedMeta::default(),
            &Validators::default(),
            "h",
            None,
            items,
            None,
            now,
        )
        .unwrap_or_else(|e| panic!("{e}"));
}

fn bench(c: &mut Criterion) {
    let measuring = mode::measuring();
    let stories = if measuring { STORIES } else { TEST_STORIES };
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = if measuring {
        std::env::temp_dir().join("feedmill-bench-store-dedup")
    } else {
        scratch.path().to_path_buf()
    };
    let path = dir.join("feedmill.db");
    let start = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let end = start + TimeDelta::days(DAYS);
    let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    store
        .sync_sources(&[
            SourceInfo {
                name: "A".into(),
                url: "https://a.example/rss".into(),
                region: None,
            },
            SourceInfo {
                name: "B".into(),
                url: "https://b.example/rss".into(),
                region: None,
            },
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    let have = store.story_count().unwrap_or(0) as usize;
    if have < stories {
        let mut rng = Rng(0x1234_5678_9abc_def1 ^ have as u64);
        let step = TimeDelta::seconds(DAYS * 86_400 / stories as i64);
        for chunk in (have..stories).collect::<Vec<_>>().chunks(1_000) {
            let items: Vec<TaggedItem> = chunk
                .iter()
                .map(|&i| item(&mut rng, i, start + step * i as i32))
                .collect();
            poll(&mut store, "A", &items, end);
        }
    }
    println!("store holds {} stories", store.story_count().unwrap_or(0));

    // Copies from B of A's recent stories (retitled, so they go through the
    // near-duplicate lookup) and new stories, half and half.
    let mut rng = Rng(42);
    let mut next = 0usize;
    let mut group = c.benchmark_group("store");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PER_POLL as u64));
    for near in [true, false] {
        store.set_near_duplicates(NearDupSettings {
            enabled: near,
            ..NearDupSettings::default()
        });
        let name = format!(
            "poll of 200 new items into {}k stories, near-duplicates {}",
            stories / 1000,
            if near { "on" } else { "off" }
        );
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    (0..PER_POLL)
                        .map(|_| {
                            next += 1;
                            let t = item(&mut rng, 1_000_000 + next, end - TimeDelta::hours(1));
                            let mut copy = t.item().clone();
                            copy.link = Some(format!("https://b.example/{next}"));
                            if next % 2 == 0 {
                                copy.title = format!("FOTO: {}", copy.title);
                            }
                            TaggedItem::new(copy, t.topics().to_vec())
                        })
                        .collect::<Vec<_>>()
                },
                |items| {
                    poll(&mut store, "B", &items, end);
                    black_box(());
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
