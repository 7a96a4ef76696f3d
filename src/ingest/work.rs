//! What a worker does with a batch: decode each member and plan it, then either hand
//! each plan over as a value ([`items`]: one [`StreamItem`] per member, mapped by the
//! caller) or write the whole batch as plan lines ([`json`]: one [`JsonChunk`] per
//! batch, no `Plan` built). Both read members in the same order, decode them the same
//! way and turn an internal error into that member's error record.

use std::sync::Arc;

use super::records::{Batch, Record};
use super::stream::{Work, WorkFactory};
use super::{JsonChunk, StreamItem};
use crate::compile::Program;
use crate::eval::expr::{Clock, MemberData};
use crate::eval::output::{PlanBuilder, PlanOutput};
use crate::eval::planner::{plan_into, PlanBuffers};
use crate::ledger::{
    record_member, ActionIds, HistoryReader, LedgerView, MemberRow, Recorded, Recording,
    StoredHistory, StoredTouch,
};
use crate::plan::json::{JsonBuffers, JsonPlan};
use crate::plan::{ErrorKind, ErrorRecord};
use crate::playbook::Playbook;

/// Maps each planned member to what the caller wants.
pub(crate) type Mapper<T> = Arc<dyn Fn(StreamItem) -> T + Send + Sync>;

/// Work that yields one item per member: its plan or its error record, mapped.
pub(crate) fn items<T: Send + 'static>(
    playbook: Playbook,
    clock: Clock,
    ledger: Option<(LedgerView, bool)>,
    map: Mapper<T>,
) -> WorkFactory<T> {
    Arc::new(move || {
        let (playbook, clock, map) = (playbook.clone(), clock.clone(), map.clone());
        let mut members = Members::new(ledger.clone());
        let mut buffers = PlanBuffers::default();
        let work: Work<T> = Box::new(move |batch| {
            let program = playbook.program();
            let mut out = Vec::new();
            members.each(&playbook, batch, |line, member, run| {
                // Plans built for a caller get their action ids; nothing is recorded.
                let ids = run.map(|run| RunContext { record: None, ..run });
                out.push(map(guarded(line, || {
                    let member = member?;
                    let plan = PlanBuilder::new(program, &clock.zone);
                    let (plan, _) = plan_recorded(program, member, &clock, plan, &mut buffers, ids)
                        .map_err(|error| ErrorRecord::new(line, error))?;
                    Ok(plan.finish())
                })));
            });
            out
        });
        work
    })
}

/// Work that writes each batch as plan lines, in chunks that each end with at most one
/// error record; with a ledger run's view, each chunk also carries what it planned.
pub(crate) fn json(
    playbook: Playbook,
    clock: Clock,
    ledger: Option<(LedgerView, bool)>,
) -> WorkFactory<JsonChunk> {
    Arc::new(move || {
        let (playbook, clock) = (playbook.clone(), clock.clone());
        let mut members = Members::new(ledger.clone());
        let mut buffers = JsonBuffers::new(playbook.program());
        let mut plan_buffers = PlanBuffers::default();
        let mut capacity = 0;
        let work: Work<JsonChunk> = Box::new(move |batch| {
            let program = playbook.program();
            let mut chunks = Vec::new();
            let mut chunk = JsonChunk {
                plans: Vec::with_capacity(capacity),
                error: None,
                summary: playbook.summary(),
                recorded: Recorded::default(),
            };
            members.each(&playbook, batch, |line, member, run| {
                let start = chunk.plans.len();
                let written = guarded(line, || {
                    let member = member?;
                    let zone = &clock.zone;
                    let plan = JsonPlan::new(program, zone, &mut chunk.plans, &mut buffers);
                    let (plan, row) =
                        plan_recorded(program, member, &clock, plan, &mut plan_buffers, run)
                            .map_err(|error| ErrorRecord::new(line, error))?;
                    plan.finish(&mut chunk.summary);
                    record_member(&mut chunk.recorded, row);
                    Ok(())
                });
                if let Err(record) = written {
                    chunk.plans.truncate(start);
                    if !record.kind.is_fatal() {
                        chunk.summary.add_invalid();
                    }
                    chunk.error = Some(record);
                    let next = JsonChunk {
                        plans: Vec::new(),
                        error: None,
                        summary: playbook.summary(),
                        recorded: Recorded::default(),
                    };
                    chunks.push(std::mem::replace(&mut chunk, next));
                }
            });
            // The next batch is likely as large: allocate once, not by doubling.
            capacity = capacity.max(chunk.plans.len() + chunk.plans.len() / 8);
            if !chunk.plans.is_empty() {
                chunks.push(chunk);
            }
            chunks
        });
        work
    })
}

