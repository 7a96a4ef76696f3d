//! The `test` block runner: evaluates each test's member with the playbook it belongs
//! to and checks every `expect` against the plan the library produces (through the same
//! [`Playbook::plan`] that `siyu run` uses). Parsing and checking are left to
//! the `check` stage, planning to the `eval` stage; this module only runs and judges.
//!
//! What the language leaves open is settled here:
//!
//! - **Which tests run.** A playbook (a file with a `playbook` block) runs its own tests
//!   and the tests of every file it includes, in its own context: its schema, stages,
//!   rules and time zone. A test written in a library (a file without `playbook`, such
//!   as `rules/common.rules`) therefore runs once for each playbook given that includes
//!   it, and is reported with the playbook it ran in.
//! - **A library given on its own.** Its tests have no playbook to run in. When it
//!   compiles on its own (a library of segments and channels with no rules, say) its
//!   tests run against it alone; otherwise, if it has tests, that is reported as one
//!   failure naming the file, asking for a playbook that includes it. A library with
//!   no tests, or one whose tests already ran through a playbook given, adds nothing.
//! - **Directories** are searched recursively for `*.rules` files, in name order;
//!   files named directly are taken whatever their extension. A file reached twice is
//!   run once.
//! - **The as-of time** is the test's `as_of`, or 2026-01-01T09:00:00 in the playbook's
//!   time zone.
//! - **`expect action R at HH:MM`** compares the local time (hour and minute) of the
//!   planned action in the playbook's time zone, whatever its date.
//! - **`expect invalid`** holds when the snapshot is rejected (schema or malformed
//!   data); a run-time error of a schema-less playbook is not a rejection.
//! - **Counting.** A test passes when every expectation holds. A playbook that cannot
//!   be loaded (it has errors) counts as one failure, whatever the number of its tests.

mod discover;
mod expect;
mod snapshot;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::ast::{Item, TestClause, TestDecl};
use crate::check::{self, Checked};
use crate::diagnostics::{Diagnostic, SourceMap, Span};
use crate::ledger::History;
use crate::playbook::{AsOf, Playbook, PlaybookError};

pub use discover::{collect_files, MissingPath};

/// Everything one `siyu test` run found: each test's outcome, and the files whose tests
/// could not run.
#[derive(Debug, Clone, Default)]
pub struct TestReport {
    /// Every test run, in file order, then in the order written.
    pub outcomes: Vec<TestOutcome>,
    /// Files whose tests could not be run at all.
    pub problems: Vec<FileProblem>,
}

impl TestReport {
    /// How many tests passed.
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed()).count()
    }

    /// How many tests failed, a file whose tests could not run counting as one.
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| !o.passed()).count() + self.problems.len()
    }

    /// Whether nothing failed.
    pub fn is_success(&self) -> bool {
        self.failed() == 0
    }

    /// The closing line of `siyu test`: `N passed, N failed`.
    pub fn tally(&self) -> String {
        format!("{} passed, {} failed", self.passed(), self.failed())
    }
}

/// One test block, run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// The test's name.
    pub name: String,
    /// The file the test is written in, as shown in diagnostics.
    pub file: String,
    /// The 1-based line of the `test` keyword.
    pub line: usize,
    /// The playbook file it ran in (the same as `file` unless it came from a library).
    pub playbook: String,
    /// Each expectation that did not hold, in the order written.
    pub failures: Vec<Failure>,
}

impl TestOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The clause as written (`expect action invite via dm at 10:00`).
    pub expectation: String,
    /// Its 1-based line.
    pub line: usize,
    /// What it asked for, in words.
    pub expected: String,
    /// What happened.
    pub found: String,
}

/// A file whose tests could not be run: unreadable, with errors, or a library no
/// playbook given includes.
#[derive(Debug, Clone)]
pub struct FileProblem {
    /// The file, as given.
    pub file: String,
    /// What went wrong, in one line.
    pub message: String,
    /// The diagnostics behind it (errors only), if any.
    pub diagnostics: Vec<Diagnostic>,
    /// The sources the diagnostics' spans point into.
    pub sources: SourceMap,
}

