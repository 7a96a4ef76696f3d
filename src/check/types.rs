//! The checker's types: what every expression is statically known to be, and the
//! schema the `member` block declares. Evaluation has its own value types; these exist
//! only to find mistakes before any member is read.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use indexmap::IndexMap;

use super::Context;
use crate::ast::{FieldDecl, MemberDecl, TypeExpr, TypeKind};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, Span};

/// The static type of an expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Type {
    /// Not known (no schema, or an error already reported): accepted everywhere.
    Unknown,
    /// The `null` literal.
    Null,
    Bool,
    Int,
    Float,
    String,
    Date,
    DateTime,
    Duration,
    /// A time of day (`19:30`).
    Time,
    /// A string that takes one of these values.
    Enum(Rc<[String]>),
    List(Box<Type>),
    Object(Rc<ObjectType>),
}

/// The fields of an object type (the schema itself is one).
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct ObjectType {
    /// The fields in declaration order.
    pub fields: IndexMap<String, FieldInfo>,
    /// Where a nested object's type (`{ dm: bool }`) is written in the `member` block.
    pub declared: Option<Span>,
}

/// One declared field.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FieldInfo {
    /// Its type (for `T?`, the `T`).
    pub ty: Type,
    /// Declared `T?`: may be null or missing.
    pub optional: bool,
    /// The field's name where it was declared.
    pub span: Span,
}

impl ObjectType {
    /// The names of the fields, for "did you mean".
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }
}

/// The type names a schema may use, for "did you mean".
const TYPE_NAMES: &[&str] = &["int", "float", "bool", "string", "date", "datetime"];

impl Type {
    /// Known to be a number (`int` or `float`).
    pub fn is_number(&self) -> bool {
        matches!(self, Type::Int | Type::Float)
    }

    /// Known to be text (`string` or an enum).
    pub fn is_text(&self) -> bool {
        matches!(self, Type::String | Type::Enum(_))
    }

    /// Accepted where nothing is known: `Unknown` or the `null` literal.
    pub fn is_open(&self) -> bool {
        matches!(self, Type::Unknown | Type::Null)
    }

    /// Usable as a condition: `bool`, `null` (false) or unknown.
    pub fn is_condition(&self) -> bool {
        matches!(self, Type::Bool) || self.is_open()
    }

    /// Whether `==` between the two can be true for some values.
    pub fn comparable(&self, other: &Type) -> bool {
        if self.is_open() || other.is_open() {
            return true;
        }
        match (self, other) {
            (Type::List(a), Type::List(b)) => a.comparable(b),
            (Type::Object(_), Type::Object(_)) => true,
            _ => self.orderable(other) || (*self == Type::Bool && *other == Type::Bool),
        }
    }

    /// Whether `<` between the two means something.
    pub fn orderable(&self, other: &Type) -> bool {
        if self.is_open() || other.is_open() {
            return true;
        }
        (self.is_number() && other.is_number())
            || (self.is_text() && other.is_text())
            || matches!(
                (self, other),
                (Type::Date, Type::Date)
                    | (Type::DateTime, Type::DateTime)
                    | (Type::Duration, Type::Duration)
                    | (Type::Time, Type::Time)
            )
    }

    /// The type both may be seen as (a list's items, the two sides of `??`), if any.
    pub fn unify(&self, other: &Type) -> Option<Type> {
        match (self, other) {
            (Type::Unknown, _) | (_, Type::Unknown) => Some(Type::Unknown),
            (Type::Null, t) | (t, Type::Null) => Some(t.clone()),
            (a, b) if a == b => Some(a.clone()),
            (a, b) if a.is_number() && b.is_number() => Some(Type::Float),
            (a, b) if a.is_text() && b.is_text() => Some(Type::String),
            (Type::List(a), Type::List(b)) => a.unify(b).map(|t| Type::List(Box::new(t))),
            (Type::Object(_), Type::Object(_)) => Some(Type::Unknown),
            _ => None,
        }
    }

    /// The enum values, if this is an enum.
    pub fn enum_values(&self) -> Option<&[String]> {
        match self {
            Type::Enum(values) => Some(values),
            _ => None,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Unknown => f.write_str("unknown"),
            Type::Null => f.write_str("null"),
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::String => f.write_str("string"),
            Type::Date => f.write_str("date"),
            Type::DateTime => f.write_str("datetime"),
            Type::Duration => f.write_str("duration"),
            Type::Time => f.write_str("time of day"),
            Type::Enum(values) => {
                let shown: Vec<String> = values.iter().take(4).map(|v| format!("{v:?}")).collect();
                f.write_str(&shown.join(" | "))?;
                if values.len() > 4 {
                    f.write_str(" | …")?;
                }
                Ok(())
            }
            Type::List(item) => write!(f, "[{item}]"),
            Type::Object(_) => f.write_str("object"),
        }
    }
}

