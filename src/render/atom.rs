//! Atom 1.0 (RFC 4287) serialization of stored entries.
//!
//! Written by hand rather than through an XML writer so that every byte is
//! decided here: the same entries always give the same document, which is
//! what lets an unchanged feed skip its rewrite.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, SecondsFormat, Utc};

use crate::model::{Entry, EntrySource};

/// The feed-level facts of one output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedInfo {
    /// The feed's `<id>`: an absolute IRI, stable across renders.
    pub id: String,
    pub title: String,
    /// `rel="self"` link, when the public address is configured.
    pub self_url: Option<String>,
    /// `<author><name>` of the feed (entries inherit it).
    pub author: String,
}

/// Scheme of the `<category>` that carries a region, so readers can tell a
/// region from a topic of the same name.
pub const REGION_SCHEME: &str = "urn:feedmill:region";

/// Renders one Atom document. `entries` are expected newest first and are
/// kept in that order; `topic_labels` maps topic names to the human label of
/// their `<category>` (the name is used when absent).
///
/// The feed's `<updated>` is the newest entry's, and nothing else depends on
/// the clock, so rendering the same entries twice gives identical bytes.
pub fn atom_document(
    feed: &FeedInfo,
    entries: &[Entry],
    topic_labels: &HashMap<String, String>,
) -> String {
    let mut writer = AtomWriter::new(topic_labels);
    for entry in entries {
        writer.push(entry);
    }
    writer.finish(feed)
}

/// [`atom_document`] one entry at a time, for entries streamed from the
/// store: the same bytes, without holding the entries. Its buffers are kept
/// from one document to the next.
pub struct AtomWriter<'a> {
    topic_labels: &'a HashMap<String, String>,
    /// The `<entry>` elements so far.
    body: String,
    /// The newest `updated` so far.
    updated: Option<DateTime<Utc>>,
    seen: HashSet<String>,
}

