//! One linear pass over the decoded document that fixes, before feed-rs
//! sees it, the defects that would otherwise cost the whole feed or
//! silently lose text:
//!
//! - the XML declaration is removed (the text is UTF-8 now, and feed-rs
//!   panics on a declaration that is not at the very start);
//! - the DOCTYPE is removed, so no entity is ever declared, let alone
//!   resolved (external entities, billion laughs);
//! - HTML named entities (`&nbsp;`, `&eacute;`) become numeric references,
//!   unknown ones and bare `&` become literal text, references to characters
//!   XML forbids are dropped, a stray `<` becomes `&lt;`;
//! - inline markup inside text elements (`<title>A <b>B</b></title>`) is
//!   turned into escaped HTML, since feed-rs keeps only the text before the
//!   first child element;
//! - `<rss>` without a version (or with one feed-rs does not list) is read as
//!   RSS 2.0; RSS 0.90 and Atom 0.3 namespaces and element names are mapped
//!   to their successors; Atom `type` values are normalised;
//! - end tags that do not match are closed or dropped, a truncated document
//!   is closed (dropping an item it cut off half-way: a title cut to its
//!   first letter would be stored for ever), and everything after
//!   `max_items` items is cut off.
//!
//! It also records what the normalizer needs and feed-rs does not expose:
//! the RSS channel link and the xml:base in effect for each item.

use url::Url;

use super::entities;
use super::markup::{
    convertible, eligible_prefix, escape_inner, find, find_byte, name_end, normalize_atom_type,
    parse_attrs, set_attr, skip_declaration, tag_end, Attr,
};

/// The kind of root element found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Root {
    Rss,
    Rdf,
    AtomFeed,
    AtomEntry,
    /// Some other element: the document is not a feed (often an HTML page).
    Other(String),
    /// No element at all.
    Missing,
}

/// The repaired document and what was learnt on the way.
#[derive(Debug)]
pub(crate) struct Repaired {
    pub xml: String,
    pub root: Root,
    /// Text of the RSS `<channel><link>`, as written.
    pub channel_link: Option<String>,
    /// The explicit xml:base in effect at each item/entry, in document
    /// order; `None` where no xml:base applies. Empty when the document has
    /// no xml:base at all.
    pub item_bases: Vec<Option<Url>>,
    /// The xml:base in effect on the root element, if it has one.
    pub root_base: Option<Url>,
    /// Items beyond the limit were cut off.
    pub truncated: bool,
    /// The document ended inside an item, which was dropped.
    pub cut_item: bool,
}

const ATOM03_NS: &str = "http://purl.org/atom/ns#";
const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";
/// RSS 0.90 was published under two namespace names.
const RSS090_NS: &[&str] = &[
    "http://my.netscape.com/rdf/simple/0.9/",
    "http://channel.netscape.com/rdf/simple/0.9/",
];
const RSS10_NS: &str = "http://purl.org/rss/1.0/";

/// Elements whose content feed-rs reads as one text node.
fn is_text_element(local: &str) -> bool {
    matches!(
        local,
        "title"
            | "description"
            | "summary"
            | "subtitle"
            | "tagline"
            | "content"
            | "encoded"
            | "rights"
            | "copyright"
    )
}

/// Repairs `src` (see the module docs). `base` is where the document came
/// from, used to resolve relative xml:base values.
pub(crate) fn repair(src: &str, base: &Url, max_items: usize) -> Repaired {
    let mut s = Scanner {
        src,
        b: src.as_bytes(),
        out: String::with_capacity(src.len() + src.len() / 16),
        stack: Vec::new(),
        base_stack: Vec::new(),
        any_base: false,
        item_bases: Vec::new(),
        root: Root::Missing,
        atom03: false,
        items: 0,
        max_items,
        truncated: false,
        open_item: None,
        cut_item: false,
        channel_link: None,
        unclosed: Vec::new(),
        doc_base: base,
        root_base: None,
    };
    s.run();
    let any_base = s.any_base;
    Repaired {
        xml: s.out,
        root: s.root,
        channel_link: s.channel_link,
        item_bases: if any_base { s.item_bases } else { Vec::new() },
        root_base: s.root_base,
        truncated: s.truncated,
        cut_item: s.cut_item,
    }
}

