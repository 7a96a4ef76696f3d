//! The diagnostic type every stage reports with and the source map that turns byte
//! spans into lines and columns. Around it: the stable codes (`codes.rs`), the miette
//! adapter that renders a diagnostic with its source (`report.rs`), the JSON shape of
//! `check --format json` (`json.rs`), and the "did you mean" suggestions
//! (`suggest.rs`). The library never prints.
//!
//! One struct serves every stage rather than one enum per stage: the checker collects
//! many heterogeneous problems and a host wants to treat them alike. Stability comes from
//! the codes, each documented with an input that triggers it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

pub mod codes;
mod json;
mod report;
mod suggest;

pub use codes::Code;
pub use json::{JsonDiagnostic, JsonLabel};
pub use report::Report;
pub use suggest::{did_you_mean, edit_distance};

/// Which file a span points into: an index into a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The byte range, for slicing the source.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One source file: its name as shown to the user, its path if it came from disk, and
/// its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown in diagnostics (the path as given, or a name such as `<repl>`).
    pub name: String,
    /// The path on disk, when there is one (includes resolve relative to it).
    pub path: Option<PathBuf>,
    /// The text.
    pub text: Arc<str>,
    line_starts: Arc<[usize]>,
    /// Whether every `\r` is part of a `\r\n` (miette also breaks lines at a lone
    /// `\r`; the line starts above do not).
    newline_lines: bool,
}

impl SourceFile {
    /// A file with the given name, path and text.
    pub fn new(name: impl Into<String>, path: Option<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let newline_lines = !text
            .match_indices('\r')
            .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'));
        SourceFile {
            name: name.into(),
            path,
            text,
            line_starts: line_starts.into(),
            newline_lines,
        }
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() + 1;
        (line + 1, column)
    }
}

/// Every source file a playbook was read from, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with this id.
    ///
    /// # Panics
    /// If the id did not come from this map.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// The source text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        let text = &self.get(span.file).text;
        text.get(span.range()).unwrap_or("")
    }
}

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// Fails `check`.
    Error,
    /// Reported, but does not fail `check`.
    Warning,
    /// For information (`check --deep`'s `stage_overlap`): neither an error nor a warning.
    Note,
}

/// A secondary place a diagnostic points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// What this place is (`first declared here`).
    pub message: String,
    /// Where.
    pub span: Span,
}

/// A problem found in a playbook, with its place and, when known, its fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code, such as `siyu::check::unknown_field`.
    pub code: &'static str,
    /// One line, lower case, no final period, the user's words in backticks.
    pub message: String,
    /// The main place.
    pub span: Span,
    /// What the main place is, shown under the snippet (may be empty).
    pub label: String,
    /// Other places that explain the problem.
    pub labels: Vec<Label>,
    /// How to fix it, when known.
    pub help: Option<String>,
    /// A member snapshot that shows the finding (`check --deep`), as `siyu run` reads it.
    pub example: Option<serde_json::Value>,
}

impl Diagnostic {
    /// An error with a code, message and place.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            label: String::new(),
            labels: Vec::new(),
            help: None,
            example: None,
        }
    }

    /// A warning with a code, message and place.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }

    /// Sets the text shown under the main place.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Adds a secondary place.
    pub fn with_secondary(mut self, message: impl Into<String>, span: Span) -> Self {
        self.labels.push(Label {
            message: message.into(),
            span,
        });
        self
    }

    /// A note: reported for information, counted neither as an error nor a warning.
    pub fn note(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(code, message, span)
        }
    }

    /// Attaches the member snapshot that shows the finding.
    pub fn with_example(mut self, example: serde_json::Value) -> Self {
        self.example = Some(example);
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
