//! OPML, the subscription list every feed reader exports and imports.
//!
//! [`export`] writes the configured sources as OPML 2.0, one folder per
//! region, tags in the `category` attribute. [`import`] reads what readers
//! export (NetNewsWire, Feedly, Miniflux, newsboat, Thunderbird all differ
//! a little) and prints `[[source]]` tables for the feeds not configured
//! yet: the outermost folder becomes the region, deeper folders and
//! `category` entries become tags, both slugified to `[a-z0-9-]+`.

use std::collections::HashSet;
use std::fmt::Write;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::config::Config;
use crate::normalize::link::canonical_link;

/// An OPML file is a few kilobytes; anything this large is not one.
const MAX_OPML_BYTES: u64 = 16 << 20;
/// Folders nest a few levels; this bounds the parser's stack.
const MAX_DEPTH: usize = 64;
const MAX_SLUG: usize = 64;

/// The file cannot be imported: one sentence naming file, line and column.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OpmlError(pub String);

/// The configured (enabled) sources as an OPML 2.0 document.
pub fn export(config: &Config) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    let _ = write!(
        out,
        "  <head>\n    <title>{}</title>\n  </head>\n  <body>\n",
        xml(&format!("{}: sources", config.output.title))
    );
    let enabled: Vec<_> = config.sources.iter().filter(|s| s.enabled).collect();
    let mut regions: Vec<&str> = Vec::new();
    for s in &enabled {
        if let Some(r) = s.region.as_deref() {
            if !regions.contains(&r) {
                regions.push(r);
            }
        }
    }
    for region in regions {
        let _ = writeln!(out, "    <outline text=\"{0}\" title=\"{0}\">", xml(region));
        for s in enabled
            .iter()
            .filter(|s| s.region.as_deref() == Some(region))
        {
            feed_outline(&mut out, "      ", s);
        }
        out.push_str("    </outline>\n");
    }
    for s in enabled.iter().filter(|s| s.region.is_none()) {
        feed_outline(&mut out, "    ", s);
    }
    let disabled = config.sources.len() - enabled.len();
    if disabled > 0 {
        let _ = writeln!(out, "    <!-- {disabled} disabled source(s) left out -->");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

fn feed_outline(out: &mut String, indent: &str, s: &crate::config::SourceConfig) {
    let _ = write!(
        out,
        "{indent}<outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\"",
        xml(&s.name),
        xml(s.url.as_str())
    );
    if !s.tags.is_empty() {
        let _ = write!(out, " category=\"{}\"", xml(&s.tags.join(",")));
    }
    out.push_str("/>\n");
}

/// What an import found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// `[[source]]` tables for the new feeds, ready to paste into the config.
    pub toml: String,
    /// New sources, in file order.
    pub sources: Vec<NewSource>,
    /// Feeds already configured (or listed twice in the file).
    pub duplicates: usize,
    /// One `file:line:col: …` sentence per outline that was left out.
    pub warnings: Vec<String>,
}

/// A source found in the file and not configured yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSource {
    pub name: String,
    pub url: String,
    pub region: Option<String>,
    pub tags: Vec<String>,
    /// The reader's folders, outermost first, for the comment above it.
    pub folders: Vec<String>,
}

