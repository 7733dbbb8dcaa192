//! End-to-end benchmark: `cargo bench --bench e2e`.
//!
//! Generates a deterministic corpus of N regional feeds (`common/corpus.rs`:
//! RSS 2.0 and Atom, 20-100 items each, HTML summaries in English, Albanian
//! and Serbian Latin and Cyrillic, ~10% of stories syndicated across feeds
//! under other links, tracking parameters on links), serves it from
//! 127.0.0.1 with ETag, Last-Modified, gzip and keep-alive
//! (`common/server.rs`), and times the real release binary: `feedmill once`
//! cold (new database) and warm (second poll, every feed answers 304).
//! Reports medians of wall time, CPU time and peak RSS, with the items
//! stored and duplicates merged (after the cold run) next to the
//! generator's own counts, so a fast but wrong run shows; then the cold
//! run's CPU and wall time per item.
//!
//! Peak RSS is feedmill's own: on Linux, exec records the exec-ing
//! process's high-water mark into the new program's `ru_maxrss`, and std
//! starts children with vfork (sharing the parent's memory), so a child of
//! this process would report the whole corpus held here. Each run therefore
//! goes through a fresh copy of this binary (`--measure-child`), small and
//! holding nothing, which starts feedmill, reaps it with wait4 and prints
//! its figures; the floor this leaves is that helper's own few MB.
//!
//! Environment: `FEEDMILL_BENCH_N` (default "100,1000,10000"),
//! `FEEDMILL_BENCH_RUNS` (default 3), `FEEDMILL_BENCH_KEEP` (a folder: the
//! last run's config, database and output are moved there).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/rng.rs"]
mod rng;

#[path = "common/corpus.rs"]
mod corpus;

#[path = "common/server.rs"]
mod server;

#[path = "common/mode.rs"]
mod mode;

/// The private first argument that makes this binary the measuring helper.
const MEASURE_CHILD: &str = "--measure-child";

struct Measured {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
}

/// The helper: `--measure-child -- PROGRAM ARGS…` runs PROGRAM with its
/// output discarded, waits for it with wait4, and prints
/// `wall_us cpu_us maxrss_kib exit_code` on one line (exit code -1 when a
/// signal ended it). Returns the helper's exit status.
// The child is reaped by wait4 (which std's wait cannot replace: it gives no rusage).
#[allow(clippy::zombie_processes)]
fn measure_child(args: &[String]) -> i32 {
    let Some((program, rest)) = args.split_first() else {
        eprintln!("{MEASURE_CHILD}: usage: {MEASURE_CHILD} -- PROGRAM [ARGS...]");
        return 2;
    };
    let start = Instant::now();
    let child = match Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("{MEASURE_CHILD}: cannot start {program}: {e}");
            return 1;
        }
    };
    let mut status = 0;
    // SAFETY: rusage is plain old data, and wait4 is given the pid of our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if pid <= 0 {
        eprintln!(
            "{MEASURE_CHILD}: wait4 failed: {}",
            std::io::Error::last_os_error()
        );
        return 1;
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    println!(
        "{} {} {} {code}",
        wall.as_micros(),
        (tv(usage.ru_utime) + tv(usage.ru_stime)).as_micros(),
        usage.ru_maxrss
    );
    0
}

/// Runs `feedmill --config CONFIG once` through the measuring helper.
fn run_once(config: &Path) -> Measured {
    let me = std::env::current_exe().expect("path of the benchmark binary");
    let output = Command::new(me)
        .arg(MEASURE_CHILD)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_feedmill"))
        .arg("--config")
        .arg(config)
        .arg("--log-level")
        .arg("error")
        .arg("once")
        .stderr(Stdio::inherit())
        .output()
        .expect("start the measuring helper");
    let line = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<i64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    assert!(
        output.status.success() && fields.len() == 4,
        "the measuring helper failed: {line:?}"
    );
    assert_eq!(
        fields[3], 0,
        "feedmill once failed (exit status {})",
        fields[3]
    );
    Measured {
        wall: Duration::from_micros(fields[0] as u64),
        cpu: Duration::from_micros(fields[1] as u64),
        max_rss_kib: fields[2],
    }
}

/// What a run left in the database.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    /// Items stored (one per source and item).
    copies: i64,
    /// Copies that joined a story another copy started.
    merged: i64,
    /// Sources whose last poll failed.
    failed: i64,
}

