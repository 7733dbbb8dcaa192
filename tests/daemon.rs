//! `feedmill run` as systemd runs it: the real binary, per-second schedules,
//! a fixture server on 127.0.0.1, signals, and a NOTIFY_SOCKET of our own.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::*;

const RSS: &str = "application/rss+xml; charset=utf-8";

/// The daemon under test; killed if a test fails before stopping it.
struct Daemon {
    child: Child,
    notify: UnixDatagram,
    messages: Vec<String>,
}

impl Daemon {
    fn start(dir: &Path, config: &Path) -> Daemon {
        let socket_path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&socket_path);
        let notify = UnixDatagram::bind(&socket_path).expect("bind notify socket");
        notify
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        let child = Command::new(env!("CARGO_BIN_EXE_feedmill"))
            .arg("--config")
            .arg(config)
            .arg("run")
            .env("NOTIFY_SOCKET", &socket_path)
            // As under systemd: stderr goes to the journal.
            .env("JOURNAL_STREAM", "8:12345")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start feedmill run");
        Daemon {
            child,
            notify,
            messages: Vec::new(),
        }
    }

    /// Collects notify messages until `pred` holds for one, or panics after `within`.
    fn wait_for_notify(&mut self, within: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            let mut buf = [0u8; 4096];
            if let Ok(n) = self.notify.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                self.messages.push(msg.clone());
                if pred(&msg) {
                    return msg;
                }
            }
        }
        panic!(
            "no matching notify message within {within:?}; got {:?}",
            self.messages
        );
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// SIGTERM, then the exit status and how long it took.
    fn stop(mut self) -> (ExitStatus, Duration, String) {
        let start = Instant::now();
        self.signal("TERM");
        let deadline = start + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                return (status, start.elapsed(), err);
            }
            assert!(
                Instant::now() < deadline,
                "feedmill did not stop within 15 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_config(dir: &Path, server: &FixtureServer, sources: &[(&str, &str)]) -> PathBuf {
    let mut text = String::from(
        "database = \"feedmill.db\"\n[schedule]\ncron = \"* * * * * *\"\n[http]\ntimeout = \"30s\"\n\
         [output]\npath = \"public/feed.atom\"\n",
    );
    for (name, path) in sources {
        text.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\n",
            server.url(path)
        ));
    }
    let config = dir.join("feedmill.toml");
    std::fs::write(&config, text).expect("write config");
    config
}

