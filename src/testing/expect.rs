//! One `expect` clause checked against what the playbook produced for a test's member:
//! a plan, or the reason there is none. Failures say what was expected and what
//! happened, in the words of the plan (`suppressed: consent on douyin_dm`).

use crate::ast::{Ident, TestClause, TimeOfDay};
use crate::plan::{ErrorKind, MemberError, Plan};

/// What planning the test's member gave.
pub(super) type Outcome = Result<Plan, MemberError>;

/// An expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mismatch {
    /// What the clause asked for.
    pub expected: String,
    /// What happened instead.
    pub found: String,
}

/// The clause as it reads in a playbook, or `None` for clauses that expect nothing
/// (`as_of`, `member`).
pub(super) fn expectation_text(clause: &TestClause) -> Option<String> {
    Some(match clause {
        TestClause::AsOf(_) | TestClause::Member(_) | TestClause::PreviousStage { .. } => {
            return None
        }
        TestClause::ExpectStage(Some(stage), _) => format!("expect stage {}", stage.name),
        TestClause::ExpectStage(None, _) => "expect stage null".to_string(),
        TestClause::ExpectAction { rule, via, at, .. } => {
            format!("expect action {}{}", rule.name, action_detail(via, at))
        }
        TestClause::ExpectNoAction(rule, _) => format!("expect no action {}", rule.name),
        TestClause::ExpectSuppressed { rule, reason, .. } => {
            format!("expect suppressed {} reason {}", rule.name, reason.name)
        }
        TestClause::ExpectHoldout(flag, _) => format!("expect holdout {flag}"),
        TestClause::ExpectInvalid(_) => "expect invalid".to_string(),
        TestClause::ExpectVariant {
            experiment,
            variant,
            ..
        } => format!("expect variant {} {}", experiment.name, variant.name),
    })
}

/// Checks one clause against the outcome; clauses that expect nothing always hold.
pub(super) fn check(clause: &TestClause, outcome: &Outcome) -> Result<(), Mismatch> {
    if let TestClause::ExpectInvalid(_) = clause {
        return check_invalid(outcome);
    }
    let Some(expected) = expected_words(clause) else {
        return Ok(());
    };
    let plan = match outcome {
        Ok(plan) => plan,
        Err(error) => {
            return Err(Mismatch {
                expected,
                found: no_plan(error),
            })
        }
    };
    let holds = match clause {
        TestClause::ExpectStage(stage, _) => {
            plan.stage.as_deref() == stage.as_ref().map(|s| s.name.as_str())
        }
        TestClause::ExpectAction { rule, via, at, .. } => plan.actions.iter().any(|action| {
            *action.rule == *rule.name
                && via
                    .as_ref()
                    .is_none_or(|via| action.channel.as_deref() == Some(via.name.as_str()))
                && at.is_none_or(|at| {
                    i64::from(action.at.hour()) == i64::from(at.hour)
                        && i64::from(action.at.minute()) == i64::from(at.minute)
                })
        }),
        TestClause::ExpectNoAction(rule, _) => {
            !plan.actions.iter().any(|action| *action.rule == *rule.name)
        }
        TestClause::ExpectSuppressed { rule, reason, .. } => {
            plan.suppressed.iter().any(|suppression| {
                *suppression.rule == *rule.name && suppression.reason.code() == reason.name
            })
        }
        TestClause::ExpectHoldout(flag, _) => plan.holdout == *flag,
        TestClause::ExpectVariant {
            experiment,
            variant,
            ..
        } => variant_of(plan, &experiment.name) == Some(variant.name.as_str()),
        TestClause::AsOf(_)
        | TestClause::Member(_)
        | TestClause::PreviousStage { .. }
        | TestClause::ExpectInvalid(_) => true,
    };
    if holds {
        return Ok(());
    }
    Err(Mismatch {
        expected,
        found: found_words(clause, plan),
    })
}

/// What a clause asks for, in words; `None` for clauses that ask nothing.
fn expected_words(clause: &TestClause) -> Option<String> {
    Some(match clause {
        TestClause::AsOf(_) | TestClause::Member(_) | TestClause::PreviousStage { .. } => {
            return None
        }
        TestClause::ExpectStage(Some(stage), _) => format!("stage `{}`", stage.name),
        TestClause::ExpectStage(None, _) => "no stage (null)".to_string(),
        TestClause::ExpectAction { rule, via, at, .. } => {
            let mut words = format!("an action of `{}`", rule.name);
            if let Some(via) = via {
                words.push_str(&format!(" via `{}`", via.name));
            }
            if let Some(at) = at {
                words.push_str(&format!(" at {}", time_of_day(at)));
            }
            words
        }
        TestClause::ExpectNoAction(rule, _) => format!("no action of `{}`", rule.name),
        TestClause::ExpectSuppressed { rule, reason, .. } => {
            format!("`{}` suppressed with reason `{}`", rule.name, reason.name)
        }
        TestClause::ExpectHoldout(true, _) => "the member held out".to_string(),
        TestClause::ExpectHoldout(false, _) => "the member not held out".to_string(),
        TestClause::ExpectInvalid(_) => "the snapshot rejected by the schema".to_string(),
        TestClause::ExpectVariant {
            experiment,
            variant,
            ..
        } => format!(
            "variant `{}` of experiment `{}`",
            variant.name, experiment.name
        ),
    })
}

