//! Where `siyu run` reads members and writes plans. Members come as JSON Lines or CSV
//! (read and planned by `Playbook::plan_lines_json`) or, with the `parquet` feature, as
//! a Parquet file (its row groups read batch by batch, only the columns the playbook
//! reads, and planned by `Playbook::plan_batches_json`). Plans go out as JSON Lines or,
//! when `--out` names a `.parquet` file, as a Parquet file in the plans schema of
//! `Playbook::plan_schema`. Either way the run sees the same chunks: a run of plans,
//! at most one error record, and their counts.

use std::io::{self, Write};
use std::path::Path;

use siyu::{AsOf, ErrorRecord, InputFormat, JsonChunk, PlanOptions, Playbook, Recorded, Summary};

use super::output::Output;
use super::run::{counted, create, open_members, Args, InputCount, MembersFormat};
#[cfg(not(feature = "parquet"))]
use super::EXIT_USAGE;

/// Whether a path names a Parquet file.
fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Whether the members are read, or the plans written, as Parquet.
pub(super) fn is_parquet_run(args: &Args) -> bool {
    Members::of(args) == Members::Parquet || args.out.as_deref().is_some_and(is_parquet)
}

/// What the members are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Members {
    /// JSON Lines or CSV.
    Text(InputFormat),
    /// A Parquet file.
    Parquet,
}

impl Members {
    /// `--members-format` when given, else the file's extension.
    pub(super) fn of(args: &Args) -> Members {
        match args.members_format {
            Some(MembersFormat::Parquet) => Members::Parquet,
            None if args.members.as_os_str() != "-" && is_parquet(&args.members) => {
                Members::Parquet
            }
            _ => Members::Text(InputFormat::JsonLines),
        }
    }
}

/// A run of planned members, then at most one error record.
pub(super) enum Chunk {
    /// As plan lines.
    Lines(JsonChunk),
    /// As a plans batch.
    #[cfg(feature = "parquet")]
    Batch(siyu::ArrowChunk),
}

impl Chunk {
    /// The counts of the chunk.
    pub(super) fn summary(&self) -> &Summary {
        match self {
            Chunk::Lines(chunk) => &chunk.summary,
            #[cfg(feature = "parquet")]
            Chunk::Batch(chunk) => &chunk.summary,
        }
    }

    /// What a ledger run records of the chunk's members (nothing for plans batches,
    /// which a ledger run does not write).
    pub(super) fn take_recorded(&mut self) -> Recorded {
        match self {
            Chunk::Lines(chunk) => std::mem::take(&mut chunk.recorded),
            #[cfg(feature = "parquet")]
            Chunk::Batch(_) => Recorded::default(),
        }
    }

    /// The member after the plans that got none, if any.
    pub(super) fn error(&self) -> Option<&ErrorRecord> {
        match self {
            Chunk::Lines(chunk) => chunk.error.as_ref(),
            #[cfg(feature = "parquet")]
            Chunk::Batch(chunk) => chunk.error.as_ref(),
        }
    }
}

/// The chunks of a run.
pub(super) type Chunks = Box<dyn Iterator<Item = Chunk>>;

/// Where the plans go.
pub(super) enum Plans {
    /// Plan lines, to stdout or a file.
    Lines(Output),
    /// A Parquet file.
    #[cfg(feature = "parquet")]
    Parquet(Box<parquet::arrow::ArrowWriter<super::output::AtomicFile>>),
}

/// Says that this build reads and writes no Parquet.
#[cfg(not(feature = "parquet"))]
fn no_parquet() -> i32 {
    eprintln!(
        "error: this siyu was built without Parquet support; build it with \
         `cargo install siyu --features parquet`"
    );
    EXIT_USAGE
}

