//! Hazards: an impact whose time no response moves, consequences that responses mitigate,
//! arrivals exactly at their lead time, crew-driven restoration against its closed form, and
//! the degree of a dependency on a shared service.

use super::{Sim, scenario};
use crate::sim::inject::fire_injects;
use crate::sim::rng::RunSeed;
use crate::sim::{Model, RunOptions, RunOutcome};

/// Agencies, a channel and partnerships shared by these tests; every agency observes each
/// hourly signal of the hazard and analyses an item in 6 minutes, so decisions come early
/// (about 1.1 h) and without randomness.
const BASE: &str = r#"
  agencies: [
    (id: "eoc", name: "County EOC", kind: Eoc, collection: {Hazard: 1.0}, service_time: Fixed(minutes(6))),
    (id: "rc", name: "Red Cross", kind: Ngo, collection: {Hazard: 1.0}, service_time: Fixed(minutes(6)),
     processing: (per_hour: 0.0, shelter: 600.0)),
    (id: "util", name: "Utility", kind: CriticalInfrastructure, collection: {Hazard: 1.0},
     service_time: Fixed(minutes(6))),
    (id: "psap", name: "911", kind: SlttGovernment, collection: {Hazard: 1.0}, service_time: Fixed(minutes(6))),
    (id: "hosp", name: "Hospital", kind: CriticalInfrastructure, DEPENDS),
  ],
  channels: [(id: "ph", name: "Phone", max_class: Cui, latency: Fixed(minutes(5)))],
  partnerships: [
    (id: "p1", from: "eoc", to: "rc", channels: ["ph"]),
    (id: "p2", from: "eoc", to: "util", channels: ["ph"]),
    (id: "p3", from: "eoc", to: "psap", channels: ["ph"]),
    (id: "p4", from: "util", to: "hosp", channels: ["ph"]),
  ],
"#;

/// The hazard `h` with impact time `at`, roles `roles`, and injects `injects`.
fn body(at: &str, roles: &str, depends: &str, injects: &str) -> String {
    let base = BASE.replace("DEPENDS", depends);
    format!(
        r#"{base}
  threats: [(id: "h", name: "Hurricane", kind: Hazard, signal_interval: Fixed(hours(1)),
             marking: (class: Unclassified, tlp: Clear), response: (action: Warn),
             roles: [{roles}],
             impact: (at: {at}, displaced: 1000, outages: [
               (service: "util", customers: 1000, first_restore: 200.0, per_crew_hour: 1.0),
               (service: "psap", workaround_by: "psap"),
             ]))],
  injects: [{injects}],
"#
    )
}

/// The role of the 911 authority that works around its outage (text-to-911) 4 h after it
/// decides; it cannot decide before the impact.
const PSAP: &str = r#"(agency: "psap", action: Mitigate, time_to_act: Fixed(hours(4)))"#;
/// The Red Cross opening its 600 shelter places 2 h after it decides.
const RC: &str = r#"(agency: "rc", action: MassCare, time_to_act: Fixed(hours(2)))"#;
/// 100 line workers arriving 6 h after the request at hour 10.
const CREWS: &str = r#"(id: "I-1", number: 1, trigger: At(hours(10)), synopsis: "Mutual aid",
    effect: Arrival(agency: "util", crews: 100, lead: hours(6)))"#;

fn model(body: &str) -> Model {
    Model::new(&scenario(body))
}

fn run(m: &Model, run_index: u64) -> RunOutcome {
    m.run(
        RunSeed {
            master: 11,
            run_index,
        },
        RunOptions::default(),
    )
}

fn metric(m: &Model, out: &RunOutcome, id: &str) -> Option<f64> {
    let ix = m
        .catalog()
        .metrics
        .iter()
        .position(|d| d.id == id)
        .unwrap_or_else(|| panic!("no metric {id}"));
    out.metrics[ix]
}

