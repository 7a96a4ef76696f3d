//! The JSON shape of a diagnostic in `check --format json`: its place as lines and
//! columns (in characters), its label, help and secondary places.

use serde::Serialize;

use super::{Diagnostic, Severity, SourceMap};

impl Diagnostic {
    /// The JSON shape of `check --format json`.
    pub fn to_json(&self, sources: &SourceMap) -> JsonDiagnostic {
        let file = sources.get(self.span.file);
        let (line, column) = file.line_column(self.span.start as usize);
        let (end_line, end_column) = file.line_column(self.span.end as usize);
        JsonDiagnostic {
            severity: self.severity,
            code: self.code,
            message: self.message.clone(),
            file: file.name.clone(),
            line,
            column,
            end_line,
            end_column,
            label: (!self.label.is_empty()).then(|| self.label.clone()),
            help: self.help.clone(),
            labels: self
                .labels
                .iter()
                .map(|l| {
                    let f = sources.get(l.span.file);
                    let (line, column) = f.line_column(l.span.start as usize);
                    let (end_line, end_column) = f.line_column(l.span.end as usize);
                    JsonLabel {
                        message: l.message.clone(),
                        file: f.name.clone(),
                        line,
                        column,
                        end_line,
                        end_column,
                    }
                })
                .collect(),
            example: self.example.clone(),
        }
    }
}

/// A diagnostic in `check --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    /// `error` or `warning`.
    pub severity: Severity,
    /// The stable code.
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// The file's name.
    pub file: String,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column (characters) of the start.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column (characters) of the end.
    pub end_column: usize,
    /// What the main place is (the text drawn under it, `no such field`), or null.
    pub label: Option<String>,
    /// The help line, or null.
    pub help: Option<String>,
    /// Secondary places.
    pub labels: Vec<JsonLabel>,
    /// A member snapshot that shows the finding (`check --deep`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<serde_json::Value>,
}

/// A secondary place in `check --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct JsonLabel {
    /// What this place is.
    pub message: String,
    /// The file's name (a label may point into an included file).
    pub file: String,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column (characters) of the start.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column (characters) of the end.
    pub end_column: usize,
}
