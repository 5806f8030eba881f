//! Semantic checks of a parsed scenario: ids, references, ranges, timing, reachability and
//! limits. Every problem is reported (up to [`MAX_PROBLEMS`]) with the value path it concerns.

use super::diagnostics::{Problem, Severity, did_you_mean};
use super::schema::*;
use crate::ids::{AgencyIx, ChannelIx, InjectIx, InsiderIx, PartnershipIx, ThreatIx};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Problems kept per check; beyond this they are only counted.
pub(crate) const MAX_PROBLEMS: usize = 500;

/// Largest list sizes a scenario may have.
pub(crate) const LIMITS: [(&str, usize); 8] = [
    ("agencies", 2_000),
    ("channels", 2_000),
    ("partnerships", 20_000),
    ("threats", 500),
    ("injects", 5_000),
    ("insiders", 1_000),
    ("objectives", 500),
    ("variants", 200),
];

/// Most ticks a run may have.
pub(crate) const MAX_TICKS: f64 = 100_000.0;
/// Longest exercise, in hours (365 days).
pub(crate) const MAX_DURATION_H: f64 = 365.0 * 24.0;
/// Most signals one threat may be expected to emit in a run.
pub(crate) const MAX_SIGNALS: f64 = 1_000_000.0;

/// Result of checking a scenario.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// Problems kept, in the order found.
    pub(crate) problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub(crate) suppressed: usize,
}

/// Run every semantic check on `spec`.
pub(crate) fn check(spec: &ScenarioSpec) -> Checked {
    let mut c = Checker::new(spec);
    c.run();
    for p in super::observed::check(spec)
        .into_iter()
        .chain(super::observed::key_metric_problems(spec))
    {
        c.push(p.severity, p.path, p.message, || p.help);
    }
    Checked {
        problems: c.problems,
        suppressed: c.suppressed,
    }
}

struct Checker<'a> {
    spec: &'a ScenarioSpec,
    problems: Vec<Problem>,
    suppressed: usize,
    agencies: Rc<BTreeMap<&'a str, &'a AgencySpec>>,
    channels: Rc<BTreeMap<&'a str, &'a ChannelSpec>>,
    partnerships: BTreeSet<&'a str>,
    threats: Rc<BTreeMap<&'a str, &'a ThreatSpec>>,
    injects: BTreeMap<&'a str, (usize, &'a InjectSpec)>,
    insiders: BTreeSet<&'a str>,
    objectives: BTreeSet<&'a str>,
    duration_h: f64,
}

/// Most analysts a benefit lends or an arrival brings (as for an agency's own analysts: each
/// is a server of the analyst queue).
const MAX_LENT_ANALYSTS: u32 = 10_000;

fn share_metric(m: &MetricSpec) -> bool {
    matches!(
        m,
        MetricSpec::Coverage { .. }
            | MetricSpec::Resolved(_)
            | MetricSpec::FalseAlarmActed(_)
            | MetricSpec::ProcessedWithinHandoff(_)
            | MetricSpec::MinTrust
            | MetricSpec::MeanTrust
            | MetricSpec::CustomersRestoredShare { .. }
            | MetricSpec::PartnershipUptime(_)
    )
}

fn fmt_h(h: f64) -> String {
    if h >= 48.0 && (h / 24.0).fract() == 0.0 {
        format!("{} days", h / 24.0)
    } else {
        format!("{} h", (h * 1000.0).round() / 1000.0)
    }
}

/// Mean of a time distribution in hours, when meaningful.
fn dist_mean_h(d: &Dist<Duration>) -> f64 {
    match d {
        Dist::Fixed(v) => v.hours(),
        Dist::Uniform { min, max } => (min.hours() + max.hours()) / 2.0,
        Dist::Triangular { min, mode, max } => (min.hours() + mode.hours() + max.hours()) / 3.0,
        Dist::Exponential { mean } => mean.hours(),
        Dist::LogNormal { median, .. } => median.hours(),
        Dist::Weibull { scale, .. } => scale.hours(),
    }
}

impl<'a> Checker<'a> {
    fn new(spec: &'a ScenarioSpec) -> Self {
        Checker {
            spec,
            problems: Vec::new(),
            suppressed: 0,
            agencies: Rc::new(spec.agencies.iter().map(|a| (a.id.as_str(), a)).collect()),
            channels: Rc::new(spec.channels.iter().map(|c| (c.id.as_str(), c)).collect()),
            partnerships: spec.partnerships.iter().map(|p| p.id.as_str()).collect(),
            threats: Rc::new(spec.threats.iter().map(|t| (t.id.as_str(), t)).collect()),
            injects: spec
                .injects
                .iter()
                .enumerate()
                .map(|(i, x)| (x.id.as_str(), (i, x)))
                .collect(),
            insiders: spec.insiders.iter().map(|i| i.id.as_str()).collect(),
            objectives: spec.objectives.iter().map(|o| o.id.as_str()).collect(),
            duration_h: spec.exercise.duration.hours(),
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        path: String,
        message: String,
        help: impl FnOnce() -> Option<String>,
    ) {
        if self.problems.len() >= MAX_PROBLEMS {
            self.suppressed += 1;
            return;
        }
        self.problems.push(Problem {
            severity,
            path,
            message,
            help: help(),
        });
    }

    fn error(&mut self, path: String, message: String) {
        self.push(Severity::Error, path, message, || None);
    }

    fn warn(&mut self, path: String, message: String) {
        self.push(Severity::Warning, path, message, || None);
    }

    // ---- generic value checks -------------------------------------------------------------

    fn finite(&mut self, path: &str, v: f64) -> bool {
        if v.is_finite() {
            true
        } else {
            self.error(path.to_string(), format!("`{v}` is not a finite number"));
            false
        }
    }

    fn prob(&mut self, path: String, v: f64) {
        if self.finite(&path, v) && !(0.0..=1.0).contains(&v) {
            self.error(path, format!("probability {v} is outside [0, 1]"));
        }
    }

    /// A discrimination d′ (signal detection), in [0, 10].
    fn d_prime(&mut self, path: String, v: f64) {
        if self.finite(&path, v) && !(0.0..=10.0).contains(&v) {
            self.error(
                path,
                format!("a discrimination d′ must be in [0, 10], found {v}"),
            );
        }
    }

    fn nonneg(&mut self, path: String, v: f64, what: &str) {
        if self.finite(&path, v) && v < 0.0 {
            self.error(path, format!("{what} must be ≥ 0, found {v}"));
        }
    }

    /// A rate ≥ 0; the message shows it with its unit.
    fn rate(&mut self, path: String, r: Rate, what: &str) {
        if self.finite(&path, r.raw()) && r.raw() < 0.0 {
            self.error(path, format!("{what} must be ≥ 0, found {}", r.text()));
        }
    }

    /// A threat's `response` or one agency's role, at path `rp`.
    fn response(&mut self, rp: &str, r: &ResponseSpec) {
        if r.corroboration == Some(0) {
            self.error(
                format!("{rp}.corroboration"),
                "corroboration must be ≥ 1".into(),
            );
        }
        self.dist(
            &format!("{rp}.time_to_act"),
            &r.time_to_act,
            "the time to act",
        );
        self.prob(format!("{rp}.success_probability"), r.success_probability);
        if let Some(d) = r.retry_after {
            self.dur(format!("{rp}.retry_after"), d, "the retry delay", true);
        }
    }

    fn positive(&mut self, path: String, v: f64, what: &str) {
        if self.finite(&path, v) && v <= 0.0 {
            self.error(path, format!("{what} must be > 0, found {v}"));
        }
    }

    fn dur(&mut self, path: String, d: Duration, what: &str, strictly_positive: bool) {
        let v = d.raw();
        if !self.finite(&path, v) {
            return;
        }
        if strictly_positive && v <= 0.0 {
            self.error(
                path,
                format!(
                    "{what} must be longer than zero, found {}",
                    fmt_h(d.hours())
                ),
            );
        } else if v < 0.0 {
            self.error(
                path,
                format!("{what} must not be negative, found {}", fmt_h(d.hours())),
            );
        }
    }

    fn dist(&mut self, path: &str, d: &Dist<Duration>, what: &str) {
        let f = |s: &str| format!("{path}.{s}");
        match d {
            Dist::Fixed(v) => self.dur(format!("{path}.0"), *v, what, false),
            Dist::Uniform { min, max } => {
                self.dur(f("min"), *min, "the minimum", false);
                self.dur(f("max"), *max, "the maximum", false);
                if min.hours() > max.hours() {
                    self.error(
                        f("max"),
                        format!(
                            "{what}: max ({}) is below min ({})",
                            fmt_h(max.hours()),
                            fmt_h(min.hours())
                        ),
                    );
                }
            }
            Dist::Triangular { min, mode, max } => {
                self.dur(f("min"), *min, "the minimum", false);
                self.dur(f("mode"), *mode, "the mode", false);
                self.dur(f("max"), *max, "the maximum", false);
                if !(min.hours() <= mode.hours() && mode.hours() <= max.hours()) {
                    self.error(
                        f("mode"),
                        format!(
                            "{what}: need min ≤ mode ≤ max, found {} / {} / {}",
                            fmt_h(min.hours()),
                            fmt_h(mode.hours()),
                            fmt_h(max.hours())
                        ),
                    );
                }
            }
            Dist::Exponential { mean } => self.dur(f("mean"), *mean, "the mean", true),
            Dist::LogNormal { median, p95 } => {
                self.dur(f("median"), *median, "the median", true);
                self.dur(f("p95"), *p95, "the 95th percentile", true);
                if median.hours() > p95.hours() {
                    self.error(
                        f("p95"),
                        format!(
                            "{what}: p95 ({}) is below the median ({})",
                            fmt_h(p95.hours()),
                            fmt_h(median.hours())
                        ),
                    );
                }
            }
            Dist::Weibull { shape, scale } => {
                self.positive(f("shape"), *shape, "the Weibull shape");
                self.dur(f("scale"), *scale, "the Weibull scale", true);
            }
        }
    }

    fn reliability(&mut self, path: &str, r: &Option<ReliabilitySpec>) {
        if let Some(r) = r {
            self.dur(format!("{path}.mtbf"), r.mtbf, "mtbf", true);
            self.dur(format!("{path}.mttr"), r.mttr, "mttr", true);
        }
    }

    fn id_format(&mut self, path: String, id: &str, what: &str) {
        if id.is_empty() {
            self.error(path, format!("{what} id is empty"));
        } else if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            self.error(
                path,
                format!("{what} id \"{id}\" may hold only letters, digits, `_` and `-`"),
            );
        }
    }

