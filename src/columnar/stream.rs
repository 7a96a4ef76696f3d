//! A stream of members batches planned in order: each batch is bound once, its ids
//! checked against every id seen before (on the caller's thread, so duplicates are
//! found whatever the thread count), then its rows are shared out among the threads
//! in contiguous ranges, planned, and handed back range by range, in input order.
//! While the threads plan one batch, the caller's thread reads the next, so at most
//! two batches are held at a time.

use std::collections::VecDeque;
use std::ops::Range;

use arrow_array::RecordBatch;

use super::bind::{self, Ids, Members};
use super::plans::PlanColumns;
use super::{guarded, ArrowChunk, Worker};
use crate::eval::expr::Clock;
use crate::eval::planner::plan_into;
use crate::ingest::ids::{IdSet, Seen};
use crate::plan::json::{JsonBuffers, JsonPlan};
use crate::plan::{ErrorKind, ErrorRecord};
use crate::playbook::{AsOf, Playbook};
use crate::{JsonChunk, PlanOptions};

/// The stack of a planning thread (evaluation depth is bounded by compilation).
const WORKER_STACK: usize = 16 << 20;

/// A member whose id was seen on an earlier row.
#[derive(Debug)]
pub(crate) struct Duplicate {
    row: usize,
    id: Box<str>,
    first: u64,
}

/// One thread's share of a batch: a range of its rows, and what planning them needs.
pub(crate) struct Share<'a> {
    playbook: &'a Playbook,
    clock: &'a Clock,
    members: &'a Members<'a>,
    rows: Range<usize>,
    /// The line of the batch's first row.
    first_line: u64,
    /// The batch's duplicates, in row order.
    duplicates: &'a [Duplicate],
}

/// How the rows of one share become chunks.
type Plan<T> = fn(&Share<'_>, &mut Worker) -> Vec<T>;
/// The chunk that ends a stream with an input error.
type Failed<T> = fn(&Playbook, ErrorRecord) -> T;

/// A stream of members batches being planned: yields chunks of plans, in input order
/// (see [`Playbook::plan_batches_json`]).
pub struct BatchStream<I, T> {
    source: I,
    playbook: Playbook,
    clock: Clock,
    threads: usize,
    ids: IdSet,
    /// The line (1-based row in the stream) of the next batch's first row.
    next_line: u64,
    /// The next batch, when it was read while the last one was planned.
    ahead: Option<Option<Result<RecordBatch, String>>>,
    ready: VecDeque<T>,
    done: bool,
    workers: Vec<Worker>,
    plan: Plan<T>,
    failed: Failed<T>,
}

/// What a stream can be made to yield.
pub(crate) trait Chunk: Sized {
    /// The chunks of a range of rows.
    const PLAN: Plan<Self>;
    /// The chunk of an input error.
    const FAILED: Failed<Self>;
}

impl Chunk for JsonChunk {
    const PLAN: Plan<Self> = json_chunks;
    const FAILED: Failed<Self> = |playbook, record| JsonChunk {
        plans: Vec::new(),
        error: Some(record),
        summary: playbook.summary(),
        recorded: Default::default(),
    };
}

impl Chunk for ArrowChunk {
    const PLAN: Plan<Self> = arrow_chunks;
    const FAILED: Failed<Self> = |playbook, record| ArrowChunk {
        plans: RecordBatch::new_empty(playbook.plan_schema()),
        error: Some(record),
        summary: playbook.summary(),
    };
}

impl<I, T> BatchStream<I, T> {
    /// A stream planning `source` at `as_of`.
    pub(crate) fn new(playbook: &Playbook, source: I, as_of: AsOf, options: &PlanOptions) -> Self
    where
        T: Chunk,
    {
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        BatchStream {
            source,
            playbook: playbook.clone(),
            clock: playbook.clock(as_of),
            threads,
            ids: IdSet::new(),
            next_line: 1,
            ahead: None,
            ready: VecDeque::new(),
            done: false,
            workers: (0..threads).map(|_| Worker::default()).collect(),
            plan: T::PLAN,
            failed: T::FAILED,
        }
    }
}

impl<I, E, T> Iterator for BatchStream<I, T>
where
    I: Iterator<Item = Result<RecordBatch, E>>,
    E: std::fmt::Display,
    T: Send,
{
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            let next = match self.ahead.take() {
                Some(next) => next,
                None => self.source.next().map(|r| r.map_err(|e| e.to_string())),
            };
            match next {
                None => self.done = true,
                Some(Err(message)) => {
                    let message = format!("cannot read the members: {message}");
                    self.fail(message);
                }
                Some(Ok(batch)) => self.plan_batch(&batch),
            }
        }
    }
}

