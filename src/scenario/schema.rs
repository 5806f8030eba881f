//! Serde types of the scenario file (`*Spec`): exactly what a planner writes in RON.
//!
//! Every struct denies unknown fields so a misspelt field is an error, never a silent default.
//! Optional knobs carry `#[serde(default)]` with an explicit default documented on the field.
//! Units: every time is a [`Duration`] written with its unit (`hours(12)`); every probability is
//! a plain number in [0, 1]. Range checks live in `validate.rs`, which points at the value.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A length of scenario time written with its unit: `minutes(30)`, `hours(12)`, `days(3)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Duration {
    /// Seconds, ≥ 0.
    Seconds(f64),
    /// Minutes, ≥ 0.
    Minutes(f64),
    /// Hours, ≥ 0.
    Hours(f64),
    /// Days of 24 h, ≥ 0.
    Days(f64),
    /// Weeks of 7 days, ≥ 0.
    Weeks(f64),
}

impl Duration {
    /// The duration in hours, the simulator's internal time unit.
    pub fn hours(self) -> f64 {
        match self {
            Duration::Seconds(v) => v / 3600.0,
            Duration::Minutes(v) => v / 60.0,
            Duration::Hours(v) => v,
            Duration::Days(v) => v * 24.0,
            Duration::Weeks(v) => v * 168.0,
        }
    }

    /// The number as written, whatever its unit (for range checks).
    pub fn raw(self) -> f64 {
        match self {
            Duration::Seconds(v)
            | Duration::Minutes(v)
            | Duration::Hours(v)
            | Duration::Days(v)
            | Duration::Weeks(v) => v,
        }
    }
}

/// A rate of events written with its unit: `per_hour(0.01)`, `per_day(0.2)`, `per_week(1)`,
/// `per_month(4)` (a month is 30 days). A plain number is per month, as in files written
/// before units were accepted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a rate: a plain number (per 30 days) or per_hour(x), per_day(x), per_week(x) or per_month(x)"
)]
pub enum Rate {
    /// A plain number: events per 30 days (the meaning of old files), ≥ 0.
    PerMonthPlain(f64),
    /// A rate with its unit written.
    Per(RateUnit),
}

/// A rate with its unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateUnit {
    /// Events per hour, ≥ 0.
    PerHour(f64),
    /// Events per day of 24 h, ≥ 0.
    PerDay(f64),
    /// Events per week of 7 days, ≥ 0.
    PerWeek(f64),
    /// Events per month of 30 days, ≥ 0.
    PerMonth(f64),
}

impl Rate {
    /// The rate per hour, the simulator's internal unit.
    pub fn per_hour(self) -> f64 {
        match self {
            Rate::PerMonthPlain(v) | Rate::Per(RateUnit::PerMonth(v)) => v / 720.0,
            Rate::Per(RateUnit::PerHour(v)) => v,
            Rate::Per(RateUnit::PerDay(v)) => v / 24.0,
            Rate::Per(RateUnit::PerWeek(v)) => v / 168.0,
        }
    }

    /// The number as written, whatever its unit (for range checks).
    pub fn raw(self) -> f64 {
        match self {
            Rate::PerMonthPlain(v)
            | Rate::Per(
                RateUnit::PerHour(v)
                | RateUnit::PerDay(v)
                | RateUnit::PerWeek(v)
                | RateUnit::PerMonth(v),
            ) => v,
        }
    }

    /// The rate as a planner writes it, unit included: `per_day(0.2)`; a plain number shows
    /// as `4 (per month)`.
    pub fn text(self) -> String {
        match self {
            Rate::PerMonthPlain(v) => format!("{v} (per month)"),
            Rate::Per(RateUnit::PerHour(v)) => format!("per_hour({v})"),
            Rate::Per(RateUnit::PerDay(v)) => format!("per_day({v})"),
            Rate::Per(RateUnit::PerWeek(v)) => format!("per_week({v})"),
            Rate::Per(RateUnit::PerMonth(v)) => format!("per_month({v})"),
        }
    }
}

/// A random quantity. The same tagged type is used for times (`Dist<Duration>`) and for plain
/// numbers (`Dist<f64>`), e.g. `Exponential(mean: hours(2))` or `Uniform(min: 0.3, max: 0.7)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Dist<T> {
    /// Always this value.
    Fixed(T),
    /// Uniform between `min` and `max` (min ≤ max).
    Uniform {
        /// Lower bound.
        min: T,
        /// Upper bound, ≥ min.
        max: T,
    },
    /// Triangular with the given bounds and most likely value (min ≤ mode ≤ max).
    Triangular {
        /// Lower bound.
        min: T,
        /// Most likely value.
        mode: T,
        /// Upper bound.
        max: T,
    },
    /// Exponential with the given mean (> 0); memoryless waits, Poisson arrivals.
    Exponential {
        /// Mean, > 0.
        mean: T,
    },
    /// Log-normal given by its median and 95th percentile (0 < median ≤ p95): long right tail,
    /// the usual shape of human response and relay delays.
    LogNormal {
        /// Median (50th percentile), > 0.
        median: T,
        /// 95th percentile, ≥ median.
        p95: T,
    },
    /// Weibull with shape k (> 0) and scale λ (> 0); k > 1 models ageing equipment.
    Weibull {
        /// Shape k, > 0 (1 is exponential).
        shape: f64,
        /// Scale λ, > 0.
        scale: T,
    },
}

/// The whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Name, timing and handling of the exercise.
    pub exercise: ExerciseSpec,
    /// Model constants (trust dynamics, limits); every field has a sourced default.
    #[serde(default)]
    pub model: ModelSpec,
    /// The participating agencies and partners.
    pub agencies: Vec<AgencySpec>,
    /// Communication channels (phone, HSIN, RISSNET, AIS, HSDN, ...).
    pub channels: Vec<ChannelSpec>,
    /// Who shares with whom, over what, under which agreement.
    pub partnerships: Vec<PartnershipSpec>,
    /// Threats and hazards that drive the scenario.
    pub threats: Vec<ThreatSpec>,
    /// Master Scenario Events List.
    #[serde(default)]
    pub injects: Vec<InjectSpec>,
    /// Insiders inside participating organizations.
    #[serde(default)]
    pub insiders: Vec<InsiderSpec>,
    /// Exercise objectives, each tied to an HSEEP core capability.
    pub objectives: Vec<ObjectiveSpec>,
    /// Named what-if overrides compared against the baseline.
    #[serde(default)]
    pub variants: Vec<VariantSpec>,
    /// Settings of `tabletop ledger` (the main threat, the aligned level). Default: the
    /// first threat that can be real, and the aligned level of docs/ledger.md.
    #[serde(default)]
    pub ledger: LedgerSpec,
    /// What really happened in the case the scenario is grounded in: observed timings and
    /// magnitudes that every batch compares with the simulated distribution of a metric
    /// (pattern-oriented validation). Default: none.
    #[serde(default)]
    pub observed: Vec<ObservedSpec>,
    /// Parameters whose values are uncertain, with a distribution and the source of its
    /// range (`tabletop batch --uncertainty`, `tabletop sensitivity`, `tabletop calibrate`).
    /// Default: none; the file's values are then taken as known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncertainty: Vec<UncertainSpec>,
}

/// One uncertain parameter: a numeric value of the scenario, named by the same path syntax
/// as variants and sweeps, with the distribution of values it may take. The value written
/// in the file is its nominal value (the one a plain batch uses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UncertainSpec {
    /// Path of a number in the scenario, e.g. `partnerships[fc_jttf].share_probability` or
    /// `channels[phone].latency.mean` (a duration or a rate keeps its unit; the distribution
    /// is in that unit).
    pub path: String,
    /// Distribution of the value, in the unit written at the path.
    pub dist: DistSpec,
    /// Where the range comes from (a published figure, an expert judgement, or "guess").
    pub source: String,
    /// Short label for charts and tables. Default: the path.
    #[serde(default)]
    pub label: Option<String>,
    /// Group name: parameters of one group move together in Morris screening and share one
    /// Sobol index (for example, all parameters of one partnership). Default: none.
    #[serde(default)]
    pub group: Option<String>,
}

