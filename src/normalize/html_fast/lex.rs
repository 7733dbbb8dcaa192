//! The fast path's lexical pieces: tag names, comments, character
//! references read as html5ever's tokenizer reads them, and escaping as
//! its serializer writes.

use std::borrow::Cow;

use html5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};

/// Longest name in the fast path's tags; longer names are not theirs.
pub(super) const MAX_NAME: usize = 10;

/// The attributes ammonia checks as URLs (its rule, for HTML elements).
pub(super) fn is_url_attr(element: &str, attr: &str) -> bool {
    matches!(attr, "href" | "xlink:href" | "src")
        || (element == "form" && attr == "action")
        || (element == "object" && attr == "data")
        || (matches!(element, "button" | "input") && attr == "formaction")
        || (element == "a" && attr == "ping")
        || (element == "video" && attr == "poster")
}

pub(super) fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0C' | b' ')
}

pub(super) fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// A tag name at `from` (ASCII letters and digits), lower-cased, and where
/// it ends; `None` when it is followed by anything but a space, `/` or `>`
/// (the tokenizer would take more into the name) or is too long to be one
/// of [`TAGS`].
pub(super) fn tag_name(b: &[u8], from: usize) -> Option<(Name, usize)> {
    let mut name = Name([0u8; MAX_NAME], 0);
    let mut i = from;
    while i < b.len() && b[i].is_ascii_alphanumeric() {
        *name.0.get_mut(i - from)? = b[i].to_ascii_lowercase();
        i += 1;
    }
    name.1 = i - from;
    let next = *b.get(i)?;
    if !(is_space(next) || next == b'/' || next == b'>') {
        return None;
    }
    Some((name, i))
}

/// A lower-cased tag name, on the stack.
pub(super) struct Name([u8; MAX_NAME], usize);

impl Name {
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.0[..self.1]
    }
}

/// Skips the comment at the `<` at `k` (ammonia strips comments); `None`
/// for other `<!` markup and for the comment forms the tokenizer ends in
/// unusual places.
pub(super) fn skip_comment(b: &[u8], k: usize) -> Option<usize> {
    let body = k + 4;
    if !b[k..].starts_with(b"<!--") {
        return None;
    }
    // `<!-->`, `<!--->`: the comment ends at once.
    if b[body..].starts_with(b">") || b[body..].starts_with(b"->") {
        return None;
    }
    let hay = &b[body..];
    let end = hay.windows(3).position(|w| w == b"-->")?;
    if hay[..end + 3].windows(4).any(|w| w == b"--!>") {
        return None;
    }
    Some(body + end + 3)
}

/// Escapes text as html5ever's serializer does (`&`, `<`, `>`, U+00A0, and
/// `"` in attribute values).
pub(super) fn escape_into(text: &str, attr: bool, out: &mut String) {
    let b = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let (rep, len) = match b[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' if attr => ("&quot;", 1),
            0xC2 if b.get(i + 1) == Some(&0xA0) => ("&nbsp;", 2),
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&text[start..i]);
        out.push_str(rep);
        i += len;
        start = i;
    }
    out.push_str(&text[start..]);
}

/// The character reference at the `&` at `k`, as html5ever's tokenizer
/// reads it: its text and the position after it. A `&` that starts no
/// reference is itself. `None` for references to characters the tokenizer
/// replaces or reports (left to ammonia).
pub(super) fn char_ref(src: &str, k: usize, in_attr: bool) -> Option<(Cow<'static, str>, usize)> {
    let b = src.as_bytes();
    let literal = Some((Cow::Borrowed("&"), k + 1));
    match b.get(k + 1) {
        Some(b'#') => numeric_ref(b, k),
        Some(c) if c.is_ascii_alphanumeric() => {
            // Longest name in the table that the input starts with; the
            // table holds every prefix of every name, so the walk stops
            // where no name can continue.
            let mut end = k + 1;
            let mut matched: Option<(usize, (u32, u32))> = None;
            while end < b.len() && end - k <= 40 {
                end += 1;
                let Some(name) = src.get(k + 1..end) else {
                    break;
                };
                match NAMED_ENTITIES.get(name) {
                    Some(&m) if m.0 != 0 => matched = Some((end, m)),
                    Some(_) => {}
                    None => break,
                }
            }
            let Some((after, (c1, c2))) = matched else {
                return literal;
            };
            // A legacy name without `;` (`&copy`, `&region=` in a URL): in
            // an attribute, followed by `=` or a letter or digit, it is
            // text; elsewhere it is read (with a parse error).
            if b[after - 1] != b';'
                && in_attr
                && b.get(after)
                    .is_some_and(|&c| c == b'=' || c.is_ascii_alphanumeric())
            {
                return literal;
            }
            let mut s = String::new();
            s.push(char::from_u32(c1)?);
            if c2 != 0 {
                s.push(char::from_u32(c2)?);
            }
            Some((Cow::Owned(s), after))
        }
        _ => literal,
    }
}

pub(super) fn numeric_ref(b: &[u8], k: usize) -> Option<(Cow<'static, str>, usize)> {
    let (from, base) = match b.get(k + 2) {
        Some(b'x' | b'X') => (k + 3, 16),
        _ => (k + 2, 10),
    };
    let mut i = from;
    let mut n: u32 = 0;
    while let Some(d) = b.get(i).and_then(|&c| (c as char).to_digit(base)) {
        n = n.checked_mul(base)?.checked_add(d)?;
        if n > 0x10FFFF {
            return None;
        }
        i += 1;
    }
    // No digits (`&#;`) or no `;`: the tokenizer's odd cases.
    if i == from || b.get(i) != Some(&b';') {
        return None;
    }
    let c = match n {
        0x00 | 0xD800..=0xDFFF => return None,
        0x80..=0x9F => C1_REPLACEMENTS[(n - 0x80) as usize].or_else(|| char::from_u32(n))?,
        n => char::from_u32(n)?,
    };
    Some((Cow::Owned(c.to_string()), i + 1))
}
