//! Scenario language: load a RON file, validate it, apply variants.
//!
//! `load` → [`ValidScenario`] is the only way into the simulator: everything downstream may
//! assume ids resolve, ranges hold and limits are respected.

pub mod budget;
pub(crate) mod diagnostics;
pub mod import;
pub(crate) mod observed;
mod patch;
pub mod schema;
mod span;
mod structure;
pub mod uncertainty;
pub(crate) mod validate;

pub use diagnostics::{Diagnostics, FileDiagnostics, Located, Location, Severity};

use crate::error::{Error, Result};
use diagnostics::{Diagnostic, Problem, did_you_mean};
use schema::{ChangeSpec, ScenarioSpec};
use span::{LineIndex, SpanIndex};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A scenario that passed validation (with a variant applied, if any).
///
/// Its fields are private to the crate (read them through the accessors): a scenario cannot
/// be changed after validation except through [`ValidScenario::with_variant`] and
/// [`ValidScenario::with_changes`], which validate again. The one exception is the test hook
/// `spec_mut` (feature `test-support`), which bypasses validation and rebuilds the resolved
/// references afterwards.
#[derive(Debug, Clone)]
pub struct ValidScenario {
    /// The validated specification (read it with [`ValidScenario::spec`]).
    pub(crate) spec: ScenarioSpec,
    /// Every id reference of `spec` resolved to an index; rebuilt whenever `spec` changes.
    pub(crate) refs: validate::Resolved,
    /// File it came from.
    pub(crate) path: PathBuf,
    /// The file's text (for diagnostics of variants and sweeps).
    pub(crate) source: String,
    /// sha256 of the file's bytes, lowercase hex.
    pub(crate) hash: String,
    /// Variant applied, if any.
    pub(crate) variant: Option<String>,
    /// Warnings found (legal but suspicious), rendered one per entry.
    pub(crate) warnings: Vec<String>,
    /// The uncertain parameters of `spec`, resolved; rebuilt whenever `spec` changes.
    pub(crate) uncertain: Vec<uncertainty::UncertainParam>,
}

/// The specification of a [`ValidScenario`], borrowed mutably through
/// [`ValidScenario::spec_mut`]; dropping it resolves the id references again.
#[cfg(feature = "test-support")]
pub struct SpecMut<'a>(&'a mut ValidScenario);

#[cfg(feature = "test-support")]
impl std::ops::Deref for SpecMut<'_> {
    type Target = ScenarioSpec;

    fn deref(&self) -> &ScenarioSpec {
        &self.0.spec
    }
}

#[cfg(feature = "test-support")]
impl std::ops::DerefMut for SpecMut<'_> {
    fn deref_mut(&mut self) -> &mut ScenarioSpec {
        &mut self.0.spec
    }
}

#[cfg(feature = "test-support")]
impl Drop for SpecMut<'_> {
    fn drop(&mut self) {
        self.0.refs = validate::resolve(&self.0.spec);
        self.0.uncertain = uncertainty::resolve(&self.0.spec);
    }
}

/// Largest scenario file accepted, in bytes (10 MiB).
pub(crate) const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Deepest nesting the RON parser accepts.
pub(crate) const RECURSION_LIMIT: usize = 64;

/// The commented starter scenario written by `tabletop new` (its name is `Starter exercise`).
pub const STARTER: &str = include_str!("starter.ron");

/// The RON options every scenario is read with: a recursion limit, and `Some(..)` optional
/// (a value may be written bare where an optional one is expected).
pub fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_recursion_limit(RECURSION_LIMIT)
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

