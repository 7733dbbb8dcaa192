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
    let joined = base?.join(url).ok()?;
    matches!(joined.scheme(), "http" | "https").then(|| joined.into())
}

/// Sanitized HTML per the contract, with relative links made absolute against `base`.
///
/// Only ordinary formatting elements survive; `script`, `style`, `iframe`,
/// `object`, `embed`, forms and `on*` attributes are removed; URLs must be
/// http, https or mailto (however the scheme is obfuscated); relative URLs
/// are resolved against `base`, or dropped without one; links get
/// `rel="noopener noreferrer nofollow"`.
pub fn sanitize(html: &str, base: Option<&Url>) -> String {
    // Without `<` or `&` there is no markup and no entity: nothing to clean.
    if !html.contains(['<', '&']) {
        return html.trim().to_string();
    }
    if nesting_exceeds(html, MAX_NESTING) {
        // html5ever is quadratic in nesting depth; no article nests this
        // deep, so keep its text and drop its markup.
        return format!("<p>{}</p>", html_escape::encode_text(&to_text(html)));
    }
    if let Some(cleaned) = super::html_fast::sanitize(html, base) {
        return cleaned;
    }
    sanitize_with_ammonia(html, base)
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

struct TextWriter {
    out: String,
    /// Whitespace is pending: written as one space before the next text.
    space: bool,
}

impl TextWriter {
    /// Appends `s` with each run of whitespace as one pending space; words
    /// are copied whole rather than character by character.
    fn push_str(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let space = whitespace_len(s, i);
            if space > 0 {
                self.space = true;
                i += space;
                continue;
            }
            let start = i;
            while i < b.len() {
                if b[i] < 0x80 {
                    if is_ascii_space(b[i]) {
                        break;
                    }
                    i += 1;
                } else if whitespace_len(s, i) > 0 {
                    break;
                } else {
                    i += utf8_len(b[i]);
                }
            }
            if self.space && !self.out.is_empty() {
                self.out.push(' ');
            }
            self.space = false;
            self.out.push_str(&s[start..i]);
        }
    }
}

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

