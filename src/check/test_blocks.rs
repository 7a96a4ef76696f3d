//! Checks of `test` blocks: the names their expectations use (stages, rules, channels,
//! reasons), and their snapshot literal against the schema.
//!
//! A snapshot key the schema does not name, a required field left out and a value of
//! the wrong type are `BAD_TEST` warnings: the data is legal (the schema ignores the
//! key, or rejects the snapshot), but in a hand-written test it is almost always a
//! slip. A test that says `expect invalid` wants a rejected snapshot, so there only the
//! unknown keys are reported. A test without a snapshot, or a snapshot without `id`,
//! cannot run at all: those are errors.

use std::collections::HashMap;

use super::decls::Clauses;
use super::exprs::ExprChecker;
use super::names::Names;
use super::rules::{channel_name, stage_name};
use super::types::{suggestion, ObjectType, Type};
use super::Context;
use crate::ast::{DataKind, DataValue, DateTimeLit, Ident, TestClause, TestDecl};
use crate::diagnostics::{codes, Diagnostic, Span};
use crate::plan::Reason;


/// Checks one test block.
pub(super) fn test(decl: &TestDecl, names: &Names, cx: &mut Context) {
    let block = format!("test `{}`", decl.name.value);
    let mut clauses = Clauses::new(&block);
    let expects_invalid = decl
        .clauses
        .iter()
        .any(|c| matches!(c, TestClause::ExpectInvalid(_)));
    let mut snapshot = None;
    for clause in &decl.clauses {
        match clause {
            TestClause::AsOf(time) => clauses.see("as_of", time.span, cx),
            TestClause::PreviousStage { stage, since, span } => {
                clauses.see("previous stage", *span, cx);
                if let Some(stage) = stage {
                    stage_name(stage, names, cx);
                }
                previous_since(decl, since.as_ref(), cx);
            }
            TestClause::Member(value) => {
                clauses.see("member", value.span, cx);
                snapshot.get_or_insert(value);
            }
            TestClause::ExpectStage(stage, _) => {
                if let Some(stage) = stage {
                    stage_name(stage, names, cx);
                }
            }
            TestClause::ExpectAction { rule, via, at, .. } => {
                rule_name(rule, names, cx);
                if let Some(via) = via {
                    channel_name(via, names, cx);
                }
                if let Some(at) = at {
                    ExprChecker::new(cx, names).time_of_day(at);
                }
            }
            TestClause::ExpectNoAction(rule, _) => rule_name(rule, names, cx),
            TestClause::ExpectSuppressed { rule, reason, .. } => {
                rule_name(rule, names, cx);
                reason_name(reason, cx);
            }
            TestClause::ExpectHoldout(_, span) => clauses.see("expect holdout", *span, cx),
            TestClause::ExpectInvalid(_) => {}
            TestClause::ExpectVariant {
                experiment,
                variant,
                ..
            } => {
                use super::experiments::{reference, Place};
                reference(experiment, variant, Place::Test, names, cx);
            }
        }
    }
    match snapshot {
        Some(value) => check_snapshot(value, names, expects_invalid, cx),
        None => cx.push(
            Diagnostic::error(
                codes::BAD_TEST,
                format!("test `{}` has no `member` snapshot", decl.name.value),
                decl.name.span,
            )
            .with_label("nothing to evaluate")
            .with_help("add the member to evaluate, e.g. `member { id: \"t1\", … }`"),
        ),
    }
}

fn rule_name(rule: &Ident, names: &Names, cx: &mut Context) {
    if names.rules.contains_key(rule.name.as_str()) || names.lost.has("rule", &rule.name) {
        return;
    }
    let mut diagnostic = Diagnostic::error(
        codes::UNKNOWN_RULE,
        format!("unknown rule `{}`", rule.name),
        rule.span,
    )
    .with_label("no rule has this name");
    if let Some(help) = suggestion(&rule.name, names.rules.keys().copied()) {
        diagnostic = diagnostic.with_help(help);
    }
    cx.push(diagnostic);
}

fn reason_name(reason: &Ident, cx: &mut Context) {
    if Reason::from_code(&reason.name).is_some() {
        return;
    }
    let codes = Reason::ALL.iter().map(|r| r.code());
    let help = match suggestion(&reason.name, codes.clone()) {
        Some(help) => help,
        None => {
            let listed: Vec<String> = codes.map(|c| format!("`{c}`")).collect();
            format!("the reasons are {}", listed.join(", "))
        }
    };
    cx.push(
        Diagnostic::error(
            codes::UNKNOWN_REASON,
            format!("unknown reason `{}`", reason.name),
            reason.span,
        )
        .with_label("not a reason")
        .with_help(help),
    );
}

