//! Near-duplicate detection: the same story brought by another outlet under
//! another link, retitled a little, perhaps in the other Serbian script.
//!
//! Titles (and leads, where present) are folded with [`crate::topics::fold`]
//! (so Latin and Cyrillic copies compare equal), stripped of labels such as
//! "FOTO:" or "VIDEO |" and of function words, and compared word by word,
//! allowing the inflection of a word's ending (`Kosovo`/`Kosova`/`Kosovu`).
//!
//! Precision matters more than recall: a wrong merge hides a story, a missed
//! one only shows it twice. So numbers (and weekday or month names) in the
//! titles must agree, leads must not contradict each other's figures, and a
//! title with nothing but a generic template ("Vremenska prognoza") or with
//! no lead to back it needs stronger evidence and a shorter time gap.
//!
//! [`Signature`] is what is compared; [`score`] compares two; the store keeps
//! [`Signature::index_keys`] in an index table so that only stories sharing
//! title words within the window are ever compared.

use std::time::Duration;

use crate::topics::fold;
use words::{
    classify, fold_append, index_key, is_stop, names, next_word, push_number, Word, DATE_KEYS,
};

mod stored;
mod words;

/// Default `[dedup].threshold`: see [`score`] for the scale.
pub const DEFAULT_THRESHOLD: f64 = 0.75;
/// Default `[dedup].window`.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(72 * 3600);

/// Leads are compared over their first words only: enough to tell stories
/// apart, and bounded however long a summary is.
const LEAD_WORDS: usize = 40;
/// A lead shorter than this (in content words) is no evidence.
const MIN_LEAD_WORDS: usize = 6;
/// A title compared without leads needs at least this many content words
/// besides numbers and dates: "Vremenska prognoza" identifies nothing.
const MIN_TITLE_WORDS: usize = 3;
/// Without leads on both sides the time gap must be within this fraction of
/// the window: daily posts under one recurring title are a day apart, while
/// syndicated copies follow within hours.
const TITLE_ONLY_WINDOW_FRACTION: u32 = 4;
/// Words of a title that differ on both sides (a substitution, as in
/// "accident near Niš" / "accident near Čačak") cost this much of the score
/// when there is no lead to show the stories are the same.
const SUBSTITUTION_PENALTY: f64 = 0.15;

/// Settings of near-duplicate detection (`[dedup]` in the config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearDupSettings {
    /// Off: only the contract's rules 1-3 merge items.
    pub enabled: bool,
    /// Minimum [`score`] (0 < threshold <= 1) for two items to be one story.
    pub threshold: f64,
    /// Maximum time between two copies' dates.
    pub window: Duration,
}

impl Default for NearDupSettings {
    fn default() -> Self {
        NearDupSettings {
            enabled: true,
            threshold: DEFAULT_THRESHOLD,
            window: DEFAULT_WINDOW,
        }
    }
}

impl From<&crate::config::DedupConfig> for NearDupSettings {
    fn from(c: &crate::config::DedupConfig) -> Self {
        NearDupSettings {
            enabled: c.near_duplicates,
            threshold: c.threshold,
            window: c.window,
        }
    }
}

/// What near-duplicate detection knows of one item's text.
///
/// The words of all parts live in one string, back to back, with where
/// each word ends: two allocations a signature instead of one per word.
/// `text` holds exactly the parts' words in order and nothing else, so the
/// derived equality is that of the word lists.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Signature {
    /// The words of the parts (see [`Part`]), folded, back to back.
    text: String,
    /// Where each word ends in `text`.
    ends: Vec<usize>,
    /// How many words of `ends` the parts up to each [`Part`] take.
    parts: [usize; PARTS],
    /// Weekdays and months named in the title: bit `c` for code `c`.
    dates: u32,
    /// Title words that are neither numbers nor dates.
    title_words: usize,
}

