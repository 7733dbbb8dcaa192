//! The index page as people see it: served by `feedmill run`, rendered by
//! headless Chromium (Debian's `chromium`, installed by `.ci/run`) at phone
//! size, with the headlines in the rendered DOM and every autodiscovery
//! link leading to a feed.

mod common;
mod serving;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serving::*;

const PHONE: (u32, u32) = (390, 844);

/// Runs headless Chromium with `args` and a fresh profile; fails the test
/// (rather than skipping) when Chromium is missing.
fn chromium(profile: &Path, args: &[&str]) -> Output {
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={},{}", PHONE.0, PHONE.1))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run chromium ({e}); install it (Debian: apt-get install chromium)")
        });
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("chromium output")
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "not a PNG"
    );
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn the_page_renders_on_a_phone_with_headlines_and_discoverable_feeds() {
    let mut served = Served::start("", |_| {});
    served.wait_healthy(Duration::from_secs(20));
    let url = served.url("/");
    let profile = tempfile::tempdir().expect("profile dir");

    // What the browser built from the page.
    let dump = chromium(profile.path(), &["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dump.stdout).into_owned();
    assert!(
        dump.status.success() && dom.contains("</html>"),
        "chromium --dump-dom failed: {:?}\n{}",
        dump.status,
        String::from_utf8_lossy(&dump.stderr)
    );
    // Headlines from every kind of source: English, Albanian, Serbian Latin
    // with a quote, Serbian Cyrillic decoded from windows-1251.
    let all = common::read_feed(&served.out("feed.atom"));
    let newest: Vec<String> = all
        .entries
        .iter()
        .take(3)
        .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
        .collect();
    assert_eq!(newest.len(), 3);
    for headline in newest.iter().map(String::as_str).chain([
        "KFOR increases patrols near the northern crossings",
        "Vučić o izborima: \"Srbija je spremna\"",
    ]) {
        let escaped = headline.replace('&', "&amp;").replace('<', "&lt;");
        assert!(
            dom.contains(&escaped),
            "headline {headline:?} not in the DOM:\n{dom}"
        );
    }
    assert!(
        dom.contains("Regional") || dom.contains("Balkan test desk"),
        "site title"
    );
    assert!(!dom.contains("<script"), "no script on the page");

    // Autodiscovery: each <link rel="alternate"> leads to an Atom feed.
    let hrefs: Vec<String> = dom
        .split("<link ")
        .skip(1)
        .filter(|l| l.contains("rel=\"alternate\"") && l.contains("application/atom+xml"))
        .filter_map(|l| {
            l.split("href=\"")
                .nth(1)?
                .split('"')
                .next()
                .map(String::from)
        })
        .collect();
    // The main feed, five topics plus the source tag "english", four regions.
    assert_eq!(hrefs.len(), 1 + 6 + 4, "{hrefs:?}");
    let http = Http::new(true);
    for href in &hrefs {
        let feed = http.get(&served.url(&format!("/{href}")), &[]);
        assert_eq!(feed.status, 200, "{href}");
        assert_eq!(
            feed.header("content-type"),
            Some("application/atom+xml; charset=utf-8"),
            "{href}"
        );
        assert!(
            dom.contains(&format!("<a class=\"sub\" href=\"{href}\"")),
            "a subscribe link for {href}"
        );
    }

    // A screenshot at phone size, kept for people to look at.
    let shot = served.dir.path().join("index-phone.png");
    let run = chromium(
        profile.path(),
        &[&format!("--screenshot={}", shot.display()), &url],
    );
    assert!(
        run.status.success(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(png_size(&png), PHONE);
    assert!(
        png.len() > 10_000,
        "an empty page compresses to less: {} bytes",
        png.len()
    );
    if let Ok(keep) = std::env::var("FEEDMILL_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, &keep).expect("keep screenshot");
        std::fs::copy(served.out("index.html"), format!("{keep}.html")).expect("keep page");
    }
    served.stop();
}

#[test]
fn the_page_is_a_file_too_rewritten_only_when_it_changes() {
    let fixtures = common::FixtureServer::start();
    fixtures.set(
        "/kossev.rss",
        common::Route::feed(common::fixture("e2e/kossev.rss"), RSS),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    let write = |index: bool| {
        let text = format!(
            "database = \"db\"\n[output]\npath = \"public/feed.atom\"\ntitle = \"Lajme & <Vesti>\"\nindex = {index}\n\
             [[source]]\nname = \"KoSSev\"\nurl = \"{}\"\nregion = \"north-kosovo\"\n",
            fixtures.url("/kossev.rss")
        );
        std::fs::write(&config, text).expect("config");
    };
    write(true);
    common::ok(common::feedmill(&config, &["once"]));
    let page = dir.path().join("public/index.html");
    let first = std::fs::read_to_string(&page).expect("index.html written by once");
    assert!(
        first.contains("<title>Lajme &amp; &lt;Vesti&gt;</title>"),
        "{first}"
    );
    assert!(
        first.contains("href=\"regions/north-kosovo.atom\""),
        "{first}"
    );
    assert!(first.contains("Vučić o izborima"), "{first}");
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&page)
        .and_then(|f| f.set_modified(old))
        .expect("age the page");

    common::ok(common::feedmill(&config, &["once"]));
    common::ok(common::feedmill(&config, &["render"]));
    let meta = std::fs::metadata(&page).expect("page");
    assert_eq!(
        meta.modified().expect("mtime"),
        old,
        "an unchanged page is not rewritten"
    );
    assert_eq!(std::fs::read_to_string(&page).expect("page"), first);

    // `[output] index = false`: a page of the user's own stays untouched.
    std::fs::write(&page, "mine").expect("own page");
    write(false);
    common::ok(common::feedmill(&config, &["render"]));
    assert_eq!(std::fs::read_to_string(&page).expect("page"), "mine");
}
