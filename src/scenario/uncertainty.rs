//! Uncertain parameters: the `uncertainty:` section of a scenario.
//!
//! Each entry names a number of the scenario by a variant path, gives the distribution of
//! values it may take and the source of that range. The value written in the file is the
//! nominal one. [`ValidScenario::with_values`] and [`ValidScenario::at_unit_point`] give the
//! scenario at other values, validated again; `tabletop batch --uncertainty`,
//! `tabletop sensitivity` and `tabletop calibrate` draw those values.

use super::ValidScenario;
use super::diagnostics::{Diagnostic, Problem, Severity};
use super::patch;
use super::schema::{DistSpec, ScenarioSpec};
use super::span::SpanIndex;
use super::validate;
use crate::error::{Error, Result};
use statrs::distribution::{ContinuousCDF, Normal};

/// A distribution of an uncertain parameter, checked (see [`DistSpec`] for the meaning of
/// each form).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dist {
    /// Uniform on [lo, hi].
    Uniform {
        /// Low end.
        lo: f64,
        /// High end.
        hi: f64,
    },
    /// Triangular on [lo, hi] with its peak at `mode`.
    Triangular {
        /// Low end.
        lo: f64,
        /// Most likely value.
        mode: f64,
        /// High end.
        hi: f64,
    },
    /// Normal with mean and standard deviation, cut to [lo, hi] (±∞ when unbounded).
    Normal {
        /// Mean (before truncation).
        mean: f64,
        /// Standard deviation (before truncation), > 0.
        sd: f64,
        /// Low end (−∞ when unbounded).
        lo: f64,
        /// High end (+∞ when unbounded).
        hi: f64,
    },
    /// Log-normal with a median and a geometric standard deviation (> 1).
    LogNormal {
        /// Median, > 0.
        median: f64,
        /// Geometric standard deviation, > 1.
        gsd: f64,
    },
}

/// Share of the probability left out at each end when an unbounded distribution is given a
/// range (for range checks, charts and normalised axes): its 0.1% and 99.9% quantiles.
pub const TAIL: f64 = 0.001;

impl Dist {
    /// The checked distribution of `d`, or why it is not one.
    pub fn new(d: &DistSpec) -> std::result::Result<Dist, String> {
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match *d {
            DistSpec::Uniform(lo, hi) => {
                if !finite(&[lo, hi]) || lo >= hi {
                    return Err(format!(
                        "uniform(low, high) needs finite low < high; found uniform({lo}, {hi})"
                    ));
                }
                Ok(Dist::Uniform { lo, hi })
            }
            DistSpec::Triangular(lo, mode, hi) => {
                if !finite(&[lo, mode, hi]) || lo >= hi || mode < lo || mode > hi {
                    return Err(format!(
                        "triangular(low, mode, high) needs low ≤ mode ≤ high and low < high; \
                         found triangular({lo}, {mode}, {hi})"
                    ));
                }
                Ok(Dist::Triangular { lo, mode, hi })
            }
            DistSpec::Normal(mean, sd) => {
                if !finite(&[mean, sd]) || sd <= 0.0 {
                    return Err(format!(
                        "normal(mean, sd) needs a finite mean and sd > 0; found normal({mean}, {sd})"
                    ));
                }
                Ok(Dist::Normal {
                    mean,
                    sd,
                    lo: f64::NEG_INFINITY,
                    hi: f64::INFINITY,
                })
            }
            DistSpec::TruncatedNormal(mean, sd, lo, hi) => {
                if !finite(&[mean, sd, lo, hi]) || sd <= 0.0 || lo >= hi {
                    return Err(format!(
                        "truncated_normal(mean, sd, low, high) needs sd > 0 and low < high; \
                         found truncated_normal({mean}, {sd}, {lo}, {hi})"
                    ));
                }
                let d = Dist::Normal { mean, sd, lo, hi };
                if d.mass() < 1e-9 {
                    return Err(format!(
                        "truncated_normal({mean}, {sd}, {lo}, {hi}) keeps almost none of the \
                         normal: [low, high] is far in its tail"
                    ));
                }
                Ok(d)
            }
            DistSpec::Lognormal(median, gsd) => {
                if !finite(&[median, gsd]) || median <= 0.0 || gsd <= 1.0 {
                    return Err(format!(
                        "lognormal(median, gsd) needs median > 0 and gsd > 1; found \
                         lognormal({median}, {gsd})"
                    ));
                }
                Ok(Dist::LogNormal { median, gsd })
            }
        }
    }