impl<'a> AtomWriter<'a> {
    /// An empty document; `topic_labels` as for [`atom_document`].
    pub fn new(topic_labels: &'a HashMap<String, String>) -> AtomWriter<'a> {
        AtomWriter {
            topic_labels,
            body: String::new(),
            updated: None,
            seen: HashSet::new(),
        }
    }

    /// Adds one entry (after the ones before it).
    pub fn push(&mut self, entry: &Entry) {
        self.updated = self.updated.max(Some(entry.updated));
        // The validator (and readers) reject repeated entry ids; the store
        // should never produce them, but one bad row must not break the
        // whole feed.
        if !self.seen.contains(entry.uid.as_str()) {
            self.seen.insert(entry.uid.clone());
            write_entry(&mut self.body, entry, self.topic_labels);
        }
    }

    /// The whole document, as `feed`; the writer is then empty again.
    pub fn finish(&mut self, feed: &FeedInfo) -> String {
        let mut out = String::with_capacity(1024 + self.body.len());
        out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
        text_element(&mut out, 1, "id", &[], &feed.id);
        text_element(&mut out, 1, "title", &[("type", "text")], &feed.title);
        let updated = self.updated.take().unwrap_or(DateTime::UNIX_EPOCH);
        text_element(&mut out, 1, "updated", &[], &rfc3339(updated));
        if let Some(href) = feed.self_url.as_deref().and_then(iri) {
            empty_element(
                &mut out,
                1,
                "link",
                &[
                    ("rel", "self"),
                    ("type", "application/atom+xml"),
                    ("href", &href),
                ],
            );
        }
        let author = if feed.author.trim().is_empty() {
            "feedmill"
        } else {
            feed.author.as_str()
        };
        person(&mut out, 1, author);
        text_element(&mut out, 1, "generator", &[], "feedmill");
        out.push_str(&self.body);
        out.push_str("</feed>\n");
        self.body.clear();
        self.seen.clear();
        out
    }
}

fn write_entry(out: &mut String, entry: &Entry, topic_labels: &HashMap<String, String>) {
    out.push_str("  <entry>\n");
    text_element(out, 2, "id", &[], &entry_id(&entry.uid));
    text_element(out, 2, "title", &[("type", "text")], &entry.title);
    text_element(out, 2, "updated", &[], &rfc3339(entry.updated));
    if let Some(published) = entry.published {
        text_element(out, 2, "published", &[], &rfc3339(published));
    }
    let alternate = entry.link.as_deref().and_then(iri);
    if let Some(href) = &alternate {
        empty_element(out, 2, "link", &[("rel", "alternate"), ("href", href)]);
    }
    // A story has a handful of copies at most: a list beats a set.
    let mut related_seen: Vec<Cow<'_, str>> = Vec::new();
    for href in entry.related.iter().filter_map(|r| iri(r)) {
        if Some(&href) != alternate.as_ref() && !related_seen.contains(&href) {
            empty_element(out, 2, "link", &[("rel", "related"), ("href", &href)]);
            related_seen.push(href);
        }
    }
    for name in &entry.authors {
        if !is_blank(name) {
            person(out, 2, name);
        }
    }
    for topic in entry.topics.iter().filter(|t| !t.is_empty()) {
        let label = topic_labels.get(topic).unwrap_or(topic);
        empty_element(out, 2, "category", &[("term", topic), ("label", label)]);
    }
    for region in entry.regions.iter().filter(|r| !r.is_empty()) {
        empty_element(
            out,
            2,
            "category",
            &[("term", region), ("scheme", REGION_SCHEME)],
        );
    }
    if let Some(summary) = non_blank(entry.summary_html.as_deref()) {
        text_element(out, 2, "summary", &[("type", "html")], summary);
    }
    if let Some(content) = non_blank(entry.content_html.as_deref()) {
        text_element(out, 2, "content", &[("type", "html")], content);
    } else if alternate.is_none() {
        // RFC 4287 4.1.1.1: an entry without an alternate link must have
        // content; the title is all there is to show.
        text_element(out, 2, "content", &[("type", "text")], &entry.title);
    }
    write_source(out, &entry.source);
    out.push_str("  </entry>\n");
}

fn write_source(out: &mut String, source: &EntrySource) {
    out.push_str("    <source>\n");
    let id = source
        .feed_id
        .as_deref()
        .map(str::trim)
        .filter(|id| is_absolute_iri(id))
        .map(Cow::Borrowed)
        .or_else(|| iri(&source.url).filter(|u| is_absolute_iri(u)))
        .unwrap_or_else(|| {
            Cow::Owned(format!("urn:feedmill:source:{}", percent_all(&source.name)))
        });
    text_element(out, 3, "id", &[], &id);
    let title = non_blank(source.feed_title.as_deref()).unwrap_or(&source.name);
    text_element(out, 3, "title", &[("type", "text")], title);
    if let Some(href) = iri(&source.url) {
        empty_element(out, 3, "link", &[("rel", "self"), ("href", &href)]);
    }
    if let Some(href) = source.feed_link.as_deref().and_then(iri) {
        empty_element(out, 3, "link", &[("rel", "alternate"), ("href", &href)]);
    }
    out.push_str("    </source>\n");
}

/// The entry id: the store's uid is UUID-shaped, which gives the `urn:uuid`
/// form; anything else still gets a stable, valid IRI.
fn entry_id(uid: &str) -> String {
    let is_uuid = uid.len() == 36
        && uid.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if is_uuid {
        format!("urn:uuid:{}", uid.to_ascii_lowercase())
    } else {
        format!("urn:feedmill:entry:{}", percent_all(uid))
    }
}

fn person(out: &mut String, depth: usize, name: &str) {
    indent(out, depth);
    out.push_str("<author><name>");
    push_text(out, name.trim());
    out.push_str("</name></author>\n");
}

fn non_blank(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !is_blank(s))
}

/// Whether `s` is empty once the characters XML cannot carry are dropped
/// and it is trimmed: stops at the first character that shows, which in a
/// summary is nearly always the first.
fn is_blank(s: &str) -> bool {
    !s.chars().any(|c| is_xml_char(c) && !c.is_whitespace())
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn open_tag(out: &mut String, depth: usize, name: &str, attrs: &[(&str, &str)]) {
    indent(out, depth);
    out.push('<');
    out.push_str(name);
    for (key, value) in attrs {
        out.push(' ');
        out.push_str(key);
        out.push_str("=\"");
        push_attr(out, value);
        out.push('"');
    }
}

fn text_element(out: &mut String, depth: usize, name: &str, attrs: &[(&str, &str)], text: &str) {
    open_tag(out, depth, name, attrs);
    out.push('>');
    push_text(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

fn empty_element(out: &mut String, depth: usize, name: &str, attrs: &[(&str, &str)]) {
    open_tag(out, depth, name, attrs);
    out.push_str("/>\n");
}

/// Characters XML 1.0 allows in a document (section 2.2), minus the C1
/// controls and DEL it discourages: they only ever come from mis-decoded
/// text.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{7E}'
        | '\u{A0}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Character data: `]]>` needs no special case since `>` is always escaped.
fn push_text(out: &mut String, s: &str) {
    push_escaped(out, s, &TEXT_SPECIAL, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        // A literal CR would be normalized away by every XML parser.
        '\r' => Some("&#13;"),
        _ => None,
    });
}

/// Attribute values: whitespace is escaped too, since parsers normalize
/// literal tabs and newlines in attributes to spaces.
fn push_attr(out: &mut String, s: &str) {
    push_escaped(out, s, &ATTR_SPECIAL, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\t' => Some("&#9;"),
        '\n' => Some("&#10;"),
        '\r' => Some("&#13;"),
        _ => None,
    });
}

/// Bytes that start a character `push_text` (or `push_attr`) must look at:
/// the escaped ones, the controls and DEL, and the lead bytes of the only
/// other characters XML cannot carry (U+0080..U+009F start with 0xC2,
/// U+FFFE and U+FFFF with 0xEF). Every other byte is copied as it is, in
/// runs, which is most of every summary in any script.
const fn special_bytes(escaped: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b != b'\t' as usize && b != b'\n' as usize;
        b += 1;
    }
    table[0x7F] = true;
    table[0xC2] = true;
    table[0xEF] = true;
    let mut i = 0;
    while i < escaped.len() {
        table[escaped[i] as usize] = true;
        i += 1;
    }
    table
}

