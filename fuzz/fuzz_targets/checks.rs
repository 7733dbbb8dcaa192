//! The properties the fuzz targets check, as plain functions: the targets
//! call them on fuzzed input, and `tests/fuzz_seeds.rs` on the committed
//! seed corpora, so the normal test suite keeps them true.
// Each target uses one of these.
#![allow(dead_code)]

use std::path::Path;

use feedmill::normalize::link::{canonical_link, clean_link};

#[path = "../../tests/common/html_check.rs"]
#[allow(dead_code)]
mod html_check;

const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/rss+xml"),
    Some("text/xml; charset=windows-1251"),
    Some("application/atom+xml; charset=iso-8859-2"),
    Some("application/feed+json"),
    Some("text/html; charset=utf-16"),
    Some("text/xml; charset=nonsense"),
    Some("application/xml; charset=\"utf-8\""),
];

/// Feed bytes → parse → normalize → sanitize. Nothing may panic, the item
/// limit holds, and no sanitized HTML keeps anything a browser would run.
/// The first byte picks the declared content type, so charset handling is
/// fuzzed too; with its top bit set, the rest is an HTML fragment for the
/// sanitizer and the text extractor directly.
pub fn parse_feed(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let base = url::Url::parse("https://news.example.org/vesti/feed.xml").unwrap();
    if first & 0x80 != 0 {
        let html = String::from_utf8_lossy(body);
        let clean = feedmill::normalize::html::sanitize(&html, Some(&base));
        if let Some(bad) = html_check::dangerous_part(&clean) {
            panic!("sanitize({html:?}) = {clean:?} keeps {bad}");
        }
        let _ = feedmill::normalize::html::to_text(&html);
        return;
    }
    let content_type = CONTENT_TYPES[usize::from(first) % CONTENT_TYPES.len()];
    let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    let limits = feedmill::parse::Limits {
        max_items: 50,
        ..Default::default()
    };
    let Ok(feed) = feedmill::parse::parse_feed_with(body, content_type, &base, now, &limits) else {
        return;
    };
    assert!(
        feed.items.len() <= limits.max_items,
        "{} items",
        feed.items.len()
    );
    for item in &feed.items {
        for html in [&item.summary_html, &item.content_html]
            .into_iter()
            .flatten()
        {
            if let Some(bad) = html_check::dangerous_part(html) {
                panic!("item {:?} keeps {bad} in {html:?}", item.guid);
            }
        }
        let latest = now + chrono::Duration::days(1);
        assert!(
            item.published.is_none_or(|d| d <= latest),
            "{:?}",
            item.published
        );
        assert!(
            item.updated.is_none_or(|d| d <= latest),
            "{:?}",
            item.updated
        );
        if let Some(link) = &item.link {
            let u = url::Url::parse(link).expect("item links are absolute URLs");
            assert!(matches!(u.scheme(), "http" | "https"), "{link}");
        }
    }
}

/// The dedup key of a link: never a panic; no scheme, fragment or
/// tracking parameter in it; and removing tracking parameters for display
/// (`clean_link`) never changes which story a link belongs to.
pub fn canonical_link_key(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(key) = canonical_link(text) else {
        return;
    };
    assert!(!key.contains('#'), "{text:?} -> {key:?}");
    assert!(
        !key.starts_with("http://") && !key.starts_with("https://"),
        "{key:?}"
    );
    if let Some((_, query)) = key.split_once('?') {
        for param in query.split('&') {
            let name = param.split('=').next().unwrap_or("").to_ascii_lowercase();
            assert!(
                !name.starts_with("utm_")
                    && !["fbclid", "gclid", "mc_cid", "mc_eid"].contains(&name.as_str()),
                "{text:?} -> {key:?}"
            );
        }
    }
    if let Ok(url) = url::Url::parse(text.trim()) {
        let cleaned = clean_link(&url);
        assert_eq!(
            canonical_link(cleaned.as_str()).as_deref(),
            Some(key.as_str()),
            "{text:?} cleaned to {cleaned}"
        );
    }
}

/// Config loading: any text either loads or fails with a located message
/// naming the file, on one line; never a panic, whatever the cron
/// expressions, durations or paths.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/etc/feedmill/feedmill.toml");
    match feedmill::config::Config::parse(text, path) {
        Ok(config) => {
            assert!(config.http.concurrency >= 1 && config.http.per_host >= 1);
            assert!(config.output.max_entries >= 1);
            assert!(config.limits.source_timeout >= config.http.timeout);
            for source in &config.sources {
                assert!(matches!(source.url.scheme(), "http" | "https"));
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.starts_with("/etc/feedmill/feedmill.toml:")
                    || message.contains("/etc/feedmill/feedmill.toml"),
                "{message}"
            );
            assert!(!message.contains('\n'), "one line: {message:?}");
        }
    }
}
