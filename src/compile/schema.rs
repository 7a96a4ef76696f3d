//! The member layout: which slot each top-level field lives in and, with a schema, the
//! type of every field (nested objects included), so that decoding writes straight into
//! slots and evaluation reads them by index.

use std::collections::HashMap;
use std::sync::Arc;

use super::names::NameIndex;
use crate::ast::{FieldDecl, MemberDecl, TypeExpr, TypeKind};
use crate::diagnostics::{codes, Diagnostic};

/// The type of a field, as decoding checks it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldType {
    /// Whatever comes (no schema).
    Any,
    /// `int`
    Int,
    /// `float` (an int is accepted)
    Float,
    /// `bool`
    Bool,
    /// `string`
    String,
    /// `date`
    Date,
    /// `datetime`
    DateTime,
    /// `"a" | "b"`: the allowed values, shared with every decoded value.
    Enum(Arc<[Arc<str>]>),
    /// `[T]`
    List(Box<FieldType>),
    /// `{ f: T, … }`
    Object(Arc<ObjectSchema>),
    /// `T?`
    Optional(Box<FieldType>),
}

impl FieldType {
    /// The type without its `?`.
    pub(crate) fn required(&self) -> &FieldType {
        match self {
            FieldType::Optional(inner) => inner.required(),
            other => other,
        }
    }

    /// The type as a schema writes it, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            FieldType::Any => "any value".into(),
            FieldType::Int => "int".into(),
            FieldType::Float => "float".into(),
            FieldType::Bool => "bool".into(),
            FieldType::String => "string".into(),
            FieldType::Date => "date (YYYY-MM-DD)".into(),
            FieldType::DateTime => "datetime (RFC 3339)".into(),
            FieldType::Enum(values) => {
                let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
                format!("one of {}", quoted.join(" | "))
            }
            FieldType::List(inner) => format!("[{}]", inner.describe()),
            FieldType::Object(_) => "object".into(),
            FieldType::Optional(inner) => format!("{}?", inner.describe()),
        }
    }
}

/// The fields of an object type, in declaration order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjectSchema {
    /// Field names, shared with every decoded object.
    pub keys: Arc<[Arc<str>]>,
    /// Field types, by position.
    pub types: Vec<FieldType>,
    /// Name → position, for decoding.
    pub index: NameIndex,
}

impl ObjectSchema {
    fn new(fields: Vec<(Arc<str>, FieldType)>) -> Self {
        let index = NameIndex::from_names(fields.iter().map(|(name, _)| &**name));
        let (keys, types): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
        ObjectSchema {
            keys: Arc::from(keys),
            types,
            index,
        }
    }

    /// The position and type of a field.
    pub(crate) fn field(&self, name: &str) -> Option<(u32, &FieldType)> {
        let index = self.index.get(name)?;
        Some((index, self.types.get(index as usize)?))
    }
}

/// How a declared `id` must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdType {
    /// `id: string`
    String,
    /// `id: int`
    Int,
}

/// Where each top-level field of a snapshot goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    /// Whether a `member` block declared the fields (else they are read as they come).
    pub typed: bool,
    /// The top-level fields: with a schema, every declared one; without, every name the
    /// playbook reads.
    pub fields: ObjectSchema,
    /// The slot of a declared or referenced `id` field.
    pub id_slot: Option<u32>,
    /// The declared type of `id`, if the schema declares it.
    pub id_type: Option<IdType>,
    /// The slot of a declared or referenced `touches` field.
    pub touches_slot: Option<u32>,
    /// The experiments' names and their variants' names, by index (what
    /// `variant(EXP)` and a rule's `variant` clause refer to).
    pub experiments: Vec<(Arc<str>, Vec<Arc<str>>)>,
    /// Whether some expression reads `previous_stage` or `stage_days`.
    pub reads_history: bool,
}

impl Layout {
    /// A layout without a schema: slots are added as names are referenced.
    pub(crate) fn untyped() -> Self {
        Layout {
            typed: false,
            fields: ObjectSchema::new(Vec::new()),
            id_slot: None,
            id_type: None,
            touches_slot: None,
            experiments: Vec::new(),
            reads_history: false,
        }
    }