/// The parts of a [`Signature`], in the order their words are kept.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// Content words of the title, folded, in order (numbers included).
    Title,
    /// Numbers of the title (digits, or number words as digits), sorted.
    Numbers,
    /// Content words of the lead (first [`LEAD_WORDS`]); empty when the
    /// lead is missing, too short or only repeats the title.
    Lead,
    /// Numbers of the lead, sorted.
    LeadNumbers,
    /// Capitalized words inside the lead's sentences (people, places), folded.
    LeadNames,
}
const PARTS: usize = 5;

/// The words of one part of a signature.
#[derive(Clone, Copy)]
struct Words<'a> {
    text: &'a str,
    ends: &'a [usize],
    start: usize,
}

impl<'a> Words<'a> {
    fn len(&self) -> usize {
        self.ends.len()
    }
    fn get(&self, i: usize) -> &'a str {
        let start = if i == 0 { self.start } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
    fn iter(self) -> impl Iterator<Item = &'a str> {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// Buffers reused by every signature made on a thread.
#[derive(Default)]
struct Scratch {
    folded: String,
    piece: String,
    numbers: Vec<(usize, usize)>,
    names: String,
    name_spans: Vec<(usize, usize)>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl Signature {
    /// The signature of an item with this plain-text title and lead.
    pub fn new(title: &str, lead: Option<&str>) -> Signature {
        let build = |scratch: &mut Scratch| {
            let sig = Signature::build(title, lead, scratch);
            // A huge title must not keep its buffers alive on the thread.
            let held = scratch.folded.capacity()
                + scratch.piece.capacity()
                + scratch.names.capacity()
                + 16 * (scratch.numbers.capacity() + scratch.name_spans.capacity());
            if held > 1 << 16 {
                *scratch = Scratch::default();
            }
            sig
        };
        SCRATCH
            .try_with(|s| match s.try_borrow_mut() {
                Ok(mut s) => build(&mut s),
                Err(_) => build(&mut Scratch::default()),
            })
            .unwrap_or_else(|_| build(&mut Scratch::default()))
    }

    fn build(title: &str, lead: Option<&str>, s: &mut Scratch) -> Signature {
        let mut sig = Signature {
            text: String::with_capacity(title.len() + lead.map_or(0, |l| l.len().min(320))),
            ends: Vec::with_capacity(16 + if lead.is_some() { LEAD_WORDS + 8 } else { 0 }),
            ..Signature::default()
        };
        fold(title, &mut s.folded);
        s.numbers.clear();
        // Labels are dropped from the start as they come, and from the end
        // by going back to before a run of them that nothing follows.
        let mut leading = true;
        let mut trailing_labels: Option<(usize, usize, usize)> = None;
        let mut pos = 0;
        while let Some(w) = next_word(&s.folded, &mut pos, false) {
            let w = match w {
                Word::Digits(d) => {
                    leading = false;
                    trailing_labels = None;
                    s.numbers.push(sig.push_with(|t| push_number(t, d)));
                    continue;
                }
                Word::Text(w) => w,
            };
            let class = classify(w);
            if class.label {
                if leading {
                    continue;
                }
                trailing_labels.get_or_insert((sig.text.len(), sig.ends.len(), sig.title_words));
            } else {
                leading = false;
                trailing_labels = None;
            }
            if let Some(d) = class.date {
                sig.dates |= 1 << d;
            } else if let Some(n) = class.number {
                s.numbers.push(sig.push_with(|t| t.push_str(n)));
            } else if !is_stop(w, class) {
                sig.push_with(|t| t.push_str(w));
                sig.title_words += 1;
            }
        }
        if let Some((text, ends, title_words)) = trailing_labels {
            sig.text.truncate(text);
            sig.ends.truncate(ends);
            sig.title_words = title_words;
        }
        sig.end_part(Part::Title);
        sig.push_sorted(&mut s.numbers);
        sig.end_part(Part::Numbers);

        if let Some(lead) = lead {
            sig.add_lead(lead, s);
        }
        // Parts not made (no lead, or one that is no evidence) are empty.
        for i in 1..PARTS {
            sig.parts[i] = sig.parts[i].max(sig.parts[i - 1]);
        }
        sig
    }

    /// Adds the lead's parts, or nothing when the lead is no evidence.
    fn add_lead(&mut self, lead: &str, s: &mut Scratch) {
        let (text_before, ends_before) = (self.text.len(), self.ends.len());
        s.numbers.clear();
        s.folded.clear();
        // A lead is folded piece by piece, cut at spaces, only as far as
        // its first LEAD_WORDS content words reach: a summary of 2,000
        // characters is not folded whole for its first 40 words.
        const PIECE: usize = 256;
        let mut rest = lead;
        let mut pos = 0;
        while self.ends.len() - ends_before < LEAD_WORDS {
            let w = match next_word(&s.folded, &mut pos, !rest.is_empty()) {
                Some(w) => w,
                None if rest.is_empty() => break,
                None => {
                    let cut = rest
                        .as_bytes()
                        .iter()
                        .skip(PIECE)
                        .position(|&b| b == b' ')
                        .map_or(rest.len(), |i| PIECE + i);
                    let (piece, tail) = rest.split_at(cut);
                    rest = tail;
                    fold_append(piece, &mut s.folded, &mut s.piece);
                    continue;
                }
            };
            match w {
                Word::Digits(d) => s.numbers.push(self.push_with(|t| push_number(t, d))),
                Word::Text(w) => {
                    let class = classify(w);
                    if let Some(n) = class.number {
                        s.numbers.push(self.push_with(|t| t.push_str(n)));
                    } else if !is_stop(w, class) {
                        self.push_with(|t| t.push_str(w));
                    }
                }
            }
        }
        self.end_part(Part::Lead);
        let (title, lead_words) = (self.part(Part::Title), self.part(Part::Lead));
        let repeats_title = lead_words.len() <= title.len() + 1
            && matched(lead_words, title) >= lead_words.len().saturating_sub(1);
        if lead_words.len() < MIN_LEAD_WORDS || repeats_title {
            self.text.truncate(text_before);
            self.ends.truncate(ends_before);
            self.parts[Part::Lead as usize] = ends_before;
            return;
        }
        self.push_sorted(&mut s.numbers);
        self.end_part(Part::LeadNumbers);
        names(lead, &mut s.names, &mut s.name_spans, &mut s.piece);
        for &(a, b) in &s.name_spans {
            self.text.push_str(&s.names[a..b]);
            self.ends.push(self.text.len());
        }
        self.end_part(Part::LeadNames);
    }

    /// Appends a word written by `write`; its span in `text`.
    fn push_with(&mut self, write: impl FnOnce(&mut String)) -> (usize, usize) {
        let start = self.text.len();
        write(&mut self.text);
        self.ends.push(self.text.len());
        (start, self.text.len())
    }

    /// Appends copies of the words at `spans` (in `text`), sorted.
    fn push_sorted(&mut self, spans: &mut [(usize, usize)]) {
        let t = &self.text;
        spans.sort_unstable_by(|a, b| t[a.0..a.1].cmp(&t[b.0..b.1]));
        for &(a, b) in spans.iter() {
            // Character by character: `String::extend_from_within` is newer
            // than the supported Rust, and numbers are a few digits.
            let mut i = a;
            while let Some(c) = self.text.get(i..b).and_then(|t| t.chars().next()) {
                self.text.push(c);
                i += c.len_utf8();
            }
            self.ends.push(self.text.len());
        }
    }

    /// Marks the words so far as the parts up to `p`.
    fn end_part(&mut self, p: Part) {
        self.parts[p as usize] = self.ends.len();
    }

    fn part(&self, p: Part) -> Words<'_> {
        let from = match p as usize {
            0 => 0,
            i => self.parts[i - 1],
        };
        let to = self.parts[p as usize];
        Words {
            text: &self.text,
            ends: &self.ends[from..to],
            start: from.checked_sub(1).map_or(0, |i| self.ends[i]),
        }
    }

