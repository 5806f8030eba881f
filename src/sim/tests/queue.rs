//! The analyst queue (docs/model.md §4): FIFO by arrival, `c` servers, the earliest-free server
//! takes the oldest item at max(free time, arrival), completions inside the window are
//! announced and later ones carry over, nothing starts while the agency is down.

use super::{EPS, Sim, assert_close, threat_t};
use crate::sim::agency::analyse_items;
use crate::sim::flow::deliver_items;

/// One agency `a` with `analysts` analysts and service time `service`; threat `t` with fields
/// `threat`; a second agency and a channel only because a scenario needs a partnership.
fn desk(analysts: u32, service: &str, threat: &str) -> String {
    format!(
        r#"
  agencies: [
    (id: "a", name: "Alpha", kind: FusionCenter, analysts: {analysts}, service_time: {service}, needs: [Cyber]),
    (id: "z", name: "Zulu", kind: Academia),
  ],
  channels: [(id: "c", name: "Wire", max_class: Cui, latency: Fixed(hours(1)))],
  partnerships: [(id: "p", from: "a", to: "z", direction: OneWay, channels: ["c"])],
  {}
"#,
        threat_t("Unclassified, tlp: Green", threat)
    )
}

/// Observations by `a` arriving at `times` [h], delivered into its queue in tick 0.
fn arrive(sim: &mut Sim, times: &[f64]) -> Vec<u32> {
    let items = times.iter().map(|&t| sim.observe("t", "a", t)).collect();
    sim.at(0).refresh().run(deliver_items);
    items
}

/// One tick of the Analysis phase.
fn analyse(sim: &mut Sim, tick: u64) -> Vec<(f64, String, u32)> {
    sim.at(tick).refresh().run(analyse_items);
    sim.completions()
}

fn a(t: f64, item: u32) -> (f64, String, u32) {
    (t, "a".to_string(), item)
}

#[test]
fn one_analyst_serves_items_in_order_of_arrival_back_to_back() {
    let mut sim = Sim::new(&desk(1, "Fixed(minutes(15))", ""));
    // Created out of order: the queue is ordered by arrival, not by creation.
    let it = arrive(&mut sim, &[0.2, 0.0, 0.1]);
    assert_eq!(
        analyse(&mut sim, 0),
        vec![a(0.25, it[1]), a(0.5, it[2]), a(0.75, it[0])]
    );
    let ag = sim.agencies();
    let q = &ag.queue[sim.agency("a").ix()];
    assert_eq!(q.served, 3);
    assert_close(q.busy, 0.75);
    // Waits: 0, 0.25 − 0.1, 0.5 − 0.2.
    assert_close(q.wait_sum, 0.15 + 0.3);
    assert_close(q.capacity_hours(ag.since_staffing), 1.0);
    assert!(q.waiting.is_empty() && q.in_service.is_empty());
}

#[test]
fn the_earliest_free_analyst_takes_the_next_item_and_late_completions_carry_over() {
    let mut sim = Sim::new(&desk(2, "Fixed(minutes(30))", ""));
    let it = arrive(&mut sim, &[0.0, 0.1, 0.2, 0.3]);
    // Server 1: item 0 at 0 → 0.5, then item 2 at 0.5 → 1.0 (the window's end: carried over).
    // Server 2: item 1 at 0.1 → 0.6, then item 3 at 0.6 → 1.1.
    assert_eq!(analyse(&mut sim, 0), vec![a(0.5, it[0]), a(0.6, it[1])]);
    let q = &sim.agencies().queue[sim.agency("a").ix()];
    assert_eq!(q.served, 4);
    assert_eq!(q.in_service.len(), 2);
    assert_close(q.wait_sum, 0.3 + 0.3);
    assert_eq!(analyse(&mut sim, 1), vec![a(1.0, it[2]), a(1.1, it[3])]);
}

