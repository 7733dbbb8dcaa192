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

/// Items generated under `cargo bench`; `cargo test --benches` takes 2,000.
const ITEMS: usize = 100_000;
const TEST_ITEMS: usize = 2_000;
const KEYWORDS: usize = 1_000;
const TOPICS: usize = 100;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

#[path = "common/mode.rs"]
mod mode;

const ENGLISH: &[&str] = &[
    "the",
    "government",
    "said",
    "on",
    "Tuesday",
    "that",
    "talks",
    "with",
    "Belgrade",
    "would",
    "continue",
    "after",
    "police",
    "arrested",
    "three",
    "suspects",
    "in",
    "northern",
    "Kosovo",
    "European",
    "Union",
    "envoy",
    "minister",
    "election",
    "parliament",
    "energy",
    "prices",
    "border",
    "crossing",
    "protest",
    "court",
    "sentenced",
    "former",
    "commander",
    "years",
];
const ALBANIAN: &[&str] = &[
    "Qeveria",
    "e",
    "Kosovës",
    "ka",
    "miratuar",
    "sot",
    "vendimin",
    "për",
    "pagat",
    "në",
    "sektorin",
    "publik",
    "Kryeministri",
    "Kurti",
    "tha",
    "se",
    "dialogu",
    "me",
    "Serbinë",
    "Ushtria",
    "Policia",
    "arrestoi",
    "dy",
    "persona",
    "Mitrovicë",
    "zgjedhjet",
    "Kuvendi",
    "çmimi",
    "i",
    "naftës",
    "rritet",
    "Thaçi",
    "Hagë",
    "Prishtinë",
    "Tiranë",
];
const SERBIAN: &[&str] = &[
    "Vlada",
    "Srbije",
    "je",
    "danas",
    "usvojila",
    "predlog",
    "zakona",
    "o",
    "budžetu",
    "za",
    "predsednik",
    "Vučić",
    "rekao",
    "da",
    "Srbija",
    "neće",
    "priznati",
    "nezavisnost",
    "Kosova",
    "Đurić",
    "sastao",
    "se",
    "sa",
    "ambasadorom",
    "policija",
    "uhapsila",
    "osumnjičenog",
    "Kraljevu",
    "Nišu",
    "struja",
    "poskupljuje",
    "Elektroprivreda",
    "izbori",
    "Beogradu",
];
const CYRILLIC: &[&str] = &[
    "Влада",
    "Србије",
    "је",
    "данас",
    "усвојила",
    "предлог",
    "закона",
    "о",
    "буџету",
    "за",
    "председник",
    "Вучић",
    "рекао",
    "да",
    "Србија",
    "неће",
    "признати",
    "независност",
    "Косова",
    "Ђурић",
    "састао",
    "се",
    "са",
    "амбасадором",
    "полиција",
    "ухапсила",
    "Краљеву",
    "Нишу",
    "струја",
    "поскупљује",
    "Електропривреда",
    "избори",
    "Београду",
];

/// Syllables per language, to invent a large vocabulary: real news text
/// has tens of thousands of distinct words, of which a config names a few
/// (a small syllable set would make every word look like a keyword's start,
/// which no real text does).
const SYLLABLES: [&[&str]; 4] = [
    &[
        "ba", "ter", "son", "gle", "mi", "ra", "ven", "tor", "pa", "lin", "dro", "ush", "cal",
        "mer", "pro", "vi", "sta", "ment", "con", "der", "ly", "tion", "ex", "port", "al", "wor",
        "ke", "ing", "cy", "fu", "gan", "ho",
    ],
    &[
        "ko", "më", "ra", "shq", "ip", "ët", "ça", "dhë", "zo", "gj", "lë", "ni", "pu", "ve", "sh",
        "ta", "ri", "qe", "ku", "ndo", "rr", "xh", "bo", "fa", "je", "mb", "ll", "së", "ti", "ka",
        "du", "hë",
    ],
    &[
        "vo", "ra", "đe", "ši", "lj", "ča", "no", "ću", "ža", "dr", "ve", "ko", "pre", "sta",
        "gov", "ni", "ja", "ski", "mu", "nj", "cr", "bu", "ze", "po", "tre", "dži", "ul", "ha",
        "ob", "le", "ki", "sv",
    ],
    &[
        "во", "ра", "ђе", "ши", "љу", "ча", "но", "ћу", "жа", "др", "ве", "ко", "пре", "ста",
        "гов", "ни", "ја", "ски", "му", "њ", "цр", "бу", "зе", "по", "тре", "џи", "ул", "ха", "об",
        "ле", "ки", "св",
    ],
];
const BASE: [&[&str]; 4] = [ENGLISH, ALBANIAN, SERBIAN, CYRILLIC];
const VOCABULARY: usize = 10_000;

