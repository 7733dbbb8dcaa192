//! `[serve]` end to end: the real `feedmill run` serving its output folder,
//! spoken to by a real HTTP client (conditional GETs, gzip, HEAD), raw
//! sockets (traversal attempts reqwest would normalize away), `/healthz`,
//! `/metrics`, and a clean stop on SIGTERM.

mod common;
mod serving;

use std::io::Read;
use std::os::unix::fs::symlink;
use std::time::Duration;

use serving::*;

#[test]
fn feeds_are_served_with_validators_conditional_gets_gzip_and_head() {
    let mut served = Served::start("", |_| {});
    served.wait_healthy(Duration::from_secs(20));
    let http = Http::new(false);
    let on_disk = std::fs::read(served.out("feed.atom")).expect("feed on disk");

    let first = http.get(&served.url("/feed.atom"), &[]);
    assert_eq!(first.status, 200);
    assert_eq!(first.body, on_disk, "the file, byte for byte");
    assert_eq!(
        first.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    assert_eq!(first.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(
        first.header("content-length"),
        Some(on_disk.len().to_string().as_str())
    );
    assert_eq!(first.header("x-content-type-options"), Some("nosniff"));
    let etag = first.header("etag").expect("ETag").to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 20,
        "a strong ETag: {etag}"
    );
    let last_modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_string();
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");

    // Conditional GETs, as readers send them. (headers, status)
    let earlier = "Mon, 01 Jan 2001 00:00:00 GMT";
    let table: &[(&[(&str, &str)], u16)] = &[
        (&[("If-None-Match", &etag)], 304),
        (&[("If-None-Match", &format!("W/{etag}"))], 304),
        (&[("If-None-Match", &format!("\"other\", {etag}"))], 304),
        (&[("If-None-Match", "\"other\"")], 200),
        (&[("If-Modified-Since", &last_modified)], 304),
        (&[("If-Modified-Since", earlier)], 200),
        // If-None-Match decides when both are sent.
        (
            &[
                ("If-None-Match", "\"other\""),
                ("If-Modified-Since", &last_modified),
            ],
            200,
        ),
        (
            &[("If-None-Match", &etag), ("If-Modified-Since", earlier)],
            304,
        ),
    ];
    for (headers, want) in table {
        let r = http.get(&served.url("/feed.atom"), headers);
        assert_eq!(r.status, *want, "{headers:?}");
        if *want == 304 {
            assert!(r.body.is_empty(), "a 304 has no body");
            assert_eq!(r.header("etag"), Some(etag.as_str()));
            assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
        } else {
            assert_eq!(r.body, on_disk);
        }
    }

    // gzip when asked, with its own strong tag; the bytes decode to the file.
    let gz = http.get(
        &served.url("/feed.atom"),
        &[("Accept-Encoding", "gzip, br")],
    );
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("vary"), Some("Accept-Encoding"));
    let gz_etag = gz.header("etag").expect("ETag").to_string();
    assert_ne!(gz_etag, etag, "another representation, another strong tag");
    assert!(gz.body.len() < on_disk.len() / 2, "{} bytes", gz.body.len());
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut decoded)
        .expect("gunzip");
    assert_eq!(decoded, on_disk);
    let gz304 = http.get(
        &served.url("/feed.atom"),
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &gz_etag)],
    );
    assert_eq!(gz304.status, 304);
    let refused = http.get(
        &served.url("/feed.atom"),
        &[("Accept-Encoding", "gzip;q=0")],
    );
    assert_eq!(refused.header("content-encoding"), None);
    assert_eq!(refused.body, on_disk);

    // A reader's client decompressing on its own gets the same feed.
    let reader = Http::new(true).get(&served.url("/feed.atom"), &[]);
    assert_eq!(reader.body, on_disk);

    // HEAD: the same headers, no body.
    let head = http.request("HEAD", &served.url("/feed.atom"), &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(on_disk.len().to_string().as_str())
    );
    assert_eq!(head.header("etag"), Some(etag.as_str()));

    // Topic and region feeds, and the page at `/`.
    for path in ["/topics/defense.atom", "/regions/north-kosovo.atom"] {
        let r = http.get(&served.url(path), &[]);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, std::fs::read(served.out(&path[1..])).expect("file"));
    }

    let page = http.get(&served.url("/"), &[]);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page
        .header("content-security-policy")
        .is_some_and(|c| c.contains("default-src 'none'")));
    assert_eq!(
        page.body,
        std::fs::read(served.out("index.html")).expect("index.html")
    );

    // Only GET and HEAD.
    let post = http.request("POST", &served.url("/feed.atom"), &[]);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));

    // A new render is a new version: new tag, and the old one no longer matches.
    std::fs::write(served.out("feed.atom"), b"<feed/>\n").expect("rewrite");
    let after = http.get(&served.url("/feed.atom"), &[("If-None-Match", &etag)]);
    assert_eq!(after.status, 200);
    assert_eq!(after.body, b"<feed/>\n");
    assert_ne!(after.header("etag"), Some(etag.as_str()));

    let (status, _, log) = served.stop();
    assert!(status.success(), "{status:?}\n{log}");
}

