//! The checker's rules, case by case, through `check_source`: which inputs are fine and
//! which codes the others get.

use siyu::check::check_source;
use siyu::diagnostics::codes;

const SCHEMA: &str = r#"playbook "t" { quadrant online high, frequency high }
member {
  id: string
  nickname: string?
  orders: int
  spend: float
  tier: "none" | "silver" | "gold"
  city: string
  tags: [string]
  followed_at: datetime
  birthday: date?
  consent: { dm: bool }
  items: [{ sku: string, price: float }]
}
channel dm { consent consent.dm }
"#;

/// The codes `check` reports for `text`, in order.
fn codes_of(text: &str) -> Vec<&'static str> {
    check_source("case.rules", None, text)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

/// The codes for a rule's `when` condition, below the shared schema.
fn when(condition: &str) -> Vec<&'static str> {
    codes_of(&format!(
        "{SCHEMA}rule r {{\n  when {condition}\n  then send \"x\" via dm\n}}\n"
    ))
}

/// The codes for declarations below the shared schema (a rule uses `dm`).
fn below_schema(declarations: &str) -> Vec<&'static str> {
    codes_of(&format!(
        "{SCHEMA}rule uses_dm {{ then send \"x\" via dm }}\n{declarations}"
    ))
}

#[test]
fn well_typed_conditions_pass() {
    let fine = [
        r#"spend >= 2000 or tier in ["gold", "silver"]"#,
        "orders == 3.0 and spend > orders",
        r#""vip" in tags and "杭" in city"#,
        r#""vip" not in tags"#,
        "now - followed_at > 7d",
        "today - birthday > 30d",
        "followed_at + 7d < now and birthday + 1d > today",
        "days(now - followed_at) >= 7",
        "len(tags) > 0 and len(city) > 2",
        r#"lower(city) == "x" or upper(city) == "X""#,
        r#"starts_with(city, "杭") and ends_with(city, "州")"#,
        r#"matches(city, "^杭(州)?$")"#,
        "min(orders, 3) > 1 and max(spend, 1) > 2",
        "round(spend) == 3 and abs(spend) > 1",
        r#"any(tags, t => t == "vip")"#,
        "count(items, i => i.price > 10) >= 2",
        r#"all(items, i => starts_with(i.sku, "A"))"#,
        "items[0].price > 3",
        "consent.dm",
        "not consent.dm",
        r#"(nickname ?? "亲") == "亲""#,
        "nickname is null or nickname is not null",
        "member.orders > 1",
        r#"tags[0] == "a""#,
        "orders % 2 == 0 and spend / orders > 3",
        "-spend < 0 and -(now - followed_at) < 0d",
        "birthday == 2026-01-01 and followed_at < 2026-11-25T09:00:00+08:00",
        "tier > \"gold\" or null == nickname",
    ];
    for condition in fine {
        assert_eq!(when(condition), Vec::<&str>::new(), "`{condition}`");
    }
}

