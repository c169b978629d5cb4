//! Benchmarks for tlspin (issue #7): the cost of each verifier against the floor (one handshake
//! signature check) and against rustls' stock `WebPkiServerVerifier`, full handshakes, scale and
//! concurrency. The criterion benches (`benches/`) and the `report` binary (interleaved A/B
//! ratios, callgrind instruction counts) share the fixtures and cases defined here, so every
//! method measures exactly the same work.
#![deny(unsafe_code)]

pub mod alloc;
pub mod cases;
pub mod concurrency;
pub mod fixtures;
pub mod handshake;
pub mod latency;
pub mod measure;
pub mod scale;