/// Reads the OPML file at `path` and returns the feeds `config` lacks.
pub fn import_file(path: &Path, config: &Config) -> Result<Imported, OpmlError> {
    let cannot =
        |e: &dyn std::fmt::Display| OpmlError(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    let mut bytes = Vec::new();
    use std::io::Read;
    file.take(MAX_OPML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_OPML_BYTES {
        return Err(cannot(&format_args!(
            "it is larger than {MAX_OPML_BYTES} bytes"
        )));
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
            let (line, col) = line_col(&valid, at);
            return Err(OpmlError(format!(
                "{}:{line}:{col}: the file is not UTF-8 (save it as UTF-8 and try again)",
                path.display()
            )));
        }
    };
    import(&text, &path.display().to_string(), config)
}

/// Like [`import_file`], for text already read; `file` names it in messages.
pub fn import(text: &str, file: &str, config: &Config) -> Result<Imported, OpmlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let found = outlines(text, file)?;
    let mut known: HashSet<String> = config
        .sources
        .iter()
        .map(|s| url_key(s.url.as_str()))
        .collect();
    let mut names: HashSet<String> = config.sources.iter().map(|s| s.name.clone()).collect();
    let mut imported = Imported {
        toml: String::new(),
        sources: Vec::new(),
        duplicates: 0,
        warnings: Vec::new(),
    };
    for o in found {
        let at = format!("{file}:{}:{}", o.line, o.col);
        let url = match url::Url::parse(o.url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
            _ => {
                imported.warnings.push(format!(
                    "{at}: outline {:?}: {:?} is not an http or https URL; left out",
                    o.title, o.url
                ));
                continue;
            }
        };
        if !known.insert(url_key(url.as_str())) {
            imported.duplicates += 1;
            continue;
        }
        let base = if o.title.trim().is_empty() {
            url.host_str().unwrap_or("feed").to_string()
        } else {
            o.title.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        let name = unique_name(&base, &mut names);
        let mut slugs = o.folders.iter().filter_map(|f| slugify(f));
        let region = slugs.next();
        let mut tags: Vec<String> = Vec::new();
        for tag in slugs.chain(o.categories.iter().filter_map(|c| slugify(c))) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        imported.sources.push(NewSource {
            name,
            url: url.to_string(),
            region,
            tags,
            folders: o.folders,
        });
    }
    imported.toml = to_toml(&imported.sources, file);
    Ok(imported)
}

/// Two spellings of one feed address (http/https, `www.`, tracking
/// parameters) are one feed.
fn url_key(url: &str) -> String {
    canonical_link(url).unwrap_or_else(|| url.to_string())
}

fn unique_name(base: &str, names: &mut HashSet<String>) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while names.contains(&name) {
        name = format!("{base} ({n})");
        n += 1;
    }
    names.insert(name.clone());
    name
}

/// `Kosovo & Serbia` → `kosovo-serbia`, `Вести` → `vesti`; `None` when
/// nothing of it survives.
pub fn slugify(text: &str) -> Option<String> {
    let mut folded = String::new();
    crate::topics::fold(text, &mut folded);
    let mut slug = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(MAX_SLUG);
    let slug = slug.trim_end_matches('-').to_string();
    (!slug.is_empty()).then_some(slug)
}

fn to_toml(sources: &[NewSource], file: &str) -> String {
    let mut out = String::new();
    if sources.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "# {} source(s) imported from {file} by `feedmill opml import`.\n\
         # The outermost folder became the region, deeper folders and categories tags.",
        sources.len()
    );
    for s in sources {
        out.push('\n');
        if !s.folders.is_empty() {
            let path = s.folders.join(" / ").replace(['\n', '\r'], " ");
            let _ = writeln!(out, "# Folder: {path}");
        }
        let _ = writeln!(
            out,
            "[[source]]\nname = {}\nurl = {}",
            toml_str(&s.name),
            toml_str(&s.url)
        );
        if let Some(r) = &s.region {
            let _ = writeln!(out, "region = {}", toml_str(r));
        }
        if !s.tags.is_empty() {
            let tags: Vec<String> = s.tags.iter().map(|t| toml_str(t)).collect();
            let _ = writeln!(out, "tags = [{}]", tags.join(", "));
        }
    }
    out
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A feed outline as found, with where it was.
struct Found {
    title: String,
    url: String,
    folders: Vec<String>,
    categories: Vec<String>,
    line: usize,
    col: usize,
}