impl ValidScenario {
    /// The validated specification.
    pub fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }

    /// Test hook: the specification, mutable. **Bypasses validation**: nothing checks the
    /// edited spec again, so the caller must keep ids resolvable and values in range (the
    /// engine may panic or give meaningless results otherwise). The id references are resolved
    /// again when the returned guard is dropped. Only with feature `test-support`.
    #[cfg(feature = "test-support")]
    pub fn spec_mut(&mut self) -> SpecMut<'_> {
        SpecMut(self)
    }

    /// The file it came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// sha256 of the file's bytes, lowercase hex.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The variant (or `PATH=VALUE` changes) applied, if any.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// Warnings found (legal but suspicious), rendered one per entry.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// File stem used for default output directories (made file-name safe).
    pub(crate) fn stem(&self) -> String {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".to_string());
        crate::output::safe_file_name(&stem)
    }

    /// The scenario with variant `id` applied and validated again. An unknown id is a usage
    /// error with a did-you-mean; a change that cannot apply, or a patched scenario that fails
    /// validation, is reported at the variant's change in the file.
    pub fn with_variant(&self, id: &str) -> Result<ValidScenario> {
        let Some((vi, v)) = self
            .spec
            .variants
            .iter()
            .enumerate()
            .find(|(_, v)| v.id == id)
        else {
            let ids: Vec<&str> = self.spec.variants.iter().map(|v| v.id.as_str()).collect();
            let mut msg = format!("{} has no variant \"{id}\"", self.path.display());
            match did_you_mean(id, ids.iter().copied()) {
                Some(h) => msg.push_str(&format!("; {h}")),
                None if ids.is_empty() => msg.push_str(" (the scenario defines no variants)"),
                None => msg.push_str(&format!(" (variants: {})", ids.join(", "))),
            }
            return Err(Error::usage(format!("--variant {id}"), msg));
        };
        let idx = SpanIndex::build(&self.source);
        let base = validate::check(&self.spec);
        let diags = variant_diagnostics(&self.spec, &base.problems, vi, &idx);
        if diags.iter().any(|d| d.severity == Severity::Error) {
            let file = self.path.display().to_string();
            return Err(Error::Invalid(Diagnostics::one(
                diagnostics::locate(&file, &self.source, &diags),
                format!("error: variant \"{id}\" of {file} is invalid"),
            )));
        }
        let spec = patch::apply(&self.spec, &v.changes).map_err(|(_, e)| {
            Error::Invalid(Diagnostics::message(
                self.path.display().to_string(),
                e.message,
            ))
        })?;
        Ok(ValidScenario {
            refs: validate::resolve(&spec),
            uncertain: uncertainty::resolve(&spec),
            spec,
            variant: Some(match &self.variant {
                Some(prev) => format!("{prev}+{id}"),
                None => id.to_string(),
            }),
            ..self.clone()
        })
    }

    /// The scenario with extra changes applied (sweeps, `--param PATH=VALUE`), validated
    /// again. A bad path or value is a usage error; a patched scenario that fails validation
    /// is invalid. `variant` becomes `PATH=VALUE, ...` (after any variant already applied).
    pub fn with_changes(&self, changes: &[ChangeSpec]) -> Result<ValidScenario> {
        let spec = patch::apply(&self.spec, changes).map_err(|(i, e)| {
            let mut msg = e.message;
            if let Some(h) = e.help {
                msg.push_str(&format!("; {h}"));
            }
            Error::usage(format!("--param {}", change_label(&changes[i])), msg)
        })?;
        let label: Vec<String> = changes.iter().map(change_label).collect();
        self.with_spec(spec, label.join(", "))
    }

    /// The scenario replaced by `spec` (built by the caller from this one's), validated
    /// again; `label` says what changed and extends `variant`. Errors the original did not
    /// have make it invalid.
    pub(crate) fn with_spec(&self, spec: ScenarioSpec, label: String) -> Result<ValidScenario> {
        let checked = validate::check(&spec);
        let errors = |c: &validate::Checked| -> Vec<(String, String)> {
            c.problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| (p.path.clone(), p.message.clone()))
                .collect()
        };
        // The original is checked again only when the changed one has errors (a loaded
        // scenario has none; the ledger calls this hundreds of times on a large network).
        let base = if errors(&checked).is_empty() {
            Vec::new()
        } else {
            errors(&validate::check(&self.spec))
        };
        let new_errors: Vec<&Problem> = checked
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .filter(|p| !base.contains(&(p.path.clone(), p.message.clone())))
            .collect();
        if !new_errors.is_empty() {
            let file = FileDiagnostics {
                file: self.path.display().to_string(),
                items: new_errors
                    .into_iter()
                    .map(|p| Located {
                        severity: Severity::Error,
                        message: format!("{} (at `{}`)", p.message, p.path),
                        location: None,
                        suggestion: p.help.clone(),
                    })
                    .collect(),
                omitted: 0,
            };
            let note = format!("error: {} is invalid with {label}", self.path.display());
            return Err(Error::Invalid(Diagnostics::one(file, note)));
        }
        Ok(ValidScenario {
            refs: validate::resolve(&spec),
            uncertain: uncertainty::resolve(&spec),
            spec,
            variant: Some(match &self.variant {
                Some(prev) => format!("{prev}, {label}"),
                None => label,
            }),
            ..self.clone()
        })
    }
}

