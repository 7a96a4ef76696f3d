//! Every example of docs/repl.md runs as documented: the command that starts the
//! session, the session transcript (each input typed, each output line shown), and the
//! piped script.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

mod support;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced code blocks of a Markdown text, each as (first line number, lines).
fn blocks(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let mut open: Option<(usize, Vec<String>)> = None;
    for (number, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            match open.take() {
                Some(block) => found.push(block),
                None => open = Some((number + 2, Vec::new())),
            }
        } else if let Some((_, lines)) = &mut open {
            lines.push(line.to_string());
        }
    }
    found
}

/// A shell command written over lines ending in `\`, as one line.
fn joined(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| l.trim_end_matches('\\').trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An input typed at a `siyu ID> ` prompt, with the lines it continues on (while a
/// brace is open), and the output lines shown after it.
struct Transcript {
    inputs: Vec<String>,
    shown: Vec<String>,
}

fn transcript(lines: &[String]) -> Transcript {
    let mut inputs: Vec<String> = Vec::new();
    let mut shown = Vec::new();
    let mut depth = 0i32;
    for line in lines {
        if depth > 0 {
            let last = inputs.last_mut().expect("an input is open");
            last.push('\n');
            last.push_str(line);
        } else if let Some(input) = line
            .strip_prefix("siyu ")
            .and_then(|rest| rest.split_once("> "))
            .map(|(_, input)| input)
        {
            inputs.push(input.to_string());
        } else {
            shown.push(line.trim_end().to_string());
            continue;
        }
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
    }
    Transcript { inputs, shown }
}

fn run_repl(args: &[String], script: &str) -> (String, String, Option<i32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_siyu"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("SIYU_HISTORY", support::scratch("history").join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("siyu runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes()).expect("script written");
    }
    let output = child.wait_with_output().expect("siyu ends");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code(),
    )
}

#[test]
fn every_example_of_the_repl_guide_runs_as_shown() {
    let text = std::fs::read_to_string(root().join("docs/repl.md")).expect("docs/repl.md");
    let blocks = blocks(&text);
    let start = blocks
        .iter()
        .find(|(_, lines)| lines.first().is_some_and(|l| l.starts_with("siyu repl ")))
        .expect("the command that starts a session");
    let command = joined(&start.1);
    let args: Vec<String> = command
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect();

    let session = blocks
        .iter()
        .find(|(_, lines)| lines.iter().any(|l| l.starts_with("siyu m")))
        .expect("the session transcript");
    let Transcript { inputs, shown } = transcript(&session.1);
    assert!(inputs.len() >= 8, "inputs of the session: {inputs:?}");
    let script = inputs.join("\n") + "\n";
    let (stdout, stderr, code) = run_repl(&args, &script);
    let everything = format!("{stdout}\n{stderr}");
    let mut checked = 0;
    for line in &shown {
        if line.trim().is_empty() || line.contains('…') {
            continue;
        }
        assert!(
            everything.lines().any(|out| out.trim_end() == line),
            "docs/repl.md:{}: `{line}` is not in what the session printed:\n{everything}",
            session.0
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} output lines were compared");
    // The transcript shows one mistake (`spned`), so the piped session exits 1.
    let mistakes = shown
        .iter()
        .filter(|l| l.trim_start().starts_with('×'))
        .count();
    assert_eq!(mistakes, 1);
    assert_eq!(code, Some(1), "{stderr}");

    let piped = blocks
        .iter()
        .find(|(_, lines)| lines.first().is_some_and(|l| l.starts_with("printf ")))
        .expect("the piped script");
    let line = joined(&piped.1);
    let binary = Path::new(env!("CARGO_BIN_EXE_siyu"));
    let folder = binary.parent().expect("the binary's folder");
    let path = format!(
        "{}:{}",
        folder.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("sh")
        .args(["-c", &line])
        .current_dir(root())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("SIYU_HISTORY", support::scratch("history").join("history"))
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "docs/repl.md:{}: {stderr}",
        piped.0
    );
    assert!(stdout.contains("member m0000003 · stage"), "{stdout}");
}