struct Scanner<'a> {
    src: &'a str,
    b: &'a [u8],
    out: String,
    /// Open elements, by qualified name as written.
    stack: Vec<&'a str>,
    /// Explicit xml:base values in effect: (depth of the element, URL).
    base_stack: Vec<(usize, Url)>,
    any_base: bool,
    item_bases: Vec<Option<Url>>,
    root: Root,
    atom03: bool,
    items: usize,
    max_items: usize,
    truncated: bool,
    /// The innermost item being read: the stack depth it was opened at,
    /// and the lengths of `out` and `item_bases` before it.
    open_item: Option<(usize, usize, usize)>,
    cut_item: bool,
    channel_link: Option<String>,
    /// Text elements known to have no end tag after a position: scanning
    /// for it again would make hostile input quadratic.
    unclosed: Vec<(&'a str, usize)>,
    doc_base: &'a Url,
    root_base: Option<Url>,
}

impl<'a> Scanner<'a> {
    fn run(&mut self) {
        let len = self.b.len();
        // Text before the first markup (a PHP warning, a stray BOM) is not
        // part of any feed.
        let mut pos = memchr::memchr(b'<', self.b).unwrap_or(len);
        // Start of the text not yet written: text and the XML entities in
        // it are copied in one piece when something else comes.
        let mut text = pos;
        while pos < len {
            let Some(off) = memchr::memchr2(b'<', b'&', &self.b[pos..]) else {
                self.push_text(text, len);
                break;
            };
            let k = pos + off;
            if self.b[k] == b'&' {
                if let Some(n) = xml_entity_len(&self.b[k + 1..]) {
                    pos = k + n;
                    continue;
                }
            }
            self.push_text(text, k);
            pos = if self.b[k] == b'&' {
                self.reference(k, false)
            } else {
                match self.markup(k) {
                    Some(next) => next,
                    None => break,
                }
            };
            text = pos;
            if self.truncated || matches!(self.root, Root::Other(_)) {
                break;
            }
        }
        // An item the document ends in is incomplete: drop it rather than
        // store a title or link cut short (a complete copy comes with the
        // next poll). Items beyond the limit never reach here.
        if let Some((depth, out_len, bases)) = self.open_item.take() {
            if self.stack.len() > depth {
                self.stack.truncate(depth);
                self.out.truncate(out_len);
                self.item_bases.truncate(bases);
                self.cut_item = true;
            }
        }
        // Close whatever a truncated or cut-off document left open.
        while let Some(name) = self.stack.pop() {
            self.push_end_tag(name);
        }
    }

    fn push_text(&mut self, from: usize, to: usize) {
        if from < to && !self.stack.is_empty() {
            self.out.push_str(&self.src[from..to]);
        }
    }

    /// Handles a `&` at `k` in text (or, when `attr`, in an attribute value
    /// being rebuilt by the caller); returns the position after it.
    fn reference(&mut self, k: usize, attr: bool) -> usize {
        let (replacement, next) = entities::repair_reference(self.src, k);
        if attr || !self.stack.is_empty() {
            self.out.push_str(&replacement);
        }
        next
    }

