//! Fetcher: HTTP with bounded concurrency, per-host limits, conditional GET
//! and a body size limit enforced while streaming.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::HttpConfig;

/// Redirect hops followed before giving up.
pub const MAX_REDIRECTS: usize = 10;

/// The longest `Retry-After` honoured, so a broken or hostile server cannot
/// park a source for years.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Validators from the previous successful fetch, sent back as-is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a fetch brought back.
// One value per fetch, moved once: boxing the body would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: nothing to parse or store.
    NotModified {
        /// Until when the server says its answer stays fresh.
        fresh_until: Option<DateTime<Utc>>,
    },
    Fetched(FetchedBody),
}

/// A 2xx answer, its body read in full (within `max_body_bytes`).
#[derive(Debug)]
pub struct FetchedBody {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// Where the body came from after redirects.
    pub final_url: Url,
    /// Set when a permanent redirect (301/308) was followed: the address the
    /// user should put in the config.
    pub permanent_redirect: Option<Url>,
    /// Until when the server says its answer stays fresh (Cache-Control
    /// `max-age`, else `Expires`); uncapped: the caller decides how much
    /// to honour.
    pub fresh_until: Option<DateTime<Utc>>,
    /// When the first request was sent (after waiting for a free slot):
    /// where the source's time budget (`[limits] source_timeout`) starts.
    pub started: Instant,
}

/// A failed fetch: one sentence naming the URL.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub message: String,
    /// From `Retry-After` on 429/503.
    pub retry_after: Option<DateTime<Utc>>,
}

