//! The engine through the public API: sharing across threads, holdout shares, plans
//! independent of thread count and of the other members of the file, the summary's
//! accounting, one-member planning, explain traces and expression evaluation.

use siyu::{AsOf, ErrorKind, InputFormat, PlanOptions, Playbook};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

fn as_of() -> AsOf {
    AsOf::parse(AS_OF).expect("as-of parses")
}

fn playbook(text: &str) -> Playbook {
    match Playbook::from_source("test.rules", text) {
        Ok(playbook) => playbook,
        Err(error) => {
            let reports: Vec<String> = error.reports().iter().map(|r| format!("{r:?}")).collect();
            panic!("{error}: {reports:?}")
        }
    }
}

const LUMI: &str = r#"
playbook "Lumi 美妆" {
  quadrant online high, frequency high
  timezone "+08:00"
}
member {
  id: string
  nickname: string?
  days_since_follow: int
  orders: int
  spend: float
  fan_group: bool
  tier: "none" | "silver" | "gold"
  consent: { dm: bool, wecom: bool }
}
channel dm {
  consent consent.dm
  window 10:00-21:00
  cap 1 per 1d
}
channel wecom {
  consent consent.wecom
  window 09:00-21:00
}
segment high_value = spend >= 2000 or tier in ["gold"]
stage new_fan "新粉" when days_since_follow <= 7 and orders == 0
stage customer "成交客" when orders >= 1
stage fan "粉丝" otherwise
rule invite_group "新粉入群" {
  stage new_fan
  when not fan_group
  then invite "{nickname ?? '亲'}，欢迎加入" via dm
  priority 80
  group welcome
}
rule add_wecom "加企微" {
  stage new_fan
  then invite "添加专属顾问" via wecom
  priority 70
  group welcome
}
rule thanks "感谢下单" {
  stage customer
  then send "感谢支持，累计 {spend} 元" via dm at 19:00
  then tag "已购"
  priority 60
  cap 1 per 7d
}
rule vip "高价值" {
  when high_value
  then audience "高价值人群包" with { spend: spend }
  priority 10
}
policy {
  max_touches 2 per 1d
  holdout 5%
}
"#;

/// Deterministic varied members, with some invalid lines among them.
fn members(count: usize) -> String {
    let mut out = String::new();
    for i in 0..count {
        if i % 97 == 13 {
            out.push_str("{\"id\": \"broken\"\n");
            continue;
        }
        if i % 89 == 7 {
            out.push('\n');
        }
        let tier = ["none", "silver", "gold"][i % 3];
        let touches = if i % 5 == 0 {
            format!(
                r#","touches":[{{"rule":"thanks","channel":"dm","at":"2026-11-2{}T19:00:00+08:00"}}]"#,
                1 + i % 5
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            r#"{{"id":"m{i:06}","nickname":{},"days_since_follow":{},"orders":{},"spend":{},"fan_group":{},"tier":"{tier}","consent":{{"dm":{},"wecom":{}}}{touches}}}"#,
            if i % 4 == 0 { "null".to_string() } else { format!("\"n{i}\"") },
            i % 30,
            i % 4,
            (i * 37) % 3000,
            i % 2 == 0,
            i % 3 != 0,
            i % 7 != 0,
        ));
        out.push('\n');
    }
    out
}

fn run(
    playbook: &Playbook,
    input: &str,
    threads: usize,
) -> (Vec<String>, Vec<String>, siyu::Summary) {
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    let mut summary = playbook.summary();
    let options = PlanOptions::default().threads(threads);
    for item in playbook.plan_lines(input.as_bytes(), as_of(), options) {
        match item {
            Ok(plan) => {
                summary.add_plan(&plan);
                plans.push(serde_json::to_string(&plan).expect("plan serialises"));
            }
            Err(record) => {
                summary.add_invalid();
                errors.push(serde_json::to_string(&record).expect("record serialises"));
            }
        }
    }
    (plans, errors, summary)
}