/// Runs the tests of one file or of every `*.rules` file under a directory.
///
/// ```
/// let report = siyu::testing::run_tests(std::path::Path::new("rules"));
/// assert!(report.outcomes.len() > 0);
/// println!("{}", report.tally());
/// ```
pub fn run_tests(path: &Path) -> TestReport {
    match collect_files(&[path.to_path_buf()]) {
        Ok(files) => run_files(&files),
        Err(missing) => TestReport {
            outcomes: Vec::new(),
            problems: vec![FileProblem {
                file: missing.path.display().to_string(),
                message: missing.to_string(),
                diagnostics: Vec::new(),
                sources: SourceMap::new(),
            }],
        },
    }
}

/// Runs the tests of the given files (as [`collect_files`] lists them).
pub fn run_files(files: &[PathBuf]) -> TestReport {
    let loaded: Vec<(&PathBuf, Checked)> = files
        .iter()
        .map(|file| (file, check::check_file(file)))
        .collect();
    let covered: HashSet<PathBuf> = loaded
        .iter()
        .filter(|(_, checked)| is_playbook(checked))
        .flat_map(|(_, checked)| included_files(checked))
        .collect();
    let mut report = TestReport::default();
    for (file, checked) in &loaded {
        if is_playbook(checked) {
            run_checked(file, checked, &mut report);
        } else if !discover::canonical(file).is_some_and(|path| covered.contains(&path))
            && has_tests(checked)
        {
            run_library(file, checked, &mut report);
        }
    }
    report
}

/// Whether the root file of `checked` declares a playbook.
fn is_playbook(checked: &Checked) -> bool {
    checked
        .items
        .iter()
        .any(|item| matches!(item, Item::Playbook(decl) if decl.span.file == checked.root))
}

/// Whether the root file of `checked` has test blocks of its own.
fn has_tests(checked: &Checked) -> bool {
    checked
        .items
        .iter()
        .any(|item| matches!(item, Item::Test(decl) if decl.span.file == checked.root))
}

/// The canonical paths of the files a playbook includes (itself left out).
fn included_files(checked: &Checked) -> Vec<PathBuf> {
    checked
        .sources
        .files()
        .filter(|(id, _)| *id != checked.root)
        .filter_map(|(_, file)| discover::canonical(file.path.as_deref()?))
        .collect()
}

/// A library no playbook given includes: run it alone if it compiles alone.
fn run_library(file: &Path, checked: &Checked, report: &mut TestReport) {
    if !checked.has_errors() {
        if let Ok(playbook) = Playbook::compile_items(&checked.sources, &checked.items) {
            run_all(file, checked, &playbook, report);
            return;
        }
    }
    report.problems.push(FileProblem {
        file: file.display().to_string(),
        message: format!(
            "`{}` is a library (it has no `playbook` block) and no playbook given includes it; \
             run its tests through a playbook that includes it",
            file.display()
        ),
        diagnostics: Vec::new(),
        sources: SourceMap::new(),
    });
}

/// A playbook: load it and run its tests and those of its includes.
fn run_checked(file: &Path, checked: &Checked, report: &mut TestReport) {
    let loaded = match checked.has_errors() {
        true => Err(errors_of(&checked.diagnostics)),
        false => {
            Playbook::compile_items(&checked.sources, &checked.items).map_err(|error| match error {
                PlaybookError::Invalid { diagnostics, .. } => errors_of(&diagnostics),
                PlaybookError::Io { .. } => Vec::new(),
            })
        }
    };
    match loaded {
        Ok(playbook) => run_all(file, checked, &playbook, report),
        Err(diagnostics) => report.problems.push(FileProblem {
            file: file.display().to_string(),
            message: format!(
                "cannot run the tests of `{}`: the playbook has {} error{}",
                file.display(),
                diagnostics.len(),
                if diagnostics.len() == 1 { "" } else { "s" }
            ),
            diagnostics,
            sources: checked.sources.clone(),
        }),
    }
}

fn errors_of(diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect()
}

