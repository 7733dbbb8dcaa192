//! The sanitizer's fast path: the plain, well-formed HTML most feeds send
//! (`<p>`, `<b>`, `<a href>`, `<img src>`, lists, headings), cleaned in one
//! pass to exactly the bytes ammonia would produce, without building a DOM.
//!
//! It accepts only input whose HTML tree is the obvious one: every element
//! it meets is one the sanitizer allows, is closed by its own end tag (or by
//! the few implied closings replicated below: `<p>` before a block, `<li>`
//! before the next item, open elements at the end), and there is nothing
//! that makes the HTML parser rebuild the tree (misnested formatting,
//! tables, foreign content, raw text elements). For anything else it answers
//! `None` and the caller runs ammonia. Within what it accepts it follows the
//! HTML tokenizer to the letter (character references with html5ever's own
//! table, attribute syntax, comments) and ammonia's policy and serializer:
//! the allowed tags and attributes are read from the ammonia builder
//! itself, URLs are checked and resolved by the same rules, and the tests
//! compare both paths on many generated inputs.

use std::borrow::Cow;
use std::sync::LazyLock;

use url::Url;

use super::html::{is_block, resolve_against, TextWriter, LINK_REL, SANITIZER};
use lex::{char_ref, escape_into, is_space, is_url_attr, skip_comment, tag_name, utf8_len};

mod lex;

/// How the HTML tree builder treats an element (only what matters here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// On the list of active formatting elements: `b`, `i`, `a`...
    Formatting,
    /// Phrasing with no tree-construction rule of its own (`span`, `sub`).
    Phrase,
    /// Closes an open `p` when it starts: `div`, `ul`, `blockquote`...
    Block,
    /// `pre`: a block whose first line feed is dropped.
    Pre,
    P,
    Heading,
    /// `li`: closes an open `li` when it starts.
    Li,
    /// `dd`, `dt`: close an open `dd` or `dt` when they start.
    Dd,
    /// No content and no end tag: `br`, `img`, `wbr`.
    Void,
    /// `hr`: void, and closes an open `p`.
    VoidBlock,
}

impl Kind {
    /// The HTML "special" category, which bounds the search for an open
    /// list item.
    fn special(self) -> bool {
        !matches!(self, Kind::Formatting | Kind::Phrase)
    }
}

/// Elements the fast path can handle, when the sanitizer allows them.
const TAGS: &[(&str, Kind)] = &[
    ("a", Kind::Formatting),
    ("b", Kind::Formatting),
    ("code", Kind::Formatting),
    ("em", Kind::Formatting),
    ("i", Kind::Formatting),
    ("s", Kind::Formatting),
    ("small", Kind::Formatting),
    ("strike", Kind::Formatting),
    ("strong", Kind::Formatting),
    ("tt", Kind::Formatting),
    ("u", Kind::Formatting),
    ("abbr", Kind::Phrase),
    ("acronym", Kind::Phrase),
    ("bdi", Kind::Phrase),
    ("bdo", Kind::Phrase),
    ("cite", Kind::Phrase),
    ("data", Kind::Phrase),
    ("del", Kind::Phrase),
    ("dfn", Kind::Phrase),
    ("ins", Kind::Phrase),
    ("kbd", Kind::Phrase),
    ("mark", Kind::Phrase),
    ("q", Kind::Phrase),
    ("samp", Kind::Phrase),
    ("span", Kind::Phrase),
    ("sub", Kind::Phrase),
    ("sup", Kind::Phrase),
    ("time", Kind::Phrase),
    ("var", Kind::Phrase),
    ("article", Kind::Block),
    ("aside", Kind::Block),
    ("blockquote", Kind::Block),
    ("center", Kind::Block),
    ("details", Kind::Block),
    ("div", Kind::Block),
    ("dl", Kind::Block),
    ("figcaption", Kind::Block),
    ("figure", Kind::Block),
    ("footer", Kind::Block),
    ("header", Kind::Block),
    ("hgroup", Kind::Block),
    ("nav", Kind::Block),
    ("ol", Kind::Block),
    ("summary", Kind::Block),
    ("ul", Kind::Block),
    ("pre", Kind::Pre),
    ("p", Kind::P),
    ("h1", Kind::Heading),
    ("h2", Kind::Heading),
    ("h3", Kind::Heading),
    ("h4", Kind::Heading),
    ("h5", Kind::Heading),
    ("h6", Kind::Heading),
    ("li", Kind::Li),
    ("dd", Kind::Dd),
    ("dt", Kind::Dd),
    ("br", Kind::Void),
    ("img", Kind::Void),
    ("wbr", Kind::Void),
    ("hr", Kind::VoidBlock),
];

