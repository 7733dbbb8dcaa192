//! HTML: sanitizing for output, plain text for matching.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;

use url::Url;

use crate::parse::entities::html_entity;

thread_local! {
    /// The base of the `sanitize` call running on this thread. ammonia takes
    /// the base at build time, and building a sanitizer per item is costly,
    /// so the one shared sanitizer reads it from here.
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

/// The `rel` every link gets.
pub(super) const LINK_REL: &str = "noopener noreferrer nofollow";

/// The sanitizer. `html_fast` reads its policy, so a change here reaches
/// both paths.
pub(super) static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Custom(Box::new(resolve_relative)))
        .link_rel(Some(LINK_REL))
        .strip_comments(true)
        // Elements whose content is code or a foreign document, not text.
        .clean_content_tags(HashSet::from([
            "script", "style", "iframe", "object", "embed", "noscript", "noembed", "noframes",
            "template", "svg", "math", "applet", "frameset", "head", "title", "xmp",
        ]));
    // ammonia checks the scheme of href/src-like attributes only; `cite`
    // would carry a `javascript:` URL through untouched.
    for tag in ["blockquote", "q", "del", "ins"] {
        b.rm_tag_attributes(tag, &["cite"]);
    }
    b
});

fn resolve_relative(url: &str) -> Option<Cow<'_, str>> {
    BASE.with(|base| resolve_against(base.borrow().as_ref(), url).map(Cow::Owned))
}

/// A relative URL from sanitized HTML made absolute: kept only when it
/// resolves to http(s).
pub(super) fn resolve_against(base: Option<&Url>, url: &str) -> Option<String> {
    let base = base?;
    if let Some(joined) = join_plain_path(base, url) {
        return Some(joined);
    }
    let joined = base.join(url).ok()?;
    matches!(joined.scheme(), "http" | "https").then(|| joined.into())
}

/// Characters the URL parser keeps as they are in a path.
static PLAIN_PATH: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric()
            || matches!(
                c as u8,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
            );
        c += 1;
    }
    t
};

/// `base.join(path)` for the plain absolute paths most relative links are
/// (`/img/1.jpg`), without parsing: only characters the URL parser keeps
/// as they are in a path, and no dot segments for it to remove, so the
/// result is the base's origin followed by the path. `None` for anything
/// else.
fn join_plain_path(base: &Url, path: &str) -> Option<String> {
    let b = path.as_bytes();
    if !matches!(base.scheme(), "http" | "https")
        || b.first() != Some(&b'/')
        || b.get(1) == Some(&b'/')
        || !b.iter().all(|&c| PLAIN_PATH[c as usize])
        || path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
    {
        return None;
    }
    let origin = &base[..url::Position::BeforePath];
    let mut joined = String::with_capacity(origin.len() + path.len());
    joined.push_str(origin);
    joined.push_str(path);
    Some(joined)
}

/// Sanitized HTML per the contract, with relative links made absolute against `base`.
///
/// Only ordinary formatting elements survive; `script`, `style`, `iframe`,
/// `object`, `embed`, forms and `on*` attributes are removed; URLs must be
/// http, https or mailto (however the scheme is obfuscated); relative URLs
/// are resolved against `base`, or dropped without one; links get
/// `rel="noopener noreferrer nofollow"`.
pub fn sanitize(html: &str, base: Option<&Url>) -> String {
    sanitize_and_text(html, base).0
}

/// [`sanitize`], and the result's [`to_text`] when it comes at no extra
/// cost (from the fast path, which sees the text as it cleans).
pub fn sanitize_and_text(html: &str, base: Option<&Url>) -> (String, Option<String>) {
    // Without `<` or `&` there is no markup and no entity: nothing to clean.
    if !html.contains(['<', '&']) {
        return (html.trim().to_string(), None);
    }
    if nesting_exceeds(html, MAX_NESTING) {
        // html5ever is quadratic in nesting depth; no article nests this
        // deep, so keep its text and drop its markup.
        let text = format!("<p>{}</p>", html_escape::encode_text(&to_text(html)));
        return (text, None);
    }
    if let Some((cleaned, text)) = super::html_fast::sanitize(html, base) {
        return (cleaned, Some(text));
    }
    (sanitize_with_ammonia(html, base), None)
}

/// [`sanitize`] by ammonia alone (what the fast path must agree with).
pub(super) fn sanitize_with_ammonia(html: &str, base: Option<&Url>) -> String {
    BASE.with(|b| *b.borrow_mut() = base.cloned());
    let cleaned = SANITIZER.clean(html).to_string();
    BASE.with(|b| *b.borrow_mut() = None);
    cleaned
}

