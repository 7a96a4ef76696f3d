//! What was typed: a light scan of the text into tokens (enough to colour it, to tell
//! whether a bracket or a block is still open, and to find the word being completed),
//! and the sorting of an input into a command, a declaration or an expression.
//!
//! The scan is not the parser: it never fails, and the parser has the last word on
//! what the text means.

use siyu::vocabulary::{DECLARATION_KEYWORDS, EXPRESSION_KEYWORDS};

/// The kind of a scanned token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Spaces and line breaks.
    Space,
    /// A word: a name or a keyword.
    Word,
    /// A literal starting with a digit: numbers, durations, dates, times, percentages.
    Number,
    /// A quoted string (`closed` false when its line ended first).
    Str {
        /// Whether the closing quote was found.
        closed: bool,
    },
    /// `// …` or `/* … */` (`closed` false for a block comment still open).
    Comment {
        /// Whether the comment is finished.
        closed: bool,
    },
    /// `:name` at the start of the input.
    Command,
    /// Any other character or operator.
    Punct,
}

/// A token: its kind and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// Words that leave an expression unfinished at the end of a line.
const CONTINUING_WORDS: [&str; 4] = ["and", "or", "not", "in"];

/// Operators that leave an expression unfinished at the end of a line.
const CONTINUING_OPERATORS: [&str; 14] = [
    "=", "==", "!=", "<", "<=", ">", ">=", "??", "+", "*", "/", ",", "=>", "|",
];

/// Scans `text` into tokens covering it entirely.
pub fn scan(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut position = 0;
    let first_significant = text.len() - text.trim_start().len();
    while position < text.len() {
        let rest = &text[position..];
        let (kind, length) = if position == first_significant && rest.starts_with(':') {
            (TokenKind::Command, 1 + word_length(&rest[1..]))
        } else {
            next_token(rest)
        };
        let length = length.max(first_char_length(rest));
        tokens.push(Token {
            kind,
            start: position,
            end: position + length,
        });
        position += length;
    }
    tokens
}

fn first_char_length(text: &str) -> usize {
    text.chars().next().map_or(1, char::len_utf8)
}

fn word_length(text: &str) -> usize {
    text.char_indices()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(text.len(), |(i, _)| i)
}

/// A character that may continue a name.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn next_token(rest: &str) -> (TokenKind, usize) {
    let Some(c) = rest.chars().next() else {
        return (TokenKind::Space, 0);
    };
    if c.is_whitespace() {
        let length = rest
            .char_indices()
            .find(|(_, c)| !c.is_whitespace())
            .map_or(rest.len(), |(i, _)| i);
        return (TokenKind::Space, length);
    }
    if rest.starts_with("//") {
        return (
            TokenKind::Comment { closed: true },
            rest.find('\n').unwrap_or(rest.len()),
        );
    }
    if let Some(body) = rest.strip_prefix("/*") {
        return match body.find("*/") {
            Some(i) => (TokenKind::Comment { closed: true }, i + 4),
            None => (TokenKind::Comment { closed: false }, rest.len()),
        };
    }
    if c == '"' || c == '\'' {
        return string_token(rest, c);
    }
    if c.is_ascii_digit() {
        return (TokenKind::Number, number_length(rest));
    }
    if is_word_char(c) {
        return (TokenKind::Word, word_length(rest));
    }
    let two = rest.get(..2).unwrap_or("");
    if ["==", "!=", "<=", ">=", "??", "=>"].contains(&two) {
        return (TokenKind::Punct, 2);
    }
    (TokenKind::Punct, c.len_utf8())
}

fn string_token(rest: &str, quote: char) -> (TokenKind, usize) {
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            '\n' => return (TokenKind::Str { closed: false }, i),
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            _ if c == quote => return (TokenKind::Str { closed: true }, i + c.len_utf8()),
            _ => {}
        }
    }
    (TokenKind::Str { closed: false }, rest.len())
}

/// Digits and what may follow them in a literal: `10_000`, `3.5`, `7d`, `19:30`, `5%`,
/// `2026-11-25`, `2026-11-25T09:00:00+08:00`.
fn number_length(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next_is_digit = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        let keeps = b.is_ascii_alphanumeric()
            || b == b'_'
            || b == b'%'
            || ((b == b'.' || b == b':' || b == b'-' || b == b'+') && next_is_digit);
        if !keeps {
            break;
        }
        i += 1;
    }
    i
}

/// Whether the input is finished: no bracket, brace or block comment open, and the
/// last thing written does not call for more (`and`, `=`, `,` …). Commands are always
/// one line.
pub fn is_complete(text: &str) -> bool {
    let tokens = scan(text);
    let mut depth: i64 = 0;
    let mut last: Option<&Token> = None;
    for token in &tokens {
        match token.kind {
            TokenKind::Command => return true,
            TokenKind::Comment { closed: false } => return false,
            TokenKind::Space | TokenKind::Comment { .. } => continue,
            TokenKind::Punct => match &text[token.start..token.end] {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth -= 1,
                _ => {}
            },
            _ => {}
        }
        last = Some(token);
    }
    if depth > 0 {
        return false;
    }
    match last {
        Some(token) => {
            let word = &text[token.start..token.end];
            let continuing = match token.kind {
                TokenKind::Word => CONTINUING_WORDS.contains(&word),
                TokenKind::Punct => CONTINUING_OPERATORS.contains(&word),
                _ => false,
            };
            !continuing
        }
        None => true,
    }
}

