//! `siyu run` with Parquet members and plans (`--features parquet`): the sample members
//! written to a Parquet file in several row groups give the plans, error records and
//! summary of the JSON Lines file, byte for byte; plans written to Parquet read back
//! as the same plans. Without the feature, a Parquet file is refused in plain words.

mod support;

use support::{scratch, siyu, text};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[cfg(not(feature = "parquet"))]
#[test]
fn a_build_without_parquet_says_how_to_get_it() {
    let folder = scratch("no-parquet");
    let members = folder.join("members.parquet");
    std::fs::write(&members, b"PAR1").expect("a file");
    let playbook = root().join("rules/electronics.rules");
    for args in [
        vec!["--members".as_ref(), members.as_os_str()],
        vec![
            "--members".as_ref(),
            root()
                .join("examples/members.jsonl")
                .into_os_string()
                .leak(),
            "--out".as_ref(),
            folder.join("plans.parquet").into_os_string().leak(),
        ],
    ] {
        let output = siyu()
            .arg("run")
            .arg(&playbook)
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2));
        assert!(
            text(&output.stderr).contains("built without Parquet support"),
            "{}",
            text(&output.stderr)
        );
    }
}

#[cfg(feature = "parquet")]
mod with_parquet {
    use std::fs::File;
    use std::path::Path;

    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use serde_json::{json, Value};
    use siyu::Playbook;

    use super::support::arrow::{batch, json_lines, plans};
    use super::{root, scratch, siyu, text};

    const AS_OF: &str = "2026-11-25T09:00:00+08:00";