/// What a ledger run gives the planning of one member: the run's action ids, and, to
/// record the member, its row's touches and the time before which they are dropped.
#[derive(Clone, Copy)]
struct RunContext<'a> {
    ids: &'a ActionIds,
    record: Option<(&'a [StoredTouch], i64)>,
}

/// Plans one member into `output`; in a ledger run, through a [`Recording`] that gives
/// each action its id and records the member's row.
fn plan_recorded<O: PlanOutput>(
    program: &Program,
    member: &MemberData,
    clock: &Clock,
    output: O,
    buffers: &mut PlanBuffers,
    run: Option<RunContext<'_>>,
) -> Result<(O, Option<MemberRow>), crate::plan::MemberError> {
    match run {
        None => {
            let mut output = output;
            plan_into(program, member, clock, &mut output, None, buffers)?;
            Ok((output, None))
        }
        Some(run) => {
            let zone = &clock.zone;
            let mut recording = Recording::new(
                output,
                (program, zone),
                run.ids,
                member,
                clock.now,
                run.record,
            );
            plan_into(program, member, clock, &mut recording, None, buffers)?;
            Ok(recording.finish())
        }
    }
}

/// A worker's decoded members: one buffer reused member after member, or, with a
/// ledger, a batch decoded whole so that the members' histories are read at once.
struct Members {
    one: MemberData,
    ledger: Option<LedgerBatch>,
}

/// What a worker keeps to read histories.
struct LedgerBatch {
    view: LedgerView,
    /// Whether the view was opened for this stream's playbook and as-of time.
    fits: bool,
    reader: Option<Box<dyn HistoryReader>>,
    members: Vec<MemberData>,
    decoded: Vec<(u64, Result<usize, ErrorRecord>)>,
    histories: Vec<StoredHistory>,
}

/// A decoded member for the planner, or the record of why there is none.
type Decoded<'m> = Result<&'m MemberData, ErrorRecord>;

impl Members {
    fn new(ledger: Option<(LedgerView, bool)>) -> Self {
        Members {
            one: MemberData::default(),
            ledger: ledger.map(|(view, fits)| LedgerBatch {
                view,
                fits,
                reader: None,
                members: Vec::new(),
                decoded: Vec::new(),
                histories: Vec::new(),
            }),
        }
    }

    /// Calls `each` with every member of a batch, decoded (and given its history), in
    /// order, with what a ledger run records of it when there is one.
    fn each(
        &mut self,
        playbook: &Playbook,
        batch: Batch,
        mut each: impl FnMut(u64, Decoded<'_>, Option<RunContext<'_>>),
    ) {
        let Some(ledger) = &mut self.ledger else {
            let member = &mut self.one;
            each_input(batch, |line, input| {
                let decoded = decode_into(playbook, line, input, member).map(|()| &*member);
                each(line, decoded, None);
            });
            return;
        };
        ledger.decode(playbook, batch);
        let failure = ledger.read_histories(playbook).err();
        let query = ledger.view.query();
        let keep_from = query.as_of - query.keep;
        let mut histories = ledger.histories.iter();
        for (line, decoded) in &ledger.decoded {
            let history = decoded.as_ref().ok().and_then(|_| histories.next());
            let member = match (decoded, &failure) {
                (Err(record), _) => Err(record.clone()),
                (Ok(_), Some(message)) => Err(ledger_failure(*line, message)),
                (Ok(index), None) => Ok(&ledger.members[*index]),
            };
            let run = ledger.view.ids().map(|ids| RunContext {
                ids,
                record: Some((history.map_or(&[][..], |h| &h.touches), keep_from)),
            });
            each(*line, member, run);
        }
    }
}

impl LedgerBatch {
    /// Decodes a whole batch into the members' buffers.
    fn decode(&mut self, playbook: &Playbook, batch: Batch) {
        self.decoded.clear();
        let (members, decoded) = (&mut self.members, &mut self.decoded);
        let mut used = 0;
        each_input(batch, |line, input| {
            if members.len() <= used {
                members.push(MemberData::default());
            }
            let member = &mut members[used];
            match decode_into(playbook, line, input, member) {
                Ok(()) => {
                    decoded.push((line, Ok(used)));
                    used += 1;
                }
                Err(record) => decoded.push((line, Err(record))),
            }
        });
    }