#[test]
fn the_impact_time_is_the_same_with_or_without_any_response_run_by_run() {
    let at = "Uniform(min: hours(30), max: hours(42))";
    let with = model(&body(at, &format!("{RC}, {PSAP}"), "", CREWS));
    let without = model(&body(at, "", "", CREWS));
    let n = 400;
    let mut sum = 0.0;
    for k in 0..n {
        let a = metric(&with, &run(&with, k), "impact_time.h").expect("impact");
        let b = metric(&without, &run(&without, k), "impact_time.h").expect("impact");
        // Paired: the same run draws the same impact whatever the players do.
        assert_eq!(a, b, "run {k}");
        sum += a;
    }
    // Uniform(30, 42): mean 36, sd 12/√12; within 4 standard errors.
    let se = 12.0 / 12f64.sqrt() / (n as f64).sqrt();
    let mean = sum / n as f64;
    assert!((mean - 36.0).abs() < 4.0 * se, "mean impact {mean}");
}

#[test]
fn shelter_opened_before_the_impact_cuts_the_peak_without_shelter_to_what_it_cannot_hold() {
    let with = model(&body("Fixed(hours(5))", RC, "", CREWS));
    let without = model(&body("Fixed(hours(5))", "", "", CREWS));
    let (a, b) = (run(&with, 0), run(&without, 0));
    assert_eq!(
        metric(&with, &a, "people_without_shelter_peak.h"),
        Some(400.0)
    );
    assert_eq!(
        metric(&without, &b, "people_without_shelter_peak.h"),
        Some(1000.0)
    );
    // 400 people from the impact at 5 h to the end at 48 h.
    assert_eq!(
        metric(&with, &a, "people_without_shelter_hours.h"),
        Some(400.0 * 43.0)
    );
    // The hazard is never resolved, whatever the response: it has no such column.
    assert!(with.catalog().metrics.iter().all(|d| d.id != "resolved.h"));
}

#[test]
fn restoration_follows_its_closed_form_with_crews_arriving_at_their_lead_time() {
    // Impact at 5 h; crews (100) arrive at 10 + 6 = 16 h; 200 crew-hours to the first
    // restoration → 18 h; then 100 customers per hour → all 1000 back at 28 h.
    let m = model(&body("Fixed(hours(5))", PSAP, "", CREWS));
    let out = run(&m, 0);
    let eps = 1e-9;
    let close = |id: &str, want: f64| {
        let got = metric(&m, &out, id).unwrap_or(f64::NAN);
        assert!((got - want).abs() < eps, "{id}: {got} vs {want}");
    };
    close("time_to_first_restoration.util", 13.0);
    close("hours_without_service.util", 13.0);
    // ∫ out dt = 1000 × (28 − 5) − ½ × 1000 × (28 − 18).
    close("customer_hours_out.util", 23_000.0 - 5_000.0);
    // The same crews with no lead time: everything 6 h earlier.
    let now = model(&body(
        "Fixed(hours(5))",
        PSAP,
        "",
        &CREWS.replace("lead: hours(6)", "lead: hours(0)"),
    ));
    let out0 = run(&now, 0);
    let first0 = metric(&now, &out0, "time_to_first_restoration.util").unwrap_or(f64::NAN);
    assert!((first0 - 7.0).abs() < eps, "{first0}");
}

#[test]
fn the_restored_share_objective_reads_the_curve_at_its_window() {
    let b = body("Fixed(hours(5))", PSAP, "", CREWS).replace(
        "  injects:",
        r#"  objectives: [(id: "r", description: "Half restored", capability: InfrastructureSystems,
      metric: CustomersRestoredShare(service: "util", within: hours(18)), target: AtLeast(0.5))],
  injects:"#,
    );
    // The helper adds its own objective list: drop it by writing the whole scenario here.
    let ron = format!(r#"(exercise: (name: "Unit", duration: hours(48), tick: hours(1)), {b})"#);
    let scn = crate::scenario::load_str(std::path::Path::new("unit.ron"), &ron)
        .unwrap_or_else(|e| panic!("{e}"));
    let m = Model::new(&scn);
    let out = run(&m, 0);
    // At 5 + 18 = 23 h: 100 × (23 − 18) = 500 of 1000.
    assert_eq!(metric(&m, &out, "restored_share_18h.util"), Some(0.5));
    assert!(out.objectives[0].met);
}

