//! Reading the input into records: JSON Lines (one snapshot a line, read in blocks of
//! whole lines, see [`super::lines`]) or CSV (a header row, then one snapshot a record).
//! Reading never stops at a bad line: a bad line becomes an error record, and only a
//! failing reader ends the input.

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::sync::{Arc, Mutex};

use super::ids::{IdSet, Seen};
use super::lines::{LineBlock, LineReader, Read, MAX_LINE_BYTES};
use crate::limits::MAX_CHUNK_BYTES;
use crate::plan::{ErrorKind, ErrorRecord};

/// Lines read at a time when records are asked for one by one.
const LINES_PER_READ: usize = 256;

/// The format of a members file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InputFormat {
    /// One JSON object a line.
    #[default]
    JsonLines,
    /// A header row, then one record a member; `a.b` headers build nested objects and
    /// list cells are joined with `;`.
    Csv,
}

impl InputFormat {
    /// CSV for a `.csv` path, JSON Lines otherwise.
    pub fn from_path(path: &std::path::Path) -> InputFormat {
        let is_csv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv {
            InputFormat::Csv
        } else {
            InputFormat::JsonLines
        }
    }
}

/// One unit of input, with the line it started on.
#[derive(Debug)]
pub(crate) enum Record {
    /// A JSON Lines line (bytes, not yet checked for UTF-8).
    Json { line: u64, bytes: Vec<u8> },
    /// A CSV record and the header it goes with.
    Csv {
        line: u64,
        header: Arc<Vec<String>>,
        cells: csv::StringRecord,
    },
    /// A line that could not be read as a record.
    Failed(ErrorRecord),
}

impl Record {
    /// The bytes of input the record holds (what a chunk of records costs in memory).
    pub(crate) fn size(&self) -> usize {
        match self {
            Record::Json { bytes, .. } => bytes.len(),
            Record::Csv { cells, .. } => cells.as_slice().len(),
            Record::Failed(record) => record.error.len(),
        }
    }
}

/// Records handed to a worker together.
#[derive(Debug)]
pub(crate) enum Batch {
    /// A block of JSON Lines lines, and those of its lines (in order) whose id was seen
    /// on an earlier line.
    Lines(LineBlock, Vec<Duplicate>),
    /// Records one by one (CSV, or a line that could not be read).
    Records(Vec<Record>),
}

/// A line whose member id was seen before.
#[derive(Debug, Clone)]
pub(crate) struct Duplicate {
    /// The line.
    pub line: u64,
    /// The id.
    pub id: Box<str>,
    /// The line it was first seen on.
    pub first: u64,
}

impl Duplicate {
    /// The error record of the duplicate.
    pub(crate) fn record(&self) -> ErrorRecord {
        ErrorRecord {
            line: self.line,
            member: Some(self.id.as_ref().into()),
            rule: None,
            error: format!("duplicate id `{}`, first at line {}", self.id, self.first),
            kind: ErrorKind::Schema,
        }
    }
}

/// Reads records from a reader.
pub(crate) struct RecordReader<R> {
    source: Source<R>,
    done: bool,
    /// The ids seen so far, when batches are checked for duplicates.
    ids: Option<IdSet>,
}

enum Source<R> {
    Lines {
        reader: LineReader<R>,
        /// Lines of the last block read, when records are asked for one by one.
        queue: VecDeque<Record>,
    },
    Csv {
        reader: csv::Reader<LineCounter<R>>,
        lines: Arc<Mutex<NewlineIndex>>,
        header: Option<Arc<Vec<String>>>,
    },
}

/// The byte offsets of the newlines read ahead by the CSV reader, so that a record's
/// byte offset gives its line (blank lines included, which the CSV reader skips).
#[derive(Debug, Default)]
struct NewlineIndex {
    pending: VecDeque<u64>,
    lines_before: u64,
    /// Where the record being read starts; reading runs dry past [`MAX_LINE_BYTES`]
    /// from it (an unclosed quote would otherwise pull the whole input into one record).
    record_start: u64,
}

impl NewlineIndex {
    /// The 1-based line of a byte offset (offsets are asked in increasing order).
    fn line_of(&mut self, byte: u64) -> u64 {
        while self.pending.front().is_some_and(|&newline| newline < byte) {
            self.pending.pop_front();
            self.lines_before += 1;
        }
        self.lines_before + 1
    }
}

/// A reader that notes where its newlines are.
struct LineCounter<R> {
    inner: R,
    read: u64,
    lines: Arc<Mutex<NewlineIndex>>,
}

