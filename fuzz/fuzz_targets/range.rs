#![no_main]
//! Fuzz target `range`: see `http_fuzz::range` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| http_fuzz::range(data));