/// How a change reads on the command line: `PATH=VALUE`, `-PATH`, `+agency ID`.
fn change_label(c: &ChangeSpec) -> String {
    match c {
        ChangeSpec::Set(p, v) => format!("{p}={v}"),
        ChangeSpec::Remove(p) => format!("-{p}"),
        ChangeSpec::AddAgency(a) => format!("+agency {}", a.id),
        ChangeSpec::AddChannel(a) => format!("+channel {}", a.id),
        ChangeSpec::AddPartnership(a) => format!("+partnership {}", a.id),
        ChangeSpec::AddInject(a) => format!("+inject {}", a.id),
        ChangeSpec::AddInsider(a) => format!("+insider {}", a.id),
    }
}

/// What examining one scenario text found.
#[derive(Debug)]
pub(crate) struct Examined {
    /// The parsed specification, when the text parsed.
    pub spec: Option<ScenarioSpec>,
    /// Every problem found, placed in the text.
    pub diagnostics: Vec<Diagnostic>,
}

impl Examined {
    /// Errors found.
    pub(crate) fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Warnings found.
    pub(crate) fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Read a scenario file's text: refuses non-files, files over [`MAX_FILE_BYTES`] (from the
/// metadata, before reading) and text that is not UTF-8.
pub(crate) fn read_source(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let file = path.display().to_string();
    if !meta.is_file() {
        return Err(Error::Invalid(Diagnostics::message(
            &file,
            format!("{file}: not a regular file"),
        )));
    }
    let too_big = |n: u64| {
        Error::Invalid(Diagnostics::message(
            &file,
            format!(
                "{file}: the file is {n} bytes; scenario files are limited to {MAX_FILE_BYTES} bytes (10 MiB)"
            ),
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(meta.len()));
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let prefix = String::from_utf8_lossy(valid);
        let line = 1 + prefix.matches('\n').count();
        let col = 1 + prefix.rsplit('\n').next().map_or(0, |l| l.chars().count());
        Error::Invalid(Diagnostics {
            files: vec![FileDiagnostics {
                file: file.clone(),
                items: vec![Located {
                    severity: Severity::Error,
                    message: format!(
                        "the file is not UTF-8 text (first bad byte at line {line}, column {col})"
                    ),
                    location: Some(diagnostics::Location {
                        line,
                        col,
                        snippet: None,
                        caret: (0, 1),
                    }),
                    suggestion: None,
                }],
                omitted: 0,
            }],
            notes: Vec::new(),
        })
    })
}

/// Read, parse and validate a scenario file.
pub fn load(path: &Path) -> Result<ValidScenario> {
    let source = read_source(path)?;
    load_str(path, &source)
}

/// Parse and validate scenario text that came from `path`. On failure the error holds every
/// problem, rendered with line:col, the source line and a caret.
pub fn load_str(path: &Path, source: &str) -> Result<ValidScenario> {
    let file = path.display().to_string();
    let ex = examine(source);
    let errors = ex.errors();
    let (Some(spec), 0) = (ex.spec, errors) else {
        let note = format!("error: {file} is invalid ({})", plural(errors, "error"));
        return Err(Error::Invalid(Diagnostics::one(
            diagnostics::locate(&file, source, &ex.diagnostics),
            note,
        )));
    };
    let warnings = ex
        .diagnostics
        .iter()
        .map(|d| diagnostics::render(&file, source, std::slice::from_ref(d)))
        .collect();
    Ok(ValidScenario {
        refs: validate::resolve(&spec),
        uncertain: uncertainty::resolve(&spec),
        spec,
        path: path.to_path_buf(),
        source: source.to_string(),
        hash: sha256_hex(source.as_bytes()),
        variant: None,
        warnings,
    })
}

/// Parse `source` and run every check on it, variants included.
pub(crate) fn examine(source: &str) -> Examined {
    if source.len() as u64 > MAX_FILE_BYTES {
        return Examined {
            spec: None,
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                span: (0, 0),
                message: format!(
                    "the text is {} bytes; scenarios are limited to 10 MiB",
                    source.len()
                ),
                help: None,
            }],
        };
    }
    // In-place `uncertain(..)` values become entries of the `uncertainty:` list; the text
    // parsed has them replaced by their nominal values at the same byte offsets.
    let lifted = uncertainty::lift(source);
    let mut spec = match parse_spec(&lifted.text) {
        Ok(s) => s,
        Err(d) => {
            return Examined {
                spec: None,
                diagnostics: structural_diagnostics(&lifted.text).unwrap_or_else(|| vec![d]),
            };
        }
    };
    let inline_spans: Vec<_> = lifted
        .inline
        .iter()
        .map(|i| (i.span, i.dist_span))
        .collect();
    spec.uncertainty
        .extend(lifted.inline.into_iter().map(|i| i.entry));
    let idx = SpanIndex::build(&lifted.text);
    let checked = validate::check(&spec);
    let mut diags: Vec<Diagnostic> = checked
        .problems
        .iter()
        .map(|p| Diagnostic {
            severity: p.severity,
            span: idx.lookup(&p.path),
            message: p.message.clone(),
            help: p.help.clone(),
        })
        .collect();
    if checked.suppressed > 0 {
        diags.push(Diagnostic {
            severity: Severity::Error,
            span: (0, 0),
            message: format!(
                "{} more problems were found but not listed",
                checked.suppressed
            ),
            help: None,
        });
    }
    for vi in 0..spec.variants.len() {
        diags.extend(variant_diagnostics(&spec, &checked.problems, vi, &idx));
    }
    diags.extend(lifted.problems);
    diags.extend(uncertainty::diagnostics(
        &spec,
        &checked.problems,
        &idx,
        &inline_spans,
    ));
    Examined {
        spec: Some(spec),
        diagnostics: diags,
    }
}

