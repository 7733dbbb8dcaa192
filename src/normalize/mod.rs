//! Normalizer: canonical links, absolute URLs, sanitized HTML, plain text.
//!
//! The parser turns every feed format into [`RawFeed`]; [`normalize_feed`]
//! turns that into the pipeline's [`ParsedFeed`], the same way for all.

pub mod html;
mod html_fast;
pub mod link;

use chrono::{DateTime, Utc};
use url::Url;

use crate::model::{FeedMeta, Item, ParsedFeed};
use crate::parse::dates::clamp_future;

/// How a piece of feed text is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Plain,
    Html,
}

/// A piece of text as the feed gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawText {
    pub body: String,
    pub kind: TextKind,
}

/// An item as the feed gave it, before normalization.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawItem {
    pub guid: Option<String>,
    /// As written: possibly relative.
    pub link: Option<String>,
    pub title: Option<RawText>,
    pub summary: Option<RawText>,
    pub content: Option<RawText>,
    pub categories: Vec<String>,
    pub authors: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// The base for this item's relative links, when it differs from the feed's.
    pub base: Option<Url>,
}

/// A feed as parsed, before normalization.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFeed {
    pub title: Option<RawText>,
    pub id: Option<String>,
    pub link: Option<String>,
    pub ttl_minutes: Option<u32>,
    pub items: Vec<RawItem>,
    /// What relative links are resolved against (xml:base, the feed's
    /// link, or the fetch URL).
    pub base: Url,
}

/// Bounds on what one item may cost.
#[derive(Debug, Clone, Copy)]
pub struct ItemLimits {
    /// Summary and content are cut to this many bytes before sanitizing.
    pub max_html_bytes: usize,
    /// Titles longer than this many characters are cut.
    pub max_title_chars: usize,
    /// Items are no longer normalized after this; the caller, which set
    /// it, refuses the partial result.
    pub deadline: Option<std::time::Instant>,
}

impl Default for ItemLimits {
    fn default() -> Self {
        ItemLimits {
            max_html_bytes: 256 * 1024,
            max_title_chars: 500,
            deadline: None,
        }
    }
}

/// How many characters of the summary stand in for a missing title.
const FALLBACK_TITLE_CHARS: usize = 80;
/// Categories and authors beyond this many are noise (or an attack).
const MAX_LIST: usize = 50;

/// Normalizes a parsed feed; `now` bounds dates from the future.
pub fn normalize_feed(raw: RawFeed, now: DateTime<Utc>, limits: &ItemLimits) -> ParsedFeed {
    let base = raw.base;
    let meta = FeedMeta {
        title: raw
            .title
            .map(|t| text_of(&t, limits.max_title_chars))
            .filter(|t| !t.is_empty()),
        id: raw.id.and_then(clean_id),
        link: raw
            .link
            .and_then(|l| link::absolute(&l, Some(&base)))
            .map(|u| link::clean_link_text(&u)),
    };
    let items = raw
        .items
        .into_iter()
        .take_while(|_| {
            limits
                .deadline
                .is_none_or(|d| std::time::Instant::now() <= d)
        })
        .map(|item| normalize_item(item, &base, now, limits))
        .filter(has_something_to_show)
        .collect();
    ParsedFeed {
        meta,
        items,
        ttl_minutes: raw.ttl_minutes,
    }
}

/// An item without title, link, summary or content would be an empty
/// entry: nothing to read, nothing to open. (Its title falls back to the
/// summary's text, so an empty title means there is no text at all.)
fn has_something_to_show(item: &Item) -> bool {
    !item.title.is_empty()
        || item.link.is_some()
        || item.summary_html.is_some()
        || item.content_html.is_some()
}

