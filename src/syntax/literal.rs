//! Reading literals from their source text: escapes, numbers, durations, dates,
//! date-times and times of day. Each function returns the value or a message in plain
//! words (with, where it helps, the byte range within the literal that is wrong); the
//! lowering turns a message into a `codes::BAD_LITERAL` diagnostic.

use std::ops::Range;

use crate::ast::DurationUnit;

/// A problem with a literal: what is wrong, where inside the literal, how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiteralError {
    /// The message, in plain words.
    pub message: String,
    /// The bytes of the literal that are wrong (relative to the literal's start), or
    /// `None` for the whole literal.
    pub within: Option<Range<usize>>,
    /// How to fix it.
    pub help: Option<String>,
}

impl LiteralError {
    fn new(message: impl Into<String>) -> Self {
        LiteralError {
            message: message.into(),
            within: None,
            help: None,
        }
    }

    fn within(mut self, range: Range<usize>) -> Self {
        self.within = Some(range);
        self
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

const ESCAPE_HELP: &str =
    "the escapes are `\\\"`, `\\'`, `\\\\`, `\\n`, `\\t` and `\\u{…}` (a hexadecimal code point)";

/// Resolves the escapes of a string's inside (quotes excluded).
pub fn unescape(raw: &str) -> Result<String, LiteralError> {
    let mut value = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((index, c)) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        let (_, escaped) = chars.next().unwrap_or((index + 1, '\\'));
        match escaped {
            '"' | '\'' | '\\' => value.push(escaped),
            'n' => value.push('\n'),
            't' => value.push('\t'),
            'r' => value.push('\r'),
            'u' => {
                let rest = raw.get(index + 2..).unwrap_or("");
                let (code_point, length) = unicode_escape(rest).map_err(|e| {
                    let end = e.within.as_ref().map_or(0, |r| r.end);
                    e.within(index..index + 2 + end)
                })?;
                value.push(code_point);
                for _ in 0..length {
                    chars.next();
                }
            }
            other => {
                let help = if matches!(other, '{' | '}') {
                    "write `{{` or `}}` for a literal brace in a message"
                } else {
                    ESCAPE_HELP
                };
                return Err(
                    LiteralError::new(format!("unknown escape `\\{other}` in a string"))
                        .within(index..index + 1 + other.len_utf8())
                        .help(help),
                );
            }
        }
    }
    Ok(value)
}

/// Reads `{4E2D}` after `\u`; returns the character and how many characters were read.
fn unicode_escape(rest: &str) -> Result<(char, usize), LiteralError> {
    let bad = |length: usize| {
        LiteralError::new("a `\\u` escape must be a code point in braces, like `\\u{4E2D}`")
            .within(0..length)
            .help(ESCAPE_HELP)
    };
    let Some(body) = rest.strip_prefix('{') else {
        return Err(bad(0));
    };
    let Some(close) = body.find('}') else {
        return Err(bad(rest.len()));
    };
    let hex = &body[..close];
    let valid = !hex.is_empty() && hex.len() <= 6 && hex.chars().all(|c| c.is_ascii_hexdigit());
    let code = u32::from_str_radix(hex, 16).ok().filter(|_| valid);
    match code.and_then(char::from_u32) {
        Some(c) => Ok((c, close + 2)),
        None if code.is_some() => Err(LiteralError::new(format!(
            "`\\u{{{hex}}}` is not a Unicode character"
        ))
        .within(0..close + 2)
        .help("use a code point up to 10FFFF, outside the surrogates D800 to DFFF")),
        None => Err(bad(close + 2)),
    }
}

/// Reads a whole number written with optional `_` separators (`10_000`) and an optional
/// leading `-`.
pub fn integer(raw: &str) -> Result<i64, LiteralError> {
    let digits: String = raw.chars().filter(|&c| c != '_').collect();
    digits.parse::<i64>().map_err(|_| {
        LiteralError::new(format!("the number `{raw}` is too large"))
            .help("whole numbers range from -9223372036854775808 to 9223372036854775807")
    })
}

/// Reads a decimal number (`3.5`, `1_000.25`).
pub fn float(raw: &str) -> Result<f64, LiteralError> {
    let digits: String = raw.chars().filter(|&c| c != '_').collect();
    match digits.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(LiteralError::new(format!(
            "the number `{raw}` is too large"
        ))),
    }
}

/// Reads a duration (`7d`): its amount and unit.
pub fn duration(raw: &str) -> Result<(i64, DurationUnit), LiteralError> {
    let split = raw.char_indices().last().map_or(0, |(index, _)| index);
    let (amount, unit) = raw.split_at(split);
    let unit = match unit {
        "s" => DurationUnit::Seconds,
        "m" => DurationUnit::Minutes,
        "h" => DurationUnit::Hours,
        "d" => DurationUnit::Days,
        "w" => DurationUnit::Weeks,
        _ => return Err(LiteralError::new(format!("`{raw}` is not a duration"))),
    };
    let amount = integer(amount).map_err(|_| {
        LiteralError::new(format!("the duration `{raw}` is too long"))
            .help("write a smaller number, or a larger unit (`s`, `m`, `h`, `d`, `w`)")
    })?;
    Ok((amount, unit))
}

