//! The cheap lexical passes that run before and between pest parses: the nesting
//! pre-scan (so that no input can drive a parser or the lowering into deep recursion),
//! skipping whitespace and comments between declarations, and finding where the next
//! declaration starts after a syntax error.
//!
//! These passes know strings, templates and comments well enough to skip them, and
//! nothing else of the grammar.

use super::MAX_NESTING;

/// The words that start a top-level declaration (the vocabulary's list).
pub use crate::vocabulary::DECLARATION_KEYWORDS;

/// Whether `c` may continue a name (kept in step with `ident_char` in the grammar).
pub fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// What the pre-scan found: the places where nesting first goes beyond [`MAX_NESTING`].
#[derive(Debug, Default)]
pub struct Prescan {
    /// Byte offsets, ascending, where the nesting crossed the limit.
    pub too_deep: Vec<usize>,
}

impl Prescan {
    /// The first too-deep place in `start..end`, if any.
    pub fn deep_within(&self, start: usize, end: usize) -> Option<usize> {
        self.first_deep_from(start).filter(|&place| place < end)
    }

    /// The first too-deep place at or after `start`.
    pub fn first_deep_from(&self, start: usize) -> Option<usize> {
        let index = self.too_deep.partition_point(|&place| place < start);
        self.too_deep.get(index).copied()
    }
}

/// One open construct during the pre-scan.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Frame {
    /// `(`, `[` or `{` in code; `prefix` is the prefix-operator count of the enclosing
    /// levels when it opened.
    Bracket { prefix: usize },
    /// A string opened by this quote character.
    Str(char),
    /// `{` inside a string: an interpolated expression.
    Interpolation { prefix: usize },
}

/// Measures how deeply `text` nests: brackets, template interpolations, nested block
/// comments and runs of prefix operators (`not`, `-`), which the parsers handle by
/// recursion. Every plain string is scanned as if it were a template, which can only
/// overestimate the nesting.
pub fn prescan(text: &str) -> Prescan {
    let mut scanner = Scanner {
        text,
        position: 0,
        frames: Vec::new(),
        enclosing_prefix: 0,
        run: 0,
        open: 0,
        over: false,
        result: Prescan::default(),
    };
    scanner.run_to_end();
    scanner.result
}

