//! Parse + check (+ compile and plan when the playbook is sound) of arbitrary text.
//! Properties: nothing panics, every diagnostic points inside its file and renders,
//! and a playbook that checks without error compiles and plans sample members.
#![no_main]

use libfuzzer_sys::fuzz_target;
use miette_free::render;
use siyu::{AsOf, Playbook};

mod miette_free {
    //! Rendering without a terminal: the diagnostic's JSON form and its `Display`.
    pub fn render(checked: &siyu::check::Checked) {
        for diagnostic in &checked.diagnostics {
            let file = checked.sources.get(diagnostic.span.file);
            assert!(diagnostic.span.start <= diagnostic.span.end, "{diagnostic:?}");
            assert!(diagnostic.span.end as usize <= file.text.len(), "{diagnostic:?}");
            assert!(!diagnostic.message.is_empty());
            let json = diagnostic.to_json(&checked.sources);
            serde_json::to_string(&json).expect("diagnostic serialises");
            let report = diagnostic.report(&checked.sources);
            let _ = format!("{report:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Includes resolve inside a folder that does not exist, so none is found.
    let path = std::path::Path::new("/nonexistent-siyu-fuzz/playbook.rules");
    let checked = siyu::check::check_source("fuzz.rules", Some(path), text);
    render(&checked);
    let _ = siyu::syntax::parse_expression(text, siyu::diagnostics::FileId(0));
    if checked.has_errors() {
        return;
    }
    let Ok(playbook) = Playbook::from_checked(&checked) else {
        return;
    };
    let as_of = AsOf::parse("2026-11-25T09:00:00+08:00").expect("as-of");
    let members = [
        serde_json::json!({"id": "f1"}),
        serde_json::json!({"id": 7, "orders": 1, "spend": 2.5, "tags": ["a", "b"],
            "consent": {"dm": true, "sms": true, "wecom": true}, "nickname": "x",
            "touches": [{"channel": "dm", "at": "2026-11-25T08:00:00+08:00"}]}),
    ];
    for member in &members {
        let _ = playbook.plan(member, as_of);
        if let Ok(trace) = playbook.explain(member, as_of) {
            let _ = trace.to_string();
        }
    }
    if text.contains("test") {
        run_test_blocks(text);
    }
});

/// Runs the playbook's `test` blocks, as `siyu test` does, from a file of its own.
fn run_test_blocks(text: &str) {
    // A folder of its own, so that includes find nothing beside it.
    let folder = std::env::temp_dir().join(format!("siyu-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&folder);
    let path = folder.join("playbook.rules");
    if std::fs::write(&path, text).is_ok() {
        let report = siyu::testing::run_files(&[path.clone()]);
        let _ = report.tally();
        let _ = std::fs::remove_file(&path);
    }
}
