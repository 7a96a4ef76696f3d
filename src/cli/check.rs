//! `siyu check FILE…`: parse and check playbooks and report every problem, drawn with
//! source snippets on stderr (colour only on a terminal, and never with `NO_COLOR`), or
//! as JSON on stdout with `--format json`. Exit code 0 without errors (warnings are
//! fine), 1 with any error, 2 when a file cannot be read.

use std::io::Write;
use std::path::PathBuf;

use siyu::{check_source, CheckReport, Severity};

use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// How diagnostics are printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Drawn with source snippets, on stderr.
    Text,
    /// `{"diagnostics":[…]}` on stdout, for editors and CI.
    Json,
}

/// Arguments of `siyu check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The playbooks to check (their includes are read too).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also the deep analyses: stages no member can reach, rules that never fire,
    /// touches without consent, channels over their cap, overlapping stages.
    #[arg(long)]
    pub deep: bool,
    /// The time `--deep` plans its example members at, RFC 3339 (default: now).
    #[arg(long, value_name = "DATETIME", requires = "deep")]
    pub as_of: Option<String>,
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> i32 {
    let mut texts = Vec::new();
    let mut unreadable = false;
    for path in &args.files {
        match siyu::read_source(path) {
            Ok(text) => texts.push(text),
            Err(error) => {
                unreadable = true;
                eprintln!("siyu check: cannot read `{}`: {error}", path.display());
            }
        }
    }
    if unreadable {
        return EXIT_USAGE;
    }
    let mut checked: Vec<CheckReport> = args
        .files
        .iter()
        .zip(&texts)
        .map(|(path, text)| check_source(&path.to_string_lossy(), Some(path), text))
        .collect();
    if args.deep {
        let as_of = match super::run::as_of(args.as_of.as_deref()) {
            Ok(as_of) => as_of,
            Err(code) => return code,
        };
        checked = deepened(checked, &args.files, as_of);
    }
    match args.format {
        Format::Text => print_reports(&checked, &args.files),
        Format::Json => print_json(&checked),
    }
    if checked.iter().any(CheckReport::has_errors) {
        EXIT_FAILURE
    } else {
        EXIT_OK
    }
}

/// The reports with the deep findings of each playbook that loads without errors (a
/// library without `playbook` has none of its own: its rules are analysed in the
/// playbooks that include it).
fn deepened(checked: Vec<CheckReport>, files: &[PathBuf], as_of: siyu::AsOf) -> Vec<CheckReport> {
    let mut out = Vec::with_capacity(checked.len());
    for (report, path) in checked.into_iter().zip(files) {
        let findings = if report.has_errors() {
            None
        } else {
            siyu::Playbook::from_file(path)
                .ok()
                .map(|playbook| (playbook.deep_check(as_of), playbook.sources().clone()))
        };
        out.push(report);
        if let Some((diagnostics, sources)) = findings {
            if !diagnostics.is_empty() {
                out.push(CheckReport::new(sources, diagnostics));
            }
        }
    }
    out
}

/// Draws every diagnostic on stderr, then a line summing up.
fn print_reports(checked: &[CheckReport], files: &[PathBuf]) {
    let handler = super::render::handler();
    let mut out = std::io::stderr().lock();
    let (mut errors, mut warnings, mut notes) = (0, 0, 0);
    for one in checked {
        for diagnostic in &one.diagnostics {
            match diagnostic.severity {
                Severity::Warning => warnings += 1,
                Severity::Note => notes += 1,
                _ => errors += 1,
            }
            let drawn = super::render::draw(&handler, &diagnostic.report(&one.sources));
            let _ = writeln!(out, "{drawn}");
        }
    }
    let place = match files {
        [one] => one.display().to_string(),
        many => format!("{} files", many.len()),
    };
    let notes = if notes > 0 {
        format!(", {}", count(notes, "note"))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{}, {}{notes} in {place}",
        count(errors, "error"),
        count(warnings, "warning")
    );
}

/// `no errors`, `1 error`, `3 errors`.
fn count(n: usize, word: &str) -> String {
    match n {
        0 => format!("no {word}s"),
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    }
}

/// Prints `{"diagnostics":[…]}` on stdout.
fn print_json(checked: &[CheckReport]) {
    let diagnostics: Vec<_> = checked
        .iter()
        .flat_map(|one| one.diagnostics.iter().map(|d| d.to_json(&one.sources)))
        .collect();
    let document = serde_json::json!({ "diagnostics": diagnostics });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{document}");
}