#[test]
fn a_playbook_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Playbook>();
    let playbook = playbook(LUMI);
    let snapshot = serde_json::json!({"id": "m1", "days_since_follow": 2, "orders": 0, "spend": 0,
        "fan_group": false, "tier": "none", "consent": {"dm": true, "wecom": true}});
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let playbook = playbook.clone();
            let snapshot = snapshot.clone();
            std::thread::spawn(move || {
                serde_json::to_string(&playbook.plan(&snapshot, as_of()).expect("plans"))
                    .expect("json")
            })
        })
        .collect();
    let outputs: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn plans_are_byte_identical_whatever_the_thread_count() {
    let playbook = playbook(LUMI);
    let input = members(3_000);
    let (plans_1, errors_1, summary_1) = run(&playbook, &input, 1);
    let (plans_2, errors_2, summary_2) = run(&playbook, &input, 2);
    let (plans_3, errors_3, _) = run(&playbook, &input, 3);
    assert_eq!(plans_1, plans_2);
    assert_eq!(plans_1, plans_3);
    assert_eq!(errors_1, errors_2);
    assert_eq!(errors_1, errors_3);
    assert_eq!(summary_1, summary_2);
    assert!(!errors_1.is_empty());
    // Accounting: members read = planned + invalid, and every line got one outcome.
    assert_eq!(summary_1.members(), 3_000);
    assert_eq!(summary_1.planned() as usize, plans_1.len());
    assert_eq!(summary_1.invalid() as usize, errors_1.len());
    let stage_total: u64 = summary_1.stages().map(|(_, n)| n).sum();
    assert_eq!(stage_total, summary_1.planned());
    let planned_actions: usize = plans_1
        .iter()
        .map(|p| {
            serde_json::from_str::<serde_json::Value>(p).expect("json")["actions"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    let rule_planned: u64 = summary_1.rules().map(|(_, c)| c.planned).sum();
    assert_eq!(rule_planned as usize, planned_actions);
}

#[test]
fn a_plan_does_not_depend_on_the_other_members_of_the_file() {
    let playbook = playbook(LUMI);
    let input = members(300);
    let (plans, _, _) = run(&playbook, &input, 2);
    let alone: Vec<String> = input
        .lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| playbook.plan_json(line, as_of()).ok())
        .map(|plan| serde_json::to_string(&plan).expect("json"))
        .collect();
    assert_eq!(plans, alone);
}

#[test]
fn holdout_share_is_within_one_point_and_stable_under_reordering() {
    let playbook = playbook(LUMI);
    let ids: Vec<String> = (0..10_000).map(|i| format!("member-{i}")).collect();
    let line = |id: &str| {
        format!(
            r#"{{"id":"{id}","days_since_follow":30,"orders":0,"spend":0,"fan_group":true,"tier":"none","consent":{{"dm":true,"wecom":true}}}}"#
        )
    };
    let forward: String = ids.iter().map(|id| line(id) + "\n").collect();
    let backward: String = ids.iter().rev().map(|id| line(id) + "\n").collect();
    let held = |input: &str| -> std::collections::BTreeSet<String> {
        playbook
            .plan_lines(input.as_bytes(), as_of(), PlanOptions::default().threads(2))
            .filter_map(Result::ok)
            .filter(|plan| plan.holdout)
            .map(|plan| plan.member.to_string())
            .collect()
    };
    let held_forward = held(&forward);
    let share = held_forward.len() as f64 / 100.0;
    assert!(
        (4.0..=6.0).contains(&share),
        "held out {share}% for a 5% holdout"
    );
    assert_eq!(held_forward, held(&backward));
}

#[test]
fn held_out_members_list_every_firing_rule_and_get_no_action() {
    let playbook = playbook(LUMI);
    let held = (0..10_000)
        .map(|i| format!("h{i}"))
        .find(|id| siyu::eval::holdout_bucket("Lumi 美妆", id) < 500)
        .expect("some id is held out");
    let snapshot = serde_json::json!({"id": held, "days_since_follow": 2, "orders": 0, "spend": 5000,
        "fan_group": false, "tier": "none", "consent": {"dm": true, "wecom": true}});
    let plan = playbook.plan(&snapshot, as_of()).expect("plans");
    assert!(plan.holdout);
    assert!(plan.actions.is_empty());
    let reasons: Vec<(String, String)> = plan
        .suppressed
        .iter()
        .map(|s| (s.rule.to_string(), s.reason.to_string()))
        .collect();
    let expected = [
        ("invite_group", "holdout"),
        ("add_wecom", "holdout"),
        ("vip", "holdout"),
    ];
    assert_eq!(
        reasons,
        expected.map(|(r, s)| (r.to_string(), s.to_string()))
    );
}

#[test]
fn the_summary_has_the_documented_shape() {
    let playbook = playbook(LUMI);
    let (_, _, summary) = run(&playbook, &members(200), 1);
    let json = serde_json::to_value(&summary).expect("summary serialises");
    let keys: Vec<&str> = json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "members",
            "planned",
            "invalid",
            "holdout",
            "stages",
            "rules",
            "channels",
            "holdout_stages"
        ]
    );
    let stages: Vec<&str> = json["stages"]
        .as_object()
        .expect("stages")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(stages, ["new_fan", "customer", "fan", "null"]);
    assert!(json["rules"]["invite_group"]["fired"].as_u64().is_some());
    assert!(json["channels"]["dm"]["planned"].as_u64().is_some());
    assert_eq!(
        json["members"].as_u64(),
        Some(json["planned"].as_u64().unwrap_or(0) + json["invalid"].as_u64().unwrap_or(0))
    );
}

