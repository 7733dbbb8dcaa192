//! The signature as it was first written, one `String` per word: the
//! reference the differential tests hold the faster [`super::Signature`] to.
//! Test-only; not to be changed with the production code.

use std::time::Duration;

use super::{
    NearDupSettings, LEAD_WORDS, MIN_LEAD_WORDS, MIN_TITLE_WORDS, SUBSTITUTION_PENALTY,
    TITLE_ONLY_WINDOW_FRACTION,
};
use crate::topics::fold;

/// What near-duplicate detection knows of one item's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signature {
    /// Content words of the title, folded, in order (numbers included).
    pub(super) title: Vec<String>,
    /// Numbers of the title (digits, or number words as digits), sorted.
    pub(super) numbers: Vec<String>,
    /// Weekdays and months named in the title, as canonical codes, sorted.
    pub(super) dates: Vec<u8>,
    /// Title words that are neither numbers nor dates.
    pub(super) title_words: usize,
    /// Content words of the lead (first [`LEAD_WORDS`]); empty when the
    /// lead is missing, too short or only repeats the title.
    pub(super) lead: Vec<String>,
    /// Numbers of the lead, sorted.
    pub(super) lead_numbers: Vec<String>,
    /// Capitalized words inside the lead's sentences (people, places), folded.
    pub(super) lead_names: Vec<String>,
}

impl Signature {
    /// The signature of an item with this plain-text title and lead.
    pub fn new(title: &str, lead: Option<&str>) -> Signature {
        let mut folded = String::new();
        fold(title, &mut folded);
        let mut title_words = words(&folded);
        strip_labels(&mut title_words);
        let mut sig = Signature::default();
        for w in title_words {
            if let Some(d) = date_code(&w) {
                sig.dates.push(d);
            } else if let Some(n) = number(&w) {
                sig.numbers.push(n.to_string());
                sig.title.push(n.to_string());
            } else if !is_stopword(&w) {
                sig.title.push(w);
                sig.title_words += 1;
            }
        }
        sig.numbers.sort();
        sig.dates.sort_unstable();
        sig.dates.dedup();

        if let Some(lead) = lead {
            for w in lead_words(lead, &mut folded) {
                if sig.lead.len() == LEAD_WORDS {
                    break;
                }
                if let Some(n) = number(&w) {
                    sig.lead_numbers.push(n.to_string());
                    sig.lead.push(n.to_string());
                } else if !is_stopword(&w) {
                    sig.lead.push(w);
                }
            }
            sig.lead_numbers.sort();
            let repeats_title = sig.lead.len() <= sig.title.len() + 1
                && matched(&sig.lead, &sig.title) >= sig.lead.len().saturating_sub(1);
            if sig.lead.len() < MIN_LEAD_WORDS || repeats_title {
                sig.lead.clear();
                sig.lead_numbers.clear();
            } else {
                sig.lead_names = names(lead);
            }
        }
        sig
    }

    /// Whether the signature holds anything to compare.
    pub fn is_empty(&self) -> bool {
        self.title.is_empty()
    }

    /// Whether a usable lead backs the title.
    pub fn has_lead(&self) -> bool {
        !self.lead.is_empty()
    }

