//! Every diagnostic code has a tiny input under `tests/diagnostics/<code>.rules` (the
//! constant's name in lower case) that triggers it; each is checked and rendered
//! without colour at a fixed width, and compared with its insta snapshot.

use std::path::{Path, PathBuf};

use miette::{GraphicalReportHandler, GraphicalTheme};
use siyu::check::{check_file, Checked};

/// Every code of `diagnostics::codes` (the constant's name in lower case, the code),
/// so that a new code without an input fails the test.
fn codes() -> Vec<(String, String)> {
    siyu::Code::ALL
        .iter()
        .map(|code| (code.constant().to_lowercase(), code.as_str().to_string()))
        .collect()
}

fn input(name: &str) -> PathBuf {
    Path::new("tests/diagnostics").join(format!("{name}.rules"))
}

fn render(checked: &Checked) -> String {
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(80);
    let mut out = String::new();
    for diagnostic in &checked.diagnostics {
        handler
            .render_report(&mut out, &diagnostic.report(&checked.sources))
            .expect("rendering");
        out.push('\n');
    }
    out
}

/// The input of `too_large` is repeated until it exceeds the parser's size limit, so
/// the committed file stays tiny.
fn check(name: &str) -> Checked {
    let path = input(name);
    if name.starts_with("deep_") {
        return deep(&path);
    }
    if name != "too_large" {
        return check_file(&path);
    }
    let unit = std::fs::read_to_string(&path).expect("too_large input");
    let mut text = String::new();
    while text.len() <= siyu::syntax::MAX_SOURCE_BYTES {
        text.push_str(&unit);
    }
    siyu::check::check_source(&path.to_string_lossy(), Some(&path), &text)
}

/// The `check --deep` findings of an input, as a check of it (the playbook's sources).
fn deep(path: &Path) -> Checked {
    let playbook = siyu::Playbook::from_file(path).expect("a deep input compiles");
    let as_of = siyu::AsOf::parse("2026-11-25T09:00:00+08:00").expect("as-of");
    Checked {
        diagnostics: playbook.deep_check(as_of),
        sources: playbook.sources().clone(),
        ..check_file(path)
    }
}

#[test]
fn every_code_has_an_input() {
    let codes = codes();
    assert!(codes.len() >= 40, "found only {} codes", codes.len());
    let missing: Vec<String> = codes
        .iter()
        .filter(|(name, _)| !input(name).is_file())
        .map(|(name, _)| format!("tests/diagnostics/{name}.rules"))
        .collect();
    assert!(missing.is_empty(), "inputs missing: {missing:?}");
}

#[test]
fn every_input_triggers_its_code_and_matches_its_snapshot() {
    let mut failures = Vec::new();
    for (name, code) in codes() {
        if !input(&name).is_file() {
            continue;
        }
        let checked = check(&name);
        if !checked.diagnostics.iter().any(|d| d.code == code) {
            let found: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
            failures.push(format!("{name}: expected {code}, found {found:?}"));
            continue;
        }
        for diagnostic in checked
            .diagnostics
            .iter()
            .filter(|d| d.code.starts_with("siyu::check::") || d.code.starts_with("siyu::deep::"))
        {
            let message = &diagnostic.message;
            let lower = !message.starts_with(|c: char| c.is_uppercase());
            if !lower || message.ends_with('.') || message.contains('\n') {
                failures.push(format!("{name}: message style: {message:?}"));
            }
        }
        let rendered = if name == "too_large" {
            // The source is large; show the diagnostics' codes and messages only.
            checked
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}\n", d.code, d.message))
                .collect()
        } else {
            render(&checked)
        };
        insta::with_settings!({
            snapshot_path => "diagnostics/snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name.as_str(), rendered);
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Inputs beyond one per code, each with the codes it must give: every mistake with an
/// experiment that `check` reports (a variant named twice, a variant named `none`, a
/// share over 100% or finer than a hundredth of a point, an experiment without
/// variants, unknown experiments and variants in a rule's `variant` clause, in
/// `variant(EXP)`, in a literal compared with it and in `expect variant`, each with the
/// closest name).
const MORE: [(&str, &[&str]); 3] = [
    (
        "experiments/duplicate_variant",
        &["siyu::check::duplicate_name"],
    ),
    ("experiments/bad_variants", &["siyu::check::bad_experiment"]),
    (
        "experiments/unknown_names",
        &[
            "siyu::check::unknown_experiment",
            "siyu::check::unknown_variant",
        ],
    ),
];

#[test]
fn more_inputs_give_their_codes_and_match_their_snapshots() {
    for (name, codes) in MORE {
        let checked = check(name);
        for code in codes {
            assert!(
                checked.diagnostics.iter().any(|d| d.code == *code),
                "{name}: expected {code}"
            );
        }
        let snapshot = name.replace('/', "_");
        insta::with_settings!({
            snapshot_path => "diagnostics/snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(snapshot.as_str(), render(&checked));
        });
    }
}