    /// Handles markup starting with `<` at `k`. Returns the next position,
    /// or `None` when the rest of the document is unusable.
    fn markup(&mut self, k: usize) -> Option<usize> {
        let rest = &self.b[k..];
        if rest.starts_with(b"<!--") {
            let end = find(self.b, k + 4, b"-->")?;
            if !self.stack.is_empty() {
                self.out.push_str(&self.src[k..end + 3]);
            }
            return Some(end + 3);
        }
        if rest.starts_with(b"<![CDATA[") {
            return match find(self.b, k + 9, b"]]>") {
                Some(end) => {
                    self.push_text_raw(k, end + 3);
                    Some(end + 3)
                }
                None => {
                    self.push_text_raw(k, self.b.len());
                    self.out.push_str("]]>");
                    None
                }
            };
        }
        if rest.starts_with(b"<!") {
            return Some(skip_declaration(self.b, k).unwrap_or(self.b.len()));
        }
        if rest.starts_with(b"<?") {
            let end = find(self.b, k + 2, b"?>")?;
            let is_xml_decl = rest.len() > 5
                && rest[2..5].eq_ignore_ascii_case(b"xml")
                && (rest[5].is_ascii_whitespace() || rest[5] == b'?');
            if !is_xml_decl && !self.stack.is_empty() {
                self.out.push_str(&self.src[k..end + 2]);
            }
            return Some(end + 2);
        }
        if rest.starts_with(b"</") {
            return Some(self.end_tag(k));
        }
        match rest.get(1) {
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b':' || *c >= 0x80 => {
                self.start_tag(k)
            }
            _ => {
                if !self.stack.is_empty() {
                    self.out.push_str("&lt;");
                }
                Some(k + 1)
            }
        }
    }

    fn push_text_raw(&mut self, from: usize, to: usize) {
        if !self.stack.is_empty() {
            self.out.push_str(&self.src[from..to]);
        }
    }

    fn end_tag(&mut self, k: usize) -> usize {
        let name_end = name_end(self.b, k + 2);
        let name = &self.src[k + 2..name_end];
        let after = match find_byte(self.b, name_end, b'>') {
            Some(gt) => gt + 1,
            None => self.b.len(),
        };
        if let Some(idx) = self.stack.iter().rposition(|open| *open == name) {
            while self.stack.len() > idx {
                if let Some(open) = self.stack.pop() {
                    self.push_end_tag(open);
                }
            }
            let depth = self.stack.len();
            while self.base_stack.last().is_some_and(|(d, _)| *d > depth) {
                self.base_stack.pop();
            }
            if self.open_item.is_some_and(|(d, _, _)| depth <= d) {
                self.open_item = None;
            }
        }
        after
    }

    fn push_end_tag(&mut self, qname: &str) {
        self.out.push_str("</");
        self.out.push_str(self.rename(qname));
        self.out.push('>');
    }