    /// Keys under which the item is indexed and looked up: a short prefix
    /// of each title word, so that inflected forms of one word share a key
    /// (`kosovo`, `kosova`, `kosoves` → `koso`), deduplicated.
    pub fn index_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.title.iter().map(|w| index_key(w)).collect();
        for d in &self.dates {
            keys.push(format!("#{d}"));
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// Keys to look candidates up by, and how many of them a candidate must
    /// share. A title with numbers only matches titles with the same
    /// numbers, and numbers are rare keys: looking up by them alone finds
    /// the other copies even when every other word is in thousands of
    /// titles (where the newest postings per key would crowd them out).
    pub fn lookup_keys(&self) -> (Vec<String>, usize) {
        if self.numbers.is_empty() {
            let keys = self.index_keys();
            let min_shared = keys.len().div_ceil(3).max(1);
            return (keys, min_shared);
        }
        let mut keys: Vec<String> = self.numbers.iter().map(|n| index_key(n)).collect();
        keys.sort();
        keys.dedup();
        let all = keys.len();
        (keys, all)
    }
}

/// How alike two items are, from 0 (certainly different stories) to 1;
/// two items are one story when it reaches the threshold.
///
/// `gap` is the time between the items' dates. Zero when the gap exceeds
/// the window, when the titles' numbers or dates differ, or when the leads
/// carry contradicting figures. With leads on both sides it is the mean of
/// the title and lead similarity; with a title alone it is the title
/// similarity, less a penalty when each title has words the other lacks,
/// and only for titles of some substance within a quarter of the window.
pub fn score(a: &Signature, b: &Signature, gap: Duration, settings: &NearDupSettings) -> f64 {
    if gap > settings.window || a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a.numbers != b.numbers {
        return 0.0;
    }
    if !a.dates.is_empty() && !b.dates.is_empty() && a.dates != b.dates {
        return 0.0;
    }
    let m = matched(&a.title, &b.title);
    let title = dice(m, a.title.len(), b.title.len());
    if a.has_lead() && b.has_lead() {
        // A lead cut short by one outlet still agrees with the full one, so
        // figures are compared as a subset and words over the shorter lead.
        if !subset(&a.lead_numbers, &b.lead_numbers) && !subset(&b.lead_numbers, &a.lead_numbers) {
            return 0.0;
        }
        // Leads that name entirely different people or places ("delovi
        // Zvezdare" / "delovi Zemuna") tell apart posts under one title.
        if a.lead_names.len() >= 2
            && b.lead_names.len() >= 2
            && matched(&a.lead_names, &b.lead_names) == 0
        {
            return 0.0;
        }
        let lm = matched(&a.lead, &b.lead);
        let lead = lm as f64 / a.lead.len().min(b.lead.len()) as f64;
        return (title + lead) / 2.0;
    }
    if a.title_words < MIN_TITLE_WORDS || b.title_words < MIN_TITLE_WORDS {
        return 0.0;
    }
    if gap > settings.window / TITLE_ONLY_WINDOW_FRACTION {
        return 0.0;
    }
    let substitution = m < a.title.len() && m < b.title.len();
    if substitution {
        (title - SUBSTITUTION_PENALTY).max(0.0)
    } else {
        title
    }
}

/// The words of folded text, with digit groups joined: a thousands
/// separator folds to a space, and "3,000", "3.000" and "3000" are one number.
pub(super) fn words(folded: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    push_words(&mut out, folded);
    out
}

/// Appends the words of `folded` to `out` (see [`words`]).
pub(super) fn push_words(out: &mut Vec<String>, folded: &str) {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    for w in folded.split(' ').filter(|w| !w.is_empty()) {
        if w.len() == 3 && digits(w) {
            if let Some(prev) = out.last_mut().filter(|p| digits(p)) {
                prev.push_str(w);
                continue;
            }
        }
        out.push(w.to_string());
    }
}

/// The words of a lead as [`words`] makes them, as far as the first
/// [`LEAD_WORDS`] content words reach (and a little beyond): a summary of
/// 2,000 characters is not folded whole for its first 40 words. Folding
/// works character by character, so pieces cut at a space fold to exactly
/// the whole's words; a digit group split off by a cut still joins the
/// number before it, since words are pushed onto one list.
pub(super) fn lead_words(lead: &str, folded: &mut String) -> Vec<String> {
    const PIECE: usize = 256;
    let mut out = Vec::new();
    let mut content = 0;
    let mut rest = lead;
    // One content word past LEAD_WORDS: only the last word can still grow
    // (by a digit group of the next piece), and it is then not used.
    while !rest.is_empty() && content <= LEAD_WORDS {
        let cut = rest
            .as_bytes()
            .iter()
            .skip(PIECE)
            .position(|&b| b == b' ')
            .map_or(rest.len(), |i| PIECE + i);
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        fold(piece, folded);
        let before = out.len();
        push_words(&mut out, folded);
        content += out[before.min(out.len())..]
            .iter()
            .filter(|w| number(w).is_some() || !is_stopword(w))
            .count();
    }
    out
}

/// Capitalized words that do not start a sentence: the names a lead
/// mentions. Nothing when most words are capitalized (a lead in capitals
/// or in title case names nothing in particular).
pub(super) fn names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let (mut words, mut capitalized) = (0usize, 0usize);
    let mut sentence_start = true;
    let mut folded = String::new();
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if let Some(first) = word.chars().next() {
            words += 1;
            if first.is_uppercase() {
                capitalized += 1;
                if !sentence_start {
                    fold(word, &mut folded);
                    names.extend(
                        folded
                            .split(' ')
                            .filter(|w| w.len() > 1)
                            .map(str::to_string),
                    );
                }
            }
            sentence_start = false;
        }
        if raw.ends_with(['.', '!', '?', ':']) {
            sentence_start = true;
        }
    }
    if capitalized * 2 > words {
        return Vec::new();
    }
    names.sort();
    names.dedup();
    names
}

