//! Pattern-oriented validation: where each observed value of the real case falls in the
//! simulated distribution of its metric (a pure function of the metric's column).

use super::summary::ObservedCheck;
use crate::sim::{ObservedDef, ObservedKind};

/// Type-7 percentile of ascending values that may end in +∞ (runs where the event never
/// happened); None when the percentile touches +∞ or there are no values.
pub(crate) fn percentile_with_never(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let a = sorted[lo];
    if !a.is_finite() {
        return None;
    }
    if frac == 0.0 {
        return Some(a);
    }
    let b = sorted[(lo + 1).min(n - 1)];
    b.is_finite().then_some(a + (b - a) * frac)
}

/// Compare one observed value with the simulated values `vals` of its metric (one per run;
/// None where the metric had no value). `unit` is the metric's unit: for hours, a run without
/// a value is one where the event never happened, later than any time.
pub(crate) fn check(def: &ObservedDef, unit: &str, vals: &[Option<f64>]) -> ObservedCheck {
    let time = unit == "h";
    let mut xs: Vec<f64> = vals
        .iter()
        .filter_map(|v| match v {
            Some(x) => Some(*x),
            None if time => Some(f64::INFINITY),
            None => None,
        })
        .collect();
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let nf = n as f64;
    let never = xs.iter().filter(|x| x.is_infinite()).count();
    let obs = match def.kind {
        ObservedKind::Never => f64::INFINITY,
        _ => def.value.unwrap_or(f64::NAN),
    };
    let below = xs.iter().filter(|&&x| x < obs).count() as f64;
    let equal = xs.iter().filter(|&&x| x == obs).count() as f64;
    let (percentile, inside) = if n == 0 || obs.is_nan() {
        (None, false)
    } else {
        let p_lt = below / nf;
        let p_le = (below + equal) / nf;
        match def.kind {
            ObservedKind::Value | ObservedKind::Never => (
                Some(100.0 * (p_lt + p_le) / 2.0),
                p_le >= 0.05 && p_lt <= 0.95,
            ),
            ObservedKind::AtLeast => (Some(100.0 * p_lt), 1.0 - p_lt >= 0.05),
            ObservedKind::AtMost => (Some(100.0 * p_le), p_le >= 0.05),
        }
    };
    ObservedCheck {
        id: def.id.clone(),
        description: def.description.clone(),
        metric: def.metric.clone(),
        unit: unit.to_string(),
        kind: def.kind,
        value: def.value,
        source: def.source.clone(),
        note: def.note.clone(),
        n: n as u64,
        never_share: if n > 0 { never as f64 / nf } else { 0.0 },
        percentile,
        p5: percentile_with_never(&xs, 0.05),
        p50: percentile_with_never(&xs, 0.5),
        p95: percentile_with_never(&xs, 0.95),
        inside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(kind: ObservedKind, value: Option<f64>) -> ObservedDef {
        ObservedDef {
            id: "o".into(),
            description: "d".into(),
            metric: "m".into(),
            kind,
            value,
            source: "s".into(),
            note: String::new(),
        }
    }

    /// 0, 1, ..., 99 hours.
    fn hundred() -> Vec<Option<f64>> {
        (0..100).map(|i| Some(f64::from(i))).collect()
    }

    #[test]
    fn a_value_gets_its_mid_rank_percentile_and_the_type7_band() {
        let c = check(&def(ObservedKind::Value, Some(49.5)), "h", &hundred());
        assert_eq!(c.percentile, Some(50.0));
        assert_eq!(c.p50, Some(49.5));
        assert!((c.p5.unwrap() - 4.95).abs() < 1e-12);
        assert!((c.p95.unwrap() - 94.05).abs() < 1e-12);
        assert!(c.inside);
        // 97 is above 95 of the 100 runs and below 2: outside the band.
        let c = check(&def(ObservedKind::Value, Some(97.0)), "h", &hundred());
        assert_eq!(c.percentile, Some(97.5));
        assert!(!c.inside);
        // 3 is below the band.
        assert!(!check(&def(ObservedKind::Value, Some(3.0)), "h", &hundred()).inside);
    }

    #[test]
    fn never_happening_counts_as_later_than_any_time() {
        // 10 runs of 100 never reach the event.
        let mut vals = hundred();
        for v in vals.iter_mut().take(10) {
            *v = None;
        }
        let c = check(&def(ObservedKind::Never, None), "h", &vals);
        assert!((c.never_share - 0.1).abs() < 1e-12);
        assert_eq!(c.percentile, Some(95.0));
        assert!(c.inside);
        assert_eq!(c.p95, None);
        // With only 2 of 100 never happening, a real case where it never happened is flagged.
        let mut vals = hundred();
        vals[0] = None;
        vals[1] = None;
        let c = check(&def(ObservedKind::Never, None), "h", &vals);
        assert!(!c.inside);
        assert_eq!(c.percentile, Some(99.0));
        // A count metric leaves runs without a value out.
        let c = check(&def(ObservedKind::Value, Some(50.0)), "people", &vals);
        assert_eq!(c.n, 98);
        assert_eq!(c.never_share, 0.0);
    }

    #[test]
    fn censored_values_need_five_percent_beyond_them() {
        // "Still waiting at 96 h": 4 of 100 runs beyond 95.5 → flagged; at 90, 10 runs → fine.
        let c = check(&def(ObservedKind::AtLeast, Some(95.5)), "h", &hundred());
        assert_eq!(c.percentile, Some(96.0));
        assert!(!c.inside);
        assert!(check(&def(ObservedKind::AtLeast, Some(90.0)), "h", &hundred()).inside);
        let c = check(&def(ObservedKind::AtMost, Some(3.0)), "h", &hundred());
        assert_eq!(c.percentile, Some(4.0));
        assert!(!c.inside);
        assert!(check(&def(ObservedKind::AtMost, Some(4.0)), "h", &hundred()).inside);
    }

    #[test]
    fn no_runs_is_not_inside() {
        let c = check(
            &def(ObservedKind::Value, Some(1.0)),
            "people",
            &[None, None],
        );
        assert_eq!((c.n, c.percentile, c.inside), (0, None, false));
    }
}
