//! A live session: one played run (a [`Stepper`]), its log, its teams and tokens, and the
//! fork-and-forecast at a pause. The web layer (`server.rs`) only calls these methods.

use super::log::{Entry, Header, Session, Writer, wall_ms};
use crate::batch::stats::rating;
use crate::error::{Error, Result};
use crate::scenario::ValidScenario;
use crate::sim::{Action, Board, Event, Model, RunOutcome, RunSeed, Stepper, forecast};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Who is calling: the facilitator or one team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The facilitator: may change the session.
    Facilitator,
    /// A team bound to an agency (by id): read-only view of what that agency knows, and the
    /// decisions handed to it.
    Team(String),
}

impl Role {
    /// The log's `who`.
    pub fn who(&self) -> String {
        match self {
            Role::Facilitator => "facilitator".into(),
            Role::Team(a) => format!("team:{a}"),
        }
    }
}

/// A team and its access token.
#[derive(Debug, Clone, Serialize)]
pub struct Team {
    /// Agency id the team plays.
    pub agency: String,
    /// Agency name.
    pub name: String,
    /// The team's token (read-only player view).
    #[serde(skip)]
    pub token: String,
}

/// One candidate's forecast, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateForecast {
    /// The candidate's label.
    pub label: String,
    /// The actions it applies at the fork.
    pub actions: Vec<Action>,
    /// Per objective (catalog order): share of applicable continuations meeting it.
    pub share: Vec<Option<f64>>,
    /// Per objective: the HSEEP rating of that share (P/S/M/U).
    pub rating: Vec<String>,
    /// Per metric (catalog order): [p10, median, p90] over continuations where defined.
    pub metrics: Vec<Option<[f64; 3]>>,
}

/// A fork-and-forecast at one tick.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastTable {
    /// Tick of the fork.
    pub tick: u64,
    /// Scenario time of the fork [h].
    pub at_h: f64,
    /// Continuations per candidate.
    pub runs: u64,
    /// Objective ids (columns).
    pub objectives: Vec<String>,
    /// Metric ids and labels.
    pub metrics: Vec<(String, String)>,
    /// One row per candidate.
    pub candidates: Vec<CandidateForecast>,
}

/// A played exercise in progress.
pub struct Live {
    scenario: ValidScenario,
    model: Model,
    stepper: Stepper,
    header: Header,
    entries: Vec<Entry>,
    log: Option<Writer>,
    /// The teams, one per agency, with their tokens.
    pub teams: Vec<Team>,
    /// The facilitator's token.
    pub facilitator_token: String,
    /// The outcome once the exercise is over.
    outcome: Option<RunOutcome>,
    /// The latest fork-and-forecast (shown to every facilitator browser).
    pub last_forecast: Option<ForecastTable>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("header", &self.header)
            .finish()
    }
}

/// Largest scenario text the console accepts as an upload [bytes] (2 MiB).
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

/// Where the console finds the shipped scenarios it offers, and where it writes the logs (and
/// the uploaded scenarios) of the sessions it opens.
#[derive(Debug, Clone)]
pub struct Opener {
    /// Folder of shipped scenarios (`*.ron`), listed on the facilitator's page.
    pub shipped: PathBuf,
    /// Root of session logs: a session on scenario S logs to
    /// `<out>/<S>/session-<seed>-<unix ms>.jsonl`, and an uploaded S is saved beside its log
    /// with the same name and `.ron`.
    pub out: PathBuf,
    /// Seed and run of new sessions (a request may give another seed).
    pub seed: RunSeed,
}