struct Scanner<'t> {
    text: &'t str,
    position: usize,
    frames: Vec<Frame>,
    /// Prefix operators counted at enclosing levels.
    enclosing_prefix: usize,
    /// The current run of prefix operators.
    run: usize,
    /// How many brackets and interpolations are open.
    open: usize,
    /// Whether the nesting is currently beyond the limit.
    over: bool,
    result: Prescan,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.position..).unwrap_or("")
    }

    fn level(&self, comment_depth: usize) -> usize {
        self.open + comment_depth + self.enclosing_prefix + self.run
    }

    fn measure(&mut self, at: usize, comment_depth: usize) {
        let deep = self.level(comment_depth) > MAX_NESTING;
        if deep && !self.over {
            self.result.too_deep.push(at);
        }
        self.over = deep;
    }

    fn run_to_end(&mut self) {
        while let Some(c) = self.rest().chars().next() {
            match self.frames.last() {
                Some(Frame::Str(quote)) => {
                    let quote = *quote;
                    self.string_step(c, quote);
                }
                _ => self.code_step(c),
            }
        }
    }

    fn open(&mut self, frame: Frame, at: usize) {
        self.frames.push(frame);
        self.open += 1;
        self.enclosing_prefix += self.run;
        self.run = 0;
        self.measure(at, 0);
    }

    fn close(&mut self) {
        if let Some(Frame::Bracket { prefix } | Frame::Interpolation { prefix }) = self.frames.pop()
        {
            self.enclosing_prefix = prefix;
            self.open -= 1;
        }
        self.run = 0;
        self.measure(self.position, 0);
    }

    fn string_step(&mut self, c: char, quote: char) {
        let start = self.position;
        let rest = self.rest();
        if c == '\\' {
            let mut chars = rest.chars();
            chars.next();
            let escaped = chars.next().filter(|&e| e != '\n');
            self.position += 1 + escaped.map_or(0, char::len_utf8);
        } else if rest.starts_with("{{") || rest.starts_with("}}") {
            self.position += 2;
        } else if c == '{' {
            self.position += 1;
            let prefix = self.enclosing_prefix;
            self.open(Frame::Interpolation { prefix }, start);
        } else if c == quote {
            self.frames.pop();
            self.position += 1;
        } else if c == '\n' {
            // The string ends with its line; the line's end is handled in code.
            self.frames.pop();
        } else {
            self.position += c.len_utf8();
        }
    }

    fn code_step(&mut self, c: char) {
        let start = self.position;
        let rest = self.rest();
        if rest.starts_with("//") {
            self.position += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            self.block_comment();
        } else if c == '"' || c == '\'' {
            self.frames.push(Frame::Str(c));
            self.position += 1;
            self.run = 0;
        } else if matches!(c, '(' | '[' | '{') {
            self.position += 1;
            let prefix = self.enclosing_prefix;
            self.open(Frame::Bracket { prefix }, start);
        } else if matches!(c, ')' | ']' | '}') {
            self.position += 1;
            if matches!(
                self.frames.last(),
                Some(Frame::Bracket { .. } | Frame::Interpolation { .. })
            ) {
                self.close();
            }
        } else if c == '-' {
            self.position += 1;
            self.run += 1;
            self.measure(start, 0);
        } else if is_ident_char(c) {
            let length = rest
                .char_indices()
                .find(|&(_, ch)| !is_ident_char(ch))
                .map_or(rest.len(), |(i, _)| i);
            let is_not = &rest[..length] == "not";
            self.position += length;
            if is_not {
                self.run += 1;
                self.measure(start, 0);
            } else {
                self.run = 0;
            }
        } else {
            self.position += c.len_utf8();
            if c == '\n' {
                self.end_line();
            } else if !c.is_whitespace() {
                self.run = 0;
            }
        }
    }

    /// A string never spans lines, so an interpolation still open at the end of a line
    /// was a plain `{` in a plain string (`"{"`): forget it, and its string, rather than
    /// count it as nesting for the rest of the file.
    fn end_line(&mut self) {
        while let Some(Frame::Interpolation { prefix }) = self.frames.last().copied() {
            self.frames.pop();
            self.open -= 1;
            self.enclosing_prefix = prefix;
            if let Some(Frame::Str(_)) = self.frames.last() {
                self.frames.pop();
            }
        }
    }

    /// Skips a (nesting) block comment, measuring its depth.
    fn block_comment(&mut self) {
        let mut depth = 0usize;
        while self.position < self.text.len() {
            let rest = self.rest();
            if rest.starts_with("/*") {
                depth += 1;
                let at = self.position;
                self.position += 2;
                self.measure(at, depth);
            } else if rest.starts_with("*/") {
                self.position += 2;
                depth -= 1;
                if depth == 0 {
                    self.measure(self.position, 0);
                    return;
                }
            } else {
                self.position += rest.chars().next().map_or(1, char::len_utf8);
            }
        }
    }
}

/// A comment or an unclosed comment found between declarations.
#[derive(Debug, PartialEq)]
pub enum Trivia {
    /// A complete comment, `start..end`.
    Comment(usize, usize),
    /// A `/*` never closed, starting here.
    Unclosed(usize),
}

/// Skips whitespace and comments from `position`; returns where the next token starts
/// and the comments passed on the way.
pub fn skip_trivia(text: &str, mut position: usize, found: &mut Vec<Trivia>) -> usize {
    loop {
        let rest = text.get(position..).unwrap_or("");
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
        position += rest.len() - trimmed.len();
        if trimmed.starts_with("//") {
            let line = trimmed.find('\n').map_or(trimmed, |end| &trimmed[..end]);
            let length = line.strip_suffix('\r').unwrap_or(line).len();
            found.push(Trivia::Comment(position, position + length));
            position += length;
        } else if trimmed.starts_with("/*") {
            match block_comment_length(trimmed) {
                Some(length) => {
                    found.push(Trivia::Comment(position, position + length));
                    position += length;
                }
                None => {
                    found.push(Trivia::Unclosed(position));
                    return text.len();
                }
            }
        } else {
            return position;
        }
    }
}

