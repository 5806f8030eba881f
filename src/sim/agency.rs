//! Agencies at work: the analyst queue of each agency (c servers, FIFO, exact event times
//! inside each tick) and the corroboration count of what it has analysed.

use super::compile::{Compiled, function_bit};
use super::ids::AgencyIx;
use super::order::TimeSort;
use super::outcome::EventKind;
use super::rng::{RunSeed, exp_wait};
use super::state::{Agencies, AgencyStreams, Analysed, Holdings, Mods, Queue, Status, Tick};
use crate::scenario::schema::Function;
use bevy_ecs::prelude::*;
use std::hint::select_unpredictable;

/// Add the agencies' state to the world.
pub(crate) fn install(world: &mut World) {
    world.init_resource::<Agencies>();
}

/// Set every agency's state to the start of run `seed`, reusing the buffers of the last run.
pub(crate) fn reset(world: &mut World, st: &Compiled, seed: RunSeed) {
    let mut res = world.resource_mut::<Agencies>();
    let ag = &mut *res;
    let (n, threats) = (st.agencies.len(), st.threats.len());
    ag.queue.resize_with(n, Queue::default);
    ag.queue.iter_mut().for_each(Queue::reset);
    ag.holdings.resize_with(n, || Holdings::new(threats));
    ag.holdings.iter_mut().for_each(|h| h.reset(threats));
    ag.held.reset(n);
    ag.down.clear();
    ag.mods.clear();
    ag.mods.resize(n, Mods::default());
    ag.backlog = 0;
    ag.since_staffing = 0;
    ag.any_lost = false;
    ag.any_exposure = false;
    ag.next_transition = f64::INFINITY;
    ag.active.clear();
    ag.active.resize(n.div_ceil(64), 0);
    ag.finishing.reset(st.ticks, st.dt);
    ag.status.clear();
    ag.streams.clear();
    let keys = &st.keys;
    for (i, a) in st.agencies.iter().enumerate() {
        let mut failure = seed.keyed(keys.agency_failure[i]);
        let next = match a.reliability {
            Some(r) => exp_wait(&mut failure, 1.0 / r.mtbf_h),
            None => f64::INFINITY,
        };
        let mut status = Status::new(next);
        if a.arrives {
            // Not in play until an arrival brings it.
            status.scripted_down = 1;
            status.refresh(0.0);
        }
        ag.next_transition = ag.next_transition.min(next);
        ag.status.push(status);
        ag.streams.push(AgencyStreams {
            collect: seed.keyed(keys.agency_collect[i]),
            service: seed.keyed(keys.agency_service[i]),
            failure,
        });
    }
}

/// Effective number of analysts of an agency now: its own (`base` × capacity `factor`, at
/// least one) less those it lends out (`lent`; it keeps at least one), plus those lent to it
/// (`extra`).
pub(crate) fn servers(base: u32, factor: f64, extra: u32, lent: u32) -> usize {
    // At full capacity (nearly always) the rounding is the identity: skip the libm call.
    let c = if factor == 1.0 {
        base.max(1) as usize
    } else {
        ((base as f64) * factor).round().max(1.0) as usize
    };
    c.saturating_sub(lent as usize).max(1) + extra as usize
}

/// The analysis system's own state: who is at work in each agency, recomputed only when its
/// inputs may have changed (an epoch of [`ModsDue`] moved: availability, lost functions,
/// stalls, capacity factors, lent analysts), and a buffer for the window's completions.
#[derive(Debug, Default)]
pub(crate) struct Staffing {
    /// Completions of this window: (time [h], agency, item).
    done: Vec<(f64, AgencyIx, u32)>,
    /// Sorts them.
    sorter: TimeSort<(f64, AgencyIx, u32)>,
    /// The agencies noted for this tick's completions (see [`super::state::Finishing`]).
    noted: Vec<u32>,
    /// The [`ModsDue::epoch`] it was computed at.
    epoch: u64,
    /// Analysts at work (servers) per agency.
    servers: Vec<u32>,
    /// Whether each agency's analysts work this window.
    working: Vec<bool>,
}