    /// Atom 0.3 element names that Atom 1.0 renamed.
    fn rename<'n>(&self, qname: &'n str) -> &'n str {
        if !self.atom03 {
            return qname;
        }
        match qname {
            "issued" => "published",
            "modified" => "updated",
            "tagline" => "subtitle",
            "copyright" => "rights",
            other => other,
        }
    }

    fn start_tag(&mut self, k: usize) -> Option<usize> {
        let name_end = name_end(self.b, k + 1);
        let qname = &self.src[k + 1..name_end];
        let local = qname.rsplit(':').next().unwrap_or(qname);
        // `None`: a tag cut off by the end of the document.
        let (gt, next) = tag_end(self.b, name_end)?;
        let self_closing = gt > name_end && self.b[gt - 1] == b'/' && next == gt + 1;
        let attrs_end = if self_closing { gt - 1 } else { gt };
        // A tag broken off by a `<` has no `>` of its own to copy.
        let broken = next == gt;
        let depth = self.stack.len();

        if depth == 0 {
            if !matches!(self.root, Root::Missing) {
                // A second top-level element: ignore it and what follows.
                return None;
            }
            self.root = match local {
                "rss" => Root::Rss,
                "RDF" => Root::Rdf,
                "feed" => Root::AtomFeed,
                "entry" => Root::AtomEntry,
                other => Root::Other(other.to_string()),
            };
            if let Root::Other(_) = self.root {
                return None;
            }
        } else if local == "item" || local == "entry" {
            self.items += 1;
            if self.items > self.max_items {
                self.truncated = true;
                return None;
            }
        }

        let tag_src = &self.src[name_end..attrs_end];
        let mut attrs = parse_attrs(tag_src);
        let mut changed = attrs.rewritten || broken;
        let is_atom = matches!(self.root, Root::AtomFeed | Root::AtomEntry);

        // RSS 2.0 has no namespace, but some feeds declare one (userland's
        // `http://backend.userland.com/rss2`) that hides every element
        // from feed-rs.
        if depth == 0 && local == "rss" && qname == local {
            let before = attrs.list.len();
            attrs.list.retain(|a| a.name != "xmlns");
            changed |= attrs.list.len() != before;
        }
        for attr in attrs.list.iter_mut() {
            if attr.name == "xmlns" || attr.name.starts_with("xmlns:") {
                let ns = attr.value.trim();
                if ns == ATOM03_NS {
                    self.atom03 = true;
                    attr.value = ATOM10_NS.into();
                    changed = true;
                } else if RSS090_NS.contains(&ns) {
                    attr.value = RSS10_NS.into();
                    changed = true;
                }
            }
            if attr.value.contains(['&', '<']) {
                attr.value = entities::repair_attribute(&attr.value).into();
                changed = true;
            }
        }
        if depth == 0 && local == "rss" {
            match attrs.list.iter_mut().find(|a| a.name == "version") {
                Some(v) if matches!(v.value.trim(), "2.0" | "0.91" | "0.92") => {}
                Some(v) => {
                    v.value = "2.0".into();
                    changed = true;
                }
                None => {
                    attrs.list.push(Attr {
                        name: "version",
                        value: "2.0".into(),
                    });
                    changed = true;
                }
            }
        }
        if let Some(pos) = attrs.list.iter().position(|a| a.name == "xml:base") {
            changed |= self.xml_base(&mut attrs.list, pos, depth + 1);
        }
        if depth == 0 {
            self.root_base = self.base_stack.last().map(|(_, u)| u.clone());
        }
        if depth > 0 && (local == "item" || local == "entry") {
            if !self_closing {
                self.open_item = Some((depth, self.out.len(), self.item_bases.len()));
            }
            self.item_bases
                .push(self.base_stack.last().map(|(_, u)| u.clone()));
        }

        let renamed = self.rename(qname);
        changed |= renamed != qname;
        let text_element = !self_closing && is_text_element(local) && eligible_prefix(qname, local);
        if is_atom && text_element {
            changed |= normalize_atom_type(&mut attrs.list, local);
        }

        // Inline markup inside a text element becomes escaped HTML.
        if text_element && convertible(&attrs.list) {
            if let Some((end_start, end_after, true)) = self.scan_text_element(next, qname) {
                if is_atom {
                    set_attr(&mut attrs.list, "type", "html");
                    changed = true;
                }
                self.write_start_tag(k, next, renamed, &attrs.list, changed, false);
                escape_inner(&self.src[next..end_start], &mut self.out);
                self.push_end_tag(qname);
                return Some(end_after);
            }
        }

        self.write_start_tag(k, next, renamed, &attrs.list, changed, self_closing);
        if self_closing {
            let depth = self.stack.len();
            while self.base_stack.last().is_some_and(|(d, _)| *d > depth) {
                self.base_stack.pop();
            }
        } else {
            if local == "link"
                && qname == local
                && self.channel_link.is_none()
                && matches!(self.root, Root::Rss | Root::Rdf)
                && self.stack.last().is_some_and(|p| *p == "channel")
            {
                let text_end = find_byte(self.b, next, b'<').unwrap_or(self.b.len());
                let text = self.src[next..text_end].trim();
                if !text.is_empty() {
                    self.channel_link = Some(html_escape::decode_html_entities(text).into_owned());
                }
            }
            self.stack.push(qname);
        }
        Some(next)
    }

    fn write_start_tag(
        &mut self,
        k: usize,
        next: usize,
        name: &str,
        attrs: &[Attr<'_>],
        changed: bool,
        self_closing: bool,
    ) {
        if !changed {
            self.out.push_str(&self.src[k..next]);
            return;
        }
        self.out.push('<');
        self.out.push_str(name);
        for a in attrs {
            self.out.push(' ');
            self.out.push_str(a.name);
            self.out.push_str("=\"");
            for c in a.value.chars() {
                match c {
                    '"' => self.out.push_str("&quot;"),
                    '<' => self.out.push_str("&lt;"),
                    c => self.out.push(c),
                }
            }
            self.out.push('"');
        }
        self.out.push_str(if self_closing { "/>" } else { ">" });
    }

    /// Resolves the xml:base at `pos` and pushes it; drops it (returning
    /// true) when it is not a URL at all, since feed-rs rejects the whole feed.
    fn xml_base(&mut self, attrs: &mut Vec<Attr<'_>>, pos: usize, depth: usize) -> bool {
        let raw = attrs[pos].value.trim().to_string();
        let parent = self
            .base_stack
            .last()
            .map(|(_, u)| u)
            .unwrap_or(self.doc_base);
        match Url::parse(&raw) {
            Ok(url) => {
                self.any_base = true;
                self.base_stack.push((depth, url));
                false
            }
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                if let Ok(url) = parent.join(&raw) {
                    self.any_base = true;
                    self.base_stack.push((depth, url));
                }
                false
            }
            Err(_) => {
                attrs.remove(pos);
                true
            }
        }
    }

    /// Looks ahead from `from` (just after a text element's start tag) for
    /// its end tag. Returns (start of the end tag, position after it, whether
    /// child markup was seen), or `None` when the element is not closed
    /// before an enclosing end tag, a nested element of the same name, or the
    /// end of the document.
    fn scan_text_element(&mut self, from: usize, qname: &'a str) -> Option<(usize, usize, bool)> {
        if self
            .unclosed
            .iter()
            .any(|(n, at)| *n == qname && *at <= from)
        {
            return None;
        }
        let b = self.b;
        let mut markup = false;
        let mut pos = from;
        loop {
            let Some(k) = find_byte(b, pos, b'<') else {
                self.unclosed.push((qname, from));
                return None;
            };
            let rest = &b[k..];
            if rest.starts_with(b"<![CDATA[") {
                let Some(end) = find(b, k + 9, b"]]>") else {
                    self.unclosed.push((qname, from));
                    return None;
                };
                pos = end + 3;
                continue;
            }
            if rest.starts_with(b"<!--") {
                let Some(end) = find(b, k + 4, b"-->") else {
                    self.unclosed.push((qname, from));
                    return None;
                };
                pos = end + 3;
                continue;
            }
            if rest.starts_with(b"</") {
                let ne = name_end(b, k + 2);
                let name = &self.src[k + 2..ne];
                if name == qname {
                    let after = find_byte(b, ne, b'>').map_or(b.len(), |gt| gt + 1);
                    return Some((k, after, markup));
                }
                if self.stack.contains(&name) {
                    return None;
                }
                markup = true;
            } else if rest.get(1).is_some_and(|c| c.is_ascii_alphabetic()) {
                if &self.src[k + 1..name_end(b, k + 1)] == qname {
                    return None;
                }
                markup = true;
            }
            pos = k + 1;
        }
    }
}

/// The length of `&lt;`, `&gt;`, `&amp;`, `&quot;` or `&apos;` when the
/// text after a `&` starts one of them.
fn xml_entity_len(after_amp: &[u8]) -> Option<usize> {
    match after_amp {
        [b'l' | b'g', b't', b';', ..] => Some(4),
        [b'a', b'm', b'p', b';', ..] => Some(5),
        [b'q', b'u', b'o', b't', b';', ..] | [b'a', b'p', b'o', b's', b';', ..] => Some(6),
        _ => None,
    }
}

#[cfg(test)]
#[path = "repair/tests.rs"]
mod tests;
