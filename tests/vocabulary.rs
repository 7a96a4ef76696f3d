//! `docs/language.md` lists the functions, verbs and keywords from the tables in
//! `siyu::vocabulary`; this test keeps the list in step with the tables
//! (`SIYU_BLESS=1 cargo test --test vocabulary` rewrites it).

use std::path::Path;

use siyu::vocabulary::{self, Arg, Returns};

const BEGIN: &str = "<!-- vocabulary: generated from src/vocabulary.rs -->\n";
const END: &str = "<!-- vocabulary: end -->\n";

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

#[test]
fn the_language_reference_lists_the_vocabulary() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/language.md");
    let text = std::fs::read_to_string(&path).expect("docs/language.md");
    let start = text.find(BEGIN).expect("the generated block's first line") + BEGIN.len();
    let end = text.find(END).expect("the generated block's last line");
    let expected = reference();
    if std::env::var_os("SIYU_BLESS").is_some() {
        let updated = format!("{}{expected}{}", &text[..start], &text[end..]);
        std::fs::write(&path, updated).expect("docs/language.md is writable");
        return;
    }
    assert_eq!(
        &text[start..end],
        expected,
        "run `SIYU_BLESS=1 cargo test --test vocabulary`"
    );
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
