//! One run told as a narrative a facilitator can read aloud, a table of outcomes and
//! objectives, and the bytes of `timeline.csv` and `series.csv`: pure formatting, no I/O
//! (the app layer's `tabletop run` prints and writes them).

use super::outcome::{Catalog, EventKind, EventRef, RunOutcome};
use crate::error::{Error, Result};
use crate::output::csv_safe;
use std::fmt::Write as _;

/// Scenario time as "Day d hh:mm" (day 1 is the first 24 hours).
pub(crate) fn fmt_time(h: f64) -> String {
    let total_min = (h.max(0.0) * 60.0).round() as u64;
    let day = total_min / (24 * 60) + 1;
    let hh = (total_min / 60) % 24;
    let mm = total_min % 60;
    format!("Day {day} {hh:02}:{mm:02}")
}

/// The narrative text of a run's timeline.
pub(crate) fn narrative(outcome: &RunOutcome, start_label: &str) -> String {
    let mut s = String::new();
    if !start_label.is_empty() {
        let _ = writeln!(s, "Scenario time zero: {start_label}");
    }
    for e in &outcome.timeline {
        let _ = writeln!(s, "{}  {}", fmt_time(e.t), e.text);
    }
    s
}

/// Kinds that always stay in a folded narrative: the story a facilitator reads aloud.
fn always_told(k: EventKind) -> bool {
    matches!(
        k,
        EventKind::Inject
            | EventKind::Signal
            | EventKind::Decision
            | EventKind::Action
            | EventKind::PublicWarning
            | EventKind::Failure
            | EventKind::Repair
            | EventKind::Withdrawal
            | EventKind::InsiderDetected
            | EventKind::InsiderAction
            | EventKind::Retraction
            | EventKind::Harm
            | EventKind::Objective
    )
}

/// The parts of a share line "R receives an item on T from S via C": (R, T, S).
fn parse_share(text: &str) -> Option<(&str, &str, &str)> {
    let (recv, rest) = text.split_once(" receives an item on ")?;
    let k = rest.rfind(" from ")?;
    let (threat, tail) = (&rest[..k], &rest[k + 6..]);
    let sender = tail.rsplit_once(" via ").map(|(s, _)| s).unwrap_or(tail);
    Some((recv, threat, sender))
}

/// The parts of a detection line "A observes a signal of T" or "A receives a report on T (…)":
/// (A, T, whether it is a false report).
fn parse_detection(text: &str) -> Option<(&str, &str, bool)> {
    if let Some((a, t)) = text.split_once(" observes a signal of ") {
        return Some((a, t, false));
    }
    let (a, rest) = text.split_once(" receives a report on ")?;
    let t = rest.rsplit_once(" (").map(|(t, _)| t).unwrap_or(rest);
    Some((a, t, true))
}

/// The parts of a blocked line "S cannot pass an item on T to R: blocked by X": (S, R, X).
fn parse_blocked(text: &str) -> Option<(&str, &str, &str)> {
    let (sender, rest) = text.split_once(" cannot pass an item on ")?;
    let (head, reason) = rest.rsplit_once(": blocked by ")?;
    let (_, to) = head.rsplit_once(" to ")?;
    Some((sender, to, reason))
}

/// "over the next 5 h" for a span of hours.
fn over_the_next(span: f64) -> String {
    if span < 1.0 {
        "within the hour".to_string()
    } else if span < 48.0 {
        format!("over the next {span:.0} h")
    } else {
        format!("over the next {:.1} days", span / 24.0)
    }
}

