#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tlspin_fuzz::known_hosts(data));
