//! `tabletop import-msel`: a Master Scenario Events List exported from a spreadsheet as CSV
//! into a scenario's `injects`, keeping the rest of the file's text.
//!
//! Columns are found by header, case-insensitively, with the synonyms planners use (see
//! [`COLUMNS`]). A row whose id matches an inject of the scenario updates it: only the MSEL
//! fields (number, time, from, to, synopsis, expected action, objectives) change, and an
//! inject whose fields are unchanged keeps its text byte for byte, so the `msel.csv` a batch
//! exports imports back to the same file. A new id becomes a new inject with a `Note` effect
//! (it is read out to players; give it a model effect by hand). Every row that cannot be
//! mapped is reported with its line and reason, and then nothing is written.

use super::ValidScenario;
use super::schema::{Duration, InjectSpec, TriggerSpec};
use crate::error::{Error, Result};
use std::fmt::Write as _;
use std::path::Path;

/// MSEL fields and the header names (lowercase, punctuation-free) that select them.
pub const COLUMNS: &[(&str, &[&str])] = &[
    (
        "number",
        &[
            "inject no",
            "inject number",
            "number",
            "no",
            "msel no",
            "msel number",
            "event no",
            "seq",
            "serial",
        ],
    ),
    ("id", &["inject id", "id", "event id", "msel id"]),
    (
        "time",
        &[
            "scenario time h",
            "scenario time",
            "time h",
            "time",
            "hour",
            "hours",
            "time hours",
            "delivery time",
            "exercise time",
            "scenario clock",
            "clock",
        ],
    ),
    ("trigger", &["trigger", "when"]),
    (
        "from",
        &[
            "from simulated",
            "from",
            "sender",
            "originator",
            "source",
            "simcell role",
        ],
    ),
    (
        "to",
        &[
            "to intended players",
            "to",
            "recipient",
            "recipients",
            "players",
            "intended players",
            "player",
            "responder",
        ],
    ),
    (
        "synopsis",
        &[
            "event synopsis",
            "synopsis",
            "description",
            "event description",
            "inject",
            "event",
            "message",
        ],
    ),
    (
        "expected_action",
        &[
            "expected player action",
            "expected action",
            "expected actions",
            "expected response",
            "expected outcome",
            "action",
        ],
    ),
    (
        "objectives",
        &[
            "objectives",
            "objective",
            "objective s",
            "exercise objectives",
            "objective ids",
        ],
    ),
];

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Injects whose MSEL fields changed.
    pub updated: usize,
    /// Injects added.
    pub added: usize,
    /// Injects left as they were (in the CSV, unchanged).
    pub unchanged: usize,
    /// Injects of the scenario the CSV does not mention (kept).
    pub not_in_msel: Vec<String>,
}

/// One mapped MSEL row.
#[derive(Debug, Clone)]
struct Row {
    number: u32,
    id: String,
    trigger: Option<TriggerSpec>,
    from: String,
    to: Vec<String>,
    synopsis: String,
    expected_action: String,
    objectives: Vec<String>,
}