fn counts(dir: &Path) -> Counts {
    let db = rusqlite::Connection::open(dir.join("feedmill.db")).expect("open the database");
    let count = |sql: &str| {
        db.query_row(sql, [], |r| r.get::<_, i64>(0))
            .expect("count rows")
    };
    let copies = count("SELECT count(*) FROM copies");
    Counts {
        copies,
        merged: copies - count("SELECT count(*) FROM stories"),
        failed: count("SELECT count(*) FROM sources WHERE consecutive_failures > 0"),
    }
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(MEASURE_CHILD) {
        let rest = match args.get(2).map(String::as_str) {
            Some("--") => &args[3..],
            _ => &args[2..],
        };
        std::process::exit(measure_child(rest));
    }
    // Only `cargo bench` measures: `cargo test --benches` runs this with
    // no argument, and it would take minutes.
    if !mode::measuring() {
        println!("e2e: not run as a test (use `cargo bench --bench e2e`)");
        return;
    }
    let sizes: Vec<usize> = std::env::var("FEEDMILL_BENCH_N")
        .unwrap_or_else(|_| "100,1000,10000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("FEEDMILL_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    println!(
        "{:>6} {:>5} | {:>9} {:>9} {:>8} | {:>9} {:>9} {:>8} | {:>8} {:>8} {:>8}",
        "N",
        "runs",
        "cold wall",
        "cold cpu",
        "cold RSS",
        "warm wall",
        "warm cpu",
        "warm RSS",
        "items",
        "merged",
        "expected"
    );
    for n in sizes {
        let corpus = corpus::generate(n);
        let server = server::serve(&corpus.feeds);
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        let mut last = Counts::default();
        for _ in 0..runs.max(1) {
            let dir = tempfile::tempdir().expect("tempdir");
            let config = dir.path().join("feedmill.toml");
            std::fs::write(&config, corpus::config_toml(&corpus, &server.base))
                .expect("write config");
            cold.push(run_once(&config));
            let after_cold = counts(dir.path());
            warm.push(run_once(&config));
            let after_warm = counts(dir.path());
            // Counted after the cold run: a warm run would fetch what a
            // failed cold request missed and hide it.
            if after_cold.failed > 0
                || after_warm
                    != (Counts {
                        failed: 0,
                        ..after_cold
                    })
            {
                println!(
                    "  warning: N = {n}: after cold {after_cold:?}, after warm {after_warm:?} \
                     (a failed source is a timeout or a refused request)"
                );
            }
            last = after_cold;
            if let Some(keep) = std::env::var_os("FEEDMILL_BENCH_KEEP") {
                let _ = std::fs::remove_dir_all(&keep);
                let _ = std::fs::rename(dir.path(), &keep);
            }
        }
        drop(server);
        let ms = |d: Duration| format!("{:.3}s", d.as_secs_f64());
        let mib = |k: i64| format!("{:.1}M", k as f64 / 1024.0);
        let cold_wall = median(cold.iter().map(|m| m.wall).collect());
        let cold_cpu = median(cold.iter().map(|m| m.cpu).collect());
        println!(
            "{:>6} {:>5} | {:>9} {:>9} {:>8} | {:>9} {:>9} {:>8} | {:>8} {:>8} {:>8}",
            n,
            runs,
            ms(cold_wall),
            ms(cold_cpu),
            mib(median(cold.iter().map(|m| m.max_rss_kib).collect())),
            ms(median(warm.iter().map(|m| m.wall).collect())),
            ms(median(warm.iter().map(|m| m.cpu).collect())),
            mib(median(warm.iter().map(|m| m.max_rss_kib).collect())),
            last.copies,
            last.merged,
            format!("{}/{}", corpus.items, corpus.syndicated),
        );
        let per_item = |d: Duration| d.as_secs_f64() * 1e6 / corpus.items.max(1) as f64;
        println!(
            "{:>12} cold per item: {:.1} µs CPU, {:.1} µs wall ({:.0} items/s of CPU); slowest cold wall {}",
            "",
            per_item(cold_cpu),
            per_item(cold_wall),
            corpus.items as f64 / cold_cpu.as_secs_f64().max(1e-9),
            ms(cold.iter().map(|m| m.wall).max().unwrap_or_default()),
        );
    }
}
