//! Config loading: a table of broken files (each error must name the exact
//! line:column and key), good files with their values, and the contract's
//! own example.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{assert_config_errors, load_text};
use feedmill::config::Config;

const HEAD: &str = "database = \"db.sqlite\"\n[output]\npath = \"out/feed.atom\"\n";

#[test]
fn bad_configs_name_line_column_and_key() {
    // (what, file text, "line:col", key, a fragment of the reason)
    #[rustfmt::skip]
    let table: &[(&str, String, &str, &str, &str)] = &[
        ("unknown top-level key", format!("colour = \"red\"\n{HEAD}"), "1:1", "colour", "unknown key"),
        ("unknown key in [output]", format!("{HEAD}colour = \"red\"\n"), "4:1", "output.colour", "unknown key"),
        ("unknown key in [http]", format!("{HEAD}[http]\ntimeuot = \"3s\"\n"), "5:1", "http.timeuot", "unknown key"),
        ("unknown key in the 2nd source", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\n[[source]]\nname = \"b\"\n  link = \"https://b.example/\"\n"), "9:3", "source[2].link", "unknown key"),
        ("unknown key in a topic", format!("{HEAD}[[topic]]\nname = \"x\"\nkeywords = [\"x\"]\nwords = [\"y\"]\n"), "7:1", "topic[1].words", "unknown key"),
        ("wrong type: database", "database = 5\n[output]\npath = \"x.atom\"\n".to_owned(), "1:12", "database", "expected a string"),
        ("wrong type: concurrency", format!("{HEAD}[http]\nconcurrency = \"many\"\n"), "5:15", "http.concurrency", "expected an integer"),
        ("wrong type: float where integer", format!("{HEAD}max_entries = 1.5\n"), "4:15", "output.max_entries", "expected an integer"),
        ("wrong type: enabled", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\nenabled = \"yes\"\n"), "7:11", "source[1].enabled", "expected a boolean"),
        ("wrong type: a tag", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\ntags = [\"ok\", 7]\n"), "7:15", "source[1].tags[2]", "expected a string"),
        ("[source] instead of [[source]]", format!("{HEAD}[source]\nname = \"a\"\n"), "4:1", "source", "[[source]]"),
        ("missing database", "[output]\npath = \"x.atom\"\n".to_owned(), "1:1", "database", "required key is missing"),
        ("missing [output]", "database = \"db\"\n".to_owned(), "1:1", "output.path", "required key is missing"),
        ("missing output.path", "database = \"db\"\n\n[output]\ntitle = \"T\"\n".to_owned(), "3:1", "output.path", "required key is missing"),
        ("missing source url", format!("{HEAD}\n[[source]]\nname = \"a\"\n"), "5:1", "source[1].url", "required key is missing"),
        ("missing source name", format!("{HEAD}[[source]]\nurl = \"https://a.example/\"\n"), "4:1", "source[1].name", "required key is missing"),
        ("missing topic keywords", format!("{HEAD}[[topic]]\nname = \"x\"\n"), "4:1", "topic[1].keywords", "required key is missing"),
        ("duplicate source name points at the second", format!("{HEAD}[[source]]\nname = \"Koha\"\nurl = \"https://a.example/\"\n[[source]]\nname = \"Koha\"\nurl = \"https://b.example/\"\n"), "8:8", "source[2].name", "already the name of source[1] (line 5)"),
        ("duplicate topic name points at the second", format!("{HEAD}[[topic]]\nname = \"energy\"\nkeywords = [\"gas\"]\n[[topic]]\nname = \"energy\"\nkeywords = [\"coal\"]\n"), "8:8", "topic[2].name", "already the name of topic[1]"),
        ("duplicate key", format!("{HEAD}title = \"a\"\ntitle = \"b\"\n"), "5:1", "output.title", "duplicate key"),
        ("duplicate key in the 2nd source", format!("{HEAD}[[source]]\nname = \"a\"\n[[source]]\nname = \"b\"\nname = \"c\"\n"), "8:1", "source[2].name", "duplicate key"),
        ("duplicate table", format!("{HEAD}[http]\n[output]\n"), "5:2", "output", "duplicate key"),
        ("ftp URL", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"ftp://x\"\n"), "6:7", "source[1].url", "\"ftp://x\" is not an http or https URL"),
        ("relative URL", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"/rss\"\n"), "6:7", "source[1].url", "not a valid absolute URL"),
        ("URL without host", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"https://\"\n"), "6:7", "source[1].url", "not a valid absolute URL"),
        ("self_url relative", format!("{HEAD}self_url = \"feed.atom\"\n"), "4:12", "output.self_url", "not a valid absolute URL"),
        ("self_url not http", format!("{HEAD}self_url = \"mailto:x@example.org\"\n"), "4:12", "output.self_url", "not an http or https URL"),
        ("invalid default cron", format!("{HEAD}[schedule]\ncron = \"61 * * * *\"\n"), "5:8", "schedule.cron", "\"61 * * * *\" is not a valid cron expression"),
        ("invalid source cron", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\ncron = \"* * *\"\n"), "7:8", "source[1].cron", "3 fields"),
        ("cron that never fires", format!("{HEAD}[schedule]\ncron = \"0 0 31 4 *\"\n"), "5:8", "schedule.cron", "never fires"),
        ("unknown timezone", format!("{HEAD}[schedule]\ntimezone = \"Europe/Pristina\"\n"), "5:12", "schedule.timezone", "not an IANA time zone"),
        ("region with capitals", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\nregion = \"Kosovo\"\n"), "7:10", "source[1].region", "lower-case"),
        ("region with a space", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\nregion = \"north macedonia\"\n"), "7:10", "source[1].region", "lower-case"),
        ("bad tag", format!("{HEAD}[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\ntags = [\"ok\", \"Not_OK\"]\n"), "7:15", "source[1].tags[2]", "lower-case"),
        ("bad topic name", format!("{HEAD}[[topic]]\nname = \"EU integration\"\nkeywords = [\"EU\"]\n"), "5:8", "topic[1].name", "lower-case"),
        ("empty topic name", format!("{HEAD}[[topic]]\nname = \"\"\nkeywords = [\"EU\"]\n"), "5:8", "topic[1].name", "lower-case"),
        ("empty keyword list", format!("{HEAD}[[topic]]\nname = \"x\"\nkeywords = []\n"), "6:12", "topic[1].keywords", "at least one keyword"),
        ("blank keyword", format!("{HEAD}[[topic]]\nname = \"x\"\nkeywords = [\"a\", \"  \"]\n"), "6:18", "topic[1].keywords[2]", "must not be empty"),
        ("punctuation keyword", format!("{HEAD}[[topic]]\nname = \"x\"\nkeywords = [\"--\"]\n"), "6:13", "topic[1].keywords[1]", "no letters or digits"),
        ("blank exclude", format!("{HEAD}[[topic]]\nname = \"x\"\nkeywords = [\"a\"]\nexclude = [\"\"]\n"), "7:12", "topic[1].exclude[1]", "must not be empty"),
        ("zero timeout", format!("{HEAD}[http]\ntimeout = \"0s\"\n"), "5:11", "http.timeout", "more than zero"),
        ("timeout without unit", format!("{HEAD}[http]\ntimeout = \"30\"\n"), "5:11", "http.timeout", "not a duration"),
        ("garbage timeout", format!("{HEAD}[http]\ntimeout = \"soon\"\n"), "5:11", "http.timeout", "not a duration"),
        ("timeout as a number", format!("{HEAD}[http]\ntimeout = 30\n"), "5:11", "http.timeout", "expected a string"),
        ("concurrency 0", format!("{HEAD}[http]\nconcurrency = 0\n"), "5:15", "http.concurrency", "at least 1"),
        ("per_host negative", format!("{HEAD}[http]\nper_host = -2\n"), "5:12", "http.per_host", "at least 1"),
        ("max_entries 0", format!("{HEAD}max_entries = 0\n"), "4:15", "output.max_entries", "at least 1"),
        ("max_body_bytes 0", format!("{HEAD}[http]\nmax_body_bytes = 0\n"), "5:18", "http.max_body_bytes", "at least 1"),
        ("concurrency beyond 64 bits", format!("{HEAD}[http]\nconcurrency = 99999999999999999999\n"), "5:15", "http.concurrency", "too large"),
        ("absurd concurrency", format!("{HEAD}[http]\nconcurrency = 100000\n"), "5:15", "http.concurrency", "limit"),
        ("user agent with a line break", format!("{HEAD}[http]\nuser_agent = \"a\\nb\"\n"), "5:14", "http.user_agent", "control characters"),
        ("empty database path", "database = \"\"\n[output]\npath = \"x.atom\"\n".to_owned(), "1:12", "database", "must not be empty"),
        ("columns count characters, not bytes", format!("{HEAD}[[source]]\nname = \"Zëri\"\nurl = \"https://zeri.example/\"\nregion = \"Kosovë\"\n"), "7:10", "source[1].region", "lower-case"),
        ("serve.listen without a port", format!("{HEAD}[serve]\nlisten = \"127.0.0.1\"\n"), "5:10", "serve.listen", "not an IP address and port"),
        ("serve.listen a host name", format!("{HEAD}[serve]\nlisten = \"localhost:8080\"\n"), "5:10", "serve.listen", "not an IP address and port"),
        ("serve.listen port 0", format!("{HEAD}[serve]\nlisten = \"127.0.0.1:0\"\n"), "5:10", "serve.listen", "port other than 0"),
        ("serve.listen port out of range", format!("{HEAD}[serve]\nlisten = \"127.0.0.1:70000\"\n"), "5:10", "serve.listen", "not an IP address and port"),
        ("serve.listen as a number", format!("{HEAD}[serve]\nlisten = 8080\n"), "5:10", "serve.listen", "expected a string"),
        ("unknown key in [serve]", format!("{HEAD}[serve]\nport = 8080\n"), "5:1", "serve.port", "unknown key"),
        ("serve.max_age without unit", format!("{HEAD}[serve]\nmax_age = \"300\"\n"), "5:11", "serve.max_age", "not a duration"),
        ("serve.max_age zero", format!("{HEAD}[serve]\nmax_age = \"0s\"\n"), "5:11", "serve.max_age", "more than zero"),
        ("output.index not a boolean", format!("{HEAD}index = \"yes\"\n"), "4:9", "output.index", "expected a boolean"),
        ("unknown key in [limits]", format!("{HEAD}[limits]\nmax_items = 5\n"), "5:1", "limits.max_items", "unknown key"),
        ("max_items_per_feed 0", format!("{HEAD}[limits]\nmax_items_per_feed = 0\n"), "5:22", "limits.max_items_per_feed", "at least 1"),
        ("absurd max_items_per_feed", format!("{HEAD}[limits]\nmax_items_per_feed = 2000000\n"), "5:22", "limits.max_items_per_feed", "limit"),
        ("max_item_bytes as text", format!("{HEAD}[limits]\nmax_item_bytes = \"1MB\"\n"), "5:18", "limits.max_item_bytes", "expected an integer"),
        ("max_item_bytes beyond 1 GiB", format!("{HEAD}[limits]\nmax_item_bytes = 2000000000\n"), "5:18", "limits.max_item_bytes", "limit"),
        ("garbage source_timeout", format!("{HEAD}[limits]\nsource_timeout = \"long\"\n"), "5:18", "limits.source_timeout", "not a duration"),
        ("source_timeout under http.timeout", format!("{HEAD}[http]\ntimeout = \"1m\"\n[limits]\nsource_timeout = \"30s\"\n"), "7:18", "limits.source_timeout", "shorter than http.timeout"),
        ("database in the output folder", "database = \"public/feedmill.db\"\n[output]\npath = \"public/feed.atom\"\n".to_owned(), "1:12", "database", "inside the output folder"),
        ("database below the output folder", "database = \"./www/../www/state/x.db\"\n[output]\npath = \"www/feed.atom\"\n".to_owned(), "1:12", "database", "inside the output folder"),
        ("database beside the output", "database = \"x.db\"\n[output]\npath = \"feed.atom\"\n".to_owned(), "1:12", "database", "inside the output folder"),
        ("unknown key in [retention]", format!("{HEAD}[retention]\nmax_days = 5\n"), "5:1", "retention.max_days", "unknown key"),
        ("retention max_age without unit", format!("{HEAD}[retention]\nmax_age = \"90\"\n"), "5:11", "retention.max_age", "not a duration"),
        ("retention max_age in weeks", format!("{HEAD}[retention]\nmax_age = \"12w\"\n"), "5:11", "retention.max_age", "not a duration"),
        ("retention max_age 0", format!("{HEAD}[retention]\nmax_age = \"0d\"\n"), "5:11", "retention.max_age", "more than zero"),
        ("retention max_age beyond ten years", format!("{HEAD}[retention]\nmax_age = \"4000d\"\n"), "5:11", "retention.max_age", "limit of 3650d"),
        ("retention max_items 0", format!("{HEAD}[retention]\nmax_items = 0\n"), "5:13", "retention.max_items", "at least 1"),
        ("a day is too long for http.timeout", format!("{HEAD}[http]\ntimeout = \"2d\"\n"), "5:11", "http.timeout", "limit of 24h"),
        ("a mistake after Cyrillic text", format!("{HEAD}[[topic]]\nname = \"x\"\nkeywords = [\"Вучић\", \"\"]\n"), "6:22", "topic[1].keywords[2]", "must not be empty"),
    ];
    assert_config_errors(table);
}

