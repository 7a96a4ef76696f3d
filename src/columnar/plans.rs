//! Plans written into Arrow columns as the planner makes them, one row per member:
//! [`PlanColumns`] holds the columns of the plans schema (`schema::plan_schema`) and
//! can take back a row begun for a member whose planning then failed; [`ArrowPlan`] is
//! the planner's output that fills them, reporting exactly what `plan::json::JsonPlan`
//! reports, counted through the same `MemberCounts`; [`PlanBatchBuilder`] fills them
//! from [`Plan`] values.

use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
    TimestampMicrosecondArray,
};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, Field, Fields, SchemaRef};
use jiff::tz::TimeZone;

use super::schema;
use super::BatchError;
use crate::compile::Program;
use crate::eval::output::{PlanOutput, PlannedAction};
use crate::plan::counts::MemberCounts;
use crate::plan::json::put_value;
use crate::plan::{ErrorRecord, MemberError, Plan, Reason, Summary};
use crate::playbook::Playbook;

/// A string column being written; rows can be taken back.
#[derive(Debug, Default)]
struct Text {
    offsets: Vec<usize>,
    bytes: Vec<u8>,
    valid: Vec<bool>,
}

impl Text {
    fn push(&mut self, text: &str) {
        self.bytes.extend_from_slice(text.as_bytes());
        self.offsets.push(self.bytes.len());
        self.valid.push(true);
    }

    fn push_option(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.push(text),
            None => self.push_null(),
        }
    }

    fn push_null(&mut self) {
        self.offsets.push(self.bytes.len());
        self.valid.push(false);
    }

    fn len(&self) -> usize {
        self.valid.len()
    }

    fn truncate(&mut self, rows: usize) {
        self.offsets.truncate(rows);
        self.valid.truncate(rows);
        self.bytes
            .truncate(self.offsets.last().copied().unwrap_or(0));
    }

    fn finish(&mut self) -> Result<ArrayRef, BatchError> {
        let offsets = std::iter::once(0)
            .chain(self.offsets.drain(..))
            .map(i32::try_from)
            .collect::<Result<Vec<i32>, _>>()
            .map_err(|_| BatchError::TooLarge)?;
        let bytes = Buffer::from_vec(std::mem::take(&mut self.bytes));
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        let nulls = nulls(&mut self.valid);
        Ok(Arc::new(StringArray::try_new(offsets, bytes, nulls)?))
    }
}

/// A null buffer from validity flags, none when every row is valid.
fn nulls(valid: &mut Vec<bool>) -> Option<NullBuffer> {
    let valid = std::mem::take(valid);
    if valid.iter().all(|v| *v) {
        None
    } else {
        Some(NullBuffer::from(valid))
    }
}

/// The offsets of a list column being written.
#[derive(Debug, Default)]
struct Lists {
    ends: Vec<usize>,
    valid: Vec<bool>,
}

impl Lists {
    fn push(&mut self, end: usize, valid: bool) {
        self.ends.push(end);
        self.valid.push(valid);
    }

    fn truncate(&mut self, rows: usize) {
        self.ends.truncate(rows);
        self.valid.truncate(rows);
    }

    fn end(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    fn finish(&mut self, fields: Fields, items: Vec<ArrayRef>) -> Result<ArrayRef, BatchError> {
        let offsets = std::iter::once(0)
            .chain(self.ends.drain(..))
            .map(i32::try_from)
            .collect::<Result<Vec<i32>, _>>()
            .map_err(|_| BatchError::TooLarge)?;
        let structs = StructArray::try_new(fields.clone(), items, None)?;
        let item = Arc::new(Field::new("item", DataType::Struct(fields), true));
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        let list = ListArray::try_new(item, offsets, Arc::new(structs), nulls(&mut self.valid))?;
        Ok(Arc::new(list))
    }
}

/// The actions of every row, flattened.
#[derive(Debug, Default)]
struct Actions {
    rule: Text,
    verb: Text,
    channel: Text,
    content: Text,
    at: Vec<i64>,
    priority: Vec<i64>,
    args: Text,
}

impl Actions {
    fn len(&self) -> usize {
        self.at.len()
    }

    fn truncate(&mut self, items: usize) {
        for text in [
            &mut self.rule,
            &mut self.verb,
            &mut self.channel,
            &mut self.content,
            &mut self.args,
        ] {
            text.truncate(items);
        }
        self.at.truncate(items);
        self.priority.truncate(items);
    }

