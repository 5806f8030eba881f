//! The summary of a batch as a pure function of `runs.csv`, the accumulators and the catalog:
//! metric intervals, objective ratings, paired variant differences, driver effects, link
//! means, series bands, and the choice of exemplar runs.
//!
//! runs.csv is re-read a group of columns at a time (as many metric columns as fit in a
//! budget of [`CELL_BUDGET`] values), so the summary needs no per-run state from the runner.

use super::accum::{Accumulators, Quantiser, SWD_SCALE, TRUST_SCALE, hist_percentile};
use super::rows::{Layout, header, scan};
use super::stats::{
    count_unit, mean_ci, percentile_inverse_cdf, percentile_sorted, rating, welch_halfwidth,
    wilson, yes_no_unit,
};
use super::summary::{
    DriverEffect, LinkSummary, Manifest, MetricSummary, ObjectiveSummary, PairedDiff, SeriesBands,
    Summary, VariantSummary,
};
use crate::error::{Error, Result};
use crate::output::csv_safe;
use crate::sim::{Catalog, VIOLATION_KINDS};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Most metric values held at once while summarising.
pub(super) const CELL_BUDGET: usize = 400_000;

/// What a variant is, for the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantInfo {
    /// Id ("baseline" for the scenario as written).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Recommendation tested (Rust name), if any.
    pub recommendation: Option<String>,
    /// Description.
    pub description: String,
}

impl VariantInfo {
    /// The baseline's description.
    pub fn baseline() -> VariantInfo {
        VariantInfo {
            id: "baseline".into(),
            name: "Baseline".into(),
            recommendation: None,
            description: "The scenario as written.".into(),
        }
    }
}

/// The run chosen as a variant's median or worst-decile exemplar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pick {
    /// Run index.
    pub run: u64,
    /// Objectives met in that run.
    pub met: usize,
}

/// Exemplar picks of one variant (None when it has no runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Picks {
    /// Median run.
    pub median: Option<Pick>,
    /// Worst-decile run.
    pub worst: Option<Pick>,
}

/// Rank runs for exemplars: fewer objectives met first, then the first objective's metric
/// ascending (missing last), then run index ascending. The median exemplar is rank ⌊(n−1)/2⌋,
/// the worst-decile exemplar rank ⌊(n−1)/20⌋ (the middle of the worst decile, a typical bad
/// run rather than the single most extreme one).
pub(super) fn pick_exemplars(runs: &[u64], met: &[usize], key: &[Option<f64>]) -> Picks {
    let n = runs.len();
    if n == 0 {
        return Picks {
            median: None,
            worst: None,
        };
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        met[a]
            .cmp(&met[b])
            .then_with(
                || match (key.get(a).copied().flatten(), key.get(b).copied().flatten()) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                },
            )
            .then_with(|| runs[a].cmp(&runs[b]))
    });
    let at = |r: usize| {
        let j = order[r];
        Pick {
            run: runs[j],
            met: met[j],
        }
    };
    Picks {
        median: Some(at((n - 1) / 2)),
        worst: Some(at((n - 1) / 20)),
    }
}

fn metric_summary(id: &str, label: &str, unit: &str, vals: &[Option<f64>]) -> MetricSummary {
    let mut xs: Vec<f64> = vals.iter().flatten().copied().collect();
    let m = mean_ci(&xs);
    xs.sort_by(f64::total_cmp);
    // A yes/no metric is a proportion of runs: its interval is Wilson's, and percentiles of
    // zeros and ones say nothing.
    let (ci_low, ci_high, pct) = if yes_no_unit(unit) {
        let k = xs.iter().filter(|&&x| x > 0.5).count() as u64;
        let (lo, hi) = wilson(k, m.n);
        let ci = (m.n > 0).then_some((lo, hi));
        (ci.map(|c| c.0), ci.map(|c| c.1), None)
    } else {
        let pick = if count_unit(unit) {
            percentile_inverse_cdf
        } else {
            percentile_sorted
        };
        (
            m.low(),
            m.high(),
            Some([pick(&xs, 0.05), pick(&xs, 0.5), pick(&xs, 0.95)]),
        )
    };
    let [p5, p50, p95] = pct.unwrap_or([None; 3]);
    MetricSummary {
        id: id.into(),
        label: label.into(),
        unit: unit.into(),
        n: m.n,
        missing: (vals.len() - xs.len()) as u64,
        mean: m.mean,
        sd: m.sd,
        ci_low,
        ci_high,
        p5,
        p50,
        p95,
    }
}

