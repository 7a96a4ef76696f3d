//! Each limit of `siyu::limits`, met head on: just under it the input is accepted,
//! past it the input is refused in plain words, and a refused snapshot is one error
//! record while the members around it are still planned.

use siyu::limits::{
    MAX_EVALUATION_STEPS, MAX_JSON_DEPTH, MAX_LINE_BYTES, MAX_LIST_ITEMS, MAX_SOURCE_BYTES,
    MAX_TEXT_BYTES,
};
use siyu::{AsOf, ErrorKind, InputFormat, PlanOptions, Playbook, StreamItem};

const TYPED: &str = include_str!("hostile/typed.rules");
const LOOSE: &str = include_str!("hostile/loose.rules");

/// A valid snapshot for `typed.rules`, with `tags` given as JSON text.
fn typed_member(id: &str, tags: &str) -> String {
    format!(
        r#"{{"id":"{id}","orders":1,"spend":5,"vip":false,"tier":"none","joined":"2026-01-01","tags":{tags},"profile":{{"city":"hz"}},"consent":{{"dm":true,"sms":true}}}}"#
    )
}

fn as_of() -> AsOf {
    AsOf::parse("2026-11-25T09:00:00+08:00").expect("as-of")
}

fn plan_all(playbook: &str, input: &str) -> Vec<StreamItem> {
    let playbook = Playbook::from_source("limits.rules", playbook).expect("compiles");
    let options = PlanOptions::default().threads(1);
    playbook
        .plan_lines(input.as_bytes(), as_of(), options)
        .collect()
}

/// The error of the only invalid item, checking that the others were planned.
fn only_error(items: &[StreamItem], line: u64) -> String {
    let errors: Vec<_> = items
        .iter()
        .filter_map(|item| item.as_ref().err())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, line);
    errors[0].error.clone()
}

#[test]
fn a_line_past_the_length_limit_is_one_error_record() {
    let ok = typed_member("a", "[]");
    let padding = " ".repeat(MAX_LINE_BYTES - ok.len());
    let longest = format!("{padding}{}", typed_member("b", "[]"));
    let longest = &longest[longest.len() - MAX_LINE_BYTES..];
    let too_long = format!("{longest} ");
    let last = typed_member("d", "[]");
    let input = format!("{ok}\n{longest}\n{too_long}\n{last}\n");
    let items = plan_all(TYPED, &input);
    assert_eq!(items.len(), 4);
    let error = only_error(&items, 3);
    assert_eq!(error, "the line is longer than 16 MiB");
    assert!(matches!(&items[1], Ok(plan) if &*plan.member == "b"));
}

#[test]
fn json_nested_past_the_depth_limit_is_refused_in_plain_words() {
    // The snapshot object is level 1; `x` holds the rest.
    let nested = |levels: usize| {
        let inner = levels - 1;
        format!(
            r#"{{"id":"n{levels}","x":{}{}}}"#,
            "[".repeat(inner),
            "]".repeat(inner)
        )
    };
    // A value the playbook does not read is skipped without recursion, at any depth.
    let unread = format!(
        r#"{{"id":"u","zzz":{}1{}}}"#,
        "{\"k\":".repeat(100_000),
        "}".repeat(100_000)
    );
    let input = [
        nested(MAX_JSON_DEPTH),
        unread,
        nested(MAX_JSON_DEPTH + 1),
        nested(100_000),
    ]
    .join("\n");
    let items = plan_all(LOOSE, &input);
    assert!(items[0].is_ok(), "{:?}", items[0]);
    assert!(items[1].is_ok(), "{:?}", items[1]);
    let too_deep = format!("nested too deeply (more than {MAX_JSON_DEPTH} levels)");
    for item in &items[2..] {
        let record = item.as_ref().expect_err("refused");
        assert!(record.error.contains(&too_deep), "{}", record.error);
        assert_eq!(record.kind, ErrorKind::Malformed);
    }
}