/// Runs every test block among the playbook's declarations.
fn run_all(file: &Path, checked: &Checked, playbook: &Playbook, report: &mut TestReport) {
    let default_as_of = default_as_of(playbook);
    for item in &checked.items {
        if let Item::Test(decl) = item {
            let outcome = run_one(decl, playbook, &checked.sources, default_as_of);
            report.outcomes.push(TestOutcome {
                playbook: file.display().to_string(),
                ..outcome
            });
        }
    }
}

/// Runs one test block.
fn run_one(
    decl: &TestDecl,
    playbook: &Playbook,
    sources: &SourceMap,
    default_as_of: AsOf,
) -> TestOutcome {
    let line_of = |span: Span| sources.get(span.file).line_column(span.start as usize).0;
    let mut as_of = default_as_of;
    let mut snapshot = None;
    let mut previous = None;
    for clause in &decl.clauses {
        match clause {
            TestClause::AsOf(time) => as_of = AsOf::from_timestamp(time.timestamp),
            TestClause::Member(value) => {
                snapshot.get_or_insert_with(|| snapshot::to_json(value));
            }
            TestClause::PreviousStage { stage, since, .. } => {
                previous.get_or_insert((stage.as_ref().map(|s| s.name.as_str()), *since));
            }
            _ => {}
        }
    }
    // A test runs as a daily run with a ledger would: a member without `previous stage`
    // was never seen; one with it was last seen in that stage, since `since` (or since
    // the day before the test's as-of).
    let history = match previous {
        None => History::never_seen(),
        Some((stage, since)) => {
            let since = since.map_or_else(
                || as_of.days_before(1),
                |s| AsOf::from_timestamp(s.timestamp),
            );
            History::seen_in(stage, since)
        }
    };
    let mut failures = Vec::new();
    match snapshot {
        Some(snapshot) => {
            let outcome = playbook.plan_with_history(&snapshot, as_of, &history);
            for clause in &decl.clauses {
                let Some(expectation) = expect::expectation_text(clause) else {
                    continue;
                };
                if let Err(mismatch) = expect::check(clause, &outcome) {
                    failures.push(Failure {
                        expectation,
                        line: line_of(clause_span(clause, decl.span)),
                        expected: mismatch.expected,
                        found: mismatch.found,
                    });
                }
            }
        }
        None => failures.push(Failure {
            expectation: format!("test \"{}\"", decl.name.value),
            line: line_of(decl.span),
            expected: "a `member { … }` snapshot to evaluate".to_string(),
            found: "no snapshot".to_string(),
        }),
    }
    TestOutcome {
        name: decl.name.value.clone(),
        file: sources.get(decl.span.file).name.clone(),
        line: line_of(decl.span),
        playbook: String::new(),
        failures,
    }
}

/// The span of a clause, or the test's own span for a clause that has an empty one.
fn clause_span(clause: &TestClause, test: Span) -> Span {
    let span = match clause {
        TestClause::AsOf(time) => time.span,
        TestClause::Member(value) => value.span,
        TestClause::ExpectStage(_, span)
        | TestClause::ExpectNoAction(_, span)
        | TestClause::ExpectHoldout(_, span)
        | TestClause::ExpectInvalid(span)
        | TestClause::ExpectAction { span, .. }
        | TestClause::ExpectVariant { span, .. }
        | TestClause::PreviousStage { span, .. }
        | TestClause::ExpectSuppressed { span, .. } => *span,
    };
    if span.end > span.start {
        span
    } else {
        test
    }
}

/// 2026-01-01T09:00:00 in the playbook's time zone.
fn default_as_of(playbook: &Playbook) -> AsOf {
    let local = jiff::civil::date(2026, 1, 1).at(9, 0, 0, 0);
    match local.to_zoned(playbook.time_zone().clone()) {
        Ok(zoned) => AsOf::from_timestamp(zoned.timestamp()),
        Err(_) => {
            AsOf::from_timestamp(jiff::Timestamp::from_second(1_767_229_200).unwrap_or_default())
        }
    }
}
