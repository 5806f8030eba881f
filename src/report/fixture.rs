//! A hand-made batch directory for tests: a tiny scenario with realistic summary numbers,
//! driver effects, series bands and exemplar timelines (no simulation involved).

use crate::batch::summary::{
    DriverEffect, Exemplar, LinkSummary, Manifest, MetricSummary, ObjectiveSummary, PairedDiff,
    SeriesBands, Summary, VariantSummary,
};
use crate::error::{Error, Result};
use crate::scenario::schema::CoreCapability;
use crate::sim::{
    Catalog, DriverDef, DriverKind, Event, EventKind, LinkDef, LinkResult, MetricDef, ObjectiveDef,
    ObjectiveResult, RunOutcome, SeriesDef,
};
use std::path::Path;

/// The fixture scenario file (a byte copy of `tests/fixtures/report/scenario.ron`).
pub(crate) const SCENARIO_RON: &str = include_str!("../../tests/fixtures/report/scenario.ron");

/// The exercise name in the fixture scenario (`tests/fixtures/report/scenario.ron`).
pub const SCENARIO_NAME: &str = "Fuel Line Mini";

const RUNS: u64 = 1000;
const SEED: u64 = 20210507;
const HASH: &str = "3f9a1c27d4e5b6a7980112233445566778899aabbccddeeff00112233445566";

/// Write a complete fixture batch directory into `dir`, with the exercise named `name`.
pub fn write_fixture_batch(dir: &Path, name: &str) -> Result<()> {
    let ron = SCENARIO_RON.replace(
        &format!("name: \"{SCENARIO_NAME}\""),
        &format!("name: {}", ron_string(name)),
    );
    let catalog = catalog();
    let summary = summary(name);
    let manifest = Manifest {
        tool: "tabletop".into(),
        version: "0.1.0".into(),
        scenario_name: name.into(),
        scenario_file: "scenarios/fuel_line_mini.ron".into(),
        scenario_hash: HASH.into(),
        marking: "TLP:AMBER".into(),
        master_seed: SEED,
        runs: RUNS,
        variants: vec!["baseline".into(), "vetting".into(), "redundant".into()],
        shard: None,
        command: "tabletop batch scenarios/fuel_line_mini.ron --runs 1000".into(),
        started: "2025-01-01T00:00:00Z".into(),
        finished: "2025-01-01T00:01:00Z".into(),
    };
    write(dir, "scenario.ron", ron.as_bytes())?;
    write(dir, "manifest.json", &json(&manifest)?)?;
    write(dir, "catalog.json", &json(&catalog)?)?;
    write(dir, "summary.json", &json(&summary)?)?;
    for ex in exemplars() {
        let p = format!("exemplars/{}/{}.json", ex.variant, ex.role);
        write(dir, &p, &json(&ex)?)?;
    }
    Ok(())
}

fn ron_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    crate::output::write_atomic(&dir.join(rel), bytes)
}

fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(v).map_err(|e| Error::Runtime(e.to_string()))
}

fn m(id: &str, label: &str, unit: &str) -> MetricDef {
    MetricDef {
        id: id.into(),
        label: label.into(),
        unit: unit.into(),
    }
}

