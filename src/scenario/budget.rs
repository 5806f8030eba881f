//! The estimated cost of one run, checked before anything runs, so that a hostile or
//! careless scenario cannot take hours or gigabytes.
//!
//! Work per run ≈ agencies × ticks (the per-tick systems) + signals × directed partnerships
//! (each item may be offered over every link), with ticks = duration ÷ tick and signals =
//! Σ over threats of (duration − start) ÷ typical signal interval × observers. Memory per run
//! ≈ signals × agencies × 64 bytes (who holds which item). The limits are far above every
//! shipped scenario (the largest, national-exercise, estimates 8.9 million units and
//! 110 MiB: under 1% and 3% of them); `--max-work` raises the work limit for those who
//! mean it.

use super::ValidScenario;
use super::schema::{Dist, Duration};
use crate::error::{Error, Result};

/// Default limit on the estimated work units of one run.
pub const DEFAULT_MAX_WORK: f64 = 5.0e9;
/// Limit on the estimated memory of one run, bytes (4 GiB).
pub const MAX_MEMORY: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

/// The estimate for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Simulation ticks.
    pub ticks: f64,
    /// Agencies.
    pub agencies: f64,
    /// Directed partnerships (links).
    pub links: f64,
    /// Expected signals (items created).
    pub signals: f64,
    /// Work units: agencies × ticks + signals × links.
    pub work: f64,
    /// Bytes: signals × agencies × 64.
    pub memory: f64,
    /// The field contributing most signals or insider acts (`threats[id].signal_interval`
    /// or `insiders[id].actions_per_month`), with its count.
    pub top_threat: Option<(String, f64)>,
}

/// A typical value (mean, or median for log-normal) of a time distribution, hours; floored
/// at one second so that a zero interval counts as very many signals, not infinitely many.
fn typical(d: &Dist<Duration>) -> f64 {
    let h = match d {
        Dist::Fixed(v) => v.hours(),
        Dist::Uniform { min, max } => (min.hours() + max.hours()) / 2.0,
        Dist::Triangular { min, mode, max } => (min.hours() + mode.hours() + max.hours()) / 3.0,
        Dist::Exponential { mean } => mean.hours(),
        Dist::LogNormal { median, .. } => median.hours(),
        Dist::Weibull { scale, .. } => scale.hours(),
    };
    if h.is_finite() {
        h.max(1.0 / 3600.0)
    } else {
        1.0 / 3600.0
    }
}

/// Estimate one run of `sc`.
pub fn estimate(sc: &ValidScenario) -> Estimate {
    let s = sc.spec();
    let dur = s.exercise.duration.hours();
    let ticks = (dur / s.exercise.tick.hours().max(1e-9)).ceil();
    let agencies = s.agencies.len() as f64;
    let links = 2.0 * s.partnerships.len() as f64;
    let mut signals = 0.0;
    let mut top: Option<(String, f64)> = None;
    for t in &s.threats {
        let span = (dur - t.start.hours()).max(0.0);
        let n = span / typical(&t.signal_interval) * t.observed_by.len().max(1) as f64;
        signals += n;
        if top.as_ref().is_none_or(|x| n > x.1) {
            top = Some((t.id.clone(), n));
        }
    }
    // Insider acts: each is an event and an item that may travel every link.
    let mut top_insider: Option<(String, f64)> = None;
    for i in &s.insiders {
        let n = i.actions_per_month.per_hour().max(0.0) * dur;
        signals += n;
        if n > top.as_ref().map_or(0.0, |x| x.1) && top_insider.as_ref().is_none_or(|x| n > x.1) {
            top_insider = Some((i.id.clone(), n));
        }
    }
    let top = match top_insider {
        Some((id, n)) => Some((format!("insiders[{id}].actions_per_month"), n)),
        None => top.map(|(id, n)| (format!("threats[{id}].signal_interval"), n)),
    };
    Estimate {
        ticks,
        agencies,
        links,
        signals,
        work: agencies * ticks + signals * links,
        memory: signals * agencies * 64.0,
        top_threat: top,
    }
}

fn big(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.1} billion", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.1} million", x / 1e6)
    } else {
        format!("{x:.0}")
    }
}

