//! Feed parsing, normalizing and sanitizing: see `checks::parse_feed`.
#![no_main]

mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::parse_feed(data));
