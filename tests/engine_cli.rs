//! `siyu run` and `siyu explain` through the built binary: outputs, the summary's
//! accounting, error records, exit codes, thread counts, and a closed pipe.

use std::io::{Read, Write};
use std::process::{Output, Stdio};

mod support;
use support::{golden, scratch, siyu, text};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

fn run(args: &[&str]) -> Output {
    siyu().args(args).output().expect("siyu runs")
}

#[test]
fn run_prints_the_worked_example_plans_whatever_the_thread_count() {
    let case = golden("worked");
    let playbook = case.join("playbook.rules");
    let members = case.join("members.jsonl");
    let outputs: Vec<Output> = ["1", "2"]
        .iter()
        .map(|threads| {
            run(&[
                "run",
                playbook.to_str().unwrap_or_default(),
                "--members",
                members.to_str().unwrap_or_default(),
                "--as-of",
                AS_OF,
                "--threads",
                threads,
                "--quiet",
            ])
        })
        .collect();
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(
            output.stderr.is_empty(),
            "--quiet prints nothing: {}",
            text(&output.stderr)
        );
    }
    assert_eq!(outputs[0].stdout, outputs[1].stdout);
    let expected = std::fs::read_to_string(case.join("expected.jsonl")).expect("expected plans");
    let expected: Vec<serde_json::Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let actual: Vec<serde_json::Value> = text(&outputs[0].stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn run_writes_plans_errors_and_a_summary_that_adds_up() {
    let case = golden("invalid_snapshots");
    let dir = scratch("files");
    let (out, errors, summary) = (
        dir.join("plans.jsonl"),
        dir.join("errors.jsonl"),
        dir.join("summary.json"),
    );
    let output = run(&[
        "run",
        case.join("playbook.rules").to_str().unwrap_or_default(),
        "--members",
        case.join("members.jsonl").to_str().unwrap_or_default(),
        "--as-of",
        AS_OF,
        "--out",
        out.to_str().unwrap_or_default(),
        "--errors",
        errors.to_str().unwrap_or_default(),
        "--summary",
        summary.to_str().unwrap_or_default(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    let table = text(&output.stderr);
    assert!(
        table.contains("members read 21  =  planned 2 + invalid 19"),
        "{table}"
    );
    let plans = std::fs::read_to_string(&out).expect("plans written");
    assert_eq!(plans.lines().count(), 2);
    let records = std::fs::read_to_string(&errors).expect("errors written");
    let first: serde_json::Value =
        serde_json::from_str(records.lines().next().unwrap_or("{}")).expect("json");
    assert_eq!(first["line"], 2);
    assert_eq!(first["member"], "bad1");
    assert!(first["rule"].is_null());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary written"))
            .expect("json");
    assert_eq!(summary["members"], 21);
    assert_eq!(summary["planned"], 2);
    assert_eq!(summary["invalid"], 19);
    assert_eq!(summary["rules"]["hi"]["fired"], 2);
    assert_eq!(summary["rules"]["hi"]["planned"], 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn on_invalid_fail_stops_at_the_first_invalid_line() {
    let case = golden("invalid_snapshots");
    let output = run(&[
        "run",
        case.join("playbook.rules").to_str().unwrap_or_default(),
        "--members",
        case.join("members.jsonl").to_str().unwrap_or_default(),
        "--as-of",
        AS_OF,
        "--on-invalid",
        "fail",
        "--quiet",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout).lines().count(), 1);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("stopped at line 2"), "{stderr}");
    assert!(
        stderr.contains("line 2 (member `bad1`): malformed JSON"),
        "{stderr}"
    );
}

#[test]
fn exit_codes_for_missing_files_bad_playbooks_and_bad_times() {
    let case = golden("worked");
    let playbook = case.join("playbook.rules");
    let members = case.join("members.jsonl");
    let missing = run(&[
        "run",
        "no/such.rules",
        "--members",
        members.to_str().unwrap_or_default(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    let missing = run(&[
        "run",
        playbook.to_str().unwrap_or_default(),
        "--members",
        "no/such.jsonl",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    let bad_time = run(&[
        "run",
        playbook.to_str().unwrap_or_default(),
        "--members",
        members.to_str().unwrap_or_default(),
        "--as-of",
        "tomorrow",
    ]);
    assert_eq!(bad_time.status.code(), Some(2));
    assert!(text(&bad_time.stderr).contains("`tomorrow` is not an RFC 3339 date-time"));
    let dir = scratch("bad");
    let bad = dir.join("bad.rules");
    std::fs::write(
        &bad,
        "playbook \"bad\" {}\nrule r {\n  then send \"hi\" via nowhere\n}\n",
    )
    .expect("write");
    let broken = run(&[
        "run",
        bad.to_str().unwrap_or_default(),
        "--members",
        members.to_str().unwrap_or_default(),
    ]);
    assert_eq!(broken.status.code(), Some(1));
    let stderr = text(&broken.stderr);
    assert!(stderr.contains("unknown channel `nowhere`"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn stdin_input_and_a_closed_stdout_pipe_end_quietly() {
    let case = golden("worked");
    let mut members = String::new();
    let line = std::fs::read_to_string(case.join("members.jsonl")).expect("members");
    for copy in 0..5_000 {
        // Each copy its own members (a repeated id would be a duplicate).
        members.push_str(&line.replace("\"id\":\"w", &format!("\"id\":\"c{copy}-w")));
    }
    let mut child = siyu()
        .args([
            "run",
            case.join("playbook.rules").to_str().unwrap_or_default(),
            "--members",
            "-",
            "--as-of",
            AS_OF,
            "--quiet",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("siyu starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(members.as_bytes());
    });
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let output = child.wait_with_output().expect("siyu ends");
    let _ = writer.join();
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
    assert!(text(&first).starts_with("{\"member\":\"c0-w1\""));
}

#[test]
fn explain_tells_how_one_member_was_planned() {
    let case = golden("worked");
    let output = run(&[
        "explain",
        case.join("playbook.rules").to_str().unwrap_or_default(),
        "--members",
        case.join("members.jsonl").to_str().unwrap_or_default(),
        "--id",
        "w2",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let trace = text(&output.stdout);
    assert!(trace.contains("stage: new_fan (新粉)"), "{trace}");
    assert!(
        trace.contains("invite via dm suppressed: no consent"),
        "{trace}"
    );
    assert!(trace.contains("consent.dm is false"), "{trace}");
    assert!(
        trace.contains("invite via wecom planned at 2026-11-25T09:00:00+08:00"),
        "{trace}"
    );
    let missing = run(&[
        "explain",
        case.join("playbook.rules").to_str().unwrap_or_default(),
        "--members",
        case.join("members.jsonl").to_str().unwrap_or_default(),
        "--id",
        "nobody",
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("no member with id `nobody`"));
}

#[test]
fn explain_shows_the_truth_of_a_not_before_what_it_negates() {
    let folder = support::scratch("explain-not");
    let ledger = support::empty_ledger(&folder);
    let output = run(&[
        "explain",
        "rules/beauty_fmcg.rules",
        "--members",
        "examples/members.jsonl",
        "--id",
        "m0000042",
        "--as-of",
        AS_OF,
        "--ledger",
        ledger.to_str().unwrap_or_default(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let trace = text(&output.stdout);
    let lines: Vec<&str> = trace.lines().collect();
    let not_line = lines
        .iter()
        .position(|l| l.trim() == "✗ not silent is false")
        .unwrap_or_else(|| panic!("a line for the whole `not silent` in:\n{trace}"));
    let negated = lines.get(not_line + 1).copied().unwrap_or_default();
    assert!(
        negated.trim().starts_with("✓ segment `silent` is true"),
        "what `not` negates comes next:\n{trace}"
    );
    let indent = |l: &str| l.len() - l.trim_start().len();
    assert!(
        indent(negated) > indent(lines[not_line]),
        "and is indented under it:\n{trace}"
    );
}

#[test]
fn explain_suggests_close_ids_when_the_id_is_not_found() {
    let case = golden("worked");
    let explain = |id: &str| {
        run(&[
            "explain",
            case.join("playbook.rules").to_str().unwrap_or_default(),
            "--members",
            case.join("members.jsonl").to_str().unwrap_or_default(),
            "--id",
            id,
        ])
    };
    let near = explain("w22");
    assert_eq!(near.status.code(), Some(1));
    let message = text(&near.stderr);
    assert!(message.contains("no member with id `w22`"), "{message}");
    assert!(message.contains("help: did you mean `w2`"), "{message}");
    let far = explain("nobody-like-this");
    assert!(!text(&far.stderr).contains("did you mean"));
}

const WORKED_MEMBER: &str = r#""days_since_follow":2,"orders":0,"spend":0,"fan_group":false,"consent":{"dm":true,"wecom":true}}"#;

fn run_members(name: &str, file: &str, body: &str, threads: &str) -> Output {
    let dir = scratch(name);
    let members = dir.join(file);
    std::fs::write(&members, body).expect("members written");
    let errors = dir.join("errors.jsonl");
    let output = run(&[
        "run",
        golden("worked")
            .join("playbook.rules")
            .to_str()
            .unwrap_or_default(),
        "--members",
        members.to_str().unwrap_or_default(),
        "--errors",
        errors.to_str().unwrap_or_default(),
        "--threads",
        threads,
        "--as-of",
        AS_OF,
        "--quiet",
    ]);
    let records = std::fs::read_to_string(&errors).unwrap_or_default();
    let mut output = output;
    output.stderr = records.into_bytes();
    output
}

#[test]
fn an_empty_id_is_an_invalid_snapshot() {
    let body = format!(
        "{{\"id\":\"\",{WORKED_MEMBER}\n{{\"id\":\"  \",{WORKED_MEMBER}\n{{\"id\":\"ok\",{WORKED_MEMBER}\n"
    );
    let output = run_members("empty-id", "members.jsonl", &body, "1");
    assert_eq!(output.status.code(), Some(0));
    let plans = text(&output.stdout);
    assert_eq!(plans.lines().count(), 1, "{plans}");
    assert!(plans.starts_with("{\"member\":\"ok\""), "{plans}");
    let records = text(&output.stderr);
    let lines: Vec<&str> = records.lines().collect();
    assert_eq!(lines.len(), 2, "{records}");
    assert!(lines[0].contains("\"line\":1"), "{records}");
    assert!(lines[0].contains("\"member\":null"), "{records}");
    assert!(
        lines[0].contains("expected a member id, found an empty string"),
        "{records}"
    );

    let csv = "id,days_since_follow,orders,spend,fan_group,consent.dm,consent.wecom\n\
               ,2,0,0,false,true,true\nok,2,0,0,false,true,true\n";
    let output = run_members("empty-id-csv", "members.csv", csv, "1");
    assert_eq!(text(&output.stdout).lines().count(), 1);
    let records = text(&output.stderr);
    assert!(records.contains("\"line\":2"), "{records}");
    assert!(records.contains("found an empty string"), "{records}");
}

#[test]
fn a_duplicate_id_is_planned_once_whatever_the_thread_count() {
    let mut body = String::new();
    for i in 0..600 {
        body.push_str(&format!("{{\"id\":\"m{i}\",{WORKED_MEMBER}\n"));
    }
    // Line 601 repeats line 1; line 602 repeats line 43 with its keys in another order;
    // line 603 is new.
    body.push_str(&format!("{{\"id\":\"m0\",{WORKED_MEMBER}\n"));
    body.push_str(&format!(
        "{{\"orders\":0, \"id\" : \"m42\",{}\n",
        WORKED_MEMBER.replacen("\"orders\":0,", "", 1)
    ));
    body.push_str(&format!("{{\"id\":\"m600\",{WORKED_MEMBER}\n"));
    for threads in ["1", "3"] {
        let output = run_members("duplicate-id", "members.jsonl", &body, threads);
        assert_eq!(output.status.code(), Some(0));
        assert_eq!(
            text(&output.stdout).lines().count(),
            601,
            "threads {threads}"
        );
        let records = text(&output.stderr);
        let lines: Vec<&str> = records.lines().collect();
        assert_eq!(lines.len(), 2, "{records}");
        assert!(lines[0].contains("\"line\":601"), "{records}");
        assert!(
            lines[0].contains("duplicate id `m0`, first at line 1"),
            "{records}"
        );
        assert!(lines[1].contains("\"line\":602"), "{records}");
        assert!(
            lines[1].contains("duplicate id `m42`, first at line 43"),
            "{records}"
        );
    }
    let csv = "id,days_since_follow,orders,spend,fan_group,consent.dm,consent.wecom\n\
               a,2,0,0,false,true,true\nb,2,0,0,false,true,true\na,2,0,0,false,true,true\n";
    let output = run_members("duplicate-id-csv", "members.csv", csv, "1");
    assert_eq!(text(&output.stdout).lines().count(), 2);
    let records = text(&output.stderr);
    assert!(
        records.contains("duplicate id `a`, first at line 2"),
        "{records}"
    );
}

/// Runs `siyu run` on the golden `csv_input` case with the members on stdin.
fn run_csv_on_stdin(extra: &[&str]) -> Output {
    let case = golden("csv_input");
    let members = std::fs::read(case.join("members.csv")).expect("members");
    let as_of = std::fs::read_to_string(case.join("as_of.txt")).expect("as-of");
    let playbook = case.join("playbook.rules");
    let mut args = vec![
        "run",
        playbook.to_str().unwrap_or_default(),
        "--members",
        "-",
        "--as-of",
        as_of.trim(),
    ];
    args.extend_from_slice(extra);
    let mut child = siyu()
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("siyu starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&members);
    });
    let output = child.wait_with_output().expect("siyu ends");
    let _ = writer.join();
    output
}

#[test]
fn csv_on_stdin_is_read_with_members_format_csv() {
    let case = golden("csv_input");
    let output = run_csv_on_stdin(&["--members-format", "csv", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let expected = std::fs::read_to_string(case.join("expected.jsonl")).expect("expected");
    let parse = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    };
    assert_eq!(parse(&text(&output.stdout)), parse(&expected));
}

#[test]
fn an_input_with_no_valid_snapshot_is_said_plainly_even_when_quiet() {
    // CSV on stdin without `--members-format` is read as JSON Lines: every line is
    // invalid. The run still exits 0 under `--on-invalid skip`, but says so.
    let output = run_csv_on_stdin(&["--quiet", "--errors", "/dev/null"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning: every snapshot of the input was invalid")
            && stderr.contains("`--members-format csv`"),
        "{stderr}"
    );
    // A run with at least one valid snapshot says nothing of the kind.
    let fine = run_csv_on_stdin(&["--members-format", "csv", "--quiet"]);
    assert!(!text(&fine.stderr).contains("every snapshot"));
}
