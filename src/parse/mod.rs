//! Parser: raw bytes of a fetched document → [`ParsedFeed`].
//!
//! Decodes the document's encoding (BOM, XML prolog or HTTP Content-Type),
//! repairs what would make feed-rs fail or lose text, hands it to feed-rs
//! (RSS 0.9x/1.0/2.0, Atom 0.3/1.0) or reads it as JSON Feed, and runs the
//! normalizer over every item.
//!
//! feed-rs's own guesses are kept out: its generated ids (from title and
//! link, or random) are marked and dropped, its timestamp parser replaced,
//! its copy of `pubDate` into `updated` undone.

pub mod dates;
pub(crate) mod decode;
pub(crate) mod entities;
mod json;
mod markup;
mod repair;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, FeedType, Link, Text};
use url::Url;

use crate::model::ParsedFeed;
use crate::normalize::{self, ItemLimits, RawFeed, RawItem, RawText, TextKind};
use repair::Root;

/// Why a document is not a usable feed. The message says what is wrong with
/// the document; the caller names the source and URL.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// Bounds on the work one document may cause.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Items after this many are ignored.
    pub max_items: usize,
    /// Per item; its `deadline` is when parsing must have finished: past
    /// it the document is refused (checked between items, so a slow
    /// document stops soon after).
    pub item: ItemLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_items: 10_000,
            item: ItemLimits::default(),
        }
    }
}

/// What the id generator answers instead of inventing an id. It holds a
/// control character, which no id read from XML can (the decoder removes
/// them), and the normalizer treats any such id as absent.
const NO_ID: &str = "\u{1}feedmill-no-id";

/// Parses one fetched document. `base_url` is the URL it was fetched from
/// (after redirects), used to make relative links absolute; `now` bounds
/// dates from the future.
pub fn parse_feed(
    body: &[u8],
    content_type: Option<&str>,
    base_url: &Url,
    now: DateTime<Utc>,
) -> Result<ParsedFeed, ParseError> {
    parse_feed_with(body, content_type, base_url, now, &Limits::default())
}

/// [`parse_feed`] with explicit limits.
pub fn parse_feed_with(
    body: &[u8],
    content_type: Option<&str>,
    base_url: &Url,
    now: DateTime<Utc>,
    limits: &Limits,
) -> Result<ParsedFeed, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError("the document is empty".into()));
    }
    let tld = base_url.host_str().and_then(|h| h.rsplit('.').next());
    let text = decode::decode(body, content_type, tld);
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    let raw = if start.starts_with('{') {
        json::parse(start, base_url, limits.max_items)?
    } else {
        parse_xml(&text, base_url, limits)?
    };
    let feed = normalize::normalize_feed(raw, now, &limits.item);
    if limits.item.deadline.is_some_and(|d| Instant::now() > d) {
        return Err(ParseError(
            "parsing took longer than the time left for this source ([limits] source_timeout)"
                .into(),
        ));
    }
    Ok(feed)
}

fn parse_xml(text: &str, base_url: &Url, limits: &Limits) -> Result<RawFeed, ParseError> {
    let mut repaired = repair::repair(text, base_url, limits.max_items);
    // Server warnings printed before the feed (`<b>Warning</b>: ...`) make
    // their markup look like the root; the feed itself starts further on.
    if let Root::Other(name) = &repaired.root {
        if !name.eq_ignore_ascii_case("html") {
            if let Some(start) = ["<rss", "<rdf:RDF", "<feed"]
                .iter()
                .filter_map(|m| text.find(m))
                .min()
            {
                repaired = repair::repair(&text[start..], base_url, limits.max_items);
            }
        }
    }
    let rss_like = match &repaired.root {
        Root::Rss | Root::Rdf => true,
        Root::AtomFeed | Root::AtomEntry => false,
        Root::Missing => {
            return Err(ParseError(
                "the document is neither XML nor JSON: it has no element".into(),
            ));
        }
        Root::Other(name) if name.eq_ignore_ascii_case("html") => {
            return Err(ParseError(
                "the document is an HTML page, not a feed".into(),
            ));
        }
        Root::Other(name) if !plausible_name(name) => {
            // Binary data can look like an element; its "name" is noise
            // that would only garble the message.
            return Err(ParseError(
                "the document is not a feed: it is neither XML nor JSON (binary or garbled data)"
                    .into(),
            ));
        }
        Root::Other(name) => {
            return Err(ParseError(format!(
                "the document is not a feed: its root element <{name}> is not rss, RDF, feed or entry"
            )));
        }
    };
    // RSS has no xml:base convention; its relative links are relative to
    // the site, i.e. the channel link. Atom's are relative to the document.
    let channel_link = if rss_like {
        repaired
            .channel_link
            .as_deref()
            .and_then(|l| normalize::link::absolute(l, Some(base_url)))
    } else {
        None
    };
    let feedrs_base = channel_link.clone().unwrap_or_else(|| base_url.clone());
    let doc_base = repaired
        .root_base
        .clone()
        .unwrap_or_else(|| feedrs_base.clone());

    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(feedrs_base.as_str()))
        .id_generator(|_, _, _| NO_ID.to_string())
        .timestamp_parser(dates::parse_timestamp)
        .sanitize_content(false)
        .build();
    // feed-rs has panicked on inputs we have not yet seen; a panic is one
    // bad feed, not a reason to take the daemon down.
    let result =
        catch_unwind(AssertUnwindSafe(|| parser.parse(repaired.xml.as_bytes()))).map_err(|_| {
            ParseError("the feed parser failed on this document (feed-rs panicked)".into())
        })?;
    let feed = match result {
        Ok(feed) => feed,
        // `<rss></rss>` is an empty feed, not a broken one.
        Err(feed_rs::parser::ParseFeedError::ParseError(
            feed_rs::parser::ParseErrorKind::NoFeedRoot,
        )) if repaired.root == Root::Rss => {
            return Ok(RawFeed {
                title: None,
                id: None,
                link: None,
                ttl_minutes: None,
                items: Vec::new(),
                base: doc_base,
            });
        }
        Err(e) => return Err(feed_error(e)),
    };

    if repaired.truncated {
        tracing::warn!(
            max_items = limits.max_items,
            "feed has more items than the limit; the rest are ignored"
        );
    }
    if repaired.cut_item {
        tracing::warn!("the feed ends in the middle of an item; that item is ignored");
    }
    let item_bases =
        (repaired.item_bases.len() == feed.entries.len()).then_some(&repaired.item_bases);
    Ok(convert(feed, rss_like, doc_base, item_bases))
}

