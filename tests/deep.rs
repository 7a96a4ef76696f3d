//! `siyu check --deep`: proven findings, and example members that really do what their
//! finding says when they are planned. A property test generates playbooks, and checks
//! every finding against the planner: examples are planned, and random valid members
//! never reach a stage reported unreachable nor make a rule reported never firing a
//! candidate.

use proptest::prelude::*;
use serde_json::{json, Value};
use siyu::{AsOf, Playbook};

mod support;
use support::{scratch, siyu, text};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

fn as_of() -> AsOf {
    AsOf::parse(AS_OF).expect("as-of")
}

const HEADER: &str = r#"playbook "deep" { timezone "+08:00" }
member {
  id: string,
  orders: int,
  spend: float,
  vip: bool,
  tier: "none" | "silver" | "gold",
  age: int?,
  consent: { dm: bool, sms: bool }
}
channel dm { consent consent.dm  window 09:00-21:00  cap 1 per 1d }
channel sms { consent consent.sms }
channel note { }
"#;

/// Two stages that overlap (`gold` first) and two rules on `dm`, capped at one a day,
/// that a member can both be a candidate of.
const GOLD_AND_BIG: &str = r#"
stage gold when tier == "gold"
stage big when spend >= 1000
stage rest otherwise
rule a { priority 30  then send "a" via dm }
rule b { priority 20  when spend >= 1000  then send "b" via dm }
"#;

fn codes(findings: &[siyu::Diagnostic]) -> Vec<&str> {
    findings.iter().map(|d| d.code).collect()
}

