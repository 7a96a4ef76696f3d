//! The output buffer of the formatter and the placement of comments.
//!
//! The printer walks the tree in source order. Before it prints a node it flushes the
//! comments that start before that node, so a comment keeps its place among the tokens
//! around it. Two ways of placing a comment:
//!
//! - between the entries of a sequence (declarations, clauses, fields of a broken
//!   literal): a comment on the same source line as what came before stays at the end of
//!   that line; any other comment gets a line of its own, and the blank lines the author
//!   left around it are kept (at most one);
//! - inside a line (an expression, a clause's arguments): a block comment is printed in
//!   place, a line comment ends the line and the rest of the clause continues on the next
//!   line, indented one step further than the clause.

use unicode_width::UnicodeWidthStr;

use crate::ast::Comment;

/// One step of indentation.
pub(crate) const INDENT: usize = 2;
/// The extra indentation of a line that continues a clause after a line comment.
pub(crate) const CONTINUATION: usize = 4;
/// The width a flat literal may reach before it is broken one entry per line.
pub(crate) const MAX_WIDTH: usize = 100;

/// The state of a sequence of entries (declarations, clauses, fields) being printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sequence {
    /// The source offset where the last printed thing (entry, comment, header) ended.
    pub last: usize,
    /// Whether a comment on the same source line as `last` may stay at the end of the
    /// current output line (false at the very start of the file).
    pub can_trail: bool,
    /// Nothing of the sequence is printed yet: no blank line may open it.
    pub at_start: bool,
}

impl Sequence {
    /// A sequence whose header (or file start) ends at `last` in the source.
    pub fn new(last: usize, can_trail: bool) -> Sequence {
        Sequence {
            last,
            can_trail,
            at_start: true,
        }
    }
}

/// The output being built, the comments still to print, and the current indentation.
pub(crate) struct Printer<'a> {
    /// The source text the tree was parsed from (for blank lines and literals).
    pub source: &'a str,
    comments: Vec<Comment>,
    next_comment: usize,
    out: String,
    /// The indentation of the current entry.
    pub indent: usize,
    /// A line comment was printed inside a line: the next text starts a new line.
    break_pending: bool,
    /// A block comment was printed inside a line: the next word needs a space.
    space_pending: bool,
    /// The current line ends with a line comment: nothing more may go on it.
    line_closed: bool,
    /// Every literal is printed flat (used to measure a flat layout).
    pub flat: bool,
    /// Inside a template's `{…}`: the template's quote, which strings there avoid.
    pub template_quote: Option<char>,
}

impl<'a> Printer<'a> {
    /// A printer over `source` with its comments (in any order).
    pub fn new(source: &'a str, comments: &[Comment]) -> Printer<'a> {
        let mut comments = comments.to_vec();
        comments.sort_by_key(|c| (c.span.start, c.span.end));
        Printer {
            source,
            comments,
            next_comment: 0,
            out: String::new(),
            indent: 0,
            break_pending: false,
            space_pending: false,
            line_closed: false,
            flat: false,
            template_quote: None,
        }
    }

    /// A printer with no comments that prints everything flat, for measuring.
    pub fn measuring(&self) -> Printer<'a> {
        let mut printer = Printer::new(self.source, &[]);
        printer.flat = true;
        printer
    }

    /// The text printed so far, ending with one line break (empty for an empty file).
    pub fn finish(mut self) -> String {
        self.trim_trailing_spaces();
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.out
    }

    /// The text printed so far, as it stands.
    pub fn output(&self) -> &str {
        &self.out
    }

    // ----- text -------------------------------------------------------------------------

    /// Appends text on the current line (or on a continuation line after a line comment).
    pub fn text(&mut self, text: &str) {
        let mut text = text;
        if self.break_pending {
            self.break_pending = false;
            self.space_pending = false;
            self.trim_trailing_spaces();
            self.out.push('\n');
            push_spaces(&mut self.out, self.indent + CONTINUATION);
            text = text.trim_start_matches(' ');
        }
        if self.space_pending {
            self.space_pending = false;
            let closes = text.starts_with([' ', ')', ']', '}', ',']);
            if !closes && !text.is_empty() {
                self.out.push(' ');
            }
        }
        self.out.push_str(text);
    }