/// Whether `name` reads like an element name someone wrote (ASCII letters,
/// digits, `-_.:`, not too long), and so is worth quoting in a message.
fn plausible_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn feed_error(e: feed_rs::parser::ParseFeedError) -> ParseError {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            ParseError("the document has no RSS, Atom or RDF feed in it".into())
        }
        ParseFeedError::XmlReader(x) => {
            ParseError(format!("the feed is not well-formed XML ({x})"))
        }
        other => ParseError(format!("the feed could not be read ({other})")),
    }
}

fn convert(
    feed: Feed,
    rss_like: bool,
    base: Url,
    item_bases: Option<&Vec<Option<Url>>>,
) -> RawFeed {
    let title_kind = if rss_like {
        TextKind::Html
    } else {
        TextKind::Plain
    };
    let items = feed
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let item_base = item_bases.and_then(|b| b.get(i).cloned().flatten());
            convert_entry(entry, rss_like, item_base)
        })
        .collect();
    RawFeed {
        title: feed.title.map(|t| raw_text(t, title_kind)),
        id: (feed.feed_type == FeedType::Atom).then_some(feed.id),
        link: alternate_link(&feed.links).map(str::to_string),
        ttl_minutes: feed.ttl,
        items,
        base,
    }
}

fn convert_entry(entry: Entry, rss_like: bool, base: Option<Url>) -> RawItem {
    let mut link = alternate_link(&entry.links).map(str::to_string);
    // An RSS guid is a permalink unless it says otherwise; use it when the
    // item has no link of its own.
    if link.is_none() && rss_like && normalize::link::absolute(&entry.id, None).is_some() {
        link = Some(entry.id.clone());
    }
    let mut updated = entry.updated;
    // feed-rs copies an RSS pubDate into `updated`; only one was given.
    if rss_like && updated == entry.published {
        updated = None;
    }
    let summary_kind = if rss_like { Some(TextKind::Html) } else { None };
    let summary = entry
        .summary
        .map(|t| text_with(t, summary_kind))
        .or_else(|| {
            entry
                .media
                .iter()
                .find_map(|m| m.description.clone())
                .map(|t| text_with(t, None))
        });
    let content = entry.content.and_then(|c| {
        let body = c.body?;
        let kind = match (
            c.content_type.ty().as_str(),
            c.content_type.subty().as_str(),
        ) {
            ("text", "plain") if !rss_like => TextKind::Plain,
            ("text", "plain" | "html") | ("application", "xhtml") => TextKind::Html,
            ("application", sub) if sub.ends_with("xhtml+xml") => TextKind::Html,
            _ => return None,
        };
        Some(RawText { body, kind })
    });
    RawItem {
        guid: Some(entry.id),
        link,
        title: entry
            .title
            .map(|t| text_with(t, rss_like.then_some(TextKind::Html))),
        summary,
        content,
        categories: entry
            .categories
            .into_iter()
            .map(|c| c.label.filter(|l| !l.trim().is_empty()).unwrap_or(c.term))
            .collect(),
        authors: entry
            .authors
            .into_iter()
            .filter_map(|p| p.name.filter(|n| !n.trim().is_empty()).or(p.email))
            .collect(),
        published: entry.published,
        updated,
        base,
    }
}

/// The link a reader opens: `alternate` (or no rel), preferring HTML.
fn alternate_link(links: &[Link]) -> Option<&str> {
    let alternates = || {
        links.iter().filter(|l| {
            matches!(l.rel.as_deref(), None | Some("alternate")) && !l.href.trim().is_empty()
        })
    };
    alternates()
        .find(|l| l.media_type.as_deref().is_none_or(|t| t.contains("html")))
        .or_else(|| alternates().next())
        .map(|l| l.href.as_str())
}

/// A feed-rs text, read as HTML when `force` says so or its type is HTML.
fn text_with(t: Text, force: Option<TextKind>) -> RawText {
    let kind = force.unwrap_or(if t.content_type.subty().as_str() == "plain" {
        TextKind::Plain
    } else {
        TextKind::Html
    });
    RawText {
        body: t.content,
        kind,
    }
}

fn raw_text(t: Text, title_kind: TextKind) -> RawText {
    let kind = if t.content_type.subty().as_str() == "plain" {
        title_kind
    } else {
        TextKind::Html
    };
    RawText {
        body: t.content,
        kind,
    }
}

#[cfg(test)]
mod tests;
