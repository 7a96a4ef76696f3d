//! What concerns the playbook as a whole: the warning a library (no `playbook`) gets, and
//! the warnings that do not fail `check` (no schema, quadrant guards that never match,
//! channels and segments declared in the file that is run and never used).

use std::collections::HashSet;

use super::names::Names;
use super::Context;
use crate::ast::{Item, Level, PlaybookClause, QuadrantSpec, RuleClause};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, FileId, Span};

/// The one warning a library file (no `playbook`) gets.
pub(super) fn library(root: FileId) -> Diagnostic {
    Diagnostic::warning(
        codes::NO_PLAYBOOK,
        "no `playbook` declaration: this file can be included but not run",
        Span::new(root, 0, 0),
    )
    .with_label("checked as a library")
    .with_help(
        "a file that is run declares `playbook \"name\" { … }`; a library's fields are \
         checked fully in the playbook that includes it",
    )
}

/// Checks of a file that is meant to be run.
pub(super) fn whole_playbook(items: &[Item], names: &Names, cx: &mut Context) {
    quadrant_guards(items, names, cx);
    if names.lost.any {
        // Some declarations are missing: what is unused or absent is not known.
        return;
    }
    if names.schema.is_none() {
        let span = names
            .playbook
            .map_or(Span::new(names.root, 0, 0), |p| p.name.span);
        cx.push(
            Diagnostic::warning(
                codes::NO_SCHEMA,
                "no `member` schema: fields are not checked",
                span,
            )
            .with_label("no `member { … }` block in this playbook or its includes")
            .with_help("declare the snapshot's fields, e.g. `member { id: string, orders: int }`, to catch misspelled fields and type errors before any member is read"),
        );
    }
    unused(items, names, cx);
}

/// Rules whose quadrant guard the playbook's quadrant never matches.
fn quadrant_guards(items: &[Item], names: &Names, cx: &mut Context) {
    let Some(playbook) = names.playbook else {
        return;
    };
    let declared: Option<&QuadrantSpec> = playbook.clauses.iter().find_map(|c| match c {
        PlaybookClause::Quadrant(spec) => Some(spec),
        PlaybookClause::Timezone(_) | PlaybookClause::Key(..) => None,
    });
    for item in items {
        let Item::Rule(rule) = item else { continue };
        for clause in &rule.clauses {
            let RuleClause::Quadrant(guard) = clause else {
                continue;
            };
            let axes = [
                ("online", guard.online, declared.and_then(|d| d.online)),
                (
                    "frequency",
                    guard.frequency,
                    declared.and_then(|d| d.frequency),
                ),
            ];
            for (axis, wanted, actual) in axes {
                if let Some(wanted) = wanted {
                    cx.diagnostics
                        .extend(guard_never(&rule.name.name, axis, wanted, actual));
                }
            }
        }
    }
}

/// The warning for one axis of a guard, when the playbook's level differs or is not
/// stated.
fn guard_never(
    rule: &str,
    axis: &str,
    (wanted, span): (Level, Span),
    actual: Option<(Level, Span)>,
) -> Option<Diagnostic> {
    let diagnostic = match actual {
        Some((actual, _)) if actual == wanted => return None,
        Some((actual, at)) => Diagnostic::warning(
            codes::QUADRANT_NEVER,
            format!(
                "rule `{rule}` never runs: it needs `{axis} {}` but the playbook is `{axis} {}`",
                level(wanted),
                level(actual)
            ),
            span,
        )
        .with_secondary("the playbook's quadrant", at),
        None => Diagnostic::warning(
            codes::QUADRANT_NEVER,
            format!(
                "rule `{rule}` needs `{axis} {}` but the playbook does not state its `{axis}` level",
                level(wanted)
            ),
            span,
        ),
    };
    Some(diagnostic.with_label("never matches").with_help(format!(
        "state the quadrant in the `playbook` block (`quadrant {axis} …`), or remove this guard"
    )))
}

fn level(level: Level) -> &'static str {
    match level {
        Level::High => "high",
        Level::Low => "low",
    }
}

/// Channels and segments declared in the file that is run and used nowhere.
fn unused(items: &[Item], names: &Names, cx: &mut Context) {
    let mut channels_used: HashSet<&str> = HashSet::new();
    for item in items {
        let Item::Rule(rule) = item else { continue };
        for clause in &rule.clauses {
            if let RuleClause::Then(action) = clause {
                if let Some(via) = &action.via {
                    // A misspelled channel is reported as unknown; the channel it
                    // was meant to be is not reported as unused as well.
                    let meant = if names.channels.contains_key(via.name.as_str()) {
                        Some(via.name.as_str())
                    } else {
                        did_you_mean(&via.name, names.channels.keys().copied())
                    };
                    channels_used.extend(meant);
                }
            }
        }
    }
    for (name, channel) in &names.channels {
        if channel.span.file == names.root && !channels_used.contains(name) {
            cx.push(
                Diagnostic::warning(
                    codes::UNUSED_CHANNEL,
                    format!("channel `{name}` is never used"),
                    channel.name.span,
                )
                .with_label("no action goes `via` it")
                .with_help("use it in a rule's `then … via`, or remove it"),
            );
        }
    }
    super::experiments::unused(names, cx);
    super::history::unused_groups(names, cx);
    for (name, segment) in &names.segments {
        if segment.span.file == names.root && !cx.used_segments.contains(*name) {
            cx.push(
                Diagnostic::warning(
                    codes::UNUSED_SEGMENT,
                    format!("segment `{name}` is never used"),
                    segment.name.span,
                )
                .with_label("no condition uses it")
                .with_help("use it in a `when`, a stage or another segment, or remove it"),
            );
        }
    }
}
