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
    pub(crate) max_touches: Option<CapLimit>,
    /// Members whose bucket (0..10 000) is below this are held out.
    pub(crate) holdout_buckets: u32,
    pub(crate) holdout_percent: f64,
    /// Channel name → channel index, for touch histories.
    pub(crate) channel_ids: NameIndex,
    /// Rule name → rule index, for touch histories.
    pub(crate) rule_ids: NameIndex,
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
    /// The rule's name where it is declared.
    pub span: Span,
}

impl Rule {
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
