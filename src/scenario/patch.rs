//! Variant and sweep changes: set or remove the value at a path, add list elements.
//!
//! # Paths
//!
//! A path names one value of the scenario, starting at a top-level field of the file:
//!
//! ```text
//! exercise.duration
//! agencies[fc_va].analysts               `[id]` picks the list element whose `id` is id
//! partnerships[fc_jttf].share_probability
//! channels[hsin].latency.median          steps into the variant: LogNormal(median: .., p95: ..)
//! threats[plot].deadline
//! injects[2].probability                 `[N]` picks element N (from 0) when no id equals N
//! agencies[fc_va].collection[Cyber]      `[key]` (or `.key`) picks a map entry
//! ```
//!
//! Segments are separated by `.`; `[..]` selects a list element by `id` (or by position, when
//! the text is a number that is no element's id) or a map entry by key. When a field is not
//! found directly, the path steps transparently into an enum variant written with fields, so
//! `latency.median` reaches the `median` of `LogNormal(median: .., p95: ..)` and
//! `trigger.delay` the `delay` of `AfterInject(inject: .., delay: ..)`. An absent optional
//! value (`None`) has no fields: set the whole value instead (`agencies[x].reliability`).
//!
//! # Values
//!
//! `Set(path, value)` takes the value as RON text, written exactly as in the file:
//! `"0.95"`, `"hours(2)"`, `"LogNormal(median: minutes(5), p95: hours(1))"`, `"Rigorous"`,
//! `"Some((mtbf: days(30), mttr: hours(4)))"` or just `"(mtbf: days(30), mttr: hours(4))"`,
//! `"None"`, `"[\"hsin\", \"phone\"]"`, `"{Cyber: 0.4}"`, `"\"text\""`. Struct names are not
//! written (`(id: ..)`, not `AgencySpec(id: ..)`). `Remove(path)` deletes a list element or a
//! map entry. `AddAgency(..)`, `AddChannel(..)`, `AddPartnership(..)`, `AddInject(..)` and
//! `AddInsider(..)` append a whole element. Changes apply in order; after each one the
//! scenario must still parse, and after all of them it is validated again.

use super::diagnostics::did_you_mean;
use super::schema::{ChangeSpec, ScenarioSpec};
use super::span::{self, Node, NodeKind};
use serde_json::{Map, Value};

/// Why a change could not be applied.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PatchError {
    /// One plain sentence.
    pub message: String,
    /// Optional did-you-mean.
    pub help: Option<String>,
    /// True when the value (not the path) is at fault.
    pub at_value: bool,
}

impl PatchError {
    fn new(message: impl Into<String>) -> Self {
        PatchError {
            message: message.into(),
            help: None,
            at_value: false,
        }
    }

    fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    /// `.name`
    Field(String),
    /// `[key]`: an element id, a position, or a map key.
    Key(String),
}

/// Split a path into segments; `a.b[c].d` → Field a, Field b, Key c, Field d.
pub(super) fn parse_path(path: &str) -> Result<Vec<Segment>, PatchError> {
    let mut segs = Vec::new();
    let mut rest = path.trim();
    if rest.is_empty() {
        return Err(PatchError::new("the path is empty"));
    }
    let mut first = true;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| PatchError::new(format!("unclosed `[` in path `{path}`")))?;
            let key = r[..close].trim();
            if key.is_empty() {
                return Err(PatchError::new(format!("empty `[]` in path `{path}`")));
            }
            segs.push(Segment::Key(key.to_string()));
            rest = &r[close + 1..];
        } else {
            let r = if first {
                rest
            } else {
                rest.strip_prefix('.').ok_or_else(|| {
                    PatchError::new(format!(
                        "expected `.` or `[` in path `{path}` before `{rest}`"
                    ))
                })?
            };
            let n = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..n];
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(PatchError::new(format!(
                    "bad field name `{name}` in path `{path}`"
                )));
            }
            segs.push(Segment::Field(name.to_string()));
            rest = &r[n..];
        }
        first = false;
    }
    Ok(segs)
}

