//! What the Arrow and Parquet tests share: JSON snapshots turned into a members batch
//! of a given schema (as a data team's pipeline would write them), and plans batches
//! read back as the JSON values `siyu run` writes, to compare the two paths.
#![allow(dead_code)] // each test file uses some of these

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, ListArray, RecordBatch,
    StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, Field, SchemaRef, TimeUnit};
use serde_json::{Map, Value};

/// A batch of `schema` holding `rows`: each field read from the JSON value of the
/// same name; dates and date-times from their text. Values of the wrong JSON type are
/// nulls.
pub fn batch(schema: &SchemaRef, rows: &[Value]) -> RecordBatch {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let values: Vec<&Value> = rows
                .iter()
                .map(|row| row.get(field.name()).unwrap_or(&Value::Null))
                .collect();
            array(field.data_type(), &values)
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns).expect("a valid batch")
}

/// The JSON Lines of a file, as values.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn array(ty: &DataType, values: &[&Value]) -> ArrayRef {
    match ty {
        DataType::Int64 => Arc::new(Int64Array::from_iter(values.iter().map(|v| v.as_i64()))),
        DataType::Float64 => Arc::new(Float64Array::from_iter(values.iter().map(|v| v.as_f64()))),
        DataType::Boolean => Arc::new(BooleanArray::from_iter(values.iter().map(|v| v.as_bool()))),
        DataType::Utf8 => Arc::new(StringArray::from_iter(values.iter().map(|v| v.as_str()))),
        DataType::Date32 => Arc::new(Date32Array::from_iter(values.iter().map(|v| {
            let date: jiff::civil::Date = v.as_str()?.parse().ok()?;
            let days = date.since(jiff::civil::date(1970, 1, 1)).ok()?.get_days();
            Some(days)
        }))),
        DataType::Timestamp(TimeUnit::Microsecond, zone) => {
            let micros = values.iter().map(|v| {
                let at: jiff::Timestamp = v.as_str()?.parse().ok()?;
                Some(at.as_microsecond())
            });
            Arc::new(TimestampMicrosecondArray::from_iter(micros).with_timezone_opt(zone.clone()))
        }
        DataType::List(item) => {
            let mut offsets = vec![0i32];
            let mut items = Vec::new();
            let mut valid = Vec::new();
            for value in values {
                if let Some(list) = value.as_array() {
                    items.extend(list.iter());
                }
                offsets.push(items.len() as i32);
                valid.push(value.is_array());
            }
            let items = array(item.data_type(), &items);
            let list = ListArray::try_new(
                item.clone(),
                OffsetBuffer::new(offsets.into()),
                items,
                Some(NullBuffer::from(valid)),
            );
            Arc::new(list.expect("a valid list"))
        }
        DataType::Struct(fields) => {
            let null = Value::Null;
            let children = fields
                .iter()
                .map(|field| {
                    let column: Vec<&Value> = values
                        .iter()
                        .map(|v| v.get(field.name()).unwrap_or(&null))
                        .collect();
                    array(field.data_type(), &column)
                })
                .collect();
            let valid: Vec<bool> = values.iter().map(|v| v.is_object()).collect();
            let structs =
                StructArray::try_new(fields.clone(), children, Some(NullBuffer::from(valid)));
            Arc::new(structs.expect("a valid struct"))
        }
        other => panic!("the tests build no {other} column"),
    }
}

/// The rows of a plans batch as the JSON values of plan lines (`at` in the playbook's
/// zone, `args` parsed), and each row's error message, if any.
pub fn plans(batch: &RecordBatch, zone: &jiff::tz::TimeZone) -> Vec<Result<Value, String>> {
    let column = |name: &str| batch.column_by_name(name).expect(name).clone();
    let member = column("member");
    let (member, stage) = (member.as_string::<i32>(), column("stage"));
    let holdout = column("holdout");
    let variants = batch.column_by_name("variants").cloned();
    let (actions, suppressed, error) = (column("actions"), column("suppressed"), column("error"));
    let error = error.as_struct();
    (0..batch.num_rows())
        .map(|row| {
            if error.is_valid(row) {
                return Err(error
                    .column_by_name("message")
                    .expect("message")
                    .as_string::<i32>()
                    .value(row)
                    .to_string());
            }
            let mut plan = Map::new();
            plan.insert("member".into(), member.value(row).into());
            plan.insert("stage".into(), text(&stage, row));
            plan.insert("holdout".into(), holdout.as_boolean().value(row).into());
            if let Some(variants) = &variants {
                let variants = variants.as_struct();
                let map: Map<String, Value> = variants
                    .fields()
                    .iter()
                    .zip(variants.columns())
                    .map(|(field, values)| (field.name().clone(), text(values, row)))
                    .collect();
                plan.insert("variants".into(), map.into());
            }
            plan.insert("actions".into(), items(&actions, row, zone));
            plan.insert("suppressed".into(), items(&suppressed, row, zone));
            Ok(Value::Object(plan))
        })
        .collect()
}

fn text(array: &ArrayRef, row: usize) -> Value {
    if array.is_null(row) {
        Value::Null
    } else {
        array.as_string::<i32>().value(row).into()
    }
}

/// The structs of a list cell as JSON objects, null fields left out (as plan lines
/// leave out a missing channel).
fn items(list: &ArrayRef, row: usize, zone: &jiff::tz::TimeZone) -> Value {
    let cell = list.as_list::<i32>().value(row);
    let structs = cell.as_struct();
    let objects = (0..structs.len()).map(|index| {
        let mut object = Map::new();
        for (field, values) in structs.fields().iter().zip(structs.columns()) {
            if values.is_null(index) {
                continue;
            }
            let value = match (field.name().as_str(), values.data_type()) {
                ("args", _) => serde_json::from_str(values.as_string::<i32>().value(index))
                    .expect("args are JSON"),
                (_, DataType::Int64) => values.as_primitive::<Int64Type>().value(index).into(),
                (_, DataType::Timestamp(..)) => {
                    let micros = values
                        .as_primitive::<TimestampMicrosecondType>()
                        .value(index);
                    let at = jiff::Timestamp::from_microsecond(micros).expect("an instant");
                    siyu::format_rfc3339(&at.to_zoned(zone.clone())).into()
                }
                _ => values.as_string::<i32>().value(index).into(),
            };
            object.insert(field.name().clone(), value);
        }
        Value::Object(object)
    });
    Value::Array(objects.collect())
}

/// A field of the given type.
pub fn field(name: &str, ty: DataType) -> Field {
    Field::new(name, ty, true)
}
