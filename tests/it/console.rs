//! The live console: step API, decision hook and actions, session log, `tabletop replay`,
//! fork determinism, and the web API through the router (no network).

use assert_cmd::Command;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use tabletop::console::log::{self as slog, Entry, Header};
use tabletop::console::server::{AppState, router};
use tabletop::console::session::{Live, Role};
use tabletop::scenario;
use tabletop::sim::{Action, Model, RunOptions, RunSeed, Stepper, forecast, replay};
use tower::ServiceExt;

const LANDFALL: &str = "scenarios/landfall.ron";
const BRIDGE: &str = "scenarios/bridge.ron";

fn model(path: &str) -> Model {
    Model::new(&scenario::load(Path::new(path)).unwrap())
}

fn seed(master: u64) -> RunSeed {
    RunSeed {
        master,
        run_index: 0,
    }
}

fn json_of<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap()
}

#[test]
fn stepping_without_actions_is_exactly_a_run() {
    for path in [LANDFALL, BRIDGE] {
        let m = model(path);
        for s in [1, 2, 9] {
            let direct = m.run(seed(s), RunOptions { timeline: true });
            let stepped = replay(&m, seed(s), &[], true).unwrap();
            assert_eq!(json_of(&direct), json_of(&stepped), "{path} seed {s}");
            // Stepping in uneven strides changes nothing either.
            let mut st = Stepper::new(&m, seed(s), true);
            st.advance_to(7.3);
            st.advance_to_event(30.0);
            st.step();
            let _ = st.board();
            assert_eq!(json_of(&direct), json_of(&st.finish()), "{path} seed {s}");
        }
    }
}

/// A batch run (no timeline: every tick in one system run when no inject waits for an
/// objective's judgement) is exactly the same run stepped tick by tick through the schedule,
/// for every shipped scenario.
#[test]
fn a_batch_run_is_exactly_the_run_stepped_tick_by_tick() {
    let paths = crate::golden::shipped_scenarios();
    assert!(paths.len() >= 9, "shipped scenarios: {paths:?}");
    for path in &paths {
        let m = Model::new(&scenario::load(path).unwrap());
        for s in [1, 5] {
            let direct = m.run(seed(s), RunOptions { timeline: false });
            let mut st = Stepper::new(&m, seed(s), false);
            while st.step() {}
            let stepped = st.finish();
            assert!(
                !direct.metrics.is_empty(),
                "{} seed {s}: no metrics",
                path.display()
            );
            assert_eq!(
                json_of(&direct),
                json_of(&stepped),
                "{} seed {s}",
                path.display()
            );
        }
    }
}

fn fired(outcome: &tabletop::sim::RunOutcome, id: &str) -> Vec<f64> {
    outcome
        .timeline
        .iter()
        .filter(|e| e.who == id && e.text.starts_with("Inject "))
        .map(|e| e.t)
        .collect()
}

#[test]
fn msel_actions_hold_skip_release_and_retime_injects() {
    let m = model(BRIDGE);
    let base = replay(&m, seed(3), &[], true).unwrap();
    assert_eq!(fired(&base, "I-02"), vec![6.0]);
    // Skip: never fires.
    let skip = replay(
        &m,
        seed(3),
        &[(
            0,
            Action::Skip {
                inject: "I-02".into(),
            },
        )],
        true,
    )
    .unwrap();
    assert!(fired(&skip, "I-02").is_empty());
    // Re-time to 20 h: fires then.
    let re = replay(
        &m,
        seed(3),
        &[(
            0,
            Action::Retime {
                inject: "I-02".into(),
                at_h: 20.0,
            },
        )],
        true,
    )
    .unwrap();
    assert_eq!(fired(&re, "I-02"), vec![20.0]);
    // Hold from the start, resume at tick k: fires at the start of tick k (its time has passed).
    let mut s = Stepper::new(&m, seed(3), true);
    let dt = s.dt();
    s.apply(&Action::Hold {
        inject: "I-02".into(),
    })
    .unwrap();
    s.advance_to(10.0);
    let k = s.tick();
    s.apply(&Action::Resume {
        inject: "I-02".into(),
    })
    .unwrap();
    let held = s.finish();
    assert_eq!(fired(&held, "I-02"), vec![k as f64 * dt]);
    // Release I-03 (scripted at 54 h) at once.
    let rel = replay(
        &m,
        seed(3),
        &[(
            0,
            Action::Release {
                inject: "I-03".into(),
            },
        )],
        true,
    )
    .unwrap();
    assert_eq!(fired(&rel, "I-03"), vec![0.0]);
    // Shift the rest by +5 h at 1 h: I-02 (6 h) fires at 11 h.
    let sh = replay(&m, seed(3), &[(2, Action::Shift { by_h: 5.0 })], true).unwrap();
    assert_eq!(fired(&sh, "I-02"), vec![11.0]);
}

