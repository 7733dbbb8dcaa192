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

/// A lead is folded piece by piece; its words up to the last one a
/// signature uses must be those of folding the whole lead, wherever the
/// pieces are cut (digit groups and stopwords on the cuts).
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
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for len in [0, 5, 40, 90, 200, 400, 1000] {
        for _ in 0..20 {
            let lead = rng.text(&vocabulary, len);
            let mut folded = String::new();
            fold(&lead, &mut folded);
            // The content words of the whole lead, as the first version
            // took them, up to LEAD_WORDS.
            let mut want: Vec<String> = Vec::new();
            for w in reference::words(&folded) {
                if want.len() == LEAD_WORDS {
                    break;
                }
                if let Some(n) = reference::number(&w) {
                    want.push(n.to_string());
                } else if !reference::is_stopword(&w) {
                    want.push(w);
                }
            }
            if want.len() < MIN_LEAD_WORDS {
                want.clear();
            }
            // A title of one letter has no words, so the lead never repeats it.
            let sig = Signature::new("x", Some(&lead));
            let got: Vec<&str> = sig.part(Part::Lead).iter().collect();
            assert_eq!(got, want, "lead: {lead}");
        }
    }
}

/// xorshift64: deterministic generated texts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn text(&mut self, vocabulary: &[&str], len: usize) -> String {
        let words: Vec<&str> = (0..len)
            .map(|_| vocabulary[self.below(vocabulary.len())])
            .collect();
        words.join(" ")
    }
}

/// Words for generated titles and leads: Latin, Cyrillic and Albanian
/// words and names, number words and figures with thousands separators,
/// weekdays and months, labels, function words, sentence ends and oddities
/// of folding (ligatures, Greek, CJK, combining marks, no-break spaces).
const MIXED: &[&str] = &[
    "FOTO:",
    "VIDEO",
    "|",
    "(VIDEO)",
    "UŽIVO",
    "Lajm",
    "i",
    "fundit:",
    "foto",
    "UPDATE:",
    "Vučić",
    "Вучић",
    "Srbija",
    "Србија",
    "Kosovo",
    "Kosova",
    "Kosovu",
    "Косово",
    "Prishtinë",
    "Prištini",
    "Приштини",
    "Kurti",
    "takon",
    "takoi",
    "Escobarin",
    "në",
    "për",
    "dhe",
    "që",
    "je",
    "na",
    "za",
    "u",
    "se",
    "rekao",
    "izjavio",
    "kaže",
    "tha",
    "the",
    "of",
    "says",
    "and",
    "3",
    "3,000",
    "3.000",
    "3000",
    "000",
    "500",
    "1 200",
    "05.",
    "007",
    "117,17",
    "2026.",
    "tri",
    "три",
    "three",
    "tre",
    "pet",
    "dy",
    "deset",
    "dhjetë",
    "utorak",
    "уторак",
    "maj",
    "maja",
    "May",
    "Monday",
    "e",
    "hënë",
    "prill",
    "decembra",
    "Beograd.",
    "Beogradu,",
    "Zvezdare",
    "Zemuna",
    "Novog",
    "Beograda",
    "Aleksandar",
    "Albin",
    "Escobar!",
    "Ohër?",
    "ÇELËSI",
    "ﬁnale",
    "Straße",
    "Ђорђе",
    "Ljubljana",
    "Njegoš",
    "αθήνα",
    "東京",
    "🙂",
    "e\u{301}",
    "\u{a0}",
    "nesreća",
    "Niša",
    "Čačka",
    "poginuo",
    "vozač",
    "x",
    "-",
    "–",
    "…",
    "Predsednik",
    "predsednik",
    "Srbije",
    "neće",
    "priznati",
    "Kosovo.",
    "danas",
    "struje",
    "Ub",
    "Ђ",
    "delovi",
    "radova",
    "mreži",
    "zbog",
    "biti",
    "iznosi",
    "kurs",
    "dinara",
    "vode",
    "grada",
    "ulica",
    "ostali",
    "bez",
    "sati",
    "nakon",
    "sastanka",
    "rekla",
    "ministar",
];

