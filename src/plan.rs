//! The output types of planning: a member's [`Plan`] (planned [`Action`]s and
//! [`Suppression`]s), the [`Summary`] of a run, and the [`ErrorRecord`] of a snapshot
//! that got no plan. Their JSON shapes are the ones `siyu run` writes; field names and
//! order are part of the contract.
//!
//! Evaluation (`eval`) builds plans; this module only holds and serialises them.

pub(crate) mod counts;
pub(crate) mod json;
mod variants;

pub use variants::VariantCounts;
pub(crate) use variants::VariantMember;
use variants::{ExperimentCounts, ExperimentsJson};

use std::fmt;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

/// What an action does. The first four are touches: they go through a channel, need its
/// consent and count against caps; the last three are bookkeeping and are never capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Verb {
    /// Send a message.
    Send,
    /// Invite into a fan group, a WeCom contact, a live room.
    Invite,
    /// Give a coupon.
    Coupon,
    /// Remind of a live or an event.
    Remind,
    /// Label the member in the CRM.
    Tag,
    /// Add the member to an ad audience pack (用户资源包).
    Audience,
    /// Hand the member to a person (a clerk, an advisor).
    Assign,
}

impl Verb {
    /// Every verb, touches first, in the order the documentation lists them.
    pub const ALL: [Verb; 7] = [
        Verb::Send,
        Verb::Invite,
        Verb::Coupon,
        Verb::Remind,
        Verb::Tag,
        Verb::Audience,
        Verb::Assign,
    ];

    /// The verb named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|verb| verb.name() == name)
    }

    /// The verb as written in a playbook.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Send => "send",
            Verb::Invite => "invite",
            Verb::Coupon => "coupon",
            Verb::Remind => "remind",
            Verb::Tag => "tag",
            Verb::Audience => "audience",
            Verb::Assign => "assign",
        }
    }

    /// What the verb does, in one line.
    pub fn doc(self) -> &'static str {
        match self {
            Verb::Send => "send a message",
            Verb::Invite => "invite into a fan group, a WeCom contact, a live room",
            Verb::Coupon => "give a coupon",
            Verb::Remind => "remind of a live or an event",
            Verb::Tag => "label the member in the CRM",
            Verb::Audience => "add the member to an ad audience pack (用户资源包)",
            Verb::Assign => "hand the member to a person (a clerk, an advisor)",
        }
    }

    /// Whether the verb is a touch (needs a channel, consent, and counts against caps).
    pub fn is_touch(self) -> bool {
        matches!(
            self,
            Verb::Send | Verb::Invite | Verb::Coupon | Verb::Remind
        )
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an action or a rule was held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// The member is in the control group.
    Holdout,
    /// An earlier rule of the same exclusive group was planned.
    Group,
    /// The exclusive group's own cap (`group NAME { cap N per D }`) was full.
    GroupCap,
    /// The channel's consent expression was not true.
    Consent,
    /// The rule's own cap was full.
    RuleCap,
    /// The channel's cap was full.
    ChannelCap,
    /// The policy's `max_touches` was full.
    MemberCap,
}

impl Reason {
    /// Every reason, in the order the summary lists them.
    pub const ALL: [Reason; 7] = [
        Reason::Holdout,
        Reason::Group,
        Reason::GroupCap,
        Reason::Consent,
        Reason::RuleCap,
        Reason::ChannelCap,
        Reason::MemberCap,
    ];

    /// The reason code as it appears in plans (`rule_cap`).
    pub fn code(self) -> &'static str {
        match self {
            Reason::Holdout => "holdout",
            Reason::Group => "group",
            Reason::GroupCap => "group_cap",
            Reason::Consent => "consent",
            Reason::RuleCap => "rule_cap",
            Reason::ChannelCap => "channel_cap",
            Reason::MemberCap => "member_cap",
        }
    }

    /// The reason named `code`, if there is one.
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|reason| reason.code() == code)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One member's outreach plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The member's id, as a string.
    #[serde(serialize_with = "text")]
    pub member: Arc<str>,
    /// The stage's name, or `None` when no stage's condition was true.
    #[serde(serialize_with = "optional_text")]
    pub stage: Option<Arc<str>>,
    /// Whether the member is in the control group.
    pub holdout: bool,
    /// The member's variant of each experiment, in declaration order (`none` when in
    /// none of its variants); empty, and not written, when the playbook has none.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "variant_map"
    )]
    pub variants: Vec<(Arc<str>, Arc<str>)>,
    /// Planned actions, in planning order.
    pub actions: Vec<Action>,
    /// Suppressions, in the order they happened.
    pub suppressed: Vec<Suppression>,
    /// The index of the stage, for the summary.
    #[serde(skip)]
    pub(crate) stage_index: Option<u32>,
    /// The indices of the rules that were candidates, for the summary.
    #[serde(skip)]
    pub(crate) fired: Vec<u32>,
    /// The member's variant index of each experiment, for the summary.
    #[serde(skip)]
    pub(crate) variant_indices: Vec<Option<u16>>,
}