#[test]
fn toml_syntax_errors_report_the_first_one() {
    // (file text, "line:col", fragment)
    let table = [
        ("database = \"db\nfoo\n", "1:15", "invalid basic string"),
        ("[output\npath = 1\n", "1:8", "unclosed table"),
        ("database = = \"x\"\n", "1:12", "extra `=`"),
    ];
    for (text, line_col, fragment) in table {
        let (_dir, path, result) = load_text(text);
        let msg = result.err().map(|e| e.to_string()).unwrap_or_default();
        let want = format!("{}:{line_col}: invalid TOML: ", path.display());
        assert!(
            msg.starts_with(&want) && msg.contains(fragment),
            "{text:?}: {msg}"
        );
    }
}

#[test]
fn unreadable_and_non_utf8_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("nope.toml");
    let msg = Config::load(&missing)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        msg.starts_with(&format!("cannot read config {}: ", missing.display())),
        "{msg}"
    );

    let msg = Config::load(dir.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        msg.starts_with(&format!("cannot read config {}: ", dir.path().display())),
        "{msg}"
    );

    let latin1 = dir.path().join("latin1.toml");
    std::fs::write(&latin1, b"database = \"db\"\n# Z\xebri\n").unwrap_or_else(|e| panic!("{e}"));
    let msg = Config::load(&latin1)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        msg,
        format!("{}:2:4: the file is not valid UTF-8", latin1.display())
    );
}

