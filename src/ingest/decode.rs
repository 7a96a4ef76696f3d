//! Schema-driven decoding of one snapshot straight into its slots: no intermediate JSON
//! tree. A serde seed walks the object, writes each known key into its slot, skips
//! unknown keys cheaply, checks every value against the schema, and reads `id` and
//! `touches` whatever the schema says. A problem is reported with its field path
//! (`consent.dm`, `touches[2].at`), what was expected and what was found.
//!
//! The same seed decodes from JSON text and from a `serde_json::Value`. Without a
//! schema, values are read as they come (numbers that fit are integers, objects keep
//! their keys); only the names the playbook reads are kept.

mod touches;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::compile::{FieldType, Layout, ObjectSchema, Program};
use crate::eval::expr::MemberData;
use crate::eval::value::{Object, Value};
use crate::plan::{ErrorKind, MemberError};

use crate::limits::{MAX_JSON_DEPTH, MAX_LIST_ITEMS};

/// A field path longer than this is shown shortened (`a.b.c…`).
const MAX_PATH_PARTS: usize = 8;

/// Decodes one line of JSON text.
pub(crate) fn decode_text(program: &Program, text: &str) -> Result<MemberData, MemberError> {
    let mut member = MemberData::default();
    decode_text_into(program, text, &mut member).map(|()| member)
}

/// Decodes one line of JSON text into `member`, reusing its buffers (a worker decodes
/// every member into the same one). After an error `member` holds part of the
/// snapshot.
pub(crate) fn decode_text_into(
    program: &Program,
    text: &str,
    member: &mut MemberData,
) -> Result<(), MemberError> {
    let state = State::new(program, &program.layout);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let result = TopSeed(&state, member)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    result.map_err(|error| state.into_error(&error, || id_of_text(text)))
}

/// Decodes a JSON value.
pub(crate) fn decode_value(
    program: &Program,
    value: &serde_json::Value,
) -> Result<MemberData, MemberError> {
    decode_value_with(program, &program.layout, value)
}

/// Decodes a JSON value into a layout wider than the program's (the REPL's).
pub(crate) fn decode_value_with(
    program: &Program,
    layout: &Layout,
    value: &serde_json::Value,
) -> Result<MemberData, MemberError> {
    let state = State::new(program, layout);
    let mut member = MemberData::default();
    TopSeed(&state, &mut member)
        .deserialize(value)
        .map(|()| member)
        .map_err(|error| state.into_error(&error, || value.get("id").and_then(id_of_json)))
}

/// The id of a JSON value, as a string, when it is a string or an integer.
pub(crate) fn id_of_json(value: &serde_json::Value) -> Option<Arc<str>> {
    match value {
        serde_json::Value::String(s) if s.trim().is_empty() => None,
        serde_json::Value::String(s) => Some(Arc::from(s.as_str())),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Some(Arc::from(n.to_string())),
        _ => None,
    }
}

/// The id of a JSON text, read without looking at anything else.
pub(crate) fn id_of_text(text: &str) -> Option<Arc<str>> {
    struct IdOnly;
    impl<'de> Visitor<'de> for IdOnly {
        type Value = Option<Arc<str>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut id = None;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "id" {
                    let value: serde_json::Value = map.next_value()?;
                    id = id_of_json(&value);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(id)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    de::Deserializer::deserialize_map(&mut deserializer, IdOnly)
        .ok()
        .flatten()
}

/// One part of a field path. Paths are built only for a problem, from the innermost
/// part out, as the error leaves each field and item (see [`State::within`]); decoding
/// a valid snapshot keeps no path at all.
#[derive(Debug, Clone)]
enum PathPart<'p> {
    /// A field named by the schema (or `id`, `touches`, a touch's fields).
    Field(&'p str),
    /// A key read from the snapshot (objects without a schema).
    Key(Arc<str>),
    /// A position in a list.
    Index(usize),
}

/// What went wrong, recorded where it happened.
#[derive(Debug)]
struct Problem<'p> {
    /// Where, innermost part first.
    path: Vec<PathPart<'p>>,
    message: String,
}

/// The decoding state shared by the seeds of one snapshot.
struct State<'p> {
    program: &'p Program,
    layout: &'p Layout,
    problem: RefCell<Option<Problem<'p>>>,
    id: RefCell<Option<Arc<str>>>,
    depth: RefCell<usize>,
    /// Items of the lists being read, nested ones above their parents'.
    items: RefCell<Vec<Value>>,
}

