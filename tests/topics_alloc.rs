//! Folding and matching allocate nothing per keyword: tagging an item costs
//! the same allocations (only its result) with 10 keywords or 1,000.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use feedmill::config::TopicConfig;
use feedmill::topics::{fold, Matcher};

/// Counts allocations made on the current thread while `COUNTING` is set.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

fn topics(keywords: usize) -> Vec<TopicConfig> {
    (0..10)
        .map(|t| TopicConfig {
            name: format!("topic-{t}"),
            label: None,
            keywords: (0..keywords / 10)
                .map(|k| match k % 3 {
                    0 => format!("kljuc{t}x{k}"),
                    1 => format!("Вучић{t} {k}"),
                    _ => format!("Kosov{t}y{k}*"),
                })
                .chain([format!("tema{t}")])
                .collect(),
            exclude: vec![format!("iskljuci{t}")],
            regions: Vec::new(),
        })
        .collect()
}

#[test]
fn folding_and_matching_allocate_nothing_per_keyword() {
    const TEXT: &str = "Vučić: Srbija neće priznati nezavisnost Kosova.\nПредседник Србије \
        Александар Вучић изјавио је данас... Thaçi në Hagë; ÇMIMI I NAFTËS tema3 rritet.";
    let small = Matcher::new(&topics(10)).unwrap_or_else(|e| panic!("{e}"));
    let large = Matcher::new(&topics(1_000)).unwrap_or_else(|e| panic!("{e}"));
    // Warm up the per-thread buffers and the folding table.
    let _ = (small.topics(TEXT), large.topics(TEXT));
    let mut buf = String::with_capacity(4 * TEXT.len());
    fold(TEXT, &mut buf);

    assert_eq!(
        allocations(|| fold(TEXT, &mut buf)),
        0,
        "fold into a buffer"
    );
    for (name, m) in [("10 keywords", &small), ("1,000 keywords", &large)] {
        let mut got = Vec::new();
        let n = allocations(|| got = m.topics(TEXT));
        assert_eq!(got, vec!["topic-3"], "{name}");
        // The result: one Vec and one String per topic name.
        assert_eq!(n, 2, "{name}: {n} allocations");
        let none = allocations(|| got = m.topics("nothing to see"));
        assert!(got.is_empty());
        assert_eq!(none, 0, "{name}: {none} allocations for no topic");
        let folded = allocations(|| got = m.topics_in_folded(&buf, None));
        assert_eq!((folded, got.len()), (2, 1), "{name}: pre-folded text");
    }
}
