//! A playbook built up one declaration at a time (what the REPL and editors need), and
//! a playbook checked without being compiled (what `siyu check` reports). The checking
//! itself is the `check` stage's; this file only keeps its results and hands out views
//! that name no stage-internal type.
//!
//! Each declaration is a source file of its own in the session's source map, so that
//! diagnostics point into what was typed. A declaration naming a rule, segment, stage,
//! channel or test already there replaces it in place.

use std::path::{Path, PathBuf};

use crate::ast::{Expr, ExprKind, FieldDecl, Item, RuleClause, TypeKind};
use crate::check::{check_expression, check_session, Checked};
use crate::diagnostics::{codes, Diagnostic, FileId, SourceFile, SourceMap, Span};
use crate::eval::Value;
use crate::playbook::{AsOf, EvaluateError, Member, Playbook, PlaybookError};
use crate::syntax::parse_expression;

/// A playbook checked, not compiled: every diagnostic and the sources they point into.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckReport {
    /// The root file and every file it includes.
    pub sources: SourceMap,
    /// Every problem found: errors, then warnings, then notes, each in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckReport {
    /// A report of these diagnostics, whose spans lie in `sources`.
    pub fn new(sources: SourceMap, diagnostics: Vec<Diagnostic>) -> Self {
        CheckReport {
            sources,
            diagnostics,
        }
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and checks a playbook from its text (includes are read relative to `path`,
/// or to the current directory without one); `name` is shown in diagnostics.
pub fn check_source(name: &str, path: Option<&Path>, text: &str) -> CheckReport {
    let checked = crate::check::check_source(name, path, text);
    CheckReport {
        sources: checked.sources,
        diagnostics: checked.diagnostics,
    }
}

/// A playbook built one declaration at a time: a root file (loaded, or typed) and the
/// declarations added since, each a file of its own. Immutable: adding a declaration
/// makes a [`Draft`], which becomes the next session once it compiles.
#[derive(Debug, Clone)]
pub struct Session {
    checked: Checked,
    playbook: Playbook,
    typed: Vec<FileId>,
}

/// A session with one more file, checked and not yet compiled: its diagnostics are
/// there to show, and [`Draft::accept`] compiles it into the next [`Session`].
#[derive(Debug, Clone)]
pub struct Draft {
    checked: Checked,
    typed: Vec<FileId>,
    file: FileId,
}

impl Draft {
    /// The file this draft added.
    pub fn file(&self) -> FileId {
        self.file
    }

    /// Every diagnostic of the whole playbook, errors and warnings.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.checked.diagnostics
    }

    /// The sources the diagnostics point into.
    pub fn sources(&self) -> &SourceMap {
        &self.checked.sources
    }

    /// Whether any diagnostic is an error (then [`Draft::accept`] fails).
    pub fn has_errors(&self) -> bool {
        self.checked.has_errors()
    }

    /// The declarations of the drafted playbook, includes spliced in.
    pub fn declarations(&self) -> impl Iterator<Item = Declaration<'_>> {
        declarations(&self.checked)
    }

    /// Compiles the draft into the next session; its errors otherwise.
    pub fn accept(self) -> Result<Session, PlaybookError> {
        let playbook = Playbook::compile_checked(&self.checked)?;
        Ok(Session {
            checked: self.checked,
            playbook,
            typed: self.typed,
        })
    }
}

impl Session {
    /// Starts a session from a root file (`name` shown in diagnostics, `path` for its
    /// includes); the draft becomes the session once accepted.
    pub fn start(name: &str, path: Option<PathBuf>, text: impl Into<std::sync::Arc<str>>) -> Draft {
        let mut sources = SourceMap::new();
        let root = sources.add(SourceFile::new(name, path, text));
        Draft {
            checked: check_session(sources, root, &[]),
            typed: Vec::new(),
            file: root,
        }
    }

    /// This session with one more declaration (or several) typed as `text`, checked
    /// with everything already there.
    pub fn declare(&self, name: &str, text: impl Into<std::sync::Arc<str>>) -> Draft {
        let mut sources = self.checked.sources.clone();
        let file = sources.add(SourceFile::new(name, None, text));
        let mut typed = self.typed.clone();
        typed.push(file);
        Draft {
            checked: check_session(sources, self.checked.root, &typed),
            typed,
            file,
        }
    }

