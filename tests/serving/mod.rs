//! Test support for `[serve]`: the real `feedmill run` with the built-in
//! server on a free port, the e2e fixture feeds behind it, and an HTTP
//! client (reqwest) plus a raw socket for paths reqwest would normalize.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

pub const RSS: &str = "application/rss+xml; charset=utf-8";

/// A port nobody listens on right now: bind port 0, read it, let it go.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// `feedmill run` serving the e2e desk (five sources, one failing, one
/// story syndicated twice) on 127.0.0.1:`port`.
pub struct Served {
    pub fixtures: FixtureServer,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub port: u16,
    child: Child,
}

impl Served {
    /// Writes the e2e config plus `[serve]` (and `extra` TOML appended to
    /// the `[serve]` table) and starts the daemon. `setup` may change the
    /// fixture routes before the first poll.
    pub fn start(extra: &str, setup: impl FnOnce(&FixtureServer)) -> Served {
        Served::start_edited(extra, |text| text, setup)
    }

    /// [`Served::start`], with `edit` applied to the config text first.
    pub fn start_edited(
        extra: &str,
        edit: impl FnOnce(String) -> String,
        setup: impl FnOnce(&FixtureServer),
    ) -> Served {
        let fixtures = FixtureServer::start();
        fixtures.set(
            "/kosovo-online.rss",
            Route::feed(fixture("e2e/kosovo-online.rss"), RSS).with_etag("\"ko-v1\""),
        );
        fixtures.set(
            "/telegrafi.rss",
            Route::feed(fixture("e2e/telegrafi.rss"), RSS).delayed(400),
        );
        fixtures.set("/kossev.rss", Route::feed(fixture("e2e/kossev.rss"), RSS));
        fixtures.set(
            "/rts.rss",
            Route::feed(
                fixture("e2e/rts-cyrillic.windows-1251.rss"),
                "text/xml; charset=windows-1251",
            ),
        );
        fixtures.set("/gone.rss", Route::status(500));
        setup(&fixtures);
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("feedmill.toml");
        let port = free_port();
        let text = String::from_utf8(fixture("e2e/config.toml.in"))
            .expect("utf-8")
            .replace("@BASE@", &fixtures.base)
            // Hourly: the first poll happens at start (never polled
            // before), and nothing changes under the test afterwards.
            .replace("cron = \"*/15 * * * *\"", "cron = \"0 0 * * * *\"");
        let text = edit(text);
        let text = format!("{text}\n[serve]\nlisten = \"127.0.0.1:{port}\"\n{extra}\n");
        std::fs::write(&config, text).expect("write config");
        let child = spawn(&config, dir.path());
        Served {
            fixtures,
            dir,
            config,
            port,
            child,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn out(&self, rel: &str) -> PathBuf {
        self.dir.path().join("public").join(rel)
    }

    pub fn child_id(&self) -> u32 {
        self.child.id()
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// Polls `/healthz` until it answers 200, returning its body.
    pub fn wait_healthy(&mut self, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(r) = raw_request(self.port, "GET /healthz HTTP/1.1", &[]) {
                if r.status == 200 {
                    return r.text();
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("feedmill exited with {status:?}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "/healthz not 200 within {within:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then the exit status and how long stopping took.
    pub fn stop(mut self) -> (ExitStatus, Duration, String) {
        let start = Instant::now();
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = start + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return (status, start.elapsed(), self.log());
            }
            assert!(
                Instant::now() < deadline,
                "feedmill did not stop within 15 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(config: &Path, dir: &Path) -> Child {
    let log = std::fs::File::create(dir.join("stderr.log")).expect("log file");
    Command::new(env!("CARGO_BIN_EXE_feedmill"))
        .arg("--config")
        .arg(config)
        .arg("run")
        .env_remove("RUST_LOG")
        .env_remove("FEEDMILL_CONFIG")
        .env_remove("NOTIFY_SOCKET")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start feedmill run")
}

/// A response read off a raw socket.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request_line` exactly as given (no URL normalization), with
/// `Connection: close`, and reads the whole answer.
pub fn raw_request(port: u16, request_line: &str, headers: &[&str]) -> std::io::Result<RawReply> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!("{request_line}\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(RawReply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

/// A blocking wrapper around an async reqwest client: each call runs on a
/// runtime of its own, so tests stay plain `#[test]` functions.
pub struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

/// What a test looks at in a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Http {
    /// `decompress`: whether the client asks for gzip and decodes it (as
    /// readers do); without, nothing is asked and bytes come as sent.
    pub fn new(decompress: bool) -> Http {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(10));
        if !decompress {
            builder = builder.no_gzip().no_brotli().no_deflate();
        }
        Http {
            runtime,
            client: builder.build().expect("client"),
        }
    }

    pub fn request(&self, method: &str, url: &str, headers: &[(&str, &str)]) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response
                .bytes()
                .await
                .unwrap_or_else(|e| panic!("{url}: body: {e}"))
                .to_vec();
            Reply {
                status,
                headers,
                body,
            }
        })
    }

    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Reply {
        self.request("GET", url, headers)
    }
}
