use super::*;

fn run(src: &str) -> Repaired {
    repair(
        src,
        &Url::parse("https://repair.example.org/feed").unwrap(),
        10_000,
    )
}

#[test]
fn prolog_doctype_and_entities() {
    let r = run("\n\n<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<!DOCTYPE rss [<!ENTITY a SYSTEM \"file:///etc/passwd\">]>\
                 <rss><channel><title>&a; &nbsp;&amp; AT&T</title></channel></rss>");
    assert_eq!(r.root, Root::Rss);
    assert_eq!(
        r.xml,
        "<rss version=\"2.0\"><channel><title>&amp;a; &#160;&amp; AT&amp;T</title></channel></rss>"
    );
}

#[test]
fn inline_markup_in_titles_is_escaped() {
    let r = run("<rss version=\"2.0\"><channel><item><title>A <b>B</b></title><link>https://x.example/</link></item></channel></rss>");
    assert_eq!(
        r.xml,
        "<rss version=\"2.0\"><channel><item><title>A &lt;b&gt;B&lt;/b&gt;</title><link>https://x.example/</link></item></channel></rss>"
    );
}

#[test]
fn atom_inline_markup_becomes_type_html_and_xhtml_is_left_alone() {
    let r = run(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><summary>a <p>b</p></summary>\
                 <content type=\"xhtml\"><div>c <b>d</b></div></content></entry></feed>",
    );
    assert_eq!(
        r.xml,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><summary type=\"html\">a &lt;p&gt;b&lt;/p&gt;</summary>\
         <content type=\"xhtml\"><div>c <b>d</b></div></content></entry></feed>"
    );
}

#[test]
fn atom03_and_rss090_are_mapped() {
    let r = run("<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry><issued>2004-01-01T00:00:00Z</issued>\
                 <modified>2004-01-02T00:00:00Z</modified></entry></feed>");
    assert!(
        r.xml.contains("xmlns=\"http://www.w3.org/2005/Atom\""),
        "{}",
        r.xml
    );
    assert!(
        r.xml.contains(
            "<published>2004-01-01T00:00:00Z</published><updated>2004-01-02T00:00:00Z</updated>"
        ),
        "{}",
        r.xml
    );
    let r = run("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://my.netscape.com/rdf/simple/0.9/\"><item/></rdf:RDF>");
    assert_eq!(r.root, Root::Rdf);
    assert!(
        r.xml.contains("xmlns=\"http://purl.org/rss/1.0/\""),
        "{}",
        r.xml
    );
}

#[test]
fn rss_versions_and_namespaces() {
    for (tag, want) in [
        ("<rss>", "<rss version=\"2.0\">"),
        ("<rss version=\"0.94\">", "<rss version=\"2.0\">"),
        ("<rss version=\"0.91\">", "<rss version=\"0.91\">"),
        (
            "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\">",
            "<rss version=\"2.0\">",
        ),
    ] {
        let r = run(&format!("{tag}<channel/></rss>"));
        assert!(r.xml.starts_with(want), "{tag} -> {}", r.xml);
    }
}

#[test]
fn broken_structure_is_closed() {
    let r = run("<rss version=\"2.0\"><channel><item><title>x</title></channel></rss>");
    assert_eq!(
        r.xml,
        "<rss version=\"2.0\"><channel><item><title>x</title></item></channel></rss>"
    );
    let r = run(
        "<rss version=\"2.0\"><channel><item><title>1 < 2</title></foo></item><item><title>cut",
    );
    assert_eq!(
        r.xml, "<rss version=\"2.0\"><channel><item><title>1 &lt; 2</title></item></channel></rss>",
        "the item the document was cut in is dropped"
    );
    assert!(r.cut_item);
    let r = run("<rss version=\"2.0\"><channel><item><title>whole</title></item><title>x");
    assert_eq!(
        r.xml,
        "<rss version=\"2.0\"><channel><item><title>whole</title></item><title>x</title></channel></rss>"
    );
    assert!(!r.cut_item);
    let r = run("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"/b/\"><entry><id>1</id></entry><entry><id>2");
    assert_eq!(r.item_bases.len(), 1, "the cut entry's base goes with it");
}

#[test]
fn not_a_feed_root() {
    assert_eq!(
        run("<!DOCTYPE html><html><body/></html>").root,
        Root::Other("html".into())
    );
    assert_eq!(run("no markup at all").root, Root::Missing);
}

#[test]
fn channel_link_and_item_bases_are_recorded() {
    let r = run(
        "<rss version=\"2.0\"><channel><title>t</title><link> https://site.example/news/ </link>\
                 <item><title>a</title></item></channel></rss>",
    );
    assert_eq!(
        r.channel_link.as_deref(),
        Some("https://site.example/news/")
    );
    assert!(r.item_bases.is_empty());
    let r = run("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"/blog/\"><entry/><entry xml:base=\"https://cdn.example/x/\"/>\
                 <entry xml:base=\"http://[::bad\"/></feed>");
    let bases: Vec<_> = r
        .item_bases
        .iter()
        .map(|b| b.as_ref().map(Url::as_str))
        .collect();
    assert_eq!(
        bases,
        vec![
            Some("https://repair.example.org/blog/"),
            Some("https://cdn.example/x/"),
            Some("https://repair.example.org/blog/")
        ]
    );
    assert!(
        !r.xml.contains("[::bad"),
        "an unusable xml:base is dropped: {}",
        r.xml
    );
}

#[test]
fn items_beyond_the_limit_are_cut() {
    let items: String = (0..5)
        .map(|i| format!("<item><title>{i}</title></item>"))
        .collect();
    let r = repair(
        &format!("<rss version=\"2.0\"><channel>{items}</channel></rss>"),
        &Url::parse("https://x.example/").unwrap(),
        2,
    );
    assert!(r.truncated);
    assert_eq!(
        r.xml,
        "<rss version=\"2.0\"><channel><item><title>0</title></item><item><title>1</title></item></channel></rss>"
    );
}

/// The five XML entities copied as they stand are exactly the references
/// `repair_reference` would have kept unchanged; anything else goes to it.
#[test]
fn xml_entities_skipped_as_repair_would_keep_them() {
    let rows = [
        "&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&lt", "&l;", "&amp", "&ampx;", "&quo;",
        "&apos", "&Lt;", "&AMP;", "&nbsp;", "&#60;", "&", "&;", "&lt;x", "&gt;&lt;",
    ];
    for row in rows {
        let got = xml_entity_len(&row.as_bytes()[1..]);
        let (kept, next) = crate::parse::entities::repair_reference(row, 0);
        match got {
            Some(n) => {
                assert_eq!(next, n, "{row:?}");
                assert_eq!(kept, &row[..n], "{row:?}");
            }
            None => assert!(
                !matches!(
                    &row[..next],
                    "&lt;" | "&gt;" | "&amp;" | "&quot;" | "&apos;"
                ),
                "{row:?} is one of the five but was not skipped"
            ),
        }
    }
    let r = run("<rss><channel><title>a &lt;b&gt; &amp;&amp; &quot;c&apos; &nbsp;d AT&T</title></channel></rss>");
    assert_eq!(
        r.xml,
        "<rss version=\"2.0\"><channel><title>a &lt;b&gt; &amp;&amp; &quot;c&apos; &#160;d AT&amp;T</title></channel></rss>"
    );
}
