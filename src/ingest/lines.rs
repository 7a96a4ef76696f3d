//! JSON Lines read in blocks: the reading thread copies runs of whole lines into one
//! buffer per block (no allocation per line, newlines found with `memchr`), and the
//! workers split a block into its lines. What a line is lives here alone: lines end
//! with `\n` (a `\r` before it is dropped), the last may lack its end, a byte-order
//! mark opening the input is dropped, blank lines are skipped but counted, and a line
//! longer than [`MAX_LINE_BYTES`] is refused without being kept.

use std::io::{self, BufRead};

use crate::limits::MAX_CHUNK_BYTES;
use crate::plan::{ErrorKind, ErrorRecord};

/// The longest line read; a longer one is an error record (its text is not kept).
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Consecutive whole lines of the input.
#[derive(Debug)]
pub(crate) struct LineBlock {
    /// The number of the block's first line (1-based, blank lines counted).
    pub first_line: u64,
    /// The lines, each with its `\n` (the last line of the input may lack it).
    pub bytes: Vec<u8>,
}

impl LineBlock {
    /// The block's non-blank lines with their numbers, without line ends.
    pub(crate) fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let bytes = self.bytes.as_slice();
        let ends = memchr::memchr_iter(b'\n', bytes).chain(
            // A last line without its `\n`.
            (!bytes.is_empty() && bytes.last() != Some(&b'\n')).then_some(bytes.len()),
        );
        let mut start = 0;
        let first_line = self.first_line;
        ends.enumerate().filter_map(move |(index, end)| {
            let line = bytes.get(start..end).unwrap_or_default();
            start = end + 1;
            let number = first_line + index as u64;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line = match number {
                1 => line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line),
                _ => line,
            };
            (!line.iter().all(u8::is_ascii_whitespace)).then_some((number, line))
        })
    }
}

/// What reading a block gave.
#[derive(Debug)]
pub(crate) enum Read {
    /// Whole lines.
    Block(LineBlock),
    /// A line that could not be kept (too long), or a reader that failed (the last
    /// item of the input).
    Failed(ErrorRecord),
}

/// Reads a JSON Lines input a block at a time.
pub(crate) struct LineReader<R> {
    reader: R,
    /// The number of the next line to start.
    next_line: u64,
    /// A failure met after the lines of the block just returned.
    pending: Option<ErrorRecord>,
    done: bool,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(reader: R) -> Self {
        LineReader {
            reader,
            next_line: 1,
            pending: None,
            done: false,
        }
    }

    /// The next block of at most `max_lines` lines (blank ones included) and about
    /// [`MAX_CHUNK_BYTES`] (a block ends with the line that reaches it), or the next
    /// failure; `None` at the end of the input.
    pub(crate) fn next(&mut self, max_lines: usize) -> Option<Read> {
        if let Some(failure) = self.pending.take() {
            return Some(Read::Failed(failure));
        }
        if self.done {
            return None;
        }
        let first_line = self.next_line;
        let mut bytes = Vec::new();
        let mut line_start = 0;
        let mut lines = 0;
        let mut full = false;
        while !full {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    self.done = true;
                    bytes.truncate(line_start);
                    self.pending = Some(failure(
                        first_line + lines as u64,
                        ErrorKind::Input,
                        format!("cannot read the input: {error}"),
                    ));
                    break;
                }
            };
            if available.is_empty() {
                self.done = true;
                if bytes.len() > line_start {
                    lines += 1;
                }
                break;
            }
            // Take whole lines up to the limit, then the start of an unfinished one.
            let mut taken = available.len();
            let mut too_long_end = None;
            for end in memchr::memchr_iter(b'\n', available) {
                if bytes.len() + end - line_start > MAX_LINE_BYTES {
                    too_long_end = Some(end);
                    break;
                }
                lines += 1;
                line_start = bytes.len() + end + 1;
                if lines >= max_lines || line_start >= MAX_CHUNK_BYTES {
                    taken = end + 1;
                    full = true;
                    break;
                }
            }
            if let Some(end) = too_long_end {
                // Keep the lines before the long one; drop it, its end included.
                let before = line_start.saturating_sub(bytes.len());
                bytes.extend_from_slice(available.get(..before).unwrap_or_default());
                bytes.truncate(line_start);
                self.reader.consume(end + 1);
                self.pending = Some(too_long(first_line + lines as u64));
                lines += 1;
                break;
            }
            bytes.extend_from_slice(available.get(..taken).unwrap_or_default());
            self.reader.consume(taken);
            if bytes.len() - line_start > MAX_LINE_BYTES {
                bytes.truncate(line_start);
                let number = first_line + lines as u64;
                lines += 1;
                self.pending = Some(match self.skip_line() {
                    Ok(()) => too_long(number),
                    Err(failure) => failure,
                });
                break;
            }
        }
        self.next_line = first_line + lines as u64;
        if bytes.is_empty() {
            return self.pending.take().map(Read::Failed);
        }
        Some(Read::Block(LineBlock { first_line, bytes }))
    }

    /// Drops the rest of a line that is too long.
    fn skip_line(&mut self) -> Result<(), ErrorRecord> {
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    self.done = true;
                    return Err(failure(
                        self.next_line,
                        ErrorKind::Input,
                        format!("cannot read the input: {error}"),
                    ));
                }
            };
            if available.is_empty() {
                self.done = true;
                return Ok(());
            }
            match memchr::memchr(b'\n', available) {
                Some(end) => {
                    self.reader.consume(end + 1);
                    return Ok(());
                }
                None => {
                    let length = available.len();
                    self.reader.consume(length);
                }
            }
        }
    }
}