    fn duplicates<'s>(&mut self, list: &str, ids: impl Iterator<Item = &'s str>, what: &str) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, id) in ids.enumerate() {
            if let Some(first) = seen.get(id) {
                self.error(
                    format!("{list}[{i}].id"),
                    format!("duplicate {what} id \"{id}\" (first used by {list}[{first}])"),
                );
            } else {
                seen.insert(id, i);
                self.id_format(format!("{list}[{i}].id"), id, what);
            }
        }
    }

    fn reference<V>(
        &mut self,
        path: String,
        id: &str,
        known: &BTreeMap<&str, V>,
        what: &str,
    ) -> bool {
        known.contains_key(id) || self.unknown(path, id, known.keys().copied().collect(), what)
    }

    fn reference_set(
        &mut self,
        path: String,
        id: &str,
        known: &BTreeSet<&str>,
        what: &str,
    ) -> bool {
        known.contains(id) || self.unknown(path, id, known.iter().copied().collect(), what)
    }

    /// Report an unknown id with a did-you-mean among `keys`; always false.
    fn unknown(&mut self, path: String, id: &str, keys: Vec<&str>, what: &str) -> bool {
        self.push(
            Severity::Error,
            path,
            format!("unknown {what} \"{id}\""),
            || did_you_mean(id, keys),
        );
        false
    }

    fn agency(&mut self, path: String, id: &str) -> bool {
        let known = Rc::clone(&self.agencies);
        self.reference(path, id, &known, "agency")
    }

    fn threat(&mut self, path: String, id: &str) -> bool {
        let known = Rc::clone(&self.threats);
        self.reference(path, id, &known, "threat")
    }

    // ---- the checks -----------------------------------------------------------------------

    /// The `ledger` section: its main threat exists, its aligned level is in range.
    fn ledger(&mut self) {
        let l = &self.spec.ledger;
        if let Some(t) = &l.main_threat {
            self.threat("ledger.main_threat".into(), t);
        }
        let a = &l.aligned;
        if let Some(c) = a.handling_compliance {
            self.prob("ledger.aligned.handling_compliance".into(), c);
        }
        self.prob("ledger.aligned.trust".into(), a.trust);
        self.prob(
            "ledger.aligned.share_probability".into(),
            a.share_probability,
        );
    }

    fn run(&mut self) {
        self.limits();
        self.exercise();
        self.model();
        self.ledger();
        let s = self.spec;
        self.duplicates(
            "agencies",
            s.agencies.iter().map(|a| a.id.as_str()),
            "agency",
        );
        self.duplicates(
            "channels",
            s.channels.iter().map(|a| a.id.as_str()),
            "channel",
        );
        self.duplicates(
            "partnerships",
            s.partnerships.iter().map(|a| a.id.as_str()),
            "partnership",
        );
        self.duplicates("threats", s.threats.iter().map(|a| a.id.as_str()), "threat");
        self.duplicates("injects", s.injects.iter().map(|a| a.id.as_str()), "inject");
        self.duplicates(
            "insiders",
            s.insiders.iter().map(|a| a.id.as_str()),
            "insider",
        );
        self.duplicates(
            "objectives",
            s.objectives.iter().map(|a| a.id.as_str()),
            "objective",
        );
        self.duplicates(
            "variants",
            s.variants.iter().map(|a| a.id.as_str()),
            "variant",
        );
        self.agencies_check();
        self.channels_check();
        self.partnerships_check();
        self.threats_check();
        self.injects_check();
        self.insiders_check();
        self.objectives_check();
        self.variants_check();
    }

    fn limits(&mut self) {
        let s = self.spec;
        let sizes = [
            s.agencies.len(),
            s.channels.len(),
            s.partnerships.len(),
            s.threats.len(),
            s.injects.len(),
            s.insiders.len(),
            s.objectives.len(),
            s.variants.len(),
        ];
        for ((list, max), n) in LIMITS.iter().zip(sizes) {
            if n > *max {
                self.error(
                    list.to_string(),
                    format!("too many {list}: {n}, the limit is {max}"),
                );
            }
        }
        for (list, n) in [
            ("agencies", s.agencies.len()),
            ("threats", s.threats.len()),
            ("objectives", s.objectives.len()),
        ] {
            if n == 0 {
                self.error(
                    list.to_string(),
                    format!("the scenario needs at least one of `{list}`"),
                );
            }
        }
    }

    fn exercise(&mut self) {
        let e = &self.spec.exercise;
        let n = e.name.chars().count();
        if n == 0 || n > 200 || e.name.trim().is_empty() {
            self.error(
                "exercise.name".into(),
                format!("the exercise name must have 1–200 characters, found {n}"),
            );
        }
        self.dur(
            "exercise.duration".into(),
            e.duration,
            "the exercise duration",
            true,
        );
        self.dur("exercise.tick".into(), e.tick, "the tick", true);
        let (d, t) = (e.duration.hours(), e.tick.hours());
        if d.is_finite() && d > MAX_DURATION_H {
            self.error(
                "exercise.duration".into(),
                format!("the exercise lasts {}, the limit is 365 days", fmt_h(d)),
            );
        }
        if d > 0.0 && t > 0.0 && d.is_finite() && t.is_finite() {
            if t > d {
                self.error(
                    "exercise.tick".into(),
                    format!(
                        "the tick ({}) is longer than the exercise ({})",
                        fmt_h(t),
                        fmt_h(d)
                    ),
                );
            } else if d / t > MAX_TICKS {
                self.error(
                    "exercise.tick".into(),
                    format!(
                        "{} ticks per run; the limit is 100,000 (use a longer tick)",
                        (d / t).ceil()
                    ),
                );
            }
        }
    }

    fn model(&mut self) {
        let m = &self.spec.model;
        self.prob("model.trust_gain".into(), m.trust_gain);
        if self.finite("model.negativity_bias", m.negativity_bias) && m.negativity_bias < 1.0 {
            self.error(
                "model.negativity_bias".into(),
                format!("negativity_bias must be ≥ 1, found {}", m.negativity_bias),
            );
        }
        self.positive(
            "model.signal_sensitivity".into(),
            m.signal_sensitivity,
            "signal_sensitivity",
        );
        self.prob("model.damage_rate".into(), m.damage_rate);
        self.prob("model.false_recognition".into(), m.false_recognition);
        self.prob("model.counter_messaging".into(), m.counter_messaging);
        self.d_prime("model.discrimination".into(), m.discrimination);
        self.dur(
            "model.equity_window".into(),
            m.equity_window,
            "the equity window",
            true,
        );
        self.prob("model.trust_adaptation".into(), m.trust_adaptation);
        self.prob("model.equity_gain".into(), m.equity_gain);
        self.dur(
            "model.timely_within".into(),
            m.timely_within,
            "timely_within",
            true,
        );
        self.nonneg(
            "model.benefit_value".into(),
            m.benefit_value,
            "benefit_value",
        );
        if m.default_corroboration == 0 {
            self.error(
                "model.default_corroboration".into(),
                "default_corroboration must be ≥ 1".into(),
            );
        }
    }

    fn agencies_check(&mut self) {
        let s = self.spec;
        let mut in_partnership: BTreeSet<&str> = BTreeSet::new();
        for p in &s.partnerships {
            in_partnership.insert(&p.from);
            in_partnership.insert(&p.to);
        }
        for (i, a) in s.agencies.iter().enumerate() {
            let p = format!("agencies[{i}]");
            if a.analysts == 0 || a.analysts > 10_000 {
                self.error(
                    format!("{p}.analysts"),
                    format!("analysts must be 1–10,000, found {}", a.analysts),
                );
            }
            self.dist(
                &format!("{p}.service_time"),
                &a.service_time,
                "the service time",
            );
            for (k, v) in &a.collection {
                self.prob(format!("{p}.collection[{k:?}]"), *v);
            }
            self.reliability(&format!("{p}.reliability"), &a.reliability);
            self.prob(format!("{p}.monitoring"), a.monitoring);
            if let Some(c) = a.handling_compliance {
                self.prob(format!("{p}.handling_compliance"), c);
            }
            self.d_prime(format!("{p}.analysis_quality"), a.analysis_quality);
            if let Some(pr) = &a.processing {
                self.nonneg(format!("{p}.processing.per_hour"), pr.per_hour, "per_hour");
                self.nonneg(format!("{p}.processing.shelter"), pr.shelter, "shelter");
            }
            if a.arrives && !s.injects.iter().any(|x| {
                x.enabled
                    && matches!(&x.effect, EffectSpec::Arrival { agency, .. } if agency == &a.id)
            }) {
                self.warn(
                    format!("{p}.arrives"),
                    format!("agency \"{}\" arrives, but no enabled `Arrival` inject brings it: it never comes into play", a.id),
                );
            }
            for (j, d) in a.depends_on.iter().enumerate() {
                if self.finite(&format!("{p}.depends_on[{j}].degree"), d.degree)
                    && !(d.degree > 0.0 && d.degree <= 1.0)
                {
                    self.error(
                        format!("{p}.depends_on[{j}].degree"),
                        format!("the degree of a dependency is the fraction of the function lost, in (0, 1], found {}", d.degree),
                    );
                }
                let dp = format!("{p}.depends_on[{j}].partner");
                if d.partner == a.id {
                    self.error(dp, format!("agency \"{}\" depends on itself", a.id));
                } else {
                    self.agency(dp, &d.partner);
                }
            }
            if s.agencies.len() > 1 && !in_partnership.contains(a.id.as_str()) {
                self.warn(
                    format!("{p}.id"),
                    format!(
                        "agency \"{}\" is in no partnership: it can share with no one",
                        a.id
                    ),
                );
            }
        }
    }

    fn channels_check(&mut self) {
        for (i, c) in self.spec.channels.iter().enumerate() {
            let p = format!("channels[{i}]");
            self.dist(&format!("{p}.latency"), &c.latency, "the latency");
            self.reliability(&format!("{p}.reliability"), &c.reliability);
        }
    }

    /// A channel is usable by an agency when it carries nothing above what the agency may
    /// hold; unclassified and CUI networks need no clearance.
    fn usable(channel: &ChannelSpec, agency: &AgencySpec) -> bool {
        channel.max_class <= agency.clearance.max(Classification::Cui)
    }

    fn partnerships_check(&mut self) {
        let s = self.spec;
        // Threat index → partnerships whose channels cannot carry its items to an end that
        // needs them (one warning per threat, not one per partnership).
        let mut cannot_carry: std::collections::BTreeMap<usize, Vec<&str>> = Default::default();
        for (i, pt) in s.partnerships.iter().enumerate() {
            let p = format!("partnerships[{i}]");
            let from_ok = self.agency(format!("{p}.from"), &pt.from);
            let to_ok = self.agency(format!("{p}.to"), &pt.to);
            if pt.from == pt.to {
                self.error(
                    format!("{p}.to"),
                    format!(
                        "partnership \"{}\" links agency \"{}\" to itself",
                        pt.id, pt.to
                    ),
                );
            }
            if pt.channels.is_empty() {
                self.error(
                    format!("{p}.channels"),
                    format!("partnership \"{}\" lists no channel", pt.id),
                );
            }
            let mut known = Vec::new();
            for (j, c) in pt.channels.iter().enumerate() {
                let chans = Rc::clone(&self.channels);
                if self.reference(format!("{p}.channels[{j}]"), c, &chans, "channel") {
                    known.push((j, chans[c.as_str()]));
                }
            }
            if from_ok && to_ok && pt.from != pt.to {
                let (a, b) = (
                    self.agencies[pt.from.as_str()],
                    self.agencies[pt.to.as_str()],
                );
                let mut any_both = false;
                for (j, ch) in &known {
                    let (ua, ub) = (Self::usable(ch, a), Self::usable(ch, b));
                    any_both |= ua && ub;
                    if !ua && !ub {
                        self.error(format!("{p}.channels[{j}]"), format!("channel \"{}\" carries up to {:?}, above the clearance of both \"{}\" ({:?}) and \"{}\" ({:?})", ch.id, ch.max_class, a.id, a.clearance, b.id, b.clearance));
                    }
                }
                if !known.is_empty() && !any_both && known.len() == pt.channels.len() {
                    self.error(format!("{p}.channels"), format!("partnership \"{}\" has no channel both \"{}\" and \"{}\" can use (classified channels need a cleared agency at each end)", pt.id, a.id, b.id));
                }
                // Warn when the channels cannot carry the items the receiving end needs.
                if let Some(top) = known.iter().map(|(_, c)| c.max_class).max() {
                    let needy = |ag: &AgencySpec, k: ThreatKind| {
                        ag.needs.contains(&k) || ag.acts_on.contains(&k)
                    };
                    // Only where both ends can hold some version of the item (the full item
                    // or, on a partnership with tearlines, its tearline): an end cleared for
                    // none never receives it, and a sender neither cleared for it nor
                    // observing the threat itself never has it to send, whatever the channel.
                    let observes = |ag: &AgencySpec, t: &ThreatSpec| {
                        ((t.observed_by.is_empty() || t.observed_by.contains(&ag.id))
                            && ag.collection.get(&t.kind).is_some_and(|&p| p > 0.0))
                            || s.injects.iter().any(|x| {
                                x.enabled
                                    && matches!(&x.effect,
                                        EffectSpec::Signal { threat, at }
                                        | EffectSpec::FalseReport { threat, at }
                                        if threat == &t.id && at == &ag.id)
                            })
                    };
                    let blocked_by_channel =
                        |from: &AgencySpec, to: &AgencySpec, t: &ThreatSpec| {
                            let cleared = |ag: &AgencySpec, c: Classification| {
                                c < Classification::Confidential || c <= ag.clearance
                            };
                            let seen = observes(from, t);
                            let mut versions = std::iter::once(t.marking.class)
                                .chain(
                                    t.tearline
                                        .filter(|_| pt.tearlines)
                                        .map(|tl| tl.marking.class),
                                )
                                .filter(|&c| cleared(to, c) && (seen || cleared(from, c)))
                                .peekable();
                            versions.peek().is_some() && versions.all(|c| c > top)
                        };
                    for (ti, t) in s.threats.iter().enumerate() {
                        if (needy(b, t.kind) && blocked_by_channel(a, b, t))
                            || (pt.direction == Direction::Mutual
                                && needy(a, t.kind)
                                && blocked_by_channel(b, a, t))
                        {
                            cannot_carry.entry(ti).or_default().push(pt.id.as_str());
                        }
                    }
                }
                // TLP:RED to a partner that does not always honour markings.
                if pt.max_tlp == Tlp::Red {
                    let mut receivers = vec![b];
                    if pt.direction == Direction::Mutual {
                        receivers.push(a);
                    }
                    for r in receivers {
                        if let Some(c) = r.handling_compliance.filter(|&c| c < 1.0) {
                            self.warn(format!("{p}.max_tlp"), format!("partnership \"{}\" passes TLP:RED to \"{}\", whose handling_compliance is {} (< 1): red items may be re-shared", pt.id, r.id, c));
                        }
                    }
                }
            }
            self.prob(format!("{p}.trust"), pt.trust);
            self.prob(format!("{p}.share_probability"), pt.share_probability);
            if self.finite(&format!("{p}.withdraw_below"), pt.withdraw_below)
                && !(0.0..1.0).contains(&pt.withdraw_below)
            {
                self.error(
                    format!("{p}.withdraw_below"),
                    format!(
                        "withdraw_below must be in [0, 1), found {}",
                        pt.withdraw_below
                    ),
                );
            }
            self.positive(
                format!("{p}.expected_equity"),
                pt.expected_equity,
                "expected_equity",
            );
            if let Some(e) = pt.to_expected_equity {
                self.positive(format!("{p}.to_expected_equity"), e, "to_expected_equity");
            }
            for (j, lb) in pt.legal_barriers.iter().enumerate() {
                self.prob(
                    format!("{p}.legal_barriers[{j}].block_probability"),
                    lb.block_probability,
                );
                self.dur(
                    format!("{p}.legal_barriers[{j}].delay"),
                    lb.delay,
                    "the legal delay",
                    false,
                );
            }
            for (j, b) in pt.benefits.iter().enumerate() {
                let bp = format!("{p}.benefits[{j}]");
                // The receiver is one end of the partnership; the other end gives.
                if let Some(r) = b.receiver()
                    && r != pt.from
                    && r != pt.to
                {
                    let ends = vec![pt.from.as_str(), pt.to.as_str()];
                    self.push(
                        Severity::Error,
                        format!("{bp}.to"),
                        format!(
                            "benefit receiver \"{r}\" is not an end of partnership \"{}\" (\"{}\" or \"{}\")",
                            pt.id, pt.from, pt.to
                        ),
                        || did_you_mean(r, ends),
                    );
                }
                match b {
                    BenefitSpec::ExtendedCollection { probability, .. } => {
                        self.prob(format!("{bp}.probability"), *probability)
                    }
                    BenefitSpec::Technology { speedup, .. } => {
                        if self.finite(&format!("{bp}.speedup"), *speedup)
                            && !(0.0..=0.95).contains(speedup)
                        {
                            self.error(
                                format!("{bp}.speedup"),
                                format!("speedup must be in [0, 0.95], found {speedup}"),
                            );
                        }
                    }
                    BenefitSpec::RegionalKnowledge {
                        screening_bonus,
                        discrimination,
                        ..
                    } => {
                        self.prob(format!("{bp}.screening_bonus"), *screening_bonus);
                        self.d_prime(format!("{bp}.discrimination"), *discrimination);
                    }
                    BenefitSpec::ResourceAugmentation {
                        analysts,
                        processing_per_hour,
                        shelter,
                        ..
                    } => {
                        // As for an agency's own analysts: each is a server of the queue.
                        if *analysts > MAX_LENT_ANALYSTS {
                            self.error(
                                format!("{bp}.analysts"),
                                format!("analysts lent must be 0–10,000, found {analysts}"),
                            );
                        }
                        self.nonneg(
                            format!("{bp}.processing_per_hour"),
                            *processing_per_hour,
                            "processing_per_hour",
                        );
                        self.nonneg(format!("{bp}.shelter"), *shelter, "shelter");
                    }
                }
            }
        }
        for (ti, pts) in cannot_carry {
            let t = &s.threats[ti];
            let shown: Vec<&str> = pts.iter().take(5).copied().collect();
            let more = if pts.len() > 5 {
                format!(" and {} more", pts.len() - 5)
            } else {
                String::new()
            };
            self.warn(
                format!("threats[{ti}].marking.class"),
                format!(
                    "threat \"{}\" is marked {:?}, above every channel of {} partnership(s) with an end that needs it ({}{more}): those deliveries will be blocked",
                    t.id,
                    t.marking.class,
                    pts.len(),
                    quoted(&shown)
                ),
            );
        }
    }

    fn threats_check(&mut self) {
        let s = self.spec;
        for (i, t) in s.threats.iter().enumerate() {
            let p = format!("threats[{i}]");
            self.prob(format!("{p}.truth_probability"), t.truth_probability);
            self.dur(format!("{p}.start"), t.start, "the start", false);
            if t.start.hours() >= self.duration_h && self.duration_h > 0.0 {
                self.warn(
                    format!("{p}.start"),
                    format!(
                        "threat \"{}\" starts at {}, after the exercise ends ({})",
                        t.id,
                        fmt_h(t.start.hours()),
                        fmt_h(self.duration_h)
                    ),
                );
            }
            self.dist(
                &format!("{p}.signal_interval"),
                &t.signal_interval,
                "the signal interval",
            );
            let mean = dist_mean_h(&t.signal_interval);
            if mean.is_finite() && self.duration_h.is_finite() {
                if mean <= 0.0 {
                    self.error(format!("{p}.signal_interval"), format!("threat \"{}\": the time between signals must be longer than zero on average", t.id));
                } else if self.duration_h / mean > MAX_SIGNALS {
                    self.error(format!("{p}.signal_interval"), format!("threat \"{}\" would emit about {:.0} signals per run; the limit is 1,000,000", t.id, self.duration_h / mean));
                }
            }
            for (j, a) in t.observed_by.iter().enumerate() {
                self.agency(format!("{p}.observed_by[{j}]"), a);
            }
            self.positive(format!("{p}.sensitivity"), t.sensitivity, "sensitivity");
            if let Some(tl) = &t.tearline {
                if tl.marking.class >= t.marking.class {
                    self.error(
                        format!("{p}.tearline.marking.class"),
                        format!(
                            "threat \"{}\": a tearline must be marked below the full item ({:?}), found {:?}",
                            t.id, t.marking.class, tl.marking.class
                        ),
                    );
                }
                if let Some(v) = tl.sensitivity {
                    self.positive(format!("{p}.tearline.sensitivity"), v, "sensitivity");
                }
            }
            if let Some(d) = t.perishability {
                self.dur(format!("{p}.perishability"), d, "perishability", true);
            }
            if let Some(d) = &t.deadline {
                self.dist(&format!("{p}.deadline"), d, "the deadline");
            }
            self.dur(
                format!("{p}.tipoff_advance"),
                t.tipoff_advance,
                "tipoff_advance",
                false,
            );
            match t.tipoff {
                Some(TipOffSpec::Delay(d)) => {
                    self.dur(format!("{p}.tipoff.0"), d, "the tip-off delay", false)
                }
                Some(TipOffSpec::Accelerate(d)) => {
                    self.dur(format!("{p}.tipoff.0"), d, "the tip-off advance", false)
                }
                Some(TipOffSpec::Abort) | None => {}
            }
            if t.tipoff.is_some() && t.tipoff_advance.raw() != 0.0 {
                self.error(
                    format!("{p}.tipoff"),
                    format!("threat \"{}\" sets both `tipoff` and `tipoff_advance`; keep `tipoff` (`tipoff_advance: d` is `tipoff: Some(Accelerate(d))`)", t.id),
                );
            }
            self.response(&format!("{p}.response"), &t.response);
            self.roles_and_impact(i, t);
            if let Some(sg) = &t.surge {
                self.positive(format!("{p}.surge.total"), sg.total, "the surge total");
                self.dur(
                    format!("{p}.surge.midpoint"),
                    sg.midpoint,
                    "the midpoint",
                    false,
                );
                self.dur(format!("{p}.surge.spread"), sg.spread, "the spread", true);
                self.dur(
                    format!("{p}.surge.handoff"),
                    sg.handoff,
                    "the hand-off deadline",
                    true,
                );
                if self.finite(&format!("{p}.surge.group_size"), sg.group_size)
                    && sg.group_size < 1.0
                {
                    self.error(
                        format!("{p}.surge.group_size"),
                        format!("the group size must be ≥ 1 person, found {}", sg.group_size),
                    );
                }
                if t.kind != ThreatKind::Migration {
                    self.warn(
                        format!("{p}.surge"),
                        format!(
                            "threat \"{}\" has a surge but is of kind {:?}, not Migration",
                            t.id, t.kind
                        ),
                    );
                }
            }
            // Observability: some agency collects on it, or an inject signals it.
            let collectors = s.agencies.iter().any(|a| {
                (t.observed_by.is_empty() || t.observed_by.contains(&a.id))
                    && a.collection.get(&t.kind).is_some_and(|&p| p > 0.0)
            });
            let signalled = s.injects.iter().any(|x| {
                x.enabled && matches!(&x.effect, EffectSpec::Signal { threat, .. } | EffectSpec::FalseReport { threat, .. } if threat == &t.id)
            });
            if !collectors && !signalled {
                self.warn(format!("{p}.id"), format!("no agency can observe threat \"{}\": none collects on {:?}{} and no inject signals it", t.id, t.kind, if t.observed_by.is_empty() { "" } else { " among observed_by" }));
            }
            if t.impact.is_none()
                && t.roles.is_empty()
                && !s.agencies.iter().any(|a| a.acts_on.contains(&t.kind))
            {
                self.warn(
                    format!("{p}.kind"),
                    format!(
                        "no agency acts on {:?} threats: threat \"{}\" can never be resolved",
                        t.kind, t.id
                    ),
                );
            }
        }
    }

    /// A threat's `roles` and `impact` (hazards, docs/model.md §15–16).
    fn roles_and_impact(&mut self, i: usize, t: &'a ThreatSpec) {
        let p = format!("threats[{i}]");
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (j, r) in t.roles.iter().enumerate() {
            let rp = format!("{p}.roles[{j}]");
            if self.agency(format!("{rp}.agency"), &r.agency) {
                if let Some(first) = seen.get(r.agency.as_str()) {
                    self.error(
                        format!("{rp}.agency"),
                        format!("agency \"{}\" has two roles on threat \"{}\" (first at roles[{first}])", r.agency, t.id),
                    );
                } else {
                    seen.insert(&r.agency, j);
                }
            }
            self.response(&rp, &r.response());
        }
        let Some(im) = &t.impact else {
            return;
        };
        let ip = format!("{p}.impact");
        self.dist(&format!("{ip}.at"), &im.at, "the impact time");
        self.prob(format!("{ip}.evacuation"), im.evacuation);
        if t.deadline.is_some() {
            self.error(
                format!("{p}.deadline"),
                format!("threat \"{}\" has both a `deadline` (harm unless resolved first) and an `impact` (harm whatever the players do); keep one", t.id),
            );
        }
        if t.surge.is_some() {
            self.error(
                format!("{p}.surge"),
                format!(
                    "threat \"{}\" has both a `surge` and an `impact`; model them as two threats",
                    t.id
                ),
            );
        }
        let known = Rc::clone(&self.agencies);
        let acts = |a: &str| {
            t.roles.iter().any(|r| r.agency == a)
                || known.get(a).is_some_and(|x| x.acts_on.contains(&t.kind))
        };
        let mut services: BTreeMap<&str, usize> = BTreeMap::new();
        for (j, o) in im.outages.iter().enumerate() {
            let op = format!("{ip}.outages[{j}]");
            if self.agency(format!("{op}.service"), &o.service) {
                if let Some(first) = services.get(o.service.as_str()) {
                    self.error(format!("{op}.service"), format!("service \"{}\" has two outages in this impact (first at outages[{first}])", o.service));
                } else {
                    services.insert(&o.service, j);
                }
                let crews = self.agencies[o.service.as_str()].crews > 0
                    || self.spec.injects.iter().any(|x| {
                        x.enabled && matches!(&x.effect, EffectSpec::Arrival { agency, crews, .. } if agency == &o.service && *crews > 0)
                    });
                if !crews && o.workaround_by.is_none() {
                    self.warn(format!("{op}.service"), format!("service \"{}\" has no `crews` and no `Arrival` inject brings any: its outage is never restored", o.service));
                }
            }
            self.nonneg(
                format!("{op}.first_restore"),
                o.first_restore,
                "first_restore",
            );
            self.nonneg(
                format!("{op}.per_crew_hour"),
                o.per_crew_hour,
                "per_crew_hour",
            );
            for (field, who) in [
                ("assessed_by", &o.assessed_by),
                ("workaround_by", &o.workaround_by),
            ] {
                if let Some(a) = who
                    && self.agency(format!("{op}.{field}"), a)
                    && !acts(a)
                {
                    self.warn(format!("{op}.{field}"), format!("agency \"{a}\" neither has a role on threat \"{}\" nor acts on {:?} threats: it never acts, so `{field}` never happens", t.id, t.kind));
                }
            }
        }
    }

    /// Inject ids whose trigger can fire, and why the others cannot.
    fn firing(&self) -> (BTreeSet<&'a str>, BTreeMap<&'a str, String>) {
        let s = self.spec;
        let mut can: BTreeSet<&str> = BTreeSet::new();
        let mut why: BTreeMap<&str, String> = BTreeMap::new();
        // Direct triggers first.
        for x in &s.injects {
            if !x.enabled {
                why.insert(&x.id, format!("inject \"{}\" is disabled", x.id));
                continue;
            }
            match &x.trigger {
                TriggerSpec::At(t) if t.hours() <= self.duration_h && t.hours() >= 0.0 => {
                    can.insert(&x.id);
                }
                TriggerSpec::Contingency { by, .. }
                    if by.hours() <= self.duration_h && by.hours() >= 0.0 =>
                {
                    can.insert(&x.id);
                }
                TriggerSpec::WhenMetric { metric, at_least }
                    if self.metric_reachable(metric, *at_least).is_none() =>
                {
                    can.insert(&x.id);
                }
                TriggerSpec::AfterInject { .. } => {}
                TriggerSpec::FirstOffer { .. } | TriggerSpec::Milestone { .. } => {
                    can.insert(&x.id);
                }
                _ => {
                    why.insert(&x.id, format!("inject \"{}\" can never fire", x.id));
                }
            }
        }
        // Propagate along AfterInject until nothing changes.
        loop {
            let mut changed = false;
            for x in &s.injects {
                if let TriggerSpec::AfterInject { inject, .. } = &x.trigger
                    && x.enabled
                    && !can.contains(x.id.as_str())
                    && can.contains(inject.as_str())
                {
                    can.insert(&x.id);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        (can, why)
    }

    /// None when `metric ≥ at_least` can happen; otherwise why not.
    fn metric_reachable(&self, metric: &TriggerMetric, at_least: f64) -> Option<String> {
        if !at_least.is_finite() {
            return Some(format!("the threshold {at_least} is not finite"));
        }
        let n_ag = self.spec.agencies.len() as f64;
        match metric {
            TriggerMetric::AgenciesInformed(_) if at_least > n_ag => Some(format!(
                "AgenciesInformed can reach at most {n_ag} (the number of agencies), but the trigger waits for {at_least}"
            )),
            TriggerMetric::Withdrawals if at_least > n_ag + self.spec.partnerships.len() as f64 => {
                Some(format!(
                    "Withdrawals can reach at most {} (agencies + partnerships), but the trigger waits for {at_least}",
                    n_ag + self.spec.partnerships.len() as f64
                ))
            }
            TriggerMetric::HoursSinceDetection(_) if at_least > self.duration_h => Some(format!(
                "HoursSinceDetection cannot exceed the exercise length ({} h), but the trigger waits for {at_least}",
                self.duration_h
            )),
            _ => None,
        }
    }

    fn injects_check(&mut self) {
        let s = self.spec;
        let mut numbers: BTreeMap<u32, usize> = BTreeMap::new();
        let (can, _) = self.firing();
        let inject_ids: BTreeMap<&str, ()> = self.injects.keys().map(|k| (*k, ())).collect();
        let partnerships = self.partnerships.clone();
        let insiders = self.insiders.clone();
        let objectives = self.objectives.clone();
        let channels = Rc::clone(&self.channels);
        for (i, x) in s.injects.iter().enumerate() {
            let p = format!("injects[{i}]");
            if x.number == 0 {
                self.error(format!("{p}.number"), "inject numbers start at 1".into());
            }
            if let Some(first) = numbers.get(&x.number) {
                self.error(
                    format!("{p}.number"),
                    format!(
                        "duplicate inject number {} (first used by injects[{first}])",
                        x.number
                    ),
                );
            } else {
                numbers.insert(x.number, i);
            }
            self.prob(format!("{p}.probability"), x.probability);
            if let Some(d) = x.duration {
                self.dur(format!("{p}.duration"), d, "the inject duration", true);
            }
            for (j, a) in x.to.iter().enumerate() {
                self.agency(format!("{p}.to[{j}]"), a);
            }
            for (j, o) in x.objectives.iter().enumerate() {
                self.reference_set(format!("{p}.objectives[{j}]"), o, &objectives, "objective");
            }
            // Trigger.
            let tp = format!("{p}.trigger");
            match &x.trigger {
                TriggerSpec::At(t) => {
                    self.dur(format!("{tp}.0"), *t, "the inject time", false);
                    if t.hours() > self.duration_h {
                        self.error(
                            format!("{tp}.0"),
                            format!(
                                "inject \"{}\" is scheduled at {}, after the exercise ends ({})",
                                x.id,
                                fmt_h(t.hours()),
                                fmt_h(self.duration_h)
                            ),
                        );
                    }
                }
                TriggerSpec::AfterInject { inject, delay } => {
                    self.dur(format!("{tp}.delay"), *delay, "the delay", false);
                    if inject == &x.id {
                        self.error(
                            format!("{tp}.inject"),
                            format!("inject \"{}\" waits for itself: it can never fire", x.id),
                        );
                    } else if self.reference(format!("{tp}.inject"), inject, &inject_ids, "inject")
                        && x.enabled
                        && !can.contains(x.id.as_str())
                    {
                        let target = self.injects[inject.as_str()].1;
                        let reason = if !target.enabled {
                            format!("inject \"{inject}\" it waits for is disabled")
                        } else if self.in_cycle(&x.id) {
                            format!(
                                "it is part of an AfterInject cycle ({})",
                                self.cycle_text(&x.id)
                            )
                        } else {
                            format!("inject \"{inject}\" it waits for can never fire")
                        };
                        self.error(
                            format!("{tp}.inject"),
                            format!("inject \"{}\" can never fire: {reason}", x.id),
                        );
                    }
                }
                TriggerSpec::WhenMetric { metric, at_least } => {
                    match metric {
                        TriggerMetric::AgenciesInformed(t)
                        | TriggerMetric::HoursSinceDetection(t) => {
                            self.threat(format!("{tp}.metric.0"), t);
                        }
                        _ => {}
                    }
                    if let Some(why) = self.metric_reachable(metric, *at_least) {
                        self.error(
                            format!("{tp}.at_least"),
                            format!("inject \"{}\" can never fire: {why}", x.id),
                        );
                    }
                }
                TriggerSpec::FirstOffer {
                    partnership,
                    threat,
                } => {
                    self.reference_set(
                        format!("{tp}.partnership"),
                        partnership,
                        &partnerships,
                        "partnership",
                    );
                    self.threat(format!("{tp}.threat"), threat);
                }
                TriggerSpec::Milestone { .. } => {}
                TriggerSpec::Contingency { unless, by } => {
                    self.dur(format!("{tp}.by"), *by, "the contingency time", false);
                    if by.hours() > self.duration_h {
                        self.error(format!("{tp}.by"), format!("contingency inject \"{}\" is checked at {}, after the exercise ends ({})", x.id, fmt_h(by.hours()), fmt_h(self.duration_h)));
                    }
                    let up = format!("{tp}.unless.0");
                    match unless {
                        Condition::Detected(t) | Condition::Shared(t) | Condition::Acted(t) => {
                            if self.threat(up.clone(), t) {
                                let th = self.threats[t.as_str()];
                                if th.start.hours() >= by.hours() {
                                    self.warn(up, format!("contingency inject \"{}\" always fires: threat \"{t}\" starts at {}, not before `by` ({})", x.id, fmt_h(th.start.hours()), fmt_h(by.hours())));
                                }
                            }
                        }
                        Condition::InjectFired(id) => {
                            if self.reference(up.clone(), id, &inject_ids, "inject")
                                && !can.contains(id.as_str())
                            {
                                self.warn(up, format!("contingency inject \"{}\" always fires: inject \"{id}\" can never fire", x.id));
                            }
                        }
                    }
                }
            }
            if let TriggerSpec::Milestone { on, delay } = &x.trigger {
                self.milestone(&tp, on, *delay, &partnerships, &objectives);
            }
            // Effect.
            let ep = format!("{p}.effect");
            match &x.effect {
                EffectSpec::Signal { threat, at } | EffectSpec::FalseReport { threat, at } => {
                    self.threat(format!("{ep}.threat"), threat);
                    self.agency(format!("{ep}.at"), at);
                }
                EffectSpec::AgencyOutage(a) => {
                    self.agency(format!("{ep}.0"), a);
                }
                EffectSpec::ChannelOutage(c) | EffectSpec::ChannelCompromise(c) => {
                    self.reference(format!("{ep}.0"), c, &channels, "channel");
                }
                EffectSpec::DegradedCapacity { agency, factor } => {
                    self.agency(format!("{ep}.agency"), agency);
                    if self.finite(&format!("{ep}.factor"), *factor)
                        && !(*factor > 0.0 && *factor <= 1.0)
                    {
                        self.error(
                            format!("{ep}.factor"),
                            format!("the capacity factor must be in (0, 1], found {factor}"),
                        );
                    }
                }
                EffectSpec::Withdrawal(id) | EffectSpec::LegalHold(id) => {
                    self.reference_set(format!("{ep}.0"), id, &partnerships, "partnership");
                }
                EffectSpec::InsiderAction(id) => {
                    self.reference_set(format!("{ep}.0"), id, &insiders, "insider");
                }
                EffectSpec::PublicWarning { threat, by } => {
                    self.threat(format!("{ep}.threat"), threat);
                    self.agency(format!("{ep}.by"), by);
                }
                EffectSpec::AdvanceDeadline { threat, by } => {
                    self.dur(format!("{ep}.by"), *by, "the advance", false);
                    if self.threat(format!("{ep}.threat"), threat)
                        && self.threats[threat.as_str()].deadline.is_none()
                    {
                        self.warn(
                            format!("{ep}.threat"),
                            format!("threat \"{threat}\" has no deadline to advance"),
                        );
                    }
                }
                EffectSpec::Arrival {
                    agency,
                    analysts,
                    processing_per_hour,
                    shelter,
                    lead,
                    ..
                } => {
                    self.agency(format!("{ep}.agency"), agency);
                    if *analysts > MAX_LENT_ANALYSTS {
                        self.error(
                            format!("{ep}.analysts"),
                            format!("analysts arriving must be 0–10,000, found {analysts}"),
                        );
                    }
                    self.nonneg(
                        format!("{ep}.processing_per_hour"),
                        *processing_per_hour,
                        "processing_per_hour",
                    );
                    self.nonneg(format!("{ep}.shelter"), *shelter, "shelter");
                    self.dur(format!("{ep}.lead"), *lead, "the lead time", false);
                }
                EffectSpec::Note => {}
            }
        }
    }

    /// Check a `Milestone` trigger at path `tp`: its ids exist, its times are in range.
    fn milestone(
        &mut self,
        tp: &str,
        on: &MilestoneSpec,
        delay: Duration,
        partnerships: &BTreeSet<&str>,
        objectives: &BTreeSet<&str>,
    ) {
        self.dur(format!("{tp}.delay"), delay, "the delay", false);
        let op = format!("{tp}.on.0");
        match on {
            MilestoneSpec::Harm(t)
            | MilestoneSpec::Detected(t)
            | MilestoneSpec::FirstShared(t)
            | MilestoneSpec::Acted(t)
            | MilestoneSpec::Resolved(t) => {
                self.threat(op, t);
            }
            MilestoneSpec::AgencyFailed(a) | MilestoneSpec::AgencyRecovered(a) => {
                self.agency(op, a);
            }
            MilestoneSpec::PartnershipWithdrawn(id) => {
                self.reference_set(op, id, partnerships, "partnership");
            }
            MilestoneSpec::ObjectiveMet { objective, by }
            | MilestoneSpec::ObjectiveMissed { objective, by } => {
                self.reference_set(
                    format!("{tp}.on.objective"),
                    objective,
                    objectives,
                    "objective",
                );
                self.dur(format!("{tp}.on.by"), *by, "the judging time", false);
                if by.hours() > self.duration_h {
                    self.error(
                        format!("{tp}.on.by"),
                        format!(
                            "objective \"{objective}\" is judged at {}, after the exercise ends ({})",
                            fmt_h(by.hours()),
                            fmt_h(self.duration_h)
                        ),
                    );
                }
            }
        }
    }

    fn after_target(&self, id: &str) -> Option<&'a str> {
        match &self.injects.get(id)?.1.trigger {
            TriggerSpec::AfterInject { inject, .. } => Some(inject.as_str()),
            _ => None,
        }
    }

    fn in_cycle(&self, id: &str) -> bool {
        let mut cur = self.after_target(id);
        for _ in 0..=self.injects.len() {
            match cur {
                Some(c) if c == id => return true,
                Some(c) => cur = self.after_target(c),
                None => return false,
            }
        }
        false
    }

    fn cycle_text(&self, id: &str) -> String {
        let mut names = vec![id.to_string()];
        let mut cur = self.after_target(id);
        while let Some(c) = cur {
            names.push(c.to_string());
            if c == id || names.len() > self.injects.len() + 1 {
                break;
            }
            cur = self.after_target(c);
        }
        names.join(" → ")
    }

    fn insiders_check(&mut self) {
        let s = self.spec;
        for (i, x) in s.insiders.iter().enumerate() {
            let p = format!("insiders[{i}]");
            self.agency(format!("{p}.agency"), &x.agency);
            match &x.action {
                InsiderActionSpec::Sabotage { outage } => self.dur(
                    format!("{p}.action.outage"),
                    *outage,
                    "the sabotage outage",
                    true,
                ),
                InsiderActionSpec::Disinformation(t) => {
                    self.threat(format!("{p}.action.0"), t);
                }
                InsiderActionSpec::TipOff(t) => {
                    if self.threat(format!("{p}.action.0"), t)
                        && self.threats[t.as_str()].deadline.is_none()
                    {
                        self.warn(format!("{p}.action.0"), format!("insider \"{}\" tips off threat \"{t}\", which has no deadline to bring forward", x.id));
                    }
                }
                InsiderActionSpec::Leak | InsiderActionSpec::Exfiltration => {}
            }
            if let Some(t) = &x.threat
                && self.threat(format!("{p}.threat"), t)
            {
                let kind = self.threats[t.as_str()].kind;
                if kind != ThreatKind::Insider {
                    self.error(
                        format!("{p}.threat"),
                        format!("insider \"{}\" is tied to threat \"{t}\" of kind {kind:?}; an insider's threat must be of kind Insider", x.id),
                    );
                }
                if let Some((j, other)) = s
                    .insiders
                    .iter()
                    .enumerate()
                    .take(i)
                    .find(|(_, o)| o.threat.as_deref() == Some(t.as_str()))
                {
                    self.error(
                        format!("{p}.threat"),
                        format!("threat \"{t}\" is already tied to insider \"{}\" (insiders[{j}]); one insider per threat", other.id),
                    );
                }
            }
            self.prob(
                format!("{p}.activation_probability"),
                x.activation_probability,
            );
            self.dur(format!("{p}.start"), x.start, "the start", false);
            if x.start.hours() >= self.duration_h && self.duration_h > 0.0 {
                self.warn(
                    format!("{p}.start"),
                    format!(
                        "insider \"{}\" becomes active at {}, after the exercise ends",
                        x.id,
                        fmt_h(x.start.hours())
                    ),
                );
            }
            self.rate(
                format!("{p}.precursors_per_month"),
                x.precursors_per_month,
                "precursors_per_month",
            );
            self.prob(format!("{p}.report_probability"), x.report_probability);
            self.rate(
                format!("{p}.actions_per_month"),
                x.actions_per_month,
                "actions_per_month",
            );
        }
    }

    fn objectives_check(&mut self) {
        let s = self.spec;
        let insiders = self.insiders.clone();
        let partnerships = self.partnerships.clone();
        for (i, o) in s.objectives.iter().enumerate() {
            let p = format!("objectives[{i}]");
            let mp = format!("{p}.metric");
            let threat_of = |m: &MetricSpec| -> Option<String> {
                match m {
                    MetricSpec::TimeToDetection(t)
                    | MetricSpec::TimeToFirstShare(t)
                    | MetricSpec::TimeToAction(t)
                    | MetricSpec::Resolved(t)
                    | MetricSpec::ProcessedWithinHandoff(t)
                    | MetricSpec::PeakUnsheltered(t)
                    | MetricSpec::RetractionTime(t)
                    | MetricSpec::FalseAlarmActed(t)
                    | MetricSpec::TimeToPublicWarning(t) => Some(t.clone()),
                    MetricSpec::Coverage { threat, .. } => Some(threat.clone()),
                    _ => None,
                }
            };
            let tpath = if matches!(o.metric, MetricSpec::Coverage { .. }) {
                format!("{mp}.threat")
            } else {
                format!("{mp}.0")
            };
            let mut references_something = false;
            if let Some(t) = threat_of(&o.metric) {
                references_something = true;
                if self.threat(tpath.clone(), &t) {
                    let th = self.threats[t.as_str()];
                    match &o.metric {
                        MetricSpec::ProcessedWithinHandoff(_) | MetricSpec::PeakUnsheltered(_)
                            if th.surge.is_none() =>
                        {
                            self.error(tpath.clone(), format!("objective \"{}\": this metric is undefined because threat \"{t}\" has no `surge`", o.id));
                        }
                        MetricSpec::RetractionTime(_) => {
                            let false_source = th.truth_probability < 1.0
                                || s.injects.iter().any(|x| matches!(&x.effect, EffectSpec::FalseReport { threat, .. } if threat == &t))
                                || s.insiders.iter().any(|x| matches!(&x.action, InsiderActionSpec::Disinformation(th2) if th2 == &t));
                            if !false_source {
                                self.error(tpath.clone(), format!("objective \"{}\": RetractionTime is undefined because threat \"{t}\" is always true (truth_probability 1) and no FalseReport inject or Disinformation insider targets it", o.id));
                            }
                        }
                        _ => {}
                    }
                }
            }
            match &o.metric {
                MetricSpec::InsiderDetectionTime(id) => {
                    references_something = true;
                    self.reference_set(format!("{mp}.0"), id, &insiders, "insider");
                }
                MetricSpec::FunctionLostHours(id) => {
                    references_something = true;
                    if self.agency(format!("{mp}.0"), id)
                        && self.agencies[id.as_str()].depends_on.is_empty()
                    {
                        self.error(format!("{mp}.0"), format!("objective \"{}\": agency \"{id}\" has no `depends_on`, so it never loses a function to a partner", o.id));
                    }
                }
                MetricSpec::Coverage { within, .. } => {
                    self.dur(format!("{mp}.within"), *within, "the coverage window", true)
                }
                MetricSpec::ServiceExposure(id) => {
                    references_something = true;
                    if self.agency(format!("{mp}.0"), id)
                        && self.agencies[id.as_str()].depends_on.is_empty()
                    {
                        self.error(format!("{mp}.0"), format!("objective \"{}\": agency \"{id}\" has no `depends_on`, so it has no exposure to a partner's or service's loss", o.id));
                    }
                }
                MetricSpec::TimeToActionBy { threat, agency } => {
                    references_something = true;
                    if self.threat(format!("{mp}.threat"), threat)
                        && self.agency(format!("{mp}.agency"), agency)
                    {
                        let th = self.threats[threat.as_str()];
                        let acts = th.roles.iter().any(|r| &r.agency == agency)
                            || self.agencies[agency.as_str()].acts_on.contains(&th.kind);
                        if !acts {
                            self.error(format!("{mp}.agency"), format!("objective \"{}\": agency \"{agency}\" has no role on threat \"{threat}\" and does not act on {:?} threats", o.id, th.kind));
                        }
                    }
                }
                MetricSpec::PeopleWithoutShelterPeak(t)
                | MetricSpec::PeopleWithoutShelterHours(t) => {
                    references_something = true;
                    if self.threat(format!("{mp}.0"), t)
                        && self.threats[t.as_str()].impact.is_none()
                    {
                        self.error(format!("{mp}.0"), format!("objective \"{}\": this metric is undefined because threat \"{t}\" has no `impact`", o.id));
                    }
                }
                MetricSpec::CustomersWithoutPowerHours(a)
                | MetricSpec::CustomersRestoredShare { service: a, .. }
                | MetricSpec::HoursWithoutService(a)
                | MetricSpec::TimeToFirstRestoration(a) => {
                    references_something = true;
                    let path = if let MetricSpec::CustomersRestoredShare { within, .. } = &o.metric
                    {
                        self.dur(
                            format!("{mp}.within"),
                            *within,
                            "the restoration window",
                            true,
                        );
                        format!("{mp}.service")
                    } else {
                        format!("{mp}.0")
                    };
                    let is_service = s
                        .threats
                        .iter()
                        .flat_map(|t| t.impact.iter())
                        .flat_map(|i| &i.outages)
                        .any(|x| &x.service == a);
                    if self.agency(path.clone(), a) && !is_service {
                        self.error(path, format!("objective \"{}\": agency \"{a}\" is the `service` of no hazard's outage", o.id));
                    }
                }
                MetricSpec::PartnershipUptime(id) | MetricSpec::ItemsCarried(id) => {
                    references_something = true;
                    self.reference_set(format!("{mp}.0"), id, &partnerships, "partnership");
                }
                MetricSpec::FirstItemCarried {
                    partnership,
                    threat,
                } => {
                    references_something = true;
                    self.reference_set(
                        format!("{mp}.partnership"),
                        partnership,
                        &partnerships,
                        "partnership",
                    );
                    if let Some(t) = threat {
                        self.threat(format!("{mp}.threat.0"), t);
                    }
                }
                _ => {}
            }
            if let MetricSpec::Resolved(t) = &o.metric
                && self
                    .threats
                    .get(t.as_str())
                    .is_some_and(|x| x.impact.is_some())
            {
                self.error(format!("{mp}.0"), format!("objective \"{}\": threat \"{t}\" is a hazard with an `impact`, which happens whatever the players do and is never resolved; judge its consequences instead (PeopleWithoutShelterPeak, CustomersWithoutPowerHours, HoursWithoutService, ...)", o.id));
            }
            let tp = format!("{p}.target");
            match o.target {
                TargetSpec::Within(d) => {
                    if !o.metric.is_event_time() {
                        self.error(format!("{tp}.0"), format!("objective \"{}\": `Within` needs a time metric; use AtLeast or AtMost for this one", o.id));
                    }
                    self.dur(format!("{tp}.0"), d, "the target time", true);
                }
                TargetSpec::AtLeast(v) => {
                    if self.finite(&format!("{tp}.0"), v) && share_metric(&o.metric) && v > 1.0 {
                        self.error(format!("{tp}.0"), format!("objective \"{}\" can never be met: this metric is a share in [0, 1], the target asks for at least {v}", o.id));
                    }
                }
                TargetSpec::AtMost(v) => {
                    if self.finite(&format!("{tp}.0"), v) && v < 0.0 {
                        self.error(format!("{tp}.0"), format!("objective \"{}\" can never be met: the target asks for at most {v}, below zero", o.id));
                    }
                }
            }
            let r = o.ratings;
            for (name, v) in [("p", r.p), ("s", r.s), ("m", r.m)] {
                self.prob(format!("{p}.ratings.{name}"), v);
            }
            if !(r.p >= r.s && r.s >= r.m) {
                self.error(
                    format!("{p}.ratings"),
                    format!(
                        "rating thresholds must satisfy p ≥ s ≥ m, found p {} s {} m {}",
                        r.p, r.s, r.m
                    ),
                );
            }
            let exercised = s.injects.iter().any(|x| x.objectives.contains(&o.id));
            if !references_something && !exercised {
                self.warn(
                    format!("{p}.id"),
                    format!(
                        "objective \"{}\" is exercised by no inject and names no threat or insider",
                        o.id
                    ),
                );
            }
        }
    }

    fn variants_check(&mut self) {
        for (i, v) in self.spec.variants.iter().enumerate() {
            if v.changes.is_empty() {
                self.warn(
                    format!("variants[{i}].changes"),
                    format!("variant \"{}\" changes nothing", v.id),
                );
            }
        }
    }
}

fn quoted(ids: &[&str]) -> String {
    ids.iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every id reference of a scenario, resolved to the position of what it names, so that
/// compilation never looks an id up again. [`resolve`] builds it whenever a scenario is
/// validated (loading, variants, `--param` changes).
///
/// Each list runs parallel to the specification's list of the same name. A reference that
/// names nothing is `None`: impossible after validation, possible only in a specification
/// edited through the `test-support` hook, which compilation then skips as it always has.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Resolved {
    /// References of each agency, parallel to `agencies`.
    pub(crate) agencies: Vec<AgencyRefs>,
    /// References of each partnership, parallel to `partnerships`.
    pub(crate) partnerships: Vec<PartnershipRefs>,
    /// References of each threat, parallel to `threats`.
    pub(crate) threats: Vec<ThreatRefs>,
    /// References of each inject, parallel to `injects`.
    pub(crate) injects: Vec<InjectRefs>,
    /// References of each insider, parallel to `insiders`.
    pub(crate) insiders: Vec<InsiderRefs>,
    /// References of each objective, parallel to `objectives`.
    pub(crate) objectives: Vec<ObjectiveRefs>,
}

/// An agency's references.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AgencyRefs {
    /// The partner of each dependency, parallel to `depends_on`.
    pub(crate) depends_on: Vec<Option<AgencyIx>>,
}