/// A distribution of an uncertain parameter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistSpec {
    /// `uniform(low, high)`: every value in [low, high] equally likely; low < high.
    Uniform(f64, f64),
    /// `triangular(low, mode, high)`: low ≤ mode ≤ high, low < high.
    Triangular(f64, f64, f64),
    /// `normal(mean, sd)`: sd > 0; unbounded (use `truncated_normal` for a bounded value).
    Normal(f64, f64),
    /// `truncated_normal(mean, sd, low, high)`: a normal cut to [low, high]; sd > 0, low < high.
    TruncatedNormal(f64, f64, f64, f64),
    /// `lognormal(median, gsd)`: a positive value whose log is normal; median > 0, the
    /// geometric standard deviation gsd > 1 (about 68% of values within median/gsd ..
    /// median·gsd).
    Lognormal(f64, f64),
}

/// One observed value of the real case, compared with a simulated metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedSpec {
    /// Unique id among the observed values.
    pub id: String,
    /// What was observed, in a planner's words.
    pub description: String,
    /// Id of the simulated metric it is compared with, as in `summary.json` and the columns
    /// of `runs.csv` (e.g. `"time_to_action.darkside"`, `"peak_unsheltered.crowd"`).
    pub metric: String,
    /// The observed value, in the metric's unit.
    pub value: ObservedValue,
    /// Where the value comes from (a citation; the domain primer names the cases' sources).
    pub source: String,
    /// Anything the reader should know (how the value was read, what it leaves out).
    #[serde(default)]
    pub note: String,
}

/// An observed value. Times are written with their unit; the metric's unit is hours.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ObservedValue {
    /// This number, in the metric's unit (people, items, a share, ...).
    Value(f64),
    /// This time (for a metric in hours).
    Time(Duration),
    /// At least this number: the real value was still rising, or the event had not happened,
    /// when the case was last observed (a censored observation).
    AtLeast(f64),
    /// At least this time: the event had not happened this long after the start (e.g. "still
    /// waiting for data after 96 h").
    AtLeastTime(Duration),
    /// At most this number.
    AtMost(f64),
    /// At most this time.
    AtMostTime(Duration),
    /// The event never happened (e.g. the alarm was never retracted): in the simulation the
    /// metric has no value.
    Never,
}

impl ObservedValue {
    /// The number in the metric's unit (hours for times); None for `Never`.
    pub fn number(self) -> Option<f64> {
        match self {
            ObservedValue::Value(v) | ObservedValue::AtLeast(v) | ObservedValue::AtMost(v) => {
                Some(v)
            }
            ObservedValue::Time(d)
            | ObservedValue::AtLeastTime(d)
            | ObservedValue::AtMostTime(d) => Some(d.hours()),
            ObservedValue::Never => None,
        }
    }

    /// Whether it is a time (written with a unit).
    pub fn is_time(self) -> bool {
        matches!(
            self,
            ObservedValue::Time(_) | ObservedValue::AtLeastTime(_) | ObservedValue::AtMostTime(_)
        )
    }
}

/// Settings of the partnership ledger (`tabletop ledger`, docs/ledger.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LedgerSpec {
    /// Threat id whose first item the failure measure waits for, and whose marking the
    /// aligned channels and clearances must carry. Default: the first threat in scenario
    /// order with `truth_probability` > 0.
    #[serde(default)]
    pub main_threat: Option<String>,
    /// What "aligned" means for a partnership in this scenario.
    #[serde(default)]
    pub aligned: AlignedSpec,
}

/// The aligned level of a partnership: what the ledger raises a partnership to when it
/// prices its alignment gap. Each part names the study recommendation that closes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignedSpec {
    /// Agreement of an aligned partnership (sharing agreements); a stronger one in place
    /// (lower violation multiplier) is kept. Default `DataSharingAgreement`.
    #[serde(default = "aligned_agreement")]
    pub agreement: Agreement,
    /// Vetting of both partners (partner vetting). Default `Rigorous` (continuous
    /// evaluation).
    #[serde(default = "aligned_vetting")]
    pub vetting: Vetting,
    /// Handling compliance of both partners (sharing agreements), in [0, 1]. Default: the
    /// highest effective compliance of any agency in the scenario (its best partner's).
    #[serde(default)]
    pub handling_compliance: Option<f64>,
    /// Initial trust (metrics and evaluation: partners who see the value of what they get
    /// trust at the expected level), in [0, 1]. Default 0.8.
    #[serde(default = "aligned_trust")]
    pub trust: f64,
    /// Share probability (shared benefits: a balanced exchange where both sides pass what
    /// they analyse), in [0, 1]. Default 0.9.
    #[serde(default = "aligned_share")]
    pub share_probability: f64,
}

impl Default for AlignedSpec {
    fn default() -> AlignedSpec {
        AlignedSpec {
            agreement: aligned_agreement(),
            vetting: aligned_vetting(),
            handling_compliance: None,
            trust: aligned_trust(),
            share_probability: aligned_share(),
        }
    }
}

fn aligned_agreement() -> Agreement {
    Agreement::DataSharingAgreement
}
fn aligned_vetting() -> Vetting {
    Vetting::Rigorous
}
fn aligned_trust() -> f64 {
    0.8
}
fn aligned_share() -> f64 {
    0.9
}

/// HSEEP exercise type. `tabletop` supports discussion-based play (a Game or TTX support).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub enum ExerciseType {
    /// Discussion-based: orients participants to plans, policies and procedures.
    Seminar,
    /// Discussion-based: participants build a product, such as a plan or policy.
    Workshop,
    /// Discussion-based: key personnel discuss a simulated scenario (the default).
    #[default]
    Tabletop,
    /// Discussion-based: a simulation of operations played by teams under rules.
    Game,
    /// Operations-based: tests one function or operation of one organisation.
    Drill,
    /// Operations-based: tests coordination and command without moving resources.
    Functional,
    /// Operations-based: multi-agency play with resources actually deployed.
    FullScale,
}

/// National Preparedness mission areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MissionArea {
    /// Prevent, avoid or stop an imminent, threatened or actual act of terrorism.
    Prevention,
    /// Protect against acts of terrorism and man-made or natural disasters.
    Protection,
    /// Reduce loss of life and property by lessening the impact of disasters.
    Mitigation,
    /// Save lives, protect property and the environment, meet basic human needs.
    Response,
    /// Restore infrastructure, housing and the economy after an incident.
    Recovery,
}

/// Exercise header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseSpec {
    /// Exercise name, 1–200 characters.
    pub name: String,
    /// Scenario summary as read to players.
    #[serde(default)]
    pub description: String,
    /// Handling marking shown as a banner on every output, e.g. `"TLP:AMBER"`,
    /// `"UNCLASSIFIED//FOR OFFICIAL USE ONLY"`. Default `"UNCLASSIFIED"`.
    #[serde(default = "default_marking")]
    pub marking: String,
    /// Simulated length of the exercise, > 0 and ≤ 365 days.
    pub duration: Duration,
    /// Simulation step, > 0, ≤ duration; at most 100,000 ticks per run. Default `minutes(15)`.
    #[serde(default = "default_tick")]
    pub tick: Duration,
    /// Mission areas exercised.
    #[serde(default)]
    pub mission_areas: Vec<MissionArea>,
    /// HSEEP exercise type. Default `Tabletop`.
    #[serde(default)]
    pub exercise_type: ExerciseType,
    /// Sponsoring organization (free text).
    #[serde(default)]
    pub sponsor: String,
    /// Exercise point of contact (free text).
    #[serde(default)]
    pub poc: String,
    /// Label of scenario time zero, e.g. `"2021-05-07 06:00 EDT"` (text only, for narratives).
    #[serde(default)]
    pub start_label: String,
    /// Metric ids (the `runs.csv` columns, e.g. `"time_to_action.ransomware"`) the report
    /// shows first as key outcomes; empty: chosen by kind. Metrics that do not vary are
    /// left out even when listed.
    #[serde(default)]
    pub key_metrics: Vec<String>,
}

fn default_marking() -> String {
    "UNCLASSIFIED".to_string()
}
fn default_tick() -> Duration {
    Duration::Minutes(15.0)
}