impl Staffing {
    /// Recompute from the agencies' state at the start of the window `now` [h] (`first`: the
    /// run's first tick). Servers added since get free at `now`; an agency coming back to
    /// work has its servers' free times raised to `now`, the end of the last window it was
    /// off (what an idle agency skipped while off).
    fn update(
        &mut self,
        st: &Compiled,
        status: &[Status],
        mods: &[Mods],
        queue: &mut [Queue],
        first: bool,
        now: f64,
    ) {
        let lost_analysis = function_bit(Function::Analysis);
        let n = st.agencies.len();
        if first || self.servers.len() != n {
            self.servers.clear();
            self.servers.resize(n, 0);
            self.working.clear();
            self.working.resize(n, true);
        }
        for (ix, a) in st.agencies.iter().enumerate() {
            let (s, m, q) = (&status[ix], &mods[ix], &mut queue[ix]);
            let c = servers(
                a.analysts,
                s.factor * (1.0 - m.impaired[1]),
                m.extra_analysts,
                m.lent_analysts,
            );
            if q.free_at.len() < c {
                q.free_at.resize(c, now);
            }
            let working = m.up && m.lost & lost_analysis == 0 && s.stalled_until <= now;
            if working && !self.working[ix] {
                for f in q.free_at.iter_mut() {
                    *f = f.max(now);
                }
            }
            self.servers[ix] = c as u32;
            self.working[ix] = working;
        }
    }
}

/// Serve queued items within the tick window: each free server takes the oldest waiting item
/// at max(server free, item arrival); service times are drawn from the agency's stream; items
/// finishing inside the window are counted in the agency's holdings (corroboration) and
/// announced as [`Analysed`].
#[cfg(test)]
pub(crate) fn analyse_items(mut s: super::state::RunState, mut plan: Local<Staffing>) {
    analyse(s.tick(), &mut plan);
}

/// Add the pending ticks' server-hours to every queue, one tick at a time (the same additions
/// in the same order as a tick-by-tick sum).
fn fold_capacity(queue: &mut [Queue], since_staffing: &mut u64) {
    for q in queue.iter_mut() {
        q.capacity_folded = q.capacity_hours(*since_staffing);
    }
    *since_staffing = 0;
}

/// Append `x` to `v` if `keep`, without a branch on `keep` (it is pushed, then dropped again
/// when not kept): for choices no predictor can guess.
fn push_if<T>(v: &mut Vec<T>, x: T, keep: bool) {
    v.push(x);
    v.truncate(v.len() - usize::from(!keep));
}

/// Ticks of server-hours the queues may leave pending (see [`Queue::capacity_hours`]).
const FOLD_TICKS: u64 = 64;

