//! Example members: a snapshot valid under the schema, with the fields a conjunction
//! constrains set to values that satisfy it and every other field at a plain default.

use serde_json::{json, Map, Value as Json};

use super::logic::{field_set, Atom, Choice, Path};
use crate::compile::{FieldType, ObjectSchema, Program};

/// The id example members get.
pub(crate) const EXAMPLE_ID: &str = "example";

/// Whether the field at `path` may be null (it, or an object on the way, is optional).
pub(crate) fn nullable(program: &Program, path: &Path) -> bool {
    let mut object: &ObjectSchema = &program.layout.fields;
    for (depth, index) in path.iter().enumerate() {
        let Some(ty) = object.types.get(*index as usize) else {
            return true;
        };
        if matches!(ty, FieldType::Optional(_) | FieldType::Any) {
            return true;
        }
        match ty.required() {
            FieldType::Object(inner) if depth + 1 < path.len() => object = inner,
            _ => return false,
        }
    }
    false
}

/// A snapshot satisfying the field constraints of `conjunction`, or `None` when one of
/// its fields cannot be given a value (the procedure said it could, so this is rare:
/// a value the decoder would refuse, such as a float in an int field).
pub(crate) fn snapshot(program: &Program, conjunction: &[(Atom, bool)]) -> Option<Json> {
    let mut root = defaults(&program.layout.fields);
    let mut paths: Vec<&Path> = Vec::new();
    for (atom, _) in conjunction {
        let path = match atom {
            Atom::Number { path, .. }
            | Atom::Text { path, .. }
            | Atom::Bool { path, .. }
            | Atom::Null { path } => path,
            Atom::Opaque(_) => continue,
        };
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    for path in paths {
        let choice = field_set(conjunction, path, nullable(program, path))?;
        set(&mut root, &program.layout.fields, path, &choice)?;
    }
    if let Some(slot) = program.layout.id_slot {
        let name = program.layout.fields.keys.get(slot as usize)?;
        let id = match program.layout.id_type {
            Some(crate::compile::IdType::Int) => json!(1),
            _ => json!(EXAMPLE_ID),
        };
        root.insert(name.to_string(), id);
    }
    Some(Json::Object(root))
}

/// Every field of an object at a plain default: 0, 0.0, false, `""`-free text, the
/// enum's first value, empty lists, nested objects filled, optional fields null.
fn defaults(object: &ObjectSchema) -> Map<String, Json> {
    object
        .keys
        .iter()
        .zip(&object.types)
        .map(|(key, ty)| (key.to_string(), default(ty)))
        .collect()
}

fn default(ty: &FieldType) -> Json {
    match ty {
        FieldType::Any | FieldType::Optional(_) => Json::Null,
        FieldType::Int => json!(0),
        FieldType::Float => json!(0.0),
        FieldType::Bool => json!(false),
        FieldType::String => json!("example"),
        FieldType::Date => json!("2026-01-01"),
        FieldType::DateTime => json!("2026-01-01T00:00:00+08:00"),
        FieldType::Enum(values) => values.first().map_or(Json::Null, |v| json!(&**v)),
        FieldType::List(_) => json!([]),
        FieldType::Object(object) => Json::Object(defaults(object)),
    }
}

/// Sets the field at `path` to `choice`, creating optional objects on the way (or,
/// for a null, nulling the nearest optional object when the field itself is not).
fn set(
    root: &mut Map<String, Json>,
    schema: &ObjectSchema,
    path: &[u32],
    choice: &Choice,
) -> Option<()> {
    let (first, rest) = path.split_first()?;
    let key = schema.keys.get(*first as usize)?.to_string();
    let ty = schema.types.get(*first as usize)?;
    if rest.is_empty() {
        let value = match (choice, ty.required()) {
            (Choice::Null, _) => Json::Null,
            (Choice::Any, required) => match default(required) {
                Json::Null => json!("example"),
                value => value,
            },
            (Choice::Number(n), FieldType::Int) => json!(*n as i64),
            (Choice::Number(n), _) => json!(n),
            (Choice::Text(text), _) => json!(&**text),
            (Choice::Bool(b), _) => json!(b),
        };
        root.insert(key, value);
        return Some(());
    }
    let FieldType::Object(inner) = ty.required() else {
        return None;
    };
    let entry = root.entry(key).or_insert(Json::Null);
    if entry.is_null() {
        *entry = Json::Object(defaults(inner));
    }
    let Json::Object(map) = entry else {
        return None;
    };
    set(map, inner, rest, choice)
}
