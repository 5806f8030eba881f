//! The [`Simulator`] seam between the batch runner and the engine, and the mapping of a
//! variant's outcome onto the baseline catalog.

use crate::sim::{Catalog, LinkResult, Model, ObjectiveResult, RunOptions, RunOutcome, RunSeed};

/// Anything that can simulate runs of one scenario (or variant): the engine's
/// [`crate::sim::Model`], or a synthetic stand-in with a known distribution in tests.
pub trait Simulator: Sync {
    /// What every outcome contains.
    fn catalog(&self) -> &Catalog;
    /// Simulate one run; the same seed must give the same outcome.
    fn run(&self, seed: RunSeed, opts: RunOptions) -> RunOutcome;
}

impl Simulator for Model {
    fn catalog(&self) -> &Catalog {
        Model::catalog(self)
    }
    fn run(&self, seed: RunSeed, opts: RunOptions) -> RunOutcome {
        Model::run(self, seed, opts)
    }
}

impl<S: Simulator + ?Sized> Simulator for &S {
    fn catalog(&self) -> &Catalog {
        (**self).catalog()
    }
    fn run(&self, seed: RunSeed, opts: RunOptions) -> RunOutcome {
        (**self).run(seed, opts)
    }
}

/// For each baseline column, the index of the same id in a variant's catalog (None: absent).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ColumnMap {
    metrics: Vec<Option<usize>>,
    objectives: Vec<Option<usize>>,
    drivers: Vec<Option<usize>>,
    series: Vec<Option<usize>>,
    samples: usize,
    links: Vec<Option<usize>>,
}

/// For each element of `base`, the position of the element with the same key in `var`.
/// (The first such element, as a linear search would find: a map from key to position keeps
/// this linear in the number of columns, which matters for thousands of links.)
fn by_id<T>(base: &[T], var: &[T], key: impl Fn(&T) -> String) -> Vec<Option<usize>> {
    let mut at: std::collections::HashMap<String, usize> =
        std::collections::HashMap::with_capacity(var.len());
    for (i, v) in var.iter().enumerate() {
        at.entry(key(v)).or_insert(i);
    }
    base.iter().map(|b| at.get(&key(b)).copied()).collect()
}

/// The elements of `src` at the mapped positions (None where absent).
fn remap<T: Copy>(ix: &[Option<usize>], src: &[T]) -> Vec<Option<T>> {
    ix.iter()
        .map(|i| i.and_then(|i| src.get(i).copied()))
        .collect()
}

/// One run in the baseline catalog's layout.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    /// Run index.
    pub run: u64,
    /// Metric values (None: did not happen or absent in this variant).
    pub metrics: Vec<Option<f64>>,
    /// Objective met flags; None where the objective did not apply to the run (absent
    /// objectives count as not met).
    pub objectives: Vec<Option<bool>>,
    /// Driver flags (absent drivers as not happened).
    pub drivers: Vec<bool>,
    /// Series values `[series][sample]` (None where absent).
    pub series: Vec<Vec<Option<f32>>>,
    /// Link results (None where absent).
    pub links: Vec<Option<LinkResult>>,
}

impl ColumnMap {
    /// Map `variant` onto `base` by ids (links by partnership, from and to; series samples by
    /// position up to the baseline's sample count).
    pub(super) fn new(base: &Catalog, variant: &Catalog) -> ColumnMap {
        ColumnMap {
            metrics: by_id(&base.metrics, &variant.metrics, |m| m.id.clone()),
            objectives: by_id(&base.objectives, &variant.objectives, |o| o.id.clone()),
            drivers: by_id(&base.drivers, &variant.drivers, |d| d.id.clone()),
            series: by_id(&base.series, &variant.series, |s| s.id.clone()),
            samples: base.series_times.len(),
            links: by_id(&base.links, &variant.links, |l| {
                format!("{}\u{1f}{}\u{1f}{}", l.partnership, l.from, l.to)
            }),
        }
    }

    /// Series `[series][sample]` in the baseline layout (None where absent).
    fn series(&self, o: &RunOutcome) -> Vec<Vec<Option<f32>>> {
        self.series
            .iter()
            .map(|ix| {
                let s = ix.and_then(|i| o.series.get(i));
                (0..self.samples)
                    .map(|t| s.and_then(|s| s.get(t).copied()))
                    .collect()
            })
            .collect()
    }

    /// The row of an outcome in the baseline layout. Non-finite metric values count as
    /// missing.
    pub(super) fn row(&self, o: &RunOutcome) -> Row {
        Row {
            run: o.run_index,
            metrics: remap(&self.metrics, &o.metrics)
                .into_iter()
                .map(|v| v.flatten().filter(|x| x.is_finite()))
                .collect(),
            objectives: remap(&self.objectives, &o.objectives)
                .into_iter()
                .map(|r| match r {
                    Some(r) => r.applicable.then_some(r.met),
                    None => Some(false),
                })
                .collect(),
            drivers: remap(&self.drivers, &o.drivers)
                .into_iter()
                .map(|d| d.unwrap_or(false))
                .collect(),
            series: self.series(o),
            links: remap(&self.links, &o.links),
        }
    }

    /// The whole outcome re-laid onto the baseline catalog (exemplars); the timeline is moved
    /// over, not copied (a large network's runs to hundreds of thousands of events).
    /// Absent objectives read as not met, absent series samples as 0, absent links as empty.
    pub(super) fn outcome(&self, mut o: RunOutcome) -> RunOutcome {
        let timeline = std::mem::take(&mut o.timeline);
        let o = &o;
        let row = self.row(o);
        RunOutcome {
            run_index: o.run_index,
            metrics: remap(&self.metrics, &o.metrics)
                .into_iter()
                .map(Option::flatten)
                .collect(),
            objectives: remap(&self.objectives, &o.objectives)
                .into_iter()
                .map(|r| {
                    r.unwrap_or(ObjectiveResult {
                        value: None,
                        met: false,
                        applicable: true,
                    })
                })
                .collect(),
            drivers: row.drivers,
            series: row
                .series
                .into_iter()
                .map(|s| s.into_iter().map(|v| v.unwrap_or(0.0)).collect())
                .collect(),
            links: row
                .links
                .into_iter()
                .map(|l| {
                    l.unwrap_or(LinkResult {
                        items: 0,
                        end_trust: 0.0,
                        withdrawn: false,
                        compromised: false,
                        ..LinkResult::default()
                    })
                })
                .collect(),
            timeline,
        }
    }
}
