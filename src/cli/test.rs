//! `siyu test FILE_OR_DIR…`: runs the `test` blocks of playbooks (see
//! [`siyu::testing`] for which tests run where), prints each failure with what was
//! expected and what happened, and ends with the line `N passed, N failed`.
//!
//! Output goes to stdout; the diagnostics of a playbook that cannot be loaded go to
//! stderr, rendered like `siyu check` renders them. Exit code 0 when every test
//! passed, 1 when any failed (or a playbook could not be loaded), 2 for a usage error
//! (no path, or a path that does not exist).

use std::io::{self, Write};
use std::path::PathBuf;

use siyu::testing::{self, FileProblem, TestOutcome, TestReport};

use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Arguments of `siyu test`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Playbook files, or directories searched recursively for `*.rules` files.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// Also list each test that passed.
    #[arg(long, short)]
    pub verbose: bool,
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> i32 {
    let files = match testing::collect_files(&args.paths) {
        Ok(files) => files,
        Err(missing) => {
            eprintln!("error: {missing}");
            return EXIT_USAGE;
        }
    };
    let report = testing::run_files(&files);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    // A closed pipe (`| head`) only loses output; the exit code still tells the result.
    let _ = print_report(&mut out, &report, args.verbose);
    if report.is_success() {
        EXIT_OK
    } else {
        EXIT_FAILURE
    }
}

fn print_report(out: &mut impl Write, report: &TestReport, verbose: bool) -> io::Result<()> {
    for problem in &report.problems {
        print_problem(out, problem)?;
    }
    for outcome in &report.outcomes {
        if !outcome.passed() {
            print_failure(out, outcome)?;
        } else if verbose {
            writeln!(out, "ok    {}", heading(outcome))?;
        }
    }
    writeln!(out, "{}", report.tally())
}

/// `rules/beauty_fmcg.rules:170 "name"`, with the playbook it ran in when the test is
/// written in an included library.
fn heading(outcome: &TestOutcome) -> String {
    let mut words = format!("{}:{} \"{}\"", outcome.file, outcome.line, outcome.name);
    if outcome.playbook != outcome.file {
        words.push_str(&format!(" (in {})", outcome.playbook));
    }
    words
}

fn print_failure(out: &mut impl Write, outcome: &TestOutcome) -> io::Result<()> {
    writeln!(out, "FAIL  {}", heading(outcome))?;
    for failure in &outcome.failures {
        writeln!(out, "  line {}: {}", failure.line, failure.expectation)?;
        writeln!(out, "    expected: {}", failure.expected)?;
        writeln!(out, "    found:    {}", failure.found)?;
    }
    writeln!(out)
}

fn print_problem(out: &mut impl Write, problem: &FileProblem) -> io::Result<()> {
    writeln!(out, "FAIL  {}", problem.file)?;
    writeln!(out, "  {}", problem.message)?;
    writeln!(out)?;
    out.flush()?;
    render_diagnostics(problem);
    Ok(())
}

/// The diagnostics of a playbook that could not be loaded, on stderr.
fn render_diagnostics(problem: &FileProblem) {
    if problem.diagnostics.is_empty() {
        return;
    }
    super::render::print_diagnostics(&problem.diagnostics, &problem.sources);
}
