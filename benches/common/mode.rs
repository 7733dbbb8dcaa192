//! Whether a benchmark binary runs for measurement or as a test.
#![allow(dead_code)]

/// True under `cargo bench` (`--bench` given, without `--test` or
/// `--list`): the full measurement. `cargo test --benches` runs the
/// benchmark binaries with no argument at all, and criterion runs each
/// benchmark once then; those runs take small inputs (or skip) so tests
/// stay fast.
pub fn measuring() -> bool {
    let mut bench = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--test" | "--list" => return false,
            "--bench" => bench = true,
            _ => {}
        }
    }
    bench
}