/// The HTTP client of the pipeline: one per process, shared by all polls.
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body_bytes: u64,
    /// Requests in flight in total.
    total: Arc<Semaphore>,
    per_host: usize,
    /// Requests in flight per `host:port`; entries live as long as the
    /// fetcher, one per host ever contacted.
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Fetcher {
    /// A client with the configured user agent, timeout and limits,
    /// decompressing gzip, brotli and deflate, following no redirect by
    /// itself (`fetch` follows them, to know whether each was permanent).
    pub fn new(config: &HttpConfig) -> Result<Fetcher, FetchError> {
        // reqwest is built without a crypto provider; an Err only means one
        // is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.as_str())
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .build()
            .map_err(|e| FetchError {
                message: format!("cannot set up the HTTP client: {}", root_cause(&e)),
                retry_after: None,
            })?;
        Ok(Fetcher {
            client,
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
            total: Arc::new(Semaphore::new(config.concurrency.max(1))),
            per_host: config.per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// GETs `url`, conditionally when `validators` has values, following up
    /// to `MAX_REDIRECTS` redirects to http(s) addresses.
    ///
    /// Waiting for a free slot (total or per host) does not count towards
    /// the timeout; everything from the first byte sent to the last byte
    /// read does.
    pub async fn fetch(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let closed = || FetchError::new(url, url, "the fetcher is shut down");
        let _total = self
            .total
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| closed())?;
        let permit = self.host_permit(url).await.ok_or_else(closed)?;
        let started = Instant::now();
        let hops = self.fetch_hops(url, validators, permit, started);
        match tokio::time::timeout(self.timeout, hops).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::new(
                url,
                url,
                &format!("timed out after {}", human_duration(self.timeout)),
            )),
        }
    }

    async fn host_permit(&self, url: &Url) -> Option<OwnedSemaphorePermit> {
        let key = host_key(url);
        let semaphore = {
            // A poisoned lock only means another task panicked while
            // inserting; the map itself is still usable.
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            hosts
                .entry(key)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        semaphore.acquire_owned().await.ok()
    }

    async fn fetch_hops(
        &self,
        url: &Url,
        validators: &Validators,
        first_permit: OwnedSemaphorePermit,
        started: Instant,
    ) -> Result<FetchOutcome, FetchError> {
        let mut current = url.clone();
        let mut permit = first_permit;
        let mut visited = vec![url.clone()];
        let mut all_permanent = true;
        loop {
            let response = self
                .client
                .get(current.clone())
                .headers(conditional_headers(validators))
                .send()
                .await
                .map_err(|e| self.request_error(url, &current, &e))?;
            let status = response.status();
            if is_redirect(status) {
                let next = redirect_target(url, &current, response.headers())?;
                if visited.contains(&next) {
                    return Err(FetchError::new(
                        url,
                        &current,
                        &format!("redirect loop back to {next}"),
                    ));
                }
                if visited.len() > MAX_REDIRECTS {
                    return Err(FetchError::new(
                        url,
                        &current,
                        &format!("more than {MAX_REDIRECTS} redirects"),
                    ));
                }
                all_permanent &= matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                if host_key(&next) != host_key(&current) {
                    drop(permit);
                    permit = self
                        .host_permit(&next)
                        .await
                        .ok_or_else(|| FetchError::new(url, &next, "the fetcher is shut down"))?;
                }
                visited.push(next.clone());
                current = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(FetchOutcome::NotModified {
                    fresh_until: fresh_until(response.headers(), Utc::now()),
                });
            }
            if !status.is_success() {
                let retry_after = match status {
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                        retry_after(response.headers(), Utc::now())
                    }
                    _ => None,
                };
                let reason = status.canonical_reason().unwrap_or("");
                let mut e = FetchError::new(
                    url,
                    &current,
                    format!("HTTP {} {reason}", status.as_u16()).trim_end(),
                );
                e.retry_after = retry_after;
                return Err(e);
            }
            let headers = response.headers();
            let content_type = header_string(headers, reqwest::header::CONTENT_TYPE);
            let validators = Validators {
                etag: header_string(headers, reqwest::header::ETAG),
                last_modified: header_string(headers, reqwest::header::LAST_MODIFIED),
            };
            let fresh_until = fresh_until(headers, Utc::now());
            let body = self.read_body(url, &current, response).await?;
            let permanent_redirect = (visited.len() > 1 && all_permanent).then(|| current.clone());
            return Ok(FetchOutcome::Fetched(FetchedBody {
                body,
                content_type,
                validators,
                final_url: current,
                permanent_redirect,
                fresh_until,
                started,
            }));
        }
    }

    /// Reads the body chunk by chunk, counting bytes after decompression,
    /// and stops as soon as the limit is passed (a gzip bomb or an endless
    /// body costs at most `max_body_bytes` of memory).
    async fn read_body(
        &self,
        url: &Url,
        current: &Url,
        response: reqwest::Response,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = self.max_body_bytes;
        let too_large = || {
            FetchError::new(
                url,
                current,
                &format!("body larger than the limit of {limit} bytes"),
            )
        };
        // Without decompression, Content-Length tells up front.
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.request_error(url, current, &e))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn request_error(&self, url: &Url, current: &Url, e: &reqwest::Error) -> FetchError {
        let what = if e.is_timeout() {
            format!("timed out after {}", human_duration(self.timeout))
        } else if e.is_connect() {
            format!("cannot connect: {}", root_cause(e))
        } else if e.is_body() || e.is_decode() {
            format!("cannot read the body: {}", root_cause(e))
        } else {
            root_cause(e)
        };
        FetchError::new(url, current, &what)
    }
}

impl FetchError {
    /// "GET URL: what", naming the redirect target too when it differs.
    fn new(url: &Url, current: &Url, what: &str) -> FetchError {
        let message = if url == current {
            format!("GET {url}: {what}")
        } else {
            format!("GET {url} (redirected to {current}): {what}")
        };
        FetchError {
            message,
            retry_after: None,
        }
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

fn redirect_target(url: &Url, current: &Url, headers: &HeaderMap) -> Result<Url, FetchError> {
    let location = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| FetchError::new(url, current, "redirect without a Location header"))?;
    let next = current.join(location).map_err(|e| {
        FetchError::new(
            url,
            current,
            &format!("redirect to an invalid address {location:?}: {e}"),
        )
    })?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(FetchError::new(
            url,
            current,
            &format!("redirect to {next}, which is not http or https"),
        ));
    }
    Ok(next)
}

/// If-None-Match / If-Modified-Since, byte for byte as the server sent them.
/// A stored value that is not a valid header value is not sent.
fn conditional_headers(validators: &Validators) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let pairs = [
        (reqwest::header::IF_NONE_MATCH, &validators.etag),
        (
            reqwest::header::IF_MODIFIED_SINCE,
            &validators.last_modified,
        ),
    ];
    for (name, value) in pairs {
        if let Some(v) = value
            .as_deref()
            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
        {
            headers.insert(name, v);
        }
    }
    headers
}

fn header_string(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        .map(str::to_string)
}

