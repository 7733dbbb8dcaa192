//! Hostile sources: one `feedmill once` against a server of our own that
//! answers every way a server on the internet can go wrong, next to four
//! good sources. feedmill must finish within its timeouts, in bounded
//! memory, store the good sources in full, name each failure, resolve no
//! entity, write only valid feeds, and work again on the next run.
//!
//! `FEEDMILL_TIME_V=1` runs the hostile `once` under `/usr/bin/time -v` and
//! prints its report (see `scripts/hostile-rss`).

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::raw::{RawServer, Reply};
use common::{atom_files, files_under, fixture, stderr, stdout, validate_atom};

const RSS: &str = "application/rss+xml; charset=utf-8";
/// `[http] timeout` of the test config.
const TIMEOUT_SECS: u64 = 3;
const BODY_LIMIT: u64 = 10_485_760;
/// `[limits]` of the test config. Parsing the 5 MB item takes seconds in
/// a debug build on a busy machine.
const SOURCE_TIMEOUT_SECS: u64 = 30;
const MAX_ITEMS: u64 = 5_000;
const MAX_ITEM_BYTES: usize = 100_000;
/// Only written to a file that a hostile feed names as an external entity.
const FILE_SECRET: &str = "FILE-SECRET-4b1d-never-in-output";
/// Only served at a URL that a hostile feed names as an external entity.
const URL_SECRET: &str = "URL-SECRET-93ae-never-fetched";

/// What a source must end up as.
#[derive(Debug, Clone)]
enum Expect {
    /// The poll failed and `last_error` holds this fragment.
    Fails(&'static str),
    /// The poll succeeded and this many items are stored from it.
    Stores(u64),
}

struct Case {
    name: &'static str,
    path: &'static str,
    reply: Reply,
    expect: Expect,
}

fn good_sources() -> Vec<(&'static str, &'static str, &'static str, Reply)> {
    vec![
        (
            "Kosovo Online",
            "/good/kosovo-online.rss",
            "kosovo",
            Reply::ok(RSS, fixture("e2e/kosovo-online.rss")),
        ),
        (
            "Telegrafi",
            "/good/telegrafi.rss",
            "kosovo",
            Reply::ok(RSS, fixture("e2e/telegrafi.rss")),
        ),
        (
            "KoSSev",
            "/good/kossev.rss",
            "north-kosovo",
            Reply::ok(RSS, fixture("e2e/kossev.rss")),
        ),
        (
            "RTS",
            "/good/rts.rss",
            "serbia",
            Reply::ok(
                "text/xml; charset=windows-1251",
                fixture("e2e/rts-cyrillic.windows-1251.rss"),
            ),
        ),
    ]
}

fn rss(title: &str, items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>{title}</title><link>https://hostile.example/</link>{items}</channel></rss>\n"
    )
}

