//! End-to-end benchmark: `cargo bench --bench e2e`.
//!
//! Generates a deterministic corpus of N regional feeds (RSS 2.0 and Atom,
//! 20-100 items each, HTML summaries in English, Albanian and Serbian Latin
//! and Cyrillic, ~10% of stories syndicated across feeds under other links,
//! tracking parameters on links), serves it from 127.0.0.1 with ETag,
//! Last-Modified and gzip, and times the real release binary: `feedmill
//! once` cold (new database) and warm (second poll, every feed answers
//! 304). Reports medians of wall time, CPU time and peak RSS, with the
//! items stored and duplicates merged next to the generator's own counts,
//! so a fast but wrong run shows.
//!
//! Environment: `FEEDMILL_BENCH_N` (default "100,1000,10000"),
//! `FEEDMILL_BENCH_RUNS` (default 3).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

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
    "economy",
    "investment",
    "protest",
    "court",
    "municipality",
    "budget",
    "road",
    "power",
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
    "ekonomia",
    "investimi",
    "protesta",
    "gjykata",
    "komuna",
    "buxheti",
    "rruga",
    "rryma",
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
    "NATO",
    "KFOR",
    "Brisel",
    "dijalog",
    "ekonomija",
    "investicija",
    "protest",
    "sud",
    "opština",
    "budžet",
    "put",
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
    "економија",
    "инвестиција",
    "протест",
    "суд",
    "општина",
    "буџет",
    "пут",
    "струја",
];

struct Story {
    /// The feed that published it first.
    feed: usize,
    title: String,
    summary: String,
    /// Minutes after the corpus epoch.
    minute: u64,
}

struct Corpus {
    /// path → (content type, body)
    feeds: Vec<(String, &'static str, Vec<u8>)>,
    items: usize,
    syndicated: usize,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn sentence(rng: &mut Rng, words: &[&str], n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick(words));
    }
    out
}

