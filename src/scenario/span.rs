//! Positions in RON text: a small span-keeping RON parser, a value-path → byte-span index, and
//! byte offset → line:col.
//!
//! serde forgets where a value came from, so semantic checks (which run on the typed
//! [`ScenarioSpec`](super::schema::ScenarioSpec)) name the value by a *path* such as
//! `partnerships[3].from`; [`SpanIndex`] maps that path back to the bytes of the file.
//! Paths: struct fields `.name`, sequence elements `[i]`, tuple elements `.i`, map entries
//! `[key]`; the contents of an enum variant with fields (`AfterInject(inject: "x")`) sit
//! directly below the variant's own path (`injects[2].trigger.inject`), and `Some(x)` is
//! transparent.

use std::collections::BTreeMap;

/// Deepest nesting the span parser accepts (deeper input is refused, never overflows).
pub(super) const MAX_DEPTH: usize = 128;

/// A parsed RON value with its byte span `[start, end)` in the source.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// Byte offset of the first character of the value.
    pub start: usize,
    /// Byte offset just past the value.
    pub end: usize,
    /// What the value is.
    pub kind: NodeKind,
}

/// The shape of a RON value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum NodeKind {
    /// A bare identifier: `true`, `false`, `None`, a unit variant (`Rigorous`).
    Ident(String),
    /// A string literal, unescaped.
    Str(String),
    /// A character literal.
    Char(char),
    /// A number as written (underscores removed).
    Num(String),
    /// `(a: 1, b: 2)` or `Name(a: 1)`: a struct or a struct-like enum variant.
    Struct {
        /// The name before the parenthesis, if any.
        name: Option<String>,
        /// Fields in source order: name, value.
        fields: Vec<(String, Node)>,
    },
    /// `(1, 2)`, `()`, `Name(x)`: a tuple, unit, newtype or tuple variant.
    Tuple {
        /// The name before the parenthesis, if any.
        name: Option<String>,
        /// Elements in order.
        items: Vec<Node>,
    },
    /// `[a, b]`.
    Seq(Vec<Node>),
    /// `{k: v}`.
    Map(Vec<(Node, Node)>),
}

/// A syntax error found by the span parser.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    /// Byte offset where it was found.
    pub offset: usize,
    /// What was wrong.
    pub message: String,
}