/// Every structural error of a text that parses as RON but not as a scenario (None when the
/// structural pass finds nothing, e.g. a syntax error): see [`structure`]. The checks of
/// `validate.rs` run too, on the scenario with the culprits replaced by neutral values, twice
/// with two different sets of neutral values; only problems found both times, away from any
/// replaced value and not about a placeholder id, are kept (the others would be echoes of the
/// structural errors).
fn structural_diagnostics(source: &str) -> Option<Vec<Diagnostic>> {
    let root = span::parse(source).ok()?;
    let found = structure::check(&root, source);
    if found.errors.is_empty() {
        return None;
    }
    let mut diags: Vec<Diagnostic> = found
        .errors
        .iter()
        .map(|f| Diagnostic {
            severity: Severity::Error,
            span: f.span,
            message: f.message.clone(),
            help: f.help.clone(),
        })
        .collect();
    if let (Some(spec), Some(alt)) = (&found.spec, &found.alternative) {
        let related = |a: &str, b: &str| {
            a == b
                || a.is_empty()
                || b.is_empty()
                || (a.starts_with(b) && a[b.len()..].starts_with(['.', '[']))
                || (b.starts_with(a) && b[a.len()..].starts_with(['.', '[']))
        };
        let idx = SpanIndex::build(source);
        let checked = validate::check(spec);
        let other = validate::check(alt);
        diags.extend(
            checked
                .problems
                .iter()
                .filter(|p| !found.repaired.iter().any(|r| related(&p.path, r)))
                .filter(|p| !p.message.contains("\"\"") && !p.message.contains("\"?\""))
                .filter(|p| {
                    other
                        .problems
                        .iter()
                        .any(|q| q.path == p.path && q.message == p.message)
                })
                .map(|p| Diagnostic {
                    severity: p.severity,
                    span: idx.lookup(&p.path),
                    message: p.message.clone(),
                    help: p.help.clone(),
                }),
        );
    }
    Some(diags)
}

