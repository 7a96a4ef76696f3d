//! The canonical layout of messy inputs (`tests/fmt/*.rules`), compared with insta
//! snapshots (`tests/fmt/snapshots/`). Each input is also checked for idempotence,
//! meaning and comments.

#[path = "fmt/common.rs"]
mod common;

use std::path::{Path, PathBuf};

fn inputs_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fmt")
}

fn snapshot(name: &str) {
    let path = inputs_folder().join(format!("{name}.rules"));
    let text = std::fs::read_to_string(&path).expect("the input exists");
    let formatted = common::format_checked(name, &text);
    insta::with_settings!({
        snapshot_path => inputs_folder().join("snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, formatted);
    });
}

macro_rules! snapshots {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                snapshot(stringify!($name));
            }
        )*

        /// Every input under `tests/fmt/` has its test above.
        #[test]
        fn every_input_has_a_snapshot_test() {
            let known = [$(stringify!($name)),*];
            let mut missing = Vec::new();
            for entry in std::fs::read_dir(inputs_folder()).expect("tests/fmt exists") {
                let path = entry.expect("readable").path();
                if path.extension().is_some_and(|e| e == "rules") {
                    let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                    if !known.contains(&stem.as_str()) {
                        missing.push(stem);
                    }
                }
            }
            assert!(missing.is_empty(), "inputs without a test: {missing:?}");
        }
    };
}

snapshots!(
    blank_lines,
    comments_everywhere,
    crlf,
    empty,
    end_of_file,
    language_example,
    literals,
    nested_block_comments,
    odd_spacing,
    one_line,
    only_comments,
    parentheses,
    strings,
    unicode,
    worked,
);
