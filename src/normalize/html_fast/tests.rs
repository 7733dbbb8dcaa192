use super::*;
use crate::normalize::html::{sanitize_with_ammonia, to_text};

fn base() -> Url {
    Url::parse("https://news.example.org/vesti/feed.xml").unwrap()
}

#[test]
fn typical_summary_takes_the_fast_path() {
    let html = "<p>Vučić met <b>Kurti</b> in <a href=\"/related/7?utm_source=x&amp;a=1\">Brussels</a>.</p>\
                <p>Photo <img src=\"/img/7.jpg\" alt=\"\"> &nbsp;caption &#8217;x&#x201C;.</p>";
    let (fast, text) = sanitize(html, Some(&base())).unwrap();
    assert_eq!(fast, sanitize_with_ammonia(html, Some(&base())));
    assert_eq!(text, "Vučić met Kurti in Brussels. Photo caption ’x“.");
}

/// xorshift64*: deterministic inputs without a crate.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

/// Pieces HTML is built from here: tags of every kind the fast path knows
/// (and some it does not), attributes in every syntax, URLs good and bad,
/// references of every form, comments, stray markup characters.
const PIECES: &[&str] = &[
    "<p>",
    "</p>",
    "<P>",
    "<b>",
    "</b>",
    "<B>",
    "</B >",
    "<i>",
    "</i>",
    "<em>",
    "</em>",
    "<strong>",
    "</strong>",
    "<u>",
    "</u>",
    "<s>",
    "</s>",
    "<code>",
    "</code>",
    "<small>",
    "</small>",
    "<span>",
    "</span>",
    "<span title='t'>",
    "<sub>",
    "</sub>",
    "<q cite=\"x\">",
    "</q>",
    "<a href=\"/rel/1?utm_source=x&amp;a=2\">",
    "<a href='x y'>",
    "<a href=javascript:alert(1)>",
    "<a href=\"JaVaScRiPt:x\">",
    "<a HREF=\"/up\" Title=\"T\">",
    "<a href=\"/a\" href=\"/b\">",
    "<a title=\"&quot;q&quot; &lt;x&gt;\" href=\"https://o.example/p?q=1&amp;r=2#f\">",
    "<a rel=\"x\" href=\"/r\" target=_blank class=c>",
    "<a href=/unquoted>",
    "<a href=\"\">",
    "<a href=\"//cdn.example/x\">",
    "<a href=\"mailto:a@b.example\">",
    "<a href=\"ftp://x.example/\">",
    "<a href=\"http://[bad\">",
    "<a href=\" /spaced \">",
    "<a href=\"&#106;avascript:x\">",
    "<a href=\"?q=1\">",
    "<a href=\"#frag\">",
    "<a href=\"data:text/html,x\">",
    "<a name=x>",
    "<a>",
    "</a>",
    "<img src=\"/img/1.jpg\" alt=\"\">",
    "<img src=x onerror=alert(1)>",
    "<img src=\"a b.jpg\"/>",
    "<img alt=\"A&amp;B\" src=\"https://i.example/a.png\" width=\"10\" height=10 />",
    "<img>",
    "<img src>",
    "<img src=\"\">",
    "<IMG SRC=\"/x.png\" ALT=y>",
    "<img\nsrc=\"/n.png\"\talt='t'>",
    "<br>",
    "<br/>",
    "<br />",
    "</br>",
    "<hr>",
    "<hr/>",
    "<wbr>",
    "<div>",
    "</div>",
    "<div class=\"x\" style=\"color:red\" onclick=\"x()\">",
    "<ul>",
    "</ul>",
    "<ol start=\"2\">",
    "</ol>",
    "<li>",
    "</li>",
    "<dl>",
    "</dl>",
    "<dt>",
    "</dt>",
    "<dd>",
    "</dd>",
    "<blockquote>",
    "</blockquote>",
    "<blockquote cite=\"javascript:x\">",
    "<figure>",
    "</figure>",
    "<figcaption>",
    "</figcaption>",
    "<h2>",
    "</h2>",
    "<h3>",
    "</h3>",
    "<h1 lang=\"sr\">",
    "</h1>",
    "<pre>",
    "</pre>",
    "<table><tr><td>",
    "</td></tr></table>",
    "<script>alert(1)</script>",
    "<style>p{}</style>",
    "<iframe src=\"//e.example/\"></iframe>",
    "<svg onload=x>",
    "<math>",
    "<font color=red>",
    "</font>",
    "<section>",
    "</section>",
    "<article>",
    "</article>",
    "<center>",
    "</center>",
    "<b/>",
    "<p/>",
    "<span/>",
    "<x-custom>",
    "</x-custom>",
    "<o:p>",
    "</o:p>",
    "<del>",
    "</del>",
    "<ins datetime=\"2025\">",
    "</ins>",
    "<abbr title=\"North Atlantic\">",
    "</abbr>",
    "&amp;",
    "&nbsp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&apos;",
    "&#8217;",
    "&#x201C;",
    "&#X201d;",
    "&#39;",
    "&#039;",
    "&#0;",
    "&#128;",
    "&#129;",
    "&#x80;",
    "&#xD800;",
    "&#x110000;",
    "&#13;",
    "&#9;",
    "&#xFFFE;",
    "&#99999999999;",
    "&#;",
    "&#x;",
    "&#65",
    "&bogus;",
    "&copy",
    "&copy;",
    "&copy2024",
    "&notit;",
    "&notin;",
    "&amp",
    "&ampx;",
    "&euml;",
    "&ccedil;",
    "&Ccaron;",
    "&NotEqualTilde;",
    "&hellip;",
    "&",
    "& ",
    "&;",
    "AT&T",
    "<",
    "< ",
    "<3",
    ">",
    "\"",
    "'",
    "=",
    "`",
    "<!-- c -->",
    "<!---->",
    "<!-->",
    "<!--->",
    "<!-- a -- b -->",
    "<!-- x --!>",
    "<!-- <!--> -->",
    "<!DOCTYPE html>",
    "<?php x ?>",
    "</>",
    "</ x>",
    "<!-- unclosed",
    "Vučić",
    "Косово",
    "Shqipëria",
    "Thaçi",
    "\u{a0}",
    "\u{feff}",
    "\r\n",
    "\r",
    "\0",
    " ",
    " ",
    " ",
    "\n",
    "\t",
    "text",
    "more words",
    "KFOR",
    "1 < 2",
    "a > b",
    "x=y",
    "ž",
    "<a href=\"/a/./b\">",
    "<a href=\"/a/../b\">",
    "<img src=\"/p;q=1:x@y!$'()*+,~\">",
    "<img src=\"/%41.png\">",
    "<a href=\"/\">",
    "<a href=\"/é\">",
    "<a href=\"/a?q=1\">",
    "<a href=\"/a#f\">",
    "<a href=\"/a//b\">",
    "<a href=\"../up\">",
    "<a href=\"rel/x\">",
    "</img>",
    "</hr>",
    "</wbr>",
    "</p>",
    "</li>",
    "</dd>",
    "</h3>",
    "</font>",
    "</body>",
    "</html>",
    "</template>",
    "<pre>\n",
    "<pre>&#10;",
    "<pre>&NewLine;x",
    "<pre>&nbsp;x",
    "<pre>&#xA;&#10;",
    "<pre>\r\nx",
    "</pre>",
    "<pre><code>",
    "</code></pre>",
    "&copy=",
    "&region=x",
    "x&copy y",
    "&amp",
    "&ampx",
    "&not;",
    "<a href=&quothttp://x.example/&quot>",
    "<a href=\"/q?a=1&region=2&copy=3&amp;b\">",
    "<img alt=\"&copy 2024\" src=\"/c.png\">",
    "<a href=\"/x\"><b>bold link</b></a>",
    "<p><a href=\"/y\">p link</a></p>",
];

