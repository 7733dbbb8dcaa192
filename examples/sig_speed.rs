//! Speed of the near-duplicate signature (`feedmill::store::near`).
//!
//! `cargo run --release --example sig_speed [ROUNDS]` makes the signature of
//! four fixed items (a 12-word title and a 55-word lead each: Serbian Latin
//! and Cyrillic, Albanian, English) many times and prints the median thread
//! CPU time per signature over ROUNDS rounds (default 15): title and lead,
//! title alone, and the index and lookup keys of a made signature.
//!
//! `sig_speed ROUNDS both|title|keys` times one of them only, for counting
//! instructions (`perf stat -e instructions`), which a busy machine does not
//! blur the way it does times.

use std::hint::black_box;

use feedmill::store::near::Signature;

#[path = "../benches/common/cpu.rs"]
mod cpu;

const ITEMS: [(&str, &str); 4] = [
    (
        "FOTO: Vučić u Beogradu sa predsednicima regiona o 3.500 novih radnih mesta",
        "Predsednik Srbije Aleksandar Vučić izjavio je danas u Beogradu, nakon sastanka sa \
         predsednicima zemalja regiona, da će nova fabrika u Kragujevcu zaposliti 3.500 radnika \
         do kraja 2026. godine. On je rekao da je dogovor postignut u utorak i da Srbija očekuje \
         investicije vredne 1,2 milijarde evra u narednih pet godina, a da će prvi radnici \
         početi sa radom već u martu.",
    ),
    (
        "Вучић у Београду са председницима региона о 3.500 нових радних места данас",
        "Председник Србије Александар Вучић изјавио је данас у Београду, након састанка са \
         председницима земаља региона, да ће нова фабрика у Крагујевцу запослити 3.500 радника \
         до краја 2026. године. Он је рекао да је договор постигнут у уторак и да Србија очекује \
         инвестиције вредне 1,2 милијарде евра у наредних пет година, а да ће први радници \
         почети са радом већ у марту.",
    ),
    (
        "Kurti takon Escobarin në Prishtinë për dialogun me Serbinë, tha zyra",
        "Kryeministri i Kosovës Albin Kurti u takua sot në Prishtinë me të dërguarin amerikan \
         Gabriel Escobar, me të cilin diskutoi për dialogun me Serbinë dhe për zbatimin e \
         marrëveshjes së arritur në Ohër. Sipas zyrës së Kurtit, takimi zgjati dy orë dhe u \
         fokusua në çështjet e sigurisë në veri, ku jetojnë rreth 50,000 qytetarë, si dhe në \
         targat e automjeteve dhe energjinë elektrike.",
    ),
    (
        "UPDATED: Three injured after storm hits northern Albania on Monday night",
        "Three people were injured and more than 1,200 homes were left without power after a \
         violent storm hit northern Albania on Monday night, the civil protection agency said \
         on Tuesday. Shkodër and Lezhë were the worst affected, with fallen trees blocking \
         several roads and flooding in low-lying areas. Emergency crews worked through the \
         night, and the government said it would assess the damage before announcing aid.",
    ),
];

/// Median µs per call of `f` over `rounds` rounds of `per_round` calls.
fn time(rounds: usize, per_round: usize, mut f: impl FnMut(usize)) -> f64 {
    cpu::us_per_unit(rounds, || {
        for i in 0..per_round {
            f(i);
        }
        per_round
    })
    .0
}

fn main() {
    let rounds = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    let only = std::env::args().nth(2);
    let run = |what: &str| only.as_deref().is_none_or(|o| o == what);
    const N: usize = 20_000;
    if run("both") {
        let both = time(rounds, N, |i| {
            let (t, l) = ITEMS[i % ITEMS.len()];
            black_box(Signature::new(black_box(t), Some(black_box(l))));
        });
        println!("title + lead      {both:8.2} µs/signature");
    }
    if run("title") {
        let title = time(rounds, N, |i| {
            let (t, _) = ITEMS[i % ITEMS.len()];
            black_box(Signature::new(black_box(t), None));
        });
        println!("title only        {title:8.2} µs/signature");
    }
    if !run("keys") {
        return;
    }
    let sigs: Vec<Signature> = ITEMS
        .iter()
        .map(|(t, l)| Signature::new(t, Some(l)))
        .collect();
    let keys = time(rounds, N, |i| {
        let s = &sigs[i % sigs.len()];
        black_box(s.index_keys());
        black_box(s.lookup_keys());
    });
    println!("index + lookup    {keys:8.2} µs/signature");
}
