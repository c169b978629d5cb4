#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tlspin_fuzz::probe_parse(data));