    fn std_normal() -> Normal {
        Normal::standard()
    }

    /// Probability the untruncated normal gives to [lo, hi].
    fn mass(&self) -> f64 {
        match *self {
            Dist::Normal { mean, sd, lo, hi } => {
                let n = Self::std_normal();
                n.cdf((hi - mean) / sd) - n.cdf((lo - mean) / sd)
            }
            _ => 1.0,
        }
    }

    /// The value at cumulative probability `u` (the inverse CDF; `u` is clamped to
    /// [[`TAIL`]/10, 1 − [`TAIL`]/10] for unbounded forms, so every value is finite).
    pub fn quantile(&self, u: f64) -> f64 {
        let u = if u.is_nan() { 0.5 } else { u.clamp(0.0, 1.0) };
        match *self {
            Dist::Uniform { lo, hi } => lo + u * (hi - lo),
            Dist::Triangular { lo, mode, hi } => {
                let c = (mode - lo) / (hi - lo);
                if u < c {
                    lo + ((hi - lo) * (mode - lo) * u).sqrt()
                } else {
                    hi - ((hi - lo) * (hi - mode) * (1.0 - u)).sqrt()
                }
            }
            Dist::Normal { mean, sd, lo, hi } => {
                let n = Self::std_normal();
                let (a, b) = (n.cdf((lo - mean) / sd), n.cdf((hi - mean) / sd));
                let p = (a + u * (b - a)).clamp(TAIL / 10.0, 1.0 - TAIL / 10.0);
                (mean + sd * n.inverse_cdf(p)).clamp(lo, hi)
            }
            Dist::LogNormal { median, gsd } => {
                let p = u.clamp(TAIL / 10.0, 1.0 - TAIL / 10.0);
                median * (gsd.ln() * Self::std_normal().inverse_cdf(p)).exp()
            }
        }
    }

    /// The cumulative probability of `x`, in [0, 1].
    pub fn cdf(&self, x: f64) -> f64 {
        match *self {
            Dist::Uniform { lo, hi } => ((x - lo) / (hi - lo)).clamp(0.0, 1.0),
            Dist::Triangular { lo, mode, hi } => {
                if x <= lo {
                    0.0
                } else if x >= hi {
                    1.0
                } else if x <= mode {
                    (x - lo) * (x - lo) / ((hi - lo) * (mode - lo))
                } else {
                    1.0 - (hi - x) * (hi - x) / ((hi - lo) * (hi - mode))
                }
            }
            Dist::Normal { mean, sd, lo, hi } => {
                if x <= lo {
                    return 0.0;
                }
                if x >= hi {
                    return 1.0;
                }
                let n = Self::std_normal();
                let a = n.cdf((lo - mean) / sd);
                ((n.cdf((x - mean) / sd) - a) / self.mass()).clamp(0.0, 1.0)
            }
            Dist::LogNormal { median, gsd } => {
                if x <= 0.0 {
                    return 0.0;
                }
                Self::std_normal().cdf((x / median).ln() / gsd.ln())
            }
        }
    }

    /// The range of values: the ends of a bounded form, else the [`TAIL`] quantiles.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Dist::Uniform { lo, hi } | Dist::Triangular { lo, hi, .. } => (lo, hi),
            Dist::Normal { lo, hi, .. } if lo.is_finite() && hi.is_finite() => (lo, hi),
            _ => (self.quantile(TAIL), self.quantile(1.0 - TAIL)),
        }
    }

    /// How it reads in a scenario file: `uniform(0.3, 0.8)`.
    pub fn describe(&self) -> String {
        match *self {
            Dist::Uniform { lo, hi } => format!("uniform({lo}, {hi})"),
            Dist::Triangular { lo, mode, hi } => format!("triangular({lo}, {mode}, {hi})"),
            Dist::Normal { mean, sd, lo, hi } if lo.is_finite() || hi.is_finite() => {
                format!("truncated_normal({mean}, {sd}, {lo}, {hi})")
            }
            Dist::Normal { mean, sd, .. } => format!("normal({mean}, {sd})"),
            Dist::LogNormal { median, gsd } => format!("lognormal({median}, {gsd})"),
        }
    }
}

