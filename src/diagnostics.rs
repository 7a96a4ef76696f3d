//! The diagnostic type every stage reports with, the table of stable codes, the source
//! map that turns byte spans into lines and columns, and the JSON rendering of
//! `check --format json`. Graphical rendering goes through miette; the library never
//! prints.
//!
//! One struct serves every stage rather than one enum per stage: the checker collects
//! many heterogeneous problems and a host wants to treat them alike. Stability comes from
//! the codes, which are constants in [`codes`], each documented with an input that
//! triggers it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

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
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A file with the given name, path and text.
    pub fn new(name: impl Into<String>, path: Option<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            path,
            text,
            line_starts,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// Fails `check`.
    Error,
    /// Reported, but does not fail `check`.
    Warning,
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

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

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
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
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

/// Names longer than this (in characters) get no suggestion: comparing two long names
/// costs the product of their lengths.
const MAX_SUGGESTION_LENGTH: usize = 100;

/// Names looked at for one suggestion; a playbook with more names in scope gets its
/// suggestions from the first ones, so that thousands of unknown names among thousands
/// of declared ones cannot take quadratic time.
const MAX_SUGGESTION_CANDIDATES: usize = 2_000;

/// A name within `max(1, len / 3)` edits of `name` (transpositions count as one), the
/// closest first; used for "did you mean" help.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let name_chars: Vec<char> = name.chars().collect();
    let length = name_chars.len();
    if length > MAX_SUGGESTION_LENGTH {
        return None;
    }
    let limit = (length / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates.into_iter().take(MAX_SUGGESTION_CANDIDATES) {
        // The distance is at least the difference in length (a char is at most 4 bytes).
        if candidate == name || candidate.len() > 4 * (length + limit) {
            continue;
        }
        let chars: Vec<char> = candidate.chars().collect();
        if chars.len().abs_diff(length) > limit {
            continue;
        }
        let within = best.map_or(limit, |(distance, _)| distance.saturating_sub(1));
        if let Some(distance) = bounded_distance(&name_chars, &chars, within) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// The optimal string alignment distance of `a` and `b` when it is at most `limit`;
/// gives up as soon as every way through is longer.
fn bounded_distance(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    let width = b.len() + 1;
    // Rows i - 2, i - 1 and i of the table, in one buffer.
    let mut rows = vec![0usize; 3 * width];
    for (j, cell) in rows.iter_mut().skip(width).take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (older, rest) = rows.split_at_mut(width);
        let (previous, current) = rest.split_at_mut(width);
        current[0] = i;
        let mut row_best = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(older[j - 2] + 1);
            }
            current[j] = value;
            row_best = row_best.min(value);
        }
        if row_best > limit {
            return None;
        }
        // Row i becomes row i - 1, row i - 1 becomes row i - 2.
        rows.rotate_left(width);
    }
    let distance = rows[2 * width - 1];
    (distance <= limit).then_some(distance)
}

