//! Syntax errors in plain words, recovery after them, and the limits on size and depth.

use siyu::ast::*;
use siyu::diagnostics::codes;
use siyu::syntax::{parse, parse_expression, MAX_NESTING, MAX_SOURCE_BYTES};

use super::{parse_ok, slice, FILE};

// ----- errors and recovery -----

fn messages(text: &str) -> Vec<String> {
    parse(text, FILE)
        .diagnostics
        .into_iter()
        .map(|d| d.message)
        .collect()
}

#[test]
fn common_mistakes_in_plain_words() {
    assert_eq!(
        messages("playbook \"p\" { quadrant online_high_freq_high }"),
        ["expected an axis like `online high` or `frequency low` after `quadrant`"]
    );
    assert_eq!(
        messages("rule r {\n  when spend >=\n}"),
        ["`>=` needs a value after it"]
    );
    assert_eq!(
        messages("rule r {\n  when spend >= 1\n"),
        ["expected `}` to close the rule block"]
    );
    assert_eq!(
        messages("channel dm { window 10-21 }"),
        ["expected a time of day like `19:30` after `window`"]
    );
    assert_eq!(
        messages("policy { holdout 5 }"),
        ["expected a percentage like `5%` after `holdout`"]
    );
    let parsed = parse("rule r {\n  when x\n  prority 5\n}", FILE);
    let diagnostic = &parsed.diagnostics[0];
    assert!(diagnostic.message.starts_with("expected a rule clause"));
    assert_eq!(diagnostic.help.as_deref(), Some("did you mean `priority`?"));
    let parsed = parse("segment s = a = b", FILE);
    assert_eq!(
        parsed.diagnostics[0].help.as_deref(),
        Some("to compare two values, write `==`")
    );
    for diagnostic in parse("rule r { when ( }\nfoo bar\nstage s when\n", FILE).diagnostics {
        assert_eq!(diagnostic.code, codes::SYNTAX);
        for rule_name in ["kw_", "_decl", "op_", "_clause", "expr ", "ident"] {
            assert!(
                !diagnostic.message.contains(rule_name),
                "{}",
                diagnostic.message
            );
        }
    }
}

#[test]
fn one_mistake_does_not_hide_the_rest() {
    let text = "stage a when x > 1\nrule broken {\n  when >\n  then send \"x\" via dm\n}\nsegment good = y\nchannel also_broken { window 9 }\nstage b otherwise\n";
    let parsed = parse(text, FILE);
    assert_eq!(parsed.diagnostics.len(), 2, "{:#?}", parsed.diagnostics);
    let names: Vec<String> = parsed
        .module
        .items
        .iter()
        .map(|item| match item {
            Item::Stage(s) => s.name.name.clone(),
            Item::Segment(s) => s.name.name.clone(),
            _ => "?".into(),
        })
        .collect();
    assert_eq!(names, ["a", "good", "b"]);
    assert_eq!(slice(text, parsed.diagnostics[0].span), ">");
}

#[test]
fn unclosed_comment_is_reported() {
    let parsed = parse("stage a otherwise\n/* never closed", FILE);
    assert_eq!(parsed.module.items.len(), 1);
    assert_eq!(
        parsed.diagnostics[0].message,
        "this comment is never closed"
    );
}

// ----- limits -----