/// One uncertain parameter of a validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct UncertainParam {
    /// Label for charts and tables (the path when the file gives none).
    pub label: String,
    /// Variant path of the number.
    pub path: String,
    /// Distribution of its value, in the unit written at the path.
    pub dist: Dist,
    /// Group name (Morris and Sobol treat a group as one factor), if any.
    pub group: Option<String>,
    /// Where the range comes from.
    pub source: String,
    /// The value written in the scenario (after any variant).
    pub nominal: f64,
    /// True when the field holds a whole number (values are rounded).
    pub whole: bool,
}

/// The uncertain parameters of a scenario that passed validation: one per entry whose path
/// resolves (a variant may remove what a path names; that parameter is then left out).
pub(super) fn resolve(spec: &ScenarioSpec) -> Vec<UncertainParam> {
    if spec.uncertainty.is_empty() {
        return Vec::new();
    }
    let Ok(mut root) = patch::spec_json(spec) else {
        return Vec::new();
    };
    spec.uncertainty
        .iter()
        .filter_map(|u| {
            let dist = Dist::new(&u.dist).ok()?;
            let (nominal, whole) = patch::number_at(&mut root, &u.path).ok()?;
            Some(UncertainParam {
                label: u.label.clone().unwrap_or_else(|| u.path.clone()),
                path: u.path.clone(),
                dist,
                group: u.group.clone(),
                source: u.source.clone(),
                nominal,
                whole,
            })
        })
        .collect()
}

/// Spans of an in-place declaration: the whole `uncertain(..)`, and its distribution.
pub(super) type InlineSpans = ((usize, usize), (usize, usize));

/// The problems of the `uncertainty:` section, placed in the file: a bad distribution, a path
/// that names no number, a path given twice, and a range whose ends make the scenario invalid
/// (checked only when the scenario itself has no errors).
/// `inline` holds the spans (whole declaration, distribution) of the in-place declarations,
/// which follow the section's entries in `spec.uncertainty`.
pub(super) fn diagnostics(
    spec: &ScenarioSpec,
    base: &[Problem],
    idx: &SpanIndex,
    inline: &[InlineSpans],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if spec.uncertainty.is_empty() {
        return out;
    }
    let err = |span, message: String, help: Option<String>| Diagnostic {
        severity: Severity::Error,
        span,
        message,
        help,
    };
    let Ok(root) = patch::spec_json(spec) else {
        return out;
    };
    let base_ok = !base.iter().any(|p| p.severity == Severity::Error);
    for (i, u) in spec.uncertainty.iter().enumerate() {
        let in_file = spec.uncertainty.len() - inline.len();
        let at = |part: &str| match inline.get(i.wrapping_sub(in_file)) {
            Some(&(whole, dist)) if i >= in_file => {
                if part == "dist" {
                    dist
                } else {
                    whole
                }
            }
            _ => idx.lookup(&format!("uncertainty[{i}].{part}")),
        };
        if let Some(j) = spec.uncertainty[..i].iter().position(|v| v.path == u.path) {
            out.push(err(
                at("path"),
                format!(
                    "`{}` is declared uncertain twice (also entry {})",
                    u.path,
                    j + 1
                ),
                None,
            ));
            continue;
        }
        if u.source.trim().is_empty() {
            out.push(err(
                at("source"),
                "say where the range comes from (a published figure, a judgement, or \"guess\")"
                    .to_string(),
                None,
            ));
        }
        let dist = match Dist::new(&u.dist) {
            Ok(d) => d,
            Err(m) => {
                out.push(err(at("dist"), m, None));
                continue;
            }
        };
        let mut tree = root.clone();
        if let Err(e) = patch::number_at(&mut tree, &u.path) {
            out.push(err(at("path"), e.message, e.help));
            continue;
        }
        if !base_ok {
            continue;
        }
        // Both ends of the range must give a valid scenario.
        let (lo, hi) = dist.range();
        for (end, x) in [("low", lo), ("high", hi)] {
            let mut tree = root.clone();
            let patched =
                patch::set_number(&mut tree, &u.path, x).and_then(|()| patch::from_json(&tree));
            let problem = match patched {
                Err(e) => Some(e.message),
                Ok(s) => validate::check(&s)
                    .problems
                    .iter()
                    .filter(|p| p.severity == Severity::Error)
                    .find(|p| {
                        !base
                            .iter()
                            .any(|b| b.path == p.path && b.message == p.message)
                    })
                    .map(|p| format!("{} (at `{}`)", p.message, p.path)),
            };
            if let Some(m) = problem {
                out.push(err(
                    at("dist"),
                    format!("at the {end} end of its range ({x}), {m}"),
                    Some("narrow the distribution to values the field accepts".to_string()),
                ));
                break;
            }
        }
    }
    out
}

