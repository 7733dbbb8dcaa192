//! Links: the canonical form used for dedup (contract rule 2) and the
//! cleaned form shown to readers.

use std::fmt::Write as _;

use url::Url;

/// Query parameters that only tell the publisher where a click came from.
fn is_tracking(segment: &str) -> bool {
    let key = segment.split('=').next().unwrap_or(segment);
    let lower = key.as_bytes();
    lower.len() >= 4 && lower[..4].eq_ignore_ascii_case(b"utm_")
        || ["fbclid", "gclid", "mc_cid", "mc_eid"]
            .iter()
            .any(|t| key.eq_ignore_ascii_case(t))
}

/// The dedup key of a link (contract rule 2). `None` when it is not an
/// http(s) URL.
///
/// Scheme and a leading `www.` are ignored, the host is lower-cased (and
/// IDNA-encoded), a default port dropped, the fragment and tracking
/// parameters dropped, the other parameters sorted, a trailing `/` ignored:
/// `https://WWW.Example.org:443/a/?utm_source=x&b=2&a=1#top` becomes
/// `example.org/a?a=1&b=2`. Percent-escapes are normalised (upper-case hex,
/// unreserved characters decoded) so two spellings of one URL agree.
pub fn canonical_link(link: &str) -> Option<String> {
    let url = Url::parse(link.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    let host = host.strip_suffix('.').unwrap_or(host);
    let host = match host.strip_prefix("www.") {
        Some(rest) if !rest.is_empty() => rest,
        _ => host,
    };
    if host.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(link.len());
    out.push_str(host);
    if let Some(port) = url.port() {
        let _ = write!(out, ":{port}");
    }
    let path = normalize_escapes(url.path());
    out.push_str(path.trim_end_matches('/'));
    if let Some(query) = url.query() {
        let mut params: Vec<std::borrow::Cow<'_, str>> = query
            .split('&')
            .filter(|s| !s.is_empty() && !is_tracking(s))
            .map(normalize_escapes)
            .collect();
        if !params.is_empty() {
            params.sort_unstable_by(|a, b| {
                let (ka, va) = a.split_once('=').unwrap_or((a, ""));
                let (kb, vb) = b.split_once('=').unwrap_or((b, ""));
                ka.cmp(kb).then(va.cmp(vb))
            });
            out.push('?');
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    out.push('&');
                }
                out.push_str(p);
            }
        }
    }
    Some(out)
}

/// Upper-cases the hex of percent-escapes and decodes those of unreserved
/// characters (RFC 3986 section 6.2.2).
fn normalize_escapes(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('%') {
        return s.into();
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = &s[i + 1..i + 3];
            let v = u8::from_str_radix(hex, 16).unwrap_or(0);
            if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                out.push(v as char);
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            // The url crate leaves only ASCII in paths and queries.
            out.push(b[i] as char);
            i += 1;
        }
    }
    out.into()
}

/// The link readers open: absolute, tracking parameters and nothing else removed.
pub fn clean_link(link: &Url) -> Url {
    let Some(query) = link.query() else {
        return link.clone();
    };
    if !query.split('&').any(|s| s.is_empty() || is_tracking(s)) {
        return link.clone();
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|s| !s.is_empty() && !is_tracking(s))
        .collect();
    let mut cleaned = link.clone();
    if kept.is_empty() {
        cleaned.set_query(None);
    } else {
        cleaned.set_query(Some(&kept.join("&")));
    }
    cleaned
}

/// [`clean_link`], written out: the same text, without building a second
/// URL (the kept parameters are already in the parser's encoding, so
/// setting them again would change nothing).
pub fn clean_link_text(link: &Url) -> String {
    let Some(query) = link.query() else {
        return link.as_str().to_string();
    };
    if !query.split('&').any(|s| s.is_empty() || is_tracking(s)) {
        return link.as_str().to_string();
    }
    let mut out = String::with_capacity(link.as_str().len());
    out.push_str(&link[..url::Position::AfterPath]);
    let mut first = true;
    for kept in query
        .split('&')
        .filter(|s| !s.is_empty() && !is_tracking(s))
    {
        out.push(if first { '?' } else { '&' });
        out.push_str(kept);
        first = false;
    }
    out.push_str(&link[url::Position::AfterQuery..]);
    out
}