/// The length of the nesting block comment at the start of `text`, if it is closed.
pub fn block_comment_length(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut index = 0;
    while index + 1 < bytes.len() {
        match (bytes[index], bytes[index + 1]) {
            (b'/', b'*') => {
                depth += 1;
                index += 2;
            }
            (b'*', b'/') => {
                depth = depth.saturating_sub(1);
                index += 2;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => index += 1,
        }
    }
    None
}

/// Where the declaration after the one starting at `start` begins: the first line after
/// `start`'s line, starting at or after `not_before`, whose first word is a declaration
/// keyword, either outside every `{ }` (counted from `start`) or written at the start of
/// its line. `text.len()` when there is none.
pub fn next_declaration(text: &str, start: usize, not_before: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth: i64 = 0;
    let mut index = start;
    let mut quote: Option<u8> = None;
    while index < bytes.len() {
        let byte = bytes[index];
        if let Some(q) = quote {
            if byte == b'\\' {
                index += 1;
            } else if byte == q || byte == b'\n' {
                quote = None;
            }
            if byte != b'\n' {
                index += 1;
                continue;
            }
        }
        match byte {
            b'"' | b'\'' => quote = Some(byte),
            b'{' => depth += 1,
            b'}' => depth -= 1,
            b'/' if bytes.get(index + 1) == Some(&b'/') => {
                index += text[index..].find('\n').unwrap_or(text.len() - index);
                continue;
            }
            b'/' if bytes.get(index + 1) == Some(&b'*') => {
                index += block_comment_length(&text[index..]).unwrap_or(text.len() - index);
                continue;
            }
            b'\n' => {
                if let Some(found) = declaration_on_line(text, index + 1, depth, not_before) {
                    return found;
                }
            }
            _ => {}
        }
        index += 1;
    }
    text.len()
}

/// The start of the declaration keyword on the line starting at `line_start`, if the
/// line is a fitting place to resume.
fn declaration_on_line(
    text: &str,
    line_start: usize,
    depth: i64,
    not_before: usize,
) -> Option<usize> {
    let line = text.get(line_start..)?;
    let trimmed = line.trim_start_matches([' ', '\t']);
    let word_start = line_start + (line.len() - trimmed.len());
    if word_start < not_before || !(depth <= 0 || word_start == line_start) {
        return None;
    }
    let length = trimmed
        .char_indices()
        .find(|&(_, c)| !is_ident_char(c))
        .map_or(trimmed.len(), |(i, _)| i);
    DECLARATION_KEYWORDS
        .contains(&&trimmed[..length])
        .then_some(word_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_parentheses_are_found() {
        let text = format!("segment a = {}1{}", "(".repeat(100), ")".repeat(100));
        let scan = prescan(&text);
        assert_eq!(scan.too_deep, vec![12 + MAX_NESTING]);
    }

    #[test]
    fn shallow_text_is_not_too_deep() {
        let text = "segment a = not (b and [1, 2, (3)]) // ((((\nstage x \"((((\" otherwise";
        assert!(prescan(text).too_deep.is_empty());
    }

    #[test]
    fn prefix_runs_count() {
        let text = format!("segment a = {} x", "not ".repeat(MAX_NESTING + 1));
        assert_eq!(prescan(&text).too_deep.len(), 1);
        let text = format!("segment a = {}x", "-".repeat(MAX_NESTING + 1));
        assert_eq!(prescan(&text).too_deep.len(), 1);
        let text = "segment a = not a and not b and not c ".repeat(100);
        assert!(prescan(&text).too_deep.is_empty());
    }

    #[test]
    fn template_interpolations_count() {
        let inner = format!("{}x{}", "(".repeat(80), ")".repeat(80));
        let text = format!("rule r {{ then send \"{{{inner}}}\" }}");
        assert_eq!(prescan(&text).too_deep.len(), 1);
    }

    #[test]
    fn braces_in_plain_strings_do_not_add_up() {
        let text = "stage s \"{\" otherwise\n".repeat(200);
        assert!(prescan(&text).too_deep.is_empty());
    }

    #[test]
    fn nested_block_comments_count() {
        let text = format!("{}{}", "/*".repeat(100), "*/".repeat(100));
        assert_eq!(prescan(&text).too_deep.len(), 1);
    }

    #[test]
    fn trivia_is_skipped_and_kept() {
        let mut found = Vec::new();
        let text = "  // a\n /* b /* c */ */ rule";
        let position = skip_trivia(text, 0, &mut found);
        assert_eq!(&text[position..], "rule");
        assert_eq!(found, vec![Trivia::Comment(2, 6), Trivia::Comment(8, 23)]);
        let mut found = Vec::new();
        assert_eq!(skip_trivia("/* open", 0, &mut found), 7);
        assert_eq!(found, vec![Trivia::Unclosed(0)]);
    }

    #[test]
    fn resume_skips_nested_stage_lines() {
        let text = "rule a {\n  stage x\n  when ]\n}\nstage b otherwise\n";
        let found = next_declaration(text, 0, 0);
        assert_eq!(&text[found..], "stage b otherwise\n");
        let unclosed = "rule a {\n  when ]\nrule b { }\n";
        let found = next_declaration(unclosed, 0, 0);
        assert_eq!(&unclosed[found..], "rule b { }\n");
    }
}
