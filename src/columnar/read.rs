//! Reading one row of a bound members batch straight into a member's slots, the way
//! the JSON decoder would have filled them from the same snapshot: the same values
//! (enum values shared with the schema, integers widened for float fields), the same
//! checks, and the same messages with the field's path (`consent.dm`,
//! `touches[2].at`). Arrow cannot tell an absent field from a null one, so a null where
//! a value is required is reported as a missing field.

use std::sync::Arc;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use super::bind::{Bound, Column, Dates, Ids, Instants, Members, TouchColumns};
use crate::compile::{FieldType, Program};
use crate::eval::expr::{MemberData, Touch};
use crate::eval::value::{Object, Value};
use crate::ingest::decode::{parse_date, parse_datetime};
use crate::limits::MAX_LIST_ITEMS;
use crate::plan::{ErrorKind, MemberError};

/// One part of a problem's path.
#[derive(Debug)]
enum Part<'a> {
    Field(&'a str),
    Index(usize),
}

/// A value that does not fit its field: where (innermost part first) and why.
#[derive(Debug)]
struct Problem<'a> {
    path: Vec<Part<'a>>,
    message: String,
}

impl<'a> Problem<'a> {
    fn new(message: String) -> Self {
        Problem {
            path: Vec::new(),
            message,
        }
    }

    fn missing() -> Self {
        Problem::new("missing field".into())
    }

    /// The problem, seen from the field or item that holds it.
    fn within(mut self, part: Part<'a>) -> Self {
        self.path.push(part);
        self
    }

    /// `missing field `a.b``, or `field `a.b`: expected …, found …`.
    fn into_message(self) -> String {
        let mut path = String::new();
        for part in self.path.iter().rev() {
            match part {
                Part::Field(name) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(name);
                }
                Part::Index(index) => path.push_str(&format!("[{index}]")),
            }
        }
        if self.message.starts_with("missing") {
            format!("{} `{path}`", self.message)
        } else {
            format!("field `{path}`: {}", self.message)
        }
    }
}

/// `expected float, found …`.
fn expected(ty: &FieldType, found: &str) -> String {
    format!("expected {}, found {found}", ty.required().describe())
}

/// A string as messages show it: `string "abc"`, cut at 40 characters.
fn found_string(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    let ellipsis = if text.chars().count() > 40 { "…" } else { "" };
    format!("string {:?}", format!("{short}{ellipsis}"))
}

impl Members<'_> {
    /// Reads row `row` into `member` (its buffers reused); the row's problem, if any,
    /// as the member's error.
    pub(crate) fn read(
        &self,
        program: &Program,
        row: usize,
        member: &mut MemberData,
    ) -> Result<(), MemberError> {
        member.slots.clear();
        member.touches.clear();
        let schema_error = |id: Option<Arc<str>>, problem: Problem<'_>| MemberError {
            kind: ErrorKind::Schema,
            member: id,
            rule: None,
            message: problem.into_message(),
        };
        let id = self
            .id(row)
            .map_err(|problem| schema_error(None, problem.within(Part::Field("id"))))?;
        let keys = &program.layout.fields.keys;
        for (bound, name) in self.slots.iter().zip(keys.iter()) {
            match read_value(bound, row) {
                Ok(value) => member.slots.push(value),
                Err(problem) => {
                    return Err(schema_error(Some(id), problem.within(Part::Field(name))))
                }
            }
        }
        if let Some((touches, lists)) = &self.touches {
            if !lists.is_some_and(|nulls| nulls.is_null(row)) {
                read_touches(program, touches, row, &mut member.touches).map_err(|problem| {
                    schema_error(Some(id.clone()), problem.within(Part::Field("touches")))
                })?;
            }
        }
        member.id = id;
        Ok(())
    }

    /// The id at `row`: a string with something besides spaces, or an integer.
    fn id(&self, row: usize) -> Result<Arc<str>, Problem<'static>> {
        let (ids, nulls) = &self.id;
        if nulls.is_some_and(|n| n.is_null(row)) {
            return Err(Problem::missing());
        }
        match ids {
            Ids::Str(strings) => {
                let text = strings.get(row);
                if text.trim().is_empty() {
                    return Err(Problem::new(
                        "expected a member id, found an empty string".into(),
                    ));
                }
                Ok(Arc::from(text))
            }
            Ids::Int(ints) => match ints.get(row) {
                Ok(i) => Ok(Arc::from(i.to_string())),
                Err(u) => Ok(Arc::from(u.to_string())),
            },
        }
    }
}