/// Parse one RON value (with optional leading `#![enable(..)]` attributes) spanning the whole
/// text. Never panics; refuses nesting deeper than [`MAX_DEPTH`].
pub(super) fn parse(src: &str) -> Result<Node, SyntaxError> {
    let mut p = Parser { src, pos: 0 };
    p.skip_ws()?;
    while p.rest().starts_with("#!") {
        p.skip_attribute()?;
        p.skip_ws()?;
    }
    let node = p.value(0)?;
    p.skip_ws()?;
    if p.pos < src.len() {
        return Err(p.err("trailing characters after the value"));
    }
    Ok(node)
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err(&self, message: &str) -> SyntaxError {
        SyntaxError {
            offset: self.pos,
            message: message.to_string(),
        }
    }

    fn expect(&mut self, c: char) -> Result<(), SyntaxError> {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(self.err(&format!("expected `{c}`")))
        }
    }

    fn skip_ws(&mut self) -> Result<(), SyntaxError> {
        loop {
            let rest = self.rest();
            if let Some(c) = rest.chars().next()
                && c.is_whitespace()
            {
                self.pos += c.len_utf8();
            } else if rest.starts_with("//") {
                match rest.find('\n') {
                    Some(n) => self.pos += n + 1,
                    None => self.pos = self.src.len(),
                }
            } else if rest.starts_with("/*") {
                let start = self.pos;
                self.pos += 2;
                let mut depth = 1usize;
                while depth > 0 {
                    let r = self.rest();
                    if r.is_empty() {
                        self.pos = start;
                        return Err(self.err("unclosed block comment"));
                    } else if r.starts_with("/*") {
                        depth += 1;
                        self.pos += 2;
                    } else if r.starts_with("*/") {
                        depth -= 1;
                        self.pos += 2;
                    } else {
                        self.bump();
                    }
                }
            } else {
                return Ok(());
            }
        }
    }

    fn skip_attribute(&mut self) -> Result<(), SyntaxError> {
        // `#![enable(a, b)]`
        self.pos += 2;
        self.expect('[')?;
        let mut depth = 1usize;
        while depth > 0 {
            match self.bump() {
                Some('[') => depth += 1,
                Some(']') => depth -= 1,
                Some(_) => {}
                None => return Err(self.err("unclosed attribute")),
            }
        }
        Ok(())
    }

    fn ident(&mut self) -> Option<String> {
        let rest = self.rest();
        if let Some(raw) = rest.strip_prefix("r#")
            && raw.chars().next().is_some_and(is_ident_start)
        {
            let n = raw
                .char_indices()
                .find(|&(_, c)| !(is_ident_char(c) || matches!(c, '.' | '+' | '-')))
                .map_or(raw.len(), |(i, _)| i);
            self.pos += 2 + n;
            return Some(raw[..n].to_string());
        }
        if !rest.chars().next().is_some_and(is_ident_start) {
            return None;
        }
        let n = rest
            .char_indices()
            .find(|&(_, c)| !is_ident_char(c))
            .map_or(rest.len(), |(i, _)| i);
        self.pos += n;
        Some(rest[..n].to_string())
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting is too deep"));
        }
        let start = self.pos;
        let kind = match self.peek() {
            None => return Err(self.err("unexpected end of input")),
            Some('"') => NodeKind::Str(self.string()?),
            Some('r') if self.rest().starts_with("r\"") || self.rest().starts_with("r#\"") => {
                NodeKind::Str(self.raw_string()?)
            }
            Some('b') if self.rest().starts_with("b\"") || self.rest().starts_with("br") => {
                self.pos += 1;
                if self.peek() == Some('"') {
                    NodeKind::Str(self.string()?)
                } else {
                    NodeKind::Str(self.raw_string()?)
                }
            }
            Some('\'') => NodeKind::Char(self.char_lit()?),
            Some('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.list(']', |p| {
                    items.push(p.value(depth + 1)?);
                    Ok(())
                })?;
                NodeKind::Seq(items)
            }
            Some('{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.list('}', |p| {
                    let k = p.value(depth + 1)?;
                    p.skip_ws()?;
                    p.expect(':')?;
                    p.skip_ws()?;
                    let v = p.value(depth + 1)?;
                    entries.push((k, v));
                    Ok(())
                })?;
                NodeKind::Map(entries)
            }
            Some('(') => self.parens(None, depth)?,
            Some(c) if c.is_ascii_digit() || matches!(c, '+' | '-' | '.') => {
                NodeKind::Num(self.number()?)
            }
            Some(c) if is_ident_start(c) => {
                let name = self.ident().unwrap_or_default();
                if matches!(name.as_str(), "inf" | "NaN") {
                    NodeKind::Num(name)
                } else {
                    let save = self.pos;
                    self.skip_ws()?;
                    if self.peek() == Some('(') {
                        self.parens(Some(name), depth)?
                    } else {
                        self.pos = save;
                        NodeKind::Ident(name)
                    }
                }
            }
            Some(c) => return Err(self.err(&format!("unexpected character `{c}`"))),
        };
        Ok(Node {
            start,
            end: self.pos,
            kind,
        })
    }

    /// Comma-separated items up to `close` (trailing comma allowed); the opener is consumed.
    fn list(
        &mut self,
        close: char,
        mut item: impl FnMut(&mut Self) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        loop {
            self.skip_ws()?;
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(());
            }
            item(self)?;
            self.skip_ws()?;
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.err(&format!("expected `,` or `{close}`"))),
            }
        }
    }

    /// `( ... )` after an optional name: a struct when the first item is `ident:`.
    fn parens(&mut self, name: Option<String>, depth: usize) -> Result<NodeKind, SyntaxError> {
        self.expect('(')?;
        self.skip_ws()?;
        let save = self.pos;
        let is_struct = match self.ident() {
            Some(_) => {
                self.skip_ws()?;
                self.peek() == Some(':') && !self.rest().starts_with("::")
            }
            None => false,
        };
        self.pos = save;
        if is_struct {
            let mut fields = Vec::new();
            self.list(')', |p| {
                let f = p.ident().ok_or_else(|| p.err("expected a field name"))?;
                p.skip_ws()?;
                p.expect(':')?;
                p.skip_ws()?;
                let v = p.value(depth + 1)?;
                fields.push((f, v));
                Ok(())
            })?;
            Ok(NodeKind::Struct { name, fields })
        } else {
            let mut items = Vec::new();
            self.list(')', |p| {
                items.push(p.value(depth + 1)?);
                Ok(())
            })?;
            Ok(NodeKind::Tuple { name, items })
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        self.expect('"')?;
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    self.pos = start;
                    return Err(self.err("unterminated string"));
                }
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('0') => out.push('\0'),
                    Some('u') => {
                        // \u{XXXX}
                        if self.peek() == Some('{') {
                            self.pos += 1;
                            let close = self
                                .rest()
                                .find('}')
                                .ok_or_else(|| self.err("bad escape"))?;
                            let hex = &self.rest()[..close];
                            let c = u32::from_str_radix(hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("bad unicode escape"))?;
                            out.push(c);
                            self.pos += close + 1;
                        } else {
                            return Err(self.err("bad unicode escape"));
                        }
                    }
                    Some('x') => {
                        let hex = self.rest().get(..2).ok_or_else(|| self.err("bad escape"))?;
                        let b = u8::from_str_radix(hex, 16).map_err(|_| self.err("bad escape"))?;
                        out.push(char::from(b));
                        self.pos += 2;
                    }
                    Some('\n') => {
                        // line continuation: skip leading whitespace of the next line
                        while self.peek().is_some_and(char::is_whitespace) {
                            self.bump();
                        }
                    }
                    Some(c) => out.push(c),
                    None => return Err(self.err("unterminated string")),
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn raw_string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        self.expect('r')?;
        let mut hashes = 0usize;
        while self.peek() == Some('#') {
            hashes += 1;
            self.pos += 1;
        }
        self.expect('"')?;
        let close = format!("\"{}", "#".repeat(hashes));
        match self.rest().find(&close) {
            Some(n) => {
                let s = self.rest()[..n].to_string();
                self.pos += n + close.len();
                Ok(s)
            }
            None => {
                self.pos = start;
                Err(self.err("unterminated raw string"))
            }
        }
    }

    fn char_lit(&mut self) -> Result<char, SyntaxError> {
        self.expect('\'')?;
        let c = match self.bump() {
            Some('\\') => match self.bump() {
                Some('n') => '\n',
                Some('t') => '\t',
                Some(c) => c,
                None => return Err(self.err("unterminated character")),
            },
            Some(c) => c,
            None => return Err(self.err("unterminated character")),
        };
        self.expect('\'')?;
        Ok(c)
    }

    fn number(&mut self) -> Result<String, SyntaxError> {
        let rest = self.rest();
        let n = rest
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_alphanumeric()
                    || c == '_'
                    || c == '.'
                    || (matches!(c, '+' | '-')
                        && (i == 0 || matches!(rest.as_bytes()[i - 1], b'e' | b'E'))))
            })
            .map_or(rest.len(), |(i, _)| i);
        if n == 0 {
            return Err(self.err("expected a number"));
        }
        self.pos += n;
        Ok(rest[..n].replace('_', ""))
    }
}

