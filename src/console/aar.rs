//! The after-action page of a played session beside a batch (`tabletop report DIR --session
//! LOG`): where the table's run sits in the simulated distribution, objective by objective,
//! which of the table's decisions moved the objectives most (by forecast), and the observer
//! notes and expected-action marks.

use super::log::{Entry, Session};
use super::session::forecast_table;
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::scenario::ValidScenario;
use crate::sim::{Action, Model, RunOutcome, RunSeed, replay};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Continuations per side when pricing one decision.
pub const DECISION_RUNS: u64 = 100;

/// Where a value sits among simulated values: the share of them strictly below it plus half
/// the share equal to it, in percent (the mid-rank percentile).
pub fn percentile_of(x: f64, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let below = values.iter().filter(|v| **v < x).count() as f64;
    let equal = values.iter().filter(|v| **v == x).count() as f64;
    Some(100.0 * (below + equal / 2.0) / values.len() as f64)
}

/// One objective of the table's run against the batch.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Objective id.
    pub objective: String,
    /// Metric id.
    pub metric: String,
    /// The table's metric value.
    pub value: Option<f64>,
    /// Its mid-rank percentile among the batch's runs (with a value).
    pub percentile: Option<f64>,
    /// The table met the objective.
    pub met: bool,
    /// Share of batch runs meeting it (applicable runs).
    pub batch_share: Option<f64>,
}

/// One logged decision and how much it moved each objective, by forecast.
#[derive(Debug, Clone)]
pub struct Moved {
    /// Scenario time [h].
    pub at_h: f64,
    /// Who took it.
    pub who: String,
    /// The action.
    pub action: Action,
    /// Per objective: share met with the decision minus without it.
    pub delta: Vec<Option<f64>>,
}

impl Moved {
    /// Σ |Δ share| over objectives.
    pub fn weight(&self) -> f64 {
        self.delta.iter().flatten().map(|d| d.abs()).sum()
    }
}

/// The batch's runs.csv columns for one variant: metric values by id, objective met by id.
struct Batch {
    metrics: Vec<(String, Vec<f64>)>,
    objectives: Vec<(String, Vec<bool>)>,
}

fn read_batch(dir: &Path, variant: &str) -> Result<Batch> {
    let path = dir.join("runs.csv");
    let mut r = csv::Reader::from_path(&path).map_err(|e| Error::Csv {
        what: path.display().to_string(),
        source: e,
    })?;
    let head = r
        .headers()
        .map_err(|e| Error::Csv {
            what: path.display().to_string(),
            source: e,
        })?
        .clone();
    let mut metrics: Vec<(usize, String, Vec<f64>)> = Vec::new();
    let mut objectives: Vec<(usize, String, Vec<bool>)> = Vec::new();
    for (i, h) in head.iter().enumerate().skip(2) {
        if let Some(o) = h.strip_prefix("obj:") {
            objectives.push((i, o.to_string(), Vec::new()));
        } else if !h.starts_with("drv:") {
            metrics.push((i, h.to_string(), Vec::new()));
        }
    }
    for rec in r.records() {
        let rec = rec.map_err(|e| Error::Csv {
            what: path.display().to_string(),
            source: e,
        })?;
        if rec.get(0) != Some(variant) {
            continue;
        }
        for (i, _, v) in &mut metrics {
            if let Some(x) = rec.get(*i).and_then(|s| s.parse::<f64>().ok()) {
                v.push(x);
            }
        }
        for (i, _, v) in &mut objectives {
            match rec.get(*i) {
                Some("1") => v.push(true),
                Some("0") => v.push(false),
                _ => {}
            }
        }
    }
    Ok(Batch {
        metrics: metrics.into_iter().map(|(_, a, b)| (a, b)).collect(),
        objectives: objectives.into_iter().map(|(_, a, b)| (a, b)).collect(),
    })
}