/// Model constants. Defaults follow `docs/model.md` (sources in the domain primer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSpec {
    /// Trust gain rate λ⁺ per positive interaction, in [0, 1]. Default 0.05 (a modelling
    /// choice within 0.02–0.15).
    pub trust_gain: f64,
    /// Negativity bias λ⁻/λ⁺, ≥ 1. Default 3.0 (Pant & Yu median).
    pub negativity_bias: f64,
    /// Sensitivity κ of the cooperation signal s = tanh(κ·x), > 0. Default 1.0.
    pub signal_sensitivity: f64,
    /// Share of a violation's size added to reputation damage R, in [0, 1]. Default 0.1.
    pub damage_rate: f64,
    /// Review window: the equity of exchange and the usefulness of what a partner sent are
    /// assessed at the end of each, > 0. Default `hours(24)`.
    pub equity_window: Duration,
    /// Equity gain η: how strongly an assessment of log ratio x moves trust (T·e^{η·x} when
    /// x < 0), in [0, 1]. Default 0.05.
    pub equity_gain: f64,
    /// Share of the gap to the usefulness target T* = Θ·u that trust closes at each window
    /// end (docs/model.md §7), in [0, 1]. Default 0.3.
    pub trust_adaptation: f64,
    /// An item received later than this after its creation is stale: neither good nor bad
    /// for trust, and no value in the equity ledger, > 0. Default `hours(24)`.
    pub timely_within: Duration,
    /// Scale of the value of benefits in the equity ledger [SWD per hour per unit]
    /// (docs/model.md §7), ≥ 0. Default 1.0.
    pub benefit_value: f64,
    /// Corroboration items an agency needs before it acts, when the threat does not say.
    /// Default 1.
    pub default_corroboration: u32,
    /// Probability that a responsible agency analysing a false item recognises it as false and
    /// retracts it, [0, 1]. Default 0.5.
    pub false_recognition: f64,
    /// Fraction by which a public warning (on the surge itself or on any rumor threat) cuts
    /// later surge arrivals (counter-messaging), [0, 1]. Default 0.3.
    pub counter_messaging: f64,
    /// Base discrimination d′ of an analyst telling true items from false ones (signal
    /// detection, docs/model.md §12), in [0, 10]. With `false_recognition` it fixes the
    /// decision criterion: c = Φ⁻¹(false_recognition) − d′/2. Default 2.0.
    pub discrimination: f64,
}

impl Default for ModelSpec {
    fn default() -> Self {
        ModelSpec {
            trust_gain: 0.05,
            negativity_bias: 3.0,
            signal_sensitivity: 1.0,
            damage_rate: 0.1,
            equity_window: Duration::Hours(24.0),
            equity_gain: 0.05,
            trust_adaptation: 0.3,
            timely_within: Duration::Hours(24.0),
            benefit_value: 1.0,
            default_corroboration: 1,
            false_recognition: 0.5,
            counter_messaging: 0.3,
            discrimination: 2.0,
        }
    }
}

/// What kind of organization an agency is (domain primer §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AgencyKind {
    /// A DHS or other federal component (CISA, I&A, CBP, ICE, FEMA, USCG, TSA, DOE, OPE, S&T).
    FederalComponent,
    /// FBI field office or another federal law-enforcement body.
    FederalLawEnforcement,
    /// Joint Terrorism Task Force.
    Jttf,
    /// State primary or major-urban-area recognized fusion center.
    FusionCenter,
    /// Regional Information Sharing Systems center.
    RissCenter,
    /// State, county or city emergency operations center.
    Eoc,
    /// State, local, tribal or territorial government (governor's office, city, county).
    SlttGovernment,
    /// SLTT law enforcement (state police, sheriff, city PD, campus police).
    SlttLawEnforcement,
    /// Private critical-infrastructure owner or operator.
    CriticalInfrastructure,
    /// Other private-sector partner (IR vendor, security firm, airline, software vendor).
    PrivateSector,
    /// ISAC or ISAO.
    Isac,
    /// College, university or DHS Center of Excellence.
    Academia,
    /// Foreign government partner.
    International,
    /// Non-governmental organization (respite center, faith-based group).
    Ngo,
    /// Military unit (National Guard wing).
    Military,
    /// Intelligence-community element (NSA, ODNI).
    IntelligenceCommunity,
    /// News media and the public (receives warnings and rumors).
    Public,
}

/// Classification and control levels, lowest first (EO 13526 plus CUI/SBU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Classification {
    /// Unclassified and without a control marking.
    Unclassified,
    /// Controlled unclassified (SBU, FOUO, LES, CUI).
    Cui,
    /// Classified: disclosure could damage national security.
    Confidential,
    /// Classified: disclosure could seriously damage national security.
    Secret,
    /// Classified: disclosure could gravely damage national security.
    TopSecret,
}

/// Traffic Light Protocol 2.0 labels, least restrictive first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tlp {
    /// TLP:CLEAR: disclosure is not limited.
    Clear,
    /// TLP:GREEN: the recipient's community, not public channels.
    Green,
    /// TLP:AMBER: the recipient's organisation and its clients, on a need-to-know basis.
    Amber,
    /// TLP:AMBER+STRICT: the recipient's organisation only.
    AmberStrict,
    /// TLP:RED: the individual recipients only, no further disclosure.
    Red,
}

impl Tlp {
    /// The label as TLP 2.0 writes it, without the `TLP:` prefix (`AMBER+STRICT`).
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "CLEAR",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::AmberStrict => "AMBER+STRICT",
            Tlp::Red => "RED",
        }
    }
}

/// A marking carried by an information item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkingSpec {
    /// Classification or control level.
    pub class: Classification,
    /// TLP label.
    pub tlp: Tlp,
    /// Criminal intelligence under 28 CFR Part 23: passing it to a party that is neither law
    /// enforcement nor bound by a `Cfr28Part23` or `TaskForce` agreement is a violation and a
    /// legal finding. Default false.
    #[serde(default)]
    pub criminal_intel: bool,
    /// Contains personally identifiable information: passing it without a formal agreement
    /// (`DataSharingAgreement`, `Nda`, `Cfr28Part23`, `TaskForce` or `Contract`) is a violation
    /// and a legal finding. Default false.
    #[serde(default)]
    pub pii: bool,
}

/// Partner vetting applied before access is granted (domain §9: rigorous partner vetting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub enum Vetting {
    /// No vetting: insider activation ×1.0.
    None,
    /// Self-attestation: ×0.8.
    Basic,
    /// Background check: ×0.6.
    #[default]
    Standard,
    /// Continuous evaluation: ×0.3.
    Rigorous,
}

/// Type of threat or hazard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ThreatKind {
    /// Cyber intrusion (ransomware, supply chain, ICS tampering).
    Cyber,
    /// Terrorist or criminal plot with an execution deadline.
    Plot,
    /// Mass-migration surge with an arrival curve.
    Migration,
    /// Insider activity inside a participating organization.
    Insider,
    /// Natural or technological hazard.
    Hazard,
    /// Rumor or disinformation campaign.
    Rumor,
}

/// What an agency does when it acts on a threat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ActionKind {
    /// Arrest, disruption, recall of a departing flight.
    Interdict,
    /// Bulletin or warning to partners and the sector.
    Warn,
    /// Containment or mitigation (disconnect, patch, shut a valve).
    Mitigate,
    /// Public information and warning.
    PublicWarning,
    /// Stand up mass-care and processing capacity.
    MassCare,
    /// Screening at a port or checkpoint.
    Screen,
}

/// An organization's reliability as an up/down Markov process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliabilitySpec {
    /// Mean time between failures, > 0.
    pub mtbf: Duration,
    /// Mean time to repair, > 0.
    pub mttr: Duration,
}

/// A function an agency relies on a partner for (loss of operational control).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Function {
    /// The partner's sensors or reporting: this agency's own collection stops.
    Collection,
    /// The partner's analysts or platform: this agency's analysis stops.
    Analysis,
    /// The partner's dissemination platform: this agency cannot share.
    Dissemination,
    /// The partner's decision or authority: this agency cannot act.
    Action,
}

/// Dependency on a partner for a function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencySpec {
    /// Agency id depended upon.
    pub partner: String,
    /// The function lost while that partner is down or withdrawn.
    pub function: Function,
    /// Fraction of the function lost while the partner (or the shared service it provides)
    /// is out, in (0, 1]. Default 1 (the whole function, as before `degree` existed). Below
    /// 1 the function works at (1 − degree): collection probability, analysts, share
    /// probability scaled by it, and times to act divided by it (docs/model.md §18).
    #[serde(default = "one")]
    pub degree: f64,
}

