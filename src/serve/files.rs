//! The output folder over HTTP: path checks, a small content cache, and
//! conditional GET.
//!
//! A request path reaches a file only when every step agrees: no encoded
//! slash, backslash or NUL; no `.`/`..` or hidden segment (the renderer's
//! temporary files start with a dot); a known file type; the canonical path
//! (symlinks resolved) inside the canonical output folder; a regular file;
//! and not the database or one of its journals, compared by device and
//! inode so a hard link or symlink to it is refused too. Everything refused
//! answers 404, so nothing outside the folder can even be probed.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

/// Output files are feeds and a page; anything larger is not ours.
const MAX_FILE_BYTES: u64 = 64 << 20;
/// The cache is dropped whole when it would grow past this.
const MAX_CACHE_BYTES: usize = 128 << 20;
const MAX_CACHE_FILES: usize = 1024;
/// Below this, gzip's header costs more than it saves.
const MIN_GZIP_BYTES: usize = 256;
const MAX_SEGMENTS: usize = 16;

/// Where files come from; read anew on every request so a reload applies.
#[derive(Debug, Clone)]
pub(super) struct Site {
    pub root: PathBuf,
    pub database: PathBuf,
    pub max_age: Duration,
}

/// One file's bytes and validators, valid while the file's identity
/// (device, inode, length, mtime) stays the same. The renderer replaces
/// files by rename, so a new version always has a new inode.
#[derive(Debug)]
pub(super) struct Cached {
    id: FileId,
    body: Bytes,
    content_type: &'static str,
    /// Strong validator of the identity body: a hash of the content.
    etag: String,
    /// The gzip variant's own strong validator.
    etag_gzip: String,
    /// Compressed once, on the first request that accepts it; `None` when
    /// compression does not pay.
    gzip: OnceLock<Option<Bytes>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: SystemTime,
}

/// Files recently served, by canonical path.
#[derive(Debug, Default)]
pub(super) struct Cache {
    files: Mutex<HashMap<PathBuf, Arc<Cached>>>,
}

/// The answer to a file request, before it becomes an HTTP response.
#[derive(Debug)]
pub(super) enum Answer {
    NotFound,
    Error(String),
    NotModified { file: Arc<Cached>, gzip: bool },
    Ok { file: Arc<Cached>, gzip: bool },
}

/// Looks `path` (the request's path, still percent-encoded) up under
/// `site.root` and decides between 200, 304 and 404. Blocking: run it off
/// the async workers.
pub(super) fn answer(site: &Site, cache: &Cache, path: &str, headers: &HeaderMap) -> Answer {
    let Some((segments, content_type)) = resolve(path) else {
        return Answer::NotFound;
    };
    let file = match load(site, cache, &segments, content_type) {
        Ok(Some(file)) => file,
        Ok(None) => return Answer::NotFound,
        Err(e) => return Answer::Error(e),
    };
    let gzip = accepts_gzip(headers) && file.gzipped().is_some();
    if not_modified(headers, &file) {
        Answer::NotModified { file, gzip }
    } else {
        Answer::Ok { file, gzip }
    }
}

impl Cached {
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    pub fn etag(&self, gzip: bool) -> &str {
        if gzip {
            &self.etag_gzip
        } else {
            &self.etag
        }
    }

    pub fn last_modified(&self) -> String {
        httpdate::fmt_http_date(self.id.mtime)
    }

    /// Whether responses vary by Accept-Encoding (compressible types).
    pub fn varies(&self) -> bool {
        compressible(self.content_type)
    }

    pub fn body(&self, gzip: bool) -> Bytes {
        match gzip.then(|| self.gzipped()).flatten() {
            Some(z) => z,
            None => self.body.clone(),
        }
    }

    fn gzipped(&self) -> Option<Bytes> {
        self.gzip
            .get_or_init(|| {
                if !compressible(self.content_type) || self.body.len() < MIN_GZIP_BYTES {
                    return None;
                }
                let z = gzip(&self.body).ok()?;
                (z.len() < self.body.len()).then(|| Bytes::from(z))
            })
            .clone()
    }
}

/// The checked segments of a request path and the file's content type, or
/// `None` for anything that must not reach the file system.
pub(super) fn resolve(path: &str) -> Option<(Vec<String>, &'static str)> {
    if !path.starts_with('/') || path.contains('\\') {
        return None;
    }
    let lower = path.to_ascii_lowercase();
    // An encoded slash would become a separator only after the checks.
    if ["%2f", "%5c", "%00"].iter().any(|bad| lower.contains(bad)) {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    if decoded.chars().any(char::is_control) {
        return None;
    }
    let mut segments: Vec<String> = decoded
        .split('/')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if decoded.ends_with('/') {
        segments.push("index.html".into());
    }
    if segments.len() > MAX_SEGMENTS {
        return None;
    }
    // `.` and `..` start with a dot too; so do the renderer's temp files.
    if segments.iter().any(|s| s.starts_with('.') || s.len() > 255) {
        return None;
    }
    let last = segments.last()?;
    let (_, ext) = last.rsplit_once('.')?;
    let content_type = content_type(&ext.to_ascii_lowercase())?;
    Some((segments, content_type))
}

/// The types an output folder holds; anything else (a database under any
/// name, a config, a key) is not served.
fn content_type(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "atom" => "application/atom+xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "opml" => "text/x-opml; charset=utf-8",
        "json" => "application/json",
        "css" => "text/css; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        _ => return None,
    })
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/") || content_type.starts_with("application/")
}

