//! `siyu test` through the built binary: passing and failing tests, what a failure
//! prints, tests written in an included library, a library given alone, the default
//! as-of time, a playbook with errors, and exit codes.

use std::path::Path;
use std::process::Output;

mod support;

const LIBRARY: &str = r#"
channel dm "私信" {
  consent consent.dm
  window 10:00-21:00
  cap 1 per 1d
}

segment buyer = orders >= 1

rule hello "问候" {
  when not buyer
  then send "hi" via dm
}

test "the shared greeting reaches a non-buyer" {
  as_of 2026-11-25T09:00:00+08:00
  member { id: "l1", orders: 0, consent: { dm: true } }
  expect action hello via dm at 10:00
}
"#;

const SHOP: &str = r#"
playbook "shop" { timezone "+08:00" }

include "lib.rules"

member {
  id: string
  orders: int
  consent: { dm: bool }
}

stage customer when buyer
stage fan otherwise

test "a buyer is a customer" {
  member { id: "s1", orders: 2, consent: { dm: false } }
  expect stage customer
  expect no action hello
}

test "a fan without DM consent is greeted" {
  as_of 2026-11-25T09:00:00+08:00
  member { id: "s2", orders: 0, consent: { dm: false } }
  expect stage fan
  expect action hello
}

test "a snapshot without orders is rejected" {
  member { id: "s3", consent: { dm: true } }
  expect invalid
}
"#;

fn siyu(args: &[&str]) -> Output {
    support::siyu().args(args).output().expect("siyu runs")
}

fn scratch(name: &str, files: &[(&str, &str)]) -> support::Scratch {
    support::scratch_with(name, files)
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn last_line(output: &Output) -> String {
    stdout(output)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_shipped_playbooks_pass_their_tests() {
    let output = siyu(&["test", "rules"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let tally = last_line(&output);
    assert!(tally.ends_with(" passed, 0 failed"), "{tally}");
    let passed: usize = tally
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 24, "{tally}");
}

#[test]
fn a_failure_says_what_was_expected_and_what_happened() {
    let dir = scratch("failure", &[("lib.rules", LIBRARY), ("shop.rules", SHOP)]);
    let output = siyu(&["test", path(&dir)]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("FAIL  "), "{text}");
    assert!(text.contains("shop.rules:"), "{text}");
    assert!(
        text.contains("\"a fan without DM consent is greeted\""),
        "{text}"
    );
    assert!(text.contains("expect action hello"), "{text}");
    assert!(text.contains("expected: an action of `hello`"), "{text}");
    assert!(
        text.contains("found:    `hello`: suppressed: consent on `dm`"),
        "{text}"
    );
    // The library's own test ran once, inside the playbook that includes it.
    assert_eq!(last_line(&output), "3 passed, 1 failed");
}

#[test]
fn a_library_test_is_reported_with_the_playbook_it_ran_in() {
    let dir = scratch("verbose", &[("lib.rules", LIBRARY), ("shop.rules", SHOP)]);
    let output = siyu(&["test", "--verbose", path(&dir.join("shop.rules"))]);
    let text = stdout(&output);
    let library_line = text
        .lines()
        .find(|line| line.contains("the shared greeting"))
        .unwrap_or_default();
    assert!(library_line.starts_with("ok    "), "{text}");
    assert!(library_line.contains("lib.rules:"), "{library_line}");
    assert!(library_line.contains("(in "), "{library_line}");
    assert!(library_line.contains("shop.rules)"), "{library_line}");
}

#[test]
fn a_library_alone_cannot_run_its_tests() {
    let dir = scratch("library", &[("lib.rules", LIBRARY), ("shop.rules", SHOP)]);
    let output = siyu(&["test", path(&dir.join("lib.rules"))]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("no playbook given includes it"), "{text}");
    assert_eq!(last_line(&output), "0 passed, 1 failed");
}

#[test]
fn the_default_as_of_is_nine_in_the_morning_in_the_playbook_zone() {
    let playbook = r#"
playbook "tokyo" { timezone "Asia/Tokyo" }
member { id: string }
channel note { window 08:00-20:00 }
rule hello { then send "おはよう" via note }
test "planned at the default as-of" {
  member { id: "t1" }
  expect action hello via note at 09:00
  expect holdout false
}
"#;
    let dir = scratch("zone", &[("tokyo.rules", playbook)]);
    let output = siyu(&["test", path(&dir.join("tokyo.rules"))]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(last_line(&output), "1 passed, 0 failed");
}

#[test]
fn held_out_members_are_tested_too() {
    let playbook = r#"
playbook "control" {}
member { id: string }
rule hello { then tag "hi" }
policy { holdout 100% }
test "everyone is in the control group" {
  member { id: "c1" }
  expect holdout true
  expect suppressed hello reason holdout
  expect no action hello
}
"#;
    let dir = scratch("holdout", &[("control.rules", playbook)]);
    let output = siyu(&["test", path(&dir.join("control.rules"))]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(last_line(&output), "1 passed, 0 failed");
}

#[test]
fn a_playbook_with_errors_fails_and_shows_them() {
    let playbook = r#"
playbook "broken" {}
member { id: string, orders: int }
stage buyer when ordrs >= 1
test "never runs" {
  member { id: "b1", orders: 1 }
  expect stage buyer
}
"#;
    let dir = scratch("broken", &[("broken.rules", playbook)]);
    let output = siyu(&["test", path(&dir.join("broken.rules"))]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("the playbook has 1 error"),
        "{}",
        stdout(&output)
    );
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(errors.contains("did you mean `orders`?"), "{errors}");
    assert_eq!(last_line(&output), "0 passed, 1 failed");
}

#[test]
fn usage_errors_exit_with_two() {
    assert_eq!(siyu(&["test"]).status.code(), Some(2));
    let missing = siyu(&["test", "no/such/playbook.rules"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot find `no/such/playbook.rules`")
    );
}
