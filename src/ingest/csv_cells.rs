//! A CSV record turned into a JSON snapshot, typed by the schema: `a.b` headers build
//! nested objects, list cells are split on `;`, numbers and booleans are parsed where
//! the schema asks for them (a cell that does not parse is kept as text, so decoding
//! reports it as the wrong type).
//!
//! An empty cell is a missing value, except for a required `string` (the empty
//! string) and a list (the empty list). Without a schema, a cell reads as an integer,
//! a number, `true`/`false`, or else text. A `touches` cell holds the JSON list.

use serde_json::{Map, Number, Value as Json};

use crate::compile::{FieldType, Layout};
use crate::plan::{ErrorKind, MemberError};

/// The snapshot of one CSV record.
pub(crate) fn record_to_json(
    layout: &Layout,
    header: &[String],
    cells: &csv::StringRecord,
) -> Result<Json, MemberError> {
    if cells.len() != header.len() {
        return Err(MemberError {
            kind: ErrorKind::Malformed,
            member: None,
            rule: None,
            message: format!(
                "expected {} cells as in the header, found {}",
                header.len(),
                cells.len()
            ),
        });
    }
    let mut root = Map::new();
    for (name, cell) in header.iter().zip(cells.iter()) {
        let path: Vec<&str> = name.split('.').map(str::trim).collect();
        let ty = type_at(layout, &path);
        let Some(value) = cell_value(ty.as_ref(), &path, cell) else {
            continue;
        };
        insert(&mut root, &path, value);
    }
    Ok(Json::Object(root))
}

/// The declared type at a header path (`None` without a schema or for an unknown
/// field).
fn type_at(layout: &Layout, path: &[&str]) -> Option<FieldType> {
    if !layout.typed {
        return None;
    }
    let (first, rest) = path.split_first()?;
    let (_, mut ty) = layout.fields.field(first)?;
    for part in rest {
        let FieldType::Object(schema) = ty.required() else {
            return None;
        };
        ty = schema.field(part)?.1;
    }
    Some(ty.clone())
}

fn cell_value(ty: Option<&FieldType>, path: &[&str], cell: &str) -> Option<Json> {
    let trimmed = cell.trim();
    if path == ["touches"] {
        return (!trimmed.is_empty())
            .then(|| serde_json::from_str(trimmed).unwrap_or(Json::String(cell.into())));
    }
    let Some(ty) = ty else {
        return (!trimmed.is_empty()).then(|| untyped(trimmed, cell));
    };
    match ty {
        FieldType::String if trimmed.is_empty() => Some(Json::String(String::new())),
        FieldType::List(_) if trimmed.is_empty() => Some(Json::Array(Vec::new())),
        _ if trimmed.is_empty() => None,
        _ => Some(typed(ty, trimmed, cell)),
    }
}

fn typed(ty: &FieldType, trimmed: &str, cell: &str) -> Json {
    let text = || Json::String(cell.to_string());
    match ty.required() {
        FieldType::Int => trimmed.parse::<i64>().map_or_else(|_| text(), Json::from),
        FieldType::Float => trimmed
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(text, Json::Number),
        FieldType::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => text(),
        },
        FieldType::List(inner) => Json::Array(
            trimmed
                .split(';')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| typed(inner, item, item))
                .collect(),
        ),
        FieldType::Object(_) | FieldType::Any => {
            serde_json::from_str(trimmed).unwrap_or_else(|_| text())
        }
        FieldType::String => text(),
        _ => Json::String(trimmed.to_string()),
    }
}

fn untyped(trimmed: &str, cell: &str) -> Json {
    if let Ok(i) = trimmed.parse::<i64>() {
        return Json::from(i);
    }
    if let Some(number) = trimmed.parse::<f64>().ok().and_then(Number::from_f64) {
        return Json::Number(number);
    }
    match trimmed {
        "true" => Json::Bool(true),
        "false" => Json::Bool(false),
        _ => Json::String(cell.to_string()),
    }
}

fn insert(root: &mut Map<String, Json>, path: &[&str], value: Json) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut object = root;
    for part in parents {
        let entry = object
            .entry(part.to_string())
            .or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        let Json::Object(inner) = entry else { return };
        object = inner;
    }
    object.insert(last.to_string(), value);
}