fn norm_header(h: &str) -> String {
    let s: String = h
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A CSV cell as the planner meant it: the `'` that CSV export puts before `=`, `+`, `-`,
/// `@`, tab or CR (formula neutralising) removed, surrounding blanks trimmed.
fn cell(s: &str) -> String {
    let t = s.trim();
    match t.strip_prefix('\'') {
        Some(r) if r.starts_with(['=', '+', '-', '@', '\t', '\r']) => r.to_string(),
        _ => t.to_string(),
    }
}

/// Hours from a time cell: `12`, `12.5`, `12h`, `12 h`, `T+12`, `12:30` (h:mm).
fn parse_hours(s: &str) -> Option<f64> {
    let t = s.trim().trim_start_matches("T+").trim_start_matches("t+");
    let t = t.trim_end_matches(['h', 'H']).trim();
    let h = if let Some((h, m)) = t.split_once(':') {
        let h: f64 = h.trim().parse().ok()?;
        let m: f64 = m.trim().parse().ok()?;
        if !(0.0..60.0).contains(&m) {
            return None;
        }
        h + m / 60.0
    } else {
        t.parse().ok()?
    };
    (h.is_finite() && h >= 0.0).then_some(h)
}

/// A time cell as the MSEL export's "Scenario clock" writes it, `Day 2 07:00`: hours from
/// the exercise start, whose clock time is read from `exercise.start_label` (midnight when
/// it gives none). `None` when the cell is not of that form or falls before the start.
fn parse_day_clock(s: &str, start_label: &str) -> Option<f64> {
    let t = s.trim();
    let rest = t.get(..4).filter(|p| p.eq_ignore_ascii_case("day "))?;
    let rest = t[rest.len()..].trim();
    let (day, hm) = rest.split_once(char::is_whitespace)?;
    let day: u32 = day.parse().ok().filter(|&d| d >= 1)?;
    let (h, m) = hm.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    if h >= 24 || m >= 60 {
        return None;
    }
    let start = crate::report::text::start_minutes(start_label).unwrap_or(0);
    let minutes = i64::from(day - 1) * 1440 + i64::from(h * 60 + m) - i64::from(start);
    (minutes >= 0).then(|| minutes as f64 / 60.0)
}

/// The `Trigger` column as the MSEL export writes it: `at X h` or `X h after ID`.
fn parse_trigger(s: &str) -> Option<TriggerSpec> {
    let t = s.trim();
    if let Some(r) = t.strip_prefix("at ") {
        let h = parse_hours(r)?;
        return Some(TriggerSpec::At(Duration::Hours(h)));
    }
    if let Some((d, id)) = t.split_once(" after ") {
        let h = parse_hours(d)?;
        let id = id.trim();
        if id.is_empty() || id.contains(' ') {
            return None;
        }
        return Some(TriggerSpec::AfterInject {
            inject: id.to_string(),
            delay: Duration::Hours(h),
        });
    }
    None
}

fn list(s: &str) -> Vec<String> {
    s.split([';', ','])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Read the MSEL CSV and map every row; `Err` lists every row that cannot be mapped.
fn read_rows(csv_text: &str, csv_name: &str, sc: &ValidScenario) -> Result<Vec<Row>> {
    let spec = &sc.spec;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| Error::usage(csv_name.to_string(), format!("cannot read the header: {e}")))?
        .clone();
    let names: Vec<String> = headers.iter().map(norm_header).collect();
    let col = |field: &str| -> Option<usize> {
        let syn = COLUMNS.iter().find(|c| c.0 == field)?.1;
        // Exact synonym first, in the order listed.
        syn.iter().find_map(|s| names.iter().position(|n| n == s))
    };
    let c_num = col("number");
    let c_id = col("id");
    let c_time = col("time");
    let c_trig = col("trigger");
    let c_from = col("from");
    let c_to = col("to");
    let c_syn = col("synopsis");
    let c_exp = col("expected_action");
    let c_obj = col("objectives");
    let mut missing = Vec::new();
    if c_num.is_none() && c_id.is_none() {
        missing.push("an inject number (\"Inject No.\", \"Number\", \"#\") or id");
    }
    if c_syn.is_none() {
        missing.push("a synopsis (\"Event synopsis\", \"Synopsis\", \"Description\")");
    }
    if !missing.is_empty() {
        return Err(Error::usage(
            csv_name.to_string(),
            format!(
                "the header line has no column for {}; found: {}",
                missing.join(" and "),
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let agency_ids: Vec<&str> = spec.agencies.iter().map(|a| a.id.as_str()).collect();
    let agency_names: Vec<&str> = spec.agencies.iter().map(|a| a.name.as_str()).collect();
    let objective_ids: Vec<&str> = spec.objectives.iter().map(|o| o.id.as_str()).collect();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen_ids: Vec<String> = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("{csv_name}:{line}: unreadable row: {e}"));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let get = |c: Option<usize>| c.and_then(|i| rec.get(i)).map(cell).unwrap_or_default();
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut bad = |why: String| problems.push(format!("{csv_name}:{line}: {why}"));
        let num_text = get(c_num);
        let number: Option<u32> = if num_text.is_empty() {
            None
        } else {
            match num_text.trim_start_matches('#').parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    bad(format!(
                        "inject number `{num_text}` is not a whole number of 1 or more"
                    ));
                    continue;
                }
            }
        };
        let mut id = get(c_id);
        if id.is_empty() {
            match number {
                Some(n) => id = format!("I-{n:02}"),
                None => {
                    bad("the row has neither an inject number nor an id".into());
                    continue;
                }
            }
        }
        if seen_ids.contains(&id) {
            bad(format!("inject `{id}` appears twice in the MSEL"));
            continue;
        }
        seen_ids.push(id.clone());
        let existing = spec.injects.iter().find(|i| i.id == id);
        let number = match (number, existing) {
            (Some(n), _) => n,
            (None, Some(e)) => e.number,
            (None, None) => {
                bad(format!("new inject `{id}` has no inject number"));
                continue;
            }
        };
        let trig_text = get(c_trig);
        let time_text = get(c_time);
        let trigger = if let Some(t) = (!trig_text.is_empty())
            .then(|| parse_trigger(&trig_text))
            .flatten()
        {
            Some(t)
        } else if !time_text.is_empty() {
            match parse_hours(&time_text)
                .or_else(|| parse_day_clock(&time_text, &spec.exercise.start_label))
            {
                Some(h) => match existing.map(|e| &e.trigger) {
                    // A fired time of an inject triggered otherwise is not its trigger.
                    Some(t) if !matches!(t, TriggerSpec::At(_)) => None,
                    _ => Some(TriggerSpec::At(Duration::Hours(h))),
                },
                None => {
                    bad(format!(
                        "bad time `{time_text}`: write hours from the exercise start, e.g. \
                         `12`, `12.5` or `12:30`, or a clock time as the MSEL export writes it, \
                         `Day 2 07:00` (Day 1 is the day the exercise starts, at or after its \
                         start time)"
                    ));
                    continue;
                }
            }
        } else if existing.is_some() {
            None
        } else {
            bad(format!(
                "new inject `{id}` has no time: give its scenario time in hours{}",
                if trig_text.is_empty() {
                    String::new()
                } else {
                    format!(" (the trigger `{trig_text}` is not `at X h` or `X h after ID`)")
                }
            ));
            continue;
        };
        let mut to = Vec::new();
        let mut ok = true;
        let to_cell = get(c_to);
        let is_agency = |w: &str| {
            spec.agencies
                .iter()
                .any(|a| a.id.eq_ignore_ascii_case(w) || a.name.trim().eq_ignore_ascii_case(w))
        };
        let whos = if !to_cell.is_empty() && is_agency(&to_cell) {
            vec![to_cell.clone()]
        } else if to_cell.contains(';') {
            to_cell
                .split(';')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        } else {
            list(&to_cell)
        };
        for who in whos {
            let found = spec.agencies.iter().find(|a| {
                a.id.eq_ignore_ascii_case(&who) || a.name.trim().eq_ignore_ascii_case(&who)
            });
            match found {
                Some(a) => to.push(a.id.clone()),
                None => {
                    let hint = super::diagnostics::did_you_mean(
                        &who,
                        agency_ids.iter().chain(agency_names.iter()).copied(),
                    )
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                    bad(format!(
                        "unknown agency `{who}` in the To column{hint}: use an agency id or \
                         name of the scenario"
                    ));
                    ok = false;
                }
            }
        }
        let mut objectives = Vec::new();
        for o in list(&get(c_obj)) {
            if objective_ids.contains(&o.as_str()) {
                objectives.push(o);
            } else {
                let hint = super::diagnostics::did_you_mean(&o, objective_ids.iter().copied())
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                bad(format!("unknown objective `{o}`{hint}"));
                ok = false;
            }
        }
        if !ok {
            continue;
        }
        rows.push(Row {
            number,
            id,
            trigger,
            from: get(c_from),
            to,
            synopsis: get(c_syn),
            expected_action: get(c_exp),
            objectives,
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(Error::usage(
            csv_name.to_string(),
            format!(
                "{} row(s) cannot be mapped; nothing was written:\n  {}",
                problems.len(),
                problems.join("\n  ")
            ),
        ))
    }
}

/// RON text of a string.
fn ron_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(o, "\\u{{{:x}}}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn ron_list(xs: &[String]) -> String {
    format!(
        "[{}]",
        xs.iter().map(|x| ron_str(x)).collect::<Vec<_>>().join(", ")
    )
}

fn ron_hours(h: f64) -> String {
    if h.fract() == 0.0 && h.abs() < 1e15 {
        format!("hours({})", h as i64)
    } else {
        format!("hours({h})")
    }
}

/// Two times equal as the MSEL shows them (the export rounds to 0.01 h).
fn same_hours(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.006
}

fn ron_trigger(t: &TriggerSpec) -> Option<String> {
    match t {
        TriggerSpec::At(d) => Some(format!("At({})", ron_hours(d.hours()))),
        TriggerSpec::AfterInject { inject, delay } => Some(format!(
            "AfterInject(inject: {}, delay: {})",
            ron_str(inject),
            ron_hours(delay.hours())
        )),
        _ => None,
    }
}

/// Import `csv_text` (named `csv_name` in messages) into the scenario: the new file text
/// and what changed.
pub fn import_msel(
    csv_text: &str,
    csv_name: &str,
    sc: &ValidScenario,
) -> Result<(String, ImportSummary)> {
    let rows = read_rows(csv_text, csv_name, sc)?;
    let src = &sc.source;
    let file = sc.path.display().to_string();
    let root = ron_text::root_fields(src).ok_or_else(|| {
        Error::Runtime(format!(
            "{file}: cannot find the scenario's top-level ( ... )"
        ))
    })?;
    let injects_span = root.fields.iter().find(|f| f.name == "injects");
    let items: Vec<(usize, usize)> = match injects_span {
        Some(f) => ron_text::list_items(src, f.value.0, f.value.1)
            .ok_or_else(|| Error::Runtime(format!("{file}: `injects` is not a list [ ... ]")))?,
        None => Vec::new(),
    };
    let indent = "        ";
    let mut summary = ImportSummary::default();
    let mut texts: Vec<String> = Vec::new();
    // Existing injects in file order: updated in place; then the new ones in MSEL order.
    for (k, inj) in sc.spec.injects.iter().enumerate() {
        let Some(&(a, b)) = items.get(k) else {
            return Err(Error::Runtime(format!(
                "{file}: the injects list could not be matched to its text"
            )));
        };
        let original = &src[a..b];
        match rows.iter().find(|r| r.id == inj.id) {
            None => {
                summary.not_in_msel.push(inj.id.clone());
                texts.push(original.to_string());
            }
            Some(r) => {
                let (text, changed) = update(original, inj, r, indent)?;
                if changed {
                    summary.updated += 1;
                } else {
                    summary.unchanged += 1;
                }
                texts.push(text);
            }
        }
    }
    for r in rows
        .iter()
        .filter(|r| !sc.spec.injects.iter().any(|i| i.id == r.id))
    {
        summary.added += 1;
        texts.push(new_inject(r, indent));
    }
    let body = if texts.is_empty() {
        "[]".to_string()
    } else {
        format!("[\n{indent}{},\n    ]", texts.join(&format!(",\n{indent}")))
    };
    let out = match injects_span {
        Some(f) => {
            if summary.updated == 0 && summary.added == 0 {
                src.clone()
            } else {
                format!("{}{}{}", &src[..f.value.0], body, &src[f.value.1..])
            }
        }
        None if texts.is_empty() => src.clone(),
        None => {
            // Insert before the root's closing parenthesis.
            let close = root.close;
            let head = src[..close].trim_end();
            let comma = if head.ends_with(',') || head.ends_with('(') {
                ""
            } else {
                ","
            };
            format!("{head}{comma}\n    injects: {body},\n{}", &src[close..])
        }
    };
    Ok((out, summary))
}

/// An existing inject's text with the MSEL fields of `r` put in; unchanged fields keep
/// their text, and an unchanged inject its whole text.
fn update(original: &str, inj: &InjectSpec, r: &Row, indent: &str) -> Result<(String, bool)> {
    let mut edits: Vec<(&str, String)> = Vec::new();
    if r.number != inj.number {
        edits.push(("number", r.number.to_string()));
    }
    if let Some(t) = &r.trigger {
        let same = match (t, &inj.trigger) {
            (TriggerSpec::At(a), TriggerSpec::At(b)) => same_hours(a.hours(), b.hours()),
            (
                TriggerSpec::AfterInject { inject, delay },
                TriggerSpec::AfterInject {
                    inject: i2,
                    delay: d2,
                },
            ) => inject == i2 && same_hours(delay.hours(), d2.hours()),
            _ => false,
        };
        if !same && let Some(text) = ron_trigger(t) {
            edits.push(("trigger", text));
        }
    }
    if r.synopsis != inj.synopsis {
        edits.push(("synopsis", ron_str(&r.synopsis)));
    }
    if r.from != inj.from {
        edits.push(("from", ron_str(&r.from)));
    }
    if r.to != inj.to {
        edits.push(("to", ron_list(&r.to)));
    }
    if r.expected_action != inj.expected_action {
        edits.push(("expected_action", ron_str(&r.expected_action)));
    }
    if r.objectives != inj.objectives {
        edits.push(("objectives", ron_list(&r.objectives)));
    }
    if edits.is_empty() {
        return Ok((original.to_string(), false));
    }
    let st = ron_text::struct_fields(original)
        .ok_or_else(|| Error::Runtime(format!("inject `{}`: cannot read its text", inj.id)))?;
    // Replace from the back so earlier offsets stay valid; append absent fields.
    let mut text = original.to_string();
    let mut appended = Vec::new();
    let mut present: Vec<(usize, usize, String)> = Vec::new();
    for (name, value) in edits {
        match st.fields.iter().find(|f| f.name == name) {
            Some(f) => present.push((f.value.0, f.value.1, value)),
            None => appended.push(format!("{name}: {value}")),
        }
    }
    present.sort_by_key(|p| std::cmp::Reverse(p.0));
    for (a, b, v) in present {
        text.replace_range(a..b, &v);
    }
    if !appended.is_empty() {
        let close = text.rfind(')').unwrap_or(text.len());
        let head = text[..close].trim_end().to_string();
        let comma = if head.ends_with(',') || head.ends_with('(') {
            ""
        } else {
            ","
        };
        let mut add = String::new();
        for a in appended {
            let _ = write!(add, "\n{indent}    {a},");
        }
        text = format!("{head}{comma}{add}\n{indent}{}", &text[close..]);
    }
    Ok((text, true))
}

fn new_inject(r: &Row, indent: &str) -> String {
    let i2 = format!("{indent}    ");
    let mut t = String::from("(\n");
    let trigger = r
        .trigger
        .as_ref()
        .and_then(ron_trigger)
        .unwrap_or_else(|| "At(hours(0))".into());
    let _ = writeln!(t, "{i2}id: {},", ron_str(&r.id));
    let _ = writeln!(t, "{i2}number: {},", r.number);
    let _ = writeln!(t, "{i2}trigger: {trigger},");
    let _ = writeln!(t, "{i2}synopsis: {},", ron_str(&r.synopsis));
    let _ = writeln!(t, "{i2}// Imported from the MSEL: give it a model effect.");
    let _ = writeln!(t, "{i2}effect: Note,");
    let _ = writeln!(t, "{i2}from: {},", ron_str(&r.from));
    let _ = writeln!(t, "{i2}to: {},", ron_list(&r.to));
    let _ = writeln!(t, "{i2}expected_action: {},", ron_str(&r.expected_action));
    let _ = writeln!(t, "{i2}objectives: {},", ron_list(&r.objectives));
    let _ = write!(t, "{indent})");
    t
}

/// `tabletop import-msel CSV --into SCENARIO [--out FILE]`: import and check the result
/// (it must load as a valid scenario), then write it atomically. Returns the summary and the
/// path written.
pub fn import_file(
    csv_path: &Path,
    into: &Path,
    out: Option<&Path>,
) -> Result<(ImportSummary, std::path::PathBuf)> {
    let sc = super::load(into)?;
    let bytes = std::fs::read(csv_path).map_err(|e| Error::io(csv_path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let name = csv_path.display().to_string();
    let (new_text, summary) = import_msel(text, &name, &sc)?;
    let target = out.unwrap_or(into);
    // The result must be a valid scenario before anything is written.
    super::load_str(target, &new_text)?;
    crate::output::write_atomic(target, new_text.as_bytes())?;
    Ok((summary, target.to_path_buf()))
}

/// Just enough of RON's text structure to edit one field in place: strings, raw strings,
/// comments and nesting are skipped; values are byte spans of the source.
mod ron_text {
    /// A field `name: value` inside `( ... )`.
    pub(super) struct Field {
        pub name: String,
        /// Byte span of the value (trimmed).
        pub value: (usize, usize),
    }

    /// The fields of a struct, and where its closing parenthesis is.
    pub(super) struct Fields {
        pub fields: Vec<Field>,
        pub close: usize,
    }

    fn skip_ws(s: &[u8], mut i: usize) -> usize {
        loop {
            while i < s.len() && s[i].is_ascii_whitespace() {
                i += 1;
            }
            if s[i..].starts_with(b"//") {
                while i < s.len() && s[i] != b'\n' {
                    i += 1;
                }
            } else if s[i..].starts_with(b"/*") {
                let mut depth = 0;
                while i < s.len() {
                    if s[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if s[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            } else {
                return i;
            }
        }
    }

    /// Past a string, raw string or char literal starting at `i`, or None when none starts.
    fn skip_literal(s: &[u8], i: usize) -> Option<usize> {
        let mut j = i;
        if s[j] == b'b' && j + 1 < s.len() && (s[j + 1] == b'"' || s[j + 1] == b'r') {
            j += 1;
        }
        if s[j] == b'r' {
            let mut k = j + 1;
            let mut hashes = 0;
            while k < s.len() && s[k] == b'#' {
                hashes += 1;
                k += 1;
            }
            if k < s.len() && s[k] == b'"' && (hashes > 0 || j + 1 == k) {
                let mut end = b"\"".to_vec();
                end.extend(std::iter::repeat_n(b'#', hashes));
                let mut m = k + 1;
                while m < s.len() && !s[m..].starts_with(&end) {
                    m += 1;
                }
                return Some((m + end.len()).min(s.len()));
            }
            return None;
        }
        if s[j] == b'"' || s[j] == b'\'' {
            let q = s[j];
            let mut m = j + 1;
            while m < s.len() && s[m] != q {
                if s[m] == b'\\' {
                    m += 1;
                }
                m += 1;
            }
            return Some((m + 1).min(s.len()));
        }
        None
    }

    /// End (exclusive, trimmed) of the value starting at `i`: up to a comma or closing
    /// bracket at depth 0.
    fn value_end(s: &[u8], mut i: usize) -> usize {
        let mut depth = 0i32;
        let mut last = i;
        while i < s.len() {
            let j = skip_ws(s, i);
            if j != i {
                i = j;
                continue;
            }
            if let Some(e) = skip_literal(s, i) {
                i = e;
                last = i;
                continue;
            }
            match s[i] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    if depth == 0 {
                        return last;
                    }
                    depth -= 1;
                }
                b',' if depth == 0 => return last,
                _ => {}
            }
            i += 1;
            last = i;
        }
        last
    }

    /// Fields of the struct whose `(` is at `open`.
    fn fields_at(s: &[u8], open: usize) -> Option<Fields> {
        let mut i = open + 1;
        let mut fields = Vec::new();
        loop {
            i = skip_ws(s, i);
            if i >= s.len() {
                return None;
            }
            if s[i] == b')' {
                return Some(Fields { fields, close: i });
            }
            let start = i;
            while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
                i += 1;
            }
            if i == start {
                return None;
            }
            let name = String::from_utf8_lossy(&s[start..i]).into_owned();
            i = skip_ws(s, i);
            if s.get(i) != Some(&b':') {
                return None;
            }
            let v0 = skip_ws(s, i + 1);
            let v1 = value_end(s, v0);
            fields.push(Field {
                name,
                value: (v0, v1),
            });
            i = skip_ws(s, v1);
            if s.get(i) == Some(&b',') {
                i += 1;
            }
        }
    }

    /// The position of the `(` that opens the value at `i` (after an optional struct name).
    fn open_paren(s: &[u8], mut i: usize) -> Option<usize> {
        i = skip_ws(s, i);
        while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
            i += 1;
        }
        i = skip_ws(s, i);
        (s.get(i) == Some(&b'(')).then_some(i)
    }

    /// The top-level fields of a RON file (after `#![enable(...)]` attributes).
    pub(super) fn root_fields(src: &str) -> Option<Fields> {
        let s = src.as_bytes();
        let mut i = skip_ws(s, 0);
        while s[i..].starts_with(b"#!") {
            let e = value_end(s, i + 2);
            i = skip_ws(s, e);
        }
        fields_at(s, open_paren(s, i)?)
    }

    /// The fields of a struct value that is the whole of `text`.
    pub(super) fn struct_fields(text: &str) -> Option<Fields> {
        let s = text.as_bytes();
        fields_at(s, open_paren(s, 0)?)
    }

    /// The items of the list `src[a..b]` (`[ ... ]`), as trimmed byte spans.
    pub(super) fn list_items(src: &str, a: usize, b: usize) -> Option<Vec<(usize, usize)>> {
        let s = &src.as_bytes()[..b];
        if s.get(a) != Some(&b'[') {
            return None;
        }
        let mut i = a + 1;
        let mut out = Vec::new();
        loop {
            i = skip_ws(s, i);
            if i >= s.len() {
                return None;
            }
            if s[i] == b']' {
                return Some(out);
            }
            let e = value_end(s, i);
            out.push((i, e));
            i = skip_ws(s, e);
            if s.get(i) == Some(&b',') {
                i += 1;
            }
        }
    }
}