/// Surge-processing capacity of an agency (migration surges).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessingSpec {
    /// People processed per hour once activated, ≥ 0.
    pub per_hour: f64,
    /// Shelter or holding places, ≥ 0.
    #[serde(default)]
    pub shelter: f64,
}

/// An agency or partner organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencySpec {
    /// Unique id, letters, digits, `_` and `-` (referenced elsewhere).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of organization.
    pub kind: AgencyKind,
    /// Region or jurisdiction label (free text, e.g. `"VA"`).
    #[serde(default)]
    pub region: String,
    /// Organisation (parent) it belongs to, free text, e.g. `"FBI"` for a field office and
    /// the JTTF it leads. Agencies with the same organisation form one organisation for
    /// TLP:AMBER+STRICT ("the recipient's organisation only"): relays among them are allowed.
    /// Default none: the agency is an organisation of its own.
    #[serde(default)]
    pub organisation: Option<String>,
    /// Highest classification its people and facilities can hold. Default `Cui`.
    #[serde(default = "default_clearance")]
    pub clearance: Classification,
    /// Analysts working the exercise (servers c of its queue), 1–10,000. Default 2.
    #[serde(default = "default_analysts")]
    pub analysts: u32,
    /// Time one analyst takes to vet or analyse one item. Default `Exponential(mean: hours(1))`.
    #[serde(default = "default_service")]
    pub service_time: Dist<Duration>,
    /// Probability of observing each signal of a threat kind, each in [0, 1]. Default none.
    #[serde(default)]
    pub collection: BTreeMap<ThreatKind, f64>,
    /// Threat kinds this agency needs to know about (counts toward coverage).
    #[serde(default)]
    pub needs: Vec<ThreatKind>,
    /// Threat kinds this agency is responsible for acting on.
    #[serde(default)]
    pub acts_on: Vec<ThreatKind>,
    /// Stochastic failures; absent means the organization itself never fails.
    #[serde(default)]
    pub reliability: Option<ReliabilitySpec>,
    /// Vetting of its people by its partners. Default `Standard`.
    #[serde(default)]
    pub vetting: Vetting,
    /// Insider monitoring M in [0, 1]: scales the chance a precursor is detected. Default 1.0.
    #[serde(default = "one")]
    pub monitoring: f64,
    /// Probability it honours the marking and agreement when sharing (its own items or
    /// others'), in [0, 1], before its vetting, the partnership's agreement and joint training
    /// scale its non-compliance (docs/model.md §5). Below 1 it sometimes passes items beyond
    /// what they allow: each such pass is a handling violation. Default: by kind (e.g. 0.99
    /// for an IC element, 0.90 for a private firm, 0.85 for an NGO; docs/model.md §5).
    #[serde(default)]
    pub handling_compliance: Option<f64>,
    /// Surge processing capacity (migration), if any.
    #[serde(default)]
    pub processing: Option<ProcessingSpec>,
    /// Functions it relies on partners for.
    #[serde(default)]
    pub depends_on: Vec<DependencySpec>,
    /// Analysis quality: discrimination d′ its analysts add to `model.discrimination` when
    /// telling true items from false ones, in [0, 10]. Default 0.
    #[serde(default)]
    pub analysis_quality: f64,
    /// Restoration crews (line workers, technicians) it has on hand, ≥ 0 [workers]: they
    /// restore the outages of the shared service it provides (a hazard's `impact.outages`
    /// naming it as `service`). `Arrival` injects add more. Default 0.
    #[serde(default)]
    pub crews: u32,
    /// The agency is not in play at the start: it is down (no queue, no sharing, no
    /// benefits) until an `Arrival` inject naming it brings it in (mutual aid, EMAC, the
    /// National Guard, federal teams after a declaration). Default false.
    #[serde(default)]
    pub arrives: bool,
}

fn default_knowledge_discrimination() -> f64 {
    0.5
}
fn default_clearance() -> Classification {
    Classification::Cui
}
fn default_analysts() -> u32 {
    2
}
fn default_service() -> Dist<Duration> {
    Dist::Exponential {
        mean: Duration::Hours(1.0),
    }
}
fn one() -> f64 {
    1.0
}

/// A communication channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Highest classification it may carry.
    pub max_class: Classification,
    /// Time from send to receipt.
    pub latency: Dist<Duration>,
    /// Stochastic outages; absent means always available.
    #[serde(default)]
    pub reliability: Option<ReliabilitySpec>,
}

/// Legal basis of a partnership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Agreement {
    /// No agreement: only TLP:CLEAR and TLP:GREEN items pass.
    None,
    /// Memorandum of understanding.
    Mou,
    /// Formal information- or data-sharing agreement.
    DataSharingAgreement,
    /// Non-disclosure agreement.
    Nda,
    /// 28 CFR Part 23 criminal-intelligence rules (RISS, LE).
    Cfr28Part23,
    /// Cybersecurity Information Sharing Act of 2015 protections.
    Cisa2015,
    /// Contract (vendor, IR firm).
    Contract,
    /// Task-force membership (JTTF).
    TaskForce,
}

/// Direction of a partnership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Direction {
    /// Items flow from `from` to `to` only.
    OneWay,
    /// Items flow both ways (two directed links with their own trust).
    #[default]
    Mutual,
}

/// A legal or contractual barrier on a partnership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBarrierSpec {
    /// Short description (e.g. "IR vendor NDA").
    pub description: String,
    /// Probability an item is blocked outright, in [0, 1].
    #[serde(default)]
    pub block_probability: f64,
    /// Extra delay for items that do pass (legal review). Default `hours(0)`.
    #[serde(default = "zero_duration")]
    pub delay: Duration,
    /// Applies only to items at or above this classification. Default `Unclassified` (all).
    #[serde(default = "default_unclassified")]
    pub min_class: Classification,
}

fn zero_duration() -> Duration {
    Duration::Hours(0.0)
}
fn default_unclassified() -> Classification {
    Classification::Unclassified
}

/// What a partnership brings beyond the items it carries (domain §0 "value of partnerships").
/// Each holds only while the partnership and both partners are up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BenefitSpec {
    /// The partner's sensors cover a threat kind for the receiving agency: each signal of that
    /// kind is also observed by the receiver with this extra probability.
    ExtendedCollection {
        /// Threat kind covered.
        threat: ThreatKind,
        /// Extra observation probability, [0, 1].
        probability: f64,
        /// Agency receiving the benefit: one end of the partnership (the other end gives it).
        /// Default: the partnership's `to`.
        #[serde(default)]
        to: Option<String>,
    },
    /// A tool that speeds the receiver's analysis: service time × (1 − speedup).
    Technology {
        /// Fractional speed-up of analysis, [0, 0.95].
        speedup: f64,
        /// Agency receiving the benefit: one end of the partnership (the other end gives it).
        /// Default: the partnership's `to`.
        #[serde(default)]
        to: Option<String>,
    },
    /// Regional and cultural knowledge: the receiver tells true items from false ones better
    /// (`discrimination` added to its d′) and screens with `screening_bonus` extra detection
    /// probability. `corroboration_relief` is an explicit waiver of corroboration items, a
    /// planner's choice to act on less evidence (it raises false alarms acted on); default 0.
    RegionalKnowledge {
        /// Items of corroboration waived, ≥ 0. Default 0.
        #[serde(default)]
        corroboration_relief: u32,
        /// Discrimination d′ added to the receiver's judgement, in [0, 10]. Default 0.5.
        #[serde(default = "default_knowledge_discrimination")]
        discrimination: f64,
        /// Extra screening/detection probability, [0, 1].
        #[serde(default)]
        screening_bonus: f64,
        /// Agency receiving the benefit: one end of the partnership (the other end gives it).
        /// Default: the partnership's `to`.
        #[serde(default)]
        to: Option<String>,
    },
    /// Analysts and processing capacity lent to the receiver in a surge.
    ResourceAugmentation {
        /// Extra analysts, ≥ 0.
        #[serde(default)]
        analysts: u32,
        /// Extra people processed per hour, ≥ 0.
        #[serde(default)]
        processing_per_hour: f64,
        /// Extra shelter places, ≥ 0.
        #[serde(default)]
        shelter: f64,
        /// Agency receiving the benefit: one end of the partnership (the other end gives it).
        /// Default: the partnership's `to`.
        #[serde(default)]
        to: Option<String>,
    },
}

