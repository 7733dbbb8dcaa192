use super::*;

fn topic(name: &str, keywords: &[&str], exclude: &[&str]) -> TopicConfig {
    TopicConfig {
        name: name.to_string(),
        label: None,
        keywords: keywords.iter().map(|s| s.to_string()).collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        regions: Vec::new(),
    }
}

fn config() -> Vec<TopicConfig> {
    vec![
        topic(
            "defense",
            &[
                "KFOR",
                "NATO",
                "Kosovo Security Force",
                "army",
                "Vojska Srbije",
                "Ushtria",
            ],
            &["football"],
        ),
        topic("eu", &["EU", "European Union", "BE", "Evropska unija"], &[]),
        topic("politics", &["Vučić", "Thaçi", "Kurti", "Đurić"], &[]),
        topic("north-kosovo", &["Kosov*", "Mitrovic*", "Zubin Potok"], &[]),
        // Shares a keyword with "defense": both must be reported.
        topic("nato", &["nato"], &["nato summit"]),
    ]
}

#[test]
fn matching_table() {
    let m = Matcher::new(&config()).unwrap();
    let table: &[(&str, &[&str])] = &[
        // English: case, whole words
        ("KFOR patrols the border", &["defense"]),
        ("kfor patrols", &["defense"]),
        ("The army moved in", &["defense"]),
        ("Armyworm outbreak hits farms", &[]),
        ("Army-worm? No: army.", &["defense"]),
        ("Talks on EU accession", &["eu"]),
        ("Europe and Eurasia", &[]),
        ("EU's foreign ministers", &["eu"]),
        ("(EU)", &["eu"]),
        ("EU", &["eu"]),
        ("the European Union decided", &["eu"]),
        // Multi-word keywords across newlines and runs of spaces/punctuation
        (
            "Kosovo\nSecurity   Force units",
            &["defense", "north-kosovo"],
        ),
        ("Kosovo Security\u{00A0}Force", &["defense", "north-kosovo"]),
        ("Kosovo – Security Force", &["defense", "north-kosovo"]),
        ("Kosovo Security Forces", &["north-kosovo"]),
        ("Security Force of Kosovo", &["north-kosovo"]),
        // Exclude vetoes only its own topic
        ("NATO football match", &["nato"]),
        ("NATO summit in Vilnius", &["defense"]),
        ("NATO in Kosovo", &["defense", "north-kosovo", "nato"]),
        // Albanian: diacritics and prefix keywords
        ("Ushtria e Kosovës", &["defense", "north-kosovo"]),
        ("Takim me BE-në për Kosovën", &["eu", "north-kosovo"]),
        ("Thaci në Hagë", &["politics"]),
        ("Thaçi në Hagë", &["politics"]),
        ("THAÇI", &["politics"]),
        ("Kurtiu", &[]),
        // Serbian Latin and Cyrillic, both directions
        ("Vucic o Kosovu", &["politics", "north-kosovo"]),
        ("Вучић о Косову", &["politics", "north-kosovo"]),
        ("ВУЧИЋ", &["politics"]),
        ("Ђурић у Митровици", &["politics", "north-kosovo"]),
        ("Djuric u Mitrovici", &["politics", "north-kosovo"]),
        ("Војска Србије на граници", &["defense"]),
        ("Вojska Srbije", &["defense"]),
        ("Европска унија и Србија", &["eu"]),
        ("Zubin Potok", &["north-kosovo"]),
        ("Зубин Поток", &["north-kosovo"]),
        // Prefix only at word start
        ("Unkosovo", &[]),
        ("Kosov", &["north-kosovo"]),
        // Nothing
        ("", &[]),
        ("Weather in Tirana", &[]),
    ];
    for (text, want) in table {
        let got = m.topics(text);
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, want, "topics({text:?})");
    }
}

#[test]
fn cyrillic_keywords_match_latin_text() {
    let m = Matcher::new(&[topic("energy", &["Електропривреда", "струја"], &[])]).unwrap();
    assert_eq!(m.topics("Elektroprivreda Srbije"), vec!["energy"]);
    assert_eq!(m.topics("cena struje"), Vec::<String>::new());
    assert_eq!(m.topics("STRUJA"), vec!["energy"]);
}

#[test]
fn results_follow_config_order() {
    let topics = vec![
        topic("zeta", &["alpha"], &[]),
        topic("alpha", &["beta"], &[]),
    ];
    let m = Matcher::new(&topics).unwrap();
    assert_eq!(m.topics("beta alpha"), vec!["zeta", "alpha"]);
}