impl ValidScenario {
    /// The uncertain parameters (the `uncertainty:` section), in file order, with their
    /// nominal values in this scenario (after its variant).
    pub fn uncertain(&self) -> &[UncertainParam] {
        &self.uncertain
    }

    /// The scenario with the uncertain parameters set to `values` (one per
    /// [`ValidScenario::uncertain`] entry, in the unit written at its path; whole-number fields
    /// are rounded), validated again. The variant label records the values.
    pub fn with_values(&self, values: &[f64]) -> Result<ValidScenario> {
        if values.len() != self.uncertain.len() {
            return Err(Error::Runtime(format!(
                "{} uncertain parameters, {} values given",
                self.uncertain.len(),
                values.len()
            )));
        }
        if values.is_empty() {
            return Ok(self.clone());
        }
        let fail = |e: patch::PatchError| {
            Error::Runtime(format!("{}: {}", self.path.display(), e.message))
        };
        let mut root = patch::spec_json(&self.spec).map_err(fail)?;
        let mut label = Vec::with_capacity(values.len());
        for (p, &x) in self.uncertain.iter().zip(values) {
            patch::set_number(&mut root, &p.path, x).map_err(fail)?;
            label.push(format!("{}={}", p.path, short(x)));
        }
        let spec = patch::from_json(&root).map_err(fail)?;
        self.with_spec(spec, label.join(", "))
    }

    /// The scenario at a point of the unit cube: coordinate `i` is the cumulative probability
    /// of parameter `i`'s value ([`Dist::quantile`]).
    pub fn at_unit_point(&self, u: &[f64]) -> Result<ValidScenario> {
        let values: Vec<f64> = self
            .uncertain
            .iter()
            .zip(u)
            .map(|(p, &u)| p.dist.quantile(u))
            .collect();
        if u.len() != self.uncertain.len() {
            return Err(Error::Runtime(format!(
                "{} uncertain parameters, a point of {} coordinates",
                self.uncertain.len(),
                u.len()
            )));
        }
        self.with_values(&values)
    }
}