impl BenefitSpec {
    /// The receiving agency named by `to`, if any (default: the partnership's `to`).
    pub fn receiver(&self) -> Option<&str> {
        match self {
            BenefitSpec::ExtendedCollection { to, .. }
            | BenefitSpec::Technology { to, .. }
            | BenefitSpec::RegionalKnowledge { to, .. }
            | BenefitSpec::ResourceAugmentation { to, .. } => to.as_deref(),
        }
    }
}

/// A partnership between two agencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnershipSpec {
    /// Unique id.
    pub id: String,
    /// Agency id of one end (the sender for one-way partnerships).
    pub from: String,
    /// Agency id of the other end.
    pub to: String,
    /// Direction. Default `Mutual`.
    #[serde(default)]
    pub direction: Direction,
    /// Legal basis. Default `None`.
    #[serde(default = "default_agreement")]
    pub agreement: Agreement,
    /// Channel ids it may use, in order of preference (at least one both ends can use).
    pub channels: Vec<String>,
    /// Initial trust T0 in [0, 1]. Default 0.6.
    #[serde(default = "default_trust")]
    pub trust: f64,
    /// Base probability p0 that an analysed, relevant item is passed on, [0, 1]. Default 0.8.
    #[serde(default = "default_share")]
    pub share_probability: f64,
    /// Most restrictive TLP it will pass. Default `Amber`.
    #[serde(default = "default_max_tlp")]
    pub max_tlp: Tlp,
    /// Legal or contractual barriers.
    #[serde(default)]
    pub legal_barriers: Vec<LegalBarrierSpec>,
    /// Expected equity of exchange (value received ÷ value given) each side accepts, > 0.
    /// Default 1.0 (balanced). With `to_expected_equity` set, this is the `from` end's only.
    #[serde(default = "one")]
    pub expected_equity: f64,
    /// The `to` end's own expected equity, > 0, when the two ends accept different balances
    /// (a state center that accepts giving more to a county than it gets back, while the
    /// county expects a fair exchange). Default: the same as `expected_equity`.
    #[serde(default)]
    pub to_expected_equity: Option<f64>,
    /// Trust below which the partner withdraws, [0, 1). Default 0.2.
    #[serde(default = "default_withdraw")]
    pub withdraw_below: f64,
    /// Benefits beyond the items carried. Each flows from one end to the other: to the agency
    /// its own `to` names, by default the partnership's `to`, never to both ends.
    #[serde(default)]
    pub benefits: Vec<BenefitSpec>,
    /// Threat kinds the senders pass over it even when the receiver neither needs nor acts on
    /// them: a source, a liaison or a canvass (NYPD showing a subject's photo to a community
    /// leader). The receiver does not count as need-to-know for them. Default: none.
    #[serde(default)]
    pub carries: Vec<ThreatKind>,
    /// Senders write a threat's tearline (its `tearline`, the releasable version) for this
    /// partner when it may not receive the full item (not cleared, or no channel for the
    /// class). Without it such items are blocked. Default false.
    #[serde(default)]
    pub tearlines: bool,
    /// The partners train and exercise together on handling rules: halves each sender's
    /// chance of a handling violation on this partnership. Default false.
    #[serde(default)]
    pub joint_training: bool,
    /// The benefits hold only from this scenario time on (a lead time: staff to deploy, a
    /// tool to install). Default `hours(0)` (from the start).
    #[serde(default = "zero_duration")]
    pub benefits_from: Duration,
    /// The partnership exists in runs. `false` removes it (no links, no benefits) while
    /// keeping references to it valid: how a variant or the ledger knocks a partnership out.
    /// Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn default_agreement() -> Agreement {
    Agreement::None
}
fn default_trust() -> f64 {
    0.6
}
fn default_share() -> f64 {
    0.8
}
fn default_max_tlp() -> Tlp {
    Tlp::Amber
}
fn default_withdraw() -> f64 {
    0.2
}

/// A logistic arrival curve for a migration surge: N(t) = total / (1 + e^{−(t − midpoint)/spread}).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurgeSpec {
    /// Total arrivals over the surge, > 0.
    pub total: f64,
    /// Time (from threat start) at which half have arrived.
    pub midpoint: Duration,
    /// Logistic spread; the count doubles roughly every 0.7 × spread early on. > 0.
    pub spread: Duration,
    /// Hand-off deadline: people should be processed within this time of arrival.
    /// Default `hours(72)`.
    #[serde(default = "default_handoff")]
    pub handoff: Duration,
    /// Mean size of the groups people arrive in (families, buses, caravans), ≥ 1 [people].
    /// Groups arrive as a Poisson process around the logistic curve, so arrivals in any
    /// window have mean `total × ΔF` and variance `group_size ×` that mean. Default 1
    /// (individual Poisson arrivals).
    #[serde(default = "one")]
    pub group_size: f64,
}

fn default_handoff() -> Duration {
    Duration::Hours(72.0)
}

/// How a threat is resolved by the agencies responsible for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// The action taken.
    pub action: ActionKind,
    /// Distinct items an acting agency must hold first, ≥ 1. Default: the model's
    /// `default_corroboration`.
    #[serde(default)]
    pub corroboration: Option<u32>,
    /// Time from decision to effect. Default `Fixed(hours(1))`.
    #[serde(default = "default_act_time")]
    pub time_to_act: Dist<Duration>,
    /// Probability the action succeeds when taken before the deadline, [0, 1]. Default 1.0.
    #[serde(default = "one")]
    pub success_probability: f64,
    /// After a failed action, the responder tries again this long after the failure; `None`
    /// never retries. Default `Some(hours(12))`.
    #[serde(default = "default_retry")]
    pub retry_after: Option<Duration>,
}

fn default_retry() -> Option<Duration> {
    Some(Duration::Hours(12.0))
}

fn default_act_time() -> Dist<Duration> {
    Dist::Fixed(Duration::Hours(1.0))
}

/// A threat or hazard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreatSpec {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind (decides who collects on it, needs it and acts on it).
    pub kind: ThreatKind,
    /// Probability the threat is real in a run, [0, 1]; 0 is a pure false alarm. Default 1.0.
    /// Players never see ground truth; false items still travel until retracted.
    #[serde(default = "one")]
    pub truth_probability: f64,
    /// When it begins emitting signals. Default `hours(0)`.
    #[serde(default = "zero_duration")]
    pub start: Duration,
    /// Time between signals while active, and from `start` to the first signal (Poisson
    /// process when exponential).
    pub signal_interval: Dist<Duration>,
    /// Agency ids that may observe it (its location); empty means any agency that collects on
    /// its kind.
    #[serde(default)]
    pub observed_by: Vec<String>,
    /// Marking of items it produces.
    pub marking: MarkingSpec,
    /// Sensitivity weight of its items (leak exposure = Σ sensitivity), > 0. Default 1.0.
    #[serde(default = "one")]
    pub sensitivity: f64,
    /// A tearline: the releasable version of its items (a photo, a description, indicators
    /// without sources and methods) that a holder writes for a partner who may not receive the
    /// full item (not cleared, or no channel for its class). Default: none (the partner gets
    /// nothing).
    #[serde(default)]
    pub tearline: Option<TearlineSpec>,
    /// Items stop travelling and expire from queues this long after creation.
    #[serde(default)]
    pub perishability: Option<Duration>,
    /// Harm occurs at this time from `start` unless resolved first; none means no deadline.
    #[serde(default)]
    pub deadline: Option<Dist<Duration>>,
    /// How much a tip-off brings the deadline forward. Default `hours(0)`. Shorthand for
    /// `tipoff: Some(Accelerate(..))`; give one or the other.
    #[serde(default = "zero_duration")]
    pub tipoff_advance: Duration,
    /// What a tip-off does to the adversary's timeline. Default: `Accelerate(tipoff_advance)`.
    #[serde(default)]
    pub tipoff: Option<TipOffSpec>,
    /// How the responsible agencies resolve it.
    pub response: ResponseSpec,
    /// Arrival curve, for migration surges.
    #[serde(default)]
    pub surge: Option<SurgeSpec>,
    /// The hazard's impact (landfall, flood crest, quake): it happens at a time drawn from
    /// `impact.at` whatever the players do, and actions mitigate its consequences instead of
    /// resolving it. Without `impact` a threat keeps the adversary meaning: harm at the
    /// `deadline` unless resolved first. Default none.
    #[serde(default)]
    pub impact: Option<ImpactSpec>,
    /// Roles of named agencies on this threat, each with its own action and decision rule
    /// (the county warns, the Red Cross shelters, the utility assesses damage). An agency
    /// with a role acts on the threat whatever its `acts_on`; agencies that act on the kind
    /// without a role use `response`. Default none.
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
}

