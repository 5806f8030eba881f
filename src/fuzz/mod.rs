//! The fuzz harness's in-process target and input generator (feature `test-support`): the
//! whole path parse → validate → budget check → compile → a short run, for one input, and
//! the inputs a stable run feeds it: mutated shipped scenarios, generated scenarios and byte
//! noise. `cargo +nightly fuzz run scenario` (in `fuzz/`) and `cargo run --release
//! --example fuzz -- COUNT` both call [`check_input`]; `tests/it/fuzz.rs` runs a bounded
//! number in CI and replays every crash kept in `tests/fixtures/fuzz/`.

use crate::scenario;
use crate::sim::{Model, RunOptions, RunSeed};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// Work limit of a fuzzed run (units of `scenario::budget`): inputs above it are refused by
/// the budget check, which is itself under test, and never run.
pub const FUZZ_MAX_WORK: f64 = 2.0e6;

/// How one input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not a scenario (syntax, types, validation): a diagnostic, as it should be.
    Rejected,
    /// Valid but refused by the work/memory budget.
    OverBudget,
    /// Valid, compiled and run.
    Ran,
}

/// Run one input through the whole path. A panic propagates (the callers catch it).
pub fn check_input(bytes: &[u8]) -> Verdict {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Verdict::Rejected;
    };
    let Ok(sc) = scenario::load_str(Path::new("fuzz.ron"), text) else {
        return Verdict::Rejected;
    };
    // Diagnostics must render without panicking too.
    for w in sc.warnings() {
        let _ = w.len();
    }
    if scenario::budget::check(&sc, FUZZ_MAX_WORK).is_err() {
        return Verdict::OverBudget;
    }
    let model = Model::new(&sc);
    let _ = model.run(
        RunSeed {
            master: 1,
            run_index: 0,
        },
        RunOptions { timeline: true },
    );
    Verdict::Ran
}

/// Seed corpus: the shipped scenarios, the starter and the batch fixture.
pub fn corpus(root: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["scenarios", "tests/fixtures"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            let mut ps: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            ps.sort();
            for p in ps {
                if p.extension().is_some_and(|x| x == "ron")
                    && let Ok(b) = std::fs::read(&p)
                {
                    out.push(b);
                }
            }
        }
    }
    out.push(scenario::starter("Fuzz").into_bytes());
    out
}

const TOKENS: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "NaN",
    "inf",
    "0.0",
    "hours(0)",
    "days(365)",
    "minutes(0)",
    "seconds(1)",
    "\"\"",
    "[]",
    "()",
    "Some(",
    "None",
    ")",
    "]",
    ",",
    ":",
    "\"x\"",
    "\"\u{202e}\"",
    "<script>",
    "=1+1",
    "../",
    "\\",
    "r#\"",
    "/*",
    "//",
    "99999999999",
    "18446744073709551616",
    "true",
    "false",
];

/// A random input: a mutated corpus entry (most), a generated scenario from the starter
/// with its numbers changed, or byte noise.
pub fn generate(corpus: &[Vec<u8>], rng: &mut ChaCha8Rng) -> Vec<u8> {
    match rng.random_range(0..20) {
        0 => (0..rng.random_range(0..512))
            .map(|_| rng.random::<u8>())
            .collect(),
        1..=3 => generated(rng),
        _ => {
            let base = &corpus[rng.random_range(0..corpus.len())];
            mutate(base, rng)
        }
    }
}

/// The starter scenario with every number replaced, at random, by another.
fn generated(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let s = scenario::starter("Generated");
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut num = String::from(c);
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || d == '.' {
                    num.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            if rng.random_bool(0.3) {
                let v = match rng.random_range(0..4) {
                    0 => rng.random_range(0..3).to_string(),
                    1 => format!("{:.3}", rng.random::<f64>()),
                    2 => rng.random_range(0..100_000u64).to_string(),
                    _ => format!("{}.5", rng.random_range(0..50)),
                };
                out.push_str(&v);
            } else {
                out.push_str(&num);
            }
        } else {
            out.push(c);
        }
    }
    out.into_bytes()
}

/// 1–4 mutations: byte flip, token insertion, deletion, line duplication or swap, number
/// change.
pub fn mutate(base: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        if b.is_empty() {
            b.push(b'(');
        }
        let at = rng.random_range(0..b.len());
        match rng.random_range(0..7) {
            0 => b[at] = rng.random(),
            1 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                b.splice(at..at, t.bytes());
            }
            2 => {
                let end = (at + rng.random_range(1..64)).min(b.len());
                b.drain(at..end);
            }
            3 | 4 => {
                // A whole line duplicated or moved.
                let start = b[..at]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |i| i + 1);
                let end = b[at..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |i| at + i + 1);
                let line: Vec<u8> = b[start..end].to_vec();
                let to = rng.random_range(0..b.len());
                if rng.random_bool(0.5) {
                    b.drain(start..end);
                }
                let to = to.min(b.len());
                b.splice(to..to, line);
            }
            _ => {
                // A digit run replaced.
                if let Some(p) = b[at..].iter().position(u8::is_ascii_digit) {
                    let p = at + p;
                    let q = b[p..]
                        .iter()
                        .position(|c| !c.is_ascii_digit())
                        .map_or(b.len(), |i| p + i);
                    let v = match rng.random_range(0..4) {
                        0 => "0".to_string(),
                        1 => rng.random::<u32>().to_string(),
                        2 => format!("0.{}", rng.random_range(0..1000)),
                        _ => rng.random_range(0..10).to_string(),
                    };
                    b.splice(p..q, v.bytes());
                }
            }
        }
    }
    b
}

/// A seeded generator for input `i` of a run with master seed `seed` (each input
/// reproducible on its own).
pub fn rng_for(seed: u64, i: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(i);
    let _ = r.next_u64();
    r
}
