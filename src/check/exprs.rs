//! Type-checking of expressions: every expression gets a [`Type`], names are resolved
//! (lambda parameter, then segment, then schema field), and every misuse is reported at
//! the smallest expression that shows it. An expression whose type cannot be known (no
//! schema, or an error already reported inside it) is `Unknown` and accepted
//! everywhere, so one mistake is reported once. Function calls are in [`super::calls`].

use super::names::Names;
use super::types::{suggestion, Type};
use super::Context;
use crate::ast::{BinaryOp, Expr, ExprKind, Ident, TimeOfDay};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, Span};

/// Deeper than this, an expression is not looked into (the parser limits depth long
/// before; this only keeps the checker from overflowing the stack on a hand-made tree).
const MAX_DEPTH: usize = 512;

/// Checks expressions against the names and schema of one playbook.
pub(super) struct ExprChecker<'c, 's, 'a> {
    pub cx: &'c mut Context<'s>,
    pub names: &'c Names<'a>,
    /// Lambda parameters in scope, innermost last.
    pub lambdas: Vec<(String, Type)>,
    /// Segments used by the expressions checked so far, with where.
    pub segments_used: Vec<(String, Span)>,
    /// Where `stage_days` was first used by the expressions checked so far.
    pub stage_days_used: Option<Span>,
    depth: usize,
}

impl<'c, 's, 'a> ExprChecker<'c, 's, 'a> {
    /// A checker with no lambda parameter in scope.
    pub fn new(cx: &'c mut Context<'s>, names: &'c Names<'a>) -> Self {
        ExprChecker {
            cx,
            names,
            lambdas: Vec::new(),
            segments_used: Vec::new(),
            stage_days_used: None,
            depth: 0,
        }
    }

