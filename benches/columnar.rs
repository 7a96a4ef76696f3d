//! In-process throughput of Arrow batches against JSON Lines, on one thread: the same
//! members (from `examples/gen_members.rs`) planned with the 20-rule benchmark
//! playbook by `Playbook::plan_arrow`, batch by batch, and by
//! `Playbook::plan_lines_json` with one thread (what `siyu run --threads 1` does,
//! without reading and writing files). Rounds alternate the two and the ratio is the
//! median of the per-round ratios. It also times `plan_arrow` on one batch of 10,000
//! members (to set the Python call's overhead against), and writes the members as a
//! Parquet file for the whole-process comparison in `benches/scale.sh`.
//!
//! ```sh
//! cargo bench --features parquet --bench columnar -- target/bench/members-200000.jsonl
//! ```
//!
//! Arguments: the members file (JSON Lines), then the number of rounds (default 7).
//! Writes the members as `<members>.parquet` beside it.

#[path = "../tests/support/arrow.rs"]
mod support;

use std::fs::File;
use std::time::Instant;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use siyu::{AsOf, PlanOptions, Playbook};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";
/// Members a batch holds (Spark's default `maxRecordsPerBatch`).
const BATCH: usize = 10_000;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let path = args
        .next()
        .unwrap_or_else(|| "target/bench/members-200000.jsonl".into());
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(7);
    let root = env!("CARGO_MANIFEST_DIR");
    let playbook = Playbook::from_file(format!("{root}/benches/playbooks/perf20.rules"))
        .unwrap_or_else(|error| panic!("the benchmark playbook does not load: {error}"));
    let as_of = AsOf::parse(AS_OF).unwrap_or_else(|error| panic!("{error}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!("cannot read {path}: {error} (benches/scale.sh generates it)")
    });
    let rows = support::json_lines(&text);
    let schema = playbook
        .member_schema()
        .expect("the playbook has a member block");
    let batches: Vec<RecordBatch> = rows
        .chunks(BATCH)
        .map(|chunk| support::batch(&schema, chunk))
        .collect();
    let members = rows.len();
    drop(rows);
    write_parquet(&format!("{path}.parquet"), &batches);

    let arrow = || {
        let started = Instant::now();
        let mut planned = 0;
        for batch in &batches {
            planned += playbook
                .plan_arrow(batch, as_of)
                .expect("planned")
                .num_rows();
        }
        assert_eq!(planned, members);
        started.elapsed().as_secs_f64()
    };
    let lines = || {
        let started = Instant::now();
        let options = PlanOptions::default().threads(1);
        let mut bytes = 0;
        for chunk in playbook.plan_lines_json(text.as_bytes(), as_of, options) {
            bytes += chunk.plans.len();
        }
        assert!(bytes > 0);
        started.elapsed().as_secs_f64()
    };
    let one_batch = || {
        let started = Instant::now();
        playbook.plan_arrow(&batches[0], as_of).expect("planned");
        started.elapsed().as_secs_f64()
    };
    arrow();
    lines();
    let (mut arrow_times, mut line_times, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (a, l) = if round % 2 == 0 {
            let a = arrow();
            (a, lines())
        } else {
            let l = lines();
            (arrow(), l)
        };
        println!(
            "round {}: plan_arrow {a:.3} s, plan_lines_json {l:.3} s",
            round + 1
        );
        arrow_times.push(a);
        line_times.push(l);
        ratios.push(a / l);
    }
    let mut batch_times: Vec<f64> = (0..50).map(|_| one_batch()).collect();
    let (a, l) = (median(&mut arrow_times), median(&mut line_times));
    let rate = |seconds: f64| members as f64 / seconds / 1000.0;
    println!("{members} members, one thread, median of {rounds} rounds:");
    println!(
        "  plan_arrow, batches of {BATCH}      {a:.3} s  {:.0}k members/s",
        rate(a)
    );
    println!(
        "  plan_lines_json, 1 thread       {l:.3} s  {:.0}k members/s",
        rate(l)
    );
    println!(
        "  paired ratio plan_arrow / plan_lines_json = {:.3}",
        median(&mut ratios)
    );
    let one = median(&mut batch_times);
    println!(
        "  plan_arrow on one batch of {} members: {:.3} ms (median of 50)",
        batches[0].num_rows(),
        one * 1000.0
    );
}

/// The members as a Parquet file (snappy, row groups of 65,536), as a data team's
/// pipeline would write them.
fn write_parquet(path: &str, batches: &[RecordBatch]) {
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(65_536))
        .build();
    let file = File::create(path).unwrap_or_else(|error| panic!("cannot write {path}: {error}"));
    let schema = batches[0].schema();
    let mut writer = ArrowWriter::try_new(file, schema, Some(properties)).expect("a writer");
    for batch in batches {
        writer.write(batch).expect("written");
    }
    writer.close().expect("closed");
}
