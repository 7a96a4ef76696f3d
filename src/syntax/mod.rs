//! Parsing: source text → [`ast::Module`], the comments beside it, and every syntax
//! problem, in plain words.
//!
//! The grammar lives in `grammar/playbook.pest`. A file is parsed one declaration at a
//! time, so that one mistake never hides the rest: after a syntax error the parser
//! resumes at the next line that starts with a declaration keyword (outside any `{ }`
//! block of the broken declaration, or written at the very start of its line).
//!
//! Nothing here recurses without bound: before pest sees a declaration, a lexical
//! pre-scan (`scan.rs`) measures bracket nesting and runs of prefix operators, and a
//! declaration nested deeper than [`MAX_NESTING`] is reported (`codes::TOO_DEEP`)
//! without being parsed. The lowering checks depth again, and limits the height of an
//! expression tree to [`MAX_EXPRESSION_HEIGHT`], so later stages may recurse freely.
//!
//! Names, types and the meaning of clauses are left to `check`.
//!
//! # Choices where the language description is silent
//!
//! - Comments nest: `/* a /* b */ c */` is one comment. A `/*` never closed is an error.
//! - A string ends on its line: a line break inside quotes is "this string is never
//!   closed". Besides the documented escapes, `\r` is accepted.
//! - Only the string after a verb is a template; every other string is plain, so a label
//!   may hold `{` freely.
//! - `stage a, b` in a rule: after a comma, a rule clause keyword followed by something
//!   on the same line (`when x`, `group vip`) starts the next clause; alone at the end of
//!   its line it is a stage name.
//! - Comparisons do not chain (`a < b < c` is an error; parentheses allow
//!   `(a < b) == c`); `??` groups to the left, which means the same as to the right.
//! - `%` in an expression is always the remainder; percentages are written only in
//!   `holdout`, so [`ast::ExprKind::Percent`] is never produced.
//! - `via`, `at` and `with` after a `then` template may come in any order, each once.
//! - Dates: a four-digit year then `-` starts a date, so `2026-11-25` is never a
//!   subtraction; `2026-1-5` is a bad date, not arithmetic. A date-time needs an offset.
//! - A declaration must be followed by the end of the file or another declaration, so
//!   `segment a = b = c` is an error at the second `=`.
//! - Data literals (a test's `member { … }`) separate fields like blocks (line breaks,
//!   commas or spaces) and list items with commas; dates in them are strings, as in JSON.

mod errors;
mod expr;
mod literal;
mod lower;
mod scan;

use pest::iterators::Pairs;
use pest::Parser as _;

use crate::ast;
use crate::diagnostics::{codes, Diagnostic, FileId, Span};

use grammar::{PlaybookParser, Rule};
use lower::Lowerer;

mod grammar {
    //! The pest parser derived from `grammar/playbook.pest`.
    #![allow(missing_docs)]

    /// The parser generated from the grammar.
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/playbook.pest"]
    pub struct PlaybookParser;
}

/// What parsing one file gives: the declarations that parsed, comments beside them, and
/// every syntax problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The declarations that parsed, in source order.
    pub module: ast::Module,
    /// Every comment, in source order, with its span.
    pub comments: Vec<ast::Comment>,
    /// Every syntax problem, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Nesting limit for expressions and brackets; deeper input gives `codes::TOO_DEEP`.
pub const MAX_NESTING: usize = 64;

/// Largest playbook source accepted (bytes); larger gives `codes::TOO_LARGE`.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024 * 1024;

/// The tallest expression tree the parser builds (a chain of 300 `or`s is too tall); a
/// taller one gives `codes::TOO_DEEP`, so later stages may walk trees by recursion.
pub const MAX_EXPRESSION_HEIGHT: usize = 4 * MAX_NESTING;