fn wait_until(within: Duration, what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn polls_on_schedule_conditionally_with_backoff_and_retry_after() {
    let server = FixtureServer::start();
    server.set(
        "/good.rss",
        Route::feed(fixture("e2e/kosovo-online.rss"), RSS).with_etag("\"v1\""),
    );
    server.set("/failing.rss", Route::status(500));
    let mut busy = Route::status(503);
    busy.headers.push(("Retry-After".into(), "60".into()));
    server.set("/busy.rss", busy);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &server,
        &[
            ("Good", "/good.rss"),
            ("Failing", "/failing.rss"),
            ("Busy", "/busy.rss"),
        ],
    );

    let mut daemon = Daemon::start(dir.path(), &config);
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("READY=1"));
    daemon.wait_for_notify(Duration::from_secs(10), |m| {
        m.contains("STATUS=") && m.contains("polled")
    });
    wait_until(
        Duration::from_secs(20),
        "eight polls of the good source",
        || server.requests("/good.rss").len() >= 8,
    );
    let (status, took, stderr) = daemon.stop();
    assert!(
        status.success(),
        "exit status {status:?}; stderr:\n{stderr}"
    );
    assert!(took < Duration::from_secs(10), "stopped in {took:?}");

    // Conditional GET: the first poll fetches, the later ones get 304.
    let good = server.requests("/good.rss");
    assert_eq!(good[0].status, 200);
    assert!(
        good[1..]
            .iter()
            .all(|r| r.status == 304 && r.if_none_match.as_deref() == Some("\"v1\"")),
        "{good:?}"
    );
    // Backoff: a failing source is tried at +1 s, +2 s, +4 s…, far less often
    // than a healthy one on the same schedule, but it is tried again.
    let failing = server.requests("/failing.rss").len();
    assert!(failing >= 2, "failing source retried: {failing}");
    assert!(
        failing * 2 <= good.len(),
        "failing {failing} vs good {}",
        good.len()
    );
    // Retry-After: 60 holds the busy source back for the whole test.
    assert_eq!(server.requests("/busy.rss").len(), 1);

    // The state survives: status shows the failure and the Retry-After.
    let out = ok(feedmill(&config, &["status", "--json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let busy_row = rows.iter().find(|r| r["name"] == "Busy").expect("busy row");
    assert!(
        busy_row["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "{busy_row}"
    );
    let next_due =
        chrono::DateTime::parse_from_rfc3339(busy_row["next_due"].as_str().expect("next_due"))
            .expect("rfc3339");
    assert!(
        next_due > chrono::Utc::now() + chrono::Duration::seconds(30),
        "{busy_row}"
    );
}

#[test]
fn sighup_adds_and_removes_sources_in_the_same_process() {
    let server = FixtureServer::start();
    server.set("/a.rss", Route::feed(fixture("e2e/kosovo-online.rss"), RSS));
    server.set("/b.rss", Route::feed(fixture("e2e/telegrafi.rss"), RSS));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &server, &[("A", "/a.rss")]);
    let mut daemon = Daemon::start(dir.path(), &config);
    let pid = daemon.child.id();
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("READY=1"));
    wait_until(Duration::from_secs(10), "a poll of A", || {
        !server.requests("/a.rss").is_empty()
    });

    write_config(dir.path(), &server, &[("B", "/b.rss")]);
    daemon.signal("HUP");
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("RELOADING=1"));
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("READY=1"));
    wait_until(Duration::from_secs(10), "polls of B", || {
        server.requests("/b.rss").len() >= 2
    });
    let a_after_reload = server.requests("/a.rss").len();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        server.requests("/a.rss").len(),
        a_after_reload,
        "removed source A is no longer polled"
    );

    // An invalid config is refused; the running one goes on.
    std::fs::write(&config, "database = 42\n").expect("write");
    daemon.signal("HUP");
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("READY=1"));
    let b_before = server.requests("/b.rss").len();
    wait_until(Duration::from_secs(10), "B still polled", || {
        server.requests("/b.rss").len() > b_before + 1
    });
    assert_eq!(daemon.child.id(), pid);
    let (status, _, stderr) = daemon.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("config not reloaded") && stderr.contains("feedmill.toml:1:"),
        "{stderr}"
    );
}

#[test]
fn sigterm_during_a_slow_fetch_exits_promptly_and_cleanly() {
    let server = FixtureServer::start();
    server.set(
        "/slow.rss",
        Route::feed(fixture("e2e/kosovo-online.rss"), RSS).delayed(25_000),
    );
    server.set("/fast.rss", Route::feed(fixture("e2e/telegrafi.rss"), RSS));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &server,
        &[("Slow", "/slow.rss"), ("Fast", "/fast.rss")],
    );
    let mut daemon = Daemon::start(dir.path(), &config);
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("READY=1"));
    wait_until(
        Duration::from_secs(10),
        "the slow request in flight",
        || !server.requests("/fast.rss").is_empty(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let (status, took, stderr) = daemon.stop();
    eprintln!("SIGTERM with a fetch in flight: stopped in {took:?}");
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(took < Duration::from_secs(10), "stopped in {took:?}");

    // What was stored is intact and complete; the next run works.
    let db = rusqlite::Connection::open(dir.path().join("feedmill.db")).expect("open db");
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&ok(feedmill(&config, &["status", "--json"])).stdout).expect("json");
    let fast = rows.iter().find(|r| r["name"] == "Fast").expect("fast row");
    assert_eq!(fast["items"], 3, "{fast}");
}

#[test]
fn watchdog_is_fed_when_systemd_asks() {
    let server = FixtureServer::start();
    server.set("/a.rss", Route::feed(fixture("e2e/kosovo-online.rss"), RSS));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &server, &[("A", "/a.rss")]);
    let socket_path = dir.path().join("notify.sock");
    let notify = UnixDatagram::bind(&socket_path).expect("bind");
    notify
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let child = Command::new(env!("CARGO_BIN_EXE_feedmill"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "400000")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut daemon = Daemon {
        child,
        notify,
        messages: Vec::new(),
    };
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("READY=1"));
    for _ in 0..3 {
        daemon.wait_for_notify(Duration::from_secs(2), |m| m.contains("WATCHDOG=1"));
    }
    let (status, _, stderr) = daemon.stop();
    assert!(status.success(), "{stderr}");
}