impl<I, E, T> BatchStream<I, T>
where
    I: Iterator<Item = Result<RecordBatch, E>>,
    E: std::fmt::Display,
    T: Send,
{
    /// Ends the stream with an input error at the next line.
    fn fail(&mut self, message: String) {
        let record = ErrorRecord {
            line: self.next_line,
            member: None,
            rule: None,
            error: message,
            kind: ErrorKind::Input,
        };
        self.ready.push_back((self.failed)(&self.playbook, record));
        self.done = true;
    }

    /// Plans one batch into `ready`, reading the next one meanwhile.
    fn plan_batch(&mut self, batch: &RecordBatch) {
        let first_line = self.next_line;
        let playbook = self.playbook.clone();
        let members = match bind::bind(&playbook.program().layout, batch) {
            Ok(members) => members,
            Err(error) => {
                return self.fail(format!("the members do not fit the playbook: {error}"));
            }
        };
        let duplicates = duplicates(&mut self.ids, &members, first_line);
        self.next_line += batch.num_rows() as u64;
        let ranges = super::shares(members.rows, self.threads);
        let BatchStream {
            source,
            clock,
            workers,
            plan,
            ahead,
            ready,
            failed,
            ..
        } = self;
        let (plan, failed) = (*plan, *failed);
        let shares: Vec<Share<'_>> = ranges
            .into_iter()
            .map(|rows| Share {
                playbook: &playbook,
                clock,
                members: &members,
                rows,
                first_line,
                duplicates: &duplicates,
            })
            .collect();
        if shares.len() <= 1 {
            for (share, worker) in shares.iter().zip(workers.iter_mut()) {
                ready.extend(plan(share, worker));
            }
            return;
        }
        std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(shares.len());
            for (share, worker) in shares.iter().zip(workers.iter_mut()) {
                let spawned = std::thread::Builder::new()
                    .name("siyu-plan".into())
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(scope, move || plan(share, worker));
                handles.push(spawned.map_err(|_| share));
            }
            *ahead = Some(source.next().map(|r| r.map_err(|e| e.to_string())));
            for handle in handles {
                match handle {
                    Ok(handle) => match handle.join() {
                        Ok(chunks) => ready.extend(chunks),
                        Err(_) => {
                            let record = ErrorRecord {
                                line: first_line,
                                member: None,
                                rule: None,
                                error: "internal error while planning the members".into(),
                                kind: ErrorKind::Input,
                            };
                            ready.push_back(failed(&playbook, record));
                        }
                    },
                    // No thread to be had: plan the share here.
                    Err(share) => ready.extend(plan(share, &mut Worker::default())),
                }
            }
        });
    }
}

/// The rows of a batch whose id was seen before, in order, noting the others' ids.
fn duplicates(ids: &mut IdSet, members: &Members<'_>, first_line: u64) -> Vec<Duplicate> {
    let (column, nulls) = &members.id;
    let mut found = Vec::new();
    let mut text = String::new();
    for row in 0..members.rows {
        if nulls.is_some_and(|n| n.is_null(row)) {
            continue;
        }
        let id = match column {
            Ids::Str(strings) => strings.get(row),
            Ids::Int(ints) => {
                text.clear();
                match ints.get(row) {
                    Ok(i) => text.push_str(&i.to_string()),
                    Err(u) => text.push_str(&u.to_string()),
                }
                &text
            }
        };
        if id.trim().is_empty() {
            continue;
        }
        if let Seen::Before(first) = ids.insert(id, first_line + row as u64) {
            found.push(Duplicate {
                row,
                id: id.into(),
                first,
            });
        }
    }
    found
}

impl Duplicate {
    /// The error record of the duplicate on `line`.
    fn record(&self, line: u64) -> ErrorRecord {
        ErrorRecord {
            line,
            member: Some(self.id.as_ref().into()),
            rule: None,
            error: format!("duplicate id `{}`, first at line {}", self.id, self.first),
            kind: ErrorKind::Schema,
        }
    }
}

