//! Trust (docs/model.md §7): the experiences deliveries produce, the asymmetric shock rule
//! with its ceiling Θ = 1 − R, the usefulness target and the equity of exchange at window
//! ends, and withdrawal below the threshold. Expected values are computed from the documented
//! formulas ([`doc_trust`], [`doc_usefulness`], [`doc_equity`]), not from the engine's
//! functions.

use super::{BIAS, DAMAGE, Sim, assert_close, doc_trust, threat_t};
use crate::sim::flow::deliver_items;
use crate::sim::partnership::update_trust;
use crate::sim::state::{Items, ThreatStates};

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
    (sim.trust(from, to), sim.link_state(from, to).damage)
}

fn assert_td(sim: &Sim, from: &str, to: &str, want: (f64, f64)) {
    let (t, r) = td(sim, from, to);
    assert_close(t, want.0);
    assert_close(r, want.1);
}

/// One window's usefulness step (docs/model.md §7): T ← T + α·(Θ·u − T),
/// u = good ÷ (good + β·bad), Θ = 1 − R; items of no use count neither way.
fn doc_usefulness(t: f64, r: f64, good: f64, bad: f64, alpha: f64) -> f64 {
    let u = good / (good + BIAS * bad);
    t + alpha * ((1.0 - r) * u - t)
}

/// Default equity gain η (docs/model.md §7).
const ETA: f64 = 0.05;

/// One equity assessment of log ratio `x` (docs/model.md §7): T·e^{η·x} and
/// R + (1 − R)(1 − e^{d·x}) when x < 0; T + (Θ − T)(1 − e^{−η·x}) when x > 0.
fn doc_equity(t: f64, r: f64, x: f64) -> (f64, f64) {
    if x < 0.0 {
        (
            t * (ETA * x).exp(),
            r + (1.0 - r) * (1.0 - (DAMAGE * x).exp()),
        )
    } else {
        (t + (1.0 - r - t).max(0.0) * (1.0 - (-ETA * x).exp()), r)
    }
}

/// Mark item `item` false (ground truth hidden from players).
fn make_false(sim: &mut Sim, item: u32) {
    sim.world.resource_mut::<Items>().0[item as usize].truth = false;
}

/// The window counters (good, bad) and value of link `from → to` (an item of no use moves
/// none of them).
fn counts(sim: &Sim, from: &str, to: &str) -> (f64, f64, f64) {
    let l = sim.link_state(from, to);
    (l.good, l.bad, l.value)
}

#[test]
fn a_new_true_timely_item_is_a_good_experience_and_value_given_but_moves_no_trust_at_once() {
    let mut sim = Sim::new(&pair("", ""));
    let item = sim.item("t", "a", 0.0);
    sim.send(item, "a", "b", 1.5)
        .at(1)
        .refresh()
        .run(deliver_items);
    // No trust signal per item: usefulness is judged at the window's end.
    assert_eq!(sim.trust_signals(), vec![]);
    // The receiver's experience of the sender is on the reverse link b → a; the value given
    // (sensitivity 1) is on the link it came over.
    assert_eq!(counts(&sim, "b", "a"), (1.0, 0.0, 0.0));
    assert_eq!(counts(&sim, "a", "b"), (0.0, 0.0, 1.0));
    sim.run(update_trust);
    assert_td(&sim, "b", "a", (0.6, 0.0));
}

#[test]
fn a_false_item_is_a_bad_experience_and_no_value() {
    let mut sim = Sim::new(&pair("", ""));
    let item = sim.item("t", "a", 0.0);
    make_false(&mut sim, item);
    sim.send(item, "a", "b", 1.5)
        .at(1)
        .refresh()
        .run(deliver_items);
    assert_eq!(counts(&sim, "b", "a"), (0.0, 1.0, 0.0));
    assert_eq!(counts(&sim, "a", "b"), (0.0, 0.0, 0.0));
    assert_eq!(
        sim.link_state("a", "b").false_threats,
        vec![sim.threat("t")]
    );
}

