//! Turning a pest error into a diagnostic in plain words: what was expected (never a
//! grammar rule's name), what was found, which block was left open, and a fix where one
//! is known ("did you mean `priority`?").

use std::collections::BTreeSet;

use pest::error::{Error, ErrorVariant, InputLocation};

use super::grammar::Rule;
use super::scan::{block_comment_length, is_ident_char, DECLARATION_KEYWORDS};
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
        Rule::expr | Rule::paren | Rule::list | Rule::call | Rule::int | Rule::float
        | Rule::date | Rule::datetime | Rule::duration | Rule::name | Rule::member_field
        | Rule::op_not | Rule::op_neg | Rule::kw_true | Rule::kw_false | Rule::kw_null
        | Rule::kw_now | Rule::kw_today | Rule::lambda => thing("an expression"),
        Rule::op_or | Rule::op_and | Rule::op_eq | Rule::op_ne | Rule::op_le | Rule::op_ge
        | Rule::op_lt | Rule::op_gt | Rule::op_not_in | Rule::op_in | Rule::op_default
        | Rule::op_add | Rule::op_sub | Rule::op_mul | Rule::op_div | Rule::op_rem
        | Rule::op_field | Rule::op_index | Rule::op_is_null | Rule::op_is_not_null
        | Rule::kw_and | Rule::kw_or | Rule::kw_in | Rule::kw_is | Rule::kw_not => {
            Some(Operator)
        }
        Rule::string | Rule::label => thing("a string in quotes"),
        Rule::ident | Rule::field_key => thing("a name"),
        Rule::time_of_day => thing("a time of day like `19:30`"),
        Rule::count => thing("a whole number"),
        Rule::signed_int => thing("a whole number like `80` or `-10`"),
        Rule::percent => thing("a percentage like `5%`"),
        Rule::template => thing("a message in quotes"),
        Rule::verb => thing("a verb such as `send`, `invite` or `tag`"),
        Rule::type_expr | Rule::type_name | Rule::list_type | Rule::object_type
        | Rule::enum_type => thing("a type such as `int`, `string` or `[string]`"),
        Rule::field_decl => thing("a field like `orders: int`"),
        Rule::data_object | Rule::data_list | Rule::data_number | Rule::data_entry => {
            thing("a value")
        }
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

/// Sets of keywords that are better named as a whole.
const CLAUSE_GROUPS: [(&[&str], &str); 6] = [
    (
        &["playbook", "include", "member", "channel", "segment", "stage", "rule", "policy", "test"],
        "a declaration (`playbook`, `member`, `channel`, `segment`, `stage`, `rule`, `policy`, `test` or `include`)",
    ),
    (
        &["stage", "quadrant", "when", "then", "priority", "cap", "group"],
        "a rule clause (`stage`, `when`, `then`, `priority`, `cap`, `group` or `quadrant`)",
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
        "(" | "[" | "." | "==" | "!=" | "<" | "<=" | ">" | ">=" | "??" | "+" | "*" | "/" | "%" => {
            Some(Expected::Operator)
        }
        "}" | "{" | ")" | "]" | "=" | ":" | "," | "|" | "-" | "?" | "=>" => {
            Some(Expected::Word(format!("`{token}`")))
        }
        _ => None,
    }
}

/// Symbols named only when nothing else is expected.
const MINOR_SYMBOLS: [&str; 5] = ["`,`", "`?`", "`|`", "`-`", "`:`"];

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
    let rest = text.get(position..)?;
    let first = rest.chars().next()?;
    let token = if first == '\n' || first == '\r' {
        return Some("the end of the line".to_string());
    } else if is_ident_char(first) {
        let end = rest.char_indices().find(|&(_, c)| !is_ident_char(c)).map_or(rest.len(), |(i, _)| i);
        &rest[..end]
    } else if first == '"' || first == '\'' {
        let end = rest[1..].find([first, '\n']).map_or(rest.len(), |i| i + 2).min(rest.len());
        &rest[..end]
    } else {
        let two = rest.get(..2).unwrap_or("");
        if ["==", "!=", "<=", ">=", "??", "=>", "{{", "}}"].contains(&two) {
            two
        } else {
            &rest[..first.len_utf8()]
        }
    };
    let shown: String = token.lines().next().unwrap_or("").chars().take(30).collect();
    Some(format!("`{shown}`"))
}