/// A number in 4 significant digits, without trailing zeros.
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_edits_section_and_in_place_declarations_and_refuses_a_default_nominal() {
        let src = "(\n  a: (x: hours(uncertain(5, uniform(1, 9), \"s\"))), // c\n  b: 2,\n  \
                   uncertainty: [(path: \"b\", dist: uniform(1, 3), source: \"old\")],\n)";
        let edit = |path: &str, nominal| ParamEdit {
            path: path.into(),
            dist: "normal(2, 1)".into(),
            source: "new \"q\"".into(),
            nominal,
        };
        let out = rewrite(src, &[edit("a.x", Some(4.5)), edit("b", Some(2.25))]).unwrap();
        assert_eq!(
            out,
            "(\n  a: (x: hours(uncertain(4.5, normal(2, 1), \"new \\\"q\\\"\"))), // c\n  \
             b: 2.25,\n  uncertainty: [(path: \"b\", dist: normal(2, 1), source: \"new \\\"q\\\"\")],\n)"
        );
        let err = rewrite(src, &[edit("c", Some(1.0))]).unwrap_err();
        assert!(err.contains("`c`"), "{err}");
    }

    fn d(s: DistSpec) -> Dist {
        Dist::new(&s).unwrap()
    }

    #[test]
    fn quantile_inverts_cdf() {
        for dist in [
            d(DistSpec::Uniform(0.3, 0.8)),
            d(DistSpec::Triangular(1.0, 2.0, 6.0)),
            d(DistSpec::Normal(5.0, 2.0)),
            d(DistSpec::TruncatedNormal(0.5, 0.3, 0.0, 1.0)),
            d(DistSpec::Lognormal(4.0, 2.0)),
        ] {
            for u in [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99] {
                let x = dist.quantile(u);
                assert!((dist.cdf(x) - u).abs() < 1e-9, "{dist:?} at {u}: {x}");
            }
        }
    }

    #[test]
    fn closed_form_quantiles() {
        assert_eq!(d(DistSpec::Uniform(2.0, 4.0)).quantile(0.25), 2.5);
        // Triangular(0, 0, 1): F(x) = 1 − (1 − x)², so the median is 1 − √0.5.
        let t = d(DistSpec::Triangular(0.0, 0.0, 1.0));
        assert!((t.quantile(0.5) - (1.0 - 0.5f64.sqrt())).abs() < 1e-12);
        // Normal: the 97.5% quantile is mean + 1.959964 sd.
        let n = d(DistSpec::Normal(10.0, 2.0));
        assert!((n.quantile(0.975) - (10.0 + 2.0 * 1.959_964)).abs() < 1e-5);
        // Log-normal: the median is the median; one gsd up is the 84.13% quantile.
        let l = d(DistSpec::Lognormal(3.0, 2.0));
        assert!((l.quantile(0.5) - 3.0).abs() < 1e-12);
        assert!((l.quantile(0.841_344_746) - 6.0).abs() < 1e-6);
        // Truncated: every quantile stays inside [low, high].
        let tn = d(DistSpec::TruncatedNormal(0.9, 0.5, 0.0, 1.0));
        assert!((0.0..=1.0).contains(&tn.quantile(0.0)));
        assert!((0.0..=1.0).contains(&tn.quantile(1.0)));
        assert_eq!(tn.range(), (0.0, 1.0));
    }

    #[test]
    fn bad_distributions_say_why() {
        for bad in [
            DistSpec::Uniform(1.0, 1.0),
            DistSpec::Triangular(0.0, 2.0, 1.0),
            DistSpec::Normal(0.0, 0.0),
            DistSpec::TruncatedNormal(0.0, 1.0, 50.0, 60.0),
            DistSpec::Lognormal(1.0, 1.0),
            DistSpec::Uniform(f64::NAN, 1.0),
        ] {
            assert!(Dist::new(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short(0.53124), "0.5312");
        assert_eq!(short(1234.5), "1234");
        assert_eq!(short(4.0), "4");
    }
}

/// An uncertain parameter declared in place: `share_probability: uncertain(0.7,
/// uniform(0.5, 0.9), "workshop judgement")`, lifted out of the text before parsing.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Inline {
    /// The entry it becomes in the `uncertainty:` list (path by id where the list element
    /// has one).
    pub entry: super::schema::UncertainSpec,
    /// Span of the distribution in the source, for diagnostics.
    pub dist_span: (usize, usize),
    /// Span of the whole `uncertain(..)`.
    pub span: (usize, usize),
}

/// What lifting found: the text with every `uncertain(n, dist, "source")` replaced by `n`
/// padded with spaces (every other byte offset, hence every diagnostic, unchanged), the
/// declarations, and the problems of malformed ones.
pub(super) struct Lifted {
    /// The text to parse.
    pub text: String,
    /// Declarations in source order.
    pub inline: Vec<Inline>,
    /// Malformed declarations.
    pub problems: Vec<Diagnostic>,
}

