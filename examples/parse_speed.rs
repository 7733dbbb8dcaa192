//! Parse + normalize speed, and a dump for checking that a speed-up changed
//! nothing.
//!
//! `cargo run --release --example parse_speed [ROUNDS]` generates four
//! 100-item feeds like the e2e benchmark's (RSS 2.0 and Atom; English,
//! Albanian, Serbian Latin and Cyrillic; ~600-byte HTML summaries with
//! links, images and tracking parameters) and times `parse_feed_with` over
//! them, printing the median µs per item (thread CPU time) over ROUNDS rounds
//! (default 15).
//!
//! `cargo run --release --example parse_speed dump DIR...` prints every
//! file's parse result (and the generated feeds', and those of generated
//! HTML snippets through the sanitizer) in a stable text form: compare the
//! output of two builds with `diff` to see that their behaviour is the same.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use feedmill::normalize::html;
use feedmill::parse::{parse_feed_with, Limits};
use url::Url;

const EN: &[&str] = &[
    "government",
    "minister",
    "Kosovo",
    "Serbia",
    "Albania",
    "elections",
    "energy",
    "prices",
    "parliament",
    "agreement",
    "border",
    "police",
    "NATO",
    "KFOR",
    "Brussels",
    "dialogue",
];
const SQ: &[&str] = &[
    "qeveria",
    "ministri",
    "Kosova",
    "Serbia",
    "Shqipëria",
    "zgjedhjet",
    "energjia",
    "çmimet",
    "kuvendi",
    "marrëveshja",
    "kufiri",
    "policia",
    "NATO",
    "KFOR",
    "Brukseli",
    "dialogu",
];
const SR_LATN: &[&str] = &[
    "vlada",
    "ministar",
    "Kosovo",
    "Srbija",
    "Albanija",
    "izbori",
    "energija",
    "cene",
    "skupština",
    "sporazum",
    "granica",
    "policija",
    "opština",
    "budžet",
    "Vučić",
    "struja",
];
const SR_CYRL: &[&str] = &[
    "влада",
    "министар",
    "Косово",
    "Србија",
    "Албанија",
    "избори",
    "енергија",
    "цене",
    "скупштина",
    "споразум",
    "граница",
    "полиција",
    "НАТО",
    "КФОР",
    "Брисел",
    "дијалог",
];

/// xorshift64*: deterministic without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn words(&mut self, words: &[&str], n: usize) -> String {
        let picked: Vec<&str> = (0..n).map(|_| words[self.below(words.len())]).collect();
        picked.join(" ")
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One feed of `count` items: (base URL, body).
fn feed(f: usize, count: usize, rng: &mut Rng) -> (Url, Vec<u8>) {
    let words = [EN, SQ, SR_LATN, SR_CYRL][f % 4];
    let atom = f % 2 == 1;
    let host = format!("outlet{f}.example");
    let mut entries = String::new();
    for i in 0..count {
        let serial = f * 1000 + i;
        let title = format!("{} {serial}", rng.words(words, 6));
        let summary = format!(
            "<p>{} <b>{}</b> <a href=\"/related/{serial}\">{}</a>.</p><p>{} <img src=\"/img/{serial}.jpg\" alt=\"\"> {}.</p>",
            rng.words(words, 18),
            rng.words(words, 3),
            rng.words(words, 2),
            rng.words(words, 22),
            rng.words(words, 12),
        );
        let link = format!(
            "https://www.{host}/news/{f}-{i}?utm_source=rss&amp;utm_medium=feed&amp;id={i}"
        );
        let (day, hour, min) = (1 + i % 28, i % 24, (i * 7) % 60);
        if atom {
            entries.push_str(&format!(
                "<entry><id>tag:{host},2026:{i}</id><title>{}</title><link rel=\"alternate\" href=\"{link}\"/>\
                 <updated>2026-11-{day:02}T{hour:02}:{min:02}:00Z</updated><author><name>Desk</name></author>\
                 <summary type=\"html\">{}</summary></entry>\n",
                escape(&title),
                escape(&summary)
            ));
        } else {
            entries.push_str(&format!(
                "<item><title>{}</title><link>{link}</link><guid isPermaLink=\"false\">{host}-{i}</guid>\
                 <pubDate>{day} Nov 2026 {hour:02}:{min:02}:00 +0000</pubDate><description>{}</description></item>\n",
                escape(&title),
                escape(&summary)
            ));
        }
    }
    let body = if atom {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
             <id>https://{host}/</id><title>Outlet {f}</title><updated>2026-11-04T00:00:00Z</updated>\
             <link rel=\"alternate\" href=\"https://www.{host}/\"/>\n{entries}</feed>\n"
        )
    } else {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Outlet {f}</title>\
             <link>https://www.{host}/</link><description>News</description>\n{entries}</channel></rss>\n"
        )
    };
    let base = Url::parse(&format!("https://{host}/feed.xml")).expect("generated URL");
    (base, body.into_bytes())
}