#[test]
fn minimal_config_gets_every_default() {
    let (dir, path, result) = load_text(&format!(
        "{HEAD}[[source]]\nname = \"A\"\nurl = \"https://a.example/rss\"\n"
    ));
    let c = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.path, path);
    assert_eq!(c.database, dir.path().join("db.sqlite"));
    assert_eq!(c.output.path, dir.path().join("out/feed.atom"));
    assert_eq!(c.output_dir(), dir.path().join("out"));
    assert_eq!(
        c.topic_feed_path("energy"),
        dir.path().join("out/topics/energy.atom")
    );
    assert_eq!(
        c.region_feed_path("kosovo"),
        dir.path().join("out/regions/kosovo.atom")
    );
    assert_eq!(c.schedule.cron.expr, "*/15 * * * *");
    assert_eq!(c.schedule.timezone, chrono_tz::UTC);
    assert_eq!(
        c.http.user_agent,
        "feedmill/0.1 (+https://example.org/feedmill)"
    );
    assert_eq!(c.http.timeout, Duration::from_secs(30));
    assert_eq!(c.http.max_body_bytes, 10_485_760);
    assert_eq!(c.http.concurrency, 16);
    assert_eq!(c.http.per_host, 2);
    assert_eq!(c.output.title, "Regional news");
    assert_eq!(c.output.self_url, None);
    assert_eq!(c.output.max_entries, 500);
    assert!(c.output.per_topic && c.output.per_region && c.output.index);
    assert_eq!(c.index_path(), dir.path().join("out/index.html"));
    assert_eq!(c.serve.listen, None, "the server is off by default");
    assert_eq!(c.serve.max_age, Duration::from_secs(300));
    assert_eq!(c.limits.max_items_per_feed, 10_000);
    assert_eq!(c.limits.max_item_bytes, 262_144);
    assert_eq!(c.limits.source_timeout, Duration::from_secs(120));
    assert_eq!(c.retention.max_age, Duration::from_secs(90 * 86_400));
    assert_eq!(c.retention.max_items, 100_000);
    let s = c.source("A").unwrap_or_else(|| panic!("source A"));
    assert!(s.enabled);
    assert_eq!(s.region, None);
    assert!(s.tags.is_empty());
    assert_eq!(s.schedule.expr, "*/15 * * * *");
    assert_eq!(s.url.as_str(), "https://a.example/rss");
    assert!(c.topics.is_empty());
    assert!(c.source("a").is_none());
}

