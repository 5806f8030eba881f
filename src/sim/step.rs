//! The step API behind the live console (`tabletop serve`) and `tabletop replay`: a run that
//! advances tick by tick, takes facilitator and team [`Action`]s between ticks, and shows its
//! state on a [`Board`].
//!
//! An action takes effect at the start of the next tick to run, so a run is a pure function of
//! its seed and its list of (tick, action) pairs: replaying the list reproduces it exactly, and
//! a fork is a replay up to now followed by a continuation with re-keyed random streams.

use super::compile::ViolationKind;
use super::compile::broken_rules;
use super::hook::{Console, InjectCtl, TeamEffect};
use super::ids::{AgencyIx, LinkIx, PartnershipIx, ThreatIx};
use super::metrics::measure;
use super::outcome::{Event, RunOutcome};
use super::recorder::Recorder;
use super::rng::RunSeed;
use super::schedule::Runner;
use super::state::Items;
use super::state::{Agencies, Channels, InjectStates, Insiders, Links, ThreatStates};
use super::{Model, compile::Trigger};
use crate::scenario::schema::{Classification, Tlp};
use bevy_ecs::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A facilitator's or team's action on a run in progress. Each maps to one thing the engine
/// models (docs/console.md lists them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Deliver an inject now (for certain, without its probability draw).
    Release {
        /// Inject id.
        inject: String,
    },
    /// Hold an inject: it does not fire until resumed.
    Hold {
        /// Inject id.
        inject: String,
    },
    /// Give a held, skipped or re-timed inject back to its script.
    Resume {
        /// Inject id.
        inject: String,
    },
    /// Skip an inject for the rest of the run.
    Skip {
        /// Inject id.
        inject: String,
    },
    /// Deliver an inject at this scenario time instead (for certain).
    Retime {
        /// Inject id.
        inject: String,
        /// Scenario time [h].
        at_h: f64,
    },
    /// Move every inject still to come on a fixed time (or re-timed) by this many hours.
    Shift {
        /// Hours (negative: earlier, never before now).
        by_h: f64,
    },
    /// Bind an agency's decisions to a team (`on`), or hand them back to the model.
    Control {
        /// Agency id.
        agency: String,
        /// Team decides (true) or model decides (false).
        on: bool,
    },
    /// Bind an agency's sharing decisions to its team (`on`): each item it analyses waits at a
    /// share point for the team's [`Action::Share`]; off, open share points go back to the
    /// model.
    Sharing {
        /// Agency id.
        agency: String,
        /// Team decides (true) or model decides (false).
        on: bool,
    },
    /// A team decides its agency acts on a threat now (whatever its corroboration).
    Act {
        /// Agency id.
        agency: String,
        /// Threat id.
        threat: String,
    },
    /// A team decides to wait for corroboration: the decision point stays open.
    Wait {
        /// Agency id.
        agency: String,
        /// Threat id.
        threat: String,
    },
    /// Cut a partner off: withdraw from a partnership (as a withdrawal inject does).
    CutOff {
        /// Partnership id.
        partnership: String,
        /// Agency id of the team that decides (for the timeline).
        by: String,
    },
    /// Take back a cut-off made at the console.
    Restore {
        /// Partnership id.
        partnership: String,
        /// Agency id of the team that decides.
        by: String,
    },
    /// Issue a public warning on a threat (as a public-warning inject does).
    PublicWarning {
        /// Threat id.
        threat: String,
        /// Agency id of the team that decides.
        by: String,
    },
    /// Request mutual aid: deliver the scenario's arrival (mutual-aid) inject now.
    MutualAid {
        /// Inject id of an arrival inject.
        inject: String,
    },
    /// A team decides where an item its agency has analysed goes: to these partners (agency
    /// ids; none: keep it), marked with this TLP (`CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT`
    /// or `RED`). Offered at the start of the next tick, through the partnership's gates.
    Share {
        /// Agency id of the sender (its team decides).
        agency: String,
        /// The item (as numbered on the share point).
        item: u32,
        /// Partner agency ids.
        #[serde(default)]
        to: Vec<String>,
        /// The TLP marking (needed when `to` is not empty).
        #[serde(default)]
        tlp: String,
    },
}

/// A TLP 2.0 label as the console writes it.
pub fn tlp_label(t: Tlp) -> &'static str {
    t.label()
}