/// A partnership's references.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PartnershipRefs {
    /// The agency named by `from`.
    pub(crate) from: Option<AgencyIx>,
    /// The agency named by `to`.
    pub(crate) to: Option<AgencyIx>,
    /// Each channel, parallel to `channels` (preference order).
    pub(crate) channels: Vec<Option<ChannelIx>>,
}

/// A threat's references.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ThreatRefs {
    /// Each agency of `observed_by`, in order.
    pub(crate) observed_by: Vec<Option<AgencyIx>>,
    /// The agency of each role, parallel to `roles`.
    pub(crate) roles: Vec<Option<AgencyIx>>,
    /// The agencies of each outage of the impact, parallel to `impact.outages`.
    pub(crate) outages: Vec<OutageRefs>,
}

/// An outage's references.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct OutageRefs {
    /// The service provider.
    pub(crate) service: Option<AgencyIx>,
    /// The agency whose action must assess the damage first.
    pub(crate) assessed_by: Option<AgencyIx>,
    /// The agency whose action works around the outage.
    pub(crate) workaround_by: Option<AgencyIx>,
}

/// An inject's references: the target of its trigger and of its effect. A field the trigger
/// or effect kind has no use for is `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct InjectRefs {
    /// The inject the trigger waits for (`AfterInject`, `Contingency` on `InjectFired`).
    pub(crate) trigger_inject: Option<InjectIx>,
    /// The partnership the trigger watches (`FirstOffer`, `PartnershipWithdrawn`).
    pub(crate) trigger_partnership: Option<PartnershipIx>,
    /// The agency the trigger watches (`AgencyFailed`, `AgencyRecovered`).
    pub(crate) trigger_agency: Option<AgencyIx>,
    /// The objective the trigger judges (`ObjectiveMet`, `ObjectiveMissed`), by its index in
    /// scenario order.
    pub(crate) trigger_objective: Option<usize>,
    /// The threat the trigger watches (`WhenMetric` on a threat's metric, `Contingency` on
    /// `Detected`, `Shared` or `Acted`, `FirstOffer`).
    pub(crate) trigger_threat: Option<ThreatIx>,
    /// The effect's threat (`Signal`, `FalseReport`, `PublicWarning`, `AdvanceDeadline`).
    pub(crate) threat: Option<ThreatIx>,
    /// The effect's agency (`Signal`/`FalseReport` `at`, `PublicWarning` `by`,
    /// `AgencyOutage`, `DegradedCapacity`, `Arrival`).
    pub(crate) agency: Option<AgencyIx>,
    /// The effect's channel (`ChannelOutage`, `ChannelCompromise`).
    pub(crate) channel: Option<ChannelIx>,
    /// The effect's partnership (`Withdrawal`, `LegalHold`).
    pub(crate) partnership: Option<PartnershipIx>,
    /// The effect's insider (`InsiderAction`).
    pub(crate) insider: Option<InsiderIx>,
}