/// The value of a bound column at `row`.
fn read_value<'a>(bound: &'a Bound<'_>, row: usize) -> Result<Value, Problem<'a>> {
    let ty = bound.ty;
    if bound.is_null(row) {
        return match ty {
            FieldType::Any | FieldType::Optional(_) => Ok(Value::Null),
            _ => Err(Problem::missing()),
        };
    }
    let mismatch = |found: &str| Problem::new(expected(ty, found));
    Ok(match &bound.column {
        Column::Absent => Value::Null,
        Column::Int(ints) => match (ints.get(row), ty.required()) {
            (Ok(i), FieldType::Float) => Value::Float(i as f64),
            (Ok(i), _) => Value::Int(i),
            (Err(u), FieldType::Any) => Value::Float(u as f64),
            (Err(u), _) => return Err(mismatch(&format!("integer {u}, which is too large"))),
        },
        Column::Float(floats) => {
            let number = floats.get(row);
            if !number.is_finite() && !matches!(ty, FieldType::Any) {
                return Err(mismatch(&format!("number {number}")));
            }
            Value::float(number)
        }
        Column::Bool(booleans) => Value::Bool(booleans.value(row)),
        Column::Str(strings) => Value::str(strings.get(row)),
        Column::Enum(strings, values) => {
            let text = strings.get(row);
            match values.iter().find(|value| ***value == *text) {
                Some(value) => Value::Str(value.clone()),
                None => return Err(mismatch(&found_string(text))),
            }
        }
        Column::Date(dates) => Value::Date(read_date(*dates, row).map_err(|f| mismatch(&f))?),
        Column::DateTime(instants) => {
            Value::DateTime(read_instant(*instants, row).map_err(|f| mismatch(&f))?)
        }
        Column::List(offsets, item) => {
            let range = offsets.range(row);
            if range.len() > MAX_LIST_ITEMS {
                return Err(Problem::new(format!(
                    "the list has more than {MAX_LIST_ITEMS} items"
                )));
            }
            let start = range.start;
            // An item is never missing: a null one is a null where a value is needed.
            let read_item = |index| {
                read_value(item, index).map_err(|problem| {
                    let problem = match item.is_null(index) {
                        true => Problem::new(expected(item.ty, "null")),
                        false => problem,
                    };
                    problem.within(Part::Index(index - start))
                })
            };
            let items: Result<Arc<[Value]>, _> = range.map(read_item).collect();
            Value::List(items?)
        }
        Column::Object(keys, fields) => {
            let mut values = Vec::with_capacity(fields.len());
            for (field, key) in fields.iter().zip(keys.iter()) {
                values.push(read_value(field, row).map_err(|p| p.within(Part::Field(key)))?);
            }
            Value::Object(Arc::new(Object::new(keys.clone(), values)))
        }
    })
}

/// The date at `row`, or what was found instead.
fn read_date(dates: Dates<'_>, row: usize) -> Result<Date, String> {
    let epoch = Date::constant(1970, 1, 1);
    let out_of_range = |what: &str| format!("{what}, which is out of range");
    match dates {
        Dates::Days(days) => {
            let count = days.value(row);
            epoch
                .checked_add(i64::from(count).days())
                .map_err(|_| out_of_range(&format!("the date {count} days after 1970-01-01")))
        }
        Dates::Millis(millis) => {
            let count = millis.value(row);
            epoch
                .checked_add(count.div_euclid(86_400_000).days())
                .map_err(|_| out_of_range(&format!("the date {count} ms after 1970-01-01")))
        }
        Dates::Text(strings) => {
            let text = strings.get(row);
            parse_date(text).ok_or_else(|| found_string(text))
        }
    }
}

/// The instant at `row`, or what was found instead.
fn read_instant(instants: Instants<'_>, row: usize) -> Result<Timestamp, String> {
    let out_of_range = |count: i64, unit: &str| {
        format!("the timestamp {count} {unit} after 1970-01-01, which is out of range")
    };
    match instants {
        Instants::Seconds(a) => {
            let v = a.value(row);
            Timestamp::from_second(v).map_err(|_| out_of_range(v, "s"))
        }
        Instants::Millis(a) => {
            let v = a.value(row);
            Timestamp::from_millisecond(v).map_err(|_| out_of_range(v, "ms"))
        }
        Instants::Micros(a) => {
            let v = a.value(row);
            Timestamp::from_microsecond(v).map_err(|_| out_of_range(v, "µs"))
        }
        Instants::Nanos(a) => {
            let v = a.value(row);
            Timestamp::from_nanosecond(i128::from(v)).map_err(|_| out_of_range(v, "ns"))
        }
        Instants::Text(strings) => {
            let text = strings.get(row);
            parse_datetime(text).ok_or_else(|| found_string(text))
        }
    }
}

/// The touches of `row`, resolved against the playbook's rules and channels; checked
/// in the order `rule`, `channel`, `at`, like the JSON decoder.
fn read_touches<'a>(
    program: &Program,
    columns: &TouchColumns<'a>,
    row: usize,
    touches: &mut Vec<Touch>,
) -> Result<(), Problem<'a>> {
    let range = columns.offsets.range(row);
    if range.len() > MAX_LIST_ITEMS {
        return Err(Problem::new(format!(
            "the list has more than {MAX_LIST_ITEMS} items"
        )));
    }
    let start = range.start;
    let null =
        |nulls: Option<&arrow_buffer::NullBuffer>, index| nulls.is_some_and(|n| n.is_null(index));
    for index in range {
        let here = |problem: Problem<'a>| problem.within(Part::Index(index - start));
        if null(columns.items, index) {
            return Err(here(Problem::new(
                "expected a touch {rule, channel, at}, found null".into(),
            )));
        }
        let rule = match columns.rule {
            Some((names, nulls)) if !null(nulls, index) => program.rule_ids.get(names.get(index)),
            _ => None,
        };
        let (names, nulls) = columns.channel;
        if null(nulls, index) {
            return Err(here(Problem::missing().within(Part::Field("channel"))));
        }
        let channel = program.channel_ids.get(names.get(index));
        let (instants, nulls) = columns.at;
        if null(nulls, index) {
            return Err(here(Problem::missing().within(Part::Field("at"))));
        }
        let at = read_instant(instants, index).map_err(|found| {
            let message = expected(&FieldType::DateTime, &found);
            here(Problem::new(message).within(Part::Field("at")))
        })?;
        touches.push(Touch { rule, channel, at });
    }
    Ok(())
}