    /// Checks a condition (`when`, a stage, a segment, `consent`, a lambda body): it
    /// must be true or false. `what` names the clause (`` `when` ``).
    pub fn condition(&mut self, expr: &Expr, what: &str) {
        let ty = self.expr(expr);
        if ty.is_condition() {
            return;
        }
        let mut diagnostic = Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!(
                "{what} needs a condition (true or false), but {} is {}",
                self.cx.quote(expr.span),
                a(&ty)
            ),
            expr.span,
        )
        .with_label(format!("{ty}, not bool"));
        if ty.is_number() {
            diagnostic = diagnostic.with_help(format!(
                "compare it with something, e.g. `{} > 0`",
                self.cx.sources.slice(expr.span)
            ));
        } else if ty.is_text() {
            diagnostic = diagnostic.with_help("compare it with something, e.g. `== \"…\"`");
        }
        self.cx.push(diagnostic);
    }

    /// The type of an expression, reporting what is wrong inside it.
    pub fn expr(&mut self, expr: &Expr) -> Type {
        if self.depth >= MAX_DEPTH {
            return Type::Unknown;
        }
        self.depth += 1;
        let ty = self.kind(expr);
        self.depth -= 1;
        ty
    }

    fn kind(&mut self, expr: &Expr) -> Type {
        match &expr.kind {
            ExprKind::Int(_) => Type::Int,
            ExprKind::Float(_) => Type::Float,
            ExprKind::Str(_) => Type::String,
            ExprKind::Bool(_) => Type::Bool,
            ExprKind::Null => Type::Null,
            ExprKind::Duration(_) => Type::Duration,
            ExprKind::Date(_) => Type::Date,
            ExprKind::DateTime(_) | ExprKind::Now => Type::DateTime,
            ExprKind::Today => Type::Date,
            ExprKind::Time(time) => {
                self.time_of_day(time);
                Type::Time
            }
            ExprKind::Percent(_) => {
                self.cx.push(
                    Diagnostic::error(
                        codes::MISPLACED,
                        "a percentage can only be a `holdout`",
                        expr.span,
                    )
                    .with_label("not allowed in an expression")
                    .with_help("write a plain number, e.g. `0.05` for 5%"),
                );
                Type::Unknown
            }
            ExprKind::List(items) => self.list(items),
            ExprKind::Name(name) => self.name(name, expr.span),
            ExprKind::MemberField(field) => self.member_field(field),
            ExprKind::Field(base, field) => self.field(base, field),
            ExprKind::Index(base, index) => self.index(base, index),
            ExprKind::Call(function, args) => self.call(function, args, expr.span),
            ExprKind::Lambda(param, body) => {
                self.misplaced_lambda(expr.span);
                self.lambda_body(param, Type::Unknown, body);
                Type::Unknown
            }
            ExprKind::Not(operand) => {
                self.operand_condition(operand, "`not`");
                Type::Bool
            }
            ExprKind::Neg(operand) => self.negate(operand),
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right, expr.span),
            ExprKind::In {
                needle, haystack, ..
            } => self.contains(needle, haystack, expr.span),
            ExprKind::IsNull { operand, .. } => {
                self.expr(operand);
                Type::Bool
            }
            ExprKind::Paren(inner) => self.expr(inner),
        }
    }

    /// Reports a time of day out of range.
    pub fn time_of_day(&mut self, time: &TimeOfDay) {
        if let Some(diagnostic) = bad_time(time) {
            self.cx.push(diagnostic);
        }
    }

    fn list(&mut self, items: &[Expr]) -> Type {
        let mut item_type = Type::Null;
        for item in items {
            let ty = self.expr(item);
            match item_type.unify(&ty) {
                Some(both) => item_type = both,
                None => {
                    self.cx.push(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!("a list mixes {} and {}", a(&item_type), a(&ty)),
                            item.span,
                        )
                        .with_label(format!("{ty}"))
                        .with_help("every item of a list has the same type"),
                    );
                    item_type = Type::Unknown;
                }
            }
        }
        if item_type == Type::Null {
            item_type = Type::Unknown;
        }
        Type::List(Box::new(item_type))
    }

    /// A bare name: a lambda parameter, a segment, or a schema field.
    fn name(&mut self, name: &str, span: Span) -> Type {
        if let Some((_, ty)) = self.lambdas.iter().rev().find(|(n, _)| n == name) {
            return ty.clone();
        }
        if self.names.segments.contains_key(name) {
            self.cx.used_segments.insert(name.to_string());
            self.segments_used.push((name.to_string(), span));
            return Type::Bool;
        }
        if self.names.lost.has("segment", name) {
            return Type::Bool;
        }
        match name {
            super::history::PREVIOUS_STAGE => return self.previous_stage(),
            super::history::STAGE_DAYS => {
                self.stage_days_used.get_or_insert(span);
                return Type::Int;
            }
            _ => {}
        }
        let Some(schema) = self.names.schema.clone() else {
            return Type::Unknown;
        };
        if let Some(field) = schema.fields.get(name) {
            return field.ty.clone();
        }
        let mut candidates = self.names.field_names();
        candidates.extend(self.names.segments.keys().copied());
        candidates.extend(self.lambdas.iter().map(|(n, _)| n.as_str()));
        let mut diagnostic = Diagnostic::error(
            codes::UNKNOWN_FIELD,
            format!("unknown field `{name}`"),
            span,
        )
        .with_label("not a field of the `member` schema nor a segment");
        if let Some(close) = did_you_mean(name, candidates) {
            diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
            if self.names.segments.contains_key(close) {
                // The segment meant is not reported as unused as well.
                self.cx.used_segments.insert(close.to_string());
            }
        } else if self.names.stages.contains_key(name) {
            diagnostic = diagnostic.with_help(format!(
                "`{name}` is a stage; a rule picks stages with a `stage {name}` clause"
            ));
        }
        self.push_miss(None, name, diagnostic);
        Type::Unknown
    }

    /// `member.x`: always a schema field.
    fn member_field(&mut self, field: &Ident) -> Type {
        let Some(schema) = self.names.schema.clone() else {
            return Type::Unknown;
        };
        if let Some(info) = schema.fields.get(&field.name) {
            return info.ty.clone();
        }
        let mut diagnostic = Diagnostic::error(
            codes::UNKNOWN_FIELD,
            format!("unknown field `{}`", field.name),
            field.span,
        )
        .with_label("not a field of the `member` schema");
        if let Some(help) = suggestion(&field.name, schema.names()) {
            diagnostic = diagnostic.with_help(help);
        }
        self.push_miss(None, &field.name, diagnostic);
        Type::Unknown
    }

    /// Reports a field the schema (or one of its objects, declared at `declared`)
    /// lacks, remembering it so test snapshots that give it are not warned about too.
    fn push_miss(&mut self, declared: Option<Span>, name: &str, diagnostic: Diagnostic) {
        let index = self.cx.diagnostics.len();
        self.cx.schema_misses.push((declared, name.to_string(), index));
        self.cx.push(diagnostic);
    }

    /// `a.b`: a field of an object.
    fn field(&mut self, base: &Expr, field: &Ident) -> Type {
        let base_type = self.expr(base);
        match &base_type {
            Type::Object(object) => match object.fields.get(&field.name) {
                Some(info) => info.ty.clone(),
                None => {
                    let mut diagnostic = Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("{} has no field `{}`", self.cx.quote(base.span), field.name),
                        field.span,
                    )
                    .with_label("no such field");
                    let base_name = self.cx.sources.slice(base.span).to_string();
                    let help = suggestion(&field.name, object.names());
                    if let Some(declared) = object.declared {
                        // The fix is often in the `member` block, which may be in
                        // another file than the use (a shared channel file).
                        diagnostic = diagnostic.with_secondary(
                            format!("`{base_name}` is declared here, without `{}`", field.name),
                            declared,
                        );
                    }
                    let help = match (help, object.declared) {
                        (Some(help), _) => Some(help),
                        (None, Some(_)) => Some(format!(
                            "add `{}` to `{base_name}` in the `member` block, with its type",
                            field.name
                        )),
                        (None, None) => None,
                    };
                    if let Some(help) = help {
                        diagnostic = diagnostic.with_help(help);
                    }
                    self.push_miss(object.declared, &field.name, diagnostic);
                    Type::Unknown
                }
            },
            Type::Unknown | Type::Null => Type::Unknown,
            other => {
                let mut diagnostic = Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "{} is {} and has no fields",
                        self.cx.quote(base.span),
                        a(other)
                    ),
                    field.span,
                )
                .with_label(format!("`.{}` on {}", field.name, a(other)));
                if matches!(other, Type::List(_)) {
                    diagnostic = diagnostic.with_help(format!(
                        "look into the items with `any({0}, x => x.{1} …)`",
                        self.cx.sources.slice(base.span),
                        field.name
                    ));
                }
                self.cx.push(diagnostic);
                Type::Unknown
            }
        }
    }

    /// `a[i]`: an item of a list.
    fn index(&mut self, base: &Expr, index: &Expr) -> Type {
        let base_type = self.expr(base);
        let index_type = self.expr(index);
        if !matches!(index_type, Type::Int) && !index_type.is_open() {
            self.mismatch(
                format!(
                    "a list is indexed by an `int`, but {} is {}",
                    self.cx.quote(index.span),
                    a(&index_type)
                ),
                index.span,
            );
        }
        match base_type {
            Type::List(item) => *item,
            Type::Unknown | Type::Null => Type::Unknown,
            other => {
                self.mismatch(
                    format!(
                        "only a list can be indexed, but {} is {}",
                        self.cx.quote(base.span),
                        a(&other)
                    ),
                    base.span,
                );
                Type::Unknown
            }
        }
    }

    /// Reports a lambda where none may be.
    pub fn misplaced_lambda(&mut self, span: Span) {
        self.cx.push(
            Diagnostic::error(
                codes::MISPLACED,
                "`x => …` can only be the last argument of `any`, `all` or `count`",
                span,
            )
            .with_label("not allowed here")
            .with_help("write e.g. `any(tags, t => t == \"vip\")`"),
        );
    }

    /// Checks a lambda's body with its parameter bound to `item`; reports a parameter
    /// named like a segment or a schema field.
    pub fn lambda_body(&mut self, param: &Ident, item: Type, body: &Expr) {
        let field = self
            .names
            .schema
            .as_ref()
            .and_then(|s| s.fields.get(&param.name).map(|f| f.span));
        let segment = self
            .names
            .segments
            .get(param.name.as_str())
            .map(|s| s.name.span);
        if let Some((kind, declared)) = field
            .map(|s| ("a member field", s))
            .or(segment.map(|s| ("a segment", s)))
        {
            self.cx.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("`{}` is already {kind}", param.name),
                    param.span,
                )
                .with_label("the name of each item")
                .with_secondary("declared here", declared)
                .with_help("give the item another name, e.g. `x`"),
            );
        }
        self.lambdas.push((param.name.clone(), item));
        self.condition(body, "the condition after `=>`");
        self.lambdas.pop();
    }

    fn operand_condition(&mut self, operand: &Expr, operator: &str) {
        let ty = self.expr(operand);
        if !ty.is_condition() {
            self.cx.push(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "{operator} needs conditions (true or false), but {} is {}",
                        self.cx.quote(operand.span),
                        a(&ty)
                    ),
                    operand.span,
                )
                .with_label(format!("{ty}, not bool")),
            );
        }
    }

    fn negate(&mut self, operand: &Expr) -> Type {
        let ty = self.expr(operand);
        match ty {
            Type::Int | Type::Float | Type::Duration | Type::Unknown | Type::Null => ty,
            other => {
                self.mismatch(
                    format!(
                        "`-` needs a number or a duration, but {} is {}",
                        self.cx.quote(operand.span),
                        a(&other)
                    ),
                    operand.span,
                );
                Type::Unknown
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, left: &Expr, right: &Expr, span: Span) -> Type {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let operator = format!("`{}`", op.symbol());
            self.operand_condition(left, &operator);
            self.operand_condition(right, &operator);
            return Type::Bool;
        }
        let left_type = self.expr(left);
        let right_type = self.expr(right);
        let sides = Sides {
            left,
            right,
            left_type: &left_type,
            right_type: &right_type,
            span,
        };
        match op {
            BinaryOp::Eq | BinaryOp::Ne => {
                self.compare(&sides, op, Type::comparable);
                Type::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                self.compare(&sides, op, Type::orderable);
                Type::Bool
            }
            BinaryOp::Default => match left_type.unify(&right_type) {
                Some(ty) => ty,
                None => {
                    self.operator_mismatch(&sides, op);
                    Type::Unknown
                }
            },
            _ => match arithmetic(op, &left_type, &right_type) {
                Some(ty) => ty,
                None => {
                    self.operator_mismatch(&sides, op);
                    Type::Unknown
                }
            },
        }
    }

    fn compare(&mut self, sides: &Sides, op: BinaryOp, fits: fn(&Type, &Type) -> bool) {
        if fits(sides.left_type, sides.right_type) {
            self.literal_against(sides.left, sides.left_type, sides.right);
            self.literal_against(sides.right, sides.right_type, sides.left);
            return;
        }
        let mut diagnostic = Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!(
                "cannot compare {} ({}) with {} ({})",
                self.cx.quote(sides.left.span),
                sides.left_type,
                self.cx.quote(sides.right.span),
                sides.right_type
            ),
            sides.span,
        )
        .with_label(format!(
            "`{}` between {} and {}",
            op.symbol(),
            sides.left_type,
            sides.right_type
        ));
        if let Some(help) = comparison_help(sides) {
            diagnostic = diagnostic.with_help(help);
        }
        self.cx.push(diagnostic);
    }

    fn operator_mismatch(&mut self, sides: &Sides, op: BinaryOp) {
        self.mismatch(
            format!(
                "cannot use `{}` on {} ({}) and {} ({})",
                op.symbol(),
                self.cx.quote(sides.left.span),
                sides.left_type,
                self.cx.quote(sides.right.span),
                sides.right_type
            ),
            sides.span,
        );
    }

    /// `x in list`, `"sub" in text`.
    fn contains(&mut self, needle: &Expr, haystack: &Expr, span: Span) -> Type {
        let needle_type = self.expr(needle);
        let haystack_type = self.expr(haystack);
        match &haystack_type {
            Type::List(item) => {
                if !needle_type.comparable(item) {
                    self.mismatch(
                        format!(
                            "{} ({}) can never be in {} ({})",
                            self.cx.quote(needle.span),
                            needle_type,
                            self.cx.quote(haystack.span),
                            haystack_type
                        ),
                        span,
                    );
                } else {
                    self.enum_value(item, needle);
                    self.enum_items(needle, &needle_type, haystack);
                }
            }
            Type::String | Type::Enum(_) => {
                if !needle_type.is_text() && !needle_type.is_open() {
                    self.mismatch(
                        format!(
                            "`in` looks for text in {}, but {} is {}",
                            self.cx.quote(haystack.span),
                            self.cx.quote(needle.span),
                            a(&needle_type)
                        ),
                        span,
                    );
                }
            }
            Type::Unknown | Type::Null => {}
            other => self.mismatch(
                format!(
                    "`in` needs a list or a string, but {} is {}",
                    self.cx.quote(haystack.span),
                    a(other)
                ),
                haystack.span,
            ),
        }
        Type::Bool
    }

    /// When `ty` is an enum and `value` a string literal it cannot take, reports it.
    pub fn enum_value(&mut self, ty: &Type, value: &Expr) {
        let (Some(values), Some(text)) = (ty.enum_values(), string_literal(value)) else {
            return;
        };
        if values.iter().any(|v| v == text) {
            return;
        }
        let shown: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
        let help = match types_did_you_mean(text, values) {
            Some(close) => format!(
                "did you mean `\"{close}\"`? the values are {}",
                shown.join(", ")
            ),
            None => format!("the values are {}", shown.join(", ")),
        };
        self.cx.push(
            Diagnostic::error(
                codes::UNKNOWN_ENUM_VALUE,
                format!("`\"{text}\"` is not one of the values this field can take"),
                value.span,
            )
            .with_label("never equal")
            .with_help(help),
        );
    }

    /// A string literal compared with `typed`: when that is `variant(EXP)`, a variant
    /// of the experiment; when it is an enum, one of its values.
    fn literal_against(&mut self, typed: &Expr, ty: &Type, value: &Expr) {
        if !super::experiments::compared_literal(typed, value, self.names, self.cx) {
            self.enum_value(ty, value);
        }
    }

    /// Each string literal of a list literal, against what is looked for in it.
    fn enum_items(&mut self, needle: &Expr, ty: &Type, list: &Expr) {
        if let ExprKind::List(items) = &unparen(list).kind {
            for item in items {
                self.literal_against(needle, ty, item);
            }
        }
    }

    /// Reports a type mismatch with no help.
    pub fn mismatch(&mut self, message: String, span: Span) {
        self.cx
            .push(Diagnostic::error(codes::TYPE_MISMATCH, message, span));
    }
}