/// One agency's role on a threat: what it does and when it decides. Every field but
/// `agency` and `action` has the default of the same field of [`ResponseSpec`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// Agency id.
    pub agency: String,
    /// The action it takes.
    pub action: ActionKind,
    /// Distinct items it must hold first, ≥ 1. Default: the model's `default_corroboration`.
    #[serde(default)]
    pub corroboration: Option<u32>,
    /// Time from decision to effect. Default `Fixed(hours(1))`.
    #[serde(default = "default_act_time")]
    pub time_to_act: Dist<Duration>,
    /// Probability the action succeeds, [0, 1]. Default 1.0.
    #[serde(default = "one")]
    pub success_probability: f64,
    /// After a failed action, it tries again this long after the failure; `None` never.
    /// Default `Some(hours(12))`.
    #[serde(default = "default_retry")]
    pub retry_after: Option<Duration>,
}

impl RoleSpec {
    /// Its response, as the threat's `response` would give it (every field but `agency`).
    pub fn response(&self) -> ResponseSpec {
        ResponseSpec {
            action: self.action,
            corroboration: self.corroboration,
            time_to_act: self.time_to_act.clone(),
            success_probability: self.success_probability,
            retry_after: self.retry_after,
        }
    }
}

/// The impact of a hazard and its consequences (docs/model.md §18).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactSpec {
    /// Time of impact from the threat's `start`, drawn once per run from the threat's own
    /// stream (`threat/<id>/impact`): no player action moves it.
    pub at: Dist<Duration>,
    /// People who need shelter from the impact on, ≥ 0 [people]. Default 0.
    #[serde(default)]
    pub displaced: u32,
    /// Share of `displaced` that a successful public warning on this threat, completed
    /// before the impact, moves out of harm's way (evacuation), [0, 1]. Default 0.
    #[serde(default)]
    pub evacuation: f64,
    /// Shared services the impact knocks out.
    #[serde(default)]
    pub outages: Vec<OutageSpec>,
}

/// The outage of a shared service (power, 911/telecom) at a hazard's impact, and its
/// crew-driven restoration (docs/model.md §18).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageSpec {
    /// Agency id of the service provider (the utility, the 911 authority). Its dependants
    /// (`depends_on` naming it) lose their function while the service is out; the provider
    /// itself keeps working.
    pub service: String,
    /// Customers out at impact, ≥ 0 [customers]. Default 0 (a service without customers,
    /// such as 911: only its hours out count).
    #[serde(default)]
    pub customers: u32,
    /// Crew-hours of work before the first customers come back (a transmission source
    /// rebuilt), ≥ 0 [worker-hours]. The service is out until then. Default 0.
    #[serde(default)]
    pub first_restore: f64,
    /// Customers restored per crew-hour after that, ≥ 0 [customers per worker-hour].
    /// Default 0.
    #[serde(default)]
    pub per_crew_hour: f64,
    /// Agency whose successful action on this threat (damage assessment) must come before
    /// crews can work. Default none: crews work from the impact.
    #[serde(default)]
    pub assessed_by: Option<String>,
    /// Agency whose successful action on this threat restores the service's function
    /// before crews do (text-to-911, rerouted calls, generators); customers still wait for
    /// crews. Default none.
    #[serde(default)]
    pub workaround_by: Option<String>,
}

/// The releasable version of a threat's items (docs/model.md §5, tearlines).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TearlineSpec {
    /// Its marking: a lower classification than the full item's.
    pub marking: MarkingSpec,
    /// Sensitivity weight of a tearline item, > 0. Default: a quarter of the threat's.
    #[serde(default)]
    pub sensitivity: Option<f64>,
}

/// What the adversary does when an insider tips them off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum TipOffSpec {
    /// The plotters abandon the plot: no harm comes at the deadline (they can still be
    /// interdicted). The Zazi plotters aborted after the 2009 tip-off.
    Abort,
    /// The plotters lie low: the deadline moves later by this much.
    Delay(Duration),
    /// The plotters hurry: the deadline comes forward by this much (never before the tip-off).
    Accelerate(Duration),
}

/// When an inject fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TriggerSpec {
    /// At this scenario time.
    At(Duration),
    /// After another inject has fired, with a delay.
    AfterInject {
        /// Inject id.
        inject: String,
        /// Delay after it fired. Default `hours(0)`.
        #[serde(default = "zero_duration")]
        delay: Duration,
    },
    /// As soon as a run metric reaches a value.
    WhenMetric {
        /// The metric watched.
        metric: TriggerMetric,
        /// Fires when the metric is ≥ this value.
        at_least: f64,
    },
    /// The first time a partner is about to pass an item about `threat` over `partnership`
    /// (either direction; the sender has chosen to share, the gates are not yet checked).
    /// A `Withdrawal` or `LegalHold` of that same partnership stops that very item: the
    /// partnership fails just as it matters. Other effects start at the next tick.
    FirstOffer {
        /// Partnership id watched.
        partnership: String,
        /// Threat id whose items are watched.
        threat: String,
    },
    /// A contingency inject: fires at `by` only if `unless` has not happened yet.
    Contingency {
        /// The expected player action.
        unless: Condition,
        /// Scenario time it is checked.
        by: Duration,
    },
    /// When a milestone of the run happens, plus `delay`: fires at milestone time + delay,
    /// never if the milestone does not happen or falls too late in the run.
    Milestone {
        /// What it waits for.
        on: MilestoneSpec,
        /// Delay after the milestone. Default `hours(0)`.
        #[serde(default = "zero_duration")]
        delay: Duration,
    },
}

/// Something that happens (or not) in a run, which a `Milestone` trigger waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MilestoneSpec {
    /// Harm from the threat occurred (its deadline passed unresolved).
    Harm(String),
    /// Some agency first detected the threat.
    Detected(String),
    /// An item about the threat was first shared with a partner.
    FirstShared(String),
    /// A responsible agency first completed an action on the threat.
    Acted(String),
    /// The threat was resolved.
    Resolved(String),
    /// The agency first went down (its reliability process or an `AgencyOutage` inject).
    AgencyFailed(String),
    /// The agency first came back up after going down.
    AgencyRecovered(String),
    /// A link of the partnership was first withdrawn, by its sender's loss of trust or by a
    /// `Withdrawal` inject (a legal hold is not a withdrawal).
    PartnershipWithdrawn(String),
    /// At `by`, the objective is met on the run so far (judged as at the end of a run, on
    /// what has happened by then). Does not fire where the objective is not applicable.
    ObjectiveMet {
        /// Objective id.
        objective: String,
        /// Scenario time it is judged, within the exercise.
        by: Duration,
    },
    /// At `by`, the objective is not met on the run so far. Does not fire where the
    /// objective is not applicable.
    ObjectiveMissed {
        /// Objective id.
        objective: String,
        /// Scenario time it is judged, within the exercise.
        by: Duration,
    },
}

/// A per-tick metric a trigger can watch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TriggerMetric {
    /// Agencies that hold at least one item about the threat.
    AgenciesInformed(String),
    /// Items waiting in all analyst queues.
    Backlog,
    /// Hours since the threat was first detected (negative until then, so never fires early).
    HoursSinceDetection(String),
    /// Directed partnership links withdrawn so far, by their sender's loss of trust or by a
    /// `Withdrawal` inject (each link counted once; legal holds do not count).
    Withdrawals,
    /// Leak exposure so far.
    LeakExposure,
}

