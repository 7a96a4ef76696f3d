//! Binding a members batch to a playbook, once per batch: each column the playbook
//! reads is found by name, its Arrow type checked against the `member` block, and
//! turned into a typed reader ([`Bound`]) that `read` walks row by row with no name
//! looked up. A column whose type cannot hold its field is a [`BatchError`] for the
//! whole batch; a value that does not fit its field (a null where one is required, a
//! string that is no value of an enum) is only its row's error, found by `read`.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, BooleanArray, Date32Array, Date64Array, Decimal128Array, Float32Array, Float64Array,
    Int16Array, Int32Array, Int64Array, Int8Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray, StructArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt16Array, UInt32Array, UInt64Array,
    UInt8Array,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, TimeUnit};

use super::BatchError;
use crate::compile::{FieldType, IdType, Layout};
use crate::limits::MAX_JSON_DEPTH;

/// The type of every value read without a schema.
pub(crate) static ANY: FieldType = FieldType::Any;

/// A column bound to a field: how to read it, its nulls, and the field's type.
pub(crate) struct Bound<'a> {
    /// How to read a value.
    pub column: Column<'a>,
    /// Which rows are null (none when absent).
    pub nulls: Option<&'a NullBuffer>,
    /// The field's type, as the member block declares it ([`ANY`] without one).
    pub ty: &'a FieldType,
}

impl Bound<'_> {
    /// Whether the value at `row` is null.
    #[inline]
    pub(crate) fn is_null(&self, row: usize) -> bool {
        matches!(self.column, Column::Absent) || self.nulls.is_some_and(|n| n.is_null(row))
    }
}

