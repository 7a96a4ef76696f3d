//! Reading the input into records: JSON Lines (one snapshot a line, blank lines skipped
//! but counted, lines longer than [`MAX_LINE_BYTES`] refused) or CSV (a header row,
//! then one snapshot a record). Reading never stops at a bad line: a bad line becomes
//! an error record, and only a failing reader ends the input.

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::sync::{Arc, Mutex};

use crate::plan::{ErrorKind, ErrorRecord};

/// The longest line read; a longer one is an error record (its text is not kept).
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// The format of a members file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

/// Reads records from a reader.
pub(crate) struct RecordReader<R> {
    source: Source<R>,
    done: bool,
}

enum Source<R> {
    Lines {
        reader: R,
        line: u64,
        buffer: Vec<u8>,
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
        let count = self.inner.read(buffer)?;
        let mut lines = self
            .lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
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
                reader,
                line: 0,
                buffer: Vec::new(),
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
        }
    }

    /// The next record, or `None` at the end (after a read error, the error record is
    /// the last one).
    pub(crate) fn next_record(&mut self) -> Option<Record> {
        if self.done {
            return None;
        }
        let record = match &mut self.source {
            Source::Lines {
                reader,
                line,
                buffer,
            } => next_line(reader, line, buffer),
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
}

fn next_line<R: BufRead>(reader: &mut R, line: &mut u64, buffer: &mut Vec<u8>) -> Option<Record> {
    loop {
        *line += 1;
        let too_long = match read_line(reader, buffer) {
            Ok(None) => return None,
            Ok(Some(too_long)) => too_long,
            Err(error) => {
                return Some(failed(
                    *line,
                    ErrorKind::Input,
                    format!("cannot read the input: {error}"),
                ));
            }
        };
        if too_long {
            let message = format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20);
            return Some(failed(*line, ErrorKind::Malformed, message));
        }
        if *line == 1 && buffer.starts_with(b"\xEF\xBB\xBF") {
            buffer.drain(..3);
        }
        if buffer.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        return Some(Record::Json {
            line: *line,
            bytes: std::mem::take(buffer),
        });
    }
}

/// Reads one line without its end (`\n` or `\r\n`) into `out`; `Ok(None)` at the end
/// of input, `Ok(Some(true))` when the line was too long (its bytes are dropped).
fn read_line<R: BufRead>(reader: &mut R, out: &mut Vec<u8>) -> io::Result<Option<bool>> {
    out.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            break;
        }
        any = true;
        let newline = available.iter().position(|&b| b == b'\n');
        let chunk = &available[..newline.unwrap_or(available.len())];
        if !too_long {
            if out.len() + chunk.len() > MAX_LINE_BYTES {
                too_long = true;
                out.clear();
                out.shrink_to_fit();
            } else {
                out.extend_from_slice(chunk);
            }
        }
        let consumed = newline.map_or(available.len(), |i| i + 1);
        reader.consume(consumed);
        if newline.is_some() {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if out.last() == Some(&b'\r') {
        out.pop();
    }
    Ok(Some(too_long))
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
        // exact, so count back from the end the line breaks inside its cells.
        let end = reader.position().byte().max(1);
        let inner_breaks: u64 = cells
            .iter()
            .map(|cell| cell.matches('\n').count() as u64)
            .sum();
        let line = line_of(end - 1).saturating_sub(inner_breaks).max(1);
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
