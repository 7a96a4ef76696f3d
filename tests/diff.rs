//! `siyu diff` through the built binary, checked against two separate `siyu run`s of the
//! same members: the changed members, the stage moves, the rules gained and lost, the
//! touches per channel, `--out`, `--fail-on-change`, and the refusal of stdin.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

mod support;
use support::{scratch, siyu, text, Scratch};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn members() -> PathBuf {
    root().join("examples/members.jsonl")
}

/// A copy of the shipped rules with `edit` applied to the beauty playbook.
fn edited(name: &str, edit: impl Fn(&str) -> String) -> (Scratch, PathBuf) {
    let folder = scratch(name);
    copy_folder(&root().join("rules"), &folder);
    let path = folder.join("beauty_fmcg.rules");
    let source = std::fs::read_to_string(&path).expect("playbook");
    let changed = edit(&source);
    assert_ne!(changed, source, "the edit changes the playbook");
    std::fs::write(&path, changed).expect("edited playbook");
    (folder, path)
}

fn copy_folder(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("folder");
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn diff(old: &Path, new: &Path, folder: &Path, extra: &[&str]) -> Output {
    siyu()
        .arg("diff")
        .arg(old)
        .arg(new)
        .arg("--ledger")
        .arg(support::empty_ledger(folder))
        .arg("--members")
        .arg(members())
        .args(["--as-of", AS_OF, "--out"])
        .arg(folder.join("changed.jsonl"))
        .arg("--summary")
        .arg(folder.join("diff.json"))
        .args(extra)
        .output()
        .expect("siyu runs")
}

/// The plans of `siyu run` with a new ledger (as `diff` sees an empty one), by member,
/// without the action ids a run with a ledger gives.
fn plans(playbook: &Path, folder: &Path) -> BTreeMap<String, Value> {
    let out = folder.join("plans.jsonl");
    let ledger = folder.join("run-ledger.db");
    let _ = std::fs::remove_file(&ledger);
    let output = siyu()
        .arg("run")
        .arg(playbook)
        .arg("--ledger")
        .arg(&ledger)
        .arg("--members")
        .arg(members())
        .args(["--as-of", AS_OF, "--quiet", "--out"])
        .arg(&out)
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    std::fs::read_to_string(out)
        .expect("plans")
        .lines()
        .map(|line| {
            let mut plan: Value = serde_json::from_str(line).expect("plan JSON");
            for action in plan["actions"].as_array_mut().into_iter().flatten() {
                action.as_object_mut().map(|a| a.remove("id"));
            }
            (plan["member"].as_str().expect("id").to_string(), plan)
        })
        .collect()
}

fn rules_with_actions(plan: &Value) -> BTreeSet<String> {
    plan["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|action| action["rule"].as_str().expect("rule").to_string())
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("file")).expect("JSON")
}

#[test]
fn a_playbook_against_itself_changes_nobody() {
    let folder = scratch("diff-same");
    let beauty = root().join("rules/beauty_fmcg.rules");
    let output = diff(&beauty, &beauty, &folder, &["--fail-on-change"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let summary = read_json(&folder.join("diff.json"));
    assert_eq!(summary["members"], 5000);
    assert_eq!(summary["changed"], 0);
    assert_eq!(summary["stages"], serde_json::json!([]));
    assert_eq!(
        std::fs::read_to_string(folder.join("changed.jsonl")).expect("out"),
        ""
    );
    for (_, counts) in summary["channels"].as_object().expect("channels") {
        assert_eq!(counts["before"], counts["after"]);
    }
}

#[test]
fn a_changed_stage_is_diffed_as_two_runs_show_it() {
    let (folder, new) = edited("diff-stage", |source| {
        source.replace("when orders >= 2\n", "when orders >= 3\n")
    });
    let old = root().join("rules/beauty_fmcg.rules");
    let output = diff(&old, &new, &folder, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let before = plans(&old, &folder);
    let after = plans(&new, &folder);
    let changed: BTreeSet<&String> = before
        .keys()
        .filter(|id| before[*id] != after[*id])
        .collect();
    assert!(!changed.is_empty());
    let summary = read_json(&folder.join("diff.json"));
    assert_eq!(summary["changed"].as_u64(), Some(changed.len() as u64));

    // --out holds exactly the changed members, with both plans as `run` writes them.
    let lines = std::fs::read_to_string(folder.join("changed.jsonl")).expect("out");
    let mut seen = BTreeSet::new();
    for line in lines.lines() {
        let record: Value = serde_json::from_str(line).expect("JSON");
        let id = record["member"].as_str().expect("id").to_string();
        assert_eq!(record["before"], before[&id]);
        assert_eq!(record["after"], after[&id]);
        seen.insert(id);
    }
    assert_eq!(seen.iter().collect::<BTreeSet<_>>(), changed);

    // Stage moves, with examples that really moved.
    let mut moves: BTreeMap<(String, String), u64> = BTreeMap::new();
    for id in &changed {
        let from = before[*id]["stage"].as_str().unwrap_or("null").to_string();
        let to = after[*id]["stage"].as_str().unwrap_or("null").to_string();
        if from != to {
            *moves.entry((from, to)).or_default() += 1;
        }
    }
    let reported: BTreeMap<(String, String), u64> = summary["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|m| {
            for example in m["examples"].as_array().expect("examples") {
                let id = example.as_str().expect("id");
                assert_eq!(before[id]["stage"], m["from"]);
                assert_eq!(after[id]["stage"], m["to"]);
            }
            let key = (
                m["from"].as_str().expect("from").to_string(),
                m["to"].as_str().expect("to").to_string(),
            );
            (key, m["members"].as_u64().expect("count"))
        })
        .collect();
    assert_eq!(reported, moves);

    // Rules gained and lost, per member.
    for (rule, change) in summary["rules"].as_object().expect("rules") {
        let gained = before
            .keys()
            .filter(|id| {
                rules_with_actions(&after[*id]).contains(rule)
                    && !rules_with_actions(&before[*id]).contains(rule)
            })
            .count() as u64;
        let lost = before
            .keys()
            .filter(|id| {
                rules_with_actions(&before[*id]).contains(rule)
                    && !rules_with_actions(&after[*id]).contains(rule)
            })
            .count() as u64;
        assert_eq!(change["gained"].as_u64(), Some(gained), "{rule}");
        assert_eq!(change["lost"].as_u64(), Some(lost), "{rule}");
    }

    // Touches per channel, before and after.
    for (channel, counts) in summary["channels"].as_object().expect("channels") {
        let touches = |plans: &BTreeMap<String, Value>| {
            plans
                .values()
                .flat_map(|plan| plan["actions"].as_array().expect("actions").iter())
                .filter(|action| action["channel"] == channel.as_str())
                .count() as u64
        };
        assert_eq!(
            counts["before"].as_u64(),
            Some(touches(&before)),
            "{channel}"
        );
        assert_eq!(counts["after"].as_u64(), Some(touches(&after)), "{channel}");
    }

    let table = text(&output.stderr);
    assert!(table.contains("repeat_buyer → "), "{table}");

    // The same diff as a page: every stage move, rule change and channel is drawn.
    let page = folder.join("diff.html");
    let drawn = diff(
        &old,
        &new,
        &folder,
        &["--quiet", "--html", page.to_str().expect("path")],
    );
    assert_eq!(drawn.status.code(), Some(0), "{}", text(&drawn.stderr));
    let html = std::fs::read_to_string(&page).expect("the page");
    assert!(html.starts_with("<!DOCTYPE html>") && !html.contains("<script"));
    for (from, to) in moves.keys() {
        assert!(
            html.contains(&format!(">{from} → {to}</text>")),
            "{from} → {to}"
        );
    }
    for (rule, change) in summary["rules"].as_object().expect("rules") {
        if change["gained"] != 0 || change["lost"] != 0 {
            assert!(html.contains(&format!(">{rule}</text>")), "{rule}");
        }
    }
    let failing = diff(&old, &new, &folder, &["--fail-on-change", "--quiet"]);
    assert_eq!(failing.status.code(), Some(1));
    assert!(failing.stderr.is_empty(), "{}", text(&failing.stderr));
}

#[test]
fn a_change_no_plan_line_shows_changes_nobody() {
    // A rule that never fires declared first (every rule's index moves) and the same
    // offset named as a zone: the plan lines are the same bytes, so nobody changed.
    let (folder, new) = edited("diff-invisible", |source| {
        source
            .replace(
                "include \"common.rules\"\n",
                "include \"common.rules\"\n\nrule never_fires { when orders < 0  then tag \"x\" }\n",
            )
            .replace("timezone \"+08:00\"", "timezone \"Asia/Shanghai\"")
    });
    let old = root().join("rules/beauty_fmcg.rules");
    let before = plans(&old, &folder);
    let after = plans(&new, &folder);
    assert_eq!(before, after, "the edit shows in no plan line");
    let output = diff(&old, &new, &folder, &["--fail-on-change"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(read_json(&folder.join("diff.json"))["changed"], 0);
}

/// The fields of a plan line that `siyu diff` compares, by where they are. A field
/// added to plan lines must be compared there too (`same_line` in `src/cli/diff.rs`).
const COMPARED: [(&str, &[&str]); 3] = [
    (
        "plan",
        &[
            "member",
            "stage",
            "holdout",
            "variants",
            "actions",
            "suppressed",
        ],
    ),
    (
        "action",
        &[
            "rule", "verb", "channel", "content", "at", "priority", "args",
        ],
    ),
    ("suppression", &["rule", "reason", "channel"]),
];

#[test]
fn the_diff_compares_every_field_a_plan_line_holds() {
    let folder = scratch("diff-fields");
    let plans = plans(&root().join("rules/beauty_fmcg.rules"), &folder);
    let keys = |value: &Value| -> BTreeSet<String> {
        value
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect()
    };
    let allowed = |kind: &str| -> BTreeSet<String> {
        COMPARED
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, fields)| fields.iter().map(|f| f.to_string()).collect())
            .expect("a kind")
    };
    let (mut actions, mut suppressions) = (0, 0);
    for plan in plans.values() {
        assert!(keys(plan).is_subset(&allowed("plan")), "{plan}");
        for action in plan["actions"].as_array().expect("actions") {
            assert!(keys(action).is_subset(&allowed("action")), "{action}");
            actions += 1;
        }
        for suppression in plan["suppressed"].as_array().expect("suppressed") {
            assert!(
                keys(suppression).is_subset(&allowed("suppression")),
                "{suppression}"
            );
            suppressions += 1;
        }
    }
    assert!(actions > 0 && suppressions > 0);
}

#[test]
fn a_renamed_rule_is_a_loss_and_a_gain() {
    let (folder, new) = edited("diff-rename", |source| {
        source.replace("flash_sale_group", "flash_sale_group_v2")
    });
    let old = root().join("rules/beauty_fmcg.rules");
    let output = diff(&old, &new, &folder, &["--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let summary = read_json(&folder.join("diff.json"));
    let rules = &summary["rules"];
    let reached = rules["flash_sale_group_v2"]["gained"]
        .as_u64()
        .expect("gained");
    assert!(reached > 0);
    assert_eq!(rules["flash_sale_group"]["lost"].as_u64(), Some(reached));
    assert_eq!(rules["flash_sale_group"]["gained"], 0);
}

#[test]
fn stdin_is_refused_since_the_members_are_read_twice() {
    let beauty = root().join("rules/beauty_fmcg.rules");
    let output = siyu()
        .arg("diff")
        .arg(&beauty)
        .arg(&beauty)
        .args(["--members", "-", "--as-of", AS_OF])
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("not stdin"));
}
