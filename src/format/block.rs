//! Bracketed sequences printed one entry per line (blocks of clauses, broken literals),
//! and the measure that decides whether a literal fits on one line.

use super::printer::{width, Printer, Sequence, INDENT, MAX_WIDTH};

/// How to print one bracketed sequence one entry per line.
pub(crate) struct Block {
    /// The opening bracket (`{` or `[`).
    pub open: &'static str,
    /// The closing bracket.
    pub close: &'static str,
    /// Where the header (what precedes the opening bracket) ends in the source.
    pub header_end: usize,
    /// Where the whole construct ends in the source (just after its closing bracket).
    pub end: usize,
    /// Whether entries are followed by a comma (all but the last).
    pub commas: bool,
}

impl Printer<'_> {
    /// Prints `open`, each entry on its own line one step deeper, and `close` on a line
    /// of its own; `open` and `close` together when there is nothing inside, not even a
    /// comment. `span` gives each entry's start and end in the source.
    pub fn block<T>(
        &mut self,
        block: Block,
        entries: &[T],
        span: impl Fn(&Printer, &T) -> (usize, usize),
        mut print: impl FnMut(&mut Self, &T),
    ) {
        if entries.is_empty() && !self.has_comment_before(block.end) {
            self.text(block.open);
            self.text(block.close);
            return;
        }
        self.text(block.open);
        self.indent += INDENT;
        let mut sequence = Sequence::new(block.header_end, true);
        for (index, entry) in entries.iter().enumerate() {
            let (start, end) = span(self, entry);
            let end = self.content_end(start, end);
            let blank = self.gap(&mut sequence, start, false);
            self.line(blank);
            print(self, entry);
            if block.commas && index + 1 < entries.len() {
                self.text(",");
            }
            self.entry_done(&mut sequence, end);
            self.leftovers(&mut sequence, end);
        }
        self.close(&mut sequence, block.end);
        self.indent -= INDENT;
        self.line(false);
        self.text(block.close);
    }

    /// Whether a literal printed flat by `print` fits on the current line, and there is
    /// no comment inside `start..end` that would need lines of its own.
    pub fn fits_flat(&self, start: usize, end: usize, print: impl FnOnce(&mut Printer)) -> bool {
        if self.flat {
            return true;
        }
        if self.has_comment_within(start, end) {
            return false;
        }
        let mut measure = self.measuring();
        print(&mut measure);
        let text = measure.output();
        !text.contains('\n') && self.column() + width(text) <= MAX_WIDTH
    }
}