/// Convert RON text to the JSON shape serde gives the scenario types, keeping enum tags:
/// `hours(2)` → `{"hours":2}`, `Rigorous` → `"Rigorous"`, `Some(x)` → x, `None` → null.
pub(super) fn ron_to_json(text: &str) -> Result<Value, PatchError> {
    let node = span::parse(text).map_err(|e| {
        PatchError::new(format!(
            "the value `{text}` is not valid RON: {}",
            e.message
        ))
    })?;
    node_to_json(&node)
}

fn node_to_json(node: &Node) -> Result<Value, PatchError> {
    Ok(match &node.kind {
        NodeKind::Ident(s) => match s.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "None" => Value::Null,
            _ => Value::String(s.clone()),
        },
        NodeKind::Str(s) => Value::String(s.clone()),
        NodeKind::Char(c) => Value::String(c.to_string()),
        NodeKind::Num(n) => number(n)?,
        NodeKind::Struct { name, fields } => {
            let mut m = Map::new();
            for (k, v) in fields {
                m.insert(k.clone(), node_to_json(v)?);
            }
            tagged(name, Value::Object(m))
        }
        NodeKind::Tuple { name, items } => match (name.as_deref(), items.len()) {
            (Some("Some"), 1) => node_to_json(&items[0])?,
            (None, 0) => Value::Null,
            (Some(n), 0) => Value::String(n.to_string()),
            (Some(_), 1) => tagged(name, node_to_json(&items[0])?),
            _ => {
                let arr = items
                    .iter()
                    .map(node_to_json)
                    .collect::<Result<Vec<_>, _>>()?;
                tagged(name, Value::Array(arr))
            }
        },
        NodeKind::Seq(items) => Value::Array(
            items
                .iter()
                .map(node_to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        NodeKind::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                let key = match &k.kind {
                    NodeKind::Ident(s) | NodeKind::Str(s) | NodeKind::Num(s) => s.clone(),
                    NodeKind::Char(c) => c.to_string(),
                    _ => {
                        return Err(PatchError::new(
                            "map keys must be names, strings or numbers",
                        ));
                    }
                };
                m.insert(key, node_to_json(v)?);
            }
            Value::Object(m)
        }
    })
}

fn tagged(name: &Option<String>, inner: Value) -> Value {
    match name {
        Some(n) => {
            let mut m = Map::new();
            m.insert(n.clone(), inner);
            Value::Object(m)
        }
        None => inner,
    }
}

fn number(text: &str) -> Result<Value, PatchError> {
    let bad = || PatchError::new(format!("`{text}` is not a finite number"));
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(p, r)| digits.strip_prefix(p).map(|d| (d, r)));
    if let Some((d, r)) = radix {
        let v = i64::from_str_radix(d, r).map_err(|_| bad())?;
        return Ok(Value::from(if neg { -v } else { v }));
    }
    if digits.chars().all(|c| c.is_ascii_digit()) {
        if let Ok(v) = text.trim_start_matches('+').parse::<i64>() {
            return Ok(Value::from(v));
        }
        if let Ok(v) = digits.parse::<u64>()
            && !neg
        {
            return Ok(Value::from(v));
        }
    }
    let v: f64 = text.parse().map_err(|_| bad())?;
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .ok_or_else(bad)
}

fn shown(segs: &[Segment]) -> String {
    let mut s = String::new();
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Segment::Field(f) if i == 0 => s.push_str(f),
            Segment::Field(f) => {
                s.push('.');
                s.push_str(f);
            }
            Segment::Key(k) => {
                s.push('[');
                s.push_str(k);
                s.push(']');
            }
        }
    }
    s
}

fn ids(arr: &[Value]) -> Vec<&str> {
    arr.iter()
        .filter_map(|e| e.get("id").and_then(Value::as_str))
        .collect()
}

/// Index of the element `key` selects in a list: by id first, then by position.
fn select(arr: &[Value], key: &str, at: &str) -> Result<usize, PatchError> {
    if let Some(i) = arr
        .iter()
        .position(|e| e.get("id").and_then(Value::as_str) == Some(key))
    {
        return Ok(i);
    }
    if let Ok(i) = key.parse::<usize>() {
        if i < arr.len() {
            return Ok(i);
        }
        return Err(PatchError::new(format!(
            "`{at}` has {} elements; there is no element {i}",
            arr.len()
        )));
    }
    let list = ids(arr);
    Err(
        PatchError::new(format!("`{at}` has no element with id \"{key}\""))
            .with_help(did_you_mean(key, list.iter().copied())),
    )
}

