//! A test's snapshot literal (`member { … }`) turned into the JSON value a member
//! snapshot would be, so the test goes through the same decoding as `siyu run`.

use crate::ast::{DataKind, DataValue};

/// The JSON value of a data literal: names and strings as keys alike, integers and
/// floats as JSON numbers, dates left as the strings they are written as.
///
/// The parser bounds how deeply literals nest, so the recursion here is bounded too.
pub(crate) fn to_json(value: &DataValue) -> serde_json::Value {
    match &value.kind {
        DataKind::Null => serde_json::Value::Null,
        DataKind::Bool(flag) => serde_json::Value::Bool(*flag),
        DataKind::Int(number) => serde_json::Value::from(*number),
        DataKind::Float(number) => serde_json::Number::from_f64(*number)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        DataKind::Str(text) => serde_json::Value::String(text.clone()),
        DataKind::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        DataKind::Object(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(key, value)| (key.name.clone(), to_json(value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Ident;
    use crate::diagnostics::Span;

    fn data(kind: DataKind) -> DataValue {
        DataValue {
            kind,
            span: Span::default(),
        }
    }

    fn key(name: &str) -> Ident {
        Ident {
            name: name.to_string(),
            span: Span::default(),
        }
    }

    #[test]
    fn literals_become_the_json_a_snapshot_line_would_hold() {
        let literal = data(DataKind::Object(vec![
            (key("id"), data(DataKind::Str("t1".into()))),
            (key("orders"), data(DataKind::Int(2))),
            (key("spend"), data(DataKind::Float(99.5))),
            (key("vip"), data(DataKind::Bool(true))),
            (key("nickname"), data(DataKind::Null)),
            (
                key("tags"),
                data(DataKind::List(vec![data(DataKind::Str("a".into()))])),
            ),
        ]));
        let expected = serde_json::json!({
            "id": "t1", "orders": 2, "spend": 99.5, "vip": true, "nickname": null, "tags": ["a"]
        });
        assert_eq!(to_json(&literal), expected);
    }

    #[test]
    fn a_float_json_cannot_hold_becomes_null() {
        assert_eq!(
            to_json(&data(DataKind::Float(f64::NAN))),
            serde_json::Value::Null
        );
    }
}