#[test]
fn bad_actions_are_refused_with_a_suggestion() {
    let m = model(BRIDGE);
    let mut s = Stepper::new(&m, seed(1), false);
    let e = s
        .apply(&Action::Skip {
            inject: "I-2".into(),
        })
        .unwrap_err();
    assert!(e.contains("unknown inject `I-2`"), "{e}");
    let e = s
        .apply(&Action::Restore {
            partnership: "nope".into(),
            by: "txfc".into(),
        })
        .unwrap_err();
    assert!(e.contains("unknown"), "{e}");
    s.advance_to(5.0);
    let e = s
        .apply(&Action::Retime {
            inject: "I-02".into(),
            at_h: 1.0,
        })
        .unwrap_err();
    assert!(e.contains("cannot re-time"), "{e}");
}

/// An agency bound to a team: where the model would decide, a decision point opens and the
/// agency waits; when the team acts, the decision is taken at that tick.
#[test]
fn team_decisions_wait_for_the_team() {
    let m = model(BRIDGE);
    let free = replay(&m, seed(5), &[], true).unwrap();
    // The first decision the model takes, and by whom.
    let first = free
        .timeline
        .iter()
        .find(|e| e.text.contains(" decides to act on "))
        .expect("a decision in the run");
    let agency = first.who.to_string();
    let mut s = Stepper::new(&m, seed(5), true);
    s.apply(&Action::Control {
        agency: agency.clone(),
        on: true,
    })
    .unwrap();
    assert!(s.advance_to_decision(1e9), "a decision point opens");
    let b = s.board();
    let d = b
        .decisions
        .iter()
        .find(|d| d.agency == agency)
        .unwrap()
        .clone();
    assert!(
        (d.since_h - first.t).abs() < 1e-9,
        "{} vs {}",
        d.since_h,
        first.t
    );
    // Waiting: no decision by that agency on that threat for 5 more hours.
    s.apply(&Action::Wait {
        agency: agency.clone(),
        threat: d.threat.clone(),
    })
    .unwrap();
    s.advance_to(d.since_h + 5.0);
    assert!(
        !s.board()
            .agencies
            .iter()
            .any(|a| a.id == agency && a.decided.contains(&d.threat))
    );
    let k = s.tick();
    s.apply(&Action::Act {
        agency: agency.clone(),
        threat: d.threat.clone(),
    })
    .unwrap();
    s.step();
    let b = s.board();
    assert!(
        b.decisions
            .iter()
            .all(|x| !(x.agency == agency && x.threat == d.threat))
    );
    assert!(
        b.agencies
            .iter()
            .any(|a| a.id == agency && a.decided.contains(&d.threat))
    );
    let out = s.finish();
    let dec = out
        .timeline
        .iter()
        .find(|e| e.who == agency && e.text.contains(" decides to act on "))
        .unwrap();
    assert!((dec.t - k as f64 * m.tick_hours()).abs() < 1e-9);
}

#[test]
fn team_effects_cut_off_warn_and_restore() {
    let m = model(BRIDGE);
    let sc = scenario::load(Path::new(BRIDGE)).unwrap();
    let p = sc.spec().partnerships[0].id.clone();
    let by = sc.spec().agencies[0].id.clone();
    let th = sc.spec().threats[0].id.clone();
    let mut s = Stepper::new(&m, seed(2), true);
    s.apply(&Action::CutOff {
        partnership: p.clone(),
        by: by.clone(),
    })
    .unwrap();
    s.apply(&Action::PublicWarning {
        threat: th.clone(),
        by: by.clone(),
    })
    .unwrap();
    s.step();
    let b = s.board();
    assert!(
        b.links
            .iter()
            .filter(|l| l.partnership == p)
            .all(|l| l.withdrawn)
    );
    s.apply(&Action::Restore {
        partnership: p.clone(),
        by: by.clone(),
    })
    .unwrap();
    s.step();
    // Restored unless trust itself withdrew it (not in two ticks).
    assert!(
        s.board()
            .links
            .iter()
            .filter(|l| l.partnership == p)
            .all(|l| !l.withdrawn)
    );
    let out = s.finish();
    assert!(
        out.timeline
            .iter()
            .any(|e| e.text.contains("issues a public warning"))
    );
    assert!(
        out.timeline
            .iter()
            .any(|e| e.text.contains("cuts off partnership"))
    );
    // A restore without a cut-off is refused.
    let mut s = Stepper::new(&m, seed(2), false);
    assert!(s.apply(&Action::Restore { partnership: p, by }).is_err());
}

fn some_actions() -> Vec<(u64, Action)> {
    vec![
        (
            0,
            Action::Hold {
                inject: "I-02".into(),
            },
        ),
        (
            3,
            Action::Control {
                agency: "txfc".into(),
                on: true,
            },
        ),
        (
            8,
            Action::Resume {
                inject: "I-02".into(),
            },
        ),
        (
            12,
            Action::Release {
                inject: "I-03".into(),
            },
        ),
    ]
}

