//! Literals as printed: strings re-escaped, names quoted when they must be, numbers,
//! durations, dates and times.
//!
//! Strings keep the author's quote unless the other quote would spare an escape. Numbers
//! keep the author's spelling (`10_000`) when it reads back as the same value; otherwise
//! they are printed in their shortest exact form.

use std::fmt::Write as _;

use crate::ast::{DateTimeLit, DurationLit, TimeOfDay};

/// The words that cannot be bare names inside an expression.
pub(crate) const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "is", "null", "true", "false", "now", "today", "member",
];

/// Whether `name` can be written bare: a letter or `_`, then letters, digits or `_`.
pub(crate) fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_alphabetic() || first == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Whether `name` is an ASCII name (`days_since_follow`).
fn is_ascii_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A key (of a data literal, a `with` block, a schema): bare when the author wrote it
/// bare or it is an ASCII name other than a reserved word, else a string.
pub(crate) fn key_text(name: &str, written_bare: bool) -> String {
    let ascii = is_ascii_name(name) && !RESERVED.contains(&name);
    if (written_bare && is_plain_name(name)) || ascii {
        name.to_string()
    } else {
        quoted(name, '"')
    }
}

/// A field name after `.`: like a key, but a word reserved in expressions is quoted
/// (`member."in"`).
pub(crate) fn field_text(name: &str, written_bare: bool) -> String {
    if RESERVED.contains(&name) {
        quoted(name, '"')
    } else {
        key_text(name, written_bare)
    }
}

/// Whether the literal or name at `start` was written without quotes.
pub(crate) fn written_bare(source: &str, start: usize) -> bool {
    !source
        .get(start..)
        .is_some_and(|rest| rest.starts_with(['"', '\'']))
}

/// The quote the author used for the literal starting at `start`, `"` by default.
pub(crate) fn author_quote(source: &str, start: usize) -> char {
    match source.get(start..).and_then(|rest| rest.chars().next()) {
        Some('\'') => '\'',
        _ => '"',
    }
}

/// The other quote character.
pub(crate) fn other(quote: char) -> char {
    if quote == '"' {
        '\''
    } else {
        '"'
    }
}

/// The quote to print `texts` with: the author's, unless it appears in the text and the
/// other one does not.
pub(crate) fn choose_quote<'t>(author: char, texts: impl Iterator<Item = &'t str> + Clone) -> char {
    let contains = |quote: char| texts.clone().any(|t| t.contains(quote));
    if contains(author) && !contains(other(author)) {
        other(author)
    } else {
        author
    }
}

/// A string literal: quotes and escapes.
pub(crate) fn quoted(value: &str, quote: char) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push(quote);
    escape_into(&mut out, value, quote, false);
    out.push(quote);
    out
}

/// Escapes `value` for the inside of a string (or, with `template`, a template's text).
pub(crate) fn escape_into(out: &mut String, value: &str, quote: char, template: bool) {
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' if template => out.push_str("{{"),
            '}' if template => out.push_str("}}"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// An integer: the author's spelling when it is plain digits (underscores allowed) and
/// reads back as `value`, else decimal.
pub(crate) fn int_text(value: i64, written: &str) -> String {
    let digits = written.strip_prefix('-').unwrap_or(written);
    let plain = digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    if plain && written.replace('_', "").parse::<i64>() == Ok(value) {
        written.to_string()
    } else {
        value.to_string()
    }
}

/// A float: the author's spelling when it reads back as `value`, else the shortest form
/// that does, always with a `.` so that it stays a float.
pub(crate) fn float_text(value: f64, written: &str) -> String {
    let digits = written.strip_prefix('-').unwrap_or(written);
    let plain = digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.contains('.')
        && !digits.ends_with('.')
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == '.');
    if plain && written.replace('_', "").parse::<f64>() == Ok(value) {
        return written.to_string();
    }
    let mut text = value.to_string();
    if !text.contains(['.', 'e', 'E', 'N', 'n']) {
        text.push_str(".0");
    }
    text
}

/// A number as a percentage or count is written: `5`, `2.5`.
pub(crate) fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// `7d`
pub(crate) fn duration_text(duration: &DurationLit) -> String {
    format!("{}{}", duration.amount, duration.unit.suffix())
}

/// `19:30`
pub(crate) fn time_text(time: &TimeOfDay) -> String {
    format!("{:02}:{:02}", time.hour, time.minute)
}

/// `2026-11-25T09:00:00+08:00`: the instant shown in the offset it was written with.
pub(crate) fn datetime_text(datetime: &DateTimeLit) -> String {
    let civil = datetime.offset.to_datetime(datetime.timestamp);
    let seconds = datetime.offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    let mut text = format!(
        "{civil}{sign}{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60
    );
    if !seconds.is_multiple_of(60) {
        let _ = write!(text, ":{:02}", seconds % 60);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_follow_the_author_unless_an_escape_is_spared() {
        let pick = |author, text: &str| choose_quote(author, std::iter::once(text));
        assert_eq!(pick('"', "plain"), '"');
        assert_eq!(pick('\'', "plain"), '\'');
        assert_eq!(pick('"', "say \"hi\""), '\'');
        assert_eq!(pick('\'', "it's"), '"');
        assert_eq!(pick('"', "both \" and '"), '"');
    }

    #[test]
    fn strings_are_escaped_canonically() {
        assert_eq!(quoted("a\"b\\c\nd\te", '"'), r#""a\"b\\c\nd\te""#);
        assert_eq!(quoted("it's", '\''), r"'it\'s'");
        assert_eq!(quoted("\u{1}中", '"'), r#""\u{1}中""#);
        let mut text = String::new();
        escape_into(&mut text, "{a}", '"', true);
        assert_eq!(text, "{{a}}");
    }

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(key_text("新粉", true), "新粉");
        assert_eq!(key_text("新粉", false), "\"新粉\"");
        assert_eq!(key_text("_a1", false), "_a1");
        assert_eq!(key_text("in", false), "\"in\"");
        assert_eq!(key_text("in", true), "in");
        assert_eq!(field_text("in", true), "\"in\"");
        assert_eq!(key_text("a-b", true), "\"a-b\"");
        assert_eq!(key_text("", true), "\"\"");
    }

    #[test]
    fn numbers_keep_the_authors_spelling_when_exact() {
        assert_eq!(int_text(10_000, "10_000"), "10_000");
        assert_eq!(int_text(10_000, "garbage"), "10000");
        assert_eq!(int_text(-5, "-5"), "-5");
        assert_eq!(float_text(3.5, "3.50"), "3.50");
        assert_eq!(float_text(3.0, ""), "3.0");
        assert_eq!(float_text(1e20, ""), "100000000000000000000.0");
        assert_eq!(number_text(5.0), "5");
        assert_eq!(number_text(2.5), "2.5");
    }

    #[test]
    fn datetimes_print_in_their_own_offset() {
        let timestamp: jiff::Timestamp = "2026-11-25T01:00:00Z".parse().unwrap();
        let offset = jiff::tz::Offset::from_hours(8).unwrap();
        let datetime = DateTimeLit {
            timestamp,
            offset,
            span: Default::default(),
        };
        assert_eq!(datetime_text(&datetime), "2026-11-25T09:00:00+08:00");
        let west = DateTimeLit {
            offset: jiff::tz::Offset::from_seconds(-(5 * 3600 + 30 * 60)).unwrap(),
            ..datetime
        };
        assert_eq!(datetime_text(&west), "2026-11-24T19:30:00-05:30");
    }
}
