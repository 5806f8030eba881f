//! Hazards: an impact that strikes at its drawn time whatever the players do, the people it
//! leaves without shelter, and the outages of shared services it causes with their
//! crew-driven restoration (docs/model.md §18).

use super::clock::Clock;
use super::compile::{Compiled, Outage};
use super::outcome::EventKind;
use super::recorder::Recorder;
use super::state::{Agencies, ModsDue, OutageState, ThreatStates};
use crate::scenario::schema::ActionKind;

/// Customers restored once `work` crew-hours have been spent: none until the first
/// restoration needs `first_restore`, then `per_crew_hour` per crew-hour, up to all of them.
pub(crate) fn restored_after(o: &Outage, work: f64) -> f64 {
    (o.per_crew_hour * (work - o.first_restore).max(0.0)).min(o.customers)
}

/// ∫ customers out dt over [a, b] while work grows from `w_a` at `crews` per hour (exact:
/// the curve is piecewise linear, so the trapezoid rule on its pieces is exact).
pub(crate) fn customer_hours(o: &Outage, a: f64, b: f64, w_a: f64, crews: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let out = |t: f64| o.customers - restored_after(o, w_a + crews * (t - a));
    let mut cuts = vec![a, b];
    if crews > 0.0 {
        for w in [
            o.first_restore,
            o.first_restore + o.customers / o.per_crew_hour.max(1e-300),
        ] {
            let t = a + (w - w_a) / crews;
            if t > a && t < b {
                cuts.push(t);
            }
        }
    }
    cuts.sort_by(f64::total_cmp);
    cuts.windows(2)
        .map(|w| (w[1] - w[0]) * (out(w[0]) + out(w[1])) / 2.0)
        .sum()
}

/// Strike impacts due in this window, restore outages with the crews present, and count
/// people without shelter.
pub(crate) fn strike(
    clock: &Clock,
    st: &Compiled,
    rec: &mut Recorder,
    agencies: &mut Agencies,
    threats: &mut ThreatStates,
    due: &mut ModsDue,
) {
    let (now, end) = (clock.now, clock.end);
    for (ti, th) in st.threats.iter().enumerate() {
        let Some(im) = &th.impact else {
            continue;
        };
        let ts = &mut threats.0[ti];
        let Some(t_i) = ts.impact_at.filter(|&t| t < end) else {
            continue;
        };
        let warned_before = ts.public_warning_at.is_some_and(|w| w <= t_i);
        let acted_ok = &ts.acted_ok;
        let Some(hz) = ts.hazard.as_mut() else {
            continue;
        };
        if !hz.struck {
            hz.struck = true;
            ts.harm_at = Some(t_i);
            let evac = if warned_before { im.evacuation } else { 0.0 };
            hz.displaced = (im.displaced * (1.0 - evac)).round();
            rec.log(t_i, EventKind::Harm, &th.id, "", || {
                format!("{}: impact", th.name)
            });
            for o in &im.outages {
                agencies.status[o.service.ix()].service_out += 1;
                due.mark();
                let svc = &st.agencies[o.service.ix()];
                rec.log(t_i, EventKind::Failure, &svc.id, "", || {
                    format!("{}'s service is out", svc.name)
                });
            }
        }
        for (o, os) in im.outages.iter().zip(hz.outages.iter_mut()) {
            restore(st, o, os, (t_i, now, end), acted_ok, agencies);
            let back = os.back_at.is_none().then(|| {
                let work_around = o
                    .workaround_by
                    .map(|a| acted_ok[a.ix()].max(t_i))
                    .filter(|&w| w < end);
                // Events at or after the window's end wait for the next window.
                match (os.first_restored_at.filter(|&f| f < end), work_around) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            });
            if let Some(Some(b)) = back {
                os.back_at = Some(b);
                let s = &mut agencies.status[o.service.ix()];
                s.service_out = s.service_out.saturating_sub(1);
                due.mark();
                let svc = &st.agencies[o.service.ix()];
                rec.log(b, EventKind::Repair, &svc.id, "", || {
                    format!("{}'s service is back", svc.name)
                });
            }
        }
        // Shelter opened by agencies whose mass-care action succeeded, while they are up.
        let mut open = 0.0;
        for (&r, role) in th.responders.iter().zip(&th.roles) {
            let r = r.ix();
            if role.action != ActionKind::MassCare || acted_ok[r] >= end {
                continue;
            }
            let m = &agencies.mods[r];
            if !m.up {
                continue;
            }
            let own = st.agencies[r].processing.map_or(0.0, |p| p.shelter);
            open += (own + m.extra_shelter).max(0.0);
        }
        let unsheltered = (hz.displaced - open.floor()).max(0.0);
        hz.peak_unsheltered = hz.peak_unsheltered.max(unsheltered);
        hz.unsheltered_hours += unsheltered * (end - now.max(t_i));
    }
}

/// Restore outage `o` over the window [now, end) after the impact at `t_i`: the crews of its
/// service (its own and those arrived) work from the impact, or from a successful damage
/// assessment when `assessed_by` is set.
fn restore(
    st: &Compiled,
    o: &Outage,
    os: &mut OutageState,
    (t_i, now, end): (f64, f64, f64),
    acted_ok: &[f64],
    agencies: &Agencies,
) {
    let start = o.assessed_by.map_or(t_i, |a| acted_ok[a.ix()].max(t_i));
    let crews = st.agencies[o.service.ix()].crews + agencies.status[o.service.ix()].arrived_crews;
    let from = now.max(t_i);
    let a = now.max(start);
    // Before work starts in this window the curve is flat.
    let mut hours = if a > from {
        (a.min(end) - from) * (o.customers - os.restored)
    } else {
        0.0
    };
    let w_a = os.work;
    if a < end {
        hours += customer_hours(o, a, end, w_a, crews);
        let w_end = w_a + crews * (end - a);
        if os.first_restored_at.is_none() && w_end >= o.first_restore && crews > 0.0 {
            os.first_restored_at = Some(a + ((o.first_restore - w_a) / crews).max(0.0));
        }
        for (k, &w) in o.checkpoints.iter().enumerate() {
            let at = t_i + w;
            if at >= now && at < end && o.customers > 0.0 {
                let work = w_a + crews * (at - a).max(0.0);
                os.shares[k] = restored_after(o, work) / o.customers;
            }
        }
        os.work = w_end;
        os.restored = restored_after(o, w_end);
    } else {
        for (k, &w) in o.checkpoints.iter().enumerate() {
            let at = t_i + w;
            if at >= now && at < end && o.customers > 0.0 {
                os.shares[k] = os.restored / o.customers;
            }
        }
    }
    os.customer_hours += hours;
}
