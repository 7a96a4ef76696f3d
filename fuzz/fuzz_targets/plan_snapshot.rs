//! Snapshot decoding + planning of arbitrary bytes, through fixed playbooks (one with a
//! schema of every type, one without a schema). Properties: nothing panics; the stream
//! gives exactly one item per non-blank line (planned + invalid = lines read), in line
//! order; planning a line alone gives the same answer as planning it in the stream.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use siyu::{AsOf, InputFormat, PlanOptions, Playbook};

fn playbooks() -> &'static [Playbook; 2] {
    static PLAYBOOKS: OnceLock<[Playbook; 2]> = OnceLock::new();
    PLAYBOOKS.get_or_init(|| {
        let load = |name, text| Playbook::from_source(name, text).expect("the playbook compiles");
        [
            load("typed.rules", include_str!("../../tests/hostile/typed.rules")),
            load("loose.rules", include_str!("../../tests/hostile/loose.rules")),
        ]
    })
}

/// The 1-based numbers of the lines that are not blank, as the reader counts them.
fn non_blank_lines(data: &[u8]) -> Vec<u64> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    if data.is_empty() {
        return Vec::new();
    }
    let mut numbers = Vec::new();
    for (index, line) in body.split(|b| *b == b'\n').enumerate() {
        let line = if index == 0 {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
        } else {
            line
        };
        if !line.iter().all(u8::is_ascii_whitespace) {
            numbers.push(index as u64 + 1);
        }
    }
    numbers
}

/// The as-of time: mostly an ordinary one, sometimes one at the edges of time, where
/// send times run out of dates (picked by the input's length, so a crash replays).
fn as_of(data: &[u8]) -> AsOf {
    let text = match data.len() % 8 {
        0 => "0000-01-01T00:00:00Z",
        1 => "9999-12-30T21:59:59Z",
        2 => "2026-03-08T02:30:00-05:00",
        _ => "2026-11-25T09:00:00+08:00",
    };
    AsOf::parse(text).expect("as-of")
}

fuzz_target!(|data: &[u8]| {
    let as_of = as_of(data);
    let expected = non_blank_lines(data);
    for playbook in playbooks() {
        let items: Vec<_> = playbook
            .plan_lines(data, as_of, PlanOptions::default().threads(1))
            .collect();
        let lines: Vec<u64> = items
            .iter()
            .map(|item| match item {
                Ok(_) => 0,
                Err(record) => record.line,
            })
            .collect();
        assert_eq!(items.len(), expected.len(), "one item per non-blank line");
        for ((item, line), want) in items.iter().zip(&lines).zip(&expected) {
            if item.is_err() {
                assert_eq!(line, want, "an error record names its line");
            }
        }
        let lines_text: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
        for (item, number) in items.iter().zip(&expected) {
            let Some(raw) = lines_text.get(*number as usize - 1) else {
                continue;
            };
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let raw = if *number == 1 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            let Ok(text) = std::str::from_utf8(raw) else {
                assert!(item.is_err(), "invalid UTF-8 is an error record");
                continue;
            };
            let alone = playbook.plan_json(text, as_of);
            match (item, &alone) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(_), Err(_)) => {}
                _ => panic!("stream and single line disagree: {item:?} vs {alone:?}"),
            }
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
                let _ = playbook.plan(&value, as_of);
                if let Ok(trace) = playbook.explain(&value, as_of) {
                    let _ = trace.to_string();
                }
            }
        }
        let csv: Vec<_> = playbook
            .plan_lines(data, as_of, PlanOptions::default().threads(1).format(InputFormat::Csv))
            .collect();
        let mut last = 0;
        for item in &csv {
            if let Err(record) = item {
                assert!(record.line >= last, "CSV records come in line order");
                last = record.line;
            }
        }
    }
});
