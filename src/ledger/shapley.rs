//! Shapley values of a cooperative game whose worth is simulated: exact over all coalitions
//! for a few players, otherwise antithetic permutation sampling (each sampled permutation is
//! walked forwards and in reverse) with an adaptive stop on the standard error.
//!
//! φᵢ = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S)). A permutation's
//! marginal contributions sum to v(N) − v(∅) exactly, so every estimate is efficient.

use crate::error::Result;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Random stream of the permutation draws (run streams are run indices, far below it).
pub(crate) const SHAPLEY_STREAM: u64 = u64::MAX - 1;

/// Players at most this many are valued exactly (2ⁿ coalitions).
pub(crate) const EXACT_MAX: usize = 8;

/// A game: the worth of coalitions (bit i set = player i present), one value per target.
pub(crate) trait Game {
    /// Worth of each coalition asked for, in order; each a vector over the targets.
    fn worth(&mut self, coalitions: &[u64]) -> Result<Vec<Vec<f64>>>;
}

/// Shapley values per target and player, with standard errors.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Values {
    /// `[target][player]`.
    pub(crate) phi: Vec<Vec<f64>>,
    /// `[target][player]` standard error (0 when exact).
    pub(crate) se: Vec<Vec<f64>>,
    /// v(all) − v(none) per target.
    pub(crate) total: Vec<f64>,
    /// Exact.
    pub(crate) exact: bool,
    /// Antithetic pairs sampled (0 when exact).
    pub(crate) pairs: u64,
    /// Largest standard error reached.
    pub(crate) precision: f64,
}

/// Worth of coalitions, each computed once.
struct Cache<'g, G: Game> {
    game: &'g mut G,
    known: BTreeMap<u64, Vec<f64>>,
}

impl<G: Game> Cache<'_, G> {
    /// Compute the coalitions not yet known (in one call, so the game can run them in
    /// parallel).
    fn fill(&mut self, masks: &[u64]) -> Result<()> {
        let mut need: Vec<u64> = masks
            .iter()
            .copied()
            .filter(|m| !self.known.contains_key(m))
            .collect();
        need.sort_unstable();
        need.dedup();
        if need.is_empty() {
            return Ok(());
        }
        let vals = self.game.worth(&need)?;
        for (m, v) in need.into_iter().zip(vals) {
            self.known.insert(m, v);
        }
        Ok(())
    }

    fn get(&self, m: u64) -> &[f64] {
        &self.known[&m]
    }
}

fn factorial(k: usize) -> f64 {
    (1..=k).map(|x| x as f64).product()
}

/// Exact Shapley values of `n` players over `targets` targets.
pub(crate) fn exact<G: Game>(game: &mut G, n: usize, targets: usize) -> Result<Values> {
    let all: Vec<u64> = (0..1u64 << n).collect();
    let mut cache = Cache {
        game,
        known: BTreeMap::new(),
    };
    cache.fill(&all)?;
    let nf = factorial(n);
    let mut phi = vec![vec![0.0; n]; targets];
    for i in 0..n {
        for s in all.iter().copied().filter(|s| s & (1 << i) == 0) {
            let k = s.count_ones() as usize;
            let w = factorial(k) * factorial(n - k - 1) / nf;
            let (with, without) = (cache.get(s | 1 << i), cache.get(s));
            for (t, row) in phi.iter_mut().enumerate() {
                row[i] += w * (with[t] - without[t]);
            }
        }
    }
    let full = (1u64 << n) - 1;
    let total = (0..targets)
        .map(|t| cache.get(full)[t] - cache.get(0)[t])
        .collect();
    Ok(Values {
        phi,
        se: vec![vec![0.0; n]; targets],
        total,
        exact: true,
        pairs: 0,
        precision: 0.0,
    })
}

