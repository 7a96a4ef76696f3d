//! Embedding siyu in a program of its own: compile a playbook once, plan one member
//! from a JSON value, then plan a whole JSON Lines stream in parallel and count it.
//!
//! Run with `cargo run --example embed`.

use siyu::{AsOf, PlanOptions, Playbook};

const PLAYBOOK: &str = r#"
playbook "Lumi 美妆 · embedded" {
  quadrant online high, frequency high
  timezone "+08:00"
}
member {
  id: string
  nickname: string?
  orders: int
  spend: float
  consent: { dm: bool }
}
channel dm "抖音私信" {
  consent consent.dm
  window 10:00-21:00
  cap 1 per 1d
}
stage new_fan "新粉" when orders == 0
stage customer "成交客" otherwise
rule welcome "欢迎" {
  stage new_fan
  then send "{nickname ?? '亲'}，欢迎关注" via dm
  priority 50
}
rule thanks "感谢下单" {
  stage customer
  then send "感谢支持，累计 {spend} 元" via dm at 19:00
  then tag "已购"
  priority 40
}
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let playbook = Playbook::from_source("embedded.rules", PLAYBOOK)?;
    let as_of = AsOf::parse("2026-11-25T09:00:00+08:00")?;

    // One member, from a JSON value built by the host.
    let snapshot = serde_json::json!({
        "id": "m1", "nickname": "小鹿", "orders": 0, "spend": 0, "consent": {"dm": true}
    });
    let plan = playbook.plan(&snapshot, as_of)?;
    println!("{}", serde_json::to_string(&plan)?);

    // A stream: plans come back in input order, planned on every core.
    let lines = [
        r#"{"id": "m2", "orders": 3, "spend": 1280.5, "consent": {"dm": true}}"#,
        r#"{"id": "m3", "orders": 1, "spend": 99, "consent": {"dm": false}}"#,
        r#"{"id": "m4", "orders": "many"}"#,
    ]
    .join("\n");
    let mut summary = playbook.summary();
    for item in playbook.plan_lines(lines.as_bytes(), as_of, PlanOptions::default()) {
        match item {
            Ok(plan) => {
                summary.add_plan(&plan);
                println!("{}", serde_json::to_string(&plan)?);
            }
            Err(record) => {
                summary.add_invalid();
                eprintln!("skipped: {record}");
            }
        }
    }
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
