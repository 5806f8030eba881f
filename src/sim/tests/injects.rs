//! MSEL inject effects (docs/model.md §9 and §11): outages, degraded capacity, channel outages
//! and compromises, withdrawals and legal holds start in the tick containing the fire time and
//! are undone at the start of the tick containing fire time + duration.

use super::{Sim, assert_close, threat_t};
use crate::scenario::schema::Function;
use crate::sim::agency::analyse_items;
use crate::sim::compile::{BlockReason, function_bit};
use crate::sim::flow::{deliver_items, share_items};
use crate::sim::inject::fire_injects;
use crate::sim::state::InjectStates;

/// Agencies `a` (4 analysts, 15 min per item, depends on `b` for dissemination) and `b`;
/// channels `c` and `k`; the mutual partnership `m` between them (trust 1, p0 = 1, with
/// fields `m`); threat `t` (sensitivity 2.5); the injects `injects`.
fn net(m: &str, injects: &str) -> String {
    format!(
        r#"
  agencies: [
    (id: "a", name: "Alpha", kind: FusionCenter, analysts: 4, service_time: Fixed(minutes(15)),
     needs: [Cyber], depends_on: [(partner: "b", function: Dissemination)]),
    (id: "b", name: "Bravo", kind: SlttLawEnforcement, needs: [Cyber]),
  ],
  channels: [
    (id: "c", name: "Wire", max_class: Cui, latency: Fixed(hours(1))),
    (id: "k", name: "Phone", max_class: Cui, latency: Fixed(hours(3))),
  ],
  partnerships: [
    (id: "m", from: "a", to: "b", direction: Mutual, agreement: Mou, trust: 1.0,
     share_probability: 1.0, {m}),
  ],
  {}
  injects: [{injects}],
"#,
        threat_t("Unclassified, tlp: Green", "sensitivity: 2.5")
    )
}

/// An inject line; its MSEL number is the digits of its id, or 1.
fn inject(id: &str, trigger: &str, effect: &str, duration: Option<&str>) -> String {
    let duration = duration.map_or(String::new(), |d| format!("duration: {d},"));
    let number: u32 = id
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or(1);
    format!(
        r#"(id: "{id}", number: {number}, trigger: {trigger}, synopsis: "{id}", effect: {effect}, {duration}),"#
    )
}

/// The Injects phase and then the Benefits phase of tick `k`.
fn step(sim: &mut Sim, k: u64) {
    sim.at(k).run(fire_injects).refresh();
}

/// Whether agency `id` is up, for ticks `0..n` (running the injects of each).
fn up_by_tick(sim: &mut Sim, id: &str, n: u64) -> Vec<bool> {
    let a = sim.agency(id).ix();
    (0..n)
        .map(|k| {
            step(sim, k);
            assert_eq!(sim.agencies().mods[a].up, sim.agencies().status[a].up());
            sim.agencies().mods[a].up
        })
        .collect()
}

/// `a` analyses an item it originated at `t` [h] and offers it to `b` (in the current tick).
fn offer(sim: &mut Sim, t: f64) -> u32 {
    let item = sim.item("t", "a", t);
    sim.analysed("a", item, t)
        .run(share_items)
        .clear::<crate::sim::state::Analysed>();
    item
}

#[test]
fn an_agency_outage_takes_it_down_for_its_duration_and_its_dependents_lose_trust() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject(
            "out",
            "At(minutes(90))",
            r#"AgencyOutage("b")"#,
            Some("hours(2)"),
        ),
    ));
    // Fires at 1.5 h (down for all of tick 1); ends at 3.5 h, undone at the start of tick 3.
    assert_eq!(
        up_by_tick(&mut sim, "b", 5),
        vec![true, false, false, true, true]
    );
    let b = sim.agency("b").ix();
    let s = &sim.agencies().status[b];
    assert_close(s.down_time, 2.0);
    assert!(s.ever_down);
    assert_eq!(sim.world.resource::<InjectStates>().fired_at[0], Some(1.5));
    // `a` depends on `b` and has a link to it: one −0.5 signal, when `b` goes down.
    assert_eq!(
        sim.trust_signals(),
        vec![("a".to_string(), "b".to_string(), -0.5)]
    );
}

#[test]
fn an_agency_outage_costs_its_dependents_the_function_they_depend_on() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject(
            "out",
            "At(hours(1))",
            r#"AgencyOutage("b")"#,
            Some("hours(1)"),
        ),
    ));
    let (a, bit) = (sim.agency("a").ix(), function_bit(Function::Dissemination));
    let lost: Vec<u8> = (0..3)
        .map(|k| {
            step(&mut sim, k);
            sim.agencies().mods[a].lost
        })
        .collect();
    assert_eq!(lost, vec![0, bit, 0]);
}