#[test]
fn items_wait_while_every_analyst_is_busy() {
    let mut sim = Sim::new(&desk(1, "Fixed(hours(1))", ""));
    let it = arrive(&mut sim, &[0.0, 0.0, 0.0]);
    assert_eq!(analyse(&mut sim, 0), vec![]);
    let ix = sim.agency("a").ix();
    assert_eq!(sim.agencies().queue[ix].waiting.len(), 2);
    assert_eq!(analyse(&mut sim, 1), vec![a(1.0, it[0])]);
    assert_eq!(sim.agencies().queue[ix].waiting.len(), 1);
    assert_eq!(analyse(&mut sim, 2), vec![a(2.0, it[1])]);
    assert_eq!(analyse(&mut sim, 3), vec![a(3.0, it[2])]);
    assert_close(sim.agencies().queue[ix].wait_sum, 1.0 + 2.0);
}

#[test]
fn service_completes_after_the_time_drawn_from_the_agencys_service_stream() {
    let mut sim = Sim::new(&desk(1, "Exponential(mean: hours(3))", ""));
    let ix = sim.agency("a").ix();
    let mut stream = sim.agencies().streams[ix].service.clone();
    let want = sim.st().agencies[ix].service.sample(&mut stream);
    let it = arrive(&mut sim, &[0.0]);
    let done_tick = want.floor() as u64;
    for k in 0..done_tick {
        assert_eq!(
            analyse(&mut sim, k),
            vec![],
            "tick {k}: done before {want} h"
        );
    }
    assert_eq!(analyse(&mut sim, done_tick), vec![a(want, it[0])]);
    assert!((sim.agencies().queue[ix].busy - want).abs() <= EPS);
}

#[test]
fn a_down_agency_starts_nothing_but_finishes_what_is_in_service() {
    let mut sim = Sim::new(&desk(1, "Fixed(minutes(90))", ""));
    let it = arrive(&mut sim, &[0.0, 0.0]);
    assert_eq!(analyse(&mut sim, 0), vec![]);
    let ix = sim.agency("a").ix();
    sim.agencies_mut().status[ix].scripted_down = 1;
    // Item 0 completes at 1.5 h although the agency is down; item 1 does not start.
    assert_eq!(analyse(&mut sim, 1), vec![a(1.5, it[0])]);
    assert_eq!(sim.agencies().queue[ix].waiting.len(), 1);
    // Back up: item 1 starts at the tick start, 2 h, not at 1.5 h.
    sim.agencies_mut().status[ix].scripted_down = 0;
    assert_eq!(analyse(&mut sim, 2), vec![]);
    assert_eq!(analyse(&mut sim, 3), vec![a(3.5, it[1])]);
    let ag = sim.agencies();
    let q = &ag.queue[ix];
    assert_close(q.wait_sum, 2.0);
    // Server-hours count only while the agency works (ticks 0, 2, 3).
    assert_close(q.capacity_hours(ag.since_staffing), 3.0);
}

#[test]
fn a_perishable_item_reached_after_its_lifetime_expires_unanalysed() {
    let mut sim = Sim::new(&desk(
        1,
        "Fixed(hours(1))",
        "perishability: Some(minutes(30))",
    ));
    let it = arrive(&mut sim, &[0.0, 0.0]);
    assert_eq!(analyse(&mut sim, 0), vec![]);
    // Item 1 would start at 1 h > 0 h + 30 min: it expires instead.
    assert_eq!(analyse(&mut sim, 1), vec![a(1.0, it[0])]);
    assert_eq!(sim.tally().expired, 1);
    let q = &sim.agencies().queue[sim.agency("a").ix()];
    assert_eq!(q.served, 1);
    assert!(q.waiting.is_empty() && q.in_service.is_empty());
}

#[test]
fn a_technology_benefit_shortens_service_by_its_speedup() {
    let body = desk(1, "Fixed(hours(1))", "").replace(
        r#"channels: ["c"])"#,
        r#"channels: ["c"]),
    (id: "tech", from: "z", to: "a", direction: OneWay, channels: ["c"], benefits: [Technology(speedup: 0.25)])"#,
    );
    let mut sim = Sim::new(&body);
    let it = arrive(&mut sim, &[0.0]);
    assert_eq!(analyse(&mut sim, 0), vec![a(0.75, it[0])]);
}
