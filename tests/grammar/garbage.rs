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