    /// The compiled playbook.
    pub fn playbook(&self) -> &Playbook {
        &self.playbook
    }

    /// The session's sources: the root file, its includes, each typed declaration.
    pub fn sources(&self) -> &SourceMap {
        &self.checked.sources
    }

    /// The root file: the playbook the session started from.
    pub fn root_file(&self) -> FileId {
        self.checked.root
    }

    /// The files added with [`Session::declare`], in order.
    pub fn typed_files(&self) -> &[FileId] {
        &self.typed
    }

    /// The declarations of the session's playbook, includes spliced in.
    pub fn declarations(&self) -> impl Iterator<Item = Declaration<'_>> {
        declarations(&self.checked)
    }

    /// The session's playbook as the text of one file, to be saved at `save_to`: the
    /// root file's declarations and `include` lines, and the typed ones, in the
    /// session's order (a typed declaration stands where the one it replaced stood),
    /// each with the comment lines written just above it. What an `include` brings in
    /// stays behind its `include` line, whose path is rewritten to be relative to
    /// `save_to`'s folder. The text is as written, not formatted
    /// ([`format_source`](crate::format_source) does that).
    pub fn to_source(&self, save_to: &Path) -> String {
        let root = self.checked.root;
        let sources = &self.checked.sources;
        let from_dir = sources
            .get(root)
            .path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf);
        let includes_of = |file: FileId| -> Vec<crate::ast::Include> {
            let parsed = crate::syntax::parse(&sources.get(file).text, file);
            parsed
                .module
                .items
                .into_iter()
                .filter_map(|item| match item {
                    Item::Include(include) => Some(include),
                    _ => None,
                })
                .collect()
        };
        let mut pending: std::collections::VecDeque<crate::ast::Include> = includes_of(root).into();
        let mut out = Source::default();
        let items = &self.checked.items;
        let next_root_start = |from: usize| {
            items[from..]
                .iter()
                .find(|item| item.span().file == root)
                .map_or(u32::MAX, |item| item.span().start)
        };
        let include_line = |include: &crate::ast::Include, dir: Option<&Path>| {
            let written = include.path.value.as_str();
            let path = match dir {
                Some(dir) => rebase(&dir.join(written), save_to).unwrap_or_else(|| written.into()),
                None => written.to_string(),
            };
            format!("include {}", quote(&path))
        };
        for (index, item) in items.iter().enumerate() {
            let span = item.span();
            let own = span.file == root || self.typed.contains(&span.file);
            let flush_before = if span.file == root {
                span.start
            } else {
                next_root_start(index)
            };
            while pending.front().is_some_and(|i| i.span.start < flush_before) {
                if let Some(include) = pending.pop_front() {
                    let text = &sources.get(root).text;
                    let above = comments_above(text, include.span.start as usize);
                    out.push(
                        (root, include.span, "include"),
                        above,
                        &include_line(&include, from_dir.as_deref()),
                        text,
                    );
                }
            }
            if !own {
                continue;
            }
            let text = &sources.get(span.file).text;
            let above = comments_above(text, span.start as usize);
            out.push(
                (span.file, span, describe(item).0),
                above,
                sources.slice(span),
                text,
            );
        }
        for include in pending {
            let text = &sources.get(root).text;
            out.push(
                (root, include.span, "include"),
                "",
                &include_line(&include, from_dir.as_deref()),
                text,
            );
        }
        let here = std::env::current_dir().ok();
        for &file in &self.typed {
            for include in includes_of(file) {
                let text = &sources.get(file).text;
                out.push(
                    (file, include.span, "include"),
                    "",
                    &include_line(&include, here.as_deref()),
                    text,
                );
            }
        }
        out.text
    }

    /// Dotted paths of the fields inside object types of the `member` schema
    /// (`consent.dm`), sorted.
    pub fn nested_field_paths(&self) -> Vec<String> {
        let mut paths = Vec::new();
        for item in &self.checked.items {
            if let Item::Member(schema) = item {
                nested_paths(&schema.fields, "", &mut paths, 0);
            }
        }
        paths
    }

    /// Parses and checks an expression typed as `text` (a file named `name`) against
    /// the session's playbook.
    pub fn expression(&self, name: &str, text: &str) -> Expression {
        let mut sources = self.checked.sources.clone();
        let file = sources.add(SourceFile::new(name, None, text));
        match parse_expression(text, file) {
            Ok(expr) => {
                let diagnostics = check_expression(&self.checked, &sources, &expr);
                Expression {
                    expr: Some(expr),
                    sources,
                    diagnostics,
                }
            }
            Err(diagnostics) => Expression {
                expr: None,
                sources,
                diagnostics,
            },
        }
    }

    /// Like [`Session::expression`], for a session whose playbook has no `member`
    /// schema: then the names the expression reads are checked against `keys`, the
    /// top-level keys of the snapshots at hand, so that a mistyped `ordrs` is an error
    /// ("did you mean `orders`?") instead of a quiet `null`. With a schema, `keys` is
    /// not used: the schema decides.
    pub fn expression_with_keys(&self, name: &str, text: &str, keys: &[String]) -> Expression {
        let mut expression = self.expression(name, text);
        if self.playbook.has_schema() {
            return expression;
        }
        let Some(expr) = &expression.expr else {
            return expression;
        };
        let segments: Vec<&str> = self.playbook.segments().collect();
        let mut free = Vec::new();
        free_names(expr, &mut Vec::new(), &mut free);
        for (field, span) in free {
            let known = keys.contains(&field) || segments.contains(&field.as_str());
            if known {
                continue;
            }
            let mut diagnostic = Diagnostic::error(
                codes::UNKNOWN_FIELD,
                format!("unknown field `{field}`"),
                span,
            );
            if keys.is_empty() {
                diagnostic = diagnostic
                    .with_label("no `member` schema is declared and no snapshot is read")
                    .with_help(
                        "read snapshots with `:members FILE`, or declare the fields in a \
                         `member { … }` block",
                    );
            } else {
                diagnostic = diagnostic.with_label("not a key of the snapshots read nor a segment");
                let candidates = keys
                    .iter()
                    .map(String::as_str)
                    .chain(segments.iter().copied());
                if let Some(close) = crate::diagnostics::did_you_mean(&field, candidates) {
                    diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
                }
            }
            expression.diagnostics.push(diagnostic);
        }
        expression
    }

    /// A playbook of the session's `playbook` declaration alone (its time zone), to
    /// evaluate expressions that read no member.
    pub fn declaration_only(&self) -> Option<Playbook> {
        let declaration: Vec<Item> = self
            .checked
            .items
            .iter()
            .filter(|item| matches!(item, Item::Playbook(_)))
            .cloned()
            .collect();
        Playbook::compile_items(&self.checked.sources, &declaration).ok()
    }
}