/// The object a field step applies to: `v` itself, or the contents of a single-key variant
/// wrapper `{"Variant": {..}}` when the field is not found directly. None when `v` is no object.
fn field_holder<'v>(v: &'v mut Value, field: &str) -> Option<&'v mut Map<String, Value>> {
    let obj = v.as_object()?;
    let step_in = if !obj.contains_key(field) && obj.len() == 1 {
        obj.iter()
            .next()
            .filter(|(_, v)| v.as_object().is_some_and(|m| m.contains_key(field)))
            .map(|(k, _)| k.clone())
    } else {
        None
    };
    match step_in {
        Some(k) => v.get_mut(&k)?.as_object_mut(),
        None => v.as_object_mut(),
    }
}

fn field_names(obj: &Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = obj.keys().cloned().collect();
    if obj.len() == 1
        && let Some(Value::Object(m)) = obj.values().next()
    {
        names.extend(m.keys().cloned());
    }
    names
}

fn step<'v>(v: &'v mut Value, seg: &Segment, at: &str) -> Result<&'v mut Value, PatchError> {
    match (v, seg) {
        (v @ Value::Object(_), Segment::Field(f) | Segment::Key(f)) => {
            let names = v.as_object().map(field_names).unwrap_or_default();
            field_holder(v, f)
                .and_then(|h| h.get_mut(f.as_str()))
                .ok_or_else(|| {
                    PatchError::new(format!("`{at}` has no field `{f}`"))
                        .with_help(did_you_mean(f, names.iter().map(String::as_str)))
                })
        }
        (Value::Array(arr), Segment::Key(k)) => {
            let i = select(arr, k, at)?;
            Ok(&mut arr[i])
        }
        (Value::Array(_), Segment::Field(f)) => Err(PatchError::new(format!(
            "`{at}` is a list: select an element with `{at}[id]` before `.{f}`"
        ))),
        (Value::Null, _) => Err(PatchError::new(format!(
            "`{at}` is None: set the whole value (e.g. `Set(\"{at}\", \"Some(..)\")`)"
        ))),
        (_, seg) => Err(PatchError::new(format!(
            "`{at}` is a plain value; it has no `{}`",
            shown(std::slice::from_ref(seg))
        ))),
    }
}

fn navigate<'v>(root: &'v mut Value, segs: &[Segment]) -> Result<&'v mut Value, PatchError> {
    let mut v = root;
    for (i, seg) in segs.iter().enumerate() {
        let at = shown(&segs[..i]);
        let at = if at.is_empty() {
            "the scenario".to_string()
        } else {
            at
        };
        v = step(v, seg, &at)?;
    }
    Ok(v)
}

/// Set the value at `path` in a JSON tree (a missing last field is created; the typed check
/// afterwards refuses it if the struct has no such field).
pub(super) fn set_json(root: &mut Value, path: &str, value: Value) -> Result<(), PatchError> {
    let segs = parse_path(path)?;
    let (last, parents) = segs
        .split_last()
        .ok_or_else(|| PatchError::new("the path is empty"))?;
    let parent = navigate(root, parents)?;
    let at = shown(parents);
    match (parent, last) {
        (p @ Value::Object(_), Segment::Field(f) | Segment::Key(f)) => {
            if let Some(holder) = field_holder(p, f) {
                holder.insert(f.clone(), value);
            }
            Ok(())
        }
        (Value::Array(arr), Segment::Key(k)) => {
            let i = select(arr, k, &at)?;
            arr[i] = value;
            Ok(())
        }
        (p, seg) => step(p, seg, &at).map(|_| ()),
    }
}

/// Remove the list element or map entry at `path` in a JSON tree.
pub(super) fn remove_json(root: &mut Value, path: &str) -> Result<(), PatchError> {
    let segs = parse_path(path)?;
    let (last, parents) = segs
        .split_last()
        .ok_or_else(|| PatchError::new("the path is empty"))?;
    let parent = navigate(root, parents)?;
    let at = shown(parents);
    match (parent, last) {
        (Value::Array(arr), Segment::Key(k)) => {
            let i = select(arr, k, &at)?;
            arr.remove(i);
            Ok(())
        }
        (p @ Value::Object(_), Segment::Field(f) | Segment::Key(f)) => {
            let names = p.as_object().map(field_names).unwrap_or_default();
            field_holder(p, f)
                .and_then(|h| h.remove(f.as_str()))
                .map(|_| ())
                .ok_or_else(|| {
                    PatchError::new(format!("`{at}` has no entry `{f}`"))
                        .with_help(did_you_mean(f, names.iter().map(String::as_str)))
                })
        }
        (p, seg) => step(p, seg, &at).map(|_| ()),
    }
}