/// Plans each row of a share with `plan`, in order; gives `failed` the error record of
/// each row that got no plan.
fn each_row(
    share: &Share<'_>,
    mut plan: impl FnMut(usize) -> Result<(), crate::plan::MemberError>,
    mut failed: impl FnMut(ErrorRecord),
) {
    let start = share.rows.start;
    let mut duplicates = share
        .duplicates
        .iter()
        .skip_while(|d| d.row < start)
        .peekable();
    for row in share.rows.clone() {
        let line = share.first_line + row as u64;
        let result = match duplicates.next_if(|d| d.row == row) {
            Some(duplicate) => Err(duplicate.record(line)),
            None => guarded(|| plan(row)).map_err(|error| ErrorRecord::new(line, error)),
        };
        if let Err(record) = result {
            failed(record);
        }
    }
}

/// The rows of a share written as plan lines.
fn json_chunks(share: &Share<'_>, worker: &mut Worker) -> Vec<JsonChunk> {
    let (playbook, clock, members) = (share.playbook, share.clock, share.members);
    let program = playbook.program();
    let mut buffers = JsonBuffers::new(program);
    let empty = || JsonChunk {
        plans: Vec::new(),
        error: None,
        summary: playbook.summary(),
        recorded: Default::default(),
    };
    let mut chunks = Vec::new();
    let chunk = std::cell::RefCell::new(empty());
    let plan = |row| {
        let mut chunk = chunk.borrow_mut();
        let chunk = &mut *chunk;
        let start = chunk.plans.len();
        let planned = (|| {
            members.read(program, row, &mut worker.member)?;
            let mut plan = JsonPlan::new(program, &clock.zone, &mut chunk.plans, &mut buffers);
            plan_into(
                program,
                &worker.member,
                clock,
                &mut plan,
                None,
                &mut worker.plan,
            )?;
            plan.finish(&mut chunk.summary);
            Ok(())
        })();
        if planned.is_err() {
            chunk.plans.truncate(start);
        }
        planned
    };
    let failed = |record: ErrorRecord| {
        let mut chunk = chunk.borrow_mut();
        chunk.summary.add_invalid();
        chunk.error = Some(record);
        chunks.push(std::mem::replace(&mut *chunk, empty()));
    };
    each_row(share, plan, failed);
    let last = chunk.into_inner();
    if !last.plans.is_empty() {
        chunks.push(last);
    }
    chunks
}

/// The rows of a share written as plans batches.
fn arrow_chunks(share: &Share<'_>, worker: &mut Worker) -> Vec<ArrowChunk> {
    let (playbook, clock, members) = (share.playbook, share.clock, share.members);
    let program = playbook.program();
    let state = std::cell::RefCell::new((PlanColumns::new(program), playbook.summary()));
    let mut chunks = Vec::new();
    let close = |state: &mut (PlanColumns, crate::plan::Summary), error: Option<ErrorRecord>| {
        let summary = std::mem::replace(&mut state.1, playbook.summary());
        match state.0.finish() {
            Ok(plans) => ArrowChunk {
                plans,
                error,
                summary,
            },
            Err(failure) => ArrowChunk::FAILED(
                playbook,
                ErrorRecord {
                    line: error.map_or(share.first_line + share.rows.end as u64, |e| e.line),
                    member: None,
                    rule: None,
                    error: failure.to_string(),
                    kind: ErrorKind::Input,
                },
            ),
        }
    };
    let plan = |row| {
        let mut state = state.borrow_mut();
        let (columns, summary) = &mut *state;
        let start = columns.row_start();
        let planned = worker.plan_row(playbook, clock, members, row, columns, Some(summary));
        if planned.is_err() {
            columns.truncate(start);
        }
        planned
    };
    let failed = |record: ErrorRecord| {
        let mut state = state.borrow_mut();
        state.1.add_invalid();
        chunks.push(close(&mut state, Some(record)));
    };
    each_row(share, plan, failed);
    let mut last = state.into_inner();
    if last.0.len() > 0 {
        chunks.push(close(&mut last, None));
    }
    chunks
}
