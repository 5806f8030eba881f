//! Every mechanism of the engine visibly changes outcomes: each test flips one lever on a small
//! pipeline-ransomware network and checks the paired difference over common random numbers is
//! significant (beyond 4 standard errors) and in the expected direction.

use std::path::Path;
use tabletop::scenario::schema::*;
use tabletop::scenario::{ValidScenario, load_str};
use tabletop::sim::{Model, RunOptions, RunSeed};

const BASE: &str = r#"(
  exercise: (name: "Mechanisms", duration: days(3), tick: minutes(15)),
  agencies: [
    (id: "op", name: "Pipeline Operator", kind: CriticalInfrastructure, collection: {Cyber: 0.3},
     needs: [Cyber], analysts: 2, service_time: Exponential(mean: minutes(30))),
    (id: "fbi", name: "FBI Field Office", kind: FederalLawEnforcement, clearance: Secret, analysts: 3,
     service_time: Exponential(mean: minutes(45))),
    (id: "cisa", name: "CISA", kind: FederalComponent, clearance: Secret, analysts: 4,
     needs: [Cyber], acts_on: [Cyber], service_time: Exponential(mean: hours(1))),
    (id: "fc", name: "Fusion Center", kind: FusionCenter, clearance: Secret, analysts: 2,
     needs: [Cyber], service_time: Exponential(mean: hours(2))),
    (id: "eoc", name: "State EOC", kind: Eoc, needs: [Cyber]),
    (id: "util", name: "Water Utility", kind: CriticalInfrastructure, needs: [Cyber]),
    (id: "isac", name: "Sector ISAC", kind: Isac),
  ],
  channels: [
    (id: "phone", name: "Phone", max_class: Cui, latency: LogNormal(median: minutes(20), p95: hours(2))),
    (id: "stu", name: "Secure phone", max_class: Secret, latency: LogNormal(median: minutes(30), p95: hours(3))),
    (id: "hsin", name: "HSIN", max_class: Cui, latency: LogNormal(median: minutes(40), p95: hours(3))),
  ],
  partnerships: [
    (id: "op_fbi", from: "op", to: "fbi", channels: ["phone"], trust: 0.8, share_probability: 0.9, agreement: Mou),
    (id: "fbi_cisa", from: "fbi", to: "cisa", channels: ["stu"], trust: 0.7, share_probability: 0.8, agreement: Mou),
    (id: "cisa_fc", from: "cisa", to: "fc", channels: ["hsin", "stu"], agreement: DataSharingAgreement),
    (id: "fc_eoc", from: "fc", to: "eoc", channels: ["hsin", "phone"], agreement: Mou),
    (id: "fc_util", from: "fc", to: "util", channels: ["hsin"], agreement: Mou),
    (id: "isac_cisa", from: "isac", to: "cisa", direction: OneWay, channels: ["hsin"], agreement: Cisa2015),
  ],
  threats: [(id: "rw", name: "Ransomware", kind: Cyber, signal_interval: Exponential(mean: hours(3)),
             observed_by: ["op"], marking: (class: Cui, tlp: Amber),
             deadline: Some(Fixed(hours(30))),
             response: (action: Mitigate, corroboration: Some(2), time_to_act: Fixed(hours(2))))],
  objectives: [
    (id: "warn", description: "All informed in 12 h", capability: IntelligenceAndInformationSharing,
     metric: Coverage(threat: "rw", within: hours(12)), target: AtLeast(1.0)),
    (id: "fix", description: "Mitigated before harm", capability: Cybersecurity,
     metric: Resolved("rw"), target: AtLeast(1.0)),
  ],
)"#;

const RUNS: u64 = 400;

fn base() -> ValidScenario {
    load_str(Path::new("mechanisms.ron"), BASE).unwrap_or_else(|e| panic!("{e}"))
}

/// The base scenario edited in place by `f` (through the `test-support` hook, which skips
/// validation: each edit must keep the scenario well-formed).
fn with(f: impl FnOnce(&mut ScenarioSpec)) -> ValidScenario {
    let mut s = base();
    f(&mut s.spec_mut());
    s
}

fn agency<'a>(s: &'a mut ScenarioSpec, id: &str) -> &'a mut AgencySpec {
    s.agencies.iter_mut().find(|a| a.id == id).expect("agency")
}

fn partnership<'a>(s: &'a mut ScenarioSpec, id: &str) -> &'a mut PartnershipSpec {
    s.partnerships
        .iter_mut()
        .find(|a| a.id == id)
        .expect("partnership")
}

/// A scripted inject with the MSEL fields left empty.
fn inject(
    id: &str,
    trigger: TriggerSpec,
    synopsis: &str,
    effect: EffectSpec,
    duration: Option<Duration>,
) -> InjectSpec {
    InjectSpec {
        id: id.into(),
        number: 1,
        trigger,
        synopsis: synopsis.into(),
        effect,
        probability: 1.0,
        duration,
        from: String::new(),
        to: vec![],
        delivery: String::new(),
        expected_action: String::new(),
        objectives: vec![],
        capability: None,
        enabled: true,
    }
}

/// Per-run values of a metric (missing → `missing`) for a scenario.
fn column(s: &ValidScenario, id: &str, missing: f64) -> Vec<f64> {
    column_runs(s, id, missing, RUNS)
}

/// As [`column`], over `runs` runs.
fn column_runs(s: &ValidScenario, id: &str, missing: f64, runs: u64) -> Vec<f64> {
    let m = Model::new(s);
    let col = m
        .catalog()
        .metrics
        .iter()
        .position(|x| x.id == id)
        .unwrap_or_else(|| panic!("no metric {id}"));
    (0..runs)
        .map(|i| {
            m.run(
                RunSeed {
                    master: 2024,
                    run_index: i,
                },
                RunOptions::default(),
            )
            .metrics[col]
                .unwrap_or(missing)
        })
        .collect()
}

/// Paired mean difference (b − a) and its standard error.
fn paired(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let n = d.len() as f64;
    let m = d.iter().sum::<f64>() / n;
    let v = d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (v / n).sqrt())
}

/// Assert the lever moves the metric up (`up = true`) or down, significantly.
fn moves(metric: &str, missing: f64, lever: impl FnOnce(&mut ScenarioSpec), up: bool) {
    moves_on(|_| {}, metric, missing, lever, up)
}

/// Keep analysts busy: signals every 20 minutes, observed every time, never resolved.
fn busy(s: &mut ScenarioSpec) {
    s.threats[0].signal_interval = Dist::Exponential {
        mean: Duration::Minutes(20.0),
    };
    s.threats[0].response.corroboration = Some(100_000);
    agency(s, "op").collection.insert(ThreatKind::Cyber, 1.0);
}

/// As [`moves`], on the base prepared by `prep`.
fn moves_on(
    prep: impl Fn(&mut ScenarioSpec),
    metric: &str,
    missing: f64,
    lever: impl FnOnce(&mut ScenarioSpec),
    up: bool,
) {
    moves_on_runs(RUNS, prep, metric, missing, lever, up)
}

/// As [`moves_on`], over `runs` runs (for effects too small to show at [`RUNS`] with power).
fn moves_on_runs(
    runs: u64,
    prep: impl Fn(&mut ScenarioSpec),
    metric: &str,
    missing: f64,
    lever: impl FnOnce(&mut ScenarioSpec),
    up: bool,
) {
    let a = column_runs(&with(&prep), metric, missing, runs);
    let b = column_runs(
        &with(|s| {
            prep(s);
            lever(s)
        }),
        metric,
        missing,
        runs,
    );
    let (d, se) = paired(&a, &b);
    let signed = if up { d } else { -d };
    assert!(
        signed > 4.0 * se.max(1e-12),
        "{metric}: paired difference {d:.4} (se {se:.4}) not significantly {}",
        if up { "positive" } else { "negative" }
    );
}

