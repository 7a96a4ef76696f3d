//! Deep playbooks: the deepest expression the parser accepts, and long chains of
//! segments, evaluate on an ordinary thread without exhausting its stack; a chain too
//! deep to evaluate safely is refused when the playbook is compiled.

use siyu::{AsOf, Playbook};

fn as_of() -> AsOf {
    AsOf::parse("2026-11-25T09:00:00+08:00").expect("as-of")
}

fn plan_on_small_thread(source: String) -> Result<usize, String> {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let playbook =
                Playbook::from_source("deep.rules", &source).map_err(|e| e.to_string())?;
            let snapshot = serde_json::json!({"id": "d", "x": 2});
            let plan = playbook
                .plan(&snapshot, as_of())
                .map_err(|e| e.to_string())?;
            let trace = playbook
                .explain(&snapshot, as_of())
                .map_err(|e| e.to_string())?;
            assert!(!trace.to_string().is_empty());
            Ok(plan.actions.len())
        })
        .expect("thread starts")
        .join()
        .expect("no stack overflow")
}

#[test]
fn the_tallest_expression_the_parser_accepts_evaluates() {
    let chain = vec!["x > 5"; 250].join(" or ");
    let source = format!(
        "playbook \"deep\" {{}}\nmember {{ id: string, x: int }}\nrule r {{\n  when {chain} or x == 2\n  then tag \"deep\"\n}}\n"
    );
    assert_eq!(plan_on_small_thread(source), Ok(1));
}

#[test]
fn long_segment_chains_evaluate_or_are_refused_at_compile_time() {
    // Each link adds two levels: `s{i} = s{i-1} and x > 0`; the limit is 300 levels,
    // so 148 links is the longest chain that compiles.
    let chain = |links: usize| {
        let mut source = String::from(
            "playbook \"chain\" {}\nmember { id: string, x: int }\nsegment s0 = x == 2\n",
        );
        for i in 1..=links {
            source.push_str(&format!("segment s{i} = s{} and x > 0\n", i - 1));
        }
        source.push_str(&format!(
            "rule r {{\n  when s{links}\n  then tag \"chained\"\n}}\n"
        ));
        source
    };
    assert_eq!(plan_on_small_thread(chain(148)), Ok(1));
    let refused = plan_on_small_thread(chain(149)).expect_err("refused");
    assert!(refused.contains("1 error"), "{refused}");
    let refused = plan_on_small_thread(chain(2_000)).expect_err("refused");
    assert!(refused.contains("error"), "{refused}");
}
