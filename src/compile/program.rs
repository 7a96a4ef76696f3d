//! The compiled playbook: integer-indexed tables of stages, channels, segments and rules,
//! rules pre-sorted for planning, templates pre-split. Immutable once built.

use std::sync::Arc;

use jiff::tz::TimeZone;

use super::expr::Node;
use super::names::NameIndex;
use super::schema::Layout;
use crate::ast::Level;
use crate::diagnostics::{SourceMap, Span};
use crate::plan::Verb;

/// A compiled playbook, ready to plan any number of members.
#[derive(Debug)]
pub struct Program {
    pub(crate) sources: SourceMap,
    pub(crate) name: Arc<str>,
    pub(crate) quadrant: (Option<Level>, Option<Level>),
    pub(crate) zone: TimeZone,
    pub(crate) zone_name: String,
    pub(crate) layout: Layout,
    pub(crate) segments: Vec<Segment>,
    pub(crate) stages: Vec<Stage>,
    pub(crate) channels: Vec<Channel>,
    pub(crate) rules: Vec<Rule>,
    /// Rule indices by priority (high first), then declaration order.
    pub(crate) order: Vec<u32>,
    pub(crate) groups: Vec<Arc<str>>,
    /// Each group's own cap (`group NAME { cap N per D }`), aligned with `groups`.
    pub(crate) group_caps: Vec<Option<CapLimit>>,
    /// What the holdout and variant hashes and the ledger use: `key "…"` or the name.
    pub(crate) key: Arc<str>,
    /// Whether planning reads the member's history (`on enter`, `previous_stage`,
    /// `stage_days`): a run of such a playbook needs a ledger.
    pub(crate) reads_history: bool,
    /// The longest window any cap counts touches over, in seconds (0 without caps).
    pub(crate) longest_cap: i64,
    pub(crate) max_touches: Option<CapLimit>,
    /// Members whose bucket (0..10 000) is below this are held out.
    pub(crate) holdout_buckets: u32,
    pub(crate) holdout_percent: f64,
    /// Channel name → channel index, for touch histories.
    pub(crate) channel_ids: NameIndex,
    /// Rule name → rule index, for touch histories.
    pub(crate) rule_ids: NameIndex,
    /// The experiments, in declaration order.
    pub(crate) experiments: Vec<Experiment>,
}

/// `experiment name { variant A P% … }`, with each variant's buckets.
#[derive(Debug)]
pub(crate) struct Experiment {
    pub name: Arc<str>,
    /// The label (the name when there is none).
    pub label: Arc<str>,
    /// Each variant's name and its buckets `lo..hi` (of 0..10 000).
    pub variants: Vec<(Arc<str>, u32, u32)>,
}

impl Experiment {
    /// The variants laid out on the 10 000 buckets: the 1st, 3rd, 5th… declared stack
    /// upward from bucket 0, the 2nd, 4th… downward from bucket 10 000, each taking
    /// `round(P × 100)` buckets; the buckets left in the middle are `none`.
    pub(crate) fn new(name: Arc<str>, label: Arc<str>, shares: &[(Arc<str>, f64)]) -> Self {
        let mut low = 0u32;
        let mut high = crate::eval::BUCKETS;
        let mut variants = Vec::with_capacity(shares.len());
        for (index, (variant, share)) in shares.iter().enumerate() {
            let size = ((share * 100.0).round().max(0.0) as u32).min(high - low);
            if index % 2 == 0 {
                variants.push((variant.clone(), low, low + size));
                low += size;
            } else {
                variants.push((variant.clone(), high - size, high));
                high -= size;
            }
        }
        Experiment {
            name,
            label,
            variants,
        }
    }

    /// The member's variant (its index), if any.
    pub(crate) fn assign(&self, playbook_name: &str, member_id: &str) -> Option<u16> {
        self.variant_of(crate::eval::experiment_bucket(
            playbook_name,
            &self.name,
            member_id,
        ))
    }

    /// The variant (its index) of the member whose bucket is `bucket`, if any.
    pub(crate) fn variant_of(&self, bucket: u32) -> Option<u16> {
        self.variants
            .iter()
            .position(|&(_, lo, hi)| lo <= bucket && bucket < hi)
            .map(|i| i as u16)
    }

    /// The variant's name, `none` for no variant.
    pub(crate) fn variant_name(&self, variant: Option<u16>) -> &str {
        variant
            .and_then(|v| self.variants.get(v as usize))
            .map_or("none", |(name, _, _)| name)
    }
}