/// Parses one file. Never panics; every problem is in [`Parsed::diagnostics`].
pub fn parse(text: &str, file: FileId) -> Parsed {
    let mut parsed = Parsed {
        module: ast::Module { items: Vec::new() },
        comments: Vec::new(),
        diagnostics: Vec::new(),
    };
    if text.len() > MAX_SOURCE_BYTES {
        parsed.diagnostics.push(too_large(text.len(), file));
        return parsed;
    }
    let prescan = scan::prescan(text);
    let mut position = 0;
    loop {
        position = skip_trivia(text, position, file, &mut parsed);
        if position >= text.len() {
            break;
        }
        position = parse_declaration(text, position, file, &prescan, &mut parsed);
    }
    parsed.comments.sort_by_key(|comment| comment.span.start);
    parsed
        .diagnostics
        .sort_by_key(|diagnostic| diagnostic.span.start);
    parsed
}

/// Parses one expression (for the REPL): the whole text must be the expression;
/// whitespace and comments around it are fine.
pub fn parse_expression(text: &str, file: FileId) -> Result<ast::Expr, Vec<Diagnostic>> {
    if text.len() > MAX_SOURCE_BYTES {
        return Err(vec![too_large(text.len(), file)]);
    }
    if let Some(place) = scan::prescan(text).too_deep.first() {
        return Err(vec![too_deep(*place, file)]);
    }
    if scan::skip_trivia(text, 0, &mut Vec::new()) >= text.len() {
        return Err(vec![Diagnostic::error(
            codes::SYNTAX,
            "expected an expression",
            Span::new(file, 0, text.len()),
        )]);
    }
    let pairs = match pest_parse(Rule::expression_input, text) {
        Ok(pairs) => pairs,
        Err(error) => return Err(vec![errors::describe(&error, text, 0, file, true)]),
    };
    let mut lowerer = Lowerer::new(file, 0);
    let expression = pairs
        .into_iter()
        .next()
        .and_then(|input| lower::significant(input).find(|p| p.as_rule() == Rule::expr))
        .map(|pair| lowerer.lower_expr(pair));
    match expression {
        Some(expression) if lowerer.diagnostics.is_empty() => Ok(expression),
        Some(_) => Err(lowerer.diagnostics),
        None => Err(vec![Diagnostic::error(
            codes::SYNTAX,
            "expected an expression",
            Span::new(file, 0, text.len()),
        )]),
    }
}

/// Skips whitespace and comments between declarations, keeping the comments.
fn skip_trivia(text: &str, position: usize, file: FileId, parsed: &mut Parsed) -> usize {
    let mut found = Vec::new();
    let next = scan::skip_trivia(text, position, &mut found);
    for trivia in found {
        match trivia {
            scan::Trivia::Comment(start, end) => {
                parsed.comments.push(comment(text, start, end, file));
            }
            scan::Trivia::Unclosed(start) => {
                parsed.diagnostics.push(
                    Diagnostic::error(
                        codes::SYNTAX,
                        "this comment is never closed",
                        Span::new(file, start, start + 2),
                    )
                    .with_label("the comment starts here")
                    .with_help(
                        "end it with `*/` (block comments nest: each `/*` needs its own `*/`)",
                    ),
                );
            }
        }
    }
    next
}

/// A comment from its place in the text.
pub(crate) fn comment(text: &str, start: usize, end: usize, file: FileId) -> ast::Comment {
    let body = text.get(start..end).unwrap_or("");
    ast::Comment {
        text: body.to_string(),
        block: body.starts_with("/*"),
        span: Span::new(file, start, end),
    }
}

