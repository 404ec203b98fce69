#![no_main]
//! Fuzz target `sse`: see `http_fuzz::sse` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| http_fuzz::sse(data));