/// The snapshot literal: an object with an `id`, its keys and values against the schema.
fn check_snapshot(value: &DataValue, names: &Names, expects_invalid: bool, cx: &mut Context) {
    let DataKind::Object(entries) = &value.kind else {
        cx.push(
            Diagnostic::error(
                codes::BAD_TEST,
                "a test's `member` must be an object",
                value.span,
            )
            .with_label("not `{ … }`")
            .with_help("write e.g. `member { id: \"t1\", orders: 0 }`"),
        );
        return;
    };
    let id = entries.iter().find(|(key, _)| key.name == "id");
    match id.map(|(_, v)| &v.kind) {
        Some(DataKind::Str(_) | DataKind::Int(_)) => {}
        Some(_) if expects_invalid => {}
        Some(_) => cx.push(bad(
            "the snapshot's `id` must be a string or an integer",
            id.map_or(value.span, |(_, v)| v.span),
        )),
        None if expects_invalid => {}
        None => cx.push(
            Diagnostic::error(codes::BAD_TEST, "the snapshot has no `id`", value.span)
                .with_label("every snapshot carries an `id`")
                .with_help("add e.g. `id: \"t1\"`"),
        ),
    }
    let Some(schema) = names.schema.as_deref() else {
        return;
    };
    let mut validator = Validator {
        cx,
        report_values: !expects_invalid,
    };
    validator.object(schema, entries, value.span, true);
}

struct Validator<'c, 's> {
    cx: &'c mut Context<'s>,
    /// Report missing fields and wrong values (not in a test that expects them).
    report_values: bool,
}

impl Validator<'_, '_> {
    fn object(&mut self, ty: &ObjectType, entries: &[(Ident, DataValue)], span: Span, top: bool) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (key, value) in entries {
            if let Some(&first) = seen.get(key.name.as_str()) {
                self.cx.push(
                    bad(format!("`{}` is given twice", key.name), key.span)
                        .with_secondary("first given here", first),
                );
                continue;
            }
            seen.insert(&key.name, key.span);
            match ty.fields.get(&key.name) {
                Some(field) => self.value(&field.ty, field.optional, value),
                None if top && matches!(key.name.as_str(), "id" | "touches") => {}
                None => {
                    let mut diagnostic = Diagnostic::warning(
                        codes::BAD_TEST,
                        format!("`{}` is not a field of the schema", key.name),
                        key.span,
                    )
                    .with_label("ignored when the snapshot is read");
                    if let Some(help) = suggestion(&key.name, ty.names()) {
                        diagnostic = diagnostic.with_help(help);
                    }
                    self.cx
                        .test_unknown_keys
                        .push((ty.declared, key.name.clone(), diagnostic));
                }
            }
        }
        if !self.report_values {
            return;
        }
        let missing: Vec<&str> = ty
            .fields
            .iter()
            .filter(|(name, field)| !field.optional && !seen.contains_key(name.as_str()))
            .map(|(name, _)| name.as_str())
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            self.cx.push(
                Diagnostic::warning(
                    codes::BAD_TEST,
                    format!("the snapshot lacks required fields: {}", list.join(", ")),
                    span,
                )
                .with_label("the schema will reject this snapshot")
                .with_help("give every field not marked `?`, or add `expect invalid`"),
            );
        }
    }

    fn value(&mut self, ty: &Type, optional: bool, value: &DataValue) {
        let fits = match (&value.kind, ty) {
            (_, Type::Unknown) => true,
            (DataKind::Null, _) => optional,
            (DataKind::Bool(_), Type::Bool) => true,
            (DataKind::Int(_), Type::Int | Type::Float) => true,
            (DataKind::Float(_), Type::Float) => true,
            (DataKind::Str(_), Type::String) => true,
            (DataKind::Str(text), Type::Enum(values)) => values.iter().any(|v| v == text),
            (DataKind::Str(text), Type::Date) => text.parse::<jiff::civil::Date>().is_ok(),
            (DataKind::Str(text), Type::DateTime) => text.parse::<jiff::Timestamp>().is_ok(),
            (DataKind::List(items), Type::List(item)) => {
                for entry in items {
                    self.value(item, false, entry);
                }
                true
            }
            (DataKind::Object(entries), Type::Object(object)) => {
                self.object(object, entries, value.span, false);
                true
            }
            _ => false,
        };
        if !fits && self.report_values {
            let what = if optional {
                format!("{ty} or null")
            } else {
                ty.to_string()
            };
            self.cx.push(
                Diagnostic::warning(
                    codes::BAD_TEST,
                    format!("the schema expects {what} here"),
                    value.span,
                )
                .with_label("the schema will reject this value")
                .with_help(
                    "fix the value, or add `expect invalid` if the test is about a bad snapshot",
                ),
            );
        }
    }
}

fn bad(message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(codes::BAD_TEST, message, span)
}

/// `previous stage … since T`: T must come before the test's as-of.
fn previous_since(decl: &TestDecl, since: Option<&DateTimeLit>, cx: &mut Context) {
    let Some(since) = since else { return };
    // Without `as_of` the run's time depends on the playbook's zone: not checked here.
    let Some(as_of) = decl.clauses.iter().find_map(|c| match c {
        TestClause::AsOf(time) => Some(time),
        _ => None,
    }) else {
        return;
    };
    if since.timestamp <= as_of.timestamp {
        return;
    }
    cx.push(
        Diagnostic::error(
            codes::BAD_TEST,
            "the previous stage is entered after the test's as-of time",
            since.span,
        )
        .with_label("later than the run")
        .with_secondary("the test's as-of time", as_of.span)
        .with_help("write a `since` before the test's `as_of`"),
    );
}