#[test]
fn full_config_keeps_every_value() {
    let text = r#"
database = "/var/lib/feedmill/x.db"
[schedule]
cron = "0 */2 * * *"
timezone = "Europe/Belgrade"
[http]
user_agent = "test-agent/1"
timeout = "500ms"
max_body_bytes = 1000
concurrency = 3
per_host = 1
[output]
path = "./pub/./all.atom"
title = "  Lajme  "
self_url = "https://news.example.org/all.atom"
max_entries = 7
per_topic = false
per_region = false
index = false
[serve]
listen = "[::1]:8088"
max_age = "1m"
[limits]
max_items_per_feed = 250
max_item_bytes = 4096
source_timeout = "90s"
[retention]
max_age = "30d"
max_items = 5000
[[source]]
name = "Koha"
url = "https://www.koha.net/rss"
region = "kosovo"
cron = "30 0 6 * * 1-5"
enabled = false
tags = ["english", "north-kosovo", "english"]
[[source]]
name = "RTS"
url = "http://www.rts.rs/page/stories/ci/rss.html"
cron = "@hourly"
[[topic]]
name = "defense"
label = "Defense and security"
keywords = ["KFOR", " Kosovo Security Force ", "Вучић"]
exclude = ["football"]
[[topic]]
name = "eu-2"
keywords = ["EU"]
"#;
    let (dir, _path, result) = load_text(text);
    let c = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.database, Path::new("/var/lib/feedmill/x.db"));
    assert_eq!(c.output.path, dir.path().join("pub/all.atom"));
    assert_eq!(c.schedule.cron.expr, "0 */2 * * *");
    assert_eq!(c.schedule.timezone, chrono_tz::Europe::Belgrade);
    assert_eq!(c.http.user_agent, "test-agent/1");
    assert_eq!(c.http.timeout, Duration::from_millis(500));
    assert_eq!(
        (c.http.max_body_bytes, c.http.concurrency, c.http.per_host),
        (1000, 3, 1)
    );
    assert_eq!(c.output.title, "Lajme");
    assert_eq!(
        c.output.self_url.as_deref(),
        Some("https://news.example.org/all.atom")
    );
    assert_eq!(c.output.max_entries, 7);
    assert!(!c.output.per_topic && !c.output.per_region && !c.output.index);
    assert_eq!(
        c.serve.listen,
        Some("[::1]:8088".parse().unwrap_or_else(|e| panic!("{e}")))
    );
    assert_eq!(c.serve.max_age, Duration::from_secs(60));
    assert_eq!(
        (c.limits.max_items_per_feed, c.limits.max_item_bytes),
        (250, 4096)
    );
    assert_eq!(c.limits.source_timeout, Duration::from_secs(90));
    assert_eq!(c.retention.max_age, Duration::from_secs(30 * 86_400));
    assert_eq!(c.retention.max_items, 5000);
    let policy = c.retention_policy();
    assert_eq!(policy.max_age, Some(chrono::Duration::days(30)));
    assert_eq!((policy.max_items, policy.window), (Some(5000), 7));
    let koha = c.source("Koha").unwrap_or_else(|| panic!("Koha"));
    assert!(!koha.enabled);
    assert_eq!(koha.region.as_deref(), Some("kosovo"));
    assert_eq!(koha.schedule.expr, "30 0 6 * * 1-5");
    assert_eq!(koha.tags, ["english", "north-kosovo"]);
    let rts = c.source("RTS").unwrap_or_else(|| panic!("RTS"));
    assert!(rts.enabled);
    assert_eq!(rts.schedule.expr, "@hourly");
    let d = c.topic("defense").unwrap_or_else(|| panic!("defense"));
    assert_eq!(d.label.as_deref(), Some("Defense and security"));
    assert_eq!(d.keywords, ["KFOR", "Kosovo Security Force", "Вучић"]);
    assert_eq!(d.exclude, ["football"]);
    let eu = c.topic("eu-2").unwrap_or_else(|| panic!("eu-2"));
    assert_eq!((eu.label.as_deref(), eu.exclude.len()), (None, 0));
    assert_eq!(
        c.topics.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["defense", "eu-2"]
    );
}