/// Normalizes one item against the feed's `base`.
pub fn normalize_item(
    raw: RawItem,
    feed_base: &Url,
    now: DateTime<Utc>,
    limits: &ItemLimits,
) -> Item {
    let base = raw.base.as_ref().unwrap_or(feed_base);
    let link = raw
        .link
        .as_deref()
        .and_then(|l| link::absolute(l, Some(base)))
        .map(|u| link::clean_link_text(&u));
    let (summary_html, summary_text) = raw
        .summary
        .as_ref()
        .and_then(|t| html_of(t, base, limits.max_html_bytes))
        .unzip();
    let (content_html, content_text) = raw
        .content
        .as_ref()
        .and_then(|t| html_of(t, base, limits.max_html_bytes))
        .unzip();
    let summary_text = summary_text.unwrap_or_default();
    let content_text = content_text.unwrap_or_default();

    let mut title = raw
        .title
        .as_ref()
        .map(|t| text_of(t, limits.max_title_chars))
        .unwrap_or_default();
    if title.is_empty() {
        let source = if summary_text.is_empty() {
            &content_text
        } else {
            &summary_text
        };
        title = shorten(source, FALLBACK_TITLE_CHARS);
    }
    let categories = clean_list(raw.categories);
    let authors = clean_list(raw.authors);

    // RSS often repeats the description as content: match it once.
    let content_part = if content_text == summary_text {
        ""
    } else {
        content_text.as_str()
    };
    let mut match_text =
        String::with_capacity(title.len() + summary_text.len() + content_part.len() + 64);
    for part in [title.as_str(), summary_text.as_str(), content_part]
        .into_iter()
        .chain(categories.iter().map(String::as_str))
    {
        if part.is_empty() {
            continue;
        }
        if !match_text.is_empty() {
            match_text.push('\n');
        }
        match_text.push_str(part);
    }

    Item {
        guid: raw.guid.and_then(clean_id),
        link,
        title,
        summary_html,
        content_html,
        categories,
        authors,
        published: raw.published.map(|t| clamp_future(t, now)),
        updated: raw.updated.map(|t| clamp_future(t, now)),
        match_text,
    }
}

/// An id as the feed gives it, trimmed; none when blank, or when it holds
/// control characters (which no real id has, and which the parser uses to
/// mark ids it had to invent).
fn clean_id(id: String) -> Option<String> {
    let trimmed = id.trim();
    if trimmed.is_empty() || trimmed.chars().any(char::is_control) {
        return None;
    }
    Some(if trimmed.len() == id.len() {
        id
    } else {
        trimmed.to_string()
    })
}

/// Plain text of a title-like field.
fn text_of(t: &RawText, max_chars: usize) -> String {
    let text = match t.kind {
        TextKind::Html => html::to_text(&t.body),
        TextKind::Plain => html::collapse_whitespace(&t.body),
    };
    if text.chars().nth(max_chars).is_some() {
        shorten(&text, max_chars)
    } else {
        text
    }
}

/// Sanitized HTML of a summary or content, and its text; `None` when it
/// has no text and no image.
fn html_of(t: &RawText, base: &Url, max_bytes: usize) -> Option<(String, String)> {
    let body = truncate_bytes(t.body.trim(), max_bytes);
    if body.is_empty() {
        return None;
    }
    let (out, text) = match t.kind {
        TextKind::Html => html::sanitize_and_text(body, Some(base)),
        TextKind::Plain => (html::escape_text(body), None),
    };
    let trimmed = out.trim();
    let text = text.unwrap_or_else(|| html::to_text(trimmed));
    if text.is_empty() && !trimmed.contains("<img") {
        return None;
    }
    let html = if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    };
    Some((html, text))
}

