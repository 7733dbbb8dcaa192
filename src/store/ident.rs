//! Identities: what makes two items the same (contract rules 1-3), the
//! stable story id, and the plain text of stored HTML.

use sha2::{Digest, Sha256};

use crate::model::Item;

/// The dedup identity of an item within its source (contract rules 1-3).
pub(super) fn identity(item: &Item, canon: Option<&str>) -> String {
    if let Some(guid) = item
        .guid
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        return format!("guid:{guid}");
    }
    if let Some(c) = canon {
        return format!("link:{c}");
    }
    // A link that is not http(s) cannot be canonicalized; it still
    // identifies the item within its own source.
    if let Some(link) = item
        .link
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        return format!("link:{link}");
    }
    format!("text:{}", text_key(item))
}

/// Rule 3: SHA-256 of the normalized title and summary text. An item with
/// neither falls back to its content, so distinct untitled posts stay apart.
fn text_key(item: &Item) -> String {
    let title = normalize_text(&item.title);
    let summary = normalize_text(&plain_text(item.summary_html.as_deref().unwrap_or("")));
    let mut h = Sha256::new();
    if title.is_empty() && summary.is_empty() {
        h.update(b"content\n");
        h.update(
            normalize_text(&plain_text(item.content_html.as_deref().unwrap_or(""))).as_bytes(),
        );
    } else {
        h.update(title.as_bytes());
        h.update(b"\n");
        h.update(summary.as_bytes());
    }
    format!("{:x}", h.finalize())
}

/// Lower-cased, whitespace collapsed to single spaces, trimmed.
fn normalize_text(s: &str) -> String {
    s.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of sanitized HTML: tags dropped (as a space), entities decoded.
pub(super) fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match (in_tag, ch) {
            (false, '<') => in_tag = true,
            (true, '>') => {
                in_tag = false;
                out.push(' ');
            }
            (false, c) => out.push(c),
            (true, _) => {}
        }
    }
    html_escape::decode_html_entities(&out).into_owned()
}

/// A story's stable id: UUID-shaped (version 8, RFC 9562 variant) from the
/// SHA-256 of the first copy's source name and identity. Stored once and
/// never recomputed, so later renames or rule changes cannot move it.
pub(super) fn story_uid(source: &str, identity: &str) -> String {
    let mut h = Sha256::new();
    h.update(source.as_bytes());
    h.update([0]);
    h.update(identity.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let n = u128::from_be_bytes(b);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        n >> 96,
        (n >> 80) & 0xffff,
        (n >> 64) & 0xffff,
        (n >> 48) & 0xffff,
        n & 0xffff_ffff_ffff
    )
}

/// The dedup key of a link (contract rule 2).
pub(super) fn canonical_key(link: &str) -> Option<String> {
    crate::normalize::link::canonical_link(link)
}
