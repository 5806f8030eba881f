//! Seeded random streams and distribution sampling.
//!
//! Every stochastic process of a run (a threat's signals, an agency's collection, service and
//! failures, a link's sharing decisions, an insider, an inject) draws from its own [`Stream`],
//! keyed by the master seed, `fnv1a(label)` and the run index, where `label` names the process
//! (e.g. `"agency/fc_va/service"`). The same (master seed, run index) therefore gives the same
//! draws to the same process in every variant: common random numbers, as far as a variant
//! leaves that process in place.
//!
//! A stream is a SplittableRandom generator (Steele, Lea & Flood, "Fast splittable
//! pseudorandom number generators", OOPSLA 2014; Java's `java.util.SplittableRandom`): a
//! 64-bit state advanced by an odd per-stream increment γ, each output the state passed
//! through the MurmurHash3/Stafford "variant 13" finaliser. It passes BigCrush, and a stream
//! is 16 bytes: a run of a national network holds thousands of streams (one per link), and a
//! ChaCha8 stream (over 300 bytes of block buffer each) kept them out of the processor's
//! cache. The batch-level generators (designs, bootstraps, fuzzing) stay `ChaCha8Rng`.

use crate::scenario::schema::{Dist, Duration};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use std::convert::Infallible;

/// 64-bit FNV-1a of a label (stable across platforms and versions).
pub(super) fn fnv1a(label: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The golden-ratio increment of SplitMix64, 2^64 / φ rounded to odd.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// Stafford's "variant 13" 64-bit finaliser (SplittableRandom's `mix64`): a bijection of
/// `u64` with full avalanche.
pub(super) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplittableRandom's `mixGamma`: an odd increment with enough bit transitions that the
/// stream's states are not a near-arithmetic sequence.
fn mix_gamma(z: u64) -> u64 {
    let mut z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    z = (z ^ (z >> 33)) | 1;
    if (z ^ (z >> 1)).count_ones() < 24 {
        z ^ 0xaaaa_aaaa_aaaa_aaaa
    } else {
        z
    }
}

/// The random stream of one process in one run (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stream {
    /// The state, advanced by `gamma` before each output.
    state: u64,
    /// The odd increment, distinct per stream.
    gamma: u64,
}

impl Stream {
    /// The stream whose seed material is `key` (any 64-bit value; nearby keys give unrelated
    /// streams).
    fn from_key(key: u64) -> Stream {
        let k = mix64(key.wrapping_add(GOLDEN_GAMMA));
        Stream {
            state: mix64(k),
            gamma: mix_gamma(k.wrapping_add(GOLDEN_GAMMA)),
        }
    }

    /// Continue from here on a different stream, keyed by `key`: the draws from now on are
    /// unrelated to the ones this stream would have given (used by the console's
    /// continuations).
    pub(super) fn rekey(&mut self, key: u64) {
        let k = mix64(self.state ^ mix64(key.wrapping_add(GOLDEN_GAMMA)));
        self.state = mix64(k);
        self.gamma = mix_gamma(k ^ self.gamma);
    }
}

impl rand::TryRng for Stream {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.state = self.state.wrapping_add(self.gamma);
        Ok(mix64(self.state))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let x = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&x[..chunk.len()]);
        }
        Ok(())
    }
}

impl Stream {
    /// Set the next uniform aside: the stream moves past it (one addition: an output depends
    /// on the state only) and [`Deferred::uniform`] works it out later, if it is needed at all.
    /// The stream's later draws are the same either way.
    #[inline]
    pub(crate) fn defer(&mut self) -> Deferred {
        let d = Deferred(self.state);
        self.state = self.state.wrapping_add(self.gamma);
        d
    }
}

/// A uniform set aside by [`Stream::defer`]: the state before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Deferred(u64);

impl Deferred {
    /// The uniform on [0, 1) the deferred draw gives: the value `random::<f64>()` would have
    /// returned at that point of `stream` (the stream it was set aside from).
    #[inline]
    pub(crate) fn uniform(self, stream: &Stream) -> f64 {
        Stream {
            state: self.0,
            gamma: stream.gamma,
        }
        .random()
    }
}

