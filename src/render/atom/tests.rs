use super::*;

#[test]
fn text_escaping_table() {
    let table = [
        ("plain", "plain"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("]]>", "]]&gt;"),
        ("quote \" stays", "quote \" stays"),
        ("bell\u{7}nul\u{0}esc\u{1b}", "bellnulesc"),
        ("c1\u{85}\u{9f}del\u{7f}", "c1del"),
        ("keep\ttab\nnewline", "keep\ttab\nnewline"),
        ("cr\r\n", "cr&#13;\n"),
        ("nonchars\u{FFFE}\u{FFFF}", "nonchars"),
        ("Вучић ë ç 😀", "Вучић ë ç 😀"),
        // Characters whose first byte is one of the C1 controls' or the
        // non-characters' lead bytes but that XML allows.
        (
            "nbsp\u{A0}«»\u{FFFD}\u{FFFC}\u{E000}",
            "nbsp\u{A0}«»\u{FFFD}\u{FFFC}\u{E000}",
        ),
        ("\u{80}<\u{9f}", "&lt;"),
        ("", ""),
    ];
    for (input, want) in table {
        let mut out = String::new();
        push_text(&mut out, input);
        assert_eq!(out, want, "text {input:?}");
    }
}

#[test]
fn attribute_escaping_table() {
    let table = [
        ("a\"b", "a&quot;b"),
        ("a<b>&", "a&lt;b&gt;&amp;"),
        ("t\tn\nr\r", "t&#9;n&#10;r&#13;"),
        ("x\u{1}y", "xy"),
        ("ë\u{85}\u{A0}\u{FFFF}й", "ë\u{A0}й"),
    ];
    for (input, want) in table {
        let mut out = String::new();
        push_attr(&mut out, input);
        assert_eq!(out, want, "attr {input:?}");
    }
}

#[test]
fn iri_table() {
    let table: &[(&str, Option<&str>)] = &[
        (
            "https://example.org/a?b=c#d",
            Some("https://example.org/a?b=c#d"),
        ),
        ("  https://example.org/a  ", Some("https://example.org/a")),
        ("https://example.org/a b", Some("https://example.org/a%20b")),
        (
            "https://example.org/<x>",
            Some("https://example.org/%3Cx%3E"),
        ),
        (
            "https://example.org/{|}\\^`\"",
            Some("https://example.org/%7B%7C%7D%5C%5E%60%22"),
        ),
        (
            "https://example.org/100%",
            Some("https://example.org/100%25"),
        ),
        (
            "https://example.org/%zz%4",
            Some("https://example.org/%25zz%254"),
        ),
        (
            "https://example.org/%C3%A7",
            Some("https://example.org/%C3%A7"),
        ),
        (
            "https://example.org/a#b#c",
            Some("https://example.org/a#b%23c"),
        ),
        (
            "https://example.org/\u{1}x",
            Some("https://example.org/%01x"),
        ),
        (
            "https://sr.example.org/вести",
            Some("https://sr.example.org/вести"),
        ),
        ("/relative/path", Some("/relative/path")),
        // Lead bytes 0xC2 and 0xEF: the C1 control and U+FFFF are encoded,
        // their neighbours are not.
        (
            "https://e.example/\u{A0}\u{85}\u{FFFD}\u{FFFF}",
            Some("https://e.example/\u{A0}%C2%85\u{FFFD}%EF%BF%BF"),
        ),
        ("https://e.example/\u{7f}", Some("https://e.example/%7F")),
        ("", None),
        ("   ", None),
    ];
    for (input, want) in table {
        assert_eq!(iri(input).as_deref(), *want, "iri({input:?})");
        // The quick check agrees with the long way.
        let trimmed = input.trim();
        if !trimmed.is_empty() && is_plain_iri(trimmed) {
            assert_eq!(*want, Some(trimmed), "is_plain_iri({input:?})");
        }
    }
}

#[test]
fn absolute_iri_table() {
    let table = [
        ("https://example.org/feed", true),
        ("tag:example.org,2024:feed", true),
        ("urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e", true),
        ("http:/no-authority", false),
        ("https://", false),
        ("/relative", false),
        ("no scheme here", false),
        ("1http://example.org/", false),
        ("urn:", false),
        ("https://example.org/a b", false),
        ("https://example.org/#a#b", false),
        ("https://example.org/%zz", false),
        (" https://example.org/", false),
    ];
    for (input, want) in table {
        assert_eq!(is_absolute_iri(input), want, "is_absolute_iri({input:?})");
    }
}

#[test]
fn dates_are_rfc3339_seconds_utc_and_clamped() {
    let t = DateTime::parse_from_rfc3339("2024-03-05T07:08:09.123+02:00")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(rfc3339(t), "2024-03-05T05:08:09Z");
    assert_eq!(rfc3339(DateTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
    let far = DateTime::from_timestamp(400_000_000_000, 0).unwrap();
    assert_eq!(rfc3339(far), "9999-12-31T23:59:59Z");
    let early = DateTime::from_timestamp(-70_000_000_000, 0).unwrap();
    assert_eq!(rfc3339(early), "0001-01-01T00:00:00Z");
}

#[test]
fn entry_ids() {
    assert_eq!(
        entry_id("0F8FAD5B-D9CB-469F-A165-70867728950E"),
        "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"
    );
    assert_eq!(
        entry_id("not a uuid/ç"),
        "urn:feedmill:entry:not%20a%20uuid%2F%C3%A7"
    );
    assert_eq!(entry_id(""), "urn:feedmill:entry:unnamed");
}

#[test]
fn blank_table() {
    let table = [
        ("", true),
        (" \t\n\r", true),
        ("\u{0}\u{85}\u{FFFE} \u{A0}\u{3000}", true),
        ("  x ", false),
        ("\u{1}<", false),
        ("\u{A0}й", false),
    ];
    for (input, want) in table {
        assert_eq!(is_blank(input), want, "{input:?}");
        assert_eq!(non_blank(Some(input)).is_none(), want, "{input:?}");
    }
}

#[test]
fn streamed_document_is_the_same_document() {
    let labels = HashMap::from([("defense".to_string(), "Defense".to_string())]);
    let feed = FeedInfo {
        id: "urn:feedmill:feed:all".into(),
        title: "All".into(),
        self_url: None,
        author: "All".into(),
    };
    let entry = |uid: &str, minutes: i64| Entry {
        uid: uid.into(),
        title: format!("Story {uid}"),
        link: Some(format!("https://a.example/{uid}")),
        summary_html: Some("<p>x</p>".into()),
        content_html: None,
        authors: vec!["Desk".into()],
        published: None,
        updated: DateTime::UNIX_EPOCH + chrono::TimeDelta::minutes(minutes),
        topics: vec!["defense".into()],
        regions: vec![],
        source: EntrySource {
            name: "A".into(),
            url: "https://a.example/rss".into(),
            ..EntrySource::default()
        },
        related: vec![],
    };
    // Out of order and with a repeated uid: `updated` is still the newest.
    let entries = [entry("b", 5), entry("a", 9), entry("b", 7)];
    let whole = atom_document(&feed, &entries, &labels);
    assert!(
        whole.contains("<updated>1970-01-01T00:09:00Z</updated>\n  <link")
            || whole.contains("<updated>1970-01-01T00:09:00Z</updated>\n  <author")
    );
    assert_eq!(whole.matches("<entry>").count(), 2);
    let mut writer = AtomWriter::new(&labels);
    for round in 0..2 {
        for e in &entries {
            writer.push(e);
        }
        assert_eq!(writer.finish(&feed), whole, "round {round}");
    }
    assert_eq!(
        writer.finish(&feed),
        atom_document(&feed, &[], &labels),
        "a finished writer starts empty"
    );
}
