//! `index.html`: a page for people, next to the main feed.
//!
//! Lists every feed with its entry count, latest headlines and a subscribe
//! link, and names each feed in a `<link rel="alternate">` so that pasting
//! the site's address into a reader finds them all. Pure like the Atom
//! documents (no clock), so an unchanged database gives the same bytes and
//! the file is not rewritten. No script, one small inline style sheet,
//! every text escaped.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::model::Entry;

/// Headlines shown for the main feed and for each topic or region feed.
pub const MAIN_HEADLINES: usize = 10;
pub const SUB_HEADLINES: usize = 3;

/// Which list a feed appears in on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    All,
    Topic,
    Region,
}

/// One feed as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexFeed {
    pub kind: FeedKind,
    /// The feed's title, as in its `<title>` (for autodiscovery).
    pub title: String,
    /// The short name shown as the section heading (topic label, region).
    pub label: String,
    /// Address relative to the page (`feed.atom`, `topics/defense.atom`).
    pub href: String,
    /// Entries in the feed file.
    pub entries: usize,
    pub latest: Vec<Headline>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    pub title: String,
    pub link: Option<String>,
    pub source: String,
    pub updated: DateTime<Utc>,
}

impl Headline {
    pub fn of(entry: &Entry) -> Headline {
        Headline {
            title: entry.title.clone(),
            link: entry.link.clone(),
            source: entry.source.name.clone(),
            updated: entry.updated,
        }
    }
}

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fdfdfc;--muted:#5d5d5d;--line:#e2e2e0;--accent:#0b57d0}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8e6;--bg:#161616;--muted:#a9a9a6;--line:#333;--accent:#8ab4f8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"DejaVu Sans\",sans-serif;-webkit-text-size-adjust:100%}
main,header,footer{max-width:42rem;margin:0 auto;padding:0 1rem}
header{padding-top:1.25rem}
h1{font-size:1.6rem;line-height:1.2;margin:0 0 .35rem}
h2{font-size:1.2rem;margin:2rem 0 .5rem;padding-bottom:.25rem;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:0}
p{margin:.25rem 0}
a{color:var(--accent)}
.intro,.meta,.src,footer{color:var(--muted)}
.intro{margin-bottom:.5rem}
section{padding:.75rem 0;border-bottom:1px solid var(--line)}
.head{display:flex;flex-wrap:wrap;align-items:baseline;gap:.25rem .75rem;justify-content:space-between}
.meta{font-size:.9rem}
.sub{display:inline-block;padding:.2rem .7rem;border:1px solid var(--accent);border-radius:1rem;text-decoration:none;font-size:.9rem;white-space:nowrap}
ol{margin:.5rem 0 0;padding-left:1.25rem}
li{margin:.4rem 0;overflow-wrap:anywhere}
.src{display:block;font-size:.85rem}
footer{font-size:.85rem;padding-top:1.5rem;padding-bottom:2rem}
";

/// The whole page for `feeds` (main feed first), titled `site_title`.
pub fn index_document(site_title: &str, feeds: &[IndexFeed]) -> String {
    let mut out = String::with_capacity(8192 + feeds.len() * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", text(site_title));
    for feed in feeds {
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{}\" href=\"{}\">",
            attr(&feed.title),
            attr(&feed.href)
        );
    }
    let _ = write!(out, "<style>\n{STYLE}</style>\n</head>\n<body>\n<header>\n");
    let _ = writeln!(out, "<h1>{}</h1>", text(site_title));
    out.push_str(
        "<p class=\"intro\">News feeds to follow in any feed reader: subscribe to a feed \
         below, or give your reader the address of this page to find them all.</p>\n",
    );
    out.push_str("</header>\n<main>\n");
    let groups = [
        (FeedKind::All, None),
        (FeedKind::Topic, Some("Topics")),
        (FeedKind::Region, Some("Regions")),
    ];
    for (kind, heading) in groups {
        let in_group: Vec<&IndexFeed> = feeds.iter().filter(|f| f.kind == kind).collect();
        if in_group.is_empty() {
            continue;
        }
        if let Some(h) = heading {
            let _ = writeln!(out, "<h2>{h}</h2>");
        }
        for feed in in_group {
            section(&mut out, feed);
        }
    }
    out.push_str("</main>\n<footer>\n<p>Atom 1.0 feeds, written by feedmill.</p>\n</footer>\n");
    out.push_str("</body>\n</html>\n");
    out
}