/// Serialises `[(experiment, variant)]` as a JSON object.
fn variant_map<S: Serializer>(
    value: &[(Arc<str>, Arc<str>)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(value.iter().map(|(e, v)| (&**e, &**v)))
}

/// A planned action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    /// With a ledger: the action's stable id (16 hexadecimal digits), the same when the
    /// same day is run again, so the sender can drop a duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The rule that planned it.
    #[serde(serialize_with = "text")]
    pub rule: Arc<str>,
    /// What it does.
    pub verb: Verb,
    /// The channel, for touches.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_text"
    )]
    pub channel: Option<Arc<str>>,
    /// The rendered template.
    #[serde(serialize_with = "text")]
    pub content: Arc<str>,
    /// When, in the playbook's time zone.
    #[serde(serialize_with = "rfc3339")]
    pub at: jiff::Zoned,
    /// The rule's priority.
    pub priority: i64,
    /// The `with { … }` values, in source order.
    #[serde(serialize_with = "args")]
    pub args: Vec<(Arc<str>, serde_json::Value)>,
    #[serde(skip)]
    pub(crate) rule_index: u32,
    #[serde(skip)]
    pub(crate) channel_index: Option<u32>,
}

/// An action or a rule held back, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppression {
    /// The rule.
    #[serde(serialize_with = "text")]
    pub rule: Arc<str>,
    /// Why.
    pub reason: Reason,
    /// The action's channel, when the suppression concerns one action with a channel.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_text"
    )]
    pub channel: Option<Arc<str>>,
    #[serde(skip)]
    pub(crate) rule_index: u32,
}

/// Serialises shared text as a string.
fn text<S: Serializer>(value: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value)
}

/// Serialises optional shared text as a string or `null`.
fn optional_text<S: Serializer>(
    value: &Option<Arc<str>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.serialize_str(value),
        None => serializer.serialize_none(),
    }
}

/// Serialises `with { … }` values as an object, in source order.
fn args<S: Serializer>(
    values: &[(Arc<str>, serde_json::Value)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(values.len()))?;
    for (key, value) in values {
        map.serialize_entry(&**key, value)?;
    }
    map.end()
}

/// Serialises a zoned date-time as RFC 3339 with its offset.
fn rfc3339<S: Serializer>(at: &jiff::Zoned, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0u8; 48];
    let length = write_rfc3339(at, &mut buffer);
    let text = std::str::from_utf8(buffer.get(..length).unwrap_or_default()).unwrap_or("");
    serializer.serialize_str(text)
}

/// Formats `2026-11-25T10:00:00+08:00` (fractional seconds only when present) into a
/// stack buffer; returns the length. Falls back to jiff's formatter for years outside
/// 0..=9999.
pub(crate) fn write_rfc3339(at: &jiff::Zoned, buffer: &mut [u8; 48]) -> usize {
    write_local_rfc3339(at.datetime(), at.offset(), buffer)
}

