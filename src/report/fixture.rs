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
        observed: Vec::new(),
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
        originated_exposure: Default::default(),
        observed: Vec::new(),
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

/// A hostile display name: markup, a spreadsheet formula, quotes and non-ASCII text.
pub const HOSTILE_NAME: &str = "<script>alert(1)</script> \"=cmd|' /C calc'!A0\" Ünïcødé ☢ & co";

/// A hand-made ledger of the fixture scenario's five partnerships plus one with a hostile
/// name (see the numbers in the `report::ledger_data` tests): values are the mean knock-out
/// loss of P(met) over the four objectives of its rows.
pub fn ledger() -> crate::ledger::data::Ledger {
    use crate::ledger::data::{
        BaselineValue, Better, GapPart, Ledger, LedgerManifest, LedgerOf, Measure, PlanItem,
        Player, RiskColumns, Row, Shapley, ShapleyTarget, Target, Verdict,
    };
    let objectives = ["detect", "warn", "act", "leak"];
    let cat = catalog();
    let mut targets: Vec<Target> = cat
        .objectives
        .iter()
        .map(|o| Target {
            id: o.id.clone(),
            kind: "objective".into(),
            name: if o.id == "leak" {
                "No leak of <b>AMBER</b> & \"=cmd\"".into()
            } else {
                o.description.clone()
            },
            unit: "P(met)".into(),
            better: Better::Higher,
        })
        .collect();
    targets.push(Target {
        id: "time_to_detection.ransomware".into(),
        kind: "metric".into(),
        name: "Time to detection: Ransomware at Colonial".into(),
        unit: "h".into(),
        better: Better::Lower,
    });
    // (id, name, from, to, knock-out diffs per objective, half-width of the value interval,
    //  exposure, betweenness, betweenness rank, value rank, disagreement)
    type P = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        [f64; 4],
        f64,
        f64,
        f64,
        usize,
        usize,
        &'static str,
    );
    let players: [P; 6] = [
        (
            "col_fbi",
            "Colonial ↔ FBI Atlanta",
            "colonial",
            "fbi",
            [-0.10, -0.30, -0.12, 0.04],
            0.06,
            0.4,
            0.5,
            3,
            2,
            "",
        ),
        (
            "fbi_cisa",
            "FBI Atlanta ↔ CISA Region 4",
            "fbi",
            "cisa",
            [0.0, -0.20, -0.12, 0.0],
            0.03,
            0.1,
            0.1,
            6,
            3,
            "quiet_carrier",
        ),
        (
            "cisa_fc",
            "CISA Region 4 ↔ Virginia Fusion Center",
            "cisa",
            "fc_va",
            [0.0, -0.60, -0.24, 0.0],
            0.06,
            0.0,
            0.6,
            2,
            1,
            "",
        ),
        (
            "fc_eoc",
            "Virginia Fusion Center ↔ Virginia EOC",
            "fc_va",
            "eoc_va",
            [0.0, -0.012, 0.0, 0.0],
            0.008,
            0.05,
            0.8,
            1,
            5,
            "central_but_little",
        ),
        (
            "isac_col",
            "ONG-ISAC ↔ Colonial",
            "ong_isac",
            "colonial",
            [-0.02, -0.02, 0.0, 0.0],
            0.03,
            2.5,
            0.2,
            5,
            4,
            "",
        ),
        (
            "hostile",
            HOSTILE_NAME,
            "fbi",
            "eoc_va",
            [0.0, 0.0, 0.0, 0.0],
            0.01,
            0.8,
            0.3,
            4,
            6,
            "",
        ),
    ];
    // aligned rows: (player, objective, diff, half-width, verdict, recommendation)
    let aligned: [(&str, &str, f64, f64, Verdict, &str); 6] = [
        (
            "isac_col",
            "leak",
            0.30,
            0.08,
            Verdict::Material,
            "partner_vetting",
        ),
        (
            "cisa_fc",
            "warn",
            0.18,
            0.08,
            Verdict::Material,
            "technology_investment",
        ),
        (
            "col_fbi",
            "detect",
            0.09,
            0.06,
            Verdict::Material,
            "sharing_agreements",
        ),
        (
            "fbi_cisa",
            "warn",
            0.04,
            0.04,
            Verdict::Undecided,
            "joint_training",
        ),
        ("fc_eoc", "warn", 0.0, 0.008, Verdict::Negligible, ""),
        (
            "hostile",
            "act",
            0.02,
            0.015,
            Verdict::Material,
            "shared_benefits",
        ),
    ];
    let verdict = |d: f64, h: f64| {
        if (d - h).abs() > 0.01 && d.abs() > h {
            Verdict::Material
        } else if d.abs() + h < 0.01 {
            Verdict::Negligible
        } else {
            Verdict::Undecided
        }
    };
    let mut rows = Vec::new();
    let mut out_players = Vec::new();
    for (id, name, from, to, ko, half, exposure, btw, brank, vrank, dis) in players {
        let value = -ko.iter().sum::<f64>() / ko.len() as f64;
        out_players.push(Player {
            id: id.into(),
            name: name.into(),
            from: from.into(),
            to: to.into(),
            betweenness: btw,
            betweenness_rank: brank,
            value,
            value_low: value - half,
            value_high: value + half,
            value_rank: vrank,
            risk: RiskColumns {
                exposure,
                violations: vec![
                    ("tlp".into(), exposure * 0.1),
                    ("agreement".into(), 0.0),
                    ("public".into(), 0.0),
                    ("criminal_intel".into(), 0.0),
                    ("pii".into(), 0.0),
                ],
                legal_findings: exposure * 0.01,
                origin_exposure: exposure * 0.3,
                equity_ratio: Some(0.8),
                p_withdrawal: 0.02,
                dependants_lost_hours: 1.5,
            },
            runs: vec![
                (Measure::Knockout, 400),
                (Measure::Failure, 200),
                (Measure::Aligned, 400),
            ],
            disagreement: dis.into(),
        });
        for (t, d) in objectives.iter().zip(ko) {
            rows.push(Row {
                player: id.into(),
                measure: Measure::Knockout,
                target: (*t).into(),
                diff: Some(d),
                ci_low: Some(d - 0.04),
                ci_high: Some(d + 0.04),
                n: 400,
                verdict: verdict(d, 0.04),
                recommendation: String::new(),
            });
            rows.push(Row {
                player: id.into(),
                measure: Measure::Failure,
                target: (*t).into(),
                diff: Some(d / 2.0),
                ci_low: Some(d / 2.0 - 0.05),
                ci_high: Some(d / 2.0 + 0.05),
                n: 200,
                verdict: verdict(d / 2.0, 0.05),
                recommendation: String::new(),
            });
        }
        let (_, t, d, h, v, rec) = aligned.iter().find(|a| a.0 == id).copied().unwrap_or((
            id,
            "warn",
            0.0,
            0.01,
            Verdict::Negligible,
            "",
        ));
        for o in objectives {
            let (d, h, v, rec) = if o == t {
                (d, h, v, rec)
            } else {
                (0.0, 0.01, Verdict::Negligible, "")
            };
            rows.push(Row {
                player: id.into(),
                measure: Measure::Aligned,
                target: o.into(),
                diff: Some(d),
                ci_low: Some(d - h),
                ci_high: Some(d + h),
                n: 400,
                verdict: v,
                recommendation: rec.into(),
            });
        }
        rows.push(Row {
            player: id.into(),
            measure: Measure::Knockout,
            target: "time_to_detection.ransomware".into(),
            diff: None,
            ci_low: None,
            ci_high: None,
            n: 0,
            verdict: Verdict::Undecided,
            recommendation: String::new(),
        });
    }
    let part = |player: &str, rec: &str, change: &str, target: &str, diff: f64| GapPart {
        player: player.into(),
        recommendation: rec.into(),
        change: change.into(),
        target: target.into(),
        diff,
        ci_low: diff - 0.05,
        ci_high: diff + 0.05,
    };
    let plan = |rec: &str, player: &str, target: &str, diff: f64, h: f64| PlanItem {
        recommendation: rec.into(),
        player: player.into(),
        target: target.into(),
        diff,
        ci_low: diff - h,
        ci_high: diff + h,
    };
    Ledger {
        manifest: LedgerManifest {
            tabletop_version: "0.1.0".into(),
            scenario: SCENARIO_NAME.into(),
            scenario_hash: HASH.into(),
            seed: SEED,
            of: LedgerOf::Partnerships,
            main_threat: "ransomware".into(),
            max_runs: 400,
            block: 50,
            negligible: 0.01,
            alpha: 0.05,
            shard: String::new(),
            total_runs: 12_400,
            shapley_k: 3,
            shapley_runs: 200,
            shapley_precision: 0.03,
            shapley_max_pairs: 100,
        },
        targets,
        baseline: objectives
            .iter()
            .zip([0.55, 0.62, 0.71, 0.9])
            .map(|(t, p)| BaselineValue {
                target: (*t).into(),
                mean: Some(p),
                ci_low: Some(p - 0.03),
                ci_high: Some(p + 0.03),
                n: 400,
            })
            .collect(),
        players: out_players,
        rows,
        gap_parts: vec![
            part(
                "isac_col",
                "partner_vetting",
                "Continuous vetting on both sides",
                "leak",
                0.22,
            ),
            part(
                "isac_col",
                "sharing_agreements",
                "A formal data-sharing agreement",
                "leak",
                0.05,
            ),
            part(
                "cisa_fc",
                "technology_investment",
                "Channels that carry <b>AMBER</b>",
                "warn",
                0.14,
            ),
            part(
                "col_fbi",
                "sharing_agreements",
                "A formal data-sharing agreement",
                "detect",
                0.07,
            ),
        ],
        shapley: Some(Shapley {
            players: vec!["col_fbi".into(), "cisa_fc".into(), "hostile".into()],
            exact: false,
            permutations: 40,
            runs_per_coalition: 200,
            precision_target: 0.03,
            precision_reached: 0.024,
            targets: vec![
                ShapleyTarget {
                    target: "warn".into(),
                    total: 0.52,
                    values: vec![0.2, 0.35, -0.03],
                    se: vec![0.02, 0.024, 0.01],
                },
                ShapleyTarget {
                    target: "leak".into(),
                    total: 0.16,
                    values: vec![0.1, 0.15, -0.09],
                    se: vec![0.015, 0.02, 0.012],
                },
            ],
        }),
        plan: vec![
            plan("partner_vetting", "isac_col", "leak", 0.30, 0.08),
            plan("technology_investment", "cisa_fc", "warn", 0.18, 0.08),
            plan("sharing_agreements", "col_fbi", "detect", 0.09, 0.06),
            plan("shared_benefits", "hostile", "act", 0.02, 0.015),
        ],
    }
}

