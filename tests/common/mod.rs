//! Test support: an HTTP server on 127.0.0.1 serving fixture feeds, and
//! helpers to run the real `feedmill` binary.
#![allow(dead_code)]

pub mod html_check;
pub mod raw;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;

/// One route of the fixture server.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: String,
    /// When set, sent as ETag and honoured in If-None-Match (304).
    pub etag: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Wait this long before answering (to order concurrent polls in a test).
    pub delay_ms: u64,
}

impl Route {
    pub fn feed(body: impl Into<Vec<u8>>, content_type: &str) -> Route {
        Route {
            status: 200,
            body: body.into(),
            content_type: content_type.to_string(),
            etag: None,
            headers: Vec::new(),
            delay_ms: 0,
        }
    }

    pub fn with_etag(mut self, etag: &str) -> Route {
        self.etag = Some(etag.to_string());
        self
    }

    pub fn delayed(mut self, ms: u64) -> Route {
        self.delay_ms = ms;
        self
    }

    pub fn status(status: u16) -> Route {
        Route {
            status,
            body: format!("status {status}").into_bytes(),
            content_type: "text/plain".into(),
            etag: None,
            headers: Vec::new(),
            delay_ms: 0,
        }
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    pub path: String,
    pub if_none_match: Option<String>,
    pub user_agent: Option<String>,
    pub status: u16,
}

/// Serves `routes` on 127.0.0.1:<random port> from a background thread until
/// dropped with the test process.
pub struct FixtureServer {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
}

impl FixtureServer {
    pub fn start() -> FixtureServer {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = server.server_addr().to_ip().expect("ip address").port();
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let seen: Arc<Mutex<Vec<SeenRequest>>> = Arc::default();
        let (r, s) = (Arc::clone(&routes), Arc::clone(&seen));
        thread::spawn(move || {
            for request in server.incoming_requests() {
                let (r, s) = (Arc::clone(&r), Arc::clone(&s));
                // One thread per request, so a slow route does not hold up others.
                thread::spawn(move || serve(request, &r, &s));
            }
        });
        FixtureServer {
            base: format!("http://127.0.0.1:{port}"),
            routes,
            seen,
        }
    }

