//! Fetcher tests against real HTTP servers on 127.0.0.1 (tiny_http in threads).

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use feedmill::config::HttpConfig;
use feedmill::fetch::{FetchOutcome, FetchedBody, Fetcher, Validators};
use url::Url;

/// What the test server answers.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Body,
    delay: Duration,
}

enum Body {
    Bytes(Vec<u8>),
    /// Zeros, forever, chunked.
    Endless,
}

impl Reply {
    fn ok(body: &str) -> Reply {
        Reply::status(200).body(body.as_bytes().to_vec())
    }
    fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            delay: Duration::ZERO,
        }
    }
    fn redirect(status: u16, to: &str) -> Reply {
        Reply::status(status).header("Location", to)
    }
    fn header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }
    fn body(mut self, body: Vec<u8>) -> Reply {
        self.body = Body::Bytes(body);
        self
    }
    fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

/// A request as the server saw it; header names lower-cased.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Requests being answered right now, and the most at any one time.
#[derive(Default)]
struct Counters {
    now: AtomicUsize,
    max: AtomicUsize,
}

struct TestServer {
    base: Url,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TestServer {
    fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

fn serve(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> TestServer {
    serve_counted(handler, Arc::new(Counters::default()))
}

/// Answers each request in its own thread, so slow answers overlap.
fn serve_counted(
    handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    counters: Arc<Counters>,
) -> TestServer {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let addr = server.server_addr().to_ip().unwrap();
    let base = Url::parse(&format!("http://{addr}/")).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handler: Arc<Handler> = Arc::new(handler);
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let (handler, seen, counters) = (handler.clone(), seen2.clone(), counters.clone());
            std::thread::spawn(move || answer(request, &*handler, &seen, &counters));
        }
    });
    TestServer { base, seen }
}

fn answer(request: tiny_http::Request, handler: &Handler, seen: &Mutex<Vec<Seen>>, c: &Counters) {
    let s = Seen {
        path: request.url().to_string(),
        headers: request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    h.value.as_str().to_string(),
                )
            })
            .collect(),
    };
    seen.lock().unwrap().push(s.clone());
    let now = c.now.fetch_add(1, Ordering::SeqCst) + 1;
    c.max.fetch_max(now, Ordering::SeqCst);
    let reply = handler(&s);
    std::thread::sleep(reply.delay);
    // Counted out before answering: the client may send its next request
    // as soon as it has this answer.
    c.now.fetch_sub(1, Ordering::SeqCst);
    let headers: Vec<tiny_http::Header> = reply
        .headers
        .iter()
        .map(|(n, v)| tiny_http::Header::from_bytes(n.as_bytes(), v.as_bytes()).unwrap())
        .collect();
    let status = tiny_http::StatusCode(reply.status);
    // Errors here mean the client hung up (e.g. it stopped reading at the limit).
    let _ = match reply.body {
        Body::Bytes(b) => {
            let len = b.len();
            request.respond(tiny_http::Response::new(
                status,
                headers,
                &b[..],
                Some(len),
                None,
            ))
        }
        Body::Endless => {
            request.respond(tiny_http::Response::new(status, headers, Zeros, None, None))
        }
    };
}

struct Zeros;

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        buf.fill(0);
        Ok(buf.len())
    }
}

fn config() -> HttpConfig {
    HttpConfig {
        user_agent: "feedmill-test/1.0".into(),
        timeout: Duration::from_secs(10),
        max_body_bytes: 1 << 20,
        concurrency: 8,
        per_host: 2,
    }
}

async fn get(fetcher: &Fetcher, url: &Url) -> FetchedBody {
    match fetcher.fetch(url, &Validators::default()).await.unwrap() {
        FetchOutcome::Fetched(b) => b,
        FetchOutcome::NotModified { .. } => panic!("unexpected 304 from {url}"),
    }
}