pub(super) fn dice(matched: usize, a: usize, b: usize) -> f64 {
    if a + b == 0 {
        return 0.0;
    }
    2.0 * matched as f64 / (a + b) as f64
}

pub(super) fn subset(small: &[String], big: &[String]) -> bool {
    // Both sorted: one merge pass, counting repeats.
    let mut j = 0;
    for s in small {
        while j < big.len() && big[j] < *s {
            j += 1;
        }
        if j == big.len() || big[j] != *s {
            return false;
        }
        j += 1;
    }
    true
}

/// How many words of `a` pair with a distinct word of `b`: equal words
/// first, then inflected forms of one word.
pub(super) fn matched(a: &[String], b: &[String]) -> usize {
    let mut used = vec![false; b.len()];
    let mut pending: Vec<&str> = Vec::new();
    let mut n = 0;
    for w in a {
        match (0..b.len()).find(|&j| !used[j] && b[j] == *w) {
            Some(j) => {
                used[j] = true;
                n += 1;
            }
            None => pending.push(w),
        }
    }
    for w in pending {
        if let Some(j) = (0..b.len()).find(|&j| !used[j] && same_word(w, &b[j])) {
            used[j] = true;
            n += 1;
        }
    }
    n
}

/// Two folded words are forms of one word when they differ only in an
/// ending of up to two letters beyond a shared stem of three or more
/// (`nisa`/`nisu`, `kosovo`/`kosoves`, `vucic`/`vucicu`). Numbers must be equal.
pub(super) fn same_word(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let digit = |w: &str| w.bytes().any(|c| c.is_ascii_digit());
    if digit(a) || digit(b) {
        return false;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    common >= 3 && common + 2 >= la.min(lb) && la.abs_diff(lb) <= 3
}

/// The index key of a title word: see [`Signature::index_keys`].
pub(super) fn index_key(w: &str) -> String {
    let n = w.chars().count();
    if w.bytes().any(|c| c.is_ascii_digit()) || n <= 3 {
        return w.to_string();
    }
    let keep = if n == 4 { 3 } else { 4 };
    w.chars().take(keep).collect()
}

/// Drops labels that outlets put before or after a title ("FOTO:",
/// "VIDEO |", "UŽIVO", "Lajm i fundit:", "(VIDEO)"), from both ends.
pub(super) fn strip_labels(words: &mut Vec<String>) {
    while words.first().is_some_and(|w| is_label(w)) {
        words.remove(0);
    }
    while words.last().is_some_and(|w| is_label(w)) {
        words.pop();
    }
}

pub(super) fn is_label(w: &str) -> bool {
    matches!(
        w,
        "foto"
            | "fotografije"
            | "video"
            | "audio"
            | "live"
            | "uzivo"
            | "update"
            | "updated"
            | "azurirano"
            | "breaking"
            | "hitno"
            | "ekskluzivno"
            | "ekskluzive"
            | "exclusive"
            | "galerija"
            | "gallery"
            | "pamje"
            | "najnovije"
            | "lajm"
            | "fundit"
            | "i"
            | "news"
    )
}

/// Function words of English, Serbian and Albanian, and the verbs of
/// attribution ("says", "kaže", "tha") that one outlet writes and another
/// replaces by a colon. Single letters are always dropped.
pub(super) fn is_stopword(w: &str) -> bool {
    w.chars().count() < 2
        || matches!(
            w,
            // English
            "an" | "the" | "of" | "in" | "on" | "at" | "to" | "for" | "and" | "or"
                | "but" | "is" | "are" | "was" | "were" | "be" | "been" | "by" | "with"
                | "from" | "as" | "it" | "its" | "that" | "this" | "after" | "over"
                | "about" | "into" | "than" | "will" | "has" | "have" | "had" | "says"
                | "said" | "say"
                // Serbian
                | "na" | "za" | "sa" | "od" | "do" | "je" | "su" | "se" | "da" | "po"
                | "iz" | "kod" | "ka" | "ali" | "ili" | "kao" | "ce" | "bi" | "li"
                | "sto" | "koji" | "koja" | "koje" | "ga" | "mu" | "im" | "ih" | "kaze"
                | "rekao" | "rekla" | "izjavio" | "izjavila" | "porucio" | "porucila"
                | "biti" | "ovo" | "taj" | "ta"
                // Albanian
                | "te" | "ne" | "me" | "per" | "nga" | "dhe" | "nje" | "qe"
                | "eshte" | "jane" | "si" | "mbi" | "pas" | "ky" | "kjo" | "por"
                | "edhe" | "apo" | "tha" | "thote" | "deklaroi" | "deklaron"
        )
}

/// A title or lead word as a number: digits as written, number words from
/// two to ten as digits ("three", "tri", "tre" → "3"). "One" is left out:
/// in Albanian "një" is also the indefinite article.
pub(super) fn number(w: &str) -> Option<&str> {
    if w.bytes().all(|c| c.is_ascii_digit()) {
        // Leading zeros are formatting ("05. maj").
        let t = w.trim_start_matches('0');
        return Some(if t.is_empty() { "0" } else { t });
    }
    Some(match w {
        "two" | "dva" | "dve" | "dvije" | "dvoje" | "dy" => "2",
        "three" | "tri" | "troje" | "tre" => "3",
        "four" | "cetiri" | "cetvoro" | "kater" => "4",
        "five" | "pet" | "petoro" | "pese" => "5",
        "six" | "sest" | "sestoro" | "gjashte" => "6",
        "seven" | "sedam" | "shtate" => "7",
        "eight" | "osam" | "tete" => "8",
        "nine" | "devet" | "nente" => "9",
        "ten" | "deset" | "dhjete" => "10",
        _ => return None,
    })
}

/// Weekdays (1-7) and months (11-22) in English, Serbian (both variants,
/// common case forms) and Albanian.
pub(super) fn date_code(w: &str) -> Option<u8> {
    Some(match w {
        "monday" | "ponedeljak" | "ponedeljka" | "ponedeljku" | "ponedjeljak" | "ponedjeljka"
        | "ponedjeljku" | "hene" | "henen" => 1,
        "tuesday" | "utorak" | "utorka" | "utorku" | "marte" | "marten" => 2,
        "wednesday" | "sreda" | "sredu" | "srede" | "sredi" | "srijeda" | "srijedu" | "srijede"
        | "srijedi" | "merkure" | "merkuren" => 3,
        "thursday" | "cetvrtak" | "cetvrtka" | "cetvrtku" | "enjte" | "enjten" => 4,
        "friday" | "petak" | "petka" | "petku" | "premte" | "premten" => 5,
        "saturday" | "subota" | "subotu" | "subote" | "suboti" | "shtune" | "shtunen" => 6,
        "sunday" | "nedelja" | "nedelju" | "nedelje" | "nedelji" | "nedjelja" | "nedjelju"
        | "nedjelje" | "nedjelji" | "diel" | "dielen" => 7,
        "january" | "januar" | "januara" | "januaru" | "janar" | "janari" | "janarit" => 11,
        "february" | "februar" | "februara" | "februaru" | "shkurt" | "shkurti" | "shkurtit" => 12,
        "march" | "mart" | "marta" | "martu" | "mars" | "marsi" | "marsit" => 13,
        "april" | "aprila" | "aprilu" | "prill" | "prilli" | "prillit" => 14,
        "may" | "maj" | "maja" | "maju" | "maji" | "majit" => 15,
        "june" | "jun" | "juna" | "junu" | "juni" | "qershor" | "qershori" | "qershorit" => 16,
        "july" | "jul" | "jula" | "julu" | "juli" | "korrik" | "korriku" | "korrikut" => 17,
        "august" | "avgust" | "avgusta" | "avgustu" | "gusht" | "gushti" | "gushtit" => 18,
        "september" | "septembar" | "septembra" | "septembru" | "shtator" | "shtatori"
        | "shtatorit" => 19,
        "october" | "oktobar" | "oktobra" | "oktobru" | "tetor" | "tetori" | "tetorit" => 20,
        "november" | "novembar" | "novembra" | "novembru" | "nentor" | "nentori" | "nentorit" => 21,
        "december" | "decembar" | "decembra" | "decembru" | "dhjetor" | "dhjetori"
        | "dhjetorit" => 22,
        _ => return None,
    })
}