    pub fn set(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_string(), route);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn requests(&self, path: &str) -> Vec<SeenRequest> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

fn serve(
    mut request: tiny_http::Request,
    routes: &Mutex<HashMap<String, Route>>,
    seen: &Mutex<Vec<SeenRequest>>,
) {
    let mut sink = Vec::new();
    let _ = request.as_reader().read_to_end(&mut sink);
    let header = |name: &'static str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    let path = request.url().to_string();
    let if_none_match = header("If-None-Match");
    let user_agent = header("User-Agent");
    let route = routes.lock().unwrap().get(&path).cloned();
    let route = route.unwrap_or_else(|| Route::status(404));
    if route.delay_ms > 0 {
        thread::sleep(std::time::Duration::from_millis(route.delay_ms));
    }
    let not_modified = route.etag.is_some() && if_none_match == route.etag;
    let status = if not_modified { 304 } else { route.status };
    seen.lock().unwrap().push(SeenRequest {
        path,
        if_none_match,
        user_agent,
        status,
    });
    let body = if not_modified {
        Vec::new()
    } else {
        route.body.clone()
    };
    let mut response = tiny_http::Response::from_data(body).with_status_code(status);
    let mut add = |k: &str, v: &str| {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            response.add_header(h);
        }
    };
    add("Content-Type", &route.content_type);
    if let Some(etag) = &route.etag {
        add("ETag", etag);
    }
    for (k, v) in &route.headers {
        add(k, v);
    }
    let _ = request.respond(response);
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Runs the real binary with `--config CONFIG ARGS…`.
pub fn feedmill(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feedmill"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("FEEDMILL_CONFIG")
        .output()
        .expect("run feedmill")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success, showing stderr when not.
pub fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "feedmill failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    o
}

/// Runs ../shared/tools/validate-atom on `files`; panics with its report
/// when any file is invalid or the validator cannot run.
pub fn validate_atom(files: &[PathBuf]) {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/validate-atom");
    assert!(tool.exists(), "validator missing at {}", tool.display());
    let out = Command::new(&tool)
        .arg("-q")
        .args(files)
        .output()
        .expect("run validate-atom");
    assert!(
        out.status.success(),
        "validate-atom failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A parsed output feed, as a reader sees it.
pub fn read_feed(path: &Path) -> feed_rs::model::Feed {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// The parts of an output entry a reader looks at, read from an Atom file.
#[derive(Debug)]
pub struct Seen {
    pub id: String,
    pub title: String,
    pub updated: String,
    pub alternate: Option<String>,
    pub related: Vec<String>,
    pub topics: BTreeSet<String>,
    pub labels: Vec<(String, String)>,
    pub regions: BTreeSet<String>,
    pub source_title: Option<String>,
    pub content: String,
}

pub fn entries(path: &Path) -> Vec<Seen> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
    let atom = "http://www.w3.org/2005/Atom";
    let child_text = |n: roxmltree::Node, name: &str| {
        n.children()
            .find(|c| c.has_tag_name((atom, name)))
            .and_then(|c| c.text())
            .map(str::to_string)
    };
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name((atom, "entry")))
        .map(|e| {
            let links: Vec<_> = e
                .children()
                .filter(|c| c.has_tag_name((atom, "link")))
                .collect();
            let rel = |l: &roxmltree::Node| l.attribute("rel").unwrap_or("alternate").to_string();
            let cats: Vec<_> = e
                .children()
                .filter(|c| c.has_tag_name((atom, "category")))
                .collect();
            let is_region =
                |c: &roxmltree::Node| c.attribute("scheme") == Some("urn:feedmill:region");
            Seen {
                id: child_text(e, "id").unwrap_or_default(),
                title: child_text(e, "title").unwrap_or_default(),
                updated: child_text(e, "updated").unwrap_or_default(),
                alternate: links
                    .iter()
                    .find(|l| rel(l) == "alternate")
                    .and_then(|l| l.attribute("href"))
                    .map(str::to_string),
                related: links
                    .iter()
                    .filter(|l| rel(l) == "related")
                    .filter_map(|l| l.attribute("href"))
                    .map(str::to_string)
                    .collect(),
                topics: cats
                    .iter()
                    .filter(|c| !is_region(c))
                    .filter_map(|c| c.attribute("term"))
                    .map(str::to_string)
                    .collect(),
                labels: cats
                    .iter()
                    .filter(|c| !is_region(c))
                    .map(|c| {
                        (
                            c.attribute("term").unwrap_or_default().to_string(),
                            c.attribute("label").unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
                regions: cats
                    .iter()
                    .filter(|c| is_region(c))
                    .filter_map(|c| c.attribute("term"))
                    .map(str::to_string)
                    .collect(),
                source_title: e
                    .children()
                    .find(|c| c.has_tag_name((atom, "source")))
                    .and_then(|s| child_text(s, "title")),
                content: format!(
                    "{}{}",
                    child_text(e, "summary").unwrap_or_default(),
                    child_text(e, "content").unwrap_or_default()
                ),
            }
        })
        .collect()
}

impl Seen {
    /// Topic and region terms together.
    pub fn categories(&self) -> BTreeSet<String> {
        self.topics.union(&self.regions).cloned().collect()
    }
}

/// Every file below `dir` (temporary files included), sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The Atom files below `dir`, sorted.
pub fn atom_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "atom"))
        .collect()
}

/// Writes `text` as a config file in a new folder and loads it.
pub fn load_text(
    text: &str,
) -> (
    tempfile::TempDir,
    PathBuf,
    Result<feedmill::config::Config, feedmill::config::ConfigError>,
) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("feedmill.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("write: {e}"));
    let result = feedmill::config::Config::load(&path);
    (dir, path, result)
}

/// Each row (what, config text, "line:col", key, fragment) must be refused
/// with one line starting `FILE:LINE:COL: KEY: ` and containing `fragment`.
pub fn assert_config_errors(table: &[(&str, String, &str, &str, &str)]) {
    let mut failures = Vec::new();
    for (what, text, line_col, key, fragment) in table {
        let (_dir, path, result) = load_text(text);
        match result {
            Ok(_) => failures.push(format!("{what}: accepted")),
            Err(e) => {
                let msg = e.to_string();
                let want = format!("{}:{line_col}: {key}: ", path.display());
                if !msg.starts_with(&want) || !msg.contains(fragment) || msg.contains('\n') {
                    failures.push(format!(
                        "{what}:\n  want prefix {want:?} and {fragment:?}\n  got {msg:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