#[test]
fn collection_ability_decides_detection() {
    moves(
        "time_to_detection.rw",
        72.0,
        |s| {
            agency(s, "op").collection.insert(ThreatKind::Cyber, 0.9);
        },
        false,
    );
}

#[test]
fn more_analysts_shorten_the_queue() {
    moves_on(
        busy,
        "mean_queue_wait",
        0.0,
        |s| {
            agency(s, "fc").analysts = 1;
            agency(s, "cisa").analysts = 1;
        },
        true,
    );
}

/// Make the threat's items Secret and let them reach the fusion center.
fn secret_upstream(s: &mut ScenarioSpec) {
    s.threats[0].marking.class = Classification::Secret;
    agency(s, "op").clearance = Classification::Secret;
    partnership(s, "op_fbi").channels = vec!["stu".into()];
}

#[test]
fn classification_above_a_partner_clearance_blocks_needed_deliveries() {
    moves(
        "blocked.clearance",
        0.0,
        |s| {
            secret_upstream(s);
            agency(s, "eoc").clearance = Classification::Cui;
            partnership(s, "fc_eoc").channels = vec!["phone".into()];
        },
        true,
    );
}

#[test]
fn a_channel_below_the_item_classification_blocks_it() {
    moves(
        "blocked.channel",
        0.0,
        |s| {
            secret_upstream(s);
            agency(s, "util").clearance = Classification::Secret;
        },
        true,
    );
}

#[test]
fn a_partnership_without_agreement_blocks_amber_items() {
    moves(
        "blocked.marking",
        0.0,
        |s| {
            partnership(s, "fc_eoc").agreement = Agreement::None;
        },
        true,
    );
}

#[test]
fn lax_handling_turns_marking_blocks_into_violations() {
    moves(
        "handling_violations",
        0.0,
        |s| {
            partnership(s, "fc_eoc").agreement = Agreement::None;
            agency(s, "fc").handling_compliance = Some(0.2);
        },
        true,
    );
}

/// A lax fusion center passing Amber items to the EOC without an agreement.
fn lax(s: &mut ScenarioSpec) {
    partnership(s, "fc_eoc").agreement = Agreement::None;
    agency(s, "fc").handling_compliance = Some(0.6);
}

#[test]
fn joint_training_rigorous_vetting_and_an_agreement_each_cut_violations_and_exposure() {
    // Paired on common random numbers: the same u_violate draws, a lower p_violate.
    moves_on(
        lax,
        "handling_violations",
        0.0,
        |s| partnership(s, "fc_eoc").joint_training = true,
        false,
    );
    // Vetting acts on the few insider leaks among many offers: a small effect on the mean
    // exposure (about 0.04 SWD), so its paired comparison needs more runs than the others to
    // clear 4 standard errors with power.
    moves_on_runs(
        4 * RUNS,
        lax,
        "leak_exposure",
        0.0,
        |s| agency(s, "fc").vetting = Vetting::Rigorous,
        false,
    );
    // Under an MOU Amber passes without breaking a rule: no violation, no legal finding.
    moves_on(
        lax,
        "legal_findings",
        0.0,
        |s| partnership(s, "fc_eoc").agreement = Agreement::Mou,
        false,
    );
}

#[test]
fn a_legal_barrier_blocks_or_delays_items() {
    moves(
        "blocked.legal",
        0.0,
        |s| {
            partnership(s, "fbi_cisa").legal_barriers = vec![LegalBarrierSpec {
                description: "contract".into(),
                block_probability: 0.7,
                delay: Duration::Hours(12.0),
                min_class: Classification::Unclassified,
            }];
        },
        true,
    );
}

#[test]
fn a_partner_extended_collection_speeds_detection_only_while_the_partner_is_up() {
    let benefit = |s: &mut ScenarioSpec| {
        partnership(s, "isac_cisa").benefits = vec![BenefitSpec::ExtendedCollection {
            threat: ThreatKind::Cyber,
            probability: 0.6,
            to: None,
        }];
    };
    moves("time_to_detection.rw", 72.0, benefit, false);
    // With the ISAC down for the whole exercise the benefit is lost.
    let up = column(&with(benefit), "time_to_detection.rw", 72.0);
    let down = column(
        &with(|s| {
            benefit(s);
            s.injects.push(inject(
                "I-down",
                TriggerSpec::At(Duration::Hours(0.0)),
                "ISAC portal down",
                EffectSpec::AgencyOutage("isac".into()),
                None,
            ));
        }),
        "time_to_detection.rw",
        72.0,
    );
    let (d, se) = paired(&up, &down);
    assert!(
        d > 4.0 * se,
        "losing the partner should slow detection: {d} ± {se}"
    );
}

#[test]
fn technology_and_resource_augmentation_shorten_analysis() {
    let give = |b: BenefitSpec| {
        move |s: &mut ScenarioSpec| {
            busy(s);
            partnership(s, "cisa_fc").benefits = vec![b];
            agency(s, "fc").analysts = 1;
            // The lender works without what it lends (docs/model.md §8): give CISA enough
            // analysts that lending four does not make its own queue the bottleneck.
            agency(s, "cisa").analysts = 12;
        }
    };
    let slow = column(
        &with(give(BenefitSpec::Technology {
            speedup: 0.0,
            to: None,
        })),
        "mean_queue_wait",
        0.0,
    );
    for b in [
        BenefitSpec::Technology {
            speedup: 0.8,
            to: None,
        },
        BenefitSpec::ResourceAugmentation {
            analysts: 4,
            processing_per_hour: 0.0,
            shelter: 0.0,
            to: None,
        },
    ] {
        let fast = column(&with(give(b.clone())), "mean_queue_wait", 0.0);
        let (d, se) = paired(&slow, &fast);
        assert!(-d > 4.0 * se, "{b:?}: wait change {d} ± {se}");
    }
}

#[test]
fn an_agency_outage_cuts_coverage() {
    moves(
        "coverage_12h.rw",
        0.0,
        |s| {
            s.injects.push(inject(
                "I-fc",
                TriggerSpec::At(Duration::Hours(1.0)),
                "Fusion center outage",
                EffectSpec::AgencyOutage("fc".into()),
                Some(Duration::Hours(24.0)),
            ));
        },
        false,
    );
}

#[test]
fn losing_a_partner_you_depend_on_for_action_stops_you_acting() {
    moves(
        "resolved.rw",
        0.0,
        |s| {
            agency(s, "cisa").depends_on = vec![DependencySpec {
                partner: "fbi".into(),
                function: Function::Action,
                degree: 1.0,
            }];
            agency(s, "fbi").reliability = Some(ReliabilitySpec {
                mtbf: Duration::Hours(10.0),
                mttr: Duration::Hours(30.0),
            });
        },
        false,
    );
}

#[test]
fn a_leaking_insider_exposes_documents_and_costs_trust() {
    let leak = |s: &mut ScenarioSpec| {
        agency(s, "fc").vetting = Vetting::None;
        s.insiders.push(InsiderSpec {
            id: "x".into(),
            agency: "fc".into(),
            access: Access::Privileged,
            action: InsiderActionSpec::Leak,
            activation_probability: 1.0,
            start: Duration::Hours(0.0),
            precursors_per_month: Rate::PerMonthPlain(1.0),
            report_probability: 0.1,
            actions_per_month: Rate::PerMonthPlain(60.0),
            threat: None,
        });
    };
    moves("leak_exposure", 0.0, leak, true);
    moves("mean_trust", 0.0, leak, false);
}