#[test]
fn deep_nesting_is_too_deep_not_a_crash() {
    let deep = format!(
        "segment s = {}1{}\nstage ok otherwise",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let parsed = parse(&deep, FILE);
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].code, codes::TOO_DEEP);
    assert_eq!(
        parsed.module.items.len(),
        1,
        "the next declaration still parses"
    );

    let nots = format!("segment s = {}x", "not ".repeat(100_000));
    assert_eq!(parse(&nots, FILE).diagnostics[0].code, codes::TOO_DEEP);
    let minus = format!("segment s = {}x", "-".repeat(100_000));
    assert_eq!(parse(&minus, FILE).diagnostics[0].code, codes::TOO_DEEP);
    let unclosed = format!("segment s = {}", "[".repeat(100_000));
    assert_eq!(parse(&unclosed, FILE).diagnostics[0].code, codes::TOO_DEEP);
    let template = format!("rule r {{ then send \"{}\" }}", "{(".repeat(50_000));
    assert!(parse(&template, FILE)
        .diagnostics
        .iter()
        .any(|d| d.code == codes::TOO_DEEP));
    let comments = format!("{}{}", "/*".repeat(100_000), "*/".repeat(100_000));
    let parsed = parse(&comments, FILE);
    assert!(parsed.diagnostics.is_empty() || parsed.diagnostics[0].code == codes::TOO_DEEP);
    let deep = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(
        parse_expression(&deep, FILE).unwrap_err()[0].code,
        codes::TOO_DEEP
    );
}

#[test]
fn nesting_up_to_the_limit_is_fine() {
    let depth = MAX_NESTING - 2;
    let text = format!("segment s = {}1{}", "(".repeat(depth), ")".repeat(depth));
    parse_ok(&text);
}

#[test]
fn long_flat_chains_are_bounded() {
    let long = format!("segment s = {}", vec!["a"; 5_000].join(" or "));
    let parsed = parse(&long, FILE);
    assert_eq!(parsed.diagnostics[0].code, codes::TOO_DEEP);
    let fine = format!("segment s = {}", vec!["a"; 100].join(" or "));
    parse_ok(&fine);
}

#[test]
fn oversized_sources_are_refused() {
    let text = " ".repeat(MAX_SOURCE_BYTES + 1);
    let parsed = parse(&text, FILE);
    assert_eq!(parsed.diagnostics[0].code, codes::TOO_LARGE);
}

#[test]
fn unclosed_strings_are_named() {
    for text in [
        "rule a { then send \"hello\n}",
        "stage b \"unterminated otherwise\nstage c otherwise",
        "rule a { then send \"{a ?? \"x\"}\n}",
    ] {
        let parsed = parse(text, FILE);
        assert_eq!(
            parsed.diagnostics[0].message, "this string is never closed",
            "{text}"
        );
    }
    let parsed = parse("stage b \"unterminated otherwise\nstage c otherwise", FILE);
    assert_eq!(parsed.module.items.len(), 1, "the next line is read again");
    assert_eq!(
        messages("include"),
        ["expected a string in quotes before the end of the file"]
    );
}

#[test]
fn more_mistakes_in_plain_words() {
    let cases = [
        (
            "channel dm { cap 2 per day }",
            "expected a duration like `7d` after `per`",
        ),
        (
            "rule b { then \"hello\" via dm }",
            "expected a verb such as `send`, `invite` or `tag` after `then`",
        ),
        (
            "rule c { then send \"x\" via }",
            "expected a name after `via`",
        ),
        (
            "rule d { priority high }",
            "expected a whole number like `80` or `-10` after `priority`",
        ),
        (
            "test \"t\" { as_of 2026-11-25 }",
            "expected a date-time like `2026-11-25T09:00:00+08:00` after `as_of`",
        ),
        (
            "test \"t\" { expect stage }",
            "expected a name or `null` after `stage`",
        ),
        (
            "test \"t\" { member { id: } }",
            "expected a value, found `}`",
        ),
        ("member { age int }", "expected `:`, found `int`"),
        (
            "playbook \"x\" { quadrant online medium }",
            "expected `high` or `low`, found `medium`",
        ),
        (
            "segment y = [1, 2\nstage s otherwise",
            "expected `]`, found `stage`",
        ),
        (
            "stage s \"label\"\nrule r {}",
            "expected `otherwise` or `when`, found `rule`",
        ),
        (
            "rule h { when a } extra",
            "expected a new declaration, found `extra`",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(messages(text), [message], "{text}");
    }
    let parsed = parse("rule f { when x > 5% }", FILE);
    assert!(parsed.diagnostics[0]
        .help
        .as_deref()
        .unwrap()
        .contains("only written in `holdout`"));
    let parsed = parse("rule r { then send \"a {} b\" via dm }", FILE);
    assert!(parsed.diagnostics[0]
        .help
        .as_deref()
        .unwrap()
        .contains("`{{`"));
}

#[test]
fn long_chains_of_every_kind_are_bounded() {
    for text in [
        format!("segment s = a{}", ".b".repeat(5_000)),
        format!("segment s = a{}", "[0]".repeat(5_000)),
        format!("segment s = 1{}", " - 1".repeat(5_000)),
        format!("segment s = a{}", " ?? b".repeat(5_000)),
    ] {
        let parsed = parse(&text, FILE);
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].code, codes::TOO_DEEP);
    }
    let wide = format!("segment s = x in [{}]", vec!["1"; 5_000].join(", "));
    parse_ok(&wide);
}