fn paired(id: String, base: &[Option<f64>], var: &[Option<f64>]) -> PairedDiff {
    let d: Vec<f64> = if base.len() == var.len() {
        base.iter()
            .zip(var)
            .filter_map(|(b, v)| Some((*v)? - (*b)?))
            .collect()
    } else {
        Vec::new()
    };
    let m = mean_ci(&d);
    let a: Vec<f64> = var.iter().flatten().copied().collect();
    let b: Vec<f64> = base.iter().flatten().copied().collect();
    let unpaired = welch_halfwidth(&mean_ci(&a), &mean_ci(&b));
    PairedDiff {
        id,
        n: m.n,
        mean_diff: m.mean,
        ci_low: m.low(),
        ci_high: m.high(),
        unpaired_halfwidth: unpaired,
    }
}

fn flags_f64(f: &[Option<bool>]) -> Vec<Option<f64>> {
    f.iter()
        .map(|&b| b.map(|b| if b { 1.0 } else { 0.0 }))
        .collect()
}

/// Per-variant columns read in the first pass.
struct Flags {
    runs: Vec<u64>,
    /// Per objective, per run: met, missed, or None (not applicable).
    obj: Vec<Vec<Option<bool>>>,
    /// Per driver × objective: [runs with, met with, runs without, met without] (counters,
    /// so memory does not grow with the number of runs).
    drv: Vec<Vec<[u64; 4]>>,
}

