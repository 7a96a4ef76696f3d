//! The explain trace of one member: which stage was chosen and the values that decided
//! it, every rule in candidate order and why it applied or not (a `when` with the
//! values of its parts; for a comparison, both sides), and every action planned or
//! suppressed and why. It renders in words a marketer reads (`Display`).

use std::fmt::{self, Write as _};
use std::sync::Arc;

use super::expr::{Clock, EvalError, Evaluated, Evaluator, MemberData};
use super::planner::{self, Event};
use super::value::Value;
use crate::compile::{Node, NodeKind, Program};
use crate::plan::{self, MemberError, Plan, Reason, Verb};

/// How one member was planned, step by step.
#[derive(Debug, Clone)]
pub struct Trace {
    /// The member's id.
    pub member: Arc<str>,
    /// The as-of time, in the playbook's zone.
    pub as_of: jiff::Zoned,
    /// The stage conditions tried, in order, up to the chosen one.
    pub stages: Vec<StageStep>,
    /// The stage chosen (`None`: no condition was true).
    pub stage: Option<Arc<str>>,
    /// The holdout decision.
    pub holdout: HoldoutStep,
    /// Every rule, in candidate order (priority, then declaration).
    pub rules: Vec<RuleStep>,
    /// The resulting plan.
    pub plan: Plan,
}

/// One stage condition tried.
#[derive(Debug, Clone)]
pub struct StageStep {
    /// The stage's name.
    pub stage: Arc<str>,
    /// Its label.
    pub label: Arc<str>,
    /// Its condition with values (`None` for `otherwise`).
    pub condition: Option<Explained>,
    /// Whether this stage was chosen.
    pub chosen: bool,
}

/// The holdout decision.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutStep {
    /// The `holdout P%` share (0 without one).
    pub percent: f64,
    /// The member's bucket (0..10 000).
    pub bucket: u32,
    /// Buckets below this are held out.
    pub threshold: u32,
    /// Whether the member is held out.
    pub held_out: bool,
}

/// What happened to one rule.
#[derive(Debug, Clone)]
pub struct RuleStep {
    /// The rule's name.
    pub rule: Arc<str>,
    /// Its label.
    pub label: Arc<str>,
    /// Its priority.
    pub priority: i64,
    /// Why it applied or not.
    pub outcome: RuleOutcome,
}

/// Why a rule applied or not.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RuleOutcome {
    /// Its quadrant guard does not match the playbook.
    QuadrantMismatch,
    /// The member's stage is not one the rule names.
    StageNotAdmitted {
        /// The stages the rule admits.
        stages: Vec<Arc<str>>,
    },
    /// Its `when` was not true.
    WhenFalse(Explained),
    /// It was a candidate: what happened to it and its actions.
    Candidate {
        /// Its `when`, if it has one.
        when: Option<Explained>,
        /// What happened, in order.
        steps: Vec<Step>,
    },
}

/// What happened to a candidate rule or one of its actions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Step {
    /// The member is in the control group.
    HeldOut,
    /// An earlier rule took the exclusive group.
    GroupTaken {
        /// The group.
        group: Arc<str>,
    },
    /// The channel's consent was not true.
    NoConsent {
        /// The action's verb.
        verb: Verb,
        /// The channel.
        channel: Arc<str>,
        /// The consent expression with its values.
        consent: Option<Explained>,
    },
    /// A cap was full.
    Capped {
        /// The action's verb.
        verb: Verb,
        /// The channel.
        channel: Arc<str>,
        /// Which cap.
        reason: Reason,
        /// Touches counted (history in the window plus earlier plans).
        counted: i64,
        /// The cap's limit.
        limit: i64,
        /// The cap's window, in seconds.
        per_seconds: i64,
    },
    /// The action was planned.
    Planned {
        /// The planned action.
        action: plan::Action,
        /// The time asked for (the as-of time, or `at`), before the window applied.
        asked: jiff::Zoned,
    },
}

/// An expression with its value and, for conditions, the parts that decided it.
#[derive(Debug, Clone)]
pub struct Explained {
    /// The expression as written.
    pub text: String,
    /// Its value.
    pub value: Value,
    /// The parts that decided it.
    pub detail: Detail,
}