/// The stream of process `label` in run `run_index` of a batch with master seed `master`
/// (the engine precomputes each label's key and calls [`RunSeed::keyed`]; the tests use this).
#[cfg(test)]
fn stream(master: u64, run_index: u64, label: &str) -> Stream {
    RunSeed { master, run_index }.keyed(fnv1a(label))
}

/// Identifies a run's random streams: the stream of process key `key` (`fnv1a(label)`) is
/// keyed by `mix64(master ^ key)` and the run index. The same pair always gives the same run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSeed {
    /// Master seed of the batch.
    pub master: u64,
    /// Run index within the batch.
    pub run_index: u64,
}

impl RunSeed {
    /// The stream of the process whose label has FNV-1a key `key` (the engine precomputes
    /// `fnv1a(label)` once per scenario).
    pub(crate) fn keyed(&self, key: u64) -> Stream {
        let process = mix64(self.master ^ key);
        Stream::from_key(process ^ mix64(self.run_index.wrapping_mul(GOLDEN_GAMMA)))
    }
}

/// A distribution with every value in hours (times) or plain units (numbers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Sampler {
    /// Always this value.
    Fixed(f64),
    /// (min, max).
    Uniform(f64, f64),
    /// (min, mode, max).
    Triangular(f64, f64, f64),
    /// (mean).
    Exponential(f64),
    /// (μ, σ) of the underlying normal.
    LogNormal(f64, f64),
    /// (shape, scale).
    Weibull(f64, f64),
}

/// Φ⁻¹(0.95): the one-sided 95% standard normal quantile, linking a lognormal's median and p95.
const Z_ONE_SIDED_95: f64 = 1.644_853_626_951_472_2;

impl Sampler {
    /// Build from a time distribution (values converted to hours).
    pub(super) fn from_time(d: &Dist<Duration>) -> Sampler {
        Self::build(d, |x| x.hours())
    }

    fn build<T>(d: &Dist<T>, f: impl Fn(&T) -> f64) -> Sampler {
        match d {
            Dist::Fixed(v) => Sampler::Fixed(f(v)),
            Dist::Uniform { min, max } => Sampler::Uniform(f(min), f(max)),
            Dist::Triangular { min, mode, max } => Sampler::Triangular(f(min), f(mode), f(max)),
            Dist::Exponential { mean } => Sampler::Exponential(f(mean)),
            Dist::LogNormal { median, p95 } => {
                let (m, q) = (f(median).max(1e-12), f(p95).max(1e-12));
                Sampler::LogNormal(m.ln(), ((q.ln() - m.ln()) / Z_ONE_SIDED_95).max(0.0))
            }
            Dist::Weibull { shape, scale } => Sampler::Weibull(*shape, f(scale)),
        }
    }

    /// Draw one value (never negative for valid parameters).
    pub(super) fn sample(&self, rng: &mut Stream) -> f64 {
        match *self {
            Sampler::Fixed(v) => v,
            Sampler::Uniform(a, b) => a + (b - a) * rng.random::<f64>(),
            Sampler::Triangular(a, c, b) => {
                let u: f64 = rng.random();
                if b <= a {
                    return a;
                }
                let fc = (c - a) / (b - a);
                if u < fc {
                    a + (u * (b - a) * (c - a)).sqrt()
                } else {
                    b - ((1.0 - u) * (b - a) * (b - c)).sqrt()
                }
            }
            Sampler::Exponential(mean) => -mean * (1.0 - rng.random::<f64>()).ln(),
            Sampler::LogNormal(mu, sigma) => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Sampler::Weibull(k, lambda) => {
                lambda * (-(1.0 - rng.random::<f64>()).ln()).powf(1.0 / k.max(1e-9))
            }
        }
    }

    /// The distribution's mean (for tests against sample means).
    #[cfg(test)]
    pub(super) fn mean(&self) -> f64 {
        match *self {
            Sampler::Fixed(v) => v,
            Sampler::Uniform(a, b) => (a + b) / 2.0,
            Sampler::Triangular(a, c, b) => (a + b + c) / 3.0,
            Sampler::Exponential(m) => m,
            Sampler::LogNormal(mu, s) => (mu + s * s / 2.0).exp(),
            Sampler::Weibull(k, l) => l * gamma(1.0 + 1.0 / k),
        }
    }
}