/// [`write_rfc3339`] from the local date-time and its offset.
pub(crate) fn write_local_rfc3339(
    at: jiff::civil::DateTime,
    offset: jiff::tz::Offset,
    buffer: &mut [u8; 48],
) -> usize {
    let year = at.year();
    if !(0..=9999).contains(&year) {
        let zoned = at.to_zoned(jiff::tz::TimeZone::fixed(offset));
        let text = zoned
            .map(|zoned| zoned.strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string())
            .unwrap_or_default();
        let length = text.len().min(buffer.len());
        buffer[..length].copy_from_slice(&text.as_bytes()[..length]);
        return length;
    }
    let mut length = 0;
    let mut put = |byte: u8| {
        buffer[length] = byte;
        length += 1;
    };
    let digits = |value: i32, count: u32, put: &mut dyn FnMut(u8)| {
        for position in (0..count).rev() {
            put(b'0' + ((value / 10i32.pow(position)) % 10) as u8);
        }
    };
    digits(i32::from(year), 4, &mut put);
    put(b'-');
    digits(i32::from(at.month()), 2, &mut put);
    put(b'-');
    digits(i32::from(at.day()), 2, &mut put);
    put(b'T');
    digits(i32::from(at.hour()), 2, &mut put);
    put(b':');
    digits(i32::from(at.minute()), 2, &mut put);
    put(b':');
    digits(i32::from(at.second()), 2, &mut put);
    let mut nanos = at.subsec_nanosecond();
    if nanos > 0 {
        put(b'.');
        let mut count = 9;
        while nanos % 10 == 0 {
            nanos /= 10;
            count -= 1;
        }
        digits(nanos, count, &mut put);
    }
    let offset = offset.seconds();
    put(if offset < 0 { b'-' } else { b'+' });
    let offset = offset.abs();
    digits(offset / 3600, 2, &mut put);
    put(b':');
    digits((offset / 60) % 60, 2, &mut put);
    length
}

/// A zoned date-time as RFC 3339 text, the way plans write it.
pub fn format_rfc3339(at: &jiff::Zoned) -> String {
    let mut buffer = [0u8; 48];
    let length = write_rfc3339(at, &mut buffer);
    String::from_utf8_lossy(&buffer[..length]).into_owned()
}

/// What kind of problem kept a snapshot from being planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The line is not valid JSON (or not valid UTF-8, or too long).
    Malformed,
    /// The snapshot does not fit the schema (or lacks an `id`, or is not an object).
    Schema,
    /// A type error met while evaluating a playbook without a schema.
    Runtime,
    /// The input could not be read at all; the stream ends after this record.
    Input,
    /// The ledger could not be read: the run cannot go on (nothing is committed).
    Ledger,
}

impl ErrorKind {
    /// Whether a stream cannot go on after this record: the input could not be read,
    /// or the ledger could not be. Such a record is not an invalid snapshot.
    pub fn is_fatal(self) -> bool {
        matches!(self, ErrorKind::Input | ErrorKind::Ledger)
    }
}

/// Why one member got no plan: an invalid snapshot or a run-time error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct MemberError {
    /// What kind of problem.
    pub kind: ErrorKind,
    /// The member's id, when it could be read.
    pub member: Option<Arc<str>>,
    /// The rule whose evaluation failed (run-time errors only).
    pub rule: Option<Arc<str>>,
    /// What went wrong, in plain words (field path, expected and found).
    pub message: String,
}

impl MemberError {
    /// A member that could not be planned because its history could not be read.
    pub fn ledger(member: &str, message: &str) -> MemberError {
        MemberError {
            kind: ErrorKind::Ledger,
            member: Some(Arc::from(member)),
            rule: None,
            message: message.to_string(),
        }
    }
}

impl miette::Diagnostic for MemberError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self.kind {
            ErrorKind::Malformed => "siyu::run::malformed_snapshot",
            ErrorKind::Schema => "siyu::run::invalid_snapshot",
            ErrorKind::Runtime => "siyu::run::runtime_error",
            ErrorKind::Input => "siyu::run::unreadable_input",
            ErrorKind::Ledger => "siyu::run::ledger",
        }))
    }
}

/// One line of `--errors`: a snapshot that got no plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorRecord {
    /// 1-based line number in the input, blank lines counted (for CSV, the record's
    /// first line).
    pub line: u64,
    /// The member's id, when it could be read.
    #[serde(serialize_with = "optional_text")]
    pub member: Option<Arc<str>>,
    /// The rule whose evaluation failed, for run-time errors.
    #[serde(serialize_with = "optional_text")]
    pub rule: Option<Arc<str>>,
    /// What went wrong.
    pub error: String,
    /// What kind of problem (not serialised).
    #[serde(skip)]
    pub kind: ErrorKind,
}