fn hostile_cases(server_base: &str, secret_file: &Path) -> Vec<Case> {
    use Expect::*;
    let laughs = {
        let mut dtd = String::from("<!ENTITY lol \"lol\">\n");
        for i in 1..=9 {
            let prev = if i == 1 {
                "lol".to_string()
            } else {
                format!("lol{}", i - 1)
            };
            dtd.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">\n",
                format!("&{prev};").repeat(10)
            ));
        }
        format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n{dtd}]>\n<rss version=\"2.0\"><channel>\
             <title>Laughs &lol9;</title><item><title>&lol9;</title><guid>laugh-1</guid>\
             <description>&lol9;</description></item></channel></rss>"
        )
    };
    let xxe = |system: &str, guid: &str| {
        format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM \"{system}\">\n\
             <!ENTITY % pe SYSTEM \"{system}\"> %pe;\n]>\n<rss version=\"2.0\"><channel>\
             <title>XXE &xxe;</title><item><title>Entity &xxe; here</title><guid>{guid}</guid>\
             <description>&lt;p&gt;before &amp;xxe; after&lt;/p&gt; &xxe;</description>\
             </item></channel></rss>"
        )
    };
    let file_url = format!("file://{}", secret_file.display());
    let mut nul_utf8 = rss(
        "Broken bytes",
        "<item><title>NUL\u{0}inside</title><guid>nul-1</guid><description>a\u{0}b</description></item>\
         <item><title>Bad UTF-8 INVALID</title><guid>utf8-1</guid><description>x INVALID y</description></item>",
    )
    .into_bytes();
    // Replace each marker with bytes that are not UTF-8.
    while let Some(at) = find(&nul_utf8, b"INVALID") {
        nul_utf8.splice(at..at + 7, [0xff, 0xfe, 0xc3, 0x28, 0x80]);
    }
    let dates = rss(
        "Absurd dates",
        "<item><title>Year 9999</title><guid>d-9999</guid><pubDate>Fri, 31 Dec 9999 23:59:59 GMT</pubDate></item>\
         <item><title>Epoch</title><guid>d-1970</guid><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>\
         <item><title>Nonsense</title><guid>d-junk</guid><pubDate>the day after tomorrow, maybe</pubDate></item>\
         <item><title>Year zero</title><guid>d-0</guid><pubDate>0000-00-00T00:00:00Z</pubDate></item>",
    );
    let many = {
        let mut items = String::with_capacity(100_000 * 48);
        for i in 0..100_000 {
            items.push_str(&format!(
                "<item><title>n{i}</title><guid>m{i}</guid></item>"
            ));
        }
        rss("A hundred thousand", &items)
    };
    let huge_item = rss(
        "Five megabytes",
        &format!(
            "<item><title>Huge</title><guid>huge-1</guid><description>{}</description></item>",
            "&lt;p&gt;word word word&lt;/p&gt; ".repeat(5 * 1024 * 1024 / 36)
        ),
    );
    let untitled = rss(
        "No titles",
        "<item><description>First story without title, link or guid.</description></item>\
         <item><description>Second story without title, link or guid.</description></item>\
         <item><description>&lt;b&gt;Third&lt;/b&gt; one.</description></item>\
         <item></item><item><category>only a category</category></item>",
    );
    let truncated = {
        let good = fixture("e2e/kossev.rss");
        good[..good.len() * 2 / 3].to_vec()
    };
    let garbage = {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        (0..65_536)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect::<Vec<u8>>()
    };
    let html = "<!DOCTYPE html>\n<html><head><title>Welcome</title></head>\
                <body><h1>Our new website</h1><p>The feed has moved.</p></body></html>";
    let endless_chunk = "<item><title>again</title><guid>same</guid></item>"
        .repeat(1000)
        .into_bytes();
    let mut endless = rss("Endless", "").into_bytes();
    endless.truncate(endless.len() - "</channel></rss>\n".len());

    let loop_to = |to: &str| Reply::status(302, &[("Location", to)]);
    vec![
        Case {
            name: "Drip",
            path: "/drip",
            reply: Reply::Drip {
                every: Duration::from_secs(1),
                body: rss("Drip", "").into_bytes(),
            },
            expect: Fails("timed out after 3s"),
        },
        Case {
            name: "Endless",
            path: "/endless",
            reply: Reply::Endless {
                chunk: endless_chunk,
            },
            expect: Fails("larger than the limit"),
        },
        Case {
            name: "Gzip bomb",
            path: "/bomb",
            reply: Reply::Full {
                status: 200,
                headers: vec![
                    ("Content-Type".into(), RSS.into()),
                    ("Content-Encoding".into(), "gzip".into()),
                ],
                body: gzip_bomb(1 << 30),
            },
            expect: Fails("larger than the limit"),
        },
        Case {
            name: "Redirect loop",
            path: "/loop-a",
            reply: loop_to("/loop-b"),
            expect: Fails("redirect loop"),
        },
        Case {
            name: "Loop helper",
            path: "/loop-b",
            reply: loop_to("/loop-a"),
            expect: Fails("redirect loop"),
        },
        Case {
            name: "Server error",
            path: "/500",
            reply: Reply::status(500, &[]),
            expect: Fails("HTTP 500"),
        },
        Case {
            name: "Too many",
            path: "/429",
            reply: Reply::status(429, &[("Retry-After", "7200")]),
            expect: Fails("HTTP 429"),
        },
        Case {
            name: "Unavailable",
            path: "/503",
            reply: Reply::status(503, &[("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT")]),
            expect: Fails("HTTP 503"),
        },
        Case {
            name: "HTML page",
            path: "/html",
            reply: Reply::ok("text/html", html),
            expect: Fails("HTML page, not a feed"),
        },
        Case {
            name: "Garbage",
            path: "/garbage",
            reply: Reply::ok("application/octet-stream", garbage),
            expect: Fails("binary or garbled"),
        },
        Case {
            name: "Truncated",
            path: "/truncated",
            reply: Reply::ok(RSS, truncated),
            expect: Stores(1),
        },
        Case {
            name: "Billion laughs",
            path: "/laughs",
            reply: Reply::ok(RSS, laughs),
            expect: Stores(1),
        },
        Case {
            name: "XXE file",
            path: "/xxe-file",
            reply: Reply::ok(RSS, xxe(&file_url, "xxe-file")),
            expect: Stores(1),
        },
        Case {
            name: "XXE URL",
            path: "/xxe-url",
            reply: Reply::ok(RSS, xxe(&format!("{server_base}/secret"), "xxe-url")),
            expect: Stores(1),
        },
        Case {
            name: "Broken bytes",
            path: "/bytes",
            reply: Reply::ok(RSS, nul_utf8),
            expect: Stores(2),
        },
        Case {
            name: "Absurd dates",
            path: "/dates",
            reply: Reply::ok(RSS, dates),
            expect: Stores(4),
        },
        Case {
            name: "Many items",
            path: "/many",
            reply: Reply::ok(RSS, many),
            expect: Stores(MAX_ITEMS),
        },
        Case {
            name: "Huge item",
            path: "/huge",
            reply: Reply::ok(RSS, huge_item),
            expect: Stores(1),
        },
        Case {
            name: "Empty feed",
            path: "/empty",
            reply: Reply::ok(RSS, rss("Empty", "")),
            expect: Stores(0),
        },
        Case {
            name: "Empty body",
            path: "/empty-body",
            reply: Reply::ok(RSS, ""),
            expect: Fails("empty"),
        },
        Case {
            name: "Untitled",
            path: "/untitled",
            reply: Reply::ok(RSS, untitled),
            // The empty item and the one with only a category show nothing.
            expect: Stores(3),
        },
    ]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A gzip member whose deflate stream expands to `size` zero bytes at about
