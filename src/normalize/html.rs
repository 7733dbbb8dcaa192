//! HTML: sanitizing for output, plain text for matching.

use url::Url;

/// Sanitized HTML per the contract, with relative links made absolute against `base`.
pub fn sanitize(html: &str, base: Option<&Url>) -> String {
    let _ = (html, base);
    todo!("sanitize")
}

/// The text a reader sees: markup removed, entities decoded, whitespace collapsed.
pub fn to_text(html: &str) -> String {
    let _ = html;
    todo!("to_text")
}