/// `Retry-After` as delta-seconds or an HTTP-date, capped at `MAX_RETRY_AFTER`.
fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let max = now + chrono::Duration::from_std(MAX_RETRY_AFTER).ok()?;
    if let Ok(secs) = value.parse::<u64>() {
        let secs = secs.min(MAX_RETRY_AFTER.as_secs());
        return Some(now + chrono::Duration::seconds(i64::try_from(secs).ok()?));
    }
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is RFC 2822 syntax.
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some(at.clamp(now, max))
}

/// How long a response stays fresh by its headers: `Cache-Control:
/// max-age` (ignored with `no-cache`/`no-store`), else `Expires` read
/// against the server's `Date` (so a wrong server clock does not matter).
fn fresh_until(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let http_date = |name| {
        let value = headers.get(name)?.to_str().ok()?;
        DateTime::parse_from_rfc2822(value.trim())
            .ok()
            .map(|d| d.with_timezone(&Utc))
    };
    let mut max_age = None;
    for value in headers.get_all(reqwest::header::CACHE_CONTROL) {
        for directive in value.to_str().unwrap_or("").split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            if directive == "no-cache" || directive == "no-store" {
                return None;
            }
            if let Some(secs) = directive.strip_prefix("max-age=") {
                max_age = secs.trim_matches('"').parse::<u32>().ok();
            }
        }
    }
    if let Some(secs) = max_age {
        return Some(now + chrono::Duration::seconds(i64::from(secs)));
    }
    let expires = http_date(reqwest::header::EXPIRES)?;
    let server_now = http_date(reqwest::header::DATE).unwrap_or(now);
    let lifetime = expires - server_now;
    (lifetime > chrono::Duration::zero()).then(|| now + lifetime)
}

/// The per-host limit's key: host and port (scheme default when absent).
fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// The innermost error: reqwest's outer layers repeat the URL and say
/// "error sending request", which the message already conveys.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// "30s", "1500ms": how the contract writes durations.
pub(crate) fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_comes_from_max_age_or_expires() {
        let now = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(*k, HeaderValue::from_str(v).unwrap());
            }
            h
        };
        let minutes = |m| Some(now + chrono::Duration::minutes(m));
        let table: [(&[(&'static str, &str)], _); 7] = [
            (&[("cache-control", "public, max-age=600")], minutes(10)),
            (&[("cache-control", "max-age=\"60\"")], minutes(1)),
            (&[("cache-control", "no-cache, max-age=600")], None),
            (&[("cache-control", "max-age=soon")], None),
            (
                &[
                    ("expires", "Wed, 01 May 2024 12:30:00 GMT"),
                    ("date", "Wed, 01 May 2024 12:00:00 GMT"),
                ],
                minutes(30),
            ),
            (&[("expires", "Wed, 01 May 2024 09:00:00 GMT")], None),
            (&[], None),
        ];
        for (pairs, want) in table {
            assert_eq!(fresh_until(&headers(pairs), now), want, "{pairs:?}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates_and_caps_them() {
        let now = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let table = [
            ("120", Some(at("2024-05-01T10:02:00Z"))),
            (" 0 ", Some(now)),
            (
                "Wed, 01 May 2024 10:30:00 GMT",
                Some(at("2024-05-01T10:30:00Z")),
            ),
            ("Wed, 01 May 2024 09:00:00 GMT", Some(now)),
            ("99999999999", Some(at("2024-05-02T10:00:00Z"))),
            (
                "Fri, 01 May 2099 10:00:00 GMT",
                Some(at("2024-05-02T10:00:00Z")),
            ),
            ("-5", None),
            ("soon", None),
        ];
        for (value, want) in table {
            let mut h = HeaderMap::new();
            h.insert(
                reqwest::header::RETRY_AFTER,
                HeaderValue::from_str(value).unwrap(),
            );
            assert_eq!(retry_after(&h, now), want, "{value:?}");
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn durations_read_like_the_config() {
        assert_eq!(human_duration(Duration::from_secs(30)), "30s");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1500ms");
    }

    #[test]
    fn host_key_includes_the_port() {
        let k = |s: &str| host_key(&Url::parse(s).unwrap());
        assert_eq!(k("https://Example.org/a"), "example.org:443");
        assert_eq!(k("http://example.org/a"), "example.org:80");
        assert_ne!(k("http://127.0.0.1:1/"), k("http://127.0.0.1:2/"));
    }
}
