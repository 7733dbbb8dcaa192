//! The words of a signature: folded text cut into words (digit groups
//! joined), word classes (function words, labels, number words, weekdays
//! and months) looked up in one hash table, the names a lead mentions, and
//! index keys. Nothing here allocates per word.

use std::sync::OnceLock;

use crate::topics::fold;

/// One word of folded text (see [`next_word`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Word<'a> {
    /// Any word that is not all digits.
    Text(&'a str),
    /// Digits, possibly with spaces between a number and its 3-digit groups
    /// ("3 000" of "3,000"): one number.
    Digits(&'a str),
}

/// The word of `folded` at `*pos`, with the groups of three digits that
/// follow a number joined to it: a thousands separator folds to a space, and
/// "3,000", "3.000" and "3000" are one number. With `more` (text will still
/// be appended to `folded`), a word that reaches the end is not given yet,
/// since the next text may continue its digit groups; `*pos` then stays.
pub(super) fn next_word<'a>(folded: &'a str, pos: &mut usize, more: bool) -> Option<Word<'a>> {
    let bytes = folded.as_bytes();
    let skip_spaces = |mut i: usize| {
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    };
    let start = skip_spaces(*pos);
    if start >= bytes.len() {
        return None;
    }
    // Words are short: a plain loop beats setting up a SIMD search.
    // The end of the word at `from`, and whether it is all digits.
    let word_end = |from: usize| {
        let mut end = from;
        let mut digits = true;
        while let Some(&b) = bytes.get(end).filter(|&&b| b != b' ') {
            digits &= b.is_ascii_digit();
            end += 1;
        }
        (end, digits)
    };
    let (end, is_number) = word_end(start);
    let mut stop = end;
    if is_number {
        loop {
            let next = skip_spaces(stop);
            let (group_end, digits) = word_end(next);
            if next >= bytes.len() || group_end - next != 3 || !digits {
                break;
            }
            stop = group_end;
        }
    }
    if more && skip_spaces(stop) >= bytes.len() {
        return None;
    }
    *pos = stop;
    Some(if is_number {
        Word::Digits(&folded[start..stop])
    } else {
        Word::Text(&folded[start..end])
    })
}

/// Appends the number `digits` (digits and spaces, see [`Word::Digits`])
/// to `out` as [`number`] gives it: without spaces and leading zeros.
pub(super) fn push_number(out: &mut String, digits: &str) {
    let before = out.len();
    for b in digits.bytes() {
        // Leading zeros are formatting ("05. maj").
        if b != b' ' && (b != b'0' || out.len() > before) {
            out.push(char::from(b));
        }
    }
    if out.len() == before {
        out.push('0');
    }
}

/// Appends the fold of `text` to `out`, a space between it and what `out`
/// holds: the words of `out` are then those of folding each text alone, and
/// (folding being character by character) those of folding the whole when
/// `text` continues at a space where the previous text ended.
pub(super) fn fold_append(text: &str, out: &mut String, scratch: &mut String) {
    fold(text, scratch);
    if !scratch.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(scratch);
    }
}

/// What a word is, besides an ordinary word.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Class {
    /// A function word or a verb of attribution (see [`is_stopword`]).
    pub stop: bool,
    /// A label outlets put around titles ("foto", "uzivo").
    pub label: bool,
    /// A number word from two to ten, as digits.
    pub number: Option<&'static str>,
    /// A weekday (1-7) or month (11-22).
    pub date: Option<u8>,
}

/// The class of a folded word that is not all digits.
pub(super) fn classify(w: &str) -> Class {
    let Some(key) = Key::of(w) else {
        return Class::default();
    };
    let table = class_table();
    let mut i = key.slot();
    loop {
        let (k, class) = &table[i];
        if *k == key {
            return *class;
        }
        if k.len == 0 {
            return Class::default();
        }
        i = (i + 1) % SLOTS;
    }
}

/// Whether a word of class `class` is dropped as a function word: those of
/// the list, and single letters.
pub(super) fn is_stop(w: &str, class: Class) -> bool {
    class.stop || single_char(w)
}

fn single_char(w: &str) -> bool {
    // Up to four bytes can still be one character.
    w.len() < 2 || (w.len() <= 4 && w.chars().nth(1).is_none())
}

/// Open addressing over the few hundred listed words, each held inline:
/// a probe or two with no string comparison, instead of a hundred.
const SLOTS: usize = 1024;

/// A word of up to 16 bytes as a number, and its length (0: no word).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Key {
    bytes: u128,
    len: usize,
}