/// The fixture catalog.
pub(crate) fn catalog() -> Catalog {
    let metrics = vec![
        m(
            "time_to_detection.ransomware",
            "Time to detection: Ransomware at Colonial",
            "h",
        ),
        m(
            "time_to_first_share.ransomware",
            "Time to first share: Ransomware at Colonial",
            "h",
        ),
        m(
            "coverage.ransomware",
            "Coverage within 12 h: Ransomware at Colonial",
            "share",
        ),
        m(
            "time_to_action.ransomware",
            "Time to action: Ransomware at Colonial",
            "h",
        ),
        m("leak_exposure", "Leak exposure", "sensitivity"),
        m(
            "blocked_but_needed",
            "Blocked but needed deliveries",
            "items",
        ),
        m("mean_trust", "Mean trust at end of run", "trust"),
        m(
            "retraction_time.rumor",
            "Retraction time: fuel shortage rumor",
            "h",
        ),
    ];
    let o = |id: &str, d: &str, c: CoreCapability, t: &str, metric: &str| ObjectiveDef {
        id: id.into(),
        description: d.into(),
        capability: c,
        target: t.into(),
        metric: metric.into(),
        thresholds: [0.9, 0.75, 0.5],
    };
    let objectives = vec![
        o(
            "detect",
            "Detect the intrusion within 12 h",
            CoreCapability::Cybersecurity,
            "≤ 12 h",
            "time_to_detection.ransomware",
        ),
        o(
            "warn",
            "All need-to-know partners informed within 12 h of detection",
            CoreCapability::IntelligenceAndInformationSharing,
            "≥ 0.90",
            "coverage.ransomware",
        ),
        o(
            "act",
            "Containment action within 24 h",
            CoreCapability::OperationalCoordination,
            "≤ 24 h",
            "time_to_action.ransomware",
        ),
        o(
            "leak",
            "No leak of AMBER material",
            CoreCapability::IntelligenceAndInformationSharing,
            "≤ 0",
            "leak_exposure",
        ),
    ];
    let d = |id: &str, label: &str, kind| DriverDef {
        id: id.into(),
        label: label.into(),
        kind,
    };
    let drivers = vec![
        d(
            "outage.fc_va",
            "Virginia Fusion Center outage",
            DriverKind::PartnerFailure,
        ),
        d(
            "insider.ins_isac",
            "ISAC insider acted",
            DriverKind::InsiderAction,
        ),
        d(
            "withdrawal.col_fbi",
            "Colonial–FBI partnership withdrawn",
            DriverKind::PartnershipLoss,
        ),
        d(
            "inject.I-02",
            "I-02 fired: fusion center loses HSIN",
            DriverKind::Inject,
        ),
    ];
    let s = |id: &str, label: &str, unit: &str, max| SeriesDef {
        id: id.into(),
        label: label.into(),
        unit: unit.into(),
        max,
    };
    let series = vec![
        s(
            "agencies_informed",
            "Agencies informed",
            "agencies",
            Some(6.0),
        ),
        s("backlog", "Analyst backlog", "items", None),
        s("mean_trust", "Mean partner trust", "trust", Some(1.0)),
    ];
    let mut links = Vec::new();
    for (p, a, b) in partnerships() {
        links.push(LinkDef {
            partnership: p.into(),
            from: a.into(),
            to: b.into(),
        });
        links.push(LinkDef {
            partnership: p.into(),
            from: b.into(),
            to: a.into(),
        });
    }
    Catalog {
        metrics,
        objectives,
        drivers,
        series,
        series_times: times(),
        links,
        inject_times: vec![("I-01".into(), 0.5), ("I-02".into(), 8.0)],
    }
}

