//! Experiments: each `experiment` block (shares, variant names) and every reference to
//! one (a rule's `variant` clause, `variant(EXP)`, `expect variant`).

use std::collections::HashMap;

use super::names::Names;
use super::types::suggestion;
use super::Context;
use super::exprs::{string_literal, unparen};
use crate::ast::{ExperimentDecl, Expr, ExprKind, Ident};
use crate::diagnostics::{codes, Diagnostic, Span};

/// The name of being in no variant of an experiment.
pub(super) const NONE: &str = "none";

/// Checks an `experiment` block: at least one variant, each share from 0% to 100% and
/// given to the hundredth of a point at most, the shares at most 100% together, no variant
/// named twice or named `none`.
pub(super) fn experiment(decl: &ExperimentDecl, cx: &mut Context) {
    let name = &decl.name.name;
    if decl.variants.is_empty() {
        cx.push(
            Diagnostic::error(
                codes::BAD_EXPERIMENT,
                format!("experiment `{name}` has no variant"),
                decl.name.span,
            )
            .with_label("no `variant` inside")
            .with_help("declare its variants with their shares: `variant small 50%`"),
        );
        return;
    }
    let mut seen: HashMap<&str, Span> = HashMap::new();
    let mut total = 0.0;
    let mut out_of_range = false;
    for variant in &decl.variants {
        let variant_name = variant.name.name.as_str();
        if let Some(&first) = seen.get(variant_name) {
            cx.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("variant `{variant_name}` is named twice in experiment `{name}`"),
                    variant.name.span,
                )
                .with_label("named again here")
                .with_secondary("first named here", first)
                .with_help("each variant of an experiment has its own name"),
            );
            continue;
        }
        seen.insert(variant_name, variant.name.span);
        if variant_name == NONE {
            cx.push(
                Diagnostic::error(
                    codes::BAD_EXPERIMENT,
                    "a variant cannot be named `none`",
                    variant.name.span,
                )
                .with_label("`none` is the name of being in no variant")
                .with_help("leave the shares under 100% for members in no variant, and give this variant another name"),
            );
        }
        let hundredths = variant.share * 100.0;
        if (hundredths - hundredths.round()).abs() > 1e-6 {
            cx.push(
                Diagnostic::error(
                    codes::BAD_EXPERIMENT,
                    format!(
                        "variant `{variant_name}` has a share of {}%, finer than a hundredth of a point",
                        variant.share
                    ),
                    variant.share_span,
                )
                .with_label("members are assigned in hundredths of a point")
                .with_help(format!("write it with two decimals at most: `{}%`", round2(variant.share))),
            );
        }
        if !(0.0..=100.0).contains(&variant.share) {
            cx.push(
                Diagnostic::error(
                    codes::BAD_EXPERIMENT,
                    format!("variant `{variant_name}` has a share of {}%", variant.share),
                    variant.share_span,
                )
                .with_label("a share is from 0% to 100%")
                .with_help("a share is the percentage of members in the variant"),
            );
            out_of_range = true;
        }
        total += variant.share;
    }
    // Shares are compared to the hundredth of a point they are assigned with.
    // A share over 100% was reported on its own.
    if !out_of_range && (total * 100.0).round() > 100.0 * 100.0 {
        let first = decl.variants.first().map_or(decl.span, |v| v.share_span);
        let last = decl.variants.last().map_or(decl.span, |v| v.share_span);
        cx.push(
            Diagnostic::error(
                codes::BAD_EXPERIMENT,
                format!(
                    "the shares of experiment `{name}` add up to {}%, more than 100%",
                    round2(total)
                ),
                first.to(last),
            )
            .with_label("these shares")
            .with_help("lower them so they add up to 100% at most; what is left is `none`"),
        );
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Checks `EXP.VARIANT` (or, in a test, `EXP none`): an experiment that exists and a
/// variant of it, with the closest names suggested.
pub(super) fn reference(
    experiment: &Ident,
    variant: &Ident,
    place: Place,
    names: &Names,
    cx: &mut Context,
) {
    if let Some(decl) = experiment_name(experiment, place, names, cx) {
        known_variant(decl, variant, place == Place::Test, cx);
    }
}

/// Where an experiment is named: in the playbook (a rule's `variant` clause,
/// `variant(EXP)`), which makes it used, or in a test's `expect variant`, which may
/// name `none` and does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Playbook,
    Test,
}