#[test]
fn an_insiders_exposure_is_attributed_in_full_to_the_links_that_delivered_the_holdings() {
    // The fusion center collects nothing itself: everything it holds came over a partnership,
    // so its insider's exposure is split over its inbound links and adds up exactly. No
    // marking is broken in the base and no channel is compromised, so the leak is all the
    // exposure there is. Each inbound link's share is charged on to the links that brought
    // it to the sender (two more hops), each at most the share it passes on.
    let s = with(leaker(1.0, false));
    let (cat, runs) = outcomes(&s);
    let fc_in: Vec<usize> = cat
        .links
        .iter()
        .enumerate()
        .filter(|(_, l)| l.to == "fc")
        .map(|(i, _)| i)
        .collect();
    let col = cat
        .metrics
        .iter()
        .position(|m| m.id == "leak_exposure")
        .expect("column");
    let (mut exposed, mut with_originator) = (0, 0);
    for r in &runs {
        let total = r.metrics[col].unwrap_or(0.0);
        let on_links: f64 = r.links.iter().map(|l| l.exposure).sum();
        let into_fc: f64 = fc_in.iter().map(|&i| r.links[i].exposure).sum();
        let upstream = on_links - into_fc;
        assert!(
            upstream >= -1e-9 && upstream <= 2.0 * into_fc + 1e-9,
            "run {}: upstream charges {upstream} against {into_fc} into fc",
            r.run_index
        );
        // With holdings, every act is attributed; only acts before the first delivery are not.
        assert!(into_fc <= total + 1e-9, "run {}", r.run_index);
        if r.links.iter().any(|l| l.received > 0.0) && into_fc > 0.0 {
            exposed += 1;
        }
        assert!(r.links.iter().all(|l| l.violating_offers == 0));
        // Originators: each link's own-collection part is part of what it was charged, and
        // the originators' parts together never exceed the exposure (what lies beyond the
        // hop horizon stays unattributed).
        for l in &r.links {
            assert!(
                l.origin_exposure <= l.exposure + 1e-9,
                "run {}",
                r.run_index
            );
        }
        let originated: f64 = r.links.iter().map(|l| l.origin_exposure).sum();
        assert!(originated <= total + 1e-9, "run {}", r.run_index);
        if originated > 0.0 {
            with_originator += 1;
        }
    }
    assert!(
        exposed > runs.len() / 2,
        "{exposed} runs with attributed exposure"
    );
    assert!(
        with_originator > runs.len() / 2,
        "{with_originator} runs with exposure attributed to an originator"
    );
}

#[test]
fn one_sided_exchange_erodes_trust_until_partners_withdraw() {
    moves(
        "withdrawals",
        0.0,
        |s| {
            for p in &mut s.partnerships {
                p.expected_equity = 20.0;
                p.withdraw_below = 0.45;
            }
            s.model.equity_window = Duration::Hours(6.0);
        },
        true,
    );
}

/// A tipper at `at` who acts about 30 times a month from the start.
fn tipper(s: &mut ScenarioSpec, at: &str) {
    s.threats[0].tipoff_advance = Duration::Hours(20.0);
    agency(s, at).vetting = Vetting::None;
    s.insiders.push(InsiderSpec {
        id: "tipper".into(),
        agency: at.into(),
        access: Access::Analyst,
        action: InsiderActionSpec::TipOff("rw".into()),
        activation_probability: 1.0,
        start: Duration::Hours(0.0),
        precursors_per_month: Rate::PerMonthPlain(0.0),
        report_probability: 0.5,
        actions_per_month: Rate::PerMonthPlain(30.0),
        threat: None,
    });
}

#[test]
fn an_insider_cannot_tip_off_what_their_agency_never_learns() {
    // The ISAC only reports to CISA and collects nothing on the ransomware: its tipper has
    // nothing to tell, so every run is as without it. At the FBI, which the operator tells,
    // the same tipper brings harm forward (the test below).
    let base = column(&base(), "resolved.rw", 0.0);
    let isolated = column(&with(|s| tipper(s, "isac")), "resolved.rw", 0.0);
    assert_eq!(base, isolated);
    let told = column(&with(|s| tipper(s, "fbi")), "resolved.rw", 0.0);
    assert_ne!(base, told);
}

#[test]
fn a_tip_off_brings_harm_before_the_response() {
    moves("resolved.rw", 0.0, |s| tipper(s, "fbi"), false);
}

#[test]
fn demanding_more_corroboration_delays_action() {
    moves(
        "time_to_action.rw",
        72.0,
        |s| {
            s.threats[0].response.corroboration = Some(5);
        },
        true,
    );
}

#[test]
fn a_contingency_inject_fires_only_when_the_expected_action_is_missing() {
    let scn = with(|s| {
        s.injects.push(inject(
            "C1",
            TriggerSpec::Contingency {
                unless: Condition::Acted("rw".into()),
                by: Duration::Hours(10.0),
            },
            "Controller prompts CISA",
            EffectSpec::Signal {
                threat: "rw".into(),
                at: "cisa".into(),
            },
            None,
        ));
    });
    let m = Model::new(&scn);
    let cat = m.catalog();
    let drv = cat
        .drivers
        .iter()
        .position(|d| d.id == "inject.C1")
        .expect("driver");
    let act = cat
        .metrics
        .iter()
        .position(|d| d.id == "time_to_action.rw")
        .expect("metric");
    let (mut fired, mut skipped) = (0, 0);
    for i in 0..RUNS {
        let o = m.run(
            RunSeed {
                master: 5,
                run_index: i,
            },
            RunOptions::default(),
        );
        let acted_by_10 = o.metrics[act].is_some_and(|t| t <= 10.0);
        assert_eq!(o.drivers[drv], !acted_by_10, "run {i}");
        if o.drivers[drv] {
            fired += 1
        } else {
            skipped += 1
        }
    }
    assert!(fired > 0 && skipped > 0, "fired {fired}, skipped {skipped}");
}

#[test]
fn a_false_alarm_is_resolved_when_nobody_acts_and_retracted_when_recognised() {
    let scn = with(|s| {
        s.threats[0].truth_probability = 0.0;
    });
    // With the default recognition (0.5) a share of runs retract the false items; that share
    // is significantly above zero, and every retraction time present is ≥ 0 by definition.
    let retract = column(&scn, "retraction_time.rw", -1.0);
    assert!(
        retract
            .iter()
            .all(|&x| x == -1.0 || (x >= 0.0 && x.is_finite())),
        "retraction times are missing or ≥ 0"
    );
    // 1 where a run retracted, else 0.
    let hits =
        |xs: &[f64]| -> Vec<f64> { xs.iter().map(|&x| f64::from(u8::from(x >= 0.0))).collect() };
    let n = RUNS as f64;
    let p_default = hits(&retract).iter().sum::<f64>() / n;
    let se_default = (p_default * (1.0 - p_default) / n).sqrt();
    assert!(
        p_default > 4.0 * se_default.max(1e-12),
        "share of runs with a retraction {p_default} ± {se_default}"
    );
    // Recognition 0 never retracts (exact); recognition 1 retracts more often than 0.5, on
    // common random numbers.
    let no_recognition = with(|s| {
        s.threats[0].truth_probability = 0.0;
        s.model.false_recognition = 0.0;
    });
    let none = column(&no_recognition, "retraction_time.rw", -1.0);
    assert!(
        none.iter().all(|&x| x == -1.0),
        "a false item was retracted although nobody can recognise it"
    );
    let sure = column(
        &with(|s| {
            s.threats[0].truth_probability = 0.0;
            s.model.false_recognition = 1.0;
        }),
        "retraction_time.rw",
        -1.0,
    );
    let (d, se) = paired(&hits(&retract), &hits(&sure));
    assert!(
        d > 4.0 * se.max(1e-12),
        "certain recognition retracts more often: {d} ± {se}"
    );
    let recognised = with(|s| {
        s.threats[0].truth_probability = 0.0;
        s.model.false_recognition = 1.0;
    });
    let never = with(|s| {
        s.threats[0].truth_probability = 0.0;
        s.model.false_recognition = 0.0;
    });
    let a = column(&never, "resolved.rw", 0.0);
    let b = column(&recognised, "resolved.rw", 0.0);
    let (d, se) = paired(&a, &b);
    assert!(
        d > 4.0 * se,
        "recognising false items avoids false-alarm action: {d} ± {se}"
    );
}