/// Read a TLP label (`CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT`, `RED`; case and a `TLP:`
/// prefix ignored; the scenario file's `AmberStrict` also accepted).
pub fn parse_tlp(s: &str) -> Result<Tlp, String> {
    let u = s.trim().to_ascii_uppercase();
    let u = u.strip_prefix("TLP:").unwrap_or(&u);
    match u {
        "CLEAR" => Ok(Tlp::Clear),
        "GREEN" => Ok(Tlp::Green),
        "AMBER" => Ok(Tlp::Amber),
        "AMBER+STRICT" | "AMBERSTRICT" => Ok(Tlp::AmberStrict),
        "RED" => Ok(Tlp::Red),
        _ => Err(format!(
            "unknown TLP `{s}` (CLEAR, GREEN, AMBER, AMBER+STRICT or RED)"
        )),
    }
}

/// A partner a share point's item could go to.
#[derive(Debug, Clone, Serialize)]
pub struct SharePartner {
    /// Partner agency id.
    pub agency: String,
    /// Partner name.
    pub name: String,
    /// Partnership id.
    pub partnership: String,
    /// The channel the item would go by now (none up that carries its class: blocked).
    pub channel: Option<String>,
    /// Highest TLP the partnership's agreement allows.
    pub max_tlp: String,
    /// Withdrawn or under a legal hold now (blocked).
    pub withdrawn: bool,
    /// The partner may hold the item as marked: cleared, a channel, and no handling rule
    /// broken (docs/model.md §5–6).
    pub may_hold: bool,
    /// Why not, when it may not (`clearance`, `channel`, `withdrawn`, or violation kinds:
    /// `tlp`, `agreement`, `public`, `criminal_intel`, `pii`).
    pub why_not: Vec<String>,
}

/// A share point: an item an agency bound to a team has analysed, waiting for the team to
/// say with whom it is shared and under which TLP.
#[derive(Debug, Clone, Serialize)]
pub struct SharePoint {
    /// Sending agency id.
    pub agency: String,
    /// The item's number in the run.
    pub item: u32,
    /// Threat id.
    pub threat: String,
    /// Threat name.
    pub threat_name: String,
    /// Analysed at [h].
    pub since_h: f64,
    /// The item's own TLP.
    pub tlp: String,
    /// The item's classification or control level.
    pub class: String,
    /// Received from a partner (a re-share), not the agency's own collection.
    pub reshare: bool,
    /// The agency's partners.
    pub partners: Vec<SharePartner>,
}

/// One agency on the board.
#[derive(Debug, Clone, Serialize)]
pub struct AgencyBoard {
    /// Agency id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Up (not failed or out).
    pub up: bool,
    /// Items waiting for an analyst.
    pub backlog: usize,
    /// Threats it has been informed of (ids), with the first time [h].
    pub knows: Vec<(String, f64)>,
    /// Threats it has decided to act on (ids).
    pub decided: Vec<String>,
    /// Bound to a team at the console.
    pub team: bool,
    /// Its sharing decisions bound to a team at the console.
    pub team_shares: bool,
}

/// One directed partnership link on the board.
#[derive(Debug, Clone, Serialize)]
pub struct LinkBoard {
    /// Partnership id.
    pub partnership: String,
    /// Sending agency id.
    pub from: String,
    /// Receiving agency id.
    pub to: String,
    /// Trust of `from` in `to`, in [0, 1].
    pub trust: f64,
    /// Withdrawn (by trust, an inject or the console).
    pub withdrawn: bool,
}

/// One threat on the board (ground truth: the facilitator's view only).
#[derive(Debug, Clone, Serialize)]
pub struct ThreatBoard {
    /// Threat id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Real in this run.
    pub real: bool,
    /// First detected [h].
    pub detected_at: Option<f64>,
    /// First shared [h].
    pub shared_at: Option<f64>,
    /// First action completed [h].
    pub acted_at: Option<f64>,
    /// Resolved [h].
    pub resolved_at: Option<f64>,
    /// Harm [h].
    pub harm_at: Option<f64>,
}

/// One inject of the MSEL queue.
#[derive(Debug, Clone, Serialize)]
pub struct InjectBoard {
    /// Inject id.
    pub id: String,
    /// MSEL number.
    pub number: u32,
    /// Synopsis.
    pub synopsis: String,
    /// Scripted time [h] for time-triggered injects.
    pub scripted_h: Option<f64>,
    /// Fired at [h].
    pub fired_at: Option<f64>,
    /// Settled: fired, missed its draw, or skipped.
    pub done: bool,
    /// `auto`, `hold`, `skip` or `at`.
    pub control: String,
    /// The console's delivery time when `at` [h].
    pub at_h: Option<f64>,
}

