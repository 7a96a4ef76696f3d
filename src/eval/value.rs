//! The values expressions compute with, how they render in templates, and how they
//! become JSON in a plan's `args`.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A value met while evaluating an expression.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// `null`, or a missing optional field.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// An IEEE double (never NaN or infinite: such results become `Null`).
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// A calendar date.
    Date(Date),
    /// An instant.
    DateTime(Timestamp),
    /// A duration in seconds.
    Duration(i64),
    /// A time of day, in seconds since midnight.
    Time(u32),
    /// A list.
    List(Arc<[Value]>),
    /// An object: a nested schema object, or any JSON object without a schema.
    Object(Arc<Object>),
}

/// An object's fields: names (shared with the schema when there is one) and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    keys: Arc<[Arc<str>]>,
    values: Box<[Value]>,
}

impl Object {
    /// An object from its keys and values (the same length).
    pub fn new(keys: Arc<[Arc<str>]>, values: Vec<Value>) -> Self {
        Object {
            keys,
            values: values.into_boxed_slice(),
        }
    }

    /// The value at a position fixed by the schema.
    pub fn at(&self, index: usize) -> &Value {
        self.values.get(index).unwrap_or(&Value::Null)
    }

    /// The value of a field by name (`Null` when absent).
    pub fn get(&self, name: &str) -> &Value {
        self.keys
            .iter()
            .position(|key| &**key == name)
            .map_or(&Value::Null, |index| self.at(index))
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.keys.iter().map(|key| &**key).zip(self.values.iter())
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the object has no field.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl Value {
    /// A string value.
    pub fn str(text: &str) -> Value {
        Value::Str(Arc::from(text))
    }

    /// A float, or `Null` when it is NaN or infinite.
    pub fn float(number: f64) -> Value {
        if number.is_finite() {
            Value::Float(number)
        } else {
            Value::Null
        }
    }

    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True only for `Bool(true)`: how `when`, `and`, `or` and consent read a value.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// The kind of value, in words, for messages (`an integer`).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Date(_) => "a date",
            Value::DateTime(_) => "a date-time",
            Value::Duration(_) => "a duration",
            Value::Time(_) => "a time of day",
            Value::List(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    /// Appends the value as a template renders it: strings as they are, floats in the
    /// shortest form that reads back the same (no trailing `.0`), null as nothing,
    /// date-times in RFC 3339 with the zone's offset, lists joined by `, `.
    pub fn render_into(&self, out: &mut String, zone: &TimeZone) {
        match self {
            Value::Null => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => {
                let _ = write!(out, "{f}");
            }
            Value::Str(s) => out.push_str(s),
            Value::Date(d) => {
                let _ = write!(out, "{d}");
            }
            Value::DateTime(t) => {
                out.push_str(&crate::plan::format_rfc3339(&t.to_zoned(zone.clone())));
            }
            Value::Duration(seconds) => render_duration(*seconds, out),
            Value::Time(seconds) => {
                let _ = write!(out, "{:02}:{:02}", seconds / 3600, (seconds / 60) % 60);
            }
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.render_into(out, zone);
                }
            }
            Value::Object(_) => {
                let _ = write!(out, "{}", self.to_json(zone));
            }
        }
    }

    /// The value as a template renders it.
    pub fn render(&self, zone: &TimeZone) -> String {
        let mut out = String::new();
        self.render_into(&mut out, zone);
        out
    }

    /// The value as JSON (for `args`): dates, date-times, durations and times of day
    /// become the strings a template would show.
    pub fn to_json(&self, zone: &TimeZone) -> serde_json::Value {
        use serde_json::Value as Json;
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.to_string()),
            Value::Date(_) | Value::DateTime(_) | Value::Duration(_) | Value::Time(_) => {
                Json::String(self.render(zone))
            }
            Value::List(items) => Json::Array(items.iter().map(|v| v.to_json(zone)).collect()),
            Value::Object(object) => Json::Object(
                object
                    .fields()
                    .map(|(key, value)| (key.to_string(), value.to_json(zone)))
                    .collect(),
            ),
        }
    }
}

/// `7d`, `12h`, `30m`, `45s`: the largest unit that divides the duration exactly.
fn render_duration(seconds: i64, out: &mut String) {
    let units = [(604_800, "w"), (86_400, "d"), (3_600, "h"), (60, "m")];
    for (size, suffix) in units {
        if seconds != 0 && seconds % size == 0 {
            let _ = write!(out, "{}{suffix}", seconds / size);
            return;
        }
    }
    let _ = write!(out, "{seconds}s");
}

impl fmt::Display for Value {
    /// Renders the value the way the REPL shows it: strings quoted, the rest as a
    /// template would show it (date-times in UTC).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Str(s) => write!(f, "{:?}", &**s),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Object(object) => {
                f.write_str("{ ")?;
                for (i, (key, value)) in object.fields().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}: {value}")?;
                }
                f.write_str(" }")
            }
            other => f.write_str(&other.render(&TimeZone::UTC)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_render_shortest_without_trailing_zero() {
        let zone = TimeZone::UTC;
        assert_eq!(Value::Float(99.0).render(&zone), "99");
        assert_eq!(Value::Float(1280.5).render(&zone), "1280.5");
        assert_eq!(Value::Float(0.1 + 0.2).render(&zone), "0.30000000000000004");
        assert_eq!(Value::Float(-2.5).render(&zone), "-2.5");
    }

    #[test]
    fn lists_join_with_comma_and_null_renders_as_nothing() {
        let zone = TimeZone::UTC;
        let list = Value::List(Arc::from(vec![Value::str("a"), Value::Null, Value::Int(3)]));
        assert_eq!(list.render(&zone), "a, , 3");
        assert_eq!(Value::Null.render(&zone), "");
    }

    #[test]
    fn durations_render_in_their_largest_exact_unit() {
        let zone = TimeZone::UTC;
        assert_eq!(Value::Duration(7 * 86_400).render(&zone), "1w");
        assert_eq!(Value::Duration(86_400).render(&zone), "1d");
        assert_eq!(Value::Duration(5_400).render(&zone), "90m");
        assert_eq!(Value::Duration(61).render(&zone), "61s");
    }

    #[test]
    fn date_times_render_with_the_zone_offset() {
        let zone = TimeZone::fixed(jiff::tz::offset(8));
        let at: Timestamp = "2026-11-25T01:00:00Z".parse().unwrap();
        assert_eq!(
            Value::DateTime(at).render(&zone),
            "2026-11-25T09:00:00+08:00"
        );
    }
}
