//! What a run's planning threads hand to the ledger: each planned member's stage and
//! actions ([`Recorded`], carried by each chunk of the stream), made by wrapping the
//! plan's output ([`Recording`]) so the ledger sees exactly what the plan line says.

use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::history::StoredTouch;
use super::ids::ActionIds;
use super::store::{ActionRow, MemberRow};
use crate::compile::Program;
use crate::eval::expr::MemberData;
use crate::eval::output::{PlanOutput, PlannedAction};
use crate::plan::Reason;

/// The members a chunk of a run planned, for [`super::LedgerRun::record`]. Empty when
/// the stream has no ledger run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    rows: Vec<MemberRow>,
}

impl Recorded {
    /// How many members it holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(crate) fn rows(&self) -> &[MemberRow] {
        &self.rows
    }

    pub(crate) fn push(&mut self, row: MemberRow) {
        self.rows.push(row);
    }
}

/// Wraps a plan's output: gives each planned action its id and, when `row` is given,
/// records the member's stage and actions into it.
pub(crate) struct Recording<'a, O> {
    pub inner: O,
    program: &'a Program,
    zone: &'a TimeZone,
    ids: &'a ActionIds,
    member: &'a MemberData,
    now: Timestamp,
    row: Option<MemberRow>,
    /// The member's row's touches to keep, and this run's planned touches after them.
    touches: Vec<StoredTouch>,
}

impl<'a, O: PlanOutput> Recording<'a, O> {
    /// Wraps `inner` for one member of a run at `now`; when recording, `kept` are the
    /// touches of the member's row, those not after `keep_from` (seconds) dropped.
    pub(crate) fn new(
        inner: O,
        (program, zone): (&'a Program, &'a TimeZone),
        ids: &'a ActionIds,
        member: &'a MemberData,
        now: Timestamp,
        record: Option<(&[StoredTouch], i64)>,
    ) -> Self {
        let touches = match record {
            Some((kept, keep_from)) => kept
                .iter()
                .filter(|t| t.at.as_second() > keep_from)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        Recording {
            touches,
            inner,
            program,
            zone,
            ids,
            member,
            now,
            row: record.map(|_| MemberRow {
                member: member.id.clone(),
                stage: None,
                since: now.as_second(),
                actions: Vec::new(),
                touches: String::new(),
            }),
        }
    }

    /// The wrapped output, and the member's row when recording.
    pub(crate) fn finish(self) -> (O, Option<MemberRow>) {
        let mut row = self.row;
        if let Some(row) = &mut row {
            row.touches = super::touches::encode(self.touches.iter());
        }
        (self.inner, row)
    }
}

impl<O: PlanOutput> PlanOutput for Recording<'_, O> {
    fn begin(
        &mut self,
        member: &Arc<str>,
        stage: Option<u32>,
        holdout: bool,
        variants: &[Option<u16>],
    ) {
        if let Some(row) = &mut self.row {
            let name = stage
                .and_then(|s| self.program.stages.get(s as usize))
                .map(|s| s.name.clone());
            let since = match &self.member.history {
                Some(history) => history.since(name.as_deref(), self.now),
                None => self.now,
            };
            row.stage = name;
            row.since = since.as_second();
        }
        self.inner.begin(member, stage, holdout, variants);
    }

    fn fired(&mut self, rule: u32) {
        self.inner.fired(rule);
    }

    fn action(&mut self, mut action: PlannedAction<'_>) {
        let rule = self.program.rules.get(action.rule as usize);
        let rule_name = rule.map_or("", |r| &*r.name);
        let id = self.ids.id(&self.member.id, rule_name, action.position);
        action.id = Some(id);
        if let (Some(row), Some(rule)) = (&mut self.row, rule) {
            let channel = action
                .channel
                .and_then(|c| self.program.channels.get(c as usize))
                .map(|c| c.name.clone());
            if channel.is_some() {
                self.touches.push(StoredTouch {
                    id,
                    as_of: self.now.as_second(),
                    rule: Some(rule.name.clone()),
                    channel: channel.clone(),
                    at: action.at,
                });
            }
            row.actions.push(ActionRow {
                id,
                rule: rule.name.clone(),
                position: action.position as u32,
                verb: action.spec.verb.name(),
                channel,
                at: action.at.as_second(),
                at_text: crate::plan::format_rfc3339(&action.at.to_zoned(self.zone.clone())).into(),
            });
        }
        self.inner.action(action);
    }

    fn suppressed(&mut self, rule: u32, reason: Reason, channel: Option<u32>) {
        self.inner.suppressed(rule, reason, channel);
    }
}

/// Adds a member's row to a chunk's records.
pub(crate) fn record_member(recorded: &mut Recorded, row: Option<MemberRow>) {
    if let Some(row) = row {
        recorded.push(row);
    }
}