impl Key {
    fn of(w: &str) -> Option<Key> {
        if w.len() > 16 {
            return None;
        }
        // Byte by byte: a copy of a few bytes would be a call to memcpy.
        let bytes = w
            .bytes()
            .enumerate()
            .fold(0u128, |k, (i, b)| k | u128::from(b) << (8 * i));
        Some(Key {
            bytes,
            len: w.len(),
        })
    }
    fn slot(&self) -> usize {
        let x = (self.bytes as u64) ^ ((self.bytes >> 64) as u64).rotate_left(29);
        (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize % SLOTS
    }
}

fn class_table() -> &'static [(Key, Class)] {
    static TABLE: OnceLock<Vec<(Key, Class)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = vec![(Key::default(), Class::default()); SLOTS];
        let mut entry = |w: &'static str, set: &dyn Fn(&mut Class)| {
            // Every listed word is short; a longer one would be a typo here.
            let Some(key) = Key::of(w).filter(|k| k.len > 0) else {
                return;
            };
            let mut i = key.slot();
            while table[i].0 != key && table[i].0.len != 0 {
                i = (i + 1) % SLOTS;
            }
            table[i].0 = key;
            set(&mut table[i].1);
        };
        for w in STOPWORDS {
            entry(w, &|c| c.stop = true);
        }
        for w in LABELS {
            entry(w, &|c| c.label = true);
        }
        for (w, n) in NUMBER_WORDS {
            entry(w, &|c| c.number = Some(n));
        }
        for (w, d) in DATE_WORDS {
            entry(w, &|c| c.date = Some(*d));
        }
        table
    })
}

/// The index key of a title word: see [`super::Signature::index_keys`].
pub(super) fn index_key(w: &str) -> &str {
    if w.bytes().any(|c| c.is_ascii_digit()) {
        return w;
    }
    if w.is_ascii() {
        return match w.len() {
            0..=3 => w,
            4 => &w[..3],
            _ => &w[..4],
        };
    }
    let n = w.chars().count();
    if n <= 3 {
        return w;
    }
    let keep = if n == 4 { 3 } else { 4 };
    w.char_indices().nth(keep).map_or(w, |(i, _)| &w[..i])
}

/// The keys of weekdays and months (by code).
pub(super) const DATE_KEYS: [&str; 23] = [
    "#0", "#1", "#2", "#3", "#4", "#5", "#6", "#7", "#8", "#9", "#10", "#11", "#12", "#13", "#14",
    "#15", "#16", "#17", "#18", "#19", "#20", "#21", "#22",
];

/// Capitalized words that do not start a sentence: the names `text`
/// mentions, folded into `out` and their spans into `spans`, sorted and
/// deduplicated. Nothing when most words are capitalized (a lead in
/// capitals or in title case names nothing in particular). `scratch`
/// gathers the names before they are folded, all at once: folding is
/// character by character, so that is folding each alone.
pub(super) fn names(
    text: &str,
    out: &mut String,
    spans: &mut Vec<(usize, usize)>,
    scratch: &mut String,
) {
    out.clear();
    spans.clear();
    scratch.clear();
    let (mut words, mut capitalized) = (0usize, 0usize);
    let mut sentence_start = true;
    let chars = char_classes();
    for_each_word(text, |raw| {
        let ascii_ends = |w: &str| {
            let b = w.as_bytes();
            b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
        };
        let word = if ascii_ends(raw) {
            raw
        } else {
            raw.trim_matches(|c: char| !chars.alphanumeric(c))
        };
        if let Some(&first) = word.as_bytes().first() {
            words += 1;
            let upper = if first.is_ascii() {
                first.is_ascii_uppercase()
            } else {
                word.chars().next().is_some_and(|c| chars.uppercase(c))
            };
            if upper {
                capitalized += 1;
                if !sentence_start {
                    scratch.push_str(word);
                    scratch.push(' ');
                }
            }
            sentence_start = false;
        }
        if raw.ends_with(['.', '!', '?', ':']) {
            sentence_start = true;
        }
    });
    if capitalized * 2 > words {
        return;
    }
    fold(scratch, out);
    let mut at = 0;
    for w in out.split(' ') {
        if w.len() > 1 {
            spans.push((at, at + w.len()));
        }
        at += w.len() + 1;
    }
    let s = out.as_str();
    spans.sort_unstable_by(|a, b| s[a.0..a.1].cmp(&s[b.0..b.1]));
    spans.dedup_by(|a, b| s[a.0..a.1] == s[b.0..b.1]);
}