/// The number at `path`: a plain number, or the number of a value with a unit
/// (`hours(4)` → 4, `per_day(0.2)` → 0.2); and whether it is a whole-number field.
pub(super) fn number_at(root: &mut Value, path: &str) -> Result<(f64, bool), PatchError> {
    let segs = parse_path(path)?;
    let v = navigate(root, &segs)?;
    let n = match v {
        Value::Number(n) => n,
        Value::Object(m) if m.len() == 1 => match m.values_mut().next() {
            Some(Value::Number(n)) => n,
            _ => return Err(not_a_number(path)),
        },
        Value::Null => {
            return Err(PatchError::new(format!(
                "`{path}` is not set in the scenario: write its value in the file first"
            )));
        }
        _ => return Err(not_a_number(path)),
    };
    let whole = n.is_i64() || n.is_u64();
    n.as_f64()
        .map(|x| (x, whole))
        .ok_or_else(|| not_a_number(path))
}

fn not_a_number(path: &str) -> PatchError {
    PatchError::new(format!(
        "`{path}` is not a number (nor a number with a unit such as hours(4))"
    ))
}

/// Set the number at `path` (see [`number_at`]), keeping its unit; a whole-number field
/// takes `x` rounded to the nearest whole number.
pub(super) fn set_number(root: &mut Value, path: &str, x: f64) -> Result<(), PatchError> {
    let segs = parse_path(path)?;
    let v = navigate(root, &segs)?;
    let slot = match v {
        Value::Object(m) if m.len() == 1 => {
            m.values_mut().next().ok_or_else(|| not_a_number(path))?
        }
        other => other,
    };
    let whole = matches!(slot, Value::Number(n) if n.is_i64() || n.is_u64());
    *slot = if whole {
        Value::from(x.round() as i64)
    } else {
        serde_json::Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| PatchError::new(format!("`{path}`: {x} is not a finite number")))?
    };
    Ok(())
}

/// The scenario as a JSON tree of its serde shape.
pub(super) fn spec_json(spec: &ScenarioSpec) -> Result<Value, PatchError> {
    to_json(spec)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, PatchError> {
    serde_json::to_value(v)
        .map_err(|e| PatchError::new(format!("the scenario cannot be represented: {e}")))
}

fn push(root: &mut Value, list: &str, item: Value) -> Result<(), PatchError> {
    match root.get_mut(list) {
        Some(Value::Array(arr)) => {
            arr.push(item);
            Ok(())
        }
        _ => Err(PatchError::new(format!(
            "the scenario has no list `{list}`"
        ))),
    }
}

/// Apply one change to a JSON tree of the scenario (no typed check).
pub(super) fn apply_json(root: &mut Value, change: &ChangeSpec) -> Result<(), PatchError> {
    match change {
        ChangeSpec::Set(path, text) => {
            let v = ron_to_json(text).map_err(|mut e| {
                e.at_value = true;
                e
            })?;
            set_json(root, path, v)
        }
        ChangeSpec::Remove(path) => remove_json(root, path),
        ChangeSpec::AddAgency(a) => push(root, "agencies", to_json(a)?),
        ChangeSpec::AddChannel(c) => push(root, "channels", to_json(c)?),
        ChangeSpec::AddPartnership(p) => push(root, "partnerships", to_json(p)?),
        ChangeSpec::AddInject(i) => push(root, "injects", to_json(i)?),
        ChangeSpec::AddInsider(i) => push(root, "insiders", to_json(i)?),
    }
}

/// Read a JSON tree back as a scenario, naming the path of the first bad value.
pub(super) fn from_json(root: &Value) -> Result<ScenarioSpec, PatchError> {
    serde_path_to_error::deserialize::<_, ScenarioSpec>(root).map_err(|e| {
        let path = id_path(root, e.path());
        let inner = planner_message(&e.into_inner().to_string());
        let mut e = PatchError::new(format!("after this change, `{path}`: {inner}"));
        e.at_value = true;
        e
    })
}

/// A serde path with list elements named by their id where they have one
/// (`injects[I-05].number`, not `injects[4].number`), as the planner wrote it.
fn id_path(root: &Value, path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment as S;
    let mut out = String::new();
    let mut at = Some(root);
    for seg in path.iter() {
        match seg {
            S::Seq { index } => {
                let elem = at.and_then(|v| v.get(*index));
                match elem.and_then(|e| e.get("id")).and_then(Value::as_str) {
                    Some(id) => out.push_str(&format!("[{id}]")),
                    None => out.push_str(&format!("[{index}]")),
                }
                at = elem;
            }
            S::Map { key } | S::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
                at = at.and_then(|v| v.get(key.as_str()));
            }
            S::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
                at = None;
            }
        }
    }
    if out.is_empty() {
        "the scenario".into()
    } else {
        out
    }
}