fn partnerships() -> [(&'static str, &'static str, &'static str); 5] {
    [
        ("col_fbi", "colonial", "fbi"),
        ("fbi_cisa", "fbi", "cisa"),
        ("cisa_fc", "cisa", "fc_va"),
        ("fc_eoc", "fc_va", "eoc_va"),
        ("isac_col", "ong_isac", "colonial"),
    ]
}

fn times() -> Vec<f64> {
    (0..=48).map(f64::from).collect()
}

/// 95% Wilson score interval for `k` successes in `n` trials.
pub(crate) fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let nf = n as f64;
    let p = k as f64 / nf;
    let den = 1.0 + z * z / nf;
    let centre = (p + z * z / (2.0 * nf)) / den;
    let half = z * ((p * (1.0 - p) / nf) + z * z / (4.0 * nf * nf)).sqrt() / den;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

fn rating(p: f64) -> String {
    if p >= 0.9 {
        "P"
    } else if p >= 0.75 {
        "S"
    } else if p >= 0.5 {
        "M"
    } else {
        "U"
    }
    .into()
}

fn ms(def: &MetricDef, n: u64, mean: f64, sd: f64, p5: f64, p50: f64, p95: f64) -> MetricSummary {
    let some = n > 0;
    let half = if n > 1 {
        1.96 * sd / (n as f64).sqrt()
    } else {
        0.0
    };
    let opt = |v: f64| some.then_some(v);
    MetricSummary {
        id: def.id.clone(),
        label: def.label.clone(),
        unit: def.unit.clone(),
        n,
        missing: RUNS - n,
        mean: opt(mean),
        sd: opt(sd),
        ci_low: opt(mean - half),
        ci_high: opt(mean + half),
        p5: opt(p5),
        p50: opt(p50),
        p95: opt(p95),
    }
}

fn variant(
    cat: &Catalog,
    id: &str,
    name: &str,
    rec: Option<&str>,
    met: [u64; 4],
    shift: f64,
) -> VariantSummary {
    let defs = &cat.metrics;
    let metrics = vec![
        ms(&defs[0], 985, 5.2, 3.6, 1.1, 4.3, 12.8),
        ms(&defs[1], 960, 2.4 - shift * 0.5, 1.9, 0.4, 1.9, 6.5),
        ms(&defs[2], 985, 0.78 + shift * 0.12, 0.2, 0.33, 0.83, 1.0),
        ms(&defs[3], 900, 26.5 - shift * 4.0, 9.0, 11.0, 25.0, 44.0),
        ms(
            &defs[4],
            1000,
            0.6 * (1.0 - shift.min(0.8)),
            1.2,
            0.0,
            0.0,
            3.0,
        ),
        ms(&defs[5], 1000, 3.1 - shift, 2.0, 0.0, 3.0, 7.0),
        ms(&defs[6], 1000, 0.58 + shift * 0.03, 0.08, 0.44, 0.58, 0.7),
        ms(&defs[7], 0, 0.0, 0.0, 0.0, 0.0, 0.0),
    ];
    let objectives = cat
        .objectives
        .iter()
        .zip(met)
        .map(|(o, k)| {
            let (lo, hi) = wilson(k, RUNS);
            let p = k as f64 / RUNS as f64;
            ObjectiveSummary {
                id: o.id.clone(),
                description: o.description.clone(),
                capability: format!("{:?}", o.capability),
                target: o.target.clone(),
                n: RUNS,
                met: k,
                not_applicable: 0,
                p,
                ci_low: lo,
                ci_high: hi,
                rating: rating(p),
            }
        })
        .collect();
    let base = [930u64, 620, 410, 780];
    let paired = if id == "baseline" {
        Vec::new()
    } else {
        let mut v: Vec<PairedDiff> = cat
            .objectives
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let d = (met[i] as f64 - base[i] as f64) / RUNS as f64;
                PairedDiff {
                    id: format!("obj:{}", o.id),
                    n: RUNS,
                    mean_diff: Some(d),
                    ci_low: Some(d - 0.025),
                    ci_high: Some(d + 0.025),
                    unpaired_halfwidth: Some(0.041),
                }
            })
            .collect();
        let diffs = [
            0.0,
            -shift * 0.5,
            shift * 0.12,
            -shift * 4.0,
            -0.6 * shift.min(0.8),
        ];
        for (def, d) in defs.iter().zip(diffs) {
            v.push(PairedDiff {
                id: def.id.clone(),
                n: 950,
                mean_diff: Some(d),
                ci_low: Some(d - 0.05 - d.abs() * 0.2),
                ci_high: Some(d + 0.05 + d.abs() * 0.2),
                unpaired_halfwidth: Some(0.2),
            });
        }
        v.push(PairedDiff {
            id: defs[7].id.clone(),
            n: 0,
            mean_diff: None,
            ci_low: None,
            ci_high: None,
            unpaired_halfwidth: None,
        });
        v
    };
    let t = times();
    let logistic = |mid: f64, top: f64| -> Vec<f64> {
        t.iter()
            .map(|&x| 1.0 + (top - 1.0) / (1.0 + (-(x - mid) / 2.5).exp()))
            .collect()
    };
    let clamp6 = |v: Vec<f64>| v.into_iter().map(|x| x.clamp(0.0, 6.0)).collect::<Vec<_>>();
    let mid = 10.0 - shift * 3.0;
    let series = vec![
        SeriesBands {
            id: "agencies_informed".into(),
            label: "Agencies informed".into(),
            unit: "agencies".into(),
            times: t.clone(),
            p5: clamp6(logistic(mid + 9.0, 4.0)),
            p25: clamp6(logistic(mid + 3.0, 5.0)),
            p50: clamp6(logistic(mid, 5.6)),
            p75: clamp6(logistic(mid - 2.0, 6.0)),
            p95: clamp6(logistic(mid - 5.0, 6.0)),
        },
        SeriesBands {
            id: "backlog".into(),
            label: "Analyst backlog".into(),
            unit: "items".into(),
            times: t.clone(),
            p5: t.iter().map(|&x| 0.5 * hump(x)).collect(),
            p25: t.iter().map(|&x| 1.2 * hump(x)).collect(),
            p50: t.iter().map(|&x| 2.0 * hump(x)).collect(),
            p75: t.iter().map(|&x| 3.1 * hump(x)).collect(),
            p95: t.iter().map(|&x| 5.0 * hump(x) + 0.5).collect(),
        },
        SeriesBands {
            id: "mean_trust".into(),
            label: "Mean partner trust".into(),
            unit: "trust".into(),
            times: t.clone(),
            p5: t.iter().map(|&x| 0.62 - 0.004 * x).collect(),
            p25: t.iter().map(|&x| 0.63 - 0.0025 * x).collect(),
            p50: t
                .iter()
                .map(|&x| 0.64 - 0.0015 * x + shift * 0.0005 * x)
                .collect(),
            p75: t.iter().map(|&x| 0.65 - 0.0008 * x).collect(),
            p95: t.iter().map(|&x| 0.66 - 0.0002 * x).collect(),
        },
    ];
    let mut drivers = Vec::new();
    // (driver index, runs with, [(p_with, p_without); 4 objectives])
    type Effects = (usize, u64, [(f64, f64); 4]);
    let eff: [Effects; 4] = [
        (
            0,
            430,
            [
                (0.92, 0.936),
                (0.34, 0.81 + shift * 0.05),
                (0.30, 0.49),
                (0.78, 0.78),
            ],
        ),
        (
            1,
            95,
            [(0.93, 0.93), (0.60, 0.622), (0.40, 0.411), (0.05, 0.856)],
        ),
        (
            2,
            120,
            [(0.93, 0.93), (0.45, 0.643), (0.20, 0.439), (0.77, 0.781)],
        ),
        (
            3,
            400,
            [(0.925, 0.933), (0.36, 0.79), (0.31, 0.48), (0.78, 0.78)],
        ),
    ];
    for (di, with, ps) in eff {
        for (oi, (pw, pwo)) in ps.iter().enumerate() {
            let dd = &cat.drivers[di];
            drivers.push(DriverEffect {
                driver: dd.id.clone(),
                label: dd.label.clone(),
                kind: dd.kind,
                objective: cat.objectives[oi].id.clone(),
                runs_with: with,
                p_with: Some(*pw),
                runs_without: RUNS - with,
                p_without: Some(*pwo),
            });
        }
    }
    let link_vals: [(f64, f64, f64, f64); 10] = [
        (3.2, 0.48, 0.12, 0.0),
        (0.8, 0.52, 0.12, 0.0),
        (4.1, 0.71, 0.0, 0.0),
        (2.6, 0.69, 0.0, 0.0),
        (3.4, 0.6, 0.02, 0.0),
        (1.1, 0.55, 0.02, 0.0),
        (2.9, 0.79, 0.0, 0.0),
        (0.6, 0.74, 0.0, 0.0),
        (1.7, 0.41, 0.0, 0.09),
        (0.3, 0.33, 0.15, 0.02),
    ];
    let links = cat
        .links
        .iter()
        .zip(link_vals)
        .map(|(l, (items, trust, w, c))| LinkSummary {
            partnership: l.partnership.clone(),
            from: l.from.clone(),
            to: l.to.clone(),
            mean_items: items,
            mean_end_trust: (trust + shift * 0.04).min(1.0),
            p_withdrawn: w,
            p_compromised: c * (1.0 - shift.min(0.9)),
            ..LinkSummary::default()
        })
        .collect();
    VariantSummary {
        id: id.into(),
        name: name.into(),
        recommendation: rec.map(String::from),
        description: String::new(),
        runs: RUNS,
        metrics,
        objectives,
        paired,
        series,
        drivers,
        links,
    }
}

