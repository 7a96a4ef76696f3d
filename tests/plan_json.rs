//! `Playbook::plan_lines_json` writes plan lines without building `Plan` values; they
//! must be, byte for byte, what `serde_json` writes for the plans `plan_lines` yields,
//! with the same error records in the same places and the same counts, whatever the
//! thread count and chunk size. Checked on every golden case, on every shipped playbook
//! over the sample members, and on the benchmark playbook.

use std::fs;
use std::path::{Path, PathBuf};

use siyu::{AsOf, InputFormat, PlanOptions, Playbook};

/// What a stream gave: the output as `siyu run` writes it, error lines, counts.
#[derive(Debug, PartialEq)]
struct Written {
    plans: String,
    errors: Vec<String>,
    summary: String,
}

fn through_values(playbook: &Playbook, input: &[u8], as_of: AsOf, options: PlanOptions) -> Written {
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    let mut summary = playbook.summary();
    for item in playbook.plan_lines(input, as_of, options) {
        match item {
            Ok(plan) => {
                serde_json::to_writer(&mut plans, &plan).expect("a plan serialises");
                plans.push(b'\n');
                summary.add_plan(&plan);
            }
            Err(record) => {
                if record.kind != siyu::ErrorKind::Input {
                    summary.add_invalid();
                }
                errors.push(format!("{} after {} bytes", json(&record), plans.len()));
            }
        }
    }
    Written {
        plans: String::from_utf8(plans).expect("plans are UTF-8"),
        errors,
        summary: json(&summary),
    }
}

fn through_json(playbook: &Playbook, input: &[u8], as_of: AsOf, options: PlanOptions) -> Written {
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    let mut summary = playbook.summary();
    for chunk in playbook.plan_lines_json(input, as_of, options) {
        plans.extend_from_slice(&chunk.plans);
        if let Some(record) = &chunk.error {
            errors.push(format!("{} after {} bytes", json(record), plans.len()));
        }
        summary.merge(&chunk.summary);
    }
    Written {
        plans: String::from_utf8(plans).expect("plans are UTF-8"),
        errors,
        summary: json(&summary),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("serialises")
}

fn assert_same(name: &str, playbook: &Playbook, input: &[u8], format: InputFormat, as_of: AsOf) {
    let expected = through_values(
        playbook,
        input,
        as_of,
        PlanOptions::default().format(format),
    );
    assert!(
        !expected.plans.is_empty() || !expected.errors.is_empty(),
        "{name}: nothing planned"
    );
    for threads in [1, 2] {
        for chunk_size in [1, 3, 256] {
            let options = PlanOptions::default()
                .threads(threads)
                .format(format)
                .chunk_size(chunk_size);
            let written = through_json(playbook, input, as_of, options);
            if written != expected {
                let first = written
                    .plans
                    .lines()
                    .zip(expected.plans.lines())
                    .find(|(a, b)| a != b);
                panic!(
                    "{name}, {threads} threads, chunks of {chunk_size}: the JSON path differs\n\
                     first differing line: {first:#?}\nerrors {:?} vs {:?}\nsummary {} vs {}",
                    written.errors, expected.errors, written.summary, expected.summary
                );
            }
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: &Path) -> Playbook {
    Playbook::from_file(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

#[test]
fn golden_cases_write_the_same_bytes() {
    let mut cases = 0;
    for entry in fs::read_dir(root().join("tests/golden")).expect("golden cases") {
        let dir = entry.expect("an entry").path();
        if !dir.join("playbook.rules").exists() {
            continue;
        }
        let playbook = load(&dir.join("playbook.rules"));
        let as_of_text = fs::read_to_string(dir.join("as_of.txt")).expect("as_of.txt");
        let as_of = AsOf::parse(as_of_text.trim()).expect("an as-of time");
        let (path, format) = if dir.join("members.csv").exists() {
            (dir.join("members.csv"), InputFormat::Csv)
        } else {
            (dir.join("members.jsonl"), InputFormat::JsonLines)
        };
        let input = fs::read(&path).expect("members");
        assert_same(&dir.display().to_string(), &playbook, &input, format, as_of);
        cases += 1;
    }
    assert!(cases >= 20, "only {cases} golden cases found");
}

#[test]
fn shipped_playbooks_and_the_benchmark_write_the_same_bytes() {
    let members = fs::read(root().join("examples/members.jsonl")).expect("sample members");
    let as_of = AsOf::parse(AS_OF).expect("an as-of time");
    let mut playbooks = vec![root().join("benches/playbooks/perf20.rules")];
    for entry in fs::read_dir(root().join("rules")).expect("rules/") {
        let path = entry.expect("an entry").path();
        let text = fs::read_to_string(&path).unwrap_or_default();
        if path.extension().is_some_and(|e| e == "rules") && text.contains("\nplaybook ") {
            playbooks.push(path);
        }
    }
    assert!(playbooks.len() >= 5, "{playbooks:?}");
    for path in playbooks {
        let playbook = load(&path);
        let name = path.display().to_string();
        assert_same(&name, &playbook, &members, InputFormat::JsonLines, as_of);
    }
}

#[test]
fn input_errors_blank_lines_and_bad_lines_keep_their_places() {
    let playbook = Playbook::from_source(
        "t.rules",
        r#"
        playbook "t" { timezone "Asia/Shanghai" }
        member { id: string, n: int, when: datetime?, tags: [string]?, o: { x: float }? }
        channel dm { window 10:00-21:00 }
        rule a { when n > 1  then send "n={n}, {when}" via dm with { t: tags, o: o, w: when, f: n / 3, d: 3d } }
        rule b { when n > 2  then tag "\"quoted\" \\ {n}" }
        "#,
    )
    .unwrap_or_else(|error| panic!("{error}: {:?}", error.reports()));
    let input = concat!(
        "{\"id\":\"m1\",\"n\":2,\"when\":\"2026-11-24T10:00:00Z\",\"tags\":[\"a\",\"\\u00e9\\n\"]}\n",
        "\n",
        "{\"id\":\"m2\",\"n\":\"two\"}\n",
        "not json\n",
        "{\"id\":\"m3\",\"n\":5,\"o\":{\"x\":1.5}}\r\n",
        "{\"id\":\"m4\",\"n\":7,\"o\":{\"x\":2}}",
    );
    let as_of = AsOf::parse(AS_OF).expect("an as-of time");
    assert_same(
        "inline",
        &playbook,
        input.as_bytes(),
        InputFormat::JsonLines,
        as_of,
    );
}
