//! The partnership ledger against known answers: an essential chain's knock-out and failure
//! values are the closed-form drop p^n, redundant links are worth nothing alone and share
//! their joint worth evenly, in an additive network Shapley equals knock-out, Shapley values
//! are efficient on a shipped scenario, an aligned partnership has no alignment gap, and the
//! ledger is the same whatever the threads or shards.

use std::path::Path;
use tabletop::batch::Shard;
use tabletop::ledger::data::{Ledger, LedgerOf, Measure, Verdict};
use tabletop::ledger::{LedgerOptions, compute, merge, write};
use tabletop::scenario::{ValidScenario, load, load_str};

fn scenario(ron: &str) -> ValidScenario {
    match load_str(Path::new("ledger-test.ron"), ron) {
        Ok(s) => s,
        Err(e) => panic!("test scenario invalid:\n{e}"),
    }
}

/// Options with a single look of `runs` runs (no early stop), on `jobs` threads.
fn opts(runs: u64, jobs: usize) -> LedgerOptions {
    LedgerOptions {
        runs,
        block: runs,
        jobs: Some(jobs),
        ..LedgerOptions::default()
    }
}

/// Equal texts, or a failure showing the first line that differs.
fn same(a: &str, b: &str, what: &str) {
    if a != b {
        let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        let i = la
            .iter()
            .zip(&lb)
            .position(|(x, y)| x != y)
            .unwrap_or(la.len().min(lb.len()));
        panic!(
            "{what}: line {i} differs ({} vs {} lines):\n{:?}\n{:?}",
            la.len(),
            lb.len(),
            la.get(i),
            lb.get(i)
        );
    }
}

/// The row of `player`, `measure`, `target`.
fn row<'a>(
    l: &'a Ledger,
    player: &str,
    m: Measure,
    target: &str,
) -> &'a tabletop::ledger::data::Row {
    l.rows
        .iter()
        .find(|r| r.player == player && r.measure == m && r.target == target)
        .unwrap_or_else(|| panic!("no row {player} {m:?} {target}"))
}

/// The relay chain of the model tests: a0 → … → an, one tip at a0, one-way links passing
/// with probability `p`, only an needs it; objective `o`: an is informed.
fn chain(n: usize, p: f64) -> String {
    crate::model::chain(n, p, 1.0, 0.25)
}

#[test]
fn knocking_out_or_failing_any_link_of_an_essential_chain_costs_p_to_the_n() {
    let (n, p, runs) = (3, 0.8, 1500u64);
    let l = compute(&scenario(&chain(n, p)), &opts(runs, 2)).unwrap();
    let q = p.powi(n as i32);
    let tol = 4.0 * (q * (1.0 - q) / runs as f64).sqrt();
    let base = l.baseline.iter().find(|b| b.target == "o").unwrap();
    assert!(
        (base.mean.unwrap() - q).abs() < tol,
        "baseline {:?} vs {q}",
        base.mean
    );
    for i in 0..n {
        for m in [Measure::Knockout, Measure::Failure] {
            let r = row(&l, &format!("l{i}"), m, "o");
            assert_eq!(r.n, runs);
            let d = r.diff.unwrap();
            assert!((d + q).abs() < tol, "l{i} {m:?}: {d} vs −{q} ± {tol}");
            // Nothing ever reaches the end without the link: the loss is the baseline's share.
            assert!((d + base.mean.unwrap()).abs() < 1e-12);
            assert_eq!(r.verdict, Verdict::Material);
        }
        let pl = l.players.iter().find(|x| x.id == format!("l{i}")).unwrap();
        assert!((pl.value - q).abs() < tol);
    }
}

/// Agency `a` observes; `b` needs; two one-way partnerships `p1`, `p2` from `a` to `b` over
/// the same channel, each always passing.
const PARALLEL: &str = r#"(
  exercise: (name: "Parallel", duration: hours(48), tick: minutes(30)),
  agencies: [
    (id: "a", name: "Alpha", kind: FusionCenter, analysts: 5, service_time: Fixed(minutes(15))),
    (id: "b", name: "Bravo", kind: FusionCenter, analysts: 5, service_time: Fixed(minutes(15)), needs: [Cyber]),
  ],
  channels: [(id: "c", name: "Wire", max_class: Cui, latency: Fixed(hours(1))),
             (id: "k", name: "Phone", max_class: Cui, latency: Fixed(hours(1)))],
  partnerships: [
    (id: "p1", from: "a", to: "b", direction: OneWay, agreement: Mou, channels: ["c"], trust: 1.0, share_probability: 1.0),
    (id: "p2", from: "a", to: "b", direction: OneWay, agreement: Mou, channels: ["k"], trust: 1.0, share_probability: 1.0),
  ],
  threats: [(id: "t", name: "Tip", kind: Cyber, signal_interval: Fixed(days(1000)),
             marking: (class: Unclassified, tlp: Green), response: (action: Warn))],
  injects: [(id: "I1", number: 1, trigger: At(hours(0)), synopsis: "Tip arrives",
             effect: Signal(threat: "t", at: "a"))],
  objectives: [(id: "o", description: "Bravo knows", capability: IntelligenceAndInformationSharing,
                metric: Coverage(threat: "t", within: hours(24)), target: AtLeast(1.0))],
)"#;

