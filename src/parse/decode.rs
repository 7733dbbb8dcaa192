//! Bytes → UTF-8 text that feed-rs can read without guessing again.
//!
//! Order of evidence: a byte order mark, then the byte pattern of UTF-16/32,
//! then the XML prolog's `encoding`, then the HTTP `charset`, else UTF-8.
//! Bytes that do not decode become U+FFFD instead of failing the feed, and
//! characters XML forbids are dropped. The prolog itself is removed later by
//! the repair pass, so feed-rs never sees an `encoding` it would act on.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// How far into the document the XML declaration is looked for: far enough
/// to step over a leading comment or blank lines, short enough to stay cheap.
const PROLOG_WINDOW: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Utf32 {
    Le,
    Be,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detected {
    Encoding(&'static Encoding),
    Utf32(Utf32),
}

/// How much of an undeclared, non-UTF-8 document the charset detector reads.
const SNIFF_BYTES: usize = 64 * 1024;

/// Decodes a fetched document to UTF-8 text, choosing the encoding from the
/// BOM, the XML prolog or the HTTP `Content-Type` charset (in that order), and
/// removes characters that are not allowed in XML. A document that declares
/// nothing and is not UTF-8 gets its encoding guessed (chardetng), helped by
/// the top-level domain it came from (`rs` makes Cyrillic likelier). Never
/// fails.
pub fn decode(body: &[u8], content_type: Option<&str>, tld: Option<&str>) -> String {
    let (detected, bom_len) = detect(body, content_type, tld);
    let bytes = &body[bom_len..];
    let text: Cow<'_, str> = match detected {
        Detected::Utf32(order) => Cow::Owned(decode_utf32(bytes, order)),
        Detected::Encoding(enc) => enc.decode_without_bom_handling(bytes).0,
    };
    strip_illegal_chars(text)
}

/// Picks the encoding and the length of the BOM to skip.
fn detect(body: &[u8], content_type: Option<&str>, tld: Option<&str>) -> (Detected, usize) {
    match body {
        [0x00, 0x00, 0xFE, 0xFF, ..] => return (Detected::Utf32(Utf32::Be), 4),
        [0xFF, 0xFE, 0x00, 0x00, ..] => return (Detected::Utf32(Utf32::Le), 4),
        [0xEF, 0xBB, 0xBF, ..] => return (Detected::Encoding(UTF_8), 3),
        [0xFF, 0xFE, ..] => return (Detected::Encoding(UTF_16LE), 2),
        [0xFE, 0xFF, ..] => return (Detected::Encoding(UTF_16BE), 2),
        _ => {}
    }
    if let Some(wide) = sniff_wide(body) {
        return (wide, 0);
    }
    let declared = prolog_encoding(body).or_else(|| content_type.and_then(http_charset));
    let encoding = match declared {
        // A document that reached this point is ASCII-compatible (UTF-16/32
        // was ruled out above), so a UTF-16 label is a lie about the bytes.
        Some(enc) if enc == UTF_16LE || enc == UTF_16BE => UTF_8,
        // Servers and CMSs often declare a legacy charset for bytes that are in
        // fact UTF-8; text in a single-byte charset is almost never valid
        // multi-byte UTF-8 by accident, so valid UTF-8 with non-ASCII wins.
        Some(enc) if enc != UTF_8 && !body.is_ascii() && std::str::from_utf8(body).is_ok() => UTF_8,
        Some(enc) => enc,
        None if std::str::from_utf8(body).is_ok() => UTF_8,
        None => guess(body, tld),
    };
    (Detected::Encoding(encoding), 0)
}

/// Guesses the legacy encoding of undeclared bytes that are not UTF-8.
fn guess(body: &[u8], tld: Option<&str>) -> &'static Encoding {
    let sample = &body[..body.len().min(SNIFF_BYTES)];
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(sample, sample.len() == body.len());
    // chardetng panics on a label that is not lower-case ASCII without dots.
    let tld = tld.filter(|t| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    let guessed = detector.guess(tld.map(str::as_bytes), chardetng::Utf8Detection::Allow);
    // chardetng tells Central European from Western Latin poorly. Where the
    // site is in the region, windows-1250 is the likelier one, and it reads
    // Albanian's ë and ç exactly as windows-1252 does.
    if guessed == encoding_rs::WINDOWS_1252
        && tld.is_some_and(|t| CENTRAL_EUROPEAN_TLDS.contains(&t))
    {
        return encoding_rs::WINDOWS_1250;
    }
    guessed
}

/// Top-level domains of the region whose Latin script needs windows-1250.
const CENTRAL_EUROPEAN_TLDS: &[&str] = &["rs", "ba", "me", "hr", "si", "al", "xk", "mk"];

/// Recognises UTF-16/32 without a BOM from where the zero bytes of the first
/// ASCII characters (`<`, whitespace) fall.
fn sniff_wide(body: &[u8]) -> Option<Detected> {
    match body {
        [0x00, 0x00, 0x00, b, ..] if *b != 0 => Some(Detected::Utf32(Utf32::Be)),
        [a, 0x00, 0x00, 0x00, ..] if *a != 0 => Some(Detected::Utf32(Utf32::Le)),
        [0x00, a, 0x00, b, ..] if *a != 0 && *b != 0 => Some(Detected::Encoding(UTF_16BE)),
        [a, 0x00, b, 0x00, ..] if *a != 0 && *b != 0 => Some(Detected::Encoding(UTF_16LE)),
        _ => None,
    }
}

/// The `encoding` of the XML declaration, when there is one near the start
/// and it names an encoding we know.
fn prolog_encoding(body: &[u8]) -> Option<&'static Encoding> {
    let window = &body[..body.len().min(PROLOG_WINDOW)];
    let start = find(window, b"<?xml")?;
    let decl = &window[start..];
    let end = find(decl, b"?>").unwrap_or(decl.len());
    let decl = &decl[..end];
    let at = find(decl, b"encoding")?;
    let rest = &decl[at + b"encoding".len()..];
    let rest = trim_ascii_start(rest);
    let rest = trim_ascii_start(rest.strip_prefix(b"=")?);
    let (quote, rest) = rest.split_first()?;
    if *quote != b'"' && *quote != b'\'' {
        return None;
    }
    let close = rest.iter().position(|b| b == quote)?;
    encoding_for_label(&rest[..close])
}

