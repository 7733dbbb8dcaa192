//! The command line as scripts see it: exit statuses and error messages.

mod common;

use std::process::Command;

use common::*;

fn example_config() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/feedmill.toml")
}

/// A temporary folder holding the config file `name` with `text`, and the
/// file's path (relative paths in `text` resolve inside the folder).
fn config_file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    (dir, path)
}

#[test]
fn check_accepts_the_example_config() {
    let out = ok(feedmill(&example_config(), &["check"]));
    let text = stdout(&out);
    assert!(text.contains("OK"), "{text}");
    assert!(
        text.contains("sources") && text.contains("topics"),
        "{text}"
    );
}

#[test]
fn invalid_config_exits_2_naming_file_line_and_key() {
    let (_dir, path) = config_file(
        "bad.toml",
        "database = \"x.db\"\n[output]\npath = \"out/feed.atom\"\n\n[[source]]\nname = \"A\"\nurl = \"ftp://example.org/rss\"\n",
    );
    let out = feedmill(&path, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.toml:7:"), "{err}");
    assert!(err.contains("url"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
}

#[test]
fn unknown_key_exits_2() {
    let (_dir, path) = config_file(
        "bad.toml",
        "database = \"x.db\"\ncolour = \"blue\"\n[output]\npath = \"o.atom\"\n",
    );
    let out = feedmill(&path, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml:2:1") && err.contains("colour"),
        "{err}"
    );
}

#[test]
fn missing_config_and_bad_usage_exit_2() {
    let out = feedmill(
        std::path::Path::new("/nonexistent/feedmill.toml"),
        &["check"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/feedmill.toml"),
        "{}",
        stderr(&out)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_feedmill"))
        .arg("frobnicate")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_path_comes_from_the_environment() {
    let out = Command::new(env!("CARGO_BIN_EXE_feedmill"))
        .arg("check")
        .env("FEEDMILL_CONFIG", example_config())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unopenable_database_exits_1() {
    let (dir, path) = config_file(
        "c.toml",
        "database = \"db\"\n[output]\npath = \"o/feed.atom\"\n",
    );
    // The database path is a folder: cannot be opened as a file.
    std::fs::create_dir(dir.path().join("db")).expect("mkdir");
    let out = feedmill(&path, &["render"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("db"), "{}", stderr(&out));
}

/// Logs written to a file or a pipe (cron mail, `2> log`) carry no colour
/// codes; only a terminal gets them.
#[test]
fn logs_outside_a_terminal_have_no_colour_codes() {
    let (_dir, path) = config_file(
        "c.toml",
        "database = \"db/feedmill.db\"\n[output]\npath = \"o/feed.atom\"\n",
    );
    let out = ok(feedmill(&path, &["--log-level", "debug", "render"]));
    let err = stderr(&out);
    assert!(err.contains("DEBUG"), "debug lines expected: {err}");
    assert!(!err.contains('\x1b'), "{err:?}");
}
