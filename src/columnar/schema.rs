//! The Arrow schemas of a playbook: the members batch its `member` block describes
//! (what a data team writes its Parquet files in), and the plans batch planning gives
//! back. Which Arrow types a column may have besides the preferred one is `bind`'s
//! business.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

use crate::compile::{FieldType, Layout, Program};

/// The zone of member date-times in [`member_schema`]: instants, shown in UTC.
const UTC: &str = "UTC";

/// The members schema of a playbook with a `member` block: one nullable column per
/// declared field, in declaration order, with `id` first when the block leaves it out
/// and `touches` last when the block leaves it out (both are read whatever the block
/// says). `None` without a `member` block.
pub(crate) fn member_schema(layout: &Layout) -> Option<SchemaRef> {
    if !layout.typed {
        return None;
    }
    let mut fields = Vec::with_capacity(layout.len() + 2);
    if layout.id_slot.is_none() {
        fields.push(Field::new("id", DataType::Utf8, true));
    }
    for (name, ty) in layout.fields.keys.iter().zip(&layout.fields.types) {
        fields.push(Field::new(name.as_ref(), member_type(ty), true));
    }
    if layout.touches_slot.is_none() {
        fields.push(Field::new("touches", touches_type(), true));
    }
    Some(Arc::new(Schema::new(fields)))
}

/// The preferred Arrow type of a field.
pub(crate) fn member_type(ty: &FieldType) -> DataType {
    match ty.required() {
        FieldType::Int => DataType::Int64,
        FieldType::Float => DataType::Float64,
        FieldType::Bool => DataType::Boolean,
        FieldType::Any | FieldType::String | FieldType::Enum(_) => DataType::Utf8,
        FieldType::Date => DataType::Date32,
        FieldType::DateTime => instant_type(Some(UTC)),
        FieldType::List(item) => {
            DataType::List(Arc::new(Field::new("item", member_type(item), true)))
        }
        FieldType::Object(schema) => DataType::Struct(
            schema
                .keys
                .iter()
                .zip(&schema.types)
                .map(|(name, ty)| Field::new(name.as_ref(), member_type(ty), true))
                .collect(),
        ),
        // `required` never gives an optional type.
        FieldType::Optional(inner) => member_type(inner),
    }
}

/// `touches`: a list of `{rule, channel, at}`.
pub(crate) fn touches_type() -> DataType {
    let touch = Fields::from(vec![
        Field::new("rule", DataType::Utf8, true),
        Field::new("channel", DataType::Utf8, true),
        Field::new("at", instant_type(Some(UTC)), true),
    ]);
    DataType::List(Arc::new(Field::new("item", DataType::Struct(touch), true)))
}

/// Instants, in microseconds (Spark's precision), labelled with a zone.
fn instant_type(zone: Option<&str>) -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, zone.map(Arc::from))
}

/// The columns of an action, in order.
pub(crate) fn action_fields(program: &Program) -> Fields {
    Fields::from(vec![
        Field::new("rule", DataType::Utf8, false),
        Field::new("verb", DataType::Utf8, false),
        Field::new("channel", DataType::Utf8, true),
        Field::new("content", DataType::Utf8, false),
        Field::new("at", instant_type(Some(&zone_label(program))), false),
        Field::new("priority", DataType::Int64, false),
        Field::new("args", DataType::Utf8, false),
    ])
}

/// The playbook's zone as Arrow writes zones: its IANA name, or its offset as
/// `+08:00` (a playbook may write `+8` or `+0800`, which Arrow does not read).
pub(crate) fn zone_label(program: &Program) -> String {
    if let Some(name) = program.zone.iana_name() {
        return name.to_string();
    }
    let seconds = program
        .zone
        .to_fixed_offset()
        .map_or(0, |offset| offset.seconds());
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.abs();
    format!("{sign}{:02}:{:02}", seconds / 3600, seconds / 60 % 60)
}

/// The columns of a suppression, in order.
pub(crate) fn suppression_fields() -> Fields {
    Fields::from(vec![
        Field::new("rule", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("channel", DataType::Utf8, true),
    ])
}

/// The columns of an error, in order. (Both are nullable: a planned row has a null
/// error, and Arrow readers such as pyarrow want its fields to say they may be null.)
pub(crate) fn error_fields() -> Fields {
    Fields::from(vec![
        Field::new("rule", DataType::Utf8, true),
        Field::new("message", DataType::Utf8, true),
    ])
}

/// The variant columns: one per experiment, in declaration order (null in the rows
/// of members that got no plan).
pub(crate) fn variant_fields(program: &Program) -> Fields {
    program
        .experiments
        .iter()
        .map(|e| Field::new(e.name.as_ref(), DataType::Utf8, true))
        .collect()
}

/// A list of structs.
pub(crate) fn list_of(fields: Fields) -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Struct(fields), true)))
}

/// The plans schema: `member`, `stage`, `holdout`, `variants` (only when the playbook
/// has experiments), `actions`, `suppressed`, `error`.
pub(crate) fn plan_schema(program: &Program) -> SchemaRef {
    let mut fields = vec![
        Field::new("member", DataType::Utf8, true),
        Field::new("stage", DataType::Utf8, true),
        Field::new("holdout", DataType::Boolean, true),
    ];
    if !program.experiments.is_empty() {
        let variants = DataType::Struct(variant_fields(program));
        fields.push(Field::new("variants", variants, true));
    }
    fields.extend([
        Field::new("actions", list_of(action_fields(program)), true),
        Field::new("suppressed", list_of(suppression_fields()), true),
        Field::new("error", DataType::Struct(error_fields()), true),
    ]);
    Arc::new(Schema::new(fields))
}
