//! Experiments through the built binary, on the shipped beauty playbook (its
//! `first_coupon` test) and the sample members: the summary's counts by variant
//! recounted from the plan lines (JSON and the stderr table), the report's section,
//! `siyu diff` of two splits checked against two runs, `explain`, the REPL, and a
//! playbook without experiments that shows none of it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

mod support;
use support::{scratch, siyu, text};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rules(name: &str) -> PathBuf {
    root().join("rules").join(name)
}

fn members() -> PathBuf {
    root().join("examples/members.jsonl")
}

/// What `siyu run` gave: the plan lines, the `--summary` JSON and stderr.
struct Run {
    plans: Vec<Value>,
    summary: Value,
    stderr: String,
}

fn run(playbook: &Path) -> Run {
    let folder = scratch("split-run");
    // A new ledger for each run: the beauty playbook reads members' histories.
    let output = siyu()
        .arg("run")
        .arg(playbook)
        .arg("--ledger")
        .arg(folder.join("ledger.db"))
        .arg("--members")
        .arg(members())
        .args(["--as-of", AS_OF, "--out"])
        .arg(folder.join("plans.jsonl"))
        .arg("--summary")
        .arg(folder.join("summary.json"))
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let plans = std::fs::read_to_string(folder.join("plans.jsonl"))
        .expect("plans")
        .lines()
        .map(|line| serde_json::from_str(line).expect("plan JSON"))
        .collect();
    let summary = std::fs::read_to_string(folder.join("summary.json")).expect("summary");
    Run {
        plans,
        summary: serde_json::from_str(&summary).expect("summary JSON"),
        stderr: text(&output.stderr),
    }
}

/// What the summary should say of one variant, counted from plan lines.
#[derive(Debug, Clone, Default, PartialEq)]
struct Recount {
    members: u64,
    holdout: u64,
    members_with_action: u64,
    actions: u64,
    channels: BTreeMap<String, u64>,
    stages: BTreeMap<String, u64>,
}

fn recount(plans: &[Value], experiment: &str) -> BTreeMap<String, Recount> {
    let mut counts: BTreeMap<String, Recount> = BTreeMap::new();
    for plan in plans {
        let variant = plan["variants"][experiment].as_str().expect("a variant");
        let counts = counts.entry(variant.to_string()).or_default();
        counts.members += 1;
        counts.holdout += u64::from(plan["holdout"] == true);
        let actions = plan["actions"].as_array().expect("actions");
        counts.members_with_action += u64::from(!actions.is_empty());
        counts.actions += actions.len() as u64;
        for action in actions {
            if let Some(channel) = action["channel"].as_str() {
                *counts.channels.entry(channel.to_string()).or_default() += 1;
            }
        }
        let stage = plan["stage"].as_str().unwrap_or("null");
        *counts.stages.entry(stage.to_string()).or_default() += 1;
    }
    counts
}