/// Deeper element nesting than this is treated as hostile.
const MAX_NESTING: usize = 512;

/// Whether elements nest deeper than `limit`, counting as html5ever would
/// keep them open: void elements and those that close their open sibling
/// (`p`, `li`, table cells...) do not deepen.
fn nesting_exceeds(html: &str, limit: usize) -> bool {
    const FLAT: &[&str] = &[
        "area", "base", "br", "col", "dd", "dt", "embed", "hr", "img", "input", "li", "link",
        "meta", "option", "p", "param", "source", "td", "th", "tr", "track", "wbr",
    ];
    let b = html.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        i += off + 1;
        match b.get(i) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let (name, _) = tag_name(b, i);
                if !is_one_of(name, FLAT) {
                    depth += 1;
                    if depth > limit {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// Plain text as HTML (for `type="text"` summaries).
pub fn escape_text(text: &str) -> String {
    html_escape::encode_text(text.trim()).into_owned()
}

/// Elements after which a reader sees a break, so their text must not run
/// into the next element's.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "img",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Elements whose content is never text a reader sees.
const HIDDEN: &[&str] = &[
    "script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head", "title",
    "noembed", "noframes", "xmp",
];

/// The words of plain text, one space between each (what splitting on
/// whitespace and joining with spaces gives).
pub fn collapse_whitespace(text: &str) -> String {
    let mut w = TextWriter::with_capacity(text.len());
    w.push_str(text);
    w.out
}

/// Whether a reader sees a break at this element (so [`to_text`] puts a
/// space there).
pub(super) fn is_block(name: &str) -> bool {
    is_one_of(name.as_bytes(), BLOCK)
}

/// The text a reader sees: markup removed, entities decoded, whitespace collapsed.
///
/// A small tokenizer rather than an HTML parser: it runs on every title,
/// summary and content at ingest, and only has to find text, not a tree.
pub fn to_text(html: &str) -> String {
    let mut w = TextWriter {
        out: String::with_capacity(html.len()),
        space: false,
    };
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(off) = memchr::memchr2(b'<', b'&', &b[i..]) else {
            w.push_str(&html[i..]);
            break;
        };
        w.push_str(&html[i..i + off]);
        i += off;
        if b[i] == b'&' {
            let (text, next) = decode_reference(html, i);
            w.push_str(&text);
            i = next;
            continue;
        }
        match b.get(i + 1) {
            Some(b'!') => {
                i = if b[i..].starts_with(b"<!--") {
                    find(b, i + 4, b"-->").map_or(b.len(), |e| e + 3)
                } else {
                    find(b, i, b">").map_or(b.len(), |e| e + 1)
                };
            }
            Some(b'?') => i = find(b, i, b">").map_or(b.len(), |e| e + 1),
            Some(b'/') if b.get(i + 2).is_some_and(u8::is_ascii_alphabetic) => {
                let (name, _) = tag_name(b, i + 2);
                i = tag_end(b, i + 2);
                if is_one_of(name, BLOCK) {
                    w.space = true;
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let (name, after_name) = tag_name(b, i + 1);
                i = tag_end(b, after_name);
                if is_one_of(name, HIDDEN) {
                    i = skip_element_content(b, i, name);
                } else if is_one_of(name, BLOCK) {
                    w.space = true;
                }
            }
            _ => {
                w.push_str("<");
                i += 1;
            }
        }
    }
    w.out
}

/// Text as a reader sees it, built piece by piece.
pub(super) struct TextWriter {
    pub(super) out: String,
    /// Whitespace is pending: written as one space before the next text.
    pub(super) space: bool,
}

impl TextWriter {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        TextWriter {
            out: String::with_capacity(capacity),
            space: false,
        }
    }

    /// Appends `s` with each run of whitespace as one pending space. Text
    /// whose spacing is already single spaces is copied in one piece.
    pub(super) fn push_str(&mut self, s: &str) {
        // Most text is words and single spaces: checked in a few passes
        // over the bytes, it is copied whole.
        if s.len() >= 24 {
            let b = s.as_bytes();
            let lead = b[0] == b' ';
            let trail = b[b.len() - 1] == b' ';
            let inner = &s[usize::from(lead)..s.len() - usize::from(trail)];
            if !inner.is_empty() && already_collapsed(inner) {
                if (lead || self.space) && !self.out.is_empty() {
                    self.out.push(' ');
                }
                self.out.push_str(inner);
                self.space = trail;
                return;
            }
        }
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let space = whitespace_len(s, i);
            if space > 0 {
                self.space = true;
                i += space;
                continue;
            }
            if self.space && !self.out.is_empty() {
                self.out.push(' ');
            }
            self.space = false;
            let start = i;
            loop {
                while i < b.len() && !(CLASS[b[i] as usize] && whitespace_len(s, i) > 0) {
                    i += 1;
                }
                // One plain space between two words is already collapsed.
                if b.get(i) == Some(&b' ') && i + 1 < b.len() && whitespace_len(s, i + 1) == 0 {
                    i += 1;
                    continue;
                }
                break;
            }
            self.out.push_str(&s[start..i]);
        }
    }
}

/// Built once: building a searcher costs more than most searches.
static DOUBLE_SPACE: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(b"  "));

