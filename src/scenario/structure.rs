//! Every structural error of a scenario file in one pass, in a planner's words.
//!
//! serde stops at the first error. Here the file's value tree (parsed with spans by
//! [`super::span`]) is deserialized into the real [`ScenarioSpec`] through a deserializer of
//! our own, so the schema is always the one in `schema.rs` (no hand-written copy to drift).
//! Each error is recorded at its node's span, the tree is repaired at that node, and the
//! deserialization is tried again, until it succeeds or [`MAX_ERRORS`] are found:
//! - an unknown field is renamed to its did-you-mean when that field is not written (so the
//!   value is checked too), else removed;
//! - a missing required field is added as a *wildcard*;
//! - a value of the wrong type or an unknown variant becomes a wildcard.
//!
//! A wildcard deserializes as a neutral value of whatever type is asked (0, "", false, an
//! empty list, a struct of wildcards, the first variant of an enum); an error raised inside a
//! wildcard widens the wildcard to its parent and is not reported.
//!
//! Paths name list elements by their `id` where they have one (`injects[I-05].time`).

use super::diagnostics::did_you_mean;
use super::schema::ScenarioSpec;
use super::span::{Node, NodeKind};
use serde::de::{self, DeserializeSeed, Deserializer as _, IntoDeserializer, Visitor};
use std::fmt;

/// Most structural errors collected from one file.
pub(super) const MAX_ERRORS: usize = 100;

/// Most repair-and-retry passes (each error needs one; wildcards widening need a few more).
const MAX_PASSES: usize = 400;

/// Most nodes read over all passes (a huge file with many errors gets fewer passes).
const WORK_BUDGET: usize = 20_000_000;

fn count_nodes(node: &Node) -> usize {
    1 + match &node.kind {
        NodeKind::Struct { fields, .. } => fields.iter().map(|f| count_nodes(&f.1)).sum(),
        NodeKind::Tuple { items, .. } | NodeKind::Seq(items) => items.iter().map(count_nodes).sum(),
        NodeKind::Map(e) => e.iter().map(|(k, v)| count_nodes(k) + count_nodes(v)).sum(),
        _ => 0,
    }
}

/// The identifier that marks a wildcard node (cannot come from parsing).
const WILD: &str = "\u{0}wild";

/// One structural error, placed.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    /// Byte span of the culprit.
    pub span: (usize, usize),
    /// One plain sentence.
    pub message: String,
    /// Optional hint (did-you-mean, the valid names).
    pub help: Option<String>,
}

/// What the structural pass found: every error, the index paths (as used by `validate.rs`)
/// of the values repaired, and the repaired spec when the repairs let it deserialize.
#[derive(Debug)]
pub(super) struct Structural {
    /// Errors in the order found.
    pub errors: Vec<Found>,
    /// Index paths (`agencies[3].analysts`) of the values repaired.
    pub repaired: Vec<String>,
    /// The spec with wildcards in place of the repaired values.
    pub spec: Option<ScenarioSpec>,
    /// The same with the wildcards' second values (numbers 10⁶ instead of 0, `true`, text
    /// `"?"`): a semantic problem found in both specs does not come from the wildcards.
    pub alternative: Option<ScenarioSpec>,
}

/// Check `root` (parsed from `source`) against the schema, collecting every structural error.
pub(super) fn check(root: &Node, source: &str) -> Structural {
    let mut tree = root.clone();
    let mut errors: Vec<Found> = Vec::new();
    let mut repaired = Vec::new();
    // Each pass reads the whole tree: bound the total work on a huge file.
    let passes = (WORK_BUDGET / count_nodes(root).max(1)).clamp(1, MAX_PASSES);
    for _ in 0..passes {
        let de = NodeDe {
            node: &tree,
            at: Place::root(false),
        };
        let e = match <ScenarioSpec as serde::Deserialize>::deserialize(de) {
            Ok(spec) => {
                let de = NodeDe {
                    node: &tree,
                    at: Place::root(true),
                };
                let alternative = <ScenarioSpec as serde::Deserialize>::deserialize(de).ok();
                return Structural {
                    errors,
                    repaired,
                    spec: Some(spec),
                    alternative,
                };
            }
            Err(e) => e,
        };
        let Some(place) = e.place.as_deref().cloned() else {
            break;
        };
        let in_wild = is_wild_within(&tree, &place.addr);
        if !in_wild {
            let mut found = e.found(&place);
            if let Some(len) = place.key {
                // A field name: its span is the name written before the value.
                let name = place.path.rsplit('.').next().unwrap_or_default();
                if let Some(pos) = source.get(..place.span.0).and_then(|s| s.rfind(name)) {
                    found.span = (pos, pos + len);
                }
            }
            if !errors.contains(&found) {
                errors.push(found);
            }
            repaired.push(place.index_path.clone());
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
        match repair(&mut tree, &place, &e.kind, in_wild) {
            Some(widened) => repaired.extend(widened),
            None => break,
        }
    }
    Structural {
        errors,
        repaired,
        spec: None,
        alternative: None,
    }
}

/// One step from a node to a child.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// Field `i` of a struct.
    Field(usize),
    /// Element `i` of a list or tuple.
    Item(usize),
    /// Key of map entry `i`.
    Key(usize),
    /// Value of map entry `i`.
    Value(usize),
}