#[test]
fn a_log_with_actions_replays_identically() {
    let m = model(BRIDGE);
    let a = replay(&m, seed(4), &some_actions(), true).unwrap();
    let b = replay(&m, seed(4), &some_actions(), true).unwrap();
    assert_eq!(json_of(&a), json_of(&b));
    let free = replay(&m, seed(4), &[], true).unwrap();
    assert_ne!(json_of(&a), json_of(&free), "the actions change the run");
}

#[test]
fn forecasts_are_deterministic_whatever_the_thread_count() {
    let m = model(BRIDGE);
    let log = some_actions();
    let cand = [Action::Release {
        inject: "I-04".into(),
    }];
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| forecast(&m, seed(4), &log, 10, &cand, 12).unwrap())
    };
    let (one, three) = (run(1), run(3));
    assert_eq!(json_of(&one.outcomes), json_of(&three.outcomes));
    // Continuations differ from one another (streams re-keyed) ...
    let distinct: std::collections::BTreeSet<String> =
        one.outcomes.iter().map(|o| json_of(&o.metrics)).collect();
    assert!(distinct.len() > 1, "continuations all alike");
    // ... but share the past: an inject fired before the fork fired at the same time.
    let past = replay(&m, seed(4), &log[..3], true).unwrap();
    let i01 = fired(&past, "I-01");
    for o in &one.outcomes {
        assert_eq!(o.objectives.len(), past.objectives.len());
    }
    assert_eq!(i01, vec![0.0]);
}

/// A header-only log replays to exactly `tabletop run`'s files.
#[test]
fn replay_of_a_log_without_actions_writes_run_files_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    let sc = scenario::load(Path::new(LANDFALL)).unwrap();
    let log = dir.path().join("s.jsonl");
    let header = landfall_header(&sc, 11);
    slog::Writer::create(&log, &header).unwrap();
    let (a, b) = (dir.path().join("run"), dir.path().join("replay"));
    Command::cargo_bin("tabletop")
        .unwrap()
        .args(["-q", "run", LANDFALL, "--seed", "11", "--out"])
        .arg(&a)
        .assert()
        .success();
    Command::cargo_bin("tabletop")
        .unwrap()
        .args(["-q", "replay"])
        .arg(&log)
        .arg("--out")
        .arg(&b)
        .assert()
        .success();
    for f in ["timeline.csv", "series.csv", "outcome.json"] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs");
    }
    // A scenario that changed since the session is refused (exit 2), not replayed.
    let mut h2 = header.clone();
    h2.scenario_hash = "0000".into();
    let log2 = dir.path().join("s2.jsonl");
    slog::Writer::create(&log2, &h2).unwrap();
    Command::cargo_bin("tabletop")
        .unwrap()
        .args(["-q", "replay"])
        .arg(&log2)
        .arg("--out")
        .arg(dir.path().join("x"))
        .assert()
        .code(2);
}