    /// The layout of a `member` block.
    pub(crate) fn typed(decl: &MemberDecl, diagnostics: &mut Vec<Diagnostic>) -> Self {
        let fields = object_fields(&decl.fields, diagnostics, 0);
        let schema = ObjectSchema::new(fields);
        let mut layout = Layout {
            typed: true,
            id_slot: schema.field("id").map(|(slot, _)| slot),
            touches_slot: schema.field("touches").map(|(slot, _)| slot),
            id_type: None,
            fields: schema,
            experiments: Vec::new(),
            reads_history: false,
        };
        if let Some((_, ty)) = layout.fields.field("id") {
            layout.id_type = match ty {
                FieldType::String => Some(IdType::String),
                FieldType::Int => Some(IdType::Int),
                _ => {
                    let span = decl
                        .fields
                        .iter()
                        .find(|f| f.name.name == "id")
                        .map_or(decl.span, |f| f.ty.span);
                    diagnostics.push(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            "`id` must be declared as `string` or `int`",
                            span,
                        )
                        .with_help("every snapshot carries an `id`, a string or an integer"),
                    );
                    None
                }
            };
        }
        layout
    }

    /// The slot of a top-level field, adding one when there is no schema.
    pub(crate) fn slot(&mut self, name: &str) -> Option<(u32, FieldType)> {
        if let Some((slot, ty)) = self.fields.field(name) {
            return Some((slot, ty.clone()));
        }
        if self.typed {
            return None;
        }
        let slot = self.fields.types.len() as u32;
        let mut keys: Vec<Arc<str>> = self.fields.keys.to_vec();
        let key: Arc<str> = Arc::from(name);
        keys.push(key.clone());
        self.fields.keys = Arc::from(keys);
        self.fields.types.push(FieldType::Any);
        self.fields.index.insert(&key, slot);
        match name {
            "id" => self.id_slot = Some(slot),
            "touches" => self.touches_slot = Some(slot),
            _ => {}
        }
        Some((slot, FieldType::Any))
    }

    /// The number of slots a member has.
    pub(crate) fn len(&self) -> usize {
        self.fields.types.len()
    }
}

/// Deeper nesting than this in a schema is refused.
const MAX_SCHEMA_DEPTH: usize = 32;

fn object_fields(
    fields: &[FieldDecl],
    diagnostics: &mut Vec<Diagnostic>,
    depth: usize,
) -> Vec<(Arc<str>, FieldType)> {
    let mut seen: HashMap<&str, &FieldDecl> = HashMap::new();
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        if let Some(first) = seen.get(field.name.name.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("field `{}` is declared twice", field.name.name),
                    field.name.span,
                )
                .with_secondary("first declared here", first.name.span),
            );
            continue;
        }
        seen.insert(&field.name.name, field);
        let ty = field_type(&field.ty, diagnostics, depth + 1);
        out.push((Arc::from(field.name.name.as_str()), ty));
    }
    out
}

fn field_type(ty: &TypeExpr, diagnostics: &mut Vec<Diagnostic>, depth: usize) -> FieldType {
    if depth > MAX_SCHEMA_DEPTH {
        diagnostics.push(Diagnostic::error(
            codes::TOO_DEEP,
            "the member schema is nested too deeply",
            ty.span,
        ));
        return FieldType::Any;
    }
    match &ty.kind {
        TypeKind::Int => FieldType::Int,
        TypeKind::Float => FieldType::Float,
        TypeKind::Bool => FieldType::Bool,
        TypeKind::String => FieldType::String,
        TypeKind::Date => FieldType::Date,
        TypeKind::DateTime => FieldType::DateTime,
        TypeKind::List(inner) => {
            FieldType::List(Box::new(field_type(inner, diagnostics, depth + 1)))
        }
        TypeKind::Object(fields) => FieldType::Object(Arc::new(ObjectSchema::new(object_fields(
            fields,
            diagnostics,
            depth,
        )))),
        TypeKind::Enum(values) => {
            let values: Vec<Arc<str>> =
                values.iter().map(|v| Arc::from(v.value.as_str())).collect();
            FieldType::Enum(Arc::from(values))
        }
        TypeKind::Optional(inner) => match field_type(inner, diagnostics, depth + 1) {
            already @ FieldType::Optional(_) => already,
            inner => FieldType::Optional(Box::new(inner)),
        },
        TypeKind::Unknown(name) => {
            let known = ["int", "float", "bool", "string", "date", "datetime"];
            let mut diagnostic = Diagnostic::error(
                codes::UNKNOWN_TYPE,
                format!("unknown type `{name}`"),
                ty.span,
            );
            if let Some(close) = crate::diagnostics::did_you_mean(name, known) {
                diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
            }
            diagnostics.push(diagnostic);
            FieldType::Any
        }
    }
}