/// Where a node sits: its address in the tree, its planner path, its index path and span.
#[derive(Debug, Clone)]
struct Place {
    addr: Vec<Step>,
    /// `injects[I-05].trigger` (list elements by id).
    path: String,
    /// `injects[4].trigger` (as `validate.rs` and `SpanIndex` name it).
    index_path: String,
    span: (usize, usize),
    /// For a field name (not its value): the name's length; the name ends before `span.0`.
    key: Option<usize>,
    /// Wildcards take their second set of neutral values (see [`Structural::alternative`]).
    alt: bool,
}

impl Place {
    fn root(alt: bool) -> Place {
        Place {
            addr: Vec::new(),
            path: String::new(),
            index_path: String::new(),
            span: (0, 0),
            key: None,
            alt,
        }
    }

    fn child(&self, step: Step, shown: &str, indexed: &str, node: &Node) -> Place {
        let mut addr = self.addr.clone();
        addr.push(step);
        Place {
            addr,
            path: format!("{}{shown}", self.path),
            index_path: format!("{}{indexed}", self.index_path),
            span: (node.start, node.end),
            key: None,
            alt: self.alt,
        }
    }

    fn field(&self, i: usize, name: &str, node: &Node) -> Place {
        let dot = if self.path.is_empty() { "" } else { "." };
        let idot = if self.index_path.is_empty() { "" } else { "." };
        self.child(
            Step::Field(i),
            &format!("{dot}{name}"),
            &format!("{idot}{name}"),
            node,
        )
    }
}

/// What went wrong, as far as repairing needs to know.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Field not in the struct (with the struct's field names).
    UnknownField(String, &'static [&'static str]),
    /// A required field is not written.
    MissingField(&'static str),
    /// A field is written twice.
    DuplicateField(&'static str),
    /// A variant name that is not one of the enum's.
    UnknownVariant(String, &'static [&'static str]),
    /// Anything else: the value is wrong.
    Value(String),
}

/// The error type of the tree deserializer: a kind, and the place of the innermost node it
/// came from (attached on the way out).
#[derive(Debug, Clone)]
struct TreeError {
    kind: Kind,
    place: Option<Box<Place>>,
    /// Planner name of the struct or enum concerned (`agency`, `threat kind`).
    what: Option<String>,
    /// A hint for a `Value` error.
    help: Option<String>,
}

impl TreeError {
    fn value(message: impl Into<String>) -> TreeError {
        TreeError {
            kind: Kind::Value(message.into()),
            place: None,
            what: None,
            help: None,
        }
    }

    fn help(mut self, help: String) -> TreeError {
        self.help = Some(help);
        self
    }

    /// Attach `place` (and the struct or enum name) if no inner node claimed the error.
    /// (The struct or enum name is taken from the innermost struct or enum that names one:
    /// an unknown field is raised at the field, its struct is named one level up.)
    fn at(mut self, place: &Place, what: Option<&str>) -> TreeError {
        if self.place.is_none() {
            self.place = Some(Box::new(place.clone()));
        }
        if self.what.is_none()
            && let Some(w) = what.filter(|w| !w.is_empty())
        {
            self.what = Some(planner_name(w));
        }
        self
    }

    fn found(&self, place: &Place) -> Found {
        let what = self.what.clone().unwrap_or_else(|| "value".to_string());
        let at = |p: &str| {
            if p.is_empty() {
                String::new()
            } else {
                format!(" (at `{p}`)")
            }
        };
        let parent = place
            .path
            .rsplit_once('.')
            .map_or(String::new(), |(p, _)| p.to_string());
        let (message, help) = match &self.kind {
            Kind::UnknownField(f, expected) => (
                format!("{} has no field `{f}`{}", a_an(&what), at(&parent)),
                Some(
                    did_you_mean(f, expected.iter().copied())
                        .unwrap_or_else(|| format!("its fields are: {}", expected.join(", "))),
                ),
            ),
            Kind::MissingField(f) => (
                format!(
                    "{} needs the field `{f}`, which is missing{}",
                    a_an(&what),
                    at(&place.path)
                ),
                Some(format!("add `{f}: ...` to this {what}")),
            ),
            Kind::DuplicateField(f) => (
                format!("the field `{f}` is written twice{}", at(&parent)),
                Some("keep one of them".to_string()),
            ),
            Kind::UnknownVariant(v, expected) => {
                let list = expected.join(", ");
                (
                    format!("unknown {what} `{v}`{}", at(&place.path)),
                    Some(match did_you_mean(v, expected.iter().copied()) {
                        Some(h) => format!("{h} The valid ones are: {list}"),
                        None => format!("the valid ones are: {list}"),
                    }),
                )
            }
            Kind::Value(m) => (format!("{m}{}", at(&place.path)), self.help.clone()),
        };
        Found {
            span: place.span,
            message,
            help,
        }
    }
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)
    }
}

impl std::error::Error for TreeError {}

impl de::Error for TreeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TreeError::value(msg.to_string())
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        TreeError::value(format!(
            "expected {}, found {}",
            planner_expected(&exp.to_string()),
            planner_unexpected(&unexp)
        ))
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self::invalid_type(unexp, exp)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        TreeError {
            kind: Kind::UnknownVariant(variant.to_string(), expected),
            place: None,
            what: None,
            help: None,
        }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        TreeError {
            kind: Kind::UnknownField(field.to_string(), expected),
            place: None,
            what: None,
            help: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        TreeError {
            kind: Kind::MissingField(field),
            place: None,
            what: None,
            help: None,
        }
    }

    fn duplicate_field(field: &'static str) -> Self {
        TreeError {
            kind: Kind::DuplicateField(field),
            place: None,
            what: None,
            help: None,
        }
    }
}