impl Opener {
    /// The shipped scenarios' file names, sorted (none when the folder is missing).
    pub fn shipped(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.shipped)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".ron"))
            .collect();
        v.sort();
        v
    }

    fn log_path(&self, stem: &str, seed: u64) -> Result<PathBuf> {
        let dir = self.out.join(stem);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(dir.join(format!("session-{seed}-{}.jsonl", wall_ms())))
    }

    fn seed(&self, seed: Option<u64>) -> RunSeed {
        RunSeed {
            master: seed.unwrap_or(self.seed.master),
            run_index: self.seed.run_index,
        }
    }

    /// Start a session on the shipped scenario `name` (a file name from [`Opener::shipped`]).
    pub fn open_shipped(&self, name: &str, seed: Option<u64>) -> Result<Live> {
        let known = self.shipped();
        if !known.iter().any(|k| k == name) {
            return Err(Error::Usage {
                flag: "scenario".into(),
                message: format!(
                    "no shipped scenario `{name}` (there are: {})",
                    known.join(", ")
                ),
            });
        }
        let path = self.shipped.join(name);
        let scn = crate::scenario::load(&path)?;
        crate::scenario::budget::check(&scn, crate::scenario::budget::DEFAULT_MAX_WORK)?;
        let seed = self.seed(seed);
        let log = self.log_path(&scn.stem(), seed.master)?;
        Live::start(scn, &path, seed, None, Some(&log))
    }

    /// Validate an uploaded scenario (`name` as the browser gave it, `text` its content) with
    /// the same diagnostics as `tabletop validate`, save it beside the new session's log (so
    /// that `tabletop replay` and `serve --resume` find it, with the hash the log records),
    /// and start the session.
    pub fn open_upload(&self, name: &str, text: &str, seed: Option<u64>) -> Result<Live> {
        if text.len() > MAX_UPLOAD_BYTES {
            return Err(Error::Usage {
                flag: "upload".into(),
                message: format!(
                    "the file is {} bytes; uploads are limited to {MAX_UPLOAD_BYTES} bytes (2 MiB)",
                    text.len()
                ),
            });
        }
        // Only the file's own name: a browser gives no folder, and none is trusted.
        let base = Path::new(name)
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty())
            .unwrap_or("uploaded.ron");
        let scn = crate::scenario::load_str(Path::new(base), text)?;
        crate::scenario::budget::check(&scn, crate::scenario::budget::DEFAULT_MAX_WORK)?;
        let seed = self.seed(seed);
        let log = self.log_path(&scn.stem(), seed.master)?;
        let saved = log.with_extension("ron");
        {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create_new(true)
                .write(true)
                .open(&saved)
                .map_err(|e| Error::io(&saved, e))?;
            f.write_all(text.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| Error::io(&saved, e))?;
        }
        Live::start(scn, &saved, seed, None, Some(&log))
    }
}

/// A random-looking token from the OS's hasher seeds and the clock (access control on a
/// local exercise network, not cryptography for the open internet).
pub fn new_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for i in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(wall_ms() ^ i);
        h.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

impl Live {
    /// Start a session on `scenario` (as loaded from `path`) with `seed`, logging to `log`
    /// when given (the file must not exist).
    pub fn start(
        scenario: ValidScenario,
        path: &Path,
        seed: RunSeed,
        variant: Option<String>,
        log: Option<&Path>,
    ) -> Result<Live> {
        let header = Header {
            scenario: path.to_path_buf(),
            scenario_hash: scenario.hash().to_string(),
            seed: seed.master,
            run_index: seed.run_index,
            variant,
            version: env!("CARGO_PKG_VERSION").into(),
            wall_ms: wall_ms(),
        };
        let writer = log.map(|p| Writer::create(p, &header)).transpose()?;
        Ok(Live::build(scenario, header, Vec::new(), writer))
    }

    /// Continue a logged session: replay its actions and put the clock where it stood.
    pub fn resume(scenario: ValidScenario, session: Session, log: &Path) -> Result<Live> {
        if scenario.hash() != session.header.scenario_hash {
            return Err(Error::Usage {
                flag: log.display().to_string(),
                message: format!(
                    "the scenario has changed since the session was logged (hash {} now, {} in the log)",
                    scenario.hash(),
                    session.header.scenario_hash
                ),
            });
        }
        let writer = Writer::append(log)?;
        let actions = session.actions();
        let last = session.last_tick();
        let mut live = Live::build(scenario, session.header, Vec::new(), Some(writer));
        live.stepper
            .replay_until(&actions, u64::MAX)
            .map_err(Error::Runtime)?;
        live.stepper.advance_to_tick(last);
        live.entries = session.entries;
        Ok(live)
    }

    fn build(
        scenario: ValidScenario,
        header: Header,
        entries: Vec<Entry>,
        log: Option<Writer>,
    ) -> Live {
        let model = Model::new(&scenario);
        let seed = RunSeed {
            master: header.seed,
            run_index: header.run_index,
        };
        let stepper = Stepper::new(&model, seed, true);
        let teams = scenario
            .spec()
            .agencies
            .iter()
            .map(|a| Team {
                agency: a.id.clone(),
                name: a.name.clone(),
                token: new_token(),
            })
            .collect();
        Live {
            scenario,
            model,
            stepper,
            header,
            entries,
            log,
            teams,
            facilitator_token: new_token(),
            outcome: None,
            last_forecast: None,
        }
    }