fn hump(x: f64) -> f64 {
    4.0 * (x / 10.0) * (-(x / 10.0)).exp() * 2.7
}

/// The fixture summary, with the exercise named `name`.
pub(crate) fn summary(name: &str) -> Summary {
    let cat = catalog();
    Summary {
        scenario_name: name.into(),
        scenario_hash: HASH.into(),
        marking: "TLP:AMBER".into(),
        master_seed: SEED,
        runs: RUNS,
        version: "0.1.0".into(),
        inject_times: cat.inject_times.clone(),
        variants: vec![
            variant(
                &cat,
                "baseline",
                "Baseline",
                None,
                [930, 620, 410, 780],
                0.0,
            ),
            variant(
                &cat,
                "vetting",
                "Rigorous ISAC vetting",
                Some("PartnerVetting"),
                [932, 640, 420, 905],
                0.2,
            ),
            variant(
                &cat,
                "redundant",
                "Redundant channels for the fusion center",
                Some("TechnologyInvestment"),
                [930, 810, 530, 781],
                1.0,
            ),
        ],
    }
}

fn ev(t: f64, kind: EventKind, who: &str, via: &str, text: &str) -> Event {
    Event {
        t,
        kind,
        who: who.into(),
        via: via.into(),
        text: text.into(),
    }
}

