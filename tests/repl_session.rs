//! `siyu repl` driven through piped standard input: whole sessions with a shipped
//! playbook and the sample members, declarations typed and replaced, mistakes that
//! get suggestions and never end the session, and the exit codes of a piped session.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

struct Session {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

mod support;
use support::scratch;

/// Runs `siyu repl ARGS` from the crate's folder with `script` on standard input.
fn repl(args: &[&str], script: &str) -> Session {
    let mut child = Command::new(env!("CARGO_BIN_EXE_siyu"))
        .arg("repl")
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("SIYU_HISTORY", scratch("history").join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("siyu runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes()).expect("script written");
    }
    let output = child.wait_with_output().expect("siyu ends");
    Session {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code(),
    }
}

/// The lines of `text`, each trimmed at its end.
fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim_end).collect()
}

/// Asserts that `expected` appear in `text` in this order.
fn assert_in_order(text: &str, expected: &[&str]) {
    let mut rest = text;
    for wanted in expected {
        match rest.find(wanted) {
            Some(at) => rest = &rest[at + wanted.len()..],
            None => panic!("`{wanted}` missing (or out of order) in:\n{text}"),
        }
    }
}

#[test]
fn a_whole_session_with_a_shipped_playbook_and_the_sample_members() {
    let script = [
        ":load rules/beauty_fmcg.rules",
        ":members examples/members.jsonl",
        ":asof 2026-11-25T09:00:00+08:00",
        ":member m0000003",
        "orders",
        "nickname ?? '亲'",
        "tags",
        "consent.sms and not consent.wecom",
        "today + 3d",
        "segment night_owl = \"夜猫子\" in tags",
        "night_owl",
        "night_owl and orders == 0",
        "rule night_owl_tag \"夜猫子标签\" {",
        "  when night_owl",
        "  then tag \"夜猫子\"",
        "}",
        ":stage",
        ":plan",
        "spned > 100",
        "spend > 100",
        ":member m0000001",
        "night_owl",
        ":run",
    ]
    .join("\n");
    let session = repl(&[], &script);
    let out = lines(&session.stdout);
    assert_in_order(
        &session.stdout,
        &[
            "loaded rules/beauty_fmcg.rules: ",
            "read 5000 members from examples/members.jsonl",
            "as of 2026-11-25T09:00:00+08:00",
            "current member: m0000003 · stage fan",
        ],
    );
    // The values, one line each, in the playbook's notation.
    let values = [
        "0",
        "\"小鱼儿\"",
        "[\"夜猫子\", \"会员日常客\"]",
        "true",
        "2026-11-28",
    ];
    let at = out.iter().position(|l| *l == values[0]).expect("orders");
    assert_eq!(out[at..at + values.len()], values);
    assert_eq!(
        out[at + 5..at + 9],
        [
            "added segment night_owl",
            "true",
            "true",
            "added rule night_owl_tag"
        ]
    );
    assert_in_order(
        &session.stdout,
        &[
            "fan (沉淀粉)",
            "  ✓ fan (otherwise)",
            "member m0000003 · stage fan",
            "  ✓ first_order_dm coupon via douyin_dm at 2026-11-25T10:00:00+08:00 (priority 70)",
            "小鱼儿，送你 20 元首单券（满 99 可用），2026-11-28 前有效",
            "✓ night_owl_tag tag at 2026-11-25T09:00:00+08:00 (priority 0)",
            "✗ live_routine via douyin_live suppressed: consent",
            // After the typo the session goes on.
            "false",
            "current member: m0000001",
            "false",
            "members read 5000  =  planned 5000 + invalid 0",
            "night_owl_tag",
        ],
    );
    // The typo: the checker's diagnostic, pointing into what was typed, with a
    // suggestion; the session goes on, and the piped session exits with 1.
    assert_in_order(
        &session.stderr,
        &[
            "siyu::check::unknown_field",
            "unknown field `spned`",
            "<repl:16>:1:1",
            "spned > 100",
            "help: did you mean `spend`?",
        ],
    );
    assert_eq!(session.code, Some(1), "{}", session.stderr);
}

