//! The formatter: prints a parsed playbook back in the one canonical layout, keeping
//! every comment. It owns layout only; parsing is `syntax`'s, and a file with a syntax
//! error is never rewritten.
//!
//! The layout (described for users in `docs/formatting.md`):
//!
//! - two spaces of indentation; `{` on the declaration's line; one clause per line;
//! - one blank line between declarations, except that consecutive `stage`, `segment`
//!   and `include` lines written without a blank line between them stay grouped, and a
//!   group of stages is aligned as a table;
//! - blank lines the author left between clauses or comments are kept, at most one;
//! - spaces around binary operators, after commas and colons; the author's parentheses
//!   are kept and only those precedence requires are added;
//! - strings re-escaped canonically, in the author's quote unless the other one spares
//!   an escape; numbers in the author's spelling when exact;
//! - a data literal (a test's `member { … }`), a `with { … }` or an object type stays on
//!   one line when it fits in 100 columns and holds no comment, else one entry per line;
//! - comments stay where they were: at the end of a line, on lines of their own, or
//!   inside an expression (a line comment there ends the line, and the clause goes on
//!   on the next line, indented four spaces more).
//!
//! Formatting is idempotent, and the formatted text parses to the same tree.

mod block;
mod clauses;
mod data;
mod expr;
mod items;
mod literal;
mod printer;
mod spans;

pub use spans::without_spans;

use crate::ast::{Comment, Module};
use crate::diagnostics::{Diagnostic, FileId};

/// Formats a playbook's source text in the canonical layout.
///
/// A text with a syntax error is not formatted: its diagnostics come back instead (their
/// spans point into `text`, file [`FileId`] 0).
///
/// ```
/// let messy = "segment  big=spend>=2000   // big spenders\n";
/// let tidy = siyu::format::format_source(messy).unwrap();
/// assert_eq!(tidy, "segment big = spend >= 2000 // big spenders\n");
/// ```
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = crate::syntax::parse(text, FileId(0));
    if parsed.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(parsed.diagnostics);
    }
    Ok(format_module(&parsed.module, &parsed.comments, text))
}

/// Prints `module`, parsed from `source` with `comments`, in the canonical layout.
///
/// The source is read for what the tree does not keep: blank lines, the quote and
/// number spellings the author chose, and the lines comments were written on.
pub fn format_module(module: &Module, comments: &[Comment], source: &str) -> String {
    let mut printer = printer::Printer::new(source, comments);
    printer.module(module);
    printer.finish()
}