    fn finish(&mut self, zone: &str) -> Result<Vec<ArrayRef>, BatchError> {
        let at = TimestampMicrosecondArray::from(std::mem::take(&mut self.at)).with_timezone(zone);
        let priority = Int64Array::from(std::mem::take(&mut self.priority));
        Ok(vec![
            self.rule.finish()?,
            self.verb.finish()?,
            self.channel.finish()?,
            self.content.finish()?,
            Arc::new(at),
            Arc::new(priority),
            self.args.finish()?,
        ])
    }
}

/// The suppressions of every row, flattened.
#[derive(Debug, Default)]
struct Suppressions {
    rule: Text,
    reason: Text,
    channel: Text,
}

impl Suppressions {
    fn truncate(&mut self, items: usize) {
        self.rule.truncate(items);
        self.reason.truncate(items);
        self.channel.truncate(items);
    }
}

/// The columns of a plans batch being written.
#[derive(Debug)]
pub(crate) struct PlanColumns {
    schema: SchemaRef,
    zone: String,
    member: Text,
    stage: Text,
    holdout: Vec<bool>,
    /// One column per experiment.
    variants: Vec<Text>,
    actions: Lists,
    action: Actions,
    suppressed: Lists,
    suppression: Suppressions,
    error_rule: Text,
    error_message: Text,
    /// Rows with a plan (the others have an error).
    planned: Vec<bool>,
}

/// Where a row began, to take it back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowStart {
    rows: usize,
    actions: usize,
    suppressions: usize,
}

impl PlanColumns {
    /// Empty columns for plans of `program`.
    pub(crate) fn new(program: &Program) -> Self {
        PlanColumns {
            schema: schema::plan_schema(program),
            zone: schema::zone_label(program),
            member: Text::default(),
            stage: Text::default(),
            holdout: Vec::new(),
            variants: program
                .experiments
                .iter()
                .map(|_| Text::default())
                .collect(),
            actions: Lists::default(),
            action: Actions::default(),
            suppressed: Lists::default(),
            suppression: Suppressions::default(),
            error_rule: Text::default(),
            error_message: Text::default(),
            planned: Vec::new(),
        }
    }

    /// The number of rows written.
    pub(crate) fn len(&self) -> usize {
        self.planned.len()
    }

    /// Where the next row begins.
    pub(crate) fn row_start(&self) -> RowStart {
        RowStart {
            rows: self.len(),
            actions: self.action.len(),
            suppressions: self.suppression.rule.len(),
        }
    }

    /// Takes back everything written since `start`.
    pub(crate) fn truncate(&mut self, start: RowStart) {
        let rows = start.rows;
        self.member.truncate(rows);
        self.stage.truncate(rows);
        self.holdout.truncate(rows);
        for variant in &mut self.variants {
            variant.truncate(rows);
        }
        self.actions.truncate(rows);
        self.suppressed.truncate(rows);
        self.error_rule.truncate(rows);
        self.error_message.truncate(rows);
        self.planned.truncate(rows);
        self.action.truncate(start.actions);
        self.suppression.truncate(start.suppressions);
    }

