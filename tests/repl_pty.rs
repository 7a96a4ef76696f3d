//! `siyu repl` on a real pseudo-terminal: Tab completion of a rule name, a channel
//! and a field, a block continued over lines, Ctrl-C clearing the line, Up recalling
//! history (within a session and from the history file in the next one), Ctrl-D and
//! `:quit` leaving with 0. Timeouts are generous; nothing here measures time.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rexpect::process::wait::WaitStatus;
use rexpect::session::{spawn_command, PtySession};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";
const TIMEOUT_MS: u64 = 60_000;
const UP: &str = "\x1b[A";
/// What `:stage` shows for w1 (ASCII only: the pty is read byte by byte).
const STAGE_SHOWN: &str = "new_fan: days_since_follow <= 7 and orders == 0 is true";

fn history_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("siyu-repl-pty-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let file = dir.join("history");
    let _ = std::fs::remove_file(&file);
    file
}

/// `siyu repl` on the worked example, its first member current.
fn start(history: &Path) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_siyu"));
    command
        .args([
            "repl",
            "tests/golden/worked/playbook.rules",
            "--members",
            "tests/golden/worked/members.jsonl",
            "--as-of",
            AS_OF,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("SIYU_HISTORY", history);
    let mut session = spawn_command(command, Some(TIMEOUT_MS)).expect("siyu starts on a pty");
    session.exp_string("siyu w1> ").expect("the first prompt");
    session
}

/// Sends keys and flushes them to the terminal.
fn type_keys(session: &mut PtySession, keys: &str) {
    session.send(keys).expect("keys sent");
    session.flush().expect("keys flushed");
}

/// Waits for a fresh prompt on a line of its own, so that keys typed next reach the
/// next line read (keys typed ahead of a Ctrl-C are dropped with the line).
fn next_prompt(session: &mut PtySession) {
    session
        .exp_regex(r"\n[^\n]*siyu w1> ")
        .expect("a fresh prompt");
}

fn assert_left_with_zero(mut session: PtySession) {
    session.exp_eof().expect("the REPL leaves");
    let status = session.process.wait().expect("exit status");
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "exit status: {status:?}"
    );
}

#[test]
fn completion_multi_line_input_ctrl_c_history_and_ctrl_d() {
    let history = history_file("keys");
    let mut session = start(&history);

    // Tab completes a rule name after `:show`.
    type_keys(&mut session, ":show big_sp\t\r");
    session
        .exp_string("rule big_spender \"")
        .expect("the completed rule is shown");
    next_prompt(&mut session);

    // A block stays open over lines; Tab completes a channel after `via`.
    type_keys(&mut session, "rule r2 {\r");
    type_keys(&mut session, "  then send \"hi\" via we\t\r");
    type_keys(&mut session, "}\r");
    session
        .exp_string("added rule r2")
        .expect("the rule is added");
    next_prompt(&mut session);

    // Ctrl-C clears the line: what follows is a command of its own.
    type_keys(&mut session, "spend + 424242");
    session.send_control('c').expect("Ctrl-C");
    next_prompt(&mut session);
    type_keys(&mut session, ":stage\r");
    session.exp_string(STAGE_SHOWN).expect("the stage");
    next_prompt(&mut session);

    // Up recalls the last input.
    type_keys(&mut session, UP);
    type_keys(&mut session, "\r");
    session.exp_string(STAGE_SHOWN).expect("the stage again");
    next_prompt(&mut session);

    // Tab completes a field.
    type_keys(&mut session, "days_s\t * 1000 + 7\r");
    session.exp_string("2007").expect("the value");
    next_prompt(&mut session);

    // Ctrl-D on an empty line leaves, and the history is saved.
    session.send_control('d').expect("Ctrl-D");
    assert_left_with_zero(session);
    let saved = std::fs::read_to_string(&history).expect("history saved");
    assert!(saved.contains("days_since_follow * 1000 + 7"), "{saved}");
    assert!(
        !saved.contains("424242"),
        "a cleared line is not history: {saved}"
    );

    // The next session recalls it with Up.
    let mut session = start(&history);
    type_keys(&mut session, UP);
    type_keys(&mut session, "\r");
    session
        .exp_string("2007")
        .expect("the value from the last session");
    next_prompt(&mut session);
    type_keys(&mut session, ":quit\r");
    assert_left_with_zero(session);
}