/// A live session's log, replayed twice, gives the same files; resuming continues the run.
#[test]
fn a_played_session_replays_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("s.jsonl");
    let sc = scenario::load(Path::new(BRIDGE)).unwrap();
    let mut live = Live::start(sc.clone(), Path::new(BRIDGE), seed(6), None, Some(&log)).unwrap();
    let f = Role::Facilitator;
    live.act(
        &f,
        Action::Hold {
            inject: "I-02".into(),
        },
    )
    .unwrap();
    live.stepper().advance_to(9.0);
    live.act(
        &f,
        Action::Resume {
            inject: "I-02".into(),
        },
    )
    .unwrap();
    live.note(&f, vec![], "Players hesitated on I-02".into())
        .unwrap();
    live.stepper().advance_to(12.0);
    // A forecast is logged (and read back: objectives no continuation applies to are null).
    let cands = live.default_candidates();
    let table = live.forecast(&f, cands, 3).unwrap();
    assert_eq!(table.candidates.len(), 1);
    live.mark_clock().unwrap();
    // A team may not touch the MSEL nor decide for another agency.
    let team = Role::Team("txfc".into());
    assert!(
        live.act(
            &team,
            Action::Skip {
                inject: "I-03".into()
            }
        )
        .is_err()
    );
    assert!(
        live.act(
            &team,
            Action::CutOff {
                partnership: sc.spec().partnerships[0].id.clone(),
                by: "del_rio_pd".into()
            }
        )
        .is_err()
    );
    let board = live.board();
    drop(live);
    // Simulate a crash mid-write: a torn last line.
    {
        use std::io::Write;
        let mut fh = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        fh.write_all(b"{\"kind\":\"note\",\"ti").unwrap();
    }
    let session = slog::read(&log).unwrap();
    assert_eq!(session.actions().len(), 2);
    // The clock's position is recorded (by the last entry's tick).
    assert_eq!(session.last_tick(), board.tick);
    assert!(
        session
            .entries
            .iter()
            .any(|e| matches!(e, Entry::Forecast { .. }))
    );
    let mut resumed = Live::resume(sc.clone(), session, &log).unwrap();
    let b2 = resumed.board();
    assert_eq!(
        json_of(&board),
        json_of(&b2),
        "resume puts the run where it stood"
    );
    resumed
        .act(
            &f,
            Action::Release {
                inject: "I-03".into(),
            },
        )
        .unwrap();
    drop(resumed);
    assert_eq!(slog::read(&log).unwrap().actions().len(), 3);
    let run = |out: &Path| {
        Command::cargo_bin("tabletop")
            .unwrap()
            .args(["-q", "replay"])
            .arg(&log)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(&a);
    run(&b);
    for f in ["timeline.csv", "series.csv", "outcome.json"] {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// The web API, through the router.

fn app() -> (Arc<AppState>, String, String) {
    let sc = scenario::load(Path::new(BRIDGE)).unwrap();
    let live = Live::start(sc, Path::new(BRIDGE), seed(1), None, None).unwrap();
    let fac = live.facilitator_token.clone();
    let team = live
        .teams
        .iter()
        .find(|t| t.agency == "txfc")
        .unwrap()
        .token
        .clone();
    (AppState::new(live), fac, team)
}

async fn call(
    st: &Arc<AppState>,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let req = Request::builder().method(method).uri(uri);
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let resp = router(st.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, v)
}

#[tokio::test]
async fn the_api_checks_tokens() {
    let (st, fac, team) = app();
    assert_eq!(
        call(&st, "GET", "/api/state", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&st, "GET", "/api/state?token=wrong", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // A player token cannot release injects, move the clock, fork or write notes.
    let release = json!({"action": "release", "inject": "I-03"});
    let (s, v) = call(
        &st,
        "POST",
        &format!("/api/action?token={team}"),
        Some(release.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    for (uri, body) in [
        ("/api/clock", json!({"op": "step", "unit": "hour"})),
        ("/api/forecast", json!({"runs": 2})),
        ("/api/note", json!({"text": "x"})),
        ("/api/mark", json!({"inject": "I-01", "taken": true})),
    ] {
        let (s, _) = call(&st, "POST", &format!("{uri}?token={team}"), Some(body)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{uri}");
    }
    // Nor decide for another agency.
    let other = json!({"action": "act", "agency": "del_rio_pd", "threat": "surge"});
    let (s, _) = call(
        &st,
        "POST",
        &format!("/api/action?token={team}"),
        Some(other),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The facilitator can; the bearer header works too.
    let req = Request::builder()
        .method("POST")
        .uri("/api/action")
        .header("authorization", format!("Bearer {fac}"))
        .header("content-type", "application/json")
        .body(Body::from(release.to_string()))
        .unwrap();
    assert_eq!(
        router(st.clone()).oneshot(req).await.unwrap().status(),
        StatusCode::OK
    );
    let (s, v) = call(&st, "GET", &format!("/api/state?token={fac}"), None).await;
    assert_eq!(s, StatusCode::OK);
    let i03 = v["board"]["injects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "I-03")
        .unwrap();
    assert_eq!(i03["control"], "at");
}

#[tokio::test]
async fn the_player_view_shows_only_its_agency() {
    let (st, fac, team) = app();
    let (s, _) = call(
        &st,
        "POST",
        &format!("/api/clock?token={fac}"),
        Some(json!({"op": "jump", "to_h": 30.0})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = call(&st, "GET", &format!("/api/state?token={team}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["role"], "team");
    assert_eq!(v["me"]["id"], "txfc");
    assert!(
        v.get("board").is_none() && v.get("threats").is_none(),
        "no ground truth"
    );
    for l in v["links"].as_array().unwrap() {
        assert!(l["from"] == "txfc" || l["to"] == "txfc");
    }
    let (_, tl) = call(&st, "GET", &format!("/api/timeline?token={team}"), None).await;
    for e in tl["events"].as_array().unwrap() {
        assert_eq!(e["who"], "txfc");
    }
    let (_, all) = call(&st, "GET", &format!("/api/timeline?token={fac}"), None).await;
    assert!(all["events"].as_array().unwrap().len() > tl["events"].as_array().unwrap().len());
}

#[tokio::test]
async fn clock_actions_and_forecast_through_the_api() {
    let (st, fac, _) = app();
    let (s, v) = call(
        &st,
        "POST",
        &format!("/api/clock?token={fac}"),
        Some(json!({"op": "step", "unit": "hour"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!((v["board"]["now_h"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    // Backwards jumps are refused.
    let (s, _) = call(
        &st,
        "POST",
        &format!("/api/clock?token={fac}"),
        Some(json!({"op": "jump", "to_h": 0.5})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(
        &st,
        "POST",
        &format!("/api/action?token={fac}"),
        Some(json!({"action": "skip", "inject": "I-nope"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let body = json!({"runs": 6, "candidates": [
        {"label": "as scripted", "actions": []},
        {"label": "release I-04", "actions": [{"action": "release", "inject": "I-04"}]}
    ]});
    let (s, a) = call(
        &st,
        "POST",
        &format!("/api/forecast?token={fac}"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let (_, b) = call(
        &st,
        "POST",
        &format!("/api/forecast?token={fac}"),
        Some(body),
    )
    .await;
    assert_eq!(a, b, "same fork, same figures");
    assert_eq!(a["candidates"].as_array().unwrap().len(), 2);
    // Notes and marks land in the log shown to the facilitator.
    let (s, _) = call(
        &st,
        "POST",
        &format!("/api/note?token={fac}"),
        Some(json!({"objectives": ["O3-coverage"], "text": "<b>slow</b>"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        &st,
        "POST",
        &format!("/api/note?token={fac}"),
        Some(json!({"objectives": ["O9"], "text": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, v) = call(&st, "GET", &format!("/api/state?token={fac}"), None).await;
    assert!(
        v["log"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "note")
    );
    // The page and its assets are served from the binary.
    let (s, _) = call(&st, "GET", "/", None).await;
    assert_eq!(s, StatusCode::OK);
}

#[test]
fn the_table_percentile_is_the_mid_rank() {
    use tabletop::console::aar::percentile_of;
    let v = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(percentile_of(0.5, &v), Some(0.0));
    assert_eq!(percentile_of(2.0, &v), Some(37.5));
    assert_eq!(percentile_of(2.5, &v), Some(50.0));
    assert_eq!(percentile_of(9.0, &v), Some(100.0));
    assert_eq!(percentile_of(1.0, &[]), None);
}

/// `report --session` prices each logged decision by forecast: skipping an inject that
/// withdraws a partnership is priced from the state just before it, with and without it.
#[test]
fn decisions_are_priced_by_forecast() {
    let sc = scenario::load(Path::new(BRIDGE)).unwrap();
    let m = Model::new(&sc);
    let session = slog::Session {
        header: Header {
            scenario: BRIDGE.into(),
            scenario_hash: sc.hash().to_string(),
            seed: 4,
            run_index: 0,
            variant: None,
            version: String::new(),
            wall_ms: 0,
        },
        entries: vec![
            Entry::Action {
                tick: 2,
                sim_h: 1.0,
                wall_ms: 0,
                who: "facilitator".into(),
                action: Action::Control {
                    agency: "txfc".into(),
                    on: true,
                },
            },
            Entry::Action {
                tick: 4,
                sim_h: 2.0,
                wall_ms: 0,
                who: "facilitator".into(),
                action: Action::Release {
                    inject: "I-04".into(),
                },
            },
        ],
    };
    let moved = tabletop::console::aar::decisions_moved(&m, seed(4), &session, 8).unwrap();
    // Binding a team is not priced; the release is, once, with one Δ per objective.
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].delta.len(), m.catalog().objectives.len());
    // Priced again: the same figures (deterministic forks).
    let again = tabletop::console::aar::decisions_moved(&m, seed(4), &session, 8).unwrap();
    assert_eq!(
        format!("{:?}", moved[0].delta),
        format!("{:?}", again[0].delta)
    );
}

// ------------------------------------------------------------------------------------------
// The share decision: with whom, under which TLP.

const SENDER: &str = "txfc";

/// Bind the sender to its team and run to its first share point.
fn first_share(m: &Model, s: u64) -> (Stepper, tabletop::sim::SharePoint) {
    let mut st = Stepper::new(m, seed(s), true);
    st.apply(&Action::Sharing {
        agency: SENDER.into(),
        on: true,
    })
    .unwrap();
    loop {
        assert!(st.advance_to_decision(1e9), "the sender gets a share point");
        if let Some(p) = st.board().shares.into_iter().find(|p| p.agency == SENDER) {
            return (st, p);
        }
        st.step();
    }
}

/// Play the rest of the run: every later share point of the sender goes to `to` (its own
/// TLP) or is kept when `to` is empty; the actions taken, with their ticks.
fn share_all(st: &mut Stepper, to: &[String], actions: &mut Vec<(u64, Action)>) {
    while !st.done() {
        for p in st.board().shares.iter().filter(|p| p.agency == SENDER) {
            let a = Action::Share {
                agency: SENDER.into(),
                item: p.item,
                to: to.to_vec(),
                tlp: p.tlp.clone(),
            };
            st.apply(&a).unwrap();
            actions.push((st.tick(), a));
        }
        st.step();
    }
}

/// Names of the agencies the timeline shows receiving an item from the sender.
fn received_from_sender(o: &tabletop::sim::RunOutcome) -> Vec<String> {
    let sc = scenario::load(Path::new(BRIDGE)).unwrap();
    let name = &sc
        .spec()
        .agencies
        .iter()
        .find(|a| a.id == SENDER)
        .unwrap()
        .name;
    let mut v: Vec<String> = o
        .timeline
        .iter()
        .filter(|e| e.text.contains(" receives an item on "))
        .filter(|e| e.text.contains(&format!(" from {name} via ")))
        .map(|e| e.who.to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn a_team_shares_only_with_the_partners_it_picks_and_replay_reproduces_it() {
    let m = model(BRIDGE);
    let free = replay(&m, seed(2), &[], true).unwrap();
    let (mut st, p) = first_share(&m, 2);
    let partners: Vec<String> = p.partners.iter().map(|q| q.agency.clone()).collect();
    assert!(partners.len() >= 2, "{partners:?}");
    // Left to the model, the sender reaches several partners in this run: among them the one
    // the team will leave out.
    let reached = received_from_sender(&free);
    let left_out = partners
        .iter()
        .find(|q| reached.contains(q))
        .expect("the model shares with some partner")
        .clone();
    let chosen = partners
        .iter()
        .find(|q| **q != left_out && p.partners.iter().any(|x| &x.agency == *q && x.may_hold))
        .expect("another partner that may hold the item")
        .clone();
    let mut actions = vec![(
        0,
        Action::Sharing {
            agency: SENDER.into(),
            on: true,
        },
    )];
    share_all(&mut st, std::slice::from_ref(&chosen), &mut actions);
    let played = st.finish();
    let got = received_from_sender(&played);
    assert!(
        !got.contains(&left_out),
        "{left_out} received an item from {SENDER}: {got:?}"
    );
    assert_eq!(
        got,
        vec![chosen.clone()],
        "only the chosen partner receives"
    );
    // Replay from the seed and the actions reproduces the played run byte for byte.
    let again = replay(&m, seed(2), &actions, true).unwrap();
    assert_eq!(json_of(&played), json_of(&again));
    // The actions round-trip through the session log's JSON.
    for (_, a) in &actions {
        let back: Action = serde_json::from_str(&json_of(a)).unwrap();
        assert_eq!(&back, a);
    }
    // Fork-and-forecast replays the log, shares included: the same fork gives the same
    // figures.
    let at = actions.last().unwrap().0 + 1;
    let f1 = forecast(&m, seed(2), &actions, at, &[], 4).unwrap();
    let f2 = forecast(&m, seed(2), &actions, at, &[], 4).unwrap();
    assert_eq!(json_of(&f1.outcomes), json_of(&f2.outcomes));
}

/// Handling violations the timeline records for the sender.
fn sender_violations(o: &tabletop::sim::RunOutcome) -> Vec<String> {
    o.timeline
        .iter()
        .filter(|e| e.who == SENDER && e.text.contains("beyond what its marking"))
        .map(|e| e.text.to_string())
        .collect()
}

#[test]
fn a_red_share_to_a_partner_without_the_right_is_a_violation() {
    let m = model(BRIDGE);
    let (st0, p) = first_share(&m, 3);
    drop(st0);
    // A partner that may hold the item as marked, but whose agreement stops below RED.
    let q = p
        .partners
        .iter()
        .find(|q| q.may_hold && q.max_tlp != "RED")
        .expect("a partner with a TLP limit below RED")
        .agency
        .clone();
    let play = |tlp: &str| {
        let (mut st, p) = first_share(&m, 3);
        st.apply(&Action::Share {
            agency: SENDER.into(),
            item: p.item,
            to: vec![q.clone()],
            tlp: tlp.into(),
        })
        .unwrap();
        share_all(&mut st, &[], &mut Vec::new());
        st.finish()
    };
    let own = play(&p.tlp);
    assert_eq!(sender_violations(&own), Vec::<String>::new());
    let red = play("RED");
    let v = sender_violations(&red);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].contains("passes a TLP:RED item") && v[0].contains("(tlp)"),
        "{}",
        v[0]
    );
    // The violation is the model's own: counted on the run's handling-violation tally.
    let cat = m.catalog();
    let k = cat
        .metrics
        .iter()
        .position(|x| x.id == "handling_violations")
        .expect("a handling_violations metric");
    assert!(red.metrics[k].unwrap() >= own.metrics[k].unwrap() + 1.0 - 1e-9);
}

#[test]
fn bad_share_decisions_are_refused_with_a_clear_message() {
    let m = model(BRIDGE);
    let (mut st, p) = first_share(&m, 2);
    let share = |to: &str, tlp: &str, item: u32| Action::Share {
        agency: SENDER.into(),
        item,
        to: vec![to.into()],
        tlp: tlp.into(),
    };
    let q = p.partners[0].agency.clone();
    let e = st.apply(&share("nobody", "GREEN", p.item)).unwrap_err();
    assert!(e.contains("unknown agency `nobody`"), "{e}");
    let e = st.apply(&share("public", "GREEN", p.item)).unwrap_err();
    assert!(e.contains("public is not a partner of txfc"), "{e}");
    let e = st.apply(&share(&q, "PURPLE", p.item)).unwrap_err();
    assert!(e.contains("unknown TLP `PURPLE`"), "{e}");
    let e = st.apply(&share(&q, "GREEN", p.item + 100_000)).unwrap_err();
    assert!(e.contains("no open share point"), "{e}");
    // Labels are read as TLP 2.0 writes them.
    st.apply(&share(&q, "tlp:amber+strict", p.item)).unwrap();
}

#[tokio::test]
async fn share_decisions_through_the_api() {
    let (st, fac, team) = app();
    let ok = call(
        &st,
        "POST",
        &format!("/api/action?token={fac}"),
        Some(json!({"action": "sharing", "agency": SENDER, "on": true})),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK);
    let p = {
        let mut live = st.live();
        let s = live.stepper();
        loop {
            assert!(s.advance_to_decision(1e9));
            if let Some(p) = s.board().shares.into_iter().find(|p| p.agency == SENDER) {
                break p;
            }
            s.step();
        }
    };
    // The team sees its share point, with its partners.
    let (code, v) = call(&st, "GET", &format!("/api/state?token={team}"), None).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        v["shares"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["item"] == p.item && !x["partners"].as_array().unwrap().is_empty())
    );
    let q = p.partners[0].agency.clone();
    for (body, want) in [
        (
            json!({"action": "share", "agency": SENDER, "item": p.item, "to": ["nobody"], "tlp": "GREEN"}),
            "unknown agency",
        ),
        (
            json!({"action": "share", "agency": SENDER, "item": p.item, "to": [q], "tlp": "ORANGE"}),
            "unknown TLP `ORANGE`",
        ),
    ] {
        let (code, v) = call(
            &st,
            "POST",
            &format!("/api/action?token={team}"),
            Some(body),
        )
        .await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{v}");
        assert!(v["error"].as_str().unwrap().contains(want), "{v}");
    }
    // Another agency's team may not decide for the sender.
    let other = st
        .live()
        .teams
        .iter()
        .find(|t| t.agency == "vv_eoc")
        .unwrap()
        .token
        .clone();
    let body =
        json!({"action": "share", "agency": SENDER, "item": p.item, "to": [q], "tlp": "GREEN"});
    let (code, _) = call(
        &st,
        "POST",
        &format!("/api/action?token={other}"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, v) = call(
        &st,
        "POST",
        &format!("/api/action?token={team}"),
        Some(body),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert!(
        !v["shares"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["item"] == p.item),
        "the point is closed"
    );
    let logged = st.live().actions();
    assert!(matches!(logged.last(), Some((_, Action::Share { .. }))));
}

// ------------------------------------------------------------------------------------------
// Opening a shipped or uploaded scenario from the page.

fn picker_app(out: &Path) -> Arc<AppState> {
    use tabletop::console::session::Opener;
    AppState::with_opener(
        None,
        Some(Opener {
            shipped: "scenarios".into(),
            out: out.to_path_buf(),
            seed: seed(4),
        }),
    )
}

#[tokio::test]
async fn the_console_opens_shipped_and_uploaded_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    let st = picker_app(dir.path());
    let fac = st.facilitator_token().to_string();
    // The picker: no session yet; the shipped scenarios listed for the facilitator only.
    let (code, v) = call(&st, "GET", &format!("/api/state?token={fac}"), None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["session"], false);
    let shipped: Vec<&str> = v["open"]["shipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(shipped.contains(&"bridge.ron"), "{shipped:?}");
    let (code, _) = call(&st, "GET", "/api/state?token=nope", None).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let (code, _) = call(
        &st,
        "POST",
        &format!("/api/clock?token={fac}"),
        Some(json!({"op": "start"})),
    )
    .await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "nothing to run before a scenario is open"
    );
    // Not a shipped file (no path escapes the folder).
    let (code, v) = call(
        &st,
        "POST",
        &format!("/api/open?token={fac}"),
        Some(json!({"shipped": "../Cargo.toml"})),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        v["error"].as_str().unwrap().contains("no shipped scenario"),
        "{v}"
    );
    // An invalid upload: the validator's diagnostics (file:line:col, the line, a caret).
    let src = std::fs::read_to_string(BRIDGE).unwrap();
    let bad = src.replacen("share_probability: 0.75", "share_probabilty: 0.75", 1);
    let (code, v) = call(
        &st,
        "POST",
        &format!("/api/open?token={fac}"),
        Some(json!({"name": "my <bridge>.ron", "ron": bad})),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("my <bridge>.ron:"), "{e}");
    assert!(e.contains("share_probabilty") && e.contains('^'), "{e}");
    assert!(!st.has_session());
    // Too large: refused with the limit.
    let big = "/".repeat(2 * 1024 * 1024 + 1);
    let (code, v) = call(
        &st,
        "POST",
        &format!("/api/open?token={fac}"),
        Some(json!({"name": "big.ron", "ron": big})),
    )
    .await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(v["error"].as_str().unwrap().contains("2 MiB"), "{v}");
    // A valid upload starts a session, saved beside its log with the log's hash.
    let (code, v) = call(
        &st,
        "POST",
        &format!("/api/open?token={fac}"),
        Some(json!({"name": "../my bridge.ron", "ron": src, "seed": 6})),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let saved = std::path::PathBuf::from(v["scenario"].as_str().unwrap());
    assert!(saved.starts_with(dir.path()), "{}", saved.display());
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), src);
    let log = saved.with_extension("jsonl");
    let (code, v) = call(&st, "GET", &format!("/api/state?token={fac}"), None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(v["session"], true);
    assert_eq!(v["seed"], 6);
    // The facilitator keeps the token; the teams get theirs; a team may not open scenarios.
    let team = st.live().teams[0].token.clone();
    let (code, _) = call(
        &st,
        "POST",
        &format!("/api/open?token={team}"),
        Some(json!({"shipped": "bridge.ron"})),
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = call(
        &st,
        "POST",
        &format!("/api/action?token={fac}"),
        Some(json!({"action": "skip", "inject": "I-02"})),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = call(
        &st,
        "POST",
        &format!("/api/clock?token={fac}"),
        Some(json!({"op": "jump", "to_h": 10.0})),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    // The log names the saved upload, whose hash it records: replay finds it.
    let session = slog::read(&log).unwrap();
    assert_eq!(session.header.scenario, saved);
    assert_eq!(
        scenario::load(&saved).unwrap().hash(),
        session.header.scenario_hash
    );
    let out = dir.path().join("replayed");
    Command::cargo_bin("tabletop")
        .unwrap()
        .args([
            "replay",
            log.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .assert()
        .success();
    let timeline = std::fs::read_to_string(out.join("timeline.csv")).unwrap();
    assert!(!timeline.is_empty());
    let direct = replay(&model(BRIDGE), seed(6), &session.actions(), true).unwrap();
    assert!(
        fired(&direct, "I-02").is_empty(),
        "the logged skip is replayed"
    );
    // Opening a shipped scenario replaces the session (a new log).
    let (code, v) = call(
        &st,
        "POST",
        &format!("/api/open?token={fac}"),
        Some(json!({"shipped": "landfall.ron"})),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(
        st.live().header().scenario,
        Path::new("scenarios").join("landfall.ron")
    );
}

/// `tabletop report DIR --session LOG` places the played run in the after-action report
/// itself (report.html's "table's run" section, report.md's pointer), not only in
/// session.html.
#[test]
fn report_with_a_session_puts_the_tables_run_in_the_after_action_report() {
    let dir = tempfile::tempdir().unwrap();
    let sc = scenario::load(Path::new(LANDFALL)).unwrap();
    let batch = dir.path().join("batch");
    Command::cargo_bin("tabletop")
        .unwrap()
        .args(["-q", "batch", LANDFALL, "--runs", "20", "--out"])
        .arg(&batch)
        .assert()
        .success();
    let before = std::fs::read_to_string(batch.join("report.html")).unwrap();
    assert!(!before.contains("id=\"table-run\""));
    let log = dir.path().join("s.jsonl");
    let header = landfall_header(&sc, 11);
    slog::Writer::create(&log, &header).unwrap();
    Command::cargo_bin("tabletop")
        .unwrap()
        .args(["-q", "report"])
        .arg(&batch)
        .arg("--session")
        .arg(&log)
        .assert()
        .success();
    let html = std::fs::read_to_string(batch.join("report.html")).unwrap();
    let at = html
        .find("id=\"table-run\"")
        .expect("the report has the table's run section");
    let section = &html[at..html[at..].find("</section>").unwrap() + at];
    assert!(
        section.contains("your table's run sits at the"),
        "{section}"
    );
    assert!(
        section.matches("<li>").count() >= m_objectives(&sc),
        "one placement per objective"
    );
    let md = std::fs::read_to_string(batch.join("report.md")).unwrap();
    assert!(md.contains("### The table's run (played session)"));
    assert!(batch.join("session.html").is_file());
}

/// The header of a session log of landfall as written, run `seed`/0.
fn landfall_header(sc: &tabletop::scenario::ValidScenario, seed: u64) -> Header {
    Header {
        scenario: LANDFALL.into(),
        scenario_hash: sc.hash().to_string(),
        seed,
        run_index: 0,
        variant: None,
        version: env!("CARGO_PKG_VERSION").into(),
        wall_ms: 0,
    }
}

fn m_objectives(sc: &tabletop::scenario::ValidScenario) -> usize {
    Model::new(sc).catalog().objectives.len()
}
