//! `[serve]`: the daemon's own HTTP server, so readers can subscribe
//! without a web server in front.
//!
//! hyper's HTTP/1 server on the daemon's tokio runtime: `/` and the files of
//! the output folder ([`files`]), `/healthz` ([`health`]) and `/metrics`
//! ([`metrics`]). It only reads: the daemon keeps writing the files and
//! updating [`ServeState`], and the server answers from them.

mod files;
mod health;
mod metrics;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

pub use health::Health;
pub use metrics::Metrics;

use crate::config::Config;
use files::{Answer, Cache, Site};

/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 512;
/// A client must send its request head within this.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// On shutdown, requests in flight get this long to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// What a request head may weigh (a feed request is a few hundred bytes).
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// Every page we serve is static text: no script runs, nothing is framed.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: http:; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What the daemon shares with the server: the paths to serve, health and
/// metrics. The daemon updates it; requests read it.
#[derive(Debug)]
pub struct ServeState {
    site: RwLock<Site>,
    cache: Cache,
    pub health: Health,
    pub metrics: Metrics,
}

impl ServeState {
    pub fn new(config: &Config) -> Arc<ServeState> {
        let state = ServeState {
            site: RwLock::new(site_of(config)),
            cache: Cache::default(),
            health: Health::default(),
            metrics: Metrics::default(),
        };
        state.reconfigure(config);
        Arc::new(state)
    }

    /// After a reload: the output folder, database and cache lifetime the
    /// new config names, and its sources' metric series. The listening
    /// address is not changed (that needs a restart).
    pub fn reconfigure(&self, config: &Config) {
        *self.site.write().unwrap_or_else(|e| e.into_inner()) = site_of(config);
        self.metrics
            .set_sources(config.sources.iter().map(|s| s.name.as_str()));
    }

    fn site(&self) -> Site {
        self.site.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn site_of(config: &Config) -> Site {
    Site {
        root: config.output_dir(),
        database: config.database.clone(),
        max_age: config.serve.max_age,
    }
}

/// A running server; [`Server::shutdown`] stops it.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Binds `addr` and starts serving on the current runtime.
    pub async fn bind(addr: SocketAddr, state: Arc<ServeState>) -> anyhow::Result<Server> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr} ([serve] listen): {e}"))?;
        let addr = listener.local_addr().unwrap_or(addr);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, state, stopped));
        tracing::info!(%addr, "serving the output folder over HTTP");
        Ok(Server { addr, stop, task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (closing idle
    /// keep-alive connections at once), and returns within a few seconds.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(SHUTDOWN_GRACE * 2, self.task)
            .await
            .is_err()
        {
            tracing::warn!("the HTTP server did not stop in time");
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<ServeState>,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_REQUEST_HEAD);
    loop {
        // Wait for a free slot first, so a flood queues in the backlog
        // instead of in memory.
        let slot = tokio::select! {
            _ = stopped.changed() => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, retry.
                    tracing::warn!("HTTP server cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let state = Arc::clone(&state);
        let service = hyper::service::service_fn(move |req| handle(Arc::clone(&state), req));
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("HTTP connection ended: {e}");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("HTTP requests still in flight after {SHUTDOWN_GRACE:?}; closing them");
    }
}

type Reply = Response<Full<Bytes>>;

async fn handle(state: Arc<ServeState>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    let head = req.method() == Method::HEAD;
    let mut reply = if req.method() != Method::GET && !head {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n", head);
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else {
        match req.uri().path() {
            "/healthz" => {
                let (status, body) = state.health.report();
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                no_store(text(status, &body, head))
            }
            "/metrics" => {
                let mut r = text(StatusCode::OK, &state.metrics.render(), head);
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(metrics::CONTENT_TYPE),
                );
                no_store(r)
            }
            path => serve_file(&state, path.to_string(), req.headers().clone(), head).await,
        }
    };
    let headers = reply.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    tracing::debug!(method = %req.method(), path = req.uri().path(), status = reply.status().as_u16(), "HTTP");
    Ok(reply)
}

async fn serve_file(
    state: &Arc<ServeState>,
    path: String,
    headers: hyper::HeaderMap,
    head: bool,
) -> Reply {
    let site = state.site();
    let max_age = site.max_age.as_secs();
    let state = Arc::clone(state);
    // File system work and hashing stay off the async workers.
    let answer =
        tokio::task::spawn_blocking(move || files::answer(&site, &state.cache, &path, &headers))
            .await
            .unwrap_or_else(|e| Answer::Error(format!("file lookup stopped: {e}")));
    let (status, file, gzip) = match answer {
        Answer::NotFound => return text(StatusCode::NOT_FOUND, "not found\n", head),
        Answer::Error(e) => {
            tracing::warn!("HTTP server: {e}");
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the file\n",
                head,
            );
        }
        Answer::NotModified { file, gzip } => (StatusCode::NOT_MODIFIED, file, gzip),
        Answer::Ok { file, gzip } => (StatusCode::OK, file, gzip),
    };
    let mut builder = Response::builder()
        .status(status)
        .header(header::ETAG, file.etag(gzip))
        .header(header::LAST_MODIFIED, file.last_modified())
        .header(header::CACHE_CONTROL, format!("public, max-age={max_age}"));
    if file.varies() {
        builder = builder.header(header::VARY, "Accept-Encoding");
    }
    if status == StatusCode::NOT_MODIFIED {
        return builder.body(Full::default()).unwrap_or_else(|_| internal());
    }
    let body = file.body(gzip);
    builder = builder
        .header(header::CONTENT_TYPE, file.content_type())
        .header(header::CONTENT_LENGTH, body.len());
    if gzip {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
    }
    let body = if head { Bytes::new() } else { body };
    builder.body(Full::new(body)).unwrap_or_else(|_| internal())
}

/// A plain-text answer (HEAD: the headers of it).
fn text(status: StatusCode, body: &str, head: bool) -> Reply {
    let bytes = Bytes::copy_from_slice(body.as_bytes());
    let mut r = Response::new(Full::new(if head { Bytes::new() } else { bytes }));
    *r.status_mut() = status;
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    r
}

fn no_store(mut r: Reply) -> Reply {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn internal() -> Reply {
    text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n", false)
}