/// Deeper documents go to ammonia (which the caller guards against
/// pathological nesting).
const MAX_DEPTH: usize = 64;

struct Tag {
    name: &'static str,
    kind: Kind,
    /// `to_text` reads a space at it.
    block: bool,
    /// Attributes the sanitizer keeps on it (its own and the generic ones).
    attrs: Vec<&'static str>,
}

/// The sanitizer's policy, as far as the fast path needs it.
struct Policy {
    tags: Vec<Tag>,
    url_schemes: Vec<&'static str>,
    link_rel: Option<&'static str>,
}

static POLICY: LazyLock<Policy> = LazyLock::new(|| {
    let b = &*SANITIZER;
    let allowed = b.clone_tags();
    let tag_attributes = b.clone_tag_attributes();
    let generic = b.clone_generic_attributes();
    // A policy with attribute prefixes would need their rule here too.
    let usable = b.clone_generic_attribute_prefixes().is_none();
    let tags = TAGS
        .iter()
        .filter(|(name, _)| usable && allowed.contains(name))
        .map(|&(name, kind)| {
            let mut attrs: Vec<&'static str> = generic.iter().copied().collect();
            if let Some(own) = tag_attributes.get(name) {
                attrs.extend(own.iter().copied().filter(|a| !generic.contains(a)));
            }
            Tag {
                name,
                kind,
                block: is_block(name),
                attrs,
            }
        })
        .collect();
    Policy {
        tags,
        url_schemes: b.clone_url_schemes().into_iter().collect(),
        link_rel: b.get_link_rel().map(|_| LINK_REL),
    }
});

impl Policy {
    fn tag(&self, name: &[u8]) -> Option<&Tag> {
        // Most names are one or two letters: compare those without a call.
        self.tags.iter().find(|t| {
            let t = t.name.as_bytes();
            t.len() == name.len() && t.first() == name.first() && t == name
        })
    }
}

/// Sanitizes `html` as ammonia would, and gives the result's text as
/// `to_text` would read it; `None` when the input is outside what this path
/// handles. `base` resolves relative URLs.
pub(super) fn sanitize(html: &str, base: Option<&Url>) -> Option<(String, String)> {
    if html.starts_with('\u{FEFF}') {
        return None;
    }
    // The tokenizer reads CR LF and lone CR as LF, before anything else.
    let unix;
    let html = if memchr::memchr(b'\r', html.as_bytes()).is_some() {
        unix = html.replace("\r\n", "\n").replace('\r', "\n");
        unix.as_str()
    } else {
        html
    };
    let policy = &*POLICY;
    let mut p = Pass {
        src: html,
        b: html.as_bytes(),
        out: String::with_capacity(html.len() + html.len() / 4 + 64),
        stack: Vec::new(),
        policy,
        base,
        text: TextWriter::with_capacity(html.len()),
    };
    p.run()?;
    Some((p.out, p.text.out))
}

struct Pass<'a> {
    src: &'a str,
    b: &'a [u8],
    out: String,
    /// Open elements, innermost last.
    stack: Vec<&'a Tag>,
    policy: &'a Policy,
    base: Option<&'a Url>,
    /// The text of `out`, as `to_text` would read it: the text nodes, and a
    /// space at block elements.
    text: TextWriter,
}