/// Summarise a batch directory's data. `manifest` gives the scenario fields and master seed;
/// `variants` the variants in file order.
pub(super) fn summarize(
    manifest: &Manifest,
    catalog: &Catalog,
    variants: &[VariantInfo],
    runs_csv: &Path,
    acc: &Accumulators,
) -> Result<(Summary, Vec<Picks>)> {
    let lay = Layout::of(catalog);
    let head = header("variant", catalog);
    let keys: Vec<String> = variants
        .iter()
        .map(|v| csv_safe(&v.id).into_owned())
        .collect();
    let nv = variants.len();
    let variant_of = |key: &str, last: &mut usize| -> Result<usize> {
        let v = keys.iter().position(|k| k == key).ok_or_else(|| {
            Error::Runtime(format!("{}: unknown variant {key:?}", runs_csv.display()))
        })?;
        if v < *last {
            return Err(Error::Runtime(format!(
                "{}: rows of variant {key:?} are not contiguous",
                runs_csv.display()
            )));
        }
        *last = v;
        Ok(v)
    };

    // Pass 1: run indices, objective and driver flags.
    let mut flags: Vec<Flags> = (0..nv)
        .map(|_| Flags {
            runs: Vec::new(),
            obj: vec![Vec::new(); lay.objectives],
            drv: vec![vec![[0u64; 4]; lay.objectives]; lay.drivers],
        })
        .collect();
    let mut last = 0;
    scan(runs_csv, &head, |r| {
        let v = variant_of(r.key(), &mut last)?;
        let f = &mut flags[v];
        f.runs.push(r.run()?);
        let met: Vec<Option<bool>> = (0..lay.objectives)
            .map(|o| r.objective(lay.objective(o)))
            .collect::<Result<_>>()?;
        for (o, &m) in met.iter().enumerate() {
            f.obj[o].push(m);
        }
        for d in 0..lay.drivers {
            let happened = r.flag(lay.driver(d))?;
            for (o, &m) in met.iter().enumerate() {
                let Some(m) = m else { continue };
                let c = &mut f.drv[d][o];
                let k = if happened { 0 } else { 2 };
                c[k] += 1;
                c[k + 1] += u64::from(m);
            }
        }
        Ok(())
    })?;
    let total_rows: usize = flags.iter().map(|f| f.runs.len()).sum();

    // Metric passes, a group of columns at a time.
    let mut metrics: Vec<Vec<MetricSummary>> = vec![Vec::new(); nv];
    let mut paired_m: Vec<Vec<PairedDiff>> = vec![Vec::new(); nv];
    let key_metric = catalog
        .objectives
        .first()
        .and_then(|o| catalog.metrics.iter().position(|m| m.id == o.metric));
    let mut key_vals: Vec<Vec<Option<f64>>> = vec![Vec::new(); nv];
    // Observed values of the real case, compared while their metric's column is in memory.
    let mut observed: Vec<Vec<Option<super::summary::ObservedCheck>>> =
        vec![vec![None; catalog.observed.len()]; nv];
    let group = (CELL_BUDGET / total_rows.max(1)).max(1);
    let mut start = 0;
    while start < lay.metrics {
        let end = (start + group).min(lay.metrics);
        let mut cols: Vec<Vec<Vec<Option<f64>>>> = vec![vec![Vec::new(); end - start]; nv];
        let mut last = 0;
        scan(runs_csv, &head, |r| {
            let v = variant_of(r.key(), &mut last)?;
            for m in start..end {
                cols[v][m - start].push(r.num(lay.metric(m))?);
            }
            Ok(())
        })?;
        for m in start..end {
            let def = &catalog.metrics[m];
            for v in 0..nv {
                metrics[v].push(metric_summary(
                    &def.id,
                    &def.label,
                    &def.unit,
                    &cols[v][m - start],
                ));
                if v > 0 {
                    paired_m[v].push(paired(
                        def.id.clone(),
                        &cols[0][m - start],
                        &cols[v][m - start],
                    ));
                }
            }
            for (k, od) in catalog.observed.iter().enumerate() {
                if od.metric == def.id {
                    for v in 0..nv {
                        observed[v][k] =
                            Some(super::observed::check(od, &def.unit, &cols[v][m - start]));
                    }
                }
            }
            if key_metric == Some(m) {
                for v in 0..nv {
                    key_vals[v] = std::mem::take(&mut cols[v][m - start]);
                }
            }
        }
        start = end;
    }

    let mut out = Vec::with_capacity(nv);
    let mut picks = Vec::with_capacity(nv);
    for (v, info) in variants.iter().enumerate() {
        let f = &flags[v];
        let n = f.runs.len() as u64;
        let objectives: Vec<ObjectiveSummary> = catalog
            .objectives
            .iter()
            .enumerate()
            .map(|(o, def)| {
                let met = f.obj[o].iter().filter(|&&b| b == Some(true)).count() as u64;
                let not_applicable = f.obj[o].iter().filter(|b| b.is_none()).count() as u64;
                let n = n - not_applicable;
                let p = if n > 0 { met as f64 / n as f64 } else { 0.0 };
                let (lo, hi) = wilson(met, n);
                ObjectiveSummary {
                    id: def.id.clone(),
                    description: def.description.clone(),
                    capability: format!("{:?}", def.capability),
                    target: def.target.clone(),
                    n,
                    met,
                    not_applicable,
                    p,
                    ci_low: lo,
                    ci_high: hi,
                    rating: if n > 0 {
                        rating(p, def.thresholds)
                    } else {
                        "U"
                    }
                    .into(),
                }
            })
            .collect();
        let mut paired_all = std::mem::take(&mut paired_m[v]);
        if v > 0 {
            for (o, def) in catalog.objectives.iter().enumerate() {
                paired_all.push(paired(
                    format!("obj:{}", def.id),
                    &flags_f64(&flags[0].obj[o]),
                    &flags_f64(&f.obj[o]),
                ));
            }
        }
        let mut drivers = Vec::new();
        for (d, ddef) in catalog.drivers.iter().enumerate() {
            for (o, odef) in catalog.objectives.iter().enumerate() {
                let [w, wm, wo, wom] = f.drv[d][o];
                // A driver that happened in every run is kept (without a P(met) without
                // it): the report then says that comparing runs cannot attribute a
                // shortfall to it, and which variant would.
                if w > 0 {
                    drivers.push(DriverEffect {
                        driver: ddef.id.clone(),
                        label: ddef.label.clone(),
                        kind: ddef.kind,
                        objective: odef.id.clone(),
                        runs_with: w,
                        p_with: Some(wm as f64 / w as f64),
                        runs_without: wo,
                        p_without: (wo > 0).then(|| wom as f64 / wo as f64),
                    });
                }
            }
        }
        let vacc = acc.variants.get(v);
        let links: Vec<LinkSummary> = catalog
            .links
            .iter()
            .enumerate()
            .map(|(l, def)| {
                let a = vacc
                    .and_then(|x| x.links.get(l))
                    .cloned()
                    .unwrap_or_default();
                let per = |x: f64| if a.n > 0 { x / a.n as f64 } else { 0.0 };
                LinkSummary {
                    partnership: def.partnership.clone(),
                    from: def.from.clone(),
                    to: def.to.clone(),
                    mean_items: per(a.items as f64),
                    mean_end_trust: per(a.trust as f64 / TRUST_SCALE),
                    p_withdrawn: per(a.withdrawn as f64),
                    p_compromised: per(a.compromised as f64),
                    mean_received: per(a.received as f64 / SWD_SCALE),
                    mean_exposure: per(a.exposure as f64 / SWD_SCALE),
                    p_exposed: per(a.exposed as f64),
                    mean_origin_exposure: per(a.origin_exposure as f64 / SWD_SCALE),
                    mean_violations: VIOLATION_KINDS
                        .iter()
                        .zip(a.violations)
                        .map(|(k, n)| (k.to_string(), per(n as f64)))
                        .collect(),
                    mean_violating_offers: per(a.violating_offers as f64),
                    p_violation: per(a.violated as f64),
                    mean_legal_findings: per(a.legal_findings as f64),
                    mean_equity_log_ratio: per(a.equity as f64 / SWD_SCALE),
                    p_trust_withdrawn: per(a.trust_withdrawn as f64),
                }
            })
            .collect();
        // A sample time with no values (no runs) has bands of 0.
        let series = catalog
            .series
            .iter()
            .enumerate()
            .map(|(s, def)| {
                let q = Quantiser::for_series(def);
                let hists = vacc
                    .and_then(|x| x.series.get(s))
                    .map(|x| x.samples.as_slice())
                    .unwrap_or(&[]);
                let band = |p: f64| -> Vec<f64> {
                    (0..catalog.series_times.len())
                        .map(|t| {
                            hists
                                .get(t)
                                .and_then(|h| hist_percentile(h, &q, p))
                                .unwrap_or(0.0)
                        })
                        .collect()
                };
                SeriesBands {
                    id: def.id.clone(),
                    label: def.label.clone(),
                    unit: def.unit.clone(),
                    times: catalog.series_times.clone(),
                    p5: band(0.05),
                    p25: band(0.25),
                    p50: band(0.5),
                    p75: band(0.75),
                    p95: band(0.95),
                }
            })
            .collect();
        let met_counts: Vec<usize> = (0..f.runs.len())
            .map(|j| f.obj.iter().filter(|col| col[j] == Some(true)).count())
            .collect();
        picks.push(pick_exemplars(&f.runs, &met_counts, &key_vals[v]));
        let mut originated_exposure = BTreeMap::new();
        for l in links.iter() {
            if l.mean_origin_exposure > 0.0 {
                *originated_exposure.entry(l.from.clone()).or_insert(0.0) += l.mean_origin_exposure;
            }
        }
        out.push(VariantSummary {
            id: info.id.clone(),
            name: info.name.clone(),
            recommendation: info.recommendation.clone(),
            description: info.description.clone(),
            runs: n,
            metrics: std::mem::take(&mut metrics[v]),
            objectives,
            paired: paired_all,
            series,
            drivers,
            links,
            originated_exposure,
            observed: std::mem::take(&mut observed[v])
                .into_iter()
                .zip(&catalog.observed)
                .map(|(c, od)| c.unwrap_or_else(|| super::observed::check(od, "", &[])))
                .collect(),
        });
    }
    Ok((
        Summary {
            scenario_name: manifest.scenario_name.clone(),
            scenario_hash: manifest.scenario_hash.clone(),
            marking: manifest.marking.clone(),
            master_seed: manifest.master_seed,
            runs: out.first().map(|v| v.runs).unwrap_or(0),
            version: manifest.version.clone(),
            inject_times: catalog.inject_times.clone(),
            variants: out,
        },
        picks,
    ))
}

fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

/// `summary.csv`: one row per (variant, metric | objective | paired difference), columns
/// `variant,kind,id,n,estimate,ci_low,ci_high,sd,p5,p50,p95,rating,unpaired_halfwidth`
/// (estimate: the mean, P(met), or the mean paired difference).
pub(super) fn summary_csv(s: &Summary) -> String {
    use super::rows::field;
    let mut out = String::from(
        "variant,kind,id,n,estimate,ci_low,ci_high,sd,p5,p50,p95,rating,unpaired_halfwidth\n",
    );
    for v in &s.variants {
        let vid = field(&v.id);
        for m in &v.metrics {
            let _ = writeln!(
                out,
                "{vid},metric,{},{},{},{},{},{},{},{},{},,",
                field(&m.id),
                m.n,
                num(m.mean),
                num(m.ci_low),
                num(m.ci_high),
                num(m.sd),
                num(m.p5),
                num(m.p50),
                num(m.p95)
            );
        }
        for o in &v.objectives {
            let _ = writeln!(
                out,
                "{vid},objective,{},{},{},{},{},,,,,{},",
                field(&o.id),
                o.n,
                o.p,
                o.ci_low,
                o.ci_high,
                o.rating
            );
        }
        for p in &v.paired {
            let _ = writeln!(
                out,
                "{vid},paired,{},{},{},{},{},,,,,,{}",
                field(&p.id),
                p.n,
                num(p.mean_diff),
                num(p.ci_low),
                num(p.ci_high),
                num(p.unpaired_halfwidth)
            );
        }
    }
    out
}

