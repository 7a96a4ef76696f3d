//! Arrow batches in and out (the `arrow` feature): a [`RecordBatch`] of members, one
//! column per top-level field of the `member` block, planned into a [`RecordBatch`] of
//! plans, one row per member in the same order. Columns are read straight into the
//! compiled program's slots (`bind` checks the types once per batch, `read` reads a row
//! the way the JSON decoder reads a snapshot), and the same planner fills the plan
//! columns (`plans`) that writes plan lines; nothing passes through JSON text.
//!
//! A stream of batches (a Parquet file's row groups) is planned by [`BatchStream`]:
//! in order, over several threads, with duplicate ids found across the whole stream,
//! giving the chunks `siyu run` writes, as plan lines or as plan batches.
//!
//! The module reads Arrow and writes Arrow; files (Parquet) are the command line's.

mod bind;
mod plans;
mod read;
mod schema;
mod stream;

use std::ops::Range;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

pub use plans::PlanBatchBuilder;
pub use stream::BatchStream;

use crate::eval::expr::{Clock, MemberData};
use crate::eval::planner::{plan_into, PlanBuffers};
use crate::plan::counts::MemberCounts;
use crate::plan::{ErrorKind, ErrorRecord, MemberError, Summary};
use crate::playbook::{AsOf, Playbook};
use crate::{JsonChunk, PlanOptions};
use bind::Members;
use plans::{ArrowPlan, PlanColumns};

/// A members batch that cannot be planned at all: a column the `member` block requires
/// is missing or has a type that cannot hold the field. (A value that does not fit its
/// field is only its row's error.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum BatchError {
    /// A column (or a struct's field) the member block requires is not in the batch.
    #[error(
        "the members have no column `{column}`, which the member block declares as {expected}"
    )]
    #[diagnostic(
        code(siyu::arrow::missing_column),
        help("add the column, or make the field optional (`?`) in the member block")
    )]
    MissingColumn {
        /// The column's path (`consent.dm`).
        column: String,
        /// The field's type, as the member block writes it.
        expected: String,
    },
    /// A column's Arrow type cannot hold the field's values.
    #[error("column `{column}`: expected {expected}, found Arrow type {found}")]
    #[diagnostic(
        code(siyu::arrow::wrong_type),
        help("cast the column to the type expected")
    )]
    WrongType {
        /// The column's path (`consent.dm`, `stores[].km`).
        column: String,
        /// What the field needs, and the Arrow types that hold it.
        expected: String,
        /// The column's Arrow type.
        found: String,
    },
    /// A timestamp column without a time zone, where instants are needed.
    #[error("column `{column}`: a timestamp without a time zone is not an instant")]
    #[diagnostic(
        code(siyu::arrow::no_time_zone),
        help("give the column a time zone (in Spark, a `timestamp` rather than a `timestamp_ntz`; in pyarrow, `pa.timestamp(\"us\", tz=\"UTC\")`), or write RFC 3339 strings with their offset")
    )]
    NoTimeZone {
        /// The column's path.
        column: String,
    },
    /// Columns nested deeper than siyu reads.
    #[error("column `{column}` is nested too deeply")]
    #[diagnostic(code(siyu::arrow::too_deep))]
    TooDeep {
        /// The column's path.
        column: String,
    },
    /// The plans of one batch hold more text than an Arrow string column can (2 GiB).
    #[error("the plans of this batch are too large for one Arrow batch")]
    #[diagnostic(code(siyu::arrow::too_large), help("plan it in smaller batches"))]
    TooLarge,
    /// Arrow refused the plans batch (a bug).
    #[error("cannot build the plans batch: {0}")]
    #[diagnostic(code(siyu::arrow::internal))]
    Arrow(String),
}

/// A run of consecutive members planned into a plans batch, ended by at most one
/// snapshot that got no plan: what [`Playbook::plan_batches_arrow`] yields, in input
/// order, like [`JsonChunk`] for plan lines.
#[derive(Debug, Clone)]
pub struct ArrowChunk {
    /// The plans, one row per member, in input order (the `error` column is null:
    /// members that got no plan are the chunks' error records).
    pub plans: RecordBatch,
    /// The member after them that got no plan, if any.
    pub error: Option<ErrorRecord>,
    /// The counts of the plans and of the error record (an input that could not be
    /// read is not counted).
    pub summary: Summary,
}

#[cfg(feature = "arrow")]
impl Playbook {
    /// The Arrow schema of members batches for this playbook, from its `member` block:
    /// one nullable column per declared field, in declaration order (`int` as `int64`,
    /// `float` as `float64`, strings and enums as `utf8`, `date` as `date32`,
    /// `datetime` as microsecond timestamps in UTC, lists as lists, objects as
    /// structs), with `id` first and `touches` last when the block leaves them out.
    /// `None` without a `member` block. Other Arrow types are read too (any integer
    /// width, decimals for floats, large and view strings, strings for dates): see
    /// `docs/scale.md`.
    pub fn member_schema(&self) -> Option<SchemaRef> {
        schema::member_schema(&self.program().layout)
    }

