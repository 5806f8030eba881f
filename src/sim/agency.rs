//! Agencies: their status (up, degraded, stalled), analyst queue (c servers, continuous-time
//! within each tick) and holdings (which items they hold, when they were informed).

use super::clock::{Clock, Static};
use super::flow::{Analysed, Items};
use super::metrics::Tally;
use super::outcome::EventKind;
use super::partnership::Modifiers;
use super::recorder::Recorder;
use super::rng::Stream;
use bevy_ecs::prelude::*;
use std::collections::VecDeque;

/// Index of the agency in the compiled model.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AgencyIx(pub usize);

/// Up/down state and capacity.
#[derive(Component, Debug, Clone)]
pub struct Status {
    /// Up according to its own reliability process.
    pub stoch_up: bool,
    /// Next reliability transition [h] (∞ without reliability).
    pub next_transition: f64,
    /// Scripted outages in force.
    pub scripted_down: u32,
    /// Capacity factor from degraded-capacity injects, (0, 1].
    pub factor: f64,
    /// Sabotage stalls its work until this time [h].
    pub stalled_until: f64,
    /// Start of the current down period.
    pub down_since: Option<f64>,
    /// Accumulated down time [h].
    pub down_time: f64,
    /// Whether it was ever down or degraded.
    pub ever_down: bool,
}

impl Status {
    /// A new, up status.
    pub fn new(next_transition: f64) -> Status {
        Status {
            stoch_up: true,
            next_transition,
            scripted_down: 0,
            factor: 1.0,
            stalled_until: f64::NEG_INFINITY,
            down_since: None,
            down_time: 0.0,
            ever_down: false,
        }
    }

    /// Whether the agency works right now.
    pub fn up(&self) -> bool {
        self.stoch_up && self.scripted_down == 0
    }

    /// Account for a possible change of `up()` at time `t`; returns `Some(up)` when it changed.
    pub fn refresh(&mut self, t: f64) -> Option<bool> {
        match (self.up(), self.down_since) {
            (false, None) => {
                self.down_since = Some(t);
                self.ever_down = true;
                Some(false)
            }
            (true, Some(since)) => {
                self.down_time += (t - since).max(0.0);
                self.down_since = None;
                Some(true)
            }
            _ => None,
        }
    }
}

/// The analyst queue: FIFO, `c` servers, exact event times inside each tick.
#[derive(Component, Debug, Clone, Default)]
pub struct Queue {
    /// When each server is next free [h].
    pub free_at: Vec<f64>,
    /// Waiting items: (arrival time [h], item).
    pub waiting: VecDeque<(f64, u32)>,
    /// Items in service finishing after the current window: (completion [h], item).
    pub in_service: Vec<(f64, u32)>,
    /// Total service time given [h].
    pub busy: f64,
    /// Σ waiting time of items that started service [h].
    pub wait_sum: f64,
    /// Items that started service.
    pub served: u64,
    /// Server-hours available over the run (c × time), for utilisation.
    pub capacity_hours: f64,
}

/// What an agency holds.
#[derive(Component, Debug, Clone)]
pub struct Holdings {
    /// Bitset of items held (by item index).
    pub held: Vec<u64>,
    /// First time it was informed about each threat [h] (∞ if never).
    pub informed_at: Vec<f64>,
    /// Distinct items analysed per threat.
    pub analysed: Vec<u32>,
    /// Time of the latest analysis per threat [h].
    pub last_analysed: Vec<f64>,
    /// Whether it decided to act on each threat.
    pub decided: Vec<bool>,
    /// Σ sensitivity of items held.
    pub sensitivity_held: f64,
    /// Items held.
    pub count: u32,
}

impl Holdings {
    /// Empty holdings for `threats` threats.
    pub fn new(threats: usize) -> Holdings {
        Holdings {
            held: Vec::new(),
            informed_at: vec![f64::INFINITY; threats],
            analysed: vec![0; threats],
            last_analysed: vec![f64::NEG_INFINITY; threats],
            decided: vec![false; threats],
            sensitivity_held: 0.0,
            count: 0,
        }
    }

    /// Whether item `i` is held.
    pub fn holds(&self, i: u32) -> bool {
        let (w, b) = ((i / 64) as usize, i % 64);
        self.held.get(w).is_some_and(|x| x & (1 << b) != 0)
    }

    /// Mark item `i` held; returns false if it already was.
    pub fn insert(&mut self, i: u32) -> bool {
        let (w, b) = ((i / 64) as usize, i % 64);
        if self.held.len() <= w {
            self.held.resize(w + 1, 0);
        }
        let had = self.held[w] & (1 << b) != 0;
        self.held[w] |= 1 << b;
        !had
    }