/// A decision point waiting for a team.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionPoint {
    /// Agency id.
    pub agency: String,
    /// Threat id.
    pub threat: String,
    /// Threat name.
    pub threat_name: String,
    /// Since [h].
    pub since_h: f64,
}

/// An objective as the run stands now (judged on the run so far).
#[derive(Debug, Clone, Serialize)]
pub struct ObjectiveBoard {
    /// Objective id.
    pub id: String,
    /// Met on the run so far.
    pub met: bool,
    /// Metric value so far.
    pub value: Option<f64>,
    /// Applies to this run.
    pub applicable: bool,
}

/// The state of a run in progress.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// Scenario time: the start of the next tick [h].
    pub now_h: f64,
    /// Next tick to run.
    pub tick: u64,
    /// Ticks in the exercise.
    pub ticks: u64,
    /// Exercise length [h].
    pub duration_h: f64,
    /// Every tick has run.
    pub done: bool,
    /// Agencies.
    pub agencies: Vec<AgencyBoard>,
    /// Links.
    pub links: Vec<LinkBoard>,
    /// Threats (ground truth).
    pub threats: Vec<ThreatBoard>,
    /// The MSEL.
    pub injects: Vec<InjectBoard>,
    /// Open decision points.
    pub decisions: Vec<DecisionPoint>,
    /// Open share points.
    pub shares: Vec<SharePoint>,
    /// Objectives on the run so far.
    pub objectives: Vec<ObjectiveBoard>,
    /// Timeline events so far (when the timeline is recorded).
    pub events: usize,
}

/// A run that advances step by step and takes actions between steps.
pub struct Stepper {
    model: Model,
    runner: Runner,
    seed: RunSeed,
    next: u64,
    /// Console cut-offs in force per partnership (a restore takes back only these).
    cuts: Vec<u32>,
}

impl std::fmt::Debug for Stepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stepper")
            .field("seed", &self.seed)
            .field("next", &self.next)
            .finish()
    }
}

