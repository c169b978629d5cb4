#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tlspin_fuzz::starttls_pop3(data));