#[test]
fn a_stale_item_is_of_no_use() {
    // Created 30 h before it arrives, beyond timely_within = 24 h (default).
    let mut sim = Sim::new(&pair("", ""));
    let item = sim.item("t", "a", -30.0);
    sim.send(item, "a", "b", 1.5)
        .at(1)
        .refresh()
        .run(deliver_items);
    assert!(sim.holds("b", item));
    assert_eq!(counts(&sim, "b", "a"), (0.0, 0.0, 0.0));
    assert_eq!(counts(&sim, "a", "b"), (0.0, 0.0, 0.0));
}

#[test]
fn echoes_and_duplicates_do_not_count_as_value() {
    let mut sim = Sim::new(&pair("", ""));
    // a observes an item (it enters a's holdings), b already got it and echoes it back.
    let item = sim.observe("t", "a", 0.5);
    sim.send(item, "a", "b", 1.25).send(item, "a", "b", 1.5);
    sim.at(0).refresh().run(deliver_items);
    sim.at(1).run(deliver_items);
    assert_eq!(sim.tally().delivered, 1);
    // One useful item, one duplicate of no use to b.
    assert_eq!(counts(&sim, "b", "a"), (1.0, 0.0, 0.0));
    assert_eq!(counts(&sim, "a", "b").2, 1.0);
    sim.send(item, "b", "a", 2.5).at(2).run(deliver_items);
    // The echo to a, which holds the item: nothing given by b, no use to a.
    assert_eq!(counts(&sim, "b", "a").2, 0.0);
    assert_eq!(counts(&sim, "a", "b"), (0.0, 0.0, 1.0));
    assert_eq!(sim.link_state("b", "a").items, 0);
    assert_eq!(sim.tally().delivered, 1);
}

#[test]
fn a_delivery_over_a_one_way_link_moves_no_trust() {
    let mut sim = Sim::new(&pair("", "equity_window: hours(2)"));
    let item = sim.item("t", "a", 0.0);
    sim.send(item, "a", "c", 1.5)
        .at(1)
        .refresh()
        .run(deliver_items);
    assert!(sim.holds("c", item));
    assert_eq!(sim.trust_signals(), vec![]);
    assert_eq!(sim.link_state("a", "c").value, 1.0);
    sim.run(update_trust);
    assert_td(&sim, "a", "c", (0.6, 0.0));
}

#[test]
fn at_a_window_end_trust_moves_toward_the_usefulness_target() {
    let mut sim = Sim::new(&pair("", "equity_window: hours(2)"));
    {
        let mut l = sim.link_state_mut("b", "a");
        l.good = 4.0;
        l.bad = 1.0;
    }
    sim.at(0).run(update_trust);
    assert_td(&sim, "b", "a", (0.6, 0.0));
    sim.at(1).run(update_trust);
    // u = 4 / (4 + 3·1) = 4/7 (items of no use count neither way);
    // T ← 0.6 + 0.3·(4/7 − 0.6).
    assert_close(sim.trust("b", "a"), doc_usefulness(0.6, 0.0, 4.0, 1.0, 0.3));
    assert_eq!(counts(&sim, "b", "a"), (0.0, 0.0, 0.0));
}

