//! `siyu check FILE_OR_DIR…`: parse and check playbooks and report every problem, drawn with
//! source snippets on stderr (colour only on a terminal, and never with `NO_COLOR`), or
//! as JSON on stdout with `--format json`. Exit code 0 without errors (warnings are
//! fine), 1 with any error, 2 when a file cannot be read.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use siyu::{check_source, CheckReport, Code, Severity};

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
    /// The playbooks to check (their includes are read too), or folders: every
    /// `*.rules` file under a folder is checked, a library (no `playbook`) as part of
    /// the playbooks found that include it.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
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
    let Some(files) = expand(&args.files) else {
        return EXIT_USAGE;
    };
    let mut texts = Vec::new();
    let mut unreadable = false;
    for file in &files {
        match siyu::read_source(&file.path) {
            Ok(text) => texts.push(text),
            Err(error) => {
                unreadable = true;
                eprintln!("siyu check: cannot read `{}`: {error}", file.path.display());
            }
        }
    }
    if unreadable {
        return EXIT_USAGE;
    }
    let checked: Vec<CheckReport> = files
        .iter()
        .zip(&texts)
        .map(|(file, text)| check_source(&file.path.to_string_lossy(), Some(&file.path), text))
        .collect();
    let (files, mut checked) = fold_libraries(files, checked);
    let paths: Vec<PathBuf> = files.into_iter().map(|file| file.path).collect();
    if args.deep {
        let as_of = match super::run::as_of(args.as_of.as_deref()) {
            Ok(as_of) => as_of,
            Err(code) => return code,
        };
        checked = deepened(checked, &paths, as_of);
    }
    dedupe(&mut checked);
    match args.format {
        Format::Text => print_reports(&checked, &args.files, paths.len()),
        Format::Json => print_json(&checked),
    }
    if checked.iter().any(CheckReport::has_errors) {
        EXIT_FAILURE
    } else {
        EXIT_OK
    }
}

/// A file to check, and whether it was named or found in a folder.
struct ToCheck {
    path: PathBuf,
    found: bool,
}

/// The files named, with every `*.rules` file under each folder named (in name
/// order); `None` after saying which path does not exist.
fn expand(paths: &[PathBuf]) -> Option<Vec<ToCheck>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            match siyu::testing::collect_files(std::slice::from_ref(path)) {
                Ok(found) => {
                    files.extend(found.into_iter().map(|path| ToCheck { path, found: true }))
                }
                Err(missing) => {
                    eprintln!("siyu check: {missing}");
                    return None;
                }
            }
        } else {
            // A missing file is reported when it is read.
            files.push(ToCheck {
                path: path.clone(),
                found: false,
            });
        }
    }
    let mut seen = HashSet::new();
    files.retain(|file| seen.insert(canonical(&file.path)));
    Some(files)
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Drops the report of each library found in a folder (a file without `playbook`)
/// that a playbook being checked includes: it was checked as part of that playbook,
/// which is how it is used. A library nothing includes keeps its own report.
fn fold_libraries(
    files: Vec<ToCheck>,
    checked: Vec<CheckReport>,
) -> (Vec<ToCheck>, Vec<CheckReport>) {
    let mut included = HashSet::new();
    for report in &checked {
        for (id, file) in report.sources.files() {
            if id.0 > 0 {
                if let Some(path) = &file.path {
                    included.insert(canonical(path));
                }
            }
        }
    }
    files
        .into_iter()
        .zip(checked)
        .filter(|(file, report)| {
            let library = report
                .diagnostics
                .iter()
                .any(|d| d.code == Code::NoPlaybook.as_str());
            !(file.found && library && included.contains(&canonical(&file.path)))
        })
        .unzip()
}

/// Removes a diagnostic already reported by an earlier report (a problem in a file
/// that two playbooks include is shown once).
fn dedupe(checked: &mut [CheckReport]) {
    let mut seen = HashSet::new();
    for report in checked.iter_mut() {
        let sources = &report.sources;
        report.diagnostics.retain(|d| {
            let file = sources.get(d.span.file);
            let place = file.path.as_deref().map(canonical);
            seen.insert((place, d.span.range(), d.code, d.message.clone()))
        });
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
/// `named` are the paths given; `checked` files were checked in all.
fn print_reports(checked: &[CheckReport], named: &[PathBuf], files: usize) {
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
            if let Some(example) = &diagnostic.example {
                // One JSON line, unwrapped, as a members file holds it.
                let _ = writeln!(out, "  example member: {example}\n");
            }
        }
    }
    let place = match named {
        [one] => one.display().to_string(),
        _ => format!("{files} files"),
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
