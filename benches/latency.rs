//! In-process timings through the public library API: planning one member with the
//! 20-rule benchmark playbook (the latency an embedder sees per event), the same work
//! done by the hand-written reference of `examples/reference.rs`, and loading (parsing
//! and compiling) a generated playbook of 1,000 rules.
//!
//! ```sh
//! cargo bench --bench latency
//! ```
//!
//! Members come from `examples/members.jsonl` (made by `examples/gen_members.rs`). The
//! "cycling" figures plan a different member at each iteration, going round all 5,000,
//! so that no single member's shape decides the figure; the "typical" one plans one
//! member whose plan has two actions and one suppression.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use siyu::{AsOf, Playbook};

#[allow(dead_code)]
#[path = "../examples/reference.rs"]
mod reference;

#[allow(dead_code)]
#[path = "../examples/gen_playbook.rs"]
mod gen_playbook;

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

fn root(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn perf20() -> Playbook {
    match Playbook::from_file(root("benches/playbooks/perf20.rules")) {
        Ok(playbook) => playbook,
        Err(error) => panic!("the benchmark playbook does not load: {error}"),
    }
}

fn members() -> Vec<String> {
    let text = std::fs::read_to_string(root("examples/members.jsonl"))
        .unwrap_or_else(|error| panic!("cannot read examples/members.jsonl: {error}"));
    text.lines().map(str::to_owned).collect()
}

fn as_of() -> AsOf {
    AsOf::parse(AS_OF).unwrap_or_else(|error| panic!("{error}"))
}

/// One member, decoded, planned and serialised the way `siyu run` writes it.
fn single_member(c: &mut Criterion) {
    let playbook = perf20();
    let as_of = as_of();
    let lines = members();
    let typical = lines.get(1).cloned().unwrap_or_default();
    let snapshot: serde_json::Value = serde_json::from_str(&typical).unwrap_or_default();
    let mut group = c.benchmark_group("one_member");
    group.measurement_time(Duration::from_secs(5));

    group.bench_function("plan_json/typical", |b| {
        b.iter(|| playbook.plan_json(black_box(&typical), as_of))
    });
    group.bench_function("plan_value/typical", |b| {
        b.iter(|| playbook.plan(black_box(&snapshot), as_of))
    });
    let mut next = 0usize;
    let mut buffer = Vec::with_capacity(4096);
    group.bench_function("plan_json_and_write/cycling", |b| {
        b.iter(|| {
            next = (next + 1) % lines.len();
            let line = lines.get(next).map_or("", String::as_str);
            buffer.clear();
            if let Ok(plan) = playbook.plan_json(black_box(line), as_of) {
                let _ = serde_json::to_writer(&mut buffer, &plan);
            }
            buffer.len()
        })
    });
    let run = reference::Run::new(as_of.timestamp());
    group.bench_function("reference_decode_plan_write/cycling", |b| {
        b.iter(|| {
            next = (next + 1) % lines.len();
            let line = lines.get(next).map_or("", String::as_str);
            buffer.clear();
            let snapshot: Result<reference::Snapshot, _> = serde_json::from_str(black_box(line));
            if let Ok(snapshot) = snapshot {
                if let Ok(plan) = reference::plan_member(&run, &snapshot) {
                    let _ = serde_json::to_writer(&mut buffer, &plan);
                }
            }
            buffer.len()
        })
    });
    group.bench_function("reference_decode_only/cycling", |b| {
        b.iter(|| {
            next = (next + 1) % lines.len();
            let line = lines.get(next).map_or("", String::as_str);
            let snapshot: Result<reference::Snapshot, _> = serde_json::from_str(black_box(line));
            snapshot.is_ok()
        })
    });
    group.finish();
}

/// Parsing and compiling a playbook of 1,000 generated rules.
fn load_large_playbook(c: &mut Criterion) {
    let text = gen_playbook::generate(1000, 7);
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("from_source/1000_rules", |b| {
        b.iter_batched(
            || text.clone(),
            |text| Playbook::from_source("generated.rules", &text).is_ok(),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, single_member, load_large_playbook);
criterion_main!(benches);
