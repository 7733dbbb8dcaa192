//! Precision and recall of near-duplicate detection on the labelled pairs in
//! tests/fixtures/near-duplicates/pairs.jsonl (English, Albanian, Serbian
//! Latin and Cyrillic: true copies and hard non-duplicates).
//!
//! Run with `cargo test --test near_duplicates -- --nocapture` to see the
//! figures and every misjudged pair.

use std::time::Duration;

use feedmill::store::near::{is_near_duplicate, score, NearDupSettings, Signature};

/// Floors the detector must stay above with the default settings.
const PRECISION_FLOOR: f64 = 0.98;
const RECALL_FLOOR: f64 = 0.90;

#[derive(serde::Deserialize)]
struct Pair {
    title_a: String,
    lead_a: Option<String>,
    title_b: String,
    lead_b: Option<String>,
    gap_hours: f64,
    label: String,
    note: String,
}

fn pairs() -> Vec<Pair> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/near-duplicates/pairs.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1)))
        .collect()
}

struct Tally {
    tp: usize,
    fp: usize,
    tn: usize,
    fn_: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
}

fn judge(settings: &NearDupSettings, verbose: bool) -> Tally {
    let mut t = Tally {
        tp: 0,
        fp: 0,
        tn: 0,
        fn_: 0,
    };
    for (i, p) in pairs().iter().enumerate() {
        let a = Signature::new(&p.title_a, p.lead_a.as_deref());
        let b = Signature::new(&p.title_b, p.lead_b.as_deref());
        let gap = Duration::from_secs_f64(p.gap_hours * 3600.0);
        let said = is_near_duplicate(&a, &b, gap, settings);
        // The relation is symmetric; a detector that is not would be a bug.
        assert_eq!(
            said,
            is_near_duplicate(&b, &a, gap, settings),
            "pair {} is judged differently in the other order",
            i + 1
        );
        let truth = match p.label.as_str() {
            "duplicate" => true,
            "distinct" => false,
            other => panic!("pair {}: unknown label {other:?}", i + 1),
        };
        match (truth, said) {
            (true, true) => t.tp += 1,
            (false, false) => t.tn += 1,
            (false, true) => t.fp += 1,
            (true, false) => t.fn_ += 1,
        }
        if verbose && truth != said {
            println!(
                "{} pair {:>3} (score {:.2}, {}): {:?} / {:?}",
                if truth { "missed " } else { "WRONGLY merged" },
                i + 1,
                score(&a, &b, gap, settings),
                p.note,
                p.title_a,
                p.title_b
            );
        }
    }
    t
}

#[test]
fn labelled_pairs_meet_the_precision_and_recall_floors() {
    let all = pairs();
    let dups = all.iter().filter(|p| p.label == "duplicate").count();
    assert!(all.len() >= 200, "only {} labelled pairs", all.len());
    assert!(
        dups >= 80 && all.len() - dups >= 80,
        "unbalanced set: {dups} duplicates"
    );

    let settings = NearDupSettings::default();
    let t = judge(&settings, true);
    println!(
        "near-duplicates: {} pairs ({} duplicates), threshold {:.2}, window {} h: \
         precision {:.3}, recall {:.3} (tp {}, fp {}, tn {}, fn {})",
        all.len(),
        dups,
        settings.threshold,
        settings.window.as_secs() / 3600,
        t.precision(),
        t.recall(),
        t.tp,
        t.fp,
        t.tn,
        t.fn_
    );
    assert!(
        t.precision() >= PRECISION_FLOOR,
        "precision {:.3} below {PRECISION_FLOOR}",
        t.precision()
    );
    assert!(
        t.recall() >= RECALL_FLOOR,
        "recall {:.3} below {RECALL_FLOOR}",
        t.recall()
    );
}

#[test]
fn threshold_trades_recall_for_precision() {
    let loose = NearDupSettings {
        threshold: 0.5,
        ..NearDupSettings::default()
    };
    let strict = NearDupSettings {
        threshold: 0.95,
        ..NearDupSettings::default()
    };
    let (l, s) = (judge(&loose, false), judge(&strict, false));
    println!(
        "threshold 0.50: precision {:.3}, recall {:.3}; threshold 0.95: precision {:.3}, recall {:.3}",
        l.precision(),
        l.recall(),
        s.precision(),
        s.recall()
    );
    assert!(l.recall() >= s.recall());
    assert!(s.precision() >= l.precision());
    let off = NearDupSettings {
        enabled: false,
        ..NearDupSettings::default()
    };
    let o = judge(&off, false);
    assert_eq!((o.tp, o.fp), (0, 0), "disabled detection merges nothing");
}