    /// The Arrow schema of the plans [`Playbook::plan_arrow`] gives: `member`,
    /// `stage`, `holdout`, `variants` (a struct with one string per experiment, only
    /// when the playbook has experiments), `actions` (a list of structs `rule`, `verb`,
    /// `channel`, `content`, `at`, `priority`, `args` as JSON text), `suppressed` (a
    /// list of structs `rule`, `reason`, `channel`) and `error` (a struct `rule`,
    /// `message`).
    pub fn plan_schema(&self) -> SchemaRef {
        schema::plan_schema(self.program())
    }

    /// Plans every member of a batch: one row per member, in order. A member that gets
    /// no plan (a null in a required field, a value no enum allows, a run-time error)
    /// has its id, if readable, and its `error`, and nulls elsewhere: no row is lost.
    /// A batch whose columns do not fit the `member` block is a [`BatchError`].
    ///
    /// Each row is planned on its own: a member given twice is planned twice (a
    /// stream of batches finds duplicates: [`Playbook::plan_batches_json`]).
    pub fn plan_arrow(
        &self,
        members: &RecordBatch,
        as_of: AsOf,
    ) -> Result<RecordBatch, BatchError> {
        let program = self.program();
        let bound = bind::bind(&program.layout, members)?;
        let mut columns = PlanColumns::new(program);
        let mut worker = Worker::default();
        let clock = self.clock(as_of);
        for row in 0..bound.rows {
            let start = columns.row_start();
            let planned =
                guarded(|| worker.plan_row(self, &clock, &bound, row, &mut columns, None));
            if let Err(error) = planned {
                columns.truncate(start);
                columns.push_error(&error);
            }
        }
        columns.finish()
    }

    /// Plans a stream of members batches (a Parquet file's, say) and writes the plans
    /// as JSON Lines: the chunks [`Playbook::plan_lines_json`] gives for the same
    /// members in JSON Lines, byte for byte, with each row's `line` its 1-based
    /// position in the stream. A member whose id was seen on an earlier row is a
    /// duplicate; a batch that cannot be read, or whose columns do not fit, ends the
    /// stream with an error record of kind [`ErrorKind::Input`]. With several
    /// threads, each batch is shared out among them; memory holds two batches.
    pub fn plan_batches_json<I, E>(
        &self,
        batches: I,
        as_of: AsOf,
        options: PlanOptions,
    ) -> BatchStream<I::IntoIter, JsonChunk>
    where
        I: IntoIterator<Item = Result<RecordBatch, E>>,
        E: std::fmt::Display,
    {
        BatchStream::new(self, batches.into_iter(), as_of, &options)
    }

    /// Like [`Playbook::plan_batches_json`], with the plans as plans batches
    /// ([`ArrowChunk`]) rather than plan lines.
    pub fn plan_batches_arrow<I, E>(
        &self,
        batches: I,
        as_of: AsOf,
        options: PlanOptions,
    ) -> BatchStream<I::IntoIter, ArrowChunk>
    where
        I: IntoIterator<Item = Result<RecordBatch, E>>,
        E: std::fmt::Display,
    {
        BatchStream::new(self, batches.into_iter(), as_of, &options)
    }
}

/// What a thread keeps from one member to the next.
#[derive(Debug, Default)]
pub(crate) struct Worker {
    member: MemberData,
    plan: PlanBuffers,
    counts: MemberCounts,
}

impl Worker {
    /// Reads one row and plans it into `columns`, counted into `summary` when given.
    /// After an error, `columns` may hold part of the row.
    fn plan_row(
        &mut self,
        playbook: &Playbook,
        clock: &Clock,
        members: &Members<'_>,
        row: usize,
        columns: &mut PlanColumns,
        summary: Option<&mut Summary>,
    ) -> Result<(), MemberError> {
        let program = playbook.program();
        members.read(program, row, &mut self.member)?;
        let mut output = ArrowPlan::new(program, &clock.zone, columns, &mut self.counts);
        plan_into(
            program,
            &self.member,
            clock,
            &mut output,
            None,
            &mut self.plan,
        )?;
        output.finish(summary);
        Ok(())
    }
}

/// Runs `plan`; a panic, which would be a bug, becomes the member's error.
fn guarded(plan: impl FnOnce() -> Result<(), MemberError>) -> Result<(), MemberError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(plan)).unwrap_or_else(|_| {
        Err(MemberError {
            kind: ErrorKind::Runtime,
            member: None,
            rule: None,
            message: "internal error while planning this member".into(),
        })
    })
}

/// The rows of a batch shared out among `threads`: as many contiguous ranges.
fn shares(rows: usize, threads: usize) -> Vec<Range<usize>> {
    let threads = threads.clamp(1, rows.max(1));
    let size = rows.div_ceil(threads);
    (0..threads)
        .map(|i| (i * size).min(rows)..((i + 1) * size).min(rows))
        .filter(|range| !range.is_empty())
        .collect()
}
