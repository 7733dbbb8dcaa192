//! CPU time of the calling thread, and medians of timed rounds: timings
//! that other work on a shared machine does not inflate.
#![allow(dead_code)]

use std::time::Duration;

/// CPU time of the calling thread.
pub fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to write into, and the
    // clock id is a constant.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Runs `round` `rounds` times (at least once); each run returns how many
/// units (items, calls) it did. Returns the median, lowest and highest CPU
/// µs per unit over the rounds.
pub fn us_per_unit(rounds: usize, mut round: impl FnMut() -> usize) -> (f64, f64, f64) {
    let mut samples: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let started = thread_cpu();
            let units = round().max(1);
            (thread_cpu() - started).as_secs_f64() * 1e6 / units as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    (
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
    )
}