#[test]
fn punctuation_only_keywords_are_ignored() {
    let m = Matcher::new(&[topic("odd", &["!!!", "*", "  "], &[])]).unwrap();
    assert!(m.topics("!!! * anything").is_empty());
    let empty = Matcher::new(&[]).unwrap();
    assert!(empty.topics("anything").is_empty());
}

#[test]
fn fingerprint_is_stable_and_tracks_tagging_changes() {
    let a = Matcher::new(&config()).unwrap().fingerprint();
    let b = Matcher::new(&config()).unwrap().fingerprint();
    assert_eq!(a, b);
    assert_eq!(a.len(), 64);
    assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));

    let mut labelled = config();
    labelled[0].label = Some("Defense and security".into());
    assert_eq!(Matcher::new(&labelled).unwrap().fingerprint(), a);

    let mut changes: Vec<Vec<TopicConfig>> = Vec::new();
    let mut c = config();
    c[0].keywords.push("ammunition".into());
    changes.push(c);
    let mut c = config();
    c[0].exclude.clear();
    changes.push(c);
    let mut c = config();
    c[1].name = "eu-integration".into();
    changes.push(c);
    let mut c = config();
    c.swap(0, 1);
    changes.push(c);
    // Moving a word between keywords and excludes is a different config.
    let mut c = config();
    let moved = c[0].exclude.pop().unwrap();
    c[0].keywords.push(moved);
    changes.push(c);
    for (i, changed) in changes.iter().enumerate() {
        assert_ne!(
            Matcher::new(changed).unwrap().fingerprint(),
            a,
            "change {i}"
        );
    }
}

fn limited(name: &str, keywords: &[&str], regions: &[&str]) -> TopicConfig {
    let mut t = topic(name, keywords, &[]);
    t.regions = regions.iter().map(|s| s.to_string()).collect();
    t
}

#[test]
fn serbian_latin_and_cyrillic_match_each_other() {
    let m = Matcher::new(&[
        topic("vucic-lat", &["Vučić"], &[]),
        topic("vucic-cyr", &["Вучић"], &[]),
        topic("kosovo-lat", &["Kosovo"], &[]),
        topic("kosovo-cyr", &["Косово"], &[]),
        topic("djuric", &["Đurić"], &[]),
        topic("lj-nj-dz", &["Љубљана", "Његош", "Džeko"], &[]),
    ])
    .unwrap();
    let both = |a: &'static str, b: &'static str| vec![a.to_string(), b.to_string()];
    let table: &[(&str, Vec<String>)] = &[
        ("Вучић у Бриселу", both("vucic-lat", "vucic-cyr")),
        ("ВУЧИЋ", both("vucic-lat", "vucic-cyr")),
        ("Vučić u Briselu", both("vucic-lat", "vucic-cyr")),
        ("VUCIC", both("vucic-lat", "vucic-cyr")),
        ("Vucic", both("vucic-lat", "vucic-cyr")),
        ("Косово и Метохија", both("kosovo-lat", "kosovo-cyr")),
        ("Kosovo i Metohija", both("kosovo-lat", "kosovo-cyr")),
        ("КОСОВО", both("kosovo-lat", "kosovo-cyr")),
        // Whole words: an inflected form is another word without a `*`.
        ("о Косову", vec![]),
        ("Ђурић", vec!["djuric".to_string()]),
        ("Djurić", vec!["djuric".to_string()]),
        ("DJURIC", vec!["djuric".to_string()]),
        ("Ljubljana", vec!["lj-nj-dz".to_string()]),
        ("Njegoš", vec!["lj-nj-dz".to_string()]),
        ("Џеко", vec!["lj-nj-dz".to_string()]),
        // Mixed scripts in one word (a typo common in feeds) still fold.
        ("Вучić", both("vucic-lat", "vucic-cyr")),
    ];
    for (text, want) in table {
        assert_eq!(&m.topics(text), want, "topics({text:?})");
    }
}

#[test]
fn prefix_keywords_match_word_starts_only() {
    let m = Matcher::new(&[
        topic("kosovo", &["Kosov*"], &[]),
        topic("cyr", &["Митровиц*"], &[]),
        topic("multi", &["Zubin Pot*"], &[]),
        topic("dj", &["Đur*"], &["Đurđevdan*"]),
    ])
    .unwrap();
    let table: &[(&str, &[&str])] = &[
        ("Kosovo", &["kosovo"]),
        ("Kosova", &["kosovo"]),
        ("Kosovës", &["kosovo"]),
        ("Kosovu", &["kosovo"]),
        ("Косову", &["kosovo"]),
        ("(Kosovës)", &["kosovo"]),
        ("Kosov", &["kosovo"]),
        ("Unkosovo", &[]),
        ("Ko sovo", &[]),
        ("Kos", &[]),
        ("Mitrovica", &["cyr"]),
        ("Митровици", &["cyr"]),
        ("Zubin Potok", &["multi"]),
        ("Зубин Потоку", &["multi"]),
        ("Zubin", &[]),
        ("Zubinpotok", &[]),
        ("Ђурић", &["dj"]),
        ("Djurdjevic", &["dj"]),
        // An exclude prefix vetoes its own topic.
        ("Đurić za Đurđevdan", &[]),
    ];
    for (text, want) in table {
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(m.topics(text), want, "topics({text:?})");
    }
}