    /// Whether it knows anything about any threat.
    pub fn informed_any(&self) -> bool {
        self.informed_at.iter().any(|t| t.is_finite())
    }
}

/// The agency's own random streams.
#[derive(Component, Debug, Clone)]
pub struct AgencyStreams {
    /// Observation draws.
    pub collect: Stream,
    /// Service-time draws.
    pub service: Stream,
    /// Reliability draws.
    pub failure: Stream,
}

/// Entities of the agencies, by agency index.
#[derive(Resource, Debug, Clone, Default)]
pub struct AgencyEntities(pub Vec<Entity>);

/// Effective number of analysts of an agency now.
pub fn servers(base: u32, factor: f64, extra: u32) -> usize {
    let c = ((base as f64) * factor).round().max(1.0) as usize;
    c + extra as usize
}

/// Serve queued items within the tick window: each free server takes the oldest waiting item
/// at max(server free, item arrival); service times are drawn from the agency's stream; items
/// finishing inside the window are announced as [`Analysed`].
#[allow(clippy::too_many_arguments)]
pub fn analyse_items(
    clock: Res<Clock>,
    st: Res<Static>,
    mods: Res<Modifiers>,
    items: Res<Items>,
    mut tally: ResMut<Tally>,
    mut rec: ResMut<Recorder>,
    mut out: MessageWriter<Analysed>,
    mut agencies: Query<(&AgencyIx, &Status, &mut Queue, &mut AgencyStreams)>,
) {
    let (now, end) = (clock.now, clock.end);
    let mut done: Vec<(f64, usize, u32)> = Vec::new();
    for (ix, status, mut q, mut streams) in &mut agencies {
        let a = &st.agencies[ix.0];
        let m = &mods.0[ix.0];
        let c = servers(a.analysts, status.factor, m.extra_analysts);
        if q.free_at.len() < c {
            q.free_at.resize(c, now);
        }
        let working = m.up
            && m.lost & super::compile::function_bit(crate::scenario::schema::Function::Analysis)
                == 0
            && status.stalled_until <= now;
        if working {
            q.capacity_hours += c as f64 * clock.dt;
        }
        // Completions carried over from earlier windows.
        let mut i = 0;
        while i < q.in_service.len() {
            if q.in_service[i].0 < end {
                let (t, item) = q.in_service.swap_remove(i);
                done.push((t, ix.0, item));
            } else {
                i += 1;
            }
        }
        if !working {
            // Nobody works this window: queued items cannot start before it ends.
            for f in q.free_at.iter_mut() {
                *f = f.max(end);
            }
            continue;
        }
        while let Some(&(arrival, item)) = q.waiting.front() {
            let (s, free) = q.free_at[..c]
                .iter()
                .copied()
                .enumerate()
                .min_by(|x, y| x.1.total_cmp(&y.1))
                .unwrap_or((0, end));
            let start = free.max(arrival);
            if start >= end {
                break;
            }
            q.waiting.pop_front();
            let it = &items.0[item as usize];
            if it.retracted {
                continue;
            }
            if let Some(p) = st.threats[it.threat].perish
                && start > it.created + p
            {
                tally.expired += 1;
                rec.log(start, EventKind::Expired, &a.id, "", || {
                    format!(
                        "{}: an item on {} expired before an analyst reached it",
                        a.name, st.threats[it.threat].name
                    )
                });
                continue;
            }
            let service = a.service.sample(&mut streams.service) * (1.0 - m.speedup);
            let finish = start + service;
            q.free_at[s] = finish;
            q.busy += service;
            q.wait_sum += start - arrival;
            q.served += 1;
            if finish < end {
                done.push((finish, ix.0, item));
            } else {
                q.in_service.push((finish, item));
            }
        }
    }
    done.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    for (t, agency, item) in done {
        out.write(Analysed { t, agency, item });
    }
}

/// Mark analysed items in holdings (corroboration counts).
pub fn count_analysed(
    ents: Res<AgencyEntities>,
    items: Res<Items>,
    mut analysed: MessageReader<Analysed>,
    mut holdings: Query<&mut Holdings>,
) {
    for m in analysed.read() {
        let it = &items.0[m.item as usize];
        if let Ok(mut h) = holdings.get_mut(ents.0[m.agency]) {
            h.analysed[it.threat] += 1;
            h.last_analysed[it.threat] = h.last_analysed[it.threat].max(m.t);
        }
    }
}