#[test]
fn two_redundant_links_are_worth_nothing_alone_and_split_their_joint_worth_evenly() {
    let l = compute(
        &scenario(PARALLEL),
        &LedgerOptions {
            shapley: 2,
            shapley_runs: 50,
            ..opts(400, 2)
        },
    )
    .unwrap();
    for p in ["p1", "p2"] {
        let r = row(&l, p, Measure::Knockout, "o");
        assert_eq!(r.diff, Some(0.0), "{p}");
        assert_eq!(r.verdict, Verdict::Negligible, "{p}");
    }
    let s = l.shapley.as_ref().expect("Shapley values");
    assert!(s.exact);
    let o = &s.targets[0];
    assert_eq!(o.total, 1.0);
    for v in &o.values {
        assert!((v - 0.5).abs() < 1e-12, "{:?}", o.values);
    }
}

/// A hub that observes three threats of different kinds and one leaf per kind that needs it,
/// each leaf reached over its own link passing with probability `p_i`; objective i: leaf i
/// informed. Each objective depends on one link only: an additive game.
fn star() -> String {
    let kinds = ["Cyber", "Plot", "Hazard"];
    let ps = [0.9, 0.6, 0.3];
    let mut agencies = String::from(
        "(id: \"hub\", name: \"Hub\", kind: FusionCenter, analysts: 20, service_time: Fixed(minutes(6))),\n",
    );
    let (mut links, mut threats, mut objectives, mut injects) =
        (String::new(), String::new(), String::new(), String::new());
    for (i, (k, p)) in kinds.iter().zip(ps).enumerate() {
        agencies.push_str(&format!(
            "(id: \"leaf{i}\", name: \"Leaf {i}\", kind: FusionCenter, needs: [{k}]),\n"
        ));
        links.push_str(&format!(
            "(id: \"s{i}\", from: \"hub\", to: \"leaf{i}\", direction: OneWay, agreement: Mou, channels: [\"c\"], trust: 1.0, share_probability: {p}),\n"
        ));
        threats.push_str(&format!(
            "(id: \"t{i}\", name: \"T{i}\", kind: {k}, signal_interval: Fixed(days(1000)), marking: (class: Unclassified, tlp: Green), response: (action: Warn)),\n"
        ));
        injects.push_str(&format!(
            "(id: \"I{i}\", number: {}, trigger: At(hours(0)), synopsis: \"Tip {i}\", effect: Signal(threat: \"t{i}\", at: \"hub\")),\n",
            i + 1
        ));
        objectives.push_str(&format!(
            "(id: \"o{i}\", description: \"Leaf {i} knows\", capability: IntelligenceAndInformationSharing, metric: Coverage(threat: \"t{i}\", within: hours(24)), target: AtLeast(1.0)),\n"
        ));
    }
    format!(
        r#"(
  exercise: (name: "Star", duration: hours(48), tick: minutes(30)),
  agencies: [{agencies}],
  channels: [(id: "c", name: "Wire", max_class: Cui, latency: Fixed(hours(1)))],
  partnerships: [{links}],
  threats: [{threats}],
  injects: [{injects}],
  objectives: [{objectives}],
)"#
    )
}

#[test]
fn in_an_additive_network_the_shapley_value_equals_the_knock_out_value() {
    let runs = 300;
    let l = compute(
        &scenario(&star()),
        &LedgerOptions {
            shapley: 3,
            shapley_runs: runs,
            ..opts(runs, 2)
        },
    )
    .unwrap();
    let s = l.shapley.as_ref().expect("Shapley values");
    for (t, st) in s.targets.iter().enumerate() {
        for (i, player) in s.players.iter().enumerate() {
            let ko = row(&l, player, Measure::Knockout, &st.target).diff.unwrap();
            // Same runs, common random numbers: the marginal worth is the same in every
            // coalition, so the values agree to rounding.
            assert!(
                (st.values[i] + ko).abs() < 1e-12,
                "{player} on {}: Shapley {} vs knock-out {ko}",
                st.target,
                st.values[i]
            );
            if i != t {
                assert!(st.values[i].abs() < 1e-12);
            }
        }
    }
    // Link s0 passes with p = 0.9: its value on o0 is near 0.9 (4 standard errors).
    let v = s.targets[0].values[0];
    assert!(
        (v - 0.9).abs() < 4.0 * (0.09f64 / runs as f64).sqrt(),
        "{v}"
    );
}

