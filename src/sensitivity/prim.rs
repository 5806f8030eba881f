//! PRIM scenario discovery (Friedman & Fisher 1999), as Bryant & Lempert (2010) use it and as
//! the EMA Workbench's `prim.py` implements it: find a box of input space, described by a few
//! restricted dimensions, where the cases of interest (say, runs where an objective falls to M
//! or U) are concentrated.
//!
//! - **Peeling**: from the box holding all points, each step considers, for every dimension,
//!   cutting off the `peel_alpha` share of the box's points below its lower or above its upper
//!   limit, and takes the cut with the best "lenient 1" objective of the EMA Workbench (gain in
//!   the share of cases of interest divided by the number of points removed; ties go to the cut
//!   leaving more dimensions unrestricted, then to the earlier dimension, upper before lower).
//!   It stops when no cut raises the share or the next box would hold less than `mass_min` of
//!   the points. Every box on the way is kept: the peeling trajectory.
//! - **Pasting** (optional): the last box is widened again along its restricted dimensions, by
//!   `paste_alpha` of the points outside it, while that raises the share of cases of interest.
//! - **Statistics** per box: coverage (share of all cases of interest inside the box), density
//!   (share of the box's points that are cases of interest), mass (share of all points inside),
//!   the restricted dimensions with their limits, and for each restricted limit a quasi-p-value
//!   (Bryant & Lempert 2010): the one-sided binomial probability of seeing at least the box's
//!   cases of interest among its points if that limit were dropped, i.e. if the points came at
//!   the density of the box without it. A large value says the restriction adds little.
//! - **Chosen box**: among the boxes with density ≥ `threshold` (0.8 by default, as the EMA
//!   Workbench's threshold), the one with the best harmonic mean of coverage and density (the
//!   F-score of information retrieval, weighing both equally); when none reaches the
//!   threshold, the best harmonic mean overall. Taking simply the widest box above the
//!   threshold stops at the first box that crosses it, even when a few more peels give a box
//!   nearly as wide and much purer. The trajectory lets a reader pick another trade-off.

use crate::error::{Error, Result};

/// PRIM settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrimOptions {
    /// Share of a box's points removed by one peel, in (0, 0.5) (0.05 by default).
    pub peel_alpha: f64,
    /// Share of the points outside a limit added by one paste, in (0, 0.5) (0.05 by default).
    pub paste_alpha: f64,
    /// Least share of all points a box may hold, in (0, 1) (0.05 by default).
    pub mass_min: f64,
    /// Least density of a box to be chosen, in [0, 1] (0.8 by default).
    pub threshold: f64,
    /// Whether to paste after peeling.
    pub paste: bool,
}

impl Default for PrimOptions {
    fn default() -> Self {
        PrimOptions {
            peel_alpha: 0.05,
            paste_alpha: 0.05,
            mass_min: 0.05,
            threshold: 0.8,
            paste: true,
        }
    }
}

/// One box of the peeling trajectory.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrimBox {
    /// [lower, upper] limit per dimension (the data's range where unrestricted).
    pub limits: Vec<(f64, f64)>,
    /// Points inside.
    pub n: usize,
    /// Cases of interest inside.
    pub k: usize,
    /// Share of all cases of interest inside the box.
    pub coverage: f64,
    /// Share of the box's points that are cases of interest.
    pub density: f64,
    /// Share of all points inside the box.
    pub mass: f64,
    /// Dimensions whose limits differ from the data's range, in dimension order.
    pub restricted: Vec<usize>,
    /// Quasi-p-values of the (lower, upper) limit of each restricted dimension, in the order of
    /// `restricted` (None for a side that is not restricted).
    pub quasi_p: Vec<(Option<f64>, Option<f64>)>,
    /// Whether the box came from pasting rather than peeling.
    pub pasted: bool,
}

/// The peeling (and pasting) trajectory and the chosen box.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrimResult {
    /// The boxes in the order found; the first holds every point.
    pub trajectory: Vec<PrimBox>,
    /// Index of the chosen box in `trajectory`.
    pub chosen: usize,
    /// Number of points.
    pub points: usize,
    /// Number of cases of interest.
    pub cases: usize,
    /// The settings used.
    pub options: PrimOptions,
}

impl PrimResult {
    /// The chosen box.
    pub fn chosen_box(&self) -> &PrimBox {
        &self.trajectory[self.chosen]
    }
}

