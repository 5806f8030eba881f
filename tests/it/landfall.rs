//! The shipped all-hazards scenario: every baseline objective is neither certain nor hopeless,
//! and each study recommendation's variant moves the objective it targets, in paired runs.

use std::path::Path;
use tabletop::scenario::{ValidScenario, load};
use tabletop::sim::{Model, RunOptions, RunSeed};

const RUNS: u64 = 300;

/// Per objective: met (1/0) in each of `RUNS` runs on seed 1.
fn met(s: &ValidScenario) -> Vec<Vec<f64>> {
    let m = Model::new(s);
    let outs: Vec<_> = (0..RUNS)
        .map(|i| {
            m.run(
                RunSeed {
                    master: 1,
                    run_index: i,
                },
                RunOptions::default(),
            )
        })
        .collect();
    (0..s.spec().objectives.len())
        .map(|o| {
            outs.iter()
                .map(|r| f64::from(u8::from(r.objectives[o].met)))
                .collect()
        })
        .collect()
}

fn landfall() -> ValidScenario {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/landfall.ron"))
        .expect("landfall validates")
}

#[test]
fn every_baseline_objective_is_met_in_some_runs_and_missed_in_others() {
    let s = landfall();
    for (o, xs) in s.spec().objectives.iter().zip(met(&s)) {
        let p = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((0.2..=0.95).contains(&p), "{}: P(met) {p}", o.id);
    }
}

#[test]
fn each_recommendation_variant_moves_the_objective_it_targets() {
    let s = landfall();
    let base = met(&s);
    let ix = |id: &str| {
        s.spec()
            .objectives
            .iter()
            .position(|o| o.id == id)
            .expect("objective")
    };
    for (variant, objective) in [
        ("prestaged-aid", "restore30"),
        ("prestaged-aid", "first_power"),
        ("text-to-911", "911"),
        ("joint-sheltering", "shelter"),
        ("vendor-reporting", "cad"),
    ] {
        let v = met(&s.with_variant(variant).expect("variant applies"));
        let o = ix(objective);
        // Paired differences on common random numbers: mean above 2 standard errors.
        let d: Vec<f64> = v[o].iter().zip(&base[o]).map(|(a, b)| a - b).collect();
        let n = d.len() as f64;
        let mean = d.iter().sum::<f64>() / n;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        assert!(
            mean > 2.0 * sd / n.sqrt(),
            "{variant} on {objective}: {mean} ± {}",
            sd / n.sqrt()
        );
    }
}
