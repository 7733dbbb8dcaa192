//! The stored form of a [`Signature`], kept for each copy (`near_sigs.sig`)
//! so that comparing a new item with a stored copy reads one short value
//! instead of the copy's HTML, and does not fold its text again.
//!
//! The stored form is a cache of what [`Signature::new`] makes of the copy's
//! title and summary, never the only record: a value that is missing, from
//! another [`FORMAT`] or damaged decodes to `None`, and the caller builds the
//! signature from the text again. So changing how signatures are built only
//! needs [`FORMAT`] bumped; no stored row has to be rewritten.
//!
//! Layout: the format byte; `dates` (4 bytes, little-endian); then as
//! LEB128 varints `title_words`, the [`PARTS`] part ends and the byte length
//! of every word; then the words' text, back to back.

use super::{Signature, PARTS};

/// Bump when [`Signature::new`] would build another signature from the
/// same text (folding, stop words, labels, parts), so that stored values
/// made under the old rules are rebuilt rather than trusted.
const FORMAT: u8 = 1;

impl Signature {
    /// The stored form (see the module's documentation).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 2 * self.ends.len() + self.text.len());
        out.push(FORMAT);
        out.extend_from_slice(&self.dates.to_le_bytes());
        push_varint(&mut out, self.title_words);
        for &end in &self.parts {
            push_varint(&mut out, end);
        }
        let mut start = 0;
        for &end in &self.ends {
            push_varint(&mut out, end - start);
            start = end;
        }
        out.extend_from_slice(self.text.as_bytes());
        out
    }

    /// The signature `bytes` stores, or `None` when they are not a value
    /// [`Signature::encode`] of this build wrote. Never panics, whatever
    /// the bytes: the column is outside input like any other.
    pub fn decode(bytes: &[u8]) -> Option<Signature> {
        let (&format, rest) = bytes.split_first()?;
        if format != FORMAT {
            return None;
        }
        let (dates, mut rest) = rest.split_first_chunk::<4>()?;
        let title_words = take_varint(&mut rest)?;
        let mut parts = [0; PARTS];
        let mut previous = 0;
        for part in &mut parts {
            *part = take_varint(&mut rest)?;
            if *part < previous {
                return None;
            }
            previous = *part;
        }
        let words = parts[PARTS - 1];
        if title_words > parts[0] || words > rest.len() {
            return None;
        }
        let mut ends = Vec::with_capacity(words);
        let mut end = 0usize;
        for _ in 0..words {
            end = end.checked_add(take_varint(&mut rest)?)?;
            ends.push(end);
        }
        if end != rest.len() {
            return None;
        }
        let text = std::str::from_utf8(rest).ok()?;
        if !ends.iter().all(|&e| text.is_char_boundary(e)) {
            return None;
        }
        Some(Signature {
            text: text.to_string(),
            ends,
            parts,
            dates: u32::from_le_bytes(*dates),
            title_words,
        })
    }
}

fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads one varint off the front of `bytes`; `None` when it is cut short
/// or does not fit in 32 bits (no signature has that many words or bytes).
fn take_varint(bytes: &mut &[u8]) -> Option<usize> {
    let mut n: usize = 0;
    for shift in (0..32).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}
