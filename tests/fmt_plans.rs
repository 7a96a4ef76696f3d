//! Formatting keeps what a playbook does. Every shipped playbook (`rules/*.rules`) is
//! first messed up (indentation stripped and replaced by odd amounts of spaces and tabs,
//! blank lines doubled, trailing spaces added), then formatted; the formatted text must be
//! the canonical text we ship, and both the messy and the formatted copy must plan the
//! sample members (`examples/members.jsonl`) into byte-identical plan lines.

use std::fs;
use std::path::{Path, PathBuf};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

/// How many sample members each pair of runs plans (the first lines of the file).
const MEMBERS: usize = 1_500;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of `text` with the same tokens and a different layout: a deterministic mix of
/// indentation, blank lines and trailing spaces that the canonical layout removes.
fn mess_up(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for (number, line) in text.lines().enumerate() {
        let body = line.trim_start();
        let indent = match number % 4 {
            0 => "",
            1 => "\t",
            2 => "       ",
            _ => " \t  ",
        };
        out.push_str(indent);
        out.push_str(body);
        if number % 3 == 0 && !body.is_empty() && !body.starts_with("//") {
            out.push_str("   ");
        }
        out.push('\n');
        if body.is_empty() {
            out.push('\n');
        }
    }
    out
}

/// Copies every `.rules` file under `from` into `to`, transformed by `change`.
fn copy_tree(from: &Path, to: &Path, change: &dyn Fn(&str) -> String) {
    fs::create_dir_all(to).expect("create a temporary folder");
    for entry in fs::read_dir(from).expect("read the rules folder") {
        let path = entry.expect("a folder entry").path();
        let target = to.join(path.file_name().expect("a file name"));
        if path.is_dir() {
            copy_tree(&path, &target, change);
        } else if path.extension().is_some_and(|e| e == "rules") {
            let text = fs::read_to_string(&path).expect("read a playbook");
            fs::write(&target, change(&text)).expect("write a playbook");
        }
    }
}

fn plan_lines(playbook: &Path, members: &str) -> String {
    let playbook = siyu::Playbook::from_file(playbook).expect("the playbook compiles");
    let as_of = siyu::AsOf::parse(AS_OF).expect("a valid as-of");
    let mut out = String::new();
    for item in playbook.plan_lines(members.as_bytes(), as_of, siyu::PlanOptions::default()) {
        match item {
            Ok(plan) => out.push_str(&serde_json::to_string(&plan).expect("a plan serialises")),
            Err(record) => out.push_str(&serde_json::to_string(&record).expect("serialises")),
        }
        out.push('\n');
    }
    out
}

#[test]
fn formatted_playbooks_plan_exactly_like_the_originals() {
    let root = repository();
    let members: String = fs::read_to_string(root.join("examples/members.jsonl"))
        .expect("the sample members")
        .lines()
        .take(MEMBERS)
        .map(|line| format!("{line}\n"))
        .collect();
    let scratch = std::env::temp_dir().join(format!("siyu-fmt-plans-{}", std::process::id()));
    let messy = scratch.join("messy");
    let formatted = scratch.join("formatted");
    copy_tree(&root.join("rules"), &messy, &mess_up);
    copy_tree(&messy, &formatted, &|text| {
        siyu::format::format_source(text).expect("a messy playbook still parses")
    });

    let mut playbooks = 0;
    for entry in fs::read_dir(root.join("rules")).expect("read rules/") {
        let path = entry.expect("an entry").path();
        let text = match fs::read_to_string(&path) {
            Ok(text) if path.extension().is_some_and(|e| e == "rules") => text,
            _ => continue,
        };
        let name = path.file_name().expect("a file name");
        let canonical = fs::read_to_string(formatted.join(name)).expect("formatted copy");
        assert_eq!(
            canonical,
            text,
            "{}: formatting a messed-up copy must give back the shipped text",
            name.to_string_lossy()
        );
        if !text.contains("\nplaybook ") && !text.starts_with("playbook ") {
            continue; // a library file, included by the playbooks
        }
        let before = plan_lines(&messy.join(name), &members);
        let after = plan_lines(&formatted.join(name), &members);
        assert_eq!(before.lines().count(), MEMBERS);
        assert!(
            before == after,
            "{}: plans differ after formatting",
            name.to_string_lossy()
        );
        playbooks += 1;
    }
    let _ = fs::remove_dir_all(&scratch);
    assert!(
        playbooks >= 4,
        "expected the four quadrant playbooks, found {playbooks}"
    );
}