    /// Starts a new line at the current indentation, after a blank line if `blank`. At
    /// the very start of the output it does nothing.
    pub fn line(&mut self, blank: bool) {
        self.break_pending = false;
        self.space_pending = false;
        self.line_closed = false;
        self.trim_trailing_spaces();
        if self.out.is_empty() {
            return;
        }
        self.out.push('\n');
        if blank {
            self.out.push('\n');
        }
        push_spaces(&mut self.out, self.indent);
    }

    /// The display width of the current output line so far.
    pub fn column(&self) -> usize {
        let start = self.out.rfind('\n').map_or(0, |i| i + 1);
        self.out.get(start..).map_or(0, |line| line.width())
    }

    fn trim_trailing_spaces(&mut self) {
        let trimmed = self.out.trim_end_matches(' ').len();
        self.out.truncate(trimmed);
    }

    // ----- comments ---------------------------------------------------------------------

    /// The next comment still to print, if it starts before `pos`.
    fn comment_before(&self, pos: usize) -> Option<&Comment> {
        self.comments
            .get(self.next_comment)
            .filter(|c| (c.span.start as usize) < pos)
    }

    /// Whether a comment still to print starts before `pos`.
    pub fn has_comment_before(&self, pos: usize) -> bool {
        self.comment_before(pos).is_some()
    }

    /// Whether any comment (printed or not) starts inside `start..end`.
    pub fn has_comment_within(&self, start: usize, end: usize) -> bool {
        let first = self
            .comments
            .partition_point(|c| (c.span.start as usize) < start);
        self.comments
            .get(first)
            .is_some_and(|c| (c.span.start as usize) < end)
    }

    /// Prints, inside the current line, every comment that starts before `pos`.
    pub fn inline_comments(&mut self, pos: usize) {
        while let Some(comment) = self.comment_before(pos).cloned() {
            self.next_comment += 1;
            let text = comment_text(&comment);
            let tight = if comment.block {
                &[' ', '\n', '(', '['][..]
            } else {
                &[' ', '\n'][..]
            };
            if !self.break_pending && !self.out.ends_with(tight) {
                self.out.push(' ');
            }
            self.space_pending = false;
            self.text(&text);
            if comment.block {
                self.space_pending = true;
            } else {
                self.break_pending = true;
            }
        }
    }

    /// Prints the comments that start before `next` as the gap between two entries of a
    /// sequence: those on the line of what came before stay there, the others get lines
    /// of their own. `force_blank` asks for a blank line before the first comment that
    /// gets its own line (or before the entry, when there is none). Returns whether a
    /// blank line should precede the entry at `next`.
    pub fn gap(&mut self, sequence: &mut Sequence, next: usize, force_blank: bool) -> bool {
        self.comments_between(sequence, next, force_blank, false)
    }

    /// Prints the comments left inside an entry that ends at `end`, which the layout
    /// could not keep in place (`priority /* c */ 3`): after the entry, as if they had
    /// been written there, so that formatting the result again keeps them there.
    pub fn leftovers(&mut self, sequence: &mut Sequence, end: usize) {
        self.comments_between(sequence, end, false, true);
        sequence.last = sequence.last.max(end);
    }

    fn comments_between(
        &mut self,
        sequence: &mut Sequence,
        next: usize,
        force_blank: bool,
        leftovers: bool,
    ) -> bool {
        let mut own_line_printed = false;
        while let Some(comment) = self.comment_before(next).cloned() {
            self.next_comment += 1;
            let start = comment.span.start as usize;
            let same_line = sequence.can_trail
                && !self.line_closed
                && !self.break_pending
                && (leftovers || !self.source_has_newline(sequence.last, start));
            let text = comment_text(&comment);
            if same_line {
                self.space_pending = false;
                self.trim_trailing_spaces();
                if !self.out.is_empty() && !self.out.ends_with('\n') {
                    self.out.push(' ');
                }
                self.out.push_str(&text);
            } else {
                let blank = !sequence.at_start
                    && !leftovers
                    && (self.source_has_blank_line(sequence.last, start)
                        || (force_blank && !own_line_printed));
                self.line(blank);
                self.out.push_str(&text);
                own_line_printed = true;
                sequence.at_start = false;
            }
            self.line_closed = !comment.block;
            sequence.last = comment.span.end as usize;
            sequence.can_trail = true;
        }
        !sequence.at_start
            && (self.source_has_blank_line(sequence.last, next)
                || (force_blank && !own_line_printed))
    }