fn too_long(line: u64) -> ErrorRecord {
    let message = format!(
        "the line is longer than {}",
        crate::limits::bytes_in_words(MAX_LINE_BYTES)
    );
    failure(line, ErrorKind::Malformed, message)
}

fn failure(line: u64, kind: ErrorKind, error: String) -> ErrorRecord {
    ErrorRecord {
        line,
        member: None,
        rule: None,
        error,
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every non-blank line of `text`, read in blocks of `max_lines`.
    fn read_all(text: &[u8], max_lines: usize) -> Vec<Result<(u64, String), (u64, String)>> {
        read_with(text, max_lines, 7)
    }

    fn read_with(
        text: &[u8],
        max_lines: usize,
        capacity: usize,
    ) -> Vec<Result<(u64, String), (u64, String)>> {
        let mut reader = LineReader::new(io::BufReader::with_capacity(capacity, text));
        let mut out = Vec::new();
        while let Some(read) = reader.next(max_lines) {
            match read {
                Read::Block(block) => out.extend(
                    block
                        .lines()
                        .map(|(n, line)| Ok((n, String::from_utf8_lossy(line).into_owned()))),
                ),
                Read::Failed(record) => out.push(Err((record.line, record.error))),
            }
        }
        out
    }

    #[test]
    fn blank_lines_are_skipped_but_counted_whatever_the_block_size() {
        let text = b"\xEF\xBB\xBF{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\":3}";
        let expected = vec![
            Ok((1, "{\"a\":1}".to_string())),
            Ok((4, "{\"b\":2}".to_string())),
            Ok((5, "{\"c\":3}".to_string())),
        ];
        for max_lines in [1, 2, 3, 256] {
            assert_eq!(read_all(text, max_lines), expected, "blocks of {max_lines}");
        }
        assert_eq!(read_all(b"", 4), vec![]);
        assert_eq!(read_all(b"\n\n", 4), vec![]);
    }

    #[test]
    fn a_byte_order_mark_is_dropped_only_at_the_start() {
        let text = b"{}\n\xEF\xBB\xBF{}\n";
        let got = read_all(text, 1);
        assert_eq!(got[1], Ok((2, "\u{feff}{}".to_string())));
    }

    #[test]
    fn a_line_too_long_is_refused_and_reading_goes_on() {
        let mut text = b"{\"a\":1}\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        text.extend_from_slice(b"\n{\"b\":2}\n");
        for (max_lines, capacity) in [(1, 7), (256, 7), (1, 1 << 26), (256, 1 << 26)] {
            let got = read_with(&text, max_lines, capacity);
            assert_eq!(got.len(), 3, "blocks of {max_lines}");
            assert_eq!(got[0], Ok((1, "{\"a\":1}".to_string())));
            assert!(matches!(&got[1], Err((2, message)) if message.contains("longer than")));
            assert_eq!(got[2], Ok((3, "{\"b\":2}".to_string())));
        }
    }
}