/// `AgencySpec` → `agency`, `ThreatKind` → `threat kind`, `Dist` → `distribution`.
fn planner_name(rust: &str) -> String {
    let base = rust.strip_suffix("Spec").unwrap_or(rust);
    if base == "Dist" {
        return "distribution".to_string();
    }
    if base == "Tlp" {
        return "TLP marking".to_string();
    }
    let mut out = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    if out.is_empty() { "value".into() } else { out }
}

fn a_an(what: &str) -> String {
    let art = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{art} {what}")
}

/// serde's names of expected types in planner words.
pub(super) fn planner_expected(exp: &str) -> String {
    match exp {
        "f64" | "f32" => "a number".into(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number of 0 or more".into(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number".into(),
        "a string" | "a borrowed string" => "text in quotes".into(),
        "a boolean" => "true or false".into(),
        "a character" => "a character in single quotes".into(),
        "a sequence" => "a list [..]".into(),
        "a map" => "a map {..}".into(),
        other => match other.strip_prefix("struct ") {
            Some(name) => format!(
                "{} written as (field: value, ...)",
                a_an(&planner_name(name))
            ),
            None => match other.strip_prefix("enum ") {
                Some(name) => a_an(&planner_name(name)),
                None => other.trim_start_matches("expected ").to_string(),
            },
        },
    }
}

fn planner_unexpected(u: &de::Unexpected<'_>) -> String {
    use de::Unexpected as U;
    match u {
        U::Str(s) => format!("\"{s}\""),
        U::Float(f) => format!("{f}"),
        U::Signed(i) => format!("{i}"),
        U::Unsigned(i) => format!("{i}"),
        U::Bool(b) => format!("{b}"),
        U::Char(c) => format!("'{c}'"),
        U::Unit => "()".into(),
        U::Seq => "a list".into(),
        U::Map => "a map".into(),
        other => other.to_string(),
    }
}

/// How a node reads in a message: `"high"`, `4`, `Cyber`, `days(4)`, `a list`.
fn describe(node: &Node) -> String {
    match &node.kind {
        NodeKind::Str(s) => format!("\"{s}\""),
        NodeKind::Char(c) => format!("'{c}'"),
        NodeKind::Num(n) => n.clone(),
        NodeKind::Ident(i) => i.clone(),
        NodeKind::Struct { name: Some(n), .. } | NodeKind::Tuple { name: Some(n), .. } => {
            format!("{n}(...)")
        }
        NodeKind::Struct { name: None, .. } => "(field: value, ...)".into(),
        NodeKind::Tuple { name: None, items } if items.is_empty() => "()".into(),
        NodeKind::Tuple { name: None, .. } => "(...)".into(),
        NodeKind::Seq(_) => "a list [..]".into(),
        NodeKind::Map(_) => "a map {..}".into(),
    }
}

fn is_wild(node: &Node) -> bool {
    matches!(&node.kind, NodeKind::Ident(i) if i == WILD)
}

fn wild_like(node: &Node) -> Node {
    Node {
        start: node.start,
        end: node.end,
        kind: NodeKind::Ident(WILD.to_string()),
    }
}

/// Whether the node at `addr`, or one of its ancestors, is a wildcard.
fn is_wild_within(root: &Node, addr: &[Step]) -> bool {
    let mut node = root;
    if is_wild(node) {
        return true;
    }
    for step in addr {
        match child(node, *step) {
            Some(n) => node = n,
            None => return true,
        }
        if is_wild(node) {
            return true;
        }
    }
    false
}

fn child(node: &Node, step: Step) -> Option<&Node> {
    match (&node.kind, step) {
        (NodeKind::Struct { fields, .. }, Step::Field(i)) => fields.get(i).map(|f| &f.1),
        (NodeKind::Tuple { items, .. } | NodeKind::Seq(items), Step::Item(i)) => items.get(i),
        (NodeKind::Map(e), Step::Key(i)) => e.get(i).map(|e| &e.0),
        (NodeKind::Map(e), Step::Value(i)) => e.get(i).map(|e| &e.1),
        _ => None,
    }
}

fn child_mut(node: &mut Node, step: Step) -> Option<&mut Node> {
    match (&mut node.kind, step) {
        (NodeKind::Struct { fields, .. }, Step::Field(i)) => fields.get_mut(i).map(|f| &mut f.1),
        (NodeKind::Tuple { items, .. } | NodeKind::Seq(items), Step::Item(i)) => items.get_mut(i),
        (NodeKind::Map(e), Step::Key(i)) => e.get_mut(i).map(|e| &mut e.0),
        (NodeKind::Map(e), Step::Value(i)) => e.get_mut(i).map(|e| &mut e.1),
        _ => None,
    }
}

fn node_at<'de>(root: &'de mut Node, addr: &[Step]) -> Option<&'de mut Node> {
    let mut node = root;
    for step in addr {
        node = child_mut(node, *step)?;
    }
    Some(node)
}

/// Repair the tree at the error's node: `Some(index paths of values widened to wildcards)`,
/// `None` when nothing could change.
fn repair(tree: &mut Node, place: &Place, kind: &Kind, in_wild: bool) -> Option<Vec<String>> {
    repair_node(tree, place, kind, in_wild)
        .map(|w| w.map(|a| index_path(tree, &a)).into_iter().collect())
}