#[test]
fn one_member_errors_say_what_and_where() {
    let playbook = playbook(LUMI);
    let error = playbook
        .plan(&serde_json::json!({"id": "x", "orders": "many"}), as_of())
        .expect_err("invalid");
    assert_eq!(error.kind, ErrorKind::Schema);
    assert_eq!(error.member.as_deref(), Some("x"));
    assert_eq!(
        error.message,
        "field `orders`: expected int, found string \"many\""
    );
}

#[test]
fn explain_shows_the_stage_the_rules_and_the_values_that_decided() {
    let playbook = playbook(LUMI);
    let snapshot = serde_json::json!({"id": "w1", "nickname": "小鹿", "days_since_follow": 2, "orders": 0,
        "spend": 0, "fan_group": false, "tier": "none", "consent": {"dm": true, "wecom": true}});
    let trace = playbook.explain(&snapshot, as_of()).expect("explains");
    assert_eq!(trace.stage.as_deref(), Some("new_fan"));
    let text = trace.to_string();
    assert!(text.contains("stage: new_fan (新粉)"), "{text}");
    assert!(text.contains("days_since_follow = 2, needs <= 7"), "{text}");
    assert!(
        text.contains("invite via dm planned at 2026-11-25T10:00:00+08:00"),
        "{text}"
    );
    assert!(
        text.contains("09:00 is outside the channel's window"),
        "{text}"
    );
    assert!(text.contains("already took the group `welcome`"), "{text}");
    assert!(
        text.contains("not for stage new_fan (only customer)"),
        "{text}"
    );
    assert!(text.contains("spend = 0, needs >= 2000"), "{text}");
}

#[test]
fn expressions_evaluate_for_a_member() {
    let playbook = playbook(LUMI);
    let member = playbook
        .decode(
            &serde_json::json!({"id": "w1", "days_since_follow": 2, "orders": 0, "spend": 2500.5,
            "fan_group": false, "tier": "none", "consent": {"dm": true, "wecom": false}}),
        )
        .expect("decodes");
    let expr = siyu::syntax::parse_expression("spend * 2 + orders", siyu::diagnostics::FileId(0))
        .expect("parses");
    let value = playbook
        .evaluate(&expr, &member, as_of())
        .expect("evaluates");
    assert_eq!(value, siyu::Value::Float(5001.0));
    let expr = siyu::syntax::parse_expression(
        "high_value and not consent.wecom",
        siyu::diagnostics::FileId(0),
    )
    .expect("parses");
    assert_eq!(
        playbook
            .evaluate(&expr, &member, as_of())
            .expect("evaluates"),
        siyu::Value::Bool(true)
    );
}