/// `segment name = EXPR`
#[derive(Debug)]
pub(crate) struct Segment {
    pub name: Arc<str>,
    pub condition: Node,
}

/// A lifecycle stage.
#[derive(Debug)]
pub(crate) struct Stage {
    pub name: Arc<str>,
    pub label: Arc<str>,
    /// `None` for `otherwise`.
    pub condition: Option<Node>,
    /// The stage's name where it is declared.
    pub span: Span,
}

/// `cap N per DURATION`, compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CapLimit {
    pub count: i64,
    pub seconds: i64,
    /// The clause, for findings about it.
    pub span: Span,
}

/// A window of the day: seconds since midnight; `end` is 86 400 for a `00:00` end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayWindow {
    pub start: u32,
    pub end: u32,
}

impl DayWindow {
    /// A window from `HH:MM` ends: `00:00` as an end is midnight.
    pub(crate) fn new(start: u32, end: u32) -> Self {
        let end = if end == 0 { 86_400 } else { end };
        DayWindow { start, end }
    }

    /// Whether a local time of day (seconds since midnight) is inside: the start is
    /// included, the end excluded, and a window may cross midnight.
    pub(crate) fn contains(self, second_of_day: u32) -> bool {
        if self.start < self.end {
            self.start <= second_of_day && second_of_day < self.end
        } else {
            second_of_day >= self.start || second_of_day < self.end
        }
    }
}

/// A touch channel.
#[derive(Debug)]
pub(crate) struct Channel {
    pub name: Arc<str>,
    pub consent: Option<Node>,
    pub window: Option<DayWindow>,
    pub cap: Option<CapLimit>,
    /// The channel's name where it is declared.
    pub span: Span,
}

/// A rule, compiled.
#[derive(Debug)]
pub(crate) struct Rule {
    pub name: Arc<str>,
    pub label: Arc<str>,
    /// `None`: any stage (null included); else the admitted stage indices.
    pub stages: Option<Vec<u32>>,
    /// Whether the quadrant guard matches the playbook.
    pub active: bool,
    pub when: Option<Node>,
    pub actions: Vec<ActionSpec>,
    pub priority: i64,
    pub cap: Option<CapLimit>,
    pub group: Option<u32>,
    /// `variant EXP.V, …`: the (experiment, variant) pairs admitted; empty for all.
    pub variants: Vec<(u16, u16)>,
    /// `on enter …`: a candidate only in the run where the member enters its stage.
    pub on_enter: bool,
    /// The rule's name where it is declared.
    pub span: Span,
}

impl Rule {
    /// Whether the rule applies to a member with these variants (one per experiment).
    pub(crate) fn admits_variants(&self, variants: &[Option<u16>]) -> bool {
        self.variants.is_empty()
            || self.variants.iter().any(|&(experiment, variant)| {
                variants.get(experiment as usize).copied().flatten() == Some(variant)
            })
    }

    /// Whether the rule applies to a member in this stage.
    pub(crate) fn admits(&self, stage: Option<u32>) -> bool {
        match (&self.stages, stage) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(stages), Some(stage)) => stages.contains(&stage),
        }
    }
}

/// One `then` action.
#[derive(Debug)]
pub(crate) struct ActionSpec {
    pub verb: Verb,
    pub template: Template,
    pub channel: Option<u32>,
    /// `at HH:MM`, in seconds since midnight.
    pub at: Option<u32>,
    pub args: Vec<(Arc<str>, Node)>,
    /// The `then` clause.
    pub span: Span,
}

/// A template, split into text and expressions.
#[derive(Debug)]
pub(crate) struct Template {
    /// The whole text when the template has no expression.
    pub constant: Option<Arc<str>>,
    pub parts: Vec<TemplatePiece>,
}

/// A piece of a template.
#[derive(Debug)]
pub(crate) enum TemplatePiece {
    Text(Box<str>),
    Expr(Node),
}

impl Program {
    /// The source text of a span, shortened for one-line messages.
    pub(crate) fn snippet(&self, span: Span) -> String {
        let text = self
            .sources
            .files()
            .nth(span.file.0 as usize)
            .and_then(|(_, file)| file.text.get(span.range()))
            .unwrap_or("");
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.chars().count() > 80 {
            let short: String = one_line.chars().take(77).collect();
            format!("{short}…")
        } else {
            one_line
        }
    }
}
