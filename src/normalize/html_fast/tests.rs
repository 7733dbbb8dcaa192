use super::*;
use crate::normalize::html::sanitize_with_ammonia;

fn base() -> Url {
    Url::parse("https://news.example.org/vesti/feed.xml").unwrap()
}

#[test]
fn typical_summary_takes_the_fast_path() {
    let html = "<p>Vučić met <b>Kurti</b> in <a href=\"/related/7?utm_source=x&amp;a=1\">Brussels</a>.</p>\
                <p>Photo <img src=\"/img/7.jpg\" alt=\"\"> &nbsp;caption &#8217;x&#x201C;.</p>";
    let fast = sanitize(html, Some(&base()));
    assert_eq!(
        fast.as_deref(),
        Some(sanitize_with_ammonia(html, Some(&base())).as_str())
    );
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
    let (mut fast, mut total) = (0, 0);
    for round in 0..60_000 {
        let html = if round % 2 == 0 {
            generated(&mut rng)
        } else {
            well_formed(&mut rng, 0)
        };
        for b in [Some(&with_base), None] {
            total += 1;
            if let Some(out) = sanitize(&html, b) {
                fast += 1;
                assert_eq!(
                    out,
                    sanitize_with_ammonia(&html, b),
                    "input {html:?}, base {b:?}"
                );
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