/// The member's variant of an experiment, as the plan line gives it.
fn variant_of<'p>(plan: &'p Plan, experiment: &str) -> Option<&'p str> {
    plan.variants
        .iter()
        .find(|(e, _)| **e == *experiment)
        .map(|(_, v)| &**v)
}

/// What the plan holds that bears on a clause that did not hold.
fn found_words(clause: &TestClause, plan: &Plan) -> String {
    match clause {
        TestClause::ExpectStage(..) => match &plan.stage {
            Some(stage) => format!("stage `{stage}`"),
            None => "no stage (null)".to_string(),
        },
        TestClause::ExpectAction { rule, .. }
        | TestClause::ExpectNoAction(rule, _)
        | TestClause::ExpectSuppressed { rule, .. } => describe_rule(plan, &rule.name),
        TestClause::ExpectHoldout(..) => match plan.holdout {
            true => "the member held out".to_string(),
            false => "the member not held out".to_string(),
        },
        TestClause::ExpectVariant { experiment, .. } => match variant_of(plan, &experiment.name) {
            Some(variant) => format!("variant `{variant}` of experiment `{}`", experiment.name),
            None => format!("no experiment `{}` in the plan", experiment.name),
        },
        TestClause::AsOf(_)
        | TestClause::Member(_)
        | TestClause::PreviousStage { .. }
        | TestClause::ExpectInvalid(_) => String::new(),
    }
}

fn check_invalid(outcome: &Outcome) -> Result<(), Mismatch> {
    let expected = "the snapshot rejected by the schema".to_string();
    match outcome {
        Err(error) if matches!(error.kind, ErrorKind::Schema | ErrorKind::Malformed) => Ok(()),
        Err(error) => Err(Mismatch {
            expected,
            found: no_plan(error),
        }),
        Ok(plan) => Err(Mismatch {
            expected,
            found: format!(
                "a plan: {}, {} action{}",
                match &plan.stage {
                    Some(stage) => format!("stage `{stage}`"),
                    None => "no stage".to_string(),
                },
                plan.actions.len(),
                if plan.actions.len() == 1 { "" } else { "s" }
            ),
        }),
    }
}

/// Why there is no plan.
fn no_plan(error: &MemberError) -> String {
    match (&error.kind, &error.rule) {
        (ErrorKind::Runtime, Some(rule)) => {
            format!("no plan: evaluating `{rule}` failed: {}", error.message)
        }
        (ErrorKind::Runtime, None) => format!("no plan: evaluation failed: {}", error.message),
        _ => format!("no plan: the snapshot was rejected: {}", error.message),
    }
}

/// Everything the plan says about one rule: its actions and its suppressions.
fn describe_rule(plan: &Plan, rule: &str) -> String {
    let mut parts = Vec::new();
    for action in plan.actions.iter().filter(|action| *action.rule == *rule) {
        let channel = match &action.channel {
            Some(channel) => format!(" via `{channel}`"),
            None => String::new(),
        };
        parts.push(format!(
            "planned {}{channel} at {}",
            action.verb,
            action.at.strftime("%Y-%m-%d %H:%M")
        ));
    }
    for suppression in plan.suppressed.iter().filter(|s| *s.rule == *rule) {
        let channel = match &suppression.channel {
            Some(channel) => format!(" on `{channel}`"),
            None => String::new(),
        };
        parts.push(format!("suppressed: {}{channel}", suppression.reason));
    }
    if parts.is_empty() {
        let stage = match &plan.stage {
            Some(stage) => format!("stage `{stage}`"),
            None => "no stage".to_string(),
        };
        return format!("`{rule}` did not fire for this member ({stage})");
    }
    format!("`{rule}`: {}", parts.join("; "))
}

fn action_detail(via: &Option<Ident>, at: &Option<TimeOfDay>) -> String {
    let mut words = String::new();
    if let Some(via) = via {
        words.push_str(&format!(" via {}", via.name));
    }
    if let Some(at) = at {
        words.push_str(&format!(" at {}", time_of_day(at)));
    }
    words
}

fn time_of_day(at: &TimeOfDay) -> String {
    format!("{:02}:{:02}", at.hour, at.minute)
}
