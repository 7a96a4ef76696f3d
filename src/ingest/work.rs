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
use crate::eval::output::PlanBuilder;
use crate::eval::planner::{plan_into, PlanBuffers};
use crate::plan::json::{JsonBuffers, JsonPlan};
use crate::plan::{ErrorKind, ErrorRecord};
use crate::playbook::Playbook;

/// Maps each planned member to what the caller wants.
pub(crate) type Mapper<T> = Arc<dyn Fn(StreamItem) -> T + Send + Sync>;

/// Work that yields one item per member: its plan or its error record, mapped.
pub(crate) fn items<T: Send + 'static>(
    playbook: Playbook,
    clock: Clock,
    map: Mapper<T>,
) -> WorkFactory<T> {
    Arc::new(move || {
        let (playbook, clock, map) = (playbook.clone(), clock.clone(), map.clone());
        let mut member = MemberData::default();
        let mut buffers = PlanBuffers::default();
        let work: Work<T> = Box::new(move |batch| {
            let program = playbook.program();
            let mut out = Vec::new();
            each_input(batch, |line, input| {
                out.push(map(guarded(line, || {
                    decode_into(&playbook, line, input, &mut member)?;
                    let mut plan = PlanBuilder::new(program, &clock.zone);
                    plan_into(program, &member, &clock, &mut plan, None, &mut buffers)
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
/// error record.
pub(crate) fn json(playbook: Playbook, clock: Clock) -> WorkFactory<JsonChunk> {
    Arc::new(move || {
        let (playbook, clock) = (playbook.clone(), clock.clone());
        let mut member = MemberData::default();
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
            };
            each_input(batch, |line, input| {
                let start = chunk.plans.len();
                let written = guarded(line, || {
                    decode_into(&playbook, line, input, &mut member)?;
                    let zone = &clock.zone;
                    let mut plan = JsonPlan::new(program, zone, &mut chunk.plans, &mut buffers);
                    plan_into(program, &member, &clock, &mut plan, None, &mut plan_buffers)
                        .map_err(|error| ErrorRecord::new(line, error))?;
                    plan.finish(&mut chunk.summary);
                    Ok(())
                });
                if let Err(record) = written {
                    chunk.plans.truncate(start);
                    if record.kind != ErrorKind::Input {
                        chunk.summary.add_invalid();
                    }
                    chunk.error = Some(record);
                    let next = JsonChunk {
                        plans: Vec::new(),
                        error: None,
                        summary: playbook.summary(),
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
