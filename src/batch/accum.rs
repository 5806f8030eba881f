//! Fixed-size, exactly mergeable accumulators: per-sample series histograms and link counters.
//!
//! Their size depends on the catalog only, never on the number of runs, and merging two of
//! them (integer additions) gives the same bits as accumulating all runs in one place, so
//! resume and shard merge are exact.
//!
//! Series values are quantised before counting:
//! - bounded series (`SeriesDef::max = Some(m)`, m > 0): values clamped to [0, m] and rounded to
//!   the grid of step 2ᵉ, the smallest power of two with m / 2ᵉ ≤ `MAX_BINS` (256); at most
//!   `MAX_BINS + 1` bins. Integer (count) series with m ≤ `MAX_BINS` are therefore exact;
//!   a trust series in [0, 1] has step 1/256.
//! - unbounded series: the value's `f32` bits truncated to 6 mantissa bits (relative error
//!   < 1.6%, rounding toward zero; integers up to 128 exact); at most 2¹⁵ distinct bins, in
//!   practice a few hundred per sample.
//!
//! Band percentiles are type-7 percentiles (see `stats::percentile_by`) of the
//! quantised values.

use super::stats::percentile_by;
use crate::sim::{Catalog, LinkResult, SeriesDef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most bins a bounded series uses per sample time (plus one for the top value).
pub(crate) const MAX_BINS: f64 = 256.0;

/// Fixed-point scale of summed end-of-run trust (1e-9).
pub const TRUST_SCALE: f64 = 1e9;

/// How a series' values are quantised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Quantiser {
    /// Grid of step 2^`exp` over [0, `max`].
    Grid {
        /// Power of two of the step.
        exp: i32,
        /// The step, 2^`exp` (exact).
        step: f64,
        /// Upper bound.
        max: f64,
    },
    /// f32 bits with 6 mantissa bits.
    Float,
}

impl Quantiser {
    /// The quantiser for a series definition.
    pub(crate) fn for_series(def: &SeriesDef) -> Quantiser {
        match def.max {
            Some(m) if m > 0.0 && m.is_finite() => {
                let mut exp = -60;
                while exp < 1000 && m / 2f64.powi(exp) > MAX_BINS {
                    exp += 1;
                }
                Quantiser::Grid {
                    exp,
                    step: 2f64.powi(exp),
                    max: m,
                }
            }
            _ => Quantiser::Float,
        }
    }

    /// The bin key of a value (None for NaN).
    pub(crate) fn key(&self, v: f32) -> Option<i64> {
        if v.is_nan() {
            return None;
        }
        match *self {
            Quantiser::Grid { step, max, .. } => {
                let x = (v as f64).clamp(0.0, max);
                Some((x / step).round() as i64)
            }
            Quantiser::Float => {
                let b = v.to_bits();
                let mag = ((b & 0x7fff_ffff) >> 17) as i64;
                Some(if b >> 31 == 1 { -mag } else { mag })
            }
        }
    }

    /// The value a bin stands for.
    pub(crate) fn value(&self, key: i64) -> f64 {
        match *self {
            Quantiser::Grid { step, .. } => key as f64 * step,
            Quantiser::Float => {
                let mag = (key.unsigned_abs() as u32) << 17;
                let sign = if key < 0 { 0x8000_0000 } else { 0 };
                f32::from_bits(mag | sign) as f64
            }
        }
    }
}

/// Histogram of one series at one sample time: bin key → runs, sparse and ascending.
pub type SampleHist = BTreeMap<i64, u64>;

/// Histograms of one series, one per sample time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesAcc {
    /// Series id.
    pub id: String,
    /// Per sample time: (bin key, runs) ascending by key.
    pub samples: Vec<SampleHist>,
}

/// Integer counters of one directed link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkAcc {
    /// Runs counted.
    pub n: u64,
    /// Items delivered, summed.
    pub items: u64,
    /// End-of-run trust × [`TRUST_SCALE`], rounded, summed.
    pub trust: u64,
    /// Runs where it was withdrawn.
    pub withdrawn: u64,
    /// Runs where it was compromised.
    pub compromised: u64,
    /// Unique items delivered, weighted by sensitivity [SWD] × [`SWD_SCALE`], rounded, summed.
    #[serde(default)]
    pub received: u64,
    /// Exposure attributed [SWD] × [`SWD_SCALE`], rounded, summed.
    #[serde(default)]
    pub exposure: u64,
    /// Runs with exposure attributed to it.
    #[serde(default)]
    pub exposed: u64,
    /// The originator's part of the exposure [SWD thousandths], summed.
    #[serde(default)]
    pub origin_exposure: u64,
    /// Handling violations by kind, summed.
    #[serde(default)]
    pub violations: [u64; 5],
    /// Offers passed in violation, summed.
    #[serde(default)]
    pub violating_offers: u64,
    /// Runs with at least one violation on it.
    #[serde(default)]
    pub violated: u64,
    /// Legal findings, summed.
    #[serde(default)]
    pub legal_findings: u64,
    /// End-of-run equity log ratio × [`SWD_SCALE`], rounded, summed (signed).
    #[serde(default)]
    pub equity: i64,
    /// Runs where the sender withdrew it through loss of trust.
    #[serde(default)]
    pub trust_withdrawn: u64,
}

