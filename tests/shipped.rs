//! Shipped material never goes stale: every `.rules` file under `rules/` and
//! `examples/` checks without errors, every `test` block in them passes, and each
//! quadrant playbook, run over `examples/members.jsonl`, does what its method promises:
//! members spread over at least four stages, at least 30% of them get an action, and
//! consent, caps and the holdout each hold some actions back.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use siyu::ast::Level;
use siyu::{AsOf, PlanOptions, Playbook, Reason, Summary};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";
const MEMBERS: &str = "examples/members.jsonl";

/// The four quadrant playbooks and their quadrants (online, frequency).
const QUADRANTS: [(&str, Level, Level); 4] = [
    ("rules/beauty_fmcg.rules", Level::High, Level::High),
    ("rules/restaurant_local.rules", Level::Low, Level::High),
    ("rules/electronics.rules", Level::High, Level::Low),
    ("rules/auto_dealer.rules", Level::Low, Level::Low),
];

fn shipped_files() -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = ["rules", "examples"]
        .into_iter()
        .map(PathBuf::from)
        .filter(|root| root.is_dir())
        .collect();
    siyu::testing::collect_files(&roots).expect("the shipped folders exist")
}

#[test]
fn every_shipped_file_checks_without_errors() {
    let files = shipped_files();
    assert!(
        files.len() >= 12,
        "expected the shipped playbooks and libraries, found {files:?}"
    );
    let mut errors = Vec::new();
    for file in &files {
        let checked = siyu::check::check_file(file);
        for diagnostic in checked.diagnostics.iter().filter(|d| d.is_error()) {
            let json = diagnostic.to_json(&checked.sources);
            errors.push(format!(
                "{}:{}:{}: {} [{}]",
                json.file, json.line, json.column, json.message, json.code
            ));
        }
    }
    assert!(
        errors.is_empty(),
        "shipped files have errors:\n{}",
        errors.join("\n")
    );
}

#[test]
fn every_shipped_test_block_passes() {
    let report = siyu::testing::run_files(&shipped_files());
    let problems: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.file, p.message))
        .collect();
    assert!(
        problems.is_empty(),
        "files whose tests could not run:\n{}",
        problems.join("\n")
    );
    let failures: Vec<String> = report
        .outcomes
        .iter()
        .filter(|o| !o.passed())
        .flat_map(|o| {
            o.failures.iter().map(move |f| {
                format!(
                    "{}:{} \"{}\": {}\n    expected: {}\n    found:    {}",
                    o.file, f.line, o.name, f.expectation, f.expected, f.found
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "failing tests:\n{}",
        failures.join("\n")
    );
    let mut per_playbook: BTreeMap<&str, usize> = BTreeMap::new();
    for outcome in &report.outcomes {
        *per_playbook.entry(outcome.playbook.as_str()).or_default() += 1;
    }
    for (path, _, _) in QUADRANTS {
        let count = per_playbook.get(path).copied().unwrap_or(0);
        assert!(
            count >= 6,
            "`{path}` has {count} test blocks; each playbook ships at least six"
        );
    }
}

/// The summary of one playbook over the sample members, and how many of them got at
/// least one action.
fn run_sample(playbook: &Playbook) -> (Summary, u64) {
    let as_of = AsOf::parse(AS_OF).expect("the as-of time parses");
    let members = File::open(MEMBERS).expect("the sample members exist");
    let mut summary = playbook.summary();
    let mut with_action = 0;
    for item in playbook.plan_lines(BufReader::new(members), as_of, PlanOptions::default()) {
        match item {
            Ok(plan) => {
                if !plan.actions.is_empty() {
                    with_action += 1;
                }
                summary.add_plan(&plan);
            }
            Err(record) => panic!("sample member rejected: {record:?}"),
        }
    }
    (summary, with_action)
}

fn suppressed(summary: &Summary, reason: Reason) -> u64 {
    summary
        .rules()
        .map(|(_, counts)| counts.suppressed(reason))
        .sum()
}

#[test]
fn each_quadrant_playbook_plans_the_sample_members() {
    for (path, online, frequency) in QUADRANTS {
        let playbook = match Playbook::from_file(Path::new(path)) {
            Ok(playbook) => playbook,
            Err(error) => panic!("`{path}` does not load: {error}"),
        };
        assert_eq!(
            playbook.quadrant(),
            (Some(online), Some(frequency)),
            "{path}"
        );
        let (summary, with_action) = run_sample(&playbook);
        let members = summary.members();
        assert_eq!(members, 5_000, "{path}: every sample member is read");
        assert_eq!(
            summary.invalid(),
            0,
            "{path}: every sample member fits the schema"
        );

        let stages: Vec<&str> = summary
            .stages()
            .filter(|(name, count)| *name != "null" && *count > 0)
            .map(|(name, _)| name)
            .collect();
        assert!(stages.len() >= 4, "{path}: members reach only {stages:?}");

        assert!(
            with_action * 10 >= members * 3,
            "{path}: only {with_action} of {members} members get an action"
        );

        assert!(
            suppressed(&summary, Reason::Consent) > 0,
            "{path}: no consent suppression"
        );
        let capped = [Reason::RuleCap, Reason::ChannelCap, Reason::MemberCap]
            .into_iter()
            .map(|reason| suppressed(&summary, reason))
            .sum::<u64>();
        assert!(capped > 0, "{path}: no cap suppression");
        assert!(summary.holdout() > 0, "{path}: nobody held out");
        assert!(
            suppressed(&summary, Reason::Holdout) > 0,
            "{path}: no holdout suppression"
        );
    }
}