/// Whether the signature has exactly the parts of the first version's.
fn assert_same(sig: &Signature, old: &reference::Signature, what: &str) {
    let part = |p: Part| sig.part(p).iter().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(part(Part::Title), old.title, "title of {what}");
    assert_eq!(part(Part::Numbers), old.numbers, "numbers of {what}");
    let dates: Vec<u8> = (0..32).filter(|d| sig.dates & (1 << d) != 0).collect();
    assert_eq!(dates, old.dates, "dates of {what}");
    assert_eq!(sig.title_words, old.title_words, "title words of {what}");
    assert_eq!(part(Part::Lead), old.lead, "lead of {what}");
    assert_eq!(
        part(Part::LeadNumbers),
        old.lead_numbers,
        "lead numbers of {what}"
    );
    assert_eq!(
        part(Part::LeadNames),
        old.lead_names,
        "lead names of {what}"
    );
    assert_eq!(sig.index_keys(), old.index_keys(), "index keys of {what}");
    assert_eq!(
        sig.lookup_keys(),
        old.lookup_keys(),
        "lookup keys of {what}"
    );
    assert_eq!(sig.is_empty(), old.is_empty(), "is_empty of {what}");
    assert_eq!(sig.has_lead(), old.has_lead(), "has_lead of {what}");
}

/// The signature, its keys and scores are those of the first version
/// (`reference.rs`) over generated titles and leads.
#[test]
fn agrees_with_the_first_version() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let settings = NearDupSettings::default();
    let mut made: Vec<(Signature, reference::Signature)> = Vec::new();
    for i in 0..3000 {
        let n = rng.below(16);
        let title = rng.text(MIXED, n);
        let lead = match rng.below(4) {
            0 => None,
            _ => {
                let n = rng.below(if i % 10 == 0 { 600 } else { 70 });
                Some(rng.text(MIXED, n))
            }
        };
        let what = format!("{title:?} / {lead:?}");
        let sig = Signature::new(&title, lead.as_deref());
        let old = reference::Signature::new(&title, lead.as_deref());
        assert_same(&sig, &old, &what);
        // A variant: a word changed, or the other script, so that pairs
        // of alike items are scored too.
        let variant = |s: &str| s.replace("Vučić", "Вучић").replace("Kosovo", "Kosova");
        let (t2, l2) = (variant(&title), lead.as_deref().map(variant));
        made.push((
            Signature::new(&t2, l2.as_deref()),
            reference::Signature::new(&t2, l2.as_deref()),
        ));
        made.push((sig, old));
    }
    // Leads with names to compare are made, not only title signatures.
    let named = made
        .iter()
        .filter(|(s, _)| s.part(Part::LeadNames).len() >= 2)
        .count();
    assert!(named > 300, "{named} signatures with names");
    let (mut alike, mut perfect) = (0, 0);
    for i in 0..made.len() {
        let partners = [i ^ 1, rng.below(made.len()), rng.below(made.len())];
        for j in partners {
            for gap in [1, 17, 30, 80] {
                let gap = Duration::from_secs(gap * H);
                let new = score(&made[i].0, &made[j].0, gap, &settings);
                let old = reference::score(&made[i].1, &made[j].1, gap, &settings);
                assert_eq!(
                    new.to_bits(),
                    old.to_bits(),
                    "{:?} / {:?}",
                    made[i].0,
                    made[j].0
                );
                alike += usize::from(new >= settings.threshold);
                // `find_story` stops at a perfect score: none may be higher.
                assert!(new <= PERFECT_SCORE, "{new}");
            }
        }
        // An item scored against itself is a perfect match whenever it can
        // match at all, as a syndicated story's identical copies are.
        let own = score(&made[i].0, &made[i].0, Duration::from_secs(H), &settings);
        assert!(own == 0.0 || own == PERFECT_SCORE, "{own} {:?}", made[i].0);
        perfect += usize::from(own == PERFECT_SCORE);
    }
    // The pairs exercise both outcomes.
    assert!(alike > 100, "{alike} alike pairs");
    assert!(perfect > 1000, "{perfect} perfect self-matches");
}

