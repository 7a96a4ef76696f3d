//! In-process throughput of a whole stream: 5,000 members from
//! `examples/members.jsonl`, held in memory, planned with the 20-rule benchmark
//! playbook on one thread and on every core, two ways: `Playbook::plan_lines_json`
//! (plan lines written by the workers, what `siyu run` does) and
//! `Playbook::plan_lines_with` building each `Plan` and serialising it with serde.
//!
//! ```sh
//! cargo bench --bench stream
//! ```
//!
//! Whole-process figures (reading a file, writing plans, the hand-written reference
//! side by side) come from `benches/throughput.sh`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use siyu::{AsOf, PlanOptions, Playbook};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

fn root(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn stream(c: &mut Criterion) {
    let playbook = match Playbook::from_file(root("benches/playbooks/perf20.rules")) {
        Ok(playbook) => playbook,
        Err(error) => panic!("the benchmark playbook does not load: {error}"),
    };
    let as_of = AsOf::parse(AS_OF).unwrap_or_else(|error| panic!("{error}"));
    let input = std::fs::read(root("examples/members.jsonl"))
        .unwrap_or_else(|error| panic!("cannot read examples/members.jsonl: {error}"));
    let members = input.iter().filter(|byte| **byte == b'\n').count() as u64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut group = c.benchmark_group("stream_5000");
    group.throughput(Throughput::Elements(members));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for threads in [1, cores] {
        group.bench_function(format!("plan_lines_json/threads_{threads}"), |b| {
            b.iter(|| {
                let options = PlanOptions::default().threads(threads);
                let chunks = playbook.plan_lines_json(&input[..], as_of, options);
                chunks.map(|chunk| chunk.plans.len()).sum::<usize>()
            })
        });
        group.bench_function(format!("plan_and_serialise/threads_{threads}"), |b| {
            b.iter(|| {
                let options = PlanOptions::default().threads(threads);
                let lines = playbook.plan_lines_with(&input[..], as_of, options, |item| {
                    let mut buffer = Vec::new();
                    if let Ok(plan) = item {
                        let _ = serde_json::to_writer(&mut buffer, &plan);
                    }
                    buffer
                });
                lines.map(|line| line.len()).sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stream);
criterion_main!(benches);
