//! The deterministic feed corpus shared by the e2e, parse and ingest
//! benchmarks: RSS 2.0 and Atom, HTML summaries in English, Albanian and
//! Serbian Latin and Cyrillic, ~10% of stories syndicated across feeds
//! under other links, tracking parameters on links.
//!
//! Its feeds must stay byte-identical: the e2e benchmark's expected counts
//! (6218/614 at N = 100, 58688/5869 at N = 1,000) and every figure
//! published from these benchmarks depend on it.
#![allow(dead_code)]

use crate::rng::Rng;

/// The vocabulary of feed texts, by language: English, Albanian, Serbian
/// Latin, Serbian Cyrillic (feed `f` uses `[EN, SQ, SR_LATN, SR_CYRL][f % 4]`).
pub const EN: &[&str] = &[
    "government",
    "minister",
    "Kosovo",
    "Serbia",
    "Albania",
    "elections",
    "energy",
    "prices",
    "parliament",
    "agreement",
    "border",
    "police",
    "NATO",
    "KFOR",
    "Brussels",
    "dialogue",
    "economy",
    "investment",
    "protest",
    "court",
    "municipality",
    "budget",
    "road",
    "power",
];
pub const SQ: &[&str] = &[
    "qeveria",
    "ministri",
    "Kosova",
    "Serbia",
    "Shqipëria",
    "zgjedhjet",
    "energjia",
    "çmimet",
    "kuvendi",
    "marrëveshja",
    "kufiri",
    "policia",
    "NATO",
    "KFOR",
    "Brukseli",
    "dialogu",
    "ekonomia",
    "investimi",
    "protesta",
    "gjykata",
    "komuna",
    "buxheti",
    "rruga",
    "rryma",
];
pub const SR_LATN: &[&str] = &[
    "vlada",
    "ministar",
    "Kosovo",
    "Srbija",
    "Albanija",
    "izbori",
    "energija",
    "cene",
    "skupština",
    "sporazum",
    "granica",
    "policija",
    "NATO",
    "KFOR",
    "Brisel",
    "dijalog",
    "ekonomija",
    "investicija",
    "protest",
    "sud",
    "opština",
    "budžet",
    "put",
    "struja",
];
pub const SR_CYRL: &[&str] = &[
    "влада",
    "министар",
    "Косово",
    "Србија",
    "Албанија",
    "избори",
    "енергија",
    "цене",
    "скупштина",
    "споразум",
    "граница",
    "полиција",
    "НАТО",
    "КФОР",
    "Брисел",
    "дијалог",
    "економија",
    "инвестиција",
    "протест",
    "суд",
    "општина",
    "буџет",
    "пут",
    "струја",
];

struct Story {
    /// The feed that published it first.
    feed: usize,
    title: String,
    summary: String,
    /// Minutes after the corpus epoch.
    minute: u64,
}

/// A generated corpus and the generator's own counts, which a correct
/// ingest must reproduce (items stored, duplicates merged).
pub struct Corpus {
    /// (path, content type, body), one per feed, in feed order.
    pub feeds: Vec<(String, &'static str, Vec<u8>)>,
    /// Items over all feeds.
    pub items: usize,
    /// Items that are another feed's story under this feed's own link.
    pub syndicated: usize,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `n` words of `words`, space-separated.
pub fn sentence(rng: &mut Rng, words: &[&str], n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick(words));
    }
    out
}

/// The corpus of `n_feeds` feeds: feed `f` is RSS 2.0 when `f` is even and
/// Atom when odd, in English, Albanian, Serbian Latin or Serbian Cyrillic
/// by `f % 4`, with 20-100 items.
pub fn generate(n_feeds: usize) -> Corpus {
    generate_with(n_feeds, None)
}