#[test]
fn surge_capacity_starts_on_the_decision_to_act_and_augmentation_helps() {
    let surge = |extra: f64| {
        move |s: &mut ScenarioSpec| {
            s.threats[0].kind = ThreatKind::Migration;
            s.threats[0].deadline = None;
            s.threats[0].surge = Some(SurgeSpec {
                total: 5000.0,
                midpoint: Duration::Hours(36.0),
                spread: Duration::Hours(8.0),
                handoff: Duration::Hours(24.0),
                group_size: 1.0,
            });
            for a in &mut s.agencies {
                for k in [&mut a.needs, &mut a.acts_on] {
                    for x in k.iter_mut() {
                        *x = ThreatKind::Migration;
                    }
                }
                if let Some(p) = a.collection.remove(&ThreatKind::Cyber) {
                    a.collection.insert(ThreatKind::Migration, p);
                }
            }
            agency(s, "eoc").processing = Some(ProcessingSpec {
                per_hour: 60.0,
                shelter: 500.0,
            });
            agency(s, "eoc").acts_on = vec![ThreatKind::Migration];
            s.threats[0].response.corroboration = Some(1);
            partnership(s, "fc_eoc").benefits = vec![BenefitSpec::ResourceAugmentation {
                analysts: 0,
                processing_per_hour: extra,
                shelter: extra * 10.0,
                to: None,
            }];
        }
    };
    let a = column(&with(surge(0.0)), "processed_within_handoff.rw", 0.0);
    let b = column(&with(surge(100.0)), "processed_within_handoff.rw", 0.0);
    // Only an informed agency processes: cut the EOC off from the fusion center and it never
    // activates, so nothing is processed (exactly 0); informed, the mean share is
    // significantly above that, on common random numbers.
    let cut = column(
        &with(|s| {
            surge(0.0)(s);
            s.partnerships.retain(|p| p.id != "fc_eoc");
        }),
        "processed_within_handoff.rw",
        0.0,
    );
    assert!(
        cut.iter().all(|&x| x == 0.0),
        "an uninformed agency processed arrivals"
    );
    let (d, se) = paired(&cut, &a);
    assert!(
        d > 4.0 * se.max(1e-12),
        "informed agencies process arrivals: {d} ± {se}"
    );
    // Informed but never deciding (the EOC holds the picture but does not act on migration):
    // its capacity never starts, exactly as if it had never heard.
    let undecided = column(
        &with(|s| {
            surge(0.0)(s);
            agency(s, "eoc").acts_on.clear();
        }),
        "processed_within_handoff.rw",
        0.0,
    );
    assert!(
        undecided.iter().all(|&x| x == 0.0),
        "an agency that never decided processed arrivals"
    );
    let (d, se) = paired(&a, &b);
    assert!(
        d > 4.0 * se,
        "augmentation raises the share processed in time: {d} ± {se}"
    );
}

/// An insider at the fusion center who leaks, tied (or not) to an `Insider`-kind threat that
/// the pipeline operator sees and the FBI acts on (an arrest).
fn leaker(activation: f64, tied: bool) -> impl Fn(&mut ScenarioSpec) {
    move |s: &mut ScenarioSpec| {
        agency(s, "fc").vetting = Vetting::None;
        s.threats.push(ThreatSpec {
            tearline: None,
            id: "posts".into(),
            name: "Documents surfacing online".into(),
            kind: ThreatKind::Insider,
            start: Duration::Hours(6.0),
            ..s.threats[0].clone()
        });
        let t = s.threats.last_mut().expect("threat");
        t.deadline = None;
        t.response.corroboration = Some(1);
        t.response.time_to_act = Dist::Fixed(Duration::Hours(4.0));
        agency(s, "op").collection.insert(ThreatKind::Insider, 0.5);
        agency(s, "op").needs.push(ThreatKind::Insider);
        agency(s, "fbi").acts_on.push(ThreatKind::Insider);
        s.insiders.push(InsiderSpec {
            id: "x".into(),
            agency: "fc".into(),
            access: Access::Privileged,
            action: InsiderActionSpec::Leak,
            activation_probability: activation,
            start: Duration::Hours(0.0),
            precursors_per_month: Rate::PerMonthPlain(1.0),
            report_probability: 0.1,
            actions_per_month: Rate::PerMonthPlain(60.0),
            threat: tied.then(|| "posts".to_string()),
        });
    }
}

/// Outcomes of every run of a scenario.
fn outcomes(s: &ValidScenario) -> (tabletop::sim::Catalog, Vec<tabletop::sim::RunOutcome>) {
    let m = Model::new(s);
    let runs = (0..RUNS)
        .map(|i| {
            m.run(
                RunSeed {
                    master: 2024,
                    run_index: i,
                },
                RunOptions::default(),
            )
        })
        .collect();
    (m.catalog().clone(), runs)
}

#[test]
fn an_arrest_stops_the_leaker() {
    // The same insider, the same act times (their own stream): tied to the threat, the
    // FBI's arrest ends the acts, so exposure can only fall, run by run, and falls on average.
    let free = column(&with(leaker(1.0, false)), "leak_exposure", 0.0);
    let arrested = column(&with(leaker(1.0, true)), "leak_exposure", 0.0);
    for (i, (a, b)) in free.iter().zip(&arrested).enumerate() {
        assert!(b <= &(a + 1e-9), "run {i}: exposure rose from {a} to {b}");
    }
    let (d, se) = paired(&free, &arrested);
    assert!(-d > 4.0 * se, "arrest cuts exposure: {d} ± {se}");
}

#[test]
fn no_active_insider_means_no_leak_to_find_and_objectives_not_applicable() {
    let scn = with(|s| {
        leaker(0.5, true)(s);
        s.objectives.push(ObjectiveSpec {
            metric: MetricSpec::InsiderDetectionTime("x".into()),
            target: TargetSpec::Within(Duration::Hours(48.0)),
            ..s.objectives[0].clone()
        });
        s.objectives.push(ObjectiveSpec {
            metric: MetricSpec::Resolved("posts".into()),
            target: TargetSpec::AtLeast(1.0),
            ..s.objectives[0].clone()
        });
    });
    let (cat, runs) = outcomes(&scn);
    let col = |id: &str| cat.metrics.iter().position(|m| m.id == id).expect(id);
    let (ttd, detect) = (
        col("time_to_detection.posts"),
        col("insider_detection_time.x"),
    );
    let (o_detect, o_arrest) = (cat.objectives.len() - 2, cat.objectives.len() - 1);
    let mut na = 0u64;
    for (i, o) in runs.iter().enumerate() {
        let applies = o.objectives[o_detect].applicable;
        assert_eq!(applies, o.objectives[o_arrest].applicable, "run {i}");
        if !applies {
            na += 1;
            // Nobody is arrested for a leak that never happened: nothing surfaced.
            assert_eq!(
                o.metrics[ttd], None,
                "run {i}: a leak surfaced with no insider"
            );
            assert_eq!(o.metrics[detect], None, "run {i}");
            assert_eq!(
                o.metrics[col("resolved.posts")],
                None,
                "run {i}: a leak that never was"
            );
            assert!(!o.objectives[o_detect].met && !o.objectives[o_arrest].met);
        }
    }
    // Activation 0.5 after vetting None (×1): N/A runs are Binomial(RUNS, 0.5).
    let n = RUNS as f64;
    let se = (0.25 / n).sqrt();
    let share = na as f64 / n;
    assert!(
        (share - 0.5).abs() < 4.0 * se,
        "not-applicable share {share} vs 0.5 ± {se}"
    );
}