impl<R: io::Read> io::Read for LineCounter<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let mut lines = self
            .lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.read.saturating_sub(lines.record_start) > (MAX_LINE_BYTES + (1 << 16)) as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a CSV record is longer than {} (is a quote left open?)",
                    crate::limits::bytes_in_words(MAX_LINE_BYTES)
                ),
            ));
        }
        let count = self.inner.read(buffer)?;
        for (i, byte) in buffer.iter().take(count).enumerate() {
            if *byte == b'\n' {
                lines.pending.push_back(self.read + i as u64);
            }
        }
        self.read += count as u64;
        Ok(count)
    }
}

fn failed(line: u64, kind: ErrorKind, error: String) -> Record {
    Record::Failed(ErrorRecord {
        line,
        member: None,
        rule: None,
        error,
        kind,
    })
}

impl<R: BufRead> RecordReader<R> {
    /// A reader of the given format.
    pub(crate) fn new(reader: R, format: InputFormat) -> Self {
        let source = match format {
            InputFormat::JsonLines => Source::Lines {
                reader: LineReader::new(reader),
                queue: VecDeque::new(),
            },
            InputFormat::Csv => {
                let lines = Arc::new(Mutex::new(NewlineIndex::default()));
                let counter = LineCounter {
                    inner: reader,
                    read: 0,
                    lines: lines.clone(),
                };
                Source::Csv {
                    reader: csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .from_reader(counter),
                    lines,
                    header: None,
                }
            }
        };
        RecordReader {
            source,
            done: false,
            ids: None,
        }
    }

    /// A reader whose batches mark the second and later snapshots of an id.
    pub(crate) fn with_duplicate_check(mut self) -> Self {
        self.ids = Some(IdSet::new());
        self
    }

    /// The next record, or `None` at the end (after a read error, the error record is
    /// the last one).
    pub(crate) fn next_record(&mut self) -> Option<Record> {
        if self.done {
            return None;
        }
        let record = match &mut self.source {
            Source::Lines { reader, queue } => next_line(reader, queue),
            Source::Csv {
                reader,
                lines,
                header,
            } => next_csv(reader, lines, header),
        };
        match &record {
            None
            | Some(Record::Failed(ErrorRecord {
                kind: ErrorKind::Input,
                ..
            })) => self.done = true,
            _ => {}
        }
        record
    }

    /// What a worker takes at a time: for JSON Lines, a block of at most `size` lines
    /// (or a failure); for CSV, up to `size` records. Either way a batch stops once it
    /// holds [`MAX_CHUNK_BYTES`] of input. `None` at the end.
    pub(crate) fn next_batch(&mut self, size: usize) -> Option<Batch> {
        if let Source::Lines { reader, queue } = &mut self.source {
            if queue.is_empty() {
                return Some(match reader.next(size)? {
                    Read::Block(block) => {
                        let mut duplicates = Vec::new();
                        if let Some(ids) = &mut self.ids {
                            for (line, bytes) in block.lines() {
                                if let Some(duplicate) = check_id(ids, line, json_id(bytes)) {
                                    duplicates.push(duplicate);
                                }
                            }
                        }
                        Batch::Lines(block, duplicates)
                    }
                    Read::Failed(record) => Batch::Records(vec![Record::Failed(record)]),
                });
            }
        }
        let mut records = Vec::new();
        let mut bytes = 0;
        while records.len() < size.max(1) && bytes < MAX_CHUNK_BYTES {
            match self.next_record() {
                Some(record) => {
                    bytes += record.size();
                    records.push(self.checked(record));
                }
                None => break,
            }
        }
        (!records.is_empty()).then_some(Batch::Records(records))
    }

    /// The record, or its duplicate error when its id was seen before.
    fn checked(&mut self, record: Record) -> Record {
        let Some(ids) = &mut self.ids else {
            return record;
        };
        let found = match &record {
            Record::Json { line, bytes } => check_id(ids, *line, json_id(bytes)),
            Record::Csv {
                line,
                header,
                cells,
            } => {
                let column = header.iter().position(|name| name == "id");
                let id = column.and_then(|c| cells.get(c));
                check_id(ids, *line, id.map(std::borrow::Cow::Borrowed))
            }
            Record::Failed(_) => None,
        };
        match found {
            Some(duplicate) => Record::Failed(duplicate.record()),
            None => record,
        }
    }
}

/// Notes a member's id; a duplicate when it was seen before. Snapshots without a
/// readable id (they are invalid anyway) and empty ids are not counted.
fn check_id(
    ids: &mut IdSet,
    line: u64,
    id: Option<std::borrow::Cow<'_, str>>,
) -> Option<Duplicate> {
    let id = id?;
    if id.trim().is_empty() {
        return None;
    }
    match ids.insert(&id, line) {
        Seen::First => None,
        Seen::Before(first) => Some(Duplicate {
            line,
            id: id.as_ref().into(),
            first,
        }),
    }
}

