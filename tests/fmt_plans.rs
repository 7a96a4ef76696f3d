//! Formatting keeps what a playbook does: the shipped playbooks (`rules/*.rules`),
//! formatted, must give byte-identical plans for the sample members.
//!
//! This needs the evaluator (`siyu::Playbook::from_source`, `plan_lines`), which does
//! not exist yet. When it does, the test goes here: for each file under `rules/`, plan
//! `examples/members.jsonl` at a fixed `--as-of` with the file as written and with its
//! formatted text (includes resolved from the same folder), and compare the two outputs
//! byte for byte. Until then, `fmt_properties.rs` checks that formatted text parses to
//! the same tree, which is what planning reads.