/// The Analysis phase (see [`analyse_items`]), with who is at work in each agency.
pub(crate) fn analyse(t: Tick, plan: &mut Staffing) {
    let Tick {
        clock,
        st,
        rec,
        items,
        agencies,
        tally,
        due,
        analysed: out,
        ..
    } = t;
    let (now, end) = (clock.now, clock.end);
    let Agencies {
        status,
        queue,
        holdings,
        streams,
        mods,
        backlog,
        since_staffing,
        active,
        finishing,
        ..
    } = &mut *agencies;
    let dt = clock.dt;
    if clock.tick == 0 || plan.epoch != due.epoch {
        // The server-hours of the ticks under the old staffing, then the new staffing.
        fold_capacity(queue, since_staffing);
        plan.update(st, status, mods, queue, clock.tick == 0, now);
        plan.epoch = due.epoch;
        for (q, (&c, &working)) in queue.iter_mut().zip(plan.servers.iter().zip(&plan.working)) {
            q.capacity_step = if working { c as f64 * dt } else { 0.0 };
        }
    }
    // This tick's server-hours, added when next read (`Queue::capacity_hours`), or folded in
    // every `FOLD_TICKS` ticks, so that reading them (every tick of a recorded run) never
    // replays more than that many additions.
    *since_staffing += 1;
    if *since_staffing == FOLD_TICKS {
        fold_capacity(queue, since_staffing);
    }
    let mut done = std::mem::take(&mut plan.done);
    done.clear();
    // Completions carried over from earlier windows: the items in service at the agencies
    // noted for this tick. Written without branches on the times, which no predictor can
    // guess: every item is written to `done` and kept there only if it finished, and kept in
    // service only if not (the order of either does not matter: `done` is sorted below).
    let mut noted = std::mem::take(&mut plan.noted);
    noted.clear();
    finishing.take(clock.tick, &mut noted);
    for &ix in &noted {
        let q = &mut queue[ix as usize];
        let mut keep = 0;
        for i in 0..q.in_service.len() {
            let (t, item) = q.in_service[i];
            let finished = t < end;
            push_if(&mut done, (t, AgencyIx::new(ix as usize), item), finished);
            q.in_service[keep] = (t, item);
            keep += usize::from(!finished);
        }
        q.in_service.truncate(keep);
    }
    plan.noted = noted;
    // Only agencies whose queue has work, in agency order.
    for (word, slot) in active.iter_mut().enumerate() {
        let mut bits = *slot;
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let ix = word * 64 + bit;
            let a = &st.agencies[ix];
            let q = &mut queue[ix];
            let (c, working) = (plan.servers[ix] as usize, plan.working[ix]);
            if q.waiting.is_empty() {
                // Idle (a sabotage may have emptied its queue): nothing to serve. What it has
                // in service finishes without a visit (`Finishing`), and an idle agency off
                // work has its servers' free times brought up to date when it is back at
                // work (`Staffing::update`).
                *slot &= !(1 << bit);
                continue;
            }
            let m = &mods[ix];
            if !working {
                // Nobody works this window: queued items cannot start before it ends.
                for f in q.free_at.iter_mut() {
                    *f = f.max(end);
                }
                continue;
            }
            while let Some(&(arrival, item)) = q.waiting.front() {
                // The server free first (the first of equals), without a branch per server.
                let (s, free) = match q.free_at[..c].split_first() {
                    None => (0, end),
                    Some((&first, rest)) => {
                        let (mut s, mut free) = (0, first);
                        for (j, &f) in rest.iter().enumerate() {
                            let earlier = f.total_cmp(&free).is_lt();
                            s = select_unpredictable(earlier, j + 1, s);
                            free = select_unpredictable(earlier, f, free);
                        }
                        (s, free)
                    }
                };
                let start = free.max(arrival);
                if start >= end {
                    break;
                }
                q.waiting.pop_front();
                *backlog -= 1;
                let it = &items.0[item as usize];
                if it.retracted {
                    continue;
                }
                let th = &st.threats[it.threat.ix()];
                if let Some(p) = th.perish
                    && start > it.created + p
                {
                    tally.expired += 1;
                    rec.log(start, EventKind::Expired, &a.id, "", || {
                        format!(
                            "{}: an item on {} expired before an analyst reached it",
                            a.name, th.name
                        )
                    });
                    continue;
                }
                let service = a.service.sample(&mut streams[ix].service) * (1.0 - m.speedup);
                let finish = start + service;
                q.free_at[s] = finish;
                q.busy += service;
                q.wait_sum += start - arrival;
                q.served += 1;
                // Done in this window, or still in service after it (without a branch).
                let finished = finish < end;
                push_if(&mut done, (finish, AgencyIx::new(ix), item), finished);
                push_if(&mut q.in_service, (finish, item), !finished);
                finishing.note_if(finish, clock.tick, ix, !finished);
            }
            // Idle now: off the list at once (the next visit would only find it idle), until
            // a delivery puts it back.
            if q.waiting.is_empty() {
                *slot &= !(1 << bit);
            }
        }
    }
    // (time, agency, item) is unique, so an unstable sort gives the one order.
    plan.sorter.sort(
        &mut done,
        (now, dt),
        |x| x.0,
        |x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)),
    );
    for &(t, agency, item) in done.iter() {
        // What the agency has analysed, per threat (corroboration counts).
        let th = items.0[item as usize].threat.ix();
        let h = &mut holdings[agency.ix()];
        h.analysed[th] += 1;
        h.last_analysed[th] = h.last_analysed[th].max(t);
        out.write(Analysed { t, agency, item });
    }
    plan.done = done;
}