/// Builds the schema of a `member` block, reporting unknown types, duplicate fields and
/// an `id` declared as anything but `string` or `int`.
pub(super) fn schema_of(member: &MemberDecl, cx: &mut Context) -> Rc<ObjectType> {
    let schema = object_of(&member.fields, None, cx);
    if let Some(id) = member.fields.iter().find(|f| f.name.name == "id") {
        let plain = matches!(id.ty.kind, TypeKind::String | TypeKind::Int);
        let unknown = matches!(id.ty.kind, TypeKind::Unknown(_));
        if !plain && !unknown {
            cx.push(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "the member `id` must be declared `string` or `int`",
                    id.ty.span,
                )
                .with_label("every snapshot carries an id")
                .with_help("write `id: string` or `id: int`, or leave `id` out of the schema"),
            );
        }
    }
    schema
}

fn object_of(fields: &[FieldDecl], declared: Option<Span>, cx: &mut Context) -> Rc<ObjectType> {
    let mut object = ObjectType {
        declared,
        ..ObjectType::default()
    };
    let mut first: HashMap<&str, Span> = HashMap::new();
    for field in fields {
        let name = field.name.name.as_str();
        if let Some(&earlier) = first.get(name) {
            cx.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("field `{name}` is declared twice"),
                    field.name.span,
                )
                .with_label("declared again here")
                .with_secondary("first declared here", earlier)
                .with_help("remove one of the two declarations"),
            );
            continue;
        }
        first.insert(name, field.name.span);
        let (ty, optional) = field_type(&field.ty, cx);
        object.fields.insert(
            name.to_string(),
            FieldInfo {
                ty,
                optional,
                span: field.name.span,
            },
        );
    }
    Rc::new(object)
}

/// The type a type expression declares, and whether it is optional (`T?`).
fn field_type(ty: &TypeExpr, cx: &mut Context) -> (Type, bool) {
    match &ty.kind {
        TypeKind::Optional(inner) => (field_type(inner, cx).0, true),
        _ => (type_of(ty, cx), false),
    }
}

fn type_of(ty: &TypeExpr, cx: &mut Context) -> Type {
    match &ty.kind {
        TypeKind::Int => Type::Int,
        TypeKind::Float => Type::Float,
        TypeKind::Bool => Type::Bool,
        TypeKind::String => Type::String,
        TypeKind::Date => Type::Date,
        TypeKind::DateTime => Type::DateTime,
        TypeKind::List(item) => Type::List(Box::new(field_type(item, cx).0)),
        TypeKind::Object(fields) => Type::Object(object_of(fields, Some(ty.span), cx)),
        TypeKind::Enum(values) => Type::Enum(
            values
                .iter()
                .map(|v| v.value.clone())
                .collect::<Vec<_>>()
                .into(),
        ),
        TypeKind::Optional(inner) => field_type(inner, cx).0,
        TypeKind::Unknown(name) => {
            let mut diagnostic = Diagnostic::error(
                codes::UNKNOWN_TYPE,
                format!("unknown type `{name}`"),
                ty.span,
            )
            .with_label("not a type");
            diagnostic = match did_you_mean(name, TYPE_NAMES.iter().copied()).or(alias(name)) {
                Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                None => diagnostic.with_help(
                    "the types are `int`, `float`, `bool`, `string`, `date`, `datetime`, \
                     `[T]`, `{ f: T }`, `\"a\" | \"b\"` and `T?`",
                ),
            };
            cx.push(diagnostic);
            Type::Unknown
        }
    }
}

/// Common names from other languages for the schema's types.
fn alias(name: &str) -> Option<&'static str> {
    match name.to_lowercase().as_str() {
        "integer" | "i64" | "long" => Some("int"),
        "double" | "f64" | "decimal" | "real" | "number" => Some("float"),
        "boolean" => Some("bool"),
        "str" | "text" => Some("string"),
        "timestamp" | "date_time" => Some("datetime"),
        _ => None,
    }
}

/// The names close to `name` among `candidates`, as a help line, if any.
pub(super) fn suggestion<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    did_you_mean(name, candidates).map(|close| format!("did you mean `{close}`?"))
}
