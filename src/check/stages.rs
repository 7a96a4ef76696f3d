//! The order of stages: a member takes the first stage whose condition is true, so an
//! `otherwise` stage must come once and last, and a stage after one that always matches
//! (`when true`), after one with the very same condition, or with the condition
//! `false`, can never be chosen. A stage after `otherwise` is reported once, as
//! `OTHERWISE_NOT_LAST`, not again as unreachable.

use super::exprs::unparen;
use super::names::Names;
use super::Context;
use crate::ast::{Expr, ExprKind, StageCondition, StageDecl};
use crate::diagnostics::{codes, Diagnostic, Span};

/// Reports the stages in the wrong place or never chosen.
pub(super) fn stage_order(names: &Names, cx: &mut Context) {
    let mut walk = Walk::default();
    for &stage in &names.stage_order {
        walk.stage(stage, cx);
    }
}

/// What the stages seen so far imply for the next one.
#[derive(Default)]
struct Walk<'a> {
    /// The first `otherwise` stage, with its keyword.
    otherwise: Option<(&'a StageDecl, Span)>,
    /// A stage after `otherwise` was already reported.
    reported_after_otherwise: bool,
    /// The first stage whose condition is `true`.
    always: Option<&'a StageDecl>,
    /// Earlier stages with their conditions' text.
    earlier: Vec<(&'a StageDecl, String)>,
}

impl<'a> Walk<'a> {
    fn stage(&mut self, stage: &'a StageDecl, cx: &mut Context) {
        if let Some((first, keyword)) = self.otherwise {
            self.after_otherwise(stage, first, keyword, cx);
            return;
        }
        if let Some(catch_all) = self.always {
            cx.push(unreachable(stage, catch_all, "always matches first"));
            return;
        }
        match &stage.condition {
            StageCondition::Otherwise(keyword) => self.otherwise = Some((stage, *keyword)),
            StageCondition::When(expr) => self.when(stage, expr, cx),
        }
    }

    fn after_otherwise(
        &mut self,
        stage: &StageDecl,
        first: &StageDecl,
        keyword: Span,
        cx: &mut Context,
    ) {
        let first_name = &first.name.name;
        match &stage.condition {
            StageCondition::Otherwise(second) => cx.push(
                Diagnostic::error(
                    codes::OTHERWISE_NOT_LAST,
                    "a second `otherwise` stage",
                    *second,
                )
                .with_label("never chosen")
                .with_secondary(
                    format!("stage `{first_name}` already takes every other member"),
                    keyword,
                )
                .with_help("keep one `otherwise` stage, the last"),
            ),
            StageCondition::When(_) if !self.reported_after_otherwise => {
                self.reported_after_otherwise = true;
                cx.push(
                    Diagnostic::error(
                        codes::OTHERWISE_NOT_LAST,
                        format!("the `otherwise` stage `{first_name}` must be the last stage"),
                        keyword,
                    )
                    .with_label("takes every member not yet placed")
                    .with_secondary("so this stage is never chosen", stage.name.span)
                    .with_help(format!("move stage `{first_name}` to the end")),
                );
            }
            StageCondition::When(_) => {}
        }
    }

    fn when(&mut self, stage: &'a StageDecl, expr: &Expr, cx: &mut Context) {
        match unparen(expr).kind {
            ExprKind::Bool(true) => self.always = Some(stage),
            ExprKind::Bool(false) => cx.push(
                Diagnostic::warning(
                    codes::UNREACHABLE_STAGE,
                    format!("stage `{}` can never be chosen", stage.name.name),
                    stage.name.span,
                )
                .with_label("its condition is `false`"),
            ),
            _ => {}
        }
        let text = normalized(cx, expr.span);
        match self.earlier.iter().find(|(_, earlier)| *earlier == text) {
            Some((same, _)) => cx.push(unreachable(
                stage,
                same,
                "has the same condition and comes first",
            )),
            None => self.earlier.push((stage, text)),
        }
    }
}

fn unreachable(stage: &StageDecl, before: &StageDecl, why: &str) -> Diagnostic {
    Diagnostic::warning(
        codes::UNREACHABLE_STAGE,
        format!("stage `{}` can never be chosen", stage.name.name),
        stage.name.span,
    )
    .with_label("never chosen")
    .with_secondary(
        format!("stage `{}` {why}", before.name.name),
        before.name.span,
    )
    .with_help("a member takes the first stage whose condition is true")
}

/// An expression's text with its spacing made uniform, to spot two equal conditions.
fn normalized(cx: &Context, span: Span) -> String {
    cx.sources
        .slice(span)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