    /// Whether the signature holds anything to compare.
    pub fn is_empty(&self) -> bool {
        self.parts[Part::Title as usize] == 0
    }

    /// Whether a usable lead backs the title.
    pub fn has_lead(&self) -> bool {
        self.part(Part::Lead).len() > 0
    }

    /// Keys under which the item is indexed and looked up: a short prefix
    /// of each title word, so that inflected forms of one word share a key
    /// (`kosovo`, `kosova`, `kosoves` → `koso`), deduplicated.
    pub fn index_keys(&self) -> Vec<String> {
        self.index_key_refs()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// [`Signature::index_keys`] without copying them.
    pub fn index_key_refs(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.part(Part::Title).iter().map(index_key).collect();
        keys.extend(
            (0..DATE_KEYS.len())
                .filter(|d| self.dates & (1 << d) != 0)
                .map(|d| DATE_KEYS[d]),
        );
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Keys to look candidates up by, and how many of them a candidate must
    /// share. A title with numbers only matches titles with the same
    /// numbers, and numbers are rare keys: looking up by them alone finds
    /// the other copies even when every other word is in thousands of
    /// titles (where the newest postings per key would crowd them out).
    pub fn lookup_keys(&self) -> (Vec<String>, usize) {
        let (keys, min_shared) = self.lookup_key_refs();
        (keys.into_iter().map(str::to_string).collect(), min_shared)
    }

    /// [`Signature::lookup_keys`] without copying them.
    pub fn lookup_key_refs(&self) -> (Vec<&str>, usize) {
        let numbers = self.part(Part::Numbers);
        if numbers.len() == 0 {
            let keys = self.index_key_refs();
            let min_shared = keys.len().div_ceil(3).max(1);
            return (keys, min_shared);
        }
        let mut keys: Vec<&str> = numbers.iter().map(index_key).collect();
        keys.sort_unstable();
        keys.dedup();
        let all = keys.len();
        (keys, all)
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |p: Part| self.part(p).iter().collect::<Vec<_>>();
        let dates: Vec<u32> = (0..32).filter(|d| self.dates & (1 << d) != 0).collect();
        f.debug_struct("Signature")
            .field("title", &list(Part::Title))
            .field("numbers", &list(Part::Numbers))
            .field("dates", &dates)
            .field("title_words", &self.title_words)
            .field("lead", &list(Part::Lead))
            .field("lead_numbers", &list(Part::LeadNumbers))
            .field("lead_names", &list(Part::LeadNames))
            .finish()
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
/// The highest [`score`]: each of its parts is a share of matched words
/// (a Dice coefficient, or matches over the shorter lead), so none is
/// above 1 and an average of them is not either.
pub const PERFECT_SCORE: f64 = 1.0;

pub fn score(a: &Signature, b: &Signature, gap: Duration, settings: &NearDupSettings) -> f64 {
    if gap > settings.window || a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if !same_words(a.part(Part::Numbers), b.part(Part::Numbers)) {
        return 0.0;
    }
    if a.dates != 0 && b.dates != 0 && a.dates != b.dates {
        return 0.0;
    }
    let (a_title, b_title) = (a.part(Part::Title), b.part(Part::Title));
    let m = matched(a_title, b_title);
    let title = dice(m, a_title.len(), b_title.len());
    if a.has_lead() && b.has_lead() {
        // A lead cut short by one outlet still agrees with the full one, so
        // figures are compared as a subset and words over the shorter lead.
        let (a_numbers, b_numbers) = (a.part(Part::LeadNumbers), b.part(Part::LeadNumbers));
        if !subset(a_numbers, b_numbers) && !subset(b_numbers, a_numbers) {
            return 0.0;
        }
        // Leads that name entirely different people or places ("delovi
        // Zvezdare" / "delovi Zemuna") tell apart posts under one title.
        let (a_names, b_names) = (a.part(Part::LeadNames), b.part(Part::LeadNames));
        if a_names.len() >= 2 && b_names.len() >= 2 && matched(a_names, b_names) == 0 {
            return 0.0;
        }
        let (a_lead, b_lead) = (a.part(Part::Lead), b.part(Part::Lead));
        let lm = matched(a_lead, b_lead);
        let lead = lm as f64 / a_lead.len().min(b_lead.len()) as f64;
        return (title + lead) / 2.0;
    }
    if a.title_words < MIN_TITLE_WORDS || b.title_words < MIN_TITLE_WORDS {
        return 0.0;
    }
    if gap > settings.window / TITLE_ONLY_WINDOW_FRACTION {
        return 0.0;
    }
    let substitution = m < a_title.len() && m < b_title.len();
    if substitution {
        (title - SUBSTITUTION_PENALTY).max(0.0)
    } else {
        title
    }
}

/// Whether two items are one story under `settings`.
pub fn is_near_duplicate(
    a: &Signature,
    b: &Signature,
    gap: Duration,
    settings: &NearDupSettings,
) -> bool {
    settings.enabled && score(a, b, gap, settings) >= settings.threshold
}

fn dice(matched: usize, a: usize, b: usize) -> f64 {
    if a + b == 0 {
        return 0.0;
    }
    2.0 * matched as f64 / (a + b) as f64
}

fn same_words(a: Words<'_>, b: Words<'_>) -> bool {
    a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y)
}

fn subset(small: Words<'_>, big: Words<'_>) -> bool {
    // Both sorted: one merge pass, counting repeats.
    let mut j = 0;
    for s in small.iter() {
        while j < big.len() && big.get(j) < s {
            j += 1;
        }
        if j == big.len() || big.get(j) != s {
            return false;
        }
        j += 1;
    }
    true
}

/// How many words of `a` pair with a distinct word of `b`: equal words
/// first, then inflected forms of one word.
fn matched(a: Words<'_>, b: Words<'_>) -> usize {
    let mut used = Marks::new(b.len());
    let mut pending = Marks::new(a.len());
    let mut n = 0;
    for (i, w) in a.iter().enumerate() {
        match (0..b.len()).find(|&j| !used.get(j) && b.get(j) == w) {
            Some(j) => {
                used.set(j);
                n += 1;
            }
            None => pending.set(i),
        }
    }
    for (i, w) in a.iter().enumerate() {
        if !pending.get(i) {
            continue;
        }
        if let Some(j) = (0..b.len()).find(|&j| !used.get(j) && same_word(w, b.get(j))) {
            used.set(j);
            n += 1;
        }
    }
    n
}

/// A set of word positions: bits for titles and leads of ordinary length.
struct Marks {
    small: u128,
    big: Vec<bool>,
}

impl Marks {
    fn new(n: usize) -> Marks {
        let big = if n > 128 { vec![false; n] } else { Vec::new() };
        Marks { small: 0, big }
    }
    fn get(&self, i: usize) -> bool {
        match self.big.get(i) {
            Some(b) => *b,
            None => self.small & (1 << i) != 0,
        }
    }
    fn set(&mut self, i: usize) {
        match self.big.get_mut(i) {
            Some(b) => *b = true,
            None => self.small |= 1 << i,
        }
    }
}

/// Two folded words are forms of one word when they differ only in an
/// ending of up to two letters beyond a shared stem of three or more
/// (`nisa`/`nisu`, `kosovo`/`kosoves`, `vucic`/`vucicu`). Numbers must be equal.
fn same_word(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let digit = |w: &str| w.bytes().any(|c| c.is_ascii_digit());
    if digit(a) || digit(b) {
        return false;
    }
    let (la, lb, common) = if a.is_ascii() && b.is_ascii() {
        let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        (a.len(), b.len(), common)
    } else {
        let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        (a.chars().count(), b.chars().count(), common)
    };
    common >= 3 && common + 2 >= la.min(lb) && la.abs_diff(lb) <= 3
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