/// Problems of variant `vi`: changes that cannot apply, and new errors in the patched scenario
/// (checked only when the baseline has no errors), placed at the variant's changes.
fn variant_diagnostics(
    spec: &ScenarioSpec,
    base: &[Problem],
    vi: usize,
    idx: &SpanIndex,
) -> Vec<Diagnostic> {
    let v = &spec.variants[vi];
    let at = |j: usize, part: Option<usize>| match part {
        Some(k) => idx.lookup(&format!("variants[{vi}].changes[{j}].{k}")),
        None => idx.lookup(&format!("variants[{vi}].changes[{j}]")),
    };
    // Every change that cannot apply, in one pass (each left out to check the rest).
    let patched = match patch::apply_all(spec, &v.changes) {
        Ok(p) => p,
        Err(errors) => {
            return errors
                .into_iter()
                .map(|(j, e)| {
                    let part = match v.changes.get(j) {
                        Some(ChangeSpec::Set(..)) => Some(if e.at_value { 1 } else { 0 }),
                        Some(ChangeSpec::Remove(_)) => Some(0),
                        _ => None,
                    };
                    Diagnostic {
                        severity: Severity::Error,
                        span: at(j, part),
                        message: format!("variant \"{}\": {}", v.id, e.message),
                        help: e.help,
                    }
                })
                .collect();
        }
    };
    if base.iter().any(|p| p.severity == Severity::Error) {
        return Vec::new();
    }
    let checked = validate::check(&patched);
    checked
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .filter(|p| {
            !base
                .iter()
                .any(|b| b.path == p.path && b.message == p.message)
        })
        .map(|p| {
            let by_id = path_by_id(&patched, &p.path);
            if let Some((j, span)) =
                culprit_change(&v.changes, &patched, &p.path, &by_id).map(|c| {
                    (
                        c.change,
                        idx.lookup(&format!("variants[{vi}].changes[{}]{}", c.change, c.inner)),
                    )
                })
            {
                return Diagnostic {
                    severity: Severity::Error,
                    span,
                    message: format!(
                        "with variant \"{}\", in its {}: {} (at `{by_id}`)",
                        v.id,
                        change_as_written(&v.changes[j]),
                        p.message,
                    ),
                    help: p.help.clone(),
                };
            }
            let list = p.path.split(['.', '[']).next().unwrap_or("");
            let j = v
                .changes
                .iter()
                .rposition(|c| change_list(c) == list)
                .or(v.changes.len().checked_sub(1));
            Diagnostic {
                severity: Severity::Error,
                span: j.map_or_else(
                    || idx.lookup(&format!("variants[{vi}].id")),
                    |j| at(j, None),
                ),
                message: format!("with variant \"{}\", {} (at `{by_id}`)", v.id, p.message),
                help: p.help.clone(),
            }
        })
        .collect()
}

/// The change of a variant that wrote the value a problem of the patched scenario is about,
/// and where inside that change the value sits (a path suffix below `changes[j]`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Culprit {
    /// Index of the change in the variant's `changes`.
    change: usize,
    /// Path below the change: `.0.channels[1]` inside `AddPartnership((..))`, `.1` for the
    /// value text of a `Set`.
    inner: String,
}

