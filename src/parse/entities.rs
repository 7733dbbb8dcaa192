//! Character and entity references, made safe for an XML parser that knows
//! only the five XML entities and never reads a DTD.

use std::borrow::Cow;

use super::decode::{c1_as_windows_1252, is_xml_char};

/// Longest entity name in the HTML table is 31 characters.
const MAX_NAME: usize = 32;

/// The replacement for the reference starting with the `&` at `k`, and the
/// position after what it replaces:
/// - the five XML entities and numeric references to allowed characters
///   are kept as written;
/// - HTML named entities become numeric references;
/// - numeric references to characters XML forbids (`&#0;`) are dropped;
/// - anything else (unknown names, a bare `&`) becomes `&amp;`, so the
///   text reads literally.
pub(crate) fn repair_reference(src: &str, k: usize) -> (Cow<'_, str>, usize) {
    let b = src.as_bytes();
    let literal = (Cow::Borrowed("&amp;"), k + 1);
    if b.get(k + 1) == Some(&b'#') {
        let (digits_from, radix) = match b.get(k + 2) {
            Some(b'x') | Some(b'X') => (k + 3, 16),
            _ => (k + 2, 10),
        };
        let digits_len = b[digits_from.min(b.len())..]
            .iter()
            .take(MAX_NAME)
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        let semi = digits_from + digits_len;
        if digits_len == 0 || b.get(semi) != Some(&b';') {
            return literal;
        }
        let c = u32::from_str_radix(&src[digits_from..semi], radix)
            .ok()
            .and_then(char::from_u32);
        return match c {
            // `&#146;` means `’` on the web (windows-1252), as browsers read it.
            Some(c) if ('\u{80}'..='\u{9F}').contains(&c) => match c1_as_windows_1252(c) {
                Some(d) => (Cow::Owned(format!("&#{};", u32::from(d))), semi + 1),
                None => (Cow::Borrowed(""), semi + 1),
            },
            Some(c) if is_xml_char(c) => (Cow::Borrowed(&src[k..=semi]), semi + 1),
            _ => (Cow::Borrowed(""), semi + 1),
        };
    }
    let name_len = b[(k + 1).min(b.len())..]
        .iter()
        .take(MAX_NAME)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let semi = k + 1 + name_len;
    if name_len == 0 || !b[k + 1].is_ascii_alphabetic() || b.get(semi) != Some(&b';') {
        return literal;
    }
    let name = &src[k + 1..semi];
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
        return (Cow::Borrowed(&src[k..=semi]), semi + 1);
    }
    match html_entity(name) {
        Some(value) => {
            let mut out = String::with_capacity(8 * value.chars().count());
            for c in value.chars() {
                out.push_str("&#");
                out.push_str(&(c as u32).to_string());
                out.push(';');
            }
            (Cow::Owned(out), semi + 1)
        }
        None => literal,
    }
}

/// The text of an HTML named entity (without `&` and `;`).
pub(crate) fn html_entity(name: &str) -> Option<&'static str> {
    let table = &html_escape::NAMED_ENTITIES;
    table
        .binary_search_by(|(n, _)| (*n).cmp(name.as_bytes()))
        .ok()
        .map(|i| table[i].1)
}

/// An attribute value with its references repaired and `<` escaped.
pub(crate) fn repair_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let mut pos = 0;
    while let Some(off) = value[pos..].find(['&', '<']) {
        let k = pos + off;
        out.push_str(&value[pos..k]);
        if value.as_bytes()[k] == b'<' {
            out.push_str("&lt;");
            pos = k + 1;
        } else {
            let (rep, next) = repair_reference(value, k);
            out.push_str(&rep);
            pos = next;
        }
    }
    out.push_str(&value[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repair_text(s: &str) -> String {
        let mut out = String::new();
        let mut pos = 0;
        while let Some(off) = s[pos..].find('&') {
            out.push_str(&s[pos..pos + off]);
            let (rep, next) = repair_reference(s, pos + off);
            out.push_str(&rep);
            pos = next;
        }
        out.push_str(&s[pos..]);
        out
    }

    #[test]
    fn references_table() {
        let rows = [
            ("a&nbsp;b", "a&#160;b"),
            ("&eacute;t&eacute;", "&#233;t&#233;"),
            ("&amp;&lt;&gt;&quot;&apos;", "&amp;&lt;&gt;&quot;&apos;"),
            ("&AMP;", "&#38;"),
            (
                "&hellip;&mdash;&rsquo;&euro;&copy;",
                "&#8230;&#8212;&#8217;&#8364;&#169;",
            ),
            ("&#233;&#xE9;&#XE9;", "&#233;&#xE9;&#XE9;"),
            ("x&#0;y&#x1;z&#xFFFE;", "xyz"),
            ("&#x110000;", ""),
            ("don&#146;t &#x80;", "don&#8217;t &#8364;"),
            ("&#129;", ""),
            ("&#99999999999;", ""),
            ("AT&T", "AT&amp;T"),
            ("a & b", "a &amp; b"),
            ("&unknownentity;", "&amp;unknownentity;"),
            ("&lol9;", "&amp;lol9;"),
            ("&nbsp", "&amp;nbsp"),
            ("&#;", "&amp;#;"),
            ("&#x;", "&amp;#x;"),
            ("&", "&amp;"),
            ("&Ccaron;a&scaron;ak", "&#268;a&#353;ak"),
        ];
        for (input, want) in rows {
            assert_eq!(repair_text(input), want, "input {input:?}");
        }
    }

    #[test]
    fn attribute_values() {
        assert_eq!(
            repair_attribute("a?x=1&y=2&amp;z=<3"),
            "a?x=1&amp;y=2&amp;z=&lt;3"
        );
    }
}