#[test]
fn nothing_outside_the_output_folder_is_reachable() {
    // The config refuses a database inside the served folder (tests/config.rs);
    // links into it from the folder must not serve it either.
    let mut served = Served::start("", |_| {});
    served.wait_healthy(Duration::from_secs(20));
    let root = served.dir.path().to_path_buf();
    let public = served.out("");
    // Things a reader must never see, with names the server would serve.
    std::fs::write(root.join("secret.txt"), "outside secret\n").expect("secret");
    std::fs::write(public.join("inside.txt"), "inside, fine\n").expect("inside");
    symlink(root.join("secret.txt"), public.join("escape.txt")).expect("symlink");
    symlink("../secret.txt", public.join("relative-escape.txt")).expect("symlink");
    symlink(&root, public.join("up")).expect("symlink to a folder");
    symlink("/etc/hostname", public.join("host.txt")).expect("symlink");
    symlink("feed.atom", public.join("latest.atom")).expect("symlink inside");
    // The database, and links to it under served names.
    let db = root.join("state/feedmill.db");
    assert!(db.exists());
    std::fs::copy(&db, public.join("copy-of-db.json")).expect("a copy is just a file");
    std::fs::hard_link(&db, public.join("db.json")).expect("hard link");
    symlink(&db, public.join("db.atom")).expect("symlink to the db");
    std::fs::write(public.join(".feed.atom.tmp.1.0"), "partial").expect("temp file");

    let port = served.port;
    let get = |target: &str| {
        raw_request(port, &format!("GET {target} HTTP/1.1"), &[])
            .unwrap_or_else(|e| panic!("{target}: {e}"))
    };
    // Controls: the server does serve files, symlinks inside, and copies.
    // A link leading back inside is inside.
    for ok in [
        "/inside.txt",
        "/latest.atom",
        "/feed.atom",
        "/copy-of-db.json",
        "/up/public/feed.atom",
    ] {
        assert_eq!(get(ok).status, 200, "{ok}");
    }
    // (request target) — every one must be 404 and must not leak content.
    let refused = [
        "/../secret.txt",
        "/../../../../etc/hostname",
        "/topics/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/etc/hostname",
        "/.%2e/secret.txt",
        "/topics/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/topics%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/%252e%252e/secret.txt",
        "/escape.txt",
        "/relative-escape.txt",
        "/up/secret.txt",
        "/host.txt",
        "//etc/hostname",
        "/etc/hostname",
        "/feeds.json",
        "/FEEDS.JSON",
        "/./feeds.json",
        "/topics/../feeds.json",
        "/db.json",
        "/db.atom",
        "/.feed.atom.tmp.1.0",
        "/feedmill.toml",
        "/../feedmill.toml",
        "/topics",
        "http://127.0.0.1/../secret.txt",
        "/feed.atom%00.txt",
    ];
    for target in refused {
        let r = get(target);
        assert_eq!(r.status, 404, "{target}: {}", r.text());
        let text = r.text();
        assert!(
            !text.contains("secret") && !text.contains("SQLite") && text.len() < 100,
            "{target} leaked {text:?}"
        );
    }
    // Absolute-form request targets are fine when they stay inside.
    assert_eq!(
        get(&format!("http://127.0.0.1:{port}/feed.atom")).status,
        200
    );
    served.stop();
}