#[test]
fn topics_limited_to_regions_apply_only_there() {
    let m = Matcher::new(&[
        limited("north", &["Zvečan", "Jarinje"], &["kosovo", "serbia"]),
        topic("border", &["Jarinje"], &[]),
        limited("albania-only", &["Jarinje"], &["albania"]),
    ])
    .unwrap();
    let table: &[(&str, Option<&str>, &[&str])] = &[
        ("Jarinje closed", Some("kosovo"), &["north", "border"]),
        ("Jarinje closed", Some("serbia"), &["north", "border"]),
        (
            "Jarinje closed",
            Some("albania"),
            &["border", "albania-only"],
        ),
        ("Jarinje closed", Some("montenegro"), &["border"]),
        ("Jarinje closed", None, &["border"]),
        ("Звечан", Some("kosovo"), &["north"]),
        ("Звечан", None, &[]),
        ("nothing here", Some("kosovo"), &[]),
    ];
    for (text, region, want) in table {
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            m.topics_in(text, *region),
            want,
            "topics_in({text:?}, {region:?})"
        );
    }
    assert_eq!(m.topics("Jarinje"), m.topics_in("Jarinje", None));
}

#[test]
fn fingerprint_tracks_regions_and_keeps_old_configs_stable() {
    let plain = Matcher::new(&config()).unwrap().fingerprint();
    let mut c = config();
    c[0].regions = vec!["kosovo".into()];
    let one = Matcher::new(&c).unwrap().fingerprint();
    c[0].regions.push("serbia".into());
    let two = Matcher::new(&c).unwrap().fingerprint();
    let mut moved = config();
    moved[1].regions = vec!["kosovo".into()];
    let other = Matcher::new(&moved).unwrap().fingerprint();
    let all = [&plain, &one, &two, &other];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
    // The fingerprint of a config without regions is what it was before
    // regions existed (stored tags stay valid across the upgrade).
    assert_eq!(
        plain,
        "02ac0e0d8bc3b367fbb8e6268a2480ff5dbc4579c2d3f75b6af2fbff33fb8d3e"
    );
}

/// The scan must find exactly what a substring search for every padded
/// pattern finds, however keywords overlap or nest.
#[test]
fn scan_agrees_with_a_brute_force_search() {
    let words = [
        "eu", "army", "base", "camp", "nato", "eus", "armyworm", "kfor", "x",
    ];
    let topics = vec![
        topic("a", &["EU"], &[]),
        topic("b", &["EU army"], &[]),
        topic("c", &["army base"], &["base camp"]),
        topic("d", &["army*"], &[]),
        topic("e", &["eu army base camp"], &[]),
        topic("f", &["base"], &["nato"]),
        topic("g", &["Eu*"], &["kfor x"]),
        topic("h", &["camp nato", "nato eu"], &[]),
    ];
    let m = Matcher::new(&topics).unwrap();
    let pattern = |k: &str| {
        let (stem, prefix) = match k.strip_suffix('*') {
            Some(s) => (s, true),
            None => (k, false),
        };
        let mut f = String::new();
        fold(stem, &mut f);
        format!(" {f}{}", if prefix { "" } else { " " })
    };
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..5_000 {
        let mut text = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = 1 + (state % 9) as usize;
        let mut s = state;
        for i in 0..n {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(words[(s % words.len() as u64) as usize]);
            s /= words.len() as u64;
        }
        let mut folded = String::new();
        fold(&text, &mut folded);
        let hay = format!(" {folded} ");
        let want: Vec<String> = topics
            .iter()
            .filter(|t| {
                t.keywords.iter().any(|k| hay.contains(&pattern(k)))
                    && !t.exclude.iter().any(|k| hay.contains(&pattern(k)))
            })
            .map(|t| t.name.clone())
            .collect();
        assert_eq!(m.topics(&text), want, "{text:?}");
        assert_eq!(m.topics_in_folded(&folded, None), want, "{text:?}");
    }
}