/// Mix a 64-bit value (SplitMix64 finaliser).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Stepper {
    /// Start run `seed` of `model` at time 0, recording its timeline when `timeline`.
    pub fn new(model: &Model, seed: RunSeed, timeline: bool) -> Stepper {
        let mut runner = Runner::new(&model.compiled, false);
        runner.begin(seed, timeline);
        Stepper {
            model: model.clone(),
            runner,
            seed,
            next: 0,
            cuts: vec![0; model.compiled.partnerships.len()],
        }
    }

    /// The run's seed.
    pub fn seed(&self) -> RunSeed {
        self.seed
    }

    /// The next tick to run (actions applied now take effect from it).
    pub fn tick(&self) -> u64 {
        self.next
    }

    /// Ticks in the exercise.
    pub fn ticks(&self) -> u64 {
        self.model.compiled.ticks
    }

    /// Tick length [h].
    pub fn dt(&self) -> f64 {
        self.model.compiled.dt
    }

    /// Scenario time: the start of the next tick [h].
    pub fn now_h(&self) -> f64 {
        self.next as f64 * self.dt()
    }

    /// Every tick has run.
    pub fn done(&self) -> bool {
        self.next >= self.ticks()
    }

    /// Run one tick; false when the run is over.
    pub fn step(&mut self) -> bool {
        if self.done() {
            return false;
        }
        self.runner.run_tick(self.next);
        self.next += 1;
        true
    }

    /// Run every tick that starts before scenario time `h`.
    pub fn advance_to(&mut self, h: f64) {
        while !self.done() && self.now_h() < h - 1e-9 {
            self.step();
        }
    }

    /// Run to tick `k` (no further than the end).
    pub fn advance_to_tick(&mut self, k: u64) {
        while self.next < k && self.step() {}
    }

    /// Decision and share points open now.
    pub fn open_decisions(&mut self) -> usize {
        let c = self.world().resource::<Console>();
        c.pending.len() + c.shares.len()
    }

    /// Run until a decision point is open (at most to `limit_h`); true when one is.
    pub fn advance_to_decision(&mut self, limit_h: f64) -> bool {
        loop {
            if self.open_decisions() > 0 {
                return true;
            }
            if self.done() || self.now_h() >= limit_h - 1e-9 {
                return false;
            }
            self.step();
        }
    }

    /// Run until the timeline records something new or an inject fires (at most to
    /// `limit_h`).
    pub fn advance_to_event(&mut self, limit_h: f64) {
        let count = |s: &mut Stepper| {
            let w = s.world();
            let fired = w
                .resource::<InjectStates>()
                .fired_at
                .iter()
                .filter(|f| f.is_some())
                .count();
            (w.resource::<Recorder>().events.len(), fired)
        };
        let before = count(self);
        while !self.done() && self.now_h() < limit_h - 1e-9 {
            self.step();
            if count(self) != before {
                break;
            }
        }
    }

    fn world(&mut self) -> &mut World {
        self.runner.world_mut()
    }

    fn inject_ix(&self, id: &str) -> Result<usize, String> {
        let st = &self.model.compiled;
        st.injects
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| did_you_mean("inject", id, st.injects.iter().map(|s| s.id.as_str())))
    }

    fn agency_ix(&self, id: &str) -> Result<AgencyIx, String> {
        let st = &self.model.compiled;
        st.agencies
            .iter()
            .position(|s| s.id == id)
            .map(AgencyIx::new)
            .ok_or_else(|| did_you_mean("agency", id, st.agencies.iter().map(|s| s.id.as_str())))
    }

    fn threat_ix(&self, id: &str) -> Result<ThreatIx, String> {
        let st = &self.model.compiled;
        st.threats
            .iter()
            .position(|s| s.id == id)
            .map(ThreatIx::new)
            .ok_or_else(|| did_you_mean("threat", id, st.threats.iter().map(|s| s.id.as_str())))
    }

    fn partnership_ix(&self, id: &str) -> Result<PartnershipIx, String> {
        let st = &self.model.compiled;
        st.partnerships
            .iter()
            .position(|s| s == id)
            .map(PartnershipIx::new)
            .ok_or_else(|| {
                did_you_mean(
                    "partnership",
                    id,
                    st.partnerships.iter().map(|s| s.as_str()),
                )
            })
    }

    /// Check an action against the scenario and the run's state without applying it.
    pub fn check(&self, a: &Action) -> Result<(), String> {
        let st = &self.model.compiled;
        if self.done() {
            return Err("the exercise is over".into());
        }
        match a {
            Action::Release { inject }
            | Action::Hold { inject }
            | Action::Resume { inject }
            | Action::Skip { inject } => self.inject_ix(inject).map(|_| ()),
            Action::Retime { inject, at_h } => {
                self.inject_ix(inject)?;
                if !at_h.is_finite() || *at_h < self.now_h() - 1e-9 {
                    return Err(format!(
                        "cannot re-time to {at_h} h: the clock is at {} h",
                        self.now_h()
                    ));
                }
                Ok(())
            }
            Action::Shift { by_h } => {
                if by_h.is_finite() {
                    Ok(())
                } else {
                    Err("shift must be a finite number of hours".into())
                }
            }
            Action::Control { agency, .. } | Action::Sharing { agency, .. } => {
                self.agency_ix(agency).map(|_| ())
            }
            Action::Act { agency, threat } | Action::Wait { agency, threat } => {
                let (a, t) = (self.agency_ix(agency)?, self.threat_ix(threat)?);
                if !st.threats[t.ix()].responders.contains(&a) {
                    return Err(format!(
                        "{agency} does not act on {threat} in this scenario"
                    ));
                }
                Ok(())
            }
            Action::CutOff { partnership, by }
            | Action::PublicWarning {
                threat: partnership,
                by,
            } => {
                self.agency_ix(by)?;
                if matches!(a, Action::CutOff { .. }) {
                    self.partnership_ix(partnership).map(|_| ())
                } else {
                    self.threat_ix(partnership).map(|_| ())
                }
            }
            Action::Restore { partnership, by } => {
                self.agency_ix(by)?;
                let p = self.partnership_ix(partnership)?;
                if self.cuts[p.ix()] == 0 {
                    return Err(format!("{partnership} was not cut off at the console"));
                }
                Ok(())
            }
            Action::MutualAid { inject } => {
                let i = self.inject_ix(inject)?;
                if !matches!(st.injects[i].effect, super::compile::Effect::Arrival(_)) {
                    return Err(format!("{inject} is not an arrival (mutual-aid) inject"));
                }
                Ok(())
            }
            Action::Share {
                agency,
                item,
                to,
                tlp,
            } => self.share_links(agency, *item, to, tlp).map(|_| ()),
        }
    }

    /// The sender, the links and the TLP of a share decision, checked: the share point must
    /// be open, every recipient a partner, the TLP a TLP 2.0 label. For a partner linked by
    /// several partnerships, the first of them in the scenario's order that is neither
    /// withdrawn nor held (or the first, blocked, when all are).
    fn share_links(
        &self,
        agency: &str,
        item: u32,
        to: &[String],
        tlp: &str,
    ) -> Result<(AgencyIx, Vec<LinkIx>, Tlp), String> {
        let st = &self.model.compiled;
        let a = self.agency_ix(agency)?;
        let w = self.runner.world();
        if !w
            .resource::<Console>()
            .shares
            .iter()
            .any(|p| p.0 == a && p.1 == item)
        {
            return Err(format!("{agency} has no open share point for item {item}"));
        }
        let tlp = if to.is_empty() && tlp.trim().is_empty() {
            Tlp::Clear
        } else {
            parse_tlp(tlp)?
        };
        let out = &st.agencies[a.ix()].out_links;
        let links = w.resource::<Links>();
        let mut picked = Vec::new();
        for p in to {
            let pa = self.agency_ix(p)?;
            let cands: Vec<LinkIx> = out
                .iter()
                .copied()
                .filter(|l| st.links[l.ix()].to == pa)
                .collect();
            let Some(&first) = cands.first() else {
                let partners: Vec<&str> = out
                    .iter()
                    .map(|l| st.agencies[st.links[l.ix()].to.ix()].id.as_str())
                    .collect();
                return Err(format!(
                    "{p} is not a partner of {agency} (its partners: {})",
                    partners.join(", ")
                ));
            };
            let open = cands.iter().copied().find(|l| {
                let s = &links.0[l.ix()];
                !s.is_closed()
            });
            let l = open.unwrap_or(first);
            if !picked.contains(&l) {
                picked.push(l);
            }
        }
        Ok((a, picked, tlp))
    }

    /// Apply an action from the next tick on (checked first; nothing changes on error).
    pub fn apply(&mut self, a: &Action) -> Result<(), String> {
        self.check(a)?;
        let now = self.now_h();
        let n_inj = self.model.compiled.injects.len();
        let n_ag = self.model.compiled.agencies.len();
        match a {
            Action::Release { inject } | Action::MutualAid { inject } => {
                let i = self.inject_ix(inject)?;
                self.set_ctl(i, n_inj, InjectCtl::At(now));
            }
            Action::Hold { inject } => {
                let i = self.inject_ix(inject)?;
                self.set_ctl(i, n_inj, InjectCtl::Hold);
            }
            Action::Resume { inject } => {
                let i = self.inject_ix(inject)?;
                self.set_ctl(i, n_inj, InjectCtl::Auto);
            }
            Action::Skip { inject } => {
                let i = self.inject_ix(inject)?;
                self.set_ctl(i, n_inj, InjectCtl::Skip);
            }
            Action::Retime { inject, at_h } => {
                let i = self.inject_ix(inject)?;
                self.set_ctl(i, n_inj, InjectCtl::At(*at_h));
            }
            Action::Shift { by_h } => {
                let st = self.model.compiled.clone();
                let done = self.world().resource::<InjectStates>().done.clone();
                for (i, s) in st.injects.iter().enumerate() {
                    if done[i] {
                        continue;
                    }
                    let c = self.world().resource::<Console>().inject(i);
                    let to = match (c, &s.trigger) {
                        (InjectCtl::At(t), _) => Some(t),
                        (InjectCtl::Auto, Trigger::At(t)) if *t >= now => Some(*t),
                        _ => None,
                    };
                    if let Some(t) = to {
                        self.set_ctl(i, n_inj, InjectCtl::At((t + by_h).max(now)));
                    }
                }
            }
            Action::Control { agency, on } => {
                let ag = self.agency_ix(agency)?;
                let mut c = self.world().resource_mut::<Console>();
                if c.controlled.len() < n_ag {
                    c.controlled.resize(n_ag, false);
                }
                c.controlled[ag.ix()] = *on;
                if !on {
                    c.pending.retain(|p| p.0 != ag);
                }
            }
            Action::Sharing { agency, on } => {
                let ag = self.agency_ix(agency)?;
                let mut c = self.world().resource_mut::<Console>();
                if c.sharing.len() < n_ag {
                    c.sharing.resize(n_ag, false);
                }
                c.sharing[ag.ix()] = *on;
                if !on {
                    // Its open share points go back to the model, offered at the next tick.
                    c.release_shares(ag);
                }
            }
            Action::Act { agency, threat } => {
                let (ag, th) = (self.agency_ix(agency)?, self.threat_ix(threat)?);
                let mut c = self.world().resource_mut::<Console>();
                if !c.act.contains(&(ag, th)) {
                    c.act.push((ag, th));
                }
            }
            // The decision point stays open: nothing changes in the engine.
            Action::Wait { .. } => {}
            Action::CutOff { partnership, by } | Action::Restore { partnership, by } => {
                let p = self.partnership_ix(partnership)?;
                let on = matches!(a, Action::CutOff { .. });
                if on {
                    self.cuts[p.ix()] += 1;
                } else {
                    self.cuts[p.ix()] -= 1;
                }
                let who = by.clone();
                self.world()
                    .resource_mut::<Console>()
                    .queued
                    .push(TeamEffect::CutOff {
                        partnership: p,
                        on,
                        who,
                    });
            }
            Action::PublicWarning { threat, by } => {
                let th = self.threat_ix(threat)?;
                let who = by.clone();
                self.world()
                    .resource_mut::<Console>()
                    .queued
                    .push(TeamEffect::Warn { threat: th, who });
            }
            Action::Share {
                agency,
                item,
                to,
                tlp,
            } => {
                let (ag, links, tlp) = self.share_links(agency, *item, to, tlp)?;
                self.world()
                    .resource_mut::<Console>()
                    .share(ag, *item, Some((links, tlp)));
            }
        }
        Ok(())
    }

    fn set_ctl(&mut self, i: usize, n: usize, ctl: InjectCtl) {
        let mut c = self.world().resource_mut::<Console>();
        if c.injects.len() < n {
            c.injects.resize(n, InjectCtl::Auto);
        }
        c.injects[i] = ctl;
    }

    /// The run's state now.
    pub fn board(&mut self) -> Board {
        let st = self.model.compiled.clone();
        let now = self.now_h();
        let (tick, ticks, done) = (self.next, self.ticks(), self.done());
        let w = self.world();
        let (_, results) = measure(w, &st, now);
        let ag = w.resource::<Agencies>();
        let console = w.resource::<Console>();
        let agencies = st
            .agencies
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let h = &ag.holdings[i];
                AgencyBoard {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    up: ag.status[i].up(),
                    backlog: ag.queue[i].waiting.len(),
                    knows: st
                        .threats
                        .iter()
                        .zip(&h.informed_at)
                        .filter(|(_, t)| t.is_finite())
                        .map(|(th, t)| (th.id.clone(), *t))
                        .collect(),
                    decided: st
                        .threats
                        .iter()
                        .zip(&h.decided)
                        .filter(|(_, d)| **d)
                        .map(|(th, _)| th.id.clone())
                        .collect(),
                    team: console.controls(AgencyIx::new(i)),
                    team_shares: console.shares_for(AgencyIx::new(i)),
                }
            })
            .collect();
        let links_state = w.resource::<Links>();
        let links = st
            .links
            .iter()
            .zip(links_state.0.iter().zip(&links_state.1.trust))
            .map(|(ls, (l, &trust))| LinkBoard {
                partnership: st.partnerships[ls.partnership.ix()].clone(),
                from: st.agencies[ls.from.ix()].id.clone(),
                to: st.agencies[ls.to.ix()].id.clone(),
                trust,
                withdrawn: l.is_withdrawn(),
            })
            .collect();
        let threats = st
            .threats
            .iter()
            .zip(&w.resource::<ThreatStates>().0)
            .map(|(th, s)| ThreatBoard {
                id: th.id.clone(),
                name: th.name.clone(),
                real: s.real,
                detected_at: s.detected_at,
                shared_at: s.first_share_at,
                acted_at: s.first_action_at,
                resolved_at: s.resolved_at,
                harm_at: s.harm_at,
            })
            .collect();
        let inj = w.resource::<InjectStates>();
        let injects = st
            .injects
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let c = console.inject(i);
                InjectBoard {
                    id: s.id.clone(),
                    number: s.number,
                    synopsis: s.synopsis.clone(),
                    scripted_h: match s.trigger {
                        Trigger::At(t) => Some(t),
                        _ => None,
                    },
                    fired_at: inj.fired_at[i],
                    done: inj.done[i],
                    control: match c {
                        InjectCtl::Auto => "auto",
                        InjectCtl::Hold => "hold",
                        InjectCtl::Skip => "skip",
                        InjectCtl::At(_) => "at",
                    }
                    .into(),
                    at_h: match c {
                        InjectCtl::At(t) => Some(t),
                        _ => None,
                    },
                }
            })
            .collect();
        let decisions = console
            .pending
            .iter()
            .map(|&(a, t, since)| DecisionPoint {
                agency: st.agencies[a.ix()].id.clone(),
                threat: st.threats[t.ix()].id.clone(),
                threat_name: st.threats[t.ix()].name.clone(),
                since_h: since,
            })
            .collect();
        let shares = console
            .shares
            .iter()
            .map(|&(a, item, since)| share_point(&st, w, a, item, since))
            .collect();
        let objectives = st
            .catalog
            .objectives
            .iter()
            .zip(&results)
            .map(|(o, r)| ObjectiveBoard {
                id: o.id.clone(),
                met: r.met,
                value: r.value,
                applicable: r.applicable,
            })
            .collect();
        let events = w.resource::<Recorder>().events.len();
        Board {
            now_h: now,
            tick,
            ticks,
            duration_h: st.duration,
            done,
            agencies,
            links,
            threats,
            injects,
            decisions,
            shares,
            objectives,
            events,
        }
    }

    /// Timeline events from index `from` on (empty when the timeline is not recorded).
    pub fn events_since(&mut self, from: usize) -> Vec<Event> {
        let w = self.world();
        w.resource::<Recorder>()
            .events
            .iter()
            .skip(from)
            .map(|e| Event {
                t: e.t,
                kind: e.kind,
                who: e.who.to_string(),
                via: e.via.to_string(),
                text: e.text.to_string(),
            })
            .collect()
    }

    /// Run the remaining ticks and return the outcome.
    pub fn finish(mut self) -> RunOutcome {
        while self.step() {}
        self.runner.end(self.seed.run_index)
    }

    /// Let the model decide for every agency again (no decision point stays open).
    fn hand_back(&mut self) {
        let mut c = self.world().resource_mut::<Console>();
        c.controlled.clear();
        c.sharing.clear();
        c.pending.clear();
        let open: Vec<AgencyIx> = c.shares.iter().map(|p| p.0).collect();
        for a in open {
            c.release_shares(a);
        }
    }

    /// Re-key every random stream of the run for continuation `c` (c ≥ 1): the draws after
    /// this point differ from the table's run and from other continuations; values already
    /// drawn (a failure time or deadline scheduled earlier) stay.
    fn reseed(&mut self, c: u64) {
        let key = mix(c ^ mix(self.next));
        let re = |r: &mut super::rng::Stream| r.rekey(key);
        let w = self.world();
        for a in &mut w.resource_mut::<Agencies>().streams {
            re(&mut a.collect);
            re(&mut a.service);
            re(&mut a.failure);
        }
        for r in &mut w.resource_mut::<Links>().1.rng {
            re(r);
        }
        for ch in &mut w.resource_mut::<Channels>().0 {
            re(&mut ch.rng);
        }
        for t in &mut w.resource_mut::<ThreatStates>().0 {
            re(&mut t.rng);
            re(&mut t.act_rng);
            if let Some(r) = t.surge.as_mut().and_then(|s| s.rng.as_mut()) {
                re(r);
            }
        }
        for i in &mut w.resource_mut::<Insiders>().0 {
            re(&mut i.rng);
        }
        for r in &mut w.resource_mut::<InjectStates>().rng {
            re(r);
        }
    }
}

