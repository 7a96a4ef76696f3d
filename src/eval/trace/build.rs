//! Building a trace: the member planned again with every decision recorded.

use std::sync::Arc;

use super::*;
use crate::eval::expr::{Clock, EvalError, Evaluated, Evaluator, MemberData};
use crate::eval::planner::{self, Event};
use crate::eval::value::Value;
use crate::compile::{Node, NodeKind, Program};
use crate::plan::{self, MemberError, Verb};

/// Builds the trace of one member.
pub(crate) fn explain(
    program: &Program,
    member: &MemberData,
    clock: &Clock,
) -> Result<Trace, MemberError> {
    let (plan, events) = planner::plan_member_logged(program, member, clock, Some(Vec::new()))?;
    let mut evaluator = Evaluator::new(program, member, clock);
    let runtime = |error: Box<EvalError>| planner::runtime_error(member, None, error.message);
    let mut stages = Vec::new();
    for (index, stage) in program.stages.iter().enumerate() {
        let condition = match &stage.condition {
            Some(node) => Some(explain_node(&mut evaluator, node).map_err(runtime)?),
            None => None,
        };
        let chosen = plan.stage_index == Some(index as u32);
        stages.push(StageStep {
            stage: stage.name.clone(),
            label: stage.label.clone(),
            condition,
            chosen,
        });
        if chosen {
            break;
        }
    }
    evaluator.stage = Some(plan.stage_index);
    let bucket = crate::eval::holdout_bucket(&program.key, &member.id);
    let holdout = HoldoutStep {
        percent: program.holdout_percent,
        bucket,
        threshold: program.holdout_buckets,
        held_out: plan.holdout,
    };
    let variants = variant_steps(program, &member.id, &plan.variant_indices);
    let mut planned_actions = plan.actions.iter();
    let mut rules = Vec::new();
    for &index in &program.order {
        let Some(rule) = program.rules.get(index as usize) else {
            continue;
        };
        let outcome = if !rule.active {
            RuleOutcome::QuadrantMismatch
        } else if !rule.admits(plan.stage_index) {
            let names = rule.stages.iter().flatten();
            let stages = names
                .filter_map(|s| program.stages.get(*s as usize))
                .map(|s| s.name.clone())
                .collect();
            RuleOutcome::StageNotAdmitted { stages }
        } else if !rule.admits_variants(&plan.variant_indices) {
            RuleOutcome::VariantNotAdmitted {
                variants: admitted_variants(program, &rule.variants),
            }
        } else if rule.on_enter && !planner::entering(&evaluator, plan.stage_index) {
            RuleOutcome::NotEntering {
                stage: plan.stage.clone(),
            }
        } else {
            let when = match &rule.when {
                Some(node) => Some(explain_node(&mut evaluator, node).map_err(runtime)?),
                None => None,
            };
            match when {
                Some(when) if !when.value.is_true() => RuleOutcome::WhenFalse(when),
                when => {
                    let steps =
                        rule_steps(&mut evaluator, index, &events, &mut planned_actions, clock)?;
                    RuleOutcome::Candidate { when, steps }
                }
            }
        };
        rules.push(RuleStep {
            rule: rule.name.clone(),
            label: rule.label.clone(),
            priority: rule.priority,
            outcome,
        });
    }
    let history = history_step(&evaluator, &plan, clock);
    Ok(Trace {
        member: member.id.clone(),
        as_of: clock.now.to_zoned(clock.zone.clone()),
        stage: plan.stage.clone(),
        stages,
        holdout,
        history,
        variants,
        rules,
        plan,
    })
}

/// The member's bucket and variant in each experiment.
fn variant_steps(program: &Program, id: &str, assigned: &[Option<u16>]) -> Vec<VariantStep> {
    program
        .experiments
        .iter()
        .zip(assigned)
        .map(|(experiment, &variant)| {
            let owned = variant.and_then(|v| experiment.variants.get(v as usize));
            VariantStep {
                experiment: experiment.name.clone(),
                bucket: crate::eval::experiment_bucket(&program.key, &experiment.name, id),
                variant: Arc::from(experiment.variant_name(variant)),
                buckets: owned.map(|&(_, low, high)| (low, high)),
            }
        })
        .collect()
}