impl<'p> State<'p> {
    fn new(program: &'p Program, layout: &'p Layout) -> Self {
        State {
            program,
            layout,
            problem: RefCell::new(None),
            id: RefCell::new(None),
            depth: RefCell::new(0),
            items: RefCell::new(Vec::new()),
        }
    }

    /// A problem's path as messages show it (`touches[2].at`).
    fn path_text(path: &[PathPart<'_>]) -> String {
        let mut out = String::new();
        for (index, part) in path.iter().rev().enumerate() {
            if index == MAX_PATH_PARTS {
                out.push('…');
                break;
            }
            match part {
                PathPart::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                PathPart::Key(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                PathPart::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        out
    }

    /// Records a problem here (the first one wins) and returns the error that stops
    /// decoding; the fields and items around learn of it as the error goes out.
    fn fail<E: de::Error>(&self, message: String) -> E {
        self.fail_at(None, message)
    }

    /// Records a problem in the field `inner` of the value being read.
    fn fail_at<E: de::Error>(&self, inner: Option<&'p str>, message: String) -> E {
        let mut problem = self.problem.borrow_mut();
        if problem.is_none() {
            *problem = Some(Problem {
                path: inner.map(PathPart::Field).into_iter().collect(),
                message,
            });
        }
        E::custom("invalid snapshot")
    }

    /// Passes an error out of a field or an item, adding that part to the problem's
    /// path. (An error with no problem, malformed JSON, has no path.)
    fn within<E>(&self, part: impl FnOnce() -> PathPart<'p>, error: E) -> E {
        if let Some(problem) = self.problem.borrow_mut().as_mut() {
            problem.path.push(part());
        }
        error
    }

    fn into_error(
        self,
        error: &dyn fmt::Display,
        id: impl FnOnce() -> Option<Arc<str>>,
    ) -> MemberError {
        let member = self.id.into_inner().or_else(id);
        match self.problem.into_inner() {
            Some(problem) => {
                let path = Self::path_text(&problem.path);
                let message = if path.is_empty() {
                    problem.message
                } else if problem.message.starts_with("missing") {
                    format!("{} `{}`", problem.message, path)
                } else {
                    format!("field `{}`: {}", path, problem.message)
                };
                MemberError {
                    kind: ErrorKind::Schema,
                    member,
                    rule: None,
                    message,
                }
            }
            None => MemberError {
                kind: ErrorKind::Malformed,
                member,
                rule: None,
                message: malformed_message(&error.to_string()),
            },
        }
    }
}

/// `malformed JSON at column 17: expected `,` or `}``, from serde_json's message.
fn malformed_message(text: &str) -> String {
    let text = &text.replace("recursion limit exceeded", &too_deep());
    match text.rfind(" at line ") {
        Some(position) => {
            let (message, location) = text.split_at(position);
            let column = location.rsplit(' ').next().unwrap_or("?");
            format!("malformed JSON at column {column}: {message}")
        }
        None => format!("malformed JSON: {text}"),
    }
}

/// What a snapshot nested past [`MAX_JSON_DEPTH`] is told.
fn too_deep() -> String {
    format!("values are nested too deeply (more than {MAX_JSON_DEPTH} levels)")
}

/// What a list (or an object) longer than [`MAX_LIST_ITEMS`] is told.
fn too_long(what: &str, parts: &str) -> String {
    format!("the {what} has more than {MAX_LIST_ITEMS} {parts}")
}

/// How a found JSON value is described in messages.
fn found_string(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    let ellipsis = if text.chars().count() > 40 { "…" } else { "" };
    format!("string {:?}", format!("{short}{ellipsis}"))
}

fn expected(ty: &FieldType, found: String) -> String {
    format!("expected {}, found {found}", ty.required().describe())
}

/// Parses a strict `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let year: i16 = text.get(0..4)?.parse().ok()?;
    let month: i8 = text.get(5..7)?.parse().ok()?;
    let day: i8 = text.get(8..10)?.parse().ok()?;
    Date::new(year, month, day).ok()
}

/// Parses an RFC 3339 date-time (an offset is required).
pub(crate) fn parse_datetime(text: &str) -> Option<Timestamp> {
    if text.len() < 20 || !text.is_char_boundary(10) || parse_date(text.get(..10)?).is_none() {
        return None;
    }
    text.parse::<Timestamp>().ok()
}

/// Where a top-level key goes.
enum Key {
    Slot(u32),
    Id,
    Touches,
    Other,
}

struct KeySeed<'a>(&'a ObjectSchema);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match field_position(self.0, key) {
            Some(slot) => Key::Slot(slot),
            None if key == "id" => Key::Id,
            None if key == "touches" => Key::Touches,
            None => Key::Other,
        })
    }
}