impl Plans {
    /// Plan lines to `path` (stdout when none), or a Parquet file for a `.parquet` path.
    pub(super) fn create(path: Option<&Path>, playbook: &Playbook) -> Result<Plans, i32> {
        let Some(path) = path else {
            return Ok(Plans::Lines(Output::stdout()));
        };
        if !is_parquet(path) {
            return Ok(Plans::Lines(Output::File(create(path)?)));
        }
        #[cfg(feature = "parquet")]
        return parquet_files::create(path, playbook);
        #[cfg(not(feature = "parquet"))]
        {
            let _ = playbook;
            Err(no_parquet())
        }
    }

    /// Whether the plans are written as Parquet.
    pub(super) fn is_parquet(&self) -> bool {
        !matches!(self, Plans::Lines(_))
    }

    /// Writes a chunk's plans.
    pub(super) fn write(&mut self, chunk: &Chunk) -> io::Result<()> {
        match (self, chunk) {
            (Plans::Lines(out), Chunk::Lines(chunk)) => out.write_all(&chunk.plans),
            #[cfg(feature = "parquet")]
            (Plans::Parquet(writer), Chunk::Batch(chunk)) => {
                writer.write(&chunk.plans).map_err(io::Error::other)
            }
            #[cfg(feature = "parquet")]
            _ => Err(io::Error::other(
                "plans of one kind sent to a file of the other",
            )),
        }
    }

    /// Flushes what was written.
    pub(super) fn flush(&mut self) -> io::Result<()> {
        match self {
            Plans::Lines(out) => out.flush(),
            #[cfg(feature = "parquet")]
            Plans::Parquet(writer) => writer.flush().map_err(io::Error::other),
        }
    }

    /// Puts the plans in place.
    pub(super) fn commit(self) -> io::Result<()> {
        match self {
            Plans::Lines(out) => out.commit(),
            #[cfg(feature = "parquet")]
            Plans::Parquet(writer) => writer.into_inner().map_err(io::Error::other)?.commit(),
        }
    }
}

/// Opens `--members` and starts planning it into chunks for `plans`; gives what the
/// members are and the progress count of the input.
pub(super) fn plan(
    args: &Args,
    playbook: &Playbook,
    as_of: AsOf,
    plans: &Plans,
    options: PlanOptions,
) -> Result<(Chunks, Members, InputCount), i32> {
    match Members::of(args) {
        Members::Parquet => {
            #[cfg(feature = "parquet")]
            return parquet_files::plan(&args.members, playbook, as_of, plans, options);
            #[cfg(not(feature = "parquet"))]
            Err(no_parquet())
        }
        Members::Text(_) => {
            let (reader, format) = open_members(&args.members, args.members_format)?;
            let (reader, input) = counted(&args.members, reader);
            let options = options.format(format);
            let chunks: Chunks = if plans.is_parquet() {
                #[cfg(feature = "parquet")]
                {
                    Box::new(parquet_files::batches(playbook, reader, as_of, options))
                }
                #[cfg(not(feature = "parquet"))]
                unreachable!("no Parquet output without the feature")
            } else {
                Box::new(
                    playbook
                        .plan_lines_json(reader, as_of, options)
                        .map(Chunk::Lines),
                )
            };
            Ok((chunks, Members::Text(format), input))
        }
    }
}

#[cfg(feature = "parquet")]
mod parquet_files {
    //! Parquet files: members read by row group, plans written in row groups of a
    //! bounded size.

    use std::fs::File;
    use std::io::BufRead;
    use std::path::Path;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use arrow_array::RecordBatch;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::{ArrowWriter, ProjectionMask};
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;
    use siyu::{ArrowChunk, AsOf, ErrorKind, ErrorRecord, PlanBatchBuilder, PlanOptions, Playbook};

    use super::{Chunk, Chunks, Members, Plans};
    use crate::cli::run::InputCount;
    use crate::cli::EXIT_USAGE;

    /// Members read at a time: each batch is shared out among the threads.
    const BATCH_ROWS: usize = 8192;
    /// Plans a written row group holds at most, so that writing takes bounded memory.
    const ROW_GROUP_ROWS: usize = 65_536;

