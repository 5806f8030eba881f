//! Response: responsible agencies decide to act once they hold enough corroborated items,
//! actions complete after a delay, false items are recognised and retracted, deadlines bring
//! harm, and surge arrivals meet processing and shelter capacity.

use super::clock::Clock;
use super::compile::{Compiled, Processing, Surge, function_bit};
use super::hazard::strike;
use super::hook::Console;
use super::ids::{AgencyIx, ThreatIx};
use super::outcome::EventKind;
use super::recorder::Recorder;
use super::rng::{Stream, chance};
use super::state::{
    Agencies, Analysed, Insiders, Items, ThreatStates, Tick, judged_true, retract_false,
};
use crate::scenario::schema::{ActionKind, Function, ThreatKind};
#[cfg(test)]
use bevy_ecs::prelude::*;
use rand_distr::{Distribution, Poisson};
use statrs::distribution::{ContinuousCDF, Normal};

/// The Response phase: judge items, take actions, advance surges and then hazards
/// ([`judge`], [`act`], [`surge`] and [`strike`](super::hazard::strike), in this order).
pub(crate) fn respond(t: Tick) {
    let Tick {
        clock,
        st,
        rec,
        analysed,
        cursors,
        items,
        agencies,
        threats,
        insiders,
        console,
        due,
        ..
    } = t;
    judge(
        st,
        rec,
        cursors.respond.read(analysed),
        items,
        agencies,
        threats,
    );
    act(clock, st, rec, agencies, threats, insiders, console);
    surge(clock, st, rec, agencies, threats);
    strike(clock, st, rec, agencies, threats, due);
}

/// The decision criterion c of the signal-detection judgement (§12): chosen so that an
/// analyst with the base discrimination `d0` recognises a false item with probability
/// `false_recognition`, c = Φ⁻¹(false_recognition) − d0/2 (−∞ at 0: every item is taken as
/// true; +∞ at 1: none is).
pub(crate) fn criterion(false_recognition: f64, d0: f64) -> f64 {
    if false_recognition <= 0.0 {
        f64::NEG_INFINITY
    } else if false_recognition >= 1.0 {
        f64::INFINITY
    } else {
        Normal::standard().inverse_cdf(false_recognition) - d0 / 2.0
    }
}

/// Judge the items analysed by agencies that act on their threat (signal detection, §12). A
/// false item recognised as false retracts every false item of its threat; an item taken as
/// true adds its signal as an independent source of corroboration, once per signal.
#[cfg(test)]
pub(crate) fn judge_items(
    run: super::state::Run,
    mut analysed: MessageReader<Analysed>,
    mut items: ResMut<Items>,
    mut agencies: ResMut<Agencies>,
    mut threats: ResMut<ThreatStates>,
) {
    let super::state::Run { st, mut rec, .. } = run;
    judge(
        &st,
        &mut rec,
        analysed.read(),
        &mut items,
        &mut agencies,
        &mut threats,
    );
}

/// Judge the items analysed this tick, as described above, on the run state itself.
pub(crate) fn judge<'a>(
    st: &Compiled,
    rec: &mut Recorder,
    analysed: impl Iterator<Item = &'a Analysed>,
    items: &mut Items,
    agencies: &mut Agencies,
    threats: &mut ThreatStates,
) {
    let Agencies { holdings, mods, .. } = agencies;
    let mut c = None;
    for m in analysed {
        let it = &items.0[m.item as usize];
        if it.retracted {
            continue;
        }
        let (ti, truth, signal, z) = (it.threat, it.truth, it.signal, it.evidence);
        let th = &st.threats[ti.ix()];
        let ag = &st.agencies[m.agency.ix()];
        if !th.acts[m.agency.ix()] {
            continue;
        }
        let h = &mut holdings[m.agency.ix()];
        if truth && h.decided[ti.ix()] {
            // Nothing left to decide and nothing to retract.
            continue;
        }
        let c = *c.get_or_insert_with(|| {
            criterion(st.params.false_recognition, st.params.discrimination)
        });
        let d = st.params.discrimination + ag.analysis_quality + mods[m.agency.ix()].discrimination;
        if judged_true(truth, z, d, c) {
            if h.decided[ti.ix()] {
                continue;
            }
            if let Err(pos) = h.sources.binary_search(&signal) {
                h.sources.insert(pos, signal);
                h.evidence[ti.ix()] += 1;
                h.evidence_at[ti.ix()] = h.evidence_at[ti.ix()].max(m.t);
            }
            continue;
        }
        if truth {
            // A true item dismissed as false: it corroborates nothing.
            continue;
        }
        retract_false(items, ti);
        let ts = &mut threats.0[ti.ix()];
        ts.retracted_at.get_or_insert(m.t);
        if !ts.real {
            ts.over = true;
        }
        rec.log(m.t, EventKind::Retraction, &ag.id, "", || {
            format!(
                "{} finds the reporting on {} false and retracts it",
                ag.name, th.name
            )
        });
    }
}