/// Parses the declaration starting at `start`; returns where parsing goes on.
fn parse_declaration(
    text: &str,
    start: usize,
    file: FileId,
    prescan: &scan::Prescan,
    parsed: &mut Parsed,
) -> usize {
    let next = scan::next_declaration(text, start, start + 1).max(start + 1);
    if let Some(place) = prescan.deep_within(start, next) {
        parsed.diagnostics.push(too_deep(place, file));
        return next;
    }
    // Pest never sees text past the next too-deep place, so it cannot recurse into it.
    let limit = prescan.first_deep_from(start).unwrap_or(text.len());
    let slice = text.get(start..limit).unwrap_or("");
    match pest_parse(Rule::item, slice) {
        Ok(pairs) => {
            let mut lowerer = Lowerer::new(file, start);
            let mut end = start + 1;
            for item in pairs {
                if let Some((declaration, consumed)) = lowerer.lower_item(item) {
                    parsed.module.items.push(declaration);
                    end = start + consumed;
                }
            }
            parsed.diagnostics.append(&mut lowerer.diagnostics);
            parsed.comments.append(&mut lowerer.comments);
            end
        }
        Err(error) => {
            let at = errors::error_offset(&error);
            if limit < text.len() && start + at >= limit {
                parsed.diagnostics.push(too_deep(limit, file));
                return scan::next_declaration(text, start, limit).max(start + 1);
            }
            parsed
                .diagnostics
                .push(errors::describe(&error, slice, start, file, false));
            let error_line = text[..start + at].rfind('\n').map_or(0, |i| i + 1);
            scan::next_declaration(text, start, error_line).max(start + 1)
        }
    }
}

/// Parses `text` with pest. Text that does not parse is parsed again with pest's error
/// detail on, which records the tokens it expected (`}`, `=`) so that messages can name
/// them; recording them makes parsing several times slower, so correct text (nearly
/// all of it) is parsed without.
fn pest_parse(rule: Rule, text: &str) -> Result<Pairs<'_, Rule>, pest::error::Error<Rule>> {
    PlaybookParser::parse(rule, text).or_else(|_| {
        let _detail = ErrorDetail::on();
        PlaybookParser::parse(rule, text)
    })
}

/// Holds pest's error detail on. The switch is one for the whole process, read when a
/// parse starts; it stays on while any thread holds an `ErrorDetail` (a count behind a
/// lock), so a thread that needs the detail always gets it, and another thread can at
/// worst parse a little slower.
struct ErrorDetail;

static DETAIL_HOLDERS: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

impl ErrorDetail {
    fn on() -> ErrorDetail {
        let mut holders = DETAIL_HOLDERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *holders += 1;
        pest::set_error_detail(true);
        ErrorDetail
    }
}

impl Drop for ErrorDetail {
    fn drop(&mut self) {
        let mut holders = DETAIL_HOLDERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *holders = holders.saturating_sub(1);
        if *holders == 0 {
            pest::set_error_detail(false);
        }
    }
}

fn too_large(length: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        codes::TOO_LARGE,
        format!(
            "this playbook is too large ({length} bytes; the limit is {MAX_SOURCE_BYTES} bytes)"
        ),
        Span::new(file, 0, 0),
    )
    .with_help("split it into several files joined with `include`")
}

pub(crate) fn too_deep(place: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        codes::TOO_DEEP,
        format!("this is nested too deeply (more than {MAX_NESTING} levels)"),
        Span::new(file, place, place + 1),
    )
    .with_label("too deep here")
    .with_help("split the expression into named segments")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        parse(text, FileId(0))
            .diagnostics
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn errors_name_what_was_expected_while_other_threads_parse() {
        let bad = "segment s = orders >= \nrule r { when }\n";
        let good = "segment s = orders >= 1\nrule r { when s then tag \"x\" }\n";
        let expected = messages(bad);
        assert!(!expected.is_empty());
        let threads: Vec<_> = (0..4)
            .map(|i| {
                std::thread::spawn(move || {
                    (0..50)
                        .map(|_| {
                            if i % 2 == 0 {
                                messages(bad)
                            } else {
                                messages(good)
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for (i, thread) in threads.into_iter().enumerate() {
            for got in thread.join().expect("no panic") {
                let wanted = if i % 2 == 0 {
                    expected.clone()
                } else {
                    Vec::new()
                };
                assert_eq!(got, wanted);
            }
        }
    }
}
