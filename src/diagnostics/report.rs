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
            source: miette::NamedSource::new(
                file.name.clone(),
                CharColumns {
                    text: file.text.clone(),
                    line_starts: file.newline_lines.then(|| file.line_starts.clone()),
                },
            )
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
/// would point too far right). It hands miette only the lines around a span (found
/// from the line starts), so that drawing many diagnostics of one long file does not
/// scan the file from its start each time.
#[derive(Debug, Clone)]
pub struct CharColumns {
    text: Arc<str>,
    /// `None` when the text breaks lines at a lone `\r`: then the whole text is read.
    line_starts: Option<Arc<[usize]>>,
}

impl CharColumns {
    /// The 0-based line holding byte `offset`.
    fn line_of(line_starts: &[usize], offset: usize) -> usize {
        match line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Miette's reading of the span within the whole lines around it (two more lines on
    /// each side than asked for), moved back to the whole text's lines and offsets.
    fn read_window<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text: &str = &self.text;
        let Some(line_starts) = &self.line_starts else {
            return miette::SourceCode::read_span(text, span, context_lines_before, context_lines_after);
        };
        let offset = span.offset().min(text.len());
        let end = (offset + span.len()).min(text.len());
        let first = Self::line_of(line_starts, offset).saturating_sub(context_lines_before + 2);
        let last = Self::line_of(line_starts, end) + context_lines_after + 3;
        let window_start = line_starts[first];
        let window_end = line_starts.get(last).copied().unwrap_or(text.len());
        let window = &text[window_start..window_end];
        let inner = miette::SourceSpan::new((span.offset() - window_start).into(), span.len());
        let contents =
            miette::SourceCode::read_span(window, &inner, context_lines_before, context_lines_after)?;
        let found = contents.span();
        Ok(Box::new(miette::MietteSpanContents::new(
            contents.data(),
            miette::SourceSpan::new((found.offset() + window_start).into(), found.len()),
            contents.line() + first,
            contents.column(),
            contents.line_count() + first,
        )))
    }
}

impl miette::SourceCode for CharColumns {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text: &str = &self.text;
        let contents = if span.offset() > text.len() {
            text.read_span(span, context_lines_before, context_lines_after)?
        } else {
            self.read_window(span, context_lines_before, context_lines_after)?
        };
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
            Severity::Note => miette::Severity::Advice,
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

#[cfg(test)]
mod tests {
    use super::*;
    use miette::SourceCode;

    /// The window's reading is the whole text's reading, for spans at the start, in
    /// the middle and at the end, over one line or several, with and without a final
    /// line break.
    #[test]
    fn reading_a_window_is_reading_the_whole_text() {
        for text in [
            "a\nbb\nccc\n\ndddd\ne",
            "a\nbb\nccc\n\ndddd\ne\n",
            "x",
            "",
            "一\n二三\n四",
            "a\r\nbb\r\n\r\nccc\r\nd",
            "a\rbb\nc\r",
        ] {
            let file = crate::diagnostics::SourceFile::new("t", None, text);
            let columns = CharColumns {
                text: file.text.clone(),
                line_starts: file.newline_lines.then(|| file.line_starts.clone()),
            };
            for offset in 0..=text.len() {
                for len in 0..=(text.len() - offset) {
                    if !text.is_char_boundary(offset) || !text.is_char_boundary(offset + len) {
                        continue;
                    }
                    for context in 0..3 {
                        let span = miette::SourceSpan::new(offset.into(), len);
                        let whole = text.read_span(&span, context, context);
                        let window = columns.read_window(&span, context, context);
                        match (whole, window) {
                            (Ok(whole), Ok(window)) => {
                                assert_eq!(whole.data(), window.data(), "{text:?} {offset} {len}");
                                assert_eq!(whole.span(), window.span());
                                assert_eq!(whole.line(), window.line());
                                assert_eq!(whole.column(), window.column());
                                assert_eq!(whole.line_count(), window.line_count());
                            }
                            (Err(_), Err(_)) => {}
                            _ => panic!("one reading failed: {text:?} {offset} {len}"),
                        }
                    }
                }
            }
        }
    }
}