/// Makes `href` absolute against `base` and keeps it only when it is an
/// http(s) URL: an item link is something a reader opens.
pub fn absolute(href: &str, base: Option<&Url>) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = match Url::parse(href) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(href).ok()?,
        Err(_) => return None,
    };
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_table() {
        let rows: &[(&str, Option<&str>)] = &[
            ("https://example.org/path", Some("example.org/path")),
            ("http://example.org/path", Some("example.org/path")),
            ("https://EXAMPLE.Org/Path/To", Some("example.org/Path/To")),
            ("https://www.example.org/a", Some("example.org/a")),
            ("https://WWW.example.org/a", Some("example.org/a")),
            (
                "https://news.www.example.org/a",
                Some("news.www.example.org/a"),
            ),
            ("https://wwwexample.org/a", Some("wwwexample.org/a")),
            ("https://example.org:443/a", Some("example.org/a")),
            ("http://example.org:80/a", Some("example.org/a")),
            ("http://example.org:443/a", Some("example.org:443/a")),
            ("https://example.org:8443/a", Some("example.org:8443/a")),
            ("https://example.org/a/", Some("example.org/a")),
            ("https://example.org/", Some("example.org")),
            ("https://example.org", Some("example.org")),
            ("https://example.org/a#section-2", Some("example.org/a")),
            (
                "https://example.org/a?utm_source=x&b=2&a=1",
                Some("example.org/a?a=1&b=2"),
            ),
            (
                "https://example.org/a/?b=2&a=1#x",
                Some("example.org/a?a=1&b=2"),
            ),
            (
                "https://example.org/a?UTM_Medium=rss&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3&id=7",
                Some("example.org/a?id=7"),
            ),
            (
                "https://example.org/a?utm_campaign=z",
                Some("example.org/a"),
            ),
            ("https://example.org/a?", Some("example.org/a")),
            ("https://example.org/a?&&x=1&", Some("example.org/a?x=1")),
            (
                "https://example.org/a?utmost=1",
                Some("example.org/a?utmost=1"),
            ),
            ("https://example.org/a?flag", Some("example.org/a?flag")),
            (
                "https://example.org/a?b=2&a=2&a=1",
                Some("example.org/a?a=1&a=2&b=2"),
            ),
            (
                "https://bücher.example/ä",
                Some("xn--bcher-kva.example/%C3%A4"),
            ),
            (
                "https://xn--bcher-kva.example/%c3%a4",
                Some("xn--bcher-kva.example/%C3%A4"),
            ),
            (
                "https://example.org/%7Euser/%41",
                Some("example.org/~user/A"),
            ),
            ("https://example.org./a", Some("example.org/a")),
            ("  https://example.org/a  ", Some("example.org/a")),
            ("https://user:pw@example.org/a", Some("example.org/a")),
            ("https://www./a", Some("www/a")),
            ("ftp://example.org/a", None),
            ("mailto:desk@example.org", None),
            ("javascript:alert(1)", None),
            ("/relative/path", None),
            ("", None),
            ("not a url", None),
        ];
        for (input, want) in rows {
            assert_eq!(canonical_link(input).as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn same_story_same_key() {
        let a = canonical_link("http://www.example.org/vesti/123/?utm_source=rss&page=1#comments");
        let b = canonical_link("https://example.org:443/vesti/123?page=1");
        assert_eq!(a, b);
        assert_ne!(
            canonical_link("https://example.org/vesti/123"),
            canonical_link("https://example.org/Vesti/123")
        );
    }

    #[test]
    fn clean_table() {
        let rows = [
            (
                "https://example.org/a?utm_source=x&b=2&a=1",
                "https://example.org/a?b=2&a=1",
            ),
            (
                "https://example.org/a?utm_source=x",
                "https://example.org/a",
            ),
            (
                "https://example.org/a?id=1&fbclid=z#frag",
                "https://example.org/a?id=1#frag",
            ),
            (
                "https://example.org/a?b=2&a=1",
                "https://example.org/a?b=2&a=1",
            ),
            ("https://www.Example.org/A/", "https://www.example.org/A/"),
            ("http://example.org/a#frag", "http://example.org/a#frag"),
            (
                "https://example.org/a?x=1&&gclid=2",
                "https://example.org/a?x=1",
            ),
        ];
        for (input, want) in rows {
            let got = clean_link(&Url::parse(input).unwrap());
            assert_eq!(got.as_str(), want, "input {input:?}");
        }
    }

    /// The written-out form is exactly what [`clean_link`] gives.
    #[test]
    fn clean_link_text_matches_clean_link() {
        let pieces = [
            "utm_source=x",
            "utm_medium=feed",
            "fbclid=1",
            "id=7",
            "a=%20b",
            "q=a'b",
            "x",
            "",
            "k=v#w",
            "UTM_x=1",
            "z=é",
            "p=<>",
            "mc_eid=3",
            "b=2",
        ];
        let bases = [
            "https://example.org/a",
            "http://user:pw@Host.Example:8080/p/q/",
            "https://example.org/a#frag",
            "https://bücher.example/ä",
        ];
        let mut seed = 0x51ed_2701_u64;
        for base in bases {
            for _ in 0..500 {
                let mut query = String::new();
                for i in 0..4 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    if i > 0 {
                        query.push('&');
                    }
                    query.push_str(pieces[(seed % pieces.len() as u64) as usize]);
                }
                let (path, frag) = base.split_once('#').unwrap_or((base, ""));
                let text = if frag.is_empty() {
                    format!("{path}?{query}")
                } else {
                    format!("{path}?{query}#{frag}")
                };
                let url = Url::parse(&text).unwrap();
                assert_eq!(clean_link_text(&url), clean_link(&url).as_str(), "{text}");
            }
            let url = Url::parse(base).unwrap();
            assert_eq!(clean_link_text(&url), clean_link(&url).as_str(), "{base}");
        }
    }

    #[test]
    fn absolute_table() {
        let base = Url::parse("https://example.org/news/feed.xml").unwrap();
        let rows: &[(&str, Option<&str>)] = &[
            ("/a/1", Some("https://example.org/a/1")),
            ("a/1", Some("https://example.org/news/a/1")),
            ("//cdn.example.net/x", Some("https://cdn.example.net/x")),
            ("https://other.example/x", Some("https://other.example/x")),
            ("javascript:alert(1)", None),
            ("mailto:x@example.org", None),
            ("", None),
        ];
        for (input, want) in rows {
            let got = absolute(input, Some(&base));
            assert_eq!(got.as_ref().map(Url::as_str), *want, "input {input:?}");
        }
        assert_eq!(absolute("/a", None), None);
    }
}