/// An expected player action a contingency inject checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// Some agency detected the threat.
    Detected(String),
    /// Some agency shared an item about the threat.
    Shared(String),
    /// A responsible agency acted on the threat.
    Acted(String),
    /// An inject fired.
    InjectFired(String),
}

/// What an inject does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EffectSpec {
    /// A signal of the threat appears at an agency (a scripted tip, SAR or alert).
    Signal {
        /// Threat id.
        threat: String,
        /// Agency id that receives it.
        at: String,
    },
    /// The agency is down (queue frozen, no sharing, benefits lost).
    AgencyOutage(String),
    /// The channel is down.
    ChannelOutage(String),
    /// The agency works with a fraction of its analysts, (0, 1].
    DegradedCapacity {
        /// Agency id.
        agency: String,
        /// Remaining fraction of capacity, (0, 1].
        factor: f64,
    },
    /// The partnership is withdrawn (no sharing, benefits lost).
    Withdrawal(String),
    /// A legal hold blocks items on the partnership.
    LegalHold(String),
    /// The channel is compromised: every item sent over it while compromised leaks.
    ChannelCompromise(String),
    /// An insider acts at once (if not yet detected).
    InsiderAction(String),
    /// An agency issues a public warning about the threat (counters rumors).
    PublicWarning {
        /// Threat id.
        threat: String,
        /// Issuing agency id.
        by: String,
    },
    /// A false report about the threat enters at an agency (disinformation, hoax, rumor).
    FalseReport {
        /// Threat id.
        threat: String,
        /// Agency id that receives it.
        at: String,
    },
    /// The threat's deadline moves by this much (negative brings it forward is not allowed;
    /// use a positive duration to advance it).
    AdvanceDeadline {
        /// Threat id.
        threat: String,
        /// How much earlier harm occurs.
        by: Duration,
    },
    /// Resources arrive at an agency `lead` after the inject fires (mutual aid, EMAC, the
    /// National Guard, federal teams): analysts, processing, shelter places and restoration
    /// crews. An agency declared `arrives: true` comes into play with its first arrival.
    /// The inject's `duration` counts from the arrival.
    Arrival {
        /// Agency id that receives them.
        agency: String,
        /// Analysts added, ≥ 0. Default 0.
        #[serde(default)]
        analysts: u32,
        /// People processed per hour added, ≥ 0. Default 0.
        #[serde(default)]
        processing_per_hour: f64,
        /// Shelter places added, ≥ 0. Default 0.
        #[serde(default)]
        shelter: f64,
        /// Restoration crews added [workers], ≥ 0. Default 0.
        #[serde(default)]
        crews: u32,
        /// Time from the inject to the arrival, ≥ 0. Default `hours(0)`.
        #[serde(default = "zero_duration")]
        lead: Duration,
    },
    /// Narrative only: appears in the timeline and MSEL, changes nothing in the model.
    Note,
}

/// HSEEP core capabilities (FEMA, 32 in all; those this tool evaluates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CoreCapability {
    /// Planning (all mission areas).
    Planning,
    /// Public information and warning (all mission areas).
    PublicInformationAndWarning,
    /// Operational coordination (all mission areas).
    OperationalCoordination,
    /// Intelligence and information sharing (Prevention, Protection).
    IntelligenceAndInformationSharing,
    /// Interdiction and disruption (Prevention, Protection).
    InterdictionAndDisruption,
    /// Screening, search and detection (Prevention, Protection).
    ScreeningSearchAndDetection,
    /// Forensics and attribution (Prevention).
    ForensicsAndAttribution,
    /// Access control and identity verification (Protection).
    AccessControlAndIdentityVerification,
    /// Cybersecurity (Protection).
    Cybersecurity,
    /// Physical protective measures (Protection).
    PhysicalProtectiveMeasures,
    /// Risk management for protection programs and activities (Protection).
    RiskManagementForProtectionProgramsAndActivities,
    /// Supply chain integrity and security (Protection).
    SupplyChainIntegrityAndSecurity,
    /// Situational assessment (Response).
    SituationalAssessment,
    /// Mass care services (Response).
    MassCareServices,
    /// Critical transportation (Response).
    CriticalTransportation,
    /// On-scene security, protection and law enforcement (Response).
    OnSceneSecurityProtectionAndLawEnforcement,
    /// Operational communications (Response).
    OperationalCommunications,
    /// Infrastructure systems (Response, Recovery).
    InfrastructureSystems,
    /// Logistics and supply chain management (Response).
    LogisticsAndSupplyChainManagement,
    /// Environmental response/health and safety (Response).
    EnvironmentalResponseHealthAndSafety,
    /// Threats and hazards identification (Mitigation).
    ThreatsAndHazardsIdentification,
    /// Community resilience (Mitigation).
    CommunityResilience,
    /// Health and social services (Recovery).
    HealthAndSocialServices,
    /// Economic recovery (Recovery).
    EconomicRecovery,
}

/// An MSEL inject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectSpec {
    /// Unique id, e.g. `"I-03"`.
    pub id: String,
    /// MSEL number (ordering in the exported MSEL), ≥ 1.
    pub number: u32,
    /// When it fires.
    pub trigger: TriggerSpec,
    /// One-line event synopsis.
    pub synopsis: String,
    /// What it does to the model.
    pub effect: EffectSpec,
    /// Probability it fires when triggered, [0, 1]. Default 1.0.
    #[serde(default = "one")]
    pub probability: f64,
    /// How long the effect lasts; absent means until the end.
    #[serde(default)]
    pub duration: Option<Duration>,
    /// Who it is simulated as coming from (SimCell role or agency). Free text.
    #[serde(default)]
    pub from: String,
    /// Intended player(s) (agency ids).
    #[serde(default)]
    pub to: Vec<String>,
    /// Delivery method (channel id, or free text like "phone call").
    #[serde(default)]
    pub delivery: String,
    /// Expected player action.
    #[serde(default)]
    pub expected_action: String,
    /// Objective ids it exercises.
    #[serde(default)]
    pub objectives: Vec<String>,
    /// Core capability it exercises.
    #[serde(default)]
    pub capability: Option<CoreCapability>,
    /// Set `false` to keep it in the MSEL but not play it (variants use this). Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// Access of an insider (scales exfiltrated volume: sysadmin ≫ analyst ≫ clerk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Access {
    /// Clerk: volume ×1.
    Clerk,
    /// Analyst: ×5.
    Analyst,
    /// Privileged user: ×20.
    Privileged,
    /// System administrator: ×100.
    Sysadmin,
}

/// What an insider does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InsiderActionSpec {
    /// Posts held items to the press or public (leak exposure, originators lose trust).
    Leak,
    /// Passes held items to a foreign service (exposure, undiscovered until detected).
    Exfiltration,
    /// Drops items in the agency's analyst queue and stalls its sharing for `outage`.
    Sabotage {
        /// How long the agency's work stalls per act.
        outage: Duration,
    },
    /// Introduces a false item about the threat that travels until retracted.
    Disinformation(String),
    /// Tips off the adversary behind the threat: its deadline comes forward.
    TipOff(String),
}

/// An insider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsiderSpec {
    /// Unique id.
    pub id: String,
    /// Agency id they work in.
    pub agency: String,
    /// Access level.
    pub access: Access,
    /// What they do.
    pub action: InsiderActionSpec,
    /// Probability the insider is active in a run before vetting, [0, 1]. Default 1.0.
    #[serde(default = "one")]
    pub activation_probability: f64,
    /// When they become active. Default `hours(0)`.
    #[serde(default = "zero_duration")]
    pub start: Duration,
    /// Rate of behavioural and technical precursors, ≥ 0: `per_day(0.2)`, `per_week(1)`, ...;
    /// a plain number is per 30 days.
    pub precursors_per_month: Rate,
    /// Probability a coworker reports a precursor, [0, 1] (0.1–0.3 complacent, 0.7–0.9 healthy).
    pub report_probability: f64,
    /// Rate of hostile acts while active and undetected, ≥ 0: `per_day(0.5)`, ...; a plain
    /// number is per 30 days.
    pub actions_per_month: Rate,
    /// The `Insider`-kind threat that is this insider's activity as investigators see it
    /// (posts surfacing, a leak investigation). Tied, the threat is real only in runs where
    /// the insider is active; resolving it (an arrest) removes the insider, and detecting
    /// the insider resolves it. Default: none.
    #[serde(default)]
    pub threat: Option<String>,
}

