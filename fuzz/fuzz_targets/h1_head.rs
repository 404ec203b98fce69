#![no_main]
//! Fuzz target `h1_head`: see `http_fuzz::h1_head` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| http_fuzz::h1_head(data));
