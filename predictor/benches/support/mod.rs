//! Helpers for the benchmarks in this directory (a folder, so Cargo does not take it for a bench).

pub mod cpu_time;