    /// Writes `rows` as a Parquet file of the playbook's members schema, in row groups
    /// of `group` rows.
    fn write_members(playbook: &Playbook, rows: &[Value], path: &Path, group: usize) {
        let schema = playbook.member_schema().expect("a member block");
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(group))
            .build();
        let file = File::create(path).expect("a file");
        let mut writer =
            ArrowWriter::try_new(file, schema.clone(), Some(properties)).expect("a writer");
        for chunk in rows.chunks(group) {
            writer.write(&batch(&schema, chunk)).expect("written");
        }
        writer.close().expect("closed");
    }

    /// `siyu run` on `members` with `args`: exit code, stdout, stderr.
    fn run(playbook: &Path, members: &Path, args: &[&str]) -> (Option<i32>, String, String) {
        let output = siyu()
            .arg("run")
            .arg(playbook)
            .arg("--members")
            .arg(members)
            .args(["--as-of", AS_OF, "--quiet"])
            .args(args)
            .output()
            .expect("runs");
        (
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr),
        )
    }

    #[test]
    fn parquet_members_plan_as_the_json_lines_file_does() {
        let folder = scratch("parquet-members");
        let jsonl = root().join("examples/members.jsonl");
        let rows = json_lines(&std::fs::read_to_string(&jsonl).expect("members"));
        for name in ["electronics", "restaurant_local"] {
            let path = root().join(format!("rules/{name}.rules"));
            let playbook = Playbook::from_file(&path).expect("compiles");
            let parquet = folder.join(format!("{name}.parquet"));
            write_members(&playbook, &rows, &parquet, 1_500);
            for threads in ["1", "2"] {
                let summary = |kind: &str| folder.join(format!("{name}-{kind}-{threads}.json"));
                let from_lines = run(
                    &path,
                    &jsonl,
                    &[
                        "--threads",
                        threads,
                        "--summary",
                        summary("lines").to_str().unwrap(),
                    ],
                );
                let from_parquet = run(
                    &path,
                    &parquet,
                    &[
                        "--threads",
                        threads,
                        "--summary",
                        summary("parquet").to_str().unwrap(),
                    ],
                );
                assert_eq!(from_lines.0, Some(0), "{}", from_lines.2);
                assert_eq!(from_parquet, from_lines, "{name}, {threads} threads");
                assert_eq!(from_parquet.1.lines().count(), 5_000);
                let read = |kind| std::fs::read_to_string(summary(kind)).expect("a summary");
                assert_eq!(read("parquet"), read("lines"));
            }
        }
    }

    #[test]
    fn plans_written_to_parquet_read_back_as_the_plan_lines() {
        let folder = scratch("parquet-plans");
        let jsonl = root().join("examples/members.jsonl");
        let path = root().join("rules/electronics.rules");
        let playbook = Playbook::from_file(&path).expect("compiles");
        let rows = json_lines(&std::fs::read_to_string(&jsonl).expect("members"));
        let members = folder.join("members.parquet");
        write_members(&playbook, &rows, &members, 2_000);
        let (code, lines, stderr) = run(&path, &jsonl, &[]);
        assert_eq!(code, Some(0), "{stderr}");
        let expected: Vec<Result<Value, String>> = json_lines(&lines).into_iter().map(Ok).collect();
        for (input, out) in [
            (&jsonl, "from-lines.parquet"),
            (&members, "from-parquet.parquet"),
        ] {
            let out = folder.join(out);
            let (code, stdout, stderr) = run(&path, input, &["--out", out.to_str().unwrap()]);
            assert_eq!((code, stdout.as_str()), (Some(0), ""), "{stderr}");
            let reader =
                ParquetRecordBatchReaderBuilder::try_new(File::open(&out).expect("written"))
                    .expect("a Parquet file")
                    .build()
                    .expect("a reader");
            let mut planned = Vec::new();
            for batch in reader {
                let batch = batch.expect("a batch");
                assert_eq!(batch.schema(), playbook.plan_schema());
                planned.extend(plans(&batch, playbook.time_zone()));
            }
            assert_eq!(planned, expected, "{}", input.display());
        }
    }

    #[test]
    fn invalid_members_and_duplicates_give_the_same_error_records() {
        let folder = scratch("parquet-errors");
        let path = root().join("rules/electronics.rules");
        let playbook = Playbook::from_file(&path).expect("compiles");
        let jsonl = root().join("examples/members.jsonl");
        let mut rows: Vec<Value> = json_lines(&std::fs::read_to_string(&jsonl).expect("members"))
            .into_iter()
            .take(300)
            .collect();
        rows[10]["tier"] = json!("diamond");
        rows[20]["id"] = rows[5]["id"].clone();
        rows[30]
            .as_object_mut()
            .expect("an object")
            .remove("orders");
        rows[299]["id"] = rows[0]["id"].clone();
        let lines: String = rows.iter().map(|r| format!("{r}\n")).collect();
        let as_lines = folder.join("members.jsonl");
        std::fs::write(&as_lines, lines).expect("written");
        let as_parquet = folder.join("members.parquet");
        write_members(&playbook, &rows, &as_parquet, 64);
        let errors = |name: &str| folder.join(name);
        let from_lines = run(
            &path,
            &as_lines,
            &["--errors", errors("lines.jsonl").to_str().unwrap()],
        );
        let from_parquet = run(
            &path,
            &as_parquet,
            &["--errors", errors("parquet.jsonl").to_str().unwrap()],
        );
        assert_eq!(from_parquet, from_lines);
        let read = |name: &str| std::fs::read_to_string(errors(name)).expect("error records");
        assert_eq!(read("parquet.jsonl"), read("lines.jsonl"));
        assert_eq!(read("parquet.jsonl").lines().count(), 4);
        assert!(read("parquet.jsonl").contains("duplicate id"));
        let stop = run(&path, &as_parquet, &["--on-invalid", "fail"]);
        assert_eq!(stop, run(&path, &as_lines, &["--on-invalid", "fail"]));
        assert_eq!(stop.0, Some(1));
    }

    #[test]
    fn a_file_that_is_not_parquet_or_does_not_fit_is_refused_in_plain_words() {
        let folder = scratch("parquet-bad");
        let path = root().join("rules/electronics.rules");
        let bad = folder.join("members.parquet");
        std::fs::write(&bad, "{\"id\": \"a\"}\n").expect("written");
        let (code, stdout, stderr) = run(&path, &bad, &[]);
        assert_eq!((code, stdout.as_str()), (Some(2), ""));
        assert!(
            stderr.starts_with(&format!("error: cannot read `{}`", bad.display())),
            "{stderr}"
        );

        let other = Playbook::from_source(
            "o.rules",
            "playbook \"o\" {}\nmember { id: string, orders: string }",
        )
        .expect("compiles");
        let wrong = folder.join("wrong.parquet");
        write_members(&other, &[json!({"id": "a", "orders": "many"})], &wrong, 10);
        let (code, _, stderr) = run(&path, &wrong, &[]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(
            stderr.contains("the members do not fit the playbook"),
            "{stderr}"
        );
    }

    #[test]
    fn other_commands_say_parquet_is_for_run() {
        let folder = scratch("parquet-elsewhere");
        let members = folder.join("members.parquet");
        std::fs::write(&members, b"PAR1").expect("written");
        let output = siyu()
            .args(["explain"])
            .arg(root().join("rules/electronics.rules"))
            .arg("--members")
            .arg(&members)
            .args(["--id", "m0000001"])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2));
        assert!(
            text(&output.stderr).contains("read by `siyu run` only"),
            "{}",
            text(&output.stderr)
        );
    }
}
