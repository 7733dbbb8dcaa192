//! Text folding for topic matching: one canonical spelling per word, so that
//! "Vučić", "VUCIC" and "Вучић" all compare equal and word boundaries are
//! explicit single spaces.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Folds `text` into `out` (which is cleared first): Unicode lower-casing,
/// compatibility decomposition with combining marks dropped (`ç` → `c`,
/// `ë` → `e`, `ﬁ` → `fi`), letters without a decomposition spelled out
/// (`đ` → `dj`, `ß` → `ss`, `ø` → `o`), Serbian (and neighbouring) Cyrillic
/// transliterated to Latin, and every run of characters that are not letters
/// or digits turned into one space. The result has no leading or trailing
/// space, so words in it are exactly the runs between single spaces.
pub fn fold(text: &str, out: &mut String) {
    out.clear();
    fold_append(text, out);
}

/// Like [`fold`], but appends to `out` instead of replacing it. A space is
/// put between what `out` already ends with and the first folded word.
pub(crate) fn fold_append(text: &str, out: &mut String) {
    out.reserve(text.len());
    let at_start = out.is_empty() || out.ends_with(' ');
    fold_into(text, out, at_start);
}

/// Where folded text goes: a `String`, or the topic automaton stepping
/// through it byte by byte (so matching needs no folded copy).
pub(crate) trait Sink {
    fn push_char(&mut self, c: char);
    fn push_str(&mut self, s: &str);
}

impl Sink for String {
    #[inline(always)]
    fn push_char(&mut self, c: char) {
        self.push(c);
    }
    #[inline(always)]
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
}

/// Folds `text` into `sink`. `at_start`: nothing precedes, or what does
/// ends with a space; otherwise a space is put before the first word.
#[inline(always)]
pub(crate) fn fold_into<S: Sink>(text: &str, sink: &mut S, at_start: bool) {
    // A separator is only written once a following word shows up, which
    // collapses runs and trims both ends without a second pass.
    let mut w = Writer {
        out: sink,
        at_start,
        pending_space: !at_start,
    };
    let bytes = text.as_bytes();
    let table = table();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            // ASCII (the bulk of English and Latin-script Albanian and
            // Serbian): a byte table says lower-cased letter or separator.
            match ASCII[usize::from(b)] {
                0 => w.separator(),
                f => w.push(char::from(f)),
            }
            i += 1;
            continue;
        }
        // Two-byte UTF-8 (all of Latin-1, Latin Extended, Greek and
        // Cyrillic) is decoded by hand: it is the whole non-ASCII load of
        // the region's text, and the table covers exactly that range.
        let c = match bytes.get(i + 1) {
            Some(&b2) if (0xC2..=0xDF).contains(&b) && b2 & 0xC0 == 0x80 => {
                i += 2;
                (usize::from(b & 0x1F) << 6) | usize::from(b2 & 0x3F)
            }
            _ => {
                let Some(c) = text[i..].chars().next() else {
                    break;
                };
                i += c.len_utf8();
                c as usize
            }
        };
        match table.get(c.wrapping_sub(TABLE_START)) {
            Some(Entry::Ignore) => {}
            Some(Entry::Separator) => w.separator(),
            Some(Entry::Char(f)) => w.push(*f),
            Some(Entry::Str(s)) => w.push_str(s),
            Some(Entry::Slow) | None => {
                if let Some(c) = char::from_u32(c as u32) {
                    fold_slow(c, &mut |p| w.piece(p));
                }
            }
        }
    }
}

/// ASCII folded: lower-case letters and digits as themselves, 0 for
/// everything else (a word separator).
const ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Appends folded pieces, writing a word separator only between words.
struct Writer<'a, S: Sink> {
    out: &'a mut S,
    /// Nothing written yet, or `out` ends with a space already.
    at_start: bool,
    pending_space: bool,
}

impl<S: Sink> Writer<'_, S> {
    #[inline(always)]
    fn separator(&mut self) {
        self.pending_space = !self.at_start;
    }

    #[inline(always)]
    fn word_start(&mut self) {
        if self.pending_space {
            self.out.push_char(' ');
            self.pending_space = false;
        }
        self.at_start = false;
    }

    #[inline(always)]
    fn push(&mut self, c: char) {
        self.word_start();
        self.out.push_char(c);
    }

    #[inline(always)]
    fn push_str(&mut self, s: &str) {
        self.word_start();
        self.out.push_str(s);
    }

    fn piece(&mut self, piece: FoldedChar) {
        match piece {
            FoldedChar::Ignore => {}
            FoldedChar::Separator => self.separator(),
            FoldedChar::Char(c) => self.push(c),
            FoldedChar::Str(s) => self.push_str(s),
        }
    }
}

