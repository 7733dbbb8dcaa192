use super::*;

fn base() -> Url {
    Url::parse("https://news.example.org/vesti/feed.xml").unwrap()
}

/// Every attack vector must come out without the dangerous part; the
/// `must_not` strings are checked case-insensitively.
#[test]
fn sanitize_removes_xss_vectors() {
    let rows: &[(&str, &[&str])] = &[
        ("<p>a<script>alert(1)</script>b</p>", &["<script", "alert"]),
        ("<SCRIPT>alert(1)</SCRIPT>ok", &["<script", "alert"]),
        ("<img src=x onerror=alert(1)>", &["onerror", "alert"]),
        (
            "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
            &["javascript", "alert"],
        ),
        (
            "<a href=\" javascript:alert(1)\">x</a>",
            &["javascript", "alert"],
        ),
        (
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            &["javascript", "alert"],
        ),
        (
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            &["javascript", "alert"],
        ),
        (
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            &["vbscript", "msgbox"],
        ),
        (
            "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">",
            &["data:"],
        ),
        (
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            &["data:", "alert"],
        ),
        (
            "<svg><script>alert(1)</script></svg>",
            &["<svg", "<script", "alert"],
        ),
        ("<svg onload=alert(1)>", &["<svg", "onload"]),
        (
            "<iframe src=\"https://evil.example/\">inner</iframe>",
            &["<iframe", "evil.example"],
        ),
        (
            "<style>body{display:none}</style>text",
            &["<style", "display"],
        ),
        (
            "<base href=\"https://evil.example/\">",
            &["<base", "evil.example"],
        ),
        (
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
            &["<meta", "refresh"],
        ),
        (
            "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
            &["<object", "<embed", "swf"],
        ),
        (
            "<form action=\"https://evil.example/\"><input name=p></form>",
            &["<form", "<input", "evil.example"],
        ),
        (
            "<div onclick=\"alert(1)\" onmouseover=\"x()\">t</div>",
            &["onclick", "onmouseover", "alert"],
        ),
        (
            "<p style=\"background:url(javascript:alert(1))\">t</p>",
            &["style", "javascript"],
        ),
        (
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            &["onerror", "alert"],
        ),
        (
            "<blockquote cite=\"javascript:alert(1)\">q</blockquote><q cite=\"data:x\">q</q>",
            &["javascript", "data:", "cite"],
        ),
    ];
    for (input, must_not) in rows {
        let out = sanitize(input, Some(&base())).to_lowercase();
        for bad in *must_not {
            assert!(
                !out.contains(bad),
                "{input:?} -> {out:?} still contains {bad:?}"
            );
        }
    }
}

#[test]
fn sanitize_keeps_formatting_and_resolves_links() {
    let html = "<p>Vučić <b>met</b> <em>Kurti</em>.<br><a href=\"/vesti/1\" title=\"t\">more</a> \
                <img src=\"img/a.jpg\" alt=\"Photo\" onerror=\"x\"></p><ul><li>one</li></ul>\
                <blockquote>q</blockquote><a href=\"mailto:desk@example.org\">mail</a>";
    let out = sanitize(html, Some(&base()));
    for want in [
        "<p>",
        "<b>met</b>",
        "<em>Kurti</em>",
        "<br>",
        "href=\"https://news.example.org/vesti/1\"",
        "rel=\"noopener noreferrer nofollow\"",
        "src=\"https://news.example.org/vesti/img/a.jpg\"",
        "alt=\"Photo\"",
        "<li>one</li>",
        "<blockquote>q</blockquote>",
        "href=\"mailto:desk@example.org\"",
    ] {
        assert!(out.contains(want), "{out:?} lacks {want:?}");
    }
    assert!(!out.contains("onerror"));
}

#[test]
fn sanitize_without_base_drops_relative_urls() {
    let out = sanitize("<a href=\"/x\">x</a><img src=\"y.png\" alt=\"y\">", None);
    assert!(!out.contains("/x\""), "{out}");
    assert!(!out.contains("y.png"), "{out}");
    assert!(out.contains(">x</a>"), "{out}");
}

#[test]
fn sanitize_plain_text_passes_through() {
    assert_eq!(sanitize("  just text > here ", None), "just text > here");
}

#[test]
fn sanitize_survives_deep_nesting() {
    for tag in ["div", "b", "span"] {
        let html = format!("<{tag}>").repeat(50_000)
            + "deep <script>x</script>"
            + &format!("</{tag}>").repeat(50_000);
        let started = std::time::Instant::now();
        let out = sanitize(&html, None);
        assert!(
            out.contains("deep") && !out.contains("script"),
            "{tag}: {out}"
        );
        assert!(started.elapsed().as_secs() < 5, "{tag}: too slow");
        assert_eq!(to_text(&html), "deep");
    }
    // Ordinary documents with many sibling paragraphs keep their markup.
    let flat = "<p>para <b>bold</b>".repeat(2_000);
    assert!(sanitize(&flat, None).contains("<b>bold</b>"));
}

