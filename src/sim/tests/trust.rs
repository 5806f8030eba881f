//! Trust (docs/model.md §7): the signals deliveries produce, the asymmetric update rule with
//! its ceiling Θ = 1 − R, the equity of exchange at window ends, and withdrawal below the
//! threshold. Expected values are computed from the documented formula ([`doc_trust`]), not
//! from the engine's function.

use super::{Sim, assert_close, doc_trust, threat_t};
use crate::sim::flow::deliver_items;
use crate::sim::partnership::update_trust;

/// Agencies `a`, `b`, `c` needing Cyber; the mutual partnership `m` between `a` and `b` (with
/// fields `m`) and the one-way `w` from `a` to `c`; model fields `model`.
fn pair(m: &str, model: &str) -> String {
    format!(
        r#"
  model: ({model}),
  agencies: [
    (id: "a", name: "Alpha", kind: FusionCenter, needs: [Cyber]),
    (id: "b", name: "Bravo", kind: SlttLawEnforcement, needs: [Cyber]),
    (id: "c", name: "Charlie", kind: SlttLawEnforcement, needs: [Cyber]),
  ],
  channels: [(id: "x", name: "Wire", max_class: Cui, latency: Fixed(hours(1)))],
  partnerships: [
    (id: "m", from: "a", to: "b", direction: Mutual, agreement: Mou, channels: ["x"], {m}),
    (id: "w", from: "a", to: "c", direction: OneWay, agreement: Mou, channels: ["x"]),
  ],
  {}
"#,
        threat_t("Unclassified, tlp: Green", "")
    )
}

/// Trust and damage of link `from → to`.
fn td(sim: &Sim, from: &str, to: &str) -> (f64, f64) {
    let l = sim.link_state(from, to);
    (l.trust, l.damage)
}

fn assert_td(sim: &Sim, from: &str, to: &str, want: (f64, f64)) {
    let (t, r) = td(sim, from, to);
    assert_close(t, want.0);
    assert_close(r, want.1);
}

#[test]
fn a_new_item_delivered_over_a_mutual_link_raises_the_receivers_trust_in_the_sender() {
    let mut sim = Sim::new(&pair("", ""));
    let item = sim.item("t", "a", 0.0);
    sim.send(item, "a", "b", 1.5)
        .at(1)
        .refresh()
        .run(deliver_items);
    assert_eq!(
        sim.trust_signals(),
        vec![("b".to_string(), "a".to_string(), 1.0)]
    );
    sim.run(update_trust);
    // T0 = 0.6 (default), R = 0: T ← 0.6 + λ⁺·tanh(1)·(1 − 0.6).
    let want = doc_trust(0.6, 0.0, 1.0);
    assert_td(&sim, "b", "a", want);
    // The sender's trust in the receiver does not move.
    assert_td(&sim, "a", "b", (0.6, 0.0));
    // docs/model.md: "one +1 closes 3.8 % of the gap to the ceiling".
    assert_eq!(format!("{:.3}", (want.0 - 0.6) / 0.4), "0.038");
}

#[test]
fn a_duplicate_delivery_sends_no_trust_signal() {
    let mut sim = Sim::new(&pair("", ""));
    let item = sim.item("t", "a", 0.0);
    sim.send(item, "a", "b", 1.25).send(item, "a", "b", 1.5);
    sim.at(1).refresh().run(deliver_items);
    assert_eq!(sim.trust_signals().len(), 1);
    assert_eq!(sim.tally().delivered, 1);
}

#[test]
fn a_delivery_over_a_one_way_link_moves_no_trust() {
    let mut sim = Sim::new(&pair("", ""));
    let item = sim.item("t", "a", 0.0);
    sim.send(item, "a", "c", 1.5)
        .at(1)
        .refresh()
        .run(deliver_items);
    assert!(sim.holds("c", item));
    assert_eq!(sim.trust_signals(), vec![]);
    sim.run(update_trust);
    assert_td(&sim, "a", "c", (0.6, 0.0));
}

#[test]
fn a_bad_experience_cuts_trust_in_proportion_and_adds_reputation_damage() {
    let mut sim = Sim::new(&pair("", ""));
    sim.at(0).signal("a", "b", -1.0).run(update_trust);
    // T ← 0.6 + λ⁺·β·tanh(−1)·0.6; R ← d·tanh(1)·(1 − 0).
    let want = doc_trust(0.6, 0.0, -1.0);
    assert_td(&sim, "a", "b", want);
    assert_close(want.1, 0.1 * 1f64.tanh());
    // docs/model.md: "one −1 removes 11.4 % of current trust and adds 7.6 % of the headroom".
    assert_eq!(format!("{:.3}", 1.0 - want.0 / 0.6), "0.114");
    assert_eq!(format!("{:.3}", want.1), "0.076");
    assert_td(&sim, "b", "a", (0.6, 0.0));
}

#[test]
fn a_half_signal_removes_six_point_nine_percent_of_trust() {
    let mut sim = Sim::new(&pair("", ""));
    sim.at(0).signal("a", "b", -0.5).run(update_trust);
    let want = doc_trust(0.6, 0.0, -0.5);
    assert_td(&sim, "a", "b", want);
    assert_eq!(format!("{:.3}", 1.0 - want.0 / 0.6), "0.069");
}