/// Folds one non-ASCII character the long way: lower-case, decompose,
/// lower-case again (compatibility decompositions can yield capitals:
/// ℌ → H), then fold each resulting character.
fn fold_slow(c: char, emit: &mut dyn FnMut(FoldedChar)) {
    for lower in c.to_lowercase() {
        decompose_compatible(lower, |d| {
            for l in d.to_lowercase() {
                emit(fold_char(l));
            }
        });
    }
}

/// The first code point of [`table`]: everything below is ASCII.
const TABLE_START: usize = 0x80;
/// One past the last: Latin-1, Latin Extended-A/B, IPA, Greek and Cyrillic,
/// which is every letter of the region's news in any script.
const TABLE_END: usize = 0x530;

/// What [`fold_slow`] makes of one character, when that is a single piece.
#[derive(Clone, Copy)]
enum Entry {
    Ignore,
    Separator,
    Char(char),
    Str(&'static str),
    /// Several pieces (`ǆ` → `d`, `z`): folded the long way each time.
    Slow,
}

/// [`fold_slow`] precomputed for U+0080..U+0530, built on first use: the
/// decomposition and case tables cost more per character than the fold.
fn table() -> &'static [Entry] {
    static TABLE: std::sync::OnceLock<Vec<Entry>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (TABLE_START..TABLE_END)
            .map(|cp| {
                let Some(c) = char::from_u32(cp as u32) else {
                    return Entry::Slow;
                };
                let mut pieces = Vec::new();
                fold_slow(c, &mut |p| {
                    if !matches!(p, FoldedChar::Ignore) {
                        pieces.push(p)
                    }
                });
                match pieces.as_slice() {
                    [] => Entry::Ignore,
                    [FoldedChar::Separator] => Entry::Separator,
                    [FoldedChar::Char(f)] => Entry::Char(*f),
                    [FoldedChar::Str(s)] => Entry::Str(s),
                    _ => Entry::Slow,
                }
            })
            .collect()
    })
}

#[derive(Clone, Copy)]
enum FoldedChar {
    /// Dropped without separating words (combining marks, soft hyphens).
    Ignore,
    /// Ends a word.
    Separator,
    Char(char),
    Str(&'static str),
}

/// Folds one lower-case, decomposed character.
fn fold_char(c: char) -> FoldedChar {
    if is_combining_mark(c) || is_invisible_joiner(c) {
        return FoldedChar::Ignore;
    }
    if let Some(s) = special_latin(c).or_else(|| cyrillic(c)) {
        return if s.is_empty() {
            FoldedChar::Ignore
        } else {
            FoldedChar::Str(s)
        };
    }
    if c.is_alphanumeric() {
        FoldedChar::Char(c)
    } else {
        FoldedChar::Separator
    }
}

/// Format characters that sit inside words (soft hyphen, zero-width joiners,
/// BOM) and must not split them.
fn is_invisible_joiner(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// Latin letters that carry their diacritic in the glyph itself, so no
/// decomposition removes it.
fn special_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'đ' => "dj",
        'ð' => "d",
        'ł' => "l",
        'ø' => "o",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        'ı' => "i",
        'ħ' => "h",
        'ŧ' => "t",
        'ƀ' => "b",
        'ɨ' => "i",
        'ƶ' => "z",
        'ŀ' => "l",
        // Greek final sigma: lower-casing alone leaves σ and ς distinct.
        'ς' => "σ",
        _ => return None,
    })
}