/// The share point of agency `a` on `item`, with what each partner may hold now (the gates
/// of the sharing phase, docs/model.md §5–6, judged on the item's own marking).
fn share_point(
    st: &super::compile::Compiled,
    w: &World,
    a: AgencyIx,
    item: u32,
    since: f64,
) -> SharePoint {
    let it = &w.resource::<Items>().0[item as usize];
    let links = w.resource::<Links>();
    let channels = w.resource::<Channels>();
    let th = &st.threats[it.threat.ix()];
    let sender = &st.agencies[a.ix()];
    let full = th.marking_of(it.tearline);
    let partners = sender
        .out_links
        .iter()
        .map(|&l| {
            let ls = &st.links[l.ix()];
            let to = &st.agencies[ls.to.ix()];
            let state = &links.0[l.ix()];
            let cleared = |mk: &super::compile::Marking| {
                mk.class < Classification::Confidential || mk.class <= to.clearance
            };
            let channel = |mk: &super::compile::Marking| {
                ls.channels
                    .iter()
                    .map(|c| c.ix())
                    .find(|&c| channels.0[c].up() && st.channels[c].max_class >= mk.class)
            };
            // As the sharing phase does: the tearline for a partner who may not get the full
            // item, where the partnership writes tearlines.
            let mut mk = full;
            let mut tearline = false;
            if ls.tearlines
                && !it.tearline
                && let Some(tl) = &th.tearline
                && (!cleared(mk) || channel(mk).is_none())
            {
                mk = tl;
                tearline = true;
            }
            let resharing = it.origin != a && !tearline;
            let mut why_not = Vec::new();
            let withdrawn = state.is_closed();
            if withdrawn {
                why_not.push("withdrawn".to_string());
            }
            if !cleared(mk) {
                why_not.push("clearance".into());
            }
            let ch = channel(mk);
            if ch.is_none() {
                why_not.push("channel".into());
            }
            let broken = broken_rules(mk, sender, to, ls, resharing);
            for k in ViolationKind::ALL {
                if broken & k.bit() != 0 {
                    why_not.push(k.id().into());
                }
            }
            SharePartner {
                agency: to.id.clone(),
                name: to.name.clone(),
                partnership: st.partnerships[ls.partnership.ix()].clone(),
                channel: ch.map(|c| st.channels[c].name.clone()),
                max_tlp: tlp_label(ls.max_tlp).into(),
                withdrawn,
                may_hold: why_not.is_empty(),
                why_not,
            }
        })
        .collect();
    SharePoint {
        agency: sender.id.clone(),
        item,
        threat: th.id.clone(),
        threat_name: th.name.clone(),
        since_h: since,
        tlp: tlp_label(full.tlp).into(),
        class: format!("{:?}", full.class),
        reshare: it.origin != a,
        partners,
    }
}

