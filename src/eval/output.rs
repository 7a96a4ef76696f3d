//! Where a member's plan goes while the planner makes it. The planner reports what it
//! decides, in order (the stage, each candidate rule, each planned action, each
//! suppression); an output keeps it in the form its user needs. [`PlanBuilder`] builds
//! a [`Plan`] value, for embedders and the explain trace; `plan::json::JsonPlan`
//! writes the plan line straight into a buffer and counts it, for streams, without
//! building a `Plan` at all. Both see exactly the same calls, so they cannot disagree.

use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::value::Value;
use crate::compile::{ActionSpec, Program};
use crate::plan::{Action, Plan, Reason, Suppression};

/// An action the planner planned, with its template rendered and its arguments
/// evaluated.
pub(crate) struct PlannedAction<'a> {
    /// The rule's index.
    pub rule: u32,
    /// The action's index among the rule's `then` clauses.
    pub position: usize,
    /// With a ledger run: the action's id.
    pub id: Option<u64>,
    /// The action as compiled.
    pub spec: &'a ActionSpec,
    /// The channel's index, for touches.
    pub channel: Option<u32>,
    /// The rendered template.
    pub content: Content<'a>,
    /// When.
    pub at: Timestamp,
    /// The `with { … }` values, in source order.
    pub args: &'a [Value],
}

/// A rendered template: the template itself when it has no expression.
#[derive(Clone, Copy)]
pub(crate) enum Content<'a> {
    /// The whole template, shared.
    Constant(&'a Arc<str>),
    /// Text rendered for this member.
    Rendered(&'a str),
}

impl Content<'_> {
    /// The text.
    pub(crate) fn text(&self) -> &str {
        match self {
            Content::Constant(text) => text,
            Content::Rendered(text) => text,
        }
    }
}

/// Receives a member's plan as it is made.
pub(crate) trait PlanOutput {
    /// First: the member, its stage (an index, or none), whether it is held out, and its
    /// variant of each experiment.
    fn begin(
        &mut self,
        member: &Arc<str>,
        stage: Option<u32>,
        holdout: bool,
        variants: &[Option<u16>],
    );
    /// A rule that is a candidate (its `when` is true), in candidate order.
    fn fired(&mut self, rule: u32);
    /// A planned action, in planning order.
    fn action(&mut self, action: PlannedAction<'_>);
    /// A suppression, in the order it happened.
    fn suppressed(&mut self, rule: u32, reason: Reason, channel: Option<u32>);
}

/// Builds a [`Plan`] value.
pub(crate) struct PlanBuilder<'a> {
    program: &'a Program,
    zone: &'a TimeZone,
    plan: Plan,
}

impl<'a> PlanBuilder<'a> {
    /// A builder for plans of `program` in `zone`.
    pub(crate) fn new(program: &'a Program, zone: &'a TimeZone) -> Self {
        PlanBuilder {
            program,
            zone,
            plan: Plan {
                member: Arc::from(""),
                stage: None,
                holdout: false,
                variants: Vec::new(),
                actions: Vec::new(),
                suppressed: Vec::new(),
                stage_index: None,
                fired: Vec::new(),
                variant_indices: Vec::new(),
            },
        }
    }

    /// The plan built.
    pub(crate) fn finish(self) -> Plan {
        self.plan
    }

    fn channel_name(&self, channel: Option<u32>) -> Option<Arc<str>> {
        channel
            .and_then(|c| self.program.channels.get(c as usize))
            .map(|c| c.name.clone())
    }

    fn rule_name(&self, rule: u32) -> Arc<str> {
        self.program
            .rules
            .get(rule as usize)
            .map_or_else(|| Arc::from(""), |r| r.name.clone())
    }
}

impl PlanOutput for PlanBuilder<'_> {
    fn begin(
        &mut self,
        member: &Arc<str>,
        stage: Option<u32>,
        holdout: bool,
        variants: &[Option<u16>],
    ) {
        self.plan.variants = self
            .program
            .experiments
            .iter()
            .zip(variants)
            .map(|(e, &v)| (e.name.clone(), Arc::from(e.variant_name(v))))
            .collect();
        self.plan.variant_indices = variants.to_vec();
        self.plan.member = member.clone();
        self.plan.stage = stage
            .and_then(|s| self.program.stages.get(s as usize))
            .map(|s| s.name.clone());
        self.plan.stage_index = stage;
        self.plan.holdout = holdout;
    }

    fn fired(&mut self, rule: u32) {
        self.plan.fired.push(rule);
    }

    fn action(&mut self, action: PlannedAction<'_>) {
        let content = match action.content {
            Content::Constant(text) => text.clone(),
            Content::Rendered(text) => Arc::from(text),
        };
        let args = action
            .spec
            .args
            .iter()
            .zip(action.args)
            .map(|((key, _), value)| (key.clone(), value.to_json(self.zone)))
            .collect();
        let priority = self
            .program
            .rules
            .get(action.rule as usize)
            .map_or(0, |r| r.priority);
        self.plan.actions.push(Action {
            id: action
                .id
                .map(|id| String::from_utf8_lossy(&crate::ledger::hex(id)).into_owned()),
            rule: self.rule_name(action.rule),
            verb: action.spec.verb,
            channel: self.channel_name(action.channel),
            content,
            at: action.at.to_zoned(self.zone.clone()),
            priority,
            args,
            rule_index: action.rule,
            channel_index: action.channel,
        });
    }

    fn suppressed(&mut self, rule: u32, reason: Reason, channel: Option<u32>) {
        self.plan.suppressed.push(Suppression {
            rule: self.rule_name(rule),
            reason,
            channel: self.channel_name(channel),
            rule_index: rule,
        });
    }
}