fn generate(n_feeds: usize) -> Corpus {
    let mut rng = Rng(0x5eed_f00d ^ n_feeds as u64);
    let mut pool: Vec<Story> = Vec::new();
    let mut feeds = Vec::with_capacity(n_feeds);
    let (mut items, mut syndicated) = (0, 0);
    let mut serial = 0u64;
    let mut carried: std::collections::HashSet<(usize, usize)> = Default::default();
    for f in 0..n_feeds {
        let words = [EN, SQ, SR_LATN, SR_CYRL][f % 4];
        let atom = f % 2 == 1;
        let host = format!("outlet{f}.example");
        let count = 20 + rng.below(81);
        let mut entries = String::new();
        for i in 0..count {
            // ~10% are another outlet's story under this outlet's own link
            // (an outlet carries a story once: its own repeats are not copies).
            let pick = (!pool.is_empty() && rng.below(10) == 0).then(|| rng.below(pool.len()));
            let pick = pick.filter(|&p| pool[p].feed != f && !carried.contains(&(f, p)));
            let story = if let Some(p) = pick {
                syndicated += 1;
                carried.insert((f, p));
                let s = &pool[p];
                Story {
                    feed: f,
                    title: s.title.clone(),
                    summary: s.summary.clone(),
                    minute: s.minute + 7,
                }
            } else {
                serial += 1;
                // The serial number keeps generated titles apart: dedup
                // requires numbers in titles to match.
                let title = format!(
                    "{} {} {serial}",
                    sentence(&mut rng, words, 5),
                    rng.pick(words)
                );
                let summary = format!(
                    "<p>{} <b>{}</b> <a href=\"/related/{serial}\">{}</a>.</p><p>{} <img src=\"/img/{serial}.jpg\" alt=\"\"> {}.</p>",
                    sentence(&mut rng, words, 18),
                    sentence(&mut rng, words, 3),
                    sentence(&mut rng, words, 2),
                    sentence(&mut rng, words, 22),
                    sentence(&mut rng, words, 12),
                );
                let story = Story {
                    feed: f,
                    title,
                    summary,
                    minute: (serial * 3) % (72 * 60),
                };
                if pool.len() < 5000 {
                    pool.push(Story {
                        feed: f,
                        title: story.title.clone(),
                        summary: story.summary.clone(),
                        minute: story.minute,
                    });
                }
                story
            };
            items += 1;
            let link = format!(
                "https://www.{host}/news/{f}-{i}?utm_source=rss&amp;utm_medium=feed&amp;id={i}"
            );
            let minute = story.minute;
            let (day, hour, min) = (1 + minute / (24 * 60), (minute / 60) % 24, minute % 60);
            if atom {
                entries.push_str(&format!(
                    "<entry><id>tag:{host},2026:{i}</id><title>{}</title><link rel=\"alternate\" href=\"{link}\"/>\
                     <updated>2026-11-{day:02}T{hour:02}:{min:02}:00Z</updated><author><name>Desk</name></author>\
                     <summary type=\"html\">{}</summary></entry>\n",
                    escape(&story.title),
                    escape(&story.summary)
                ));
            } else {
                entries.push_str(&format!(
                    "<item><title>{}</title><link>{link}</link><guid isPermaLink=\"false\">{host}-{i}</guid>\
                     <pubDate>{} Nov 2026 {hour:02}:{min:02}:00 +0000</pubDate><description>{}</description></item>\n",
                    escape(&story.title),
                    day,
                    escape(&story.summary)
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
        let ctype = if atom {
            "application/atom+xml"
        } else {
            "application/rss+xml"
        };
        feeds.push((format!("/feed/{f}.xml"), ctype, body.into_bytes()));
    }
    Corpus {
        feeds,
        items,
        syndicated,
    }
}

/// One route: identity and gzip bodies, validators.
struct Served {
    ctype: &'static str,
    plain: Vec<u8>,
    gzip: Vec<u8>,
    etag: String,
}

const LAST_MODIFIED: &str = "Wed, 04 Nov 2026 00:00:00 GMT";

/// Serves the corpus on 127.0.0.1 from a few threads until the process ends.
fn serve(corpus: &Corpus) -> String {
    let mut routes = HashMap::new();
    for (i, (path, ctype, body)) in corpus.feeds.iter().enumerate() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body).expect("gzip");
        let gzip = gz.finish().expect("gzip");
        routes.insert(
            path.clone(),
            Served {
                ctype,
                plain: body.clone(),
                gzip,
                etag: format!("\"v{i}\""),
            },
        );
    }
    let routes = Arc::new(routes);
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
    let port = server.server_addr().to_ip().expect("ip").port();
    for _ in 0..16 {
        let (server, routes) = (Arc::clone(&server), Arc::clone(&routes));
        std::thread::spawn(move || loop {
            let Ok(request) = server.recv() else { return };
            let header = |name: &'static str| {
                request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv(name))
                    .map(|h| h.value.as_str().to_string())
            };
            let Some(route) = routes.get(request.url()) else {
                let _ = request.respond(tiny_http::Response::empty(404));
                continue;
            };
            let fresh = header("If-None-Match").as_deref() == Some(route.etag.as_str())
                || header("If-Modified-Since").as_deref() == Some(LAST_MODIFIED);
            let gzip = header("Accept-Encoding").is_some_and(|a| a.contains("gzip"));
            let (status, body) = match (fresh, gzip) {
                (true, _) => (304, Vec::new()),
                (false, true) => (200, route.gzip.clone()),
                (false, false) => (200, route.plain.clone()),
            };
            let mut response = tiny_http::Response::from_data(body).with_status_code(status);
            let mut add = |k: &str, v: &str| {
                if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                    response.add_header(h);
                }
            };
            add("Content-Type", route.ctype);
            add("ETag", &route.etag);
            add("Last-Modified", LAST_MODIFIED);
            if gzip && !fresh {
                add("Content-Encoding", "gzip");
            }
            let _ = request.respond(response);
        });
    }
    format!("http://127.0.0.1:{port}")
}

struct Measured {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
}