/// An expression parsed and checked against a session: its diagnostics to show, and,
/// without errors, something to evaluate.
#[derive(Debug, Clone)]
pub struct Expression {
    expr: Option<Expr>,
    sources: SourceMap,
    diagnostics: Vec<Diagnostic>,
}

impl Expression {
    /// What parsing and checking found.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The sources the diagnostics point into (the expression is the last file).
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// Whether it has errors (then it cannot be evaluated).
    pub fn has_errors(&self) -> bool {
        self.expr.is_none() || self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Whether it reads the member: a name (field, segment or lambda parameter) or
    /// `member.x`.
    pub fn reads_member(&self) -> bool {
        self.expr.as_ref().is_some_and(reads_member)
    }

    /// Evaluates it for a member of `playbook`.
    pub fn evaluate(
        &self,
        playbook: &Playbook,
        member: &Member,
        as_of: AsOf,
    ) -> Result<Value, EvaluateError> {
        match &self.expr {
            Some(expr) if !self.has_errors() => playbook.evaluate_expr(expr, member, as_of),
            _ => Err(EvaluateError::Compile(self.diagnostics.clone())),
        }
    }
}

/// One declaration of a session's playbook.
#[derive(Debug, Clone, Copy)]
pub struct Declaration<'a> {
    item: &'a Item,
    sources: &'a SourceMap,
}