/// The index path (`agencies[3].kind`) of the node at `addr`.
fn index_path(root: &Node, addr: &[Step]) -> String {
    let mut out = String::new();
    let mut node = root;
    for step in addr {
        let seg = match (&node.kind, step) {
            (NodeKind::Struct { fields, .. }, Step::Field(i)) => {
                let name = fields.get(*i).map_or("?", |f| f.0.as_str());
                if out.is_empty() {
                    name.to_string()
                } else {
                    format!(".{name}")
                }
            }
            (NodeKind::Seq(_), Step::Item(i)) => format!("[{i}]"),
            (NodeKind::Tuple { name, .. }, Step::Item(_)) if name.as_deref() == Some("Some") => {
                String::new()
            }
            (NodeKind::Tuple { .. }, Step::Item(i)) => format!(".{i}"),
            (NodeKind::Map(e), Step::Key(i) | Step::Value(i)) => {
                format!("[{}]", e.get(*i).map_or("?".into(), |e| key_text(&e.0)))
            }
            _ => break,
        };
        out.push_str(&seg);
        match child(node, *step) {
            Some(n) => node = n,
            None => break,
        }
    }
    out
}

/// [`repair`] proper: `Some(Some(addr))` when a wildcard was widened to `addr`.
fn repair_node(
    tree: &mut Node,
    place: &Place,
    kind: &Kind,
    in_wild: bool,
) -> Option<Option<Vec<Step>>> {
    let addr = &place.addr;
    if in_wild {
        // Widen: the wildcard's parent (or the culprit's) becomes a wildcard.
        let mut cut = addr.len();
        {
            let mut node: &Node = tree;
            for (i, step) in addr.iter().enumerate() {
                if is_wild(node) {
                    cut = i;
                    break;
                }
                match child(node, *step) {
                    Some(n) => node = n,
                    None => {
                        cut = i;
                        break;
                    }
                }
            }
        }
        if cut == 0 {
            return None;
        }
        let parent = &addr[..cut - 1];
        return match node_at(tree, parent) {
            Some(n) if !is_wild(n) => {
                *n = wild_like(n);
                Some(Some(parent.to_vec()))
            }
            _ => None,
        };
    }
    match kind {
        Kind::UnknownField(f, expected) => {
            let Some((Step::Field(i), parent)) = addr.split_last() else {
                return None;
            };
            let Some(NodeKind::Struct { fields, .. }) = node_at(tree, parent).map(|n| &mut n.kind)
            else {
                return None;
            };
            if *i >= fields.len() {
                return None;
            }
            let near = expected
                .iter()
                .copied()
                .filter(|c| !fields.iter().any(|(n, _)| n == c))
                .collect::<Vec<_>>();
            match did_you_mean(f, near.iter().copied()) {
                Some(h) => {
                    // `did you mean "trust"?` → rename to `trust`.
                    let name = h.split('"').nth(1).unwrap_or_default().to_string();
                    fields[*i].0 = name;
                }
                None => {
                    fields.remove(*i);
                }
            }
            Some(None)
        }
        Kind::DuplicateField(_) => {
            let Some((Step::Field(i), parent)) = addr.split_last() else {
                return None;
            };
            match node_at(tree, parent).map(|n| &mut n.kind) {
                Some(NodeKind::Struct { fields, .. }) if *i < fields.len() => {
                    fields.remove(*i);
                    Some(None)
                }
                _ => None,
            }
        }
        Kind::MissingField(f) => match node_at(tree, addr) {
            Some(n) => {
                let wild = wild_like(n);
                let was_wild = is_wild(n);
                match &mut n.kind {
                    NodeKind::Struct { fields, .. } => {
                        fields.push((f.to_string(), wild));
                        Some(None)
                    }
                    NodeKind::Tuple { name, items } if items.is_empty() => {
                        n.kind = NodeKind::Struct {
                            name: name.take(),
                            fields: vec![(f.to_string(), wild)],
                        };
                        Some(None)
                    }
                    _ if !was_wild => {
                        *n = wild;
                        Some(None)
                    }
                    _ => None,
                }
            }
            None => None,
        },
        Kind::UnknownVariant(..) | Kind::Value(_) => {
            // A map key that is wrong: drop the entry (a wildcard key would collide).
            if let Some((Step::Key(i), parent)) = addr.split_last()
                && let Some(NodeKind::Map(entries)) = node_at(tree, parent).map(|n| &mut n.kind)
                && *i < entries.len()
            {
                entries.remove(*i);
                return Some(None);
            }
            match node_at(tree, addr) {
                Some(n) if !is_wild(n) => {
                    *n = wild_like(n);
                    Some(None)
                }
                _ => None,
            }
        }
    }
}

/// A deserializer over one node of the tree.
struct NodeDe<'de> {
    node: &'de Node,
    at: Place,
}

type R<T> = Result<T, TreeError>;

impl<'de> NodeDe<'de> {
    fn mismatch<T>(&self, expected: &str) -> R<T> {
        Err(TreeError::value(format!(
            "expected {expected}, found {}",
            describe(self.node)
        )))
    }

    fn wild(&self) -> bool {
        is_wild(self.node)
    }

    fn number(&self) -> Option<&str> {
        match &self.node.kind {
            NodeKind::Num(n) => Some(n.as_str()),
            _ => None,
        }
    }