#[test]
fn deliveries_to_a_down_agency_wait_and_arrive_at_the_start_of_the_first_tick_it_is_up() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject(
            "out",
            "At(hours(1))",
            r#"AgencyOutage("b")"#,
            Some("hours(2)"),
        ),
    ));
    let item = sim.item("t", "a", 0.0);
    sim.send(item, "a", "b", 1.5);
    for k in 0..3 {
        step(&mut sim, k);
        sim.run(deliver_items);
        assert!(!sim.holds("b", item), "tick {k}");
    }
    step(&mut sim, 3);
    sim.run(deliver_items);
    assert!(sim.holds("b", item));
    let (b, t) = (sim.agency("b").ix(), sim.threat("t").ix());
    assert_eq!(sim.agencies().holdings[b].informed_at[t], 3.0);
}

#[test]
fn overlapping_outages_stack_and_the_agency_is_up_only_when_both_ended() {
    let injects = inject(
        "o1",
        "At(hours(1))",
        r#"AgencyOutage("b")"#,
        Some("hours(2)"),
    ) + &inject(
        "o2",
        "At(hours(2))",
        r#"AgencyOutage("b")"#,
        Some("hours(3)"),
    );
    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &injects));
    assert_eq!(
        up_by_tick(&mut sim, "b", 7),
        vec![true, false, false, false, false, true, true]
    );
    assert_close(sim.agencies().status[sim.agency("b").ix()].down_time, 4.0);
}

#[test]
fn an_outage_without_a_duration_lasts_to_the_end_of_the_run() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject("out", "At(hours(1))", r#"AgencyOutage("b")"#, None),
    ));
    let up = up_by_tick(&mut sim, "b", 48);
    assert!(up[0]);
    assert!(up[1..].iter().all(|&u| !u), "{up:?}");
}

#[test]
fn an_inject_whose_probability_draw_fails_never_fires() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject("out", "At(hours(1))", r#"AgencyOutage("b")"#, None)
            .replace("effect:", "probability: 0.0, effect:"),
    ));
    assert!(up_by_tick(&mut sim, "b", 4).iter().all(|&u| u));
    let inj = sim.world.resource::<InjectStates>();
    assert_eq!((inj.fired_at[0], inj.done[0]), (None, true));
}

#[test]
fn a_channel_outage_blocks_offers_that_have_no_other_channel_until_it_ends() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject(
            "cut",
            "At(hours(0))",
            r#"ChannelOutage("c")"#,
            Some("hours(2)"),
        ),
    ));
    let c = sim.channel("c");
    step(&mut sim, 0);
    assert!(!sim.channels().0[c].up());
    offer(&mut sim, 0.5);
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Channel, 1));
    assert_eq!(sim.in_flight(), 0);
    step(&mut sim, 1);
    assert!(!sim.channels().0[c].up());
    step(&mut sim, 2);
    assert!(sim.channels().0[c].up());
    assert!(sim.channels().0[c].ever_down);
    offer(&mut sim, 2.5);
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Channel, 1));
    assert_eq!(sim.in_flight(), 1);
}

#[test]
fn a_channel_outage_reroutes_to_the_next_listed_channel() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c", "k"]"#,
        &inject(
            "cut",
            "At(hours(0))",
            r#"ChannelOutage("c")"#,
            Some("hours(2)"),
        ),
    ));
    step(&mut sim, 0);
    offer(&mut sim, 0.5);
    assert_eq!(sim.blocked(), [0; 5]);
    // By phone: 0.5 h + 3 h.
    let due = sim.take_due(3);
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].0, due[0].4.as_deref()), (3.5, Some("k")));
}

#[test]
fn a_compromised_channel_carries_items_and_exposes_each_one() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject("tap", "At(hours(0))", r#"ChannelCompromise("c")"#, None),
    ));
    step(&mut sim, 0);
    offer(&mut sim, 0.25);
    offer(&mut sim, 0.5);
    assert_eq!(sim.in_flight(), 2);
    assert_close(sim.tally().exposure, 2.0 * 2.5);
    assert!(sim.link_state("a", "b").compromised);
    assert!(sim.channels().0[sim.channel("c")].ever_down);
}

