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