impl<'a> Declaration<'a> {
    /// Its keyword: `playbook`, `include`, `member`, `channel`, `segment`, `stage`,
    /// `rule`, `policy` or `test`.
    pub fn kind(&self) -> &'static str {
        describe(self.item).0
    }

    /// Its name as the REPL shows it (quoted for playbooks, includes and tests;
    /// `schema` for `member`, empty for `policy`).
    pub fn name(&self) -> String {
        describe(self.item).1
    }

    /// The file it is written in.
    pub fn file(&self) -> FileId {
        self.item.span().file
    }

    /// Its source text.
    pub fn text(&self) -> &'a str {
        self.sources.slice(self.item.span())
    }

    /// For a rule: its name, label, stages, priority and group on one line
    /// (`welcome "Welcome"  stage new  priority 3`).
    pub fn rule_outline(&self) -> Option<String> {
        let Item::Rule(rule) = self.item else {
            return None;
        };
        let mut line = rule.name.name.clone();
        if let Some(label) = &rule.label {
            line.push_str(&format!(" {:?}", label.value));
        }
        for clause in &rule.clauses {
            match clause {
                RuleClause::Stage(stages, _) => {
                    let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
                    line.push_str(&format!("  stage {}", names.join(", ")));
                }
                RuleClause::Priority(priority, _) => {
                    line.push_str(&format!("  priority {priority}"));
                }
                RuleClause::Group(group, _) => line.push_str(&format!("  group {}", group.name)),
                _ => {}
            }
        }
        Some(line)
    }
}

fn declarations(checked: &Checked) -> impl Iterator<Item = Declaration<'_>> {
    checked.items.iter().map(|item| Declaration {
        item,
        sources: &checked.sources,
    })
}

/// A declaration's kind and name.
fn describe(item: &Item) -> (&'static str, String) {
    match item {
        Item::Playbook(decl) => ("playbook", format!("{:?}", decl.name.value)),
        Item::Include(decl) => ("include", format!("{:?}", decl.path.value)),
        Item::Member(_) => ("member", "schema".to_string()),
        Item::Channel(decl) => ("channel", decl.name.name.clone()),
        Item::Segment(decl) => ("segment", decl.name.name.clone()),
        Item::Stage(decl) => ("stage", decl.name.name.clone()),
        Item::Rule(decl) => ("rule", decl.name.name.clone()),
        Item::Policy(_) => ("policy", String::new()),
        Item::Test(decl) => ("test", format!("{:?}", decl.name.value)),
        Item::Experiment(decl) => ("experiment", decl.name.name.clone()),
        Item::Group(decl) => ("group", decl.name.name.clone()),
    }
}

/// Dotted paths of the fields inside object types, as deep as the schema goes (the
/// parser bounds its nesting).
fn nested_paths(fields: &[FieldDecl], prefix: &str, out: &mut Vec<String>, depth: usize) {
    for field in fields {
        let path = format!("{prefix}{}", field.name.name);
        let mut kind = &field.ty.kind;
        while let TypeKind::Optional(inner) = kind {
            kind = &inner.kind;
        }
        if let TypeKind::Object(inner) = kind {
            let nested = format!("{path}.");
            for sub in inner {
                out.push(format!("{nested}{}", sub.name.name));
            }
            if depth < 16 {
                nested_paths(inner, &nested, out, depth + 1);
            }
        }
    }
    out.sort();
    out.dedup();
}

/// Whether an expression reads the member. The parser bounds the tree's height, so
/// recursion is safe.
fn reads_member(expression: &Expr) -> bool {
    match &expression.kind {
        ExprKind::Name(_) | ExprKind::MemberField(_) => true,
        ExprKind::List(items) | ExprKind::Call(_, items) => items.iter().any(reads_member),
        ExprKind::Field(inner, _)
        | ExprKind::Lambda(_, inner)
        | ExprKind::Not(inner)
        | ExprKind::Neg(inner)
        | ExprKind::Paren(inner) => reads_member(inner),
        ExprKind::Index(left, right) | ExprKind::Binary(_, left, right) => {
            reads_member(left) || reads_member(right)
        }
        ExprKind::In {
            needle, haystack, ..
        } => reads_member(needle) || reads_member(haystack),
        ExprKind::IsNull { operand, .. } => reads_member(operand),
        _ => other_reads_member(expression),
    }
}

/// The text of a saved session, declaration by declaration.
#[derive(Default)]
struct Source {
    text: String,
    /// The file and end of the last declaration written.
    last: Option<(FileId, u32)>,
    /// The keyword of the last declaration written, if it was one line.
    last_line: Option<&'static str>,
}