fn generated() -> Vec<(Url, Vec<u8>)> {
    let mut rng = Rng(0x5eed_f00d);
    (0..4).map(|f| feed(f, 100, &mut rng)).collect()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("fixed time")
}

/// CPU time of this thread: other work on a shared machine does not count.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn bench(rounds: usize) {
    let feeds = generated();
    let limits = Limits::default();
    let mut items = 0;
    for (base, body) in &feeds {
        items += parse_feed_with(body, None, base, now(), &limits)
            .map(|f| f.items.len())
            .unwrap_or(0);
    }
    let mut per_item = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = cpu_seconds();
        for _ in 0..5 {
            for (base, body) in &feeds {
                let parsed = parse_feed_with(body, None, base, now(), &limits);
                std::hint::black_box(parsed.ok());
            }
        }
        per_item.push((cpu_seconds() - started) * 1e6 / (5 * items) as f64);
    }
    per_item.sort_by(f64::total_cmp);
    println!(
        "parse_feed_with: {items} items, median {:.2} µs/item (min {:.2}, max {:.2}) over {rounds} rounds",
        per_item[rounds / 2],
        per_item[0],
        per_item[rounds - 1]
    );
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Random HTML-ish snippets: tags (allowed and not), attributes with
/// relative, absolute and hostile URLs, entities, comments, stray `<`/`&`.
fn snippet(rng: &mut Rng) -> String {
    const PARTS: &[&str] = &[
        "<p>",
        "</p>",
        "<b>",
        "</b>",
        "<i>",
        "<br>",
        "<br/>",
        "<a href=\"/rel/1?utm_source=x&amp;a=2\">",
        "<a href='x y'>",
        "<a href=javascript:alert(1)>",
        "</a>",
        "<img src=\"/img/1.jpg\" alt=\"\">",
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        "&amp;",
        "&nbsp;",
        "&lt;",
        "&#8217;",
        "&#x201C;",
        "&bogus;",
        "&",
        "<",
        ">",
        "\"",
        "'",
        "<!-- c -->",
        "Vučić",
        "Косово",
        "Shqipëria",
        " ",
        "\n",
        "text",
        "<div class=\"x\">",
        "</div>",
        "<ul><li>",
        "</li></ul>",
        "<blockquote cite=\"javascript:x\">",
        "<table><tr><td>",
        "<span style=\"x\">",
        "<iframe src=\"//e.example/\">",
        "<svg onload=x>",
        "<math>",
        "<h2>",
        "</h2>",
        "<pre>",
        "<a href=\"mailto:a@b.example\">",
        "<a href=\"data:text/html,x\">",
        "<img src=\"//cdn.example/a.png\">",
        "<a href=\"https://other.example/p?q=1#f\">",
        "<p onclick=\"x()\">",
        "<a href=\"/t\" title=\"t\">",
        "<em>",
        "</em>",
        "<strong>",
        "</strong>",
        "<code>",
        "<hr>",
        "<figure>",
        "<wbr>",
        "<0>",
        "</>",
        "<a href=\" /spaced \">",
        "<img src=\"a b.jpg\">",
        "&#0;",
        "&#xD800;",
        "&amp;lt;",
        "\u{a0}",
    ];
    let n = 1 + rng.below(14);
    (0..n).map(|_| PARTS[rng.below(PARTS.len())]).collect()
}

fn dump(dirs: &[String]) {
    let limits = Limits::default();
    let base = Url::parse("https://dump.example.org/feeds/feed.xml").expect("fixed URL");
    let mut files = Vec::new();
    for dir in dirs {
        walk(Path::new(dir), &mut files);
    }
    files.sort();
    for path in &files {
        let Ok(body) = std::fs::read(path) else {
            continue;
        };
        let parsed = parse_feed_with(&body, None, &base, now(), &limits);
        println!("== {}\n{parsed:#?}", path.display());
    }
    for (i, (base, body)) in generated().iter().enumerate() {
        let parsed = parse_feed_with(body, None, base, now(), &limits);
        println!("== generated {i}\n{parsed:#?}");
    }
    let mut rng = Rng(0xdead_beef);
    for i in 0..20_000 {
        let s = snippet(&mut rng);
        let with_base = html::sanitize(&s, Some(&base));
        let without = html::sanitize(&s, None);
        println!(
            "== snippet {i} {s:?}\n{with_base:?}\n{without:?}\n{:?}",
            html::to_text(&s)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("dump") => dump(&args[1..]),
        Some(n) => bench(n.parse().unwrap_or(15).max(1)),
        None => bench(15),
    }
}
