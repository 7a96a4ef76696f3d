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
use crate::diagnostics::{Diagnostic, FileId, SourceFile, SourceMap};
use crate::eval::Value;
use crate::playbook::{AsOf, EvaluateError, Member, Playbook, PlaybookError};
use crate::syntax::parse_expression;

/// A playbook checked, not compiled: every diagnostic and the sources they point into.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckReport {
    /// The root file and every file it includes.
    pub sources: SourceMap,
    /// Every problem found, errors and warnings, in source order.
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

    /// The files added with [`Session::declare`], in order.
    pub fn typed_files(&self) -> &[FileId] {
        &self.typed
    }

    /// The declarations of the session's playbook, includes spliced in.
    pub fn declarations(&self) -> impl Iterator<Item = Declaration<'_>> {
        declarations(&self.checked)
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
