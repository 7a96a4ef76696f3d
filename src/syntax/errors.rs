//! Turning a pest error into a diagnostic in plain words: what was expected (never a
//! grammar rule's name), what was found, which block was left open, and a fix where one
//! is known ("did you mean `priority`?").

use std::collections::BTreeSet;

use pest::error::{Error, ErrorVariant, InputLocation};

use super::grammar::Rule;
use super::scan::{block_comment_length, is_ident_char, DECLARATION_KEYWORDS};
use crate::vocabulary;
use crate::diagnostics::{codes, did_you_mean, Diagnostic, FileId, Span};

/// Where in the parsed slice the error is (bytes).
pub fn error_offset(error: &Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(position) => position,
        InputLocation::Span((start, _)) => start,
    }
}

/// One thing the parser could have accepted, in words.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Expected {
    /// Shown first: a whole kind of thing (`an expression`).
    Thing(&'static str),
    /// A keyword or symbol, shown in backticks.
    Word(String),
    /// An operator could continue here; only mentioned when nothing else fits.
    Operator,
}

/// The words for one grammar rule, if it means something to a marketer on its own.
fn expected_for(rule: Rule) -> Option<Expected> {
    use Expected::*;
    let thing = |words| Some(Thing(words));
    match rule {
        Rule::expr
        | Rule::paren
        | Rule::list
        | Rule::call
        | Rule::name
        | Rule::member_field
        | Rule::op_not
        | Rule::op_neg
        | Rule::kw_now
        | Rule::kw_today
        | Rule::lambda => thing("an expression"),
        Rule::kw_true => Some(Word("`true`".into())),
        Rule::kw_false => Some(Word("`false`".into())),
        Rule::kw_null => Some(Word("`null`".into())),
        Rule::int | Rule::float => thing("a number"),
        Rule::date => thing("a date like `2026-11-25`"),
        Rule::datetime => thing("a date-time like `2026-11-25T09:00:00+08:00`"),
        Rule::duration => thing("a duration like `7d`"),
        Rule::op_or
        | Rule::op_and
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_not_in
        | Rule::op_in
        | Rule::op_default
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::op_rem
        | Rule::op_field
        | Rule::op_index
        | Rule::op_is_null
        | Rule::op_is_not_null
        | Rule::kw_and
        | Rule::kw_or
        | Rule::kw_in
        | Rule::kw_is
        | Rule::kw_not => Some(Operator),
        Rule::string | Rule::label => thing("a string in quotes"),
        Rule::ident | Rule::field_key => thing("a name"),
        Rule::time_of_day => thing("a time of day like `19:30`"),
        Rule::count => thing("a whole number"),
        Rule::signed_int => thing("a whole number like `80` or `-10`"),
        Rule::percent => thing("a percentage like `5%`"),
        Rule::template => thing("a message in quotes"),
        Rule::verb => thing("a verb such as `send`, `invite` or `tag`"),
        Rule::type_expr
        | Rule::type_name
        | Rule::list_type
        | Rule::object_type
        | Rule::enum_type => thing("a type such as `int`, `string` or `[string]`"),
        Rule::field_decl => thing("a field like `orders: int`"),
        Rule::data_object | Rule::data_list | Rule::data_number | Rule::data_entry => {
            thing("a value")
        }
        Rule::quadrant_axis => thing("an axis like `online high` or `frequency low`"),
        Rule::EOI => thing("the end"),
        _ => keyword_of(rule).map(|word| Word(format!("`{word}`"))),
    }
}