/// An insider's references.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct InsiderRefs {
    /// The agency they work in.
    pub(crate) agency: Option<AgencyIx>,
    /// The threat their action targets (`Disinformation`, `TipOff`).
    pub(crate) threat: Option<ThreatIx>,
    /// The `Insider`-kind threat they are tied to (`threat`).
    pub(crate) tied: Option<ThreatIx>,
}

/// An objective's references: what its metric measures.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ObjectiveRefs {
    /// The threat of a per-threat metric.
    pub(crate) threat: Option<ThreatIx>,
    /// The insider of `InsiderDetectionTime`.
    pub(crate) insider: Option<InsiderIx>,
    /// The agency of `FunctionLostHours`, `ServiceExposure`, `TimeToActionBy`, or the
    /// service of an outage metric.
    pub(crate) agency: Option<AgencyIx>,
    /// The partnership of `PartnershipUptime`, `ItemsCarried`, `FirstItemCarried`.
    pub(crate) partnership: Option<PartnershipIx>,
}

/// Positions of ids in one list; the first of duplicate ids wins (a valid scenario has none).
struct Positions<'a>(BTreeMap<&'a str, usize>);

impl<'a> Positions<'a> {
    fn of(ids: impl Iterator<Item = &'a str>) -> Self {
        let mut map = BTreeMap::new();
        for (i, id) in ids.enumerate() {
            map.entry(id).or_insert(i);
        }
        Positions(map)
    }