#[test]
fn a_playbook_and_members_named_on_the_command_line() {
    let script = "\
days_since_follow <= 7 and orders == 0
:explain
:fields
:member w3
spend
spend / orders
:plan
:member
";
    let session = repl(
        &[
            "tests/golden/worked/playbook.rules",
            "--members",
            "tests/golden/worked/members.jsonl",
            "--as-of",
            AS_OF,
        ],
        script,
    );
    assert_eq!(session.code, Some(0), "{}", session.stderr);
    assert!(session.stderr.is_empty(), "{}", session.stderr);
    assert_in_order(
        &session.stdout,
        &[
            "loaded tests/golden/worked/playbook.rules: 3 stages, 4 rules, 2 channels, 0 segments",
            "read 4 members from tests/golden/worked/members.jsonl",
            "current member: w1",
            "true",
            "member w1 at 2026-11-25T09:00:00+08:00",
            "stage: new_fan (新粉)",
            "add_wecom \"加企微\" (priority 70)",
            "1 action(s) planned, 1 suppressed",
            "id, nickname, days_since_follow, orders, spend, fan_group, consent",
            "current member: w3 · stage customer",
            "1280.5",
            "320.125",
            "member w3 · stage customer",
            "✓ thanks tag at 2026-11-25T09:00:00+08:00 (priority 60)",
            "已购",
            "✓ big_spender audience at 2026-11-25T09:00:00+08:00 (priority 10)",
            "高价值人群包",
            // A DM yesterday at 19:00 fills the channel's cap of one a day.
            "✗ thanks via dm suppressed: channel_cap",
            "member w3 (line 3)",
            "\"nickname\": \"阿杰\"",
        ],
    );
}

#[test]
fn declarations_span_lines_and_a_redefinition_replaces_the_old_one() {
    let script = r#"rule welcome_back "回归" {
  stage customer
  when spend >= 1000
  then send "欢迎回来 {nickname ?? '亲'}" via wecom
  priority 90
}
:member w3
:plan
rule welcome_back "回归" {
  stage customer
  when spend >= 5000
  then send "欢迎回来" via wecom
}
:rules
:plan
stage customer "成交客" when orders >= 2
:member w4
:stage
:stages
rule thanks "感谢下单" { stage customer  then tag "已购" }
:show thanks
"#;
    let session = repl(
        &[
            "tests/golden/worked/playbook.rules",
            "--members",
            "tests/golden/worked/members.jsonl",
            "--as-of",
            AS_OF,
        ],
        script,
    );
    assert_eq!(session.code, Some(0), "{}", session.stderr);
    assert_in_order(
        &session.stdout,
        &[
            "added rule welcome_back",
            "member w3 · stage customer",
            // wecom consent is false for w3.
            "✗ welcome_back via wecom suppressed: consent",
            "replaced rule welcome_back",
            "  thanks \"感谢下单\"  stage customer  priority 60",
            "* welcome_back \"回归\"  stage customer",
            "member w3 · stage customer",
            "replaced stage customer",
            // w4 has one order: no longer a customer, and the stage keeps its place.
            "current member: w4 · stage fan",
            "fan (粉丝)",
            "  ✗ new_fan: days_since_follow <= 7 and orders == 0 is false",
            "  ✗ customer: orders >= 2 is false",
            "  ✓ fan (otherwise)",
            "  stage new_fan \"新粉\" when days_since_follow <= 7 and orders == 0",
            "* stage customer \"成交客\" when orders >= 2",
            "  stage fan \"粉丝\" otherwise",
            "replaced rule thanks",
            "rule thanks \"感谢下单\" { stage customer  then tag \"已购\" }",
        ],
    );
    let rules = session.stdout.matches("welcome_back \"回归\"").count();
    assert_eq!(rules, 1, "one welcome_back rule:\n{}", session.stdout);
    assert!(
        !session.stdout.contains("✓ welcome_back"),
        "{}",
        session.stdout
    );
}

