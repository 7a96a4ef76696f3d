//! The checker never panics, whatever the text: damaged versions of a real playbook
//! are checked, and every diagnostic is rendered and turned into JSON.

use miette::{GraphicalReportHandler, GraphicalTheme};
use proptest::prelude::*;
use siyu::check::check_source;

const EXAMPLE: &str = include_str!("playbooks/complete_example.rules");

/// Pieces that, dropped anywhere, make interesting damage.
const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "'",
    "=>",
    "x => x",
    "segment s = s\n",
    "stage x otherwise\n",
    "include \"complete_example.rules\"\n",
    "matches(city, \"(\")",
    "99999999999999999999",
    "24:60",
    "0d",
    "-",
    "not",
    "in",
    "??",
    "member.",
    "\n",
    "当",
    "rule r { then send \"{",
    "window 10:00-10:00",
    "cap 0 per 0d",
    "% ",
    "any(tags, t => t.x.y[0])",
    "tier == \"x\"",
];

fn damaged() -> impl Strategy<Value = String> {
    let edits = prop::collection::vec(
        (0..EXAMPLE.len(), 0usize..40, prop::sample::select(PIECES)),
        1..6,
    );
    edits.prop_map(|edits| {
        let mut text = EXAMPLE.to_string();
        for (at, remove, piece) in edits {
            let mut start = at.min(text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + remove).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(start..end, piece);
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, .. ProptestConfig::default() })]

    #[test]
    fn damaged_playbooks_are_checked_without_panicking(text in damaged()) {
        let checked = check_source("damaged.rules", Some(std::path::Path::new("tests/playbooks/damaged.rules")), &text);
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(80);
        for diagnostic in &checked.diagnostics {
            let file = checked.sources.get(diagnostic.span.file);
            prop_assert!(diagnostic.span.start <= diagnostic.span.end);
            prop_assert!(diagnostic.span.end as usize <= file.text.len());
            prop_assert!(!diagnostic.message.is_empty());
            if diagnostic.code.starts_with("siyu::check::") {
                prop_assert!(!diagnostic.message.contains('\n'), "one line: {}", diagnostic.message);
            }
            let mut out = String::new();
            prop_assert!(handler.render_report(&mut out, &diagnostic.report(&checked.sources)).is_ok());
            let _ = diagnostic.to_json(&checked.sources);
        }
    }
}
