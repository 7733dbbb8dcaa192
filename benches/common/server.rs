//! Serves a generated corpus on 127.0.0.1 for the e2e benchmark: hyper 1's
//! HTTP/1 server with keep-alive on a tokio runtime of its own, in a
//! background thread, so the benchmark's own work never delays an answer.
//!
//! Every route answers with an ETag and a Last-Modified date, honours
//! If-None-Match (which takes precedence) and If-Modified-Since with a 304,
//! and sends the body gzipped when the request accepts gzip. Bodies are
//! prepared once (plain and gzipped) and shared, so an answer costs no copy.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// The Last-Modified date of every route.
pub const LAST_MODIFIED: &str = "Wed, 04 Nov 2026 00:00:00 GMT";

/// One route: identity and gzip bodies and their validators.
struct Route {
    ctype: HeaderValue,
    plain: Bytes,
    gzip: Bytes,
    etag: HeaderValue,
}

struct Routes {
    by_path: HashMap<String, Route>,
    last_modified: SystemTime,
}

/// A running server; dropping it stops the server and joins its thread.
pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts serving `feeds` (path, content type, body) on 127.0.0.1 at a free
/// port; route `i` has the ETag `"v{i}"`.
pub fn serve(feeds: &[(String, &'static str, Vec<u8>)]) -> Server {
    let mut by_path = HashMap::with_capacity(feeds.len());
    for (i, (path, ctype, body)) in feeds.iter().enumerate() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body).expect("gzip the corpus in memory");
        let gzip = gz.finish().expect("gzip the corpus in memory");
        by_path.insert(
            path.clone(),
            Route {
                ctype: HeaderValue::from_static(ctype),
                plain: Bytes::from(body.clone()),
                gzip: Bytes::from(gzip),
                etag: HeaderValue::try_from(format!("\"v{i}\"")).expect("ASCII ETag"),
            },
        );
    }
    let routes = Arc::new(Routes {
        by_path,
        last_modified: httpdate::parse_http_date(LAST_MODIFIED).expect("valid HTTP date"),
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let port = listener.local_addr().expect("bound address").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("corpus-server".into())
        .spawn(move || {
            // Two workers: answers never wait behind one another, and the
            // benchmark leaves the rest of the machine to feedmill.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(accept_loop(listener, routes, stopped));
            // Open keep-alive connections end with the runtime.
            runtime.shutdown_background();
        })
        .expect("start the server thread");
    Server {
        base: format!("http://127.0.0.1:{port}"),
        stop: Some(stop),
        thread: Some(thread),
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    routes: Arc<Routes>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                // Out of descriptors or a connection reset before accept:
                // the client retries or reports it; keep accepting.
                Err(_) => continue,
            },
        };
        // Small answers (304s) must not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let routes = Arc::clone(&routes);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let routes = Arc::clone(&routes);
                async move { Ok::<_, Infallible>(answer(&routes, &request)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn answer(routes: &Routes, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let status = |code: StatusCode| {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = code;
        r
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    let Some(route) = routes.by_path.get(request.uri().path()) else {
        return status(StatusCode::NOT_FOUND);
    };
    let headers = request.headers();
    let fresh = if let Some(tags) = headers.get(header::IF_NONE_MATCH) {
        etag_matches(tags, &route.etag)
    } else if let Some(since) = headers.get(header::IF_MODIFIED_SINCE) {
        since
            .to_str()
            .ok()
            .and_then(|s| httpdate::parse_http_date(s).ok())
            .is_some_and(|since| routes.last_modified <= since)
    } else {
        false
    };
    let gzip = accepts_gzip(headers);
    let mut response = if fresh {
        status(StatusCode::NOT_MODIFIED)
    } else {
        let body = if gzip { &route.gzip } else { &route.plain };
        Response::new(Full::new(body.clone()))
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, route.ctype.clone());
    h.insert(header::ETAG, route.etag.clone());
    h.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_static(LAST_MODIFIED),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzip && !fresh {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// If-None-Match: `*` or a list of (possibly weak) entity tags; the weak
/// comparison applies, as RFC 9110 asks for GET.
fn etag_matches(list: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = list.to_str() else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default();
    list.split(',').map(str::trim).any(|tag| {
        tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == ours.trim_start_matches("W/")
    })
}

/// Accept-Encoding names gzip (or x-gzip) without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !refused
        })
}