/// Runs `feedmill --config CONFIG once` and reads its resource use from wait4.
// The child is reaped by wait4 (which std's wait cannot replace: it gives no rusage).
#[allow(clippy::zombie_processes)]
fn run_once(config: &Path) -> Measured {
    let start = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_feedmill"))
        .arg("--config")
        .arg(config)
        .arg("--log-level")
        .arg("error")
        .arg("once")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start feedmill");
    let mut status = 0;
    // SAFETY: rusage is plain old data, and wait4 is given the pid of our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert!(
        pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "feedmill once failed"
    );
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Measured {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss,
    }
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too: skip there.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("FEEDMILL_BENCH_N")
        .unwrap_or_else(|_| "100,1000,10000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("FEEDMILL_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    println!(
        "{:>6} {:>5} | {:>9} {:>9} {:>8} | {:>9} {:>9} {:>8} | {:>8} {:>8} {:>8}",
        "N",
        "runs",
        "cold wall",
        "cold cpu",
        "cold RSS",
        "warm wall",
        "warm cpu",
        "warm RSS",
        "items",
        "merged",
        "expected"
    );
    for n in sizes {
        let corpus = generate(n);
        let base = serve(&corpus);
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        let mut counts = (0, 0);
        for _ in 0..runs.max(1) {
            let dir = tempfile::tempdir().expect("tempdir");
            let config = dir.path().join("feedmill.toml");
            let mut text = String::from(
                "database = \"feedmill.db\"\n[http]\ntimeout = \"60s\"\n\
                 # One host serves every feed here; real sources spread over many hosts.\n\
                 concurrency = 32\nper_host = 32\n\
                 [output]\npath = \"public/feed.atom\"\nmax_entries = 500\n\
                 [[topic]]\nname = \"energy\"\nkeywords = [\"energy\", \"energjia\", \"energija\", \"struja\"]\n\
                 [[topic]]\nname = \"elections\"\nkeywords = [\"elections\", \"zgjedhjet\", \"izbori\"]\n\
                 [[topic]]\nname = \"defense\"\nkeywords = [\"NATO\", \"KFOR\", \"army\"]\n",
            );
            for (i, (path, ..)) in corpus.feeds.iter().enumerate() {
                text.push_str(&format!(
                    "[[source]]\nname = \"outlet {i}\"\nurl = \"{base}{path}\"\nregion = \"{}\"\n",
                    ["kosovo", "albania", "serbia", "bosnia"][i % 4]
                ));
            }
            std::fs::write(&config, text).expect("write config");
            cold.push(run_once(&config));
            warm.push(run_once(&config));
            let db = rusqlite::Connection::open(dir.path().join("feedmill.db")).expect("open db");
            let count = |sql: &str| {
                db.query_row(sql, [], |r| r.get::<_, i64>(0))
                    .expect("count")
            };
            let copies = count("SELECT count(*) FROM copies");
            let stories = count("SELECT count(*) FROM stories");
            counts = (copies, copies - stories);
            if let Some(keep) = std::env::var_os("FEEDMILL_BENCH_KEEP") {
                let _ = std::fs::remove_dir_all(&keep);
                let _ = std::fs::rename(dir.path(), &keep);
            }
        }
        let ms = |d: Duration| format!("{:.3}s", d.as_secs_f64());
        let mib = |k: i64| format!("{:.1}M", k as f64 / 1024.0);
        println!(
            "{:>6} {:>5} | {:>9} {:>9} {:>8} | {:>9} {:>9} {:>8} | {:>8} {:>8} {:>8}",
            n,
            runs,
            ms(median(cold.iter().map(|m| m.wall).collect())),
            ms(median(cold.iter().map(|m| m.cpu).collect())),
            mib(median(cold.iter().map(|m| m.max_rss_kib).collect())),
            ms(median(warm.iter().map(|m| m.wall).collect())),
            ms(median(warm.iter().map(|m| m.cpu).collect())),
            mib(median(warm.iter().map(|m| m.max_rss_kib).collect())),
            counts.0,
            counts.1,
            format!("{}/{}", corpus.items, corpus.syndicated),
        );
    }
}