/// serde's "invalid type: string \"abc\", expected u32" in planner words:
/// "expected a whole number of 0 or more, found \"abc\"". Other messages pass unchanged.
fn planner_message(inner: &str) -> String {
    let Some(rest) = inner
        .strip_prefix("invalid type: ")
        .or_else(|| inner.strip_prefix("invalid value: "))
    else {
        return inner.to_string();
    };
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return inner.to_string();
    };
    let found = found
        .strip_prefix("string ")
        .or_else(|| found.strip_prefix("integer "))
        .or_else(|| found.strip_prefix("floating point "))
        .map(|v| v.trim_matches('`').to_string())
        .unwrap_or_else(|| found.to_string());
    format!(
        "expected {}, found {found}",
        super::structure::planner_expected(expected)
    )
}

/// Apply `changes` in order; on failure, the index of the change and why.
pub(super) fn apply(
    spec: &ScenarioSpec,
    changes: &[ChangeSpec],
) -> Result<ScenarioSpec, (usize, PatchError)> {
    let mut root = to_json(spec).map_err(|e| (0, e))?;
    // Fast path: apply every change, read back once; on failure, replay one by one to find
    // the change at fault.
    let mut fast = root.clone();
    if changes.iter().all(|c| apply_json(&mut fast, c).is_ok())
        && let Ok(s) = from_json(&fast)
    {
        return Ok(s);
    }
    let mut out = spec.clone();
    for (i, change) in changes.iter().enumerate() {
        let before = root.clone();
        apply_json(&mut root, change).map_err(|e| (i, e))?;
        match from_json(&root) {
            Ok(s) => out = s,
            Err(e) => {
                // A created field the struct does not have: say so with a did-you-mean.
                if let ChangeSpec::Set(path, _) = change
                    && let Ok(segs) = parse_path(path)
                    && let Some((Segment::Field(f) | Segment::Key(f), parents)) = segs.split_last()
                    && let Ok(mut parent) = navigate(&mut before.clone(), parents).cloned()
                    && let Some(obj) = parent.as_object().cloned()
                    && field_holder(&mut parent, f).is_some_and(|h| !h.contains_key(f.as_str()))
                {
                    let names = field_names(&obj);
                    let at = shown(parents);
                    return Err((
                        i,
                        PatchError::new(format!("`{at}` has no field `{f}`"))
                            .with_help(did_you_mean(f, names.iter().map(String::as_str))),
                    ));
                }
                return Err((i, e));
            }
        }
    }
    Ok(out)
}

