//! Low-level pieces of the repair pass: tag and attribute scanning, and
//! the rules for text elements. Byte offsets, no allocation unless a value
//! has to change.

/// One attribute of a start tag, as written.
pub(super) struct Attr<'a> {
    pub name: &'a str,
    pub value: std::borrow::Cow<'a, str>,
}

/// Only unprefixed text elements and a few known prefixes: `media:title`
/// and friends are not read as item text, so they are left alone.
pub(super) fn eligible_prefix(qname: &str, local: &str) -> bool {
    qname == local || local == "encoded" || qname.starts_with("atom:")
}

/// Whether a text element's content is text or HTML (not XHTML, XML or an
/// out-of-line `src`), so inline markup in it can only have meant HTML.
pub(super) fn convertible(attrs: &[Attr<'_>]) -> bool {
    if attrs.iter().any(|a| a.name == "src") {
        return false;
    }
    match attrs.iter().find(|a| a.name == "type") {
        None => !attrs
            .iter()
            .any(|a| a.name == "mode" && a.value.trim() == "xml"),
        Some(a) => matches!(a.value.trim(), "text" | "html"),
    }
}

/// Maps the `type` of Atom text constructs to the three values feed-rs
/// accepts for them (it rejects the whole feed on anything else).
pub(super) fn normalize_atom_type(attrs: &mut [Attr<'_>], local: &str) -> bool {
    let Some(attr) = attrs.iter_mut().find(|a| a.name == "type") else {
        return false;
    };
    let value = attr.value.trim().to_ascii_lowercase();
    let normalized = match value.as_str() {
        "text" | "text/plain" | "plain" => "text",
        "html" | "text/html" | "escaped" => "html",
        "xhtml" | "application/xhtml+xml" => "xhtml",
        other if local == "content" && is_media_type(other) => return false,
        _ if local == "content" => "html",
        _ => "text",
    };
    if attr.value == normalized {
        return false;
    }
    attr.value = normalized.into();
    true
}

fn is_media_type(value: &str) -> bool {
    let mut parts = value.splitn(2, '/');
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&c))
    };
    matches!((parts.next(), parts.next()), (Some(t), Some(st)) if valid(t) && valid(st))
}

pub(super) fn set_attr<'x>(attrs: &mut Vec<Attr<'x>>, name: &'x str, value: &'static str) {
    match attrs.iter_mut().find(|a| a.name == name) {
        Some(a) => a.value = value.into(),
        None => attrs.push(Attr {
            name,
            value: value.into(),
        }),
    }
}

/// Writes the raw inner XML of a text element as escaped text whose value
/// is the HTML it meant: CDATA content is HTML-escaped first (it was
/// literal text), comments are dropped, and everything is then XML-escaped.
pub(super) fn escape_inner(inner: &str, out: &mut String) {
    let mut rest = inner;
    while !rest.is_empty() {
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").unwrap_or(cdata.len());
            let html = html_escape::encode_text(&cdata[..end]);
            xml_escape_into(&html, out);
            rest = cdata.get(end + 3..).unwrap_or("");
        } else if let Some(comment) = rest.strip_prefix("<!--") {
            let end = comment.find("-->").map_or(comment.len(), |e| e + 3);
            rest = &comment[end..];
        } else {
            let skip = rest.chars().next().map_or(1, char::len_utf8);
            let next = rest[skip..].find("<!").map_or(rest.len(), |i| i + skip);
            xml_escape_into(&rest[..next], out);
            rest = &rest[next..];
        }
    }
}

fn xml_escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

pub(super) struct Attrs<'a> {
    pub list: Vec<Attr<'a>>,
    /// The attributes had to be rewritten (unquoted or valueless ones,
    /// duplicates).
    pub rewritten: bool,
}

/// Parses the attributes of a start tag leniently: unquoted values are
/// accepted, valueless attributes and duplicates dropped.
pub(super) fn parse_attrs(tag: &str) -> Attrs<'_> {
    let b = tag.as_bytes();
    let mut list: Vec<Attr<'_>> = Vec::new();
    let mut rewritten = false;
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            i += 1;
        }
        if start == i {
            break;
        }
        let name = &tag[start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            rewritten = true;
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
            let quote = b[i];
            let vstart = i + 1;
            let vend = b[vstart..]
                .iter()
                .position(|&c| c == quote)
                .map_or(b.len(), |p| vstart + p);
            i = (vend + 1).min(b.len());
            if quote == b'\'' && tag[vstart..vend].contains('"') {
                rewritten = true;
            }
            &tag[vstart..vend]
        } else {
            let vstart = i;
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            rewritten = true;
            &tag[vstart..i]
        };
        if list.iter().any(|a| a.name == name) {
            rewritten = true;
            continue;
        }
        list.push(Attr {
            name,
            value: value.into(),
        });
    }
    Attrs { list, rewritten }
}

