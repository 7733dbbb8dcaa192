//! The canonical link: see `checks::canonical_link_key`.
#![no_main]

mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::canonical_link_key(data));
