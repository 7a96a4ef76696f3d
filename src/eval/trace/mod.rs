//! The explain trace of one member: which stage was chosen and the values that decided
//! it, every rule in candidate order and why it applied or not (a `when` with the
//! values of its parts; for a comparison, both sides), and every action planned or
//! suppressed and why. This file holds the model; `build.rs` makes it while planning
//! the member, `render.rs` writes it in words a marketer reads (`Display`).

use std::sync::Arc;

use super::value::Value;
use crate::plan::{self, Plan, Reason, Verb};

mod build;
mod render;

pub(crate) use build::explain;

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
    /// What earlier runs remember of the member (`None`: planned without a ledger).
    pub history: Option<HistoryStep>,
    /// The member's variant of each experiment, in declaration order (empty when the
    /// playbook has none).
    pub variants: Vec<VariantStep>,
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

/// What the ledger remembered of the member.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryStep {
    /// The stage at the latest earlier run (the inner `None`: no stage), and since when;
    /// `None` when no earlier run planned the member.
    pub previous: Option<(Option<Arc<str>>, jiff::Zoned)>,
    /// Whether the member enters its stage in this run.
    pub entering: bool,
    /// Whole days in the current stage.
    pub stage_days: i64,
}

/// The member's variant of one experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantStep {
    /// The experiment's name.
    pub experiment: Arc<str>,
    /// The member's bucket in it (0..10 000).
    pub bucket: u32,
    /// The variant whose buckets hold it (`none` when no variant's do).
    pub variant: Arc<str>,
    /// That variant's buckets, `low..high` (`None` for `none`).
    pub buckets: Option<(u32, u32)>,
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
    /// An `on enter` rule, and the member was already in its stage at the latest run.
    NotEntering {
        /// The stage the member stays in.
        stage: Option<Arc<str>>,
    },
    /// The member is in none of the variants the rule's `variant` clause names.
    VariantNotAdmitted {
        /// The (experiment, variant) pairs the rule admits.
        variants: Vec<(Arc<str>, Arc<str>)>,
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
    /// The exclusive group's own cap was full.
    GroupCapped {
        /// The group.
        group: Arc<str>,
        /// Touches of the group's rules counted.
        counted: i64,
        /// The cap's limit.
        limit: i64,
        /// The cap's window, in seconds.
        per_seconds: i64,
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