/// End of an element name starting at `from`.
pub(super) fn name_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'>' | b'/' | b'<') {
        i += 1;
    }
    i
}

/// Finds the `>` closing a start tag (quotes respected). Returns its
/// position and where the document continues; a `<` before any `>` ends a
/// broken tag early. `None` when the document ends inside the tag.
pub(super) fn tag_end(b: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return Some((i, i + 1)),
            None if c == b'<' => return Some((i, i)),
            None => {}
        }
        i += 1;
    }
    None
}

/// Skips `<!DOCTYPE ...>` (with an internal subset) or another `<!...>`
/// declaration starting at `k`.
pub(super) fn skip_declaration(b: &[u8], k: usize) -> Option<usize> {
    let mut i = k + 2;
    let mut in_subset = false;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'[' => in_subset = true,
                b']' => in_subset = false,
                b'>' if !in_subset => return Some(i + 1),
                _ => {}
            },
        }
        i += 1;
    }
    None
}

pub(super) fn find_byte(b: &[u8], from: usize, needle: u8) -> Option<usize> {
    memchr::memchr(needle, b.get(from..)?).map(|p| from + p)
}

pub(super) fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = b.get(from..)?;
    let first = needle[0];
    let mut i = 0;
    while let Some(p) = memchr::memchr(first, &hay[i..]) {
        let at = i + p;
        if hay[at..].starts_with(needle) {
            return Some(from + at);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_leniently() {
        let a = parse_attrs(r#" a="1" b='x "q"' c=bare d e="2" a="dup" /"#);
        let got: Vec<(&str, &str)> = a.list.iter().map(|x| (x.name, x.value.as_ref())).collect();
        assert_eq!(
            got,
            vec![("a", "1"), ("b", "x \"q\""), ("c", "bare"), ("e", "2")]
        );
        assert!(a.rewritten);
        let clean = parse_attrs(r#" href="https://x.example/?a=1&amp;b=2" rel='self'"#);
        assert!(!clean.rewritten);
        assert_eq!(clean.list.len(), 2);
    }

    #[test]
    fn tag_end_respects_quotes_and_broken_tags() {
        let b = br#"<a title="x > y" href='>'>rest"#;
        assert_eq!(tag_end(b, 2), Some((25, 26)));
        assert_eq!(&b[26..], b"rest");
        assert_eq!(tag_end(b"<a <b>", 2), Some((3, 3)));
        assert_eq!(tag_end(b"<a title=\"never closed>", 2), None);
    }

    #[test]
    fn doctype_with_internal_subset_is_skipped() {
        let b = br#"<!DOCTYPE x [<!ENTITY a "]>"> <!ENTITY b 'c'>]><rss/>"#;
        let end = skip_declaration(b, 0).unwrap();
        assert_eq!(&b[end..], b"<rss/>");
    }

    #[test]
    fn inner_markup_becomes_escaped_html() {
        let mut out = String::new();
        escape_inner(
            "A <b>B</b> &amp; <![CDATA[<i>x & y</i>]]><!-- gone -->",
            &mut out,
        );
        assert_eq!(
            out,
            "A &lt;b&gt;B&lt;/b&gt; &amp;amp; &amp;lt;i&amp;gt;x &amp;amp; y&amp;lt;/i&amp;gt;"
        );
    }

    #[test]
    fn atom_types_are_normalized() {
        let rows = [
            ("title", "TEXT", "text"),
            ("title", "text/plain", "text"),
            ("summary", "text/html", "html"),
            ("content", "application/xhtml+xml", "xhtml"),
            ("content", "image/png", "image/png"),
            ("content", "bogus", "html"),
            ("title", "bogus", "text"),
        ];
        for (local, value, want) in rows {
            let mut attrs = vec![Attr {
                name: "type",
                value: value.into(),
            }];
            normalize_atom_type(&mut attrs, local);
            assert_eq!(attrs[0].value, want, "{local} type={value}");
        }
    }
}