/// How a column's values are read.
pub(crate) enum Column<'a> {
    /// No such column (or an Arrow `null` column): every value is null.
    Absent,
    /// Integers for an `int` field, or any integers without a schema.
    Int(Ints<'a>),
    /// Numbers for a `float` field (integers and decimals too), or floats without a
    /// schema.
    Float(Floats<'a>),
    /// Booleans.
    Bool(&'a BooleanArray),
    /// Strings for a `string` field (or without a schema).
    Str(Strings<'a>),
    /// Strings for an enum field: the values allowed.
    Enum(Strings<'a>, &'a [Arc<str>]),
    /// Dates, from Arrow dates or from `YYYY-MM-DD` strings.
    Date(Dates<'a>),
    /// Instants, from Arrow timestamps with a zone or from RFC 3339 strings.
    DateTime(Instants<'a>),
    /// A list: its offsets and its items.
    List(Offsets<'a>, Box<Bound<'a>>),
    /// An object: its keys and its fields, in the keys' order.
    Object(Arc<[Arc<str>]>, Vec<Bound<'a>>),
}

/// An integer column of any width.
#[derive(Clone, Copy)]
pub(crate) enum Ints<'a> {
    I8(&'a Int8Array),
    I16(&'a Int16Array),
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    U8(&'a UInt8Array),
    U16(&'a UInt16Array),
    U32(&'a UInt32Array),
    U64(&'a UInt64Array),
}

impl<'a> Ints<'a> {
    fn bind(array: &'a dyn Array) -> Option<Self> {
        Some(match array.data_type() {
            DataType::Int8 => Ints::I8(array.as_primitive::<Int8Type>()),
            DataType::Int16 => Ints::I16(array.as_primitive::<Int16Type>()),
            DataType::Int32 => Ints::I32(array.as_primitive::<Int32Type>()),
            DataType::Int64 => Ints::I64(array.as_primitive::<Int64Type>()),
            DataType::UInt8 => Ints::U8(array.as_primitive::<UInt8Type>()),
            DataType::UInt16 => Ints::U16(array.as_primitive::<UInt16Type>()),
            DataType::UInt32 => Ints::U32(array.as_primitive::<UInt32Type>()),
            DataType::UInt64 => Ints::U64(array.as_primitive::<UInt64Type>()),
            _ => return None,
        })
    }

    /// The value at `row`: an `i64`, or the `u64` too large for one.
    #[inline]
    pub(crate) fn get(self, row: usize) -> Result<i64, u64> {
        Ok(match self {
            Ints::I8(a) => a.value(row).into(),
            Ints::I16(a) => a.value(row).into(),
            Ints::I32(a) => a.value(row).into(),
            Ints::I64(a) => a.value(row),
            Ints::U8(a) => a.value(row).into(),
            Ints::U16(a) => a.value(row).into(),
            Ints::U32(a) => a.value(row).into(),
            Ints::U64(a) => {
                let value = a.value(row);
                return i64::try_from(value).map_err(|_| value);
            }
        })
    }
}

/// A column of numbers read as floats.
#[derive(Clone, Copy)]
pub(crate) enum Floats<'a> {
    F32(&'a Float32Array),
    F64(&'a Float64Array),
    Int(Ints<'a>),
    /// A decimal and its scale.
    Decimal(&'a Decimal128Array, i8),
}

impl<'a> Floats<'a> {
    fn bind(array: &'a dyn Array) -> Option<Self> {
        if let Some(ints) = Ints::bind(array) {
            return Some(Floats::Int(ints));
        }
        Some(match array.data_type() {
            DataType::Float32 => Floats::F32(array.as_primitive::<Float32Type>()),
            DataType::Float64 => Floats::F64(array.as_primitive::<Float64Type>()),
            DataType::Decimal128(_, scale) => {
                Floats::Decimal(array.as_primitive::<Decimal128Type>(), *scale)
            }
            _ => return None,
        })
    }

    /// The value at `row`.
    #[inline]
    pub(crate) fn get(self, row: usize) -> f64 {
        match self {
            Floats::F32(a) => a.value(row).into(),
            Floats::F64(a) => a.value(row),
            Floats::Int(ints) => match ints.get(row) {
                Ok(i) => i as f64,
                Err(u) => u as f64,
            },
            Floats::Decimal(a, scale) => a.value(row) as f64 / 10f64.powi(i32::from(scale)),
        }
    }
}

/// A column of strings, of any of Arrow's three layouts.
#[derive(Clone, Copy)]
pub(crate) enum Strings<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Strings<'a> {
    pub(crate) fn bind(array: &'a dyn Array) -> Option<Self> {
        Some(match array.data_type() {
            DataType::Utf8 => Strings::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => Strings::Large(array.as_string::<i64>()),
            DataType::Utf8View => Strings::View(array.as_string_view()),
            _ => return None,
        })
    }

    /// The string at `row`.
    #[inline]
    pub(crate) fn get(self, row: usize) -> &'a str {
        match self {
            Strings::Utf8(a) => a.value(row),
            Strings::Large(a) => a.value(row),
            Strings::View(a) => a.value(row),
        }
    }
}

/// A column of dates.
#[derive(Clone, Copy)]
pub(crate) enum Dates<'a> {
    /// Days since 1970-01-01.
    Days(&'a Date32Array),
    /// Milliseconds since 1970-01-01.
    Millis(&'a Date64Array),
    /// `YYYY-MM-DD`.
    Text(Strings<'a>),
}

/// A column of instants.
#[derive(Clone, Copy)]
pub(crate) enum Instants<'a> {
    Seconds(&'a TimestampSecondArray),
    Millis(&'a TimestampMillisecondArray),
    Micros(&'a TimestampMicrosecondArray),
    Nanos(&'a TimestampNanosecondArray),
    /// RFC 3339.
    Text(Strings<'a>),
}

impl<'a> Instants<'a> {
    /// Timestamps with a zone, or strings; `Err(true)` for timestamps without a zone.
    fn bind(array: &'a dyn Array) -> Result<Self, bool> {
        if let Some(strings) = Strings::bind(array) {
            return Ok(Instants::Text(strings));
        }
        let DataType::Timestamp(unit, zone) = array.data_type() else {
            return Err(false);
        };
        if zone.is_none() {
            return Err(true);
        }
        Ok(match unit {
            TimeUnit::Second => Instants::Seconds(array.as_primitive::<TimestampSecondType>()),
            TimeUnit::Millisecond => {
                Instants::Millis(array.as_primitive::<TimestampMillisecondType>())
            }
            TimeUnit::Microsecond => {
                Instants::Micros(array.as_primitive::<TimestampMicrosecondType>())
            }
            TimeUnit::Nanosecond => {
                Instants::Nanos(array.as_primitive::<TimestampNanosecondType>())
            }
        })
    }
}

/// A list column's offsets, small or large.
#[derive(Clone, Copy)]
pub(crate) enum Offsets<'a> {
    Small(&'a [i32]),
    Large(&'a [i64]),
}

impl Offsets<'_> {
    /// The range of items of the list at `row`.
    #[inline]
    pub(crate) fn range(self, row: usize) -> std::ops::Range<usize> {
        let (start, end) = match self {
            Offsets::Small(o) => (o[row] as usize, o[row + 1] as usize),
            Offsets::Large(o) => (o[row] as usize, o[row + 1] as usize),
        };
        start..end
    }
}

/// The id column: strings or integers.
pub(crate) enum Ids<'a> {
    Str(Strings<'a>),
    Int(Ints<'a>),
}

/// The `touches` column: a list of `{rule, channel, at}` structs.
pub(crate) struct TouchColumns<'a> {
    pub offsets: Offsets<'a>,
    /// Null touches (not null lists).
    pub items: Option<&'a NullBuffer>,
    pub rule: Option<(Strings<'a>, Option<&'a NullBuffer>)>,
    pub channel: (Strings<'a>, Option<&'a NullBuffer>),
    pub at: (Instants<'a>, Option<&'a NullBuffer>),
}

/// A members batch bound to a playbook's layout.
pub(crate) struct Members<'a> {
    /// The id column and its nulls.
    pub id: (Ids<'a>, Option<&'a NullBuffer>),
    /// One bound column per slot of the layout.
    pub slots: Vec<Bound<'a>>,
    /// The touches column and the nulls of its lists, if the batch has one.
    pub touches: Option<(TouchColumns<'a>, Option<&'a NullBuffer>)>,
    /// The number of rows.
    pub rows: usize,
}

/// Binds `batch` to `layout`.
pub(crate) fn bind<'a>(
    layout: &'a Layout,
    batch: &'a RecordBatch,
) -> Result<Members<'a>, BatchError> {
    let column = |name: &str| batch.column_by_name(name).map(|a| a.as_ref());
    let id = bind_id(layout, column("id"))?;
    let mut slots = Vec::with_capacity(layout.len());
    for (name, ty) in layout.fields.keys.iter().zip(&layout.fields.types) {
        let bound = match column(name) {
            Some(array) => bind_field(array, ty, &mut vec![name.as_ref()], 0)?,
            None if layout.typed && !matches!(ty, FieldType::Optional(_)) => {
                return Err(BatchError::MissingColumn {
                    column: name.to_string(),
                    expected: ty.describe(),
                })
            }
            None => absent(ty),
        };
        slots.push(bound);
    }
    let touches = match column("touches") {
        Some(array) => Some((bind_touches(array)?, array.nulls())),
        None => None,
    };
    Ok(Members {
        id,
        slots,
        touches,
        rows: batch.num_rows(),
    })
}

fn absent(ty: &FieldType) -> Bound<'_> {
    Bound {
        column: Column::Absent,
        nulls: None,
        ty,
    }
}

fn bind_id<'a>(
    layout: &Layout,
    array: Option<&'a dyn Array>,
) -> Result<(Ids<'a>, Option<&'a NullBuffer>), BatchError> {
    let expected = match layout.id_type {
        Some(IdType::String) => "string",
        Some(IdType::Int) => "int",
        None => "string or int",
    };
    let Some(array) = array else {
        return Err(BatchError::MissingColumn {
            column: "id".into(),
            expected: expected.into(),
        });
    };
    let ids = match (layout.id_type, Strings::bind(array), Ints::bind(array)) {
        (Some(IdType::String) | None, Some(strings), _) => Ids::Str(strings),
        (Some(IdType::Int) | None, _, Some(ints)) => Ids::Int(ints),
        _ => return Err(wrong_type(&["id"], expected, array.data_type())),
    };
    Ok((ids, array.nulls()))
}

/// A column's path as messages show it: `consent.dm`, `stores[].km`.
fn path_text(path: &[&str]) -> String {
    let mut out = String::new();
    for part in path {
        if !out.is_empty() && *part != "[]" {
            out.push('.');
        }
        out.push_str(part);
    }
    out
}

fn wrong_type(path: &[&str], expected: &str, found: &DataType) -> BatchError {
    BatchError::WrongType {
        column: path_text(path),
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

/// The Arrow columns a field's type accepts, in words.
fn accepted(ty: &FieldType) -> String {
    let columns = match ty.required() {
        FieldType::Any => "numbers, booleans, strings, dates, timestamps, lists or structs",
        FieldType::Int => "an Arrow integer column",
        FieldType::Float => "an Arrow float, integer or decimal column",
        FieldType::Bool => "an Arrow boolean column",
        FieldType::String | FieldType::Enum(_) => "an Arrow string column",
        FieldType::Date => "an Arrow date column, or YYYY-MM-DD strings",
        FieldType::DateTime => "an Arrow timestamp column with a time zone, or RFC 3339 strings",
        FieldType::List(_) => "an Arrow list column",
        FieldType::Object(_) => "an Arrow struct column",
        FieldType::Optional(_) => "",
    };
    format!("{} ({columns})", ty.required().describe())
}

/// Binds a column (or a struct's field, or a list's items) to a field's type.
fn bind_field<'a>(
    array: &'a dyn Array,
    ty: &'a FieldType,
    path: &mut Vec<&'a str>,
    depth: usize,
) -> Result<Bound<'a>, BatchError> {
    if depth > MAX_JSON_DEPTH {
        return Err(BatchError::TooDeep {
            column: path_text(path),
        });
    }
    if array.data_type() == &DataType::Null {
        return Ok(absent(ty));
    }
    let mismatch = |path: &[&str]| wrong_type(path, &accepted(ty), array.data_type());
    let column = match ty.required() {
        FieldType::Any => bind_any(array, path, depth)?,
        FieldType::Int => Ints::bind(array).map(Column::Int),
        FieldType::Float => Floats::bind(array).map(Column::Float),
        FieldType::Bool => array.as_boolean_opt().map(Column::Bool),
        FieldType::String => Strings::bind(array).map(Column::Str),
        FieldType::Enum(values) => Strings::bind(array).map(|s| Column::Enum(s, values)),
        FieldType::Date => bind_dates(array).map(Column::Date),
        FieldType::DateTime => match Instants::bind(array) {
            Ok(instants) => Some(Column::DateTime(instants)),
            Err(true) => {
                return Err(BatchError::NoTimeZone {
                    column: path_text(path),
                })
            }
            Err(false) => None,
        },
        FieldType::List(item) => bind_list(array, item, path, depth)?,
        FieldType::Object(schema) => match array.as_struct_opt() {
            Some(object) => Some(bind_object(
                object,
                &schema.keys,
                &schema.types,
                path,
                depth,
            )?),
            None => None,
        },
        FieldType::Optional(_) => None,
    };
    let Some(column) = column else {
        return Err(mismatch(path));
    };
    Ok(Bound {
        column,
        nulls: array.nulls(),
        ty,
    })
}

fn bind_dates(array: &dyn Array) -> Option<Dates<'_>> {
    if let Some(strings) = Strings::bind(array) {
        return Some(Dates::Text(strings));
    }
    match array.data_type() {
        DataType::Date32 => Some(Dates::Days(array.as_primitive::<Date32Type>())),
        DataType::Date64 => Some(Dates::Millis(array.as_primitive::<Date64Type>())),
        _ => None,
    }
}

/// A list column, its items bound to `item`; `None` when the column is no list.
fn bind_list<'a>(
    array: &'a dyn Array,
    item: &'a FieldType,
    path: &mut Vec<&'a str>,
    depth: usize,
) -> Result<Option<Column<'a>>, BatchError> {
    let (offsets, values) = if let Some(list) = array.as_list_opt::<i32>() {
        (Offsets::Small(list.value_offsets()), list.values())
    } else if let Some(list) = array.as_list_opt::<i64>() {
        (Offsets::Large(list.value_offsets()), list.values())
    } else {
        return Ok(None);
    };
    path.push("[]");
    let items = bind_field(values.as_ref(), item, path, depth + 1);
    path.pop();
    Ok(Some(Column::List(offsets, Box::new(items?))))
}

/// A struct column read as an object with `keys` of `types`: each key's field found
/// by name; an absent field is null, or a missing column when it is required.
fn bind_object<'a>(
    object: &'a StructArray,
    keys: &'a Arc<[Arc<str>]>,
    types: &'a [FieldType],
    path: &mut Vec<&'a str>,
    depth: usize,
) -> Result<Column<'a>, BatchError> {
    let mut fields = Vec::with_capacity(keys.len());
    for (key, ty) in keys.iter().zip(types) {
        path.push(key);
        let bound = match object.column_by_name(key) {
            Some(child) => bind_field(child.as_ref(), ty, path, depth + 1),
            None if matches!(ty, FieldType::Optional(_) | FieldType::Any) => Ok(absent(ty)),
            None => Err(BatchError::MissingColumn {
                column: path_text(path),
                expected: ty.describe(),
            }),
        };
        path.pop();
        fields.push(bound?);
    }
    Ok(Column::Object(keys.clone(), fields))
}

/// A column read without a schema: its values as they come.
fn bind_any<'a>(
    array: &'a dyn Array,
    path: &mut Vec<&'a str>,
    depth: usize,
) -> Result<Option<Column<'a>>, BatchError> {
    if let Some(ints) = Ints::bind(array) {
        return Ok(Some(Column::Int(ints)));
    }
    if let Some(strings) = Strings::bind(array) {
        return Ok(Some(Column::Str(strings)));
    }
    if let Some(booleans) = array.as_boolean_opt() {
        return Ok(Some(Column::Bool(booleans)));
    }
    if let Some(floats) = Floats::bind(array) {
        return Ok(Some(Column::Float(floats)));
    }
    if let Some(dates) = bind_dates(array) {
        return Ok(Some(Column::Date(dates)));
    }
    match Instants::bind(array) {
        Ok(instants) => return Ok(Some(Column::DateTime(instants))),
        Err(true) => {
            return Err(BatchError::NoTimeZone {
                column: path_text(path),
            })
        }
        Err(false) => {}
    }
    if let Some(object) = array.as_struct_opt() {
        let keys: Arc<[Arc<str>]> = object
            .fields()
            .iter()
            .map(|field| Arc::from(field.name().as_str()))
            .collect();
        let mut fields = Vec::with_capacity(keys.len());
        for (field, child) in object.fields().iter().zip(object.columns()) {
            path.push(field.name());
            let bound = bind_field(child.as_ref(), &ANY, path, depth + 1);
            path.pop();
            fields.push(bound?);
        }
        return Ok(Some(Column::Object(keys, fields)));
    }
    bind_list(array, &ANY, path, depth)
}

/// Binds the `touches` column.
fn bind_touches(array: &dyn Array) -> Result<TouchColumns<'_>, BatchError> {
    let expected = "a list of {rule, channel, at} structs";
    let mismatch = |path: &[&str], found: &DataType| wrong_type(path, expected, found);
    let (offsets, values) = if let Some(list) = array.as_list_opt::<i32>() {
        (Offsets::Small(list.value_offsets()), list.values())
    } else if let Some(list) = array.as_list_opt::<i64>() {
        (Offsets::Large(list.value_offsets()), list.values())
    } else {
        return Err(mismatch(&["touches"], array.data_type()));
    };
    let Some(touch) = values.as_struct_opt() else {
        return Err(mismatch(&["touches"], array.data_type()));
    };
    let text = |name: &'static str, required: bool| {
        let Some(child) = touch.column_by_name(name) else {
            return match required {
                true => Err(BatchError::MissingColumn {
                    column: format!("touches[].{name}"),
                    expected: "string".into(),
                }),
                false => Ok(None),
            };
        };
        match Strings::bind(child.as_ref()) {
            Some(strings) => Ok(Some((strings, child.nulls()))),
            None => Err(wrong_type(
                &["touches", "[]", name],
                "string (an Arrow string column)",
                child.data_type(),
            )),
        }
    };
    let rule = text("rule", false)?;
    let channel = text("channel", true)?.ok_or(BatchError::MissingColumn {
        column: "touches[].channel".into(),
        expected: "string".into(),
    })?;
    let Some(at) = touch.column_by_name("at") else {
        return Err(BatchError::MissingColumn {
            column: "touches[].at".into(),
            expected: "datetime".into(),
        });
    };
    let instants = match Instants::bind(at.as_ref()) {
        Ok(instants) => instants,
        Err(true) => {
            return Err(BatchError::NoTimeZone {
                column: "touches[].at".into(),
            })
        }
        Err(false) => {
            return Err(wrong_type(
                &["touches", "[]", "at"],
                &accepted(&FieldType::DateTime),
                at.data_type(),
            ))
        }
    };
    Ok(TouchColumns {
        offsets,
        items: touch.nulls(),
        rule,
        channel,
        at: (instants, at.nulls()),
    })
}
