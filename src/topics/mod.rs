//! Topic tagging: keywords matched as whole words over folded text.
//!
//! Text and keywords are folded the same way ([`fold`]), which leaves words
//! separated by exactly one space. Padding both the folded text and each
//! keyword pattern with a space turns "whole words only" into a plain
//! substring match, so one Aho-Corasick pass over the text finds every
//! keyword and exclude of every topic at once. The automaton is stepped by
//! the folder itself, byte by byte as folded bytes come out, so matching
//! makes no folded copy of the text and folding allocates nothing.

mod fold;

use std::collections::HashMap;
use std::fmt::Write as _;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{dfa, nfa, Anchored, MatchKind};
use sha2::{Digest, Sha256};

use crate::config::TopicConfig;

pub use fold::fold;

/// Bumped whenever folding or matching rules change, so that the fingerprint
/// changes and stored items are re-tagged under the new rules.
const RULES_VERSION: &str = "feedmill-topics-1";

/// Up to this many distinct patterns the automaton is a full DFA (a few
/// megabytes at most for keyword-sized patterns).
const DFA_MAX_PATTERNS: usize = 20_000;

/// Per-thread flags of [`Matcher::topics_in`], so tagging an item
/// allocates nothing but its result.
struct Scratch {
    hit: Vec<bool>,
    vetoed: Vec<bool>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = const {
        std::cell::RefCell::new(Scratch {
            hit: Vec::new(),
            vetoed: Vec::new(),
        })
    };
}

/// The automaton: a full DFA (one table lookup per byte) unless the
/// keywords are so many that its size would matter, then a compact NFA.
#[derive(Debug, Clone)]
enum Engine {
    Dfa(dfa::DFA),
    Nfa(nfa::contiguous::NFA),
}

/// What the automaton runs over.
#[derive(Clone, Copy)]
enum Feed<'a> {
    /// Text to fold on the way.
    Text(&'a str),
    /// Text folded already.
    Folded(&'a str),
}

/// The matcher could not be built from the topic configuration.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the topic matcher from {patterns} keywords: {source}")]
pub struct MatcherError {
    patterns: usize,
    source: aho_corasick::BuildError,
}

/// Steps an automaton through folded bytes and records, in overlapping
/// (standard) semantics, every pattern that ends at each byte.
struct Stepper<'a, A: Automaton> {
    automaton: &'a A,
    sid: StateID,
    owners: &'a [Vec<(usize, Role)>],
    hit: &'a mut [bool],
    vetoed: &'a mut [bool],
}

impl<A: Automaton> Stepper<'_, A> {
    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.sid = self.automaton.next_state(Anchored::No, self.sid, b);
        if self.automaton.is_special(self.sid) {
            matched(self.automaton, self.sid, self.owners, self.hit, self.vetoed);
        }
    }
}

/// Records the patterns of match state `sid` (a special state that may be
/// a match). Takes no `&mut Stepper`, so the state stays in a register on
/// the hot path.
#[cold]
#[inline(never)]
fn matched<A: Automaton>(
    automaton: &A,
    sid: StateID,
    owners: &[Vec<(usize, Role)>],
    hit: &mut [bool],
    vetoed: &mut [bool],
) {
    if !automaton.is_match(sid) {
        return;
    }
    for i in 0..automaton.match_len(sid) {
        let pattern = automaton.match_pattern(sid, i).as_usize();
        for &(topic, role) in &owners[pattern] {
            match role {
                Role::Keyword => hit[topic] = true,
                Role::Exclude => vetoed[topic] = true,
            }
        }
    }
}

impl<A: Automaton> fold::Sink for Stepper<'_, A> {
    #[inline(always)]
    fn push_char(&mut self, c: char) {
        if c.is_ascii() {
            self.byte(c as u8);
        } else {
            let mut buf = [0u8; 4];
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                self.byte(b);
            }
        }
    }

    #[inline(always)]
    fn push_str(&mut self, s: &str) {
        let mut sid = self.sid;
        for &b in s.as_bytes() {
            sid = self.automaton.next_state(Anchored::No, sid, b);
            if self.automaton.is_special(sid) {
                matched(self.automaton, sid, self.owners, self.hit, self.vetoed);
            }
        }
        self.sid = sid;
    }
}