/// Whether `s` is words separated by single plain spaces, with no
/// whitespace at either end: what collapsing whitespace leaves unchanged.
fn already_collapsed(s: &str) -> bool {
    let b = s.as_bytes();
    // Without early exit, so the compiler can compare many bytes at once.
    let controls = b
        .chunks(64)
        .any(|chunk| chunk.iter().fold(false, |found, &c| found | (c < 0x20)));
    b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && !controls
        && DOUBLE_SPACE.find(b).is_none()
        && memchr::memchr3_iter(0xC2, 0xE2, 0xE3, b).all(|i| whitespace_len(s, i) == 0)
        && memchr::memchr_iter(0xE1, b).all(|i| whitespace_len(s, i) == 0)
}

/// Bytes that may start a whitespace character: ASCII spaces and the lead
/// bytes of the non-ASCII ones (U+0085, U+00A0, U+1680, U+2000-U+205F,
/// U+3000).
static CLASS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = matches!(i, 0x09..=0x0D | 0x20 | 0xC2 | 0xE1 | 0xE2 | 0xE3);
        i += 1;
    }
    t
};

/// `char::is_whitespace` for ASCII.
fn is_ascii_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b' ')
}

/// The length of the whitespace character at byte `i` of `s`, or 0.
fn whitespace_len(s: &str, i: usize) -> usize {
    let b = s.as_bytes();
    match b[i] {
        c if c < 0x80 => return usize::from(is_ascii_space(c)),
        // Only these lead bytes start a non-ASCII space (U+0085, U+00A0,
        // U+1680, U+2000-U+205F, U+3000).
        0xC2 | 0xE1 | 0xE2 | 0xE3 => {}
        _ => return 0,
    }
    match s[i..].chars().next() {
        Some(c) if c.is_whitespace() => c.len_utf8(),
        _ => 0,
    }
}

/// Decodes the reference at `&` (named with `;`, decimal, hex); a `&` that
/// starts none is itself.
fn decode_reference(s: &str, k: usize) -> (Cow<'static, str>, usize) {
    let b = s.as_bytes();
    let literal = (Cow::Borrowed("&"), k + 1);
    let Some(semi) = b[k + 1..]
        .iter()
        .take(33)
        .position(|&c| c == b';')
        .map(|p| k + 1 + p)
    else {
        return literal;
    };
    let body = &s[k + 1..semi];
    if let Some(num) = body.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        return match value.and_then(char::from_u32) {
            Some(c) if !c.is_control() || c.is_whitespace() => {
                (Cow::Owned(c.to_string()), semi + 1)
            }
            Some(_) => (Cow::Borrowed(""), semi + 1),
            None => literal,
        };
    }
    match html_entity(body) {
        Some(text) => (Cow::Borrowed(text), semi + 1),
        None => literal,
    }
}

fn tag_name(b: &[u8], from: usize) -> (&[u8], usize) {
    let mut i = from;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
        i += 1;
    }
    (&b[from..i], i)
}

fn is_one_of(name: &[u8], set: &[&str]) -> bool {
    set.iter().any(|s| name.eq_ignore_ascii_case(s.as_bytes()))
}

/// Position after the `>` ending a tag (quoted attribute values may hold `>`).
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (i, &c) in b.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return i + 1,
            None => {}
        }
    }
    b.len()
}

/// Skips to after `</name>` (case-insensitive), or to the end.
fn skip_element_content(b: &[u8], from: usize, name: &[u8]) -> usize {
    let mut i = from;
    while let Some(k) = find(b, i, b"</") {
        let end = k + 2 + name.len();
        if end <= b.len() && b[k + 2..end].eq_ignore_ascii_case(name) {
            return tag_end(b, end);
        }
        i = k + 2;
    }
    b.len()
}

/// The first `needle` (a few bytes) at or after `from`.
fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = b.get(from..)?;
    let mut i = 0;
    while let Some(p) = memchr::memchr(needle[0], &hay[i..]) {
        if hay[i + p..].starts_with(needle) {
            return Some(from + i + p);
        }
        i += p + 1;
    }
    None
}

#[cfg(test)]
mod tests;