/// The quantile of `data` as sdtoolkit and the EMA Workbench compute it for peeling: the
/// midpoint of the two order statistics around position (n − 1) q, moved outwards past ties so
/// that a peel always separates distinct values. `data` must be non-empty.
fn peel_quantile(data: &mut [f64], q: f64) -> f64 {
    data.sort_by(f64::total_cmp);
    let i = (data.len() - 1) as f64 * q;
    let mut lo = i.floor() as usize;
    let mut hi = i.ceil() as usize;
    if q > 0.5 {
        while data[lo] == data[hi] && lo > 0 {
            lo -= 1;
        }
    } else {
        while data[lo] == data[hi] && hi < data.len() - 1 {
            hi += 1;
        }
    }
    (data[lo] + data[hi]) / 2.0
}

/// A candidate peel or paste: (objective, unrestricted dimensions, limits, points inside).
type Candidate = (f64, usize, Vec<(f64, f64)>, Vec<usize>);

struct Data<'a> {
    x: &'a [Vec<f64>],
    y: &'a [bool],
    init: Vec<(f64, f64)>,
}

impl Data<'_> {
    fn inside(&self, lims: &[(f64, f64)], i: usize) -> bool {
        self.x[i]
            .iter()
            .zip(lims)
            .all(|(&v, &(lo, hi))| lo <= v && v <= hi)
    }

    fn members(&self, lims: &[(f64, f64)]) -> Vec<usize> {
        (0..self.x.len())
            .filter(|&i| self.inside(lims, i))
            .collect()
    }

    fn hits(&self, idx: &[usize]) -> usize {
        idx.iter().filter(|&&i| self.y[i]).count()
    }

    fn restricted(&self, lims: &[(f64, f64)]) -> Vec<usize> {
        (0..lims.len())
            .filter(|&d| lims[d] != self.init[d])
            .collect()
    }

    /// The "lenient 1" objective: gain in mean per point removed or added.
    fn objective(&self, old: &[usize], new: &[usize]) -> f64 {
        let mean = |v: &[usize]| {
            if v.is_empty() {
                0.0
            } else {
                self.hits(v) as f64 / v.len() as f64
            }
        };
        let (mo, mn) = (mean(old), mean(new));
        if mo == mn || old.len() == new.len() {
            0.0
        } else {
            (mn - mo) / old.len().abs_diff(new.len()) as f64
        }
    }

    /// P(X ≥ k_box), X ~ Binomial(n_box, density of the box with `side` of `dim` reset).
    fn quasi_p(&self, lims: &[(f64, f64)], dim: usize, upper: bool, n: usize, k: usize) -> f64 {
        use statrs::distribution::{Binomial, DiscreteCDF};
        let mut l = lims.to_vec();
        if upper {
            l[dim].1 = self.init[dim].1;
        } else {
            l[dim].0 = self.init[dim].0;
        }
        let m = self.members(&l);
        if m.is_empty() || k == 0 {
            return 1.0;
        }
        let p = self.hits(&m) as f64 / m.len() as f64;
        match Binomial::new(p, n as u64) {
            Ok(b) => b.sf(k as u64 - 1),
            Err(_) => f64::NAN,
        }
    }

    fn make_box(
        &self,
        lims: Vec<(f64, f64)>,
        idx: &[usize],
        cases: usize,
        pasted: bool,
    ) -> PrimBox {
        let n = idx.len();
        let k = self.hits(idx);
        let restricted = self.restricted(&lims);
        let quasi_p = restricted
            .iter()
            .map(|&d| {
                let lo = (lims[d].0 != self.init[d].0).then(|| self.quasi_p(&lims, d, false, n, k));
                let hi = (lims[d].1 != self.init[d].1).then(|| self.quasi_p(&lims, d, true, n, k));
                (lo, hi)
            })
            .collect();
        PrimBox {
            n,
            k,
            coverage: if cases == 0 {
                0.0
            } else {
                k as f64 / cases as f64
            },
            density: if n == 0 { 0.0 } else { k as f64 / n as f64 },
            mass: n as f64 / self.x.len() as f64,
            restricted,
            quasi_p,
            limits: lims,
            pasted,
        }
    }
}

