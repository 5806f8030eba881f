//! Evidence judged (docs/model.md §12): a signal-detection judgement of each analysed item at
//! the agencies that act on its threat, corroboration by independent sources (signals), and
//! regional knowledge that sharpens the judgement instead of lowering the threshold.

use super::{Sim, threat_t};
use crate::sim::response::{criterion, judge_items, take_actions};
use crate::sim::state::{Items, judged_true};
use statrs::distribution::{ContinuousCDF, Normal};

/// A responder `a` acting on Cyber with corroboration `k`, a partner `b` that may give it
/// regional knowledge (`benefit`), and threat `t` with truth probability `truth`.
fn desk(k: u32, truth: f64, benefit: &str, quality: f64) -> String {
    format!(
        r#"
  agencies: [
    (id: "a", name: "Alpha", kind: FusionCenter, acts_on: [Cyber], analysis_quality: {quality}),
    (id: "b", name: "Bravo", kind: Ngo),
  ],
  channels: [(id: "c", name: "Wire", max_class: Cui, latency: Fixed(hours(1)))],
  partnerships: [(id: "p", from: "b", to: "a", direction: OneWay, channels: ["c"], benefits: [{benefit}])],
  {}
"#,
        threat_t(
            "Unclassified, tlp: Green",
            &format!(
                "truth_probability: {truth}, response: (action: Warn, corroboration: Some({k})),"
            )
        )
        .replace("response: (action: Warn), ", "")
    )
}

/// Add an item on `t` by `a` with source `signal` (None: its own), truth and ambiguity `z`.
fn item(sim: &mut Sim, signal: Option<u32>, truth: bool, z: f32) -> u32 {
    let ix = sim.item("t", "a", 0.0);
    let mut items = sim.world.resource_mut::<Items>();
    let it = &mut items.0[ix as usize];
    it.signal = signal.unwrap_or(ix);
    it.truth = truth;
    it.evidence = z;
    ix
}

fn judge(sim: &mut Sim, item: u32, t: f64) {
    sim.at(0).refresh().analysed("a", item, t).run(judge_items);
    sim.clear::<crate::sim::state::Analysed>();
}

#[test]
fn the_criterion_reproduces_the_base_recognition_rate_and_skill_raises_both_hit_rates() {
    let phi = |x: f64| Normal::standard().cdf(x);
    for (f, d0) in [(0.5, 2.0), (0.75, 1.0), (0.3, 3.0)] {
        let c = criterion(f, d0);
        // P(recognise false) = Φ(d′/2 + c) = f at the base d′.
        assert!((phi(d0 / 2.0 + c) - f).abs() < 1e-9);
        // More skill: both P(recognise false) and P(accept true) = Φ(d′/2 − c) rise.
        let d = d0 + 1.0;
        assert!(phi(d / 2.0 + c) > f && phi(d / 2.0 - c) > phi(d0 / 2.0 - c));
    }
    assert_eq!(criterion(0.0, 2.0), f64::NEG_INFINITY);
    assert_eq!(criterion(1.0, 2.0), f64::INFINITY);
    // The judgement follows x = ±d′/2 + z against c, at the boundary exactly.
    assert!(judged_true(true, -0.9, 2.0, -1.0));
    assert!(!judged_true(true, -2.1, 2.0, -1.0));
    assert!(judged_true(false, 0.1, 2.0, -1.0));
    assert!(!judged_true(false, -0.1, 2.0, -1.0));
}

#[test]
fn two_observations_of_one_signal_corroborate_once_and_a_second_signal_decides() {
    let mut sim = Sim::new(&desk(2, 1.0, "", 0.0));
    let (a, t) = (sim.agency("a").ix(), sim.threat("t").ix());
    let first = item(&mut sim, None, true, 0.0);
    let echo = item(&mut sim, Some(first), true, 0.0);
    judge(&mut sim, first, 0.5);
    judge(&mut sim, echo, 0.6);
    assert_eq!(sim.agencies().holdings[a].evidence[t], 1);
    sim.run(take_actions);
    assert!(
        !sim.agencies().holdings[a].decided[t],
        "one source is not two"
    );
    let other = item(&mut sim, None, true, 0.0);
    judge(&mut sim, other, 0.7);
    assert_eq!(sim.agencies().holdings[a].evidence[t], 2);
    assert_eq!(sim.agencies().holdings[a].evidence_at[t], 0.7);
    sim.run(take_actions);
    assert!(sim.agencies().holdings[a].decided[t]);
}

#[test]
fn regional_knowledge_sharpens_judgement_both_ways_instead_of_lowering_the_threshold() {
    // Defaults: d′ = 2, false_recognition 0.5, so c = −1; the knowledge adds d′ 1 → 3.
    let none = desk(1, 0.0, "", 0.0);
    let knows = desk(
        1,
        0.0,
        "RegionalKnowledge(discrimination: 1.0, corroboration_relief: 0)",
        0.0,
    );
    // A false item with z = 0.3: x = −1 + 0.3 > −1 is taken as true without the knowledge,
    // x = −1.5 + 0.3 ≤ −1 is recognised with it.
    for (body, recognised) in [(&none, false), (&knows, true)] {
        let mut sim = Sim::new(body);
        let (a, t) = (sim.agency("a").ix(), sim.threat("t").ix());
        let x = item(&mut sim, None, false, 0.3);
        judge(&mut sim, x, 1.0);
        let ts = &sim.world.resource::<crate::sim::state::ThreatStates>().0[t];
        assert_eq!(ts.retracted_at.is_some(), recognised);
        assert_eq!(ts.over, recognised, "a recognised false threat is over");
        assert_eq!(
            sim.agencies().holdings[a].evidence[t],
            u32::from(!recognised)
        );
        assert_eq!(
            sim.world.resource::<Items>().0[x as usize].retracted,
            recognised
        );
    }
    // A true item with z = −2.2: x = 1 − 2.2 < −1 is dismissed without the knowledge,
    // x = 1.5 − 2.2 > −1 accepted with it; and the threshold stays: one source, not zero.
    for (body, accepted) in [(&none, false), (&knows, true)] {
        let mut sim = Sim::new(&body.replace("truth_probability: 0", "truth_probability: 1"));
        let (a, t) = (sim.agency("a").ix(), sim.threat("t").ix());
        let x = item(&mut sim, None, true, -2.2);
        judge(&mut sim, x, 1.0);
        assert_eq!(sim.agencies().holdings[a].evidence[t], u32::from(accepted));
        sim.run(take_actions);
        assert_eq!(sim.agencies().holdings[a].decided[t], accepted);
    }
    // Analysis quality acts like knowledge: the same false item is recognised.
    let mut sim = Sim::new(&desk(1, 0.0, "", 1.0));
    let t = sim.threat("t").ix();
    let x = item(&mut sim, None, false, 0.3);
    judge(&mut sim, x, 1.0);
    assert!(
        sim.world.resource::<crate::sim::state::ThreatStates>().0[t]
            .retracted_at
            .is_some()
    );
}
