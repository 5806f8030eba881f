//! MSEL inject effects (docs/model.md §9 and §11): outages, degraded capacity, channel outages
//! and compromises, withdrawals and legal holds start in the tick containing the fire time and
//! are undone at the start of the tick containing fire time + duration.

use super::{Sim, assert_close, threat_t};
use crate::scenario::schema::Function;
use crate::sim::agency::analyse_items;
use crate::sim::compile::{BlockReason, function_bit};
use crate::sim::flow::{deliver_items, share_items};
use crate::sim::inject::{fire_injects, judge_objectives};
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
fn a_withdrawal_inject_withdraws_both_links_for_its_duration_and_counts_each_link_once() {
    let mut sim = Sim::new(&net(
        r#"channels: ["c"]"#,
        &inject("wd", "At(hours(1))", r#"Withdrawal("m")"#, Some("hours(2)")),
    ));
    let (a, bit) = (sim.agency("a").ix(), function_bit(Function::Dissemination));
    step(&mut sim, 0);
    assert!(!sim.link_state("a", "b").is_withdrawn());
    assert_eq!(sim.closed_links(), 0);
    step(&mut sim, 1);
    assert!(sim.link_state("a", "b").is_withdrawn());
    assert!(sim.link_state("b", "a").is_withdrawn());
    assert_eq!(sim.closed_links(), 2);
    // `a` depends on `b`, and the link from `b` to `a` is withdrawn: `a` loses dissemination.
    assert_eq!(sim.agencies().mods[a].lost, bit);
    // `b` offers to `a`: blocked as withdrawn.
    let item = sim.item("t", "b", 1.0);
    sim.analysed("b", item, 1.5).run(share_items);
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Withdrawn, 1));
    // Not a trust withdrawal, but both directed links count as withdrawn from 1 h.
    assert_eq!(sim.tally().withdrawals, 0);
    assert_eq!(sim.link_state("a", "b").withdrawn_at, Some(1.0));
    assert_eq!(sim.link_state("b", "a").withdrawn_at, Some(1.0));
    step(&mut sim, 2);
    assert!(sim.link_state("a", "b").is_withdrawn());
    step(&mut sim, 3);
    assert!(!sim.link_state("a", "b").is_withdrawn());
    assert!(!sim.link_state("b", "a").is_withdrawn());
    assert_eq!(sim.closed_links(), 0);
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
    assert_eq!(sim.closed_links(), 2);
    assert_eq!(sim.agencies().mods[b].speedup, 0.0);
    assert_eq!(sim.agencies().mods[a].lost, 0);
    // A hold is not a withdrawal.
    assert_eq!(sim.link_state("a", "b").withdrawn_at, None);
    offer(&mut sim, 1.5);
    assert_eq!(sim.blocked(), Sim::only(BlockReason::Legal, 1));
    assert_eq!(sim.in_flight(), 0);
    step(&mut sim, 2);
    assert_eq!(sim.link_state("a", "b").held, 0);
    assert_eq!(sim.closed_links(), 0);
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
    assert_eq!(sim.closed_links(), 2);
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
    assert_eq!(sim.closed_links(), 0);
    assert_eq!(sim.tally().withdrawals, 0);
    assert_eq!(sim.link_state("a", "b").withdrawn_at, Some(0.5));
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

// ---------------------------------------------------------------------------------------------
// Milestone triggers: fire at milestone time + delay, exactly, in the first Injects phase that
// can see it (milestones are set by later phases of a tick), and never without the milestone.

/// The time inject `id` fired, if it did.
fn fired(sim: &Sim, id: &str) -> Option<f64> {
    let st = sim.st();
    let i = st.injects.iter().position(|x| x.id == id).expect("inject");
    sim.world.resource::<InjectStates>().fired_at[i]
}

/// Run the Injects phase (objective judging, then the MSEL) of ticks `from..to`.
fn injects_phase(sim: &mut Sim, from: u64, to: u64) {
    for k in from..to {
        sim.at(k).run(judge_objectives).run(fire_injects).refresh();
    }
}

/// Set a threat milestone of `t` at `m` [h] by its name.
fn set_threat_milestone(sim: &mut Sim, which: &str, m: f64) {
    let t = sim.threat("t").ix();
    let mut th = sim.world.resource_mut::<crate::sim::state::ThreatStates>();
    let s = &mut th.0[t];
    match which {
        "Harm" => s.harm_at = Some(m),
        "Detected" => s.detected_at = Some(m),
        "FirstShared" => s.first_share_at = Some(m),
        "Acted" => s.first_action_at = Some(m),
        "Resolved" => s.resolved_at = Some(m),
        _ => unreachable!("{which}"),
    }
}

