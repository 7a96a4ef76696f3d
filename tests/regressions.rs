//! Inputs that once crashed, hung or broke a promise, found by fuzzing (`fuzz/`) or by
//! review; each stays fixed.

use siyu::{AsOf, InputFormat, PlanOptions, Playbook, StreamItem};

fn as_of() -> AsOf {
    AsOf::parse("2026-11-25T09:00:00+08:00").expect("as-of")
}

fn playbook(text: &str) -> Playbook {
    Playbook::from_source("regression.rules", text).expect("compiles")
}

fn csv_items(playbook: &Playbook, data: &[u8]) -> Vec<StreamItem> {
    let options = PlanOptions::default().threads(1).format(InputFormat::Csv);
    playbook.plan_lines(data, as_of(), options).collect()
}

/// Fuzzing (`plan_snapshot`, 15 min): CSV error records came out of line order. A
/// record cut off by the end of the input inside quotes holds the last line break in a
/// cell, and counting back from its end put it a line too early.
#[test]
fn csv_records_come_in_line_order() {
    let data = include_bytes!("regressions/csv_line_order.bin");
    for text in [
        include_str!("hostile/typed.rules"),
        include_str!("hostile/loose.rules"),
    ] {
        let items = csv_items(&playbook(text), data);
        let lines: Vec<u64> = items
            .iter()
            .map(|item| match item {
                Ok(_) => 0,
                Err(record) => record.line,
            })
            .collect();
        let errors: Vec<u64> = lines.into_iter().filter(|l| *l > 0).collect();
        assert!(errors.windows(2).all(|w| w[0] <= w[1]), "{errors:?}");
    }
}

/// The same, readable: a quote left open on the last line keeps that line's number.
#[test]
fn a_csv_quote_left_open_at_the_end_keeps_its_line() {
    let playbook = playbook(include_str!("hostile/loose.rules"));
    let items = csv_items(&playbook, b"id,orders\nm1,1\nm2,\"unclosed\n");
    assert_eq!(items.len(), 2);
    let record = items[1].as_ref().expect_err("a string is no number");
    assert_eq!((record.line, record.member.as_deref()), (3, Some("m2")));
}