/// The two sides of a binary operator and their types.
struct Sides<'e> {
    left: &'e Expr,
    right: &'e Expr,
    left_type: &'e Type,
    right_type: &'e Type,
    span: Span,
}

/// The type of `+ - * / %` on two types, when it means something.
fn arithmetic(op: BinaryOp, left: &Type, right: &Type) -> Option<Type> {
    use Type::*;
    if left.is_open() || right.is_open() {
        return match (left, right) {
            (Unknown, _) | (_, Unknown) => Some(Unknown),
            _ => Some(Null),
        };
    }
    let numbers = left.is_number() && right.is_number();
    let both_int = matches!((left, right), (Int, Int));
    match op {
        BinaryOp::Add => match (left, right) {
            _ if numbers => Some(if both_int { Int } else { Float }),
            (l, r) if l.is_text() && r.is_text() => Some(String),
            (DateTime, Duration) | (Duration, DateTime) => Some(DateTime),
            (Date, Duration) | (Duration, Date) => Some(Date),
            (Duration, Duration) => Some(Duration),
            _ => None,
        },
        BinaryOp::Sub => match (left, right) {
            _ if numbers => Some(if both_int { Int } else { Float }),
            (Date, Date) | (DateTime, DateTime) | (Duration, Duration) => Some(Duration),
            (DateTime, Duration) => Some(DateTime),
            (Date, Duration) => Some(Date),
            _ => None,
        },
        BinaryOp::Mul | BinaryOp::Rem if numbers => Some(if both_int { Int } else { Float }),
        BinaryOp::Div if numbers => Some(Float),
        _ => None,
    }
}