    fn signed<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        if self.wild() {
            return de::Deserializer::deserialize_i64(WildDe { at: self.at }, v);
        }
        let r = match self.number() {
            Some(n) => match parse_int(n) {
                Some(Int::U(u)) => v.visit_u64(u),
                Some(Int::I(i)) => v.visit_i64(i),
                None => self.mismatch("a whole number"),
            },
            None => self.mismatch("a whole number"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn unsigned<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        if self.wild() {
            return de::Deserializer::deserialize_u64(WildDe { at: self.at }, v);
        }
        let r = match self.number() {
            Some(n) => match parse_int(n) {
                Some(Int::U(u)) => v.visit_u64(u),
                Some(Int::I(_)) => self.mismatch("a whole number of 0 or more"),
                // All digits, yet not a u64: too large.
                None if n
                    .trim_start_matches('+')
                    .bytes()
                    .all(|b| b.is_ascii_digit()) =>
                {
                    self.mismatch("a whole number of 0 or more (this one is out of range)")
                }
                None => self.mismatch("a whole number of 0 or more"),
            },
            None => self.mismatch("a whole number of 0 or more"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn float<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        if self.wild() {
            return de::Deserializer::deserialize_f64(WildDe { at: self.at }, v);
        }
        let r = match self.number().and_then(parse_float) {
            Some(f) => v.visit_f64(f),
            None => self.mismatch("a number"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    /// Elements of a list or tuple as a sequence access.
    fn seq<V: Visitor<'de>>(self, items: &'de [Node], v: V, tuple: bool) -> R<V::Value> {
        let access = SeqAccess {
            items,
            i: 0,
            parent: self.at.clone(),
            tuple,
        };
        v.visit_seq(access)
            .map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn struct_fields<V: Visitor<'de>>(
        self,
        fields: &'de [(String, Node)],
        v: V,
        name: &str,
    ) -> R<V::Value> {
        let access = StructAccess {
            fields,
            i: 0,
            parent: self.at.clone(),
        };
        v.visit_map(access)
            .map_err(|e: TreeError| e.at(&self.at, Some(name)))
    }
}

enum Int {
    U(u64),
    I(i64),
}

fn parse_int(n: &str) -> Option<Int> {
    let (neg, body) = match n.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, n.strip_prefix('+').unwrap_or(n)),
    };
    let u = if let Some(h) = body.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()?
    } else if let Some(b) = body.strip_prefix("0b") {
        u64::from_str_radix(b, 2).ok()?
    } else if let Some(o) = body.strip_prefix("0o") {
        u64::from_str_radix(o, 8).ok()?
    } else {
        body.parse::<u64>().ok()?
    };
    if neg {
        if u == 0 {
            Some(Int::U(0))
        } else {
            i64::try_from(u).ok().map(|i| Int::I(-i))
        }
    } else {
        Some(Int::U(u))
    }
}

fn parse_float(n: &str) -> Option<f64> {
    match n {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => match parse_int(n) {
            Some(Int::U(u)) if !n.contains(['.', 'e', 'E']) => Some(u as f64),
            Some(Int::I(i)) if !n.contains(['.', 'e', 'E']) => Some(i as f64),
            _ => n.parse::<f64>().ok(),
        },
    }
}

macro_rules! forward_signed {
    ($($m:ident)*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
            self.signed(v)
        }
    )*};
}
macro_rules! forward_unsigned {
    ($($m:ident)*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
            self.unsigned(v)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let at = self.at.clone();
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at }.deserialize_any(v),
            NodeKind::Ident(i) if i == "true" => v.visit_bool(true),
            NodeKind::Ident(i) if i == "false" => v.visit_bool(false),
            NodeKind::Ident(i) if i == "None" => v.visit_none(),
            NodeKind::Ident(i) => v.visit_str(i),
            NodeKind::Str(s) => v.visit_str(s),
            NodeKind::Char(c) => v.visit_char(*c),
            NodeKind::Num(n) => match parse_int(n) {
                Some(Int::U(u)) if !n.contains(['.', 'e', 'E']) => v.visit_u64(u),
                Some(Int::I(i)) if !n.contains(['.', 'e', 'E']) => v.visit_i64(i),
                _ => match parse_float(n) {
                    Some(f) => v.visit_f64(f),
                    None => self.mismatch("a number"),
                },
            },
            NodeKind::Tuple {
                name: Some(n),
                items,
            } if n == "Some" && items.len() == 1 => v.visit_some(NodeDe {
                node: &items[0],
                at: self.at.clone(),
            }),
            NodeKind::Tuple { name: Some(_), .. } | NodeKind::Struct { name: Some(_), .. } => v
                .visit_map(NamedAccess {
                    node: self.node,
                    at: self.at.clone(),
                    done: false,
                }),
            NodeKind::Struct { name: None, fields } => v.visit_map(StructAccess {
                fields,
                i: 0,
                parent: self.at.clone(),
            }),
            NodeKind::Tuple { name: None, items } if items.is_empty() => v.visit_unit(),
            NodeKind::Tuple { name: None, items } | NodeKind::Seq(items) => {
                v.visit_seq(SeqAccess {
                    items,
                    i: 0,
                    parent: self.at.clone(),
                    tuple: matches!(self.node.kind, NodeKind::Tuple { .. }),
                })
            }
            NodeKind::Map(entries) => v.visit_map(MapAccess {
                entries,
                i: 0,
                parent: self.at.clone(),
            }),
        };
        r.map_err(|e: TreeError| e.at(&at, None))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at: self.at }.deserialize_bool(v),
            NodeKind::Ident(i) if i == "true" => v.visit_bool(true),
            NodeKind::Ident(i) if i == "false" => v.visit_bool(false),
            _ => self.mismatch("true or false"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    forward_signed!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128);
    forward_unsigned!(deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        self.float(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        self.float(v)
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at: self.at }.deserialize_char(v),
            NodeKind::Char(c) => v.visit_char(*c),
            _ => self.mismatch("a character in single quotes"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at: self.at }.deserialize_str(v),
            NodeKind::Str(s) => v.visit_str(s),
            NodeKind::Ident(i) | NodeKind::Num(i) => Err(TreeError::value(format!(
                "expected text in quotes, found {i}"
            ))
            .help(format!("write it in quotes: \"{i}\""))),
            _ => self.mismatch("text in quotes"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at: self.at }.deserialize_bytes(v),
            NodeKind::Str(s) => v.visit_bytes(s.as_bytes()),
            _ => self.mismatch("text in quotes"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        self.deserialize_bytes(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at: self.at }.deserialize_option(v),
            NodeKind::Ident(i) if i == "None" => v.visit_none(),
            NodeKind::Tuple {
                name: Some(n),
                items,
            } if n == "Some" && items.len() == 1 => v.visit_some(NodeDe {
                node: &items[0],
                at: self.at.child(Step::Item(0), "", "", &items[0]),
            }),
            _ => v.visit_some(NodeDe {
                node: self.node,
                at: self.at.clone(),
            }),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at: self.at }.deserialize_unit(v),
            NodeKind::Tuple { items, .. } if items.is_empty() => v.visit_unit(),
            _ => self.mismatch("()"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> R<V::Value> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> R<V::Value> {
        let at = self.at.clone();
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at }.deserialize_newtype_struct(_name, v),
            NodeKind::Tuple { name, items }
                if items.len() == 1 && name.as_deref() != Some("Some") =>
            {
                v.visit_newtype_struct(NodeDe {
                    node: &items[0],
                    at: at.child(Step::Item(0), "", ".0", &items[0]),
                })
            }
            _ => v.visit_newtype_struct(self),
        };
        r.map_err(|e: TreeError| e.at(&at, None))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        match &self.node.kind {
            _ if self.wild() => WildDe { at: self.at }.deserialize_seq(v),
            NodeKind::Seq(items) => self.seq(items, v, false),
            _ => self
                .mismatch("a list [..]")
                .map_err(|e: TreeError| e.at(&self.at, None)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> R<V::Value> {
        match &self.node.kind {
            _ if self.wild() => WildDe { at: self.at }.deserialize_tuple(len, v),
            NodeKind::Tuple { name: None, items } => self.seq(items, v, true),
            NodeKind::Seq(items) => self.seq(items, v, false),
            _ => self
                .mismatch(&format!("{len} values in parentheses (a, b)"))
                .map_err(|e: TreeError| e.at(&self.at, None)),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        v: V,
    ) -> R<V::Value> {
        self.deserialize_tuple(len, v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at: self.at }.deserialize_map(v),
            NodeKind::Map(entries) => v.visit_map(MapAccess {
                entries,
                i: 0,
                parent: self.at.clone(),
            }),
            _ => self.mismatch("a map {key: value, ...}"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> R<V::Value> {
        match &self.node.kind {
            _ if self.wild() => WildDe { at: self.at }.deserialize_struct(name, fields, v),
            NodeKind::Struct { fields: f, .. } => self.struct_fields(f, v, name),
            NodeKind::Tuple { items, .. } if items.is_empty() => self.struct_fields(&[], v, name),
            _ => {
                let what = planner_name(name);
                self.mismatch(&format!("{} written as (field: value, ...)", a_an(&what)))
                    .map_err(|e: TreeError| e.at(&self.at, Some(name)))
            }
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> R<V::Value> {
        let at = self.at.clone();
        let what = planner_name(name);
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at }.deserialize_enum(name, variants, v),
            NodeKind::Ident(i) => v.visit_enum(EnumAccess {
                variant: i,
                node: self.node,
                at: at.clone(),
            }),
            NodeKind::Tuple { name: Some(n), .. } | NodeKind::Struct { name: Some(n), .. } => v
                .visit_enum(EnumAccess {
                    variant: n,
                    node: self.node,
                    at: at.clone(),
                }),
            NodeKind::Num(n)
                if !variants.is_empty() && variants.iter().all(|v| is_unit_word(v)) =>
            {
                let forms: Vec<String> = variants.iter().map(|v| format!("{v}({n})")).collect();
                Err(TreeError::value(format!(
                    "{} needs its unit: {}",
                    a_an(&what),
                    or_list(&forms)
                )))
            }
            NodeKind::Str(s) if variants.contains(&s.as_str()) => Err(TreeError::value(format!(
                "write {s} without quotes (it is {} name, not text)",
                a_an(&what)
            ))),
            _ => Err(TreeError::value(format!(
                "expected {}: one of {}, found {}",
                a_an(&what),
                variants.join(", "),
                describe(self.node)
            ))),
        };
        r.map_err(|e: TreeError| e.at(&at, Some(name)))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let r = match &self.node.kind {
            _ if self.wild() => return WildDe { at: self.at }.deserialize_identifier(v),
            NodeKind::Ident(i) | NodeKind::Str(i) => v.visit_str(i),
            _ => self.mismatch("a name"),
        };
        r.map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        v.visit_unit()
    }
}

fn is_unit_word(v: &str) -> bool {
    v.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

fn or_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// Element `i` of a list is shown by its `id` when it has one.
fn element_label(node: &Node, i: usize) -> String {
    if let NodeKind::Struct { fields, .. } = &node.kind
        && let Some((_, id)) = fields.iter().find(|(n, _)| n == "id")
        && let NodeKind::Str(s) = &id.kind
        && !s.is_empty()
        && !s.contains(['[', ']', '\n'])
    {
        return s.clone();
    }
    i.to_string()
}

struct SeqAccess<'de> {
    items: &'de [Node],
    i: usize,
    parent: Place,
    tuple: bool,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de> {
    type Error = TreeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> R<Option<T::Value>> {
        let Some(node) = self.items.get(self.i) else {
            return Ok(None);
        };
        let i = self.i;
        self.i += 1;
        let at = if self.tuple {
            self.parent
                .child(Step::Item(i), &format!(".{i}"), &format!(".{i}"), node)
        } else {
            self.parent.child(
                Step::Item(i),
                &format!("[{}]", element_label(node, i)),
                &format!("[{i}]"),
                node,
            )
        };
        seed.deserialize(NodeDe {
            node,
            at: at.clone(),
        })
        .map(Some)
        .map_err(|e: TreeError| e.at(&at, None))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.i)
    }
}

struct StructAccess<'de> {
    fields: &'de [(String, Node)],
    i: usize,
    parent: Place,
}

impl StructAccess<'_> {
    fn key_place(&self, i: usize) -> Place {
        let (name, node) = &self.fields[i];
        let mut p = self.parent.field(i, name, node);
        // The key's own span is found in the source later (`Found` of an unknown field).
        p.key = Some(name.len());
        p
    }
}

impl<'de> de::MapAccess<'de> for StructAccess<'de> {
    type Error = TreeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> R<Option<K::Value>> {
        let Some((name, _)) = self.fields.get(self.i) else {
            return Ok(None);
        };
        let place = self.key_place(self.i);
        seed.deserialize(name.as_str().into_deserializer())
            .map(Some)
            .map_err(|e: TreeError| e.at(&place, None))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> R<V::Value> {
        let (name, node) = &self.fields[self.i];
        let at = self.parent.field(self.i, name, node);
        self.i += 1;
        seed.deserialize(NodeDe {
            node,
            at: at.clone(),
        })
        .map_err(|e: TreeError| e.at(&at, None))
    }
}

struct MapAccess<'de> {
    entries: &'de [(Node, Node)],
    i: usize,
    parent: Place,
}

fn key_text(k: &Node) -> String {
    match &k.kind {
        NodeKind::Ident(s) | NodeKind::Str(s) | NodeKind::Num(s) => s.clone(),
        NodeKind::Char(c) => c.to_string(),
        _ => "?".into(),
    }
}

impl<'de> de::MapAccess<'de> for MapAccess<'de> {
    type Error = TreeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> R<Option<K::Value>> {
        let Some((k, _)) = self.entries.get(self.i) else {
            return Ok(None);
        };
        let key = key_text(k);
        let at = self.parent.child(
            Step::Key(self.i),
            &format!("[{key}]"),
            &format!("[{key}]"),
            k,
        );
        seed.deserialize(NodeDe {
            node: k,
            at: at.clone(),
        })
        .map(Some)
        .map_err(|e: TreeError| e.at(&at, None))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> R<V::Value> {
        let (k, node) = &self.entries[self.i];
        let key = key_text(k);
        let at = self.parent.child(
            Step::Value(self.i),
            &format!("[{key}]"),
            &format!("[{key}]"),
            node,
        );
        self.i += 1;
        seed.deserialize(NodeDe {
            node,
            at: at.clone(),
        })
        .map_err(|e: TreeError| e.at(&at, None))
    }
}

/// `Name(...)` seen by `deserialize_any`: a one-entry map `{Name: contents}` (how serde's
/// untagged enums read a variant).
struct NamedAccess<'de> {
    node: &'de Node,
    at: Place,
    done: bool,
}

impl<'de> de::MapAccess<'de> for NamedAccess<'de> {
    type Error = TreeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> R<Option<K::Value>> {
        if self.done {
            return Ok(None);
        }
        let name = match &self.node.kind {
            NodeKind::Tuple { name: Some(n), .. } | NodeKind::Struct { name: Some(n), .. } => n,
            _ => return Ok(None),
        };
        seed.deserialize(name.as_str().into_deserializer())
            .map(Some)
            .map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> R<V::Value> {
        self.done = true;
        match &self.node.kind {
            NodeKind::Tuple { items, .. } if items.len() == 1 => seed.deserialize(NodeDe {
                node: &items[0],
                at: self.at.child(Step::Item(0), "", ".0", &items[0]),
            }),
            NodeKind::Tuple { items, .. } => seed.deserialize(SeqDe {
                items,
                at: self.at.clone(),
            }),
            NodeKind::Struct { fields, .. } => seed.deserialize(FieldsDe {
                fields,
                at: self.at.clone(),
            }),
            _ => Err(TreeError::value("expected a value")),
        }
    }
}

/// A tuple's items as a sequence.
struct SeqDe<'de> {
    items: &'de [Node],
    at: Place,
}