/// Serbian Cyrillic per the official Latin alphabet with diacritics dropped
/// (ч, ћ → c; ђ → dj, as đ folds), plus the few Macedonian, Montenegrin and
/// Russian letters a regional feed may carry.
fn cyrillic(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'ђ' => "dj",
        'е' => "e",
        'ж' => "z",
        'з' => "z",
        'и' => "i",
        'ј' => "j",
        'к' => "k",
        'л' => "l",
        'љ' => "lj",
        'м' => "m",
        'н' => "n",
        'њ' => "nj",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'ћ' => "c",
        'у' => "u",
        'ф' => "f",
        'х' => "h",
        'ц' => "c",
        'ч' => "c",
        'џ' => "dz",
        'ш' => "s",
        // Macedonian ѕ; ѓ and ќ decompose to г/к + accent already.
        'ѕ' => "dz",
        // Montenegrin letters are Latin ś/ź or Cyrillic с/з + accent: covered.
        // Russian and Ukrainian extras.
        'ы' => "y",
        'э' => "e",
        'ю' => "ju",
        'я' => "ja",
        'щ' => "sc",
        'є' => "je",
        'і' => "i",
        'ґ' => "g",
        'ь' | 'ъ' => "",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(s: &str) -> String {
        let mut out = String::new();
        fold(s, &mut out);
        out
    }

    #[test]
    fn folding_table() {
        let table: &[(&str, &str)] = &[
            // English, case and punctuation
            ("NATO", "nato"),
            ("Kosovo's army", "kosovo s army"),
            ("  EU\t–\nSerbia  ", "eu serbia"),
            ("F-16 jets", "f 16 jets"),
            ("", ""),
            ("!!!", ""),
            // Albanian
            ("Thaçi", "thaci"),
            ("Kosovës", "kosoves"),
            ("Ushtria e Kosovës", "ushtria e kosoves"),
            ("ËË çÇ", "ee cc"),
            // Serbian Latin
            ("Vučić", "vucic"),
            ("Đurić", "djuric"),
            ("ĐURIĆ", "djuric"),
            ("Džajić", "dzajic"),
            ("Šabac Žabalj", "sabac zabalj"),
            // Serbian Cyrillic
            ("Вучић", "vucic"),
            ("ВУЧИЋ", "vucic"),
            ("Ђурић", "djuric"),
            ("Џајић", "dzajic"),
            ("Љубљана", "ljubljana"),
            ("Његош", "njegos"),
            ("Ниш и Жабаљ", "nis i zabalj"),
            ("Хоти, Цетиње", "hoti cetinje"),
            ("Војска Србије", "vojska srbije"),
            ("Косово", "kosovo"),
            // Macedonian letters that decompose
            ("Ќ Ѓ", "k g"),
            // Other special letters
            ("Łódź Øresund Straße Æsir", "lodz oresund strasse aesir"),
            ("STRASSE ẞ", "strasse ss"),
            ("İstanbul", "istanbul"),
            // Compatibility forms
            ("ﬁnance", "finance"),
            ("ＮＡＴＯ", "nato"),
            // Invisible characters do not split words
            ("Ko\u{00AD}sovo", "kosovo"),
            ("Ko\u{200B}sovo", "kosovo"),
            // Combining marks given separately
            ("Vuc\u{030C}ic\u{0301}", "vucic"),
        ];
        for (input, want) in table {
            assert_eq!(folded(input), *want, "fold({input:?})");
        }
    }

    #[test]
    fn cyrillic_and_latin_fold_alike() {
        let pairs = [
            ("Vučić", "Вучић"),
            ("Đorđe", "Ђорђе"),
            ("Šešelj", "Шешељ"),
            ("Njegoš", "Његош"),
            ("Džamija", "Џамија"),
            ("Ćuprija", "Ћуприја"),
        ];
        for (latin, cyr) in pairs {
            assert_eq!(folded(latin), folded(cyr), "{latin} vs {cyr}");
        }
    }

    /// The precomputed table must fold exactly as the long way does, for
    /// every character it covers, alone and inside words.
    #[test]
    fn table_agrees_with_the_slow_path() {
        for cp in TABLE_START..TABLE_END {
            let Some(c) = char::from_u32(cp as u32) else {
                continue;
            };
            let mut slow = String::from("a");
            let mut w = Writer {
                out: &mut slow,
                at_start: false,
                pending_space: false,
            };
            fold_slow(c, &mut |p| w.piece(p));
            w.piece(FoldedChar::Char('b'));
            let text = format!("a{c}b");
            assert_eq!(folded(&text), slow, "U+{cp:04X} {c:?}");
        }
    }

    #[test]
    fn fold_reuses_and_clears_buffer() {
        let mut buf = String::from("old text");
        fold("New", &mut buf);
        assert_eq!(buf, "new");
    }

    #[test]
    fn fold_append_separates_pieces() {
        let mut buf = String::new();
        fold_append("Title.", &mut buf);
        fold_append("  body", &mut buf);
        fold_append("", &mut buf);
        assert_eq!(buf, "title body");
    }
}