/// The parts of an explained expression.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Detail {
    /// Nothing more to say.
    Leaf,
    /// A comparison: both sides with their values.
    Comparison {
        /// The left side and its value.
        left: (String, Value),
        /// The operator (`>=`, `in`, `is null`…).
        op: &'static str,
        /// The right side and its value (`None` for `is null`).
        right: Option<(String, Value)>,
    },
    /// `and`, `or`: the parts evaluated (short-circuit respected); a chain of one
    /// operator (`a and b and c`) is one list.
    Parts(Vec<Explained>),
    /// `not`: the condition it negates.
    Not(Box<Explained>),
    /// A segment and its condition.
    Segment {
        /// The segment's name.
        name: Arc<str>,
        /// Its condition.
        condition: Box<Explained>,
    },
}

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
    let bucket = super::holdout_bucket(&program.name, &member.id);
    let holdout = HoldoutStep {
        percent: program.holdout_percent,
        bucket,
        threshold: program.holdout_buckets,
        held_out: plan.holdout,
    };
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
    Ok(Trace {
        member: member.id.clone(),
        as_of: clock.now.to_zoned(clock.zone.clone()),
        stage: plan.stage.clone(),
        stages,
        holdout,
        rules,
        plan,
    })
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

fn mark(holds: bool) -> &'static str {
    if holds {
        "✓"
    } else {
        "✗"
    }
}

fn is_literal(text: &str, value: &Value) -> bool {
    text == value.to_string()
        || matches!(value, Value::Str(s) if text.trim_matches(['"', '\'']) == &**s)
}

impl Explained {
    /// One line with the expression and its value.
    fn write_whole(&self, out: &mut String, indent: usize) {
        let _ = writeln!(
            out,
            "{}{} {} is {}",
            " ".repeat(indent),
            mark(self.value.is_true()),
            self.text,
            self.value
        );
    }

    /// This expression as one part of a larger condition: its own line with its truth,
    /// then, indented under it, the parts that decided it.
    fn write_as_part(&self, out: &mut String, indent: usize) {
        match self.detail {
            Detail::Leaf => self.write_whole(out, indent),
            Detail::Parts(_) => {
                self.write_whole(out, indent);
                self.write_parts(out, indent + 2);
            }
            _ => self.write_parts(out, indent),
        }
    }

    /// The parts that decided the value, one line each, indented by `indent`.
    fn write_parts(&self, out: &mut String, indent: usize) {
        let pad = " ".repeat(indent);
        match &self.detail {
            Detail::Leaf => {}
            Detail::Comparison { left, op, right } => {
                let holds = mark(self.value.is_true());
                let _ = write!(out, "{pad}{holds} ");
                if is_literal(&left.0, &left.1) {
                    let _ = write!(out, "{}", left.1);
                } else {
                    let _ = write!(out, "{} = {}", left.0, left.1);
                }
                match right {
                    None => {
                        let _ = writeln!(out, ", needs {op}");
                    }
                    Some((text, value)) if is_literal(text, value) => {
                        let _ = writeln!(out, ", needs {op} {value}");
                    }
                    Some((text, value)) => {
                        let _ = writeln!(out, ", needs {op} {text} (= {value})");
                    }
                }
            }
            Detail::Parts(parts) => {
                for part in parts {
                    part.write_as_part(out, indent);
                }
            }
            Detail::Not(inner) => {
                // The truth of the whole `not …` first, then what it negates, so that a
                // false part under a true `not` does not read as the failure.
                self.write_whole(out, indent);
                inner.write_as_part(out, indent + 2);
            }
            Detail::Segment { name, condition } => {
                let _ = writeln!(
                    out,
                    "{pad}{} segment `{name}` is {}: {}",
                    mark(self.value.is_true()),
                    condition.value.is_true(),
                    condition.text
                );
                condition.write_parts(out, indent + 2);
            }
        }
    }
}

fn duration_words(seconds: i64) -> String {
    Value::Duration(seconds).render(&jiff::tz::TimeZone::UTC)
}