#[cfg(test)]
mod audit_tests {
    use super::metric_summary;
    use crate::batch::stats::wilson;

    #[test]
    fn a_yes_no_metric_is_a_share_with_a_wilson_interval_and_no_percentiles() {
        // 19 of 20 runs resolved, one run where it did not apply.
        let mut vals: Vec<Option<f64>> = vec![Some(1.0); 19];
        vals.push(Some(0.0));
        vals.push(None);
        let m = metric_summary("resolved.t", "Resolved", "0/1", &vals);
        assert_eq!((m.n, m.missing), (20, 1));
        assert_eq!(m.mean, Some(0.95));
        let (lo, hi) = wilson(19, 20);
        assert_eq!((m.ci_low, m.ci_high), (Some(lo), Some(hi)));
        assert_eq!((m.p5, m.p50, m.p95), (None, None, None));
    }

    #[test]
    fn a_count_metric_has_whole_percentiles() {
        let vals: Vec<Option<f64>> = [0.0, 3.0, 4.0, 7.0, 12.0]
            .iter()
            .map(|&x| Some(x))
            .collect();
        let m = metric_summary("peak_unsheltered.t", "Peak", "people", &vals);
        for p in [m.p5, m.p50, m.p95] {
            let p = p.expect("percentile");
            assert_eq!(p, p.round(), "{p}");
        }
        assert_eq!(m.p50, Some(4.0));
        // A continuous metric keeps type-7 interpolation.
        let t = metric_summary("time", "Time", "h", &vals);
        assert!((t.p5.expect("p5") - 0.6).abs() < 1e-12);
    }
}