#[cfg(test)]
/// Γ(x) for x > 0 (Lanczos approximation, |relative error| < 1e-13).
fn gamma(x: f64) -> f64 {
    statrs::function::gamma::gamma(x)
}

/// Bernoulli draw that consumes exactly one uniform whatever `p` is (keeps streams aligned
/// across variants that change a probability).
pub(super) fn chance(rng: &mut Stream, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// Exponential waiting time with the given rate per hour (∞ when the rate is 0); consumes one
/// uniform.
pub(super) fn exp_wait(rng: &mut Stream, rate_per_h: f64) -> f64 {
    let u: f64 = rng.random();
    if rate_per_h <= 0.0 {
        f64::INFINITY
    } else {
        -(1.0 - u).ln() / rate_per_h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_label_same_run_gives_the_same_draws() {
        let mut a = stream(7, 3, "agency/x/service");
        let mut b = stream(7, 3, "agency/x/service");
        let xa: Vec<f64> = (0..5).map(|_| a.random()).collect();
        let xb: Vec<f64> = (0..5).map(|_| b.random()).collect();
        assert_eq!(xa, xb);
    }

    /// A deferred uniform is the draw the stream would have made there, and the draws after
    /// it are unchanged, whether or not it is ever worked out.
    #[test]
    fn a_deferred_draw_is_the_draw_it_skipped() {
        let mut plain = stream(7, 3, "link/x");
        let mut skipping = plain.clone();
        for i in 0..50 {
            let want: f64 = plain.random();
            if i % 3 == 0 {
                let got: f64 = skipping.random();
                assert_eq!(got.to_bits(), want.to_bits());
            } else {
                let d = skipping.defer();
                if i % 3 == 1 {
                    assert_eq!(d.uniform(&skipping).to_bits(), want.to_bits());
                }
            }
            assert_eq!(plain, skipping);
        }
    }

    #[test]
    fn different_runs_and_labels_give_different_draws() {
        let x = stream(7, 3, "a").random::<u64>();
        assert_ne!(x, stream(7, 4, "a").random::<u64>());
        assert_ne!(x, stream(7, 3, "b").random::<u64>());
        assert_ne!(x, stream(8, 3, "a").random::<u64>());
    }

    #[test]
    fn lognormal_is_parameterised_by_median_and_p95() {
        let s = Sampler::from_time(&Dist::LogNormal {
            median: Duration::Hours(2.0),
            p95: Duration::Hours(8.0),
        });
        let mut rng = stream(1, 0, "t");
        let n = 40_000;
        let mut xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        // Order-statistic standard error of a quantile: sqrt(p(1-p)/n) / density; check the
        // empirical CDF at the claimed quantiles instead, with a 4σ binomial tolerance.
        let below_median = xs.iter().filter(|&&x| x <= 2.0).count() as f64 / n as f64;
        let below_p95 = xs.iter().filter(|&&x| x <= 8.0).count() as f64 / n as f64;
        let se50 = (0.25f64 / n as f64).sqrt();
        let se95 = (0.95f64 * 0.05 / n as f64).sqrt();
        assert!((below_median - 0.5).abs() < 4.0 * se50, "{below_median}");
        assert!((below_p95 - 0.95).abs() < 4.0 * se95, "{below_p95}");
    }

    #[test]
    fn sample_means_match_closed_forms() {
        let cases = [
            Sampler::Uniform(1.0, 3.0),
            Sampler::Triangular(0.0, 1.0, 4.0),
            Sampler::Exponential(2.5),
            Sampler::Weibull(1.5, 10.0),
            Sampler::LogNormal(0.0, 0.5),
        ];
        for (i, s) in cases.iter().enumerate() {
            let mut rng = stream(11, i as u64, "means");
            let n = 50_000;
            let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let se = (var / n as f64).sqrt();
            assert!(
                (mean - s.mean()).abs() < 4.0 * se,
                "{s:?}: {mean} vs {}",
                s.mean()
            );
        }
    }
}
