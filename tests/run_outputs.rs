//! `siyu run`'s outputs under stress: closed pipes end the run quietly, and the files
//! given with `--out`, `--errors` and `--summary` appear whole or not at all.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::siyu;

const AS_OF: &str = "2026-11-25T09:00:00+08:00";
const TYPED: &str = include_str!("hostile/typed.rules");
const MEMBERS: &str = include_str!("hostile/typed.jsonl");

/// A fresh folder holding the playbook, for one test.
fn scratch(name: &str) -> support::Scratch {
    support::scratch_with(name, &[("typed.rules", TYPED)])
}

fn entries(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .expect("listing")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Members, valid and not, `copies` times over.
fn members(copies: usize) -> String {
    let mut text = String::new();
    for copy in 0..copies {
        // Each copy its own members (a repeated id would be a duplicate).
        text.push_str(&MEMBERS.replace("\"id\":\"", &format!("\"id\":\"c{copy}-")));
        text.push_str(&format!("{{\"id\":\"broken-{copy}\"}}\n"));
    }
    text
}

fn wait_with_guard(mut child: Child) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waits") {
            return status;
        }
        if started.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("siyu did not finish (hang)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn closed_stdout_and_stderr_end_the_run_quietly() {
    let folder = scratch("pipes");
    std::fs::write(folder.join("members.jsonl"), members(3_000)).expect("members");
    let mut child = siyu()
        .current_dir(&folder)
        .args([
            "run",
            "typed.rules",
            "--members",
            "members.jsonl",
            "--as-of",
            AS_OF,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("siyu starts");
    // Like `siyu run … 2>&1 | head -c 100`: both streams closed after a little output.
    drop(child.stderr.take());
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).expect("some plans");
    drop(stdout);
    let status = wait_with_guard(child);
    assert_eq!(status.code(), Some(0), "no panic, no failure");
    assert!(first.starts_with(b"{\"member\":\"c0-t1\""));
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_closed_stderr_alone_loses_the_messages_not_the_plans() {
    let folder = scratch("stderr");
    std::fs::write(folder.join("members.jsonl"), members(2_000)).expect("members");
    let mut child = siyu()
        .current_dir(&folder)
        .args([
            "run",
            "typed.rules",
            "--members",
            "members.jsonl",
            "--as-of",
            AS_OF,
        ])
        .args(["--out", "plans.jsonl", "--summary", "summary.json"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("siyu starts");
    drop(child.stderr.take());
    let status = wait_with_guard(child);
    assert_eq!(status.code(), Some(0));
    let plans = std::fs::read_to_string(folder.join("plans.jsonl")).expect("plans");
    assert_eq!(plans.lines().count(), 4 * 2_000);
    let summary = std::fs::read_to_string(folder.join("summary.json")).expect("summary");
    let summary: serde_json::Value = serde_json::from_str(&summary).expect("JSON");
    assert_eq!(summary["members"], 5 * 2_000);
    assert_eq!(summary["invalid"], 2_000);
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_failing_run_leaves_no_plan_and_no_summary_that_look_whole() {
    let folder = scratch("fail");
    std::fs::write(folder.join("members.jsonl"), members(50)).expect("members");
    std::fs::write(folder.join("plans.jsonl"), "yesterday's plans\n").expect("old plans");
    let output = siyu()
        .current_dir(&folder)
        .args([
            "run",
            "typed.rules",
            "--members",
            "members.jsonl",
            "--as-of",
            AS_OF,
        ])
        .args(["--out", "plans.jsonl", "--errors", "errors.jsonl"])
        .args([
            "--summary",
            "summary.json",
            "--on-invalid",
            "fail",
            "--quiet",
        ])
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("stopped at line 5"), "{stderr}");
    let plans = std::fs::read_to_string(folder.join("plans.jsonl")).expect("old plans");
    assert_eq!(plans, "yesterday's plans\n", "the old plans are untouched");
    let errors = std::fs::read_to_string(folder.join("errors.jsonl")).expect("errors");
    assert_eq!(errors.lines().count(), 1, "the record that stopped the run");
    assert!(errors.contains("\"line\":5"), "{errors}");
    assert_eq!(
        entries(&folder),
        [
            "errors.jsonl",
            "members.jsonl",
            "plans.jsonl",
            "typed.rules"
        ]
    );
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_successful_run_puts_every_file_in_place_whole() {
    let folder = scratch("success");
    std::fs::write(folder.join("members.jsonl"), members(50)).expect("members");
    std::fs::write(folder.join("plans.jsonl"), "yesterday's plans\n").expect("old plans");
    let output = siyu()
        .current_dir(&folder)
        .args([
            "run",
            "typed.rules",
            "--members",
            "members.jsonl",
            "--as-of",
            AS_OF,
        ])
        .args(["--out", "plans.jsonl", "--errors", "errors.jsonl"])
        .args(["--summary", "summary.json", "--quiet"])
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0));
    let plans = std::fs::read_to_string(folder.join("plans.jsonl")).expect("plans");
    assert_eq!(plans.lines().count(), 200);
    let errors = std::fs::read_to_string(folder.join("errors.jsonl")).expect("errors");
    assert_eq!(errors.lines().count(), 50);
    assert!(folder.join("summary.json").is_file());
    assert_eq!(
        entries(&folder),
        [
            "errors.jsonl",
            "members.jsonl",
            "plans.jsonl",
            "summary.json",
            "typed.rules"
        ]
    );
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_run_killed_midway_leaves_only_a_file_named_partial() {
    let folder = scratch("killed");
    let mut child = siyu()
        .current_dir(&folder)
        .args(["run", "typed.rules", "--members", "-", "--as-of", AS_OF])
        .args(["--out", "plans.jsonl", "--threads", "1", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("siyu starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(members(100).as_bytes())
        .expect("members written");
    stdin.flush().expect("flushed");
    // The input stays open: the run is still going when it is killed.
    let partial = || {
        entries(&folder)
            .into_iter()
            .find(|name| name.starts_with("plans.jsonl.partial-"))
    };
    let started = Instant::now();
    while partial().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{:?}",
            entries(&folder)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("killed");
    let _ = child.wait();
    drop(stdin);
    let partial = partial().expect("the partial file is left");
    assert_eq!(entries(&folder), [partial.as_str(), "typed.rules"]);
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn an_output_through_a_symbolic_link_replaces_the_file_it_points_to() {
    let folder = scratch("link");
    std::fs::write(folder.join("members.jsonl"), MEMBERS).expect("members");
    std::fs::write(folder.join("real.jsonl"), "old\n").expect("old plans");
    std::os::unix::fs::symlink("real.jsonl", folder.join("plans.jsonl")).expect("link");
    let output = siyu()
        .current_dir(&folder)
        .args([
            "run",
            "typed.rules",
            "--members",
            "members.jsonl",
            "--as-of",
            AS_OF,
        ])
        .args(["--out", "plans.jsonl", "--quiet"])
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0));
    let link = std::fs::symlink_metadata(folder.join("plans.jsonl")).expect("link");
    assert!(link.file_type().is_symlink(), "the link stays a link");
    let plans = std::fs::read_to_string(folder.join("real.jsonl")).expect("plans");
    assert_eq!(plans.lines().count(), 4);
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn a_huge_playbook_is_refused_by_the_command_in_plain_words() {
    let folder = scratch("huge");
    let mut text = String::from("playbook \"big\" {}\n");
    text.push_str(&"// filler\n".repeat(siyu::limits::MAX_SOURCE_BYTES / 10 + 1));
    std::fs::write(folder.join("big.rules"), text).expect("written");
    let output = siyu()
        .current_dir(&folder)
        .args(["check", "big.rules"])
        .output()
        .expect("siyu runs");
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the file is larger than 8 MiB"), "{stderr}");
    let _ = std::fs::remove_dir_all(folder);
}