/// Bytes of the UTF-8 sequence that starts with `first`.
pub(super) fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
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

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example.org/vesti/feed.xml").unwrap()
    }

    /// Every attack vector must come out without the dangerous part; the
    /// `must_not` strings are checked case-insensitively.
    #[test]
    fn sanitize_removes_xss_vectors() {
        let rows: &[(&str, &[&str])] = &[
            ("<p>a<script>alert(1)</script>b</p>", &["<script", "alert"]),
            ("<SCRIPT>alert(1)</SCRIPT>ok", &["<script", "alert"]),
            ("<img src=x onerror=alert(1)>", &["onerror", "alert"]),
            (
                "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
                &["javascript", "alert"],
            ),
            (
                "<a href=\" javascript:alert(1)\">x</a>",
                &["javascript", "alert"],
            ),
            (
                "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
                &["javascript", "alert"],
            ),
            (
                "<a href=\"&#106;avascript:alert(1)\">x</a>",
                &["javascript", "alert"],
            ),
            (
                "<a href=\"vbscript:msgbox(1)\">x</a>",
                &["vbscript", "msgbox"],
            ),
            (
                "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">",
                &["data:"],
            ),
            (
                "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
                &["data:", "alert"],
            ),
            (
                "<svg><script>alert(1)</script></svg>",
                &["<svg", "<script", "alert"],
            ),
            ("<svg onload=alert(1)>", &["<svg", "onload"]),
            (
                "<iframe src=\"https://evil.example/\">inner</iframe>",
                &["<iframe", "evil.example"],
            ),
            (
                "<style>body{display:none}</style>text",
                &["<style", "display"],
            ),
            (
                "<base href=\"https://evil.example/\">",
                &["<base", "evil.example"],
            ),
            (
                "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
                &["<meta", "refresh"],
            ),
            (
                "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
                &["<object", "<embed", "swf"],
            ),
            (
                "<form action=\"https://evil.example/\"><input name=p></form>",
                &["<form", "<input", "evil.example"],
            ),
            (
                "<div onclick=\"alert(1)\" onmouseover=\"x()\">t</div>",
                &["onclick", "onmouseover", "alert"],
            ),
            (
                "<p style=\"background:url(javascript:alert(1))\">t</p>",
                &["style", "javascript"],
            ),
            (
                "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
                &["onerror", "alert"],
            ),
            (
                "<blockquote cite=\"javascript:alert(1)\">q</blockquote><q cite=\"data:x\">q</q>",
                &["javascript", "data:", "cite"],
            ),
        ];
        for (input, must_not) in rows {
            let out = sanitize(input, Some(&base())).to_lowercase();
            for bad in *must_not {
                assert!(
                    !out.contains(bad),
                    "{input:?} -> {out:?} still contains {bad:?}"
                );
            }
        }
    }

    #[test]
    fn sanitize_keeps_formatting_and_resolves_links() {
        let html =
            "<p>Vučić <b>met</b> <em>Kurti</em>.<br><a href=\"/vesti/1\" title=\"t\">more</a> \
                    <img src=\"img/a.jpg\" alt=\"Photo\" onerror=\"x\"></p><ul><li>one</li></ul>\
                    <blockquote>q</blockquote><a href=\"mailto:desk@example.org\">mail</a>";
        let out = sanitize(html, Some(&base()));
        for want in [
            "<p>",
            "<b>met</b>",
            "<em>Kurti</em>",
            "<br>",
            "href=\"https://news.example.org/vesti/1\"",
            "rel=\"noopener noreferrer nofollow\"",
            "src=\"https://news.example.org/vesti/img/a.jpg\"",
            "alt=\"Photo\"",
            "<li>one</li>",
            "<blockquote>q</blockquote>",
            "href=\"mailto:desk@example.org\"",
        ] {
            assert!(out.contains(want), "{out:?} lacks {want:?}");
        }
        assert!(!out.contains("onerror"));
    }

    #[test]
    fn sanitize_without_base_drops_relative_urls() {
        let out = sanitize("<a href=\"/x\">x</a><img src=\"y.png\" alt=\"y\">", None);
        assert!(!out.contains("/x\""), "{out}");
        assert!(!out.contains("y.png"), "{out}");
        assert!(out.contains(">x</a>"), "{out}");
    }

    #[test]
    fn sanitize_plain_text_passes_through() {
        assert_eq!(sanitize("  just text > here ", None), "just text > here");
    }

    #[test]
    fn sanitize_survives_deep_nesting() {
        for tag in ["div", "b", "span"] {
            let html = format!("<{tag}>").repeat(50_000)
                + "deep <script>x</script>"
                + &format!("</{tag}>").repeat(50_000);
            let started = std::time::Instant::now();
            let out = sanitize(&html, None);
            assert!(
                out.contains("deep") && !out.contains("script"),
                "{tag}: {out}"
            );
            assert!(started.elapsed().as_secs() < 5, "{tag}: too slow");
            assert_eq!(to_text(&html), "deep");
        }
        // Ordinary documents with many sibling paragraphs keep their markup.
        let flat = "<p>para <b>bold</b>".repeat(2_000);
        assert!(sanitize(&flat, None).contains("<b>bold</b>"));
    }

    /// The word-at-a-time writer collapses whitespace exactly as a
    /// character-by-character one would, Unicode spaces included.
    #[test]
    fn text_writer_matches_char_by_char() {
        fn reference(s: &str) -> String {
            let (mut out, mut space) = (String::new(), false);
            for c in s.chars() {
                if c.is_whitespace() {
                    space = true;
                } else {
                    if space && !out.is_empty() {
                        out.push(' ');
                    }
                    space = false;
                    out.push(c);
                }
            }
            out
        }
        let pieces = [
            "a",
            "Vučić",
            "Косово",
            " ",
            "\t",
            "\n",
            "\u{0B}",
            "\u{0C}",
            "\r",
            "\u{85}",
            "\u{A0}",
            "\u{2003}",
            "\u{3000}",
            "\u{200B}",
            "x\u{1F600}",
            "ë",
            "",
            "…",
            "«»",
            "\u{2009}",
            "\u{205F}",
            "\u{1680}",
            "\u{2028}",
            "\u{202F}",
            "ሀ",
            "、",
        ];
        let mut seed = 0x1234_5678_u64;
        for _ in 0..5_000 {
            let mut s = String::new();
            for _ in 0..8 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let mut w = TextWriter {
                out: String::new(),
                space: false,
            };
            w.push_str(&s);
            assert_eq!(w.out, reference(&s), "{s:?}");
        }
    }

    #[test]
    fn to_text_table() {
        let rows = [
            ("<p>Hello <b>world</b></p>", "Hello world"),
            ("Vu<b>č</b>ić", "Vučić"),
            ("a&nbsp;&amp;&nbsp;b", "a & b"),
            ("&lt;b&gt;not a tag&lt;/b&gt;", "<b>not a tag</b>"),
            ("Thaçi&#8217;s &#x201C;plan&#x201d;", "Thaçi’s “plan”"),
            ("  many \n\t spaces  ", "many spaces"),
            ("<p>one</p><p>two</p>", "one two"),
            ("line<br>break", "line break"),
            ("<script>var a = '<p>x</p>';</script>text", "text"),
            ("<STYLE>p{}</STYLE>text", "text"),
            ("a <!-- hidden --> b", "a b"),
            ("<a href=\"x?a>b\">link</a>", "link"),
            ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
            ("AT&T & co", "AT&T & co"),
            ("&unknown; &#xZZ;", "&unknown; &#xZZ;"),
            ("<img src=a.jpg alt=x>caption", "caption"),
            ("", ""),
            ("Вучић у <i>Београду</i>", "Вучић у Београду"),
            ("<p>unclosed <b>bold", "unclosed bold"),
            ("<script>never closed", ""),
        ];
        for (input, want) in rows {
            assert_eq!(to_text(input), want, "input {input:?}");
        }
    }
}
