//! The miette adapter: a diagnostic with its source text attached, so that a host (or
//! the `siyu` command) can draw it with miette's handlers.

use std::fmt;
use std::sync::Arc;

use super::{Diagnostic, Severity, SourceMap};

impl Diagnostic {
    /// The diagnostic with its source attached, ready for miette to render.
    pub fn report(&self, sources: &SourceMap) -> Report {
        let file = sources.get(self.span.file);
        Report {
            diagnostic: self.clone(),
            source: miette::NamedSource::new(file.name.clone(), CharColumns(file.text.clone()))
                .with_language("rules"),
            secondary_elsewhere: self
                .labels
                .iter()
                .filter(|l| l.span.file != self.span.file)
                .map(|l| {
                    let other = sources.get(l.span.file);
                    let (line, column) = other.line_column(l.span.start as usize);
                    format!("{}: {}:{}:{}", l.message, other.name, line, column)
                })
                .collect(),
        }
    }
}

/// A diagnostic with its source text, implementing [`miette::Diagnostic`].
#[derive(Debug, Clone)]
pub struct Report {
    diagnostic: Diagnostic,
    source: miette::NamedSource<CharColumns>,
    secondary_elsewhere: Vec<String>,
}

/// A source text whose spans report their column in characters, as the JSON output and
/// editors count them (miette counts bytes, so `[file:line:column]` after Chinese text
/// would point too far right).
#[derive(Debug, Clone)]
pub struct CharColumns(Arc<str>);

impl miette::SourceCode for CharColumns {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text: &str = &self.0;
        let contents = text.read_span(span, context_lines_before, context_lines_after)?;
        if contents.column() == 0 {
            return Ok(contents);
        }
        // The column is the distance from the line's start to the span's start.
        let offset = span.offset().min(text.len());
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let column = text[line_start..end].chars().count();
        Ok(Box::new(miette::MietteSpanContents::new(
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

impl Report {
    /// The diagnostic this report renders.
    pub fn diagnostic(&self) -> &Diagnostic {
        &self.diagnostic
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let mut lines: Vec<String> = self.secondary_elsewhere.clone();
        if let Some(help) = &self.diagnostic.help {
            lines.push(help.clone());
        }
        if lines.is_empty() {
            None
        } else {
            Some(Box::new(lines.join("\n")))
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let main = &self.diagnostic;
        let primary = miette::LabeledSpan::new_primary_with_span(
            (!main.label.is_empty()).then(|| main.label.clone()),
            (
                main.span.start as usize,
                (main.span.end - main.span.start) as usize,
            ),
        );
        let others = main
            .labels
            .iter()
            .filter(|l| l.span.file == main.span.file)
            .map(|l| {
                miette::LabeledSpan::new_with_span(
                    Some(l.message.clone()),
                    (l.span.start as usize, (l.span.end - l.span.start) as usize),
                )
            });
        Some(Box::new(std::iter::once(primary).chain(others)))
    }
}