/// The non-zero counts of a JSON object of counts.
fn nonzero(object: &Value) -> BTreeMap<String, u64> {
    object
        .as_object()
        .expect("an object")
        .iter()
        .map(|(name, n)| (name.clone(), n.as_u64().expect("a count")))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[test]
fn the_summary_breaks_down_members_actions_and_stages_by_variant_as_the_plans_show() {
    let run = run(&rules("beauty_fmcg.rules"));
    let recounted = recount(&run.plans, "first_coupon");
    let variants = run.summary["experiments"]["first_coupon"]
        .as_object()
        .expect("the experiment's counts");
    let names: Vec<&str> = variants.keys().map(String::as_str).collect();
    assert_eq!(names, ["minus20", "minus30", "none"]);
    for (name, counts) in variants {
        let expected = recounted.get(name).cloned().unwrap_or_default();
        let got = Recount {
            members: counts["members"].as_u64().expect("members"),
            holdout: counts["holdout"].as_u64().expect("holdout"),
            members_with_action: counts["members_with_action"].as_u64().expect("with action"),
            actions: counts["actions"].as_u64().expect("actions"),
            channels: nonzero(&counts["channels"]),
            stages: nonzero(&counts["stages"]),
        };
        assert_eq!(got, expected, "variant {name}");
        // The stderr table has the same numbers.
        let row = format!(
            "  {name} {} {} {} {}",
            got.members, got.holdout, got.members_with_action, got.actions
        );
        assert!(
            run.stderr
                .lines()
                .any(|line| squeeze(line).starts_with(&row)),
            "`{row}` in\n{}",
            run.stderr
        );
    }
    // The variants add up to the whole run.
    let sum = |field: &str| -> u64 {
        variants
            .values()
            .map(|c| c[field].as_u64().expect("count"))
            .sum()
    };
    assert_eq!(
        sum("members"),
        run.summary["planned"].as_u64().expect("planned")
    );
    assert_eq!(
        sum("holdout"),
        run.summary["holdout"].as_u64().expect("holdout")
    );
    let stages = run.summary["stages"].as_object().expect("stages");
    let stage_names: Vec<&String> = stages.keys().collect();
    for (stage, total) in stages {
        let by_variant: u64 = variants
            .values()
            .map(|c| c["stages"][stage].as_u64().expect("n"))
            .sum();
        assert_eq!(Some(by_variant), total.as_u64(), "stage {stage}");
    }
    // The table's stage block: one row per stage, one column per variant.
    let table: Vec<String> = run.stderr.lines().map(squeeze).collect();
    let header = table
        .iter()
        .position(|line| line == "stage by first_coupon minus20 minus30 none")
        .unwrap_or_else(|| panic!("the stage block in\n{}", run.stderr));
    for (offset, stage) in stage_names.iter().enumerate() {
        let counts: Vec<String> = names
            .iter()
            .map(|v| variants[*v]["stages"][stage.as_str()].to_string())
            .collect();
        assert_eq!(
            table[header + 1 + offset],
            format!("  {stage} {}", counts.join(" "))
        );
    }
}

/// A line with runs of spaces made one, leading indentation kept.
fn squeeze(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let words: Vec<&str> = line.split_whitespace().collect();
    format!("{}{}", " ".repeat(indent), words.join(" "))
}

/// The page `siyu report` writes for the sample members.
fn report(playbook: &Path) -> String {
    let folder = scratch("experiments-report");
    let page = folder.join("report.html");
    let output = siyu()
        .arg("report")
        .arg(playbook)
        .arg("--ledger")
        .arg(support::empty_ledger(&folder))
        .arg("--members")
        .arg(members())
        .args(["--as-of", AS_OF, "-o"])
        .arg(&page)
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    std::fs::read_to_string(&page).expect("the page")
}

#[test]
fn the_report_shows_each_variant_with_the_summarys_counts() {
    let html = report(&rules("beauty_fmcg.rules"));
    let start = html
        .find("<section id=\"experiments\">")
        .expect("the section");
    let section = &html[start..start + html[start..].find("</section>").expect("its end")];
    assert!(section.contains("首单券力度 first_coupon"), "{section}");
    let summary = run(&rules("beauty_fmcg.rules")).summary;
    for variant in ["minus20", "minus30"] {
        let counts = &summary["experiments"]["first_coupon"][variant];
        let row = format!(
            "<tr><td><code>{variant}</code></td><td class=\"n\">50%</td><td class=\"n\">{} · ",
            counts["members"]
        );
        assert!(section.contains(&row), "{row} in {section}");
        let tail = format!(
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            counts["holdout"], counts["members_with_action"], counts["actions"]
        );
        assert!(section.contains(&tail), "{tail} in {section}");
        let dormant = counts["stages"]["dormant"].as_u64().expect("dormant");
        assert!(section.contains(&format!("<title>{variant}: {dormant}</title>")));
    }
    // Everyone is in a variant, so `none` is left out.
    assert!(!section.contains("<code>none</code>"), "{section}");
}

#[test]
fn a_playbook_without_experiments_shows_none_of_it() {
    let playbook = rules("restaurant_local.rules");
    let run = run(&playbook);
    assert!(run.plans.iter().all(|plan| plan.get("variants").is_none()));
    assert!(run.summary.get("experiments").is_none());
    assert!(!run.stderr.contains("experiment"), "{}", run.stderr);
    assert!(!run.stderr.contains("stage by"), "{}", run.stderr);
    assert!(!report(&playbook).contains("id=\"experiments\""));
    let folder = scratch("experiments-none");
    let trace = explain(&playbook, "m0000002");
    assert!(!trace.contains("experiment"), "{trace}");
    diff(&playbook, &playbook, "--html", &folder.join("diff.html"));
    let html = std::fs::read_to_string(folder.join("diff.html")).expect("the diff page");
    assert!(!html.contains("id=\"variants\""));
}

/// `siyu diff OLD NEW` over the sample members, writing `file` with `option`; its
/// stderr table.
fn diff(old: &Path, new: &Path, option: &str, file: &Path) -> String {
    let ledger = scratch("experiments-diff-ledger");
    let output = siyu()
        .arg("diff")
        .arg(old)
        .arg(new)
        .arg("--ledger")
        .arg(support::empty_ledger(&ledger))
        .arg("--members")
        .arg(members())
        .args(["--as-of", AS_OF, option])
        .arg(file)
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    text(&output.stderr)
}

fn explain(playbook: &Path, id: &str) -> String {
    let ledger = scratch("experiments-explain-ledger");
    let output = siyu()
        .arg("explain")
        .arg(playbook)
        .arg("--ledger")
        .arg(support::empty_ledger(&ledger))
        .arg("--members")
        .arg(members())
        .args(["--id", id, "--as-of", AS_OF])
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn explain_shows_the_bucket_and_the_rules_left_to_another_variant() {
    let trace = explain(&rules("beauty_fmcg.rules"), "m0000002");
    assert!(
        trace.contains(
            "experiment first_coupon: minus20 (bucket 4356 of 10000; minus20 holds buckets 0 to 4999)"
        ),
        "{trace}"
    );
    assert!(
        trace.contains(
            "first_order_dm_30 \"首单券·私信·减30\" (priority 70): skipped, not for variant \
             first_coupon.minus20 (only first_coupon.minus30)"
        ),
        "{trace}"
    );
}

/// The shipped beauty playbook with its split changed, in a scratch folder (its
/// includes pointing back at the shipped files).
fn with_split(folder: &Path, split: &str) -> PathBuf {
    let source = std::fs::read_to_string(rules("beauty_fmcg.rules")).expect("playbook");
    let shipped = "variant minus20 50%\n  variant minus30 50%";
    assert!(source.contains(shipped));
    let included = format!("include \"{}/", rules("").display());
    let changed = source
        .replace(shipped, split)
        .replace("include \"", &included);
    let path = folder.join("beauty_fmcg.rules");
    std::fs::write(&path, changed).expect("the changed playbook");
    path
}

#[test]
fn diff_counts_the_members_who_move_between_variants_as_two_runs_show() {
    let folder = scratch("experiments-diff");
    let old = rules("beauty_fmcg.rules");
    let new = with_split(&folder, "variant minus20 40%\n  variant minus30 50%");
    let table = diff(&old, &new, "--summary", &folder.join("diff.json"));
    let (before, after) = (run(&old).plans, run(&new).plans);
    let mut moved: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (a, b) in before.iter().zip(&after) {
        let (from, to) = (
            &a["variants"]["first_coupon"],
            &b["variants"]["first_coupon"],
        );
        if from != to {
            let key = (
                from.as_str().expect("v").to_string(),
                to.as_str().expect("v").to_string(),
            );
            moved
                .entry(key)
                .or_default()
                .push(a["member"].as_str().expect("id").to_string());
        }
    }
    // Shrinking `minus20` from 50% to 40% moves about a tenth of the members, all from
    // `minus20` to `none`.
    let keys: Vec<&(String, String)> = moved.keys().collect();
    assert_eq!(keys, [&("minus20".to_string(), "none".to_string())]);
    let members = &moved[keys[0]];
    assert!(
        (450..=550).contains(&members.len()),
        "{} moved",
        members.len()
    );
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("diff.json")).expect("diff summary"),
    )
    .expect("JSON");
    assert_eq!(
        summary["variants"],
        serde_json::json!([{
            "experiment": "first_coupon", "from": "minus20", "to": "none",
            "members": members.len(), "examples": members[..3],
        }])
    );
    let row = format!("first_coupon: minus20 → none {}", members.len());
    assert!(
        table
            .lines()
            .any(|line| squeeze(line).trim_start().starts_with(&row)),
        "{row} in\n{table}"
    );
}