/// The token just before `position` (whitespace skipped), if it is an operator or a
/// keyword that something must follow.
fn previous_token(text: &str, position: usize) -> Option<&str> {
    let before = text.get(..position)?.trim_end();
    let last = before.chars().next_back()?;
    let token = if is_ident_char(last) {
        let start = before.char_indices().rev().find(|&(_, c)| !is_ident_char(c)).map_or(0, |(i, c)| i + c.len_utf8());
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
    const FOLLOWED: [&str; 30] = [
        "==", "!=", "<=", ">=", "<", ">", "??", "+", "-", "*", "/", "%", "=", "=>", ":", ",", "and",
        "or", "not", "in", "when", "then", "via", "at", "per", "consent", "window", "priority", "holdout", "as_of",
    ];
    FOLLOWED.contains(&token).then_some(token)
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
        let word: String = before.chars().rev().take_while(|&c| is_ident_char(c)).collect::<Vec<_>>().into_iter().rev().collect();
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
    let at = Span::new(file, offset + position, offset + position + next_char_length(slice, position));
    if let ErrorVariant::CustomError { .. } = error.variant {
        return super::too_deep(offset + position, file);
    }
    let (expected, keywords) = expectations(error);
    let found = found_at(slice, position);
    let closing = expected.contains(&Expected::Word("`}`".to_string()));
    let line_start = slice[..position].rfind('\n').map_or(0, |i| i + 1);
    let line_word: String = slice[line_start..].chars().take_while(|&c| is_ident_char(c)).collect();
    let at_declaration = DECLARATION_KEYWORDS.contains(&line_word.as_str())
        && (line_start > 0 || position == 0);
    if closing && (found.is_none() || at_declaration) {
        if let Some((brace, block)) = open_block(slice, position) {
            let at = if at_declaration {
                Span::new(file, offset + line_start, offset + line_start + line_word.len())
            } else {
                at
            };
            return Diagnostic::error(codes::SYNTAX, format!("expected `}}` to close {block}"), at)
                .with_label(match &found {
                    Some(_) => "the block should be closed before this",
                    None => "the file ends here",
                })
                .with_secondary("the block opens here", Span::new(file, offset + brace, offset + brace + 1));
        }
    }
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
    }
    if words.iter().any(|w| !MINOR_SYMBOLS.contains(&w.as_str())) {
        words.retain(|w| !MINOR_SYMBOLS.contains(&w.as_str()));
    }
    if words.is_empty() && expected.contains(&Expected::Operator) {
        words.push("an operator".to_string());
    }
    let after_declaration = position > 0 && words.iter().any(|w| w == DECLARATION_WORDS);
    if after_declaration {
        words = vec!["a new declaration".to_string()];
        if expected.contains(&Expected::Operator) {
            words.insert(0, "an operator".to_string());
        }
    } else if whole_expression {
        for word in &mut words {
            if word == "the end" {
                *word = "the end of the expression".to_string();
            }
        }
    }
    let mut message = format!("expected {}", join_words(&words));
    match (previous_token(slice, position), &found) {
        (Some(previous), _) if previous != "," && previous != ":" => {
            message.push_str(&format!(" after `{previous}`"));
        }
        (_, Some(found)) => message.push_str(&format!(", found {found}")),
        (_, None) => message.push_str(" before the end of the file"),
    }
    let label = match &found {
        Some(found) => format!("found {found} here"),
        None => "the file ends here".to_string(),
    };
    let mut diagnostic = Diagnostic::error(codes::SYNTAX, message, at).with_label(label);
    diagnostic.help = help_for(slice, position, &words, &expected, &keywords);
    diagnostic
}

fn next_char_length(text: &str, position: usize) -> usize {
    text.get(position..).and_then(|rest| rest.chars().next()).map_or(0, char::len_utf8)
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
    let word: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
    if !word.is_empty() {
        if let Some(suggestion) = did_you_mean(&word, keywords.iter().copied()) {
            return Some(format!("did you mean `{suggestion}`?"));
        }
    }
    let wants = |thing: &str| words.iter().any(|w| w == thing);
    let wants_expression = wants("an expression");
    if rest.starts_with('=') && !rest.starts_with("==") && expected.contains(&Expected::Operator) {
        return Some("to compare two values, write `==`".to_string());
    }
    if wants_expression && ["and", "or", "in", "is"].contains(&word.as_str()) {
        return Some(format!("`{word}` is a keyword in expressions; write `member.\"{word}\"` for a field with that name"));
    }
    if wants("`}`") && (rest.starts_with('"') || rest.starts_with('\'')) {
        return Some("a `{` in a message starts an expression; write `{{` for a literal brace".to_string());
    }
    if wants("a time of day like `19:30`") {
        return Some("write times of day as `HH:MM`, like `09:00`".to_string());
    }
    if wants("a percentage like `5%`") {
        return Some("write the share held out as a percentage, like `holdout 5%`".to_string());
    }
    None
}
