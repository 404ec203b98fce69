#![no_main]
//! Fuzz target `conditional`: see `http_fuzz::conditional` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| http_fuzz::conditional(data));
