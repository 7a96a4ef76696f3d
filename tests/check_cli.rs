//! `siyu check` through the built binary: both output formats and the exit codes.

use std::process::Output;

use serde_json::Value;

mod support;

fn siyu_check(args: &[&str]) -> Output {
    support::siyu()
        .arg("check")
        .args(args)
        .output()
        .expect("the siyu binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json_diagnostics(args: &[&str]) -> (Output, Vec<Value>) {
    let output = siyu_check(args);
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let diagnostics = document["diagnostics"]
        .as_array()
        .expect("a `diagnostics` array")
        .clone();
    (output, diagnostics)
}

#[test]
fn the_complete_example_has_no_error() {
    let output = siyu_check(&["tests/playbooks/complete_example.rules"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(!text.contains("×"), "no error expected:\n{text}");
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("no errors,")
            && last.ends_with("in tests/playbooks/complete_example.rules"),
        "summary line: {last}"
    );
}

#[test]
fn the_complete_example_warns_only_about_its_unused_segment() {
    let (output, diagnostics) =
        json_diagnostics(&["--format", "json", "tests/playbooks/complete_example.rules"]);
    assert_eq!(output.status.code(), Some(0));
    let codes: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default())
        .collect();
    // `high_value` is declared in the example and used by none of its rules.
    assert_eq!(codes, ["siyu::check::unused_segment"]);
    assert!(diagnostics.iter().all(|d| d["severity"] == "warning"));
}

/// The five mistakes, as (code, line, text near which it points).
const FIVE: [(&str, u64); 5] = [
    ("siyu::check::unknown_stage", 19),
    ("siyu::check::unknown_field", 20),
    ("siyu::check::missing_via", 21),
    ("siyu::check::type_mismatch", 25),
    ("siyu::check::duplicate_name", 29),
];

#[test]
fn five_mistakes_are_five_diagnostics_in_json() {
    let (output, diagnostics) =
        json_diagnostics(&["--format", "json", "tests/playbooks/five_mistakes.rules"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(diagnostics.len(), 5, "{diagnostics:#?}");
    for (code, line) in FIVE {
        let found = diagnostics
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {diagnostics:#?}"));
        assert_eq!(found["line"], line, "{code}");
        assert_eq!(found["severity"], "error");
        assert_eq!(found["file"], "tests/playbooks/five_mistakes.rules");
    }
    let help = |code: &str| {
        diagnostics
            .iter()
            .find(|d| d["code"] == code)
            .and_then(|d| d["help"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        help("siyu::check::unknown_stage"),
        "did you mean `new_fan`?"
    );
    assert_eq!(help("siyu::check::unknown_field"), "did you mean `orders`?");
    assert!(help("siyu::check::type_mismatch").contains("`1000`"));
    let duplicate = diagnostics
        .iter()
        .find(|d| d["code"] == "siyu::check::duplicate_name")
        .expect("duplicate");
    assert_eq!(duplicate["column"], 6);
    let labels = duplicate["labels"].as_array().expect("labels");
    assert_eq!(labels.len(), 1);
    assert_eq!(labels[0]["message"], "first declared here");
    assert_eq!(labels[0]["line"], 18);
    assert_eq!(labels[0]["column"], 6);
    assert_eq!(labels[0]["end_column"], 13);
    assert_eq!(duplicate["label"], "declared again here");
}

#[test]
fn json_diagnostics_carry_the_primary_label() {
    let (_, diagnostics) =
        json_diagnostics(&["--format", "json", "tests/playbooks/five_mistakes.rules"]);
    let unknown = diagnostics
        .iter()
        .find(|d| d["code"] == "siyu::check::unknown_field")
        .expect("unknown field");
    assert_eq!(
        unknown["label"], "not a field of the `member` schema nor a segment",
        "{unknown:#}"
    );
    for diagnostic in &diagnostics {
        assert!(
            diagnostic["label"].is_string() || diagnostic["label"].is_null(),
            "{diagnostic:#}"
        );
    }
}

#[test]
fn five_mistakes_are_drawn_on_stderr() {
    let output = siyu_check(&["tests/playbooks/five_mistakes.rules"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let text = stderr(&output);
    assert!(!text.contains('\u{1b}'), "no colour with NO_COLOR:\n{text}");
    for (code, _) in FIVE {
        assert_eq!(text.matches(code).count(), 1, "{code} once in:\n{text}");
    }
    assert!(text.contains("did you mean `new_fan`?"));
    assert!(text.contains("did you mean `orders`?"));
    assert!(text.contains("first declared here"));
    assert!(
        text.contains("five_mistakes.rules:"),
        "snippets name the file:\n{text}"
    );
    let last = text.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "5 errors, no warnings in tests/playbooks/five_mistakes.rules"
    );
}

#[test]
fn several_files_are_summed_up_together() {
    let output = siyu_check(&[
        "tests/playbooks/complete_example.rules",
        "tests/playbooks/five_mistakes.rules",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert_eq!(text.lines().last(), Some("5 errors, 1 warning in 2 files"));
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let output = siyu_check(&["tests/playbooks/no_such_file.rules"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no_such_file.rules"));
    let output = siyu_check(&["tests/playbooks/complete_example.rules", "tests/nowhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("tests/nowhere"));
}

#[test]
fn no_file_is_a_usage_error() {
    assert_eq!(siyu_check(&[]).status.code(), Some(2));
    assert_eq!(
        siyu_check(&["--format", "yaml", "tests/playbooks/five_mistakes.rules"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn warnings_alone_exit_zero_in_json_too() {
    let (output, diagnostics) =
        json_diagnostics(&["--format", "json", "tests/diagnostics/unused_channel.rules"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0]["severity"], "warning");
    assert!(output.stderr.is_empty(), "JSON mode keeps stderr quiet");
}

#[test]
fn text_and_json_count_columns_in_characters() {
    let file = "tests/playbooks/chinese_columns.rules";
    let (_, diagnostics) = json_diagnostics(&["--format", "json", file]);
    let unknown = diagnostics
        .iter()
        .find(|d| d["code"] == "siyu::check::unknown_field")
        .expect("unknown field");
    assert_eq!(unknown["line"], 13);
    // `rule welcome "欢迎新粉丝" { when ` is 28 characters (and 38 bytes).
    assert_eq!(unknown["column"], 29);
    let text = stderr(&siyu_check(&[file]));
    assert!(
        text.contains(&format!("[{file}:13:29]")),
        "the text header points at the same character:\n{text}"
    );
}

const FOLDER_PLAYBOOK: &str = r#"playbook "a" {
  quadrant online high, frequency high
}
include "shared.rules"
member {
  id: string
  orders: int
  consent: { dm: bool }
}
stage buyer "买家" when big
stage fan "粉丝" otherwise
rule hello "你好" {
  stage fan
  then send "hi" via dm
}
"#;

#[test]
fn a_folder_is_checked_with_its_libraries_as_their_playbooks_include_them() {
    let shipped = siyu_check(&["rules"]);
    assert_eq!(shipped.status.code(), Some(0), "{}", stderr(&shipped));
    let text = stderr(&shipped);
    assert!(!text.contains("no_playbook"), "{text}");
    assert!(
        text.ends_with("no errors, no warnings in rules\n"),
        "{text}"
    );

    // Two playbooks include one library with a mistake: it is reported once, at its
    // place in the library; a library nothing includes is checked (and warned) alone.
    let folder = support::scratch_with(
        "check-folder",
        &[
            ("a.rules", FOLDER_PLAYBOOK),
            ("b.rules", &FOLDER_PLAYBOOK.replace("\"a\"", "\"b\"")),
            (
                "shared.rules",
                "channel dm \"私信\" {\n  consent consent.dm\n  cap 1 per 1d\n}\nsegment big = ordrs >= 2\n",
            ),
            ("orphan.rules", "segment lonely = true\n"),
        ],
    );
    let path = folder.to_str().unwrap_or_default();
    let (output, diagnostics) = json_diagnostics(&["--format", "json", path]);
    assert_eq!(output.status.code(), Some(1));
    let codes: Vec<(&str, &str)> = diagnostics
        .iter()
        .map(|d| {
            let file = d["file"].as_str().unwrap_or_default();
            let name = file.rsplit('/').next().unwrap_or_default();
            (d["code"].as_str().unwrap_or_default(), name)
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("siyu::check::unknown_field", "shared.rules"),
            ("siyu::check::no_playbook", "orphan.rules"),
        ]
    );
    let drawn = siyu_check(&[path, "tests/playbooks/complete_example.rules"]);
    // a.rules, b.rules, orphan.rules and the file named.
    assert!(stderr(&drawn).ends_with("1 error, 2 warnings in 4 files\n"));

    // Named on its own, a library is still checked alone, as before.
    let alone = siyu_check(&[folder.join("shared.rules").to_str().unwrap_or_default()]);
    assert!(stderr(&alone).contains("no_playbook"));
    let missing = siyu_check(&[folder.join("nowhere").to_str().unwrap_or_default()]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn an_operator_left_at_the_end_of_a_line_is_blamed_in_words() {
    // `when orders > 1 and` then `then …`: the `and` is the mistake, not the `send` of
    // the next line that the parser trips on; likewise a stray `5%`.
    let (output, diagnostics) = json_diagnostics(&[
        "--format",
        "json",
        "tests/playbooks/dangling_operators.rules",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let found: Vec<(i64, i64, &str)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["line"].as_i64().unwrap_or_default(),
                d["column"].as_i64().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (17, 19, "`and` needs a condition after it"),
            (
                22,
                17,
                "`%` needs a number after it: in an expression it is the remainder"
            ),
        ]
    );
    let help = diagnostics[1]["help"].as_str().unwrap_or_default();
    assert!(
        help.starts_with("percentages are only written in `holdout`"),
        "{help}"
    );
    // A condition may still go on over lines when the next line is not a clause.
    let folder = support::scratch_with(
        "multi-line",
        &[(
            "ok.rules",
            &std::fs::read_to_string("tests/playbooks/dangling_operators.rules")
                .unwrap_or_default()
                .replace("orders > 1 and\n", "orders > 1 and\n    spend > 2\n")
                .replace("spend > 5%", "spend > 5"),
        )],
    );
    let ok = siyu_check(&[folder.join("ok.rules").to_str().unwrap_or_default()]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

/// A copy of the shipped `rules/` folder in a scratch folder, with `edit` applied to
/// each file's text (by its path under `rules/`); a file `edit` maps to `None` is left
/// out.
fn shipped_rules_with(
    name: &str,
    edit: impl Fn(&str, String) -> Option<String>,
) -> support::Scratch {
    let folder = support::scratch(name);
    std::fs::create_dir(folder.join("channels")).expect("scratch folder");
    for sub in ["", "channels"] {
        let dir = std::path::Path::new("rules").join(sub);
        for entry in std::fs::read_dir(&dir).expect("rules/ is there") {
            let path = entry.expect("a file").path();
            if path.extension().is_none_or(|e| e != "rules") {
                continue;
            }
            let relative = path.strip_prefix("rules").expect("under rules/");
            let text = std::fs::read_to_string(&path).expect("a playbook");
            let key = relative.to_str().unwrap_or_default().replace('\\', "/");
            if let Some(text) = edit(&key, text) {
                std::fs::write(folder.join(relative), text).expect("scratch file");
            }
        }
    }
    folder
}

#[test]
fn a_consent_flag_missing_from_the_schema_is_one_error_pointing_at_the_member_block() {
    // `live` removed from the `consent` object: the real error (in a shared channel
    // file) comes first, with a label at the user's own `member` block, and the
    // test snapshots that give `live` are counted in its help, not warned about.
    let folder = shipped_rules_with("consent-cause", |file, text| {
        Some(if file == "beauty_fmcg.rules" {
            text.replacen(
                "consent: { douyin_dm: bool, live: bool,",
                "consent: { douyin_dm: bool,",
                1,
            )
        } else {
            text
        })
    });
    let playbook = folder.join("beauty_fmcg.rules");
    let member_line = std::fs::read_to_string(&playbook)
        .unwrap_or_default()
        .lines()
        .position(|line| line.contains("consent: { douyin_dm: bool,"))
        .map_or(0, |index| index + 1);
    let (output, diagnostics) =
        json_diagnostics(&["--format", "json", playbook.to_str().unwrap_or_default()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let error = &diagnostics[0];
    assert_eq!(error["code"], "siyu::check::unknown_field");
    assert!(error["file"]
        .as_str()
        .unwrap_or_default()
        .ends_with("douyin_live.rules"));
    let labels = error["labels"].as_array().cloned().unwrap_or_default();
    assert!(
        labels.iter().any(|l| {
            l["file"]
                .as_str()
                .unwrap_or_default()
                .ends_with("beauty_fmcg.rules")
                && l["line"] == member_line
                && l["message"] == "`consent` is declared here, without `live`"
        }),
        "{labels:#?}"
    );
    let help = error["help"].as_str().unwrap_or_default();
    assert!(
        help.contains("add `live: bool` to `consent` in the `member` block"),
        "{help}"
    );
    let snapshots = std::fs::read_to_string("rules/beauty_fmcg.rules")
        .unwrap_or_default()
        .matches("consent: { douyin_dm: ")
        .count()
        - 1;
    let counted = format!("{snapshots} test snapshots give `live` too");
    assert!(help.contains(&counted), "{help}");
}

#[test]
fn errors_come_before_warnings() {
    let folder = support::scratch_with(
        "errors-first",
        &[(
            "p.rules",
            "playbook \"p\" { quadrant online high, frequency high }\nmember { id: string, orders: int }\n\
             segment unused = orders > 1\nrule r { when ordrs > 1 then tag \"x\" }\n",
        )],
    );
    let (_, diagnostics) = json_diagnostics(&[
        "--format",
        "json",
        folder.join("p.rules").to_str().unwrap_or_default(),
    ]);
    let severities: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["severity"].as_str().unwrap_or_default())
        .collect();
    let codes: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default())
        .collect();
    // The unused segment (line 3) is written before the unknown field (line 4).
    assert_eq!(
        codes,
        ["siyu::check::unknown_field", "siyu::check::unused_segment"]
    );
    assert!(severities.len() >= 2, "{diagnostics:#?}");
    assert_eq!(severities[0], "error", "{diagnostics:#?}");
    assert!(
        severities
            .windows(2)
            .all(|w| !(w[0] == "warning" && w[1] == "error")),
        "{severities:?}"
    );
}

#[test]
fn a_missing_include_is_reported_without_the_unknown_names_that_follow_from_it() {
    let folder = shipped_rules_with("include-cause", |file, text| {
        (file != "channels/wecom.rules").then_some(text)
    });
    let playbook = folder.join("beauty_fmcg.rules");
    let (output, diagnostics) =
        json_diagnostics(&["--format", "json", playbook.to_str().unwrap_or_default()]);
    assert_eq!(output.status.code(), Some(1));
    let codes: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(codes, ["siyu::check::include_missing"], "{diagnostics:#?}");
    let help = diagnostics[0]["help"].as_str().unwrap_or_default();
    assert!(
        help.contains("uses of `wecom` not reported: the missing file may declare them"),
        "{help}"
    );
}

#[test]
fn running_a_library_points_at_the_file_that_was_run() {
    let output = support::siyu()
        .args([
            "run",
            "rules/common.rules",
            "--members",
            "examples/members.jsonl",
        ])
        .args(["--as-of", "2026-11-25T09:00:00+08:00"])
        .output()
        .expect("the siyu binary runs");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("no `playbook` declaration"), "{text}");
    assert!(text.contains("[rules/common.rules:1:1]"), "{text}");
    assert!(!text.contains("douyin_dm.rules"), "{text}");
}