#[test]
fn a_withdrawal_inject_withdraws_both_links_for_its_duration_without_counting_a_withdrawal() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject("wd", "At(hours(1))", r#"Withdrawal("m")"#, Some("hours(2)")),
    ));
    let (a, bit) = (sim.agency("a").ix(), function_bit(Function::Dissemination));
    step(&mut sim, 0);
    assert!(!sim.link_state("a", "b").is_withdrawn());
    step(&mut sim, 1);
    assert!(sim.link_state("a", "b").is_withdrawn());
    assert!(sim.link_state("b", "a").is_withdrawn());
    // `a` depends on `b`, and the link from `b` to `a` is withdrawn: `a` loses dissemination.
    assert_eq!(sim.agencies().mods[a].lost, bit);
    // `b` offers to `a`: blocked as withdrawn.
    let item = sim.item("t", "b", 1.0);
    sim.analysed("b", item, 1.5).run(share_items);
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Withdrawn, 1));
    assert_eq!(sim.tally().withdrawals, 0);
    step(&mut sim, 2);
    assert!(sim.link_state("a", "b").is_withdrawn());
    step(&mut sim, 3);
    assert!(!sim.link_state("a", "b").is_withdrawn());
    assert!(!sim.link_state("b", "a").is_withdrawn());
    assert!(sim.link_state("a", "b").ever_lost);
    assert_eq!(sim.agencies().mods[a].lost, 0);
}

#[test]
fn a_legal_hold_blocks_offers_as_legal_and_stops_benefits_but_costs_no_function() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"], benefits: [Technology(speedup: 0.5)]"#,
        &inject(
            "hold",
            "At(hours(1))",
            r#"LegalHold("m")"#,
            Some("hours(1)"),
        ),
    ));
    // The benefit reaches the partnership's `to` only (docs/model.md §8).
    let (a, b) = (sim.agency("a").ix(), sim.agency("b").ix());
    step(&mut sim, 0);
    assert_eq!(sim.agencies().mods[b].speedup, 0.5);
    assert_eq!(sim.agencies().mods[a].speedup, 0.0);
    step(&mut sim, 1);
    assert_eq!(
        (sim.link_state("a", "b").held, sim.link_state("b", "a").held),
        (1, 1)
    );
    assert_eq!(sim.agencies().mods[b].speedup, 0.0);
    assert_eq!(sim.agencies().mods[a].lost, 0);
    offer(&mut sim, 1.5);
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Legal, 1));
    assert_eq!(sim.in_flight(), 0);
    step(&mut sim, 2);
    assert_eq!(sim.link_state("a", "b").held, 0);
    assert_eq!(sim.agencies().mods[b].speedup, 0.5);
}

#[test]
fn degraded_capacity_multiplies_the_analysts_and_nested_effects_multiply() {
    let injects = inject(
        "d1",
        "At(hours(0))",
        r#"DegradedCapacity(agency: "a", factor: 0.5)"#,
        Some("hours(2)"),
    ) + &inject(
        "d2",
        "At(hours(1))",
        r#"DegradedCapacity(agency: "a", factor: 0.5)"#,
        Some("hours(2)"),
    );
    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &injects));
    let a = sim.agency("a").ix();
    let factors: Vec<f64> = (0..4)
        .map(|k| {
            step(&mut sim, k);
            sim.agencies().status[a].factor
        })
        .collect();
    assert_eq!(factors, vec![0.5, 0.25, 0.5, 1.0]);
    assert!(sim.agencies().status[a].ever_down);
}

#[test]
fn degraded_capacity_halves_the_analysts_serving_the_queue() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject(
            "d1",
            "At(hours(0))",
            r#"DegradedCapacity(agency: "a", factor: 0.5)"#,
            Some("hours(1)"),
        ),
    ));
    step(&mut sim, 0);
    let items: Vec<u32> = (0..4).map(|_| sim.observe("t", "a", 0.0)).collect();
    sim.run(deliver_items).run(analyse_items);
    // 4 analysts × 0.5 = 2 servers, 15 min each: two finish at 0.25 h, two at 0.5 h.
    let done: Vec<(f64, u32)> = sim
        .completions()
        .into_iter()
        .map(|(t, _, i)| (t, i))
        .collect();
    assert_eq!(
        done,
        vec![
            (0.25, items[0]),
            (0.25, items[1]),
            (0.5, items[2]),
            (0.5, items[3])
        ]
    );
}