/// Lift in-place declarations out of `source` (a fast no-op when it has none).
pub(super) fn lift(source: &str) -> Lifted {
    let mut out = Lifted {
        text: source.to_string(),
        inline: Vec::new(),
        problems: Vec::new(),
    };
    if !source.contains("uncertain(") && !source.contains("uncertain (") {
        return out;
    }
    let Ok(root) = super::span::parse(source) else {
        return out; // the parser reports the syntax error
    };
    let mut found = Vec::new();
    find(&root, source, &mut found, &mut out.problems);
    let mut bytes = std::mem::take(&mut out.text).into_bytes();
    for (path, node, nominal) in found {
        let super::span::NodeKind::Tuple { items, .. } = &node.kind else {
            continue;
        };
        // Blank the declaration: the nominal number, then spaces (newlines kept).
        let nominal_bytes = nominal.as_bytes();
        for (k, b) in bytes[node.start..node.end].iter_mut().enumerate() {
            if k < nominal_bytes.len() {
                *b = nominal_bytes[k];
            } else if *b != b'\n' {
                *b = b' ';
            }
        }
        let dist_text = &source[items[1].start..items[1].end];
        let dist = match ron::Options::default().from_str::<DistSpec>(dist_text) {
            Ok(d) => d,
            Err(e) => {
                out.problems.push(Diagnostic {
                    severity: Severity::Error,
                    span: (items[1].start, items[1].end),
                    message: format!("not a distribution: {}", e.code),
                    help: Some(
                        "write uniform(low, high), triangular(low, mode, high), normal(mean, sd), \
                         truncated_normal(mean, sd, low, high) or lognormal(median, gsd)"
                            .to_string(),
                    ),
                });
                continue;
            }
        };
        let src_text = match &items[2].kind {
            super::span::NodeKind::Str(s) => s.clone(),
            _ => String::new(),
        };
        out.inline.push(Inline {
            entry: super::schema::UncertainSpec {
                path,
                dist,
                source: src_text,
                label: None,
                group: None,
            },
            dist_span: (items[1].start, items[1].end),
            span: (node.start, node.end),
        });
    }
    // Only ASCII bytes were written over a whole UTF-8 value, so the text stays UTF-8.
    out.text = String::from_utf8(bytes).unwrap_or_else(|_| source.to_string());
    out
}

/// Visit every value of the tree under `node` with its variant path (the same paths as
/// variants and sweeps: struct fields `.name`, sequence elements `[id]` when the element has an
/// `id` field else `[i]`, map entries `[key]`; a one-value wrapper such as `hours(x)` or
/// `Some(x)` has its content's path). `f` returns whether to descend into the value.
fn walk(
    node: &super::span::Node,
    path: String,
    f: &mut dyn FnMut(&str, &super::span::Node) -> bool,
) {
    use super::span::NodeKind;
    if !f(&path, node) {
        return;
    }
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match &node.kind {
        NodeKind::Struct { fields, .. } => {
            for (k, v) in fields {
                walk(v, join(k), f);
            }
        }
        NodeKind::Tuple { items, .. } => {
            if items.len() == 1 {
                walk(&items[0], path, f);
            } else {
                for (i, v) in items.iter().enumerate() {
                    walk(v, join(&i.to_string()), f);
                }
            }
        }
        NodeKind::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                let key = match &v.kind {
                    NodeKind::Struct { fields, .. } => fields
                        .iter()
                        .find(|(k, _)| k == "id")
                        .and_then(|(_, n)| match &n.kind {
                            NodeKind::Str(s) => Some(s.clone()),
                            _ => None,
                        })
                        .unwrap_or_else(|| i.to_string()),
                    _ => i.to_string(),
                };
                walk(v, format!("{path}[{key}]"), f);
            }
        }
        NodeKind::Map(entries) => {
            for (k, v) in entries {
                let key = match &k.kind {
                    NodeKind::Ident(s) | NodeKind::Str(s) | NodeKind::Num(s) => s.clone(),
                    _ => continue,
                };
                walk(v, format!("{path}[{key}]"), f);
            }
        }
        _ => {}
    }
}

/// Collect the in-place `uncertain(..)` declarations under `root` (path, node, nominal text),
/// and the problems of malformed ones.
fn find(
    root: &super::span::Node,
    source: &str,
    found: &mut Vec<(String, super::span::Node, String)>,
    problems: &mut Vec<Diagnostic>,
) {
    use super::span::NodeKind;
    walk(root, String::new(), &mut |path, node| {
        let NodeKind::Tuple { name, items } = &node.kind else {
            return true;
        };
        if name.as_deref() != Some("uncertain") {
            return true;
        }
        let ok = items.len() == 3
            && matches!(items[0].kind, NodeKind::Num(_))
            && matches!(items[1].kind, NodeKind::Tuple { .. })
            && matches!(items[2].kind, NodeKind::Str(_));
        if !ok || path.is_empty() {
            problems.push(Diagnostic {
                severity: Severity::Error,
                span: (node.start, node.end),
                message: "an in-place uncertain value is written \
                          uncertain(NOMINAL, DISTRIBUTION, \"SOURCE\")"
                    .to_string(),
                help: Some(
                    "for example uncertain(0.7, uniform(0.5, 0.9), \"workshop judgement\")"
                        .to_string(),
                ),
            });
            return false;
        }
        let nominal = source[items[0].start..items[0].end].to_string();
        found.push((path.to_string(), node.clone(), nominal));
        false
    });
}