/// A rule's `variant` clause as names.
fn admitted_variants(program: &Program, pairs: &[(u16, u16)]) -> Vec<(Arc<str>, Arc<str>)> {
    pairs
        .iter()
        .filter_map(|&(experiment, variant)| {
            let experiment = program.experiments.get(experiment as usize)?;
            let (name, _, _) = experiment.variants.get(variant as usize)?;
            Some((experiment.name.clone(), name.clone()))
        })
        .collect()
}

fn rule_steps<'p>(
    evaluator: &mut Evaluator<'_>,
    index: u32,
    events: &[Event],
    planned: &mut impl Iterator<Item = &'p plan::Action>,
    clock: &Clock,
) -> Result<Vec<Step>, MemberError> {
    let program = evaluator.program;
    let member = evaluator.member;
    let rule = program.rules.get(index as usize);
    let action_of = |position: usize| rule.and_then(|r| r.actions.get(position));
    let channel_of = |position: usize| {
        action_of(position)
            .and_then(|a| a.channel)
            .and_then(|c| program.channels.get(c as usize))
    };
    let mut steps = Vec::new();
    for event in events {
        match *event {
            Event::HeldOut { rule } if rule == index => steps.push(Step::HeldOut),
            Event::GroupTaken { rule, group } if rule == index => steps.push(Step::GroupTaken {
                group: program
                    .groups
                    .get(group as usize)
                    .cloned()
                    .unwrap_or_else(|| Arc::from("")),
            }),
            Event::GroupCapped {
                rule,
                group,
                counted,
                cap,
            } if rule == index => steps.push(Step::GroupCapped {
                group: program
                    .groups
                    .get(group as usize)
                    .cloned()
                    .unwrap_or_else(|| Arc::from("")),
                counted,
                limit: cap.count,
                per_seconds: cap.seconds,
            }),
            Event::NoConsent { rule, action } if rule == index => {
                let Some(channel) = channel_of(action) else {
                    continue;
                };
                let consent = match &channel.consent {
                    Some(node) => Some(
                        explain_node(evaluator, node)
                            .map_err(|e| planner::runtime_error(member, None, e.message))?,
                    ),
                    None => None,
                };
                steps.push(Step::NoConsent {
                    verb: action_of(action).map_or(Verb::Send, |a| a.verb),
                    channel: channel.name.clone(),
                    consent,
                });
            }
            Event::Capped {
                rule,
                action,
                reason,
                counted,
                cap,
            } if rule == index => steps.push(Step::Capped {
                verb: action_of(action).map_or(Verb::Send, |a| a.verb),
                channel: channel_of(action).map_or_else(|| Arc::from(""), |c| c.name.clone()),
                reason,
                counted,
                limit: cap.count,
                per_seconds: cap.seconds,
            }),
            Event::Planned { rule, asked, .. } if rule == index => {
                if let Some(action) = planned.next() {
                    steps.push(Step::Planned {
                        action: action.clone(),
                        asked: asked.to_zoned(clock.zone.clone()),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(steps)
}

/// What the ledger remembered, when the member was planned with one.
fn history_step(evaluator: &Evaluator<'_>, plan: &Plan, clock: &Clock) -> Option<HistoryStep> {
    let history = evaluator.member.history.as_ref()?;
    let previous = history.previous.as_ref().map(|p| {
        let since = p.since.to_zoned(clock.zone.clone());
        (p.name.clone(), since)
    });
    let stage_days = match evaluator.stage_days_value() {
        Value::Int(days) => days,
        _ => 0,
    };
    Some(HistoryStep {
        previous,
        entering: history.entering(plan.stage.as_deref()),
        stage_days,
    })
}

/// Parts nested deeper than this are shown by their value alone.
const MAX_EXPLAINED_DEPTH: usize = 12;

/// Evaluates a node, keeping the values of the parts that decide a condition.
fn explain_node(evaluator: &mut Evaluator<'_>, node: &Node) -> Evaluated<Explained> {
    explain_at(evaluator, node, 0)
}

fn explain_at(evaluator: &mut Evaluator<'_>, node: &Node, depth: usize) -> Evaluated<Explained> {
    let text = evaluator.program.snippet(node.span);
    if depth >= MAX_EXPLAINED_DEPTH {
        let value = evaluator.eval(node)?;
        return Ok(Explained {
            text,
            value,
            detail: Detail::Leaf,
        });
    }
    let explain_node =
        |evaluator: &mut Evaluator<'_>, node: &Node| explain_at(evaluator, node, depth + 1);
    let side = |evaluator: &mut Evaluator<'_>, node: &Node| -> Evaluated<(String, Value)> {
        Ok((evaluator.program.snippet(node.span), evaluator.eval(node)?))
    };
    let (value, detail) = match &node.kind {
        NodeKind::And(left, right) | NodeKind::Or(left, right) => {
            let is_and = matches!(node.kind, NodeKind::And(..));
            let same_operator = matches!(
                (&node.kind, &left.kind),
                (NodeKind::And(..), NodeKind::And(..)) | (NodeKind::Or(..), NodeKind::Or(..))
            );
            let first = explain_node(evaluator, left)?;
            let first_true = first.value.is_true();
            let mut parts = match first.detail {
                Detail::Parts(parts) if same_operator => parts,
                detail => vec![Explained { detail, ..first }],
            };
            let value = if first_true != is_and {
                first_true
            } else {
                let second = explain_node(evaluator, right)?;
                let second_true = second.value.is_true();
                parts.push(second);
                second_true
            };
            (Value::Bool(value), Detail::Parts(parts))
        }
        NodeKind::Not(inner) => {
            let inner = explain_node(evaluator, inner)?;
            let value = Value::Bool(!inner.value.is_true());
            (value, Detail::Not(Box::new(inner)))
        }
        NodeKind::Compare(op, left, right) => {
            let left = side(evaluator, left)?;
            let right = side(evaluator, right)?;
            let holds = evaluator.compare(*op, &left.1, &right.1, node.span)?;
            let detail = Detail::Comparison {
                left,
                op: op.symbol(),
                right: Some(right),
            };
            (Value::Bool(holds), detail)
        }
        NodeKind::In {
            needle,
            haystack,
            negated,
        } => {
            let value = evaluator.eval(node)?;
            let left = side(evaluator, needle)?;
            let right = side(evaluator, haystack)?;
            let op = if *negated { "not in" } else { "in" };
            (
                value,
                Detail::Comparison {
                    left,
                    op,
                    right: Some(right),
                },
            )
        }
        NodeKind::IsNull { operand, negated } => {
            let left = side(evaluator, operand)?;
            let op = if *negated { "is not null" } else { "is null" };
            let value = Value::Bool(left.1.is_null() != *negated);
            (
                value,
                Detail::Comparison {
                    left,
                    op,
                    right: None,
                },
            )
        }
        NodeKind::Segment(id) => {
            let program = evaluator.program;
            match program.segments.get(*id as usize) {
                Some(segment) => {
                    let condition = explain_node(evaluator, &segment.condition)?;
                    let value = Value::Bool(condition.value.is_true());
                    let detail = Detail::Segment {
                        name: segment.name.clone(),
                        condition: Box::new(condition),
                    };
                    (value, detail)
                }
                None => (Value::Null, Detail::Leaf),
            }
        }
        _ => (evaluator.eval(node)?, Detail::Leaf),
    };
    Ok(Explained {
        text,
        value,
        detail,
    })
}