impl<'de> de::Deserializer<'de> for SeqDe<'de> {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        v.visit_seq(SeqAccess {
            items: self.items,
            i: 0,
            parent: self.at,
            tuple: true,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// A struct variant's fields as a map.
struct FieldsDe<'de> {
    fields: &'de [(String, Node)],
    at: Place,
}

impl<'de> de::Deserializer<'de> for FieldsDe<'de> {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        v.visit_map(StructAccess {
            fields: self.fields,
            i: 0,
            parent: self.at,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct EnumAccess<'de> {
    variant: &'de str,
    node: &'de Node,
    at: Place,
}

impl<'de> de::EnumAccess<'de> for EnumAccess<'de> {
    type Error = TreeError;
    type Variant = VariantAccess<'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> R<(S::Value, VariantAccess<'de>)> {
        let value = seed
            .deserialize(self.variant.into_deserializer())
            .map_err(|e: TreeError| e.at(&self.at, None))?;
        Ok((
            value,
            VariantAccess {
                variant: self.variant,
                node: self.node,
                at: self.at,
            },
        ))
    }
}

struct VariantAccess<'de> {
    variant: &'de str,
    node: &'de Node,
    at: Place,
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'de> {
    type Error = TreeError;

    fn unit_variant(self) -> R<()> {
        match &self.node.kind {
            NodeKind::Ident(_) => Ok(()),
            _ => Err(TreeError::value(format!(
                "`{}` takes no value: write it alone, without parentheses",
                self.variant
            ))),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> R<T::Value> {
        match &self.node.kind {
            _ if is_wild(self.node) => seed.deserialize(WildDe { at: self.at }),
            NodeKind::Tuple { items, .. } if items.len() == 1 => {
                let at = self.at.child(Step::Item(0), "", ".0", &items[0]);
                seed.deserialize(NodeDe {
                    node: &items[0],
                    at,
                })
            }
            _ => Err(TreeError::value(format!(
                "`{}` needs one value in parentheses: {}(...)",
                self.variant, self.variant
            ))),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> R<V::Value> {
        let de = NodeDe {
            node: self.node,
            at: self.at.clone(),
        };
        match &self.node.kind {
            _ if is_wild(self.node) => WildDe { at: self.at }.deserialize_tuple(len, v),
            NodeKind::Tuple { items, .. } => de.seq(items, v, true),
            _ => Err(TreeError::value(format!(
                "`{}` needs {len} values in parentheses: {}(a, b)",
                self.variant, self.variant
            ))),
        }
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> R<V::Value> {
        let de = NodeDe {
            node: self.node,
            at: self.at.clone(),
        };
        match &self.node.kind {
            _ if is_wild(self.node) => WildDe { at: self.at }.deserialize_struct("", fields, v),
            NodeKind::Struct { fields: f, .. } => de.struct_fields(f, v, self.variant),
            NodeKind::Tuple { items, .. } if items.is_empty() => {
                de.struct_fields(&[], v, self.variant)
            }
            _ => Err(TreeError::value(format!(
                "`{}` needs named fields: {}({}: ..., ...)",
                self.variant,
                self.variant,
                fields.first().copied().unwrap_or("field")
            ))),
        }
    }
}

/// A wildcard: a neutral value of whatever type is asked.
struct WildDe {
    at: Place,
}

impl<'de> de::Deserializer<'de> for WildDe {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        // A number fits most self-describing forms (a rate's plain number).
        self.deserialize_f64(v)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        v.visit_bool(self.at.alt)
            .map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let n = if self.at.alt { 1_000_000 } else { 0 };
        v.visit_i64(n).map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let n = if self.at.alt { 1_000_000 } else { 0 };
        v.visit_u64(n).map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let n = if self.at.alt { 1e6 } else { 0.0 };
        v.visit_f64(n).map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        v.visit_char('x')
            .map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        let s = if self.at.alt { "?" } else { "" };
        v.visit_str(s).map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        v.visit_bytes(&[])
            .map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        v.visit_none().map_err(|e: TreeError| e.at(&self.at, None))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> R<V::Value> {
        let at = self.at.clone();
        v.visit_newtype_struct(self)
            .map_err(|e: TreeError| e.at(&at, None))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        self.deserialize_tuple(0, v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> R<V::Value> {
        let at = self.at.clone();
        v.visit_seq(WildSeq {
            left: len,
            at: self.at,
        })
        .map_err(|e: TreeError| e.at(&at, None))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        v: V,
    ) -> R<V::Value> {
        self.deserialize_tuple(len, v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> R<V::Value> {
        self.deserialize_struct("", &[], v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> R<V::Value> {
        let at = self.at.clone();
        v.visit_map(WildFields {
            fields,
            i: 0,
            at: self.at,
        })
        .map_err(|e: TreeError| e.at(&at, None))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> R<V::Value> {
        let at = self.at.clone();
        v.visit_enum(WildEnum {
            variant: variants.first().copied().unwrap_or(""),
            at: self.at,
        })
        .map_err(|e: TreeError| e.at(&at, None))
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u32 u128 f32 string byte_buf unit unit_struct
        identifier ignored_any
    }
}

struct WildSeq {
    left: usize,
    at: Place,
}

impl<'de> de::SeqAccess<'de> for WildSeq {
    type Error = TreeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> R<Option<T::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(WildDe {
            at: self.at.clone(),
        })
        .map(Some)
    }
}

struct WildFields {
    fields: &'static [&'static str],
    i: usize,
    at: Place,
}

impl<'de> de::MapAccess<'de> for WildFields {
    type Error = TreeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> R<Option<K::Value>> {
        let Some(f) = self.fields.get(self.i) else {
            return Ok(None);
        };
        seed.deserialize((*f).into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> R<V::Value> {
        self.i += 1;
        seed.deserialize(WildDe {
            at: self.at.clone(),
        })
    }
}

struct WildEnum {
    variant: &'static str,
    at: Place,
}

impl<'de> de::EnumAccess<'de> for WildEnum {
    type Error = TreeError;
    type Variant = WildDe;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> R<(S::Value, WildDe)> {
        let v = seed.deserialize(self.variant.into_deserializer())?;
        Ok((v, WildDe { at: self.at }))
    }
}

impl<'de> de::VariantAccess<'de> for WildDe {
    type Error = TreeError;

    fn unit_variant(self) -> R<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> R<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> R<V::Value> {
        self.deserialize_tuple(len, v)
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> R<V::Value> {
        self.deserialize_struct("", fields, v)
    }
}