#[test]
fn ill_typed_conditions_are_reported() {
    let cases = [
        (r#"spend > "100""#, codes::TYPE_MISMATCH),
        (r#"tier == "diamond""#, codes::UNKNOWN_ENUM_VALUE),
        (r#"tier in ["gold", "diamond"]"#, codes::UNKNOWN_ENUM_VALUE),
        (r#""platinum" == tier"#, codes::UNKNOWN_ENUM_VALUE),
        ("not tier", codes::TYPE_MISMATCH),
        ("orders", codes::TYPE_MISMATCH),
        ("orders and consent.dm", codes::TYPE_MISMATCH),
        ("consent.dn", codes::UNKNOWN_FIELD),
        ("now - followed_at > 7", codes::TYPE_MISMATCH),
        ("followed_at - birthday > 1d", codes::TYPE_MISMATCH),
        ("city > 3", codes::TYPE_MISMATCH),
        ("len(orders) > 1", codes::TYPE_MISMATCH),
        ("len(tags, 2) > 1", codes::ARITY),
        ("lenght(tags) > 1", codes::UNKNOWN_FUNCTION),
        ("any(tags, city => true)", codes::DUPLICATE),
        ("any(tags, t => t)", codes::TYPE_MISMATCH),
        ("any(orders, t => true)", codes::TYPE_MISMATCH),
        (r#"any(tags, "x")"#, codes::TYPE_MISMATCH),
        ("len(t => true) > 0", codes::MISPLACED),
        (r#"matches(city, "[")"#, codes::BAD_REGEX),
        (r#"matches(city, "\\p{Nope}")"#, codes::BAD_REGEX),
        ("matches(city, nickname)", codes::REGEX_NOT_LITERAL),
        ("items.price > 1", codes::TYPE_MISMATCH),
        ("orders[0] > 1", codes::TYPE_MISMATCH),
        (r#"tags["a"] == "b""#, codes::TYPE_MISMATCH),
        (r#"["a", 1] == tags"#, codes::TYPE_MISMATCH),
        (r#"birthday == "2026-01-01""#, codes::TYPE_MISMATCH),
        (r#""a" + 1 == "b""#, codes::TYPE_MISMATCH),
        ("spned > 1", codes::UNKNOWN_FIELD),
        ("member.spned > 1", codes::UNKNOWN_FIELD),
        ("orders in tags", codes::TYPE_MISMATCH),
        ("1 in city", codes::TYPE_MISMATCH),
        ("(nickname ?? 0) == 0", codes::TYPE_MISMATCH),
        ("consent > consent", codes::TYPE_MISMATCH),
        ("true < false", codes::TYPE_MISMATCH),
        ("-city == city", codes::TYPE_MISMATCH),
        ("now * 2 > now", codes::TYPE_MISMATCH),
    ];
    for (condition, code) in cases {
        assert_eq!(when(condition), [code], "`{condition}`");
    }
}

#[test]
fn an_error_inside_an_expression_is_reported_once() {
    // The unknown field makes the comparison's left side unknown: no second error.
    assert_eq!(
        when(r#"spned > "100" and tier == "gold""#),
        [codes::UNKNOWN_FIELD]
    );
    // Every independent mistake is reported.
    assert_eq!(
        when(r#"spned > 1 and tier == "diamond" and city > 3"#),
        [
            codes::UNKNOWN_FIELD,
            codes::UNKNOWN_ENUM_VALUE,
            codes::TYPE_MISMATCH
        ]
    );
}

#[test]
fn help_names_the_close_name_and_the_fix() {
    let checked = check_source(
        "case.rules",
        None,
        &format!("{SCHEMA}rule r {{ when spned > \"100\" or tier == \"glod\" or ordres > 1  then send \"x\" via dm }}\n"),
    );
    let helps: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.help.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(helps[0], "did you mean `spend`?");
    assert!(
        helps[1].starts_with("did you mean `\"gold\"`?"),
        "{}",
        helps[1]
    );
    assert_eq!(helps[2], "did you mean `orders`?");
    let mismatch = check_source(
        "case.rules",
        None,
        &format!("{SCHEMA}rule r {{ when spend > \"100\"  then send \"x\" via dm }}\n"),
    );
    let diagnostic = &mismatch.diagnostics[0];
    assert_eq!(
        diagnostic.message,
        "cannot compare `spend` (float) with `\"100\"` (string)"
    );
    assert_eq!(
        diagnostic.help.as_deref(),
        Some("write the number without quotes: `100`")
    );
}

#[test]
fn without_a_schema_only_a_warning_is_given() {
    let text = "playbook \"p\" {}\nchannel dm {}\nrule r { when foo > 3 and bar == \"x\" and any(baz, b => b.c)  then send \"{qux}\" via dm }\n";
    assert_eq!(codes_of(text), [codes::NO_SCHEMA]);
}

#[test]
fn conditions_of_every_clause_must_be_bool() {
    assert_eq!(
        below_schema("segment big = spend\nstage s when big\n"),
        [codes::TYPE_MISMATCH]
    );
    assert_eq!(below_schema("stage s when city\n"), [codes::TYPE_MISMATCH]);
    assert_eq!(
        below_schema("channel sms { consent tier }\nrule s { then send \"x\" via sms }\n"),
        [codes::TYPE_MISMATCH]
    );
}

#[test]
fn windows_times_caps_holdouts_and_timezones() {
    assert_eq!(
        below_schema("channel c { window 25:00-26:00 }\nrule s { then send \"x\" via c }\n"),
        [codes::BAD_WINDOW, codes::BAD_WINDOW]
    );
    assert_eq!(below_schema("channel c { window 22:00-02:00 }\nchannel d { window 10:00-00:00 }\nrule s { then send \"x\" via c  then send \"y\" via d }\n"), Vec::<&str>::new());
    assert_eq!(
        below_schema("channel c { window 10:00-24:00 }\nrule s { then send \"x\" via c }\n"),
        [codes::BAD_WINDOW]
    );
    assert_eq!(
        below_schema("rule s { then tag \"x\" at 23:60 }\n"),
        [codes::BAD_TIME]
    );
    assert_eq!(
        below_schema("policy { holdout 0%  max_touches 3 per 1d }\n"),
        Vec::<&str>::new()
    );
    assert_eq!(
        below_schema("policy { holdout 100.5% }\n"),
        [codes::BAD_NUMBER]
    );
    assert_eq!(
        below_schema("policy { max_touches 0 per 1d }\n"),
        [codes::BAD_NUMBER]
    );
    assert_eq!(
        below_schema("rule s { cap 1 per 0d  then tag \"x\" }\n"),
        [codes::BAD_NUMBER]
    );
    for zone in [
        "+08:00",
        "-05:30",
        "Asia/Shanghai",
        "UTC",
        "America/New_York",
    ] {
        let text = format!("playbook \"p\" {{ timezone \"{zone}\" }}\nmember {{ id: string }}\n");
        assert_eq!(codes_of(&text), Vec::<&str>::new(), "{zone}");
    }
    for zone in ["+8:00", "UTC+8", "+24:00", "Asia/Nowhere", ""] {
        let text = format!("playbook \"p\" {{ timezone \"{zone}\" }}\nmember {{ id: string }}\n");
        assert_eq!(codes_of(&text), [codes::BAD_TIMEZONE], "{zone}");
    }
}

#[test]
fn clauses_given_twice() {
    assert_eq!(
        below_schema("rule s {\n  when orders > 1\n  when spend > 1\n  then tag \"x\"\n}\n"),
        [codes::DUPLICATE_CLAUSE]
    );
    assert_eq!(
        below_schema("rule s { priority 1  priority 2  then tag \"x\" }\n"),
        [codes::DUPLICATE_CLAUSE]
    );
    assert_eq!(
        below_schema("rule s { then tag \"x\" with { a: 1, a: 2 } }\n"),
        [codes::DUPLICATE_CLAUSE]
    );
    assert_eq!(
        codes_of(
            "playbook \"p\" { timezone \"+08:00\"  timezone \"+09:00\" }\nmember { id: string }\n"
        ),
        [codes::DUPLICATE_CLAUSE]
    );
    assert_eq!(
        below_schema("policy { holdout 5%  holdout 6% }\n"),
        [codes::DUPLICATE_CLAUSE]
    );
}

#[test]
fn verbs_and_channels() {
    assert_eq!(
        below_schema("rule s { then coupon \"x\" }\n"),
        [codes::MISSING_VIA]
    );
    assert_eq!(
        below_schema("rule s { then assign \"x\" via dm }\n"),
        [codes::UNEXPECTED_VIA]
    );
    assert_eq!(
        below_schema("rule s { then sned \"x\" via dm }\n"),
        [codes::UNKNOWN_VERB]
    );
    assert_eq!(
        below_schema("rule s { then remind \"x\" via dn }\n"),
        [codes::UNKNOWN_CHANNEL]
    );
    assert_eq!(
        below_schema("rule s { then send \"{consent}\" via dm }\n"),
        [codes::TYPE_MISMATCH]
    );
    assert_eq!(
        below_schema("rule s { then send \"{spned}\" via dm with { a: ordres } }\n"),
        [codes::UNKNOWN_FIELD, codes::UNKNOWN_FIELD]
    );
}

#[test]
fn stages_in_order() {
    assert_eq!(
        below_schema("stage a otherwise\nstage b when orders > 1\nstage c when orders > 2\n"),
        [codes::OTHERWISE_NOT_LAST]
    );
    assert_eq!(
        below_schema("stage b when orders > 1\nstage a otherwise\nstage c otherwise\n"),
        [codes::OTHERWISE_NOT_LAST]
    );
    assert_eq!(
        below_schema("stage a when true\nstage b when orders > 1\n"),
        [codes::UNREACHABLE_STAGE]
    );
    assert_eq!(
        below_schema("stage a when false\nstage b otherwise\n"),
        [codes::UNREACHABLE_STAGE]
    );
    assert_eq!(
        below_schema("stage a when orders > 1\nstage b when orders  >  1\n"),
        [codes::UNREACHABLE_STAGE]
    );
    assert_eq!(
        below_schema("stage a when orders > 1\nstage a when orders > 2\n"),
        [codes::DUPLICATE]
    );
}

#[test]
fn segments() {
    assert_eq!(
        below_schema("segment a = a\nstage s when a\n"),
        [codes::SEGMENT_CYCLE]
    );
    let three =
        below_schema("segment a = b\nsegment b = c\nsegment c = a or orders > 1\nstage s when a\n");
    assert_eq!(three, [codes::SEGMENT_CYCLE]);
    assert_eq!(
        below_schema("segment orders = true\nstage s when orders\n"),
        [codes::SEGMENT_FIELD_CLASH]
    );
    assert_eq!(
        below_schema("segment a = orders > 1\nsegment b = a and spend > 1\nstage s when b\n"),
        Vec::<&str>::new()
    );
    assert_eq!(
        below_schema("segment a = orders > 1\n"),
        [codes::UNUSED_SEGMENT]
    );
}

#[test]
fn the_schema_itself() {
    assert_eq!(
        codes_of("playbook \"p\" {}\nmember { id: bool }\n"),
        [codes::TYPE_MISMATCH]
    );
    assert_eq!(
        codes_of("playbook \"p\" {}\nmember { id: string? }\n"),
        [codes::TYPE_MISMATCH]
    );
    assert_eq!(
        codes_of("playbook \"p\" {}\nmember { id: int, a: int, a: float }\n"),
        [codes::DUPLICATE]
    );
    assert_eq!(
        codes_of("playbook \"p\" {}\nmember { id: int, o: { a: int, a: int } }\n"),
        [codes::DUPLICATE]
    );
    assert_eq!(
        codes_of("playbook \"p\" {}\nmember { a: strin }\n"),
        [codes::UNKNOWN_TYPE]
    );
    assert_eq!(
        codes_of("playbook \"p\" {}\nmember { a: int }\nmember { b: int }\n"),
        [codes::DUPLICATE]
    );
    assert_eq!(
        codes_of("playbook \"p\" {}\nplaybook \"q\" {}\nmember { a: int }\n"),
        [codes::PLAYBOOK_DECL]
    );
    assert_eq!(below_schema("policy {}\npolicy {}\n"), [codes::DUPLICATE]);
}

#[test]
fn quadrant_guards() {
    assert_eq!(
        below_schema("rule q { quadrant online low  then tag \"x\" }\n"),
        [codes::QUADRANT_NEVER]
    );
    assert_eq!(
        below_schema("rule q { quadrant frequency high  then tag \"x\" }\n"),
        Vec::<&str>::new()
    );
    let unstated = "playbook \"p\" {}\nmember { id: string }\nrule q { quadrant online low  then tag \"x\" }\n";
    assert_eq!(codes_of(unstated), [codes::QUADRANT_NEVER]);
}

#[test]
fn tests_blocks() {
    let base = "stage buyer when orders >= 1\nrule thanks { stage buyer  then tag \"x\" }\n";
    let test = |body: &str| below_schema(&format!("{base}test \"t\" {{\n{body}\n}}\n"));
    let member = r#"member { id: "t1", orders: 1, spend: 2.5, tier: "gold", city: "杭州", tags: ["a"], followed_at: "2026-01-01T00:00:00+08:00", consent: { dm: true }, items: [{ sku: "A", price: 1 }] }"#;
    assert_eq!(test(&format!("as_of 2026-11-25T09:00:00+08:00\n{member}\nexpect stage buyer\nexpect action thanks\nexpect no action uses_dm\nexpect suppressed uses_dm reason consent\nexpect holdout false")), Vec::<&str>::new());
    assert_eq!(
        test(&format!("{member}\nexpect stage buyr")),
        [codes::UNKNOWN_STAGE]
    );
    assert_eq!(
        test(&format!("{member}\nexpect action thank via dm")),
        [codes::UNKNOWN_RULE]
    );
    assert_eq!(
        test(&format!("{member}\nexpect action thanks via dn at 19:00")),
        [codes::UNKNOWN_CHANNEL]
    );
    assert_eq!(
        test(&format!("{member}\nexpect suppressed thanks reason capped")),
        [codes::UNKNOWN_REASON]
    );
    assert_eq!(test("expect stage buyer"), [codes::BAD_TEST]);
    assert_eq!(
        test(&format!("{member}\n{member}")),
        [codes::DUPLICATE_CLAUSE]
    );
    assert_eq!(
        test("member { orders: 1 }\nexpect invalid"),
        Vec::<&str>::new()
    );
    assert_eq!(
        test("member { id: \"t\", orders: \"many\" }\nexpect invalid"),
        Vec::<&str>::new()
    );
    let warned = test("member { id: \"t\", orders: \"many\", ordrs: 1 }");
    assert_eq!(
        warned,
        [codes::BAD_TEST, codes::BAD_TEST, codes::BAD_TEST],
        "missing fields, unknown key, wrong value"
    );
    let checked = check_source(
        "case.rules",
        None,
        &format!("{SCHEMA}rule uses_dm {{ then send \"x\" via dm }}\n{base}test \"t\" {{ member {{ id: \"t\", ordrs: 1 }} expect invalid }}\n"),
    );
    assert!(!checked.has_errors(), "snapshot mismatches are warnings");
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("did you mean `orders`?")
    );
    assert_eq!(test("member { orders: 1 }").first(), Some(&codes::BAD_TEST));
    assert!(check_source("c.rules", None, &format!("{SCHEMA}rule uses_dm {{ then send \"x\" via dm }}\ntest \"t\" {{ member {{ orders: 1 }} }}\n")).has_errors(), "no id is an error");
}

#[test]
fn duplicates_across_kinds_and_files() {
    // A stage and a rule may share a name; two rules may not.
    assert_eq!(
        below_schema("stage buyer when orders > 1\nrule buyer { stage buyer  then tag \"x\" }\n"),
        Vec::<&str>::new()
    );
    let checked = check_source("d.rules", None, &format!("{SCHEMA}rule dm_rule {{ then send \"x\" via dm }}\nrule dm_rule {{ then tag \"y\" }}\n"));
    let duplicate = &checked.diagnostics[0];
    assert_eq!(duplicate.code, codes::DUPLICATE);
    assert_eq!(duplicate.labels.len(), 1);
    assert_eq!(duplicate.labels[0].message, "first declared here");
    assert!(duplicate.labels[0].span.start < duplicate.span.start);
}