impl<'a> Pass<'a> {
    fn run(&mut self) -> Option<()> {
        let len = self.b.len();
        let mut i = 0;
        while i < len {
            // Text runs to markup, a reference or `>`; inside it only
            // U+00A0 (lead byte 0xC2), NUL and CR need a look.
            let stop = memchr::memchr3(b'<', b'&', b'>', &self.b[i..]).map_or(len, |p| i + p);
            let stop = memchr::memchr3(0xC2, 0, b'\r', &self.b[i..stop]).map_or(stop, |p| i + p);
            self.out.push_str(&self.src[i..stop]);
            self.text.push_str(&self.src[i..stop]);
            i = stop;
            if i == len {
                break;
            }
            i = match self.b[i] {
                b'&' => {
                    let (decoded, next) = char_ref(self.src, i, false)?;
                    escape_into(&decoded, false, &mut self.out);
                    self.text.push_str(&decoded);
                    next
                }
                b'>' => {
                    self.out.push_str("&gt;");
                    self.text.push_str(">");
                    i + 1
                }
                0xC2 if self.b.get(i + 1) == Some(&0xA0) => {
                    self.out.push_str("&nbsp;");
                    self.text.push_str("\u{A0}");
                    i + 2
                }
                0xC2 => {
                    self.out.push_str(&self.src[i..i + 2]);
                    self.text.push_str(&self.src[i..i + 2]);
                    i + 2
                }
                b'<' => self.markup(i)?,
                // NUL and CR: the tokenizer rewrites them.
                _ => return None,
            };
        }
        while let Some(tag) = self.stack.pop() {
            self.end_tag_out(tag);
        }
        Some(())
    }

    /// Markup at the `<` at `k`; the position after it.
    fn markup(&mut self, k: usize) -> Option<usize> {
        match self.b.get(k + 1) {
            Some(c) if c.is_ascii_alphabetic() => self.start_tag(k + 1),
            Some(b'/') => self.end_tag(k + 2),
            Some(b'!') => skip_comment(self.b, k),
            Some(b'?') => None,
            // Not markup: the `<` is text.
            _ => {
                self.out.push_str("&lt;");
                self.text.push_str("<");
                Some(k + 1)
            }
        }
    }