/// Built once per config; matches every topic's keywords in one pass.
#[derive(Debug, Clone)]
pub struct Matcher {
    names: Vec<String>,
    /// Per topic: the regions it is limited to (empty: every region).
    regions: Vec<Vec<String>>,
    /// `None` when no keyword folds to anything.
    automaton: Option<Engine>,
    /// For each pattern of the automaton: which topics use it, and whether
    /// as an exclude. Several topics may share a keyword.
    owners: Vec<Vec<(usize, Role)>>,
    fingerprint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Keyword,
    Exclude,
}

impl Matcher {
    /// Builds the automaton over the folded keywords and excludes of all
    /// `topics`. A keyword ending in `*` matches any word starting with it
    /// (`Kosov*`: Kosovo, Kosova, Kosovës); keywords that fold to nothing
    /// (only punctuation) are ignored.
    pub fn new(topics: &[TopicConfig]) -> Result<Matcher, MatcherError> {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<(usize, Role)>> = Vec::new();
        let mut folded = String::new();
        for (t, topic) in topics.iter().enumerate() {
            let words = topic
                .keywords
                .iter()
                .map(|k| (k, Role::Keyword))
                .chain(topic.exclude.iter().map(|k| (k, Role::Exclude)));
            for (keyword, role) in words {
                let Some(pattern) = keyword_pattern(keyword, &mut folded) else {
                    continue;
                };
                let id = *index.entry(pattern).or_insert_with_key(|p| {
                    patterns.push(p.clone());
                    owners.push(Vec::new());
                    patterns.len() - 1
                });
                if !owners[id].contains(&(t, role)) {
                    owners[id].push((t, role));
                }
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            // Standard semantics: each state reports every pattern ending
            // there, so a keyword inside a longer one ("eu" in "eu army")
            // still counts. No prefilter: every pattern starts with a space,
            // and the folder feeds bytes one at a time anyway.
            let err = |source| MatcherError {
                patterns: patterns.len(),
                source,
            };
            Some(if patterns.len() <= DFA_MAX_PATTERNS {
                Engine::Dfa(
                    dfa::DFA::builder()
                        .match_kind(MatchKind::Standard)
                        .prefilter(false)
                        .build(&patterns)
                        .map_err(err)?,
                )
            } else {
                Engine::Nfa(
                    nfa::contiguous::NFA::builder()
                        .match_kind(MatchKind::Standard)
                        .prefilter(false)
                        .build(&patterns)
                        .map_err(err)?,
                )
            })
        };
        Ok(Matcher {
            names: topics.iter().map(|t| t.name.clone()).collect(),
            regions: topics.iter().map(|t| t.regions.clone()).collect(),
            automaton,
            owners,
            fingerprint: fingerprint(topics),
        })
    }

    /// Names of the topics whose keywords match `text` and whose excludes do
    /// not, in config order. Topics limited to regions do not apply: use
    /// [`Matcher::topics_in`] for an item whose source has a region.
    pub fn topics(&self, text: &str) -> Vec<String> {
        self.topics_in(text, None)
    }

    /// Like [`Matcher::topics`] for an item from a source in `region`: a
    /// topic limited to regions applies only when `region` is one of them.
    pub fn topics_in(&self, text: &str, region: Option<&str>) -> Vec<String> {
        let applies = |i: usize| {
            let limit = &self.regions[i];
            limit.is_empty() || region.is_some_and(|r| limit.iter().any(|l| l == r))
        };
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        if !(0..self.names.len()).any(applies) {
            return Vec::new();
        }
        self.scan(automaton, applies, Feed::Text(text))
    }

    /// Like [`Matcher::topics_in`] for text already folded by [`fold`]
    /// (for callers that fold once and match several times, and for
    /// measuring the automaton alone).
    pub fn topics_in_folded(&self, folded: &str, region: Option<&str>) -> Vec<String> {
        let applies = |i: usize| {
            let limit = &self.regions[i];
            limit.is_empty() || region.is_some_and(|r| limit.iter().any(|l| l == r))
        };
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        self.scan(automaton, applies, Feed::Folded(folded))
    }

    /// Runs the automaton over " <folded text> " and names the topics hit,
    /// not vetoed, and applying.
    fn scan(
        &self,
        engine: &Engine,
        applies: impl Fn(usize) -> bool,
        feed: Feed<'_>,
    ) -> Vec<String> {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let Scratch { hit, vetoed } = &mut *scratch;
            hit.clear();
            hit.resize(self.names.len(), false);
            vetoed.clear();
            vetoed.resize(self.names.len(), false);
            match engine {
                Engine::Dfa(a) => self.step(a, hit, vetoed, feed),
                Engine::Nfa(a) => self.step(a, hit, vetoed, feed),
            }
            self.names
                .iter()
                .enumerate()
                .filter(|&(i, _)| hit[i] && !vetoed[i] && applies(i))
                .map(|(_, name)| name.clone())
                .collect()
        })
    }

    fn step<A: Automaton>(
        &self,
        automaton: &A,
        hit: &mut [bool],
        vetoed: &mut [bool],
        feed: Feed<'_>,
    ) {
        // These automata are built with an unanchored start state.
        let Ok(sid) = automaton.start_state(Anchored::No) else {
            return;
        };
        let mut stepper = Stepper {
            automaton,
            sid,
            owners: &self.owners,
            hit,
            vetoed,
        };
        stepper.byte(b' ');
        match feed {
            Feed::Text(text) => fold::fold_into(text, &mut stepper, true),
            Feed::Folded(folded) => fold::Sink::push_str(&mut stepper, folded),
        }
        stepper.byte(b' ');
    }

    /// A stable hash (hex SHA-256) of everything in the topic configuration
    /// that decides tagging (names, keywords, excludes, regions, their order) and of
    /// the matching rules themselves; labels are left out since they do not
    /// change which items get a topic. Stored items are re-tagged when it
    /// changes.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