/// Run PRIM on points `x` (one row per point, all rows of equal length) with `y[i]` true for a
/// case of interest.
pub fn prim(x: &[Vec<f64>], y: &[bool], opts: PrimOptions) -> Result<PrimResult> {
    if x.is_empty() || x.len() != y.len() {
        return Err(Error::Runtime(format!(
            "PRIM: {} points and {} outcomes",
            x.len(),
            y.len()
        )));
    }
    let dims = x[0].len();
    if x.iter()
        .any(|r| r.len() != dims || r.iter().any(|v| !v.is_finite()))
    {
        return Err(Error::Runtime(
            "PRIM: every point needs the same number of finite coordinates".into(),
        ));
    }
    let ok = |v: f64, hi: f64| v > 0.0 && v < hi;
    if !ok(opts.peel_alpha, 0.5) || !ok(opts.paste_alpha, 0.5) || !ok(opts.mass_min, 1.0) {
        return Err(Error::usage(
            "PRIM options",
            "peel_alpha and paste_alpha must lie in (0, 0.5), mass_min in (0, 1)",
        ));
    }
    let init: Vec<(f64, f64)> = (0..dims)
        .map(|d| {
            x.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
                    (lo.min(r[d]), hi.max(r[d]))
                })
        })
        .collect();
    let data = Data { x, y, init };
    let total = x.len() as f64;
    let cases = y.iter().filter(|&&b| b).count();
    let mut lims = data.init.clone();
    let mut idx: Vec<usize> = (0..x.len()).collect();
    let mut trajectory = vec![data.make_box(lims.clone(), &idx, cases, false)];

    // Peeling.
    loop {
        let mut best: Option<Candidate> = None;
        for d in 0..dims {
            let mut col: Vec<f64> = idx.iter().map(|&i| x[i][d]).collect();
            for upper in [true, false] {
                let q = if upper {
                    peel_quantile(&mut col, 1.0 - opts.peel_alpha)
                } else {
                    peel_quantile(&mut col, opts.peel_alpha)
                };
                let new: Vec<usize> = idx
                    .iter()
                    .copied()
                    .filter(|&i| if upper { x[i][d] <= q } else { x[i][d] >= q })
                    .collect();
                let mut l = lims.clone();
                if upper {
                    l[d].1 = q;
                } else {
                    l[d].0 = q;
                }
                let obj = data.objective(&idx, &new);
                let free = dims - data.restricted(&l).len();
                let better = match &best {
                    None => true,
                    Some((bo, bf, _, _)) => obj > *bo || (obj == *bo && free > *bf),
                };
                if better {
                    best = Some((obj, free, l, new));
                }
            }
        }
        let Some((obj, _, l, new)) = best else { break };
        let mass_new = new.len() as f64 / total;
        if mass_new >= opts.mass_min && new.len() < idx.len() && obj > 0.0 {
            lims = l;
            idx = new;
            trajectory.push(data.make_box(lims.clone(), &idx, cases, false));
        } else {
            break;
        }
    }

    // Pasting.
    if opts.paste {
        loop {
            let mut best: Option<Candidate> = None;
            for d in data.restricted(&lims) {
                for upper in [false, true] {
                    // The points the paste could take in: beyond this limit, inside the others.
                    let mut slab = lims.clone();
                    if upper {
                        slab[d] = (lims[d].1, data.init[d].1);
                    } else {
                        slab[d] = (data.init[d].0, lims[d].0);
                    }
                    let mut col: Vec<f64> = data.members(&slab).iter().map(|&i| x[i][d]).collect();
                    let v = if col.is_empty() {
                        if upper {
                            data.init[d].1
                        } else {
                            data.init[d].0
                        }
                    } else if upper {
                        peel_quantile(&mut col, opts.paste_alpha)
                    } else {
                        peel_quantile(&mut col, 1.0 - opts.paste_alpha)
                    };
                    let mut l = lims.clone();
                    if upper {
                        l[d].1 = v.max(lims[d].1);
                    } else {
                        l[d].0 = v.min(lims[d].0);
                    }
                    let new = data.members(&l);
                    let obj = data.objective(&idx, &new);
                    let free = dims - data.restricted(&l).len();
                    let better = match &best {
                        None => true,
                        Some((bo, bf, _, _)) => obj > *bo || (obj == *bo && free > *bf),
                    };
                    if better {
                        best = Some((obj, free, l, new));
                    }
                }
            }
            let Some((obj, _, l, new)) = best else { break };
            let mass_new = new.len() as f64 / total;
            if mass_new >= opts.mass_min && new.len() > idx.len() && obj > 0.0 {
                lims = l;
                idx = new;
                trajectory.push(data.make_box(lims.clone(), &idx, cases, true));
            } else {
                break;
            }
        }
    }

    let chosen = choose(&trajectory, opts.threshold);
    Ok(PrimResult {
        trajectory,
        chosen,
        points: x.len(),
        cases,
        options: opts,
    })
}

/// Harmonic mean of coverage and density (0 when both are 0).
fn f_score(b: &PrimBox) -> f64 {
    let s = b.coverage + b.density;
    if s > 0.0 {
        2.0 * b.coverage * b.density / s
    } else {
        0.0
    }
}

