//! Types that flow between the pipeline stages.
//!
//! Each stage owns its own internals; these are the only shapes that cross a
//! stage boundary, so a stage can be tested alone by building them by hand.

use chrono::{DateTime, Utc};

/// What the parser + normalizer make of one fetched document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFeed {
    /// The feed's own title, id and link, for the `<source>` element of entries.
    pub meta: FeedMeta,
    pub items: Vec<Item>,
    /// RSS `<ttl>` in minutes, when the feed gives one.
    pub ttl_minutes: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedMeta {
    pub title: Option<String>,
    /// The feed's id (Atom `<id>`) when it has one.
    pub id: Option<String>,
    /// The site link (`rel="alternate"`), absolute.
    pub link: Option<String>,
}

/// One item of a source feed, normalized: absolute links, sanitized HTML,
/// UTC dates, plain text for topic matching.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// The guid / id exactly as the feed gives it; never an id invented by the parser.
    pub guid: Option<String>,
    /// The article link, absolute, tracking parameters removed (what readers open).
    pub link: Option<String>,
    /// Plain text title (markup removed, entities decoded, whitespace collapsed).
    pub title: String,
    /// Sanitized HTML.
    pub summary_html: Option<String>,
    /// Sanitized HTML.
    pub content_html: Option<String>,
    pub categories: Vec<String>,
    pub authors: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Plain text of title, summary, content and categories, separated by
    /// newlines: what topic keywords are matched against. Markup is not text.
    pub match_text: String,
}

/// A stored story, as the renderer reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable identifier assigned when the story was first stored; the Atom
    /// `<id>` is derived from it and never changes.
    pub uid: String,
    pub title: String,
    pub link: Option<String>,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: DateTime<Utc>,
    /// Topic names (union over every copy), sorted.
    pub topics: Vec<String>,
    /// Regions of the sources that brought the story, sorted, deduplicated.
    pub regions: Vec<String>,
    /// The first source that brought the story.
    pub source: EntrySource,
    /// Links of the other sources' copies (not equal to `link`), in the order seen.
    pub related: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntrySource {
    /// Configured source name.
    pub name: String,
    /// Configured source URL (the feed address).
    pub url: String,
    pub feed_title: Option<String>,
    pub feed_id: Option<String>,
    pub feed_link: Option<String>,
}
