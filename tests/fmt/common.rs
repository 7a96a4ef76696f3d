//! What every formatting test checks of a formatted text: it formats to itself, it
//! parses to the same tree as the original (spans aside), and it keeps every comment.

#![allow(dead_code)]

use siyu::diagnostics::FileId;
use siyu::format::{format_source, without_spans};
use siyu::syntax::parse;

/// A comment's text as the formatter may print it: `\n` line endings, and a line
/// comment without trailing spaces.
pub fn normalized(comment: &siyu::ast::Comment) -> String {
    let text = comment.text.replace("\r\n", "\n");
    if comment.block {
        text
    } else {
        text.trim_end().to_string()
    }
}

/// The comment texts of a parse, in order of appearance.
pub fn comment_texts(text: &str) -> Vec<String> {
    parse(text, FileId(0))
        .comments
        .iter()
        .map(normalized)
        .collect()
}

/// Formats `text` (which must parse) and checks the three properties; returns the
/// formatted text. `name` says which input failed.
pub fn format_checked(name: &str, text: &str) -> String {
    let original = parse(text, FileId(0));
    assert!(
        original.diagnostics.iter().all(|d| !d.is_error()),
        "{name}: the input does not parse: {:?}",
        original.diagnostics
    );
    let formatted = match format_source(text) {
        Ok(formatted) => formatted,
        Err(diagnostics) => panic!("{name}: formatting failed: {diagnostics:?}"),
    };
    let reparsed = parse(&formatted, FileId(0));
    assert!(
        reparsed.diagnostics.iter().all(|d| !d.is_error()),
        "{name}: the formatted text does not parse: {:?}\n{formatted}",
        reparsed.diagnostics
    );
    assert_eq!(
        without_spans(&reparsed.module),
        without_spans(&original.module),
        "{name}: the formatted text means something else:\n{formatted}"
    );
    let mut before: Vec<String> = original.comments.iter().map(normalized).collect();
    let mut after: Vec<String> = reparsed.comments.iter().map(normalized).collect();
    before.sort();
    after.sort();
    assert_eq!(
        after, before,
        "{name}: comments were lost or changed:\n{formatted}"
    );
    let again = format_source(&formatted).unwrap_or_else(|d| panic!("{name}: {d:?}"));
    assert_eq!(again, formatted, "{name}: formatting is not idempotent");
    formatted
}
