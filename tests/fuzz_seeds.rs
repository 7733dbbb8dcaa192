//! The fuzz targets' properties (fuzz/fuzz_targets/checks.rs) over the
//! committed seed corpora and the regression inputs of crashes that
//! fuzzing found, so the normal test suite keeps them true without a
//! fuzzer.

use std::path::Path;

#[path = "../fuzz/fuzz_targets/checks.rs"]
mod checks;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in [
        root.join("corpus").join(target),
        root.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read input");
            out.push((path.display().to_string(), bytes));
        }
    }
    out.sort();
    out
}

fn replay(target: &str, check: fn(&[u8]), at_least: usize) {
    let inputs = inputs(target);
    assert!(
        inputs.len() >= at_least,
        "{target}: {} inputs",
        inputs.len()
    );
    for (name, bytes) in inputs {
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        assert!(outcome.is_ok(), "{target} fails on {name}");
    }
}

#[test]
fn parse_feed_seeds() {
    replay("parse_feed", checks::parse_feed, 15);
}

#[test]
fn canonical_link_seeds() {
    replay("canonical_link", checks::canonical_link_key, 5);
}

#[test]
fn config_seeds() {
    replay("config", checks::config, 3);
}