/// Every outline with an `xmlUrl` under `<opml><body>`, with the folder
/// outlines above it.
fn outlines(text: &str, file: &str) -> Result<Vec<Found>, OpmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let at = |pos: usize, what: &dyn std::fmt::Display| {
        let (line, col) = line_col(text, pos);
        OpmlError(format!("{file}:{line}:{col}: {what}"))
    };
    // One entry per open element: `Some(name)` for a folder outline.
    let mut open: Vec<(String, Option<String>)> = Vec::new();
    let mut seen_root = false;
    let mut seen_body = false;
    let mut found = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            at(
                reader.error_position() as usize,
                &format_args!("not well-formed XML: {e}"),
            )
        })?;
        // Where the tag starts: past the whitespace that trimming skipped.
        let pos = text
            .get(before..)
            .and_then(|rest| rest.find('<'))
            .map_or(before, |i| before + i);
        let (element, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                open.pop();
                continue;
            }
            Event::Eof => break,
            Event::DocType(_) => return Err(at(pos, &"a DOCTYPE is not allowed in OPML")),
            _ => continue,
        };
        let name = element.local_name().as_ref().to_string();
        if !seen_root {
            if name != "opml" {
                return Err(at(
                    pos,
                    &format_args!(
                        "the root element is <{name}>, not <opml>; is this an OPML file?"
                    ),
                ));
            }
            seen_root = true;
        }
        let parent_is = |n: &str| open.last().is_some_and(|(p, _)| p == n);
        let in_body = open.iter().any(|(p, _)| p == "body");
        if name == "body" && parent_is("opml") {
            seen_body = true;
        }
        let mut folder = None;
        if name == "outline" && in_body {
            let attrs = attributes(element).map_err(|e| at(pos, &e))?;
            let get = |key: &str| {
                attrs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let title = get("title").or_else(|| get("text")).unwrap_or_default();
            match get("xmlUrl") {
                Some(url) => {
                    let (line, col) = line_col(text, pos);
                    found.push(Found {
                        title,
                        url,
                        folders: open.iter().filter_map(|(_, f)| f.clone()).collect(),
                        categories: get("category")
                            .map(|c| c.split(',').map(str::to_string).collect())
                            .unwrap_or_default(),
                        line,
                        col,
                    });
                }
                None if !title.is_empty() => folder = Some(title),
                None => {}
            }
        }
        if !empty {
            if open.len() >= MAX_DEPTH {
                return Err(at(
                    pos,
                    &format_args!("outlines nest more than {MAX_DEPTH} deep"),
                ));
            }
            open.push((name, folder));
        }
    }
    if !seen_root {
        return Err(match text.find(|c: char| !c.is_whitespace()) {
            None => at(0, &"the file is empty; it has no <opml> element"),
            Some(first) => at(first, &"no XML element here; this is not an OPML file"),
        });
    }
    if !seen_body {
        return Err(at(text.len(), &"the <opml> element has no <body>"));
    }
    Ok(found)
}

fn attributes(element: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for attr in element.attributes() {
        let attr = attr.map_err(|e| format!("broken attribute: {e}"))?;
        let key = attr.key.local_name().as_ref().to_string();
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("attribute {key}: {e}"))?;
        out.push((key, value.into_owned()));
    }
    Ok(out)
}

/// Escapes text for an XML attribute or element.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // Not allowed in XML 1.0 at all.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        let table = [
            ("Kosovo", Some("kosovo")),
            ("North Macedonia", Some("north-macedonia")),
            (
                "  Kosovo & Serbia / Politics ",
                Some("kosovo-serbia-politics"),
            ),
            ("Вести", Some("vesti")),
            ("Shqipëri", Some("shqiperi")),
            ("tag/with/slashes", Some("tag-with-slashes")),
            ("/Boston/Weather", Some("boston-weather")),
            ("Ελλάδα", None),
            ("---", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(slugify(text).as_deref(), want, "{text:?}");
        }
        assert_eq!(slugify(&"a".repeat(100)).map(|s| s.len()), Some(MAX_SLUG));
    }

    #[test]
    fn toml_strings_escape() {
        assert_eq!(
            toml_str("a \"b\" \\ c\n\u{1}"),
            "\"a \\\"b\\\" \\\\ c\\n\\u0001\""
        );
    }

    #[test]
    fn xml_escapes_attributes() {
        assert_eq!(
            xml("a&b<\"c\">\n\u{0}"),
            "a&amp;b&lt;&quot;c&quot;&gt;&#10;"
        );
    }
}
