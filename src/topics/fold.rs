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
    // A separator is only written once a following word shows up, which
    // collapses runs and trims both ends without a second pass.
    let pending_space = !out.is_empty() && !out.ends_with(' ');
    let mut w = Writer { out, pending_space };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            // Fast path: a run of ASCII letters and digits is copied whole
            // and lower-cased in place (English, and most of Latin-script
            // Albanian and Serbian).
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            w.word_start();
            let at = w.out.len();
            w.out.push_str(&text[start..i]);
            w.out[at..].make_ascii_lowercase();
            continue;
        }
        if b.is_ascii() {
            w.piece(FoldedChar::Separator);
            i += 1;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        match table().get((c as usize).wrapping_sub(TABLE_START)) {
            Some(Entry::Ignore) => {}
            Some(Entry::Separator) => w.piece(FoldedChar::Separator),
            Some(Entry::Char(f)) => w.piece(FoldedChar::Char(*f)),
            Some(Entry::Str(s)) => w.piece(FoldedChar::Str(s)),
            Some(Entry::Slow) | None => fold_slow(c, &mut |p| w.piece(p)),
        }
    }
}

/// Appends folded pieces, writing a word separator only between words.
struct Writer<'a> {
    out: &'a mut String,
    pending_space: bool,
}

impl Writer<'_> {
    fn word_start(&mut self) {
        if self.pending_space {
            self.out.push(' ');
            self.pending_space = false;
        }
    }

    fn piece(&mut self, piece: FoldedChar) {
        match piece {
            FoldedChar::Ignore => {}
            FoldedChar::Separator => {
                self.pending_space = !self.out.is_empty() && !self.out.ends_with(' ')
            }
            FoldedChar::Char(c) => {
                self.word_start();
                self.out.push(c);
            }
            FoldedChar::Str(s) => {
                self.word_start();
                self.out.push_str(s);
            }
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