/// Optimal string alignment distance over characters: insertions, deletions,
/// substitutions and adjacent transpositions each cost one.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// The stable diagnostic codes. Each names the stage that reports it.
pub mod codes {
    /// A syntax error: `rule r { when spend >= }`.
    pub const SYNTAX: &str = "siyu::syntax::unexpected";
    /// Expressions nested deeper than the limit: `((((…))))` 200 levels deep.
    pub const TOO_DEEP: &str = "siyu::syntax::too_deep";
    /// A playbook larger than the size limit.
    pub const TOO_LARGE: &str = "siyu::syntax::too_large";
    /// A bad literal: `2026-13-40`, `99999999999999999999`, `"\u{zz}"`.
    pub const BAD_LITERAL: &str = "siyu::syntax::bad_literal";
    /// `include "missing.rules"` when the file does not exist.
    pub const INCLUDE_MISSING: &str = "siyu::check::include_missing";
    /// A file that cannot be read as UTF-8 text: a playbook saved as GBK, or an
    /// `include "folder"` that names a folder.
    pub const UNREADABLE: &str = "siyu::check::unreadable_file";
    /// `a.rules` includes `b.rules`, which includes `a.rules`.
    pub const INCLUDE_CYCLE: &str = "siyu::check::include_cycle";
    /// A `playbook` declaration inside an included file, or two in one playbook.
    pub const PLAYBOOK_DECL: &str = "siyu::check::playbook_declaration";
    /// No `playbook` declaration in the file that is run.
    pub const NO_PLAYBOOK: &str = "siyu::check::no_playbook";
    /// Two declarations of one kind with one name: `rule a {…} rule a {…}`.
    pub const DUPLICATE: &str = "siyu::check::duplicate_name";
    /// A clause given twice in one block: `channel dm { window … window … }`.
    pub const DUPLICATE_CLAUSE: &str = "siyu::check::duplicate_clause";
    /// A field the schema does not declare: `when spned > 1`.
    pub const UNKNOWN_FIELD: &str = "siyu::check::unknown_field";
    /// A stage name that does not exist: `stage new_fna`.
    pub const UNKNOWN_STAGE: &str = "siyu::check::unknown_stage";
    /// A channel name that does not exist: `via dn`.
    pub const UNKNOWN_CHANNEL: &str = "siyu::check::unknown_channel";
    /// A rule name that does not exist (in a test): `expect action invit`.
    pub const UNKNOWN_RULE: &str = "siyu::check::unknown_rule";
    /// A function that does not exist: `lenght(tags)`.
    pub const UNKNOWN_FUNCTION: &str = "siyu::check::unknown_function";
    /// A verb that does not exist: `then mail "…"`.
    pub const UNKNOWN_VERB: &str = "siyu::check::unknown_verb";
    /// A type name that does not exist: `age: integer`.
    pub const UNKNOWN_TYPE: &str = "siyu::check::unknown_type";
    /// A reason that does not exist: `expect suppressed r reason capped`.
    pub const UNKNOWN_REASON: &str = "siyu::check::unknown_reason";
    /// A touch verb without a channel: `then send "hi"`.
    pub const MISSING_VIA: &str = "siyu::check::missing_via";
    /// A non-touch verb with a channel: `then tag "vip" via dm`.
    pub const UNEXPECTED_VIA: &str = "siyu::check::unexpected_via";
    /// `stage a otherwise` followed by another stage, or two `otherwise` stages.
    pub const OTHERWISE_NOT_LAST: &str = "siyu::check::otherwise_not_last";
    /// `segment a = b` and `segment b = a`.
    pub const SEGMENT_CYCLE: &str = "siyu::check::segment_cycle";
    /// A segment named like a schema field.
    pub const SEGMENT_FIELD_CLASH: &str = "siyu::check::segment_field_clash";
    /// `matches(name, "[")`.
    pub const BAD_REGEX: &str = "siyu::check::bad_regex";
    /// A pattern given as something other than a string literal: `matches(a, b)`.
    pub const REGEX_NOT_LITERAL: &str = "siyu::check::regex_not_literal";
    /// `window 10:00-10:00`, `window 25:00-26:00`.
    pub const BAD_WINDOW: &str = "siyu::check::bad_window";
    /// A time of day out of range: `at 24:30`.
    pub const BAD_TIME: &str = "siyu::check::bad_time";
    /// `cap 0 per 1d`, `cap 1 per 0d`, `holdout 150%`.
    pub const BAD_NUMBER: &str = "siyu::check::bad_number";
    /// `timezone "Mars/Olympus"`.
    pub const BAD_TIMEZONE: &str = "siyu::check::bad_timezone";
    /// A type mismatch: `spend > "100"`, `not tier` where `tier` is an enum.
    pub const TYPE_MISMATCH: &str = "siyu::check::type_mismatch";
    /// A comparison of an enum with a value it cannot take: `tier == "diamond"`.
    pub const UNKNOWN_ENUM_VALUE: &str = "siyu::check::unknown_enum_value";
    /// A function given the wrong number of arguments: `len(a, b)`.
    pub const ARITY: &str = "siyu::check::wrong_argument_count";
    /// A lambda outside `any`, `all`, `count`, or a percentage inside an expression.
    pub const MISPLACED: &str = "siyu::check::misplaced";
    /// An unknown name in a test snapshot or expectation.
    pub const BAD_TEST: &str = "siyu::check::bad_test";
    /// Warning: no `member` block, so nothing is type-checked.
    pub const NO_SCHEMA: &str = "siyu::check::no_schema";
    /// Warning: a rule's quadrant guard never matches this playbook's quadrant.
    pub const QUADRANT_NEVER: &str = "siyu::check::quadrant_never_matches";
    /// Warning: a stage that can never be chosen.
    pub const UNREACHABLE_STAGE: &str = "siyu::check::unreachable_stage";
    /// Warning: a channel no rule uses.
    pub const UNUSED_CHANNEL: &str = "siyu::check::unused_channel";
    /// Warning: a segment nothing uses.
    pub const UNUSED_SEGMENT: &str = "siyu::check::unused_segment";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounded_distance_agrees_with_the_full_one() {
        let words = [
            "orders",
            "oders",
            "ordres",
            "spend",
            "spent",
            "tier",
            "tiers",
            "新粉",
            "新客",
            "",
            "a",
            "ab",
            "ba",
            "consent",
            "cosnent",
            "last_order_days",
        ];
        for a in words {
            for b in words {
                let full = edit_distance(a, b);
                let a_chars: Vec<char> = a.chars().collect();
                let b_chars: Vec<char> = b.chars().collect();
                for limit in 0..6 {
                    let bounded = bounded_distance(&a_chars, &b_chars, limit);
                    assert_eq!(bounded, (full <= limit).then_some(full), "{a} {b} {limit}");
                }
            }
        }
    }

    #[test]
    fn suggestions_take_the_first_closest_name_and_skip_long_ones() {
        assert_eq!(
            did_you_mean("oders", ["spend", "orders", "odors"]),
            Some("orders")
        );
        assert_eq!(did_you_mean("oders", ["odors", "orders"]), Some("odors"));
        assert_eq!(did_you_mean("tier", ["tier"]), None);
        let long = "a".repeat(MAX_SUGGESTION_LENGTH + 1);
        let near = format!("{long}b");
        assert_eq!(did_you_mean(&long, [near.as_str()]), None);
    }
}