/// Place the table's run (`outcome`) in the batch, objective by objective.
fn place(model: &Model, outcome: &RunOutcome, batch: &Batch) -> Vec<Placement> {
    let cat = model.catalog();
    cat.objectives
        .iter()
        .enumerate()
        .map(|(o, def)| {
            let m = cat.metrics.iter().position(|m| m.id == def.metric);
            let value = m.and_then(|m| outcome.metrics[m]);
            let sim = batch
                .metrics
                .iter()
                .find(|(id, _)| *id == def.metric)
                .map(|(_, v)| v.as_slice())
                .unwrap_or(&[]);
            let shares = batch.objectives.iter().find(|(id, _)| *id == def.id);
            Placement {
                objective: def.id.clone(),
                metric: def.metric.clone(),
                value,
                percentile: value.and_then(|x| percentile_of(x, sim)),
                met: outcome.objectives[o].met,
                batch_share: shares.and_then(|(_, v)| {
                    (!v.is_empty())
                        .then(|| v.iter().filter(|m| **m).count() as f64 / v.len() as f64)
                }),
            }
        })
        .collect()
}

/// Price every logged decision: the forecast share met with it and without it, from the
/// state just before it (the log up to it), `runs` continuations each.
pub fn decisions_moved(
    model: &Model,
    seed: RunSeed,
    session: &Session,
    runs: u64,
) -> Result<Vec<Moved>> {
    let actions = session.actions();
    let mut out = Vec::new();
    let mut n = 0;
    for e in &session.entries {
        let Entry::Action {
            tick,
            sim_h,
            who,
            action,
            ..
        } = e
        else {
            continue;
        };
        let before = &actions[..n];
        n += 1;
        // Binding a team changes who decides, not the run: nothing to price.
        if matches!(
            action,
            Action::Control { .. } | Action::Sharing { .. } | Action::Wait { .. }
        ) {
            continue;
        }
        let t = forecast_table(
            model,
            seed,
            before,
            *tick,
            vec![
                ("with".into(), vec![action.clone()]),
                ("without".into(), Vec::new()),
            ],
            runs,
        )?;
        let delta = t.candidates[0]
            .share
            .iter()
            .zip(&t.candidates[1].share)
            .map(|(a, b)| Some((*a)? - (*b)?))
            .collect();
        out.push(Moved {
            at_h: *sim_h,
            who: who.clone(),
            action: action.clone(),
            delta,
        });
    }
    out.sort_by(|a, b| b.weight().total_cmp(&a.weight()));
    Ok(out)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn ordinal(p: f64) -> String {
    let n = p.round() as i64;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn action_text(a: &Action) -> String {
    serde_json::to_string(a).unwrap_or_default()
}

/// Write `session.html` (and its report section, [`crate::report::SESSION_SECTION`]) into the batch
/// directory `dir` and return its path.
pub fn write(dir: &Path, scn: &ValidScenario, session: &Session) -> Result<PathBuf> {
    let model = Model::new(scn);
    let seed = RunSeed {
        master: session.header.seed,
        run_index: session.header.run_index,
    };
    let outcome = replay(&model, seed, &session.actions(), false)
        .map_err(|m| Error::usage("--session", m))?;
    let variant = session.header.variant.as_deref().unwrap_or("baseline");
    let batch = read_batch(dir, variant)?;
    let placed = place(&model, &outcome, &batch);
    let moved = decisions_moved(&model, seed, session, DECISION_RUNS)?;
    let cat = model.catalog();
    let mut h = String::new();
    let name = esc(&scn.spec().exercise.name);
    let _ = write!(
        h,
        "<!doctype html><html lang=en><meta charset=utf-8><title>{name}: the table's run</title>\
<style>body{{font:15px system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}\
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}\
.met{{color:#14632b}}.missed{{color:#9b1c1c}}</style>\
<h1>{name}: the table's run</h1><p>Handling: {}. Seed {}, run {}{}; {} logged action(s). \
Placed among the batch's <em>{}</em> runs in this directory.</p>",
        esc(&scn.spec().exercise.marking),
        seed.master,
        seed.run_index,
        session
            .header
            .variant
            .as_ref()
            .map(|v| format!(", variant {}", esc(v)))
            .unwrap_or_default(),
        session.actions().len(),
        esc(variant)
    );
    // The page's body from here on is also the report's "table's run" section.
    let body_start = h.len();
    h.push_str("<h2>Where the table's run sits</h2><ul>");
    for p in &placed {
        let desc = cat
            .objectives
            .iter()
            .find(|o| o.id == p.objective)
            .map(|o| o.description.as_str())
            .unwrap_or("");
        let where_ = match p.percentile {
            Some(pc) => format!(
                "your table's run sits at the {} percentile for {} ({} = {:.2})",
                ordinal(pc),
                esc(&p.objective),
                esc(&p.metric),
                p.value.unwrap_or(f64::NAN)
            ),
            None => format!(
                "{}: the table's run has no value of {} (the event never happened)",
                esc(&p.objective),
                esc(&p.metric)
            ),
        };
        let _ = write!(
            h,
            "<li>{where_}; <span class={}>{}</span> by the table; met in {} of simulated runs. <small>{}</small></li>",
            if p.met { "met" } else { "missed" },
            if p.met { "met" } else { "missed" },
            p.batch_share
                .map_or("n/a".into(), |s| format!("{:.0}%", 100.0 * s)),
            esc(desc)
        );
    }
    h.push_str("</ul>");
    let _ = write!(
        h,
        "<h2>The decisions that moved it most</h2><p>Each decision priced by forecast: from the \
state just before it, {DECISION_RUNS} continuations with it and {DECISION_RUNS} without; Δ is the \
change in the share of continuations meeting each objective.</p><table><tr><th>time [h]</th><th>who</th><th>decision</th>"
    );
    for o in &cat.objectives {
        let _ = write!(h, "<th>Δ {}</th>", esc(&o.id));
    }
    h.push_str("</tr>");
    for m in moved.iter().take(10) {
        let _ = write!(
            h,
            "<tr><td>{:.1}</td><td>{}</td><td><code>{}</code></td>",
            m.at_h,
            esc(&m.who),
            esc(&action_text(&m.action))
        );
        for d in &m.delta {
            let _ = write!(
                h,
                "<td>{}</td>",
                d.map_or("n/a".into(), |d| format!("{:+.0} pts", 100.0 * d))
            );
        }
        h.push_str("</tr>");
    }
    h.push_str("</table><h2>Observer notes and expected actions</h2><ul>");
    for e in &session.entries {
        match e {
            Entry::Note {
                sim_h,
                who,
                objectives,
                text,
                ..
            } => {
                let _ = write!(
                    h,
                    "<li>{:.1} h, {} [{}]: {}</li>",
                    sim_h,
                    esc(who),
                    esc(&objectives.join(", ")),
                    esc(text)
                );
            }
            Entry::Mark {
                sim_h,
                inject,
                taken,
                ..
            } => {
                let _ = write!(
                    h,
                    "<li>{:.1} h: expected action of {} {}</li>",
                    sim_h,
                    esc(inject),
                    if *taken { "taken" } else { "not taken" }
                );
            }
            _ => {}
        }
    }
    h.push_str("</ul>");
    // The after-action report's section: the same body, one heading level down, with the
    // line that says which run it is (`tabletop report` includes it in report.html).
    let intro_end = h[..body_start].rfind("<p>").unwrap_or(body_start);
    let section = format!(
        "<section id=\"table-run\">\n<h3>The table's run (played session)</h3>\n{}{}\n\
         <p><a href=\"session.html\">session.html</a> has this section as a page.</p></section>\n",
        &h[intro_end..body_start],
        h[body_start..]
            .replace("<h2>", "<h4>")
            .replace("</h2>", "</h4>")
    );
    h.push_str("</html>\n");
    let path = dir.join("session.html");
    write_atomic(&path, h.as_bytes())?;
    write_atomic(
        &dir.join(crate::report::SESSION_SECTION),
        section.as_bytes(),
    )?;
    Ok(path)
}