/// Equilibrium (docs/model.md §7): with g good and b bad experiences in every window,
/// T_k = T* + (T0 − T*)(1 − α)^k with T* = Θ·g ÷ (g + β·b), whatever the traffic: a link ten
/// or a hundred times as busy with the same mix ends at the same trust.
#[test]
fn trust_converges_to_the_usefulness_equilibrium_whatever_the_volume() {
    for (scale, ticks) in [(1.0, 40u64), (10.0, 40), (100.0, 40)] {
        let mut sim = Sim::new(&pair("", "equity_window: hours(1), trust_adaptation: 0.3"));
        let (g, b) = (6.0 * scale, 1.0 * scale);
        for k in 0..ticks {
            {
                let mut l = sim.link_state_mut("b", "a");
                l.good = g;
                l.bad = b;
            }
            sim.at(k).run(update_trust);
        }
        let t_star = g / (g + BIAS * b);
        assert_close(t_star, 2.0 / 3.0);
        let want = t_star + (0.6 - t_star) * 0.7f64.powi(ticks as i32);
        assert!((sim.trust("b", "a") - want).abs() < 1e-12);
        // A mostly bad partner converges lower.
        let mut sim = Sim::new(&pair("", "equity_window: hours(1), trust_adaptation: 0.3"));
        for k in 0..ticks {
            {
                let mut l = sim.link_state_mut("b", "a");
                l.good = 2.0 * scale;
                l.bad = 1.0 * scale;
            }
            sim.at(k).run(update_trust);
        }
        let t_star = 2.0 / 5.0;
        assert!(
            (sim.trust("b", "a") - t_star).abs() < 1e-6,
            "{} vs {t_star}",
            sim.trust("b", "a")
        );
    }
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
        sim.set_trust("a", "b", 0.6);
        sim.link_state_mut("a", "b").damage = 0.5;
    }
    {
        sim.set_trust("b", "a", 0.3);
        sim.link_state_mut("b", "a").damage = 0.5;
    }
    sim.at(0)
        .signal("a", "b", 1.0)
        .signal("b", "a", 1.0)
        .run(update_trust);
    assert_td(&sim, "a", "b", (0.6, 0.5));
    // Below it: T ← 0.3 + λ⁺·tanh(1)·(0.5 − 0.3).
    assert_td(&sim, "b", "a", doc_trust(0.3, 0.5, 1.0));
    assert_close(sim.trust("b", "a"), 0.3 + 0.05 * 1f64.tanh() * 0.2);
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
    assert_eq!(sim.closed_links(), 1);
    assert_eq!(sim.tally().withdrawals, 1);
    // Withdrawn at the end of tick 0 (1 h ticks): what the metric and triggers count.
    assert_eq!(sim.link_state("a", "b").withdrawn_at, Some(1.0));
    assert_eq!(sim.link_state("b", "a").withdrawn_at, None);
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
    sim.link_state_mut("a", "b").value = 10.0;
    sim.link_state_mut("a", "c").value = 10.0;
    sim.at(1).run(update_trust);
    assert_td(&sim, "a", "b", (0.6, 0.0));
    assert_eq!(sim.link_state("a", "b").value, 10.0);
    sim.at(2).run(update_trust);
    // The giver: x = ln((0 + 1)/(10 + 1)) − ln(1), fed in proportion: T·e^{ηx}.
    let x = (1.0f64 / 11.0).ln();
    let giver = doc_equity(0.6, 0.0, x);
    assert_td(&sim, "a", "b", giver);
    // Giving 10 and receiving 0 cuts the giver's trust by 1 − 11^{−η} = 11.3 % per window.
    assert_eq!(format!("{:.3}", 1.0 - giver.0 / 0.6), "0.113");
    // The receiver: x = ln((10 + 1)/(0 + 1)).
    assert_td(&sim, "b", "a", doc_equity(0.6, 0.0, 11f64.ln()));
    // One-way partnerships are never evaluated.
    assert_td(&sim, "a", "c", (0.6, 0.0));
    for (f, t) in [("a", "b"), ("b", "a"), ("a", "c")] {
        assert_eq!(sim.link_state(f, t).value, 0.0, "{f} → {t}");
    }
}

#[test]
fn the_equity_response_does_not_saturate() {
    // 10:1 and 1000:1 imbalances cut trust by different amounts (tanh would make them equal).
    let cut = |given: f64| {
        let mut sim = Sim::new(&pair("", "equity_window: hours(1)"));
        sim.link_state_mut("a", "b").value = given;
        sim.link_state_mut("b", "a").value = 0.0;
        sim.at(0).run(update_trust);
        sim.trust("a", "b")
    };
    let (ten, thousand) = (cut(9.0), cut(999.0));
    // docs/model.md: 10:1 multiplies trust by 10^{−η} = 0.891, 1,000:1 by 0.708.
    assert_close(ten, 0.6 * (ETA * 0.1f64.ln()).exp());
    assert_close(thousand, 0.6 * (ETA * 0.001f64.ln()).exp());
    assert_eq!(format!("{:.3}", ten / 0.6), "0.891");
    assert_eq!(format!("{:.3}", thousand / 0.6), "0.708");
}

