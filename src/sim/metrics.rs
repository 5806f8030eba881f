//! Run metrics: running tallies, the per-tick watch values triggers read, series samples, and
//! the final [`RunOutcome`] computed from the end state.

use super::clock::{Clock, Static};
use super::compile::{Compiled, DriverSource, Judge, MetricKind};
use super::outcome::*;
use super::recorder::Recorder;
use super::state::{
    Agencies, Channels, InjectStates, Insiders, Items, Links, Tally, ThreatStates, Tick, Watch,
    equity_log_ratio, mean_trust,
};
use crate::scenario::schema::ThreatKind;
use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;

/// Add the tallies, watch values and series buffers to the world.
pub(crate) fn install(world: &mut World) {
    world.init_resource::<Tally>();
    world.init_resource::<Watch>();
    world.init_resource::<SeriesBuf>();
    world.init_resource::<FunctionLoss>();
    world.init_resource::<Exposure>();
    world.init_resource::<PartnershipDown>();
}

/// Zero the tallies, watch values and series for a new run.
pub(crate) fn reset(world: &mut World, st: &Compiled) {
    *world.resource_mut::<Tally>() = Tally::default();
    let mut watch = world.resource_mut::<Watch>();
    watch.informed.clear();
    watch.informed.resize(st.threats.len(), 0);
    watch.informed_any = 0;
    watch.backlog = 0;
    let mut loss = world.resource_mut::<FunctionLoss>();
    loss.0.clear();
    loss.0.resize(st.agencies.len(), 0.0);
    let mut exposure = world.resource_mut::<Exposure>();
    exposure.0.clear();
    exposure.0.resize(st.agencies.len(), 0.0);
    let mut down = world.resource_mut::<PartnershipDown>();
    down.on = st
        .metric_kinds
        .iter()
        .any(|k| matches!(k, MetricKind::PartnershipUptime(_)));
    down.hours.clear();
    down.hours.resize(st.partnerships.len(), 0.0);
    down.now.clear();
    down.now.resize(st.partnerships.len(), false);
    // The series leave with each outcome, so each run starts fresh buffers of the right size.
    world.resource_mut::<SeriesBuf>().0 =
        vec![Vec::with_capacity(st.catalog.series_times.len()); st.catalog.series.len()];
}

/// Swap the message buffers once per tick (no bevy_app here), at the end of the Metrics phase.
pub(crate) fn update_messages(t: Tick) {
    t.analysed.update();
    t.signals.update();
    t.act_now.update();
}

/// Series samples, `[series][sample]`.
#[derive(Resource, Debug, Default, Clone)]
pub(crate) struct SeriesBuf(pub(crate) Vec<Vec<f32>>);

/// Hours each agency, while up, had at least one function lost through a dependency, by
/// agency.
#[derive(Resource, Debug, Default, Clone)]
pub(crate) struct FunctionLoss(pub(crate) Vec<f64>);

/// Each agency's exposure to lost partners and services so far: Σ over its dependencies of
/// hours lost × `degree` while it is up [h], by agency.
#[derive(Resource, Debug, Default, Clone)]
pub(crate) struct Exposure(pub(crate) Vec<f64>);
/// Hours each partnership was out of working order (a link withdrawn or held, or a partner
/// down), by partnership; kept only when a metric asks for up-time.
#[derive(Resource, Debug, Default, Clone)]
pub(crate) struct PartnershipDown {
    /// Some metric needs it.
    pub(crate) on: bool,
    /// Hours out of order, by partnership.
    pub(crate) hours: Vec<f64>,
    /// Scratch: out of order in this tick, by partnership.
    pub(crate) now: Vec<bool>,
}

/// The Metrics phase's own buffers.
#[derive(SystemParam)]
pub(crate) struct Bufs<'w> {
    /// Series samples.
    series: ResMut<'w, SeriesBuf>,
    /// Hours of function loss by agency.
    loss: ResMut<'w, FunctionLoss>,
    /// Exposure to lost partners by agency.
    exposure: ResMut<'w, Exposure>,
    /// Hours out of order by partnership.
    pdown: ResMut<'w, PartnershipDown>,
}