    /// Reads the histories of the decoded members and gives them to them.
    fn read_histories(&mut self, playbook: &Playbook) -> Result<(), String> {
        if !self.fits {
            return Err(crate::ledger::LedgerError::ViewMismatch.to_string());
        }
        if self.reader.is_none() {
            self.reader = Some(self.view.reader().map_err(|e| e.to_string())?);
        }
        let ids: Vec<&str> = self
            .decoded
            .iter()
            .filter_map(|(_, d)| d.as_ref().ok())
            .map(|&index| &*self.members[index].id)
            .collect();
        if let Some(reader) = self.reader.as_mut() {
            if let Err(error) = reader.read(self.view.query(), &ids, &mut self.histories) {
                // A connection that failed once is not used again.
                self.reader = None;
                return Err(error.to_string());
            }
        }
        let program = playbook.program();
        let indices = self.decoded.iter().filter_map(|(_, d)| d.as_ref().ok());
        for (&index, history) in indices.zip(&self.histories) {
            history.apply(program, &mut self.members[index]);
        }
        Ok(())
    }
}

/// The record of a member that could not be planned because the ledger failed.
fn ledger_failure(line: u64, message: &str) -> ErrorRecord {
    ErrorRecord {
        line,
        member: None,
        rule: None,
        error: message.to_string(),
        kind: ErrorKind::Ledger,
    }
}

/// One member's input.
enum Input<'b> {
    /// A JSON Lines line.
    Line(&'b [u8]),
    /// A record read on its own (CSV, or a line that could not be read).
    Record(Record),
}

/// Calls `each` with every member of a batch and its line, in order.
fn each_input(batch: Batch, mut each: impl FnMut(u64, Input<'_>)) {
    match batch {
        Batch::Lines(block, duplicates) => {
            let mut duplicates = duplicates.into_iter().peekable();
            for (line, bytes) in block.lines() {
                match duplicates.next_if(|d| d.line == line) {
                    Some(duplicate) => {
                        each(line, Input::Record(Record::Failed(duplicate.record())))
                    }
                    None => each(line, Input::Line(bytes)),
                }
            }
        }
        Batch::Records(records) => {
            for record in records {
                let line = match &record {
                    Record::Json { line, .. } | Record::Csv { line, .. } => *line,
                    Record::Failed(error) => error.line,
                };
                each(line, Input::Record(record));
            }
        }
    }
}

/// Decodes one member into `member`, reusing its buffers.
fn decode_into(
    playbook: &Playbook,
    line: u64,
    input: Input<'_>,
    member: &mut MemberData,
) -> Result<(), ErrorRecord> {
    let program = playbook.program();
    let bytes = match input {
        Input::Line(bytes) => bytes,
        Input::Record(Record::Json { bytes, .. }) => {
            return decode_text(program, line, &bytes, member);
        }
        Input::Record(Record::Failed(error)) => return Err(error),
        Input::Record(Record::Csv { header, cells, .. }) => {
            *member = super::csv_cells::record_to_json(&program.layout, &header, &cells)
                .and_then(|json| super::decode::decode_value(program, &json))
                .map_err(|error| ErrorRecord::new(line, error))?;
            return Ok(());
        }
    };
    decode_text(program, line, bytes, member)
}

fn decode_text(
    program: &Program,
    line: u64,
    bytes: &[u8],
    member: &mut MemberData,
) -> Result<(), ErrorRecord> {
    let text = std::str::from_utf8(bytes).map_err(|error| ErrorRecord {
        line,
        // The id, when the bad bytes are elsewhere in the line.
        member: super::decode::id_of_text(&String::from_utf8_lossy(bytes))
            .filter(|id| !id.contains('\u{FFFD}')),
        rule: None,
        error: format!(
            "the line is not valid UTF-8 (at byte {})",
            error.valid_up_to() + 1
        ),
        kind: ErrorKind::Malformed,
    })?;
    super::decode::decode_text_into(program, text, member)
        .map_err(|error| ErrorRecord::new(line, error))
}

/// Runs `plan`; a panic, which would be a bug, becomes this member's error record.
fn guarded<T>(line: u64, plan: impl FnOnce() -> Result<T, ErrorRecord>) -> Result<T, ErrorRecord> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(plan)).unwrap_or_else(|_| {
        Err(ErrorRecord {
            line,
            member: None,
            rule: None,
            error: "internal error while planning this member".into(),
            kind: ErrorKind::Runtime,
        })
    })
}