/// `variant(EXP) == "V"`, `!=`, or `in ["V", …]`: when `typed` is `variant(EXP)` of a
/// declared experiment and `value` a string literal, the literal must be one of its
/// variants or `none`. Whether `typed` is such a call.
pub(super) fn compared_literal(typed: &Expr, value: &Expr, names: &Names, cx: &mut Context) -> bool {
    let ExprKind::Call(function, args) = &unparen(typed).kind else {
        return false;
    };
    let [argument] = args.as_slice() else {
        return false;
    };
    let ExprKind::Name(experiment) = &argument.kind else {
        return false;
    };
    if function.name != "variant" {
        return false;
    }
    // An unknown experiment was reported where it is named.
    if let (Some(decl), Some(text)) = (names.experiments.get(experiment.as_str()), string_literal(value)) {
        let variant = Ident {
            name: text.to_string(),
            span: value.span,
        };
        known_variant(decl, &variant, true, cx);
    }
    true
}

/// Checks that `variant` is a variant of `decl` (or `none` where allowed); an
/// experiment with no variant was reported at its declaration.
fn known_variant(decl: &ExperimentDecl, variant: &Ident, allow_none: bool, cx: &mut Context) {
    if decl.variants.is_empty() {
        return;
    }
    let known = decl.variants.iter().any(|v| v.name.name == variant.name);
    if known || (allow_none && variant.name == NONE) {
        return;
    }
    let mut candidates: Vec<&str> = decl.variants.iter().map(|v| v.name.name.as_str()).collect();
    if allow_none {
        candidates.push(NONE);
    }
    let mut diagnostic = Diagnostic::error(
        codes::UNKNOWN_VARIANT,
        format!(
            "experiment `{}` has no variant `{}`",
            decl.name.name, variant.name
        ),
        variant.span,
    )
    .with_label("no such variant");
    diagnostic = match suggestion(&variant.name, candidates.iter().copied()) {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic.with_help(format!("its variants are {}", list(&candidates))),
    };
    cx.push(diagnostic.with_secondary("the experiment is declared here", decl.name.span));
}

/// The experiment of this name (marked as used when named in the playbook); reported
/// when there is none.
pub(super) fn experiment_name<'a>(
    experiment: &Ident,
    place: Place,
    names: &Names<'a>,
    cx: &mut Context,
) -> Option<&'a ExperimentDecl> {
    if let Some(decl) = names.experiments.get(experiment.name.as_str()) {
        if place == Place::Playbook {
            cx.used_experiments.insert(experiment.name.clone());
        }
        return Some(decl);
    }
    if names.lost.has("experiment", &experiment.name) {
        return None;
    }
    let mut diagnostic = Diagnostic::error(
        codes::UNKNOWN_EXPERIMENT,
        format!("unknown experiment `{}`", experiment.name),
        experiment.span,
    )
    .with_label("no experiment has this name");
    diagnostic = match suggestion(&experiment.name, names.experiments.keys().copied()) {
        Some(help) => diagnostic.with_help(help),
        None if names.experiments.is_empty() => diagnostic
            .with_help("declare it with `experiment NAME { variant A 50%  variant B 50% }`"),
        None => diagnostic,
    };
    cx.push(diagnostic);
    None
}

fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

/// Warns about an experiment of the file that is run that nothing in the playbook uses
/// (a test's `expect variant` is not a use).
pub(super) fn unused(names: &Names, cx: &mut Context) {
    for (name, decl) in &names.experiments {
        if decl.span.file == names.root && !cx.used_experiments.contains(*name) {
            cx.push(
                Diagnostic::warning(
                    codes::UNUSED_EXPERIMENT,
                    format!("experiment `{name}` is never used"),
                    decl.name.span,
                )
                .with_label("no rule picks one of its variants")
                .with_help(format!(
                    "give a rule a `variant {name}.{}` clause, or remove the experiment",
                    decl.variants.first().map_or("VARIANT", |v| v.name.name.as_str())
                )),
            );
        }
    }
}