#[test]
fn sampled_shapley_values_on_a_shipped_scenario_sum_to_the_network_s_worth() {
    let scn = load(Path::new("scenarios/fuel-line.ron")).unwrap();
    let l = compute(
        &scn,
        &LedgerOptions {
            shapley: 10,
            shapley_runs: 30,
            precision: 1.0,
            block: 60,
            runs: 60,
            jobs: Some(2),
            ..LedgerOptions::default()
        },
    )
    .unwrap();
    let s = l.shapley.as_ref().expect("Shapley values");
    assert!(!s.exact);
    assert_eq!(s.players.len(), 10);
    assert!(s.permutations >= 4);
    for t in &s.targets {
        let sum: f64 = t.values.iter().sum();
        assert!(
            (sum - t.total).abs() < 1e-9,
            "{}: Σφ {sum} vs {}",
            t.target,
            t.total
        );
        assert!(t.se.iter().all(|e| e.is_finite() && *e >= 0.0));
    }
    // The top ten by knock-out value were chosen.
    let mut by_value: Vec<_> = l.players.iter().collect();
    by_value.sort_by_key(|p| p.value_rank);
    for p in &by_value[..10] {
        assert!(s.players.contains(&p.id), "{} missing", p.id);
    }
}

#[test]
fn aligning_an_already_aligned_partnership_changes_nothing() {
    // Both ends at the best compliance of the scenario (Alpha's, set to 1.0 for both),
    // rigorously vetted, a formal agreement, joint training, trust and share probability at
    // the aligned level, a channel and TLP that carry the threat.
    let ron = PARALLEL
        .replace(
            "analysts: 5, service_time",
            "vetting: Rigorous, handling_compliance: Some(1.0), analysts: 5, service_time",
        )
        .replace(
            "agreement: Mou, channels: [\"c\"], trust: 1.0, share_probability: 1.0)",
            "agreement: DataSharingAgreement, channels: [\"c\"], trust: 1.0, share_probability: 1.0, joint_training: true)",
        );
    let l = compute(&scenario(&ron), &opts(200, 2)).unwrap();
    for t in &l.targets {
        let r = row(&l, "p1", Measure::Aligned, &t.id);
        assert_eq!((r.diff, r.n), (Some(0.0), 0), "{}", t.id);
        assert_eq!(r.verdict, Verdict::Negligible);
    }
    assert!(l.gap_parts.iter().all(|g| g.player != "p1"));
    // p2 is not aligned: it has an alignment to price.
    assert!(row(&l, "p2", Measure::Aligned, "o").n > 0);
}

#[test]
fn the_ledger_is_the_same_on_one_thread_two_threads_and_two_merged_shards() {
    let scn = load(Path::new("scenarios/fuel-line.ron")).unwrap();
    let base = LedgerOptions {
        runs: 40,
        block: 20,
        shapley: 3,
        shapley_runs: 10,
        of: LedgerOf::Partnerships,
        ..LedgerOptions::default()
    };
    let one = compute(
        &scn,
        &LedgerOptions {
            jobs: Some(1),
            ..base.clone()
        },
    )
    .unwrap();
    let two = compute(
        &scn,
        &LedgerOptions {
            jobs: Some(2),
            ..base.clone()
        },
    )
    .unwrap();
    let json = |l: &Ledger| serde_json::to_string_pretty(l).unwrap();
    same(&json(&one), &json(&two), "jobs 1 vs 2");
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    for (k, d) in dirs.iter().enumerate() {
        let part = compute(
            &scn,
            &LedgerOptions {
                jobs: Some(2),
                shard: Shard::new(k as u64 + 1, 2),
                ..base.clone()
            },
        )
        .unwrap();
        assert!(part.shapley.is_none());
        write(&part, d.path()).unwrap();
    }
    // Shards given in either order.
    let paths = vec![dirs[1].path().to_path_buf(), dirs[0].path().to_path_buf()];
    let merged = merge(&scn, &paths, Some(2), false).unwrap();
    same(&json(&merged), &json(&one), "merged shards vs one machine");
}

