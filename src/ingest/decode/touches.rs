//! A snapshot's `touches`: a list of `{rule?, channel, at}`, read straight into
//! [`Touch`]es. Rule and channel names are looked up as they are read and the time is
//! parsed from the text; no value tree is built for a well-formed touch. A bad touch is
//! reported the same way whether it came from JSON text or from a value: the first
//! problem in the order `rule`, `channel`, `at`, at its field path.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{
    describe_value, found_string, parse_datetime, too_long, DepthGuard, KeyText, PathPart, State,
    ValueSeed,
};
use crate::compile::FieldType;
use crate::eval::expr::Touch;
use crate::eval::value::Value;
use crate::limits::MAX_LIST_ITEMS;

const TOUCHES_EXPECTED: &str = "expected a list of {rule, channel, at} touches";

/// `touches` in JSON text, read into the member's list (which it replaces).
pub(super) struct TouchesSeed<'s, 'p, 't>(pub &'s State<'p>, pub &'t mut Vec<Touch>);

impl<'de> DeserializeSeed<'de> for TouchesSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TouchesSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of touches")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.1.clear();
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let TouchesSeed(state, touches) = self;
        touches.clear();
        loop {
            let index = touches.len();
            let touch = seq
                .next_element_seed(TouchSeed(state))
                .map_err(|error| state.within(|| PathPart::Index(index), error))?;
            let Some(touch) = touch else {
                break;
            };
            if index == MAX_LIST_ITEMS {
                return Err(state.fail(too_long("list", "items")));
            }
            touches.push(touch);
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.fail(TOUCHES_EXPECTED.into()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.0.fail(TOUCHES_EXPECTED.into()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.0.fail(TOUCHES_EXPECTED.into()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.0.fail(TOUCHES_EXPECTED.into()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.0.fail(TOUCHES_EXPECTED.into()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.0.fail(TOUCHES_EXPECTED.into()))
    }
}

/// One touch in JSON text.
struct TouchSeed<'s, 'p>(&'s State<'p>);

impl<'de> DeserializeSeed<'de> for TouchSeed<'_, '_> {
    type Value = Touch;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Touch, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'s, 'p> TouchSeed<'s, 'p> {
    /// Anything but an object: read it as a value, for the message.
    fn not_a_touch<E: de::Error>(&self, value: Result<Value, E>) -> Result<Touch, E> {
        let found = describe_value(&value?);
        Err(self.0.fail(format!(
            "expected a touch {{rule, channel, at}}, found {found}"
        )))
    }

    fn any(&self) -> ValueSeed<'s, 'p> {
        ValueSeed {
            ty: &FieldType::Any,
            state: self.0,
        }
    }
}

impl<'de> Visitor<'de> for TouchSeed<'_, '_> {
    type Value = Touch;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a touch")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Touch, A::Error> {
        let state = self.0;
        let _depth = DepthGuard::enter(state)?;
        let (mut rule, mut channel, mut at) = (Field::Absent, Field::Absent, Field::Absent);
        while let Some(key) = map.next_key_seed(KeyText)? {
            let (name, target) = match &*key {
                "rule" => ("rule", &mut rule),
                "channel" => ("channel", &mut channel),
                "at" => ("at", &mut at),
                _ => {
                    // Other keys are read (and checked for depth) like any value.
                    map.next_value_seed(self.any()).map_err(|error| {
                        state.within(|| PathPart::Key(key.as_ref().into()), error)
                    })?;
                    continue;
                }
            };
            *target = map
                .next_value_seed(FieldSeed(state))
                .map_err(|error| state.within(|| PathPart::Field(name), error))?;
        }
        resolve(state, rule, channel, at)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Touch, E> {
        self.not_a_touch(Ok(Value::Null))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Touch, E> {
        self.not_a_touch(self.any().visit_bool(b))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Touch, E> {
        self.not_a_touch(self.any().visit_i64(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Touch, E> {
        self.not_a_touch(self.any().visit_u64(u))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Touch, E> {
        self.not_a_touch(self.any().visit_f64(f))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Touch, E> {
        self.not_a_touch(self.any().visit_str(text))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Touch, A::Error> {
        let list = self.any().visit_seq(seq);
        self.not_a_touch(list)
    }
}

/// A touch's field as read: text kept as it is (borrowed from the line when it can
/// be), anything else as a value for the message.
enum Field<'de> {
    Absent,
    Text(Cow<'de, str>),
    Other(Value),
}

struct FieldSeed<'s, 'p>(&'s State<'p>);

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = Field<'de>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Field<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'s, 'p> FieldSeed<'s, 'p> {
    fn any(&self) -> ValueSeed<'s, 'p> {
        ValueSeed {
            ty: &FieldType::Any,
            state: self.0,
        }
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_> {
    type Value = Field<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Borrowed(text)))
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Field<'de>, E> {
        Ok(Field::Text(Cow::Owned(text.to_owned())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Field<'de>, E> {
        Ok(Field::Other(Value::Null))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Field<'de>, E> {
        self.any().visit_bool(b).map(Field::Other)
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Field<'de>, E> {
        self.any().visit_i64(i).map(Field::Other)
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Field<'de>, E> {
        self.any().visit_u64(u).map(Field::Other)
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Field<'de>, E> {
        self.any().visit_f64(f).map(Field::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field<'de>, A::Error> {
        self.any().visit_seq(seq).map(Field::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field<'de>, A::Error> {
        self.any().visit_map(map).map(Field::Other)
    }
}

/// Checks a touch's fields in the order `rule`, `channel`, `at` and resolves them.
fn resolve<E: de::Error>(
    state: &State<'_>,
    rule: Field<'_>,
    channel: Field<'_>,
    at: Field<'_>,
) -> Result<Touch, E> {
    let program = state.program;
    let rule = match rule {
        Field::Absent | Field::Other(Value::Null) => None,
        Field::Text(name) => program.rule_ids.get(&name),
        Field::Other(other) => {
            let found = describe_value(&other);
            return Err(state.fail_at(Some("rule"), format!("expected a rule name, found {found}")));
        }
    };
    let channel = match channel {
        Field::Text(name) => program.channel_ids.get(&name),
        Field::Absent => return Err(state.fail_at(Some("channel"), "missing field".into())),
        Field::Other(other) => {
            let found = describe_value(&other);
            return Err(state.fail_at(
                Some("channel"),
                format!("expected a channel name, found {found}"),
            ));
        }
    };
    let at = match at {
        Field::Text(text) => match parse_datetime(&text) {
            Some(at) => at,
            None => {
                let message = format!(
                    "expected datetime (RFC 3339), found {}",
                    found_string(&text)
                );
                return Err(state.fail_at(Some("at"), message));
            }
        },
        Field::Absent => return Err(state.fail_at(Some("at"), "missing field".into())),
        Field::Other(other) => {
            let message = format!(
                "expected datetime (RFC 3339), found {}",
                describe_value(&other)
            );
            return Err(state.fail_at(Some("at"), message));
        }
    };
    Ok(Touch { rule, channel, at })
}

/// `touches` declared in the schema, and so already decoded as a value.
pub(super) fn touches_from_value<E: de::Error>(
    state: &State<'_>,
    value: &Value,
) -> Result<Vec<Touch>, E> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::List(items) => {
            let mut touches = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let touch = touch_from_value(state, item)
                    .map_err(|error| state.within(|| PathPart::Index(i), error))?;
                touches.push(touch);
            }
            Ok(touches)
        }
        _ => Err(state.fail(TOUCHES_EXPECTED.into())),
    }
}

fn touch_from_value<E: de::Error>(state: &State<'_>, value: &Value) -> Result<Touch, E> {
    let Value::Object(object) = value else {
        return Err(state.fail(format!(
            "expected a touch {{rule, channel, at}}, found {}",
            describe_value(value)
        )));
    };
    let field = |name: &str| {
        if object.fields().all(|(key, _)| key != name) {
            return Field::Absent;
        }
        match object.get(name) {
            Value::Str(text) => Field::Text(Cow::Borrowed(&**text)),
            Value::DateTime(at) if name == "at" => Field::Text(Cow::Owned(at.to_string())),
            other => Field::Other(other.clone()),
        }
    };
    resolve(state, field("rule"), field("channel"), field("at"))
}

#[cfg(test)]
mod tests {
    use super::super::{decode_text, decode_value};
    use crate::playbook::Playbook;

    const PLAYBOOK: &str = r#"
        playbook "t" {}
        member { id: string }
        channel dm {}
        rule hello { then send "hi" via dm }
    "#;

    /// A decoded touch: rule, channel, time.
    type Decoded = (Option<u32>, Option<u32>, String);

    /// Decodes a snapshot from text and from a value; both must agree.
    fn decoded(json: &str) -> Result<Vec<Decoded>, String> {
        let playbook = Playbook::from_source("t.rules", PLAYBOOK).expect("compiles");
        let program = playbook.program();
        let value: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
        let from_text = decode_text(program, json);
        let from_value = decode_value(program, &value);
        assert_eq!(
            from_text, from_value,
            "text and value decoding differ on {json}"
        );
        from_text
            .map(|member| {
                let touches = member.touches.iter();
                touches
                    .map(|t| (t.rule, t.channel, t.at.to_string()))
                    .collect()
            })
            .map_err(|error| error.message)
    }

    #[test]
    fn touches_resolve_rules_and_channels_by_name() {
        let json = r#"{"id":"a","touches":[
            {"rule":"hello","channel":"dm","at":"2026-11-24T10:00:00+08:00","note":[1]},
            {"channel":"sms","at":"2026-11-24T10:00:00Z"},
            {"rule":null,"channel":"dm","at":"2026-11-24T10:00:00Z","rule":"other"}]}"#;
        let expected = vec![
            (Some(0), Some(0), "2026-11-24T02:00:00Z".to_string()),
            (None, None, "2026-11-24T10:00:00Z".to_string()),
            (None, Some(0), "2026-11-24T10:00:00Z".to_string()),
        ];
        assert_eq!(decoded(json), Ok(expected));
        assert_eq!(decoded(r#"{"id":"a","touches":null}"#), Ok(Vec::new()));
    }

    #[test]
    fn the_first_bad_field_is_reported_in_rule_channel_at_order() {
        let cases = [
            (
                r#"[{"rule":3,"at":"x"}]"#,
                "field `touches[0].rule`: expected a rule name, found integer 3",
            ),
            (r#"[{"at":"x"}]"#, "missing field `touches[0].channel`"),
            (
                r#"[{"channel":null,"at":"x"}]"#,
                "field `touches[0].channel`: expected a channel name, found null",
            ),
            (
                r#"[{"channel":"dm","at":"soon"}]"#,
                "field `touches[0].at`: expected datetime (RFC 3339), found string \"soon\"",
            ),
            (
                r#"[{"channel":"dm","at":[1]}]"#,
                "field `touches[0].at`: expected datetime (RFC 3339), found a list",
            ),
            (r#"[{"channel":"dm"}]"#, "missing field `touches[0].at`"),
            (
                r#"[{"channel":"dm","at":"2026-11-24T10:00:00Z"}, "x"]"#,
                "field `touches[1]`: expected a touch {rule, channel, at}, found string \"x\"",
            ),
            (
                r#"{"channel":"dm"}"#,
                "field `touches`: expected a list of {rule, channel, at} touches",
            ),
        ];
        for (touches, message) in cases {
            let json = format!(r#"{{"id":"a","touches":{touches}}}"#);
            assert_eq!(decoded(&json), Err(message.to_string()), "{touches}");
        }
    }
}
