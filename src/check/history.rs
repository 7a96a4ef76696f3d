//! Checks of what a playbook says about time across runs: the playbook's `key`, `group`
//! declarations and their caps, rules' `on enter` clauses, and the names
//! `previous_stage` and `stage_days` (which the ledger fills in). Whether a run has a
//! ledger is the command's business, not the checker's.

use super::decls::{check_cap, Clauses};
use super::exprs::ExprChecker;
use super::names::Names;
use super::types::Type;
use super::Context;
use crate::ast::{GroupDecl, RuleClause, RuleDecl, StrLit};
use crate::diagnostics::{codes, Diagnostic, Span};

pub(super) use crate::vocabulary::{PREVIOUS_STAGE, STAGE_DAYS};

/// `key "…"`: not empty.
pub(super) fn key(key: &StrLit, cx: &mut Context) {
    if key.value.trim().is_empty() {
        cx.push(
            Diagnostic::error(codes::BAD_KEY, "a playbook's key cannot be empty", key.span)
                .with_label("empty")
                .with_help("write a name that stays when the playbook is renamed: `key \"lumi-2026\"`"),
        );
    }
}

/// `group name { cap N per D }`: one sound cap.
pub(super) fn group(decl: &GroupDecl, cx: &mut Context) {
    let block = format!("group `{}`", decl.name.name);
    let mut clauses = Clauses::new(&block);
    for cap in &decl.caps {
        clauses.see("cap", cap.span, cx);
        check_cap(cap, "cap", cx);
    }
}

/// A rule with both `stage` and `on enter`: the second is reported, since `on enter`
/// already says the stages.
pub(super) fn stage_and_on_enter(decl: &RuleDecl, cx: &mut Context) {
    let mut stage = None;
    let mut on_enter = None;
    for clause in &decl.clauses {
        match clause {
            RuleClause::Stage(_, span) => {
                stage.get_or_insert(*span);
            }
            RuleClause::OnEnter(_, span) => {
                on_enter.get_or_insert(*span);
            }
            _ => {}
        }
    }
    let (Some(stage), Some(on_enter)) = (stage, on_enter) else {
        return;
    };
    let (second, first, first_words) = if stage.start > on_enter.start {
        (stage, on_enter, "`on enter` already names the stages")
    } else {
        (on_enter, stage, "`stage` already names the stages")
    };
    cx.push(
        Diagnostic::error(
            codes::STAGE_AND_ON_ENTER,
            format!(
                "rule `{}` has both `stage` and `on enter`",
                decl.name.name
            ),
            second,
        )
        .with_label("a rule has `stage` or `on enter`, not both")
        .with_secondary(first_words, first)
        .with_help(
            "`on enter a, b` implies `stage a, b`: keep `on enter` for a rule that fires on the \
             day a member enters, or `stage` for one that fires every day in the stage",
        ),
    );
}

/// The error for `stage_days` deciding a stage, directly or through `segment`.
pub(super) fn stage_days_in_stage(stage: &str, span: Span, segment: Option<(&str, Span)>) -> Diagnostic {
    let message = match segment {
        None => format!("stage `{stage}` uses `stage_days`, which depends on the stage chosen"),
        Some((segment, _)) => format!(
            "stage `{stage}` uses segment `{segment}`, which uses `stage_days`, which depends on \
             the stage chosen"
        ),
    };
    let mut diagnostic = Diagnostic::error(codes::STAGE_DAYS_IN_STAGE, message, span)
        .with_label("`stage_days` cannot decide the stage")
        .with_help(
            "decide the stage from the snapshot or from `previous_stage`; use `stage_days` in \
             rules (`when stage_days >= 3`)",
        );
    if let Some((_, used)) = segment {
        diagnostic = diagnostic.with_secondary("`stage_days` used here", used);
    }
    diagnostic
}

/// Stages whose condition uses a segment that uses `stage_days`, at any depth.
pub(super) fn stage_days_in_stages(cx: &mut Context) {
    if cx.stage_days_in_segments.is_empty() {
        return;
    }
    let mut found = Vec::new();
    for (stage, uses) in &cx.stage_segment_uses {
        for (segment, at) in uses {
            if let Some((culprit, used)) = segment_with_stage_days(segment, cx) {
                found.push(stage_days_in_stage(stage, *at, Some((&culprit, used))));
                break;
            }
        }
    }
    for diagnostic in found {
        cx.push(diagnostic);
    }
}

/// The first segment reached from `start` (itself included) whose own condition uses
/// `stage_days`, with where.
fn segment_with_stage_days(start: &str, cx: &Context) -> Option<(String, Span)> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![start.to_string()];
    while let Some(segment) = stack.pop() {
        if !seen.insert(segment.clone()) {
            continue;
        }
        if let Some(span) = cx.stage_days_in_segments.get(&segment) {
            return Some((segment, *span));
        }
        if let Some(uses) = cx.segment_uses.get(&segment) {
            stack.extend(uses.iter().map(|(name, _)| name.clone()));
        }
    }
    None
}

/// Warnings: a group declared in the file run whose name no rule's `group` clause uses.
pub(super) fn unused_groups(names: &Names, cx: &mut Context) {
    for (name, decl) in &names.groups {
        if decl.span.file != names.root || cx.used_groups.contains(*name) {
            continue;
        }
        let mut diagnostic = Diagnostic::warning(
            codes::UNUSED_GROUP,
            format!("group `{name}` is declared but no rule is in it"),
            decl.name.span,
        )
        .with_label("no rule's `group` clause names it");
        let used: Vec<&str> = cx.used_groups.iter().map(String::as_str).collect();
        if let Some(close) = crate::diagnostics::did_you_mean(name, used) {
            diagnostic = diagnostic.with_help(format!(
                "did you mean `{close}`? rules join a group with `group {close}`"
            ));
        } else {
            diagnostic = diagnostic.with_help(format!("add `group {name}` to the rules it caps"));
        }
        cx.push(diagnostic);
    }
}

impl ExprChecker<'_, '_, '_> {
    /// `previous_stage`: one of the stages' names (or null).
    pub(super) fn previous_stage(&mut self) -> Type {
        let stages: Vec<String> = self.names.stages.keys().map(|s| s.to_string()).collect();
        if stages.is_empty() {
            return Type::String;
        }
        Type::Enum(stages.into())
    }
}
