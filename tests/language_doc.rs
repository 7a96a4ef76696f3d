//! Every code block of `docs/language.md` is playbook text that siyu reads (but the one
//! in Python that recomputes the experiments' hash): each block parses, and each whole
//! playbook (a block with a `playbook` declaration) checks without errors and passes its
//! own `test` blocks, if it has any.

use std::path::Path;

use siyu::{check_source, testing};

mod support;
use support::scratch_with;

/// The fenced code blocks of a Markdown text: (line of the opening fence, info string,
/// contents).
fn code_blocks(markdown: &str) -> Vec<(usize, String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (number, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut open, fence) {
            (None, Some(info)) => open = Some((number + 1, info.trim().to_string(), String::new())),
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some((_, _, text)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    blocks
}

fn language_md() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md");
    std::fs::read_to_string(path).expect("docs/language.md")
}

#[test]
fn every_code_block_is_playbook_text_that_parses() {
    let blocks = code_blocks(&language_md());
    assert!(blocks.len() >= 10, "the reference shows its declarations");
    for (line, info, text) in &blocks {
        // The experiments' hash is also shown in Python, for anyone to recompute.
        if info == "python" {
            continue;
        }
        assert_eq!(info, "rules", "the block at line {line} is marked `rules`");
        let report = check_source(&format!("language.md:{line}"), None, text);
        let syntax: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.code.starts_with("siyu::syntax::"))
            .map(|d| d.message.clone())
            .collect();
        assert!(
            syntax.is_empty(),
            "the block at line {line} does not parse: {syntax:?}"
        );
    }
}

#[test]
fn every_whole_playbook_checks_and_passes_its_tests() {
    let whole: Vec<(usize, String)> = code_blocks(&language_md())
        .into_iter()
        .filter(|(_, _, text)| text.lines().any(|l| l.starts_with("playbook \"")))
        .map(|(line, _, text)| (line, text))
        .collect();
    assert!(!whole.is_empty(), "the reference shows a whole playbook");
    let mut tested = 0;
    for (line, text) in whole {
        let report = check_source(&format!("language.md:{line}"), None, &text);
        let errors: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        assert!(errors.is_empty(), "the playbook at line {line}: {errors:?}");
        if !text.lines().any(|l| l.starts_with("test \"")) {
            continue;
        }
        tested += 1;
        let folder = scratch_with("language-doc", &[("playbook.rules", &text)]);
        let tests = testing::run_tests(&folder.join("playbook.rules"));
        assert!(
            tests.problems.is_empty(),
            "the playbook at line {line} runs"
        );
        assert!(
            tests.passed() > 0,
            "the tests of the playbook at line {line} ran"
        );
        assert_eq!(
            tests.failed(),
            0,
            "the tests of the playbook at line {line}: {:?}",
            tests
                .outcomes
                .iter()
                .filter(|o| !o.passed())
                .map(|o| &o.name)
                .collect::<Vec<_>>()
        );
    }
    assert!(tested > 0, "a whole playbook with tests is shown");
}