/// The `charset` parameter of an HTTP `Content-Type` value.
fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        encoding_for_label(value.as_bytes())
    })
}

/// Maps an encoding label to an encoding, also accepting a few spellings
/// seen in feeds that the WHATWG list does not have (`mac-cyrillic`).
fn encoding_for_label(label: &[u8]) -> Option<&'static Encoding> {
    if let Some(enc) = Encoding::for_label(label) {
        return Some(enc);
    }
    let mut prefixed = b"x-".to_vec();
    prefixed.extend_from_slice(label);
    Encoding::for_label(&prefixed)
}

/// UTF-32 is not in encoding_rs (the web dropped it); it is simple enough to
/// decode here. Invalid code points become U+FFFD.
fn decode_utf32(bytes: &[u8], order: Utf32) -> String {
    let mut out = String::with_capacity(bytes.len() / 4);
    for chunk in bytes.chunks(4) {
        let value = match (chunk, order) {
            ([a, b, c, d], Utf32::Le) => u32::from_le_bytes([*a, *b, *c, *d]),
            ([a, b, c, d], Utf32::Be) => u32::from_be_bytes([*a, *b, *c, *d]),
            _ => 0xFFFD,
        };
        out.push(char::from_u32(value).unwrap_or('\u{FFFD}'));
    }
    out
}

/// Whether XML 1.0 allows this character in a document.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Drops NUL and the other characters XML forbids, and reads C1 control
/// characters as the windows-1252 characters they almost always stand for
/// (a `’` written as U+0092). Copies nothing when the text is clean.
fn strip_illegal_chars(text: Cow<'_, str>) -> String {
    let suspicious = text
        .bytes()
        .any(|b| (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0xEF || b == 0xC2);
    if suspicious && text.chars().any(|c| !is_xml_char(c) || is_c1(c)) {
        text.chars()
            .filter_map(|c| {
                if is_c1(c) {
                    c1_as_windows_1252(c)
                } else {
                    is_xml_char(c).then_some(c)
                }
            })
            .collect()
    } else {
        text.into_owned()
    }
}

fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9F}').contains(&c)
}