    /// A Parquet file for the plans.
    pub(super) fn create(path: &Path, playbook: &Playbook) -> Result<Plans, i32> {
        let file = crate::cli::run::create(path)?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        match ArrowWriter::try_new(file, playbook.plan_schema(), Some(properties)) {
            Ok(writer) => Ok(Plans::Parquet(Box::new(writer))),
            Err(error) => {
                eprintln!("error: cannot write `{}`: {error}", path.display());
                Err(EXIT_USAGE)
            }
        }
    }

    /// Plans a Parquet file of members, reading only the columns the playbook reads.
    pub(super) fn plan(
        path: &Path,
        playbook: &Playbook,
        as_of: AsOf,
        plans: &Plans,
        options: PlanOptions,
    ) -> Result<(Chunks, Members, InputCount), i32> {
        let unreadable = |error: &dyn std::fmt::Display| {
            eprintln!("error: cannot read `{}`: {error}", path.display());
            EXIT_USAGE
        };
        let file = File::open(path).map_err(|e| unreadable(&e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| unreadable(&e))?;
        let wanted = |name: &str| {
            name == "id" || name == "touches" || playbook.fields().any(|field| field == name)
        };
        let roots = builder.parquet_schema().root_schema().get_fields();
        let columns = roots
            .iter()
            .enumerate()
            .filter(|(_, field)| wanted(field.name()))
            .map(|(index, _)| index);
        let mask = ProjectionMask::roots(builder.parquet_schema(), columns);
        let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| unreadable(&e))?;
        let read = Arc::new(AtomicU64::new(0));
        let counter = read.clone();
        let batches = reader.inspect(move |batch| {
            if let Ok(batch) = batch {
                counter.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
            }
        });
        let chunks: Chunks = if plans.is_parquet() {
            Box::new(
                playbook
                    .plan_batches_arrow(batches, as_of, options)
                    .map(Chunk::Batch),
            )
        } else {
            Box::new(
                playbook
                    .plan_batches_json(batches, as_of, options)
                    .map(Chunk::Lines),
            )
        };
        Ok((chunks, Members::Parquet, (rows > 0).then_some((rows, read))))
    }

    /// Plans JSON Lines or CSV members into plans batches: the plans of the stream,
    /// gathered into batches as they come, a batch ending at each error record.
    pub(super) fn batches(
        playbook: &Playbook,
        reader: Box<dyn BufRead>,
        as_of: AsOf,
        options: PlanOptions,
    ) -> impl Iterator<Item = Chunk> {
        let mut builder = PlanBatchBuilder::new(playbook);
        let mut summary = playbook.summary();
        let mut items = playbook.plan_lines(reader, as_of, options).peekable();
        let playbook = playbook.clone();
        std::iter::from_fn(move || loop {
            let item = items.next();
            let error = match item {
                Some(Ok(plan)) => {
                    builder.push_plan(&plan);
                    summary.add_plan(&plan);
                    if builder.len() < BATCH_ROWS && items.peek().is_some() {
                        continue;
                    }
                    None
                }
                Some(Err(record)) => {
                    if record.kind != ErrorKind::Input {
                        summary.add_invalid();
                    }
                    Some(record)
                }
                None if builder.is_empty() => return None,
                None => None,
            };
            let summary = std::mem::replace(&mut summary, playbook.summary());
            let chunk = match builder.finish() {
                Ok(plans) => ArrowChunk {
                    plans,
                    error,
                    summary,
                },
                Err(failure) => ArrowChunk {
                    plans: RecordBatch::new_empty(playbook.plan_schema()),
                    error: Some(ErrorRecord {
                        line: error.map_or(0, |e| e.line),
                        member: None,
                        rule: None,
                        error: failure.to_string(),
                        kind: ErrorKind::Input,
                    }),
                    summary,
                },
            };
            return Some(Chunk::Batch(chunk));
        })
    }
}