    /// Begins a planned row. The variants, one per experiment, come with it.
    fn begin<'v>(
        &mut self,
        member: &str,
        stage: Option<&str>,
        holdout: bool,
        variants: impl Iterator<Item = &'v str>,
    ) {
        self.member.push(member);
        self.stage.push_option(stage);
        self.holdout.push(holdout);
        for (column, variant) in self.variants.iter_mut().zip(variants) {
            column.push(variant);
        }
    }

    /// Ends a planned row.
    fn end(&mut self) {
        self.actions.push(self.action.len(), true);
        self.suppressed.push(self.suppression.rule.len(), true);
        self.error_rule.push_null();
        self.error_message.push_null();
        self.planned.push(true);
    }

    /// A row for a member that got no plan: its id (when known) and the error.
    pub(crate) fn push_error(&mut self, error: &MemberError) {
        self.member.push_option(error.member.as_deref());
        self.stage.push_null();
        self.holdout.push(false);
        for variant in &mut self.variants {
            variant.push_null();
        }
        self.actions.push(self.actions.end(), false);
        self.suppressed.push(self.suppressed.end(), false);
        self.error_rule.push_option(error.rule.as_deref());
        self.error_message.push(&error.message);
        self.planned.push(false);
    }

    /// One action of the row begun.
    #[allow(clippy::too_many_arguments)]
    fn action(
        &mut self,
        rule: &str,
        verb: &str,
        channel: Option<&str>,
        content: &str,
        at: i64,
        priority: i64,
        args: &str,
    ) {
        let action = &mut self.action;
        action.rule.push(rule);
        action.verb.push(verb);
        action.channel.push_option(channel);
        action.content.push(content);
        action.at.push(at);
        action.priority.push(priority);
        action.args.push(args);
    }

    /// One suppression of the row begun.
    fn suppression(&mut self, rule: &str, reason: Reason, channel: Option<&str>) {
        let suppression = &mut self.suppression;
        suppression.rule.push(rule);
        suppression.reason.push(reason.code());
        suppression.channel.push_option(channel);
    }

    /// The rows written, as a batch; the columns are left empty.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, BatchError> {
        let planned = std::mem::take(&mut self.planned);
        let rows = planned.len();
        let planned_nulls =
            (!planned.iter().all(|p| *p)).then(|| NullBuffer::from(planned.clone()));
        let mut holdout = std::mem::take(&mut self.holdout);
        holdout.truncate(rows);
        let mut columns: Vec<ArrayRef> = vec![
            self.member.finish()?,
            self.stage.finish()?,
            Arc::new(BooleanArray::new(holdout.into(), planned_nulls.clone())),
        ];
        if !self.variants.is_empty() {
            let fields = match self
                .schema
                .field_with_name("variants")
                .map(Field::data_type)
            {
                Ok(DataType::Struct(fields)) => fields.clone(),
                _ => Fields::empty(),
            };
            let values = self
                .variants
                .iter_mut()
                .map(Text::finish)
                .collect::<Result<Vec<_>, _>>()?;
            columns.push(Arc::new(StructArray::try_new(
                fields,
                values,
                planned_nulls.clone(),
            )?));
        }
        let actions = self.action.finish(&self.zone)?;
        columns.push(self.actions.finish(action_fields(&self.schema), actions)?);
        let suppressions = vec![
            self.suppression.rule.finish()?,
            self.suppression.reason.finish()?,
            self.suppression.channel.finish()?,
        ];
        columns.push(
            self.suppressed
                .finish(schema::suppression_fields(), suppressions)?,
        );
        let errors = vec![self.error_rule.finish()?, self.error_message.finish()?];
        let error_nulls = NullBuffer::from(planned.iter().map(|p| !p).collect::<Vec<bool>>());
        let error_nulls = (error_nulls.null_count() > 0).then_some(error_nulls);
        columns.push(Arc::new(StructArray::try_new(
            schema::error_fields(),
            errors,
            error_nulls,
        )?));
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }
}

/// The fields of an action, as the schema has them.
fn action_fields(schema: &SchemaRef) -> Fields {
    match schema.field_with_name("actions").map(Field::data_type) {
        Ok(DataType::List(item)) => match item.data_type() {
            DataType::Struct(fields) => fields.clone(),
            _ => Fields::empty(),
        },
        _ => Fields::empty(),
    }
}

/// The planner's output into [`PlanColumns`], counting the member when asked.
pub(crate) struct ArrowPlan<'a> {
    program: &'a Program,
    zone: &'a TimeZone,
    columns: &'a mut PlanColumns,
    counts: &'a mut MemberCounts,
    /// An action's arguments as JSON text, and a rendered value.
    args: Vec<u8>,
    text: String,
}

impl<'a> ArrowPlan<'a> {
    /// An output appending one row to `columns`.
    pub(crate) fn new(
        program: &'a Program,
        zone: &'a TimeZone,
        columns: &'a mut PlanColumns,
        counts: &'a mut MemberCounts,
    ) -> Self {
        counts.clear();
        ArrowPlan {
            program,
            zone,
            columns,
            counts,
            args: Vec::new(),
            text: String::new(),
        }
    }

    /// Ends the row; adds the member's counts to `summary` when given.
    pub(crate) fn finish(self, summary: Option<&mut Summary>) {
        self.columns.end();
        if let Some(summary) = summary {
            self.counts.add_to(summary);
        }
    }

    fn rule(&self, rule: u32) -> &'a str {
        self.program
            .rules
            .get(rule as usize)
            .map_or("", |r| &r.name)
    }

    fn channel(&self, channel: Option<u32>) -> Option<&'a str> {
        let program = self.program;
        channel
            .and_then(|c| program.channels.get(c as usize))
            .map(|c| &*c.name)
    }
}