#[test]
fn a_workaround_restores_the_service_a_fixed_time_after_the_impact() {
    let m = model(&body("Fixed(hours(5))", PSAP, "", CREWS));
    let out = run(&m, 0);
    // The 911 authority cannot act before the impact at 5 h; it decides on its latest
    // evidence, the item of the 5 h signal analysed at 5.1 h, and text-to-911 takes 4 h:
    // 911 is out from 5 h to 9.1 h.
    let h = metric(&m, &out, "hours_without_service.psap").unwrap_or(f64::NAN);
    assert!((h - 4.1).abs() < 1e-9, "{h}");
}

#[test]
fn each_role_acts_with_its_own_time_to_act() {
    let roles =
        format!(r#"{RC}, (agency: "eoc", action: PublicWarning, time_to_act: Fixed(hours(5)))"#);
    let b = body("Fixed(hours(30))", &roles, "", CREWS).replace(
        "  injects:",
        r#"  objectives: [
    (id: "a", description: "RC", capability: MassCareServices,
     metric: TimeToActionBy(threat: "h", agency: "rc"), target: Within(hours(48))),
    (id: "b", description: "EOC", capability: PublicInformationAndWarning,
     metric: TimeToActionBy(threat: "h", agency: "eoc"), target: Within(hours(48)))],
  injects:"#,
    );
    let ron = format!(r#"(exercise: (name: "Unit", duration: hours(48), tick: hours(1)), {b})"#);
    let scn = crate::scenario::load_str(std::path::Path::new("unit.ron"), &ron)
        .unwrap_or_else(|e| panic!("{e}"));
    let m = Model::new(&scn);
    let out = run(&m, 0);
    let (rc, eoc) = (
        out.objectives[0].value.expect("rc acted"),
        out.objectives[1].value.expect("eoc acted"),
    );
    // Both decide on the same evidence; the EOC's warning takes 3 h longer.
    assert!((eoc - rc - 3.0).abs() < 1e-9, "rc {rc}, eoc {eoc}");
}

#[test]
fn a_dependency_of_degree_one_half_exposes_its_dependant_half_the_outage() {
    let dep =
        |degree: &str| format!(r#"depends_on: [(partner: "util", function: Analysis{degree})]"#);
    let half = model(&body("Fixed(hours(5))", PSAP, &dep(", degree: 0.5"), CREWS));
    let full = model(&body("Fixed(hours(5))", PSAP, &dep(""), CREWS));
    let (a, b) = (run(&half, 0), run(&full, 0));
    // The utility's service is out 13 h (5 h → 18 h), seen by dependants from the next tick.
    assert_eq!(metric(&half, &a, "service_exposure.hosp"), Some(6.5));
    assert_eq!(metric(&half, &a, "function_lost_hours.hosp"), Some(0.0));
    assert_eq!(metric(&full, &b, "function_lost_hours.hosp"), Some(13.0));
    assert_eq!(metric(&full, &b, "service_exposure.hosp"), Some(13.0));
}

#[test]
fn arrived_analysts_join_exactly_at_the_lead_time_and_leave_after_the_duration() {
    let inj = r#"(id: "I-2", number: 2, trigger: At(hours(10)), synopsis: "Analysts",
        effect: Arrival(agency: "eoc", analysts: 3, lead: hours(5)), duration: hours(4))"#;
    let mut sim = Sim::new(&body("Fixed(hours(5))", "", "", inj));
    let eoc = sim.agency("eoc");
    let mut seen = Vec::new();
    for k in 0..24 {
        sim.at(k).run(fire_injects);
        seen.push(sim.agencies().status[eoc.ix()].arrived_analysts);
    }
    let want: Vec<u32> = (0..24)
        .map(|k| if (15..19).contains(&k) { 3 } else { 0 })
        .collect();
    assert_eq!(seen, want);
}

#[test]
fn an_agency_that_arrives_is_down_until_its_arrival() {
    let inj = r#"(id: "I-3", number: 3, trigger: At(hours(2)), synopsis: "Guard",
        effect: Arrival(agency: "hosp", lead: hours(3)))"#;
    let mut sim = Sim::new(&body("Fixed(hours(5))", "", "arrives: true", inj));
    let hosp = sim.agency("hosp");
    let mut up = Vec::new();
    for k in 0..8 {
        sim.at(k).run(fire_injects);
        up.push(sim.agencies().status[hosp.ix()].up());
    }
    assert_eq!(up, [false, false, false, false, false, true, true, true]);
}
