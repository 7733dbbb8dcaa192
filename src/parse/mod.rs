//! Parser: raw bytes of a fetched document → [`ParsedFeed`].
//!
//! Decodes the document's encoding (XML prolog, BOM or HTTP Content-Type),
//! hands it to feed-rs, works around feed-rs's known gaps, and runs the
//! normalizer over every item.

use chrono::{DateTime, Utc};
use url::Url;

use crate::model::ParsedFeed;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// Parses one fetched document. `base_url` is the URL it was fetched from
/// (after redirects), used to make relative links absolute; `now` bounds
/// dates from the future.
pub fn parse_feed(
    body: &[u8],
    content_type: Option<&str>,
    base_url: &Url,
    now: DateTime<Utc>,
) -> Result<ParsedFeed, ParseError> {
    let _ = (body, content_type, base_url, now);
    todo!("parse")
}
