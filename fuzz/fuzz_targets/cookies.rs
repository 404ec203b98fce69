#![no_main]
//! Fuzz target `cookies`: see `http_fuzz::cookies` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| http_fuzz::cookies(data));