impl Model {
    /// Tick length [h].
    pub fn tick_hours(&self) -> f64 {
        self.compiled.dt
    }
}

/// "unknown kind `x`" with the closest known id.
fn did_you_mean<'a>(kind: &str, id: &str, known: impl Iterator<Item = &'a str>) -> String {
    let best = known
        .map(|k| (strsim::jaro_winkler(id, k), k))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, k)) => format!("unknown {kind} `{id}` (did you mean `{k}`?)"),
        None => format!("unknown {kind} `{id}`"),
    }
}

/// Replay run `seed` of `model` with `actions`, each (tick, action) applied before its tick
/// runs, in order; the outcome of the whole run. With no actions this is exactly
/// [`Model::run`].
pub fn replay(
    model: &Model,
    seed: RunSeed,
    actions: &[(u64, Action)],
    timeline: bool,
) -> Result<RunOutcome, String> {
    let mut s = Stepper::new(model, seed, timeline);
    s.replay_until(actions, u64::MAX)?;
    Ok(s.finish())
}

impl Stepper {
    /// Apply the logged actions of ticks before `until` (and run to each one's tick); an action
    /// logged at tick k is applied before tick k runs. Stops at the earlier of `until` and the
    /// last logged tick.
    pub fn replay_until(&mut self, actions: &[(u64, Action)], until: u64) -> Result<(), String> {
        for (k, a) in actions {
            if *k >= until {
                break;
            }
            if *k < self.next {
                return Err(format!(
                    "actions out of order: tick {k} after tick {}",
                    self.next
                ));
            }
            self.advance_to_tick(*k);
            self.apply(a).map_err(|e| format!("tick {k}: {e}"))?;
        }
        Ok(())
    }
}