/// Settings of the sampled estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sampling {
    /// Master seed (permutations come from stream [`SHAPLEY_STREAM`]).
    pub(crate) seed: u64,
    /// Stop once every standard error is at most this.
    pub(crate) precision: f64,
    /// Antithetic pairs before the first stopping check, ≥ 2.
    pub(crate) min_pairs: u64,
    /// Antithetic pairs at most.
    pub(crate) max_pairs: u64,
    /// Pairs whose coalitions are computed together (one parallel call).
    pub(crate) batch: u64,
}

/// The coalitions along a walk: ∅, {o₀}, {o₀, o₁}, ..., all.
fn walk(order: &[usize]) -> Vec<u64> {
    let mut m = 0u64;
    let mut out = vec![0u64];
    for &p in order {
        m |= 1 << p;
        out.push(m);
    }
    out
}

/// Sampled Shapley values of `n` (≤ 63) players by antithetic permutations.
pub(crate) fn sampled<G: Game>(
    game: &mut G,
    n: usize,
    targets: usize,
    s: Sampling,
) -> Result<Values> {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    rng.set_stream(SHAPLEY_STREAM);
    let mut cache = Cache {
        game,
        known: BTreeMap::new(),
    };
    // Each pair's estimate, `[pair][target][player]` (two-pass mean and variance after).
    let mut ests: Vec<Vec<Vec<f64>>> = Vec::new();
    let stats = |ests: &[Vec<Vec<f64>>]| -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let k = ests.len() as f64;
        let mut mean = vec![vec![0.0; n]; targets];
        let mut se = vec![vec![f64::INFINITY; n]; targets];
        for t in 0..targets {
            for p in 0..n {
                let m = ests.iter().map(|e| e[t][p]).sum::<f64>() / k;
                mean[t][p] = m;
                if ests.len() >= 2 {
                    let var = ests.iter().map(|e| (e[t][p] - m).powi(2)).sum::<f64>() / (k - 1.0);
                    se[t][p] = (var / k).sqrt();
                }
            }
        }
        (mean, se)
    };
    loop {
        let take = s.batch.max(1).min(s.max_pairs - ests.len() as u64);
        let orders: Vec<Vec<usize>> = (0..take)
            .map(|_| {
                let mut o: Vec<usize> = (0..n).collect();
                o.shuffle(&mut rng);
                o
            })
            .collect();
        let masks: Vec<u64> = orders
            .iter()
            .flat_map(|o| {
                let mut r = o.clone();
                r.reverse();
                let mut w = walk(o);
                w.extend(walk(&r));
                w
            })
            .collect();
        cache.fill(&masks)?;
        for o in &orders {
            let mut r = o.clone();
            r.reverse();
            let mut est = vec![vec![0.0; n]; targets];
            for ord in [o, &r] {
                let w = walk(ord);
                for (k, &p) in ord.iter().enumerate() {
                    let (before, after) = (cache.get(w[k]), cache.get(w[k + 1]));
                    for (t, row) in est.iter_mut().enumerate() {
                        row[p] += 0.5 * (after[t] - before[t]);
                    }
                }
            }
            ests.push(est);
        }
        let pairs = ests.len() as u64;
        let worst = stats(&ests).1.iter().flatten().copied().fold(0.0, f64::max);
        if pairs >= s.max_pairs || (pairs >= s.min_pairs.max(2) && worst <= s.precision) {
            break;
        }
    }
    let pairs = ests.len() as u64;
    let (phi, se) = stats(&ests);
    let full = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    let total = (0..targets)
        .map(|t| cache.get(full)[t] - cache.get(0)[t])
        .collect();
    let precision = se.iter().flatten().copied().fold(0.0, f64::max);
    Ok(Values {
        phi,
        se,
        total,
        exact: false,
        pairs,
        precision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A game given by a closure over the mask.
    struct Closed<F: Fn(u64) -> Vec<f64>>(F, u64);
    impl<F: Fn(u64) -> Vec<f64>> Game for Closed<F> {
        fn worth(&mut self, c: &[u64]) -> Result<Vec<Vec<f64>>> {
            self.1 += c.len() as u64;
            Ok(c.iter().map(|&m| (self.0)(m)).collect())
        }
    }

    fn sampling(seed: u64) -> Sampling {
        Sampling {
            seed,
            precision: 1e-9,
            min_pairs: 2,
            max_pairs: 40,
            batch: 4,
        }
    }

    #[test]
    fn an_additive_game_gives_each_player_its_own_worth_exactly_and_by_sampling() {
        let w = [0.1, 0.25, 0.0, 0.4, 0.05, 0.2, 0.3, 0.15, 0.35, 0.05];
        let v = |m: u64| vec![(0..10).filter(|i| m & 1 << i != 0).map(|i| w[i]).sum()];
        let e = exact(&mut Closed(v, 0), 8, 1).unwrap();
        for (phi, want) in e.phi[0].iter().zip(&w[..8]) {
            assert!((phi - want).abs() < 1e-12);
        }
        // Sampling: every permutation gives each player exactly its worth, so the standard
        // error is 0 and the stop comes at the minimum.
        let s = sampled(&mut Closed(v, 0), 10, 1, sampling(7)).unwrap();
        for (phi, want) in s.phi[0].iter().zip(&w) {
            assert!((phi - want).abs() < 1e-12);
        }
        assert_eq!(s.pairs, 4);
        assert!(s.precision < 1e-12);
    }

    #[test]
    fn two_redundant_players_split_their_joint_worth_evenly() {
        // Either of players 0 and 1 gives 0.6; player 2 adds 0.1 alone.
        let v = |m: u64| {
            let pair = if m & 0b11 != 0 { 0.6 } else { 0.0 };
            vec![pair + if m & 0b100 != 0 { 0.1 } else { 0.0 }]
        };
        let e = exact(&mut Closed(v, 0), 3, 1).unwrap();
        assert!((e.phi[0][0] - 0.3).abs() < 1e-12);
        assert!((e.phi[0][1] - 0.3).abs() < 1e-12);
        assert!((e.phi[0][2] - 0.1).abs() < 1e-12);
        // An antithetic pair puts 0 first in one walk and 1 first in the other: exact too.
        let s = sampled(&mut Closed(v, 0), 3, 1, sampling(3)).unwrap();
        assert!((s.phi[0][0] - 0.3).abs() < 1e-12 && (s.phi[0][1] - 0.3).abs() < 1e-12);
    }

    #[test]
    fn sampled_values_are_efficient_and_near_the_exact_ones_within_their_errors() {
        // A majority game of 7 with weights: worth 1 when the weights present reach 8.
        let wt = [4u32, 3, 3, 2, 2, 1, 1];
        let v = |m: u64| {
            let s: u32 = (0..7).filter(|i| m & 1 << i != 0).map(|i| wt[i]).sum();
            vec![if s >= 8 { 1.0 } else { 0.0 }]
        };
        let e = exact(&mut Closed(v, 0), 7, 1).unwrap();
        let mut game = Closed(v, 0);
        let s = sampled(
            &mut game,
            7,
            1,
            Sampling {
                precision: 0.02,
                max_pairs: 4000,
                ..sampling(11)
            },
        )
        .unwrap();
        let sum: f64 = s.phi[0].iter().sum();
        assert!((sum - s.total[0]).abs() < 1e-12);
        assert!((e.phi[0].iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(s.precision <= 0.02);
        for i in 0..7 {
            // Four standard errors: fails by chance with probability ~6e-5 per player.
            assert!(
                (s.phi[0][i] - e.phi[0][i]).abs() <= 4.0 * s.se[0][i] + 1e-12,
                "player {i}: {} vs {} ± {}",
                s.phi[0][i],
                e.phi[0][i],
                s.se[0][i]
            );
        }
    }
}