    /// The role a token grants, if any.
    pub fn role_of(&self, token: &str) -> Option<Role> {
        if token.is_empty() {
            return None;
        }
        if token == self.facilitator_token {
            return Some(Role::Facilitator);
        }
        self.teams
            .iter()
            .find(|t| t.token == token)
            .map(|t| Role::Team(t.agency.clone()))
    }

    /// The scenario.
    pub fn scenario(&self) -> &ValidScenario {
        &self.scenario
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The log header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Entries so far.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The stepper (read the run's state).
    pub fn stepper(&mut self) -> &mut Stepper {
        &mut self.stepper
    }

    /// The board now.
    pub fn board(&mut self) -> Board {
        self.stepper.board()
    }

    /// Timeline events from `from` on.
    pub fn events_since(&mut self, from: usize) -> Vec<Event> {
        self.stepper.events_since(from)
    }

    fn record(&mut self, e: Entry) -> Result<()> {
        if let Some(w) = self.log.as_mut() {
            w.push(&e)?;
        }
        self.entries.push(e);
        Ok(())
    }

    /// Apply an action for `role` and log it. A team may only decide for its own agency
    /// (act, wait, share, cut off, warn); only the facilitator touches the MSEL and the clock.
    pub fn act(&mut self, role: &Role, action: Action) -> Result<()> {
        if let Role::Team(me) = role {
            let mine = match &action {
                Action::Act { agency, .. }
                | Action::Wait { agency, .. }
                | Action::Share { agency, .. } => agency == me,
                Action::CutOff { by, .. }
                | Action::Restore { by, .. }
                | Action::PublicWarning { by, .. } => by == me,
                _ => false,
            };
            if !mine {
                return Err(Error::Usage {
                    flag: role.who(),
                    message: "a team may only take its own agency's decisions".into(),
                });
            }
        }
        self.stepper.apply(&action).map_err(|m| Error::Usage {
            flag: "action".into(),
            message: m,
        })?;
        let e = Entry::Action {
            tick: self.stepper.tick(),
            sim_h: self.stepper.now_h(),
            wall_ms: wall_ms(),
            who: role.who(),
            action,
        };
        self.record(e)
    }

    /// Log an observer note tied to objectives.
    pub fn note(&mut self, role: &Role, objectives: Vec<String>, text: String) -> Result<()> {
        let known = &self.model.catalog().objectives;
        if let Some(bad) = objectives
            .iter()
            .find(|o| !known.iter().any(|k| &k.id == *o))
        {
            return Err(Error::Usage {
                flag: "objectives".into(),
                message: format!("unknown objective `{bad}`"),
            });
        }
        let e = Entry::Note {
            tick: self.stepper.tick(),
            sim_h: self.stepper.now_h(),
            wall_ms: wall_ms(),
            who: role.who(),
            objectives,
            text,
        };
        self.record(e)
    }

    /// Mark whether the players took an inject's expected action.
    pub fn mark(&mut self, role: &Role, inject: String, taken: bool) -> Result<()> {
        if !self.scenario.spec().injects.iter().any(|i| i.id == inject) {
            return Err(Error::Usage {
                flag: "inject".into(),
                message: format!("unknown inject `{inject}`"),
            });
        }
        let e = Entry::Mark {
            tick: self.stepper.tick(),
            sim_h: self.stepper.now_h(),
            wall_ms: wall_ms(),
            who: role.who(),
            inject,
            taken,
        };
        self.record(e)
    }

    /// Note the clock's position (on pause) so that a resumed session starts there.
    pub fn mark_clock(&mut self) -> Result<()> {
        let tick = self.stepper.tick();
        if self.entries.last().is_some_and(|e| e.tick() == tick) {
            return Ok(());
        }
        self.record(Entry::Clock {
            tick,
            wall_ms: wall_ms(),
        })
    }

    /// The actions so far, with their ticks.
    pub fn actions(&self) -> Vec<(u64, Action)> {
        Session {
            header: self.header.clone(),
            entries: self.entries.clone(),
        }
        .actions()
    }

    /// The outcome of the played run, once every tick has run (computed once, by replay, so
    /// that the live World keeps serving the board).
    pub fn outcome(&mut self) -> Option<&RunOutcome> {
        if !self.stepper.done() {
            return None;
        }
        if self.outcome.is_none() {
            let o =
                crate::sim::replay(&self.model, self.stepper.seed(), &self.actions(), true).ok()?;
            self.outcome = Some(o);
        }
        self.outcome.as_ref()
    }

    /// The candidate decisions at this point: carry on as scripted, and for every open
    /// decision point, act now.
    pub fn default_candidates(&mut self) -> Vec<(String, Vec<Action>)> {
        let mut c = vec![("carry on (model decides)".to_string(), Vec::new())];
        for d in self.board().decisions {
            c.push((
                format!("{} acts on {} now", d.agency, d.threat),
                vec![Action::Act {
                    agency: d.agency.clone(),
                    threat: d.threat.clone(),
                }],
            ));
        }
        c
    }

    /// Fork-and-forecast from now: `runs` continuations per candidate; logged.
    pub fn forecast(
        &mut self,
        role: &Role,
        candidates: Vec<(String, Vec<Action>)>,
        runs: u64,
    ) -> Result<ForecastTable> {
        let table = forecast_table(
            &self.model,
            self.stepper.seed(),
            &self.actions(),
            self.stepper.tick(),
            candidates,
            runs,
        )?;
        let shares = table
            .candidates
            .iter()
            .map(|c| (c.label.clone(), c.share.clone()))
            .collect();
        self.record(Entry::Forecast {
            tick: table.tick,
            wall_ms: wall_ms(),
            who: role.who(),
            runs,
            shares,
        })?;
        self.last_forecast = Some(table.clone());
        Ok(table)
    }
}

/// The forecast of each candidate from tick `at` of the run (`seed`, `log`), summarised.
pub fn forecast_table(
    model: &Model,
    seed: RunSeed,
    log: &[(u64, Action)],
    at: u64,
    candidates: Vec<(String, Vec<Action>)>,
    runs: u64,
) -> Result<ForecastTable> {
    let cat = model.catalog();
    let mut rows = Vec::new();
    for (label, actions) in candidates {
        let f = forecast(model, seed, log, at, &actions, runs).map_err(|m| Error::Usage {
            flag: format!("candidate `{label}`"),
            message: m,
        })?;
        let share: Vec<Option<f64>> = (0..cat.objectives.len())
            .map(|o| {
                let app: Vec<bool> = f
                    .outcomes
                    .iter()
                    .filter(|r| r.objectives[o].applicable)
                    .map(|r| r.objectives[o].met)
                    .collect();
                (!app.is_empty())
                    .then(|| app.iter().filter(|m| **m).count() as f64 / app.len() as f64)
            })
            .collect();
        let rating = share
            .iter()
            .zip(&cat.objectives)
            .map(|(s, o)| s.map_or("n/a", |s| rating(s, o.thresholds)).to_string())
            .collect();
        let metrics = (0..cat.metrics.len())
            .map(|m| {
                let mut v: Vec<f64> = f.outcomes.iter().filter_map(|r| r.metrics[m]).collect();
                v.sort_by(f64::total_cmp);
                (!v.is_empty()).then(|| [quantile(&v, 0.1), quantile(&v, 0.5), quantile(&v, 0.9)])
            })
            .collect();
        rows.push(CandidateForecast {
            label,
            actions,
            share,
            rating,
            metrics,
        });
    }
    Ok(ForecastTable {
        tick: at,
        at_h: at as f64 * model.tick_hours(),
        runs,
        objectives: cat.objectives.iter().map(|o| o.id.clone()).collect(),
        metrics: cat
            .metrics
            .iter()
            .map(|m| (m.id.clone(), m.label.clone()))
            .collect(),
        candidates: rows,
    })
}

/// The q-quantile of sorted values (linear interpolation between order statistics).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let x = q * (n - 1) as f64;
    let (i, f) = (x.floor() as usize, x.fract());
    if i + 1 >= n {
        sorted[n - 1]
    } else {
        sorted[i] + f * (sorted[i + 1] - sorted[i])
    }
}
