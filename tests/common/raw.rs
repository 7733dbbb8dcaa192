//! A bare HTTP/1.1 server on std's `TcpListener`, for answers tiny_http
//! cannot give: a body dripped a byte at a time, an endless body, bodies
//! computed per request. One thread per connection, `Connection: close`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the server answers to one request.
#[derive(Clone)]
pub enum Reply {
    /// A complete answer with `Content-Length`.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// 200, then `body` one byte per `every`, repeated for as long as the
    /// client listens.
    Drip { every: Duration, body: Vec<u8> },
    /// 200 without a length, then `chunk` over and over as fast as the
    /// client reads, until it hangs up.
    Endless { chunk: Vec<u8> },
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn status(status: u16, headers: &[(&str, &str)]) -> Reply {
        Reply::Full {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: format!("status {status}\n").into_bytes(),
        }
    }
}

type Handler = dyn Fn(&str) -> Reply + Send + Sync;

/// Serves `handler(path)` on 127.0.0.1:<random port> until the test
/// process ends.
pub struct RawServer {
    pub base: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    pub fn start(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let s = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (h, s) = (Arc::clone(&handler), Arc::clone(&s));
                thread::spawn(move || serve(stream, &*h, &s));
            }
        });
        RawServer {
            base: format!("http://127.0.0.1:{port}"),
            seen,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// How many requests asked for `path`.
    pub fn requests(&self, path: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }

    /// Every path requested, in order.
    pub fn all_requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(path) = read_request_path(&mut stream) else {
        return;
    };
    seen.lock().unwrap().push(path.clone());
    let head = |status: u16, headers: &[(String, String)], length: Option<usize>| {
        let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (k, v) in headers {
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(n) = length {
            h.push_str(&format!("Content-Length: {n}\r\n"));
        }
        h.push_str("Connection: close\r\n\r\n");
        h.into_bytes()
    };
    let streaming = [(
        "Content-Type".to_string(),
        "application/rss+xml".to_string(),
    )];
    // Write errors mean the client hung up, which is how every endless
    // answer is meant to end.
    match handler(&path) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let _ = stream.write_all(&head(status, &headers, Some(body.len())));
            let _ = stream.write_all(&body);
        }
        Reply::Drip { every, body } => {
            if stream.write_all(&head(200, &streaming, None)).is_err() {
                return;
            }
            for b in body.iter().cycle() {
                if stream
                    .write_all(&[*b])
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    return;
                }
                thread::sleep(every);
            }
        }
        Reply::Endless { chunk } => {
            if stream.write_all(&head(200, &streaming, None)).is_err() {
                return;
            }
            while stream.write_all(&chunk).is_ok() {}
        }
    }
}

/// The path of a `GET PATH HTTP/1.x` request; the headers are read and
/// dropped.
fn read_request_path(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if buf.len() > 64 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&buf);
    let line = text.lines().next()?;
    line.split_whitespace().nth(1).map(str::to_string)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}