#[test]
fn a_deep_json_value_built_by_a_host_is_refused_too() {
    let playbook = Playbook::from_source("loose.rules", LOOSE).expect("compiles");
    let mut value = serde_json::json!(1);
    for _ in 0..MAX_JSON_DEPTH {
        value = serde_json::json!([value]);
    }
    let snapshot = serde_json::json!({"id": "host", "a": value});
    let error = playbook.plan(&snapshot, as_of()).expect_err("refused");
    let expected = format!("nested too deeply (more than {MAX_JSON_DEPTH} levels)");
    assert!(error.message.contains(&expected), "{}", error.message);
    assert!(
        error.message.len() < 200,
        "the path is shortened: {}",
        error.message
    );
}

#[test]
fn lists_past_the_length_limit_are_refused() {
    let list = |items: usize| format!("[{}]", vec!["\"t\""; items].join(","));
    let touches = format!(
        "[{}]",
        vec![r#"{"channel":"dm","at":"2026-01-01T00:00:00+08:00"}"#; MAX_LIST_ITEMS + 1].join(",")
    );
    let with_touches =
        typed_member("touchy", "[]").replacen('{', &format!("{{\"touches\":{touches},"), 1);
    let input = [
        typed_member("full", &list(MAX_LIST_ITEMS)),
        typed_member("over", &list(MAX_LIST_ITEMS + 1)),
        with_touches,
    ]
    .join("\n");
    let items = plan_all(TYPED, &input);
    assert!(items[0].is_ok(), "{:?}", items[0]);
    let expected = format!("the list has more than {MAX_LIST_ITEMS} items");
    let over = items[1].as_ref().expect_err("refused");
    assert_eq!(over.error, format!("field `tags`: {expected}"));
    let touchy = items[2].as_ref().expect_err("refused");
    assert_eq!(touchy.error, format!("field `touches`: {expected}"));
}

#[test]
fn objects_past_the_field_limit_are_refused_and_large_ones_read_in_linear_time() {
    let object = |fields: usize, distinct: usize| {
        let entries: Vec<String> = (0..fields)
            .map(|i| format!("\"k{}\":{i}", i % distinct))
            .collect();
        format!("{{{}}}", entries.join(","))
    };
    let input = [
        format!(
            r#"{{"id":"wide","a":{}}}"#,
            object(MAX_LIST_ITEMS, MAX_LIST_ITEMS)
        ),
        format!(
            r#"{{"id":"repeats","a":{}}}"#,
            object(MAX_LIST_ITEMS, 1_000)
        ),
        format!(
            r#"{{"id":"over","a":{}}}"#,
            object(MAX_LIST_ITEMS + 1, MAX_LIST_ITEMS + 1)
        ),
    ]
    .join("\n");
    let items = plan_all(LOOSE, &input);
    assert!(items[0].is_ok(), "{:?}", items[0]);
    assert!(items[1].is_ok(), "{:?}", items[1]);
    let error = only_error(&items, 3);
    assert_eq!(
        error,
        format!("field `a`: the object has more than {MAX_LIST_ITEMS} fields")
    );
}

#[test]
fn an_invalid_utf8_line_is_an_error_record_for_that_line_only() {
    let mut input = typed_member("a", "[]").into_bytes();
    input.extend_from_slice(b"\n{\"id\":\"\xff\xfe\"}\n");
    let broken = typed_member("c", "[\"?\"]").replace('?', "\u{1}");
    input.extend(broken.bytes().map(|b| if b == 1 { 0xC3 } else { b }));
    input.push(b'\n');
    input.extend_from_slice(typed_member("d", "[]").as_bytes());
    let playbook = Playbook::from_source("typed.rules", TYPED).expect("compiles");
    let items: Vec<StreamItem> = playbook
        .plan_lines(&input[..], as_of(), PlanOptions::default().threads(1))
        .collect();
    assert_eq!(items.len(), 4);
    for (index, line) in [(1, 2), (2, 3)] {
        let record = items[index].as_ref().expect_err("refused");
        assert_eq!(record.line, line);
        assert!(
            record.error.starts_with("the line is not valid UTF-8"),
            "{}",
            record.error
        );
    }
    assert!(items[0].is_ok() && items[3].is_ok());
    let readable = items[2].as_ref().expect_err("refused");
    assert_eq!(
        readable.member.as_deref(),
        Some("c"),
        "the id is read where it can be"
    );
}

#[test]
fn huge_numbers_are_refused_with_the_field_named() {
    let member = |orders: &str| {
        typed_member(&format!("n{}", orders.trim_start_matches('-')), "[]")
            .replace("\"orders\":1", &format!("\"orders\":{orders}"))
    };
    let input = [
        member("1e400"),
        member("99999999999999999999"),
        member("-9223372036854775809"),
        member("9223372036854775807"),
    ]
    .join("\n");
    let items = plan_all(TYPED, &input);
    assert!(items[0]
        .as_ref()
        .expect_err("refused")
        .error
        .contains("number out of range"));
    assert!(items[1]
        .as_ref()
        .expect_err("refused")
        .error
        .starts_with("field `orders`: expected int"));
    assert!(items[2]
        .as_ref()
        .expect_err("refused")
        .error
        .starts_with("field `orders`: expected int"));
    assert!(items[3].is_ok(), "{:?}", items[3]);
}

#[test]
fn a_csv_record_left_open_ends_the_input_without_holding_it_all() {
    let mut input = String::from("id,orders\nc1,1\n\"c2,");
    input.push_str(&"x\n".repeat(MAX_LINE_BYTES / 2 + 100_000));
    let playbook = Playbook::from_source("loose.rules", LOOSE).expect("compiles");
    let options = PlanOptions::default().threads(1).format(InputFormat::Csv);
    let items: Vec<StreamItem> = playbook
        .plan_lines(input.as_bytes(), as_of(), options)
        .collect();
    assert_eq!(items.len(), 2, "{:?}", items.last());
    assert!(items[0].is_ok());
    let record = items[1].as_ref().expect_err("refused");
    assert_eq!(record.kind, ErrorKind::Input, "{}", record.error);
    assert!(
        record.error.contains("a CSV record is longer than 16 MiB"),
        "{}",
        record.error
    );
}

#[test]
fn a_template_cannot_render_past_the_text_limit() {
    let playbook = r#"
        playbook "t" {}
        rule long { when j == false then tag "{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}" }
        rule joined { when j == true then tag "x" with { both: s + s } }
    "#;
    let tenth = MAX_TEXT_BYTES / 10;
    let member = |id: &str, length: usize, joined: bool| {
        format!(
            r#"{{"id":"{id}","s":"{}","j":{joined}}}"#,
            "长".repeat(length / 3)
        )
    };
    let input = [
        member("fits", tenth - 3, false),
        member("long", tenth + 3, false),
        member("joined", MAX_TEXT_BYTES / 2 + 3, true),
    ]
    .join("\n");
    let items = plan_all(playbook, &input);
    let fits = items[0].as_ref().expect("planned");
    assert!(fits.actions[0].content.len() <= MAX_TEXT_BYTES);
    let long = items[1].as_ref().expect_err("refused");
    assert_eq!(long.rule.as_deref(), Some("long"));
    assert_eq!(
        long.error,
        "the content of rule `long` is longer than 1 MiB"
    );
    let joined = items[2].as_ref().expect_err("refused");
    assert_eq!(joined.rule.as_deref(), Some("joined"));
    assert!(
        joined
            .error
            .starts_with("the joined text would be longer than 1 MiB in `s + s`"),
        "{}",
        joined.error
    );
}

#[test]
fn nested_work_over_long_lists_stops_at_the_evaluation_budget() {
    let playbook = r#"
        playbook "b" {}
        rule pairs { when any(tags, t => t in tags and t == "never") then tag "x" }
    "#;
    let member = |id: &str, items: usize| {
        let tags: Vec<String> = (0..items).map(|i| format!("\"t{i}\"")).collect();
        format!(r#"{{"id":"{id}","tags":[{}]}}"#, tags.join(","))
    };
    let input = [member("small", 1_000), member("huge", 5_000)].join("\n");
    let items = plan_all(playbook, &input);
    assert!(items[0].is_ok(), "{:?}", items[0]);
    let huge = items[1].as_ref().expect_err("refused");
    assert_eq!(huge.rule.as_deref(), Some("pairs"));
    let expected = format!("evaluating this member takes more than {MAX_EVALUATION_STEPS} steps");
    assert!(huge.error.starts_with(&expected), "{}", huge.error);
}

#[test]
fn a_regex_past_the_size_limit_is_a_diagnostic() {
    let source = r#"
        playbook "r" {}
        member { id: string, city: string }
        rule r { when matches(city, "\\w{1000}") then tag "x" }
    "#;
    let checked = siyu::check::check_source("regex.rules", None, source);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, siyu::diagnostics::codes::BAD_REGEX);
    assert!(
        errors[0].message.contains("too large"),
        "{}",
        errors[0].message
    );
}

#[test]
fn a_playbook_past_the_size_limit_is_refused_before_it_is_read_whole() {
    let folder = std::env::temp_dir().join(format!("siyu-limits-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("folder");
    let big = folder.join("big.rules");
    let mut text = String::from("playbook \"big\" {}\n");
    text.push_str(&"// filler\n".repeat(MAX_SOURCE_BYTES / 10 + 1));
    std::fs::write(&big, &text).expect("written");
    let error = Playbook::from_file(&big).expect_err("refused").to_string();
    assert!(error.contains("the file is larger than 8 MiB"), "{error}");
    let checked = siyu::check::check_source("big.rules", None, &text);
    assert_eq!(
        checked.diagnostics[0].code,
        siyu::diagnostics::codes::TOO_LARGE
    );

    let endless = folder.join("endless.rules");
    std::fs::write(&endless, "playbook \"e\" {}\ninclude \"/dev/zero\"\n").expect("written");
    let checked = siyu::check::check_file(&endless);
    let messages: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("the file is larger than 8 MiB")),
        "{messages:?}"
    );
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn expressions_past_the_nesting_limit_are_refused() {
    let deep = format!(
        "segment s = {}x{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let checked = siyu::check::check_source("deep.rules", None, &deep);
    assert!(checked
        .diagnostics
        .iter()
        .any(|d| d.code == siyu::diagnostics::codes::TOO_DEEP));
}

#[test]
fn a_playbook_with_thousands_of_errors_is_reported_in_full() {
    // Each report is drawn from the lines around its span, not from the file's start,
    // so a long file with an error on every line is reported in linear time.
    let mut text = String::from("playbook \"p\" {}\nmember { id: string, orders: int }\n");
    for i in 0..2_000 {
        text.push_str(&format!("segment s = orders > {i}\n"));
    }
    let error = Playbook::from_source("many.rules", &text).expect_err("duplicates");
    let reports = error.reports();
    let duplicates = reports
        .iter()
        .filter(|report| report.diagnostic().code == "siyu::check::duplicate_name")
        .count();
    assert_eq!(duplicates, 1_999);
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(80);
    let mut drawn = Vec::new();
    for report in &reports {
        let mut out = String::new();
        handler.render_report(&mut out, report).expect("rendering");
        drawn.push(out);
    }
    let last = drawn
        .iter()
        .find(|out| out.contains("[many.rules:2002:9]"))
        .expect("the last duplicate is reported at its own line");
    assert!(last.contains("2002 │ segment s = orders > 1999"), "{last}");
}
