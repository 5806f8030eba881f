//! Threats and hazards: ground truth drawn per run, signals emitted over time, and their
//! observation by agencies according to collection ability, partners' sensors and screening.

use super::agency::AgencyEntities;
use super::clock::{Clock, Static};
use super::flow::{InFlight, Items, create_item};
use super::partnership::Modifiers;
use super::rng::Stream;
use crate::scenario::schema::Function;
use bevy_ecs::prelude::*;
use std::collections::VecDeque;

/// Surge bookkeeping of a migration threat.
#[derive(Debug, Clone, Default)]
pub struct SurgeState {
    /// Waiting cohorts: (arrival time [h], people).
    pub cohorts: VecDeque<(f64, f64)>,
    /// People arrived so far.
    pub arrived: f64,
    /// People processed within the hand-off deadline.
    pub within: f64,
    /// People processed late.
    pub late: f64,
    /// Largest number without shelter at any tick.
    pub peak_unsheltered: f64,
}

impl SurgeState {
    /// People waiting now.
    pub fn waiting(&self) -> f64 {
        self.cohorts.iter().map(|c| c.1).sum()
    }
}

/// Run state of a threat.
#[derive(Debug, Clone)]
pub struct ThreatState {
    /// Ground truth in this run.
    pub real: bool,
    /// Next signal time [h].
    pub next_signal: f64,
    /// Time harm occurs [h] (None: no deadline).
    pub deadline: Option<f64>,
    /// First observation by any agency [h].
    pub detected_at: Option<f64>,
    /// First item shared with a partner [h].
    pub first_share_at: Option<f64>,
    /// First false item shared [h].
    pub first_false_share_at: Option<f64>,
    /// False items retracted at [h].
    pub retracted_at: Option<f64>,
    /// First completed action [h].
    pub first_action_at: Option<f64>,
    /// Resolved (real threat acted on successfully before harm) at [h].
    pub resolved_at: Option<f64>,
    /// A false alarm was acted on.
    pub false_alarm_acted: bool,
    /// Harm occurred at [h].
    pub harm_at: Option<f64>,
    /// First public warning [h].
    pub public_warning_at: Option<f64>,
    /// No more signals (resolved, harm done, or false alarm put to rest).
    pub over: bool,
    /// Actions decided and not yet complete: (completion [h], agency).
    pub pending: Vec<(f64, usize)>,
    /// Signal and truth draws.
    pub rng: Stream,
    /// Decision, action and retraction draws.
    pub act_rng: Stream,
    /// Surge state, for migration threats.
    pub surge: Option<SurgeState>,
}

/// All threats, by index.
#[derive(Resource, Debug, Default)]
pub struct ThreatStates(pub Vec<ThreatState>);

/// Emit each threat's signals falling in this window and let agencies observe them.
#[allow(clippy::too_many_arguments)]
pub fn emit_signals(
    clock: Res<Clock>,
    st: Res<Static>,
    ents: Res<AgencyEntities>,
    mods: Res<Modifiers>,
    mut threats: ResMut<ThreatStates>,
    mut items: ResMut<Items>,
    mut flight: ResMut<InFlight>,
    mut rec: ResMut<super::recorder::Recorder>,
    mut streams: Query<&mut super::agency::AgencyStreams>,
) {
    let lost_collection = super::compile::function_bit(Function::Collection);
    for ti in 0..st.threats.len() {
        let th = &st.threats[ti];
        loop {
            let ts = &mut threats.0[ti];
            if ts.over || ts.next_signal >= clock.end {
                break;
            }
            let t = ts.next_signal;
            let real = ts.real;
            ts.next_signal = t + th.interval.sample(&mut ts.rng).max(1e-6);
            let first = ts.detected_at.is_none();
            for (a, &own) in th.own_collection.iter().enumerate() {
                let m = &mods.0[a];
                let screening = if own > 0.0 { m.screening } else { 0.0 };
                let p = 1.0 - (1.0 - own) * (1.0 - m.extra_collect[th.kind_ix]) * (1.0 - screening);
                if p <= 0.0 {
                    continue;
                }
                let Ok(mut s) = streams.get_mut(ents.0[a]) else {
                    continue;
                };
                let u: f64 = rand::RngExt::random(&mut s.collect);
                if u < p && m.up && m.lost & lost_collection == 0 {
                    create_item(&mut items, &mut flight, &mut threats, ti, real, a, t);
                }
            }
            if first && threats.0[ti].detected_at.is_some() {
                rec.log(t, super::outcome::EventKind::Signal, &th.id, "", || {
                    format!("First signal of {} is picked up", th.name)
                });
            }
        }
    }
}
