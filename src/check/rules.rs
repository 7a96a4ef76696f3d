//! Checks of a `rule`: its stages exist, its `when` is a condition, each clause but
//! `then` is given once, and each action has a known verb, a channel exactly when the
//! verb is a touch, a sound `at` time, templates and `with` values that type-check.

use std::collections::HashMap;

use super::decls::{check_cap, Clauses};
use super::exprs::ExprChecker;
use super::names::Names;
use super::types::{suggestion, Type};
use super::Context;
use crate::ast::{Action, Ident, RuleClause, RuleDecl, TemplatePart};
use crate::diagnostics::{codes, Diagnostic, Span};
use crate::plan::Verb;


/// Checks one rule.
pub(super) fn rule(decl: &RuleDecl, names: &Names, cx: &mut Context) {
    let block = format!("rule `{}`", decl.name.name);
    let mut clauses = Clauses::new(&block);
    for clause in &decl.clauses {
        match clause {
            RuleClause::Stage(stages, span) => {
                clauses.see("stage", *span, cx);
                for stage in stages {
                    stage_name(stage, names, cx);
                }
            }
            RuleClause::Quadrant(spec) => clauses.see("quadrant", spec.span, cx),
            RuleClause::When(expr) => {
                clauses.see("when", expr.span, cx);
                ExprChecker::new(cx, names).condition(expr, "`when`");
            }
            RuleClause::Then(action) => check_action(action, names, cx),
            RuleClause::Priority(_, span) => clauses.see("priority", *span, cx),
            RuleClause::Cap(cap) => {
                clauses.see("cap", cap.span, cx);
                check_cap(cap, "cap", cx);
            }
            RuleClause::Group(group, span) => {
                clauses.see("group", *span, cx);
                cx.used_groups.insert(group.name.clone());
            }
            RuleClause::OnEnter(stages, span) => {
                clauses.see("on enter", *span, cx);
                for stage in stages {
                    stage_name(stage, names, cx);
                }
            }
            RuleClause::Variant(refs, span) => {
                clauses.see("variant", *span, cx);
                use super::experiments::Place;
                for named in refs {
                    let (experiment, variant) = (&named.experiment, &named.variant);
                    super::experiments::reference(experiment, variant, Place::Playbook, names, cx);
                }
            }
        }
    }
    super::history::stage_and_on_enter(decl, cx);
}

/// Reports a stage name that no stage has.
pub(super) fn stage_name(stage: &Ident, names: &Names, cx: &mut Context) {
    if names.stages.contains_key(stage.name.as_str()) || names.lost.has("stage", &stage.name) {
        return;
    }
    let mut diagnostic = Diagnostic::error(
        codes::UNKNOWN_STAGE,
        format!("unknown stage `{}`", stage.name),
        stage.span,
    )
    .with_label("no stage has this name");
    if let Some(help) = suggestion(&stage.name, names.stages.keys().copied()) {
        diagnostic = diagnostic.with_help(help);
    } else if names.stages.is_empty() {
        diagnostic = diagnostic.with_help("declare it with `stage NAME when CONDITION`");
    }
    cx.push(diagnostic);
}

/// Reports a channel name that no channel has.
pub(super) fn channel_name(channel: &Ident, names: &Names, cx: &mut Context) {
    if names.channels.contains_key(channel.name.as_str())
        || names.lost.has("channel", &channel.name)
    {
        return;
    }
    let mut diagnostic = Diagnostic::error(
        codes::UNKNOWN_CHANNEL,
        format!("unknown channel `{}`", channel.name),
        channel.span,
    )
    .with_label("no channel has this name");
    if let Some(help) = suggestion(&channel.name, names.channels.keys().copied()) {
        diagnostic = diagnostic.with_help(help);
    } else if names.channels.is_empty() {
        diagnostic = diagnostic.with_help("declare it with `channel NAME { … }`");
    }
    cx.push(diagnostic);
}

fn check_action(action: &Action, names: &Names, cx: &mut Context) {
    verb_and_channel(action, names, cx);
    if let Some(at) = &action.at {
        ExprChecker::new(cx, names).time_of_day(at);
    }
    template(action, names, cx);
    with_values(action, names, cx);
}

/// A known verb; `via` exactly for the touch verbs, naming a known channel.
fn verb_and_channel(action: &Action, names: &Names, cx: &mut Context) {
    let verb = action.verb.name.as_str();
    let known = Verb::from_name(verb);
    let touch = known.is_some_and(Verb::is_touch);
    if known.is_none() {
        unknown_verb(&action.verb, cx);
    } else if touch && action.via.is_none() {
        missing_via(action, names, cx);
    } else if let (false, Some(via)) = (touch, &action.via) {
        cx.push(
            Diagnostic::error(
                codes::UNEXPECTED_VIA,
                format!("`{verb}` takes no channel"),
                via.span,
            )
            .with_label("`via` given here")
            .with_help(format!(
                "`{verb}` acts in the brand's own systems, not on a channel; remove `via {}`",
                via.name
            )),
        );
    }
    if let Some(via) = &action.via {
        channel_name(via, names, cx);
    }
}

/// The expressions of the template: well typed, and something a message can show.
fn template(action: &Action, names: &Names, cx: &mut Context) {
    let mut checker = ExprChecker::new(cx, names);
    for part in &action.template.parts {
        let TemplatePart::Expr(expr) = part else {
            continue;
        };
        if let Type::Object(_) = checker.expr(expr) {
            let message = format!(
                "{} is an object and cannot be shown in a message",
                checker.cx.quote(expr.span)
            );
            checker.mismatch(message, expr.span);
        }
    }
}

/// The `with` values: well typed, each key once.
fn with_values(action: &Action, names: &Names, cx: &mut Context) {
    let mut checker = ExprChecker::new(cx, names);
    let mut keys: HashMap<&str, Span> = HashMap::new();
    for (key, value) in &action.with {
        checker.expr(value);
        match keys.get(key.name.as_str()) {
            Some(&first) => checker.cx.push(
                Diagnostic::error(
                    codes::DUPLICATE_CLAUSE,
                    format!("`{}` is given twice in `with`", key.name),
                    key.span,
                )
                .with_label("given again here")
                .with_secondary("first given here", first)
                .with_help(format!("keep one `{}`", key.name)),
            ),
            None => {
                keys.insert(&key.name, key.span);
            }
        }
    }
}

fn unknown_verb(verb: &Ident, cx: &mut Context) {
    let all = Verb::ALL.into_iter().map(Verb::name);
    let mut diagnostic = Diagnostic::error(
        codes::UNKNOWN_VERB,
        format!("unknown verb `{}`", verb.name),
        verb.span,
    )
    .with_label("not a verb");
    diagnostic = match suggestion(&verb.name, all) {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic.with_help(
            "the verbs are `send`, `invite`, `coupon`, `remind` (with `via`) and `tag`, `audience`, `assign`",
        ),
    };
    cx.push(diagnostic);
}

fn missing_via(action: &Action, names: &Names, cx: &mut Context) {
    let verb = &action.verb.name;
    let example = names.channels.keys().next().copied().unwrap_or("dm");
    cx.push(
        Diagnostic::error(
            codes::MISSING_VIA,
            format!("`{verb}` needs a channel"),
            action.span,
        )
        .with_label("no `via`")
        .with_help(format!(
            "`{verb}` touches the member, so say on which channel, e.g. `via {example}`"
        )),
    );
}