#[test]
fn a_balanced_window_below_the_expected_equity_still_costs_trust() {
    let mut sim = Sim::new(&pair("expected_equity: 2.0", "equity_window: hours(1)"));
    sim.link_state_mut("a", "b").value = 5.0;
    sim.link_state_mut("b", "a").value = 5.0;
    sim.at(0).run(update_trust);
    // x = ln(6/6) − ln(2) on both links.
    let want = doc_equity(0.6, 0.0, -(2f64.ln()));
    assert_td(&sim, "a", "b", want);
    assert_td(&sim, "b", "a", want);
}

#[test]
fn each_end_judges_the_balance_it_accepts() {
    // `a` (the `from` end) expects twice what it gives; `b` accepts giving four times what it
    // gets. The same balanced window costs `a`'s trust and raises `b`'s.
    let mut sim = Sim::new(&pair(
        "expected_equity: 2.0, to_expected_equity: 0.25",
        "equity_window: hours(1)",
    ));
    sim.link_state_mut("a", "b").value = 5.0;
    sim.link_state_mut("b", "a").value = 5.0;
    sim.at(0).run(update_trust);
    assert_td(&sim, "a", "b", doc_equity(0.6, 0.0, -(2f64.ln())));
    assert_td(&sim, "b", "a", doc_equity(0.6, 0.0, -(0.25f64.ln())));
    assert!(sim.trust("b", "a") > 0.6 && sim.trust("a", "b") < 0.6);
}

#[test]
fn a_mutual_partnership_without_traffic_is_not_evaluated() {
    let mut sim = Sim::new(&pair("expected_equity: 2.0", "equity_window: hours(1)"));
    sim.at(0).run(update_trust);
    assert_td(&sim, "a", "b", (0.6, 0.0));
    assert_td(&sim, "b", "a", (0.6, 0.0));
}

/// A one-sided exchange: `a` lends `b` two analysts (value 2 × 0.5 = 1 SWD/h given by `a`)
/// and gets nothing back. Each 8 h window, x = ln(1/(8 + 1)) and a's trust is multiplied by
/// e^{η·x} = 9^{−0.05}; from T0 = 0.6 it falls below 0.25 after
/// k* = ⌈ln(0.25/0.6) ÷ (η·x)⌉ = ⌈7.97⌉ = 8 windows: withdrawn at the end of tick 63 (64 h).
#[test]
fn a_one_sided_exchange_is_withdrawn_at_the_predicted_window() {
    let mut sim = Sim::new(&pair(
        "withdraw_below: 0.25, benefits: [ResourceAugmentation(analysts: 2)]",
        "equity_window: hours(8)",
    ));
    let x = (1.0f64 / 9.0).ln();
    let k_star = ((0.25f64 / 0.6).ln() / (ETA * x)).ceil() as u64;
    assert_eq!(k_star, 8);
    let withdraw_tick = k_star * 8 - 1;
    for k in 0..=withdraw_tick {
        assert!(
            !sim.link_state("a", "b").withdrawn,
            "withdrawn before tick {k}"
        );
        sim.at(k).refresh().run(update_trust);
    }
    let (l, trust) = (sim.link_state("a", "b"), sim.trust("a", "b"));
    assert!(l.withdrawn, "trust {trust} at tick {withdraw_tick}");
    let want = 0.6 * (ETA * x * k_star as f64).exp();
    assert!((trust - want).abs() < 1e-12, "{trust} vs {want}");
    assert_eq!(sim.tally().withdrawals, 1);
    // The receiver, who gets everything, trusts more, and never withdraws.
    assert!(sim.trust("b", "a") > 0.6);
    assert!(!sim.link_state("b", "a").withdrawn);
}

#[test]
fn a_retraction_of_false_items_costs_their_sender_the_receivers_trust_once() {
    let mut sim = Sim::new(&pair("", ""));
    let item = sim.item("t", "a", 0.0);
    make_false(&mut sim, item);
    sim.send(item, "a", "b", 1.5)
        .at(1)
        .refresh()
        .run(deliver_items);
    let t = sim.threat("t").ix();
    sim.world.resource_mut::<ThreatStates>().0[t].retracted_at = Some(1.8);
    sim.at(2).run(update_trust);
    let want = doc_trust(0.6, 0.0, -1.0);
    assert_td(&sim, "b", "a", want);
    assert_td(&sim, "a", "b", (0.6, 0.0));
    sim.at(3).run(update_trust);
    assert_td(&sim, "b", "a", want);
}
