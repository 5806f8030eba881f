//! Sorting one tick's events by time: a counting pass spreads them over [`PARTS`] equal
//! slices of the tick window by time, then each slice (a few events) is sorted on its own.
//! The slice of an event is a non-decreasing function of its time, so the result is exactly
//! the full sort's, at a fraction of its comparisons.

use std::cmp::Ordering;

/// Slices of the window.
const PARTS: usize = 256;

/// Below this many events, one plain sort.
const SMALL: usize = 32;

/// A slice with more events than this is sorted on its own before the insertion pass.
const CROWDED: u32 = 8;

/// Reusable buffers of [`TimeSort::sort`].
#[derive(Debug)]
pub(crate) struct TimeSort<T> {
    /// The events, scattered by slice.
    scratch: Vec<T>,
    /// Each event's slice.
    parts: Vec<u8>,
    /// Where each slice starts in `scratch`, then one past the last.
    starts: [u32; PARTS + 1],
}

impl<T> Default for TimeSort<T> {
    fn default() -> Self {
        TimeSort {
            scratch: Vec::new(),
            parts: Vec::new(),
            starts: [0; PARTS + 1],
        }
    }
}

impl<T: Copy> TimeSort<T> {
    /// Sort `v` by `cmp`, whose first key is `time(x)` under `f64::total_cmp` and which is a
    /// total order on `v`'s events (so the order is unique). The times are expected in
    /// `[lo, lo + width)`; any other time is still placed correctly (in the first or the
    /// last slice).
    pub(crate) fn sort(
        &mut self,
        v: &mut Vec<T>,
        (lo, width): (f64, f64),
        time: impl Fn(&T) -> f64,
        mut cmp: impl FnMut(&T, &T) -> Ordering,
    ) {
        if v.len() < SMALL || width.is_nan() || width <= 0.0 {
            v.sort_unstable_by(cmp);
            return;
        }
        let scale = PARTS as f64 / width;
        let part = |t: f64| -> u8 {
            if t.is_nan() {
                // Where `total_cmp` puts it: negative NaN first, positive NaN last.
                return if t.is_sign_negative() {
                    0
                } else {
                    (PARTS - 1) as u8
                };
            }
            // `as` saturates, so very early or late times (and infinities) land at the ends.
            (((t - lo) * scale) as i64).clamp(0, PARTS as i64 - 1) as u8
        };
        self.parts.clear();
        self.parts.extend(v.iter().map(|x| part(time(x))));
        self.starts = [0; PARTS + 1];
        for &p in &self.parts {
            self.starts[p as usize + 1] += 1;
        }
        for i in 1..=PARTS {
            self.starts[i] += self.starts[i - 1];
        }
        let mut next = self.starts;
        self.scratch.clear();
        self.scratch.extend_from_slice(v);
        for (x, &p) in v.iter().zip(&self.parts) {
            let at = &mut next[p as usize];
            self.scratch[*at as usize] = *x;
            *at += 1;
        }
        // Now in order of slice. A crowded slice (many events at one time, say) is sorted on
        // its own; the others hold a few events each, and one insertion pass over the whole
        // sorts them, moving only events out of order within their slice (and taking no
        // branch per slice on its few events, which no predictor could guess).
        for w in self.starts.windows(2) {
            if w[1] - w[0] > CROWDED {
                self.scratch[w[0] as usize..w[1] as usize].sort_unstable_by(&mut cmp);
            }
        }
        let s = &mut self.scratch;
        for i in 1..s.len() {
            let x = s[i];
            let mut j = i;
            while j > 0 && cmp(&x, &s[j - 1]) == Ordering::Less {
                s[j] = s[j - 1];
                j -= 1;
            }
            s[j] = x;
        }
        std::mem::swap(v, &mut self.scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// The result equals the plain sort's, for times inside, before and after the window,
    /// ties broken by the second key, and the odd values (infinities, NaN, −0).
    #[test]
    fn equals_a_plain_sort() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut ts = TimeSort::default();
        for n in [0, 1, 5, 31, 32, 33, 100, 1000, 5000] {
            let mut v: Vec<(f64, u32)> = (0..n)
                .map(|i| {
                    let t = match rng.random_range(0..20) {
                        0 => 9.5,
                        1 => 12.5,
                        2 => f64::INFINITY,
                        3 => f64::NEG_INFINITY,
                        4 => f64::NAN,
                        5 => -f64::NAN,
                        6 => -0.0,
                        7 => 10.0,
                        8 => 10.0 + 1.0 / 64.0,
                        // Crowded slices: many events at one time, and many close together.
                        9 | 10 => 11.0,
                        11 | 12 => 11.5 + rng.random::<f64>() / 1024.0,
                        _ => 10.0 + 2.0 * rng.random::<f64>(),
                    };
                    (t, i)
                })
                .collect();
            let cmp = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            let mut want = v.clone();
            want.sort_unstable_by(cmp);
            ts.sort(&mut v, (10.0, 2.0), |x| x.0, cmp);
            let bits =
                |v: &[(f64, u32)]| v.iter().map(|x| (x.0.to_bits(), x.1)).collect::<Vec<_>>();
            assert_eq!(bits(&v), bits(&want), "n = {n}");
        }
    }
}