#[test]
fn without_a_playbook_expressions_and_declarations_still_work() {
    let script = "\
1 + 2
10 / 4
7 % 3
\"新\" + \"粉\"
len(\"私域运营\")
[1, 2,
 3]
2026-11-25 - 2026-11-18
today + 1w
now
round(2.5)
null ?? \"亲\"
segment always = true
always
:asof 2026-01-01T00:30:00+08:00
today
:segments
";
    let session = repl(&["--as-of", AS_OF], script);
    assert_eq!(session.code, Some(0), "{}", session.stderr);
    let out = lines(&session.stdout);
    assert_eq!(
        out,
        [
            "3",
            "2.5",
            "1",
            "\"新粉\"",
            "4",
            "[1, 2, 3]",
            "1w",
            "2026-12-02",
            "2026-11-25T09:00:00+08:00",
            "3",
            "\"亲\"",
            "added segment always",
            "true",
            "as of 2026-01-01T00:30:00+08:00",
            "2026-01-01",
            "* segment always = true",
        ]
    );
}

#[test]
fn mistakes_are_reported_and_the_session_goes_on() {
    let script = "\
:load tests/golden/worked/playbook.rules
:members tests/golden/worked/members.jsonl
:memebr w2
:member w9
segment broken = (orders >=
)
rule r { then send \"hi\" }
:asof tomorrow
:load no/such/file.rules
spend > \"100\"
:help
:quit
orders + 1000
";
    let session = repl(&["--as-of", AS_OF], script);
    assert_eq!(session.code, Some(1));
    assert_in_order(
        &session.stderr,
        &[
            "error: unknown command `:memebr`; did you mean `:member`?",
            "error: no member with id `w9`; did you mean `w1`?",
            "siyu::syntax::unexpected",
            "<repl:5>",
            "siyu::check::missing_via",
            "<repl:6>",
            "error: `tomorrow` is not an RFC 3339 date-time",
            "error: cannot read `no/such/file.rules`",
            "siyu::check::type_mismatch",
            "<repl:9>",
        ],
    );
    // `segment broken = (orders >=` continues onto the next line; the declaration
    // fails and nothing was added.
    assert!(!session.stdout.contains("added"), "{}", session.stdout);
    assert_in_order(&session.stdout, &[":member [ID]", ":quit"]);
    // Nothing after `:quit` runs.
    assert!(!session.stdout.contains("1000"), "{}", session.stdout);
}

#[test]
fn commands_that_need_a_member_say_how_to_get_one() {
    let session = repl(
        &["tests/golden/worked/playbook.rules"],
        ":plan\nspend\n1 + 1\n:run\n",
    );
    assert_eq!(session.code, Some(1));
    assert_eq!(lines(&session.stdout)[1..], ["2"]);
    assert_eq!(
        session
            .stderr
            .matches("no member picked: read snapshots with `:members FILE`")
            .count(),
        2,
        "{}",
        session.stderr
    );
    assert!(session.stderr.contains("error: no members read yet"));
}

#[test]
fn windows_line_ends_and_an_unfinished_last_input_are_handled() {
    let session = repl(&["--as-of", AS_OF], "1 + 1\r\n[1,\r\n2");
    assert_eq!(lines(&session.stdout), ["2"]);
    assert_eq!(session.code, Some(1), "the unfinished list is an error");
    assert!(
        session.stderr.contains("siyu::syntax"),
        "{}",
        session.stderr
    );
}

#[test]
fn a_file_that_cannot_be_read_or_a_bad_time_is_a_usage_error() {
    assert_eq!(repl(&["no/such/playbook.rules"], "").code, Some(2));
    let members = repl(&["--members", "no/such/members.jsonl"], "");
    assert_eq!(members.code, Some(2));
    let time = repl(&["--as-of", "yesterday"], "");
    assert_eq!(time.code, Some(2));
    assert!(time
        .stderr
        .contains("`yesterday` is not an RFC 3339 date-time"));
}

#[test]
fn a_playbook_with_errors_is_shown_and_the_session_starts_without_it() {
    let session = repl(&["tests/playbooks/five_mistakes.rules"], "1 + 1\n:rules\n");
    assert_eq!(session.code, Some(1));
    assert!(
        session.stderr.contains("siyu::check::"),
        "{}",
        session.stderr
    );
    assert!(session
        .stderr
        .contains("error: `tests/playbooks/five_mistakes.rules` was not loaded"));
    assert_eq!(lines(&session.stdout), ["2", "no rules yet"]);
}

#[test]
fn typed_declarations_survive_a_reload_where_they_still_check() {
    let script = "\
:load tests/golden/worked/playbook.rules
segment rich = spend >= 1000
segment greeted = fan_group
:load tests/playbooks/complete_example.rules
rich
";
    let folder = scratch("reload");
    let members = folder.join("one.jsonl");
    std::fs::write(
        &members,
        r#"{"id":"x","days_since_follow":1,"interactions_30d":0,"live_watch_30d":0,"fan_group":false,"orders":0,"spend":2500,"last_active_days":1,"tier":"none","city":"杭州","tags":[],"consent":{"dm":true,"sms":false,"wecom":false}}"#,
    )
    .expect("members written");
    let script = format!("{script}:members {}\nrich\n", members.display());
    let session = repl(&["--as-of", AS_OF], &script);
    assert_in_order(
        &session.stdout,
        &[
            "added segment rich",
            "added segment greeted",
            "loaded tests/playbooks/complete_example.rules",
            "kept <repl:2>: segment rich = spend >= 1000",
            "kept <repl:3>: segment greeted = fan_group",
            "read 1 members",
            "true",
        ],
    );
    // `rich` before any member: it reads the member, so it asks for one.
    assert!(
        session.stderr.contains("no member picked"),
        "{}",
        session.stderr
    );
}

#[test]
fn a_typed_playbook_declaration_and_includes() {
    let script = "\
playbook \"东京\" { timezone \"Asia/Tokyo\" }
now
include \"tests/playbooks/common.rules\"
include \"tests/playbooks/common.rules\"
:channels
:load tests/golden/worked/playbook.rules
playbook \"other\" {}
";
    let session = repl(&["--as-of", AS_OF], script);
    assert_eq!(
        lines(&session.stdout),
        [
            "replaced playbook \"东京\"",
            "2026-11-25T10:00:00+09:00",
            "included 2 channels, 4 segments",
            "nothing new declared (a file is included once)",
            "  channel sms \"短信\"",
            "  channel wecom \"企业微信\"",
            "loaded tests/golden/worked/playbook.rules: 3 stages, 4 rules, 2 channels, 0 segments",
        ]
    );
    // The worked example's schema has no `consent.sms`, so the included library no
    // longer fits: both includes are dropped, each with the first reason.
    assert_in_order(
        &session.stderr,
        &[
            "dropped <repl:3> (include \"tests/playbooks/common.rules\"): `consent` has no field `sms`",
            "dropped <repl:4> (include \"tests/playbooks/common.rules\"): ",
        ],
    );
    assert!(session.stderr.contains(
        "error: the `playbook` declaration of `tests/golden/worked/playbook.rules` stays as it is"
    ));
}

#[test]
fn without_a_schema_an_unknown_name_is_an_error_with_the_snapshots_keys_suggested() {
    // No playbook: before any snapshot is read, a field name cannot be known.
    let before = repl(&[], "ordrs > 1\n");
    assert_eq!(before.code, Some(1));
    assert!(
        before.stdout.trim().is_empty(),
        "no value: {}",
        before.stdout
    );
    assert!(
        before.stderr.contains("unknown field `ordrs`"),
        "{}",
        before.stderr
    );
    assert!(before.stderr.contains(":members FILE"), "{}", before.stderr);

    // With snapshots read, the name is looked up among their keys.
    let session = repl(
        &["--members", "examples/members.jsonl"],
        "ordrs > 1\nmember.spned\norders >= 0\nany(tags, t => t == \"x\")\n",
    );
    assert_eq!(session.code, Some(1));
    assert_in_order(
        &session.stderr,
        &[
            "unknown field `ordrs`",
            "did you mean `orders`?",
            "unknown field `spned`",
            "did you mean `spend`?",
        ],
    );
    // Real keys and lambda parameters are read as before.
    assert_eq!(lines(&session.stdout)[2..], ["true", "false"]);
}

#[test]
fn save_writes_the_session_as_a_formatted_playbook_that_checks() {
    let folder = scratch("repl-save");
    let saved = folder.join("mine.rules");
    let path = saved.to_str().unwrap_or_default();
    let script = format!(
        "segment night_owl = \"夜猫子\" in tags\n\
         rule night_owl_tag \"夜猫子标签\" {{\n  when night_owl\n  then tag \"夜猫子\"\n}}\n\
         stage new_fan \"新粉\" when new_follower and orders == 0\n\
         :save {path}\n:save {path}\n:save! {path}\n"
    );
    let session = repl(&["rules/beauty_fmcg.rules"], &script);
    // The second `:save` refuses to overwrite; the session says so and goes on.
    assert_eq!(session.code, Some(1), "{}", session.stderr);
    assert!(
        session.stderr.contains("exists: `:save! "),
        "{}",
        session.stderr
    );
    let counts: Vec<&str> = session
        .stdout
        .lines()
        .filter_map(|line| line.strip_prefix("saved "))
        .filter_map(|rest| rest.split(" declarations to ").next())
        .collect();
    assert_eq!(counts.len(), 2, "{}", session.stdout);
    assert_eq!(counts[0], counts[1], "{}", session.stdout);
    let text = std::fs::read_to_string(&saved).expect("the saved file");
    // Includes point back at the shipped files from the scratch folder.
    assert!(text.contains("common.rules\""), "{text}");
    assert!(!text.contains("include \"common.rules\""), "{text}");
    // The typed stage stands where the file's stood; the new declarations follow.
    assert_in_order(
        &text,
        &[
            "stage repeat_buyer",
            "stage new_fan      \"新粉\"     when new_follower and orders == 0",
            "stage active_fan",
            "segment night_owl = \"夜猫子\" in tags",
            "rule night_owl_tag \"夜猫子标签\" {",
        ],
    );
    // The file's comments are kept with its declarations.
    assert!(text.contains("直播为主阵地"), "{text}");
    assert_eq!(siyu::format_source(&text).as_deref(), Ok(text.as_str()));
    let check = support::siyu()
        .args(["check", path])
        .output()
        .expect("siyu runs");
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Saved unchanged next to the original, the loaded file comes back as it was.
    let copy = folder.join("copy.rules");
    let _ = std::fs::remove_file(&copy);
    let again = repl(
        &["rules/beauty_fmcg.rules"],
        &format!(":save {}\n", copy.display()),
    );
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    let original = std::fs::read_to_string("rules/beauty_fmcg.rules").expect("shipped");
    let copied = std::fs::read_to_string(&copy).expect("the copy");
    // Only the include paths differ (they are relative to the copy's folder).
    let kept = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| match l.strip_prefix("include \"") {
                Some(path) => format!("include {}", path.rsplit("rules/").next().unwrap_or(path)),
                None => l.to_string(),
            })
            .collect()
    };
    assert!(kept(&copied) == kept(&original), "{copied}");
}