/// Like [`apply`], but on failure goes on past the change at fault (leaving it out) so that
/// every change that cannot apply is reported in one pass: the index of each, in order. A
/// change that depends on one left out (a `Set` on a partnership whose `AddPartnership`
/// failed) is reported too.
pub(super) fn apply_all(
    spec: &ScenarioSpec,
    changes: &[ChangeSpec],
) -> Result<ScenarioSpec, Vec<(usize, PatchError)>> {
    if let Err(e) = to_json(spec) {
        return Err(vec![(0, e)]);
    }
    let mut errors: Vec<(usize, PatchError)> = Vec::new();
    let mut left_out: Vec<usize> = Vec::new();
    loop {
        let kept: Vec<usize> = (0..changes.len())
            .filter(|i| !left_out.contains(i))
            .collect();
        let rest: Vec<ChangeSpec> = kept.iter().map(|&i| changes[i].clone()).collect();
        match apply(spec, &rest) {
            Ok(s) if errors.is_empty() => return Ok(s),
            Ok(_) => break,
            Err((j, e)) => {
                let Some(&i) = kept.get(j) else {
                    errors.push((j, e));
                    break;
                };
                let stuck = left_out.contains(&i) || rest.is_empty();
                errors.push((i, e));
                if stuck {
                    break;
                }
                left_out.push(i);
            }
        }
    }
    errors.sort_by_key(|(i, _)| *i);
    Err(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ron_values_keep_their_enum_tags() {
        assert_eq!(ron_to_json("hours(2)").unwrap(), json!({"hours": 2}));
        assert_eq!(
            ron_to_json("LogNormal(median: minutes(5), p95: hours(1))").unwrap(),
            json!({"LogNormal": {"median": {"minutes": 5}, "p95": {"hours": 1}}})
        );
        assert_eq!(ron_to_json("Rigorous").unwrap(), json!("Rigorous"));
        assert_eq!(ron_to_json("Some(0.5)").unwrap(), json!(0.5));
        assert_eq!(ron_to_json("None").unwrap(), Value::Null);
        assert_eq!(
            ron_to_json("(a: 1, b: true)").unwrap(),
            json!({"a": 1, "b": true})
        );
        assert_eq!(ron_to_json("[\"x\", 'y']").unwrap(), json!(["x", "y"]));
        assert_eq!(
            ron_to_json("{Cyber: 0.25}").unwrap(),
            json!({"Cyber": 0.25})
        );
        assert_eq!(ron_to_json("-1_000").unwrap(), json!(-1000));
    }

    #[test]
    fn non_finite_or_malformed_values_are_refused() {
        assert!(ron_to_json("inf").is_err());
        assert!(ron_to_json("1e999").is_err());
        assert!(ron_to_json("(a: ").is_err());
    }

    #[test]
    fn paths_split_into_fields_and_keys() {
        assert_eq!(
            parse_path("agencies[fc_va].collection[Cyber]").unwrap(),
            vec![
                Segment::Field("agencies".into()),
                Segment::Key("fc_va".into()),
                Segment::Field("collection".into()),
                Segment::Key("Cyber".into()),
            ]
        );
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[b").is_err());
        assert!(parse_path("").is_err());
    }

    fn tree() -> Value {
        json!({
            "channels": [{"id": "hsin", "latency": {"LogNormal": {"median": {"minutes": 5}, "p95": {"hours": 1}}}}],
            "agencies": [{"id": "a", "analysts": 2, "reliability": null}, {"id": "b", "analysts": 3}],
        })
    }

    #[test]
    fn set_selects_by_id_and_steps_into_variants() {
        let mut t = tree();
        set_json(&mut t, "agencies[b].analysts", json!(9)).unwrap();
        set_json(&mut t, "channels[hsin].latency.median", json!({"hours": 2})).unwrap();
        set_json(&mut t, "agencies[0].analysts", json!(7)).unwrap();
        assert_eq!(t["agencies"][1]["analysts"], json!(9));
        assert_eq!(t["agencies"][0]["analysts"], json!(7));
        assert_eq!(
            t["channels"][0]["latency"]["LogNormal"]["median"],
            json!({"hours": 2})
        );
    }

    #[test]
    fn unknown_ids_and_fields_get_a_did_you_mean() {
        let mut t = tree();
        let e = set_json(&mut t, "agencies[bb].analysts", json!(1)).unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean \"b\"?"));
        let e = set_json(&mut t, "agencie[b].analysts", json!(1)).unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean \"agencies\"?"));
        let e = set_json(&mut t, "agencies[a].reliability.mtbf", json!(1)).unwrap_err();
        assert!(e.message.contains("is None"), "{}", e.message);
    }

    #[test]
    fn remove_deletes_a_list_element() {
        let mut t = tree();
        remove_json(&mut t, "agencies[a]").unwrap();
        assert_eq!(t["agencies"].as_array().unwrap().len(), 1);
        assert!(remove_json(&mut t, "agencies[zz]").is_err());
    }
}