#[test]
fn repl_expressions_explain_themselves() {
    let first = |text: &str| parse_expression(text, FILE).unwrap_err().remove(0);
    assert_eq!(first("").message, "expected an expression");
    assert_eq!(
        first("  // only a comment").message,
        "expected an expression"
    );
    assert_eq!(
        first("a b").message,
        "expected an operator or the end of the expression, found `b`"
    );
    assert_eq!(first("3 +").message, "expected an expression after `+`");
    assert_eq!(
        first("x is").message,
        "expected `null` before the end of the input"
    );
    assert!(first("x => y")
        .help
        .unwrap()
        .contains("`any`, `all` or `count`"));
    assert!(first("member").help.unwrap().contains("member.orders"));
    assert!(first("a = 1").help.unwrap().contains("`==`"));
}

#[test]
fn experiments_are_words_of_the_language_in_errors_too() {
    let first = |text: &str| parse(text, FILE).diagnostics.remove(0);
    let typo = first("experimnt e { variant a 50% }");
    assert_eq!(typo.help.as_deref(), Some("did you mean `experiment`?"));
    let clause = first("rule r { varint e.a  then tag \"x\" }");
    assert_eq!(clause.help.as_deref(), Some("did you mean `variant`?"));
    assert!(
        clause.message.contains("`quadrant` or `variant`"),
        "{}",
        clause.message
    );
    // After a broken declaration, parsing resumes at an `experiment` as at any other
    // declaration, so the experiment is read (and checked) in the same run.
    let parsed = parse(
        "rule broken { when >  then tag \"x\" }\nexperiment e { variant a 50% }\nrule r { variant e.a  then tag \"y\" }",
        FILE,
    );
    assert_eq!(parsed.diagnostics.len(), 1, "{:?}", parsed.diagnostics);
    assert!(parsed
        .module
        .items
        .iter()
        .any(|item| matches!(item, Item::Experiment(e) if e.name.name == "e")));
}

#[test]
fn a_misspelt_first_declaration_is_named_and_corrected() {
    for (text, fix) in [
        ("rul r { }", "`rule`"),
        ("// a comment first\nsegmnt s = a", "`segment`"),
    ] {
        let diagnostic = parse(text, FILE).diagnostics.remove(0);
        assert!(
            diagnostic
                .message
                .starts_with("expected a declaration (`playbook`"),
            "{text}: {}",
            diagnostic.message
        );
        assert_eq!(
            diagnostic.help,
            Some(format!("did you mean {fix}?")),
            "{text}"
        );
    }
}

#[test]
fn a_percentage_where_none_is_read_says_where_they_go() {
    for text in [
        "rule r { when orders > 1\n  priority 5%\n}",
        "rule r { when orders > 1 5%\n  then tag \"x\"\n}",
        "rule r { cap 5% per 1d }",
    ] {
        let diagnostic = parse(text, FILE).diagnostics.remove(0);
        let help = diagnostic.help.unwrap_or_default();
        assert!(
            help.contains("percentages are only written in `holdout`"),
            "{text}: {help}"
        );
    }
}
