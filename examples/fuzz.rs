//! Stable fuzz harness: `cargo run --release --example fuzz -- COUNT [SEED] [CRASH_DIR]`.
//! Feeds COUNT inputs (mutated shipped scenarios, generated scenarios, byte noise) through
//! parse → validate → budget → compile → a short run, in this process; a panic is caught,
//! its input saved to CRASH_DIR (default `fuzz-crashes/`) and counted; the slowest input is
//! reported (a hang shows there). Exit code 1 when anything panicked. Before each input
//! its index is written to CRASH_DIR/last-input, so that an input the process cannot
//! survive (killed for memory, aborted) is known: `... fuzz -- 1 SEED CRASH_DIR INDEX`
//! replays input INDEX of SEED alone.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};
use tabletop::fuzz::{Verdict, check_input, corpus, generate, rng_for};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seed: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let crash_dir = std::path::PathBuf::from(args.get(2).map_or("fuzz-crashes", |s| s.as_str()));
    let only: Option<u64> = args.get(3).and_then(|a| a.parse().ok());
    let corpus = corpus(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    let _ = std::fs::create_dir_all(&crash_dir);
    let last = crash_dir.join("last-input");
    std::panic::set_hook(Box::new(|_| {}));
    let t0 = Instant::now();
    let (mut rejected, mut over, mut ran, mut panics) = (0u64, 0u64, 0u64, 0u64);
    let mut slowest = (Duration::ZERO, 0u64);
    let range = match only {
        Some(i) => i..i + 1,
        None => 0..count,
    };
    for i in range {
        let _ = std::fs::write(&last, format!("{seed} {i}\n"));
        let input = generate(&corpus, &mut rng_for(seed, i));
        if only.is_some() {
            let _ = std::fs::write(crash_dir.join(format!("input-{seed}-{i}.ron")), &input);
        }
        let t = Instant::now();
        match catch_unwind(AssertUnwindSafe(|| check_input(&input))) {
            Ok(Verdict::Rejected) => rejected += 1,
            Ok(Verdict::OverBudget) => over += 1,
            Ok(Verdict::Ran) => ran += 1,
            Err(_) => {
                panics += 1;
                let _ = std::fs::create_dir_all(&crash_dir);
                let _ = std::fs::write(crash_dir.join(format!("crash-{seed}-{i}.ron")), &input);
            }
        }
        let dt = t.elapsed();
        if dt > slowest.0 {
            slowest = (dt, i);
        }
        if (i + 1) % 100_000 == 0 {
            eprintln!("{} inputs, {:.0} s", i + 1, t0.elapsed().as_secs_f64());
        }
    }
    println!(
        "inputs {count} (seed {seed}): rejected {rejected}, over budget {over}, ran {ran}, \
         panics {panics}; {:.1} s in all, slowest input #{} {:.3} s",
        t0.elapsed().as_secs_f64(),
        slowest.1,
        slowest.0.as_secs_f64()
    );
    if panics > 0 {
        std::process::exit(1);
    }
}