/// Which change wrote the value at `path` (positional, as validation reports it; `by_id` the
/// same path with its list element named by id) in the patched scenario `patched`: the last
/// `Add…((..))` whose element has that id (the problem then points at the offending field
/// inside it, or at the nearest field the file writes), else the last `Set` whose path is the
/// problem's path, a part of it or below it (pointing at its value). None when no change did.
fn culprit_change(
    changes: &[ChangeSpec],
    patched: &ScenarioSpec,
    path: &str,
    by_id: &str,
) -> Option<Culprit> {
    let (list, rest) = path.split_once('[')?;
    let (index, tail) = rest.split_once(']')?;
    let i: usize = index.parse().ok()?;
    let id = match list {
        "agencies" => patched.agencies.get(i).map(|x| x.id.as_str()),
        "channels" => patched.channels.get(i).map(|x| x.id.as_str()),
        "partnerships" => patched.partnerships.get(i).map(|x| x.id.as_str()),
        "injects" => patched.injects.get(i).map(|x| x.id.as_str()),
        "insiders" => patched.insiders.get(i).map(|x| x.id.as_str()),
        _ => None,
    };
    fn added(c: &ChangeSpec) -> Option<&str> {
        match c {
            ChangeSpec::AddAgency(a) => Some(a.id.as_str()),
            ChangeSpec::AddChannel(a) => Some(a.id.as_str()),
            ChangeSpec::AddPartnership(a) => Some(a.id.as_str()),
            ChangeSpec::AddInject(a) => Some(a.id.as_str()),
            ChangeSpec::AddInsider(a) => Some(a.id.as_str()),
            ChangeSpec::Set(..) | ChangeSpec::Remove(_) => None,
        }
    }
    if let Some(id) = id
        && let Some(j) = changes
            .iter()
            .rposition(|c| change_list(c) == list && added(c) == Some(id))
    {
        return Some(Culprit {
            change: j,
            inner: format!(".0{tail}"),
        });
    }
    // a Set whose path and the problem's path are one inside the other (segment boundaries)
    let nested = |a: &str, b: &str| {
        a == b
            || (a.starts_with(b) && a[b.len()..].starts_with(['.', '[']))
            || (b.starts_with(a) && b[a.len()..].starts_with(['.', '[']))
    };
    changes
        .iter()
        .rposition(|c| match c {
            ChangeSpec::Set(p, _) => {
                let p = p.trim();
                nested(path, p) || nested(by_id, p)
            }
            _ => false,
        })
        .map(|j| Culprit {
            change: j,
            inner: ".1".to_string(),
        })
}

/// A change named as a planner wrote it in the file: `AddPartnership("fc_isac")`,
/// `Set("agencies[x].analysts", ..)`.
fn change_as_written(c: &ChangeSpec) -> String {
    match c {
        ChangeSpec::Set(p, _) => format!("Set({p:?}, ..)"),
        ChangeSpec::Remove(p) => format!("Remove({p:?})"),
        ChangeSpec::AddAgency(a) => format!("AddAgency({:?})", a.id),
        ChangeSpec::AddChannel(a) => format!("AddChannel({:?})", a.id),
        ChangeSpec::AddPartnership(a) => format!("AddPartnership({:?})", a.id),
        ChangeSpec::AddInject(a) => format!("AddInject({:?})", a.id),
        ChangeSpec::AddInsider(a) => format!("AddInsider({:?})", a.id),
    }
}

/// A value path with its top-level list element named by id: `injects[4].time` →
/// `injects[I-05].time` (the position is kept when the element has no usable id).
fn path_by_id(spec: &ScenarioSpec, path: &str) -> String {
    let Some((list, rest)) = path.split_once('[') else {
        return path.to_string();
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return path.to_string();
    };
    let Ok(i) = index.parse::<usize>() else {
        return path.to_string();
    };
    let id = match list {
        "agencies" => spec.agencies.get(i).map(|x| x.id.as_str()),
        "channels" => spec.channels.get(i).map(|x| x.id.as_str()),
        "partnerships" => spec.partnerships.get(i).map(|x| x.id.as_str()),
        "injects" => spec.injects.get(i).map(|x| x.id.as_str()),
        "insiders" => spec.insiders.get(i).map(|x| x.id.as_str()),
        "objectives" => spec.objectives.get(i).map(|x| x.id.as_str()),
        _ => None,
    };
    match id {
        Some(id) if !id.is_empty() && !id.contains(['[', ']', '`', '\n']) => {
            format!("{list}[{id}]{tail}")
        }
        _ => path.to_string(),
    }
}