/// A help line for a comparison that mixes types, when the fix is evident.
fn comparison_help(sides: &Sides) -> Option<String> {
    let pairs = [
        (sides.left_type, sides.right),
        (sides.right_type, sides.left),
    ];
    for (ty, other) in pairs {
        let Some(text) = string_literal(other) else {
            continue;
        };
        if ty.is_number() && text.trim().parse::<f64>().is_ok() {
            return Some(format!(
                "write the number without quotes: `{}`",
                text.trim()
            ));
        }
        if *ty == Type::Date && text.parse::<jiff::civil::Date>().is_ok() {
            return Some(format!("write the date without quotes: `{text}`"));
        }
        if *ty == Type::DateTime && text.parse::<jiff::Timestamp>().is_ok() {
            return Some(format!("write the date-time without quotes: `{text}`"));
        }
    }
    let duration_and_number = |a: &Type, b: &Type| *a == Type::Duration && b.is_number();
    if duration_and_number(sides.left_type, sides.right_type)
        || duration_and_number(sides.right_type, sides.left_type)
    {
        return Some("durations compare with durations: write e.g. `7d` or `12h`".to_string());
    }
    None
}

/// The string a literal expression holds, parentheses aside.
pub(super) fn string_literal(expr: &Expr) -> Option<&str> {
    match &unparen(expr).kind {
        ExprKind::Str(text) => Some(text),
        _ => None,
    }
}