/// "A ×5, B ×1": names with their counts, most first (ties in order of first appearance);
/// a lone name without its count.
fn tally(names: &[(String, usize)]) -> String {
    if let [(n, _)] = names {
        return n.clone();
    }
    let mut v: Vec<&(String, usize)> = names.iter().collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.1));
    v.iter()
        .map(|(n, c)| format!("{n} ×{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many agencies' first news of one threat are told one by one; the later ones are told
/// as one line ("40 more agencies learned of X over the next 9 h"), so that a large network's
/// narrative stays a page.
pub(crate) const LEARNERS_TOLD: usize = 15;

/// What followed a told event and was folded into its line.
#[derive(Default)]
struct Folded {
    /// Time of the last folded event \[h\].
    t1: f64,
    /// Further signals observed (learn lines).
    signals: usize,
    /// Further items received (learn lines) or blocked (blocked lines), or further events
    /// like it (other lines).
    items: usize,
    /// Senders (learn lines) or reasons (blocked lines) with their counts.
    parts: Vec<(String, usize)>,
}

impl Folded {
    fn add(&mut self, t: f64, part: &str) {
        self.t1 = t;
        self.items += 1;
        if !part.is_empty() {
            match self.parts.iter_mut().find(|(n, _)| n == part) {
                Some(p) => p.1 += 1,
                None => self.parts.push((part.to_string(), 1)),
            }
        }
    }
}

/// How a told line reads its folded repeats.
#[derive(Clone, Copy, PartialEq)]
enum LineKind {
    /// An agency's first news of a threat: more signals and items.
    Learn,
    /// A blocked item: more blocked over the same partnership.
    Blocked,
    /// Anything else folded: more like it.
    Other,
    /// The later agencies learning of a threat, as one line.
    Spread,
}

/// Where an agency's later news of a threat goes.
#[derive(Clone, Copy)]
enum Target {
    /// Folded into the told line at this index.
    Line(usize),
    /// The agency learned within a spread line: its later news is left out.
    Spread,
}

/// A run's timeline folded into a page a facilitator can read aloud. Told: every inject, the
/// first signal of each threat, the first time each agency learns of each threat (a signal or
/// an item from a partner; after [`LEARNERS_TOLD`] agencies on one threat, the rest as one
/// line), decisions, actions, failures and repairs, withdrawals, insider acts, harm and
/// retractions. Folded into the line they follow: an agency's later signals and items on a
/// threat it already knows ("…; then 13 more items from the operator over the next 26 h"),
/// more items blocked over one partnership, and repeated expiries, violations, leaks over a
/// link and precursors. Analysts' finished items and gradual trust changes are left out.
/// Returns (time \[h\], text) in time order; `tabletop run` and the
/// report's exemplar narratives both use it.
pub(crate) fn fold_timeline<'a>(
    events: impl IntoIterator<Item = EventRef<'a>>,
) -> Vec<(f64, String)> {
    use std::collections::BTreeMap;
    let events: Vec<EventRef<'a>> = events.into_iter().collect();
    // Told events: (index, how its repeats read, its folded repeats).
    let mut told: Vec<(usize, LineKind, Folded)> = Vec::new();
    let mut learned: BTreeMap<(&str, &str), Target> = BTreeMap::new();
    let mut learners: BTreeMap<&str, usize> = BTreeMap::new();
    let mut spread: BTreeMap<&str, usize> = BTreeMap::new();
    let mut first: BTreeMap<(EventKind, &str, &str), usize> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        // analysts' work and gradual trust changes are detail (`--detail full` shows them)
        if matches!(e.kind, EventKind::Analysis | EventKind::TrustChange) {
            continue;
        }
        if always_told(e.kind) || (e.kind == EventKind::Leak && e.via.is_empty()) {
            told.push((i, LineKind::Other, Folded::default()));
            continue;
        }
        let news = match e.kind {
            EventKind::Share => parse_share(e.text).map(|(_, t, s)| (t, s, false)),
            EventKind::Detection => parse_detection(e.text).map(|(_, t, _)| (t, "", true)),
            _ => None,
        };
        if let Some((threat, sender, signal)) = news {
            match learned.get(&(e.who, threat)) {
                None => {
                    let n = learners.entry(threat).or_default();
                    *n += 1;
                    if *n <= LEARNERS_TOLD {
                        learned.insert((e.who, threat), Target::Line(told.len()));
                        told.push((i, LineKind::Learn, Folded::default()));
                    } else {
                        learned.insert((e.who, threat), Target::Spread);
                        let k = *spread.entry(threat).or_insert_with(|| {
                            told.push((i, LineKind::Spread, Folded::default()));
                            told.len() - 1
                        });
                        told[k].2.add(e.t, "");
                    }
                }
                Some(Target::Line(k)) => {
                    let f = &mut told[*k].2;
                    if signal {
                        f.t1 = e.t;
                        f.signals += 1;
                    } else {
                        f.add(e.t, sender);
                    }
                }
                Some(Target::Spread) => {}
            }
            continue;
        }
        let key = (e.kind, e.who, e.via);
        match first.get(&key) {
            None => {
                first.insert(key, told.len());
                let kind = if e.kind == EventKind::Blocked {
                    LineKind::Blocked
                } else {
                    LineKind::Other
                };
                told.push((i, kind, Folded::default()));
            }
            Some(&k) => {
                let reason = match e.kind {
                    EventKind::Blocked => parse_blocked(e.text).map(|(_, _, r)| r).unwrap_or(""),
                    _ => "",
                };
                told[k].2.add(e.t, reason);
            }
        }
    }
    told.iter()
        .map(|(i, kind, f)| (events[*i].t, told_line(&events[*i], *kind, f)))
        .collect()
}

