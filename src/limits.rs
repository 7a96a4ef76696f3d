//! Every limit that keeps hostile input from crashing, hanging or exhausting memory, in
//! one place (`docs/limits.md` explains each for users). Each stage enforces its own
//! limits and reports a plain-words problem when one is reached: a diagnostic for a
//! playbook, an error record for a snapshot. No limit ever drops a member silently: a
//! snapshot that reaches one is an invalid line, counted and reported.
//!
//! The constants are the contract; the stages read them from here.

/// The largest playbook file (bytes), includes counted one by one; a larger file is
/// refused before it is parsed.
pub use crate::syntax::MAX_SOURCE_BYTES;

/// The deepest nesting of brackets and prefix operators in a playbook.
pub use crate::syntax::MAX_NESTING;

/// The tallest expression tree a playbook may hold (a chain of `or`s, say).
pub use crate::syntax::MAX_EXPRESSION_HEIGHT;

/// The deepest a compiled condition may reach once segments are expanded into the
/// expressions that use them (a chain of segments, each using the one before); a deeper
/// playbook is refused when it is compiled, so evaluation never exhausts a stack.
pub const MAX_EVALUATION_DEPTH: usize = 300;

/// The longest snapshot line (bytes); a longer line is an error record and its text
/// is never held in memory.
pub use crate::ingest::MAX_LINE_BYTES;

/// The deepest nesting of JSON arrays and objects in a snapshot, the snapshot object
/// itself counted as the first level.
pub const MAX_JSON_DEPTH: usize = 127;

/// The most items in one list of a snapshot (`touches` included), and the most fields
/// in one object of a snapshot read without a schema.
pub const MAX_LIST_ITEMS: usize = 100_000;

/// The longest string an expression may build (`+` of strings) and the longest
/// rendered `content` of an action, in bytes. Past it the member is an error record
/// naming the rule, so one template cannot make a plan grow without bound.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// The most work spent evaluating one member, in steps: one per item a quantifier
/// (`any`, `all`, `count`) visits, and one per item (or per 64 bytes of string) that
/// `in`, a comparison of lists or a string function reads. A member past it is an error
/// record, so that nested quantifiers over long lists end instead of running for hours.
pub const MAX_EVALUATION_STEPS: u64 = 10_000_000;

/// The largest compiled size of one `matches` pattern (bytes of the regex program), and
/// of the lazy DFA cache each pattern may grow while matching.
pub const MAX_REGEX_BYTES: usize = 1 << 20;

/// Records read ahead into one chunk for a worker thread stop once the chunk holds
/// this many bytes of input (or `PlanOptions::chunk_size` records), so that a stream
/// of long lines never holds more than a few chunks of them in memory.
pub const MAX_CHUNK_BYTES: usize = 4 << 20;

/// A size in bytes as a person reads it: `16 MiB`, `64 KiB`, `1000 bytes`.
pub fn bytes_in_words(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes_in_words(MAX_TEXT_BYTES), "1 MiB");
        assert_eq!(bytes_in_words(16 << 20), "16 MiB");
        assert_eq!(bytes_in_words(64 << 10), "64 KiB");
        assert_eq!(bytes_in_words(1000), "1000 bytes");
    }
}