/// The file named by `segments`, from the cache when unchanged. `Ok(None)`
/// for anything missing or refused.
fn load(
    site: &Site,
    cache: &Cache,
    segments: &[String],
    content_type: &'static str,
) -> Result<Option<Arc<Cached>>, String> {
    let Ok(root) = fs::canonicalize(&site.root) else {
        return Ok(None);
    };
    let mut joined = root.clone();
    joined.extend(segments);
    let Ok(path) = fs::canonicalize(&joined) else {
        return Ok(None);
    };
    if !path.starts_with(&root) {
        return Ok(None);
    }
    // The canonical path has no symlinks left; refusing one at the last
    // step closes the gap between the check and the open.
    let file = match File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
    {
        Ok(f) => f,
        Err(_) => return Ok(None),
    };
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() || is_database(site, &path, &meta) {
        return Ok(None);
    }
    let id = FileId {
        dev: meta.dev(),
        ino: meta.ino(),
        len: meta.len(),
        mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    };
    if let Some(hit) = cache.get(&path).filter(|c| c.id == id) {
        return Ok(Some(hit));
    }
    if id.len > MAX_FILE_BYTES {
        return Err(format!(
            "{} is larger than {MAX_FILE_BYTES} bytes; not serving it",
            path.display()
        ));
    }
    let mut body = Vec::with_capacity(id.len as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let hash = Sha256::digest(&body);
    let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    let cached = Arc::new(Cached {
        id,
        body: Bytes::from(body),
        content_type,
        etag: format!("\"{hex}\""),
        etag_gzip: format!("\"{hex}-gz\""),
        gzip: OnceLock::new(),
    });
    cache.put(path, Arc::clone(&cached));
    Ok(Some(cached))
}

/// The database and its journals, by name and by identity.
fn is_database(site: &Site, path: &Path, meta: &fs::Metadata) -> bool {
    let db = fs::canonicalize(&site.database).unwrap_or_else(|_| site.database.clone());
    let Some(db_name) = db.file_name() else {
        return false;
    };
    let mut candidates = vec![db.clone()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = db_name.to_os_string();
        name.push(suffix);
        candidates.push(db.with_file_name(name));
    }
    candidates.iter().any(|c| {
        c == path || fs::metadata(c).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
    })
}

impl Cache {
    fn get(&self, path: &Path) -> Option<Arc<Cached>> {
        self.lock().get(path).cloned()
    }

    fn put(&self, path: PathBuf, file: Arc<Cached>) {
        let mut files = self.lock();
        let held: usize = files.values().map(|f| f.body.len()).sum();
        if files.len() >= MAX_CACHE_FILES || held + file.body.len() > MAX_CACHE_BYTES {
            files.clear();
        }
        files.insert(path, file);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Cached>>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn gzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Whether Accept-Encoding allows gzip (`gzip`, `x-gzip` or `*` with a
/// non-zero quality, unless gzip itself is listed with q=0).
pub(super) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut star = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .or_else(|| p.trim().strip_prefix("Q="))
                })
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match coding.as_str() {
                "gzip" | "x-gzip" => return q > 0.0,
                "*" => star = q > 0.0,
                _ => {}
            }
        }
    }
    star
}