impl ErrorRecord {
    /// The record for a member error met on `line`.
    pub fn new(line: u64, error: MemberError) -> Self {
        ErrorRecord {
            line,
            member: error.member,
            rule: error.rule,
            error: error.message,
            kind: error.kind,
        }
    }
}

impl fmt::Display for ErrorRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(member) = &self.member {
            write!(f, " (member `{member}`)")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ", rule `{rule}`")?;
        }
        write!(f, ": {}", self.error)
    }
}

/// Per-rule counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCounts {
    /// Members for whom the rule was a candidate (held-out members included).
    pub fired: u64,
    /// Actions planned.
    pub planned: u64,
    /// Suppression entries, by reason, in [`Reason::ALL`] order.
    pub suppressed: [u64; Reason::ALL.len()],
    /// Members with at least one action of the rule planned.
    pub reached: u64,
    /// Members with at least one suppression of the rule, by reason, in
    /// [`Reason::ALL`] order.
    pub suppressed_members: [u64; Reason::ALL.len()],
}

impl RuleCounts {
    /// The number of suppressions for one reason.
    pub fn suppressed(&self, reason: Reason) -> u64 {
        self.suppressed[reason.index()]
    }

    /// The number of members with a suppression for one reason.
    pub fn suppressed_members(&self, reason: Reason) -> u64 {
        self.suppressed_members[reason.index()]
    }
}

impl Serialize for RuleCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Reasons<'a>(&'a [u64; Reason::ALL.len()]);
        impl Serialize for Reasons<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                for reason in Reason::ALL {
                    let count = self.0[reason.index()];
                    if count > 0 {
                        map.serialize_entry(reason.code(), &count)?;
                    }
                }
                map.end()
            }
        }
        let mut out = serializer.serialize_struct("RuleCounts", 5)?;
        out.serialize_field("fired", &self.fired)?;
        out.serialize_field("planned", &self.planned)?;
        out.serialize_field("suppressed", &Reasons(&self.suppressed))?;
        out.serialize_field("reached", &self.reached)?;
        out.serialize_field("suppressed_members", &Reasons(&self.suppressed_members))?;
        out.end()
    }
}

/// The counts of a run: members, stages, rules and channels. Add plans and invalid
/// snapshots as they come; the order does not matter, and summaries merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    planned: u64,
    invalid: u64,
    holdout: u64,
    stage_names: Vec<Arc<str>>,
    stage_counts: Vec<u64>,
    null_stage: u64,
    /// Held-out members per stage, then those with no stage.
    holdout_stages: Vec<u64>,
    rule_names: Vec<Arc<str>>,
    rule_counts: Vec<RuleCounts>,
    channel_names: Vec<Arc<str>>,
    channel_planned: Vec<u64>,
    experiments: Vec<ExperimentCounts>,
}

impl Summary {
    /// The same summary, also counting members by variant of these experiments (each
    /// with its variants' names, in declaration order).
    pub(crate) fn with_experiments(mut self, experiments: Vec<(Arc<str>, Vec<Arc<str>>)>) -> Self {
        let (stages, channels) = (self.stage_names.len(), self.channel_names.len());
        self.experiments = experiments
            .into_iter()
            .map(|(name, variants)| ExperimentCounts::new(name, variants, stages, channels))
            .collect();
        self
    }

