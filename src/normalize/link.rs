//! Links: the canonical form used for dedup (contract rule 2) and the
//! cleaned form shown to readers.

use url::Url;

/// The dedup key of a link (contract rule 2). `None` when it is not an
/// http(s) URL.
pub fn canonical_link(link: &str) -> Option<String> {
    let _ = link;
    todo!("canonical link")
}

/// The link readers open: absolute, tracking parameters and nothing else removed.
pub fn clean_link(link: &Url) -> Url {
    let _ = link;
    todo!("clean link")
}
