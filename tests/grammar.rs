//! The parser through its public API: the whole language and its tricky corners; error
//! messages, recovery and limits in `grammar/errors.rs`, random input in
//! `grammar/garbage.rs`.

use siyu::ast::*;
use siyu::diagnostics::{codes, FileId};
use siyu::syntax::{parse, parse_expression, Parsed};

const FILE: FileId = FileId(7);

/// Parses a playbook that must have no syntax problem.
fn parse_ok(text: &str) -> Parsed {
    let parsed = parse(text, FILE);
    assert!(
        parsed.diagnostics.is_empty(),
        "unexpected diagnostics: {:#?}",
        parsed.diagnostics
    );
    parsed
}

fn expr(text: &str) -> Expr {
    parse_expression(text, FILE).unwrap_or_else(|d| panic!("{text}: {d:#?}"))
}

/// An expression printed with every grouping made explicit.
fn shape(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Float(n) => format!("{n:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Null => "null".into(),
        ExprKind::Duration(d) => format!("{}{}", d.amount, d.unit.suffix()),
        ExprKind::Date(d) => format!("date({d})"),
        ExprKind::DateTime(d) => format!("datetime({})", d.timestamp),
        ExprKind::Time(t) => format!("time({}:{:02})", t.hour, t.minute),
        ExprKind::Percent(p) => format!("{p}%"),
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(shape).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Name(n) => n.clone(),
        ExprKind::MemberField(f) => format!("member.{}", f.name),
        ExprKind::Now => "now".into(),
        ExprKind::Today => "today".into(),
        ExprKind::Field(e, f) => format!("{}.{}", shape(e), f.name),
        ExprKind::Index(e, i) => format!("{}[{}]", shape(e), shape(i)),
        ExprKind::Call(f, args) => format!(
            "{}({})",
            f.name,
            args.iter().map(shape).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Lambda(p, body) => format!("{} => {}", p.name, shape(body)),
        ExprKind::Not(e) => format!("(not {})", shape(e)),
        ExprKind::Neg(e) => format!("(-{})", shape(e)),
        ExprKind::Binary(op, l, r) => format!("({} {} {})", shape(l), op.symbol(), shape(r)),
        ExprKind::In {
            needle,
            haystack,
            negated,
        } => {
            format!(
                "({} {}in {})",
                shape(needle),
                if *negated { "not " } else { "" },
                shape(haystack)
            )
        }
        ExprKind::IsNull { operand, negated } => {
            format!(
                "({} is {}null)",
                shape(operand),
                if *negated { "not " } else { "" }
            )
        }
        ExprKind::Paren(e) => format!("<{}>", shape(e)),
    }
}

fn single_rule(parsed: &Parsed) -> &RuleDecl {
    parsed
        .module
        .items
        .iter()
        .find_map(|item| match item {
            Item::Rule(rule) => Some(rule),
            _ => None,
        })
        .expect("a rule")
}

fn slice(text: &str, span: siyu::Span) -> &str {
    &text[span.range()]
}

// ----- the complete example -----

#[test]
fn the_complete_example_parses() {
    let text = include_str!("playbooks/complete_example.rules");
    let parsed = parse_ok(text);
    let kinds: Vec<&str> = parsed
        .module
        .items
        .iter()
        .map(|item| match item {
            Item::Playbook(_) => "playbook",
            Item::Include(_) => "include",
            Item::Member(_) => "member",
            Item::Channel(_) => "channel",
            Item::Segment(_) => "segment",
            Item::Stage(_) => "stage",
            Item::Rule(_) => "rule",
            Item::Policy(_) => "policy",
            Item::Test(_) => "test",
            Item::Experiment(_) => "experiment",
            Item::Group(_) => "group",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "playbook", "include", "member", "channel", "channel", "segment", "stage", "stage",
            "stage", "stage", "stage", "rule", "rule", "policy", "test"
        ]
    );
    assert_eq!(parsed.comments.len(), 2);
    assert_eq!(parsed.comments[0].text, "// rules/beauty_fmcg.rules");
    for item in &parsed.module.items {
        assert!(item.span().file == FILE && item.span().end as usize <= text.len());
    }
}

#[test]
fn playbook_and_member_schema() {
    let text = include_str!("playbooks/complete_example.rules");
    let parsed = parse_ok(text);
    let Item::Playbook(playbook) = &parsed.module.items[0] else {
        panic!()
    };
    assert_eq!(playbook.name.value, "Lumi 美妆 · 抖音私域");
    let PlaybookClause::Quadrant(quadrant) = &playbook.clauses[0] else {
        panic!()
    };
    assert_eq!(quadrant.online.map(|q| q.0), Some(Level::High));
    assert_eq!(quadrant.frequency.map(|q| q.0), Some(Level::High));
    assert_eq!(
        playbook.clauses[1],
        PlaybookClause::Timezone(StrLit {
            value: "+08:00".into(),
            span: playbook
                .clauses
                .get(1)
                .map(|c| match c {
                    PlaybookClause::Timezone(t) => t.span,
                    _ => panic!(),
                })
                .unwrap()
        })
    );
    let Item::Member(member) = &parsed.module.items[2] else {
        panic!()
    };
    let field = |name: &str| {
        &member
            .fields
            .iter()
            .find(|f| f.name.name == name)
            .unwrap()
            .ty
            .kind
    };
    assert_eq!(*field("orders"), TypeKind::Int);
    assert!(
        matches!(field("nickname"), TypeKind::Optional(inner) if inner.kind == TypeKind::String)
    );
    assert!(matches!(field("tags"), TypeKind::List(inner) if inner.kind == TypeKind::String));
    assert!(
        matches!(field("tier"), TypeKind::Enum(values) if values.len() == 4 && values[3].value == "platinum")
    );
    assert!(
        matches!(field("consent"), TypeKind::Object(fields) if fields.len() == 3 && fields[2].name.name == "wecom")
    );
}

#[test]
fn unknown_type_names_are_kept() {
    let parsed = parse_ok("member { age: integer, when: datetime?, \"in\": [date] }");
    let Item::Member(member) = &parsed.module.items[0] else {
        panic!()
    };
    assert_eq!(
        member.fields[0].ty.kind,
        TypeKind::Unknown("integer".into())
    );
    assert_eq!(member.fields[1].name.name, "when");
    assert_eq!(member.fields[2].name.name, "in");
}

// ----- contextual keywords -----

#[test]
fn clause_keywords_are_names_elsewhere() {
    let text = r#"
member { group: string, consent: bool, stage: int, window: string, rule: int }
channel dm { consent consent and group == "a" }
segment s = stage > 1 and window != "x" and rule == 2
rule r { when group == "vip" then send "hi" via dm group group }
"#;
    let parsed = parse_ok(text);
    let Item::Channel(channel) = &parsed.module.items[1] else {
        panic!()
    };
    let ChannelClause::Consent(consent) = &channel.clauses[0] else {
        panic!()
    };
    assert_eq!(shape(consent), "(consent and (group == \"a\"))");
    let rule = single_rule(&parsed);
    let RuleClause::Group(group, _) = &rule.clauses[2] else {
        panic!()
    };
    assert_eq!(group.name, "group");
}

#[test]
fn member_dot_reaches_reserved_field_names() {
    assert_eq!(
        shape(&expr(r#"member."in" == 1 and member.orders > 0"#)),
        "((member.in == 1) and (member.orders > 0))"
    );
}

#[test]
fn stage_list_followed_by_clause_keyword() {
    let parsed = parse_ok("rule r { stage a, b, when x then tag \"t\", priority 1 }");
    let rule = single_rule(&parsed);
    let RuleClause::Stage(stages, _) = &rule.clauses[0] else {
        panic!()
    };
    assert_eq!(
        stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(matches!(rule.clauses[1], RuleClause::When(_)));
    assert_eq!(rule.clauses.len(), 4);
    let parsed = parse_ok("rule r {\n  stage a, group\n  then tag \"t\"\n}");
    let RuleClause::Stage(stages, _) = &single_rule(&parsed).clauses[0] else {
        panic!()
    };
    assert_eq!(stages[1].name, "group");
}

// ----- one-line blocks, commas, comments -----

#[test]
fn one_line_blocks_and_trailing_commas() {
    let parsed = parse_ok(
        "channel a { consent x window 09:00-22:00 cap 2 per 1d }\n\
         channel b { consent x, window 09:00-22:00, cap 2 per 1d, }\n\
         rule r { stage s then tag \"t\" priority -10, cap 1 per 7d, }\n\
         policy { max_touches 3 per 1d, holdout 5%, }\n\
         member { a: int, b: [string], }",
    );
    let Item::Channel(a) = &parsed.module.items[0] else {
        panic!()
    };
    let Item::Channel(b) = &parsed.module.items[1] else {
        panic!()
    };
    assert_eq!(a.clauses.len(), 3);
    assert_eq!(b.clauses.len(), 3);
    let rule = single_rule(&parsed);
    assert!(matches!(rule.clauses[2], RuleClause::Priority(-10, _)));
    let Item::Policy(policy) = &parsed.module.items[3] else {
        panic!()
    };
    assert!(matches!(policy.clauses[1], PolicyClause::Holdout(p, _) if p == 5.0));
    assert!(
        matches!(&policy.clauses[0], PolicyClause::MaxTouches(cap) if cap.count == 3 && cap.per.unit == DurationUnit::Days)
    );
}

#[test]
fn comments_in_odd_places() {
    let text = "rule r /* a */ { // b\n  when x /* c */ > /* d */ 1 // e\n  then send \"{a /* f */ ?? 'x'}\" via dm with { k: 1, /* g */ }\n} // h\n/* i /* nested */ still i */\n// end";
    let parsed = parse_ok(text);
    let texts: Vec<&str> = parsed.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "/* a */",
            "// b",
            "/* c */",
            "/* d */",
            "// e",
            "/* f */",
            "/* g */",
            "// h",
            "/* i /* nested */ still i */",
            "// end"
        ]
    );
    for comment in &parsed.comments {
        assert_eq!(slice(text, comment.span), comment.text);
        assert_eq!(comment.block, comment.text.starts_with("/*"));
    }
    let RuleClause::When(when) = &single_rule(&parsed).clauses[0] else {
        panic!()
    };
    assert_eq!(shape(when), "(x > 1)");
}

#[test]
fn slashes_inside_strings_are_not_comments() {
    let parsed = parse_ok("include \"a//b.rules\"\nsegment s = url == 'http://x/*y*/'");
    assert!(parsed.comments.is_empty());
}

// ----- literals -----

#[test]
fn windows_are_not_subtractions() {
    let parsed = parse_ok(
        "channel a { window 10:00-21:00 }\nchannel b { window 22:00-02:00 }\nchannel c { window 9:00 - 00:00 }",
    );
    let windows: Vec<(u32, u32, u32, u32)> = parsed
        .module
        .items
        .iter()
        .map(|item| match item {
            Item::Channel(c) => match &c.clauses[0] {
                ChannelClause::Window(w) => {
                    (w.start.hour, w.start.minute, w.end.hour, w.end.minute)
                }
                _ => panic!(),
            },
            _ => panic!(),
        })
        .collect();
    assert_eq!(windows, [(10, 0, 21, 0), (22, 0, 2, 0), (9, 0, 0, 0)]);
}

#[test]
fn dates_win_over_subtraction() {
    assert_eq!(
        shape(&expr("today - 2026-11-25")),
        "(today - date(2026-11-25))"
    );
    assert_eq!(shape(&expr("2026 - 11 - 25")), "((2026 - 11) - 25)");
    assert_eq!(
        shape(&expr("now - 2026-11-25T09:00:00+08:00 > 7d")),
        "((now - datetime(2026-11-25T01:00:00Z)) > 7d)"
    );
    assert_eq!(shape(&expr("at == 19:30")), "(at == time(19:30))");
}

#[test]
fn literals_of_every_kind() {
    assert_eq!(
        shape(&expr(
            "[42, 10_000, 3.5, \"a\\n\", 'b\\'', true, false, null, 30s, 12h, 2w]"
        )),
        "[42, 10000, 3.5, \"a\\n\", \"b'\", true, false, null, 30s, 12h, 2w]"
    );
    assert_eq!(shape(&expr(r#""\u{4E2D}\t\\""#)), "\"中\\t\\\\\"");
    let ExprKind::DateTime(dt) = expr("2026-11-25T01:00:00Z").kind else {
        panic!()
    };
    assert_eq!(dt.offset, jiff::tz::Offset::UTC);
}

#[test]
fn bad_literals_are_reported() {
    for (text, words) in [
        (
            "segment s = d == 2026-13-40",
            "`2026-13-40` is not a valid date",
        ),
        (
            "segment s = n > 99999999999999999999",
            "the number `99999999999999999999` is too large",
        ),
        (r#"segment s = x == "a\qb""#, "unknown escape `\\q`"),
        (r#"segment s = x == "\u{zz}""#, "`\\u` escape"),
        (
            "test \"t\" { as_of 2026-11-25T09:00:00 }",
            "needs an offset",
        ),
    ] {
        let parsed = parse(text, FILE);
        assert_eq!(parsed.diagnostics.len(), 1, "{text}");
        assert_eq!(parsed.diagnostics[0].code, codes::BAD_LITERAL);
        assert!(
            parsed.diagnostics[0].message.contains(words),
            "{text}: {}",
            parsed.diagnostics[0].message
        );
        assert_eq!(
            parsed.module.items.len(),
            1,
            "the declaration is kept: {text}"
        );
    }
}

// ----- identifiers -----

#[test]
fn unicode_identifiers() {
    let parsed = parse_ok("stage 新粉 \"新粉\" when 关注天数 <= 7 and _x1 > 0\nrule 入群 { stage 新粉 then tag \"新\" }");
    let Item::Stage(stage) = &parsed.module.items[0] else {
        panic!()
    };
    assert_eq!(stage.name.name, "新粉");
    let StageCondition::When(when) = &stage.condition else {
        panic!()
    };
    assert_eq!(shape(when), "((关注天数 <= 7) and (_x1 > 0))");
}

// ----- precedence -----

#[test]
fn precedence_follows_the_table() {
    let cases = [
        ("a or b and c", "(a or (b and c))"),
        ("not a and b", "((not a) and b)"),
        ("not a == b", "(not (a == b))"),
        ("a ?? b + c", "(a ?? (b + c))"),
        ("a + b ?? c", "((a + b) ?? c)"),
        ("a ?? b ?? c", "((a ?? b) ?? c)"),
        ("a + b * c - d % 2", "((a + (b * c)) - (d % 2))"),
        ("-a.b[0] * 2", "((-a.b[0]) * 2)"),
        (
            "x not in [1, 2] and y is not null",
            "((x not in [1, 2]) and (y is not null))",
        ),
        ("not x in list", "(not (x in list))"),
        ("a ?? b is null", "((a ?? b) is null)"),
        ("not x is null", "(not (x is null))"),
        ("(a or b) and c", "(<(a or b)> and c)"),
        ("len(tags) >= 2", "(len(tags) >= 2)"),
        (
            "any(tags, t => t == \"vip\")",
            "any(tags, t => (t == \"vip\"))",
        ),
        (
            "count(touches, t => t.channel == 'dm' and now - t.at < 1d) > 0",
            "(count(touches, t => ((t.channel == \"dm\") and ((now - t.at) < 1d))) > 0)",
        ),
        ("10 / 4 - -2", "((10 / 4) - (-2))"),
    ];
    for (text, expected) in cases {
        assert_eq!(shape(&expr(text)), expected, "{text}");
    }
}

#[test]
fn comparisons_do_not_chain() {
    for text in [
        "a < b < c",
        "a == b == c",
        "a in b == true",
        "a == b is null",
    ] {
        let diagnostics = parse_expression(text, FILE).unwrap_err();
        assert!(
            diagnostics[0].message.contains("cannot be chained"),
            "{text}"
        );
    }
    assert_eq!(shape(&expr("(a < b) == c")), "(<(a < b)> == c)");
}

#[test]
fn expression_spans_are_exact() {
    let text = "  a + b.c * 2 ";
    let e = expr(text);
    assert_eq!(slice(text, e.span), "a + b.c * 2");
    let ExprKind::Binary(_, _, right) = &e.kind else {
        panic!()
    };
    assert_eq!(slice(text, right.span), "b.c * 2");
}

// ----- templates -----

#[test]
fn templates_with_braces_quotes_and_spans() {
    let text = r#"rule r { then send "{{hi}} {nickname ?? '亲'}, {a ?? "x"}!" via dm with { group: "g", n: 1 + 2 } }"#;
    let parsed = parse_ok(text);
    let RuleClause::Then(action) = &single_rule(&parsed).clauses[0] else {
        panic!()
    };
    assert_eq!(action.verb.name, "send");
    assert_eq!(action.via.as_ref().unwrap().name, "dm");
    let parts = &action.template.parts;
    assert_eq!(parts.len(), 5);
    assert_eq!(parts[0], TemplatePart::Text("{hi} ".into()));
    let TemplatePart::Expr(first) = &parts[1] else {
        panic!()
    };
    assert_eq!(slice(text, first.span), "nickname ?? '亲'");
    assert_eq!(shape(first), "(nickname ?? \"亲\")");
    assert_eq!(parts[2], TemplatePart::Text(", ".into()));
    let TemplatePart::Expr(second) = &parts[3] else {
        panic!()
    };
    assert_eq!(slice(text, second.span), r#"a ?? "x""#);
    assert_eq!(parts[4], TemplatePart::Text("!".into()));
    assert_eq!(
        slice(text, action.template.span),
        r#""{{hi}} {nickname ?? '亲'}, {a ?? "x"}!""#
    );
    assert_eq!(action.with.len(), 2);
    assert_eq!(action.with[0].0.name, "group");
    assert_eq!(shape(&action.with[1].1), "(1 + 2)");
}

#[test]
fn then_options_and_at() {
    let parsed = parse_ok("rule r { then remind 'x' via fan_group_msg at 19:00\nthen tag \"t\" }");
    let rule = single_rule(&parsed);
    let RuleClause::Then(action) = &rule.clauses[0] else {
        panic!()
    };
    assert_eq!(action.at.map(|t| (t.hour, t.minute)), Some((19, 0)));
    let parsed = parse("rule r { then send 'x' via a via b }", FILE);
    assert!(parsed.diagnostics[0]
        .message
        .contains("`via` is given twice"));
}

#[test]
fn a_lone_closing_brace_in_a_template_is_explained() {
    let parsed = parse("rule r { then send \"a } b\" via dm }", FILE);
    assert_eq!(parsed.diagnostics.len(), 1);
    assert!(parsed.diagnostics[0]
        .help
        .as_deref()
        .unwrap()
        .contains("`}}`"));
}

#[test]
fn plain_strings_are_not_templates() {
    let parsed = parse_ok("stage s \"{not a template}\" otherwise");
    let Item::Stage(stage) = &parsed.module.items[0] else {
        panic!()
    };
    assert_eq!(stage.label.as_ref().unwrap().value, "{not a template}");
}

// ----- tests -----

#[test]
fn test_blocks_with_every_expect_form() {
    let text = r#"test "t" {
  as_of 2026-11-25T09:00:00+08:00
  member { id: "t1", "odd key": -3, spend: -1.5, tags: ["a", "b",], consent: { dm: true, sms: false }, nick: null }
  expect stage new_fan
  expect stage null
  expect action invite via dm at 10:00
  expect no action live_reminder
  expect suppressed r reason rule_cap
  expect holdout true
  expect holdout false
  expect invalid
}"#;
    let parsed = parse_ok(text);
    let Item::Test(test) = &parsed.module.items[0] else {
        panic!()
    };
    assert_eq!(test.name.value, "t");
    let TestClause::AsOf(as_of) = &test.clauses[0] else {
        panic!()
    };
    assert_eq!(as_of.offset.seconds(), 8 * 3600);
    let TestClause::Member(member) = &test.clauses[1] else {
        panic!()
    };
    let DataKind::Object(entries) = &member.kind else {
        panic!()
    };
    assert_eq!(entries[1].0.name, "odd key");
    assert_eq!(entries[1].1.kind, DataKind::Int(-3));
    assert_eq!(entries[2].1.kind, DataKind::Float(-1.5));
    assert!(matches!(&entries[3].1.kind, DataKind::List(items) if items.len() == 2));
    assert!(
        matches!(&entries[4].1.kind, DataKind::Object(items) if items[0].1.kind == DataKind::Bool(true))
    );
    assert_eq!(entries[5].1.kind, DataKind::Null);
    assert!(matches!(&test.clauses[2], TestClause::ExpectStage(Some(s), _) if s.name == "new_fan"));
    assert!(matches!(&test.clauses[3], TestClause::ExpectStage(None, _)));
    assert!(
        matches!(&test.clauses[4], TestClause::ExpectAction { rule, via: Some(v), at: Some(t), .. } if rule.name == "invite" && v.name == "dm" && t.hour == 10)
    );
    assert!(
        matches!(&test.clauses[5], TestClause::ExpectNoAction(r, _) if r.name == "live_reminder")
    );
    assert!(
        matches!(&test.clauses[6], TestClause::ExpectSuppressed { reason, .. } if reason.name == "rule_cap")
    );
    assert!(matches!(
        &test.clauses[7],
        TestClause::ExpectHoldout(true, _)
    ));
    assert!(matches!(
        &test.clauses[8],
        TestClause::ExpectHoldout(false, _)
    ));
    assert!(matches!(&test.clauses[9], TestClause::ExpectInvalid(_)));
}

// ----- the REPL entry -----

#[test]
fn parse_expression_takes_the_whole_text() {
    assert_eq!(
        shape(&expr(" /* c */ spend >= 2000 // d\n")),
        "(spend >= 2000)"
    );
    let errors = parse_expression("spend >= 2000 )", FILE).unwrap_err();
    assert_eq!(errors[0].code, codes::SYNTAX);
    assert!(parse_expression("", FILE).is_err());
    assert!(parse_expression("x => y", FILE).is_err());
}

#[test]
fn windows_line_endings_stay_out_of_comments() {
    let text = "// top\r\nrule r { // inner\r\n  when x\r\n}\r\n";
    let parsed = parse_ok(text);
    let texts: Vec<&str> = parsed.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["// top", "// inner"]);
}

#[path = "grammar/errors.rs"]
mod errors;
#[path = "grammar/garbage.rs"]
mod garbage;
