//! The formatter round trip: whenever a text formats, its formatting formats to itself
//! (idempotence) and parses to the same tree, spans aside (meaning kept).
#![no_main]

use libfuzzer_sys::fuzz_target;
use siyu::diagnostics::FileId;
use siyu::format::{format_source, without_spans};
use siyu::syntax::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(formatted) = format_source(text) else {
        return;
    };
    let again = match format_source(&formatted) {
        Ok(again) => again,
        Err(diagnostics) => panic!(
            "the formatted text does not parse: {:?}\n--- input\n{text}\n--- formatted\n{formatted}",
            diagnostics.first().map(|d| &d.message)
        ),
    };
    assert_eq!(formatted, again, "formatting is not idempotent\n--- input\n{text}");
    let before = without_spans(&parse(text, FileId(0)).module);
    let after = without_spans(&parse(&formatted, FileId(0)).module);
    assert_eq!(before, after, "formatting changed the meaning\n--- input\n{text}\n--- formatted\n{formatted}");
});
