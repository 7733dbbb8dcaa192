//! Topic matcher throughput: 1,000 keywords over 100,000 generated items in
//! English, Albanian and Serbian (Latin and Cyrillic).
//!
//! `cargo bench --bench matcher -- --quick`. Throughput is reported in bytes
//! of folded text per second (what the automaton scans); the generator is
//! deterministic, so runs compare.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use feedmill::config::TopicConfig;
use feedmill::topics::{fold, Matcher};

const ITEMS: usize = 100_000;
const KEYWORDS: usize = 1_000;
const TOPICS: usize = 100;

/// xorshift64*: small, deterministic, good enough to pick words.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }
}

const ENGLISH: &[&str] = &[
    "the", "government", "said", "on", "Tuesday", "that", "talks", "with", "Belgrade", "would",
    "continue", "after", "police", "arrested", "three", "suspects", "in", "northern", "Kosovo",
    "European", "Union", "envoy", "minister", "election", "parliament", "energy", "prices",
    "border", "crossing", "protest", "court", "sentenced", "former", "commander", "years",
];
const ALBANIAN: &[&str] = &[
    "Qeveria", "e", "Kosovës", "ka", "miratuar", "sot", "vendimin", "për", "pagat", "në",
    "sektorin", "publik", "Kryeministri", "Kurti", "tha", "se", "dialogu", "me", "Serbinë",
    "Ushtria", "Policia", "arrestoi", "dy", "persona", "Mitrovicë", "zgjedhjet", "Kuvendi",
    "çmimi", "i", "naftës", "rritet", "Thaçi", "Hagë", "Prishtinë", "Tiranë",
];
const SERBIAN: &[&str] = &[
    "Vlada", "Srbije", "je", "danas", "usvojila", "predlog", "zakona", "o", "budžetu", "za",
    "predsednik", "Vučić", "rekao", "da", "Srbija", "neće", "priznati", "nezavisnost", "Kosova",
    "Đurić", "sastao", "se", "sa", "ambasadorom", "policija", "uhapsila", "osumnjičenog",
    "Kraljevu", "Nišu", "struja", "poskupljuje", "Elektroprivreda", "izbori", "Beogradu",
];
const CYRILLIC: &[&str] = &[
    "Влада", "Србије", "је", "данас", "усвојила", "предлог", "закона", "о", "буџету", "за",
    "председник", "Вучић", "рекао", "да", "Србија", "неће", "признати", "независност",
    "Косова", "Ђурић", "састао", "се", "са", "амбасадором", "полиција", "ухапсила",
    "Краљеву", "Нишу", "струја", "поскупљује", "Електропривреда", "избори", "Београду",
];

fn sentence(rng: &mut Rng, words: usize, out: &mut String) {
    let lang = match rng.next() % 4 {
        0 => ENGLISH,
        1 => ALBANIAN,
        2 => SERBIAN,
        _ => CYRILLIC,
    };
    for i in 0..words {
        if i > 0 {
            out.push(if rng.next() % 9 == 0 { ',' } else { ' ' });
            out.push(' ');
        }
        out.push_str(rng.pick(lang));
    }
    out.push('.');
}

/// Title, summary and categories, as `Item::match_text` holds them.
fn items() -> Vec<String> {
    let mut rng = Rng(0x5eed_f00d_1234_5678);
    (0..ITEMS)
        .map(|_| {
            let mut s = String::with_capacity(700);
            let n = 8 + (rng.next() % 7) as usize;
            sentence(&mut rng, n, &mut s);
            s.push('\n');
            for _ in 0..3 {
                let n = 12 + (rng.next() % 15) as usize;
                sentence(&mut rng, n, &mut s);
                s.push(' ');
            }
            s.push('\n');
            s.push_str(rng.pick(&["Politika", "Lajme", "News", "Друштво", "Ekonomija"]));
            s
        })
        .collect()
}

/// 1,000 keywords over 100 topics: real words of the generated text (so
/// the automaton reports matches), phrases, prefixes, and invented words in
/// both scripts (so most patterns are misses, as in a real config).
fn topics() -> Vec<TopicConfig> {
    let mut rng = Rng(0xc0ff_ee00_dead_beef);
    let mut keywords: Vec<String> = Vec::with_capacity(KEYWORDS);
    let all: Vec<&str> = [ENGLISH, ALBANIAN, SERBIAN, CYRILLIC].concat();
    let syllables = ["ko", "so", "vo", "ra", "ni", "ša", "đu", "че", "ли", "ја", "ën", "ta"];
    while keywords.len() < KEYWORDS {
        let k = match keywords.len() % 5 {
            0 => rng.pick(&all).to_string(),
            1 => format!("{} {}", rng.pick(&all), rng.pick(&all)),
            2 => {
                let w = rng.pick(&all);
                let stem: String = w.chars().take(4.max(w.chars().count() / 2)).collect();
                format!("{stem}*")
            }
            _ => (0..3 + rng.next() % 3).map(|_| rng.pick(&syllables)).collect(),
        };
        keywords.push(k);
    }
    keywords
        .chunks(KEYWORDS / TOPICS)
        .enumerate()
        .map(|(i, chunk)| TopicConfig {
            name: format!("topic-{i}"),
            label: None,
            keywords: chunk.to_vec(),
            exclude: if i % 10 == 0 {
                vec![rng.pick(&all).to_string()]
            } else {
                Vec::new()
            },
            regions: Vec::new(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let items = items();
    let topics = topics();
    let matcher = Matcher::new(&topics).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = String::new();
    let (mut input, mut folded, mut tagged) = (0u64, 0u64, 0u64);
    for text in &items {
        fold(text, &mut buf);
        input += text.len() as u64;
        folded += buf.len() as u64;
        tagged += u64::from(!matcher.topics(text).is_empty());
    }
    println!(
        "{ITEMS} items, {:.1} MB of text ({:.1} MB folded), {KEYWORDS} keywords in {TOPICS} topics; {tagged} items get a topic",
        input as f64 / 1e6,
        folded as f64 / 1e6
    );

    let mut group = c.benchmark_group("matcher");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(folded));
    group.bench_function("fold 100k items", |b| {
        let mut buf = String::new();
        b.iter(|| {
            for text in &items {
                fold(black_box(text), &mut buf);
                black_box(buf.len());
            }
        })
    });
    group.bench_function("topics 100k items (fold + match)", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for text in &items {
                n += matcher.topics(black_box(text)).len();
            }
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
