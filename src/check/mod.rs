//! The checker: reads a playbook and its includes, resolves names, type-checks every
//! expression against the `member` schema and collects every problem it finds (it never
//! stops at the first). Parsing is left to [`crate::syntax`]; turning the checked
//! declarations into something that runs is left to [`crate::compile`].
//!
//! What the language leaves open is settled here:
//!
//! - **A file without `playbook`** is taken for a library meant to be included (shared
//!   channels, segments, even shared rules): `NO_PLAYBOOK` is a warning saying it can be
//!   included but not run, and the warnings that only make sense for a whole playbook
//!   (no schema, unused channel or segment, quadrant guards) are not given, so a library
//!   checked alone gets that one warning. Running such a file is refused when it is
//!   compiled, not here: `check` cannot tell which file will be run.
//! - **Unused channels and segments** are reported only when declared in the file that
//!   is run: a shared library included by many playbooks is expected to offer more than
//!   each one uses.
//! - **A file included twice** (two libraries that both include `common.rules`) is
//!   spliced in at its first `include` only.
//! - **Test snapshots.** A key the schema does not name, a missing required field or a
//!   value of the wrong type is a `BAD_TEST` warning (such data is legal, the schema
//!   simply rejects or ignores it, but in a hand-written test it is almost always a
//!   slip); the mismatches are not reported in a test that says `expect invalid`. A
//!   test without a `member` snapshot, or a snapshot without an `id`, is an error.
//! - **Lambda parameters** are looked up before segments and fields; one named like a
//!   segment or a schema field is an error (`DUPLICATE`), so a name never means two
//!   things.
//! - **After a syntax error** the parser drops the declaration it could not read. Names
//!   that the first line of such a declaration shows (`segment loyal = …`) are treated
//!   as declared, so their uses are not reported as unknown, and the warnings that
//!   need every declaration (unused channels and segments, no schema, no playbook) are
//!   not given until the syntax is fixed.
//! - **Diagnostics** come in this order: syntax ones file by file, then the checker's,
//!   sorted by file and position.

mod calls;
mod decls;
mod experiments;
mod exprs;
mod history;
mod load;
mod names;
mod read;
mod rules;
mod segments;
mod session;
mod stages;
mod test_blocks;
mod types;
mod warnings;

use std::collections::{HashMap, HashSet};
use std::io::ErrorKind;
use std::path::Path;

use crate::ast::{self, Item};
use crate::diagnostics::{codes, Diagnostic, FileId, SourceFile, SourceMap, Span};

use names::Names;
pub use read::read_source;
pub use session::check_session;

/// A playbook after checking: its sources, its declarations with includes spliced in,
/// and every problem found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Every file read: the root, its includes and any extra files.
    pub sources: SourceMap,
    /// The file that was checked (the one that is run).
    pub root: FileId,
    /// Every declaration of the root file and of its includes, includes spliced in at
    /// the `include` (Include items themselves removed), in order.
    pub items: Vec<ast::Item>,
    /// Comments of each file, by file (for tools that need them).
    pub comments: Vec<(FileId, Vec<ast::Comment>)>,
    /// Every problem: syntax ones from parsing first, then the checker's; errors and
    /// warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads the playbook at `path` and the files it includes, and checks them.
///
/// A file that cannot be read is reported as a diagnostic (`UNREADABLE`) like any
/// other problem.
pub fn check_file(path: &Path) -> Checked {
    let name = path.to_string_lossy().into_owned();
    match read_source(path) {
        Ok(text) => check_source(&name, Some(path), &text),
        Err(error) => {
            let mut sources = SourceMap::new();
            let root = sources.add(SourceFile::new(name.clone(), Some(path.to_path_buf()), ""));
            let message = match error.kind() {
                ErrorKind::NotFound => format!("cannot find `{name}`"),
                ErrorKind::InvalidData => format!("`{name}` is not UTF-8 text"),
                _ => format!("cannot read `{name}`: {error}"),
            };
            let mut diagnostic =
                Diagnostic::error(codes::UNREADABLE, message, Span::new(root, 0, 0));
            if error.kind() == ErrorKind::InvalidData {
                diagnostic = diagnostic.with_help("save the file as UTF-8");
            }
            Checked {
                sources,
                root,
                items: Vec::new(),
                comments: Vec::new(),
                diagnostics: vec![diagnostic],
            }
        }
    }
}

