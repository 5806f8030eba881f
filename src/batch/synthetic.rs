//! A synthetic [`Simulator`] with closed-form distributions, for tests and benches of the batch
//! machinery independent of the engine.
//!
//! Per run, from `ChaCha8Rng::seed_from_u64(master)` with `set_stream(run_index)`, drawn in
//! this order (so variants with another `rate` reuse the same uniforms: common random numbers):
//! - `delay` \[h\] = −ln(1 − u₀)/rate ~ Exponential(rate), mean 1/rate;
//! - `share` ~ Uniform(0, 1), present with probability 0.8 (else missing);
//! - driver `outage` with probability `outage_p`;
//! - objective `fast`: delay ≤ `threshold`, P = 1 − e^(−rate·threshold);
//! - objective `resilient`: met unless an outage happened and a fair coin came up tails,
//!   so P(met | outage) = 0.5 and P(met | no outage) = 1;
//! - series `informed` (count, max 10): agencies out of 10, each informed at an
//!   Exponential(rate) time, counted at t = 0, 1, …, 8 h; series `trust` (max 1) = e^(−t/10)·v;
//! - two links `p1` a→b and b→a with items = agencies informed at the end, uniform trust,
//!   withdrawn with probability 0.1, compromised with probability 0.05.

use super::Simulator;
use crate::scenario::schema::CoreCapability;
use crate::sim::{
    Catalog, DriverDef, DriverKind, Event, EventKind, LinkDef, LinkResult, MetricDef, ObjectiveDef,
    ObjectiveResult, RunOptions, RunOutcome, RunSeed, SeriesDef,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A synthetic simulator; see the module documentation for its distributions.
#[derive(Debug, Clone)]
pub struct Synthetic {
    catalog: Catalog,
    /// Rate of the exponential delay \[1/h\], > 0.
    pub rate: f64,
    /// Target of objective `fast` \[h\], > 0.
    pub threshold: f64,
    /// Probability of the `outage` driver, in \[0, 1\].
    pub outage_p: f64,
    dropped_metric: Option<String>,
}

impl Synthetic {
    /// A synthetic model with delay rate `rate` [1/h], threshold 1 h and outage probability 0.3.
    pub fn new(rate: f64) -> Synthetic {
        let metric = |id: &str, unit: &str| MetricDef {
            id: id.into(),
            label: format!("Synthetic {id}"),
            unit: unit.into(),
        };
        let objective = |id: &str, metric: &str| ObjectiveDef {
            id: id.into(),
            description: format!("Objective {id}"),
            capability: CoreCapability::IntelligenceAndInformationSharing,
            target: "met".into(),
            metric: metric.into(),
            thresholds: [0.9, 0.75, 0.5],
        };
        let series = |id: &str, max: f64| SeriesDef {
            id: id.into(),
            label: id.into(),
            unit: "u".into(),
            max: Some(max),
        };
        let link = |from: &str, to: &str| LinkDef {
            partnership: "p1".into(),
            from: from.into(),
            to: to.into(),
        };
        Synthetic {
            catalog: Catalog {
                metrics: vec![metric("delay", "h"), metric("share", "share")],
                objectives: vec![objective("fast", "delay"), objective("resilient", "share")],
                drivers: vec![DriverDef {
                    id: "outage".into(),
                    label: "Outage".into(),
                    kind: DriverKind::PartnerFailure,
                }],
                series: vec![series("informed", 10.0), series("trust", 1.0)],
                series_times: (0..9).map(f64::from).collect(),
                links: vec![link("a", "b"), link("b", "a")],
                inject_times: vec![("inj1".into(), 2.0)],
                observed: Vec::new(),
            },
            rate,
            threshold: 1.0,
            outage_p: 0.3,
            dropped_metric: None,
        }
    }

    /// The same model without metric `id` in its catalog (to test catalog mapping).
    pub fn without_metric(mut self, id: &str) -> Synthetic {
        self.catalog.metrics.retain(|m| m.id != id);
        self.dropped_metric = Some(id.to_string());
        self
    }
}

impl Simulator for Synthetic {
    fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn run(&self, seed: RunSeed, opts: RunOptions) -> RunOutcome {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.master);
        rng.set_stream(seed.run_index);
        let exp = |rng: &mut ChaCha8Rng| -(1.0 - rng.random::<f64>()).ln() / self.rate;
        let delay = exp(&mut rng);
        let present = rng.random_bool(0.8);
        let share_v: f64 = rng.random();
        let share = present.then_some(share_v);
        let outage = rng.random_bool(self.outage_p);
        let coin = rng.random_bool(0.5);
        let informed_at: Vec<f64> = (0..10).map(|_| exp(&mut rng)).collect();
        let v: f64 = rng.random();
        let mut links = Vec::new();
        let end_informed = informed_at.iter().filter(|&&t| t <= 8.0).count() as u32;
        for _ in 0..2 {
            links.push(LinkResult {
                items: end_informed,
                end_trust: rng.random(),
                withdrawn: rng.random_bool(0.1),
                compromised: rng.random_bool(0.05),
                ..LinkResult::default()
            });
        }
        let times = &self.catalog.series_times;
        let informed: Vec<f32> = times
            .iter()
            .map(|&t| informed_at.iter().filter(|&&a| a <= t).count() as f32)
            .collect();
        let trust: Vec<f32> = times
            .iter()
            .map(|&t| ((-t / 10.0).exp() * v) as f32)
            .collect();
        let mut metrics = vec![Some(delay), share];
        if let Some(d) = &self.dropped_metric {
            let ix = if d == "delay" { 0 } else { 1 };
            metrics.remove(ix);
        }
        let timeline = if opts.timeline {
            vec![Event {
                t: delay,
                kind: EventKind::Detection,
                who: "a".into(),
                via: String::new(),
                text: format!("Agency a detects the threat after {delay:.2} h."),
            }]
        } else {
            Vec::new()
        };
        RunOutcome {
            run_index: seed.run_index,
            metrics,
            objectives: vec![
                ObjectiveResult {
                    value: Some(delay),
                    met: delay <= self.threshold,
                    applicable: true,
                },
                ObjectiveResult {
                    value: share,
                    met: !outage || coin,
                    applicable: true,
                },
            ],
            drivers: vec![outage],
            series: vec![informed, trust],
            links,
            timeline: timeline.into(),
        }
    }
}