/// RFC 9110 §13.2.2: If-None-Match decides when present (weak comparison,
/// either variant's tag); otherwise If-Modified-Since against the mtime.
fn not_modified(headers: &HeaderMap, file: &Cached) -> bool {
    let mut inm = headers.get_all(header::IF_NONE_MATCH).iter().peekable();
    if inm.peek().is_some() {
        return inm.filter_map(|v| v.to_str().ok()).any(|v| {
            v.split(',').map(str::trim).any(|tag| {
                let tag = tag.strip_prefix("W/").unwrap_or(tag);
                tag == "*" || tag == file.etag || tag == file.etag_gzip
            })
        });
    }
    let ims: Vec<&HeaderValue> = headers.get_all(header::IF_MODIFIED_SINCE).iter().collect();
    let [one] = ims.as_slice() else { return false };
    let Some(since) = one
        .to_str()
        .ok()
        .and_then(|s| httpdate::parse_http_date(s).ok())
    else {
        return false;
    };
    // HTTP dates have whole seconds; the file's mtime has more.
    let mtime = file
        .id
        .mtime
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let since = since
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    mtime <= since
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_resolve_or_are_refused() {
        // (request path, segments it resolves to, or None when refused)
        let table: &[(&str, Option<&[&str]>)] = &[
            ("/", Some(&["index.html"])),
            ("/feed.atom", Some(&["feed.atom"])),
            ("/topics/defense.atom", Some(&["topics", "defense.atom"])),
            ("//topics//defense.atom", Some(&["topics", "defense.atom"])),
            ("/topics/", Some(&["topics", "index.html"])),
            (
                "/regions/north%2Dkosovo.atom",
                Some(&["regions", "north-kosovo.atom"]),
            ),
            ("/Vesti%20%D0%92.atom", Some(&["Vesti В.atom"])),
            ("/FEED.ATOM", Some(&["FEED.ATOM"])),
            ("/../feedmill.toml", None),
            ("/../../etc/passwd", None),
            ("/topics/../feed.atom", None),
            ("/%2e%2e/feedmill.db", None),
            ("/%2E%2E/%2E%2E/etc/hosts.txt", None),
            ("/.%2e/x.atom", None),
            ("/topics%2f..%2f..%2fetc%2fpasswd.txt", None),
            ("/topics%2Fdefense.atom", None),
            ("/topics%5c..%5cx.atom", None),
            ("/topics\\..\\x.atom", None),
            ("/x%00.atom", None),
            ("/.feed.atom.tmp.12.0", None),
            ("/.hidden.atom", None),
            ("/./feed.atom", None),
            ("/feedmill.db", None),
            ("/state/feedmill.sqlite", None),
            ("/feed.atom.bak", None),
            ("/topics", None),
            ("/etc/passwd", None),
            ("/%ff.atom", None),
            ("/a%0a.atom", None),
            ("feed.atom", None),
            ("*", None),
            ("", None),
        ];
        for (path, want) in table {
            let got = resolve(path).map(|(s, _)| s);
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "{path:?}");
        }
        assert_eq!(
            resolve("/feed.atom").map(|(_, t)| t),
            Some("application/atom+xml; charset=utf-8")
        );
        assert_eq!(
            resolve("/").map(|(_, t)| t),
            Some("text/html; charset=utf-8")
        );
    }

    #[test]
    fn accept_encoding() {
        let table = [
            ("gzip", true),
            ("gzip, deflate, br", true),
            ("br;q=1.0, gzip;q=0.8, *;q=0.1", true),
            ("GZIP", true),
            ("x-gzip", true),
            ("gzip;q=0", false),
            ("gzip; q=0.0", false),
            ("*", true),
            ("*;q=0", false),
            ("identity", false),
            ("br, deflate", false),
            ("*, gzip;q=0", false),
            ("", false),
        ];
        for (value, want) in table {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            assert_eq!(accepts_gzip(&headers), want, "{value:?}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    fn cached(mtime_secs: u64) -> Cached {
        Cached {
            id: FileId {
                dev: 1,
                ino: 2,
                len: 3,
                mtime: SystemTime::UNIX_EPOCH + Duration::from_millis(mtime_secs * 1000 + 250),
            },
            body: Bytes::from_static(b"abc"),
            content_type: "text/plain; charset=utf-8",
            etag: "\"abc\"".into(),
            etag_gzip: "\"abc-gz\"".into(),
            gzip: OnceLock::new(),
        }
    }

    #[test]
    fn conditional_requests() {
        let file = cached(1_700_000_000);
        let same =
            httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let before =
            httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_699_999_999));
        // (If-None-Match, If-Modified-Since, 304?)
        let table: &[(Option<&str>, Option<&str>, bool)] = &[
            (None, None, false),
            (Some("\"abc\""), None, true),
            (Some("W/\"abc\""), None, true),
            (Some("\"abc-gz\""), None, true),
            (Some("\"x\", \"abc\""), None, true),
            (Some("*"), None, true),
            (Some("\"old\""), None, false),
            // If-None-Match wins over a matching date.
            (Some("\"old\""), Some(&same), false),
            (None, Some(&same), true),
            (None, Some(&before), false),
            (None, Some("yesterday"), false),
        ];
        for (inm, ims, want) in table {
            let mut headers = HeaderMap::new();
            if let Some(v) = inm {
                headers.insert(
                    header::IF_NONE_MATCH,
                    HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
                );
            }
            if let Some(v) = ims {
                headers.insert(
                    header::IF_MODIFIED_SINCE,
                    HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
                );
            }
            assert_eq!(not_modified(&headers, &file), *want, "{inm:?} {ims:?}");
        }
    }

    #[test]
    fn small_or_binary_files_are_not_compressed() {
        let small = cached(0);
        assert!(small.gzipped().is_none(), "3 bytes");
        let big = Cached {
            body: Bytes::from("<entry>news</entry>\n".repeat(100)),
            ..cached(0)
        };
        let z = big.gzipped().unwrap_or_default();
        assert!(!z.is_empty() && z.len() < big.body.len() / 5, "{}", z.len());
        let mut text = String::new();
        flate2::read::GzDecoder::new(&z[..])
            .read_to_string(&mut text)
            .unwrap_or_default();
        assert_eq!(text.as_bytes(), &big.body[..]);
        let png = Cached {
            body: Bytes::from(vec![0u8; 4096]),
            content_type: "image/png",
            ..cached(0)
        };
        assert!(png.gzipped().is_none());
    }
}
