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
        "{HEADER}
stage gold when tier == \"gold\"
stage big when spend >= 1000
stage rest otherwise
rule a {{ priority 30  then send \"a\" via dm }}
rule b {{ priority 20  when spend >= 1000  then send \"b\" via dm }}
rule c {{ priority 10  stage gold  then send \"c\" via dm }}
"
    );
    std::fs::write(&path, source).expect("playbook");
    let output = siyu()
        .args(["check", "--deep", "--format", "json", "--as-of", AS_OF])
        .arg(&path)
        .output()
        .expect("siyu runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let document: Value = serde_json::from_str(&text(&output.stdout)).expect("JSON");
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
                let example = finding.example.as_ref().expect("an example");
                let plan = playbook.plan(example, as_of()).expect("plans");
                assert!(plan
                    .suppressed
                    .iter()
                    .any(|s| s.reason == siyu::Reason::ChannelCap));
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
        rules in prop::collection::vec((condition(), 0usize..5), 1..4),
        members in prop::collection::vec(member(), 150),
    ) {
        let mut source = HEADER.to_string();
        for (i, condition) in stages.iter().enumerate() {
            source.push_str(&format!("stage s{i} when {condition}\n"));
        }
        for (i, (condition, stage)) in rules.iter().enumerate() {
            // Some rules are for one stage (when there is such a stage), some for all.
            let stage = if *stage < stages.len() {
                format!("stage s{stage}  ")
            } else {
                String::new()
            };
            source.push_str(&format!(
                "rule r{i} {{ {stage}priority {i}  when {condition}  then send \"m\" via sms }}\n"
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
            if let Some(example) = &finding.example {
                let plan = playbook.plan(example, as_of());
                prop_assert!(plan.is_ok(), "the example is a valid snapshot: {example}");
            }
        }
    }
}