/// Counters per link: 5 original ones, 15 for exposure and violations, 2 for equity and
/// withdrawal by trust.
const LINK_COUNTERS: usize = 22;

/// Sensitivity-weighted documents are summed in thousandths, so that sums are exact and
/// merges associative.
pub const SWD_SCALE: f64 = 1000.0;

/// A non-negative amount [SWD] in thousandths.
fn swd(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        (x * SWD_SCALE).round() as u64
    } else {
        0
    }
}

/// Accumulators of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantAcc {
    /// Variant id.
    pub id: String,
    /// Series histograms, in catalog order.
    pub series: Vec<SeriesAcc>,
    /// Link counters, in catalog order.
    pub links: Vec<LinkAcc>,
}

/// Everything a batch accumulates outside runs.csv (persisted as `accumulators.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accumulators {
    /// Per variant, baseline first.
    pub variants: Vec<VariantAcc>,
}

impl Accumulators {
    /// Empty accumulators for a baseline catalog and variant ids.
    pub(crate) fn new(catalog: &Catalog, variants: &[String]) -> Accumulators {
        let samples = catalog.series_times.len();
        Accumulators {
            variants: variants
                .iter()
                .map(|id| VariantAcc {
                    id: id.clone(),
                    series: catalog
                        .series
                        .iter()
                        .map(|s| SeriesAcc {
                            id: s.id.clone(),
                            samples: vec![SampleHist::new(); samples],
                        })
                        .collect(),
                    links: vec![LinkAcc::default(); catalog.links.len()],
                })
                .collect(),
        }
    }

    /// Add one run (already mapped onto the baseline catalog) of variant `v`.
    pub(crate) fn add(
        &mut self,
        quant: &[Quantiser],
        v: usize,
        series: &[Vec<Option<f32>>],
        links: &[Option<LinkResult>],
    ) {
        let Some(acc) = self.variants.get_mut(v) else {
            return;
        };
        for ((sacc, q), vals) in acc.series.iter_mut().zip(quant).zip(series) {
            for (hist, val) in sacc.samples.iter_mut().zip(vals) {
                if let Some(k) = val.and_then(|x| q.key(x)) {
                    *hist.entry(k).or_insert(0) += 1;
                }
            }
        }
        for (lacc, l) in acc.links.iter_mut().zip(links) {
            lacc.n += 1;
            if let Some(l) = l {
                lacc.items += u64::from(l.items);
                let t = if l.end_trust.is_finite() {
                    l.end_trust.clamp(0.0, 1.0)
                } else {
                    0.0
                };
                lacc.trust += (t * TRUST_SCALE).round() as u64;
                lacc.withdrawn += u64::from(l.withdrawn);
                lacc.compromised += u64::from(l.compromised);
                lacc.received += swd(l.received);
                let e = swd(l.exposure);
                lacc.exposure += e;
                lacc.exposed += u64::from(e > 0);
                lacc.origin_exposure += swd(l.origin_exposure);
                for (a, b) in lacc.violations.iter_mut().zip(l.violations) {
                    *a += u64::from(b);
                }
                lacc.violating_offers += u64::from(l.violating_offers);
                lacc.violated += u64::from(l.violating_offers > 0);
                lacc.legal_findings += u64::from(l.legal_findings);
                if l.equity_log_ratio.is_finite() {
                    lacc.equity += (l.equity_log_ratio * SWD_SCALE).round() as i64;
                }
                lacc.trust_withdrawn += u64::from(l.trust_withdrawn);
            }
        }
    }

    /// Add another set of accumulators of the same shape (shard merge).
    pub(crate) fn merge(&mut self, other: &Accumulators) -> Result<(), String> {
        if self.variants.len() != other.variants.len() {
            return Err("accumulators have different variants".into());
        }
        for (a, b) in self.variants.iter_mut().zip(&other.variants) {
            if a.id != b.id || a.series.len() != b.series.len() || a.links.len() != b.links.len() {
                return Err(format!("accumulators of variant {} differ in shape", a.id));
            }
            for (sa, sb) in a.series.iter_mut().zip(&b.series) {
                if sa.samples.len() != sb.samples.len() {
                    return Err(format!("series {} has different sample counts", sa.id));
                }
                for (ha, hb) in sa.samples.iter_mut().zip(&sb.samples) {
                    for (k, c) in hb {
                        *ha.entry(*k).or_insert(0) += c;
                    }
                }
            }
            for (la, lb) in a.links.iter_mut().zip(&b.links) {
                la.n += lb.n;
                la.items += lb.items;
                la.trust += lb.trust;
                la.withdrawn += lb.withdrawn;
                la.compromised += lb.compromised;
                la.received += lb.received;
                la.exposure += lb.exposure;
                la.exposed += lb.exposed;
                la.origin_exposure += lb.origin_exposure;
                for (a, b) in la.violations.iter_mut().zip(lb.violations) {
                    *a += b;
                }
                la.violating_offers += lb.violating_offers;
                la.violated += lb.violated;
                la.legal_findings += lb.legal_findings;
                la.equity += lb.equity;
                la.trust_withdrawn += lb.trust_withdrawn;
            }
        }
        Ok(())
    }