/// [`generate`] with every feed holding `per_feed` items instead of 20-100
/// (generated the same way otherwise).
pub fn generate_with(n_feeds: usize, per_feed: Option<usize>) -> Corpus {
    let mut rng = Rng(0x5eed_f00d ^ n_feeds as u64);
    let mut pool: Vec<Story> = Vec::new();
    let mut feeds = Vec::with_capacity(n_feeds);
    let (mut items, mut syndicated) = (0, 0);
    let mut serial = 0u64;
    let mut carried: std::collections::HashSet<(usize, usize)> = Default::default();
    for f in 0..n_feeds {
        let words = [EN, SQ, SR_LATN, SR_CYRL][f % 4];
        let atom = f % 2 == 1;
        let host = format!("outlet{f}.example");
        let drawn = 20 + rng.below(81);
        let count = per_feed.unwrap_or(drawn);
        let mut entries = String::new();
        for i in 0..count {
            // ~10% are another outlet's story under this outlet's own link
            // (an outlet carries a story once: its own repeats are not copies).
            let pick = (!pool.is_empty() && rng.below(10) == 0).then(|| rng.below(pool.len()));
            let pick = pick.filter(|&p| pool[p].feed != f && !carried.contains(&(f, p)));
            let story = if let Some(p) = pick {
                syndicated += 1;
                carried.insert((f, p));
                let s = &pool[p];
                Story {
                    feed: f,
                    title: s.title.clone(),
                    summary: s.summary.clone(),
                    minute: s.minute + 7,
                }
            } else {
                serial += 1;
                // The serial number keeps generated titles apart: dedup
                // requires numbers in titles to match.
                let title = format!(
                    "{} {} {serial}",
                    sentence(&mut rng, words, 5),
                    rng.pick(words)
                );
                let summary = format!(
                    "<p>{} <b>{}</b> <a href=\"/related/{serial}\">{}</a>.</p><p>{} <img src=\"/img/{serial}.jpg\" alt=\"\"> {}.</p>",
                    sentence(&mut rng, words, 18),
                    sentence(&mut rng, words, 3),
                    sentence(&mut rng, words, 2),
                    sentence(&mut rng, words, 22),
                    sentence(&mut rng, words, 12),
                );
                let story = Story {
                    feed: f,
                    title,
                    summary,
                    minute: (serial * 3) % (72 * 60),
                };
                if pool.len() < 5000 {
                    pool.push(Story {
                        feed: f,
                        title: story.title.clone(),
                        summary: story.summary.clone(),
                        minute: story.minute,
                    });
                }
                story
            };
            items += 1;
            let link = format!(
                "https://www.{host}/news/{f}-{i}?utm_source=rss&amp;utm_medium=feed&amp;id={i}"
            );
            let minute = story.minute;
            let (day, hour, min) = (1 + minute / (24 * 60), (minute / 60) % 24, minute % 60);
            if atom {
                entries.push_str(&format!(
                    "<entry><id>tag:{host},2026:{i}</id><title>{}</title><link rel=\"alternate\" href=\"{link}\"/>\
                     <updated>2026-11-{day:02}T{hour:02}:{min:02}:00Z</updated><author><name>Desk</name></author>\
                     <summary type=\"html\">{}</summary></entry>\n",
                    escape(&story.title),
                    escape(&story.summary)
                ));
            } else {
                entries.push_str(&format!(
                    "<item><title>{}</title><link>{link}</link><guid isPermaLink=\"false\">{host}-{i}</guid>\
                     <pubDate>{} Nov 2026 {hour:02}:{min:02}:00 +0000</pubDate><description>{}</description></item>\n",
                    escape(&story.title),
                    day,
                    escape(&story.summary)
                ));
            }
        }
        let body = if atom {
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
                 <id>https://{host}/</id><title>Outlet {f}</title><updated>2026-11-04T00:00:00Z</updated>\
                 <link rel=\"alternate\" href=\"https://www.{host}/\"/>\n{entries}</feed>\n"
            )
        } else {
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Outlet {f}</title>\
                 <link>https://www.{host}/</link><description>News</description>\n{entries}</channel></rss>\n"
            )
        };
        let ctype = if atom {
            "application/atom+xml"
        } else {
            "application/rss+xml"
        };
        feeds.push((format!("/feed/{f}.xml"), ctype, body.into_bytes()));
    }
    Corpus {
        feeds,
        items,
        syndicated,
    }
}

/// The config of an e2e run (also what the ingest benchmark reads): every
/// feed of the corpus as a source at `base` + its path (regions in turn),
/// three topics with keywords in the four languages.
pub fn config_toml(corpus: &Corpus, base: &str) -> String {
    // A stalled request shows as a failed source (and short counts) after
    // 20 s, rather than dominating the run.
    let mut text = String::from(
        "database = \"feedmill.db\"\n[http]\ntimeout = \"20s\"\n\
         # One host serves every feed here; real sources spread over many hosts.\n\
         concurrency = 32\nper_host = 32\n\
         [output]\npath = \"public/feed.atom\"\nmax_entries = 500\n\
         # Every item stays: pruning (past 100,000 stories by default) is not measured here.\n\
         [retention]\nmax_items = 10000000\n\
         [[topic]]\nname = \"energy\"\nkeywords = [\"energy\", \"energjia\", \"energija\", \"struja\"]\n\
         [[topic]]\nname = \"elections\"\nkeywords = [\"elections\", \"zgjedhjet\", \"izbori\"]\n\
         [[topic]]\nname = \"defense\"\nkeywords = [\"NATO\", \"KFOR\", \"army\"]\n",
    );
    for (i, (path, ..)) in corpus.feeds.iter().enumerate() {
        text.push_str(&format!(
            "[[source]]\nname = \"outlet {i}\"\nurl = \"{base}{path}\"\nregion = \"{}\"\n",
            ["kosovo", "albania", "serbia", "bosnia"][i % 4]
        ));
    }
    text
}

/// One item as a feed body of this generator holds it (XML escapes
/// undone): the normalizer's raw input.
pub struct RawEntry {
    pub title: String,
    /// With its tracking parameters.
    pub link: String,
    pub summary_html: String,
}

/// The items of a feed body of this generator, for benchmarks of the
/// normalizer's steps alone. Reads only this generator's own layout.
pub fn raw_entries(body: &[u8]) -> Vec<RawEntry> {
    let text = String::from_utf8_lossy(body);
    let between = |s: &str, open: &str, close: &str| -> Option<String> {
        let start = s.find(open)? + open.len();
        let len = s[start..].find(close)?;
        Some(unescape(&s[start..start + len]))
    };
    let rss = text.split("<item>").skip(1).filter_map(|item| {
        Some(RawEntry {
            title: between(item, "<title>", "</title>")?,
            link: between(item, "<link>", "</link>")?,
            summary_html: between(item, "<description>", "</description>")?,
        })
    });
    let atom = text.split("<entry>").skip(1).filter_map(|entry| {
        Some(RawEntry {
            title: between(entry, "<title>", "</title>")?,
            link: between(entry, "<link rel=\"alternate\" href=\"", "\"")?,
            summary_html: between(entry, "<summary type=\"html\">", "</summary>")?,
        })
    });
    rss.chain(atom).collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}