/// Checks a playbook given as text. `name` is shown in diagnostics; includes resolve
/// relative to `path`'s folder, or to the current directory without a path.
pub fn check_source(name: &str, path: Option<&Path>, text: &str) -> Checked {
    let mut sources = SourceMap::new();
    let root = sources.add(SourceFile::new(name, path.map(Path::to_path_buf), text));
    check_sources(sources, root, &[])
}

/// The same checks over an already-assembled source map + root (for the REPL, which
/// adds declarations typed by hand as extra files). The extra files' declarations come
/// after the root's; their includes are resolved too, and files already in the map are
/// not read again.
///
/// # Panics
/// If `root` or an id in `extra` is not a file of `sources`.
pub fn check_sources(mut sources: SourceMap, root: FileId, extra: &[FileId]) -> Checked {
    let mut loaded = load::load(&mut sources, root, extra);
    let items = std::mem::take(&mut loaded.items);
    check_loaded(sources, root, loaded, items)
}

/// Runs every check over `items` (the loaded declarations, possibly rearranged by the
/// caller) and assembles the result: syntax problems first, then the checker's, in
/// source order.
fn check_loaded(
    sources: SourceMap,
    root: FileId,
    loaded: load::Loaded,
    items: Vec<Item>,
) -> Checked {
    let mut context = Context::new(&sources);
    context.diagnostics.extend(loaded.problems);
    context.broken_files = loaded
        .syntax
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.span.file)
        .collect();
    context.include_missing = context
        .diagnostics
        .iter()
        .any(|d| d.code == codes::INCLUDE_MISSING);
    run_checks(&items, root, &mut context);
    fold_test_keys(&mut context);
    let mut checks = context.diagnostics;
    if context.include_missing {
        fold_into_missing_include(&mut checks);
    }
    checks.sort_by_key(|d| (d.span.file, d.span.start, d.span.end));
    let mut diagnostics = loaded.syntax;
    diagnostics.extend(checks);
    // Causes before consequences: errors, then warnings, then notes, each kind in
    // source order (the sort is stable).
    diagnostics.sort_by_key(|d| d.severity);
    Checked {
        sources,
        root,
        items,
        comments: loaded.comments,
        diagnostics,
    }
}

/// Checks one expression, typed by hand in the REPL, against the names and schema of an
/// already checked playbook: unknown fields and functions, type errors, misplaced
/// lambdas. `sources` must hold the file the expression's spans point into (usually
/// `checked.sources` with the typed line added); the playbook's own diagnostics are
/// not repeated.
///
/// # Panics
/// If the expression's file is not in `sources`.
pub fn check_expression(
    checked: &Checked,
    sources: &SourceMap,
    expression: &ast::Expr,
) -> Vec<Diagnostic> {
    let mut quiet = Context::new(&checked.sources);
    let names = Names::collect(&checked.items, checked.root, &mut quiet);
    let mut context = Context::new(sources);
    exprs::ExprChecker::new(&mut context, &names).expr(expression);
    context.diagnostics
}

/// A test snapshot key that an expression also misses is a consequence of that
/// error: it is counted in the error's help instead of warned about on its own.
fn fold_test_keys(cx: &mut Context) {
    let mut folded = vec![0usize; cx.schema_misses.len()];
    for (declared, name, warning) in std::mem::take(&mut cx.test_unknown_keys) {
        let miss = cx
            .schema_misses
            .iter()
            .position(|(d, n, _)| *d == declared && *n == name);
        match miss {
            Some(i) => folded[i] += 1,
            None => cx.diagnostics.push(warning),
        }
    }
    for ((_, name, index), count) in cx.schema_misses.iter().zip(folded) {
        if count == 0 {
            continue;
        }
        let snapshots = if count == 1 {
            "1 test snapshot gives".to_string()
        } else {
            format!("{count} test snapshots give")
        };
        let note = format!("{snapshots} `{name}` too: declared, it is read there as well");
        let diagnostic = &mut cx.diagnostics[*index];
        diagnostic.help = Some(match diagnostic.help.take() {
            Some(help) => format!("{help}\n{note}"),
            None => note,
        });
    }
}

