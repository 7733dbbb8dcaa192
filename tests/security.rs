//! Security: known XSS vectors against the sanitizer and through a whole
//! `once` run (database and output files), and the permissions of what
//! feedmill creates.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::html_check::dangerous_part;
use common::*;
use feedmill::normalize::html::sanitize;

/// Known vectors: script in many casings and shapes, event handlers,
/// javascript:/data:/vbscript: URLs with entity and whitespace
/// obfuscation, SVG and MathML, style expressions, `<base>`, meta refresh,
/// mutation-XSS shapes. Each must come out harmless, and the harmless part
/// (`keep`) must survive.
const VECTORS: &[(&str, &str)] = &[
    ("<script>alert(1)</script>ok", "ok"),
    ("<SCRIPT>alert(1)</SCRIPT>ok", "ok"),
    ("<ScRiPt>alert(1)</sCrIpT>ok", "ok"),
    ("<script src=https://evil.example/x.js></script>ok", "ok"),
    ("<script/src=https://evil.example/x.js></script>ok", "ok"),
    ("<script\n>alert(1)</script\n>ok", "ok"),
    ("<scr<script>ipt>alert(1)</script>ok", "ok"),
    ("<<script>script>alert(1)<</script>/script>ok", "ok"),
    ("<script>/*</script><img src=x onerror=alert(1)>*/</script>ok", "ok"),
    ("<img src=x onerror=alert(1)>ok", "ok"),
    ("<img src=x OnErRoR=alert(1)>ok", "ok"),
    ("<img src=x onerror\n=alert(1)>ok", "ok"),
    ("<img src=x onerror='alert(1)' alt='fine'>ok", "ok"),
    ("<img/src=x/onerror=alert(1)>ok", "ok"),
    ("<body onload=alert(1)>ok", "ok"),
    ("<div onclick=\"alert(1)\" onmouseover=\"x()\">ok</div>", "ok"),
    ("<a href=\"https://ok.example/\" onfocus=alert(1) autofocus>ok</a>", "https://ok.example/"),
    ("<input autofocus onfocus=alert(1)>ok", "ok"),
    ("<details open ontoggle=alert(1)>ok</details>", "ok"),
    ("<video><source onerror=alert(1)></video>ok", "ok"),
    ("<audio src=x onerror=alert(1)>ok", "ok"),
    ("<marquee onstart=alert(1)>ok</marquee>", "ok"),
    ("<a href=\"javascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"JaVaScRiPt:alert(1)\">ok</a>", "ok"),
    ("<a href=\" javascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"\tjavascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"java\tscript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"java\nscript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"jav&#x09;ascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"jav&#x0A;ascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"jav&#x0D;ascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"java&Tab;script:alert(1)\">ok</a>", "ok"),
    ("<a href=\"java&NewLine;script:alert(1)\">ok</a>", "ok"),
    ("<a href=\"&#106;avascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"&#x6A;avascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"&#0000106avascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)\">ok</a>", "ok"),
    ("<a href=\"javascript&colon;alert(1)\">ok</a>", "ok"),
    ("<a href=\"&#14;javascript:alert(1)\">ok</a>", "ok"),
    ("<a href=\"java\0script:alert(1)\">ok</a>", "ok"),
    ("<a href=javascript:alert(1)>ok</a>", "ok"),
    ("<a href=`javascript:alert(1)`>ok</a>", "ok"),
    ("<a href=\"vbscript:msgbox(1)\">ok</a>", "ok"),
    ("<a href=\"VBScript:msgbox(1)\">ok</a>", "ok"),
    ("<a href=\"vbs&#99;ript:msgbox(1)\">ok</a>", "ok"),
    ("<a href=\"data:text/html,<script>alert(1)</script>\">ok</a>", "ok"),
    ("<a href=\"DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">ok</a>", "ok"),
    ("<a href=\"&#100;ata:text/html,x\">ok</a>", "ok"),
    ("<a href=\" data:text/html,x\">ok</a>", "ok"),
    ("<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">ok", "ok"),
    ("<img src=\"javascript:alert(1)\">ok", "ok"),
    ("<img srcset=\"javascript:alert(1) 1x, https://ok.example/a.jpg 2x\">ok", "ok"),
    ("<img dynsrc=\"javascript:alert(1)\" lowsrc=\"javascript:alert(1)\">ok", "ok"),
    ("<table background=\"javascript:alert(1)\"><tr><td>ok</td></tr></table>", "ok"),
    ("<blockquote cite=\"javascript:alert(1)\">ok</blockquote>", "ok"),
    ("<svg><script>alert(1)</script></svg>ok", "ok"),
    // An unclosed <svg> or <math> swallows what follows: its content is
    // a foreign document, not text.
    ("<svg onload=alert(1)>ok", ""),
    ("<svg><animate onbegin=alert(1) attributeName=x dur=1s>ok", ""),
    ("<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>ok", "ok"),
    ("<svg><use href=\"data:image/svg+xml,<svg id='x'/>#x\"/></svg>ok", "ok"),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>ok", ""),
    ("<math href=\"javascript:alert(1)\">ok</math>", ""),
    ("<style>body{display:none}</style>ok", "ok"),
    ("<style>@import 'https://evil.example/x.css';</style>ok", "ok"),
    ("<link rel=stylesheet href=https://evil.example/x.css>ok", "ok"),
    ("<div style=\"width: expression(alert(1))\">ok</div>", "ok"),
    ("<p style=\"background:url(javascript:alert(1))\">ok</p>", "ok"),
    ("<p style=\"behavior: url(x.htc)\">ok</p>", "ok"),
    ("<p STYLE=\"-moz-binding:url(https://evil.example/x.xml#x)\">ok</p>", "ok"),
    ("<base href=\"https://evil.example/\">ok", "ok"),
    ("<base target=\"_top\">ok", "ok"),
    ("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">ok", "ok"),
    ("<META HTTP-EQUIV=\"Refresh\" CONTENT=\"0; URL=javascript:alert(1)\">ok", "ok"),
    ("<iframe src=\"https://evil.example/\">x</iframe>ok", "ok"),
    ("<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>ok", "ok"),
    ("<frameset><frame src=\"javascript:alert(1)\"></frameset>ok", ""),
    ("<object data=\"x.swf\"></object><embed src=\"x.swf\">ok", "ok"),
    ("<applet code=\"x.class\"></applet>ok", "ok"),
    ("<form action=\"https://evil.example/\"><input name=p><button formaction=javascript:alert(1)>b</button></form>ok", "ok"),
    ("<isindex action=javascript:alert(1) type=image>ok", "ok"),
    ("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">ok", ""),
    ("<xmp><img src=x onerror=alert(1)></xmp>ok", "ok"),
    ("<textarea><img src=x onerror=alert(1)></textarea>ok", ""),
    ("<title><img src=x onerror=alert(1)></title>ok", "ok"),
    ("<template><img src=x onerror=alert(1)></template>ok", "ok"),
    ("<!--<img src=x onerror=alert(1)>-->ok", "ok"),
    ("<![CDATA[<img src=x onerror=alert(1)>]]>ok", ""),
    ("<a href=\"https://ok.example/\" target=\"_blank\">ok</a>", "https://ok.example/"),
    ("<img src=\"/local.jpg\" alt=\"relative is made absolute\">", "https://news.example.org/"),
];

#[test]
fn the_sanitizer_disarms_known_vectors() {
    let base = url::Url::parse("https://news.example.org/vesti/feed.xml").unwrap();
    let mut failures = Vec::new();
    for (input, keep) in VECTORS {
        let out = sanitize(input, Some(&base));
        if let Some(bad) = dangerous_part(&out) {
            failures.push(format!("{input:?}\n  -> {out:?}\n  keeps {bad}"));
        } else if !out.contains(keep) {
            failures.push(format!("{input:?}\n  -> {out:?}\n  lost {keep:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_checker_catches_what_it_should() {
    // The checker itself must not be blind: each of these is dangerous.
    for html in [
        "<script>x</script>",
        "<p onclick=\"x\">t</p>",
        "<a href=\"javascript:x\">t</a>",
        "<a href=\"&#106;avascript:x\">t</a>",
        "<a href=java&#x09;script:x>t</a>",
        "<img src=\"data:image/png,x\">",
        "<p style=\"color:red\">t</p>",
        "<svg></svg>",
        "<base href=\"https://x/\">",
        "<!-- c -->",
        "<img srcset=\"https://ok/ 1x, javascript:x 2x\">",
    ] {
        assert!(dangerous_part(html).is_some(), "{html}");
    }
    assert_eq!(
        dangerous_part("<p>a &lt;script&gt; <a href=\"https://x.example/?a=1&amp;b\" rel=\"noopener\">b</a></p>"),
        None
    );
}

fn rss_with_vectors() -> String {
    let mut items = String::new();
    for (i, (v, _)) in VECTORS.iter().enumerate() {
        let escaped = html_escape::encode_text(v);
        items.push_str(&format!(
            "<item><title>Vector {i} {escaped}</title><guid>v-{i}</guid>\
             <link>https://news.example.org/v/{i}</link>\
             <description>{escaped}</description>\
             <content:encoded><![CDATA[<p>content</p>{cdata}]]></content:encoded></item>",
            cdata = v.replace("]]>", "]]&gt;")
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\
         <title>Vectors</title><link>https://news.example.org/</link>{items}</channel></rss>"
    )
}

fn write_config(dir: &Path, base: &str) -> PathBuf {
    let config = dir.join("feedmill.toml");
    let text = format!(
        "database = \"state/feedmill.db\"\n[output]\npath = \"public/feed.atom\"\nmax_entries = 1000\n\
         [[source]]\nname = \"Vectors\"\nurl = \"{base}/vectors.rss\"\nregion = \"kosovo\"\n\
         [[topic]]\nname = \"all\"\nkeywords = [\"ok\", \"x\"]\n"
    );
    std::fs::write(&config, text).expect("write config");
    config
}

#[test]
fn no_vector_survives_into_the_database_or_the_outputs() {
    let server = FixtureServer::start();
    server.set(
        "/vectors.rss",
        Route::feed(rss_with_vectors(), "application/rss+xml"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &server.base);
    ok(feedmill(&config, &["once"]));

    let conn = rusqlite::Connection::open(dir.path().join("state/feedmill.db")).expect("db");
    let mut stmt = conn
        .prepare("SELECT identity, summary_html, content_html FROM copies")
        .expect("prepare");
    let rows: Vec<(String, Option<String>, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(rows.len(), VECTORS.len());
    for (identity, summary, content) in &rows {
        for html in [summary, content].into_iter().flatten() {
            assert_eq!(dangerous_part(html), None, "{identity} stored {html:?}");
        }
    }

    let atom = "http://www.w3.org/2005/Atom";
    // The index page shows the same headlines: escaped, never markup.
    let index = std::fs::read_to_string(dir.path().join("public/index.html")).expect("index page");
    let lower = index.to_ascii_lowercase();
    for bad in [
        "<script",
        "javascript:",
        "vbscript:",
        "onerror",
        "onload",
        "<iframe",
        "<svg",
    ] {
        assert!(!lower.contains(bad), "{bad} in index.html");
    }
    let outputs: Vec<PathBuf> = atom_files(&dir.path().join("public"));
    assert!(outputs.len() >= 3, "{outputs:?}");
    let mut checked = 0;
    for file in &outputs {
        let text = std::fs::read_to_string(file).expect("read output");
        let doc = roxmltree::Document::parse(&text).expect("output is XML");
        // Only atom elements, no foreign namespaces smuggled in.
        for node in doc.descendants().filter(|n| n.is_element()) {
            assert_eq!(
                node.tag_name().namespace(),
                Some(atom),
                "{}",
                file.display()
            );
        }
        for node in doc.descendants() {
            if node.has_tag_name((atom, "summary")) || node.has_tag_name((atom, "content")) {
                let html = node.text().unwrap_or("");
                if node.attribute("type") == Some("html") {
                    assert_eq!(dangerous_part(html), None, "{}: {html:?}", file.display());
                    checked += 1;
                } else {
                    assert_eq!(node.attribute("type"), Some("text"));
                }
            }
            if node.has_tag_name((atom, "title")) {
                // Titles are plain text: markup in them is shown, never run.
                assert!(matches!(node.attribute("type"), None | Some("text")));
            }
        }
    }
    assert!(checked >= VECTORS.len(), "{checked} HTML texts checked");
    validate_atom(&outputs);
}

/// Octal mode bits of `path`.
fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Runs feedmill under `umask 000`, the worst a service manager could
/// hand it: nothing it creates may be world-writable, and the database
/// and its journals not even world-readable.
#[test]
fn created_files_are_not_world_writable_and_the_database_is_private() {
    let server = FixtureServer::start();
    server.set(
        "/vectors.rss",
        Route::feed(fixture("e2e/kossev.rss"), "application/rss+xml"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &server.base);
    let run = |args: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("umask 000 && exec \"$0\" --config \"$1\" {args}"))
            .arg(env!("CARGO_BIN_EXE_feedmill"))
            .arg(&config)
            .env_remove("RUST_LOG")
            .output()
            .expect("run feedmill");
        ok(out)
    };
    run("once");
    let db = dir.path().join("state/feedmill.db");
    let mut checked = Vec::new();
    for path in files_under(dir.path()) {
        if path == config {
            continue;
        }
        let m = mode(&path);
        assert_eq!(m & 0o002, 0, "{} is world-writable ({m:o})", path.display());
        if path.starts_with(dir.path().join("state")) {
            assert_eq!(m & 0o007, 0, "{} is open to others ({m:o})", path.display());
        } else {
            // Outputs stay readable: a web server serves them.
            assert_eq!(
                m & 0o004,
                0o004,
                "{} is not readable ({m:o})",
                path.display()
            );
        }
        checked.push(path);
    }
    for d in ["state", "public", "public/topics", "public/regions"] {
        let m = mode(&dir.path().join(d));
        assert_eq!(m & 0o002, 0, "folder {d} is world-writable ({m:o})");
    }
    assert!(checked.contains(&db), "{checked:?}");
    assert!(checked.len() >= 3, "{checked:?}");

    // A database made world-readable by something else is closed again.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    run("render");
    assert_eq!(mode(&db) & 0o007, 0, "{:o}", mode(&db));
}