/// The ransomware plot with a tipper at the FBI whose tip-off does `effect`.
fn tipped(effect: Option<TipOffSpec>) -> impl Fn(&mut ScenarioSpec) {
    move |s: &mut ScenarioSpec| {
        s.threats[0].tipoff = effect;
        agency(s, "fbi").vetting = Vetting::None;
        s.insiders.push(InsiderSpec {
            id: "tipper".into(),
            agency: "fbi".into(),
            access: Access::Analyst,
            action: InsiderActionSpec::TipOff("rw".into()),
            activation_probability: 1.0,
            start: Duration::Hours(0.0),
            precursors_per_month: Rate::PerMonthPlain(0.0),
            report_probability: 0.5,
            actions_per_month: Rate::PerMonthPlain(30.0),
            threat: None,
        });
    }
}

#[test]
fn a_tip_off_that_aborts_the_plot_prevents_harm_one_that_accelerates_it_brings_it() {
    let none = column(
        &with(tipped(Some(TipOffSpec::Delay(Duration::Hours(0.0))))),
        "resolved.rw",
        0.0,
    );
    let abort = column(&with(tipped(Some(TipOffSpec::Abort))), "resolved.rw", 0.0);
    let delay = column(
        &with(tipped(Some(TipOffSpec::Delay(Duration::Hours(24.0))))),
        "resolved.rw",
        0.0,
    );
    let hurry = column(&with(tipped(None)), "resolved.rw", 0.0);
    // The default (no `tipoff`) accelerates by `tipoff_advance`, here 0: same as no effect.
    assert_eq!(
        none, hurry,
        "the default tip-off is Accelerate(tipoff_advance)"
    );
    let hurry = column(
        &with(tipped(Some(TipOffSpec::Accelerate(Duration::Hours(20.0))))),
        "resolved.rw",
        0.0,
    );
    // Same draws everywhere: a later (or no) deadline can only help, an earlier one hurt.
    for i in 0..none.len() {
        assert!(
            abort[i] >= none[i] && delay[i] >= none[i] && hurry[i] <= none[i],
            "run {i}"
        );
    }
    let (d, se) = paired(&none, &abort);
    assert!(d > 4.0 * se, "abort: {d} ± {se}");
    let (d, se) = paired(&none, &hurry);
    assert!(-d > 4.0 * se, "accelerate: {d} ± {se}");
}

#[test]
fn a_failed_action_is_retried_after_the_delay() {
    let flaky = |retry: Option<Duration>| {
        move |s: &mut ScenarioSpec| {
            s.threats[0].response.success_probability = 0.3;
            s.threats[0].response.retry_after = retry;
        }
    };
    let once = column(&with(flaky(None)), "resolved.rw", 0.0);
    let again = column(&with(flaky(Some(Duration::Hours(2.0)))), "resolved.rw", 0.0);
    // The first attempt takes the same draws; retries only add chances.
    for i in 0..once.len() {
        assert!(again[i] >= once[i], "run {i}");
    }
    let (d, se) = paired(&once, &again);
    assert!(d > 4.0 * se, "retries resolve more: {d} ± {se}");
}

#[test]
fn a_dependant_loses_its_function_for_exactly_the_partners_outage() {
    let scn = with(|s| {
        agency(s, "eoc").depends_on = vec![DependencySpec {
            partner: "fc".into(),
            function: Function::Collection,
            degree: 1.0,
        }];
        s.injects.push(inject(
            "I-fc",
            TriggerSpec::At(Duration::Hours(1.0)),
            "Fusion center outage",
            EffectSpec::AgencyOutage("fc".into()),
            Some(Duration::Hours(24.0)),
        ));
    });
    // Ticks of 15 min align with the outage: 96 ticks × 0.25 h, in every run.
    let lost = column(&scn, "function_lost_hours.eoc", -1.0);
    assert!(lost.iter().all(|&h| h == 24.0), "{:?}", &lost[..5]);
}

/// One responder observing every signal of a threat that is never real; the first signal
/// comes at 10 h, is analysed in 6 minutes and, if taken for true, acted on within the 12 h
/// exercise. No second signal arrives.
fn lone_false_alarm(quality: f64, knowledge: bool) -> ValidScenario {
    let benefit = if knowledge {
        "RegionalKnowledge(discrimination: 1.0)"
    } else {
        ""
    };
    let ron = format!(
        r#"(
  exercise: (name: "False alarm", duration: hours(12), tick: minutes(15)),
  agencies: [
    (id: "a", name: "Alpha", kind: FusionCenter, collection: {{Cyber: 1.0}}, acts_on: [Cyber],
     analysts: 1, service_time: Fixed(minutes(6)), analysis_quality: {quality}),
    (id: "b", name: "Bravo", kind: Ngo),
  ],
  channels: [(id: "c", name: "Wire", max_class: Cui, latency: Fixed(hours(1)))],
  partnerships: [(id: "p", from: "b", to: "a", direction: OneWay, channels: ["c"], benefits: [{benefit}])],
  threats: [(id: "t", name: "Hoax", kind: Cyber, truth_probability: 0.0, signal_interval: Fixed(hours(10)),
             marking: (class: Unclassified, tlp: Green),
             response: (action: Warn, corroboration: Some(1), time_to_act: Fixed(hours(1))))],
  objectives: [(id: "o", description: "No false alarm acted on", capability: IntelligenceAndInformationSharing,
                metric: FalseAlarmActed("t"), target: AtMost(0.0))],
)"#
    );
    load_str(Path::new("false-alarm.ron"), &ron).unwrap_or_else(|e| panic!("{e}"))
}

/// P(false alarm acted on) = P(a false item is taken as true) = 1 − Φ(Φ⁻¹(f) + q/2) with the
/// default false_recognition f = 0.5 (docs/model.md §12), within 4 Monte Carlo standard errors;
/// and on common random numbers, more skill never turns a run into a false alarm.
#[test]
fn false_alarms_acted_on_follow_the_signal_detection_closed_form_and_fall_with_skill() {
    const N: u64 = 2000;
    let acted = |s: &ValidScenario| -> Vec<f64> {
        let m = Model::new(s);
        let col = m
            .catalog()
            .metrics
            .iter()
            .position(|x| x.id == "false_alarm_acted.t")
            .expect("false_alarm_acted metric");
        (0..N)
            .map(|i| {
                m.run(
                    RunSeed {
                        master: 7,
                        run_index: i,
                    },
                    RunOptions::default(),
                )
                .metrics[col]
                    .expect("always present")
            })
            .collect()
    };
    let normal = statrs::distribution::Normal::standard();
    let phi = |x: f64| statrs::distribution::ContinuousCDF::cdf(&normal, x);
    let n = N as f64;
    let base = acted(&lone_false_alarm(0.0, false));
    for (q, knowledge, what) in [
        (0.0, false, "base skill"),
        (1.0, false, "analysis quality 1"),
        (0.0, true, "regional knowledge 1"),
    ] {
        let xs = if q == 0.0 && !knowledge {
            base.clone()
        } else {
            acted(&lone_false_alarm(q, knowledge))
        };
        let p = xs.iter().sum::<f64>() / n;
        let d = if knowledge { 1.0 } else { q };
        let expect = 1.0 - phi(d / 2.0);
        let se = (expect * (1.0 - expect) / n).sqrt();
        assert!(
            (p - expect).abs() < 4.0 * se,
            "{what}: P(false alarm acted) {p}, closed form {expect} ± {se}"
        );
        assert!(
            base.iter().zip(&xs).all(|(b, x)| x <= b),
            "{what}: more skill never adds a false alarm on the same signal"
        );
    }
}