/// The id of a JSON Lines line, as the decoder reads it: a string, or an integer in
/// its decimal form. Lines that begin `{"id":"…"` with no escape in the id are read
/// without a parser.
fn json_id(bytes: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    const PREFIX: &[u8] = b"{\"id\":\"";
    if let Some(rest) = bytes.strip_prefix(PREFIX) {
        if let Some(end) = memchr::memchr2(b'"', b'\\', rest) {
            if rest[end] == b'"' {
                if let Ok(id) = std::str::from_utf8(&rest[..end]) {
                    if !id.chars().any(char::is_control) {
                        return Some(std::borrow::Cow::Borrowed(id));
                    }
                }
            }
        }
    }
    let text = std::str::from_utf8(bytes).ok()?;
    super::decode::id_of_text(text).map(|id| std::borrow::Cow::Owned(id.to_string()))
}

/// The next line, as its own record.
fn next_line<R: BufRead>(
    reader: &mut LineReader<R>,
    queue: &mut VecDeque<Record>,
) -> Option<Record> {
    while queue.is_empty() {
        match reader.next(LINES_PER_READ)? {
            Read::Block(block) => queue.extend(block.lines().map(|(line, bytes)| Record::Json {
                line,
                bytes: bytes.to_vec(),
            })),
            Read::Failed(record) => return Some(Record::Failed(record)),
        }
    }
    queue.pop_front()
}

fn next_csv<R: io::Read>(
    reader: &mut csv::Reader<R>,
    lines: &Mutex<NewlineIndex>,
    header: &mut Option<Arc<Vec<String>>>,
) -> Option<Record> {
    let line_of = |byte: u64| lines.lock().map_or(0, |mut index| index.line_of(byte));
    loop {
        let mut cells = csv::StringRecord::new();
        let start = reader.position().byte();
        if let Ok(mut index) = lines.lock() {
            index.record_start = start;
        }
        match reader.read_record(&mut cells) {
            Ok(false) => return None,
            Ok(true) => {}
            Err(error) => {
                let line = line_of(error.position().map_or(start, |p| p.byte()));
                return Some(match error.kind() {
                    csv::ErrorKind::Io(_) => failed(
                        line,
                        ErrorKind::Input,
                        format!("cannot read the input: {error}"),
                    ),
                    csv::ErrorKind::Utf8 { .. } => failed(
                        line,
                        ErrorKind::Malformed,
                        "the record is not valid UTF-8".into(),
                    ),
                    _ => failed(
                        line,
                        ErrorKind::Malformed,
                        format!("malformed CSV: {error}"),
                    ),
                });
            }
        }
        // The csv reader places a record after any blank lines before it; its end is
        // exact, so count back from the end the line breaks inside its cells. A record
        // cut off by the end of the input inside quotes holds its last line break in a
        // cell; it still starts no earlier than where reading it began.
        let from_start = line_of(start);
        let end = reader.position().byte().max(1);
        let inner_breaks: u64 = cells
            .iter()
            .map(|cell| cell.matches('\n').count() as u64)
            .sum();
        let line = line_of(end - 1)
            .saturating_sub(inner_breaks)
            .max(from_start)
            .max(1);
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let Some(header) = header.clone() else {
            let names: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let name = name.trim();
                    let name = if i == 0 {
                        name.trim_start_matches('\u{feff}')
                    } else {
                        name
                    };
                    name.to_string()
                })
                .collect();
            *header = Some(Arc::new(names));
            continue;
        };
        return Some(Record::Csv {
            line,
            header,
            cells,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(u64, String)> {
        let mut reader = RecordReader::new(text.as_bytes(), InputFormat::JsonLines);
        let mut out = Vec::new();
        while let Some(record) = reader.next_record() {
            match record {
                Record::Json { line, bytes } => out.push((line, String::from_utf8(bytes).unwrap())),
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    #[test]
    fn blank_lines_are_skipped_but_counted() {
        let got = lines("{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\":3}");
        assert_eq!(
            got,
            vec![
                (1, "{\"a\":1}".to_string()),
                (4, "{\"b\":2}".to_string()),
                (5, "{\"c\":3}".to_string())
            ]
        );
    }

    #[test]
    fn csv_records_carry_their_line_and_header() {
        let text = "id,consent.dm\nm1,true\n\nm2,\"a\nb\"\n\n\nm3,x\n";
        let mut reader = RecordReader::new(text.as_bytes(), InputFormat::Csv);
        let mut seen = Vec::new();
        while let Some(record) = reader.next_record() {
            if let Record::Csv {
                line,
                header,
                cells,
            } = record
            {
                assert_eq!(header.as_slice(), ["id", "consent.dm"]);
                seen.push((line, cells.get(0).unwrap().to_string()));
            }
        }
        let expected = [(2, "m1"), (4, "m2"), (8, "m3")];
        assert_eq!(seen, expected.map(|(l, s)| (l, s.to_string())));
    }
}