/// The keyword a `kw_*` rule stands for (and the clauses that start with one).
fn keyword_of(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_playbook | Rule::playbook_decl => "playbook",
        Rule::kw_include | Rule::include_decl => "include",
        Rule::kw_member | Rule::member_decl | Rule::test_member_clause => "member",
        Rule::kw_channel | Rule::channel_decl => "channel",
        Rule::kw_segment | Rule::segment_decl => "segment",
        Rule::kw_stage | Rule::stage_decl | Rule::stages_clause => "stage",
        Rule::kw_rule | Rule::rule_decl => "rule",
        Rule::kw_policy | Rule::policy_decl => "policy",
        Rule::kw_test | Rule::test_decl => "test",
        Rule::kw_experiment | Rule::experiment_decl => "experiment",
        Rule::kw_variant | Rule::variant_clause | Rule::variant_decl => "variant",
        Rule::kw_quadrant | Rule::quadrant_clause => "quadrant",
        Rule::kw_online => "online",
        Rule::kw_frequency => "frequency",
        Rule::kw_high => "high",
        Rule::kw_low => "low",
        Rule::kw_timezone | Rule::timezone_clause => "timezone",
        Rule::kw_consent | Rule::consent_clause => "consent",
        Rule::kw_window | Rule::window_clause => "window",
        Rule::kw_cap | Rule::cap_clause => "cap",
        Rule::kw_per => "per",
        Rule::kw_when | Rule::when_clause => "when",
        Rule::kw_otherwise | Rule::otherwise => "otherwise",
        Rule::kw_then | Rule::then_clause => "then",
        Rule::kw_via | Rule::via_option => "via",
        Rule::kw_at | Rule::at_option => "at",
        Rule::kw_with | Rule::with_option => "with",
        Rule::kw_priority | Rule::priority_clause => "priority",
        Rule::kw_group | Rule::group_clause => "group",
        Rule::kw_max_touches | Rule::max_touches_clause => "max_touches",
        Rule::kw_holdout | Rule::holdout_clause => "holdout",
        Rule::kw_as_of | Rule::as_of_clause => "as_of",
        Rule::kw_expect => "expect",
        Rule::kw_action => "action",
        Rule::kw_no => "no",
        Rule::kw_suppressed => "suppressed",
        Rule::kw_reason => "reason",
        Rule::kw_invalid => "invalid",
        _ => return None,
    })
}

/// The words that start a declaration or a clause, or a part of one (`per`, `via`,
/// `reason`): the vocabulary's keywords outside expressions, except those that end a
/// clause (`high`, `otherwise`, `invalid`) or only name an axis.
fn is_keyword(word: &str) -> bool {
    const ENDING: [&str; 6] = ["online", "frequency", "high", "low", "otherwise", "invalid"];
    let listed = vocabulary::DECLARATION_KEYWORDS.contains(&word)
        || vocabulary::CLAUSE_KEYWORDS.contains(&word)
        || vocabulary::TEST_KEYWORDS.contains(&word);
    listed && !ENDING.contains(&word)
}

/// Sets of keywords that are better named as a whole.
const CLAUSE_GROUPS: [(&[&str], &str); 6] = [
    (
        &vocabulary::DECLARATION_KEYWORDS,
        "a declaration (`playbook`, `member`, `channel`, `segment`, `stage`, `rule`, `policy`, `experiment`, `test` or `include`)",
    ),
    (
        &["stage", "quadrant", "variant", "when", "then", "priority", "cap", "group"],
        "a rule clause (`stage`, `when`, `then`, `priority`, `cap`, `group`, `quadrant` or `variant`)",
    ),
    (&["consent", "window", "cap"], "a channel clause (`consent`, `window` or `cap`)"),
    (&["as_of", "member", "expect"], "a test clause (`as_of`, `member` or `expect`)"),
    (&["via", "at", "with"], "`via`, `at` or `with`"),
    (&["max_touches", "holdout"], "`max_touches` or `holdout`"),
];

/// Everything the parser would have accepted at the error, in words.
fn expectations(error: &Error<Rule>) -> (BTreeSet<Expected>, Vec<&'static str>) {
    let mut expected = BTreeSet::new();
    let mut keywords: Vec<&'static str> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if *rule == Rule::item {
                // At the very start of a declaration pest names the whole item: what it
                // wants there is one of the declaration keywords.
                for word in DECLARATION_KEYWORDS {
                    if !keywords.contains(&word) {
                        keywords.push(word);
                    }
                }
            }
            if let Some(word) = keyword_of(*rule) {
                if !keywords.contains(&word) {
                    keywords.push(word);
                }
            }
            if let Some(words) = expected_for(*rule) {
                expected.insert(words);
            }
        }
    }
    if let Some(attempts) = error.parse_attempts() {
        for token in attempts.expected_tokens() {
            // Only a few symbols are taken from the tokens; words come from the rules.
            let token = token.to_string();
            if let Some(words) = symbol_words(&token) {
                expected.insert(words);
            }
        }
    }
    for (group, words) in CLAUSE_GROUPS {
        if group.iter().all(|word| keywords.contains(word)) {
            for word in group {
                expected.remove(&Expected::Word(format!("`{word}`")));
            }
            expected.insert(Expected::Thing(words));
        }
    }
    (expected, keywords)
}