#[test]
fn healthz_and_metrics_follow_the_cycles() {
    let mut served = Served::start("max_age = \"1m\"", |fixtures| {
        // The first cycle takes a while, so the server is seen before it ends.
        fixtures.set(
            "/kossev.rss",
            common::Route::feed(common::fixture("e2e/kossev.rss"), RSS).delayed(3000),
        );
    });
    let started = std::time::Instant::now();
    let before = loop {
        if let Ok(r) = raw_request(served.port, "GET /healthz HTTP/1.1", &[]) {
            break r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server never answered"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(before.status, 503, "{}", before.text());
    assert!(
        before.text().contains("no poll cycle has completed yet"),
        "{}",
        before.text()
    );
    assert_eq!(before.header("cache-control"), Some("no-store"));

    let body = served.wait_healthy(Duration::from_secs(20));
    assert!(body.starts_with("ok: last cycle completed "), "{body}");
    assert!(body.contains("1 failed"), "{body}");

    let http = Http::new(false);
    let metrics = http.get(&served.url("/metrics"), &[]);
    assert_eq!(metrics.status, 200);
    assert_eq!(
        metrics.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = metrics.text();
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{series} missing in\n{text}"))
    };
    // Five enabled sources: four stored, one failed; ten items, one of
    // them a syndicated copy merged into a story already stored.
    assert_eq!(value("feedmill_cycles_total"), 1.0);
    assert_eq!(value("feedmill_polls_total{outcome=\"stored\"}"), 4.0);
    assert_eq!(value("feedmill_polls_total{outcome=\"failed\"}"), 1.0);
    assert_eq!(
        value("feedmill_source_failures_total{source=\"Broken Outlet\"}"),
        1.0
    );
    assert_eq!(
        value("feedmill_source_failures_total{source=\"KoSSev\"}"),
        0.0
    );
    assert_eq!(value("feedmill_items_stored_total{kind=\"new\"}"), 10.0);
    assert_eq!(value("feedmill_duplicates_merged_total"), 1.0);
    assert_eq!(value("feedmill_poll_duration_seconds_count"), 5.0);
    // KoSSev's three seconds show in the histogram.
    assert!(value("feedmill_poll_duration_seconds_sum") >= 3.0);
    assert_eq!(
        value("feedmill_poll_duration_seconds_bucket{le=\"2.5\"}"),
        4.0
    );
    assert_eq!(
        value("feedmill_poll_duration_seconds_bucket{le=\"+Inf\"}"),
        5.0
    );
    let last = value("feedmill_last_successful_cycle_timestamp_seconds");
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(last > now - 60.0 && last <= now + 1.0, "{last} vs {now}");
    // [serve] max_age reaches the files' Cache-Control.
    let feed = http.get(&served.url("/feed.atom"), &[]);
    assert_eq!(feed.header("cache-control"), Some("public, max-age=60"));

    let (status, _, log) = served.stop();
    assert!(status.success(), "{status:?}\n{log}");
}

#[test]
fn sigterm_stops_the_server_even_with_idle_keep_alive_connections() {
    let mut served = Served::start("", |_| {});
    served.wait_healthy(Duration::from_secs(20));
    let port = served.port;
    // A keep-alive connection that has had one answer and stays open.
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    use std::io::Write;
    idle.write_all(format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes())
        .expect("request");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).expect("answer");
    assert_eq!(&first, b"HTTP/1.1 200");
    // And one that never finishes its request.
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    slow.write_all(b"GET /feed.atom HTTP/1.1\r\nHost: x\r\n")
        .expect("half a request");

    let (status, took, log) = served.stop();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(took < Duration::from_secs(8), "stopped in {took:?}");
    assert!(log.contains("feedmill stopped"), "{log}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens after the stop"
    );
}

#[test]
fn a_busy_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"db\"\n[output]\npath = \"public/feed.atom\"\n[serve]\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    )
    .expect("config");
    let out = common::feedmill(&config, &["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot listen on 127.0.0.1:{port} ([serve] listen)"
        )),
        "{err}"
    );
    drop(taken);
}

#[test]
fn a_reload_applies_the_new_max_age_and_folder() {
    let mut served = Served::start("", |_| {});
    served.wait_healthy(Duration::from_secs(20));
    let http = Http::new(false);
    let cache_control = |path: &str| {
        http.get(&served.url(path), &[])
            .header("cache-control")
            .map(String::from)
    };
    assert_eq!(
        cache_control("/feed.atom").as_deref(),
        Some("public, max-age=300")
    );
    let text = std::fs::read_to_string(&served.config).expect("config");
    let text = text
        .replace("[serve]\n", "[serve]\nmax_age = \"2m\"\n")
        .replace("path = \"public/feed.atom\"", "path = \"www/feed.atom\"");
    std::fs::write(&served.config, text).expect("config");
    let status = std::process::Command::new("kill")
        .args(["-HUP", &served.child_id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while cache_control("/feed.atom").as_deref() != Some("public, max-age=120") {
        assert!(
            std::time::Instant::now() < deadline,
            "reload not applied:\n{}",
            served.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The new folder is served (the reload rendered into it), not the old one.
    std::fs::remove_dir_all(served.out("")).expect("remove the old folder");
    let feed = http.get(&served.url("/feed.atom"), &[]);
    assert_eq!(feed.status, 200);
    assert_eq!(
        feed.body,
        std::fs::read(served.dir.path().join("www/feed.atom")).expect("new folder")
    );
    served.stop();
}