/// Decide, complete actions (retrying failed ones), and bring harm at deadlines. Resolving a
/// threat tied to an insider removes the insider.
#[cfg(test)]
pub(crate) fn take_actions(
    run: super::state::Run,
    mut agencies: ResMut<Agencies>,
    mut threats: ResMut<ThreatStates>,
    mut insiders: ResMut<Insiders>,
    mut console: ResMut<Console>,
) {
    let super::state::Run { clock, st, mut rec } = run;
    act(
        &clock,
        &st,
        &mut rec,
        &mut agencies,
        &mut threats,
        &mut insiders,
        &mut console,
    );
}

/// Decide and take actions, as described above, on the run state itself. A team bound to an
/// agency at the console decides for it (`console`): the model then waits instead of drawing.
pub(crate) fn act(
    clock: &Clock,
    st: &Compiled,
    rec: &mut Recorder,
    agencies: &mut Agencies,
    threats: &mut ThreatStates,
    insiders: &mut Insiders,
    console: &mut Console,
) {
    let Agencies { holdings, mods, .. } = agencies;
    let no_action = function_bit(Function::Action);
    for (ti, th) in st.threats.iter().enumerate() {
        let ts = &mut threats.0[ti];
        let hazard = th.impact.is_some();
        if !ts.over {
            for (&r, role) in th.responders.iter().zip(&th.roles) {
                let r = r.ix();
                let (m, h) = (&mods[r], &mut holdings[r]);
                if h.decided[ti] || !m.up || m.lost & no_action != 0 {
                    continue;
                }
                // A team at the console may decide to act now, whatever the evidence.
                let (ag_ix, th_ix) = (AgencyIx::new(r), ThreatIx::new(ti));
                let forced = console.forces(ag_ix, th_ix);
                // At least one independent source judged true; an explicit waiver
                // (`corroboration_relief`) spares the rest.
                if !forced
                    && (h.evidence[ti] == 0 || h.evidence[ti] + m.relief < role.corroboration)
                {
                    continue;
                }
                // Assessing damage and working around an outage need the impact first.
                let mut t = h.evidence_at[ti].max(clock.now);
                if forced {
                    t = clock.now;
                } else if role.after_impact {
                    match ts.impact_at {
                        Some(i) if i < clock.end => t = t.max(i),
                        _ => continue,
                    }
                }
                // The model would decide here; an agency bound to a team waits for it.
                if !forced && console.controls(ag_ix) {
                    console.raise(ag_ix, th_ix, t);
                    continue;
                }
                if forced {
                    console.decided(ag_ix, th_ix);
                }
                h.decided[ti] = true;
                // A partly lost action function (`degree` < 1) slows the action.
                let slow = 1.0 - m.impaired[3];
                let done = t + role.time_to_act.sample(&mut ts.act_rng) / slow;
                ts.pending.push((done, AgencyIx::new(r)));
                let ag = &st.agencies[r];
                rec.log(t, EventKind::Decision, &ag.id, "", || {
                    format!(
                        "{} decides to act on {} ({:?}) with {} independent source(s)",
                        ag.name, th.name, role.action, h.evidence[ti]
                    )
                });
            }
        }
        ts.pending
            .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        while ts.pending.first().is_some_and(|p| p.0 < clock.end) {
            let (t, r) = ts.pending.remove(0);
            let Some(role) = th.role_of(r) else {
                continue;
            };
            let ok = chance(&mut ts.act_rng, role.success_p);
            let ag = &st.agencies[r.ix()];
            if ts.first_action_at.is_none() {
                ts.first_action_at = Some(t);
            }
            if ok {
                let first = &mut ts.acted_ok[r.ix()];
                *first = first.min(t);
            }
            if role.action == ActionKind::PublicWarning && ok {
                ts.public_warning_at.get_or_insert(t);
            }
            // A hazard with an impact is never resolved: actions mitigate its consequences.
            let in_time = !hazard && ts.deadline.is_none_or(|d| t <= d) && ts.harm_at.is_none();
            let mut arrest = None;
            if ok && ts.real && in_time && ts.resolved_at.is_none() {
                ts.resolved_at = Some(t);
                if th.surge.is_none() {
                    ts.over = true;
                }
                // Resolving an insider's threat is their arrest: no further acts.
                if let Some(i) = th.insider
                    && let Some(x) = insiders.0.get_mut(i.ix())
                    && x.active
                    && x.detected_at.is_none()
                {
                    x.detected_at = Some(t);
                    arrest = Some(i);
                }
            }
            if ok && !ts.real {
                ts.false_alarm_acted = true;
            }
            // A failed action is tried again after the retry delay while there is still
            // something to achieve.
            let goal_open = if role.action == ActionKind::PublicWarning {
                ts.public_warning_at.is_none()
            } else if hazard {
                ts.acted_ok[r.ix()].is_infinite()
            } else {
                ts.resolved_at.is_none() && ts.harm_at.is_none()
            };
            let retry = (!ok && !ts.over && goal_open)
                .then_some(role.retry_after)
                .flatten()
                .map(|delay| (t + delay, r));
            if let Some(again) = retry {
                let pos = ts
                    .pending
                    .partition_point(|p| p.0.total_cmp(&again.0).then(p.1.cmp(&again.1)).is_le());
                ts.pending.insert(pos, again);
            }
            rec.log(t, EventKind::Action, &ag.id, "", || {
                let what = match role.action {
                    ActionKind::Interdict => "interdiction",
                    ActionKind::Warn => "warning to partners",
                    ActionKind::Mitigate => "mitigation",
                    ActionKind::PublicWarning => "public warning",
                    ActionKind::MassCare => "mass-care operation",
                    ActionKind::Screen => "screening operation",
                };
                let result = if !ok {
                    match retry {
                        Some((at, _)) => format!("fails; it tries again at {at:.1} h"),
                        None => "fails".to_string(),
                    }
                } else if hazard && ts.real {
                    "succeeds".to_string()
                } else if !in_time {
                    "comes too late".to_string()
                } else if !ts.real {
                    "is taken on a false alarm".to_string()
                } else {
                    "succeeds".to_string()
                };
                format!("{}'s {} on {} {}", ag.name, what, th.name, result)
            });
            if let Some(i) = arrest {
                let x = &st.insiders[i.ix()];
                rec.log(t, EventKind::InsiderDetected, &x.id, "", || {
                    format!(
                        "Investigators arrest insider {} of {}: the insider acts no more",
                        x.id,
                        st.agencies[x.agency.ix()].name
                    )
                });
            }
        }
        if ts.real
            && ts.resolved_at.is_none()
            && ts.harm_at.is_none()
            && let Some(d) = ts.deadline
            && d < clock.end
        {
            ts.harm_at = Some(d);
            if th.surge.is_none() {
                ts.over = true;
            }
            rec.log(d, EventKind::Harm, &th.id, "", || {
                format!("{}: the deadline passes and harm occurs", th.name)
            });
        }
    }
}