fn generated(rng: &mut Rng) -> String {
    let n = 1 + rng.below(16);
    (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

/// Well-formed documents in the shape feeds send, so the fast path is
/// exercised on more than fragments that mostly fall back.
fn well_formed(rng: &mut Rng, depth: usize) -> String {
    const WORDS: &[&str] = &[
        "Vučić",
        "met",
        "Kurti",
        "Косово",
        "&amp;",
        "&nbsp;",
        "&#8217;",
        " ",
        ">",
        "\"q\"",
    ];
    const OPEN: &[(&str, &str)] = &[
        ("<p>", "</p>"),
        ("<b>", "</b>"),
        ("<i>", "</i>"),
        ("<strong>", "</strong>"),
        ("<em>", "</em>"),
        ("<a href=\"/r/1?utm_source=x&amp;k=v\">", "</a>"),
        ("<a href=\"https://x.example/\" title=\"t\">", "</a>"),
        ("<a href=\"javascript:x\">", "</a>"),
        ("<a href=\"/z\" onclick=\"y\" rel=\"r\">", "</a>"),
        ("<span class=\"c\">", "</span>"),
        ("<div>", "</div>"),
        ("<blockquote>", "</blockquote>"),
        ("<ul><li>", "</li></ul>"),
        ("<ol><li>", "</li><li>x</ol>"),
        ("<h2>", "</h2>"),
        ("<figure>", "</figure>"),
        ("<figcaption>", "</figcaption>"),
        ("<dl><dt>", "</dt><dd>d</dd></dl>"),
        ("<sup>", "</sup>"),
        ("<p>", ""),
        ("<li>", ""),
        ("<b>", ""),
        ("<pre>\n", "</pre>"),
        ("<p>", "</p></p>"),
        ("<div>", "</img></div>"),
        ("<span>", "</span></span>"),
        ("<p>\r\n", "\r</p>"),
    ];
    const LEAF: &[&str] = &[
        "<img src=\"/img/1.jpg\" alt=\"\">",
        "<br>",
        "<br/>",
        "<hr>",
        "<img src=\"data:x\" alt=\"d\">",
        "<img src=\"a.png\" alt=\"a&quot;b\" width=\"1\">",
        "<!-- note -->",
        "<wbr>",
    ];
    let mut out = String::new();
    for _ in 0..1 + rng.below(4) {
        match rng.below(4) {
            0 => out.push_str(LEAF[rng.below(LEAF.len())]),
            1 if depth < 6 => {
                let (open, close) = OPEN[rng.below(OPEN.len())];
                out.push_str(open);
                out.push_str(&well_formed(rng, depth + 1));
                out.push_str(close);
            }
            _ => out.push_str(WORDS[rng.below(WORDS.len())]),
        }
    }
    out
}

/// Whatever the fast path accepts, it cleans to exactly ammonia's output,
/// with and without a base; and it accepts enough to matter.
#[test]
fn fast_path_agrees_with_ammonia() {
    let mut rng = Rng(0x5eed_1234);
    let with_base = base();
    let other_base = Url::parse("http://user:pw@Host.Example:8080/a/b/c?q=1#f").unwrap();
    let (mut fast, mut total) = (0, 0);
    for round in 0..60_000 {
        let html = if round % 2 == 0 {
            generated(&mut rng)
        } else {
            well_formed(&mut rng, 0)
        };
        for b in [Some(&with_base), Some(&other_base), None] {
            total += 1;
            if let Some((out, text)) = sanitize(&html, b) {
                fast += 1;
                assert_eq!(
                    out,
                    sanitize_with_ammonia(&html, b),
                    "input {html:?}, base {b:?}"
                );
                assert_eq!(text, to_text(out.trim()), "text of {html:?}");
            }
        }
    }
    assert!(
        fast * 3 > total,
        "only {fast} of {total} took the fast path"
    );
}

#[test]
fn policy_matches_the_builder() {
    assert_eq!(SANITIZER.get_link_rel(), Some(LINK_REL));
    let allowed = SANITIZER.clone_tags();
    for name in ["p", "a", "b", "img", "br", "ul", "li", "h2", "blockquote"] {
        assert!(POLICY.tag(name.as_bytes()).is_some(), "{name}");
    }
    for tag in &POLICY.tags {
        assert!(allowed.contains(tag.name), "{}", tag.name);
    }
    // Dropped from the builder's defaults by the policy: never fast.
    assert!(!POLICY
        .tags
        .iter()
        .any(|t| t.name == "blockquote" && t.attrs.contains(&"cite")));
}

/// The summaries and contents of every corpus feed, whole and damaged:
/// real publishers' HTML, not just generated pieces.
#[test]
fn fast_path_agrees_with_ammonia_on_corpus_html() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "tests/fixtures",
        "../shared/corpus",
        "fuzz/corpus/parse_feed",
    ] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(path);
                }
            }
        }
    }
    // feed-rs reads the files here, without the parser's repairs
    // (documents it refuses add nothing); every summary and content is
    // taken as HTML.
    let mut bodies = Vec::new();
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        // In UTF-8 and without the XML declaration, as the parser hands it
        // on (feed-rs panics on a declared encoding it meets late).
        let text = crate::parse::decode::decode(&bytes, None, None);
        let text = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
        let text = match text.strip_prefix("<?xml").and_then(|t| t.split_once("?>")) {
            Some((_, rest)) => rest,
            None => text,
        };
        let Ok(feed) = feed_rs::parser::parse(text.as_bytes()) else {
            continue;
        };
        for entry in feed.entries {
            let summary = entry.summary.map(|t| t.content);
            let content = entry.content.and_then(|c| c.body);
            bodies.extend([summary, content].into_iter().flatten());
        }
    }
    let mut rng = Rng(0xc0ffee);
    let (mut fast, mut total) = (0, 0);
    for body in &bodies {
        let mut variants = vec![body.clone()];
        for _ in 0..3 {
            let mut v = body.clone();
            let cut = (0..=rng.below(v.len() + 1).min(v.len()))
                .rev()
                .find(|&i| v.is_char_boundary(i))
                .unwrap_or(0);
            v.insert_str(cut, PIECES[rng.below(PIECES.len())]);
            variants.push(v);
        }
        for html in variants {
            let html = html.trim();
            total += 1;
            if let Some((out, text)) = sanitize(html, Some(&base())) {
                fast += 1;
                assert_eq!(out, sanitize_with_ammonia(html, Some(&base())), "{html:?}");
                assert_eq!(text, to_text(out.trim()), "text of {html:?}");
            }
        }
    }
    eprintln!("fast path: {fast} of {total} corpus bodies");
    assert!(
        fast * 5 > total,
        "only {fast} of {total} took the fast path"
    );
}
