//! `docs/language.md` lists the functions, verbs and keywords from the tables in
//! `siyu::vocabulary`, and every diagnostic code from `Code::ALL`; these tests keep the
//! lists in step with the tables (`SIYU_BLESS=1 cargo test --test vocabulary` rewrites
//! them).

use std::path::Path;

use siyu::vocabulary::{self, Arg, Returns};
use siyu::Code;

const BEGIN: &str = "<!-- vocabulary: generated from src/vocabulary.rs -->\n";
const END: &str = "<!-- vocabulary: end -->\n";
const CODES_BEGIN: &str = "<!-- diagnostics: generated from src/diagnostics/codes.rs -->\n";
const CODES_END: &str = "<!-- diagnostics: end -->\n";

fn arg(arg: Arg) -> &'static str {
    match arg {
        Arg::Number => "number",
        Arg::Text => "string",
        Arg::TextOrList => "string or list",
        Arg::Duration => "duration",
        Arg::List => "list",
        Arg::Condition => "x => condition",
        Arg::Pattern => "pattern literal",
        Arg::Experiment => "experiment name",
        _ => "value",
    }
}

fn returns(returns: Returns) -> &'static str {
    match returns {
        Returns::Int => "int",
        Returns::Text => "string",
        Returns::Bool => "bool",
        Returns::SameNumber => "its argument's type",
        Returns::WiderNumber => "int, or float if either is",
        _ => "value",
    }
}

fn reference() -> String {
    let mut out = String::from("### Functions\n\n| function | arguments | gives | example | what it does |\n|---|---|---|---|---|\n");
    for function in vocabulary::FUNCTIONS {
        let args: Vec<&str> = function.args.iter().map(|a| arg(*a)).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | `{}` | {} |\n",
            function.name,
            args.join(", "),
            returns(function.returns),
            function.usage.replace('|', "\\|"),
            function.doc
        ));
    }
    out.push_str("\n### Verbs\n\n| verb | touch (needs `via`) | what it does |\n|---|---|---|\n");
    for verb in vocabulary::VERBS {
        let touch = if verb.is_touch() { "yes" } else { "no" };
        out.push_str(&format!(
            "| `{}` | {touch} | {} |\n",
            verb.name(),
            verb.doc()
        ));
    }
    let words = |list: &[&str]| {
        list.iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    out.push_str("\n### Keywords\n\n");
    out.push_str(&format!(
        "- declarations: {}\n",
        words(&vocabulary::DECLARATION_KEYWORDS)
    ));
    out.push_str(&format!(
        "- clauses: {}\n",
        words(&vocabulary::CLAUSE_KEYWORDS)
    ));
    out.push_str(&format!(
        "- expressions: {}\n",
        words(&vocabulary::EXPRESSION_KEYWORDS)
    ));
    out.push_str(&format!("- tests: {}\n", words(&vocabulary::TEST_KEYWORDS)));
    out
}

/// The table of diagnostic codes: each code and what triggers it.
fn codes() -> String {
    let mut out = String::from("| code | what triggers it |\n|---|---|\n");
    for code in Code::ALL {
        let doc = code.doc().split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_str(&format!(
            "| `{}` | {} |\n",
            code.as_str(),
            doc.replace('|', "\\|")
        ));
    }
    out
}

/// Checks that the block of `docs/language.md` between `begin` and `end` is `expected`,
/// or rewrites it under `SIYU_BLESS`.
fn generated_block(begin: &str, end: &str, expected: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md");
    let text = std::fs::read_to_string(&path).expect("docs/language.md");
    let start = text.find(begin).expect("the generated block's first line") + begin.len();
    let stop = text.find(end).expect("the generated block's last line");
    if std::env::var_os("SIYU_BLESS").is_some() {
        let updated = format!("{}{expected}{}", &text[..start], &text[stop..]);
        std::fs::write(&path, updated).expect("docs/language.md is writable");
        return;
    }
    assert_eq!(
        &text[start..stop],
        expected,
        "run `SIYU_BLESS=1 cargo test --test vocabulary`"
    );
}

// One test for both blocks, so that blessing never has two threads rewriting the file.
#[test]
fn the_language_reference_lists_the_vocabulary_and_every_diagnostic_code() {
    generated_block(BEGIN, END, &reference());
    generated_block(CODES_BEGIN, CODES_END, &codes());
}

#[test]
fn every_function_has_its_documentation() {
    for function in vocabulary::FUNCTIONS {
        assert!(!function.doc.is_empty() && function.usage.starts_with(function.name));
        assert_eq!(
            vocabulary::function_named(function.name).map(|f| f.arity()),
            Some(function.args.len())
        );
    }
}