/// The windows-1252 character of a C1 control's byte, or `None` for the
/// five bytes windows-1252 leaves undefined.
pub(crate) fn c1_as_windows_1252(c: char) -> Option<char> {
    let byte = u8::try_from(u32::from(c)).ok()?;
    let bytes = [byte];
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
    text.chars().next().filter(|d| !is_c1(*d))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for unit in s.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    fn utf16be(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFE, 0xFF] } else { Vec::new() };
        for unit in s.encode_utf16() {
            out.extend_from_slice(&unit.to_be_bytes());
        }
        out
    }

    #[test]
    fn encodings_table() {
        let cyr = "<?xml version=\"1.0\"?><rss><title>Вучић у Београду</title></rss>";
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(cyr);
        let lat2 = "<?xml version=\"1.0\" encoding=\"windows-1250\"?><rss><title>Vučić, Šabac, Đakovica</title></rss>";
        let (cp1250, _, _) = encoding_rs::WINDOWS_1250.encode(lat2);
        let iso2 =
            "<?xml version='1.0' encoding='ISO-8859-2'?><rss><title>Žabljak čćš</title></rss>";
        let (latin2, _, _) = encoding_rs::ISO_8859_2.encode(iso2);
        let fr =
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><title>Café “x”</title></rss>";
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(fr);
        let sq = "<rss><title>Thaçi në Prishtinë</title></rss>";

        let rows: Vec<(&str, Vec<u8>, Option<&str>, &str)> = vec![
            (
                "1251 only in HTTP header",
                cp1251.to_vec(),
                Some("application/rss+xml; charset=windows-1251"),
                "Вучић у Београду",
            ),
            (
                "1251 header charset quoted, upper case",
                cp1251.to_vec(),
                Some("text/xml; Charset=\"WINDOWS-1251\""),
                "Вучић у Београду",
            ),
            (
                "1250 in prolog",
                cp1250.to_vec(),
                None,
                "Vučić, Šabac, Đakovica",
            ),
            (
                "1250 prolog beats a wrong header",
                cp1250.to_vec(),
                Some("text/xml; charset=utf-8"),
                "Vučić, Šabac, Đakovica",
            ),
            (
                "ISO-8859-2 in prolog, single quotes",
                latin2.to_vec(),
                None,
                "Žabljak čćš",
            ),
            (
                "ISO-8859-1 label decodes as windows-1252",
                cp1252.to_vec(),
                None,
                "Café “x”",
            ),
            (
                "UTF-16LE with BOM",
                utf16le(sq, true),
                None,
                "Thaçi në Prishtinë",
            ),
            (
                "UTF-16BE with BOM",
                utf16be(sq, true),
                None,
                "Thaçi në Prishtinë",
            ),
            (
                "UTF-16LE without BOM",
                utf16le(sq, false),
                None,
                "Thaçi në Prishtinë",
            ),
            (
                "UTF-8 with BOM",
                [&[0xEF, 0xBB, 0xBF][..], sq.as_bytes()].concat(),
                None,
                "Thaçi në Prishtinë",
            ),
            (
                "plain UTF-8",
                sq.as_bytes().to_vec(),
                None,
                "Thaçi në Prishtinë",
            ),
            (
                "UTF-8 bytes under a latin-1 prolog",
                format!("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>{sq}").into_bytes(),
                None,
                "Thaçi në Prishtinë",
            ),
            (
                "unknown label falls back to UTF-8",
                format!("<?xml version=\"1.0\" encoding=\"bogus\"?>{sq}").into_bytes(),
                None,
                "Thaçi në Prishtinë",
            ),
        ];
        for (name, bytes, ct, want) in rows {
            let got = decode(&bytes, ct, None);
            assert!(
                got.contains(want),
                "{name}: {got:?} does not contain {want:?}"
            );
            assert!(!got.starts_with('\u{FEFF}'), "{name}: BOM kept");
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let got = decode(
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><title>ok \xFF\xFE bad</title></rss>",
            None,
            None,
        );
        assert!(got.contains("ok \u{FFFD}\u{FFFD} bad"), "{got:?}");
    }

    #[test]
    fn illegal_xml_chars_removed() {
        let got = decode(
            b"<rss>\x00a\x01b\x0Bc\td\ne\x1F\xEF\xBF\xBEf\xC2\x92s</rss>",
            None,
            None,
        );
        assert_eq!(got, "<rss>abc\td\nef’s</rss>");
    }

    #[test]
    fn undeclared_legacy_bytes_are_guessed() {
        let cyr = "<rss><channel><title>Влада Србије усвојила је нови закон о енергетици и рударству</title></channel></rss>";
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(cyr);
        assert_eq!(decode(&cp1251, None, Some("rs")), cyr);
        let lat = "<rss><channel><title>Vučić: Srbija će nastaviti saradnju sa Kfor-om</title>\
                   <description>Predsednik je rekao da će Vlada uskoro usvojiti nove mere. Ministarka je najavila \
                   izmene zakona o energetici, rudarstvu i životnoj sredini, a građani očekuju nižu cenu struje. \
                   Đoković je čestitao reprezentaciji. Šabac, Čačak, Niš i Užice dobijaju nove škole.</description>\
                   </channel></rss>";
        let (cp1250, _, _) = encoding_rs::WINDOWS_1250.encode(lat);
        assert_eq!(decode(&cp1250, None, Some("rs")), lat);
    }

    #[test]
    fn utf32_decodes() {
        let mut be = vec![0, 0, 0xFE, 0xFF];
        for c in "<a>ë</a>".chars() {
            be.extend_from_slice(&(c as u32).to_be_bytes());
        }
        assert_eq!(decode(&be, None, None), "<a>ë</a>");
        let le: Vec<u8> = "<a>ë</a>"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert_eq!(decode(&le, None, None), "<a>ë</a>");
    }

    #[test]
    fn utf16_label_on_ascii_bytes_is_ignored() {
        let got = decode(
            b"<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>a</rss>",
            None,
            None,
        );
        assert!(got.ends_with("<rss>a</rss>"), "{got:?}");
    }
}