impl Step {
    fn write(&self, out: &mut String, rule: &RuleStep) {
        match self {
            Step::HeldOut => {
                let _ = writeln!(
                    out,
                    "    ✗ suppressed: the member is in the holdout (control) group"
                );
            }
            Step::GroupTaken { group } => {
                let _ = writeln!(
                    out,
                    "    ✗ suppressed: an earlier rule already took the group `{group}`"
                );
            }
            Step::NoConsent {
                verb,
                channel,
                consent,
            } => {
                let _ = writeln!(out, "    ✗ {verb} via {channel} suppressed: no consent");
                if let Some(consent) = consent {
                    let _ = writeln!(out, "      {} is {}", consent.text, consent.value);
                    consent.write_parts(out, 8);
                }
            }
            Step::Capped {
                verb,
                channel,
                reason,
                counted,
                limit,
                per_seconds,
            } => {
                let whose = match reason {
                    Reason::RuleCap => format!("the rule `{}`", rule.rule),
                    Reason::ChannelCap => format!("the channel `{channel}`"),
                    _ => "the member".to_string(),
                };
                let _ = writeln!(
                    out,
                    "    ✗ {verb} via {channel} suppressed ({reason}): {whose} already has {counted} touch(es), cap {limit} per {}",
                    duration_words(*per_seconds)
                );
            }
            Step::Planned { action, asked } => {
                let via = action
                    .channel
                    .as_ref()
                    .map(|c| format!(" via {c}"))
                    .unwrap_or_default();
                let at = plan::format_rfc3339(&action.at);
                let _ = write!(out, "    ✓ {}{via} planned at {at}", action.verb);
                if asked.timestamp() != action.at.timestamp() {
                    let _ = write!(
                        out,
                        " ({} is outside the channel's window; moved to its next opening)",
                        asked.strftime("%H:%M")
                    );
                }
                let _ = writeln!(out);
                let _ = writeln!(out, "      content: {}", action.content);
                for (key, value) in &action.args {
                    let _ = writeln!(out, "      {key}: {value}");
                }
            }
        }
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "member {} at {}",
            self.member,
            plan::format_rfc3339(&self.as_of)
        );
        let _ = writeln!(out);
        match &self.stage {
            Some(stage) => {
                let label = self
                    .stages
                    .iter()
                    .find(|s| s.chosen)
                    .map(|s| &*s.label)
                    .unwrap_or("");
                let _ = writeln!(out, "stage: {stage} ({label})");
            }
            None => {
                let _ = writeln!(out, "stage: none (no stage condition is true)");
            }
        }
        for step in &self.stages {
            match &step.condition {
                None => {
                    let _ = writeln!(out, "  ✓ {} (otherwise)", step.stage);
                }
                Some(condition) => {
                    let holds = condition.value.is_true();
                    let _ = writeln!(
                        out,
                        "  {} {}: {} is {}",
                        mark(holds),
                        step.stage,
                        condition.text,
                        holds
                    );
                    condition.write_parts(&mut out, 6);
                }
            }
        }
        let holdout = &self.holdout;
        if holdout.threshold == 0 {
            let _ = writeln!(out, "holdout: no (the playbook holds no one out)");
        } else {
            let _ = writeln!(
                out,
                "holdout: {} (bucket {} of 10000; {}% holds out buckets below {})",
                if holdout.held_out { "yes" } else { "no" },
                holdout.bucket,
                holdout.percent,
                holdout.threshold
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "rules, by priority:");
        for rule in &self.rules {
            rule.write(&mut out, self.stage.as_deref());
        }
        let _ = writeln!(
            out,
            "\n{} action(s) planned, {} suppressed",
            self.plan.actions.len(),
            self.plan.suppressed.len()
        );
        f.write_str(&out)
    }
}

impl RuleStep {
    fn write(&self, out: &mut String, stage: Option<&str>) {
        let label = if *self.label == *self.rule {
            String::new()
        } else {
            format!(" \"{}\"", self.label)
        };
        let _ = write!(out, "  {}{label} (priority {})", self.rule, self.priority);
        match &self.outcome {
            RuleOutcome::QuadrantMismatch => {
                let _ = writeln!(out, ": skipped, its quadrant does not match the playbook's");
            }
            RuleOutcome::StageNotAdmitted { stages } => {
                let names: Vec<&str> = stages.iter().map(|s| &**s).collect();
                let _ = writeln!(
                    out,
                    ": skipped, not for stage {} (only {})",
                    stage.unwrap_or("null"),
                    names.join(", ")
                );
            }
            RuleOutcome::WhenFalse(when) => {
                let _ = writeln!(out, ": skipped, `when {}` is {}", when.text, when.value);
                when.write_parts(out, 6);
            }
            RuleOutcome::Candidate { when, steps } => {
                let _ = writeln!(out);
                if let Some(when) = when {
                    let _ = writeln!(out, "    when {} is true", when.text);
                    when.write_parts(out, 6);
                }
                for step in steps {
                    step.write(out, self);
                }
            }
        }
    }
}
