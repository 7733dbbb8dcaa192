//! Parse + normalize speed, and a dump for checking that a speed-up changed
//! nothing.
//!
//! `cargo run --release --example parse_speed [ROUNDS]` generates four
//! 100-item feeds of the e2e benchmark's corpus (`benches/common`: RSS 2.0
//! and Atom; English, Albanian, Serbian Latin and Cyrillic; ~600-byte HTML
//! summaries with links, images and tracking parameters) and times `parse_feed_with` over
//! them, printing the median µs per item (thread CPU time) over ROUNDS rounds
//! (default 15), then feed-rs's own parse of the same bodies alone.
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

#[path = "../benches/common/rng.rs"]
mod rng;
use rng::Rng;

#[path = "../benches/common/corpus.rs"]
mod corpus;

#[path = "../benches/common/cpu.rs"]
mod cpu;

/// Four 100-item feeds of the e2e benchmark's corpus: (base URL, body).
fn generated() -> Vec<(Url, Vec<u8>)> {
    corpus::generate_with(4, Some(100))
        .feeds
        .into_iter()
        .map(|(path, _, body)| {
            let base = Url::parse(&format!("https://feeds.example{path}")).expect("generated URL");
            (base, body)
        })
        .collect()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("fixed time")
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
    let (median, min, max) = cpu::us_per_unit(rounds, || {
        for _ in 0..5 {
            for (base, body) in &feeds {
                let parsed = parse_feed_with(body, None, base, now(), &limits);
                std::hint::black_box(parsed.ok());
            }
        }
        5 * items
    });
    println!(
        "parse_feed_with: {items} items, median {median:.2} µs/item (min {min:.2}, max {max:.2}) over {rounds} rounds"
    );
    // feed-rs alone (its own model, nothing of ours): the floor under
    // parse_feed_with as long as every feed goes through feed-rs.
    let (median, min, max) = cpu::us_per_unit(rounds, || {
        for _ in 0..5 {
            for (_, body) in &feeds {
                std::hint::black_box(feed_rs::parser::parse(body.as_slice()).ok());
            }
        }
        5 * items
    });
    println!(
        "feed_rs::parser::parse alone: median {median:.2} µs/item (min {min:.2}, max {max:.2})"
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