    /// Counts a member by its variant of each experiment.
    pub(crate) fn count_variants<A>(&mut self, member: &VariantMember<'_, A>)
    where
        A: Iterator<Item = Option<u32>> + Clone,
    {
        for (experiment, &variant) in self.experiments.iter_mut().zip(member.assignment) {
            experiment.count(variant, member);
        }
    }

    /// Per experiment, in declaration order: its name and each variant's counts (then
    /// `none`).
    pub fn experiments(&self) -> impl Iterator<Item = (&str, Vec<(&str, &VariantCounts)>)> {
        self.experiments.iter().map(|e| {
            let variants = e.variants.iter().map(|(v, c)| (&**v, c)).collect();
            (&*e.name, variants)
        })
    }

    /// The channels' names, in declaration order (as the counts of each variant list
    /// them).
    pub fn channel_names(&self) -> impl Iterator<Item = &str> {
        self.channel_names.iter().map(|c| &**c)
    }

    /// An empty summary over these stages, rules and channels (declaration order).
    pub(crate) fn new(
        stages: Vec<Arc<str>>,
        rules: Vec<Arc<str>>,
        channels: Vec<Arc<str>>,
    ) -> Self {
        Summary {
            planned: 0,
            invalid: 0,
            holdout: 0,
            stage_counts: vec![0; stages.len()],
            holdout_stages: vec![0; stages.len() + 1],
            stage_names: stages,
            null_stage: 0,
            rule_counts: vec![RuleCounts::default(); rules.len()],
            rule_names: rules,
            channel_planned: vec![0; channels.len()],
            channel_names: channels,
            experiments: Vec::new(),
        }
    }

    /// Counts one member's plan. The plan must come from the playbook the summary was
    /// made for.
    pub fn add_plan(&mut self, plan: &Plan) {
        self.count_member(plan.stage_index, plan.holdout);
        for &rule in &plan.fired {
            self.count_fired(rule);
        }
        for action in &plan.actions {
            self.count_action(action.rule_index, action.channel_index);
        }
        for suppression in &plan.suppressed {
            self.count_suppression(suppression.rule_index, suppression.reason);
        }
        self.count_members(
            plan.actions.iter().map(|action| action.rule_index),
            plan.suppressed.iter().map(|s| (s.rule_index, s.reason)),
        );
        self.count_variants(&VariantMember {
            assignment: &plan.variant_indices,
            stage: plan.stage_index,
            holdout: plan.holdout,
            actions: plan.actions.iter().map(|action| action.channel_index),
        });
    }

    /// Counts one member among those each rule reached (at least one action planned)
    /// and among those it suppressed, per reason: `actions` gives the rule of each
    /// planned action of the member, `suppressions` the rule and reason of each of its
    /// suppressions.
    pub(crate) fn count_members<A, S>(&mut self, actions: A, suppressions: S)
    where
        A: Iterator<Item = u32> + Clone,
        S: Iterator<Item = (u32, Reason)> + Clone,
    {
        // A plan holds a handful of entries: looking back is cheaper than a set.
        for (i, rule) in actions.clone().enumerate() {
            if actions.clone().take(i).any(|earlier| earlier == rule) {
                continue;
            }
            if let Some(counts) = self.rule_counts.get_mut(rule as usize) {
                counts.reached += 1;
            }
        }
        for (i, entry) in suppressions.clone().enumerate() {
            if suppressions.clone().take(i).any(|earlier| earlier == entry) {
                continue;
            }
            if let Some(counts) = self.rule_counts.get_mut(entry.0 as usize) {
                counts.suppressed_members[entry.1.index()] += 1;
            }
        }
    }

    /// Counts a planned member in its stage (an index, or none).
    pub(crate) fn count_member(&mut self, stage: Option<u32>, holdout: bool) {
        self.planned += 1;
        if holdout {
            self.holdout += 1;
            let last = self.holdout_stages.len() - 1;
            let index = stage.map_or(last, |i| (i as usize).min(last));
            self.holdout_stages[index] += 1;
        }
        match stage.and_then(|i| self.stage_counts.get_mut(i as usize)) {
            Some(count) => *count += 1,
            None => self.null_stage += 1,
        }
    }

    /// Counts a rule that was a candidate.
    pub(crate) fn count_fired(&mut self, rule: u32) {
        if let Some(counts) = self.rule_counts.get_mut(rule as usize) {
            counts.fired += 1;
        }
    }

    /// Counts a planned action.
    pub(crate) fn count_action(&mut self, rule: u32, channel: Option<u32>) {
        if let Some(counts) = self.rule_counts.get_mut(rule as usize) {
            counts.planned += 1;
        }
        if let Some(count) = channel.and_then(|c| self.channel_planned.get_mut(c as usize)) {
            *count += 1;
        }
    }

    /// Counts a suppression.
    pub(crate) fn count_suppression(&mut self, rule: u32, reason: Reason) {
        if let Some(counts) = self.rule_counts.get_mut(rule as usize) {
            counts.suppressed[reason.index()] += 1;
        }
    }

    /// Counts one snapshot that got no plan.
    pub fn add_invalid(&mut self) {
        self.invalid += 1;
    }

    /// Adds another summary of the same playbook into this one.
    pub fn merge(&mut self, other: &Summary) {
        self.planned += other.planned;
        self.invalid += other.invalid;
        self.holdout += other.holdout;
        self.null_stage += other.null_stage;
        for (mine, theirs) in self.stage_counts.iter_mut().zip(&other.stage_counts) {
            *mine += theirs;
        }
        for (mine, theirs) in self.holdout_stages.iter_mut().zip(&other.holdout_stages) {
            *mine += theirs;
        }
        for (mine, theirs) in self.rule_counts.iter_mut().zip(&other.rule_counts) {
            mine.fired += theirs.fired;
            mine.planned += theirs.planned;
            mine.reached += theirs.reached;
            for (a, b) in mine.suppressed.iter_mut().zip(theirs.suppressed) {
                *a += b;
            }
            for (a, b) in mine.suppressed_members.iter_mut().zip(theirs.suppressed_members) {
                *a += b;
            }
        }
        for (mine, theirs) in self.channel_planned.iter_mut().zip(&other.channel_planned) {
            *mine += theirs;
        }
        for (mine, theirs) in self.experiments.iter_mut().zip(&other.experiments) {
            mine.merge(theirs);
        }
    }

    /// Members read: planned plus invalid.
    pub fn members(&self) -> u64 {
        self.planned + self.invalid
    }

    /// Members planned (one plan line each).
    pub fn planned(&self) -> u64 {
        self.planned
    }

    /// Snapshots that got no plan (invalid, malformed, or a run-time error).
    pub fn invalid(&self) -> u64 {
        self.invalid
    }

    /// Planned members in the control group.
    pub fn holdout(&self) -> u64 {
        self.holdout
    }

    /// Members per stage, in declaration order, then `null`.
    pub fn stages(&self) -> impl Iterator<Item = (&str, u64)> {
        self.stage_names
            .iter()
            .map(|name| &**name)
            .zip(self.stage_counts.iter().copied())
            .chain(std::iter::once(("null", self.null_stage)))
    }

    /// Held-out members per stage, in declaration order, then `null`.
    pub fn holdout_stages(&self) -> impl Iterator<Item = (&str, u64)> {
        self.stage_names
            .iter()
            .map(|name| &**name)
            .chain(std::iter::once("null"))
            .zip(self.holdout_stages.iter().copied())
    }

    /// Counts per rule, in declaration order.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &RuleCounts)> {
        self.rule_names
            .iter()
            .map(|name| &**name)
            .zip(&self.rule_counts)
    }