/// One candidate decision's forecast: the outcomes of `runs` continuations.
#[derive(Debug, Clone)]
pub struct Forecast {
    /// The continuation outcomes, in continuation order.
    pub outcomes: Vec<RunOutcome>,
}

/// Fork-and-forecast: replay `log` to tick `at` (the table's state now), apply `candidate`,
/// hand every team's agency back to the model (the continuations cannot ask the table), and
/// play `runs` continuations forward, continuation c (1..=runs) with every random stream
/// re-keyed by (c, at). Continuations run in parallel on rayon's pool; the result is in
/// continuation order, the same for any thread count.
pub fn forecast(
    model: &Model,
    seed: RunSeed,
    log: &[(u64, Action)],
    at: u64,
    candidate: &[Action],
    runs: u64,
) -> Result<Forecast, String> {
    // Check the candidate once on the shared state (a clear error before any run).
    {
        let mut s = Stepper::new(model, seed, false);
        s.replay_until(log, at)?;
        s.advance_to_tick(at);
        for a in candidate {
            s.apply(a)?;
        }
    }
    let outcomes = (1..=runs)
        .into_par_iter()
        .map(|c| {
            let mut s = Stepper::new(model, seed, false);
            s.replay_until(log, at).expect("checked above");
            s.advance_to_tick(at);
            for a in candidate {
                s.apply(a).expect("checked above");
            }
            s.hand_back();
            s.reseed(c);
            s.finish()
        })
        .collect();
    Ok(Forecast { outcomes })
}