/// Calls `f` with each word of `text` as `str::split_whitespace` cuts
/// them, one table lookup a byte: only a byte that may start non-ASCII
/// whitespace (U+0085, U+00A0, U+1680, U+2000-U+205F, U+3000) has its
/// character decoded.
fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = text.as_bytes();
    let space_len = |i: usize| -> usize {
        match SPACE[usize::from(bytes[i])] {
            0 => 0,
            1 => 1,
            _ => text
                .get(i..)
                .and_then(|t| t.chars().next())
                .filter(|c| c.is_whitespace())
                .map_or(0, char::len_utf8),
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let n = space_len(i);
        if n > 0 {
            i += n;
            continue;
        }
        let start = i;
        i += 1;
        while i < bytes.len() && SPACE[usize::from(bytes[i])] == 0 {
            i += 1;
        }
        if i < bytes.len() && space_len(i) == 0 {
            // A byte that only may start whitespace, and does not.
            i += 1;
            while i < bytes.len() && space_len(i) == 0 {
                i += 1;
            }
        }
        f(&text[start..i]);
    }
}

/// Per byte: 1 for ASCII whitespace, 2 for a byte that may start other
/// whitespace, else 0.
const SPACE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0x09;
    while b <= 0x0d {
        t[b] = 1;
        b += 1;
    }
    t[0x20] = 1;
    t[0xc2] = 2;
    t[0xe1] = 2;
    t[0xe2] = 2;
    t[0xe3] = 2;
    t
};

/// `char::is_alphanumeric` and `char::is_uppercase` from a table for the
/// two-byte UTF-8 range (Latin, Greek, Cyrillic), where the standard
/// library searches its Unicode tables for every character.
struct CharClasses {
    bits: Vec<u8>,
}

const ALPHANUMERIC: u8 = 1;
const UPPERCASE: u8 = 2;

impl CharClasses {
    fn get(&self, c: char, bit: u8, slow: fn(char) -> bool) -> bool {
        match self.bits.get(c as usize) {
            Some(b) => b & bit != 0,
            None => slow(c),
        }
    }
    fn alphanumeric(&self, c: char) -> bool {
        self.get(c, ALPHANUMERIC, char::is_alphanumeric)
    }
    fn uppercase(&self, c: char) -> bool {
        self.get(c, UPPERCASE, char::is_uppercase)
    }
}

fn char_classes() -> &'static CharClasses {
    static CLASSES: OnceLock<CharClasses> = OnceLock::new();
    CLASSES.get_or_init(|| CharClasses {
        bits: (0..0x800u32)
            .map(|u| {
                let c = char::from_u32(u).unwrap_or('\0');
                u8::from(c.is_alphanumeric()) * ALPHANUMERIC
                    + u8::from(c.is_uppercase()) * UPPERCASE
            })
            .collect(),
    })
}

// The lists below are those of the first version (`reference.rs` in the
// tests): English, Serbian (Latin, folded) and Albanian (folded).

/// Function words of English, Serbian and Albanian, and the verbs of
/// attribution ("says", "kaže", "tha") that one outlet writes and another
/// replaces by a colon. (Single letters are dropped too: [`is_stop`].)
#[rustfmt::skip]
pub(super) const STOPWORDS: &[&str] = &[
    "an", "the", "of", "in", "on", "at", "to", "for", "and", "or",
    "but", "is", "are", "was", "were", "be", "been", "by", "with", "from",
    "as", "it", "its", "that", "this", "after", "over", "about", "into", "than",
    "will", "has", "have", "had", "says", "said", "say", "na", "za", "sa",
    "od", "do", "je", "su", "se", "da", "po", "iz", "kod", "ka",
    "ali", "ili", "kao", "ce", "bi", "li", "sto", "koji", "koja", "koje",
    "ga", "mu", "im", "ih", "kaze", "rekao", "rekla", "izjavio", "izjavila", "porucio",
    "porucila", "biti", "ovo", "taj", "ta", "te", "ne", "me", "per", "nga",
    "dhe", "nje", "qe", "eshte", "jane", "si", "mbi", "pas", "ky", "kjo",
    "por", "edhe", "apo", "tha", "thote", "deklaroi", "deklaron",
];

/// Labels that outlets put before or after a title ("FOTO:", "VIDEO |",
/// "UŽIVO", "Lajm i fundit:", "(VIDEO)"), dropped from both ends.
#[rustfmt::skip]
pub(super) const LABELS: &[&str] = &[
    "foto", "fotografije", "video", "audio", "live", "uzivo", "update", "updated", "azurirano", "breaking",
    "hitno", "ekskluzivno", "ekskluzive", "exclusive", "galerija", "gallery", "pamje", "najnovije", "lajm", "fundit",
    "i", "news",
];