    fn get<T>(&self, id: &str, ix: fn(usize) -> T) -> Option<T> {
        self.0.get(id).map(|&i| ix(i))
    }
}

/// Resolve every id reference of `spec` (see [`Resolved`]).
pub(crate) fn resolve(spec: &ScenarioSpec) -> Resolved {
    let agencies = Positions::of(spec.agencies.iter().map(|a| a.id.as_str()));
    let channels = Positions::of(spec.channels.iter().map(|c| c.id.as_str()));
    let partnerships = Positions::of(spec.partnerships.iter().map(|p| p.id.as_str()));
    let threats = Positions::of(spec.threats.iter().map(|t| t.id.as_str()));
    let injects = Positions::of(spec.injects.iter().map(|i| i.id.as_str()));
    let insiders = Positions::of(spec.insiders.iter().map(|i| i.id.as_str()));
    let objectives = Positions::of(spec.objectives.iter().map(|o| o.id.as_str()));
    let agency = |id: &str| agencies.get(id, AgencyIx::new);
    let threat = |id: &str| threats.get(id, ThreatIx::new);
    let inject = |id: &str| injects.get(id, InjectIx::new);
    let insider = |id: &str| insiders.get(id, InsiderIx::new);
    Resolved {
        agencies: spec
            .agencies
            .iter()
            .map(|a| AgencyRefs {
                depends_on: a.depends_on.iter().map(|d| agency(&d.partner)).collect(),
            })
            .collect(),
        partnerships: spec
            .partnerships
            .iter()
            .map(|p| PartnershipRefs {
                from: agency(&p.from),
                to: agency(&p.to),
                channels: p
                    .channels
                    .iter()
                    .map(|c| channels.get(c, ChannelIx::new))
                    .collect(),
            })
            .collect(),
        threats: spec
            .threats
            .iter()
            .map(|t| ThreatRefs {
                observed_by: t.observed_by.iter().map(|a| agency(a)).collect(),
                roles: t.roles.iter().map(|r| agency(&r.agency)).collect(),
                outages: t
                    .impact
                    .iter()
                    .flat_map(|i| &i.outages)
                    .map(|o| OutageRefs {
                        service: agency(&o.service),
                        assessed_by: o.assessed_by.as_deref().and_then(agency),
                        workaround_by: o.workaround_by.as_deref().and_then(agency),
                    })
                    .collect(),
            })
            .collect(),
        injects: spec
            .injects
            .iter()
            .map(|x| {
                let mut r = InjectRefs::default();
                match &x.trigger {
                    TriggerSpec::At(_) => {}
                    TriggerSpec::AfterInject { inject: i, .. } => r.trigger_inject = inject(i),
                    TriggerSpec::FirstOffer {
                        partnership: p,
                        threat: t,
                    } => {
                        r.trigger_partnership = partnerships.get(p, PartnershipIx::new);
                        r.trigger_threat = threat(t);
                    }
                    TriggerSpec::WhenMetric { metric, .. } => match metric {
                        TriggerMetric::AgenciesInformed(t)
                        | TriggerMetric::HoursSinceDetection(t) => r.trigger_threat = threat(t),
                        TriggerMetric::Backlog
                        | TriggerMetric::Withdrawals
                        | TriggerMetric::LeakExposure => {}
                    },
                    TriggerSpec::Contingency { unless, .. } => match unless {
                        Condition::Detected(t) | Condition::Shared(t) | Condition::Acted(t) => {
                            r.trigger_threat = threat(t)
                        }
                        Condition::InjectFired(i) => r.trigger_inject = inject(i),
                    },
                    TriggerSpec::Milestone { on, .. } => match on {
                        MilestoneSpec::Harm(t)
                        | MilestoneSpec::Detected(t)
                        | MilestoneSpec::FirstShared(t)
                        | MilestoneSpec::Acted(t)
                        | MilestoneSpec::Resolved(t) => r.trigger_threat = threat(t),
                        MilestoneSpec::AgencyFailed(a) | MilestoneSpec::AgencyRecovered(a) => {
                            r.trigger_agency = agency(a)
                        }
                        MilestoneSpec::PartnershipWithdrawn(p) => {
                            r.trigger_partnership = partnerships.get(p, PartnershipIx::new)
                        }
                        MilestoneSpec::ObjectiveMet { objective: o, .. }
                        | MilestoneSpec::ObjectiveMissed { objective: o, .. } => {
                            r.trigger_objective = objectives.get(o, |i| i)
                        }
                    },
                }
                match &x.effect {
                    EffectSpec::Signal { threat: t, at: a }
                    | EffectSpec::FalseReport { threat: t, at: a }
                    | EffectSpec::PublicWarning { threat: t, by: a } => {
                        r.threat = threat(t);
                        r.agency = agency(a);
                    }
                    EffectSpec::AgencyOutage(a)
                    | EffectSpec::DegradedCapacity { agency: a, .. }
                    | EffectSpec::Arrival { agency: a, .. } => r.agency = agency(a),
                    EffectSpec::ChannelOutage(c) | EffectSpec::ChannelCompromise(c) => {
                        r.channel = channels.get(c, ChannelIx::new)
                    }
                    EffectSpec::Withdrawal(p) | EffectSpec::LegalHold(p) => {
                        r.partnership = partnerships.get(p, PartnershipIx::new)
                    }
                    EffectSpec::InsiderAction(i) => r.insider = insider(i),
                    EffectSpec::AdvanceDeadline { threat: t, .. } => r.threat = threat(t),
                    EffectSpec::Note => {}
                }
                r
            })
            .collect(),
        insiders: spec
            .insiders
            .iter()
            .map(|x| InsiderRefs {
                agency: agency(&x.agency),
                threat: match &x.action {
                    InsiderActionSpec::Disinformation(t) | InsiderActionSpec::TipOff(t) => {
                        threat(t)
                    }
                    InsiderActionSpec::Leak
                    | InsiderActionSpec::Exfiltration
                    | InsiderActionSpec::Sabotage { .. } => None,
                },
                tied: x.threat.as_deref().and_then(threat),
            })
            .collect(),
        objectives: spec
            .objectives
            .iter()
            .map(|o| match &o.metric {
                MetricSpec::TimeToDetection(t)
                | MetricSpec::TimeToFirstShare(t)
                | MetricSpec::Coverage { threat: t, .. }
                | MetricSpec::TimeToAction(t)
                | MetricSpec::Resolved(t)
                | MetricSpec::ProcessedWithinHandoff(t)
                | MetricSpec::PeakUnsheltered(t)
                | MetricSpec::RetractionTime(t)
                | MetricSpec::FalseAlarmActed(t)
                | MetricSpec::TimeToPublicWarning(t) => ObjectiveRefs {
                    threat: threat(t),
                    ..ObjectiveRefs::default()
                },
                MetricSpec::InsiderDetectionTime(i) => ObjectiveRefs {
                    insider: insider(i),
                    ..ObjectiveRefs::default()
                },
                MetricSpec::FunctionLostHours(a)
                | MetricSpec::ServiceExposure(a)
                | MetricSpec::CustomersWithoutPowerHours(a)
                | MetricSpec::CustomersRestoredShare { service: a, .. }
                | MetricSpec::HoursWithoutService(a)
                | MetricSpec::TimeToFirstRestoration(a) => ObjectiveRefs {
                    agency: agency(a),
                    ..ObjectiveRefs::default()
                },
                MetricSpec::PartnershipUptime(p) | MetricSpec::ItemsCarried(p) => ObjectiveRefs {
                    partnership: partnerships.get(p, PartnershipIx::new),
                    ..ObjectiveRefs::default()
                },
                MetricSpec::FirstItemCarried {
                    partnership: p,
                    threat: t,
                } => ObjectiveRefs {
                    partnership: partnerships.get(p, PartnershipIx::new),
                    threat: t.as_deref().and_then(threat),
                    ..ObjectiveRefs::default()
                },
                MetricSpec::TimeToActionBy {
                    threat: t,
                    agency: a,
                } => ObjectiveRefs {
                    threat: threat(t),
                    agency: agency(a),
                    ..ObjectiveRefs::default()
                },
                MetricSpec::PeopleWithoutShelterPeak(t)
                | MetricSpec::PeopleWithoutShelterHours(t) => ObjectiveRefs {
                    threat: threat(t),
                    ..ObjectiveRefs::default()
                },
                MetricSpec::LeakExposure
                | MetricSpec::InsiderExposure
                | MetricSpec::BlockedButNeeded
                | MetricSpec::HandlingViolations
                | MetricSpec::MinTrust
                | MetricSpec::MeanTrust
                | MetricSpec::Withdrawals => ObjectiveRefs::default(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ValidScenario;
    use std::path::Path;

    /// Every shipped scenario, and each with every one of its variants applied.
    fn shipped() -> Vec<ValidScenario> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("scenarios/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let scn = crate::scenario::load(&f).unwrap_or_else(|e| panic!("{e}"));
            for v in &scn.spec.variants {
                out.push(scn.with_variant(&v.id).unwrap_or_else(|e| panic!("{e}")));
            }
            out.push(scn);
        }
        out
    }

    #[test]
    fn every_resolved_reference_names_the_id_it_was_resolved_from() {
        for scn in shipped() {
            let (s, r) = (&scn.spec, &scn.refs);
            assert_eq!(
                *r,
                resolve(s),
                "the table matches the spec it was built for"
            );
            let agency = |a: Option<AgencyIx>| s.agencies[a.expect("agency").ix()].id.as_str();
            let threat = |t: Option<ThreatIx>| s.threats[t.expect("threat").ix()].id.as_str();
            for (a, ar) in s.agencies.iter().zip(&r.agencies) {
                assert_eq!(a.depends_on.len(), ar.depends_on.len());
                for (d, &p) in a.depends_on.iter().zip(&ar.depends_on) {
                    assert_eq!(agency(p), d.partner);
                }
            }
            for (p, pr) in s.partnerships.iter().zip(&r.partnerships) {
                assert_eq!((agency(pr.from), agency(pr.to)), (&*p.from, &*p.to));
                let channels: Vec<&str> = pr
                    .channels
                    .iter()
                    .map(|c| s.channels[c.expect("channel").ix()].id.as_str())
                    .collect();
                assert_eq!(channels, p.channels);
            }
            for (t, tr) in s.threats.iter().zip(&r.threats) {
                let observers: Vec<&str> = tr.observed_by.iter().map(|&a| agency(a)).collect();
                assert_eq!(observers, t.observed_by);
            }
            for (x, xr) in s.insiders.iter().zip(&r.insiders) {
                assert_eq!(agency(xr.agency), x.agency);
                if let InsiderActionSpec::Disinformation(t) | InsiderActionSpec::TipOff(t) =
                    &x.action
                {
                    assert_eq!(threat(xr.threat), t);
                }
            }
            for (x, xr) in s.injects.iter().zip(&r.injects) {
                match &x.effect {
                    EffectSpec::Signal { threat: t, at: a }
                    | EffectSpec::FalseReport { threat: t, at: a }
                    | EffectSpec::PublicWarning { threat: t, by: a } => {
                        assert_eq!((threat(xr.threat), agency(xr.agency)), (&**t, &**a));
                    }
                    EffectSpec::AgencyOutage(a)
                    | EffectSpec::DegradedCapacity { agency: a, .. } => {
                        assert_eq!(agency(xr.agency), a);
                    }
                    EffectSpec::Withdrawal(p) | EffectSpec::LegalHold(p) => {
                        let pi = xr.partnership.expect("partnership").ix();
                        assert_eq!(&s.partnerships[pi].id, p);
                    }
                    _ => {}
                }
                if let TriggerSpec::AfterInject { inject, .. } = &x.trigger {
                    let ii = xr.trigger_inject.expect("inject").ix();
                    assert_eq!(&s.injects[ii].id, inject);
                }
            }
            for (o, or) in s.objectives.iter().zip(&r.objectives) {
                if let MetricSpec::InsiderDetectionTime(i) = &o.metric {
                    assert_eq!(&s.insiders[or.insider.expect("insider").ix()].id, i);
                }
            }
        }
    }

    #[test]
    fn an_unknown_id_resolves_to_none_and_the_first_of_duplicates_wins() {
        let scn = shipped().pop().expect("a scenario");
        let mut s = scn.spec.clone();
        s.partnerships[0].from = "no-such-agency".into();
        s.partnerships[0].to = s.agencies[0].id.clone();
        let dup = s.agencies[0].clone();
        s.agencies.push(dup);
        let r = resolve(&s);
        assert_eq!(r.partnerships[0].from, None);
        assert_eq!(r.partnerships[0].to, Some(AgencyIx::new(0)));
    }
}