/// The expression inside any parentheses.
pub(super) fn unparen(mut expr: &Expr) -> &Expr {
    while let ExprKind::Paren(inner) = &expr.kind {
        expr = inner;
    }
    expr
}

/// "an int", "a string": the type with its article.
pub(super) fn a(ty: &Type) -> String {
    match ty {
        Type::Int => "an `int`".to_string(),
        Type::Object(_) => "an object".to_string(),
        Type::Enum(_) => format!("one of {ty}"),
        Type::Unknown | Type::Null => format!("`{ty}`"),
        other => format!("a `{other}`"),
    }
}

fn types_did_you_mean<'v>(text: &str, values: &'v [String]) -> Option<&'v str> {
    crate::diagnostics::did_you_mean(text, values.iter().map(String::as_str))
}

/// A time of day out of range, as a diagnostic.
pub(super) fn bad_time(time: &TimeOfDay) -> Option<Diagnostic> {
    if time.hour <= 23 && time.minute <= 59 {
        return None;
    }
    let help = if time.hour == 24 && time.minute == 0 {
        "midnight is written `00:00`"
    } else {
        "hours go from 00 to 23 and minutes from 00 to 59"
    };
    Some(
        Diagnostic::error(
            codes::BAD_TIME,
            format!("`{:02}:{:02}` is not a time of day", time.hour, time.minute),
            time.span,
        )
        .with_label("out of range")
        .with_help(help),
    )
}
