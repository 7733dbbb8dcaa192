//! `[dedup]` and topic `regions` in the config: defaults, values, and a
//! table of mistakes, each named by line:column and key.

mod common;

use std::time::Duration;

use common::{assert_config_errors, load_text};
use feedmill::config::{Config, DedupConfig};
use feedmill::store::near::NearDupSettings;

/// Two sources with regions, so topics may name them.
const HEAD: &str = "database = \"db.sqlite\"\n[output]\npath = \"out/feed.atom\"\n\
[[source]]\nname = \"a\"\nurl = \"https://a.example/\"\nregion = \"kosovo\"\n\
[[source]]\nname = \"b\"\nurl = \"https://b.example/\"\nregion = \"serbia\"\n";
// HEAD is 11 lines long: what follows starts on line 12.

#[test]
fn bad_dedup_and_region_settings_name_line_column_and_key() {
    #[rustfmt::skip]
    let table: &[(&str, String, &str, &str, &str)] = &[
        ("unknown key in [dedup]", format!("{HEAD}[dedup]\nthreshhold = 0.8\n"), "13:1", "dedup.threshhold", "unknown key"),
        ("threshold zero", format!("{HEAD}[dedup]\nthreshold = 0.0\n"), "13:13", "dedup.threshold", "more than 0 and at most 1"),
        ("threshold above one", format!("{HEAD}[dedup]\nthreshold = 1.5\n"), "13:13", "dedup.threshold", "more than 0 and at most 1"),
        ("threshold negative", format!("{HEAD}[dedup]\nthreshold = -0.5\n"), "13:13", "dedup.threshold", "more than 0 and at most 1"),
        ("threshold nan", format!("{HEAD}[dedup]\nthreshold = nan\n"), "13:13", "dedup.threshold", "more than 0 and at most 1"),
        ("threshold as a string", format!("{HEAD}[dedup]\nthreshold = \"0.8\"\n"), "13:13", "dedup.threshold", "expected"),
        ("near_duplicates not a boolean", format!("{HEAD}[dedup]\nnear_duplicates = \"yes\"\n"), "13:19", "dedup.near_duplicates", "expected a boolean"),
        ("window without unit", format!("{HEAD}[dedup]\nwindow = \"72\"\n"), "13:10", "dedup.window", "not a duration"),
        ("window zero", format!("{HEAD}[dedup]\nwindow = \"0h\"\n"), "13:10", "dedup.window", "more than zero"),
        ("window beyond a month", format!("{HEAD}[dedup]\nwindow = \"721h\"\n"), "13:10", "dedup.window", "limit of 30d"),
        ("window as a number", format!("{HEAD}[dedup]\nwindow = 72\n"), "13:10", "dedup.window", "expected a string"),
        ("topic region with capitals", format!("{HEAD}[[topic]]\nname = \"x\"\nkeywords = [\"x\"]\nregions = [\"Kosovo\"]\n"), "15:12", "topic[1].regions[1]", "lower-case"),
        ("topic region of no source", format!("{HEAD}[[topic]]\nname = \"x\"\nkeywords = [\"x\"]\nregions = [\"kosovo\", \"albania\"]\n"), "15:22", "topic[1].regions[2]", "not the region of any source"),
        ("topic regions not a list", format!("{HEAD}[[topic]]\nname = \"x\"\nkeywords = [\"x\"]\nregions = \"kosovo\"\n"), "15:11", "topic[1].regions", "expected a sequence"),
    ];
    assert_config_errors(table);
}

#[test]
fn dedup_defaults_and_values() {
    let (_d, _p, c) = load_text(HEAD);
    let c = c.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.dedup, DedupConfig::default());
    assert_eq!(
        NearDupSettings::from(&c.dedup),
        NearDupSettings::default(),
        "the store's default is the config's"
    );
    assert!(c.dedup.near_duplicates);
    assert_eq!(c.dedup.threshold, 0.75);
    assert_eq!(c.dedup.window, Duration::from_secs(72 * 3600));

    let table = [
        ("[dedup]\n", true, 0.75, 72 * 3600),
        ("[dedup]\nnear_duplicates = false\n", false, 0.75, 72 * 3600),
        (
            "[dedup]\nthreshold = 0.9\nwindow = \"24h\"\n",
            true,
            0.9,
            24 * 3600,
        ),
        (
            "[dedup]\nthreshold = 1.0\nwindow = \"720h\"\n",
            true,
            1.0,
            720 * 3600,
        ),
        ("[dedup]\nwindow = \"90m\"\n", true, 0.75, 90 * 60),
        (
            "dedup = { near_duplicates = true, threshold = 0.8 }\n",
            true,
            0.8,
            72 * 3600,
        ),
    ];
    for (text, on, threshold, secs) in table {
        // An inline table must come before the first [table] header.
        let text = if text.starts_with("dedup =") {
            format!("{text}{HEAD}")
        } else {
            format!("{HEAD}{text}")
        };
        let (_d, _p, c) = load_text(&text);
        let c = c.unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(
            (c.dedup.near_duplicates, c.dedup.threshold, c.dedup.window),
            (on, threshold, Duration::from_secs(secs)),
            "{text}"
        );
        let s = NearDupSettings::from(&c.dedup);
        assert_eq!(
            (s.enabled, s.threshold, s.window),
            (on, threshold, Duration::from_secs(secs))
        );
    }
}

#[test]
fn topic_regions_are_kept_deduplicated_and_default_to_none() {
    let text = format!(
        "{HEAD}[[topic]]\nname = \"north\"\nkeywords = [\"Zvečan\"]\nregions = [\"kosovo\", \"serbia\", \"kosovo\"]\n\
         [[topic]]\nname = \"all\"\nkeywords = [\"NATO\"]\n"
    );
    let (_d, _p, c) = load_text(&text);
    let c = c.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.topics[0].regions, vec!["kosovo", "serbia"]);
    assert!(c.topics[1].regions.is_empty());
}

#[test]
fn the_example_config_still_loads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/feedmill.toml");
    let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.dedup.threshold > 0.0);
}