fn section(out: &mut String, feed: &IndexFeed) {
    let id = match feed.kind {
        FeedKind::All => "all".to_string(),
        FeedKind::Topic => format!("topic-{}", slug_of(&feed.href)),
        FeedKind::Region => format!("region-{}", slug_of(&feed.href)),
    };
    let _ = writeln!(out, "<section id=\"{}\">", attr(&id));
    out.push_str("<div class=\"head\">\n");
    let heading = match feed.kind {
        FeedKind::All => "All news",
        _ => feed.label.as_str(),
    };
    let _ = writeln!(out, "<h3>{}</h3>", text(heading));
    let _ = writeln!(
        out,
        "<a class=\"sub\" href=\"{}\" type=\"application/atom+xml\">Subscribe</a>",
        attr(&feed.href)
    );
    out.push_str("</div>\n");
    let count = match feed.entries {
        0 => "no entries yet".to_string(),
        1 => "1 entry".to_string(),
        n => format!("{n} entries"),
    };
    let _ = writeln!(
        out,
        "<p class=\"meta\">{count} · <code>{}</code></p>",
        text(&feed.href)
    );
    if !feed.latest.is_empty() {
        out.push_str("<ol>\n");
        for h in &feed.latest {
            out.push_str("<li>");
            match h.link.as_deref().filter(|l| is_web_link(l)) {
                Some(link) => {
                    let _ = write!(out, "<a href=\"{}\">{}</a>", attr(link), text(&h.title));
                }
                None => out.push_str(&text(&h.title)),
            }
            let _ = writeln!(
                out,
                "<span class=\"src\">{} · <time datetime=\"{}\">{}</time></span></li>",
                text(&h.source),
                h.updated.format("%Y-%m-%dT%H:%M:%SZ"),
                h.updated.format("%Y-%m-%d %H:%M UTC")
            );
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</section>\n");
}

/// `topics/defense.atom` → `defense`: the name part of a feed's address.
fn slug_of(href: &str) -> &str {
    let file = href.rsplit('/').next().unwrap_or(href);
    file.strip_suffix(".atom").unwrap_or(file)
}

/// Only http(s) links become anchors; anything else would be a way to put
/// `javascript:` on the page.
fn is_web_link(link: &str) -> bool {
    url::Url::parse(link).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

fn text(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

fn attr(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(
        kind: FeedKind,
        label: &str,
        href: &str,
        headlines: &[(&str, Option<&str>)],
    ) -> IndexFeed {
        IndexFeed {
            kind,
            title: format!("News: {label}"),
            label: label.to_string(),
            href: href.to_string(),
            entries: headlines.len() * 7,
            latest: headlines
                .iter()
                .map(|(t, l)| Headline {
                    title: t.to_string(),
                    link: l.map(String::from),
                    source: "Koha <Ditore>".into(),
                    updated: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
                })
                .collect(),
        }
    }

    #[test]
    fn every_feed_is_listed_linked_and_discoverable() {
        let feeds = [
            feed(
                FeedKind::All,
                "all",
                "feed.atom",
                &[("KFOR patrols", Some("https://a.example/1"))],
            ),
            feed(
                FeedKind::Topic,
                "Defense & security",
                "topics/defense.atom",
                &[],
            ),
            feed(
                FeedKind::Region,
                "kosovo",
                "regions/kosovo.atom",
                &[("Izbori", None)],
            ),
        ];
        let page = index_document("Regional \"news\"", &feeds);
        for want in [
            "<title>Regional \"news\"</title>",
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"News: all\" href=\"feed.atom\">",
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"News: Defense &amp; security\" href=\"topics/defense.atom\">",
            "href=\"regions/kosovo.atom\" type=\"application/atom+xml\">Subscribe</a>",
            "<h3>Defense &amp; security</h3>",
            "<section id=\"region-kosovo\">",
            "<a href=\"https://a.example/1\">KFOR patrols</a>",
            "<li>Izbori<span class=\"src\">Koha &lt;Ditore&gt; · <time datetime=\"2023-11-14T22:13:20Z\">2023-11-14 22:13 UTC</time></span></li>",
            "<p class=\"meta\">7 entries",
            "<p class=\"meta\">no entries yet",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<h2>Topics</h2>",
            "<h2>Regions</h2>",
        ] {
            assert!(page.contains(want), "missing {want:?} in\n{page}");
        }
        assert!(!page.contains("<script"));
        assert_eq!(
            page,
            index_document("Regional \"news\"", &feeds),
            "deterministic"
        );
    }

    #[test]
    fn hostile_titles_and_links_stay_text() {
        let feeds = [feed(
            FeedKind::All,
            "all",
            "feed.atom",
            &[
                ("<script>alert(1)</script>", Some("javascript:alert(1)")),
                (
                    "\"><img src=x onerror=alert(1)>",
                    Some("https://x.example/\"onmouseover=\"alert(1)"),
                ),
                ("data", Some("data:text/html,<script>alert(1)</script>")),
            ],
        )];
        let page = index_document("</title><script>x</script>", &feeds);
        for bad in [
            "<script",
            "<img",
            "javascript:",
            "data:text",
            "\"onmouseover",
        ] {
            assert!(!page.contains(bad), "{bad:?} in\n{page}");
        }
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("href=\"https://x.example/&quot;onmouseover=&quot;alert(1)\""));
    }
}