/// 1000:1 (a dynamic-Huffman block in which a 258-byte copy costs two bits).
/// The trailer's CRC is not that of the content: a reader that honours its
/// size limit never gets there.
fn gzip_bomb(size: u64) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.bits(1, 1); // final block
    w.bits(0b10, 2); // dynamic Huffman
    w.bits(29, 5); // 286 literal/length codes
    w.bits(0, 5); // 1 distance code
    w.bits(14, 4); // 18 code-length codes
                   // Code-length code lengths in RFC 1951 order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1:
                   // 18 (run of zeros) gets 1 bit, 2 and 1 get 2 bits each.
    for len in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
        w.bits(len, 3);
    }
    // Canonical codes: 18 → 0, 1 → 10, 2 → 11.
    let (cl1, cl2, cl18) = ((0b10, 2), (0b11, 2), (0b0, 1));
    let zeros = |w: &mut BitWriter, mut n: u64| {
        while n > 0 {
            let run = n.min(138);
            w.code(cl18);
            w.bits(run - 11, 7);
            n -= run;
        }
    };
    // Literal/length lengths: 0 → 2, 256 → 2, 285 → 1; distance 0 → 1.
    w.code(cl2);
    zeros(&mut w, 255);
    w.code(cl2);
    zeros(&mut w, 28);
    w.code(cl1);
    w.code(cl1);
    // Canonical codes: 285 → 0, literal 0 → 10, end of block → 11; distance 0 → 0.
    w.code((0b10, 2)); // one literal zero
    let copies = (size - 1) / 258;
    w.zero_bits(copies * 2); // each copy: length 258 ("0"), distance 1 ("0")
    w.code((0b11, 2));
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(w.finish());
    out.extend(0u32.to_le_bytes());
    out.extend(((1 + copies * 258) as u32).to_le_bytes());
    out
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// `count` bits of `value`, least significant first (header fields).
    fn bits(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, (code, len): (u64, u32)) {
        for i in (0..len).rev() {
            self.bits((code >> i) & 1, 1);
        }
    }

    fn zero_bits(&mut self, mut n: u64) {
        while n > 0 && self.n != 0 {
            self.bits(0, 1);
            n -= 1;
        }
        self.out.extend(std::iter::repeat_n(0, (n / 8) as usize));
        for _ in 0..n % 8 {
            self.bits(0, 1);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

fn config_text(base: &str, sources: &[(String, String, &str)]) -> String {
    let mut text = format!(
        "database = \"state/feedmill.db\"\n\
         [schedule]\ncron = \"*/15 * * * *\"\ntimezone = \"Europe/Belgrade\"\n\
         [http]\ntimeout = \"{TIMEOUT_SECS}s\"\nmax_body_bytes = {BODY_LIMIT}\n\
         concurrency = 64\nper_host = 64\n\
         [output]\npath = \"public/feed.atom\"\ntitle = \"Hostile desk\"\n\
         self_url = \"https://news.example.org/feed.atom\"\nmax_entries = 20000\n\
         [limits]\nmax_items_per_feed = {MAX_ITEMS}\nmax_item_bytes = {MAX_ITEM_BYTES}\n\
         source_timeout = \"{SOURCE_TIMEOUT_SECS}s\"\n"
    );
    for (name, path, region) in sources {
        text.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{base}{path}\"\nregion = \"{region}\"\n"
        ));
    }
    text.push_str(
        "[[topic]]\nname = \"defense\"\nkeywords = [\"KFOR\", \"NATO\", \"army\"]\n\
         [[topic]]\nname = \"elections\"\nkeywords = [\"izbori\", \"izborima\", \"избори\"]\n",
    );
    text
}