    /// Records that an entry ending at `end` in the source was printed.
    pub fn entry_done(&mut self, sequence: &mut Sequence, end: usize) {
        sequence.last = end.max(sequence.last);
        sequence.can_trail = true;
        sequence.at_start = false;
    }

    /// Prints the comments left before `end` (the end of a block or of the file) after
    /// the last entry; no blank line closes the sequence.
    pub fn close(&mut self, sequence: &mut Sequence, end: usize) {
        self.gap(sequence, end, false);
    }

    // ----- source -----------------------------------------------------------------------

    /// Where the text of a node spanning `start..end` really ends: before any spaces
    /// and comments its span may take in at its end.
    pub fn content_end(&self, start: usize, end: usize) -> usize {
        let mut at = end;
        loop {
            at = start + self.slice(start, at).trim_end().len();
            let before = self
                .comments
                .partition_point(|c| (c.span.start as usize) < at);
            let inside = before
                .checked_sub(1)
                .and_then(|i| self.comments.get(i))
                .filter(|c| c.span.start as usize >= start && c.span.end as usize >= at);
            match inside {
                Some(comment) => at = comment.span.start as usize,
                None => return at,
            }
        }
    }

    /// Where the clause keyword `keyword` written before `pos` starts, skipping the
    /// spaces and comments between them; `pos` itself when the keyword is not there.
    pub fn keyword_start(&self, pos: usize, keyword: &str) -> usize {
        let mut at = pos;
        loop {
            at = self.slice(0, at).trim_end().len();
            let before = self
                .comments
                .partition_point(|c| (c.span.start as usize) < at);
            let inside = before
                .checked_sub(1)
                .and_then(|i| self.comments.get(i))
                .filter(|c| c.span.end as usize >= at);
            match inside {
                Some(comment) => at = comment.span.start as usize,
                None => break,
            }
        }
        let before = self.slice(0, at);
        let Some(rest) = before.strip_suffix(keyword) else {
            return pos;
        };
        let word = |c: char| c.is_alphanumeric() || c == '_';
        let glued = keyword.starts_with(word) && rest.ends_with(word);
        if glued {
            pos
        } else {
            rest.len()
        }
    }

    /// The source text in `start..end` (empty when out of range).
    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        self.source.get(start..end).unwrap_or("")
    }

    fn source_has_newline(&self, start: usize, end: usize) -> bool {
        start < end && self.slice(start, end).contains('\n')
    }

    /// Whether the source has an empty line (only spaces) between `start` and `end`.
    pub fn source_has_blank_line(&self, start: usize, end: usize) -> bool {
        let mut newline_seen = false;
        for ch in self.slice(start, end).chars() {
            match ch {
                '\n' if newline_seen => return true,
                '\n' => newline_seen = true,
                ' ' | '\t' | '\r' | '\u{feff}' => {}
                _ => newline_seen = false,
            }
        }
        false
    }
}

/// A comment as printed: line endings made `\n`, a line comment without trailing spaces.
pub(crate) fn comment_text(comment: &Comment) -> String {
    let text = comment.text.replace("\r\n", "\n");
    if comment.block {
        text
    } else {
        text.trim_end().to_string()
    }
}

fn push_spaces(out: &mut String, count: usize) {
    out.extend(std::iter::repeat_n(' ', count));
}

/// The display width of a text in a terminal (a CJK character takes two columns).
pub(crate) fn width(text: &str) -> usize {
    text.width()
}