static TEXT_SPECIAL: [bool; 256] = special_bytes(b"&<>\r");
static ATTR_SPECIAL: [bool; 256] = special_bytes(b"&<>\"\t\n\r");

/// Copies `s` to `out`, with `escape`'s replacement for the characters it
/// names and without the characters XML cannot carry.
fn push_escaped(
    out: &mut String,
    s: &str,
    special: &[bool; 256],
    escape: fn(char) -> Option<&'static str>,
) {
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if !special[usize::from(bytes[i])] {
            i += 1;
            continue;
        }
        // A special byte is ASCII or a lead byte: always a char boundary.
        out.push_str(&s[start..i]);
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        match escape(c) {
            Some(replacement) => out.push_str(replacement),
            None if is_xml_char(c) => out.push(c),
            None => {}
        }
        i += c.len_utf8();
        start = i;
    }
    out.push_str(&s[start..]);
}

/// An IRI reference safe to put in an `href`: trimmed, with the characters
/// RFC 3987 forbids (controls, space, `<>"{}|\^` and backtick, a second `#`)
/// percent-encoded and a `%` that starts no escape encoded as `%25`. `None`
/// when nothing is left. Borrows `s` when it needs no change (nearly
/// always).
fn iri(s: &str) -> Option<Cow<'_, str>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if is_plain_iri(s) {
        return Some(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut seen_hash = false;
    let bytes = s.as_bytes();
    for (i, c) in s.char_indices() {
        let escape = match c {
            '%' => {
                !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            }
            '#' => std::mem::replace(&mut seen_hash, true),
            '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`' => true,
            c => c <= ' ' || !is_xml_char(c),
        };
        if escape {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                push_percent(&mut out, b);
            }
        } else {
            out.push(c);
        }
    }
    Some(Cow::Owned(out))
}

/// Whether `iri` would leave `s` (trimmed) as it is, checked byte by byte.
/// The lead bytes of the C1 controls and of U+FFFE/U+FFFF (0xC2, 0xEF)
/// send `s` the long way, which looks at the whole character.
fn is_plain_iri(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut hashes = 0;
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'%' => {
            bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        }
        b'#' => {
            hashes += 1;
            hashes == 1
        }
        b'<' | b'>' | b'"' | b'{' | b'}' | b'|' | b'\\' | b'^' | b'`' | 0x7F | 0xC2 | 0xEF => false,
        b => b > b' ',
    })
}

fn push_percent(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

/// Percent-encodes everything but unreserved ASCII, for ids built from
/// arbitrary strings.
fn percent_all(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            push_percent(&mut out, b);
        }
    }
    if out.is_empty() {
        out.push_str("unnamed");
    }
    out
}

/// An absolute IRI acceptable as an Atom id: a scheme, something after it,
/// an authority for http(s), no forbidden characters, at most one `#`.
pub(crate) fn is_absolute_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let authority_ok = !scheme.eq_ignore_ascii_case("http")
        && !scheme.eq_ignore_ascii_case("https")
        || rest
            .strip_prefix("//")
            .is_some_and(|r| r.starts_with(|c| !matches!(c, '/' | '?' | '#')));
    scheme_ok
        && !rest.is_empty()
        && authority_ok
        && rest.matches('#').count() <= 1
        && iri(s).is_some_and(|i| i == s)
}

/// RFC 3339 as RFC 4287 3.3 wants it (uppercase `T` and `Z`, seconds),
/// clamped to four-digit years so a hostile date cannot make the file
/// invalid.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    let min = DateTime::from_timestamp(-62_135_596_800, 0); // 0001-01-01T00:00:00Z
    let max = DateTime::from_timestamp(253_402_300_799, 0); // 9999-12-31T23:59:59Z
    let t = match (min, max) {
        (Some(min), _) if t.year() < 1 => min,
        (_, Some(max)) if t.year() > 9999 => max,
        _ => t,
    };
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
