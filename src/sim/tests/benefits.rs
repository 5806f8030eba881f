//! Benefits have a direction (docs/model.md §8): each reaches only its named receiver, and a
//! lender of resources works without what it lends while the link works.

use super::{Sim, threat_t};
use crate::scenario::load_str;
use crate::scenario::schema::ThreatKind;
use crate::sim::agency::servers;
use crate::sim::compile::kind_index;

/// Agencies `a` (5 analysts, processing 30/h and 400 beds) and `b` (2 analysts), the mutual
/// partnership `m` from `a` to `b` with `benefits`.
fn lend(benefits: &str) -> String {
    format!(
        r#"
  agencies: [
    (id: "a", name: "Alpha", kind: FederalComponent, analysts: 5, needs: [Cyber],
     processing: Some((per_hour: 30, shelter: 400))),
    (id: "b", name: "Bravo", kind: Eoc, analysts: 2, needs: [Cyber]),
  ],
  channels: [(id: "x", name: "Wire", max_class: Cui, latency: Fixed(hours(1)))],
  partnerships: [
    (id: "m", from: "a", to: "b", direction: Mutual, agreement: Mou, channels: ["x"],
     benefits: [{benefits}]),
  ],
  {}
"#,
        threat_t("Unclassified, tlp: Green", "")
    )
}

#[test]
fn a_mutual_partnerships_benefit_reaches_only_its_named_receiver() {
    let cyber = kind_index(ThreatKind::Cyber);
    // Default receiver: the partnership's `to`.
    let mut sim = Sim::new(&lend("ExtendedCollection(threat: Cyber, probability: 0.3)"));
    sim.at(0).refresh();
    let (a, b) = (sim.agency("a").ix(), sim.agency("b").ix());
    assert!((sim.agencies().mods[b].extra_collect[cyber] - 0.3).abs() < 1e-12);
    assert_eq!(sim.agencies().mods[a].extra_collect[cyber], 0.0);
    // Named receiver: the partnership's `from`.
    let mut sim = Sim::new(&lend(
        r#"ExtendedCollection(threat: Cyber, probability: 0.3, to: "a"),
           Technology(speedup: 0.4)"#,
    ));
    sim.at(0).refresh();
    let m = &sim.agencies().mods;
    assert!((m[a].extra_collect[cyber] - 0.3).abs() < 1e-12);
    assert_eq!(m[b].extra_collect[cyber], 0.0);
    assert_eq!((m[a].speedup, m[b].speedup), (0.0, 0.4));
    // Each benefit is compiled onto one directed link only.
    let st = sim.st();
    let on = |from: &str, to: &str| st.links[sim.link(from, to)].benefits.len();
    assert_eq!((on("a", "b"), on("b", "a")), (1, 1));
}

#[test]
fn a_lender_loses_the_capacity_it_lends_while_the_link_works() {
    let mut sim = Sim::new(&lend(
        "ResourceAugmentation(analysts: 2, processing_per_hour: 10, shelter: 100)",
    ));
    sim.at(0).refresh();
    let (a, b) = (sim.agency("a").ix(), sim.agency("b").ix());
    {
        let m = &sim.agencies().mods;
        assert_eq!((m[a].lent_analysts, m[a].extra_analysts), (2, 0));
        assert_eq!((m[b].lent_analysts, m[b].extra_analysts), (0, 2));
        assert_eq!((m[a].extra_processing, m[a].extra_shelter), (-10.0, -100.0));
        assert_eq!((m[b].extra_processing, m[b].extra_shelter), (10.0, 100.0));
        // Analysts at work: the lender 5 − 2, the receiver 2 + 2.
        assert_eq!(servers(5, 1.0, m[a].extra_analysts, m[a].lent_analysts), 3);
        assert_eq!(servers(2, 1.0, m[b].extra_analysts, m[b].lent_analysts), 4);
    }
    // Withdrawn, the link lends nothing: the lender has its capacity back.
    sim.link_state_mut("a", "b").withdrawn = true;
    sim.at(1).refresh();
    let m = &sim.agencies().mods;
    assert_eq!((m[a].lent_analysts, m[a].extra_processing), (0, 0.0));
    assert_eq!((m[b].extra_analysts, m[b].extra_processing), (0, 0.0));
}

#[test]
fn a_lender_cannot_lend_below_nothing() {
    // Lending 50/h and 1,000 beds out of 30/h and 400: its own stop at zero; it keeps one
    // analyst of its own.
    let mut sim = Sim::new(&lend(
        "ResourceAugmentation(analysts: 9, processing_per_hour: 50, shelter: 1000)",
    ));
    sim.at(0).refresh();
    let a = sim.agency("a").ix();
    let m = &sim.agencies().mods[a];
    assert_eq!((m.extra_processing, m.extra_shelter), (-30.0, -400.0));
    assert_eq!(servers(5, 1.0, m.extra_analysts, m.lent_analysts), 1);
}

#[test]
fn a_benefit_receiver_that_is_not_an_end_is_reported_with_a_suggestion() {
    let ron = format!(
        r#"(
  exercise: (name: "Unit", duration: hours(48), tick: hours(1)),
  {}
  objectives: [(id: "o", description: "Nothing blocked", capability: IntelligenceAndInformationSharing,
                metric: BlockedButNeeded, target: AtMost(0.0))],
)"#,
        lend(r#"Technology(speedup: 0.2, to: "bb")"#)
    );
    let err = match load_str(std::path::Path::new("unit.ron"), &ron) {
        Ok(_) => panic!("a receiver outside the partnership must be rejected"),
        Err(e) => format!("{e}"),
    };
    assert!(err.contains("is not an end of partnership"), "{err}");
    assert!(err.contains("did you mean \"b\""), "{err}");
}

#[test]
fn benefits_start_exactly_at_their_lead_time_without_any_other_change() {
    let body = lend("ResourceAugmentation(analysts: 2)").replace(
        "channels: [\"x\"],\n",
        "channels: [\"x\"], benefits_from: hours(5),\n",
    );
    let mut sim = Sim::new(&body);
    let b = sim.agency("b").ix();
    let mut seen = Vec::new();
    for k in 0..8 {
        // Only the Benefits phase runs: the lead time alone must make the modifiers stale.
        sim.at(k).refresh();
        seen.push(sim.agencies().mods[b].extra_analysts);
    }
    assert_eq!(seen, [0, 0, 0, 0, 0, 2, 2, 2]);
}
