//! The ledger through the binary, against both back ends: an SQLite file, and a real
//! PostgreSQL server when `SIYU_TEST_POSTGRES` names one (`.ci/postgres.sh` starts a
//! throw-away cluster and sets it; without it the PostgreSQL half of each test says it
//! was skipped). Daily runs keep caps from the ledger alone, a re-run of a day is
//! byte-identical and leaves the same rows, a killed run leaves nothing, `on enter`
//! fires on the day of the transition, group caps hold back fallbacks, receipts of
//! failed touches free the caps, and bad ledgers are refused untouched.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Output, Stdio};

use support::{scratch, siyu, text};

/// A playbook with a daily coupon, a WeCom fallback in the same group, a group cap, an
/// `on enter` thank-you, and the ledger's two names in a tag.
const PLAYBOOK: &str = r#"
playbook "ledger test" { timezone "+08:00" }
member { id: string, orders: int, consent: { dm: bool, wecom: bool } }
channel dm { consent consent.dm  window 10:00-21:00 }
channel wecom { consent consent.wecom  window 09:00-21:00 }
group first_offer { cap 1 per 14d }
stage buyer when orders >= 1
stage fan otherwise
rule coupon_dm { stage fan  then coupon "20 off" via dm  priority 10  cap 1 per 14d  group first_offer }
rule coupon_wecom { stage fan  then coupon "20 off" via wecom  priority 9  group first_offer }
rule thanks { on enter buyer  then send "thank you" via wecom  priority 20 }
rule days { then tag "{previous_stage ?? 'new'} {stage_days}" }
"#;

/// The days of a run sequence.
const DAYS: [&str; 4] = [
    "2026-11-25T09:00:00+08:00",
    "2026-11-26T09:00:00+08:00",
    "2026-11-27T09:00:00+08:00",
    "2026-11-28T09:00:00+08:00",
];

/// Where a test keeps its ledger: a file in its scratch folder, or a fresh PostgreSQL
/// database.
struct Backend {
    name: &'static str,
    location: String,
}

/// The back ends a test runs against; says so when PostgreSQL is skipped.
fn backends(test: &str, folder: &Path) -> Vec<Backend> {
    let mut out = vec![Backend {
        name: "sqlite",
        location: folder.join("ledger.db").display().to_string(),
    }];
    match fresh_database(test) {
        Some(location) => out.push(Backend {
            name: "postgres",
            location,
        }),
        None => eprintln!(
            "SKIPPED {test} (its PostgreSQL half): no PostgreSQL server; set \
             SIYU_TEST_POSTGRES (.ci/postgres.sh starts one)"
        ),
    }
    out
}

/// A new, empty database on the test server, by URL.
fn fresh_database(test: &str) -> Option<String> {
    let server = std::env::var("SIYU_TEST_POSTGRES").ok()?;
    let mut client = postgres::Client::connect(&server, postgres::NoTls).ok()?;
    // Named by a hash of the test's name: identifiers longer than 63 bytes are cut.
    let name = format!("t_{:016x}_{}", documented_hash(&[test]), std::process::id());
    let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .ok()?;
    let (base, _) = server.rsplit_once('/')?;
    Some(format!("{base}/{name}"))
}

fn write(folder: &Path, name: &str, contents: &str) -> String {
    let path = folder.join(name);
    std::fs::write(&path, contents).expect("scratch file");
    path.display().to_string()
}

/// One member snapshot.
fn member(id: &str, orders: u32, dm: bool, wecom: bool) -> String {
    format!(
        "{{\"id\": \"{id}\", \"orders\": {orders}, \"consent\": {{\"dm\": {dm}, \"wecom\": {wecom}}}}}\n"
    )
}

/// `siyu run` with a ledger; the plans on stdout.
fn run(playbook: &str, members: &str, as_of: &str, ledger: &str, extra: &[&str]) -> Output {
    siyu()
        .args([
            "run",
            playbook,
            "--members",
            members,
            "--as-of",
            as_of,
            "--quiet",
        ])
        .args(["--ledger", ledger])
        .args(extra)
        .output()
        .expect("siyu runs")
}