#[test]
fn good_experiences_move_trust_toward_the_ceiling_and_never_past_it() {
    let mut sim = Sim::new(&pair("", ""));
    // Θ = 1 − R = 0.5. Trust above the ceiling stays where it is.
    {
        let mut l = sim.link_state_mut("a", "b");
        l.trust = 0.6;
        l.damage = 0.5;
    }
    {
        let mut l = sim.link_state_mut("b", "a");
        l.trust = 0.3;
        l.damage = 0.5;
    }
    sim.at(0)
        .signal("a", "b", 1.0)
        .signal("b", "a", 1.0)
        .run(update_trust);
    assert_td(&sim, "a", "b", (0.6, 0.5));
    // Below it: T ← 0.3 + λ⁺·tanh(1)·(0.5 − 0.3).
    assert_td(&sim, "b", "a", doc_trust(0.3, 0.5, 1.0));
    assert_close(
        sim.link_state("b", "a").trust,
        0.3 + 0.05 * 1f64.tanh() * 0.2,
    );
}

#[test]
fn signals_in_one_tick_apply_in_order() {
    let mut sim = Sim::new(&pair("", ""));
    sim.at(0)
        .signal("a", "b", -1.0)
        .signal("a", "b", 1.0)
        .run(update_trust);
    let (t, r) = doc_trust(0.6, 0.0, -1.0);
    assert_td(&sim, "a", "b", doc_trust(t, r, 1.0));
}

#[test]
fn a_link_whose_trust_falls_below_its_threshold_is_withdrawn_once() {
    let mut sim = Sim::new(&pair("withdraw_below: 0.55", ""));
    sim.at(0).signal("a", "b", -1.0).run(update_trust);
    let want = doc_trust(0.6, 0.0, -1.0);
    assert!(want.0 < 0.55);
    assert!(sim.link_state("a", "b").withdrawn);
    assert!(sim.link_state("a", "b").ever_lost);
    assert!(!sim.link_state("b", "a").withdrawn);
    assert_eq!(sim.tally().withdrawals, 1);
    // Clear the buffer as the end of a tick would, then another bad experience next tick.
    sim.clear::<crate::sim::state::TrustSignal>();
    sim.at(1).signal("a", "b", -1.0).run(update_trust);
    assert_eq!(sim.tally().withdrawals, 1);
}

#[test]
fn trust_just_above_the_threshold_keeps_the_link() {
    let mut sim = Sim::new(&pair("withdraw_below: 0.53", ""));
    sim.at(0).signal("a", "b", -1.0).run(update_trust);
    assert!(doc_trust(0.6, 0.0, -1.0).0 >= 0.53);
    assert!(!sim.link_state("a", "b").withdrawn);
    assert_eq!(sim.tally().withdrawals, 0);
}

#[test]
fn the_equity_of_exchange_moves_trust_at_each_window_end_and_resets_the_ledgers() {
    // A window of 3 one-hour ticks ends with tick 2.
    let mut sim = Sim::new(&pair("", "equity_window: hours(3)"));
    sim.link_state_mut("a", "b").given = 10.0;
    sim.link_state_mut("a", "c").given = 10.0;
    sim.at(1).run(update_trust);
    assert_td(&sim, "a", "b", (0.6, 0.0));
    assert_eq!(sim.link_state("a", "b").given, 10.0);
    sim.at(2).run(update_trust);
    // The giver: x = ln((0 + 1)/(10 + 1)) − ln(1).
    let giver = doc_trust(0.6, 0.0, (1.0f64 / 11.0).ln());
    assert_td(&sim, "a", "b", giver);
    // docs/model.md: "giving 10 and receiving 0 … cuts the giver's trust by 14.7 % per window"
    // (the formula gives 0.15 · 120/122 = 14.75 %, which the docs truncate).
    assert_close(1.0 - giver.0 / 0.6, 0.15 * 120.0 / 122.0);
    // The receiver: x = ln((10 + 1)/(0 + 1)).
    assert_td(&sim, "b", "a", doc_trust(0.6, 0.0, 11f64.ln()));
    // One-way partnerships are never evaluated.
    assert_td(&sim, "a", "c", (0.6, 0.0));
    for (f, t) in [("a", "b"), ("b", "a"), ("a", "c")] {
        assert_eq!(sim.link_state(f, t).given, 0.0, "{f} → {t}");
    }
}

#[test]
fn a_balanced_window_below_the_expected_equity_still_costs_trust() {
    let mut sim = Sim::new(&pair("expected_equity: 2.0", "equity_window: hours(1)"));
    sim.link_state_mut("a", "b").given = 5.0;
    sim.link_state_mut("b", "a").given = 5.0;
    sim.at(0).run(update_trust);
    // x = ln(6/6) − ln(2) on both links.
    let want = doc_trust(0.6, 0.0, -(2f64.ln()));
    assert_td(&sim, "a", "b", want);
    assert_td(&sim, "b", "a", want);
}

#[test]
fn a_mutual_partnership_without_traffic_is_not_evaluated() {
    let mut sim = Sim::new(&pair("expected_equity: 2.0", "equity_window: hours(1)"));
    sim.at(0).run(update_trust);
    assert_td(&sim, "a", "b", (0.6, 0.0));
    assert_td(&sim, "b", "a", (0.6, 0.0));
}
