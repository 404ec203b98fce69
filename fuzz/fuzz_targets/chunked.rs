#![no_main]
//! Fuzz target `chunked`: see `http_fuzz::chunked` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| http_fuzz::chunked(data));