/// A key as text, borrowed from the snapshot when it has no escapes (serde's own
/// `Cow<str>` always copies).
struct KeyText;

impl<'de> DeserializeSeed<'de> for KeyText {
    type Value = std::borrow::Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyText {
    type Value = std::borrow::Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Borrowed(key))
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(key.to_owned()))
    }
}

/// The position of a field.
fn field_position(schema: &ObjectSchema, key: &str) -> Option<u32> {
    schema.index.get(key)
}

/// The whole snapshot, decoded into a member's slots.
struct TopSeed<'s, 'p, 'm>(&'s State<'p>, &'m mut MemberData);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let TopSeed(state, member) = self;
        let layout = state.layout;
        let schema = &layout.fields;
        member.slots.clear();
        member.slots.resize(schema.types.len(), Value::Null);
        member.touches.clear();
        while let Some(key) = map.next_key_seed(KeySeed(schema))? {
            match key {
                Key::Slot(slot) => {
                    let index = slot as usize;
                    let (Some(name), Some(ty)) = (schema.keys.get(index), schema.types.get(index))
                    else {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    let here = || PathPart::Field(name);
                    let value = map
                        .next_value_seed(ValueSeed { ty, state })
                        .map_err(|error| state.within(here, error))?;
                    if layout.id_slot == Some(slot) {
                        let id = id_from_value(&value)
                            .map_err(|message| state.within(here, state.fail(message)))?;
                        *state.id.borrow_mut() = Some(id);
                    }
                    if layout.touches_slot == Some(slot) {
                        member.touches = touches::touches_from_value(state, &value)
                            .map_err(|error| state.within(here, error))?;
                    }
                    if let Some(target) = member.slots.get_mut(index) {
                        *target = value;
                    }
                }
                Key::Id => {
                    let here = || PathPart::Field("id");
                    let any = ValueSeed {
                        ty: &FieldType::Any,
                        state,
                    };
                    let value = map
                        .next_value_seed(any)
                        .map_err(|error| state.within(here, error))?;
                    let id = id_from_value(&value)
                        .map_err(|message| state.within(here, state.fail(message)))?;
                    *state.id.borrow_mut() = Some(id);
                }
                Key::Touches => {
                    map.next_value_seed(touches::TouchesSeed(state, &mut member.touches))
                        .map_err(|error| state.within(|| PathPart::Field("touches"), error))?;
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if state.id.borrow().is_none() {
            return Err(state.fail_at(Some("id"), "missing field".into()));
        }
        if layout.typed {
            check_missing(state, schema, &member.slots)?;
        }
        if let Some(id) = state.id.borrow_mut().take() {
            member.id = id;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.fail("expected a JSON object, found a list".into()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.0.fail("expected a JSON object, found a string".into()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.0.fail("expected a JSON object, found a number".into()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.0.fail("expected a JSON object, found a number".into()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.0.fail("expected a JSON object, found a number".into()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self
            .0
            .fail("expected a JSON object, found a boolean".into()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.0.fail("expected a JSON object, found null".into()))
    }
}

/// The member's id: a string with something in it besides spaces, or an integer.
fn id_from_value(value: &Value) -> Result<Arc<str>, String> {
    match value {
        Value::Str(s) if s.trim().is_empty() => {
            Err("expected a member id, found an empty string".into())
        }
        Value::Str(s) => Ok(s.clone()),
        Value::Int(i) => Ok(Arc::from(i.to_string())),
        _ => Err(id_expected(value)),
    }
}

fn id_expected(value: &Value) -> String {
    format!(
        "expected a string or an integer, found {}",
        describe_value(value)
    )
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Str(s) => found_string(s),
        Value::Int(i) => format!("integer {i}"),
        Value::Float(f) => format!("number {f}"),
        Value::Bool(b) => format!("{b}"),
        other => other.kind().into(),
    }
}

/// Reports the first required field that was not given. A required field is never
/// decoded as null (a null given for it is refused as it is read), so a required field
/// still null was missing.
fn check_missing<'p, E: de::Error>(
    state: &State<'p>,
    schema: &'p ObjectSchema,
    values: &[Value],
) -> Result<(), E> {
    for ((name, ty), value) in schema.keys.iter().zip(&schema.types).zip(values) {
        if value.is_null() && !matches!(ty, FieldType::Optional(_)) {
            return Err(state.fail_at(Some(name), "missing field".into()));
        }
    }
    Ok(())
}

/// One value of a known type.
struct ValueSeed<'s, 'p> {
    ty: &'p FieldType,
    state: &'s State<'p>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl ValueSeed<'_, '_> {
    fn mismatch<E: de::Error>(&self, found: String) -> E {
        self.state.fail(expected(self.ty, found))
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.ty.describe())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        match self.ty {
            FieldType::Any | FieldType::Optional(_) => Ok(Value::Null),
            _ => Err(self.mismatch("null".into())),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        match self.ty.required() {
            FieldType::Any | FieldType::Bool => Ok(Value::Bool(b)),
            _ => Err(self.mismatch(format!("{b}"))),
        }
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        match self.ty.required() {
            FieldType::Any | FieldType::Int => Ok(Value::Int(i)),
            FieldType::Float => Ok(Value::Float(i as f64)),
            _ => Err(self.mismatch(format!("integer {i}"))),
        }
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        match (self.ty.required(), i64::try_from(u)) {
            (FieldType::Any | FieldType::Int, Ok(i)) => Ok(Value::Int(i)),
            (FieldType::Any | FieldType::Float, _) => Ok(Value::Float(u as f64)),
            (FieldType::Int, Err(_)) => {
                Err(self.mismatch(format!("integer {u}, which is too large")))
            }
            _ => Err(self.mismatch(format!("integer {u}"))),
        }
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        match self.ty.required() {
            FieldType::Any | FieldType::Float => Ok(Value::float(f)),
            _ => Err(self.mismatch(format!("number {f}"))),
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        match self.ty.required() {
            FieldType::Any | FieldType::String => Ok(Value::str(text)),
            FieldType::Enum(values) => match values.iter().find(|v| ***v == *text) {
                Some(value) => Ok(Value::Str(value.clone())),
                None => Err(self.mismatch(found_string(text))),
            },
            FieldType::Date => parse_date(text)
                .map(Value::Date)
                .ok_or_else(|| self.mismatch(found_string(text))),
            FieldType::DateTime => parse_datetime(text)
                .map(Value::DateTime)
                .ok_or_else(|| self.mismatch(found_string(text))),
            _ => Err(self.mismatch(found_string(text))),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let element = match self.ty.required() {
            FieldType::Any => &FieldType::Any,
            FieldType::List(inner) => &**inner,
            _ => return Err(self.mismatch("a list".into())),
        };
        let state = self.state;
        let _depth = DepthGuard::enter(state)?;
        // Items wait in the state's buffer, so the list is allocated once, full size.
        let start = state.items.borrow().len();
        for index in 0.. {
            let item = match seq.next_element_seed(ValueSeed { ty: element, state }) {
                Ok(Some(item)) => item,
                Ok(None) => break,
                Err(error) => {
                    state.items.borrow_mut().truncate(start);
                    return Err(state.within(|| PathPart::Index(index), error));
                }
            };
            if index == MAX_LIST_ITEMS {
                state.items.borrow_mut().truncate(start);
                return Err(state.fail(too_long("list", "items")));
            }
            state.items.borrow_mut().push(item);
        }
        let items: Arc<[Value]> = state.items.borrow_mut().drain(start..).collect();
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        match self.ty.required() {
            FieldType::Any => any_object(self.state, map),
            FieldType::Object(schema) => typed_object(self.state, schema, map),
            _ => Err(self.mismatch("an object".into())),
        }
    }
}

/// Counts nesting of generic values so no input can exhaust the stack.
struct DepthGuard<'s, 'p>(&'s State<'p>);

impl<'s, 'p> DepthGuard<'s, 'p> {
    fn enter<E: de::Error>(state: &'s State<'p>) -> Result<Self, E> {
        // The snapshot object is the first level; this value is `depth + 2`.
        let mut depth = state.depth.borrow_mut();
        if *depth + 2 > MAX_JSON_DEPTH {
            drop(depth);
            return Err(state.fail(too_deep()));
        }
        *depth += 1;
        Ok(DepthGuard(state))
    }
}

impl Drop for DepthGuard<'_, '_> {
    fn drop(&mut self) {
        let mut depth = self.0.depth.borrow_mut();
        *depth = depth.saturating_sub(1);
    }
}

fn typed_object<'de, 'p, A: MapAccess<'de>>(
    state: &State<'p>,
    schema: &'p Arc<ObjectSchema>,
    mut map: A,
) -> Result<Value, A::Error> {
    let _depth = DepthGuard::enter(state)?;
    let mut values = vec![Value::Null; schema.types.len()];
    while let Some(key) = map.next_key_seed(KeySeed(schema))? {
        let Key::Slot(position) = key else {
            map.next_value::<IgnoredAny>()?;
            continue;
        };
        let index = position as usize;
        let (Some(name), Some(ty)) = (schema.keys.get(index), schema.types.get(index)) else {
            map.next_value::<IgnoredAny>()?;
            continue;
        };
        let value = map
            .next_value_seed(ValueSeed { ty, state })
            .map_err(|error| state.within(|| PathPart::Field(name), error))?;
        if let Some(target) = values.get_mut(index) {
            *target = value;
        }
    }
    check_missing(state, schema, &values)?;
    Ok(Value::Object(Arc::new(Object::new(
        schema.keys.clone(),
        values,
    ))))
}

fn any_object<'de, A: MapAccess<'de>>(state: &State<'_>, mut map: A) -> Result<Value, A::Error> {
    let _depth = DepthGuard::enter(state)?;
    let mut keys: Vec<Arc<str>> = Vec::new();
    let mut values = Vec::new();
    // Past a few keys, a repeated key is found through an index, not a scan.
    let mut index: Option<HashMap<Arc<str>, usize>> = None;
    while let Some(key) = map.next_key_seed(KeyText)? {
        let key: Arc<str> = Arc::from(&*key);
        let any = ValueSeed {
            ty: &FieldType::Any,
            state,
        };
        let value = map
            .next_value_seed(any)
            .map_err(|error| state.within(|| PathPart::Key(key.clone()), error))?;
        let existing = match &index {
            Some(index) => index.get(&key).copied(),
            None => keys.iter().position(|k| *k == key),
        };
        match existing {
            Some(existing) => {
                if let Some(slot) = values.get_mut(existing) {
                    *slot = value;
                }
            }
            None if keys.len() == MAX_LIST_ITEMS => {
                return Err(state.fail(too_long("object", "fields")))
            }
            None => {
                if let Some(index) = &mut index {
                    index.insert(key.clone(), keys.len());
                }
                keys.push(key);
                values.push(value);
                if index.is_none() && keys.len() > 16 {
                    index = Some(keys.iter().cloned().zip(0..).collect());
                }
            }
        }
    }
    Ok(Value::Object(Arc::new(Object::new(
        Arc::from(keys),
        values,
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2026-11-25").is_some());
        assert!(parse_date("2026-13-01").is_none());
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("20261125").is_none());
        assert!(parse_date("2026-1-5").is_none());
        assert!(parse_datetime("2026-11-25T09:00:00+08:00").is_some());
        assert!(parse_datetime("2026-11-25T09:00:00Z").is_some());
        assert!(parse_datetime("2026-11-25T09:00:00").is_none());
        assert!(parse_datetime("yesterday").is_none());
    }

    #[test]
    fn problems_name_their_whole_path() {
        let source = r#"
            playbook "p" {}
            member { id: string, stores: [{ id: string, km: float, tags: [string] }]? }
        "#;
        let playbook = crate::Playbook::from_source("p.rules", source).expect("compiles");
        let program = playbook.program();
        let cases = [
            (
                r#"{"id":"a","stores":[{"id":"s1","km":1,"tags":[]},{"id":"s2","km":"far","tags":[]}]}"#,
                "field `stores[1].km`: expected float, found string \"far\"",
            ),
            (
                r#"{"id":"a","stores":[{"id":"s1","km":1,"tags":["x",3]}]}"#,
                "field `stores[0].tags[1]`: expected string, found integer 3",
            ),
            (
                r#"{"id":"a","stores":[{"id":"s1","tags":[]}]}"#,
                "missing field `stores[0].km`",
            ),
        ];
        for (text, message) in cases {
            let error = decode_text(program, text).expect_err(text);
            assert_eq!(error.message, message);
            assert_eq!(error.member.as_deref(), Some("a"));
        }
        assert!(decode_text(
            program,
            r#"{"id":"a","stores":[{"id":"s","km":2,"tags":["t"]}]}"#
        )
        .is_ok());
    }

    #[test]
    fn malformed_messages_give_the_column() {
        let error = serde_json::from_str::<serde_json::Value>("{\"id\": }").unwrap_err();
        let message = malformed_message(&error.to_string());
        assert!(
            message.starts_with("malformed JSON at column 8: "),
            "{message}"
        );
    }
}
