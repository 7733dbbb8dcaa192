//! Normalizer: canonical links, absolute URLs, sanitized HTML, plain text.

pub mod html;
pub mod link;