/// The word-at-a-time writer collapses whitespace exactly as a
/// character-by-character one would, Unicode spaces included.
#[test]
fn text_writer_matches_char_by_char() {
    fn reference(s: &str) -> String {
        let (mut out, mut space) = (String::new(), false);
        for c in s.chars() {
            if c.is_whitespace() {
                space = true;
            } else {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
            }
        }
        out
    }
    let pieces = [
        "a",
        "Vučić",
        "Косово",
        " ",
        "\t",
        "\n",
        "\u{0B}",
        "\u{0C}",
        "\r",
        "\u{85}",
        "\u{A0}",
        "\u{2003}",
        "\u{3000}",
        "\u{200B}",
        "x\u{1F600}",
        "ë",
        "",
        "…",
        "«»",
        "\u{2009}",
        "\u{205F}",
        "\u{1680}",
        "\u{2028}",
        "\u{202F}",
        "ሀ",
        "、",
        "word word",
        " ",
        "  ",
        "Thaçi’s plan",
        "x\u{1}y",
        "long sentence with single spaces only",
    ];
    let mut seed = 0x1234_5678_u64;
    for round in 0..20_000 {
        let mut s = String::new();
        for _ in 0..(round % 40) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push_str(pieces[(seed % pieces.len() as u64) as usize]);
        }
        // Whole, and in two pieces after some text (pending spaces
        // carry across pieces).
        let mut w = TextWriter::with_capacity(0);
        w.push_str(&s);
        assert_eq!(w.out, reference(&s), "{s:?}");
        let cut = (0..=s.len() / 2)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        let mut w = TextWriter::with_capacity(0);
        w.push_str("x ");
        w.push_str(&s[..cut]);
        w.push_str(&s[cut..]);
        assert_eq!(w.out, reference(&format!("x {s}")), "{s:?} cut at {cut}");
    }
}

/// The shortcut for plain paths joins exactly as the URL parser does.
#[test]
fn plain_paths_join_as_the_url_parser_does() {
    let bases = [
        "https://news.example.org/vesti/feed.xml",
        "http://user:pw@Host.Example:8080/a/b?q=1#f",
        "https://[::1]/x/",
        "https://bücher.example/",
    ];
    let paths = [
        "/",
        "/a",
        "/img/1.jpg",
        "/a/b/",
        "/a//b",
        "/p;q=1:x@y!$'()*+,~-_.",
        "/a/./b",
        "/a/../b",
        "/.",
        "/..",
        "/a/.",
        "/%41",
        "/a b",
        "/é",
        "/a?q",
        "/a#f",
        "/^`{}",
        "//cdn.example/x",
        "/a\\b",
        "/.a/b..",
        "/...",
        "",
    ];
    for base in bases {
        let base = Url::parse(base).unwrap();
        for path in paths {
            let want = base.join(path).ok().map(String::from);
            if let Some(got) = join_plain_path(&base, path) {
                assert_eq!(Some(got), want, "{base} + {path}");
            }
            assert_eq!(
                resolve_against(Some(&base), path),
                want.filter(|u| u.starts_with("http")),
                "{base} + {path}"
            );
        }
    }
}

#[test]
fn to_text_table() {
    let rows = [
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("Vu<b>č</b>ić", "Vučić"),
        ("a&nbsp;&amp;&nbsp;b", "a & b"),
        ("&lt;b&gt;not a tag&lt;/b&gt;", "<b>not a tag</b>"),
        ("Thaçi&#8217;s &#x201C;plan&#x201d;", "Thaçi’s “plan”"),
        ("  many \n\t spaces  ", "many spaces"),
        ("<p>one</p><p>two</p>", "one two"),
        ("line<br>break", "line break"),
        ("<script>var a = '<p>x</p>';</script>text", "text"),
        ("<STYLE>p{}</STYLE>text", "text"),
        ("a <!-- hidden --> b", "a b"),
        ("<a href=\"x?a>b\">link</a>", "link"),
        ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
        ("AT&T & co", "AT&T & co"),
        ("&unknown; &#xZZ;", "&unknown; &#xZZ;"),
        ("<img src=a.jpg alt=x>caption", "caption"),
        ("", ""),
        ("Вучић у <i>Београду</i>", "Вучић у Београду"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("<script>never closed", ""),
    ];
    for (input, want) in rows {
        assert_eq!(to_text(input), want, "input {input:?}");
    }
}