/// Word classes agree with the first version's lists for every listed
/// word and for words that only resemble them.
#[test]
fn classes_agree_with_the_first_version() {
    let mut words: Vec<String> = Vec::new();
    for w in words::STOPWORDS.iter().chain(words::LABELS) {
        words.push(w.to_string());
    }
    for (w, _) in words::NUMBER_WORDS {
        words.push(w.to_string());
    }
    for (w, _) in words::DATE_WORDS {
        words.push(w.to_string());
    }
    for w in words.clone() {
        words.push(format!("{w}a"));
        if w.len() > 1 {
            words.push(w[1..].to_string());
        }
        words.push(w.to_uppercase());
    }
    words.extend(["ž", "ђ", "東", "🙂", "ab", "ponedjeljkom"].map(str::to_string));
    for w in &words {
        let class = words::classify(w);
        assert_eq!(class.date, reference::date_code(w), "date {w}");
        assert_eq!(class.number, reference::number(w), "number {w}");
        assert_eq!(class.label, reference::is_label(w), "label {w}");
        assert_eq!(
            words::is_stop(w, class),
            reference::is_stopword(w),
            "stop {w}"
        );
        assert_eq!(words::index_key(w), reference::index_key(w), "key {w}");
    }
}

/// A stored signature (`stored.rs`) decodes to the one it was made from,
/// over generated titles and leads in every script.
#[test]
fn a_stored_signature_comes_back_as_it_was() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for i in 0..2000 {
        let n = rng.below(16);
        let title = rng.text(MIXED, n);
        let lead = (i % 4 != 0).then(|| {
            let n = rng.below(if i % 10 == 0 { 600 } else { 70 });
            rng.text(MIXED, n)
        });
        let sig = Signature::new(&title, lead.as_deref());
        let back = Signature::decode(&sig.encode());
        assert_eq!(back.as_ref(), Some(&sig), "{title:?} / {lead:?}");
    }
}

/// Stored values are outside input: cut, lengthened, from another format
/// or with any byte changed, they decode to `None` or to something that
/// can be scored, never a panic.
#[test]
fn a_damaged_stored_signature_is_refused_or_harmless() {
    let sig = Signature::new(
        "Protest ispred Skupštine Kosova 2026",
        Some("Hiljade građana okupile su se danas ispred Skupštine Kosova u Prištini, gde su protestovali protiv novog zakona o 12 opština."),
    );
    let good = sig.encode();
    assert_eq!(Signature::decode(&[]), None);
    let mut other_format = good.clone();
    other_format[0] = other_format[0].wrapping_add(1);
    assert_eq!(Signature::decode(&other_format), None);
    for cut in 0..good.len() {
        assert_eq!(
            Signature::decode(&good[..cut]),
            None,
            "prefix of {cut} bytes"
        );
    }
    let mut longer = good.clone();
    longer.push(b'x');
    assert_eq!(Signature::decode(&longer), None);
    let settings = NearDupSettings::default();
    for i in 0..good.len() {
        for b in [0x00, 0x01, 0x7f, 0x80, 0xff, 0xc3] {
            let mut bad = good.clone();
            bad[i] = b;
            if let Some(s) = Signature::decode(&bad) {
                let _ = score(&s, &sig, Duration::ZERO, &settings);
                let _ = score(&sig, &s, Duration::ZERO, &settings);
                let _ = (s.lookup_key_refs(), s.has_lead(), format!("{s:?}"));
            }
        }
    }
}