/// The automaton pattern of one keyword: folded, with a leading space (word
/// start) and, unless it is a `*` prefix keyword, a trailing space (word end).
fn keyword_pattern(keyword: &str, folded: &mut String) -> Option<String> {
    let keyword = keyword.trim();
    let (stem, prefix) = match keyword.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (keyword, false),
    };
    fold(stem, folded);
    if folded.is_empty() {
        return None;
    }
    let mut pattern = String::with_capacity(folded.len() + 2);
    pattern.push(' ');
    pattern.push_str(folded);
    if !prefix {
        pattern.push(' ');
    }
    Some(pattern)
}

fn fingerprint(topics: &[TopicConfig]) -> String {
    let mut hasher = Sha256::new();
    // Length-prefixed fields, so that no two configs serialize alike.
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(RULES_VERSION.as_bytes());
    field(&(topics.len() as u64).to_le_bytes());
    for topic in topics {
        field(topic.name.as_bytes());
        for list in [&topic.keywords, &topic.exclude] {
            field(&(list.len() as u64).to_le_bytes());
            for keyword in list {
                field(keyword.as_bytes());
            }
        }
    }
    // Regions come after every topic (the topic count above says where
    // that is), and only for limited topics, so configurations without
    // regions keep the fingerprint they had before regions existed.
    for (i, topic) in topics.iter().enumerate() {
        if topic.regions.is_empty() {
            continue;
        }
        field(&(i as u64).to_le_bytes());
        field(&(topic.regions.len() as u64).to_le_bytes());
        for region in &topic.regions {
            field(region.as_bytes());
        }
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        // Writing into a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests;