fn symbol_words(token: &str) -> Option<Expected> {
    match token {
        "(" | "[" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "??" | "+" | "*" | "/" | "%" => {
            Some(Expected::Operator)
        }
        "}" | "{" | ")" | "]" | "=" | ":" | "," | "|" | "-" | "?" | "=>" | "\"" | "'" | "." => {
            Some(Expected::Word(format!("`{token}`")))
        }
        _ => None,
    }
}

/// Symbols named only when nothing else is expected.
const MINOR_SYMBOLS: [&str; 7] = ["`,`", "`?`", "`|`", "`-`", "`:`", "`\"`", "`'`"];

const DECLARATION_WORDS: &str = CLAUSE_GROUPS[0].1;

/// "a, b or c"
fn join_words(items: &[String]) -> String {
    match items {
        [] => "something else".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {}", rest.join(", "), last),
    }
}

/// The token that starts at `position`, described for a message.
fn found_at(text: &str, position: usize) -> Option<String> {
    let token = token_at(text, position)?;
    if token.starts_with(['\n', '\r']) {
        return Some("the end of the line".to_string());
    }
    let shown: String = token.chars().take(30).collect();
    Some(format!("`{shown}`"))
}

/// The token that starts at `position` (a word, a string to the end of its line, an
/// operator, or one character).
fn token_at(text: &str, position: usize) -> Option<&str> {
    let rest = text.get(position..)?;
    let first = rest.chars().next()?;
    let end = if is_ident_char(first) {
        rest.char_indices()
            .find(|&(_, c)| !is_ident_char(c))
            .map_or(rest.len(), |(i, _)| i)
    } else if first == '"' || first == '\'' {
        let line = rest.find(['\n', '\r']).unwrap_or(rest.len());
        rest[1..line].find(first).map_or(line, |i| i + 2)
    } else {
        let two = rest.get(..2).unwrap_or("");
        if ["==", "!=", "<=", ">=", "??", "=>", "{{", "}}"].contains(&two) {
            2
        } else {
            first.len_utf8()
        }
    };
    rest.get(..end)
}