fn outcome(run_index: u64, worst: bool) -> RunOutcome {
    use EventKind as K;
    let mut tl = vec![
        ev(
            0.5,
            K::Inject,
            "I-01",
            "",
            "I-01: Control room finds a ransom note on a billing server",
        ),
        ev(
            0.75,
            K::Signal,
            "colonial",
            "",
            "Colonial's control room observes a signal of Ransomware at Colonial",
        ),
        ev(
            1.5,
            K::Detection,
            "colonial",
            "",
            "Colonial's control room finds a ransom note and detects Ransomware at Colonial",
        ),
        ev(
            2.0,
            K::Analysis,
            "colonial",
            "",
            "Colonial analysts finish vetting the first item",
        ),
        ev(
            2.5,
            K::Share,
            "colonial",
            "col_fbi",
            "Colonial shares an item with the FBI Atlanta Field Office by phone",
        ),
        ev(
            3.1,
            K::Share,
            "fbi",
            "fbi_cisa",
            "The FBI passes the item to CISA Region 4",
        ),
        ev(
            4.0,
            K::Share,
            "cisa",
            "cisa_fc",
            "CISA Region 4 shares an advisory with the Virginia Fusion Center over HSIN",
        ),
        ev(
            5.25,
            K::Share,
            "fc_va",
            "fc_eoc",
            "The Virginia Fusion Center briefs the Virginia EOC",
        ),
        ev(
            8.0,
            K::Inject,
            "I-02",
            "",
            "I-02: Virginia Fusion Center loses HSIN access",
        ),
        ev(
            8.0,
            K::Failure,
            "fc_va",
            "",
            "The Virginia Fusion Center goes down",
        ),
        ev(
            9.5,
            K::TrustChange,
            "colonial",
            "isac_col",
            "Colonial's trust in the ISAC rises to 0.64",
        ),
        ev(
            14.0,
            K::Decision,
            "cisa",
            "",
            "CISA Region 4 decides to recommend containment",
        ),
        ev(
            16.5,
            K::Action,
            "colonial",
            "",
            "Colonial completes containment (Mitigate) of Ransomware at Colonial",
        ),
        ev(
            20.0,
            K::Repair,
            "fc_va",
            "",
            "The Virginia Fusion Center is back up",
        ),
        ev(
            20.5,
            K::Inject,
            "I-03",
            "",
            "I-03: Media report of fuel shortages",
        ),
        ev(
            22.0,
            K::PublicWarning,
            "eoc_va",
            "",
            "The Virginia EOC issues a public statement",
        ),
    ];
    if worst {
        tl.retain(|e| !matches!(e.kind, K::Action | K::Decision | K::PublicWarning));
        tl.extend([
            ev(
                6.0,
                K::Withdrawal,
                "fbi",
                "col_fbi",
                "Colonial stops reporting to the FBI (trust 0.19)",
            ),
            ev(
                7.0,
                K::Blocked,
                "cisa",
                "cisa_fc",
                "An item for the fusion center is blocked: HSIN down",
            ),
            ev(
                10.0,
                K::InsiderAction,
                "ins_isac",
                "",
                "An ISAC analyst posts AMBER material to a forum",
            ),
            ev(
                10.2,
                K::Leak,
                "ong_isac",
                "isac_col",
                "AMBER items about Ransomware at Colonial are exposed",
            ),
            ev(
                30.0,
                K::Expired,
                "fc_va",
                "",
                "Two items expire in the fusion center queue",
            ),
            ev(
                36.0,
                K::Harm,
                "ransomware",
                "",
                "Ransomware at Colonial causes harm: pipeline shut down",
            ),
            ev(
                38.0,
                K::Action,
                "colonial",
                "",
                "Colonial completes containment after the deadline",
            ),
        ]);
    }
    tl.sort_by(|a, b| a.t.total_cmp(&b.t));
    let cat = catalog();
    let metrics = if worst {
        vec![
            Some(1.5),
            Some(1.0),
            Some(0.5),
            Some(38.0),
            Some(3.0),
            Some(6.0),
            Some(0.41),
            None,
        ]
    } else {
        vec![
            Some(1.5),
            Some(1.0),
            Some(0.83),
            Some(16.5),
            Some(0.0),
            Some(3.0),
            Some(0.58),
            None,
        ]
    };
    let met = if worst {
        [true, false, false, false]
    } else {
        [true, false, true, true]
    };
    RunOutcome {
        run_index,
        metrics: metrics.clone(),
        objectives: met
            .iter()
            .enumerate()
            .map(|(i, &b)| ObjectiveResult {
                value: metrics[i.min(3)],
                met: b,
                applicable: true,
            })
            .collect(),
        drivers: vec![true, worst, worst, true],
        series: cat
            .series
            .iter()
            .map(|_| {
                cat.series_times
                    .iter()
                    .map(|&t| (t / 10.0).min(5.0) as f32)
                    .collect()
            })
            .collect(),
        links: cat
            .links
            .iter()
            .map(|_| LinkResult {
                items: 2,
                end_trust: 0.6,
                withdrawn: false,
                compromised: false,
                ..LinkResult::default()
            })
            .collect(),
        timeline: tl.into(),
    }
}

/// The fixture exemplars (baseline and vetting; median and worst).
pub(crate) fn exemplars() -> Vec<Exemplar> {
    let mut v = Vec::new();
    for (variant, base) in [("baseline", 0u64), ("vetting", 1000)] {
        v.push(Exemplar {
            variant: variant.into(),
            role: "median".into(),
            reason: "median time to action".into(),
            outcome: outcome(base + 412, false),
        });
        v.push(Exemplar {
            variant: variant.into(),
            role: "worst".into(),
            reason: "worst decile of time to action".into(),
            outcome: outcome(base + 77, true),
        });
    }
    v
}