/// Logistic share of a surge arrived by hour `x` after its start (0 at x = 0, → 1).
pub(crate) fn surge_share(x: f64, mid: f64, spread: f64) -> f64 {
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    let s0 = sig(-mid / spread);
    ((sig((x - mid) / spread) - s0) / (1.0 - s0)).clamp(0.0, 1.0)
}

/// People arriving in a window with `expected` arrivals: groups of `group_size` arrive as a
/// Poisson process, so the count is `group_size × Poisson(expected / group_size)` (mean
/// `expected`, variance `group_size × expected`).
pub(crate) fn group_arrivals(rng: &mut Stream, expected: f64, group_size: f64) -> f64 {
    let g = group_size.max(1.0);
    let groups = expected / g;
    if groups.is_nan() || groups <= 0.0 {
        return 0.0;
    }
    match Poisson::new(groups) {
        Ok(p) => g * p.sample(rng),
        Err(_) => expected,
    }
}

/// Surge arrivals meet the processing and shelter capacity of informed agencies.
pub(crate) fn surge(
    clock: &Clock,
    st: &Compiled,
    rec: &mut Recorder,
    agencies: &Agencies,
    threats: &mut ThreatStates,
) {
    // A public warning against a rumor counters the word of mouth that drives every surge.
    let rumor_countered = st.threats.iter().zip(&threats.0).any(|(t, s)| {
        t.kind == ThreatKind::Rumor && s.public_warning_at.is_some_and(|w| w < clock.end)
    });
    for (ti, th) in st.threats.iter().enumerate() {
        let Some(Surge {
            total,
            midpoint_h: mid,
            spread_h: spread,
            handoff_h: handoff,
            group_size,
        }) = th.surge
        else {
            continue;
        };
        let ts = &mut threats.0[ti];
        if !ts.real {
            continue;
        }
        let (a, b) = (clock.now - th.start, clock.end - th.start);
        if b <= 0.0 {
            continue;
        }
        let mut expected =
            total * (surge_share(b, mid, spread) - surge_share(a.max(0.0), mid, spread));
        if rumor_countered || ts.public_warning_at.is_some_and(|w| w < clock.end) {
            expected *= 1.0 - st.params.counter_messaging;
        }
        let (mut capacity, mut shelter) = (0.0, 0.0);
        for (ix, a) in st.agencies.iter().enumerate() {
            let Some(Processing {
                per_hour,
                shelter: beds,
            }) = a.processing
            else {
                continue;
            };
            let (h, s, m) = (
                &agencies.holdings[ix],
                &agencies.status[ix],
                &agencies.mods[ix],
            );
            // Capacity is committed by the agency's decision to act, not by being informed.
            if h.decided[ti] && m.up {
                capacity += (per_hour * s.factor + m.extra_processing) * clock.dt;
                shelter += beds + m.extra_shelter;
            }
        }
        let Some(sg) = ts.surge.as_mut() else {
            continue;
        };
        let arrivals = match sg.rng.as_mut() {
            Some(rng) => group_arrivals(rng, expected, group_size),
            None => expected,
        };
        if arrivals > 0.0 {
            sg.cohorts.push_back((clock.now, arrivals));
            sg.arrived += arrivals;
        }
        while capacity > 0.0 {
            let Some(front) = sg.cohorts.front_mut() else {
                break;
            };
            let take = front.1.min(capacity);
            capacity -= take;
            if clock.end - front.0 <= handoff {
                sg.within += take;
            } else {
                sg.late += take;
            }
            front.1 -= take;
            if front.1 <= 1e-9 {
                sg.cohorts.pop_front();
            }
        }
        let unsheltered = (sg.waiting() - shelter).max(0.0);
        if unsheltered > sg.peak_unsheltered + 0.5
            && unsheltered >= 1000.0 * (sg.peak_unsheltered / 1000.0).floor() + 1000.0
        {
            rec.log(clock.end, EventKind::Surge, &th.id, "", || {
                format!(
                    "{}: {:.0} people waiting without shelter",
                    th.name, unsheltered
                )
            });
        }
        if unsheltered > sg.peak_unsheltered {
            sg.peak_unsheltered = unsheltered;
            sg.peak_unsheltered_at = clock.end;
        }
    }
}
