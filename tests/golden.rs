//! Golden cases: each folder under `tests/golden/` holds `playbook.rules`, the members
//! (`members.jsonl` or `members.csv`), `as_of.txt`, the expected plans
//! (`expected.jsonl`) and, where some snapshots get no plan, the expected error records
//! (`expected_errors.jsonl`). Plans and records are compared as parsed JSON (key order
//! aside), and must be the same with one worker thread and with two.
//!
//! `SIYU_BLESS=1 cargo test --test golden` rewrites the expectations from what the
//! engine prints; review every rewritten file against the language description.

use std::fs;
use std::path::{Path, PathBuf};

use siyu::{AsOf, InputFormat, PlanOptions, Playbook};

struct Outcome {
    plans: Vec<String>,
    errors: Vec<String>,
}

fn run_case(dir: &Path, threads: usize) -> Result<Outcome, String> {
    let playbook = Playbook::from_file(dir.join("playbook.rules")).map_err(|error| {
        let details: Vec<String> = error.reports().iter().map(|r| format!("{r:?}")).collect();
        format!("{error}: {}", details.join("; "))
    })?;
    let as_of_text = fs::read_to_string(dir.join("as_of.txt")).map_err(|e| e.to_string())?;
    let as_of = AsOf::parse(as_of_text.trim()).map_err(|e| e.to_string())?;
    let (path, format) = if dir.join("members.csv").exists() {
        (dir.join("members.csv"), InputFormat::Csv)
    } else {
        (dir.join("members.jsonl"), InputFormat::JsonLines)
    };
    let input = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let options = PlanOptions::default()
        .threads(threads)
        .format(format)
        .chunk_size(3);
    let mut outcome = Outcome {
        plans: Vec::new(),
        errors: Vec::new(),
    };
    for item in playbook.plan_lines(input.as_slice(), as_of, options) {
        match item {
            Ok(plan) => outcome
                .plans
                .push(serde_json::to_string(&plan).map_err(|e| e.to_string())?),
            Err(record) => outcome
                .errors
                .push(serde_json::to_string(&record).map_err(|e| e.to_string())?),
        }
    }
    Ok(outcome)
}

fn read_lines(path: &Path) -> Vec<serde_json::Value> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}: bad expected line {line}: {e}", path.display()))
        })
        .collect()
}

fn compare(
    case: &str,
    what: &str,
    expected: &[serde_json::Value],
    actual: &[String],
    failures: &mut Vec<String>,
) {
    let actual: Vec<serde_json::Value> = actual
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or(serde_json::Value::Null))
        .collect();
    if expected.len() != actual.len() {
        failures.push(format!(
            "{case}: expected {} {what} lines, got {}:\n{}",
            expected.len(),
            actual.len(),
            actual
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ));
        return;
    }
    for (i, (want, got)) in expected.iter().zip(&actual).enumerate() {
        if want != got {
            failures.push(format!(
                "{case}: {what} line {}:\n  expected {want}\n  got      {got}",
                i + 1
            ));
        }
    }
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/golden exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("playbook.rules").exists())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn golden_cases() {
    let bless = std::env::var_os("SIYU_BLESS").is_some();
    let dirs = cases();
    assert!(
        dirs.len() >= 20,
        "expected at least 20 golden cases, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let case = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = match run_case(dir, 1) {
            Ok(outcome) => outcome,
            Err(error) => {
                failures.push(format!("{case}: {error}"));
                continue;
            }
        };
        match run_case(dir, 2) {
            Ok(parallel)
                if parallel.plans == outcome.plans && parallel.errors == outcome.errors => {}
            Ok(_) => failures.push(format!("{case}: output differs between 1 and 2 threads")),
            Err(error) => failures.push(format!("{case}: {error}")),
        }
        if bless {
            let join =
                |lines: &[String]| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
            fs::write(dir.join("expected.jsonl"), join(&outcome.plans))
                .expect("write expected.jsonl");
            let errors_path = dir.join("expected_errors.jsonl");
            if outcome.errors.is_empty() {
                let _ = fs::remove_file(errors_path);
            } else {
                fs::write(errors_path, join(&outcome.errors)).expect("write expected_errors.jsonl");
            }
            continue;
        }
        let expected = read_lines(&dir.join("expected.jsonl"));
        compare(&case, "plan", &expected, &outcome.plans, &mut failures);
        let expected_errors = read_lines(&dir.join("expected_errors.jsonl"));
        compare(
            &case,
            "error",
            &expected_errors,
            &outcome.errors,
            &mut failures,
        );
    }
    assert!(
        failures.is_empty(),
        "{} golden failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
