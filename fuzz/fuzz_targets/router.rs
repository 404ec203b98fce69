#![no_main]
//! Fuzz target `router`: see `http_fuzz::router` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| http_fuzz::router(data));