/// Runs `feedmill --config CONFIG ARGS…`, wrapped in `/usr/bin/time -v`
/// when `time_v` is set; returns the output and the wall time.
fn run(config: &Path, args: &[&str], time_v: bool) -> (Output, Duration) {
    let bin = env!("CARGO_BIN_EXE_feedmill");
    let mut cmd = if time_v {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("FEEDMILL_CONFIG");
    let start = Instant::now();
    let out = cmd.output().expect("run feedmill");
    (out, start.elapsed())
}

fn status_json(config: &Path) -> Vec<serde_json::Value> {
    let (out, _) = run(config, &["status", "--json"], false);
    assert!(out.status.success(), "status failed: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("status --json is JSON")
}

/// Peak resident set size of the largest child waited for so far, in KiB.
fn children_max_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole rusage into the pointer it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage");
    // SAFETY: initialised by the successful call above.
    unsafe { usage.assume_init() }.ru_maxrss
}

/// What identifies each entry of an Atom file whichever source came
/// first: the links of all its copies (alternate and related), sorted, or
/// its title when it has no link.
fn entry_keys(path: &Path) -> BTreeSet<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("read feed");
    let doc = roxmltree::Document::parse(&text).expect("output is XML");
    let atom = "http://www.w3.org/2005/Atom";
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name((atom, "entry")))
        .map(|e| {
            let mut links: Vec<String> = e
                .children()
                .filter(|c| {
                    c.has_tag_name((atom, "link"))
                        && matches!(c.attribute("rel"), None | Some("alternate" | "related"))
                })
                .filter_map(|c| c.attribute("href"))
                .map(str::to_string)
                .collect();
            if links.is_empty() {
                let title = e
                    .children()
                    .find(|c| c.has_tag_name((atom, "title")))
                    .and_then(|c| c.text())
                    .unwrap_or("");
                links.push(format!("title:{title}"));
            }
            links.sort();
            links
        })
        .collect()
}