/// Write the fixture ledger ([`ledger`]) as `ledger.json` into a batch directory.
pub fn write_fixture_ledger(dir: &Path) -> Result<()> {
    write(dir, "ledger.json", &json(&ledger())?)
}

/// A deterministic ledger for looking at the charts of a large network: one player per
/// partnership of the batch's baseline links (`summary.json` of a real batch), with values,
/// risks and alignment gaps spread by a fixed hash of the player's index (no simulation,
/// no random generator; the numbers mean nothing).
pub fn synthetic_ledger(summary: &Summary, catalog: &Catalog) -> crate::ledger::data::Ledger {
    use crate::ledger::data::{Measure, Player, Row, Verdict};
    let mut l = ledger();
    let u = |i: u64, k: u64| {
        // splitmix64 of (i, k), mapped to [0, 1)
        let mut z = i
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(k.wrapping_mul(0xBF58_476D_1CE4_E5B9));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut seen: Vec<&str> = Vec::new();
    let links: Vec<_> = summary
        .variants
        .first()
        .map(|v| v.links.iter().collect())
        .unwrap_or_default();
    l.targets.retain(|t| t.kind != "objective");
    for o in &catalog.objectives {
        l.targets.insert(
            l.targets.len() - 1,
            crate::ledger::data::Target {
                id: o.id.clone(),
                kind: "objective".into(),
                name: o.description.clone(),
                unit: "P(met)".into(),
                better: crate::ledger::data::Better::Higher,
            },
        );
    }
    let objectives: Vec<String> = catalog.objectives.iter().map(|o| o.id.clone()).collect();
    l.players.clear();
    l.rows.clear();
    l.gap_parts.clear();
    l.plan.clear();
    for link in links {
        if seen.contains(&link.partnership.as_str()) {
            continue;
        }
        seen.push(&link.partnership);
        let i = l.players.len() as u64;
        let value = 0.15 * u(i, 1).powi(4) - 0.01 + 0.02 * u(i, 2);
        let half = 0.01 + 0.02 * u(i, 3);
        let exposure = link.mean_exposure.max(0.0) + 3.0 * u(i, 4).powi(6);
        l.players.push(Player {
            id: link.partnership.clone(),
            name: link.partnership.clone(),
            from: link.from.clone(),
            to: link.to.clone(),
            betweenness: u(i, 5),
            betweenness_rank: 0,
            value,
            value_low: value - half,
            value_high: value + half,
            value_rank: 0,
            risk: crate::ledger::data::RiskColumns {
                exposure,
                ..Default::default()
            },
            runs: vec![(Measure::Knockout, 200)],
            disagreement: String::new(),
        });
        let k = (u(i, 6) * objectives.len() as f64) as usize;
        for (j, o) in objectives.iter().enumerate() {
            let gap = if j == k { 0.12 * u(i, 7).powi(3) } else { 0.0 };
            let rec = [
                "partner_vetting",
                "sharing_agreements",
                "shared_benefits",
                "joint_training",
                "metrics_and_evaluation",
                "technology_investment",
            ][(u(i, 8) * 6.0) as usize % 6];
            rows_push(
                &mut l.rows,
                &link.partnership,
                Measure::Knockout,
                o,
                -value,
                half,
                "",
            );
            rows_push(
                &mut l.rows,
                &link.partnership,
                Measure::Aligned,
                o,
                gap,
                half,
                if gap > 0.0 { rec } else { "" },
            );
        }
    }
    fn rows_push(rows: &mut Vec<Row>, p: &str, m: Measure, t: &str, d: f64, h: f64, rec: &str) {
        rows.push(Row {
            player: p.into(),
            measure: m,
            target: t.into(),
            diff: Some(d),
            ci_low: Some(d - h),
            ci_high: Some(d + h),
            n: 200,
            verdict: Verdict::Undecided,
            recommendation: rec.into(),
        });
    }
    let rank = |key: &dyn Fn(&Player) -> f64, players: &[Player]| -> Vec<usize> {
        let mut idx: Vec<usize> = (0..players.len()).collect();
        idx.sort_by(|&a, &b| {
            key(&players[b])
                .total_cmp(&key(&players[a]))
                .then(a.cmp(&b))
        });
        let mut r = vec![0; players.len()];
        for (pos, i) in idx.into_iter().enumerate() {
            r[i] = pos + 1;
        }
        r
    };
    let vr = rank(&|p| p.value, &l.players);
    let br = rank(&|p| p.betweenness, &l.players);
    let n = l.players.len();
    for (i, p) in l.players.iter_mut().enumerate() {
        p.value_rank = vr[i];
        p.betweenness_rank = br[i];
        if br[i] <= n / 10 && vr[i] > n / 2 {
            p.disagreement = "central_but_little".into();
        } else if br[i] > n / 2 && vr[i] <= n / 10 {
            p.disagreement = "quiet_carrier".into();
        }
    }
    let mut gaps: Vec<&Row> = l
        .rows
        .iter()
        .filter(|r| r.measure == Measure::Aligned && r.diff.unwrap_or(0.0) > 0.05)
        .collect();
    gaps.sort_by(|a, b| b.diff.unwrap_or(0.0).total_cmp(&a.diff.unwrap_or(0.0)));
    l.plan = gaps
        .iter()
        .take(6)
        .map(|r| crate::ledger::data::PlanItem {
            recommendation: r.recommendation.clone(),
            player: r.player.clone(),
            target: r.target.clone(),
            diff: r.diff.unwrap_or(0.0),
            ci_low: r.ci_low.unwrap_or(0.0),
            ci_high: r.ci_high.unwrap_or(0.0),
        })
        .collect();
    if let Some(sh) = l.shapley.as_mut() {
        let mut top: Vec<usize> = (0..n).collect();
        top.sort_by_key(|&i| vr[i]);
        top.truncate(8);
        sh.players = top.iter().map(|&i| l.players[i].id.clone()).collect();
        sh.targets = objectives
            .iter()
            .take(3)
            .enumerate()
            .map(|(k, o)| crate::ledger::data::ShapleyTarget {
                target: o.clone(),
                total: 0.5,
                values: top
                    .iter()
                    .map(|&i| l.players[i].value * (0.5 + u(i as u64, 10 + k as u64)))
                    .collect(),
                se: top
                    .iter()
                    .map(|&i| 0.005 + 0.01 * u(i as u64, 20))
                    .collect(),
            })
            .collect();
    }
    l
}
