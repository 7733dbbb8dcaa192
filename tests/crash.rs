//! Crash consistency: `feedmill run` polling every second against feeds
//! that grow and change on each request, killed with SIGKILL at random
//! moments (while starting, fetching, writing or rendering) and restarted.
//! After every kill: the database passes `integrity_check`, nothing stored
//! before is lost, no entry id changed, and every output file is complete.
//!
//! The kill times come from a seeded xorshift; `FEEDMILL_CRASH_SEED=N`
//! replays another sequence.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::raw::{RawServer, Reply};
use common::{atom_files, files_under, validate_atom};

/// xorshift64: enough randomness for kill times, and replayable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Enough sources that storing and rendering take a good part of each
/// second, so kills often land in them.
const SOURCES: [(&str, &str); 6] = [
    ("Alpha", "alpha"),
    ("Beta", "beta"),
    ("Gamma", "gamma"),
    ("Delta", "delta"),
    ("Epsilon", "epsilon"),
    ("Zeta", "zeta"),
];
/// Items a feed grows to; beyond it, the feed keeps changing titles.
const MAX_ITEMS: u64 = 80;

/// The `n`th answer of source `key`: `20 + n` items (at most `MAX_ITEMS`),
/// newest first; every third item's title changes with every request;
/// Beta carries Alpha's multiples of five under the same link (one story).
fn feed(key: &str, n: u64) -> String {
    let count = (20 + n).min(MAX_ITEMS);
    let mut items = String::new();
    for i in (0..count).rev() {
        let revision = if i % 3 == 0 { n } else { 0 };
        let link = if key == "beta" && i % 5 == 0 {
            format!("https://alpha.example/story/{i}")
        } else {
            format!("https://{key}.example/story/{i}")
        };
        let minute = i % 60;
        items.push_str(&format!(
            "<item><title>{key} story {i} (revision {revision}) army</title><guid>{key}-{i}</guid>\
             <link>{link}</link><pubDate>Mon, 02 Mar 2026 10:{minute:02}:00 GMT</pubDate>\
             <description>&lt;p&gt;Body of {key} {i}, revision {revision}.&lt;/p&gt;</description></item>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>{key}</title><link>https://{key}.example/</link>{items}</channel></rss>\n"
    )
}

fn config(base: &str, cron: &str) -> String {
    let mut text = format!(
        "database = \"state/feedmill.db\"\n\
         [schedule]\ncron = \"{cron}\"\n\
         [http]\ntimeout = \"5s\"\n\
         [output]\npath = \"public/feed.atom\"\nself_url = \"https://news.example.org/feed.atom\"\n",
    );
    for (name, key) in SOURCES {
        text.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{base}/{key}.rss\"\nregion = \"{key}\"\n"
        ));
    }
    text.push_str("[[topic]]\nname = \"defense\"\nkeywords = [\"army\"]\n");
    text
}

/// Starts `feedmill run`; with `log`, at debug level into that file.
fn start(config: &Path, log: Option<&Path>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedmill"));
    cmd.arg("--config").arg(config);
    let stderr = match log {
        Some(path) => {
            cmd.args(["--log-level", "debug"]);
            Stdio::from(std::fs::File::create(path).expect("create log"))
        }
        None => Stdio::null(),
    };
    cmd.arg("run")
        .env_remove("RUST_LOG")
        .env_remove("NOTIFY_SOCKET")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start feedmill run")
}

/// (source, identity) → story uid of every stored copy. A process killed
/// while creating the database leaves the file without tables (the schema
/// is created in transactions of its own): nothing is stored in it yet.
fn stored(db: &Path) -> BTreeMap<(String, String), String> {
    let conn = rusqlite::Connection::open(db).expect("open database");
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'copies'",
            [],
            |r| r.get(0),
        )
        .expect("read the schema");
    if tables == 0 {
        return BTreeMap::new();
    }
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok", "integrity_check");
    let fk: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .expect("foreign_key_check");
    assert_eq!(fk, 0, "foreign key violations");
    let mut stmt = conn
        .prepare(
            "SELECT src.name, c.identity, s.uid FROM copies c
               JOIN sources src ON src.id = c.source_id
               JOIN stories s ON s.id = c.story_id",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .expect("query copies");
    rows.map(|r| r.expect("row")).collect()
}

/// Parses every output file (a partial file would not parse) and returns
/// alternate link → entry id over all of them.
fn output_ids(public: &Path) -> HashMap<String, String> {
    let atom = "http://www.w3.org/2005/Atom";
    let mut ids = HashMap::new();
    for file in files_under(public) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            // A temporary file a kill interrupted: never read by anyone.
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read output");
        if name.ends_with(".html") {
            // The index page is replaced the same way: never partial.
            assert!(
                text.trim_end().ends_with("</html>"),
                "{} is partial",
                file.display()
            );
            continue;
        }
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{} is not complete XML: {e}", file.display()));
        assert!(doc.root_element().has_tag_name((atom, "feed")));
        for entry in doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name((atom, "entry")))
        {
            let child = |tag: &str| entry.children().find(|c| c.has_tag_name((atom, tag)));
            let id = child("id")
                .and_then(|n| n.text())
                .expect("entry id")
                .to_string();
            let link = entry
                .children()
                .find(|c| c.has_tag_name((atom, "link")) && c.attribute("rel") == Some("alternate"))
                .and_then(|l| l.attribute("href"))
                .expect("alternate link")
                .to_string();
            if let Some(old) = ids.insert(link.clone(), id.clone()) {
                assert_eq!(old, id, "{link} has two ids in one render");
            }
        }
    }
    ids
}