/// The top-level list a change touches.
fn change_list(c: &ChangeSpec) -> &str {
    match c {
        ChangeSpec::Set(p, _) | ChangeSpec::Remove(p) => p.split(['.', '[']).next().unwrap_or(""),
        ChangeSpec::AddAgency(_) => "agencies",
        ChangeSpec::AddChannel(_) => "channels",
        ChangeSpec::AddPartnership(_) => "partnerships",
        ChangeSpec::AddInject(_) => "injects",
        ChangeSpec::AddInsider(_) => "insiders",
    }
}

/// Parse RON text into a [`ScenarioSpec`]; a syntax or type error becomes one diagnostic at
/// the position the parser reports, with a did-you-mean for misspelt fields and variants.
pub(crate) fn parse_spec(source: &str) -> Result<ScenarioSpec, Diagnostic> {
    let opts = ron_options();
    let mut de = ron::Deserializer::from_str_with_options(source, &opts)
        .map_err(|e| syntax_diagnostic(source, e, ""))?;
    match serde_path_to_error::deserialize::<_, ScenarioSpec>(&mut de) {
        Ok(spec) => {
            if let Err(e) = de.end() {
                let e = de.span_error(e);
                return Err(syntax_diagnostic(source, e, ""));
            }
            Ok(spec)
        }
        Err(e) => {
            let path = e.path().to_string();
            let path = path.trim_end_matches(".?").to_string();
            let inner = e.into_inner();
            let e = de.span_error(inner);
            Err(syntax_diagnostic(source, e, &path))
        }
    }
}