/// Coverage counts only true information: in a run where the threat is not real, coverage is
/// missing and a coverage objective does not apply; in a real run it is present and applies.
/// `false_alarm_acted` is 0 in every real run and 1 exactly in the false runs where a
/// successful action was taken (then `resolved` is 0).
#[test]
fn coverage_counts_true_information_and_false_alarms_are_an_outcome_of_their_own() {
    let scn = with(|s| s.threats[0].truth_probability = 0.5);
    let m = Model::new(&scn);
    let cat = m.catalog();
    let pos = |id: &str| {
        cat.metrics
            .iter()
            .position(|x| x.id == id)
            .unwrap_or_else(|| panic!("no metric {id}"))
    };
    let (cov, fa, res) = (
        pos("coverage.rw"),
        pos("false_alarm_acted.rw"),
        pos("resolved.rw"),
    );
    let real = cat
        .drivers
        .iter()
        .position(|d| d.id == "real.rw")
        .expect("real driver");
    let warn = cat
        .objectives
        .iter()
        .position(|o| o.id == "warn")
        .expect("coverage objective");
    let (mut false_runs, mut acted) = (0, 0);
    for i in 0..RUNS {
        let o = m.run(
            RunSeed {
                master: 2024,
                run_index: i,
            },
            RunOptions::default(),
        );
        let is_real = o.drivers[real];
        assert_eq!(
            o.metrics[cov].is_some(),
            is_real,
            "run {i}: coverage present"
        );
        assert_eq!(
            o.objectives[warn].applicable, is_real,
            "run {i}: applicable"
        );
        let f = o.metrics[fa].expect("false_alarm_acted always present");
        if is_real {
            assert_eq!(f, 0.0, "run {i}: no false alarm on a real threat");
        } else {
            false_runs += 1;
            acted += u32::from(f == 1.0);
            assert_eq!(
                o.metrics[res],
                Some(1.0 - f),
                "run {i}: resolved = 1 − acted"
            );
        }
    }
    assert!(
        false_runs > 0 && acted > 0,
        "the test exercises false alarms"
    );
}

/// A planted false report about a real threat informs its recipients but covers nobody:
/// with no true signal ever observed, final coverage is 0 in every run although the false item
/// spreads (it would count without the truth check).
#[test]
fn a_planted_false_report_on_a_real_threat_covers_nobody() {
    let scn = with(|s| {
        s.threats[0].truth_probability = 1.0;
        s.threats[0].observed_by = vec!["op".into()];
        agency(s, "op").collection.clear();
        s.injects.push(inject(
            "plant",
            TriggerSpec::At(Duration::Hours(1.0)),
            "A planted report",
            EffectSpec::FalseReport {
                threat: "rw".into(),
                at: "op".into(),
            },
            None,
        ));
    });
    let cov = column(&scn, "coverage.rw", -1.0);
    assert!(
        cov.iter().all(|&c| c == 0.0),
        "only true information counts toward coverage"
    );
    let delivered = column(&scn, "items_delivered", 0.0);
    assert!(
        delivered.iter().any(|&d| d > 0.0),
        "the false item does spread to partners"
    );
}

// ---------------------------------------------------------------------------------------------
// Metric audit: every metric an objective can name moves when the model gives it reason to.

/// The objective that makes `m` a column of the run (some metrics exist only when asked for).
fn objective_on(m: MetricSpec) -> ObjectiveSpec {
    ObjectiveSpec {
        id: "audit".into(),
        description: "Audit".into(),
        capability: CoreCapability::Planning,
        metric: m,
        target: TargetSpec::AtMost(1e9),
        ratings: RatingThresholds::default(),
    }
}

/// An active, unvetted insider `x` at the fusion center who leaks.
fn audit_leaker(s: &mut ScenarioSpec) {
    agency(s, "fc").vetting = Vetting::None;
    s.insiders.push(InsiderSpec {
        id: "x".into(),
        agency: "fc".into(),
        access: Access::Privileged,
        action: InsiderActionSpec::Leak,
        activation_probability: 1.0,
        start: Duration::Hours(0.0),
        precursors_per_month: Rate::Per(RateUnit::PerDay(1.0)),
        report_probability: 0.1,
        actions_per_month: Rate::Per(RateUnit::PerDay(2.0)),
        threat: None,
    });
}

/// A migration surge `mig` at CBP-like processing by the EOC (acts on migration).
fn surge(s: &mut ScenarioSpec) {
    let eoc = agency(s, "eoc");
    eoc.acts_on.push(ThreatKind::Migration);
    eoc.collection.insert(ThreatKind::Migration, 1.0);
    eoc.processing = Some(ProcessingSpec {
        per_hour: 20.0,
        shelter: 400.0,
    });
    let mut t = s.threats[0].clone();
    t.id = "mig".into();
    t.name = "Surge".into();
    t.kind = ThreatKind::Migration;
    t.observed_by = vec!["eoc".into()];
    t.deadline = None;
    t.marking = MarkingSpec {
        class: Classification::Unclassified,
        tlp: Tlp::Clear,
        criminal_intel: false,
        pii: false,
    };
    t.response = ResponseSpec {
        action: ActionKind::MassCare,
        corroboration: Some(1),
        time_to_act: Dist::Fixed(Duration::Hours(1.0)),
        success_probability: 1.0,
        retry_after: None,
    };
    t.surge = Some(SurgeSpec {
        total: 2000.0,
        midpoint: Duration::Hours(24.0),
        spread: Duration::Hours(6.0),
        handoff: Duration::Hours(12.0),
        group_size: 1.0,
    });
    s.threats.push(t);
}

/// A lever on the base scenario (prepared by `prep`) and the way it must move `column`.
struct Case {
    prep: fn(&mut ScenarioSpec),
    column: &'static str,
    missing: f64,
    lever: fn(&mut ScenarioSpec),
    up: bool,
}

/// The shipped all-hazards scenario, for the hazard consequence metrics (the cyber base has
/// no hazard with an impact).
fn landfall() -> ValidScenario {
    tabletop::scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/landfall.ron"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A role of threat `t` in the landfall scenario, by agency.
fn role<'a>(s: &'a mut ScenarioSpec, t: &str, agency: &str) -> &'a mut RoleSpec {
    s.threats
        .iter_mut()
        .find(|x| x.id == t)
        .and_then(|x| x.roles.iter_mut().find(|r| r.agency == agency))
        .expect("role")
}

/// The landfall outage of `service`.
fn outage<'a>(s: &'a mut ScenarioSpec, service: &str) -> &'a mut OutageSpec {
    s.threats
        .iter_mut()
        .filter_map(|x| x.impact.as_mut())
        .flat_map(|i| i.outages.iter_mut())
        .find(|o| o.service == service)
        .expect("outage")
}

/// Which base a metric's case runs on.
enum Lever {
    /// The cyber base of this file.
    Base(Case),
    /// `scenarios/landfall.ron`, with no preparation.
    Landfall(Case),
}

