//! `siyu fmt FILE…`: rewrite playbooks in the canonical layout, keeping every comment.
//!
//! A folder stands for every `*.rules` file under it. A file is rewritten only when its
//! layout changes, through a temporary file in the same folder renamed over it, so a
//! crash never leaves half a playbook. A file with a syntax error is left untouched and
//! its diagnostics are drawn on stderr like `check` draws them.
//!
//! With `--check` nothing is written: each file that would change is named on stderr
//! (`would reformat PATH`). Exit code: 0 when all is well, 1 when a file has a syntax
//! error or (with `--check`) would change, 2 when a file or folder cannot be read.

use std::io::Write;
use std::path::{Path, PathBuf};

use siyu::{Diagnostic, SourceFile, SourceMap};

use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Arguments of `siyu fmt`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The playbooks to format, or folders holding them (`*.rules`, searched
    /// recursively).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Change nothing: name each file that would change, and exit 1 if any would.
    #[arg(long)]
    pub check: bool,
}

/// What happened to one file.
enum Outcome {
    /// Already in the canonical layout.
    Unchanged,
    /// Rewritten (or, with `--check`, would be).
    Changed,
    /// A syntax error: left untouched.
    Invalid,
    /// Could not be read or written.
    Unreadable,
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> i32 {
    let mut code = EXIT_OK;
    let mut files = Vec::new();
    for path in &args.files {
        if let Err(error) = collect(path, &mut files) {
            eprintln!("siyu fmt: cannot read `{}`: {error}", path.display());
            code = EXIT_USAGE;
        }
    }
    let mut would_change = 0;
    for file in &files {
        match format_file(file, args.check) {
            Outcome::Unchanged => {}
            Outcome::Changed if args.check => {
                would_change += 1;
                eprintln!("would reformat {}", file.display());
                code = code.max(EXIT_FAILURE);
            }
            Outcome::Changed => eprintln!("reformatted {}", file.display()),
            Outcome::Invalid => code = code.max(EXIT_FAILURE),
            Outcome::Unreadable => code = EXIT_USAGE,
        }
    }
    if would_change > 0 {
        let files = if would_change == 1 { "file" } else { "files" };
        eprintln!("{would_change} {files} would be reformatted");
    }
    code
}

/// Adds `path` to `files`, or every `*.rules` file under it when it is a folder (in
/// name order).
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut pending = vec![path.to_path_buf()];
    let mut found = Vec::new();
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let file_type = entry.file_type()?;
            let entry_path = entry.path();
            if file_type.is_dir() {
                pending.push(entry_path);
            } else if entry_path.extension().is_some_and(|e| e == "rules") {
                found.push(entry_path);
            }
        }
    }
    found.sort();
    files.extend(found);
    Ok(())
}

/// Formats one file (or, with `check`, only compares).
fn format_file(path: &Path, check: bool) -> Outcome {
    let text = match siyu::read_source(path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("siyu fmt: cannot read `{}`: {error}", path.display());
            return Outcome::Unreadable;
        }
    };
    let formatted = match siyu::format_source(&text) {
        Ok(formatted) => formatted,
        Err(diagnostics) => {
            print_diagnostics(path, &text, &diagnostics);
            return Outcome::Invalid;
        }
    };
    if formatted == text {
        return Outcome::Unchanged;
    }
    if check {
        return Outcome::Changed;
    }
    match write_in_place(path, &formatted) {
        Ok(()) => Outcome::Changed,
        Err(error) => {
            eprintln!("siyu fmt: cannot write `{}`: {error}", path.display());
            Outcome::Unreadable
        }
    }
}

/// Replaces the file's contents: a temporary file beside it, renamed over it.
fn write_in_place(path: &Path, text: &str) -> std::io::Result<()> {
    // Through a symbolic link, the file it points to is rewritten, not the link.
    let path = &std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "playbook".into(), |n| n.to_string_lossy().into_owned());
    let temporary = folder.join(format!(".{name}.siyu-fmt-{}", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(&temporary, metadata.permissions())?;
        }
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Draws a file's syntax errors on stderr, with source snippets.
fn print_diagnostics(path: &Path, text: &str, diagnostics: &[Diagnostic]) {
    let mut sources = SourceMap::new();
    let name = path.display().to_string();
    sources.add(SourceFile::new(name, Some(path.to_path_buf()), text));
    super::render::print_diagnostics(diagnostics, &sources);
    let mut out = std::io::stderr().lock();
    let _ = writeln!(out, "{} left unchanged: it does not parse", path.display());
}
