//! From input to members: JSON Lines and CSV readers, schema-driven decoding straight
//! into slots, and ordered parallel planning of a whole stream.
//!
//! Evaluation (`eval`) plans one decoded member; this module feeds it and hands the
//! results back in input order.

mod csv_cells;
pub(crate) mod decode;
pub(crate) mod ids;
mod lines;
mod records;
mod stream;
pub(crate) mod work;

use std::io::BufRead;

pub use lines::MAX_LINE_BYTES;
pub use records::InputFormat;
pub(crate) use stream::stream;
pub use stream::PlanStream;

use crate::ledger::{LedgerView, Recorded};
use crate::plan::{ErrorRecord, MemberError, Plan, Summary};
use crate::playbook::Playbook;
use records::{Record, RecordReader};

/// One item of a planned stream: a member's plan, or the record of a snapshot that got
/// none (invalid, malformed, a run-time error; or, as the last item, an input that
/// could not be read, with [`crate::plan::ErrorKind::Input`]).
pub type StreamItem = Result<Plan, ErrorRecord>;

/// How a stream is planned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanOptions {
    /// Worker threads; 0 (the default) means one per core. With 1, planning runs on the
    /// caller's thread.
    pub threads: usize,
    /// The input's format.
    pub format: InputFormat,
    /// Lines (or CSV records) handed to a worker at a time.
    pub chunk_size: usize,
    /// The ledger the members' histories are read from (and, for a run's view, where
    /// the plans are recorded); `None`: a run without memory.
    pub ledger: Option<LedgerView>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            threads: 0,
            format: InputFormat::JsonLines,
            chunk_size: 256,
            ledger: None,
        }
    }
}

impl PlanOptions {
    /// These options with a thread count.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// These options with an input format.
    pub fn format(mut self, format: InputFormat) -> Self {
        self.format = format;
        self
    }

    /// These options with a ledger view ([`crate::Ledger::view`], or a run's
    /// [`crate::LedgerRun::view`]).
    pub fn ledger(mut self, view: LedgerView) -> Self {
        self.ledger = Some(view);
        self
    }

    /// These options with this many lines (or CSV records) handed to a worker at a time.
    pub fn chunk_size(mut self, chunk_size: usize) -> Self {
        self.chunk_size = chunk_size;
        self
    }
}

/// A run of consecutive members written as plan lines, ended by at most one snapshot
/// that got no plan: what [`crate::Playbook::plan_lines_json`] yields, in input order.
/// A caller that stops at an error record has counted exactly what came before it.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonChunk {
    /// The plan lines, in input order, each ending with `\n`: for each member, the
    /// bytes `serde_json` writes for its [`Plan`].
    pub plans: Vec<u8>,
    /// The snapshot after them that got no plan, if any.
    pub error: Option<ErrorRecord>,
    /// The counts of the plans and of the error record (an input that could not be
    /// read is not counted).
    pub summary: Summary,
    /// With a ledger run's view: the planned members, for [`crate::LedgerRun::record`].
    pub recorded: Recorded,
}

/// Reads the snapshots of a JSON Lines or CSV input as JSON values, one per record,
/// with their line numbers, without planning them (for `explain` and the REPL).
pub struct Snapshots<R> {
    reader: RecordReader<R>,
    playbook: Playbook,
}

impl<R: BufRead> Snapshots<R> {
    /// Snapshots of `reader`, typed (for CSV) by `playbook`'s schema.
    pub fn new(playbook: &Playbook, reader: R, format: InputFormat) -> Self {
        Snapshots {
            reader: RecordReader::new(reader, format),
            playbook: playbook.clone(),
        }
    }
}

impl<R: BufRead> Iterator for Snapshots<R> {
    type Item = (u64, Result<serde_json::Value, MemberError>);

    fn next(&mut self) -> Option<Self::Item> {
        let record = self.reader.next_record()?;
        Some(match record {
            Record::Failed(error) => (
                error.line,
                Err(MemberError {
                    kind: error.kind,
                    member: None,
                    rule: None,
                    message: error.error,
                }),
            ),
            Record::Json { line, bytes } => {
                let parsed = serde_json::from_slice(&bytes).map_err(|error| MemberError {
                    kind: crate::plan::ErrorKind::Malformed,
                    member: decode::id_of_text(&String::from_utf8_lossy(&bytes)),
                    rule: None,
                    message: format!("malformed JSON: {error}"),
                });
                (line, parsed)
            }
            Record::Csv {
                line,
                header,
                cells,
            } => {
                let layout = &self.playbook.program().layout;
                (line, csv_cells::record_to_json(layout, &header, &cells))
            }
        })
    }
}