/// The case for each metric variant. The match is exhaustive: a new `MetricSpec` variant does
/// not compile until it has a case here.
fn lever(m: &MetricSpec) -> Lever {
    let none: fn(&mut ScenarioSpec) = |_| {};
    let slow = |s: &mut ScenarioSpec| outage(s, "entergy").per_crew_hour = 0.03;
    let landfall = |column, lever, up| {
        Lever::Landfall(Case {
            prep: none,
            column,
            missing: 120.0,
            lever,
            up,
        })
    };
    match m {
        MetricSpec::TimeToActionBy { .. } => landfall(
            "time_to_action.ida.nola_ohsep",
            |s| role(s, "ida", "nola_ohsep").time_to_act = Dist::Fixed(Duration::Hours(40.0)),
            true,
        ),
        MetricSpec::PeopleWithoutShelterPeak(_) => landfall(
            "people_without_shelter_peak.ida",
            |s| role(s, "ida", "redcross").time_to_act = Dist::Fixed(Duration::Hours(110.0)),
            true,
        ),
        MetricSpec::PeopleWithoutShelterHours(_) => landfall(
            "people_without_shelter_hours.heat",
            |s| role(s, "heat", "la_guard").time_to_act = Dist::Fixed(Duration::Hours(100.0)),
            true,
        ),
        MetricSpec::CustomersWithoutPowerHours(_) => {
            landfall("customer_hours_out.entergy", slow, true)
        }
        MetricSpec::CustomersRestoredShare { .. } => {
            landfall("restored_share_144h.entergy", slow, false)
        }
        MetricSpec::HoursWithoutService(_) => landfall(
            "hours_without_service.nola_911",
            |s| role(s, "ida", "nola_911").time_to_act = Dist::Fixed(Duration::Hours(80.0)),
            true,
        ),
        MetricSpec::TimeToFirstRestoration(_) => landfall(
            "time_to_first_restoration.entergy",
            |s| outage(s, "entergy").first_restore = 1_500_000.0,
            true,
        ),
        MetricSpec::ServiceExposure(_) => landfall(
            "service_exposure.hospital",
            |s| outage(s, "entergy").first_restore = 1_500_000.0,
            true,
        ),
        other => Lever::Base(case(other)),
    }
}

/// The case of a metric on the cyber base.
fn case(m: &MetricSpec) -> Case {
    let none: fn(&mut ScenarioSpec) = |_| {};
    let hour = 72.0;
    match m {
        MetricSpec::TimeToActionBy { .. }
        | MetricSpec::PeopleWithoutShelterPeak(_)
        | MetricSpec::PeopleWithoutShelterHours(_)
        | MetricSpec::CustomersWithoutPowerHours(_)
        | MetricSpec::CustomersRestoredShare { .. }
        | MetricSpec::HoursWithoutService(_)
        | MetricSpec::TimeToFirstRestoration(_)
        | MetricSpec::ServiceExposure(_) => unreachable!("hazard metrics run on landfall (lever)"),
        MetricSpec::TimeToDetection(_) => Case {
            prep: none,
            column: "time_to_detection.rw",
            missing: hour,
            lever: |s| {
                agency(s, "op").collection.insert(ThreatKind::Cyber, 0.03);
            },
            up: true,
        },
        MetricSpec::TimeToFirstShare(_) => Case {
            prep: none,
            column: "time_to_first_share.rw",
            missing: hour,
            lever: |s| partnership(s, "op_fbi").share_probability = 0.1,
            up: true,
        },
        MetricSpec::Coverage { .. } => Case {
            prep: none,
            column: "coverage_12h.rw",
            missing: 0.0,
            lever: |s| partnership(s, "cisa_fc").share_probability = 0.05,
            up: false,
        },
        MetricSpec::TimeToAction(_) => Case {
            prep: none,
            column: "time_to_action.rw",
            missing: hour,
            lever: |s| s.threats[0].response.corroboration = Some(5),
            up: true,
        },
        MetricSpec::Resolved(_) => Case {
            prep: none,
            column: "resolved.rw",
            missing: 0.0,
            lever: |s| s.threats[0].deadline = Some(Dist::Fixed(Duration::Hours(8.0))),
            up: false,
        },
        MetricSpec::LeakExposure => Case {
            prep: none,
            column: "leak_exposure",
            missing: 0.0,
            lever: audit_leaker,
            up: true,
        },
        MetricSpec::InsiderExposure => Case {
            prep: none,
            column: "insider_exposure",
            missing: 0.0,
            lever: audit_leaker,
            up: true,
        },
        MetricSpec::BlockedButNeeded => Case {
            prep: none,
            column: "blocked_but_needed",
            missing: 0.0,
            lever: |s| partnership(s, "fc_eoc").agreement = Agreement::None,
            up: true,
        },
        MetricSpec::HandlingViolations => Case {
            prep: none,
            column: "handling_violations",
            missing: 0.0,
            lever: lax,
            up: true,
        },
        MetricSpec::MinTrust => Case {
            prep: none,
            column: "min_trust",
            missing: 0.0,
            lever: audit_leaker,
            up: false,
        },
        MetricSpec::MeanTrust => Case {
            prep: none,
            column: "mean_trust",
            missing: 0.0,
            lever: audit_leaker,
            up: false,
        },
        MetricSpec::Withdrawals => Case {
            prep: none,
            column: "withdrawals",
            missing: 0.0,
            // Forced by an inject, not by trust: the case the issue found uncounted.
            lever: |s| {
                s.injects.push(inject(
                    "I-wd",
                    TriggerSpec::At(Duration::Hours(12.0)),
                    "The operator suspends sharing",
                    EffectSpec::Withdrawal("op_fbi".into()),
                    None,
                ))
            },
            up: true,
        },
        MetricSpec::ProcessedWithinHandoff(_) => Case {
            prep: surge,
            column: "processed_within_handoff.mig",
            missing: 0.0,
            lever: |s| {
                if let Some(p) = agency(s, "eoc").processing.as_mut() {
                    p.per_hour = 4.0;
                }
            },
            up: false,
        },
        MetricSpec::PeakUnsheltered(_) => Case {
            prep: surge,
            column: "peak_unsheltered.mig",
            missing: 0.0,
            lever: |s| {
                if let Some(p) = agency(s, "eoc").processing.as_mut() {
                    p.shelter = 0.0;
                }
            },
            up: true,
        },
        MetricSpec::RetractionTime(_) => Case {
            prep: |s| s.threats[0].truth_probability = 0.0,
            column: "retraction_time.rw",
            missing: hour,
            lever: |s| s.model.false_recognition = 0.02,
            up: true,
        },
        MetricSpec::FalseAlarmActed(_) => Case {
            prep: |s| s.threats[0].truth_probability = 0.0,
            column: "false_alarm_acted.rw",
            missing: 0.0,
            lever: |s| {
                s.threats[0].response.corroboration = Some(1);
                s.model.false_recognition = 0.02;
            },
            up: true,
        },
        MetricSpec::TimeToPublicWarning(_) => Case {
            prep: none,
            column: "time_to_public_warning.rw",
            missing: hour,
            lever: |s| {
                s.injects.push(inject(
                    "I-pw",
                    TriggerSpec::At(Duration::Hours(3.0)),
                    "CISA warns the public",
                    EffectSpec::PublicWarning {
                        threat: "rw".into(),
                        by: "cisa".into(),
                    },
                    None,
                ))
            },
            up: false,
        },
        MetricSpec::InsiderDetectionTime(_) => Case {
            prep: audit_leaker,
            column: "insider_detection_time.x",
            missing: hour,
            lever: |s| s.insiders[0].report_probability = 0.9,
            up: false,
        },
        MetricSpec::FunctionLostHours(_) => Case {
            prep: |s| {
                agency(s, "cisa").depends_on = vec![DependencySpec {
                    partner: "fbi".into(),
                    function: Function::Action,
                    degree: 1.0,
                }]
            },
            column: "function_lost_hours.cisa",
            missing: 0.0,
            lever: |s| {
                agency(s, "fbi").reliability = Some(ReliabilitySpec {
                    mtbf: Duration::Hours(10.0),
                    mttr: Duration::Hours(10.0),
                })
            },
            up: true,
        },
        MetricSpec::PartnershipUptime(_) => Case {
            prep: none,
            column: "uptime.op_fbi",
            missing: 0.0,
            lever: |s| {
                s.injects.push(inject(
                    "I-hold",
                    TriggerSpec::At(Duration::Hours(12.0)),
                    "Counsel puts a hold on the operator's sharing",
                    EffectSpec::LegalHold("op_fbi".into()),
                    Some(Duration::Hours(24.0)),
                ))
            },
            up: false,
        },
        MetricSpec::ItemsCarried(_) => Case {
            prep: none,
            column: "items_carried.op_fbi",
            missing: 0.0,
            lever: |s| partnership(s, "op_fbi").share_probability = 0.1,
            up: false,
        },
        MetricSpec::FirstItemCarried { .. } => Case {
            prep: none,
            column: "first_item_carried.op_fbi.rw",
            missing: hour,
            lever: |s| partnership(s, "op_fbi").share_probability = 0.1,
            up: true,
        },
    }
}