fn plans(output: &Output) -> Vec<serde_json::Value> {
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a plan line"))
        .collect()
}

/// The rules a plan planned, in order.
fn planned(plan: &serde_json::Value) -> Vec<String> {
    plan["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The reason a rule was suppressed, if it was.
fn reason(plan: &serde_json::Value, rule: &str) -> Option<String> {
    plan["suppressed"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["rule"] == rule)
        .and_then(|s| s["reason"].as_str().map(str::to_string))
}

fn ok(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn caps_and_group_caps_hold_across_days_from_the_ledger_alone() {
    let folder = scratch("ledger-caps");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let members = write(&folder, "m.jsonl", &member("m1", 0, true, true));
    for backend in backends(
        "caps_and_group_caps_hold_across_days_from_the_ledger_alone",
        &folder,
    ) {
        let day = |as_of| {
            let output = run(&playbook, &members, as_of, &backend.location, &[]);
            ok(&output);
            plans(&output).remove(0)
        };
        let first = day(DAYS[0]);
        assert_eq!(planned(&first), ["coupon_dm", "days"], "{}", backend.name);
        for as_of in &DAYS[1..3] {
            // The snapshot has no touches: only the ledger remembers yesterday's coupon.
            let later = day(as_of);
            assert_eq!(planned(&later), ["days"], "{} {as_of}", backend.name);
            assert_eq!(reason(&later, "coupon_dm").as_deref(), Some("group_cap"));
            assert_eq!(reason(&later, "coupon_wecom").as_deref(), Some("group_cap"));
        }
    }
}

#[test]
fn the_shipped_beauty_playbook_sends_the_first_order_coupon_once_over_three_days() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let playbook = root.join("rules/beauty_fmcg.rules");
    let members = root.join("examples/members.jsonl");
    let folder = scratch("ledger-beauty");
    let ledger = folder.join("ledger.db").display().to_string();
    let mut coupons: std::collections::HashMap<String, u32> = Default::default();
    for as_of in &DAYS[..3] {
        let output = run(
            &playbook.display().to_string(),
            &members.display().to_string(),
            as_of,
            &ledger,
            &[],
        );
        ok(&output);
        for plan in plans(&output) {
            let offers = planned(&plan)
                .iter()
                .filter(|rule| rule.starts_with("first_order_"))
                .count() as u32;
            *coupons
                .entry(plan["member"].as_str().unwrap_or_default().into())
                .or_default() += offers;
        }
    }
    assert!(coupons.values().any(|&n| n == 1), "some coupons are sent");
    let twice: Vec<_> = coupons.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "coupons sent twice: {twice:?}");
}

#[test]
fn a_rerun_of_the_same_day_gives_the_same_plans_ids_and_rows() {
    let folder = scratch("ledger-rerun");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let input: String = (0..40)
        .map(|i| member(&format!("m{i}"), i % 3, i % 2 == 0, i % 5 != 0))
        .collect();
    let members = write(&folder, "m.jsonl", &input);
    for backend in backends(
        "a_rerun_of_the_same_day_gives_the_same_plans_ids_and_rows",
        &folder,
    ) {
        ok(&run(&playbook, &members, DAYS[0], &backend.location, &[]));
        let first = run(&playbook, &members, DAYS[1], &backend.location, &[]);
        ok(&first);
        let rows = dump(&backend.location);
        let again = run(&playbook, &members, DAYS[1], &backend.location, &[]);
        ok(&again);
        assert_eq!(text(&first.stdout), text(&again.stdout), "{}", backend.name);
        assert_eq!(rows, dump(&backend.location), "{}", backend.name);
        assert!(
            text(&first.stdout).contains("\"id\":\""),
            "actions carry ids"
        );
        let runs = ledger_lines(&["runs", "--ledger", &backend.location]);
        assert_eq!(runs.len(), 2, "{}: {runs:?}", backend.name);
        // Re-run the day with every member a buyer, then again with half the members as
        // they were: the other half's memory goes back to the day before, as if the
        // replaced runs had never been.
        let buyers: String = (0..40)
            .map(|i| member(&format!("m{i}"), 5, true, true))
            .collect();
        let buyers = write(&folder, &format!("buyers-{}.jsonl", backend.name), &buyers);
        ok(&run(&playbook, &buyers, DAYS[1], &backend.location, &[]));
        let half: String = input.lines().take(20).map(|l| format!("{l}\n")).collect();
        let half = write(&folder, &format!("half-{}.jsonl", backend.name), &half);
        ok(&run(&playbook, &half, DAYS[1], &backend.location, &[]));
        let next = run(&playbook, &members, DAYS[2], &backend.location, &[]);
        ok(&next);
        for plan in plans(&next) {
            let id: usize = plan["member"].as_str().unwrap_or_default()[1..]
                .parse()
                .unwrap_or(0);
            let days = plan["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["rule"] == "days")
                .map(|a| a["content"].as_str().unwrap_or_default().to_string())
                .unwrap_or_default();
            // m0..m19 were seen on days 0 and 1 in the same stage, the rest on day 0
            // only (the day-1 runs that saw them as buyers were replaced): all of them
            // have been in their stage since day 0.
            let stage = if id.is_multiple_of(3) { "fan" } else { "buyer" };
            assert_eq!(days, format!("{stage} 2"), "{} m{id}", backend.name);
        }
        let history = ledger_lines(&["history", "--ledger", &backend.location, "--id", "m30"]);
        let days: Vec<&str> = history.iter().filter_map(|h| h["as_of"].as_str()).collect();
        assert_eq!(days, [DAYS[0], DAYS[2]], "{}", backend.name);
    }
}

/// FNV-1a 64 over parts joined by 0x00, through splitmix64: the documented hash.
fn documented_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (index, part) in parts.iter().enumerate() {
        let separator: &[u8] = if index > 0 { &[0] } else { &[] };
        for &byte in separator.iter().chain(part.as_bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut z = hash;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn action_ids_are_the_documented_hash() {
    let folder = scratch("ledger-ids");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let members = write(&folder, "m.jsonl", &member("m7", 0, true, true));
    let ledger = folder.join("ledger.db").display().to_string();
    let output = run(&playbook, &members, DAYS[0], &ledger, &[]);
    ok(&output);
    let plan = plans(&output).remove(0);
    let as_of = "1795568400"; // 2026-11-25T09:00:00+08:00
    for (index, rule) in ["coupon_dm", "days"].iter().enumerate() {
        let expected = format!(
            "{:016x}",
            documented_hash(&["ledger test", as_of, "m7", rule, "0"])
        );
        assert_eq!(plan["actions"][index]["id"], expected.as_str(), "{rule}");
    }
    // Without a ledger, no ids.
    let plain = siyu()
        .args([
            "run",
            &playbook,
            "--members",
            &members,
            "--as-of",
            DAYS[0],
            "--quiet",
        ])
        .output()
        .expect("siyu runs");
    assert_eq!(plain.status.code(), Some(2), "the playbook reads history");
}

#[test]
fn on_enter_fires_only_on_the_day_of_the_transition() {
    let folder = scratch("ledger-enter");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let fan = write(&folder, "fan.jsonl", &member("m1", 0, false, true));
    let buyer = write(&folder, "buyer.jsonl", &member("m1", 1, false, true));
    for backend in backends("on_enter_fires_only_on_the_day_of_the_transition", &folder) {
        let day = |members: &str, as_of| {
            let output = run(&playbook, members, as_of, &backend.location, &[]);
            ok(&output);
            plans(&output).remove(0)
        };
        let first = day(&fan, DAYS[0]);
        assert_eq!(first["stage"], "fan");
        assert_eq!(first["actions"].as_array().map(Vec::len), Some(2));
        assert_eq!(first["actions"][1]["content"], "new 0", "{}", backend.name);
        let entered = day(&buyer, DAYS[1]);
        assert!(
            planned(&entered).contains(&"thanks".to_string()),
            "{entered}"
        );
        assert_eq!(
            entered["actions"][1]["content"], "fan 0",
            "{}",
            backend.name
        );
        let staying = day(&buyer, DAYS[2]);
        assert!(
            !planned(&staying).contains(&"thanks".to_string()),
            "{staying}"
        );
        assert_eq!(
            staying["actions"][0]["content"], "buyer 1",
            "{}",
            backend.name
        );
        let history = ledger_lines(&["history", "--ledger", &backend.location, "--id", "m1"]);
        let stages: Vec<&str> = history.iter().filter_map(|h| h["stage"].as_str()).collect();
        assert_eq!(stages, ["fan", "buyer", "buyer"], "{}", backend.name);
    }
}

#[test]
fn receipts_of_failed_touches_free_the_caps_and_bad_lines_are_reported() {
    let folder = scratch("ledger-receipts");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let members = write(&folder, "m.jsonl", &member("m1", 0, true, true));
    for backend in backends(
        "receipts_of_failed_touches_free_the_caps_and_bad_lines_are_reported",
        &folder,
    ) {
        let first = run(&playbook, &members, DAYS[0], &backend.location, &[]);
        ok(&first);
        let plan = plans(&first).remove(0);
        let id = plan["actions"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let receipts = format!(
            "{{\"id\": \"{id}\", \"status\": \"failed\"}}\nnot json\n\n\
             {{\"member\": \"m1\", \"rule\": \"nope\", \"channel\": \"dm\", \"at\": \"2026-11-25T10:00:00+08:00\", \"status\": \"delivered\"}}\n"
        );
        let file = write(
            &folder,
            &format!("receipts-{}.jsonl", backend.name),
            &receipts,
        );
        let imported = siyu()
            .args(["ledger", "receipts", &file, "--ledger", &backend.location])
            .output()
            .expect("siyu runs");
        ok(&imported);
        let said = text(&imported.stderr);
        assert!(said.contains("line 2: malformed JSON"), "{said}");
        assert!(
            said.contains("line 4: no planned touch of rule `nope`"),
            "{said}"
        );
        assert!(said.contains("1 applied, 2 skipped"), "{said}");
        let history = ledger_lines(&["history", "--ledger", &backend.location, "--id", "m1"]);
        let coupon = history[0]["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["rule"] == "coupon_dm")
            .cloned()
            .unwrap_or_default();
        assert_eq!(coupon["status"], "failed", "{}", backend.name);
        assert_eq!(coupon["id"], id.as_str());
        // The failed coupon does not count: the next day it is planned again.
        let next = run(&playbook, &members, DAYS[1], &backend.location, &[]);
        ok(&next);
        assert_eq!(
            planned(&plans(&next)[0]),
            ["coupon_dm", "days"],
            "{}",
            backend.name
        );
    }
}

#[test]
fn an_earlier_as_of_is_refused_unless_the_later_runs_are_replaced() {
    let folder = scratch("ledger-order");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let members = write(&folder, "m.jsonl", &member("m1", 0, true, true));
    for backend in backends(
        "an_earlier_as_of_is_refused_unless_the_later_runs_are_replaced",
        &folder,
    ) {
        ok(&run(&playbook, &members, DAYS[2], &backend.location, &[]));
        let refused = run(&playbook, &members, DAYS[1], &backend.location, &[]);
        assert_eq!(refused.status.code(), Some(1), "{}", backend.name);
        let said = text(&refused.stderr);
        assert!(
            said.contains("a later run of `ledger test` (run 1, as of 2026-11-27T09:00:00+08:00)"),
            "{said}"
        );
        assert!(
            refused.stdout.is_empty(),
            "nothing planned: {}",
            text(&refused.stdout)
        );
        let replaced = run(
            &playbook,
            &members,
            DAYS[1],
            &backend.location,
            &["--replace-later"],
        );
        ok(&replaced);
        let runs = ledger_lines(&["runs", "--ledger", &backend.location]);
        let days: Vec<&str> = runs.iter().filter_map(|r| r["as_of"].as_str()).collect();
        assert_eq!(days, [DAYS[1]], "{}", backend.name);
    }
}

#[test]
fn a_run_killed_half_way_leaves_the_ledger_as_it_was() {
    let folder = scratch("ledger-kill");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let small = write(&folder, "small.jsonl", &member("m0", 0, true, true));
    for backend in backends("a_run_killed_half_way_leaves_the_ledger_as_it_was", &folder) {
        ok(&run(&playbook, &small, DAYS[0], &backend.location, &[]));
        let before = dump(&backend.location);
        let mut child = siyu()
            .args([
                "run",
                &playbook,
                "--members",
                "-",
                "--as-of",
                DAYS[1],
                "--quiet",
            ])
            .args(["--ledger", &backend.location, "--threads", "2"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("siyu starts");
        let mut stdin = child.stdin.take().expect("stdin");
        let batch: String = (0..20_000)
            .map(|i| member(&format!("k{i}"), i % 2, true, true))
            .collect();
        // Written from a thread of its own, while the plans are read here (pipes are
        // small); stdin stays open, so the run waits for more input once it has these.
        let writer = {
            let batch = batch.clone();
            std::thread::spawn(move || {
                // The run is killed before it reads everything: a broken pipe is expected.
                let _ = stdin
                    .write_all(batch.as_bytes())
                    .and_then(|()| stdin.flush());
                stdin
            })
        };
        // Once 10,000 plans came out, their rows are in the run's transaction; the run
        // is killed then, with more input to come.
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        for _ in 0..10_000 {
            lines.next().expect("a plan").expect("a line");
        }
        assert!(child.try_wait().expect("status").is_none(), "still running");
        child.kill().expect("killed with SIGKILL");
        child.wait().expect("reaped");
        drop(lines);
        drop(writer.join());
        assert_eq!(before, dump(&backend.location), "{}", backend.name);
        // And the next run of that day goes through.
        let members = write(&folder, "again.jsonl", &batch[..batch.len() / 10]);
        ok(&run(&playbook, &members, DAYS[1], &backend.location, &[]));
        let runs = ledger_lines(&["runs", "--ledger", &backend.location]);
        assert_eq!(runs.len(), 2, "{}", backend.name);
    }
}

#[test]
fn a_playbook_with_history_words_needs_a_ledger_to_run_but_checks_without() {
    let folder = scratch("ledger-needed");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let members = write(&folder, "m.jsonl", &member("m1", 0, true, true));
    let refused = siyu()
        .args(["run", &playbook, "--members", &members, "--as-of", DAYS[0]])
        .env_remove("SIYU_LEDGER")
        .output()
        .expect("siyu runs");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("need the ledger"),
        "{}",
        text(&refused.stderr)
    );
    let checked = siyu()
        .args(["check", &playbook])
        .output()
        .expect("siyu runs");
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked.stderr));
    // SIYU_LEDGER stands for the flag.
    let ledger = folder.join("env.db");
    let by_env = siyu()
        .args([
            "run",
            &playbook,
            "--members",
            &members,
            "--as-of",
            DAYS[0],
            "--quiet",
        ])
        .env("SIYU_LEDGER", &ledger)
        .output()
        .expect("siyu runs");
    ok(&by_env);
    assert!(ledger.is_file());
}

#[test]
fn explain_shows_what_the_ledger_remembers() {
    let folder = scratch("ledger-explain");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let fan = write(&folder, "fan.jsonl", &member("m1", 0, false, true));
    let buyer = write(&folder, "buyer.jsonl", &member("m1", 1, false, true));
    let ledger = folder.join("ledger.db").display().to_string();
    ok(&run(&playbook, &fan, DAYS[0], &ledger, &[]));
    let explained = siyu()
        .args([
            "explain",
            &playbook,
            "--members",
            &buyer,
            "--id",
            "m1",
            "--as-of",
            DAYS[1],
        ])
        .args(["--ledger", &ledger])
        .output()
        .expect("siyu runs");
    ok(&explained);
    let said = text(&explained.stdout);
    assert!(
        said.contains("history: `fan` at the latest run (since 2026-11-25T09:00:00+08:00), entering `buyer` today"),
        "{said}"
    );
    let staying = siyu()
        .args([
            "explain",
            &playbook,
            "--members",
            &fan,
            "--id",
            "m1",
            "--as-of",
            DAYS[1],
        ])
        .args(["--ledger", &ledger])
        .output()
        .expect("siyu runs");
    let said = text(&staying.stdout);
    assert!(
        said.contains("history: in `fan` since 2026-11-25T09:00:00+08:00 (1 day)"),
        "{said}"
    );
    assert!(said.contains("coupon_dm"), "{said}");
    assert!(
        said.contains("the group `first_offer` is at its cap"),
        "{said}"
    );
}

#[test]
fn bad_ledgers_are_refused_and_left_untouched() {
    let folder = scratch("ledger-bad");
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let members = write(&folder, "m.jsonl", &member("m1", 0, true, true));
    let refused = |ledger: &str, expected: &[&str]| {
        let before = std::fs::read(ledger).ok();
        let output = run(
            &playbook,
            &members,
            DAYS[0],
            ledger,
            &["--ledger-wait", "1"],
        );
        assert_eq!(
            output.status.code(),
            Some(1),
            "{ledger}: {}",
            text(&output.stderr)
        );
        let said = text(&output.stderr);
        assert!(
            expected.iter().any(|e| said.contains(e)),
            "{ledger}: {said}"
        );
        assert!(output.stdout.is_empty(), "nothing planned");
        assert_eq!(before, std::fs::read(ledger).ok(), "{ledger} untouched");
    };
    let notes = write(&folder, "notes.txt", "this is not a database, just notes\n");
    refused(
        &notes,
        &["is not a siyu ledger: it is not an SQLite database"],
    );
    // An SQLite file of something else.
    let other = folder.join("other.db");
    {
        let connection = rusqlite::Connection::open(&other).expect("sqlite");
        connection
            .execute_batch("CREATE TABLE contacts (name TEXT)")
            .expect("table");
    }
    refused(&other.display().to_string(), &["is not a siyu ledger"]);
    // A ledger whose pages were overwritten.
    let damaged = folder.join("damaged.db").display().to_string();
    ok(&run(&playbook, &members, DAYS[0], &damaged, &[]));
    let mut bytes = std::fs::read(&damaged).expect("ledger");
    for byte in bytes.iter_mut().skip(100).step_by(7) {
        *byte = 0xA5;
    }
    std::fs::write(&damaged, &bytes).expect("damaged");
    refused(&damaged, &["is damaged", "is not a siyu ledger"]);
    // A newer siyu's ledger.
    let newer = folder.join("newer.db").display().to_string();
    ok(&run(&playbook, &members, DAYS[0], &newer, &[]));
    {
        let connection = rusqlite::Connection::open(&newer).expect("sqlite");
        connection
            .execute(
                "UPDATE siyu_meta SET value = '99' WHERE name = 'schema_version'",
                [],
            )
            .expect("version");
    }
    refused(&newer, &["was written by a newer siyu (schema 99"]);
    // Locked by another run: a writer holds the lock for the whole attempt.
    let locked = folder.join("locked.db").display().to_string();
    ok(&run(&playbook, &members, DAYS[0], &locked, &[]));
    let holder = rusqlite::Connection::open(&locked).expect("sqlite");
    holder.execute_batch("BEGIN IMMEDIATE").expect("lock taken");
    let output = run(
        &playbook,
        &members,
        DAYS[1],
        &locked,
        &["--ledger-wait", "1"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("is in use by another run (waited 1 s)"),
        "{}",
        text(&output.stderr)
    );
    holder.execute_batch("ROLLBACK").expect("lock released");
    assert_eq!(ledger_lines(&["runs", "--ledger", &locked]).len(), 1);
    // A PostgreSQL server that is not there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("postgres://siyu@127.0.0.1:{port}/siyu");
    let output = run(&playbook, &members, DAYS[0], &url, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("cannot connect to the ledger"),
        "{}",
        text(&output.stderr)
    );
    // Reading a ledger that does not exist creates nothing.
    let missing = folder.join("missing.db");
    let listed = siyu()
        .args(["ledger", "runs", "--ledger", &missing.display().to_string()])
        .output()
        .expect("siyu runs");
    assert_eq!(listed.status.code(), Some(1));
    assert!(text(&listed.stderr).contains("there is no ledger at"));
    assert!(!missing.exists());
}

#[test]
fn two_runs_of_one_key_never_interleave_on_postgres() {
    let folder = scratch("ledger-pg-lock");
    let Some(url) = fresh_database("two_runs_of_one_key_never_interleave_on_postgres") else {
        eprintln!("SKIPPED two_runs_of_one_key_never_interleave_on_postgres: no PostgreSQL server; set SIYU_TEST_POSTGRES");
        return;
    };
    let playbook = write(&folder, "p.rules", PLAYBOOK);
    let members = write(&folder, "m.jsonl", &member("m1", 0, true, true));
    ok(&run(&playbook, &members, DAYS[0], &url, &[]));
    let mut holder = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let mut transaction = holder.transaction().expect("begins");
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('siyu run ' || $1, 0))",
            &[&"ledger test"],
        )
        .expect("the key's lock");
    let output = run(&playbook, &members, DAYS[1], &url, &["--ledger-wait", "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("is in use by another run"),
        "{}",
        text(&output.stderr)
    );
    transaction.rollback().expect("released");
    ok(&run(&playbook, &members, DAYS[1], &url, &[]));
}

/// `siyu ledger …` as JSON lines.
fn ledger_lines(args: &[&str]) -> Vec<serde_json::Value> {
    let output = siyu().arg("ledger").args(args).output().expect("siyu runs");
    ok(&output);
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// Every row of the ledger's tables, in order, without the runs' wall-clock times.
fn dump(location: &str) -> Vec<String> {
    const QUERIES: [&str; 4] = [
        "SELECT run, playbook, as_of, as_of_text, source_hash, members, planned, invalid, summary FROM siyu_runs ORDER BY run",
        "SELECT playbook, member, as_of, run, stage, since FROM siyu_stages ORDER BY playbook, member, as_of",
        "SELECT playbook, member, at, id, as_of, run, rule, position, verb, channel, at_text, status FROM siyu_actions ORDER BY playbook, member, at, id",
        "SELECT playbook, member, as_of, stage, since, touches FROM siyu_members ORDER BY playbook, member",
    ];
    if location.starts_with("postgres") {
        let mut client = postgres::Client::connect(location, postgres::NoTls).expect("connects");
        let mut out = Vec::new();
        for query in QUERIES {
            for row in client.query(query, &[]).expect("rows") {
                let cells: Vec<String> = (0..row.len())
                    .map(|i| {
                        row.try_get::<_, Option<i64>>(i)
                            .map(|v| format!("{v:?}"))
                            .or_else(|_| row.try_get::<_, Option<i32>>(i).map(|v| format!("{v:?}")))
                            .or_else(|_| {
                                row.try_get::<_, Option<String>>(i)
                                    .map(|v| format!("{v:?}"))
                            })
                            .unwrap_or_default()
                    })
                    .collect();
                out.push(cells.join("|"));
            }
        }
        return out;
    }
    let connection = rusqlite::Connection::open(location).expect("sqlite");
    let mut out = Vec::new();
    for query in QUERIES {
        let mut statement = connection.prepare(query).expect("query");
        let columns = statement.column_count();
        let rows = statement
            .query_map([], |row| {
                let cells: Vec<String> = (0..columns)
                    .map(|i| {
                        format!("{:?}", row.get_ref(i).map(|v| v.data_type()))
                            + &row
                                .get::<_, rusqlite::types::Value>(i)
                                .map(|v| format!("{v:?}"))
                                .unwrap_or_default()
                    })
                    .collect();
                Ok(cells.join("|"))
            })
            .expect("rows");
        out.extend(rows.map(|row| row.expect("a row")));
    }
    out
}