fn syntax_diagnostic(source: &str, e: ron::error::SpannedError, path: &str) -> Diagnostic {
    use ron::Error as E;
    let lines = LineIndex::new(source);
    let mut start = lines.offset(source, e.span.start.line, e.span.start.col);
    let end = lines.offset(source, e.span.end.line, e.span.end.col);
    // ron's span starts before the whitespace preceding the culprit: skip it.
    let rest = source.get(start..).unwrap_or("");
    start += rest.len() - rest.trim_start().len();
    let end = end.max(start);
    let at = if path.is_empty() || path == "." {
        String::new()
    } else {
        format!(" at `{path}`")
    };
    let one_of = |names: &[&str]| {
        let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        format!("expected one of {}", list.join(", "))
    };
    let (message, help) = match &e.code {
        E::NoSuchStructField {
            expected, found, ..
        } => (
            format!("unknown field `{found}`{at}"),
            Some(did_you_mean(found, expected.iter().copied()).unwrap_or_else(|| one_of(expected))),
        ),
        E::NoSuchEnumVariant {
            expected, found, ..
        } => (
            format!("unknown variant `{found}`{at}"),
            Some(did_you_mean(found, expected.iter().copied()).unwrap_or_else(|| one_of(expected))),
        ),
        E::MissingStructField { field, .. } => (format!("missing field `{field}`{at}"), None),
        E::DuplicateStructField { field, .. } => {
            (format!("field `{field}` is written twice{at}"), None)
        }
        E::ExceededRecursionLimit => (
            format!("the value is nested too deeply (more than {RECURSION_LIMIT} levels)"),
            None,
        ),
        E::ExpectedStringEnd => (
            format!("this string is never closed (a `\"` is missing){at}"),
            None,
        ),
        E::ExpectedInteger => (format!("expected a whole number{at}"), None),
        E::IntegerOutOfBounds => (format!("the number is out of range{at}"), None),
        E::TrailingCharacters => (
            "unexpected text after the end of the scenario".to_string(),
            None,
        ),
        E::Eof => (
            "the file ends too early (a bracket or parenthesis is not closed?)".to_string(),
            None,
        ),
        other => (format!("{}{at}", lower_first(&other.to_string())), None),
    };
    // A value that matched none of a rate's forms: point at the whole value.
    let (start, end) = if message.starts_with("expected a rate") && !path.is_empty() {
        span::SpanIndex::build(source).lookup(path)
    } else {
        (start, end)
    };
    Diagnostic {
        severity: Severity::Error,
        span: (start, end),
        message,
        help,
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if c.clone().next().is_some_and(char::is_lowercase) => {
            f.to_lowercase().chain(c).collect()
        }
        Some(f) => std::iter::once(f).chain(c).collect(),
        None => String::new(),
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Lowercase hex sha256 of some bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `tabletop validate` found in some files: every file's diagnostics, then one summary
/// line per file in `notes`; and whether all were valid.
pub(crate) fn validate_files(files: &[PathBuf]) -> (Diagnostics, bool) {
    let mut out = Diagnostics::default();
    let mut all_ok = true;
    for f in files {
        let file = f.display().to_string();
        let source = match read_source(f) {
            Ok(s) => s,
            Err(e) => {
                all_ok = false;
                match e {
                    Error::Invalid(d) => out.files.extend(d.files),
                    other => out
                        .files
                        .extend(Diagnostics::message(&file, other.to_string()).files),
                }
                out.notes.push(format!("{file}: invalid — cannot be read"));
                continue;
            }
        };
        let ex = examine(&source);
        out.files
            .push(diagnostics::locate(&file, &source, &ex.diagnostics));
        let (errors, warnings) = (ex.errors(), ex.warnings());
        let warn_text = if warnings > 0 {
            format!(" ({})", plural(warnings, "warning"))
        } else {
            String::new()
        };
        match (&ex.spec, errors) {
            (Some(s), 0) => out.notes.push(format!(
                "{file}: ok — {}, {}, {}, {}, {}{warn_text}",
                plural(s.agencies.len(), "agency").replace("agencys", "agencies"),
                plural(s.partnerships.len(), "partnership"),
                plural(s.injects.len(), "inject"),
                plural(s.objectives.len(), "objective"),
                plural(s.variants.len(), "variant"),
            )),
            _ => {
                all_ok = false;
                out.notes.push(format!(
                    "{file}: invalid — {}{}",
                    plural(errors, "error"),
                    warn_text.replace(" (", ", (")
                ));
            }
        }
    }
    (out, all_ok)
}

/// The starter scenario text with its exercise name set to `name`.
pub fn starter(name: &str) -> String {
    let quoted = ron::to_string(&name.to_string()).unwrap_or_else(|_| "\"New exercise\"".into());
    STARTER.replacen("\"Starter exercise\"", &quoted, 1)
}

/// What `tabletop new` writes: a starter scenario named `name` at `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewOptions {
    /// Exercise name written into the starter.
    pub name: String,
    /// File to write.
    pub path: PathBuf,
    /// Overwrite an existing file.
    pub force: bool,
}

/// Write the starter scenario described by `opts`. Refuses an existing file unless `force`,
/// and a name that would make the starter invalid.
pub(crate) fn write_starter(opts: &NewOptions) -> Result<()> {
    let path = &opts.path;
    if path.exists() && !opts.force {
        return Err(Error::usage(
            format!("--out {}", path.display()),
            format!(
                "{} already exists; pass --force to overwrite it",
                path.display()
            ),
        ));
    }
    let text = starter(&opts.name);
    // The starter must validate as written; a name that breaks it is a usage error.
    load_str(path, &text).map_err(|e| {
        Error::usage(
            format!("NAME {:?}", opts.name),
            format!("cannot write a starter with this name: {e}"),
        )
    })?;
    crate::output::write_atomic(path, text.as_bytes())
}