/// Map from value path (`agencies[0].collection`) to byte span, built from a parsed file.
#[derive(Debug, Clone, Default)]
pub(super) struct SpanIndex {
    spans: BTreeMap<String, (usize, usize)>,
}

impl SpanIndex {
    /// Index every value of `src`; an unparsable text gives an empty index (all lookups fall
    /// back to the start of the file).
    pub(super) fn build(src: &str) -> SpanIndex {
        let mut idx = SpanIndex::default();
        if let Ok(root) = parse(src) {
            idx.walk(&root, String::new());
        }
        idx
    }

    fn join_field(path: &str, field: &str) -> String {
        if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        }
    }

    fn walk(&mut self, node: &Node, path: String) {
        self.spans.insert(path.clone(), (node.start, node.end));
        match &node.kind {
            NodeKind::Struct { fields, .. } => {
                for (f, v) in fields {
                    self.walk(v, Self::join_field(&path, f));
                }
            }
            NodeKind::Tuple { name, items } => {
                if name.as_deref() == Some("Some") && items.len() == 1 {
                    self.walk(&items[0], path);
                    return;
                }
                for (i, v) in items.iter().enumerate() {
                    self.walk(v, Self::join_field(&path, &i.to_string()));
                }
            }
            NodeKind::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.walk(v, format!("{path}[{i}]"));
                }
            }
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    let key = match &k.kind {
                        NodeKind::Ident(s) | NodeKind::Str(s) | NodeKind::Num(s) => s.clone(),
                        NodeKind::Char(c) => c.to_string(),
                        _ => continue,
                    };
                    self.walk(v, format!("{path}[{key}]"));
                }
            }
            NodeKind::Ident(_) | NodeKind::Str(_) | NodeKind::Char(_) | NodeKind::Num(_) => {}
        }
    }

    /// The exact span of `path`, if the file writes that value.
    pub(super) fn get(&self, path: &str) -> Option<(usize, usize)> {
        self.spans.get(path).copied()
    }

    /// The span of `path`, or of its nearest written ancestor (a defaulted field points at its
    /// struct); `(0, 0)` when nothing matches.
    pub(super) fn lookup(&self, path: &str) -> (usize, usize) {
        let mut p = path;
        loop {
            if let Some(s) = self.get(p) {
                return s;
            }
            match parent_path(p) {
                Some(parent) => p = parent,
                None => return (0, 0),
            }
        }
    }
}