/// Cuts to at most `max` characters, at a word boundary when one is near,
/// marking the cut with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max) else {
        return text.to_string();
    };
    let head = &text[..cut];
    let head = match head.rfind(' ') {
        Some(space) if space >= cut / 2 => &head[..space],
        _ => head,
    };
    format!("{}…", head.trim_end())
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Trimmed, markup-free, deduplicated, bounded.
fn clean_list(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len().min(MAX_LIST));
    for entry in list {
        let text = if entry.contains(['<', '&']) {
            html::to_text(&entry)
        } else {
            html::collapse_whitespace(&entry)
        };
        if !text.is_empty() && !out.contains(&text) {
            out.push(text);
            if out.len() == MAX_LIST {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-03-12T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn base() -> Url {
        Url::parse("https://news.example.org/rss").unwrap()
    }

    fn html(s: &str) -> Option<RawText> {
        Some(RawText {
            body: s.to_string(),
            kind: TextKind::Html,
        })
    }

    #[test]
    fn item_is_normalized() {
        let raw = RawItem {
            guid: Some("  urn:x:1 ".into()),
            link: Some("/vesti/1?utm_source=rss&id=2#c".into()),
            title: html("<b>Vučić</b>&nbsp;and   Kurti"),
            summary: html(
                "<p onclick=\"x()\">Talks in <a href=\"/b\">Brussels</a></p><script>x</script>",
            ),
            content: None,
            categories: vec![
                " Politics ".into(),
                "Politics".into(),
                "".into(),
                "EU &amp; Balkans".into(),
            ],
            authors: vec!["Regional Desk".into()],
            published: DateTime::from_timestamp(1_741_780_800, 0),
            updated: DateTime::from_timestamp(253_402_300_799, 0),
            base: None,
        };
        let item = normalize_item(raw, &base(), now(), &ItemLimits::default());
        assert_eq!(item.guid.as_deref(), Some("urn:x:1"));
        assert_eq!(
            item.link.as_deref(),
            Some("https://news.example.org/vesti/1?id=2#c")
        );
        assert_eq!(item.title, "Vučić and Kurti");
        let summary = item.summary_html.unwrap();
        assert!(
            summary.contains("href=\"https://news.example.org/b\""),
            "{summary}"
        );
        assert!(
            !summary.contains("onclick") && !summary.contains("script"),
            "{summary}"
        );
        assert_eq!(item.categories, vec!["Politics", "EU & Balkans"]);
        assert_eq!(item.updated, Some(now()), "year 9999 is clamped");
        assert_eq!(item.published, DateTime::from_timestamp(1_741_780_800, 0));
        assert_eq!(
            item.match_text,
            "Vučić and Kurti\nTalks in Brussels\nPolitics\nEU & Balkans"
        );
    }

    #[test]
    fn empty_title_falls_back_to_summary() {
        let long = "Kosovo Security Force units deployed to the north after consultations with KFOR commanders on Wednesday";
        let raw = RawItem {
            title: html("  <i></i> "),
            summary: html(long),
            ..Default::default()
        };
        let item = normalize_item(raw, &base(), now(), &ItemLimits::default());
        assert!(item.title.ends_with('…'), "{}", item.title);
        assert!(item.title.chars().count() <= FALLBACK_TITLE_CHARS + 1);
        assert!(long.starts_with(item.title.trim_end_matches('…')));
    }

    #[test]
    fn items_with_nothing_to_show_are_dropped() {
        let raw = |item: RawItem| RawFeed {
            title: None,
            id: None,
            link: None,
            ttl_minutes: None,
            items: vec![item],
            base: base(),
        };
        let kept = |item: RawItem| {
            normalize_feed(raw(item), now(), &ItemLimits::default())
                .items
                .len()
        };
        let empty = RawItem {
            guid: Some("g-1".into()),
            categories: vec!["Politics".into()],
            title: html("  <i> </i> "),
            summary: html("<p> </p>"),
            ..Default::default()
        };
        assert_eq!(
            kept(empty.clone()),
            0,
            "guid and categories are not content"
        );
        let with = |f: fn(&mut RawItem)| {
            let mut item = empty.clone();
            f(&mut item);
            item
        };
        assert_eq!(kept(with(|i| i.title = html("Title"))), 1);
        assert_eq!(kept(with(|i| i.link = Some("/a".into()))), 1);
        assert_eq!(kept(with(|i| i.summary = html("<img src=\"/x.jpg\">"))), 1);
        assert_eq!(kept(with(|i| i.content = html("text"))), 1);
    }

    #[test]
    fn blank_and_invented_ids_are_none() {
        for id in ["", "   ", "\u{1}feedmill-no-id"] {
            assert_eq!(clean_id(id.to_string()), None, "{id:?}");
        }
        assert_eq!(
            clean_id("tag:example.org,2025:1".into()).as_deref(),
            Some("tag:example.org,2025:1")
        );
    }

    #[test]
    fn plain_text_summary_is_escaped_not_parsed() {
        let raw = RawItem {
            summary: Some(RawText {
                body: "a <b> & c".into(),
                kind: TextKind::Plain,
            }),
            ..Default::default()
        };
        let item = normalize_item(raw, &base(), now(), &ItemLimits::default());
        assert_eq!(item.summary_html.as_deref(), Some("a &lt;b&gt; &amp; c"));
        assert_eq!(item.title, "a <b> & c");
    }

    #[test]
    fn long_content_is_truncated() {
        let limits = ItemLimits {
            max_html_bytes: 1000,
            max_title_chars: 20,
            deadline: None,
        };
        let raw = RawItem {
            title: html(&"word ".repeat(100)),
            content: html(&format!("<p>{}</p>", "ž".repeat(5000))),
            ..Default::default()
        };
        let item = normalize_item(raw, &base(), now(), &limits);
        assert!(item.content_html.unwrap().len() <= 1100);
        assert!(item.title.chars().count() <= 21, "{}", item.title);
    }
}