#[test]
fn an_unreadable_input_ends_the_stream_with_an_input_record() {
    struct Failing(usize);
    impl std::io::Read for Failing {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            self.0 -= 1;
            // Each line its own member (a repeated id would be a duplicate).
            let line = format!("{{\"id\":\"a{}\",\"days_since_follow\":1,\"orders\":0,\"spend\":0,\"fan_group\":true,\"tier\":\"none\",\"consent\":{{\"dm\":true,\"wecom\":true}}}}\n", self.0);
            let line = line.as_bytes();
            let n = line.len().min(buffer.len());
            buffer[..n].copy_from_slice(&line[..n]);
            Ok(n)
        }
    }
    let playbook = playbook(LUMI);
    let reader = std::io::BufReader::new(Failing(2));
    let items: Vec<_> = playbook
        .plan_lines(reader, as_of(), PlanOptions::default().threads(2))
        .collect();
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    assert!(
        matches!(&items[2], Err(record) if record.kind == ErrorKind::Input && record.line == 3)
    );
}

#[test]
fn csv_input_is_typed_by_the_schema() {
    let playbook = playbook(LUMI);
    let csv = "id,days_since_follow,orders,spend,fan_group,tier,consent.dm,consent.wecom\nc1,2,0,0,false,none,true,true\n";
    let options = PlanOptions::default().threads(1).format(InputFormat::Csv);
    let plans: Vec<_> = playbook
        .plan_lines(csv.as_bytes(), as_of(), options)
        .collect();
    let plan = plans[0].as_ref().expect("planned");
    assert_eq!(plan.stage.as_deref(), Some("new_fan"));
    assert_eq!(&*plan.actions[0].rule, "invite_group");
}

#[test]
fn the_summary_counts_members_per_rule_as_the_plans_show_them() {
    let playbook = playbook(LUMI);
    let input = members(300);
    let (plans, _, summary) = run(&playbook, &input, 2);
    let plans: Vec<serde_json::Value> = plans
        .iter()
        .map(|line| serde_json::from_str(line).expect("plan JSON"))
        .collect();
    let mut held_out = 0;
    for (rule, counts) in summary.rules() {
        let reached = plans
            .iter()
            .filter(|plan| {
                plan["actions"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|action| action["rule"] == rule))
            })
            .count() as u64;
        let actions: u64 = plans
            .iter()
            .map(|plan| {
                plan["actions"].as_array().map_or(0, |a| {
                    a.iter().filter(|action| action["rule"] == rule).count() as u64
                })
            })
            .sum();
        assert_eq!(counts.reached, reached, "rule {rule}");
        assert_eq!(counts.planned, actions, "rule {rule}");
        assert!(counts.reached <= counts.fired, "rule {rule}");
        for reason in siyu::Reason::ALL {
            let members = plans
                .iter()
                .filter(|plan| {
                    plan["suppressed"].as_array().is_some_and(|a| {
                        a.iter()
                            .any(|s| s["rule"] == rule && s["reason"] == reason.code())
                    })
                })
                .count() as u64;
            assert_eq!(
                counts.suppressed_members(reason),
                members,
                "{rule} {reason}"
            );
            assert!(members <= counts.suppressed(reason));
        }
    }
    for (stage, count) in summary.holdout_stages() {
        let expected = plans
            .iter()
            .filter(|plan| {
                plan["holdout"] == true
                    && (plan["stage"] == stage || (stage == "null" && plan["stage"].is_null()))
            })
            .count() as u64;
        assert_eq!(count, expected, "stage {stage}");
        held_out += count;
    }
    assert_eq!(held_out, summary.holdout());
    assert!(held_out > 0, "the sample holds some members out");
}