    /// Touches planned per channel, in declaration order.
    pub fn channels(&self) -> impl Iterator<Item = (&str, u64)> {
        self.channel_names
            .iter()
            .map(|name| &**name)
            .zip(self.channel_planned.iter().copied())
    }
}

impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Stages<'a>(&'a Summary);
        impl Serialize for Stages<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.stages())
            }
        }
        struct HoldoutStages<'a>(&'a Summary);
        impl Serialize for HoldoutStages<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.holdout_stages())
            }
        }
        struct Rules<'a>(&'a Summary);
        impl Serialize for Rules<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.rules())
            }
        }
        struct Channels<'a>(&'a Summary);
        impl Serialize for Channels<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                struct Planned(u64);
                impl Serialize for Planned {
                    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        let mut out = serializer.serialize_struct("Channel", 1)?;
                        out.serialize_field("planned", &self.0)?;
                        out.end()
                    }
                }
                serializer.collect_map(self.0.channels().map(|(name, n)| (name, Planned(n))))
            }
        }
        let mut out = serializer.serialize_struct("Summary", 9)?;
        out.serialize_field("members", &self.members())?;
        out.serialize_field("planned", &self.planned)?;
        out.serialize_field("invalid", &self.invalid)?;
        out.serialize_field("holdout", &self.holdout)?;
        out.serialize_field("stages", &Stages(self))?;
        out.serialize_field("rules", &Rules(self))?;
        out.serialize_field("channels", &Channels(self))?;
        out.serialize_field("holdout_stages", &HoldoutStages(self))?;
        if !self.experiments.is_empty() {
            let stages: Vec<&str> = self.stages().map(|(name, _)| name).collect();
            let channels: Vec<&str> = self.channel_names().collect();
            let experiments = ExperimentsJson {
                experiments: &self.experiments,
                stages: &stages,
                channels: &channels,
            };
            out.serialize_field("experiments", &experiments)?;
        }
        out.end()
    }
}