#[test]
fn inline_tables_and_a_relative_config_path() {
    // Relative to the config file's folder, not to the process's folder.
    let (dir, _path, _) = load_text("");
    let sub = dir.path().join("etc");
    std::fs::create_dir(&sub).unwrap_or_else(|e| panic!("{e}"));
    let file = sub.join("f.toml");
    std::fs::write(&file, "database = \"../state/f.db\"\noutput = { path = \"../public/feed.atom\" }\nhttp = { timeout = \"2m\" }\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let c = Config::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.database, sub.join("../state/f.db"));
    assert_eq!(c.output.path, sub.join("../public/feed.atom"));
    assert_eq!(c.http.timeout, Duration::from_secs(120));
    // The default time per source is never shorter than the request's.
    let file2 = sub.join("g.toml");
    std::fs::write(
        &file2,
        "database = \"x.db\"\noutput = { path = \"out/f.atom\" }\nhttp = { timeout = \"5m\" }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let c = Config::load(&file2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.limits.source_timeout, Duration::from_secs(300));

    // A config path given relative to the current folder still yields absolute paths.
    let rel =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/contract-example.toml");
    let cwd = std::env::current_dir().unwrap_or_else(|e| panic!("{e}"));
    if let Ok(relative) = rel.strip_prefix(&cwd) {
        let c = Config::load(relative).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.database.is_absolute(), "{}", c.database.display());
        assert!(c.path.is_absolute());
    }
}

#[test]
fn the_contract_example_loads_with_its_values() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/contract-example.toml");
    let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let dir = path.parent().unwrap_or_else(|| panic!("no parent"));
    assert_eq!(c.database, dir.join("feedmill.db"));
    assert_eq!(c.schedule.cron.expr, "*/15 * * * *");
    assert_eq!(c.schedule.timezone, chrono_tz::UTC);
    assert_eq!(
        c.http.user_agent,
        "feedmill/0.1 (+https://example.org/feedmill)"
    );
    assert_eq!(c.http.timeout, Duration::from_secs(30));
    assert_eq!(
        (c.http.max_body_bytes, c.http.concurrency, c.http.per_host),
        (10_485_760, 16, 2)
    );
    assert_eq!(c.output.path, dir.join("public/feed.atom"));
    assert_eq!(c.output.title, "Regional news");
    assert_eq!(
        c.output.self_url.as_deref(),
        Some("https://news.example.org/feed.atom")
    );
    assert_eq!(c.output.max_entries, 500);
    assert!(c.output.per_topic && c.output.per_region);
    assert_eq!(c.sources.len(), 1);
    let s = &c.sources[0];
    assert_eq!(s.name, "Kosovo Online");
    assert_eq!(s.url.as_str(), "https://example.org/rss");
    assert_eq!(s.region.as_deref(), Some("kosovo"));
    assert_eq!(s.schedule.expr, "*/5 * * * *");
    assert!(s.enabled);
    assert_eq!(s.tags, ["english"]);
    assert_eq!(c.topics.len(), 1);
    let t = &c.topics[0];
    assert_eq!(t.name, "defense");
    assert_eq!(t.label.as_deref(), Some("Defense and security"));
    assert_eq!(
        t.keywords,
        [
            "KFOR",
            "NATO",
            "Kosovo Security Force",
            "army",
            "ammunition"
        ]
    );
    assert_eq!(t.exclude, ["football"]);
}

#[test]
fn a_database_beside_the_output_folder_is_accepted() {
    for (db, out) in [
        ("public/../state/x.db", "public/feed.atom"),
        ("state/x.db", "public/feed.atom"),
        ("public-db/x.db", "public/feed.atom"),
        ("/var/lib/feedmill/x.db", "/var/www/feedmill/feed.atom"),
    ] {
        let (_dir, _path, result) = load_text(&format!(
            "database = \"{db}\"\n[output]\npath = \"{out}\"\n"
        ));
        if let Err(e) = result {
            panic!("{db} with {out}: {e}");
        }
    }
}