/// Update watch values and, every stride, sample the series.
pub(crate) fn record(t: Tick, bufs: &mut Bufs) {
    let Tick {
        clock,
        st,
        flight,
        links,
        threats,
        agencies,
        tally,
        watch,
        ..
    } = t;
    let Bufs {
        series,
        loss,
        exposure,
        pdown,
    } = bufs;
    let backlog = agencies.backlog;
    debug_assert_eq!(
        backlog,
        agencies
            .queue
            .iter()
            .map(|q| q.waiting.len() as u64)
            .sum::<u64>()
    );
    if agencies.any_lost {
        for (h, m) in loss.0.iter_mut().zip(&agencies.mods) {
            if m.up && m.lost != 0 {
                *h += clock.dt;
            }
        }
    }
    if agencies.any_exposure {
        for (x, m) in exposure.0.iter_mut().zip(&agencies.mods) {
            if m.up && m.exposure_rate > 0.0 {
                *x += m.exposure_rate * clock.dt;
            }
        }
    }
    if pdown.on {
        let PartnershipDown { hours, now, .. } = &mut **pdown;
        now.fill(false);
        for (ls, l) in st.links.iter().zip(&links.0) {
            if l.is_closed()
                || !agencies.status[ls.from.ix()].up()
                || !agencies.status[ls.to.ix()].up()
            {
                now[ls.partnership.ix()] = true;
            }
        }
        for (h, &d) in hours.iter_mut().zip(now.iter()) {
            if d {
                *h += clock.dt;
            }
        }
    }
    watch.backlog = backlog;
    tally.peak_backlog = tally.peak_backlog.max(backlog);
    if !clock.tick.is_multiple_of(st.series_stride) {
        return;
    }
    let up = agencies.status.iter().filter(|s| s.up()).count() as u32;
    // Trust moves only in the Trust phase, which forgets the last mean when it moves any.
    let trust = &links.1.trust;
    let mean_trust = *links
        .1
        .mean_trust
        .get_or_insert_with(|| mean_trust(trust).unwrap_or(1.0));
    let values = [
        watch.informed_any as f32,
        flight.len() as f32,
        backlog as f32,
        mean_trust as f32,
        up as f32,
    ];
    for (i, v) in values.iter().enumerate() {
        series.0[i].push(*v);
    }
    if series.0.len() > values.len() {
        let waiting: f64 = threats
            .0
            .iter()
            .filter_map(|t| t.surge.as_ref())
            .map(|s| s.waiting())
            .sum();
        series.0[values.len()].push(waiting as f32);
    }
}

/// An agency's end-of-run figures.
struct AgencyEnd<'a> {
    informed_at: &'a [f64],
    wait_sum: f64,
    busy: f64,
    served: u64,
    capacity_hours: f64,
    down: f64,
}