#[test]
fn a_ledger_of_agencies_prices_each_partner_with_all_its_partnerships() {
    let l = compute(
        &scenario(&chain(2, 1.0)),
        &LedgerOptions {
            of: LedgerOf::Agencies,
            ..opts(100, 2)
        },
    )
    .unwrap();
    let ids: Vec<&str> = l.players.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a0", "a1", "a2"]);
    // Every relay is essential with p = 1: knocking any agency's partnerships out loses all.
    for id in ids {
        assert_eq!(row(&l, id, Measure::Knockout, "o").diff, Some(-1.0), "{id}");
    }
    // The middle relay lies on the only path between the ends.
    let mid = l.players.iter().find(|p| p.id == "a1").unwrap();
    assert!((mid.betweenness - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(mid.betweenness_rank, 1);
}

mod cli {
    //! `tabletop ledger` and the ledger shards through `tabletop merge`, on the tiny fixture.

    use assert_cmd::Command;
    use predicates::str::contains;

    const TINY: &str = "tests/fixtures/batch-tiny.ron";

    fn tabletop() -> Command {
        Command::cargo_bin("tabletop").unwrap()
    }

    fn ledger(out: &std::path::Path, extra: &[&str]) -> assert_cmd::assert::Assert {
        tabletop()
            .args([
                "ledger", TINY, "--runs", "40", "--block", "20", "--jobs", "2",
            ])
            .args(extra)
            .arg("--out")
            .arg(out)
            .assert()
    }

    #[test]
    fn the_ledger_command_writes_its_files_beside_a_batch_of_the_scenario_as_written() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("l");
        ledger(&out, &["--no-report"])
            .success()
            .stdout(contains("Partnership ledger of"))
            .stdout(contains("Most valuable"));
        for f in [
            "ledger.json",
            "ledger.csv",
            "runs.csv",
            "summary.json",
            "manifest.json",
        ] {
            assert!(out.join(f).is_file(), "{f} missing");
        }
        let csv = std::fs::read_to_string(out.join("ledger.csv")).unwrap();
        assert!(csv.starts_with("\u{feff}partnership,from,to,measure,target,diff,ci_low,ci_high"));
        let l: tabletop::ledger::data::Ledger =
            serde_json::from_str(&std::fs::read_to_string(out.join("ledger.json")).unwrap())
                .unwrap();
        // One row per player, measure and target.
        assert_eq!(csv.lines().count() - 1, l.rows.len());
        assert_eq!(l.rows.len(), l.players.len() * 3 * l.targets.len());
    }

    #[test]
    fn ledger_shards_merge_into_the_ledger_one_machine_writes() {
        let t = tempfile::tempdir().unwrap();
        let one = t.path().join("one");
        ledger(&one, &["--no-report"]).success();
        let shards: Vec<_> = (1..=2).map(|k| t.path().join(format!("s{k}"))).collect();
        for (k, d) in shards.iter().enumerate() {
            ledger(d, &["--no-report", "--shard", &format!("{}/2", k + 1)])
                .success()
                .stdout(contains("ledger part"));
        }
        let merged = t.path().join("merged");
        tabletop()
            .args(["merge", "--no-report", "--jobs", "2", "--out"])
            .arg(&merged)
            .args(&shards)
            .assert()
            .success()
            .stdout(contains("Partnership ledger of"));
        for f in ["ledger.json", "ledger.csv"] {
            assert_eq!(
                std::fs::read(merged.join(f)).unwrap(),
                std::fs::read(one.join(f)).unwrap(),
                "{f} differs"
            );
        }
    }

    #[test]
    fn a_bad_ledger_option_or_main_threat_is_a_usage_error_with_exit_code_2() {
        let t = tempfile::tempdir().unwrap();
        tabletop()
            .args(["ledger", TINY, "--runs", "1", "--out"])
            .arg(t.path().join("a"))
            .assert()
            .code(2)
            .stderr(contains("--runs"));
        let bad = t.path().join("bad.ron");
        let src = std::fs::read_to_string(TINY).unwrap();
        let src = src.trim_end().trim_end_matches(')').to_string()
            + "\n  ledger: (main_threat: Some(\"nope\")),\n)\n";
        std::fs::write(&bad, src).unwrap();
        tabletop()
            .args(["ledger"])
            .arg(&bad)
            .args(["--runs", "10", "--out"])
            .arg(t.path().join("b"))
            .assert()
            .code(2)
            .stderr(contains("nope"));
    }
}
