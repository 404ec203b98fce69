#![no_main]
//! Fuzz target `path`: see `http_fuzz::path` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| http_fuzz::path(data));