/// The metrics and objective results of the run so far, as if it ended at `end` [h] (the
/// end of the run, or a time an `ObjectiveMet`/`ObjectiveMissed` trigger judges at).
pub(crate) fn measure(
    world: &World,
    st: &Compiled,
    end: f64,
) -> (Vec<Option<f64>>, Vec<ObjectiveResult>) {
    let agencies = world.resource::<Agencies>();
    let rows: Vec<AgencyEnd> = (0..agencies.status.len())
        .map(|ix| {
            let (h, qu, s) = (
                &agencies.holdings[ix],
                &agencies.queue[ix],
                &agencies.status[ix],
            );
            let mut down = s.down_time;
            if let Some(since) = s.down_since {
                down += (end - since).max(0.0);
            }
            AgencyEnd {
                informed_at: &h.informed_at,
                wait_sum: qu.wait_sum,
                busy: qu.busy,
                served: qu.served,
                capacity_hours: qu.capacity_hours(agencies.since_staffing),
                down,
            }
        })
        .collect();
    let tally = world.resource::<Tally>().clone();
    let threats = world.resource::<ThreatStates>();
    let links = world.resource::<Links>();
    let insiders = world.resource::<Insiders>();
    let loss = world.resource::<FunctionLoss>();
    let exposure = world.resource::<Exposure>();
    let outage = |t: crate::ids::ThreatIx, j: u16| {
        let o = st
            .threats
            .get(t.ix())?
            .impact
            .as_ref()?
            .outages
            .get(usize::from(j))?;
        let ts = threats.0.get(t.ix())?;
        let os = ts.hazard.as_ref()?.outages.get(usize::from(j))?;
        Some((o, os, ts.impact_at.filter(|&i| i < end)?))
    };
    let items = world.resource::<Items>();
    let held = &world.resource::<Agencies>().held;
    // Threats with false items although real (planted reports, disinformation).
    let mut planted = vec![false; st.threats.len()];
    for it in &items.0 {
        if !it.truth && threats.0[it.threat.ix()].real {
            planted[it.threat.ix()] = true;
        }
    }

    let metric = |k: &MetricKind| -> Option<f64> {
        // A threat tied to an insider who is not active never existed in this run.
        if k.threat().is_some_and(|t| threats.0[t.ix()].dormant) {
            return None;
        }
        match *k {
            MetricKind::TimeToDetection(t) => threats.0[t.ix()]
                .detected_at
                .map(|d| d - st.threats[t.ix()].start),
            MetricKind::TimeToFirstShare(t) => {
                let s = &threats.0[t.ix()];
                Some(s.first_share_at? - s.detected_at?)
            }
            MetricKind::Coverage {
                threat: t,
                within_h: w,
            } => {
                let ntk = &st.threats[t.ix()].ntk;
                if ntk.is_empty() || !threats.0[t.ix()].real {
                    return None;
                }
                let Some(d) = threats.0[t.ix()].detected_at else {
                    return Some(0.0);
                };
                let n = ntk
                    .iter()
                    .filter(|&&a| rows[a.ix()].informed_at[t.ix()] <= d + w)
                    .count();
                Some(n as f64 / ntk.len() as f64)
            }
            MetricKind::FinalCoverage(t) => {
                let ntk = &st.threats[t.ix()].ntk;
                if ntk.is_empty() || !threats.0[t.ix()].real {
                    return None;
                }
                // Only true information counts: an agency holding nothing but planted false
                // reports about a real threat is not covered.
                let true_items: Vec<u32> = if planted[t.ix()] {
                    (0..items.0.len() as u32)
                        .filter(|&i| {
                            let it = &items.0[i as usize];
                            it.threat == t && it.truth
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let n = ntk
                    .iter()
                    .filter(|&&a| {
                        rows[a.ix()].informed_at[t.ix()].is_finite()
                            && (!planted[t.ix()] || true_items.iter().any(|&i| held.holds(a, i)))
                    })
                    .count();
                Some(n as f64 / ntk.len() as f64)
            }
            MetricKind::TimeToAction(t) => threats.0[t.ix()]
                .first_action_at
                .map(|a| a - st.threats[t.ix()].start),
            MetricKind::Resolved(t) => {
                let s = &threats.0[t.ix()];
                Some(if s.real {
                    f64::from(u8::from(s.resolved_at.is_some()))
                } else {
                    f64::from(u8::from(!s.false_alarm_acted))
                })
            }
            MetricKind::ProcessedWithinHandoff(t) => {
                if !threats.0[t.ix()].real {
                    return None;
                }
                let sg = threats.0[t.ix()].surge.as_ref()?;
                let handoff = st.threats[t.ix()].surge.map(|s| s.handoff_h).unwrap_or(0.0);
                let overdue: f64 = sg
                    .cohorts
                    .iter()
                    .filter(|c| end - c.0 > handoff)
                    .map(|c| c.1)
                    .sum();
                let denom = sg.within + sg.late + overdue;
                Some(if denom > 0.0 { sg.within / denom } else { 1.0 })
            }
            // People are whole: the surge model moves fractional flows, the peak is rounded.
            MetricKind::PeakUnsheltered(t) => threats.0[t.ix()]
                .surge
                .as_ref()
                .map(|s| s.peak_unsheltered.round()),
            MetricKind::PeakUnshelteredTime(t) => threats.0[t.ix()]
                .surge
                .as_ref()
                .filter(|s| s.peak_unsheltered > 0.0)
                .map(|s| s.peak_unsheltered_at - st.threats[t.ix()].start),
            MetricKind::FalseAlarmActed(t) => {
                Some(f64::from(u8::from(threats.0[t.ix()].false_alarm_acted)))
            }
            MetricKind::RetractionTime(t) => {
                let s = &threats.0[t.ix()];
                Some(s.retracted_at? - s.first_false_share_at?).map(|x| x.max(0.0))
            }
            MetricKind::TimeToPublicWarning(t) => threats.0[t.ix()]
                .public_warning_at
                .map(|w| w - st.threats[t.ix()].start),
            MetricKind::InsiderDetectionTime(i) => {
                let s = insiders.0.get(i.ix())?;
                if !s.active {
                    return None;
                }
                s.detected_at.map(|d| d - st.insiders[i.ix()].start)
            }
            MetricKind::Availability(a) => Some(if end > 0.0 {
                1.0 - rows[a.ix()].down / end
            } else {
                1.0
            }),
            MetricKind::FunctionLostHours(a) => loss.0.get(a.ix()).map(|h| h.min(end)),
            MetricKind::LeakExposure => Some(tally.exposure),
            MetricKind::InsiderExposure => Some(tally.insider_exposure),
            MetricKind::BlockedButNeeded => Some(tally.blocked.iter().sum::<u64>() as f64),
            MetricKind::BlockedBy(r) => Some(tally.blocked[r.index()] as f64),
            MetricKind::HandlingViolations => Some(tally.violations as f64),
            MetricKind::ViolationsOf(v) => Some(tally.violation_kinds[v.index()] as f64),
            MetricKind::LegalFindings => Some(tally.legal_findings as f64),
            MetricKind::MinTrust => links.1.trust.iter().copied().reduce(f64::min),
            MetricKind::MeanTrust => mean_trust(&links.1.trust),
            MetricKind::Withdrawals => {
                Some(links.0.iter().filter(|l| l.withdrawn_at.is_some()).count() as f64)
            }
            MetricKind::MeanQueueWait => {
                let served: u64 = rows.iter().map(|r| r.served).sum();
                (served > 0).then(|| rows.iter().map(|r| r.wait_sum).sum::<f64>() / served as f64)
            }
            MetricKind::PeakBacklog => Some(tally.peak_backlog as f64),
            MetricKind::Utilisation => {
                let cap: f64 = rows.iter().map(|r| r.capacity_hours).sum();
                (cap > 0.0).then(|| (rows.iter().map(|r| r.busy).sum::<f64>() / cap).min(1.0))
            }
            MetricKind::ExpiredItems => Some(tally.expired as f64),
            MetricKind::ItemsDelivered => Some(tally.delivered as f64),
            MetricKind::ImpactTime(t) => threats.0[t.ix()]
                .impact_at
                .filter(|&i| i < end)
                .map(|i| i - st.threats[t.ix()].start),
            MetricKind::ShelterPeak(t) => threats.0[t.ix()]
                .hazard
                .as_ref()
                .map(|h| h.peak_unsheltered.round()),
            MetricKind::ShelterHours(t) => threats.0[t.ix()]
                .hazard
                .as_ref()
                .map(|h| h.unsheltered_hours),
            MetricKind::TimeToActionBy(t, a) => threats.0[t.ix()]
                .acted_ok
                .get(a.ix())
                .filter(|x| x.is_finite())
                .map(|x| x - st.threats[t.ix()].start),
            MetricKind::CustomerHours(t, j) => outage(t, j).map(|(_, os, _)| os.customer_hours),
            MetricKind::RestoredShare {
                threat: t,
                outage: j,
                within_h: w,
            } => {
                let (o, os, _) = outage(t, j)?;
                let k = o.checkpoints.iter().position(|&c| c == w)?;
                let share = os.shares[k];
                (!share.is_nan()).then_some(share)
            }
            MetricKind::HoursWithoutService(t, j) => {
                outage(t, j).map(|(_, os, i)| os.back_at.unwrap_or(end).min(end) - i)
            }
            MetricKind::TimeToFirstRestoration(t, j) => {
                let (_, os, i) = outage(t, j)?;
                os.first_restored_at.map(|f| f - i)
            }
            MetricKind::ServiceExposure(a) => exposure.0.get(a.ix()).map(|h| h.min(end)),
            MetricKind::PartnershipUptime(p) => {
                let pdown = world.resource::<PartnershipDown>();
                let h = *pdown.hours.get(p.ix())?;
                let has_links = st.links.iter().any(|l| l.partnership == p);
                Some(if !has_links {
                    0.0
                } else if end > 0.0 {
                    (1.0 - h / end).clamp(0.0, 1.0)
                } else {
                    1.0
                })
            }
            MetricKind::ItemsCarried(p) => p.get().map(|p| {
                st.links
                    .iter()
                    .zip(&links.0)
                    .filter(|(ls, _)| ls.partnership == p)
                    .map(|(_, l)| f64::from(l.items))
                    .sum()
            }),
            MetricKind::FirstItemCarried {
                partnership: p,
                threat: t,
            } => {
                let p = p.get()?;
                let first = st
                    .links
                    .iter()
                    .zip(&links.0)
                    .filter(|(ls, _)| ls.partnership == p)
                    .filter_map(|(_, l)| match t.get() {
                        None => l.first_item_at,
                        Some(t) => l.first_by_threat.iter().find(|e| e.0 == t).map(|e| e.1),
                    })
                    .reduce(f64::min)?;
                let from = t.get().map_or(0.0, |t| st.threats[t.ix()].start);
                Some((first - from).max(0.0))
            }
        }
    };
    let metrics: Vec<Option<f64>> = st.metric_kinds.iter().map(metric).collect();
    let objectives: Vec<ObjectiveResult> = st
        .objectives
        .iter()
        .map(|o| {
            let value = metrics[o.metric.ix()];
            // An insider who never turned has nothing to detect, and a threat tied to them
            // never surfaced: the objective does not apply to this run.
            let kind = st.metric_kinds[o.metric.ix()];
            let not_applicable = match kind {
                MetricKind::InsiderDetectionTime(i) => {
                    insiders.0.get(i.ix()).is_some_and(|s| !s.active)
                }
                // Coverage of true information and hand-off processing have nothing to
                // measure on a threat that is not real.
                MetricKind::Coverage { threat: t, .. }
                | MetricKind::FinalCoverage(t)
                | MetricKind::ProcessedWithinHandoff(t) => {
                    threats.0.get(t.ix()).is_some_and(|s| s.dormant || !s.real)
                }
                // Detection and sharing happen on false signals too (players cannot tell), so
                // they apply to a false alarm; but not to a threat that starts only after
                // the exercise.
                MetricKind::TimeToDetection(t) | MetricKind::TimeToFirstShare(t) => {
                    threats.0.get(t.ix()).is_some_and(|s| s.dormant)
                        || st.threats.get(t.ix()).is_some_and(|x| x.start >= end)
                }
                // Acting on, or warning the public about, a threat that is not real is a false
                // alarm (`FalseAlarmActed`), not a success: these apply only where it is real.
                // A rumor's warning counters it whether or not it is true.
                MetricKind::TimeToAction(t) | MetricKind::TimeToPublicWarning(t) => {
                    let rumor = matches!(kind, MetricKind::TimeToPublicWarning(_))
                        && st
                            .threats
                            .get(t.ix())
                            .is_some_and(|x| x.kind == ThreatKind::Rumor);
                    threats
                        .0
                        .get(t.ix())
                        .is_some_and(|s| s.dormant || (!s.real && !rumor))
                        || st.threats.get(t.ix()).is_some_and(|x| x.start >= end)
                }
                // Nothing false was shared: there was nothing to retract.
                MetricKind::RetractionTime(t) => threats
                    .0
                    .get(t.ix())
                    .is_some_and(|s| s.dormant || s.first_false_share_at.is_none()),
                _ => kind
                    .threat()
                    .is_some_and(|t| threats.0.get(t.ix()).is_some_and(|s| s.dormant)),
            };
            if not_applicable {
                return ObjectiveResult {
                    value,
                    met: false,
                    applicable: false,
                };
            }
            let met = match (o.judge, value) {
                (_, None) => false,
                (Judge::Within(w), Some(v)) => v <= w,
                (Judge::AtLeast(x), Some(v)) => v >= x - 1e-12,
                (Judge::AtMost(x), Some(v)) => v <= x + 1e-12,
            };
            ObjectiveResult {
                value,
                met,
                applicable: true,
            }
        })
        .collect();
    (metrics, objectives)
}

/// While a run is recorded (an exemplar, `tabletop run`, the console), judge the objectives at
/// the end of each tick and log when each becomes met or stops being met, and, at the end of
/// the exercise, each one not met. Runs that are not recorded skip it (it measures the whole
/// run state).
pub(crate) fn watch_objectives(world: &mut World) {
    if !world.resource::<Recorder>().on {
        return;
    }
    let st = world.resource::<Static>().0.clone();
    let clock = *world.resource::<Clock>();
    let t = clock.end.min(st.duration);
    let (_, results) = measure(world, &st, t);
    let last = clock.end >= st.duration;
    let cat = &st.catalog;
    let mut rec = world.resource_mut::<Recorder>();
    let first = rec.objectives.is_empty();
    if first {
        rec.objectives = vec![(None, false); results.len()];
    }
    for (o, r) in results.iter().enumerate() {
        let (Some(d), Some(&(was, told))) = (cat.objectives.get(o), rec.objectives.get(o)) else {
            continue;
        };
        let now = r.applicable.then_some(r.met);
        // A limit not exceeded is met from the start: not news.
        let news = !(first && matches!(st.objectives[o].judge, Judge::AtMost(_)));
        let met = now == Some(true) && was != Some(true) && news;
        let lost = now == Some(false) && was == Some(true);
        let status = if met {
            "is met"
        } else if lost {
            "is no longer met"
        } else if last && now == Some(false) && !told {
            "is not met when the exercise ends"
        } else {
            rec.objectives[o].0 = now;
            continue;
        };
        rec.log(t, EventKind::Objective, &d.id, "", || {
            format!(
                "Objective {} {status}: {} (target {}; value {})",
                d.id,
                d.description,
                d.target,
                super::narrative::fmt_value(r.value, cat.unit_of(&d.metric))
            )
        });
        rec.objectives[o] = (now, true);
    }
}

/// Compute the run's outcome from the final world.
pub(crate) fn finish(world: &mut World, run_index: u64) -> RunOutcome {
    let st = world.resource::<Static>().clone();
    let (metrics, objectives) = measure(world, &st, st.duration);
    let agencies = world.resource::<Agencies>();
    let ever_down: Vec<bool> = agencies.status.iter().map(|s| s.ever_down).collect();
    let threats = world.resource::<ThreatStates>();
    let links = world.resource::<Links>();
    let insiders = world.resource::<Insiders>();
    let injs = world.resource::<InjectStates>();
    let channels = world.resource::<Channels>();
    // Partnerships lost at some point (either direction), in one pass over the links.
    let mut lost = vec![false; st.partnerships.len()];
    for (ls, l) in st.links.iter().zip(&links.0) {
        lost[ls.partnership.ix()] |= l.ever_lost;
    }
    let drivers = st
        .drivers
        .iter()
        .map(|d| match *d {
            DriverSource::AgencyDown(a) => ever_down[a.ix()],
            DriverSource::ChannelDown(c) => channels.0[c.ix()].ever_down,
            DriverSource::InsiderActed(i) => insiders.0[i.ix()].acts > 0,
            DriverSource::PartnershipLost(p) => lost[p.ix()],
            DriverSource::InjectFired(i) => injs.fired_at[i.ix()].is_some(),
            DriverSource::ThreatReal(t) => threats.0[t.ix()].real,
        })
        .collect();
    let link_results = links
        .0
        .iter()
        .zip(&st.links)
        .zip(&links.1.trust)
        .map(|((l, ls), &end_trust)| LinkResult {
            items: l.items,
            end_trust,
            withdrawn: l.withdrawn_at.is_some(),
            compromised: l.compromised,
            received: l.received,
            exposure: l.exposure,
            origin_exposure: l.origin_exposure,
            violations: l.violations,
            violating_offers: l.violating_offers,
            legal_findings: l.legal_findings,
            equity_log_ratio: ls.reverse.map_or(0.0, |r| {
                equity_log_ratio(
                    links.0[r.ix()].value_total,
                    l.value_total,
                    ls.expected_equity,
                )
            }),
            trust_withdrawn: l.withdrawn,
        })
        .collect();
    let series = std::mem::take(&mut world.resource_mut::<SeriesBuf>().0);
    let mut timeline = std::mem::take(&mut world.resource_mut::<Recorder>().events);
    timeline.sort_by_time();
    RunOutcome {
        run_index,
        metrics,
        objectives,
        drivers,
        series,
        links: link_results,
        timeline,
    }
}
