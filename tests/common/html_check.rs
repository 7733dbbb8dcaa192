//! A browser's-eye check of sanitized HTML, shared by tests/security.rs
//! and the fuzz targets (which include this file by path): it names the
//! first element, attribute or URL that could run code, load a document
//! or restyle the page.

/// Elements that may survive sanitizing: formatting only.
#[rustfmt::skip]
const ALLOWED_ELEMENTS: &[&str] = &[
    "a", "abbr", "acronym", "area", "article", "aside", "b", "bdi", "bdo", "blockquote", "br",
    "caption", "center", "cite", "code", "col", "colgroup", "data", "dd", "del", "details",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hgroup", "hr", "i", "img", "ins", "kbd", "li", "map", "mark", "nav",
    "ol", "p", "pre", "q", "rp", "rt", "rtc", "ruby", "s", "samp", "small", "span", "strike",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time",
    "tr", "tt", "u", "ul", "var", "wbr",
];

/// Attributes that hold a URL somewhere in some browser.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "cite",
    "action",
    "formaction",
    "background",
    "poster",
    "xlink:href",
    "srcset",
    "longdesc",
    "usemap",
    "dynsrc",
    "lowsrc",
    "data",
    "codebase",
    "ping",
    "manifest",
    "icon",
    "profile",
];

/// Reads sanitized HTML as a browser would and names the first thing in
/// it that could run code, load a document or restyle the page.
pub fn dangerous_part(html: &str) -> Option<String> {
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        match b.get(i) {
            Some(b'/') => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'>')
                    .map_or(b.len(), |e| i + e);
                let name = html[i + 1..end].trim().to_ascii_lowercase();
                if !ALLOWED_ELEMENTS.contains(&name.as_str()) {
                    return Some(format!("end tag </{name}>"));
                }
                i = end;
                continue;
            }
            Some(b'!') | Some(b'?') => return Some("a comment or declaration".into()),
            Some(c) if c.is_ascii_alphabetic() => {}
            // A `<` not starting a tag is text to a browser too.
            _ => continue,
        }
        let name_end = b[i..]
            .iter()
            .position(|&c| c.is_ascii_whitespace() || c == b'>' || c == b'/')
            .map_or(b.len(), |e| i + e);
        let name = html[i..name_end].to_ascii_lowercase();
        if !ALLOWED_ELEMENTS.contains(&name.as_str()) {
            return Some(format!("element <{name}>"));
        }
        i = name_end;
        // Attributes, as the HTML tokenizer reads them.
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                break;
            }
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'>' {
                i += 1;
            }
            let attr = html[start..i].to_ascii_lowercase();
            let mut value = String::new();
            if b.get(i) == Some(&b'=') {
                i += 1;
                let (from, to, after) = match b.get(i) {
                    Some(q @ (b'"' | b'\'')) => {
                        let close = b[i + 1..]
                            .iter()
                            .position(|c| c == q)
                            .map_or(b.len(), |e| i + 1 + e);
                        (i + 1, close, close + 1)
                    }
                    _ => {
                        let end = b[i..]
                            .iter()
                            .position(|&c| c.is_ascii_whitespace() || c == b'>')
                            .map_or(b.len(), |e| i + e);
                        (i, end, end)
                    }
                };
                value =
                    html_escape::decode_html_entities(&html[from..to.min(b.len())]).into_owned();
                i = after;
            }
            if attr.starts_with("on")
                || matches!(attr.as_str(), "style" | "srcdoc" | "http-equiv" | "xmlns")
            {
                return Some(format!("attribute {attr}={value:?} on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&attr.as_str()) {
                let urls: Vec<&str> = if attr == "srcset" {
                    value
                        .split(',')
                        .filter_map(|c| c.split_whitespace().next())
                        .collect()
                } else {
                    vec![value.as_str()]
                };
                for url in urls {
                    // What a browser does before reading the scheme.
                    let cleaned: String = url
                        .chars()
                        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                        .collect::<String>()
                        .trim_matches(|c: char| c <= ' ')
                        .to_ascii_lowercase();
                    let safe = ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|s| cleaned.starts_with(s));
                    if !safe {
                        return Some(format!("{attr}={url:?} on <{name}>"));
                    }
                }
            }
        }
    }
    None
}