#[test]
fn the_gzip_bomb_is_a_valid_stream() {
    let bomb = gzip_bomb(1 << 30);
    assert!(bomb.len() < 1_100_000, "{} bytes", bomb.len());
    let mut decoder = flate2::read::GzDecoder::new(&bomb[..]);
    let mut buf = vec![1u8; 1 << 20];
    let mut total = 0usize;
    while total < 32 << 20 {
        let n = decoder.read(&mut buf).expect("inflate");
        assert!(n > 0, "stream ended after {total} bytes");
        assert!(buf[..n].iter().all(|b| *b == 0));
        total += n;
    }
}

#[test]
fn hostile_sources_cannot_hurt_a_once_run() {
    let secret_dir = tempfile::tempdir().expect("tempdir");
    let secret_file = secret_dir.path().join("secret.txt");
    std::fs::write(&secret_file, FILE_SECRET).expect("write secret");

    // The server is started first so the cases can name its address; its
    // routes are filled in right after.
    let routes: std::sync::Arc<std::sync::Mutex<HashMap<String, Reply>>> = Default::default();
    let r = std::sync::Arc::clone(&routes);
    let server = RawServer::start(move |path| {
        r.lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_else(|| Reply::status(404, &[]))
    });
    let cases = hostile_cases(&server.base, &secret_file);
    {
        let mut map = routes.lock().unwrap();
        for (_, path, _, reply) in good_sources() {
            map.insert(path.to_string(), reply);
        }
        for case in &cases {
            map.insert(case.path.to_string(), case.reply.clone());
        }
        map.insert("/secret".into(), Reply::ok("text/plain", URL_SECRET));
    }
    let good: Vec<(String, String, &str)> = good_sources()
        .into_iter()
        .map(|(n, p, r, _)| (n.to_string(), p.to_string(), r))
        .collect();
    let mut all = good.clone();
    for case in &cases {
        all.push((case.name.to_string(), case.path.to_string(), "hostile"));
    }

    // The good sources alone: what a full ingest of them looks like.
    let calm = tempfile::tempdir().expect("tempdir");
    let calm_config = calm.path().join("feedmill.toml");
    std::fs::write(&calm_config, config_text(&server.base, &good)).expect("config");
    let (out, _) = run(&calm_config, &["once"], false);
    assert!(out.status.success(), "calm once: {}", stderr(&out));
    let calm_entries = entry_keys(&calm.path().join("public/feed.atom"));
    assert!(calm_entries.len() >= 8, "{calm_entries:?}");
    let calm_items: HashMap<String, u64> = status_json(&calm_config)
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["items"].as_u64().unwrap(),
            )
        })
        .collect();

    // Everything at once.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    std::fs::write(&config, config_text(&server.base, &all)).expect("config");
    let time_v = std::env::var_os("FEEDMILL_TIME_V").is_some();
    let (out, elapsed) = run(&config, &["once"], time_v);
    let peak_kib = children_max_rss_kib();
    let err = stderr(&out);
    if time_v {
        eprintln!("hostile once took {elapsed:?}; /usr/bin/time -v says:\n{err}");
    }
    assert!(out.status.success(), "hostile once: {err}");
    eprintln!(
        "hostile once: {elapsed:?}, peak RSS {} MiB; {}",
        peak_kib / 1024,
        stdout(&out).trim()
    );
    // The slowest source is cut off by the timeout; parsing and storing the
    // rest must not add more than a generous margin on a loaded machine.
    assert!(
        elapsed < Duration::from_secs(TIMEOUT_SECS + 40),
        "once took {elapsed:?}"
    );
    // Bodies are capped at 10 MiB and the items of a feed at 10,000.
    assert!(peak_kib < 400 * 1024, "peak RSS {peak_kib} KiB");

    // Every failing source is named on stderr and has a clear last_error.
    let status = status_json(&config);
    let by_name: HashMap<&str, &serde_json::Value> = status
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s))
        .collect();
    for (name, _, _) in &good {
        let s = by_name[name.as_str()];
        assert!(s["last_error"].is_null(), "{name}: {s}");
        assert_eq!(
            s["items"].as_u64(),
            Some(calm_items[name.as_str()]),
            "{name}"
        );
    }
    let mut problems = Vec::new();
    for case in &cases {
        let s = by_name[case.name];
        eprintln!(
            "{:>16}: {} items, last_error {}",
            case.name, s["items"], s["last_error"]
        );
    }
    for case in &cases {
        let s = by_name[case.name];
        let error = s["last_error"].as_str();
        let items = s["items"].as_u64().unwrap_or(u64::MAX);
        match (&case.expect, error) {
            (Expect::Fails(fragment), Some(e)) if e.contains(fragment) => {
                let url = server.url(case.path);
                if !e.contains(&url) {
                    problems.push(format!("{}: error does not name {url}: {e}", case.name));
                }
                if !err.contains(case.name) {
                    problems.push(format!("{}: not listed on stderr", case.name));
                }
            }
            (Expect::Stores(n), None) if items == *n => {}
            (expect, _) => problems.push(format!(
                "{}: expected {expect:?}, got last_error {error:?}, items {items}",
                case.name
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Retry-After holds the rate-limited source back (two hours asked).
    let next = |name: &str| {
        chrono::DateTime::parse_from_rfc3339(by_name[name]["next_due"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    assert!(next("Too many") > chrono::Utc::now() + chrono::Duration::minutes(100));
    assert!(next("Unavailable") > chrono::Utc::now() + chrono::Duration::hours(20));

    // The good sources are all there.
    let public = dir.path().join("public");
    let entries = entry_keys(&public.join("feed.atom"));
    let missing: Vec<_> = calm_entries.difference(&entries).collect();
    assert!(missing.is_empty(), "good entries missing: {missing:?}");

    // No entity was resolved, and the entity URL was never fetched.
    assert_eq!(server.requests("/secret"), 0, "external entity URL fetched");
    for file in files_under(dir.path()) {
        let bytes = std::fs::read(&file).expect("read output");
        let entity_url = server.url("/secret");
        let file_path = secret_file.to_string_lossy();
        for needle in [
            FILE_SECRET,
            URL_SECRET,
            "lollollol",
            &entity_url,
            &file_path,
        ] {
            assert!(
                find(&bytes, needle.as_bytes()).is_none(),
                "{needle} found in {}",
                file.display()
            );
        }
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(!name.contains(".tmp."), "temporary file left: {name}");
    }

    // Outputs are valid Atom; the huge item was cut down.
    let atoms = atom_files(&public);
    assert!(atoms.len() >= 4, "{atoms:?}");
    validate_atom(&atoms);
    let main = std::fs::read_to_string(public.join("feed.atom")).expect("feed");
    let doc = roxmltree::Document::parse(&main).expect("feed.atom is XML");
    let huge = doc
        .descendants()
        .find(|n| n.has_tag_name("title") && n.text() == Some("Huge"))
        .and_then(|t| t.parent())
        .expect("the huge item is stored");
    let summary = huge
        .children()
        .find(|n| n.has_tag_name("summary") || n.has_tag_name("content"))
        .and_then(|n| n.text())
        .unwrap_or("");
    // Cut to max_item_bytes before sanitizing; escaping adds a little.
    assert!(
        (MAX_ITEM_BYTES / 2..MAX_ITEM_BYTES + MAX_ITEM_BYTES / 10).contains(&summary.len()),
        "the 5 MB item is {} bytes in the output",
        summary.len()
    );

    // The next run works, re-reading everything without change.
    let snapshot = || {
        atom_files(&public)
            .into_iter()
            .map(|p| {
                let bytes = std::fs::read(&p).expect("read feed");
                (p, bytes)
            })
            .collect::<Vec<_>>()
    };
    let before = snapshot();
    let (out, elapsed) = run(&config, &["once"], false);
    assert!(out.status.success(), "second once: {}", stderr(&out));
    assert!(elapsed < Duration::from_secs(TIMEOUT_SECS + 40));
    // Nothing new, so every (validated) output is byte for byte the same.
    assert!(before == snapshot(), "outputs changed on the second run");
    for (name, _, _) in &good {
        let s = status_json(&config);
        let s = s.iter().find(|s| s["name"] == name.as_str()).unwrap();
        assert!(
            s["last_error"].is_null(),
            "{name} after the second run: {s}"
        );
    }
}
