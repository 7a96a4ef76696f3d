//! Random input never panics and every span stays inside the text.

use super::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let parsed = parse(&text, FILE);
        for d in &parsed.diagnostics {
            prop_assert!(d.span.end as usize <= text.len());
        }
        let _ = parse_expression(&text, FILE);
    }

    #[test]
    fn random_tokens_never_panic(tokens in proptest::collection::vec(prop_oneof![
        Just("rule"), Just("r"), Just("{"), Just("}"), Just("("), Just(")"), Just("["), Just("]"),
        Just("when"), Just("then"), Just("send"), Just("\""), Just("'"), Just("{{"), Just("x"),
        Just("not"), Just("-"), Just("and"), Just("1"), Just("2026-11-25"), Just("10:00"),
        Just("/*"), Just("*/"), Just("//"), Just("\n"), Just(","), Just("stage"), Just("member"),
        Just(":"), Just("?"), Just("="), Just("test"), Just("expect"), Just("%"), Just("."),
    ], 0..60)) {
        let text = tokens.join(" ");
        let parsed = parse(&text, FILE);
        for d in &parsed.diagnostics {
            prop_assert!(d.span.end as usize <= text.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]
    #[test]
    fn damaged_playbooks_never_panic(start in 0usize..3000, length in 0usize..40, insert in "[ -)+-~]{0,6}") {
        let text = include_str!("../playbooks/complete_example.rules");
        let mut start = start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + length).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let damaged = format!("{}{}{}", &text[..start], insert, &text[end..]);
        let parsed = parse(&damaged, FILE);
        for d in &parsed.diagnostics {
            prop_assert!(d.span.start <= d.span.end && d.span.end as usize <= damaged.len());
            prop_assert!(damaged.is_char_boundary(d.span.start as usize));
        }
        // One local mistake leaves most of the 15 declarations standing.
        prop_assert!(parsed.module.items.len() >= 10, "{:?}", parsed.diagnostics);
    }
}
