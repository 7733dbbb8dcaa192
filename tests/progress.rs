//! `once` progress: plain lines when stderr is a pipe, one redrawn line on
//! a terminal (a real pseudo-terminal from util-linux `script`).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

const RSS: &str = "application/rss+xml; charset=utf-8";

fn desk() -> (FixtureServer, tempfile::TempDir, PathBuf) {
    let server = FixtureServer::start();
    server.set("/kossev.rss", Route::feed(fixture("e2e/kossev.rss"), RSS));
    server.set(
        "/telegrafi.rss",
        Route::feed(fixture("e2e/telegrafi.rss"), RSS),
    );
    server.set("/gone.rss", Route::status(500));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"db\"\n[output]\npath = \"public/feed.atom\"\n\
             [[source]]\nname = \"KoSSev\"\nurl = \"{}\"\n\
             [[source]]\nname = \"Telegrafi\"\nurl = \"{}\"\n\
             [[source]]\nname = \"Broken\"\nurl = \"{}\"\n\
             [[source]]\nname = \"Off\"\nurl = \"{}\"\nenabled = false\n",
            server.url("/kossev.rss"),
            server.url("/telegrafi.rss"),
            server.url("/gone.rss"),
            server.url("/off.rss"),
        ),
    )
    .expect("config");
    (server, dir, config)
}

#[test]
fn plain_lines_when_stderr_is_not_a_terminal() {
    let (_server, _dir, config) = desk();
    let out = ok(feedmill(&config, &["once"]));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with('[')).collect();
    // One line per enabled source, in the order they finished.
    assert_eq!(lines.len(), 3, "{err}");
    for (i, line) in lines.iter().enumerate() {
        assert!(line.starts_with(&format!("[{}/3] ", i + 1)), "{err}");
    }
    let mut seen: Vec<&str> = lines.iter().map(|l| &l[6..]).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        [
            "Broken: failed",
            "KoSSev: 2 new, 0 updated",
            "Telegrafi: 3 new, 0 updated"
        ]
    );
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
    // The failure is still listed with its reason, and the summary printed.
    assert!(
        err.contains("source \"Broken\"") && err.contains("500"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("polled 3 sources"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn one_updating_line_on_a_terminal() {
    let (_server, dir, config) = desk();
    let log = dir.path().join("typescript");
    let command = format!(
        "{} --config {} once",
        env!("CARGO_BIN_EXE_feedmill"),
        config.display()
    );
    let status = Command::new("script")
        .args(["--quiet", "--return", "--command", &command])
        .arg(&log)
        .env_remove("RUST_LOG")
        .env("TERM", "xterm")
        .status()
        .expect("util-linux script (a pseudo-terminal) is needed for this test");
    assert!(status.success(), "{status:?}");
    let text = String::from_utf8_lossy(&std::fs::read(&log).expect("typescript")).into_owned();
    // Redrawn in place: carriage return + clear line, counts going up, and
    // the bar cleared before the summary.
    let frames: Vec<&str> = text.split("\r\x1b[2K").skip(1).collect();
    assert!(frames.len() >= 4, "{text:?}");
    assert!(
        frames[0].starts_with("[------------------------] 0/3 sources"),
        "{text:?}"
    );
    assert!(text.contains("] 3/3 sources, 1 failed"), "{text:?}");
    assert!(
        !text.contains("[1/3]"),
        "no plain lines on a terminal: {text:?}"
    );
    let summary = frames.last().copied().unwrap_or("");
    assert!(summary.contains("polled 3 sources"), "{summary:?}");
}