#[test]
fn every_metric_an_objective_can_name_moves_when_the_model_gives_it_reason_to() {
    let t = || "rw".to_string();
    let all = [
        MetricSpec::TimeToDetection(t()),
        MetricSpec::TimeToFirstShare(t()),
        MetricSpec::Coverage {
            threat: t(),
            within: Duration::Hours(12.0),
        },
        MetricSpec::TimeToAction(t()),
        MetricSpec::Resolved(t()),
        MetricSpec::LeakExposure,
        MetricSpec::InsiderExposure,
        MetricSpec::BlockedButNeeded,
        MetricSpec::HandlingViolations,
        MetricSpec::MinTrust,
        MetricSpec::MeanTrust,
        MetricSpec::Withdrawals,
        MetricSpec::ProcessedWithinHandoff("mig".into()),
        MetricSpec::PeakUnsheltered("mig".into()),
        MetricSpec::RetractionTime(t()),
        MetricSpec::FalseAlarmActed(t()),
        MetricSpec::TimeToPublicWarning(t()),
        MetricSpec::InsiderDetectionTime("x".into()),
        MetricSpec::FunctionLostHours("cisa".into()),
        MetricSpec::PartnershipUptime("op_fbi".into()),
        MetricSpec::ItemsCarried("op_fbi".into()),
        MetricSpec::FirstItemCarried {
            partnership: "op_fbi".into(),
            threat: Some(t()),
        },
    ];
    let hazard = [
        MetricSpec::TimeToActionBy {
            threat: "ida".into(),
            agency: "nola_ohsep".into(),
        },
        MetricSpec::PeopleWithoutShelterPeak("ida".into()),
        MetricSpec::PeopleWithoutShelterHours("heat".into()),
        MetricSpec::CustomersWithoutPowerHours("entergy".into()),
        MetricSpec::CustomersRestoredShare {
            service: "entergy".into(),
            within: Duration::Days(6.0),
        },
        MetricSpec::HoursWithoutService("nola_911".into()),
        MetricSpec::TimeToFirstRestoration("entergy".into()),
        MetricSpec::ServiceExposure("hospital".into()),
    ];
    for m in all.into_iter().chain(hazard) {
        match lever(&m) {
            Lever::Base(c) => {
                let prep = c.prep;
                let with_objective = move |s: &mut ScenarioSpec| {
                    prep(s);
                    s.objectives.push(objective_on(m.clone()));
                };
                moves_on(with_objective, c.column, c.missing, c.lever, c.up);
            }
            Lever::Landfall(c) => {
                let edited = |f: &dyn Fn(&mut ScenarioSpec)| {
                    let mut s = landfall();
                    let mut spec = s.spec_mut();
                    spec.objectives.push(objective_on(m.clone()));
                    f(&mut spec);
                    drop(spec);
                    column(&s, c.column, c.missing)
                };
                let (a, b) = (edited(&|_| {}), edited(&c.lever));
                let (d, se) = paired(&a, &b);
                let signed = if c.up { d } else { -d };
                assert!(
                    signed > 4.0 * se.max(1e-12),
                    "{}: paired difference {d:.4} (se {se:.4}) on landfall",
                    c.column
                );
            }
        }
    }
}

#[test]
fn a_withdrawal_inject_counts_two_links_in_every_run_it_fires() {
    let s = with(|s| {
        s.injects.push(inject(
            "I-wd",
            TriggerSpec::At(Duration::Hours(12.0)),
            "The operator suspends sharing",
            EffectSpec::Withdrawal("op_fbi".into()),
            Some(Duration::Hours(6.0)),
        ))
    });
    // Both directed links of the mutual partnership, plus any trust withdrawal of the run.
    assert!(column(&s, "withdrawals", -1.0).iter().all(|&w| w >= 2.0));
}

#[test]
fn partnership_metrics_follow_a_legal_hold_exactly() {
    // A hold of 18 h over a 72 h exercise: the partnership works 54 h, a share of 0.75.
    let s = with(|s| {
        s.injects.push(inject(
            "I-hold",
            TriggerSpec::At(Duration::Hours(12.0)),
            "Counsel puts a hold on the operator's sharing",
            EffectSpec::LegalHold("op_fbi".into()),
            Some(Duration::Hours(18.0)),
        ));
        s.objectives
            .push(objective_on(MetricSpec::PartnershipUptime("op_fbi".into())));
    });
    // A trust withdrawal in a run can only lower it further.
    let up = column(&s, "uptime.op_fbi", -1.0);
    assert!(
        up.iter().all(|&u| (0.0..=0.75 + 1e-9).contains(&u)),
        "{up:?}"
    );
    let exact = up.iter().filter(|&&u| (u - 0.75).abs() < 1e-9).count();
    assert!(
        exact * 10 >= up.len() * 9,
        "{exact} of {} runs at 0.75",
        up.len()
    );
}

#[test]
fn a_milestone_trigger_follows_the_run_s_own_detection_by_exactly_its_delay() {
    // A public warning two hours after the ransomware is detected, whenever that is; rare
    // collection leaves some runs where it never is, and there the warning never comes.
    let s = with(|s| {
        agency(s, "op").collection.insert(ThreatKind::Cyber, 0.01);
        s.injects.push(inject(
            "I-warn",
            TriggerSpec::Milestone {
                on: MilestoneSpec::Detected("rw".into()),
                delay: Duration::Hours(2.0),
            },
            "CISA warns the sector two hours after detection",
            EffectSpec::PublicWarning {
                threat: "rw".into(),
                by: "cisa".into(),
            },
            None,
        ));
        s.objectives
            .push(objective_on(MetricSpec::TimeToPublicWarning("rw".into())));
    });
    let detect = column(&s, "time_to_detection.rw", f64::NAN);
    let warn = column(&s, "time_to_public_warning.rw", f64::NAN);
    let (mut fired, mut quiet) = (0, 0);
    for (d, w) in detect.iter().zip(&warn) {
        if d.is_nan() || d + 2.0 >= 72.0 {
            assert!(w.is_nan(), "warned at {w} without a detection in time");
            quiet += 1;
        } else {
            assert_eq!(*w, d + 2.0);
            fired += 1;
        }
    }
    assert!(fired > 0 && quiet > 0, "fired {fired}, quiet {quiet}");
}