/// The token just before `position` (whitespace skipped), if it is an operator or a
/// keyword that something must follow.
fn previous_token(text: &str, position: usize) -> Option<&str> {
    let before = text.get(..position)?.trim_end();
    let last = before.chars().next_back()?;
    let token = if is_ident_char(last) {
        let start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !is_ident_char(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        &before[start..]
    } else {
        let start = before.len() - last.len_utf8();
        let two = before.get(before.len().saturating_sub(2)..).unwrap_or("");
        if ["==", "!=", "<=", ">=", "??", "=>"].contains(&two) {
            two
        } else {
            &before[start..]
        }
    };
    const FOLLOWED: [&str; 18] = [
        "==", "!=", "<=", ">=", "<", ">", "??", "+", "-", "*", "/", "%", "=", "=>", "and", "or",
        "not", "in",
    ];
    // A declaration keyword is often a name read by mistake (`a.` then `segment`).
    let keyword =
        is_keyword(token) && (token == "stage" || !DECLARATION_KEYWORDS.contains(&token));
    (FOLLOWED.contains(&token) || keyword).then_some(token)
}

/// The innermost `{` still open at `position`, and the name of its block.
fn open_block(text: &str, position: usize) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    let mut open: Vec<usize> = Vec::new();
    let mut index = 0;
    let end = position.min(text.len());
    while index < end {
        match bytes[index] {
            b'"' | b'\'' => {
                let quote = bytes[index];
                index += 1;
                while index < end && bytes[index] != quote && bytes[index] != b'\n' {
                    index += if bytes[index] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(index + 1) == Some(&b'/') => {
                index += text[index..].find('\n').unwrap_or(end - index);
            }
            b'/' if bytes.get(index + 1) == Some(&b'*') => {
                index += block_comment_length(&text[index..]).unwrap_or(end - index);
            }
            b'{' => open.push(index),
            b'}' => {
                open.pop();
            }
            _ => {}
        }
        index += 1;
    }
    let brace = *open.last()?;
    let name = if open.len() == 1 {
        let first: String = text.chars().take_while(|&c| is_ident_char(c)).collect();
        match first.as_str() {
            "member" => "the `member` block".to_string(),
            "" => "the block".to_string(),
            word => format!("the {word} block"),
        }
    } else {
        let before = text[..brace].trim_end();
        let word: String = before
            .chars()
            .rev()
            .take_while(|&c| is_ident_char(c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        match word.as_str() {
            "with" => "the `with` block".to_string(),
            "member" => "the snapshot".to_string(),
            _ => "the braces".to_string(),
        }
    };
    Some((brace, name))
}

/// A pest error on `slice` (which starts at byte `offset` of `file`) in plain words.
pub fn describe(
    error: &Error<Rule>,
    slice: &str,
    offset: usize,
    file: FileId,
    whole_expression: bool,
) -> Diagnostic {
    let position = error_offset(error).min(slice.len());
    let place = Place {
        slice,
        position,
        offset,
        file,
    };
    if let ErrorVariant::CustomError { .. } = error.variant {
        return super::too_deep(offset + position, file);
    }
    let (expected, keywords) = expectations(error);
    if let Some(diagnostic) = unclosed_string(&place, &expected) {
        return diagnostic;
    }
    if let Some(diagnostic) = unclosed_block(&place, &expected) {
        return diagnostic;
    }
    if let Some(diagnostic) = dangling_operator(&place) {
        return diagnostic;
    }
    let words = plain_words(&expected, position, whole_expression);
    let found = found_at(slice, position);
    let mut message = format!("expected {}", join_words(&words));
    match (previous_token(slice, position), &found) {
        (Some(previous), _) if previous != "," && previous != ":" => {
            message.push_str(&format!(" after `{previous}`"));
        }
        (_, Some(found)) => message.push_str(&format!(", found {found}")),
        (_, None) if whole_expression => message.push_str(" before the end of the input"),
        (_, None) => message.push_str(" before the end of the file"),
    }
    let label = match &found {
        Some(found) => format!("found {found} here"),
        None => "the file ends here".to_string(),
    };
    let length = token_at(slice, position).map_or(0, |t| t.trim_end().len());
    let mut diagnostic =
        Diagnostic::error(codes::SYNTAX, message, place.span(length)).with_label(label);
    diagnostic.help = help_for(slice, position, &words, &expected, &keywords);
    diagnostic
}

/// Where an error is: a position in a slice that starts at `offset` of `file`.
struct Place<'t> {
    slice: &'t str,
    position: usize,
    offset: usize,
    file: FileId,
}

impl Place<'_> {
    /// The span of `length` bytes from the error (at least the character there).
    fn span(&self, length: usize) -> Span {
        let length = length.max(next_char_length(self.slice, self.position));
        let start = self.offset + self.position;
        Span::new(self.file, start, start + length)
    }
}

/// "this string is never closed", when the error is at an unclosed string or at the end
/// of a line inside one.
fn unclosed_string(place: &Place<'_>, expected: &BTreeSet<Expected>) -> Option<Diagnostic> {
    let rest = place.slice.get(place.position..)?;
    let line = rest.lines().next().unwrap_or("");
    let first = line.chars().next();
    let opens_here = matches!(first, Some('"' | '\'')) && {
        let quote = first.unwrap_or('"');
        !line[1..]
            .replace("\\\\", "")
            .replace(&format!("\\{quote}"), "")
            .contains(quote)
    };
    let wanted_quote = expected.contains(&Expected::Word("`\"`".into()))
        || expected.contains(&Expected::Word("`'`".into()));
    let line_ends_here = (rest.is_empty() || rest.starts_with(['\n', '\r']))
        && quotes_unbalanced(place.slice, place.position);
    if !(opens_here || (wanted_quote && line_ends_here)) {
        return None;
    }
    let length = if opens_here { line.len() } else { 0 };
    Some(
        Diagnostic::error(
            codes::SYNTAX,
            "this string is never closed",
            place.span(length),
        )
        .with_label("the line ends before the closing quote")
        .with_help(
            "a string ends on the line where it starts; close it with the quote it opened with",
        ),
    )
}

/// Whether the line up to `position` leaves a quote open (escapes skipped).
fn quotes_unbalanced(text: &str, position: usize) -> bool {
    let line_start = text[..position].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..position].replace("\\\\", "");
    let unescaped = |quote: char| {
        let escaped = format!("\\{quote}");
        line.replace(&escaped, "").matches(quote).count()
    };
    unescaped('"') % 2 == 1 || unescaped('\'') % 2 == 1
}

/// "expected `}` to close the rule block", when a block is still open where the file ends
/// or where a line starts with a declaration keyword.
fn unclosed_block(place: &Place<'_>, expected: &BTreeSet<Expected>) -> Option<Diagnostic> {
    if !expected.contains(&Expected::Word("`}`".to_string())) {
        return None;
    }
    let (slice, position) = (place.slice, place.position);
    let line_start = slice[..position].rfind('\n').map_or(0, |i| i + 1);
    let line_word: String = slice[line_start..]
        .chars()
        .take_while(|&c| is_ident_char(c))
        .collect();
    let at_declaration = line_start > 0 && DECLARATION_KEYWORDS.contains(&line_word.as_str());
    let at_end = slice[position..].trim().is_empty();
    if !(at_end || at_declaration) {
        return None;
    }
    let (brace, block) = open_block(slice, position)?;
    let (at, label) = if at_declaration {
        let start = place.offset + line_start;
        let span = Span::new(place.file, start, start + line_word.len());
        (span, "the block should be closed before this")
    } else {
        (place.span(0), "the file ends here")
    };
    let opening = Span::new(place.file, place.offset + brace, place.offset + brace + 1);
    Some(
        Diagnostic::error(codes::SYNTAX, format!("expected `}}` to close {block}"), at)
            .with_label(label)
            .with_secondary("the block opens here", opening),
    )
}

/// The token that ends just before `position` (whitespace and line breaks skipped): its
/// start and its text.
fn token_before(text: &str, position: usize) -> Option<(usize, &str)> {
    let before = text.get(..position)?.trim_end();
    let last = before.chars().next_back()?;
    let start = if is_ident_char(last) {
        before
            .char_indices()
            .rev()
            .find(|&(_, c)| !is_ident_char(c))
            .map_or(0, |(i, c)| i + c.len_utf8())
    } else {
        let two = before.get(before.len().saturating_sub(2)..).unwrap_or("");
        if ["==", "!=", "<=", ">=", "??"].contains(&two) {
            before.len() - 2
        } else {
            before.len() - last.len_utf8()
        }
    };
    Some((start, &before[start..]))
}

/// Whether a line break lies between `from` and `to`.
fn line_break_between(text: &str, from: usize, to: usize) -> bool {
    text.get(from..to).is_some_and(|gap| gap.contains('\n'))
}

/// An operator left at the end of a line with nothing after it (`when a and`, `spend >
/// 5%`). The expression then reads on into the next line, takes the clause keyword
/// that starts it (`then`) for a name, and fails one token later; the mistake is the
/// operator, so that is where it is reported, in words.
fn dangling_operator(place: &Place<'_>) -> Option<Diagnostic> {
    const OPERATORS: [&str; 17] = [
        "and", "or", "not", "in", "%", "+", "-", "*", "/", "==", "!=", "<=", ">=", "<", ">",
        "??", "=",
    ];
    const CLAUSES: [&str; 8] = [
        "stage", "when", "then", "priority", "cap", "group", "quadrant", "variant",
    ];
    let (slice, position) = (place.slice, place.position);
    let (mut start, mut token) = token_before(slice, position)?;
    let mut after = position;
    let line_start = slice[..start].rfind('\n').map_or(0, |i| i + 1);
    let starts_line = slice[line_start..start].trim().is_empty() && line_start > 0;
    if CLAUSES.contains(&token) && starts_line {
        // `then` read as a name: look at what came before it.
        after = start;
        (start, token) = token_before(slice, start)?;
    }
    if !OPERATORS.contains(&token) || !line_break_between(slice, start + token.len(), after) {
        return None;
    }
    if token == "-" || token == "=" {
        // `-` may end a date or a duration, `=` a segment's name: leave those to pest.
        return None;
    }
    let (message, label, help) = match token {
        "and" | "or" => (
            format!("`{token}` needs a condition after it"),
            format!("nothing follows `{token}` on this line"),
            format!(
                "write the condition after `{token}` on this line, or remove the `{token}`: \
                 a clause keyword on the next line starts a new clause"
            ),
        ),
        "not" => (
            "`not` needs a condition after it".to_string(),
            "nothing follows `not` on this line".to_string(),
            "write the condition to negate after `not`, or remove it".to_string(),
        ),
        "%" => (
            "`%` needs a number after it: in an expression it is the remainder".to_string(),
            "nothing follows `%` on this line".to_string(),
            "percentages are only written in `holdout`; in an expression `%` is the \
             remainder (`orders % 2 == 0`): compare with a plain number, like `spend > 5`"
                .to_string(),
        ),
        _ => (
            format!("`{token}` needs a value after it"),
            format!("nothing follows `{token}` on this line"),
            format!("write the value after `{token}` on this line, or remove the `{token}`"),
        ),
    };
    let at = place.offset + start;
    Some(
        Diagnostic::error(
            codes::SYNTAX,
            message,
            Span::new(place.file, at, at + token.len()),
        )
        .with_label(label)
        .with_help(help),
    )
}

/// The expectations as a short list of words: an umbrella word replaces its parts,
/// minor symbols are named only when nothing else is expected.
fn plain_words(
    expected: &BTreeSet<Expected>,
    position: usize,
    whole_expression: bool,
) -> Vec<String> {
    let mut words: Vec<String> = expected
        .iter()
        .filter_map(|e| match e {
            Expected::Thing(t) => Some(t.to_string()),
            Expected::Word(w) => Some(w.clone()),
            Expected::Operator => None,
        })
        .collect();
    if words.iter().any(|w| w == "an expression") {
        words.retain(|w| {
            w == "an expression" || (w.starts_with('`') && !w.chars().any(char::is_alphanumeric))
        });
    } else if words.iter().any(|w| w == "a value") {
        words.retain(|w| w == "a value");
    }
    if words.iter().any(|w| !w.starts_with('`')) {
        words.retain(|w| w != "`{`" && w != "`[`");
    }
    if words.iter().any(|w| !MINOR_SYMBOLS.contains(&w.as_str())) {
        words.retain(|w| !MINOR_SYMBOLS.contains(&w.as_str()));
    }
    if words.is_empty() && expected.contains(&Expected::Operator) {
        words.push("an operator".to_string());
    }
    if expected.contains(&Expected::Operator) {
        // `.` is then one operator among others (`a.b`).
        words.retain(|w| w != "`.`");
    }
    if position > 0 && words.iter().any(|w| w == DECLARATION_WORDS) {
        words = vec!["a new declaration".to_string()];
        if expected.contains(&Expected::Operator) {
            words.insert(0, "an operator".to_string());
        }
    } else if whole_expression && words.iter().any(|w| w == "the end") {
        words.retain(|w| w != "the end");
        if expected.contains(&Expected::Operator) {
            words.push("an operator".to_string());
        }
        words.push("the end of the expression".to_string());
    }
    words
}

fn next_char_length(text: &str, position: usize) -> usize {
    text.get(position..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8)
}

/// A fix, when the mistake is a common one.
fn help_for(
    text: &str,
    position: usize,
    words: &[String],
    expected: &BTreeSet<Expected>,
    keywords: &[&'static str],
) -> Option<String> {
    let rest = text.get(position..).unwrap_or("");
    let before = text.get(..position).unwrap_or("").trim_end();
    let word: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
    if !word.is_empty() {
        if let Some(suggestion) = did_you_mean(&word, keywords.iter().copied()) {
            return Some(format!("did you mean `{suggestion}`?"));
        }
    }
    let wants = |thing: &str| words.iter().any(|w| w == thing);
    let wants_expression = wants("an expression");
    if rest.starts_with("=>") {
        return Some(
            "`x => condition` is only written as an argument of `any`, `all` or `count`".into(),
        );
    }
    let before_word: String = before
        .chars()
        .rev()
        .take_while(|&c| is_ident_char(c))
        .collect();
    if before_word == "rebmem" {
        return Some("write `member.field` to read a field, such as `member.orders`".into());
    }
    if rest.starts_with('=') && !rest.starts_with("==") && expected.contains(&Expected::Operator) {
        return Some("to compare two values, write `==`".to_string());
    }
    if wants_expression && before.ends_with('%') {
        return Some(
            "percentages are only written in `holdout`; in an expression `%` is the remainder"
                .to_string(),
        );
    }
    if wants_expression && before.ends_with('{') && rest.starts_with('}') {
        return Some("write an expression between the braces, or `{{` for a literal brace".into());
    }
    if wants_expression && ["in", "is"].contains(&word.as_str()) {
        return Some(format!("`{word}` is a keyword in expressions; write `member.\"{word}\"` for a field with that name"));
    }
    if wants("`}`") && (rest.starts_with('"') || rest.starts_with('\'')) {
        return Some(
            "a `{` in a message starts an expression; write `{{` for a literal brace".to_string(),
        );
    }
    if wants("a time of day like `19:30`") {
        return Some("write times of day as `HH:MM`, like `09:00`".to_string());
    }
    if wants("a percentage like `5%`") {
        return Some("write the share held out as a percentage, like `holdout 5%`".to_string());
    }
    // A percentage where none is read: `priority 5%`, `when orders > 1 5%`.
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let number_before = rest.len() > digits.len() || before.ends_with(|c: char| c.is_ascii_digit());
    if digits.starts_with('%') && number_before {
        return Some(
            "percentages are only written in `holdout` and in an experiment's `variant` \
             shares; write a plain number here"
                .to_string(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_join_like_a_sentence() {
        assert_eq!(join_words(&["`a`".into()]), "`a`");
        assert_eq!(
            join_words(&["`a`".into(), "`b`".into(), "`c`".into()]),
            "`a`, `b` or `c`"
        );
    }

    #[test]
    fn found_tokens_are_described() {
        assert_eq!(found_at("x prority 5", 2).as_deref(), Some("`prority`"));
        assert_eq!(found_at("a >= }", 5).as_deref(), Some("`}`"));
        assert_eq!(found_at("a == b", 2).as_deref(), Some("`==`"));
        assert_eq!(found_at("\"open\nx", 0).as_deref(), Some("`\"open`"));
        assert_eq!(found_at("a\nb", 1).as_deref(), Some("the end of the line"));
        assert_eq!(found_at("a", 1), None);
    }

    #[test]
    fn previous_tokens_that_need_a_follower() {
        assert_eq!(previous_token("when spend >=  ", 15), Some(">="));
        assert_eq!(previous_token("rule r { when ", 14), Some("when"));
        assert_eq!(previous_token("x = a.segment ", 13), None);
        assert_eq!(previous_token("spend", 5), None);
    }

    #[test]
    fn the_open_block_is_named() {
        let text = "rule r {\n  then send \"}\" via dm with { a: 1\n";
        assert_eq!(
            open_block(text, text.len()).map(|b| b.1),
            Some("the `with` block".into())
        );
        let text = "rule r {\n  when x // }\n";
        assert_eq!(
            open_block(text, text.len()),
            Some((7, "the rule block".into()))
        );
        assert_eq!(open_block("rule r { }", 10), None);
    }

    #[test]
    fn unbalanced_quotes_are_seen() {
        assert!(quotes_unbalanced("then send \"hello", 16));
        assert!(!quotes_unbalanced("then send \"a\\\"b\" x", 18));
        assert!(!quotes_unbalanced("include", 7));
    }
}