#[test]
fn a_shadowed_stage_and_a_contradictory_rule_are_proven() {
    let source = format!(
        "{HEADER}
stage buyer when orders >= 1
stage vip when orders >= 5
stage fan otherwise
rule never {{ when orders > 5 and orders < 2  then send \"x\" via dm }}
rule vip_care {{ stage vip  then send \"y\" via sms }}
rule first {{ stage fan  when orders > 0  then send \"z\" via sms }}
"
    );
    let playbook = Playbook::from_source("deep.rules", &source).expect("compiles");
    let findings = playbook.deep_check(as_of());
    let unreachable: Vec<_> = findings
        .iter()
        .filter(|d| d.code == "siyu::deep::unreachable_stage")
        .collect();
    assert_eq!(unreachable.len(), 1, "{:?}", codes(&findings));
    assert!(unreachable[0].message.contains("`vip`"));
    assert!(unreachable[0]
        .help
        .as_deref()
        .is_some_and(|h| h.contains("`buyer`")));
    let never: Vec<&str> = findings
        .iter()
        .filter(|d| d.code == "siyu::deep::rule_never_fires")
        .map(|d| d.message.as_str())
        .collect();
    // `never` contradicts itself; `vip_care` is for a stage nobody reaches; `first`
    // wants orders > 0 from `fan`, whose members all have orders < 1.
    assert_eq!(never.len(), 3, "{never:?}");
    for rule in ["`never`", "`vip_care`", "`first`"] {
        assert!(never.iter().any(|m| m.contains(rule)), "{rule}: {never:?}");
    }
}

#[test]
fn nothing_is_proven_where_the_procedure_cannot_decide() {
    // `len`, arithmetic, two fields compared: unknown to the procedure, so no finding.
    let source = format!(
        "{HEADER}
stage a when orders * 2 > 10
stage b when orders > 5
stage c when spend > orders
stage d otherwise
rule r {{ stage b  when len(id) > 100  then send \"x\" via dm }}
"
    );
    let playbook = Playbook::from_source("deep.rules", &source).expect("compiles");
    let findings = playbook.deep_check(as_of());
    assert!(
        !codes(&findings)
            .iter()
            .any(|c| *c == "siyu::deep::unreachable_stage" || *c == "siyu::deep::rule_never_fires"),
        "{:?}",
        codes(&findings)
    );
}

#[test]
fn a_touch_without_consent_is_found() {
    let source = format!(
        "{HEADER}
stage all otherwise
rule r {{ then send \"x\" via note }}
rule t {{ then send \"y\" via dm  then send \"z\" via sms }}
"
    );
    let playbook = Playbook::from_source("deep.rules", &source).expect("compiles");
    let findings: Vec<_> = playbook
        .deep_check(as_of())
        .into_iter()
        .filter(|d| d.code == "siyu::deep::touch_without_consent")
        .collect();
    assert_eq!(findings.len(), 1, "only the channel without consent");
    assert!(findings[0].message.contains("`r`") && findings[0].message.contains("`note`"));
}

/// `siyu check --deep --format json` of the playbook at `path`, which has no errors.
fn deep_json(path: &std::path::Path) -> Value {
    let output = siyu()
        .args(["check", "--deep", "--format", "json", "--as-of", AS_OF])
        .arg(path)
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_str(&text(&output.stdout)).expect("JSON")
}

/// The 1-based line of `path` that starts with `word`.
fn source_line(path: &std::path::Path, word: &str) -> usize {
    let text = std::fs::read_to_string(path).expect("playbook");
    text.lines()
        .position(|l| l.starts_with(word))
        .expect("the line")
        + 1
}

/// Plans `example` through `siyu run` with the playbook at `path`.
fn run_one(path: &std::path::Path, example: &Value) -> Value {
    let folder = path.parent().expect("folder");
    let members = folder.join("example.jsonl");
    std::fs::write(&members, format!("{example}\n")).expect("example");
    let output = siyu()
        .arg("run")
        .arg(path)
        .arg("--members")
        .arg(&members)
        .args(["--as-of", AS_OF, "--quiet"])
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_str(text(&output.stdout).trim()).expect("one plan line")
}

#[test]
fn examples_in_json_do_what_their_findings_say() {
    let folder = scratch("deep-json");
    let path = folder.join("deep.rules");
    let source = format!(
        "{HEADER}{GOLD_AND_BIG}rule c {{ priority 10  stage gold  then send \"c\" via dm }}\n"
    );
    std::fs::write(&path, source).expect("playbook");
    let document = deep_json(&path);
    let diagnostics = document["diagnostics"].as_array().expect("diagnostics");
    let overlap = diagnostics
        .iter()
        .find(|d| d["code"] == "siyu::deep::stage_overlap")
        .expect("gold and big overlap");
    assert_eq!(overlap["severity"], "note");
    let plan = run_one(&path, &overlap["example"]);
    assert_eq!(plan["stage"], "gold", "the earlier stage wins");
    assert!(overlap["example"]["spend"].as_f64().expect("spend") >= 1000.0);

    let budget = diagnostics
        .iter()
        .find(|d| d["code"] == "siyu::deep::touch_budget")
        .expect("three rules on a channel capped at 1");
    assert_eq!(budget["severity"], "warning");
    let plan = run_one(&path, &budget["example"]);
    let capped = plan["suppressed"]
        .as_array()
        .expect("suppressed")
        .iter()
        .filter(|s| s["reason"] == "channel_cap" && s["channel"] == "dm")
        .count();
    assert!(capped >= 1, "{plan}");
    for diagnostic in diagnostics {
        assert!(diagnostic["line"].as_u64().is_some() && diagnostic["help"].is_string());
    }
}

#[test]
fn a_policy_cap_the_candidates_always_exceed_is_found_with_its_example() {
    let folder = scratch("deep-policy");
    let path = folder.join("deep.rules");
    // `dm` allows one touch a day, `sms` any number; the policy allows one in all.
    let source = format!(
        "{HEADER}
stage buyer when orders >= 1
stage fan otherwise
rule a {{ priority 20  stage buyer  then send \"a\" via dm }}
rule b {{ priority 10  then send \"b\" via sms }}
policy {{ max_touches 1 per 1d }}
"
    );
    std::fs::write(&path, source).expect("playbook");
    let document = deep_json(&path);
    let budget = document["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| {
            d["code"] == "siyu::deep::touch_budget"
                && d["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("max_touches"))
        })
        .expect("two touches against a policy of one")
        .clone();
    let policy_line = source_line(&path, "policy");
    assert_eq!(
        budget["line"], policy_line,
        "at the policy's clause: {budget}"
    );
    let plan = run_one(&path, &budget["example"]);
    let member_capped = plan["suppressed"]
        .as_array()
        .expect("suppressed")
        .iter()
        .any(|s| s["reason"] == "member_cap");
    assert!(member_capped, "{plan}");
    // Within the policy, nothing is reported.
    let quiet = Playbook::from_source(
        "deep.rules",
        &format!(
            "{HEADER}
stage fan otherwise
rule a {{ then send \"a\" via dm }}
policy {{ max_touches 1 per 1d }}
"
        ),
    )
    .expect("compiles");
    assert!(codes(&quiet.deep_check(as_of())).is_empty());
}

#[test]
fn text_shows_each_example_on_one_line_and_warnings_before_notes() {
    let folder = scratch("deep-text");
    let path = folder.join("deep.rules");
    let source = format!("{HEADER}{GOLD_AND_BIG}");
    std::fs::write(&path, source).expect("playbook");
    let run = |format: &str| {
        siyu()
            .args(["check", "--deep", "--format", format, "--as-of", AS_OF])
            .arg(&path)
            .output()
            .expect("siyu runs")
    };
    let json: Value = serde_json::from_str(&text(&run("json").stdout)).expect("JSON");
    let diagnostics: Vec<&Value> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| {
            d["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("siyu::deep::"))
        })
        .collect();
    let severities: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["severity"].as_str().expect("severity"))
        .collect();
    assert_eq!(severities, ["warning", "note"], "warnings first: {json}");
    let examples: Vec<&Value> = diagnostics.iter().map(|d| &d["example"]).collect();
    let stderr = text(&run("text").stderr);
    let shown: Vec<Value> = stderr
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("example member: "))
        .map(|line| serde_json::from_str(line).expect("one JSON line"))
        .collect();
    assert_eq!(shown.len(), 2, "{stderr}");
    for (shown, example) in shown.iter().zip(examples) {
        assert_eq!(shown, example);
    }
    let budget = stderr.find("touch_budget").expect("the budget");
    let overlap = stderr.find("stage_overlap").expect("the overlap");
    assert!(budget < overlap, "the warning is drawn before the note");
}

#[test]
fn the_shipped_playbooks_have_only_the_expected_findings() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for name in [
        "beauty_fmcg.rules",
        "restaurant_local.rules",
        "electronics.rules",
        "auto_dealer.rules",
    ] {
        let playbook = Playbook::from_file(root.join(name)).expect("compiles");
        let findings = playbook.deep_check(as_of());
        for finding in &findings {
            // Overlapping stages are how the shipped playbooks are written (the first
            // match wins); a channel capped at one touch a day with several rules on it
            // is the platform's limit, with priorities deciding.
            assert!(
                matches!(
                    finding.code,
                    "siyu::deep::stage_overlap" | "siyu::deep::touch_budget"
                ),
                "{name}: unexpected {}: {}",
                finding.code,
                finding.message
            );
            if finding.code == "siyu::deep::touch_budget" {
                // On a channel's cap, or on the policy's `max_touches`.
                let reason = if finding.message.contains("max_touches") {
                    siyu::Reason::MemberCap
                } else {
                    siyu::Reason::ChannelCap
                };
                let example = finding.example.as_ref().expect("an example");
                let plan = playbook.plan(example, as_of()).expect("plans");
                assert!(plan.suppressed.iter().any(|s| s.reason == reason));
            }
        }
    }
}

/// A condition over the header's fields, from a seed.
fn condition() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        (
            0i64..6,
            prop::sample::select(vec![">", ">=", "<", "<=", "==", "!="])
        )
            .prop_map(|(n, op)| format!("orders {op} {n}")),
        (0i64..3, prop::sample::select(vec![">", "<=", "=="]))
            .prop_map(|(n, op)| format!("spend {op} {}", n * 500)),
        Just("vip".to_string()),
        prop::sample::select(vec!["none", "silver", "gold"])
            .prop_map(|t| format!("tier == \"{t}\"")),
        Just("tier in [\"silver\", \"gold\"]".to_string()),
        Just("age is null".to_string()),
        (10i64..40).prop_map(|n| format!("age >= {n}")),
        Just("len(id) > 3".to_string()),
    ];
    atom.prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not ({a})")),
        ]
    })
}

/// A random valid member of the header's schema.
fn member() -> impl Strategy<Value = Value> {
    (
        0i64..7,
        0i64..4,
        any::<bool>(),
        prop::sample::select(vec!["none", "silver", "gold"]),
        prop::option::of(5i64..45),
        "[a-z]{1,6}",
    )
        .prop_map(|(orders, spend, vip, tier, age, id)| {
            json!({"id": id, "orders": orders, "spend": spend as f64 * 400.0, "vip": vip,
                   "tier": tier, "age": age, "consent": {"dm": true, "sms": true}})
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn findings_hold_for_random_members(
        stages in prop::collection::vec(condition(), 2..5),
        rules in prop::collection::vec((condition(), 0usize..5, any::<bool>()), 1..4),
        policy in any::<bool>(),
        members in prop::collection::vec(member(), 150),
    ) {
        let mut source = HEADER.to_string();
        if policy {
            source.push_str("policy { max_touches 1 per 1d }\n");
        }
        for (i, condition) in stages.iter().enumerate() {
            source.push_str(&format!("stage s{i} when {condition}\n"));
        }
        for (i, (condition, stage, capped)) in rules.iter().enumerate() {
            // Some rules are for one stage (when there is such a stage), some for all.
            let stage = if *stage < stages.len() {
                format!("stage s{stage}  ")
            } else {
                String::new()
            };
            // `dm` is capped at one touch a day, `sms` is not.
            let channel = if *capped { "dm" } else { "sms" };
            source.push_str(&format!(
                "rule r{i} {{ {stage}priority {i}  when {condition}  then send \"m\" via {channel} }}\n"
            ));
        }
        let playbook = Playbook::from_source("gen.rules", &source).expect("compiles");
        let findings = playbook.deep_check(as_of());
        let plans: Vec<_> = members
            .iter()
            .map(|m| playbook.plan(m, as_of()).expect("a valid member plans"))
            .collect();
        for finding in &findings {
            let named = |kind: &str| -> Option<String> {
                let start = finding.message.find('`')? + 1;
                let end = finding.message[start..].find('`')? + start;
                let name = finding.message[start..end].to_string();
                finding.code.ends_with(kind).then_some(name)
            };
            if let Some(stage) = named("unreachable_stage") {
                for plan in &plans {
                    prop_assert_ne!(plan.stage.as_deref(), Some(stage.as_str()), "{}", source);
                }
            }
            if let Some(rule) = named("rule_never_fires") {
                for plan in &plans {
                    let candidate = plan.actions.iter().any(|a| *a.rule == *rule)
                        || plan.suppressed.iter().any(|s| *s.rule == *rule);
                    prop_assert!(!candidate, "{} fired in {}", rule, source);
                }
            }
            let Some(example) = &finding.example else {
                continue;
            };
            let plan = playbook.plan(example, as_of());
            prop_assert!(plan.is_ok(), "the example is a valid snapshot: {example}");
            let plan = plan.expect("checked above");
            // Each example does what its finding says.
            if let Some(first) = named("stage_overlap") {
                // The first stage's condition holds, so the member's stage is that one or
                // an earlier one (stages are `s0`, `s1`, … in order).
                let index = |stage: &str| stage.trim_start_matches('s').parse::<usize>().ok();
                let stage = plan.stage.as_deref().and_then(index);
                prop_assert!(stage.is_some() && stage <= index(&first), "{}", source);
            }
            if finding.code.ends_with("touch_budget") {
                let reason = if finding.message.contains("max_touches") {
                    siyu::Reason::MemberCap
                } else {
                    siyu::Reason::ChannelCap
                };
                prop_assert!(
                    plan.suppressed.iter().any(|s| s.reason == reason),
                    "{} in {}", finding.message, source
                );
            }
        }
    }
}