/// Among boxes of density ≥ `threshold`, the one with the best harmonic mean of coverage and
/// density; when none reaches the threshold, the best harmonic mean overall (ties: the earlier,
/// wider box).
fn choose(t: &[PrimBox], threshold: f64) -> usize {
    let best = |dense_only: bool| {
        let mut pick: Option<usize> = None;
        for (i, b) in t.iter().enumerate() {
            if (!dense_only || b.density >= threshold)
                && pick.is_none_or(|p| f_score(b) > f_score(&t[p]))
            {
                pick = Some(i);
            }
        }
        pick
    };
    best(true).or_else(|| best(false)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitivity::{rng, unit};

    fn planted(n: usize, dims: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<bool>) {
        let mut r = rng(seed, 50);
        let x: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..dims).map(|_| unit(&mut r)).collect())
            .collect();
        let y = x.iter().map(|p| p[0] > 0.7 && p[1] < 0.3).collect();
        (x, y)
    }

    #[test]
    fn a_planted_box_is_recovered() {
        let (x, y) = planted(2000, 5, 1);
        let r = prim(&x, &y, PrimOptions::default()).unwrap();
        let b = r.chosen_box();
        assert!(b.density >= 0.9, "density {}", b.density);
        assert!(b.coverage >= 0.8, "coverage {}", b.coverage);
        assert_eq!(b.restricted, vec![0, 1], "{:?}", b.limits);
        assert!((b.limits[0].0 - 0.7).abs() < 0.05, "{:?}", b.limits[0]);
        assert!((b.limits[1].1 - 0.3).abs() < 0.05, "{:?}", b.limits[1]);
        // Both restrictions matter: tiny quasi-p-values.
        assert!(b.quasi_p[0].0.unwrap() < 1e-6);
        assert!(b.quasi_p[1].1.unwrap() < 1e-6);
        assert_eq!(b.quasi_p[0].1, None);
        // The trajectory starts with everything and trades coverage for density.
        let first = &r.trajectory[0];
        assert_eq!((first.mass, first.coverage), (1.0, 1.0));
        assert!(r.trajectory.iter().all(|b| b.mass >= 0.05));
    }

    #[test]
    fn a_needless_restriction_has_a_large_quasi_p_value() {
        // Cases of interest only depend on x0; with x1 also cut at its median by hand, the
        // quasi-p-value of that cut is large and the one of x0 tiny.
        let (x, _) = planted(2000, 2, 3);
        let y: Vec<bool> = x.iter().map(|p| p[0] > 0.6).collect();
        let init = vec![(0.0, 1.0), (0.0, 1.0)];
        let data = Data { x: &x, y: &y, init };
        let lims = vec![(0.6, 1.0), (0.0, 0.5)];
        let idx = data.members(&lims);
        let b = data.make_box(lims, &idx, y.iter().filter(|&&b| b).count(), false);
        assert!(b.quasi_p[1].1.unwrap() > 0.05, "{:?}", b.quasi_p);
        assert!(b.quasi_p[0].0.unwrap() < 1e-6);
    }

    #[test]
    fn peel_quantiles_step_past_ties() {
        let mut v = vec![0.0, 0.0, 0.0, 1.0, 2.0];
        assert_eq!(peel_quantile(&mut v, 0.05), 0.5);
        let mut v = vec![1.0, 2.0, 3.0, 3.0, 3.0];
        assert_eq!(peel_quantile(&mut v, 0.95), 2.5);
    }

    #[test]
    fn the_chosen_box_balances_coverage_and_density_above_the_threshold() {
        let mk = |c: f64, d: f64| PrimBox {
            limits: vec![],
            n: 0,
            k: 0,
            coverage: c,
            density: d,
            mass: 0.0,
            restricted: vec![],
            quasi_p: vec![],
            pasted: false,
        };
        let t = vec![mk(1.0, 0.1), mk(0.9, 0.82), mk(0.7, 0.95)];
        // F-scores 0.18, 0.858, 0.806: the first box above 0.8 is also the best balance.
        assert_eq!(choose(&t, 0.8), 1);
        // None reaches 0.99: the best balance overall.
        assert_eq!(choose(&t, 0.99), 1);
        // A later box nearly as wide and purer wins over the first one above the threshold.
        let t = vec![mk(1.0, 0.1), mk(0.97, 0.81), mk(0.94, 1.0)];
        assert_eq!(choose(&t, 0.8), 2);
        assert_eq!(choose(&t, 0.5), 2);
    }

    #[test]
    fn no_case_of_interest_gives_one_box() {
        let (x, _) = planted(200, 3, 4);
        let y = vec![false; 200];
        let r = prim(&x, &y, PrimOptions::default()).unwrap();
        assert_eq!(r.trajectory.len(), 1);
        assert_eq!(r.chosen, 0);
    }
}