/// Reads a time of day as written (`19:30`); the ranges are left to the checker.
pub fn time_of_day(raw: &str) -> Result<(u32, u32), LiteralError> {
    let bad = || LiteralError::new(format!("`{raw}` is not a time of day like `19:30`"));
    let (hour, minute) = raw.split_once(':').ok_or_else(bad)?;
    let hour = hour.parse::<u32>().map_err(|_| bad())?;
    let minute = minute.parse::<u32>().map_err(|_| bad())?;
    Ok((hour, minute))
}

/// Reads a date (`2026-11-25`).
pub fn date(raw: &str) -> Result<jiff::civil::Date, LiteralError> {
    let well_formed = raw.len() == 10;
    match raw.parse::<jiff::civil::Date>() {
        Ok(date) if well_formed => Ok(date),
        _ if !well_formed => Err(LiteralError::new(format!(
            "`{raw}` is not a date written `YYYY-MM-DD`"
        ))
        .help("write months and days with two digits, like `2026-01-05`")),
        _ => Err(LiteralError::new(format!("`{raw}` is not a valid date"))
            .help("dates are written `YYYY-MM-DD` with a month from 01 to 12 and a day that exists in it")),
    }
}

/// Reads an RFC 3339 date-time (`2026-11-25T09:00:00+08:00`); returns the instant and the
/// offset it was written with.
pub fn datetime(raw: &str) -> Result<(jiff::Timestamp, jiff::tz::Offset), LiteralError> {
    let help = "write a date-time like `2026-11-25T09:00:00+08:00` or `2026-11-25T01:00:00Z`";
    let Some(offset) = written_offset(raw) else {
        return Err(LiteralError::new(format!(
            "the date-time `{raw}` needs an offset, like `+08:00` or `Z`"
        ))
        .help(help));
    };
    let (date_part, _) = raw.split_at(raw.find(['T', 't']).unwrap_or(raw.len()));
    if date_part.len() != 10 {
        return Err(
            LiteralError::new(format!("`{raw}` is not a date-time written in RFC 3339")).help(help),
        );
    }
    let offset = offset.map_err(|e| e.help(help))?;
    match raw.parse::<jiff::Timestamp>() {
        Ok(timestamp) => Ok((timestamp, offset)),
        Err(_) => Err(LiteralError::new(format!("`{raw}` is not a valid date-time")).help(help)),
    }
}

/// The offset at the end of a date-time, if one is written.
fn written_offset(raw: &str) -> Option<Result<jiff::tz::Offset, LiteralError>> {
    if raw.ends_with(['Z', 'z']) {
        return Some(Ok(jiff::tz::Offset::UTC));
    }
    let time = &raw[raw.find(['T', 't'])?..];
    let sign_at = time.rfind(['+', '-'])?;
    let rest = &time[sign_at..];
    let negative = rest.starts_with('-');
    let (hours, minutes) = rest.get(1..)?.split_once(':')?;
    let hours = hours.parse::<i32>().ok()?;
    let minutes = minutes.parse::<i32>().ok()?;
    let seconds = (hours * 3600 + minutes * 60) * if negative { -1 } else { 1 };
    Some(
        jiff::tz::Offset::from_seconds(seconds)
            .ok()
            .filter(|_| hours <= 23 && minutes <= 59)
            .ok_or_else(|| LiteralError::new(format!("`{rest}` is not a valid offset"))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_resolve() {
        assert_eq!(unescape(r#"a\"b\'c\\d\ne\tf"#).unwrap(), "a\"b'c\\d\ne\tf");
        assert_eq!(unescape(r"\u{4E2D}文").unwrap(), "中文");
    }

    #[test]
    fn bad_escapes_are_explained() {
        let error = unescape(r"ab\q").unwrap_err();
        assert_eq!(error.message, "unknown escape `\\q` in a string");
        assert_eq!(error.within, Some(2..4));
        assert!(unescape(r"\u{zz}").is_err());
        assert!(unescape(r"\u{D800}")
            .unwrap_err()
            .message
            .contains("not a Unicode"));
        assert!(unescape(r"\u4E2D").is_err());
    }

    #[test]
    fn numbers_read() {
        assert_eq!(integer("10_000"), Ok(10_000));
        assert_eq!(integer("-42"), Ok(-42));
        assert!(integer("99999999999999999999").is_err());
        assert_eq!(float("3.5"), Ok(3.5));
        assert_eq!(duration("7d"), Ok((7, DurationUnit::Days)));
        assert_eq!(time_of_day("9:05"), Ok((9, 5)));
    }

    #[test]
    fn dates_are_validated() {
        assert!(date("2026-11-25").is_ok());
        assert!(date("2026-13-40").is_err());
        assert!(date("2026-1-5").is_err());
        let (timestamp, offset) = datetime("2026-11-25T09:00:00+08:00").unwrap();
        assert_eq!(offset.seconds(), 8 * 3600);
        assert_eq!(timestamp.to_string(), "2026-11-25T01:00:00Z");
        assert_eq!(
            datetime("2026-11-25T01:00:00Z").unwrap().1,
            jiff::tz::Offset::UTC
        );
        assert!(datetime("2026-11-25T09:00:00")
            .unwrap_err()
            .message
            .contains("offset"));
        assert!(datetime("2026-02-30T09:00:00Z").is_err());
    }
}
