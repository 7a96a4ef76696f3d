//! Rules of the canonical layout stated in `docs/formatting.md`, one by one.

use siyu::format::format_source;

fn format(text: &str) -> String {
    format_source(text).unwrap_or_else(|d| panic!("{d:?}"))
}

#[test]
fn a_syntax_error_gives_its_diagnostics_and_no_text() {
    let diagnostics = format_source("rule r {\n  when spend >=\n}\n").unwrap_err();
    assert!(!diagnostics.is_empty());
    assert!(diagnostics
        .iter()
        .all(|d| d.code.starts_with("siyu::syntax::")));
}

#[test]
fn an_empty_file_stays_empty_and_others_end_with_one_line_break() {
    assert_eq!(format(""), "");
    assert_eq!(format("\n\n  \n"), "");
    assert_eq!(format("segment a = x\n\n\n"), "segment a = x\n");
    assert_eq!(format("segment a = x"), "segment a = x\n");
}

#[test]
fn windows_line_endings_become_unix_ones() {
    let formatted = format("segment a = x // c\r\n/* b\r\n */\r\nsegment b = y\r\n");
    assert_eq!(formatted, "segment a = x // c\n/* b\n */\nsegment b = y\n");
}

#[test]
fn stages_are_aligned_counting_chinese_characters_as_two_columns() {
    let formatted = format(
        "stage dormant \"沉睡粉\" when a\nstage new_fan \"新粉\" when b\nstage fan otherwise\n",
    );
    assert_eq!(
        formatted,
        "stage dormant \"沉睡粉\" when a\n\
         stage new_fan \"新粉\"   when b\n\
         stage fan              otherwise\n"
    );
}

#[test]
fn a_blank_line_splits_a_group_of_stages_into_two_tables() {
    let formatted = format("stage a \"A\" when x\n\n\n\nstage longer when y\n");
    assert_eq!(formatted, "stage a \"A\" when x\n\nstage longer when y\n");
}

#[test]
fn declarations_of_other_kinds_get_one_blank_line_between_them() {
    let formatted = format("segment a = x\nstage s when a\nrule r { then tag \"t\" }\n");
    assert_eq!(
        formatted,
        "segment a = x\n\nstage s when a\n\nrule r {\n  then tag \"t\"\n}\n"
    );
}

#[test]
fn a_single_with_argument_stays_on_the_action_line() {
    let long = "a very long message that fills most of the line before the arguments come";
    let formatted = format(&format!(
        "rule r {{ then send \"{long}\" via dm with {{ campaign: \"double eleven\" }} }}"
    ));
    assert!(
        formatted.contains("with { campaign: \"double eleven\" }\n"),
        "{formatted}"
    );
}

#[test]
fn a_line_comment_inside_an_expression_continues_the_clause_on_the_next_line() {
    let formatted = format("rule r { when spend >= 2000 // big\n or vip then tag \"t\" }");
    assert_eq!(
        formatted,
        "rule r {\n  when spend >= 2000 // big\n      or vip\n  then tag \"t\"\n}\n"
    );
}

#[test]
fn the_authors_parentheses_are_kept_and_none_added() {
    let text = "segment a = ((x)) + (y * z) - not b == c\n";
    assert_eq!(format(text), text);
}

#[test]
fn strings_take_the_quote_that_spares_escapes() {
    assert_eq!(
        format("segment a = x == \"say \\\"hi\\\"\" or y == 'it\\'s' or z == \"\\u{4E2D}\"\n"),
        "segment a = x == 'say \"hi\"' or y == \"it's\" or z == \"中\"\n"
    );
}