/// Refuse (exit 2) a scenario whose estimated work per run exceeds `max_work` or whose
/// estimated memory exceeds [`MAX_MEMORY`], naming the field that makes it large.
pub fn check(sc: &ValidScenario, max_work: f64) -> Result<Estimate> {
    let e = estimate(sc);
    let file = sc.path.display().to_string();
    let tick_part = e.agencies * e.ticks;
    let signal_part = e.signals * e.links;
    let culprit = |memory: bool| -> String {
        if !memory && tick_part >= signal_part {
            format!(
                "`exercise.tick` (and `exercise.duration`): {} ticks × {} agencies; use a \
                 longer tick or a shorter exercise",
                big(e.ticks),
                e.agencies
            )
        } else {
            let (field, n) = e.top_threat.clone().unwrap_or_default();
            format!(
                "`{field}`: about {} signals and acts per run ({} from this one) × {} {}; \
                 use a longer signal interval, fewer observers or fewer insider acts",
                big(e.signals),
                big(n),
                if memory { e.agencies } else { e.links },
                if memory {
                    "agencies that may hold each"
                } else {
                    "directed partnerships to carry each"
                }
            )
        }
    };
    if e.work.is_nan() || e.work > max_work {
        return Err(Error::usage(
            file,
            format!(
                "one run of this scenario is estimated at {} work units, above the limit of \
                 {} (hours per batch, not seconds); the largest factor is {}. If you mean \
                 it, pass --max-work {:.0}",
                big(e.work),
                big(max_work),
                culprit(false),
                (e.work * 1.1).ceil()
            ),
        ));
    }
    if e.memory.is_nan() || e.memory > MAX_MEMORY {
        return Err(Error::usage(
            file,
            format!(
                "one run of this scenario is estimated to need {:.1} GiB of memory, above the \
                 limit of {:.0} GiB; the largest factor is {}",
                e.memory / 1024f64.powi(3),
                MAX_MEMORY / 1024f64.powi(3),
                culprit(true)
            ),
        ));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_scenarios_are_far_below_the_limits() {
        for f in std::fs::read_dir("scenarios").unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_none_or(|x| x != "ron") {
                continue;
            }
            let sc = super::super::load(&p).unwrap();
            let e = check(&sc, DEFAULT_MAX_WORK).unwrap();
            assert!(e.work < DEFAULT_MAX_WORK / 100.0, "{}: {e:?}", p.display());
            assert!(e.memory < MAX_MEMORY / 20.0, "{}: {e:?}", p.display());
        }
    }

    #[test]
    fn the_fuzzed_out_of_memory_input_is_refused_naming_the_insider_field() {
        let src = std::fs::read_to_string("tests/fixtures/fuzz/oom-3-50046.ron").unwrap();
        let sc = super::super::load_str(std::path::Path::new("x.ron"), &src).unwrap();
        let msg = check(&sc, DEFAULT_MAX_WORK).unwrap_err().to_string();
        assert!(msg.contains("actions_per_month"), "{msg}");
    }

    #[test]
    fn a_tiny_tick_or_signal_interval_is_refused_naming_the_field() {
        let src = std::fs::read_to_string("scenarios/fuel-line.ron").unwrap();
        let p = std::path::Path::new("x.ron");
        let base = super::super::load_str(p, &src).unwrap();
        let e0 = estimate(&base);
        // The work is linear in the signal count: the same file with limits just below and
        // above its own estimate.
        assert!(check(&base, e0.work * 0.99).is_err());
        assert!(check(&base, e0.work * 1.01).is_ok());
        let err = check(&base, e0.work * 0.99).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let msg = err.to_string();
        assert!(msg.contains("--max-work"), "{msg}");
        assert!(
            msg.contains("exercise.tick") || msg.contains("signal_interval"),
            "{msg}"
        );
        // Ticks: agencies × duration ÷ tick, exactly.
        let s = base.spec();
        let want = (s.exercise.duration.hours() / s.exercise.tick.hours()).ceil();
        assert_eq!(e0.ticks, want);
        assert_eq!(e0.links, 2.0 * s.partnerships.len() as f64);
    }
}