/// With an `include` missing, a name it may declare is not reported as unknown: the
/// errors are dropped and counted in the missing include's help.
fn fold_into_missing_include(checks: &mut Vec<Diagnostic>) {
    let consequence = |d: &Diagnostic| {
        matches!(
            d.code,
            codes::UNKNOWN_CHANNEL | codes::UNKNOWN_STAGE | codes::UNKNOWN_RULE
        ) || (d.code == codes::UNKNOWN_FIELD && d.message.starts_with("unknown field `"))
    };
    let mut names: Vec<String> = Vec::new();
    let mut count = 0;
    checks.retain(|d| {
        if !consequence(d) {
            return true;
        }
        count += 1;
        if let Some(name) = d.message.split('`').nth(1) {
            let name = format!("`{name}`");
            if !names.contains(&name) {
                names.push(name);
            }
        }
        false
    });
    if count == 0 {
        return;
    }
    let Some(include) = checks.iter_mut().find(|d| d.code == codes::INCLUDE_MISSING) else {
        return;
    };
    let uses = if count == 1 { "use" } else { "uses" };
    let note = format!(
        "{count} {uses} of {} not reported: the missing file may declare them",
        names.join(", ")
    );
    include.help = Some(match include.help.take() {
        Some(help) => format!("{help}\n{note}"),
        None => note,
    });
}

/// Every check over the spliced declarations.
fn run_checks(items: &[Item], root: FileId, cx: &mut Context) {
    let names = Names::collect(items, root, cx);
    let library = names.playbook.is_none();
    for item in items {
        match item {
            Item::Playbook(decl) => decls::playbook(decl, cx),
            Item::Include(_) | Item::Member(_) => {}
            Item::Channel(decl) => decls::channel(decl, &names, cx),
            Item::Segment(decl) => decls::segment(decl, &names, cx),
            Item::Stage(decl) => decls::stage(decl, &names, cx),
            Item::Rule(decl) => rules::rule(decl, &names, cx),
            Item::Policy(decl) => decls::policy(decl, cx),
            Item::Test(decl) => test_blocks::test(decl, &names, cx),
            Item::Experiment(decl) => experiments::experiment(decl, cx),
            Item::Group(decl) => history::group(decl, cx),
        }
    }
    stages::stage_order(&names, cx);
    history::stage_days_in_stages(cx);
    segments::cycles(&names, cx);
    if library {
        if !names.lost.any {
            cx.push(warnings::library(root));
        }
    } else {
        warnings::whole_playbook(items, &names, cx);
    }
}

/// What every check shares: the sources (to quote the user's words) and what has been
/// found so far.
pub(crate) struct Context<'s> {
    /// The files, to quote what the user wrote.
    pub sources: &'s SourceMap,
    /// Problems found so far.
    pub diagnostics: Vec<Diagnostic>,
    /// Segments some expression uses.
    pub used_segments: HashSet<String>,
    /// Experiments some rule or expression uses.
    pub used_experiments: HashSet<String>,
    /// The segments each segment's condition uses, with where.
    pub segment_uses: HashMap<String, Vec<(String, Span)>>,
    /// Groups some rule's `group` clause names.
    pub used_groups: HashSet<String>,
    /// Where each segment's own condition first uses `stage_days`.
    pub stage_days_in_segments: HashMap<String, Span>,
    /// The segments each stage's condition uses, with where.
    pub stage_segment_uses: Vec<(String, Vec<(String, Span)>)>,
    /// Files with syntax errors (some of their declarations may be missing).
    pub broken_files: HashSet<FileId>,
    /// An `include` names a file that is not there: what it declares is unknown.
    pub include_missing: bool,
    /// Fields used in an expression that the schema lacks: where the object is
    /// declared (`None` for the schema itself), the name, and the index of the error.
    pub schema_misses: Vec<(Option<Span>, String, usize)>,
    /// Test snapshot keys the schema lacks, held back until the end: a key that an
    /// expression also misses is folded into that error (the cause) instead.
    pub test_unknown_keys: Vec<(Option<Span>, String, Diagnostic)>,
}

impl<'s> Context<'s> {
    fn new(sources: &'s SourceMap) -> Self {
        Context {
            sources,
            diagnostics: Vec::new(),
            used_segments: HashSet::new(),
            used_experiments: HashSet::new(),
            segment_uses: HashMap::new(),
            used_groups: HashSet::new(),
            stage_days_in_segments: HashMap::new(),
            stage_segment_uses: Vec::new(),
            broken_files: HashSet::new(),
            include_missing: false,
            schema_misses: Vec::new(),
            test_unknown_keys: Vec::new(),
        }
    }

    /// Records a problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// What the user wrote at `span`, in backticks, on one line and shortened; "this
    /// expression" when there is nothing to quote.
    pub fn quote(&self, span: Span) -> String {
        let text = self.sources.slice(span);
        let words: Vec<&str> = text.split_whitespace().collect();
        let line = words.join(" ");
        if line.is_empty() {
            return "this expression".to_string();
        }
        if line.chars().count() > 40 {
            let short: String = line.chars().take(37).collect();
            return format!("`{short}…`");
        }
        format!("`{line}`")
    }
}