/// Which way an objective's target is met.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum TargetSpec {
    /// Time metric met when it happens within this time (never happening misses it).
    Within(Duration),
    /// Met when the metric is ≥ the value.
    AtLeast(f64),
    /// Met when the metric is ≤ the value.
    AtMost(f64),
}

/// The metric an objective is judged on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MetricSpec {
    /// Hours from threat start to first detection by any agency.
    TimeToDetection(String),
    /// Hours from first detection to the first item shared with a partner.
    TimeToFirstShare(String),
    /// Share of need-to-know agencies that hold an item within `within` of detection, [0, 1].
    Coverage {
        /// Threat id.
        threat: String,
        /// Window after first detection.
        within: Duration,
    },
    /// Hours from threat start to the first completed action.
    TimeToAction(String),
    /// 1 when the threat was resolved before its deadline (or, for a false alarm, never acted
    /// on), else 0.
    Resolved(String),
    /// Σ sensitivity of items exposed to unauthorized recipients.
    LeakExposure,
    /// The part of `LeakExposure` from insiders' leaks and exfiltration.
    InsiderExposure,
    /// Deliveries needed but blocked (classification, channel, legal, marking).
    BlockedButNeeded,
    /// Items passed beyond what their marking or agreement allows.
    HandlingViolations,
    /// Lowest directed trust at the end of the run.
    MinTrust,
    /// Mean directed trust at the end of the run.
    MeanTrust,
    /// Directed partnership links withdrawn at some time in the run, by their sender's loss of
    /// trust or by a `Withdrawal` inject (a mutual partnership has two links; each link is
    /// counted once however often it is withdrawn; legal holds do not count).
    Withdrawals,
    /// Share of surge arrivals processed within the hand-off deadline, [0, 1].
    ProcessedWithinHandoff(String),
    /// Most people waiting without shelter at any time.
    PeakUnsheltered(String),
    /// Hours from a false item's first share to its retraction.
    RetractionTime(String),
    /// 1 when a successful action was taken on the threat while it was not real (a false
    /// alarm acted on), else 0 (always 0 in runs where it is real).
    FalseAlarmActed(String),
    /// Hours from threat start to the first public warning.
    TimeToPublicWarning(String),
    /// Hours from an insider becoming active to their detection (takes an insider id). In a
    /// run where the insider never turned (activation or vetting), the objective is not
    /// applicable: it is left out of P(met) and counted apart.
    InsiderDetectionTime(String),
    /// Hours an agency had at least one function lost because a partner it depends on
    /// (`depends_on`) was down or withdrawn (takes an agency id with `depends_on`).
    FunctionLostHours(String),
    /// Hours from threat start to the first successful action of one agency (its role, or
    /// the threat's `response` if it acts on the kind).
    TimeToActionBy {
        /// Threat id.
        threat: String,
        /// Agency id.
        agency: String,
    },
    /// Most people without shelter at any time after a hazard's impact [people, integer]
    /// (takes a threat with `impact`).
    PeopleWithoutShelterPeak(String),
    /// Σ over time of people without shelter after a hazard's impact [person-hours]
    /// (takes a threat with `impact`).
    PeopleWithoutShelterHours(String),
    /// Σ over time of customers out of a service [customer-hours] (takes the agency id of
    /// an outage's `service`).
    CustomersWithoutPowerHours(String),
    /// Share of a service's customers out at impact restored within `within` of the impact,
    /// [0, 1].
    CustomersRestoredShare {
        /// Agency id of the outage's `service`.
        service: String,
        /// Window after the impact.
        within: Duration,
    },
    /// Hours a service was out: from impact to its first restoration or workaround, or to
    /// the end (e.g. hours without 911) (takes the agency id of an outage's `service`).
    HoursWithoutService(String),
    /// Hours from impact to the first customers restored (takes the agency id of an
    /// outage's `service`).
    TimeToFirstRestoration(String),
    /// An agency's exposure to the loss of partners and services it depends on: Σ over its
    /// dependencies of hours lost × `degree` [h] (takes an agency id with `depends_on`).
    ServiceExposure(String),
    /// Share of the run the partnership was in working order, [0, 1]: every link of it
    /// neither withdrawn (by trust or inject) nor under a legal hold, and both partners up.
    /// 0 for a partnership that is not `enabled`.
    PartnershipUptime(String),
    /// Unique items delivered over the partnership, both directions [items] (an item the
    /// receiver already held is not counted again).
    ItemsCarried(String),
    /// Hours from the start of the exercise (or of `threat`, when given) to the first unique
    /// item delivered over the partnership (about `threat`, when given). Never carried
    /// misses a `Within` target.
    FirstItemCarried {
        /// Partnership id.
        partnership: String,
        /// Threat id whose items count; default: any item.
        #[serde(default)]
        threat: Option<String>,
    },
}

impl MetricSpec {
    /// Whether the metric is the time of an event, in hours (never-happened runs are late,
    /// not missing).
    pub fn is_event_time(&self) -> bool {
        matches!(
            self,
            MetricSpec::TimeToDetection(_)
                | MetricSpec::TimeToFirstShare(_)
                | MetricSpec::TimeToAction(_)
                | MetricSpec::RetractionTime(_)
                | MetricSpec::TimeToPublicWarning(_)
                | MetricSpec::InsiderDetectionTime(_)
                | MetricSpec::TimeToActionBy { .. }
                | MetricSpec::TimeToFirstRestoration(_)
                | MetricSpec::FirstItemCarried { .. }
        )
    }
}

/// Share of runs meeting the target that earns each HSEEP rating (P ≥ s ≥ m).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingThresholds {
    /// P (Performed without Challenges) at or above this share. Default 0.9.
    pub p: f64,
    /// S (with Some Challenges) at or above this share. Default 0.75.
    pub s: f64,
    /// M (with Major Challenges) at or above this share; below it is U. Default 0.5.
    pub m: f64,
}

impl Default for RatingThresholds {
    fn default() -> Self {
        RatingThresholds {
            p: 0.9,
            s: 0.75,
            m: 0.5,
        }
    }
}

/// An exercise objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveSpec {
    /// Unique id.
    pub id: String,
    /// SMART objective text.
    pub description: String,
    /// Core capability it evaluates.
    pub capability: CoreCapability,
    /// Metric that decides it.
    pub metric: MetricSpec,
    /// Target on that metric.
    pub target: TargetSpec,
    /// Rating thresholds on the share of runs meeting the target.
    #[serde(default)]
    pub ratings: RatingThresholds,
}

/// A recommendation from the source study (domain §0, §9) that a variant tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Recommendation {
    /// Vet partners and watch for insiders (vetting, monitoring, reporting).
    PartnerVetting,
    /// Put sharing on formal agreements that settle markings and legal barriers.
    SharingAgreements,
    /// Make the partnership pay off for every partner (equity, benefits).
    SharedBenefits,
    /// Train and exercise together (trust, faster analysis and action).
    JointTraining,
    /// Measure shared information's value and feed it back to the sender.
    MetricsAndEvaluation,
    /// Invest in faster, more reliable and interoperable channels.
    TechnologyInvestment,
}

/// One change a variant makes to the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChangeSpec {
    /// Set the value at a path, e.g.
    /// `Set("partnerships[fc_jttf].share_probability", "0.95")`. The value is RON text.
    Set(String, String),
    /// Remove the list element at a path, e.g. `Remove("partnerships[fc_ngo]")`.
    Remove(String),
    /// Add an agency.
    AddAgency(AgencySpec),
    /// Add a channel.
    AddChannel(ChannelSpec),
    /// Add a partnership.
    AddPartnership(PartnershipSpec),
    /// Add an inject.
    AddInject(InjectSpec),
    /// Add an insider.
    AddInsider(InsiderSpec),
}

/// A named what-if.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// Unique id (used on the command line: `--variant ID`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it represents.
    #[serde(default)]
    pub description: String,
    /// The recommendation it tests, if any.
    #[serde(default)]
    pub recommendation: Option<Recommendation>,
    /// Changes applied to the baseline, in order.
    pub changes: Vec<ChangeSpec>,
}
