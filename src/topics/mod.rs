//! Topic tagging: keywords matched as whole words over folded text.
//!
//! Text and keywords are folded the same way ([`fold`]), which leaves words
//! separated by exactly one space. Padding both the folded text and each
//! keyword pattern with a space turns "whole words only" into a plain
//! substring match, so one Aho-Corasick pass over the text finds every
//! keyword and exclude of every topic at once.

mod fold;

use std::collections::HashMap;
use std::fmt::Write as _;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use sha2::{Digest, Sha256};

use crate::config::TopicConfig;

pub use fold::fold;

/// Bumped whenever folding or matching rules change, so that the fingerprint
/// changes and stored items are re-tagged under the new rules.
const RULES_VERSION: &str = "feedmill-topics-1";

/// Up to this many distinct patterns the automaton is a full DFA (a few
/// megabytes at most for keyword-sized patterns).
const DFA_MAX_PATTERNS: usize = 20_000;

/// The matcher could not be built from the topic configuration.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the topic matcher from {patterns} keywords: {source}")]
pub struct MatcherError {
    patterns: usize,
    source: aho_corasick::BuildError,
}

/// Built once per config; matches every topic's keywords in one pass.
#[derive(Debug, Clone)]
pub struct Matcher {
    names: Vec<String>,
    /// Per topic: the regions it is limited to (empty: every region).
    regions: Vec<Vec<String>>,
    /// `None` when no keyword folds to anything.
    automaton: Option<AhoCorasick>,
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
            // Standard semantics are required for overlapping search, which
            // reports every pattern ending at each position: a keyword inside
            // a longer keyword ("eu" in "eu army") must still count.
            //
            // A full DFA scans fastest (one table lookup per byte); its size
            // grows with the patterns, so very large configs leave the
            // choice to the crate, which falls back to a compact NFA.
            let kind = (patterns.len() <= DFA_MAX_PATTERNS).then_some(AhoCorasickKind::DFA);
            let built = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(kind)
                .build(&patterns)
                .map_err(|source| MatcherError {
                    patterns: patterns.len(),
                    source,
                })?;
            Some(built)
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
        let mut haystack = String::with_capacity(text.len() + 2);
        haystack.push(' ');
        fold::fold_append(text, &mut haystack);
        haystack.push(' ');

        let mut hit = vec![false; self.names.len()];
        let mut vetoed = vec![false; self.names.len()];
        for m in automaton.find_overlapping_iter(&haystack) {
            for &(topic, role) in &self.owners[m.pattern().as_usize()] {
                match role {
                    Role::Keyword => hit[topic] = true,
                    Role::Exclude => vetoed[topic] = true,
                }
            }
        }
        self.names
            .iter()
            .enumerate()
            .filter(|&(i, _)| hit[i] && !vetoed[i] && applies(i))
            .map(|(_, name)| name.clone())
            .collect()
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
