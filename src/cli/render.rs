//! Drawing diagnostics on stderr, the one way every command does it: miette's graphical
//! handler with source snippets, colour only on a terminal and never with `NO_COLOR`.

use std::io::{IsTerminal, Write};

use miette::{GraphicalReportHandler, GraphicalTheme};
use siyu::{Diagnostic, SourceMap};

/// The width diagnostics are drawn at.
const WIDTH: usize = 100;

/// Whether stderr gets colour: a terminal, and `NO_COLOR` unset.
pub fn colour_on_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// The handler every command draws diagnostics with.
pub fn handler() -> GraphicalReportHandler {
    let theme = if colour_on_stderr() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme).with_width(WIDTH)
}

/// One report drawn with its source snippet (or as a plain line if drawing fails).
pub fn draw(handler: &GraphicalReportHandler, report: &dyn miette::Diagnostic) -> String {
    let mut drawn = String::new();
    if handler.render_report(&mut drawn, report).is_err() {
        drawn = format!("error: {report}\n");
    }
    drawn
}

/// Draws every diagnostic on stderr, each followed by a blank line.
pub fn print_diagnostics<'a>(
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    sources: &SourceMap,
) {
    let handler = handler();
    let mut out = std::io::stderr().lock();
    for diagnostic in diagnostics {
        let _ = writeln!(out, "{}", draw(&handler, &diagnostic.report(sources)));
    }
}