impl PlanOutput for ArrowPlan<'_> {
    fn begin(
        &mut self,
        member: &Arc<str>,
        stage: Option<u32>,
        holdout: bool,
        variants: &[Option<u16>],
    ) {
        let program = self.program;
        let stage_name = stage
            .and_then(|s| program.stages.get(s as usize))
            .map(|s| &*s.name);
        let names = program
            .experiments
            .iter()
            .zip(variants)
            .map(|(experiment, &variant)| experiment.variant_name(variant));
        self.columns.begin(member, stage_name, holdout, names);
        self.counts.begin(stage, holdout, variants);
    }

    fn fired(&mut self, rule: u32) {
        self.counts.fired(rule);
    }

    fn action(&mut self, action: PlannedAction<'_>) {
        self.args.clear();
        self.args.push(b'{');
        for (position, ((key, _), value)) in action.spec.args.iter().zip(action.args).enumerate() {
            if position > 0 {
                self.args.push(b',');
            }
            let _ = serde_json::to_writer(&mut self.args, &**key);
            self.args.push(b':');
            put_value(&mut self.args, value, self.zone, &mut self.text);
        }
        self.args.push(b'}');
        let priority = self
            .program
            .rules
            .get(action.rule as usize)
            .map_or(0, |r| r.priority);
        let args = std::str::from_utf8(&self.args).unwrap_or("{}");
        let (rule, channel) = (self.rule(action.rule), self.channel(action.channel));
        self.columns.action(
            rule,
            action.spec.verb.name(),
            channel,
            action.content.text(),
            action.at.as_microsecond(),
            priority,
            args,
        );
        self.counts.action(action.rule, action.channel);
    }

    fn suppressed(&mut self, rule: u32, reason: Reason, channel: Option<u32>) {
        let (name, channel_name) = (self.rule(rule), self.channel(channel));
        self.columns.suppression(name, reason, channel_name);
        self.counts.suppressed(rule, reason);
    }
}

/// Builds a plans batch from [`Plan`] values and error records: the same columns as
/// [`Playbook::plan_arrow`] gives, for plans made some other way (from a JSON Lines
/// stream, say).
#[derive(Debug)]
pub struct PlanBatchBuilder {
    columns: PlanColumns,
}

impl PlanBatchBuilder {
    /// An empty batch for plans of `playbook`.
    pub fn new(playbook: &Playbook) -> Self {
        PlanBatchBuilder {
            columns: PlanColumns::new(playbook.program()),
        }
    }

    /// Adds a row for a plan.
    pub fn push_plan(&mut self, plan: &Plan) {
        let columns = &mut self.columns;
        let variants = plan.variants.iter().map(|(_, variant)| &**variant);
        columns.begin(&plan.member, plan.stage.as_deref(), plan.holdout, variants);
        for action in &plan.actions {
            let args = serde_json::to_string(&ArgsJson(&action.args)).unwrap_or_default();
            columns.action(
                &action.rule,
                action.verb.name(),
                action.channel.as_deref(),
                &action.content,
                action.at.timestamp().as_microsecond(),
                action.priority,
                &args,
            );
        }
        for suppression in &plan.suppressed {
            columns.suppression(
                &suppression.rule,
                suppression.reason,
                suppression.channel.as_deref(),
            );
        }
        columns.end();
    }

    /// Adds a row for a member that got no plan.
    pub fn push_error(&mut self, record: &ErrorRecord) {
        self.columns.push_error(&MemberError {
            kind: record.kind,
            member: record.member.clone(),
            rule: record.rule.clone(),
            message: record.error.clone(),
        });
    }

    /// The number of rows added.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.columns.len() == 0
    }

    /// The rows added, as a batch; the builder is left empty, ready for the next.
    pub fn finish(&mut self) -> Result<RecordBatch, BatchError> {
        self.columns.finish()
    }
}

/// An action's `args` as the JSON object plan lines carry.
struct ArgsJson<'a>(&'a [(Arc<str>, serde_json::Value)]);

impl serde::Serialize for ArgsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(key, value)| (&**key, value)))
    }
}

impl From<ArrowError> for BatchError {
    fn from(error: ArrowError) -> Self {
        BatchError::Arrow(error.to_string())
    }
}