/// `line` without terminal colour codes.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_escape = false;
    for c in line.chars() {
        match (in_escape, c) {
            (false, '\u{1b}') => in_escape = true,
            (false, c) => out.push(c),
            (true, 'm') => in_escape = false,
            (true, _) => {}
        }
    }
    out
}

type Counters = Arc<HashMap<&'static str, AtomicU64>>;

/// Serves `/<key>.rss` for each source, growing with every request.
fn feed_server() -> (RawServer, Counters) {
    let requests: Counters = Arc::new(
        SOURCES
            .iter()
            .map(|(_, key)| (*key, AtomicU64::new(0)))
            .collect(),
    );
    let r = Arc::clone(&requests);
    let server = RawServer::start(move |path| {
        let key = path.trim_start_matches('/').trim_end_matches(".rss");
        match r.get(key) {
            Some(counter) => {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                Reply::ok("application/rss+xml", feed(key, n))
            }
            None => Reply::status(404, &[]),
        }
    });
    (server, requests)
}

#[test]
fn sigkill_at_random_moments_loses_nothing() {
    let (server, requests) = feed_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("feedmill.toml");
    // Every second, so most rounds store something. Each start renders
    // first (the last process may have died before rendering), so kills
    // land in renders as well as in fetches and writes.
    let text = config(&server.base, "* * * * * *");
    std::fs::write(&config_path, text).expect("write config");
    let db = dir.path().join("state/feedmill.db");
    let public = dir.path().join("public");

    let seed = std::env::var("FEEDMILL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_c0ff_ee15_600d_u64);
    eprintln!("seed {seed}");
    let mut rng = Rng(seed.max(1));
    let kills = rng.between(15, 25);
    let started = Instant::now();
    let mut copies: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut rounds_with_outputs = 0;
    let mut kills_in_renders = 0;
    for round in 0..kills {
        let delay = rng.between(50, 1500);
        let log = dir.path().join("run.log");
        let mut child = start(&config_path, Some(&log));
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let last_words = std::fs::read_to_string(&log).unwrap_or_default();
        let last_words = plain(last_words.lines().last().unwrap_or("(nothing logged)"));

        if db.exists() {
            let now = stored(&db);
            for (key, uid) in &copies {
                match now.get(key) {
                    None => panic!("round {round} ({delay} ms): {key:?} was lost"),
                    Some(u) => assert_eq!(u, uid, "round {round}: {key:?} changed its entry id"),
                }
            }
            copies = now;
        }
        if files_under(&public)
            .iter()
            .any(|p| p.to_string_lossy().contains(".tmp."))
        {
            kills_in_renders += 1;
        }
        let seen = output_ids(&public);
        if !seen.is_empty() {
            rounds_with_outputs += 1;
        }
        for (link, id) in seen {
            if let Some(old) = ids.insert(link.clone(), id.clone()) {
                assert_eq!(old, id, "round {round}: the entry of {link} changed its id");
            }
        }
        eprintln!(
            "round {round}: killed after {delay} ms; {} copies, {} entries seen; last log: {}",
            copies.len(),
            ids.len(),
            last_words.chars().take(100).collect::<String>()
        );
    }

    // A last, clean run: SIGTERM renders what is pending.
    let child = start(&config_path, None);
    std::thread::sleep(Duration::from_millis(2500));
    // SAFETY: kill(2) with a pid we spawned and have not reaped yet.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0, "SIGTERM");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "feedmill run after the crashes: {:?}",
        out.status
    );
    let now = stored(&db);
    for (key, uid) in &copies {
        assert_eq!(now.get(key), Some(uid), "{key:?} after the last run");
    }
    let final_ids = output_ids(&public);
    for (link, id) in &final_ids {
        if let Some(old) = ids.get(link) {
            assert_eq!(old, id, "the entry of {link} changed its id");
        }
    }
    let stories: std::collections::BTreeSet<&String> = now.values().collect();
    assert_eq!(
        final_ids.len(),
        stories.len(),
        "every stored story is in the main feed after a clean stop"
    );
    assert!(
        now.len() > SOURCES.len() * 25,
        "polls made progress: {} copies",
        now.len()
    );
    assert!(
        rounds_with_outputs > kills / 2,
        "outputs written in {rounds_with_outputs} of {kills} rounds"
    );
    let leftovers: Vec<_> = files_under(&public)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".tmp."))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
    let files: Vec<PathBuf> = atom_files(&public);
    validate_atom(&files);
    eprintln!(
        "{kills} kills ({kills_in_renders} in the middle of writing a feed) in {:?}; {} requests served",
        started.elapsed(),
        requests.values().map(|c| c.load(Ordering::SeqCst)).sum::<u64>()
    );
}

/// Polls every second never leave the daemon two quiet seconds to render
/// in; a change still reaches the outputs within ten seconds.
#[test]
fn a_per_second_schedule_still_renders() {
    let (server, _requests) = feed_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("feedmill.toml");
    std::fs::write(&config_path, config(&server.base, "* * * * * *")).expect("write config");
    let mut child = start(&config_path, None);
    let main = dir.path().join("public/feed.atom");
    let began = Instant::now();
    let mut entries = 0;
    while began.elapsed() < Duration::from_secs(25) && entries == 0 {
        std::thread::sleep(Duration::from_millis(250));
        entries = std::fs::read_to_string(&main)
            .map(|t| t.matches("<entry>").count())
            .unwrap_or(0);
    }
    let waited = began.elapsed();
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    assert!(entries > 0, "no entry rendered in {waited:?}");
    eprintln!("{entries} entries rendered after {waited:?}");
}