/// The text of a told event with its folded repeats.
fn told_line(e: &EventRef<'_>, kind: LineKind, f: &Folded) -> String {
    let over = over_the_next(f.t1 - e.t);
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} more {}", if n == 1 { one } else { many });
    match kind {
        LineKind::Spread => {
            let threat = match e.kind {
                EventKind::Share => parse_share(e.text).map(|x| x.1),
                _ => parse_detection(e.text).map(|x| x.1),
            }
            .unwrap_or("");
            format!(
                "{} learned of {threat} {over}",
                plural(f.items, "agency", "agencies")
            )
        }
        _ if f.items + f.signals == 0 => e.text.to_string(),
        LineKind::Learn => {
            let mut more = Vec::new();
            if f.signals > 0 {
                more.push(plural(f.signals, "signal", "signals"));
            }
            if f.items > 0 {
                let from = if f.parts.is_empty() {
                    String::new()
                } else {
                    format!(" from {}", tally(&f.parts))
                };
                more.push(format!("{}{from}", plural(f.items, "item", "items")));
            }
            format!("{}; then {} {over}", e.text, more.join(" and "))
        }
        LineKind::Blocked => format!(
            "{}; then {} blocked {over} (by {})",
            e.text,
            plural(f.items, "item", "items"),
            tally(&f.parts)
        ),
        LineKind::Other => format!("{}; then {} more like it {over}", e.text, f.items),
    }
}

/// The folded narrative of a run (see [`fold_timeline`]), ending with its objectives: met or
/// not, and the value that decided it.
pub(crate) fn folded_narrative(cat: &Catalog, outcome: &RunOutcome, start_label: &str) -> String {
    let mut s = String::new();
    if !start_label.is_empty() {
        let _ = writeln!(s, "Scenario time zero: {start_label}");
    }
    for (t, text) in fold_timeline(&outcome.timeline) {
        let _ = writeln!(s, "{}  {}", fmt_time(t), text);
    }
    s.push_str(&objectives_table(cat, outcome));
    s
}

/// A value with its unit for tables.
pub(crate) fn fmt_value(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "—".to_string(),
        Some(x) if unit == "h" => format!("{x:.1} h"),
        Some(x) if unit == "share" => format!("{:.0}%", x * 100.0),
        Some(x) if unit == "0/1" => (if x >= 0.5 { "yes" } else { "no" }).to_string(),
        Some(x) if (x - x.round()).abs() < 1e-9 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
    }
}

/// The outcome and objectives table.
pub(crate) fn outcome_table(cat: &Catalog, o: &RunOutcome) -> String {
    let mut s = objectives_table(cat, o);
    s.push_str(&outcomes_table(cat, o));
    s
}

/// The objectives: met or not, with the value that decided it.
pub(crate) fn objectives_table(cat: &Catalog, o: &RunOutcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\nObjectives");
    for (d, r) in cat.objectives.iter().zip(&o.objectives) {
        let unit = cat.unit_of(&d.metric);
        let _ = writeln!(
            s,
            "  [{}] {:<14} {} (target {}; value {})",
            if !r.applicable {
                "n/a: no active insider or threat not real"
            } else if r.met {
                "met"
            } else {
                "NOT met"
            },
            d.id,
            d.description,
            d.target,
            fmt_value(r.value, unit)
        );
    }
    s
}

/// The run's outcome metrics.
pub(crate) fn outcomes_table(cat: &Catalog, o: &RunOutcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\nOutcomes");
    for (m, v) in cat.metrics.iter().zip(&o.metrics) {
        let _ = writeln!(s, "  {:<60} {}", m.label, fmt_value(*v, &m.unit));
    }
    s
}

/// `timeline.csv` bytes.
pub(crate) fn timeline_csv(o: &RunOutcome) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |source: csv::Error| Error::Csv {
        what: "timeline.csv".into(),
        source,
    };
    w.write_record(["time_h", "time", "kind", "who", "via", "text"])
        .map_err(err)?;
    for e in &o.timeline {
        w.write_record([
            format!("{:.4}", e.t).as_str(),
            &fmt_time(e.t),
            &format!("{:?}", e.kind),
            &csv_safe(e.who),
            &csv_safe(e.via),
            &csv_safe(e.text),
        ])
        .map_err(err)?;
    }
    w.into_inner().map_err(|e| err(e.into_error().into()))
}

/// `series.csv` bytes.
pub(crate) fn series_csv(cat: &Catalog, o: &RunOutcome) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |source: csv::Error| Error::Csv {
        what: "series.csv".into(),
        source,
    };
    let mut header = vec!["time_h".to_string()];
    header.extend(cat.series.iter().map(|s| s.id.clone()));
    w.write_record(&header).map_err(err)?;
    for (k, t) in cat.series_times.iter().enumerate() {
        let mut row = vec![format!("{t:.4}")];
        for s in &o.series {
            row.push(s.get(k).map(|v| format!("{v}")).unwrap_or_default());
        }
        w.write_record(&row).map_err(err)?;
    }
    w.into_inner().map_err(|e| err(e.into_error().into()))
}