impl Source {
    /// Appends one declaration (`body`, with the comment lines `above` it) written at
    /// `span` in `file`, whose text is `file_text`: separated from the one before by a
    /// blank line, unless both came from one file with no blank line between them, or
    /// both are one-line declarations of one kind (a typed stage among the file's).
    fn push(
        &mut self,
        (file, span, kind): (FileId, Span, &'static str),
        above: &str,
        body: &str,
        file_text: &str,
    ) {
        let body = body.trim_end();
        let one_line = !body.contains('\n');
        if !self.text.is_empty() {
            let other_file = self.last.is_some_and(|(last_file, _)| last_file != file);
            let same_kind =
                other_file && above.is_empty() && one_line && self.last_line == Some(kind);
            let tight = same_kind
                || match self.last {
                    Some((last_file, end)) if last_file == file && end <= span.start => {
                        let gap = &file_text[end as usize..span.start as usize];
                        above.is_empty() && gap.matches('\n').count() <= 1
                    }
                    _ => false,
                };
            if !tight {
                self.text.push('\n');
            }
        }
        self.text.push_str(above.trim_start_matches('\n'));
        self.text.push_str(body);
        self.text.push('\n');
        self.last = Some((file, span.end));
        self.last_line = one_line.then_some(kind);
    }
}

/// `target` written relative to the folder of `saved` (both made absolute), with `/`.
fn rebase(target: &Path, saved: &Path) -> Option<String> {
    let target = std::fs::canonicalize(target).ok()?;
    let folder = std::fs::canonicalize(
        saved
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )
    .ok()?;
    let target: Vec<_> = target.components().collect();
    let folder: Vec<_> = folder.components().collect();
    let shared = target
        .iter()
        .zip(&folder)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_string(); folder.len() - shared];
    parts.extend(
        target[shared..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}

/// A string literal of the language for `text`.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The comment lines (and blank lines between them) just above `start` in `text`,
/// from the start of the first such line to `start`.
fn comments_above(text: &str, start: usize) -> &str {
    let Some(before) = text.get(..start) else {
        return "";
    };
    // The declaration's own line, up to where it starts, must be blank.
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if !before[line_start..].trim().is_empty() {
        return "";
    }
    let mut first = line_start;
    let mut cursor = line_start;
    while cursor > 0 {
        let above_end = cursor - 1; // the '\n' ending the line above
        let above_start = text[..above_end].rfind('\n').map_or(0, |i| i + 1);
        let line = text[above_start..above_end].trim();
        if line.starts_with("//") {
            first = above_start;
        } else if !line.is_empty() {
            break;
        }
        cursor = above_start;
    }
    &text[first..start]
}

/// The member fields an expression reads, with where: bare names that are not lambda
/// parameters (`bound`), and `member.x`.
fn free_names(expression: &Expr, bound: &mut Vec<String>, out: &mut Vec<(String, Span)>) {
    match &expression.kind {
        ExprKind::Name(name) if !bound.contains(name) => {
            out.push((name.clone(), expression.span));
        }
        ExprKind::MemberField(field) => out.push((field.name.clone(), field.span)),
        ExprKind::Lambda(parameter, body) => {
            bound.push(parameter.name.clone());
            free_names(body, bound, out);
            bound.pop();
        }
        // `variant(EXP)` names an experiment, not a field.
        ExprKind::Call(function, _) if function.name == "variant" => {}
        ExprKind::List(items) | ExprKind::Call(_, items) => {
            for item in items {
                free_names(item, bound, out);
            }
        }
        ExprKind::Field(inner, _)
        | ExprKind::Not(inner)
        | ExprKind::Neg(inner)
        | ExprKind::Paren(inner)
        | ExprKind::IsNull { operand: inner, .. } => free_names(inner, bound, out),
        ExprKind::Index(left, right)
        | ExprKind::Binary(_, left, right)
        | ExprKind::In {
            needle: left,
            haystack: right,
            ..
        } => {
            free_names(left, bound, out);
            free_names(right, bound, out);
        }
        _ => {}
    }
}

/// Kinds without sub-expressions read nothing; the rest are read conservatively.
fn other_reads_member(expression: &Expr) -> bool {
    !matches!(
        expression.kind,
        ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Duration(_)
            | ExprKind::Date(_)
            | ExprKind::DateTime(_)
            | ExprKind::Time(_)
            | ExprKind::Percent(_)
            | ExprKind::Now
            | ExprKind::Today
    )
}