/// What an input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing but spaces and comments.
    Empty,
    /// `:name args`.
    Command,
    /// One or more declarations.
    Declaration,
    /// An expression to evaluate.
    Expression,
}

/// Sorts an input. A declaration keyword starts a declaration only when what follows
/// can continue one (a name, a string, a block), so `stage == "x"` or `member.orders`
/// stay expressions for a field or keyword of that spelling.
pub fn classify(text: &str) -> Kind {
    let tokens: Vec<Token> = scan(text)
        .into_iter()
        .filter(|t| !matches!(t.kind, TokenKind::Space | TokenKind::Comment { .. }))
        .collect();
    let Some(first) = tokens.first() else {
        return Kind::Empty;
    };
    if first.kind == TokenKind::Command {
        return Kind::Command;
    }
    let word = &text[first.start..first.end];
    if first.kind != TokenKind::Word || !DECLARATION_KEYWORDS.contains(&word) {
        return Kind::Expression;
    }
    let Some(second) = tokens.get(1) else {
        return Kind::Expression;
    };
    let next = &text[second.start..second.end];
    let declares = match second.kind {
        TokenKind::Punct => next == "{" && matches!(word, "member" | "policy"),
        TokenKind::Str { .. } => matches!(word, "playbook" | "include" | "test"),
        TokenKind::Word => {
            !EXPRESSION_KEYWORDS.contains(&next)
                && matches!(
                    word,
                    "channel" | "segment" | "stage" | "rule" | "experiment"
                )
        }
        _ => false,
    };
    if declares {
        Kind::Declaration
    } else {
        Kind::Expression
    }
}

/// The command name and its argument (trimmed) of a `:name args` input.
pub fn split_command(text: &str) -> (&str, &str) {
    let text = text.trim();
    let body = text.strip_prefix(':').unwrap_or(text);
    match body.find(char::is_whitespace) {
        Some(i) => (&body[..i], body[i..].trim()),
        None => (body, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_sorted() {
        assert_eq!(classify("  "), Kind::Empty);
        assert_eq!(classify("// only a comment"), Kind::Empty);
        assert_eq!(classify(":plan"), Kind::Command);
        assert_eq!(classify("segment big = spend > 1"), Kind::Declaration);
        assert_eq!(classify("rule r { then tag \"x\" }"), Kind::Declaration);
        assert_eq!(classify("member { id: string }"), Kind::Declaration);
        assert_eq!(classify("include \"common.rules\""), Kind::Declaration);
        assert_eq!(classify("member.orders > 1"), Kind::Expression);
        assert_eq!(classify("stage == \"x\""), Kind::Expression);
        assert_eq!(classify("test and true"), Kind::Expression);
        assert_eq!(classify("spend >= 2000"), Kind::Expression);
        assert_eq!(classify("segment"), Kind::Expression);
        assert_eq!(
            classify("experiment tone { variant warm 50% }"),
            Kind::Declaration
        );
        assert_eq!(classify("experiment > 1"), Kind::Expression);
    }

    #[test]
    fn open_brackets_and_blocks_continue() {
        assert!(!is_complete("rule r {"));
        assert!(!is_complete("rule r {\n  when orders > 1\n"));
        assert!(is_complete("rule r {\n  then tag \"x\"\n}"));
        assert!(!is_complete("tier in [\"gold\","));
        assert!(!is_complete("spend > 1 and"));
        assert!(!is_complete("segment big ="));
        assert!(!is_complete("/* a comment"));
        assert!(is_complete("spend > 1"));
        assert!(is_complete(":members examples/a (b.jsonl"));
        assert!(is_complete("\"{ not a brace\""));
        assert!(is_complete("x // trailing and"));
        assert!(is_complete("5%"));
        assert!(is_complete("a)"));
    }

    #[test]
    fn tokens_cover_the_text() {
        let text = "spend >= 2_000 and \"新 \\\" 粉\" // c\n2026-11-25T09:00:00+08:00 '";
        let tokens = scan(text);
        let mut position = 0;
        for token in &tokens {
            assert_eq!(token.start, position);
            position = token.end;
        }
        assert_eq!(position, text.len());
        let kinds: Vec<TokenKind> = tokens
            .iter()
            .filter(|t| t.kind != TokenKind::Space)
            .map(|t| t.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                TokenKind::Word,
                TokenKind::Punct,
                TokenKind::Number,
                TokenKind::Word,
                TokenKind::Str { closed: true },
                TokenKind::Comment { closed: true },
                TokenKind::Number,
                TokenKind::Str { closed: false },
            ]
        );
    }

    #[test]
    fn commands_split_into_name_and_argument() {
        assert_eq!(split_command(":member  m1 "), ("member", "m1"));
        assert_eq!(split_command(":plan"), ("plan", ""));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn any_text_scans_and_sorts(text in "\\PC{0,80}|[\"'/*{}()\\[\\]:a-z0-9 \n]{0,40}") {
            let tokens = scan(&text);
            let covered: usize = tokens.iter().map(|t| t.end - t.start).sum();
            prop_assert_eq!(covered, text.len());
            let _ = is_complete(&text);
            let _ = classify(&text);
            let _ = split_command(&text);
        }
    }
}