#[test]
fn the_repl_evaluates_variant_and_takes_an_experiment() {
    let mut child = siyu()
        .args(["repl", "rules/beauty_fmcg.rules", "--members"])
        .arg(members())
        .args(["--as-of", AS_OF])
        .env("SIYU_HISTORY", scratch("history").join("history"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("siyu runs");
    let script = ":member m0000002\nvariant(first_coupon)\n\
                  experiment tone { variant warm 30%  variant plain 30% }\n\
                  rule tone_tag { variant tone.warm then tag \"warm\" }\n:plan\n";
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes()).expect("script written");
    }
    let output = child.wait_with_output().expect("siyu ends");
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().map(str::trim_end).collect();
    assert!(lines.contains(&"\"minus20\""), "{stdout}");
    assert!(lines.contains(&"added experiment tone"), "{stdout}");
    assert!(lines.contains(&"added rule tone_tag"), "{stdout}");
    let variants = lines
        .iter()
        .find(|line| line.starts_with("  variant first_coupon.minus20, tone."))
        .unwrap_or_else(|| panic!("the plan's variants in\n{stdout}"));
    // The new rule fires exactly for members of `tone.warm`.
    let warm = variants.ends_with("tone.warm");
    assert_eq!(
        lines.iter().any(|l| l.contains("tone_tag tag")),
        warm,
        "{stdout}"
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn expect_variant_passes_for_the_members_variant_and_says_which_it_is_otherwise() {
    // Member `a` is in bucket 338 of `offer` in playbook "p": `small` (0 to 4 999).
    let playbook = "playbook \"p\" {}\nmember { id: string }\n\
                    experiment offer { variant small 50%  variant big 50% }\n\
                    rule r { variant offer.big then tag \"x\" }\n\
                    test \"right\" {\n  member { id: \"a\" }\n  expect variant offer small\n}\n\
                    test \"wrong\" {\n  member { id: \"a\" }\n  expect variant offer none\n}\n";
    let folder = support::scratch_with("experiments-test", &[("offer.rules", playbook)]);
    let output = siyu()
        .arg("test")
        .arg(folder.join("offer.rules"))
        .output()
        .expect("siyu runs");
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("line 11: expect variant offer none"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expected: variant `none` of experiment `offer`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("found:    variant `small` of experiment `offer`"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("1 passed, 1 failed"),
        "{stdout}"
    );
}