    fn start_tag(&mut self, from: usize) -> Option<usize> {
        let (name, mut i) = tag_name(self.b, from)?;
        let tag = self.policy.tag(name.as_bytes())?;
        let mut attrs: Vec<(&'a str, Cow<'a, str>)> = Vec::new();
        let mut self_closing = false;
        loop {
            while i < self.b.len() && is_space(self.b[i]) {
                i += 1;
            }
            match *self.b.get(i)? {
                b'>' => {
                    i += 1;
                    break;
                }
                b'/' => {
                    if self.b.get(i + 1) != Some(&b'>') {
                        return None;
                    }
                    self_closing = true;
                    i += 2;
                    break;
                }
                _ => {}
            }
            // Any name the tokenizer would read; those the policy does
            // not know are dropped below, whatever their spelling.
            let name_start = i;
            while i < self.b.len()
                && !is_space(self.b[i])
                && !matches!(
                    self.b[i],
                    b'/' | b'>' | b'=' | b'"' | b'\'' | b'<' | 0 | b'\r'
                )
            {
                i += 1;
            }
            if i == name_start || matches!(*self.b.get(i)?, b'"' | b'\'' | b'<' | 0 | b'\r') {
                return None;
            }
            let raw_name = &self.src[name_start..i];
            while i < self.b.len() && is_space(self.b[i]) {
                i += 1;
            }
            let value: Cow<'a, str> = if self.b.get(i) == Some(&b'=') {
                i += 1;
                while i < self.b.len() && is_space(self.b[i]) {
                    i += 1;
                }
                let (value, next) = self.attr_value(i)?;
                i = next;
                value
            } else {
                Cow::Borrowed("")
            };
            // The tokenizer lower-cases ASCII letters in names; the first of
            // two equal names wins.
            let known = tag.attrs.iter().find(|a| a.eq_ignore_ascii_case(raw_name));
            if let Some(&name) = known {
                if !attrs.iter().any(|(n, _)| *n == name) {
                    attrs.push((name, value));
                }
            }
        }
        if self_closing && !matches!(tag.kind, Kind::Void | Kind::VoidBlock) {
            // The parser ignores `/>` on other elements: they stay open.
            return None;
        }
        self.open(tag)?;
        self.start_tag_out(tag, attrs);
        if !matches!(tag.kind, Kind::Void | Kind::VoidBlock) {
            if self.stack.len() >= MAX_DEPTH {
                return None;
            }
            self.stack.push(tag);
        }
        if tag.kind == Kind::Pre {
            // The parser drops a line feed right after `<pre>`, one a
            // reference makes too.
            match self.b.get(i) {
                Some(b'\n') => return Some(i + 1),
                Some(b'&') => {
                    let (decoded, next) = char_ref(self.src, i, false)?;
                    if let Some(rest) = decoded.strip_prefix('\n') {
                        escape_into(rest, false, &mut self.out);
                        self.text.push_str(rest);
                        return Some(next);
                    }
                }
                _ => {}
            }
        }
        Some(i)
    }

    /// What the tree builder does before inserting `tag`, when it is simple.
    fn open(&mut self, tag: &'a Tag) -> Option<()> {
        match tag.kind {
            Kind::Formatting => {
                // A second `a` inside an open one is restructured.
                if tag.name == "a" && self.stack.iter().any(|t| t.name == "a") {
                    return None;
                }
            }
            Kind::Phrase | Kind::Void => {}
            Kind::Block | Kind::Pre | Kind::P | Kind::VoidBlock => self.close_p()?,
            Kind::Heading => {
                self.close_p()?;
                if self.top_kind() == Some(Kind::Heading) {
                    self.pop_out();
                }
            }
            Kind::Li | Kind::Dd => {
                // The nearest open item of the same kind is closed, unless a
                // special element other than div/p lies between.
                for (depth, open) in self.stack.iter().enumerate().rev() {
                    if open.kind == tag.kind {
                        if depth + 1 != self.stack.len() {
                            return None;
                        }
                        self.pop_out();
                        break;
                    }
                    if open.kind.special() && !matches!(open.name, "div" | "p") {
                        break;
                    }
                }
                self.close_p()?;
            }
        }
        Some(())
    }

    /// "Close a p element", when a `p` is open: only the simple case where it
    /// is the current element.
    fn close_p(&mut self) -> Option<()> {
        if self.stack.iter().any(|t| t.kind == Kind::P) {
            if self.top_kind() != Some(Kind::P) {
                return None;
            }
            self.pop_out();
        }
        Some(())
    }

    fn top_kind(&self) -> Option<Kind> {
        self.stack.last().map(|t| t.kind)
    }

    fn pop_out(&mut self) {
        if let Some(tag) = self.stack.pop() {
            self.end_tag_out(tag);
        }
    }

    fn end_tag(&mut self, from: usize) -> Option<usize> {
        if !self.b.get(from)?.is_ascii_alphabetic() {
            return None;
        }
        let (name, mut i) = tag_name(self.b, from)?;
        while i < self.b.len() && is_space(self.b[i]) {
            i += 1;
        }
        if self.b.get(i) != Some(&b'>') {
            return None;
        }
        let Some(tag) = self.policy.tag(name.as_bytes()) else {
            // No element of an unknown name is open: the parser ignores its
            // end tag (only `</p>` and `</br>` make elements, and those are
            // known).
            return Some(i + 1);
        };
        if !self.stack.iter().any(|t| std::ptr::eq(*t, tag)) {
            // Closing what is not open: ignored, except that `</p>` makes an
            // empty paragraph, `</br>` a line break, and `</h2>` closes any
            // open heading.
            match tag.kind {
                Kind::P => {
                    self.start_tag_out(tag, Vec::new());
                    self.end_tag_out(tag);
                }
                Kind::Void if tag.name == "br" => self.start_tag_out(tag, Vec::new()),
                Kind::Heading if self.stack.iter().any(|t| t.kind == Kind::Heading) => {
                    return None;
                }
                _ => {}
            }
            return Some(i + 1);
        }
        // Implied end tags the parser generates first (p and list items),
        // except for the element being closed.
        let implied = |k: Kind| match tag.kind {
            Kind::Block | Kind::Pre | Kind::Heading => matches!(k, Kind::P | Kind::Li | Kind::Dd),
            Kind::P => matches!(k, Kind::Li | Kind::Dd),
            Kind::Li => matches!(k, Kind::P | Kind::Dd),
            Kind::Dd => matches!(k, Kind::P | Kind::Li),
            _ => false,
        };
        while self.stack.last().is_some_and(|t| implied(t.kind)) {
            self.pop_out();
        }
        if !self.stack.last().is_some_and(|t| std::ptr::eq(*t, tag)) {
            return None;
        }
        self.pop_out();
        Some(i + 1)
    }

    /// An attribute value starting at `i`: the decoded value and the
    /// position after it.
    fn attr_value(&self, i: usize) -> Option<(Cow<'a, str>, usize)> {
        let quote = match *self.b.get(i)? {
            q @ (b'"' | b'\'') => Some(q),
            // `<a href=>`: a parse error ammonia may read otherwise.
            b'>' => return None,
            _ => None,
        };
        let start = if quote.is_some() { i + 1 } else { i };
        let mut j = start;
        let mut value: Option<String> = None;
        loop {
            let c = *self.b.get(j)?;
            match (quote, c) {
                (Some(q), c) if c == q => break,
                (None, c) if is_space(c) || c == b'>' => break,
                (None, b'"' | b'\'' | b'<' | b'=' | b'`') => return None,
                (_, 0 | b'\r') => return None,
                (_, b'&') => {
                    let v = value.get_or_insert_with(|| self.src[start..j].to_string());
                    let (decoded, next) = char_ref(self.src, j, true)?;
                    v.push_str(&decoded);
                    j = next;
                    continue;
                }
                _ => {}
            }
            let ch_len = utf8_len(c);
            if let Some(v) = value.as_mut() {
                v.push_str(&self.src[j..j + ch_len]);
            }
            j += ch_len;
        }
        let end = if quote.is_some() { j + 1 } else { j };
        let value = match value {
            Some(v) => Cow::Owned(v),
            None => Cow::Borrowed(&self.src[start..j]),
        };
        Some((value, end))
    }

    /// Writes a start tag with the attributes ammonia would keep, in the
    /// order it would write them.
    fn start_tag_out(&mut self, tag: &Tag, mut attrs: Vec<(&'a str, Cow<'a, str>)>) {
        let schemes = &self.policy.url_schemes;
        // Only allowed attributes, and URLs that parse to an allowed
        // scheme or are relative.
        attrs.retain(|(name, value)| {
            !is_url_attr(tag.name, name)
                || match Url::parse(value) {
                    Ok(url) => schemes.contains(&url.scheme()),
                    Err(e) => e == url::ParseError::RelativeUrlWithoutBase,
                }
        });
        if tag.name == "a" {
            if let Some(rel) = self.policy.link_rel {
                attrs.push(("rel", Cow::Borrowed(rel)));
            }
        }
        // Relative URLs are resolved or dropped; ammonia drops with
        // `swap_remove`, from the last one back, which moves the last
        // attribute into the gap: the order below follows it.
        let mut drop = Vec::new();
        for (idx, (name, value)) in attrs.iter_mut().enumerate() {
            if is_url_attr(tag.name, name)
                && matches!(
                    Url::parse(value),
                    Err(url::ParseError::RelativeUrlWithoutBase)
                )
            {
                match resolve_against(self.base, value) {
                    Some(resolved) => *value = Cow::Owned(resolved),
                    None => drop.push(idx),
                }
            }
        }
        for idx in drop.into_iter().rev() {
            attrs.swap_remove(idx);
        }
        self.text.space |= tag.block;
        self.out.push('<');
        self.out.push_str(tag.name);
        for (name, value) in &attrs {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape_into(value, true, &mut self.out);
            self.out.push('"');
        }
        self.out.push('>');
    }

    fn end_tag_out(&mut self, tag: &Tag) {
        self.out.push_str("</");
        self.out.push_str(tag.name);
        self.out.push('>');
        self.text.space |= tag.block;
    }
}

#[cfg(test)]
#[path = "html_fast/tests.rs"]
mod tests;