    /// Total number of stored histogram bins and counters: bounded by
    /// [`Accumulators::capacity`], whatever the number of runs.
    pub fn footprint(&self) -> usize {
        self.variants
            .iter()
            .map(|v| {
                v.series
                    .iter()
                    .map(|s| s.samples.iter().map(|h| h.len()).sum::<usize>())
                    .sum::<usize>()
                    + v.links.len() * LINK_COUNTERS
            })
            .sum()
    }

    /// Upper bound of [`Accumulators::footprint`] from the catalog alone.
    pub fn capacity(catalog: &Catalog, variants: usize) -> usize {
        let per_sample: usize = catalog
            .series
            .iter()
            .map(|s| match Quantiser::for_series(s) {
                Quantiser::Grid { .. } => MAX_BINS as usize + 1,
                Quantiser::Float => 1 << 15,
            })
            .sum();
        variants * (per_sample * catalog.series_times.len() + catalog.links.len() * LINK_COUNTERS)
    }
}

/// Type-7 percentile `q` of a sample histogram (None when empty).
pub(crate) fn hist_percentile(hist: &SampleHist, quant: &Quantiser, q: f64) -> Option<f64> {
    let n: u64 = hist.values().sum();
    percentile_by(n, q, |i| {
        let mut seen = 0;
        for (k, c) in hist {
            seen += c;
            if i < seen {
                return quant.value(*k);
            }
        }
        hist.keys()
            .next_back()
            .map(|k| quant.value(*k))
            .unwrap_or(0.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(max: Option<f64>) -> SeriesDef {
        SeriesDef {
            id: "s".into(),
            label: "s".into(),
            unit: "u".into(),
            max,
        }
    }

    #[test]
    fn count_series_are_counted_exactly() {
        let q = Quantiser::for_series(&def(Some(12.0)));
        for k in 0..=12 {
            let key = q.key(k as f32).unwrap();
            assert_eq!(q.value(key), k as f64);
        }
    }

    #[test]
    fn trust_series_use_a_grid_of_step_one_256th() {
        let q = Quantiser::for_series(&def(Some(1.0)));
        assert_eq!(
            q,
            Quantiser::Grid {
                exp: -8,
                step: 1.0 / 256.0,
                max: 1.0
            }
        );
        // Rounded to the nearest grid point: error at most half a step.
        assert!((q.value(q.key(0.3337).unwrap()) - 0.3337).abs() <= 1.0 / 512.0);
    }

    #[test]
    fn unbounded_series_keep_seven_significant_bits_and_order() {
        let q = Quantiser::Float;
        // 6 mantissa bits truncated: relative error below 2⁻⁶ ≈ 1.6%.
        for v in [-1234.5f32, -2.0, 0.0, 0.001, 7.0, 2048.0, 1e9] {
            let back = q.value(q.key(v).unwrap());
            assert!(
                (back - v as f64).abs() < (v as f64).abs() / 64.0 || back == v as f64,
                "{v} → {back}"
            );
        }
        // Integers up to 128 are exact.
        for k in 0..=128 {
            assert_eq!(q.value(q.key(k as f32).unwrap()), k as f64);
        }
        assert!(q.key(-2.0) < q.key(-1.0) && q.key(-1.0) < q.key(0.5));
    }

    #[test]
    fn histogram_percentiles_interpolate_like_sorted_values() {
        let q = Quantiser::for_series(&def(Some(10.0)));
        let vals = [1.0f32, 2.0, 2.0, 3.0, 9.0];
        let mut h = SampleHist::new();
        for v in vals {
            *h.entry(q.key(v).unwrap()).or_insert(0) += 1;
        }
        // type 7 on [1,2,2,3,9]: q=0.5 → 2; q=0.9 → h=3.6 → 3 + 0.6·6 = 6.6
        assert_eq!(hist_percentile(&h, &q, 0.5), Some(2.0));
        assert!((hist_percentile(&h, &q, 0.9).unwrap() - 6.6).abs() < 1e-12);
    }
}