#[test]
fn a_chain_of_after_inject_triggers_with_no_delay_fires_in_one_tick() {
    let injects = inject("n1", "At(minutes(90))", "Note", None)
        + &inject(
            "n2",
            r#"AfterInject(inject: "n1")"#,
            r#"AgencyOutage("b")"#,
            Some("hours(1)"),
        );
    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &injects));
    assert_eq!(up_by_tick(&mut sim, "b", 4), vec![true, false, true, true]);
    let inj = sim.world.resource::<InjectStates>();
    assert_eq!(inj.fired_at, vec![Some(1.5), Some(1.5)]);
}

#[test]
fn an_agency_that_is_down_neither_gives_nor_gets_benefits() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"], benefits: [Technology(speedup: 0.5)]"#,
        &inject(
            "out",
            "At(hours(1))",
            r#"AgencyOutage("b")"#,
            Some("hours(1)"),
        ),
    ));
    let (a, b) = (sim.agency("a").ix(), sim.agency("b").ix());
    let speedups: Vec<(f64, f64)> = (0..3)
        .map(|k| {
            step(&mut sim, k);
            let m = &sim.agencies().mods;
            (m[a].speedup, m[b].speedup)
        })
        .collect();
    // The benefit reaches the partnership's `to` only (docs/model.md §8).
    assert_eq!(speedups, vec![(0.0, 0.5), (0.0, 0.0), (0.0, 0.5)]);
}

#[test]
fn a_first_offer_withdrawal_stops_the_very_item_that_tripped_it_and_ends_after_its_duration() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject(
            "fail",
            r#"FirstOffer(partnership: "m", threat: "t")"#,
            r#"Withdrawal("m")"#,
            Some("hours(2)"),
        ),
    ));
    step(&mut sim, 0);
    assert!(!sim.link_state("a", "b").is_withdrawn());
    offer(&mut sim, 0.5);
    // The offer tripped the failure before its gates: blocked, both links withdrawn.
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Withdrawn, 1));
    assert!(sim.link_state("a", "b").is_withdrawn());
    assert!(sim.link_state("b", "a").is_withdrawn());
    let inj = sim.world.resource::<InjectStates>();
    assert_eq!(inj.fired_at[0], Some(0.5));
    assert!(inj.done[0] && inj.tripped.is_empty());
    // It trips once: the next offer is blocked by the withdrawal in force, not a second trip.
    offer(&mut sim, 0.7);
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Withdrawn, 2));
    assert_eq!(sim.world.resource::<InjectStates>().ending.len(), 1);
    step(&mut sim, 1);
    assert!(sim.link_state("a", "b").is_withdrawn());
    // Fired at 0.5 h for 2 h: undone at the start of the tick containing 2.5 h.
    step(&mut sim, 2);
    assert!(!sim.link_state("a", "b").is_withdrawn());
    assert_eq!(sim.tally().withdrawals, 0);
}

#[test]
fn a_first_offer_trigger_with_another_effect_fires_at_the_next_tick_and_the_item_crosses() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject(
            "down",
            r#"FirstOffer(partnership: "m", threat: "t")"#,
            r#"AgencyOutage("b")"#,
            None,
        ),
    ));
    step(&mut sim, 0);
    offer(&mut sim, 0.5);
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Withdrawn, 0));
    let b = sim.agency("b").ix();
    assert!(sim.agencies().status[b].up());
    assert_eq!(sim.world.resource::<InjectStates>().tripped, vec![(0.5, 0)]);
    step(&mut sim, 1);
    assert!(!sim.agencies().status[b].up());
    assert_eq!(sim.world.resource::<InjectStates>().fired_at[0], Some(0.5));
}

#[test]
fn a_first_offer_trigger_ignores_items_on_other_partnerships() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]), (id: "other", from: "b", to: "a", direction: OneWay, channels: ["c"]"#,
        &inject(
            "fail",
            r#"FirstOffer(partnership: "other", threat: "t")"#,
            r#"Withdrawal("other")"#,
            None,
        ),
    ));
    step(&mut sim, 0);
    // `a` offers over `m` only (`other` runs b → a): nothing trips.
    offer(&mut sim, 0.5);
    let inj = sim.world.resource::<InjectStates>();
    assert_eq!(inj.fired_at[0], None);
    assert!(!inj.done[0]);
}

#[test]
fn a_disabled_partnership_compiles_to_no_links_and_carries_nothing() {
    let sim = Sim::new(&net(r#"channels: ["c"], enabled: false"#, ""));
    let st = sim.st();
    assert!(st.links.is_empty());
    assert!(st.catalog.links.is_empty());
    assert!(st.agencies.iter().all(|a| a.out_links.is_empty()));
}