#[test]
fn each_threat_milestone_trigger_fires_at_the_milestone_plus_its_delay_and_never_without_it() {
    for which in ["Harm", "Detected", "FirstShared", "Acted", "Resolved"] {
        let injects = format!(
            "{}{}",
            inject(
                "now1",
                &format!(r#"Milestone(on: {which}("t"))"#),
                "Note",
                None
            ),
            inject(
                "later2",
                &format!(r#"Milestone(on: {which}("t"), delay: hours(3))"#),
                "Note",
                None
            ),
        );
        let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &injects));
        injects_phase(&mut sim, 0, 3);
        assert_eq!(
            fired(&sim, "now1"),
            None,
            "{which}: fired before its milestone"
        );
        // The milestone happens inside tick 2 (a later phase): the trigger sees it at tick 3
        // and fires at the milestone's own time.
        set_threat_milestone(&mut sim, which, 2.25);
        injects_phase(&mut sim, 3, 4);
        assert_eq!(fired(&sim, "now1"), Some(2.25), "{which}");
        injects_phase(&mut sim, 4, 5);
        assert_eq!(fired(&sim, "later2"), None, "{which}: 5.25 h is in tick 5");
        injects_phase(&mut sim, 5, 6);
        assert_eq!(fired(&sim, "later2"), Some(5.25), "{which}");

        let mut quiet = Sim::new(&net(r#"channels: ["c"]"#, &injects));
        injects_phase(&mut quiet, 0, 48);
        assert_eq!(
            fired(&quiet, "now1"),
            None,
            "{which}: fired without its milestone"
        );
        assert_eq!(fired(&quiet, "later2"), None, "{which}");
    }
}

#[test]
fn agency_failed_and_recovered_triggers_follow_the_outage_exactly() {
    let injects = format!(
        "{}{}{}",
        inject(
            "out1",
            "At(minutes(135))",
            r#"AgencyOutage("b")"#,
            Some("minutes(90)")
        ),
        inject(
            "failed2",
            r#"Milestone(on: AgencyFailed("b"))"#,
            "Note",
            None
        ),
        inject(
            "recovered3",
            r#"Milestone(on: AgencyRecovered("b"), delay: hours(1))"#,
            "Note",
            None
        ),
    );
    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &injects));
    injects_phase(&mut sim, 0, 3);
    // Down at 2.25 h, seen in the same Injects phase (the outage fired earlier in it).
    assert_eq!(fired(&sim, "failed2"), Some(2.25));
    assert_eq!(fired(&sim, "recovered3"), None);
    injects_phase(&mut sim, 3, 4);
    // Back at 3.75 h (undone in tick 3); + 1 h = 4.75 h, in tick 4.
    assert_eq!(fired(&sim, "recovered3"), None);
    injects_phase(&mut sim, 4, 5);
    assert_eq!(fired(&sim, "recovered3"), Some(4.75));

    let quiet = format!(
        "{}{}",
        inject(
            "failed2",
            r#"Milestone(on: AgencyFailed("b"))"#,
            "Note",
            None
        ),
        inject(
            "recovered3",
            r#"Milestone(on: AgencyRecovered("b"))"#,
            "Note",
            None
        ),
    );
    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &quiet));
    injects_phase(&mut sim, 0, 48);
    assert_eq!(fired(&sim, "failed2"), None);
    assert_eq!(fired(&sim, "recovered3"), None);
}

#[test]
fn a_partnership_withdrawn_trigger_follows_an_inject_withdrawal_or_a_trust_withdrawal() {
    let by_inject = format!(
        "{}{}",
        inject("wd1", "At(minutes(135))", r#"Withdrawal("m")"#, None),
        inject(
            "seen2",
            r#"Milestone(on: PartnershipWithdrawn("m"))"#,
            "Note",
            None
        ),
    );
    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &by_inject));
    injects_phase(&mut sim, 0, 3);
    assert_eq!(fired(&sim, "seen2"), Some(2.25));

    let by_trust = inject(
        "seen2",
        r#"Milestone(on: PartnershipWithdrawn("m"), delay: minutes(30))"#,
        "Note",
        None,
    );
    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &by_trust));
    injects_phase(&mut sim, 0, 5);
    assert_eq!(fired(&sim, "seen2"), None);
    // The trust phase of tick 4 withdraws b → a at its end (5 h).
    sim.link_state_mut("b", "a").mark_withdrawn(5.0);
    injects_phase(&mut sim, 5, 6);
    assert_eq!(fired(&sim, "seen2"), Some(5.5));

    // A legal hold is not a withdrawal.
    let hold = format!(
        "{}{}",
        inject("hold1", "At(hours(1))", r#"LegalHold("m")"#, None),
        inject(
            "seen2",
            r#"Milestone(on: PartnershipWithdrawn("m"))"#,
            "Note",
            None
        ),
    );
    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &hold));
    injects_phase(&mut sim, 0, 48);
    assert_eq!(fired(&sim, "seen2"), None);
}

#[test]
fn objective_met_and_missed_triggers_judge_the_run_so_far_at_their_time() {
    // Objective "o": nothing blocked (AtMost(0)).
    let injects = format!(
        "{}{}",
        inject(
            "met1",
            r#"Milestone(on: ObjectiveMet(objective: "o", by: minutes(330)))"#,
            "Note",
            None
        ),
        inject(
            "missed2",
            r#"Milestone(on: ObjectiveMissed(objective: "o", by: minutes(330)), delay: hours(2))"#,
            "Note",
            None
        ),
    );
    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &injects));
    injects_phase(&mut sim, 0, 48);
    assert_eq!(fired(&sim, "met1"), Some(5.5));
    assert_eq!(fired(&sim, "missed2"), None);

    let mut sim = Sim::new(&net(r#"channels: ["c"]"#, &injects));
    injects_phase(&mut sim, 0, 5);
    // A needed delivery blocked before 5.5 h: the objective is missed by then.
    sim.world.resource_mut::<crate::sim::state::Tally>().blocked[0] = 1;
    injects_phase(&mut sim, 5, 7);
    assert_eq!(fired(&sim, "met1"), None);
    assert_eq!(fired(&sim, "missed2"), None, "5.5 h + 2 h is in tick 7");
    injects_phase(&mut sim, 7, 48);
    assert_eq!(fired(&sim, "missed2"), Some(7.5));
    assert_eq!(fired(&sim, "met1"), None);
}
