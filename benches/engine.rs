//! Engine benchmarks (filled in by the simulation core).
fn main() {}