/// Per language: the invented vocabulary.
fn vocabulary(rng: &mut Rng) -> Vec<Vec<String>> {
    SYLLABLES
        .iter()
        .map(|syl| {
            (0..VOCABULARY)
                .map(|_| (0..2 + rng.next() % 3).map(|_| rng.pick(syl)).collect())
                .collect()
        })
        .collect()
}

/// A sentence in one language: a third of its words from the frequent
/// base list, the rest from the invented vocabulary.
fn sentence(rng: &mut Rng, vocab: &[Vec<String>], words: usize, out: &mut String) {
    let lang = (rng.next() % 4) as usize;
    for i in 0..words {
        if i > 0 {
            out.push(if rng.next() % 9 == 0 { ',' } else { ' ' });
            out.push(' ');
        }
        if rng.next() % 3 == 0 {
            out.push_str(rng.pick(BASE[lang]));
        } else {
            let v = &vocab[lang];
            out.push_str(&v[(rng.next() % v.len() as u64) as usize]);
        }
    }
    out.push('.');
}

/// Title, summary and categories, as `Item::match_text` holds them.
fn items(vocab: &[Vec<String>], count: usize) -> Vec<String> {
    let mut rng = Rng(0x5eed_f00d_1234_5678);
    (0..count)
        .map(|_| {
            let mut s = String::with_capacity(700);
            let n = 8 + (rng.next() % 7) as usize;
            sentence(&mut rng, vocab, n, &mut s);
            s.push('\n');
            for _ in 0..3 {
                let n = 12 + (rng.next() % 15) as usize;
                sentence(&mut rng, vocab, n, &mut s);
                s.push(' ');
            }
            s.push('\n');
            s.push_str(rng.pick(&["Politika", "Lajme", "News", "Друштво", "Ekonomija"]));
            s
        })
        .collect()
}

/// 1,000 keywords over 100 topics: a few names from the base lists
/// (frequent hits), words and two-word phrases of the vocabulary
/// (occasional hits), and prefixes (`stem*`), in both scripts.
fn topics(vocab: &[Vec<String>]) -> Vec<TopicConfig> {
    let mut rng = Rng(0xc0ff_ee00_dead_beef);
    let names: Vec<&str> = BASE
        .concat()
        .into_iter()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase) && w.chars().count() >= 5)
        .collect();
    let word = |rng: &mut Rng| -> String {
        let v = &vocab[(rng.next() % 4) as usize];
        v[(rng.next() % v.len() as u64) as usize].clone()
    };
    let mut keywords: Vec<String> = Vec::with_capacity(KEYWORDS);
    while keywords.len() < KEYWORDS {
        let n = keywords.len();
        let k = if n % 50 == 0 {
            rng.pick(&names).to_string()
        } else {
            match n % 10 {
                1 | 2 => format!("{} {}", word(&mut rng), word(&mut rng)),
                3 => {
                    // An inflection stem: the word less its last letter.
                    let w = word(&mut rng);
                    let stem: String = w.chars().take(w.chars().count() - 1).collect();
                    format!("{stem}*")
                }
                _ => word(&mut rng),
            }
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
                vec![word(&mut rng)]
            } else {
                Vec::new()
            },
            regions: Vec::new(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let vocab = vocabulary(&mut Rng(0x0bad_cafe_f00d_d00d));
    let count = if mode::measuring() { ITEMS } else { TEST_ITEMS };
    let items = items(&vocab, count);
    let k = count / 1000;
    let topics = topics(&vocab);
    let matcher = Matcher::new(&topics).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = String::new();
    let (mut input, mut folded, mut tagged, mut tags) = (0u64, 0u64, 0u64, 0usize);
    for text in &items {
        fold(text, &mut buf);
        input += text.len() as u64;
        folded += buf.len() as u64;
        let t = matcher.topics(text).len();
        tagged += u64::from(t > 0);
        tags += t;
    }
    println!(
        "{count} items, {:.1} MB of text ({:.1} MB folded), {KEYWORDS} keywords in {TOPICS} topics; \
         {tagged} items get a topic, {:.2} topics per item",
        input as f64 / 1e6,
        folded as f64 / 1e6,
        tags as f64 / count as f64
    );

    let mut group = c.benchmark_group("matcher");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(folded));
    group.bench_function(format!("fold {k}k items"), |b| {
        let mut buf = String::new();
        b.iter(|| {
            for text in &items {
                fold(black_box(text), &mut buf);
                black_box(buf.len());
            }
        })
    });
    let folded_items: Vec<String> = items
        .iter()
        .map(|t| {
            let mut f = String::new();
            fold(t, &mut f);
            f
        })
        .collect();
    group.bench_function(format!("match {k}k folded items"), |b| {
        b.iter(|| {
            let mut n = 0usize;
            for text in &folded_items {
                n += matcher.topics_in_folded(black_box(text), None).len();
            }
            black_box(n)
        })
    });
    group.bench_function(format!("topics {k}k items (fold + match)"), |b| {
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