/// The path one level up: `a.b[2].c` → `a.b[2]` → `a.b` → `a` → none.
pub(super) fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = if path.ends_with(']') {
        path.rfind('[')?
    } else {
        path.rfind('.').unwrap_or(0)
    };
    Some(&path[..cut])
}

/// Byte offset → 1-based line and column (column in characters).
#[derive(Debug, Clone)]
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `src`.
    pub(super) fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based (line, column) of a byte offset (clamped to the text).
    pub(super) fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(src, offset.min(src.len()));
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = src[start..offset].chars().count() + 1;
        (line, col)
    }

    /// Byte offset of a 1-based (line, column in characters); clamped to the text.
    pub(super) fn offset(&self, src: &str, line: usize, col: usize) -> usize {
        let Some(&start) = self.starts.get(line.max(1) - 1) else {
            return src.len();
        };
        let end = self.line_end(src, start);
        src[start..end]
            .char_indices()
            .nth(col.max(1) - 1)
            .map_or(end, |(i, _)| start + i)
    }

    /// Byte offset of the end of the line starting at `start` (before `\n` / `\r\n`).
    pub(super) fn line_end(&self, src: &str, start: usize) -> usize {
        let end = src[start..].find('\n').map_or(src.len(), |n| start + n);
        if end > start && src.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    /// Byte offset where the line holding `offset` starts.
    pub(super) fn line_start(&self, offset: usize) -> usize {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        self.starts[line - 1]
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"// a comment
(
    agencies: [
        (id: "a", collection: {Cyber: 0.5}),
        (id: "b", reliability: Some((mtbf: days(30), mttr: hours(4)))),
    ],
    injects: [(trigger: AfterInject(inject: "x", delay: hours(1)), effect: AgencyOutage("a"))],
)"#;

    fn text(path: &str) -> &'static str {
        let idx = SpanIndex::build(SRC);
        let (s, e) = idx
            .get(path)
            .unwrap_or_else(|| panic!("no span for {path}"));
        &SRC[s..e]
    }

    #[test]
    fn fields_elements_and_map_entries_have_spans() {
        assert_eq!(text("agencies[0].id"), "\"a\"");
        assert_eq!(text("agencies[0].collection[Cyber]"), "0.5");
        assert_eq!(text("agencies[1]").chars().next(), Some('('));
    }

    #[test]
    fn some_is_transparent_and_variant_fields_sit_below_the_variant() {
        assert_eq!(text("agencies[1].reliability.mtbf"), "days(30)");
        assert_eq!(text("agencies[1].reliability.mtbf.0"), "30");
        assert_eq!(text("injects[0].trigger.inject"), "\"x\"");
        assert_eq!(text("injects[0].effect.0"), "\"a\"");
    }

    #[test]
    fn lookup_falls_back_to_the_nearest_written_ancestor() {
        let idx = SpanIndex::build(SRC);
        assert_eq!(
            idx.lookup("agencies[0].analysts"),
            idx.get("agencies[0]").unwrap()
        );
        assert_eq!(idx.lookup("nothing.here"), idx.get("").unwrap());
        assert_eq!(SpanIndex::build("(").lookup("a"), (0, 0));
    }

    #[test]
    fn line_and_column_are_one_based_in_characters() {
        let src = "ab\nçd\n";
        let li = LineIndex::new(src);
        assert_eq!(li.line_col(src, 0), (1, 1));
        assert_eq!(li.line_col(src, 3), (2, 1));
        assert_eq!(li.line_col(src, 5), (2, 2));
        assert_eq!(li.offset(src, 2, 2), 5);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn parent_paths_climb_one_level_at_a_time() {
        assert_eq!(parent_path("a.b[2].c"), Some("a.b[2]"));
        assert_eq!(parent_path("a.b[2]"), Some("a.b"));
        assert_eq!(parent_path("a"), Some(""));
        assert_eq!(parent_path(""), None);
    }
}