/// Number words from two to ten as digits ("three", "tri", "tre" → "3").
/// "One" is left out: in Albanian "një" is also the indefinite article.
#[rustfmt::skip]
pub(super) const NUMBER_WORDS: &[(&str, &str)] = &[
    ("two", "2"), ("dva", "2"), ("dve", "2"), ("dvije", "2"), ("dvoje", "2"), ("dy", "2"),
    ("three", "3"), ("tri", "3"), ("troje", "3"), ("tre", "3"), ("four", "4"), ("cetiri", "4"),
    ("cetvoro", "4"), ("kater", "4"), ("five", "5"), ("pet", "5"), ("petoro", "5"), ("pese", "5"),
    ("six", "6"), ("sest", "6"), ("sestoro", "6"), ("gjashte", "6"), ("seven", "7"), ("sedam", "7"),
    ("shtate", "7"), ("eight", "8"), ("osam", "8"), ("tete", "8"), ("nine", "9"), ("devet", "9"),
    ("nente", "9"), ("ten", "10"), ("deset", "10"), ("dhjete", "10"),
];

/// Weekdays (1-7) and months (11-22) in English, Serbian (both variants,
/// common case forms) and Albanian.
#[rustfmt::skip]
pub(super) const DATE_WORDS: &[(&str, u8)] = &[
    ("monday", 1), ("ponedeljak", 1), ("ponedeljka", 1), ("ponedeljku", 1), ("ponedjeljak", 1), ("ponedjeljka", 1),
    ("ponedjeljku", 1), ("hene", 1), ("henen", 1), ("tuesday", 2), ("utorak", 2), ("utorka", 2),
    ("utorku", 2), ("marte", 2), ("marten", 2), ("wednesday", 3), ("sreda", 3), ("sredu", 3),
    ("srede", 3), ("sredi", 3), ("srijeda", 3), ("srijedu", 3), ("srijede", 3), ("srijedi", 3),
    ("merkure", 3), ("merkuren", 3), ("thursday", 4), ("cetvrtak", 4), ("cetvrtka", 4), ("cetvrtku", 4),
    ("enjte", 4), ("enjten", 4), ("friday", 5), ("petak", 5), ("petka", 5), ("petku", 5),
    ("premte", 5), ("premten", 5), ("saturday", 6), ("subota", 6), ("subotu", 6), ("subote", 6),
    ("suboti", 6), ("shtune", 6), ("shtunen", 6), ("sunday", 7), ("nedelja", 7), ("nedelju", 7),
    ("nedelje", 7), ("nedelji", 7), ("nedjelja", 7), ("nedjelju", 7), ("nedjelje", 7), ("nedjelji", 7),
    ("diel", 7), ("dielen", 7), ("january", 11), ("januar", 11), ("januara", 11), ("januaru", 11),
    ("janar", 11), ("janari", 11), ("janarit", 11), ("february", 12), ("februar", 12), ("februara", 12),
    ("februaru", 12), ("shkurt", 12), ("shkurti", 12), ("shkurtit", 12), ("march", 13), ("mart", 13),
    ("marta", 13), ("martu", 13), ("mars", 13), ("marsi", 13), ("marsit", 13), ("april", 14),
    ("aprila", 14), ("aprilu", 14), ("prill", 14), ("prilli", 14), ("prillit", 14), ("may", 15),
    ("maj", 15), ("maja", 15), ("maju", 15), ("maji", 15), ("majit", 15), ("june", 16),
    ("jun", 16), ("juna", 16), ("junu", 16), ("juni", 16), ("qershor", 16), ("qershori", 16),
    ("qershorit", 16), ("july", 17), ("jul", 17), ("jula", 17), ("julu", 17), ("juli", 17),
    ("korrik", 17), ("korriku", 17), ("korrikut", 17), ("august", 18), ("avgust", 18), ("avgusta", 18),
    ("avgustu", 18), ("gusht", 18), ("gushti", 18), ("gushtit", 18), ("september", 19), ("septembar", 19),
    ("septembra", 19), ("septembru", 19), ("shtator", 19), ("shtatori", 19), ("shtatorit", 19), ("october", 20),
    ("oktobar", 20), ("oktobra", 20), ("oktobru", 20), ("tetor", 20), ("tetori", 20), ("tetorit", 20),
    ("november", 21), ("novembar", 21), ("novembra", 21), ("novembru", 21), ("nentor", 21), ("nentori", 21),
    ("nentorit", 21), ("december", 22), ("decembar", 22), ("decembra", 22), ("decembru", 22), ("dhjetor", 22),
    ("dhjetori", 22), ("dhjetorit", 22),
];
