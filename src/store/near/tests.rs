//! One table row per rule of near-duplicate detection.

use super::*;

const H: u64 = 3600;

fn dup(a: (&str, Option<&str>), b: (&str, Option<&str>), gap_h: u64) -> bool {
    let (a, b) = (Signature::new(a.0, a.1), Signature::new(b.0, b.1));
    let s = NearDupSettings::default();
    let gap = Duration::from_secs(gap_h * H);
    let there = is_near_duplicate(&a, &b, gap, &s);
    assert_eq!(there, is_near_duplicate(&b, &a, gap, &s), "not symmetric");
    there
}

/// A title and an optional lead.
type Text<'a> = (&'a str, Option<&'a str>);

const LEAD: &str = "Predsednik Srbije Aleksandar Vučić izjavio je danas u Beogradu da Srbija neće priznati Kosovo.";

#[test]
fn rules_table() {
    #[rustfmt::skip]
    let table: &[(&str, Text, Text, u64, bool)] = &[
        ("Latin and Cyrillic", ("Vučić: Srbija neće priznati Kosovo", None), ("Вучић: Србија неће признати Косово", None), 1, true),
        ("label prefix", ("FOTO: Snežni nanosi blokirali put Novi Pazar – Tutin", None), ("Snežni nanosi blokirali put Novi Pazar-Tutin", None), 1, true),
        ("label suffix", ("Protest ispred Skupštine Kosova (VIDEO)", None), ("Protest ispred Skupštine Kosova", None), 1, true),
        ("inflected word", ("Kurti takon Escobarin në Prishtinë sot", None), ("Kurti takoi Escobarin në Prishtinë sot", None), 1, true),
        ("number word vs digits", ("Uhapšena tri osumnjičena za napad u Banjskoj", None), ("Uhapšena 3 osumnjičena za napad u Banjskoj", None), 1, true),
        ("thousands separator", ("Na maratonu 3,000 trkača iz regiona", None), ("Na maratonu 3000 trkača iz regiona", None), 1, true),
        ("numbers differ", ("Srednji kurs evra danas 117,17 dinara", None), ("Srednji kurs evra danas 117,18 dinara", None), 1, false),
        ("a number on one side only", ("Uhapšena tri osumnjičena za napad u Banjskoj", None), ("Uhapšeni osumnjičeni za napad u Banjskoj", None), 1, false),
        ("weekday differs", ("Isključenja struje za utorak u Zvezdari", None), ("Isključenja struje za sredu u Zvezdari", None), 1, false),
        ("month in two languages", ("Elections on 11 May in Albania announced", None), ("Elections on 11 maj in Albania announced", None), 1, true),
        ("outside the window", ("Vučić: Srbija neće priznati Kosovo", Some(LEAD)), ("Vučić: Srbija neće priznati Kosovo", Some(LEAD)), 73, false),
        ("inside the window with leads", ("Vučić: Srbija neće priznati Kosovo", Some(LEAD)), ("Vučić: Srbija neće priznati Kosovo", Some(LEAD)), 71, true),
        ("title only: a quarter of the window", ("Vučić: Srbija neće priznati Kosovo", None), ("Vučić: Srbija neće priznati Kosovo", None), 19, false),
        ("title only: within 18 h", ("Vučić: Srbija neće priznati Kosovo", None), ("Vučić: Srbija neće priznati Kosovo", None), 17, true),
        ("generic title without leads", ("Vremenska prognoza", None), ("Vremenska prognoza", None), 1, false),
        ("substitution without leads", ("Saobraćajna nesreća kod Niša, poginuo vozač", None), ("Saobraćajna nesreća kod Čačka, poginuo vozač", None), 1, false),
        ("lead figures contradict", ("Kursna lista NBS danas", Some("Srednji kurs dinara prema evru danas iznosi 117,17 dinara po kursu NBS.")), ("Kursna lista NBS danas", Some("Srednji kurs dinara prema evru danas iznosi 117,19 dinara po kursu NBS.")), 1, false),
        ("lead cut short", ("Vučić: Srbija neće priznati Kosovo", Some(LEAD)), ("Vučić: Srbija neće priznati Kosovo", Some("Predsednik Srbije Aleksandar Vučić izjavio je danas u Beogradu …")), 30, true),
        ("leads name other places", ("Planirana isključenja struje", Some("Bez struje će danas biti delovi Zvezdare i Voždovca zbog radova na mreži.")), ("Planirana isključenja struje", Some("Bez struje će danas biti delovi Novog Beograda i Zemuna zbog radova na mreži.")), 1, false),
        ("empty titles", ("VIDEO", None), ("VIDEO", None), 0, false),
    ];
    for (what, a, b, gap, want) in table {
        assert_eq!(dup(*a, *b, *gap), *want, "{what}");
    }
}

#[test]
fn disabled_merges_nothing() {
    let a = Signature::new("Vučić: Srbija neće priznati Kosovo", None);
    let off = NearDupSettings {
        enabled: false,
        ..NearDupSettings::default()
    };
    assert!(!is_near_duplicate(&a, &a, Duration::ZERO, &off));
    assert!(is_near_duplicate(
        &a,
        &a,
        Duration::ZERO,
        &NearDupSettings::default()
    ));
}

#[test]
fn index_keys_are_shared_by_inflected_and_transliterated_forms() {
    let a = Signature::new("Kosovo: Vučić u Prištini", None).index_keys();
    let b = Signature::new("Косова: Вучића у Приштини", None).index_keys();
    assert_eq!(a, b);
    assert_eq!(a, vec!["koso", "pris", "vuci"]);
    let n = Signature::new("Kursna lista za 14. maj", None).index_keys();
    assert!(
        n.contains(&"14".to_string()) && n.contains(&"#15".to_string()),
        "{n:?}"
    );
}

#[test]
fn word_pairs() {
    for (a, b, same) in [
        ("nisa", "nisu", true),
        ("kosovo", "kosoves", true),
        ("vucic", "vucicu", true),
        ("nisa", "nije", false),
        ("slovenia", "slovakia", false),
        ("12", "13", false),
        ("12", "12", true),
    ] {
        assert_eq!(same_word(a, b), same, "{a} / {b}");
    }
}

/// `lead_words` folds long leads piece by piece; the words it gives up to
/// the last one a signature uses must be those of folding the whole lead,
/// wherever the pieces are cut (digit groups and stopwords on the cuts).
#[test]
fn lead_words_match_folding_the_whole_lead() {
    let vocabulary = [
        "Vučić",
        "je",
        "3",
        "000",
        "123",
        "Косово",
        "the",
        "na",
        "rekao",
        "Prishtinë",
        "7,500",
        "dhe",
        "in",
        "Beograd.",
        "42",
        "x",
        "  ",
        "Ћирилица",
        "500",
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for len in [0, 5, 40, 90, 200, 400, 1000] {
        for _ in 0..20 {
            let lead: Vec<&str> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    vocabulary[(state % vocabulary.len() as u64) as usize]
                })
                .collect();
            let lead = lead.join(" ");
            let mut folded = String::new();
            fold(&lead, &mut folded);
            let whole = words(&folded);
            let pieces = lead_words(&lead, &mut folded);
            // Both up to the LEAD_WORDS-th content word.
            let used = |ws: &[String]| -> Vec<String> {
                let mut content = 0;
                ws.iter()
                    .take_while(|w| {
                        let more = content < LEAD_WORDS;
                        if number(w).is_some() || !is_stopword(w) {
                            content += 1;
                        }
                        more
                    })
                    .cloned()
                    .collect()
            };
            assert_eq!(used(&pieces), used(&whole), "lead: {lead}");
        }
    }
}