async fn get_err(fetcher: &Fetcher, url: &Url) -> feedmill::fetch::FetchError {
    match fetcher.fetch(url, &Validators::default()).await {
        Err(e) => e,
        Ok(FetchOutcome::NotModified { .. }) => panic!("{url}: expected an error, got 304"),
        Ok(FetchOutcome::Fetched(b)) => {
            panic!("{url}: expected an error, got {} bytes", b.body.len())
        }
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn a_200_brings_body_type_and_validators_and_sends_the_user_agent() {
    let server = serve(|_| {
        Reply::ok("<rss/>")
            .header("Content-Type", "application/rss+xml; charset=windows-1251")
            .header("ETag", "W/\"abc-1\"")
            .header("Last-Modified", "Wed, 01 May 2024 10:00:00 GMT")
    });
    let fetcher = Fetcher::new(&config()).unwrap();
    let url = server.url("/rss");
    let got = get(&fetcher, &url).await;
    assert_eq!(got.body, b"<rss/>");
    assert_eq!(
        got.content_type.as_deref(),
        Some("application/rss+xml; charset=windows-1251")
    );
    assert_eq!(got.validators.etag.as_deref(), Some("W/\"abc-1\""));
    assert_eq!(
        got.validators.last_modified.as_deref(),
        Some("Wed, 01 May 2024 10:00:00 GMT")
    );
    assert_eq!((got.final_url, got.permanent_redirect), (url, None));
    let seen = server.seen();
    assert_eq!(seen[0].header("user-agent"), Some("feedmill-test/1.0"));
    assert_eq!(seen[0].header("if-none-match"), None);
}

#[tokio::test]
async fn a_conditional_request_sends_the_validators_and_a_304_is_not_modified() {
    let server = serve(|req| {
        if req.header("if-none-match") == Some("\"v1\"") {
            Reply::status(304)
        } else {
            Reply::ok("feed")
                .header("ETag", "\"v1\"")
                .header("Last-Modified", "Wed, 01 May 2024 10:00:00 GMT")
        }
    });
    let fetcher = Fetcher::new(&config()).unwrap();
    let url = server.url("/feed");
    let first = get(&fetcher, &url).await;
    let second = fetcher.fetch(&url, &first.validators).await.unwrap();
    assert!(
        matches!(second, FetchOutcome::NotModified { .. }),
        "{second:?}"
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        seen[1].header("if-modified-since"),
        Some("Wed, 01 May 2024 10:00:00 GMT")
    );
}

#[tokio::test]
async fn a_gzip_body_is_decompressed() {
    let text = "<feed>Вести из Приштине, vesti iz Prištine</feed>".repeat(50);
    let compressed = gzip(text.as_bytes());
    let server = serve(move |_| {
        Reply::status(200)
            .header("Content-Encoding", "gzip")
            .body(compressed.clone())
    });
    let fetcher = Fetcher::new(&config()).unwrap();
    let got = get(&fetcher, &server.url("/gz")).await;
    assert_eq!(got.body, text.as_bytes());
    let accepted = server.seen()[0]
        .header("accept-encoding")
        .unwrap_or("")
        .to_string();
    assert!(
        accepted.contains("gzip") && accepted.contains("br"),
        "{accepted}"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_fail_early_naming_url_and_limit() {
    const LIMIT: usize = 100_000;
    let big = vec![b'x'; 5 * LIMIT];
    // Small on the wire, 16 MiB once decompressed: only counting after
    // decompression catches it.
    let bomb = gzip(&vec![0u8; 16 << 20]);
    assert!(
        bomb.len() < LIMIT,
        "the bomb is {} bytes compressed",
        bomb.len()
    );
    let exact = vec![b'y'; LIMIT];
    let server = serve(move |req| match req.path.as_str() {
        "/big" => Reply::status(200).body(big.clone()),
        "/exact" => Reply::status(200).body(exact.clone()),
        "/endless" => Reply {
            body: Body::Endless,
            ..Reply::status(200)
        },
        _ => Reply::status(200)
            .header("Content-Encoding", "gzip")
            .body(bomb.clone()),
    });
    let fetcher = Fetcher::new(&HttpConfig {
        max_body_bytes: LIMIT as u64,
        ..config()
    })
    .unwrap();
    for path in ["/big", "/endless", "/bomb"] {
        let url = server.url(path);
        let started = Instant::now();
        let e = get_err(&fetcher, &url).await.to_string();
        assert_eq!(
            e,
            format!("GET {url}: body larger than the limit of {LIMIT} bytes")
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(
        get(&fetcher, &server.url("/exact")).await.body.len(),
        LIMIT,
        "at the limit is fine"
    );
}

#[tokio::test]
async fn redirects_are_followed_and_only_all_permanent_chains_are_reported() {
    let server = serve(|req| match req.path.as_str() {
        "/moved" => Reply::redirect(301, "/final"),
        "/perm308" => Reply::redirect(308, "/moved"),
        "/found" => Reply::redirect(302, "/final"),
        "/mixed" => Reply::redirect(301, "/found"),
        "/final" => Reply::ok("here"),
        "/loop1" => Reply::redirect(301, "/loop2"),
        "/loop2" => Reply::redirect(302, "/loop1"),
        "/ftp" => Reply::redirect(301, "ftp://example.org/feed"),
        "/nowhere" => Reply::status(301),
        p if p.starts_with("/hop/") => {
            let n: u32 = p[5..].parse().unwrap();
            Reply::redirect(307, &format!("/hop/{}", n + 1))
        }
        _ => Reply::status(404),
    });
    let fetcher = Fetcher::new(&config()).unwrap();
    let final_url = server.url("/final");

    for (path, permanent) in [
        ("/moved", true),
        ("/perm308", true),
        ("/found", false),
        ("/mixed", false),
    ] {
        let got = get(&fetcher, &server.url(path)).await;
        assert_eq!(got.body, b"here", "{path}");
        assert_eq!(got.final_url, final_url, "{path}");
        let want = permanent.then(|| final_url.clone());
        assert_eq!(got.permanent_redirect, want, "{path}");
    }

    let url = server.url("/loop1");
    let e = get_err(&fetcher, &url).await.to_string();
    assert!(
        e.starts_with(&format!("GET {url} (redirected to ")) && e.contains("redirect loop"),
        "{e}"
    );

    let url = server.url("/hop/0");
    let e = get_err(&fetcher, &url).await.to_string();
    assert!(
        e.starts_with(&format!("GET {url}")) && e.contains("more than 10 redirects"),
        "{e}"
    );
    let hops = server
        .seen()
        .iter()
        .filter(|s| s.path.starts_with("/hop/"))
        .count();
    assert_eq!(hops, 11, "the original request and 10 redirects");

    let e = get_err(&fetcher, &server.url("/ftp")).await.to_string();
    assert!(
        e.contains("ftp://example.org/feed") && e.contains("not http or https"),
        "{e}"
    );
    let e = get_err(&fetcher, &server.url("/nowhere")).await.to_string();
    assert!(e.contains("without a Location"), "{e}");
}

#[tokio::test]
async fn a_slow_server_times_out_with_a_clear_message() {
    let server = serve(|_| Reply::ok("late").delay(Duration::from_secs(4)));
    let fetcher = Fetcher::new(&HttpConfig {
        timeout: Duration::from_secs(1),
        ..config()
    })
    .unwrap();
    let url = server.url("/slow");
    let started = Instant::now();
    let e = get_err(&fetcher, &url).await.to_string();
    assert_eq!(e, format!("GET {url}: timed out after 1s"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn error_statuses_name_the_status_and_read_retry_after() {
    let server = serve(|req| match req.path.as_str() {
        "/busy" => Reply::status(429).header("Retry-After", "120"),
        "/down" => Reply::status(503).header("Retry-After", "Wed, 01 May 2024 10:30:00 GMT"),
        "/later" => Reply::status(503).header("Retry-After", "3600"),
        _ => Reply::status(500).header("Retry-After", "120"),
    });
    let fetcher = Fetcher::new(&config()).unwrap();

    let url = server.url("/busy");
    let before = Utc::now();
    let e = get_err(&fetcher, &url).await;
    assert_eq!(e.message, format!("GET {url}: HTTP 429 Too Many Requests"));
    let at = e.retry_after.expect("Retry-After seconds");
    assert!(at >= before + chrono::Duration::seconds(120), "{at}");
    assert!(at <= Utc::now() + chrono::Duration::seconds(120), "{at}");

    // A date already past means "now", not a date in the past.
    let url = server.url("/down");
    let e = get_err(&fetcher, &url).await;
    assert_eq!(
        e.message,
        format!("GET {url}: HTTP 503 Service Unavailable")
    );
    let at = e.retry_after.expect("Retry-After date");
    assert!(at >= before && at <= Utc::now(), "{at}");

    let e = get_err(&fetcher, &server.url("/later")).await;
    assert!(e.retry_after.unwrap() > Utc::now() + chrono::Duration::seconds(3500));

    let e = get_err(&fetcher, &server.url("/oops")).await;
    assert!(
        e.message.ends_with("HTTP 500 Internal Server Error"),
        "{}",
        e.message
    );
    assert_eq!(
        e.retry_after, None,
        "Retry-After only counts on 429 and 503"
    );
}

#[tokio::test]
async fn retry_after_http_date_in_the_future_is_kept() {
    let when = Utc::now() + chrono::Duration::seconds(600);
    let when = Utc.timestamp_opt(when.timestamp(), 0).unwrap();
    let header = when.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let server = serve(move |_| Reply::status(503).header("Retry-After", &header));
    let fetcher = Fetcher::new(&config()).unwrap();
    let e = get_err(&fetcher, &server.url("/")).await;
    assert_eq!(e.retry_after, Some(when));
}

#[tokio::test]
async fn a_refused_connection_is_one_sentence_naming_the_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/rss")).unwrap();
    let fetcher = Fetcher::new(&config()).unwrap();
    let e = get_err(&fetcher, &url).await.to_string();
    assert!(
        e.starts_with(&format!("GET {url}: cannot connect: ")),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
}

/// Fires `n` fetches at once and returns the most requests the servers
/// were answering at the same time.
async fn max_in_flight(per_host: usize, concurrency: usize, servers: usize, n: usize) -> usize {
    let counters = Arc::new(Counters::default());
    let servers: Vec<TestServer> = (0..servers)
        .map(|_| {
            serve_counted(
                |_| Reply::ok("x").delay(Duration::from_millis(150)),
                counters.clone(),
            )
        })
        .collect();
    let fetcher = Fetcher::new(&HttpConfig {
        per_host,
        concurrency,
        ..config()
    })
    .unwrap();
    let urls: Vec<Url> = (0..n)
        .map(|i| servers[i % servers.len()].url(&format!("/{i}")))
        .collect();
    let none = Validators::default();
    let results =
        futures_util::future::join_all(urls.iter().map(|u| fetcher.fetch(u, &none))).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    counters.max.load(Ordering::SeqCst)
}

#[tokio::test]
async fn per_host_and_total_limits_bound_requests_in_flight() {
    assert_eq!(max_in_flight(1, 8, 1, 4).await, 1, "per_host = 1");
    assert!(
        max_in_flight(3, 8, 1, 6).await >= 2,
        "per_host = 3 lets requests overlap"
    );
    // Two servers are two hosts (different ports): only the total limit applies.
    assert_eq!(max_in_flight(4, 1, 2, 4).await, 1, "concurrency = 1");
    assert!(
        max_in_flight(1, 8, 2, 4).await >= 2,
        "one slot per host, two hosts"
    );
}