#[test]
fn a_restart_polls_only_what_is_due() {
    let server = FixtureServer::start();
    server.set(
        "/seen.rss",
        Route::feed(fixture("e2e/kosovo-online.rss"), RSS),
    );
    server.set("/new.rss", Route::feed(fixture("e2e/telegrafi.rss"), RSS));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feedmill.toml");
    // Once a year at New Year: just polled by `once`, not due for months.
    let text = format!(
        "database = \"feedmill.db\"\n[schedule]\ncron = \"0 0 1 1 *\"\n[output]\npath = \"public/feed.atom\"\n\
         [[source]]\nname = \"Seen\"\nurl = \"{}\"\n",
        server.url("/seen.rss")
    );
    std::fs::write(&config, &text).expect("write");
    ok(feedmill(&config, &["once"]));
    assert_eq!(server.requests("/seen.rss").len(), 1);
    // A source added since: never polled, so due at once.
    std::fs::write(
        &config,
        format!(
            "{text}[[source]]\nname = \"New\"\nurl = \"{}\"\n",
            server.url("/new.rss")
        ),
    )
    .expect("write");
    let mut daemon = Daemon::start(dir.path(), &config);
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("READY=1"));
    wait_until(Duration::from_secs(10), "the new source polled", || {
        !server.requests("/new.rss").is_empty()
    });
    std::thread::sleep(Duration::from_millis(1500));
    let (status, _, stderr) = daemon.stop();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        server.requests("/seen.rss").len(),
        1,
        "a source polled recently is not polled at start"
    );
}

#[test]
fn cache_lifetimes_and_ttl_hold_polls_back_unless_turned_off() {
    let server = FixtureServer::start();
    let plain = fixture("e2e/kosovo-online.rss");
    let mut cached = Route::feed(plain.clone(), RSS);
    cached
        .headers
        .push(("Cache-Control".into(), "public, max-age=120".into()));
    server.set("/cached.rss", cached);
    let with_ttl = String::from_utf8(fixture("e2e/telegrafi.rss"))
        .expect("utf-8")
        .replace(
            "<title>Telegrafi</title>",
            "<title>Telegrafi</title><ttl>5</ttl>",
        );
    server.set("/ttl.rss", Route::feed(with_ttl, RSS));
    server.set("/plain.rss", Route::feed(plain, RSS));
    let dir = tempfile::tempdir().expect("tempdir");
    let sources = [
        ("Cached", "/cached.rss"),
        ("Ttl", "/ttl.rss"),
        ("Plain", "/plain.rss"),
    ];
    let config = write_config(dir.path(), &server, &sources);

    let mut daemon = Daemon::start(dir.path(), &config);
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("READY=1"));
    wait_until(
        Duration::from_secs(15),
        "four polls of the plain source",
        || server.requests("/plain.rss").len() >= 4,
    );
    let (status, _, stderr) = daemon.stop();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        server.requests("/cached.rss").len(),
        1,
        "max-age=120 holds the next poll back"
    );
    assert_eq!(
        server.requests("/ttl.rss").len(),
        1,
        "<ttl>5</ttl> holds the next poll back"
    );

    // With the hints turned off, the schedule alone decides.
    let text = std::fs::read_to_string(&config).expect("read");
    std::fs::write(
        &config,
        text.replace("[schedule]\n", "[schedule]\nhonor_cache_hints = false\n"),
    )
    .expect("write");
    let mut daemon = Daemon::start(dir.path(), &config);
    daemon.wait_for_notify(Duration::from_secs(10), |m| m.contains("READY=1"));
    wait_until(
        Duration::from_secs(15),
        "the cached source polled again",
        || server.requests("/cached.rss").len() >= 3,
    );
    let (status, _, stderr) = daemon.stop();
    assert!(status.success(), "{stderr}");
}