/// A calibrated replacement for one uncertain parameter (`tabletop calibrate --write-back`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamEdit {
    /// Variant path of the parameter.
    pub path: String,
    /// New distribution, as written in a file (`truncated_normal(0.6, 0.05, 0.5, 0.9)`).
    pub dist: String,
    /// New source.
    pub source: String,
    /// New nominal value, if it changes.
    pub nominal: Option<f64>,
}

/// `source` with each edited parameter's distribution, source and (when given) nominal value
/// replaced where the file writes them: in its `uncertainty:` entry, or in its in-place
/// `uncertain(NOMINAL, DIST, "SOURCE")`; the nominal of a section entry is the number at its
/// path. Everything else (comments, layout) is kept. Fails when a parameter cannot be found.
pub fn rewrite(source: &str, edits: &[ParamEdit]) -> std::result::Result<String, String> {
    use super::span::NodeKind;
    let root = super::span::parse(source).map_err(|e| e.message)?;
    let quote = |s: &str| ron::to_string(&s.to_string()).map_err(|e| e.to_string());
    let fmt = |x: f64| {
        let s = format!("{x}");
        if s.contains('.') || s.contains('e') {
            s
        } else {
            format!("{s}.0")
        }
    };
    let mut repl: Vec<((usize, usize), String)> = Vec::new();
    let mut done = vec![false; edits.len()];
    // Section entries.
    if let NodeKind::Struct { fields, .. } = &root.kind
        && let Some(NodeKind::Seq(entries)) = fields
            .iter()
            .find(|(k, _)| k == "uncertainty")
            .map(|(_, v)| &v.kind)
    {
        for e in entries {
            let NodeKind::Struct { fields, .. } = &e.kind else {
                continue;
            };
            let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v);
            let Some(NodeKind::Str(path)) = get("path").map(|n| &n.kind) else {
                continue;
            };
            let Some(i) = edits.iter().position(|x| &x.path == path) else {
                continue;
            };
            if let (Some(d), Some(src)) = (get("dist"), get("source")) {
                repl.push(((d.start, d.end), edits[i].dist.clone()));
                repl.push(((src.start, src.end), quote(&edits[i].source)?));
                done[i] = edits[i].nominal.is_none();
            }
        }
    }
    // In-place declarations, and the numbers section entries name.
    walk(&root, String::new(), &mut |path, node| {
        let Some(i) = edits.iter().position(|x| x.path == path) else {
            return true;
        };
        match &node.kind {
            NodeKind::Tuple { name, items }
                if name.as_deref() == Some("uncertain") && items.len() == 3 =>
            {
                if let Some(v) = edits[i].nominal {
                    repl.push(((items[0].start, items[0].end), fmt(v)));
                }
                repl.push(((items[1].start, items[1].end), edits[i].dist.clone()));
                if let Ok(q) = quote(&edits[i].source) {
                    repl.push(((items[2].start, items[2].end), q));
                }
                done[i] = true;
                false
            }
            NodeKind::Num(_) => {
                if let Some(v) = edits[i].nominal {
                    repl.push(((node.start, node.end), fmt(v)));
                    done[i] = true;
                }
                false
            }
            _ => true,
        }
    });
    if let Some(i) = done.iter().position(|d| !d) {
        return Err(format!(
            "parameter `{}` is not written in the file (its nominal value is a default); \
             write its value, or drop the nominal change",
            edits[i].path
        ));
    }
    repl.sort_by_key(|(span, _)| std::cmp::Reverse(span.0));
    let mut out = source.to_string();
    for ((a, b), text) in repl {
        out.replace_range(a..b, &text);
    }
    Ok(out)
}
