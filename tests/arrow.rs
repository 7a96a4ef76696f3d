//! Arrow batches in and out (`--features arrow`): members batches planned by
//! `Playbook::plan_arrow` and `plan_batches_*` give the plans the JSON Lines path gives
//! for the same members, row for row; bad columns are batch errors and bad values row
//! errors, with no row lost.
#![cfg(feature = "arrow")]

mod support;

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, Decimal128Array, Int32Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray, TimestampNanosecondArray, TimestampSecondArray, UInt64Array,
};
use arrow_schema::{DataType, Schema, TimeUnit};
use serde_json::{json, Value};
use siyu::{AsOf, BatchError, PlanOptions, Playbook};
use support::arrow::{batch, field, json_lines, plans};

const AS_OF: &str = "2026-11-25T09:00:00+08:00";

fn as_of() -> AsOf {
    AsOf::parse(AS_OF).expect("as-of")
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The JSON Lines path's results: each line's plan, or its error message.
fn by_lines(playbook: &Playbook, input: &str, threads: usize) -> Vec<Result<Value, String>> {
    let options = PlanOptions::default().threads(threads);
    let mut out = Vec::new();
    for chunk in playbook.plan_lines_json(input.as_bytes(), as_of(), options) {
        for line in chunk.plans.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            out.push(Ok(serde_json::from_slice(line).expect("a plan line")));
        }
        if let Some(record) = chunk.error {
            out.push(Err(record.error));
        }
    }
    out
}

/// Every shipped playbook, each on the 5,000 sample members.
#[test]
fn plan_arrow_equals_the_json_lines_path_on_the_sample_members() {
    let input = std::fs::read_to_string(root().join("examples/members.jsonl")).expect("members");
    let members = json_lines(&input);
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("rules")).expect("rules") {
        let path = entry.expect("an entry").path();
        let Ok(playbook) = Playbook::from_file(&path) else {
            continue;
        };
        let schema = playbook.member_schema().expect("a member block");
        let batch = batch(&schema, &members);
        let planned = playbook.plan_arrow(&batch, as_of()).expect("planned");
        assert_eq!(planned.num_rows(), members.len());
        assert_eq!(planned.schema(), playbook.plan_schema());
        let expected = by_lines(&playbook, &input, 1);
        let actual = plans(&planned, playbook.time_zone());
        for (row, (actual, expected)) in actual.iter().zip(&expected).enumerate() {
            assert_eq!(actual, expected, "{} row {row}", path.display());
        }
        assert_eq!(actual.len(), expected.len());
        checked += 1;
    }
    assert!(checked >= 4, "every shipped playbook is checked");
}

const SHOP: &str = r#"
    playbook "shop" { timezone "+08:00" }
    member {
      id: string
      tier: "none" | "gold"
      orders: int
      spend: float?
      joined: date?
      seen: datetime?
      tags: [string]
      consent: { dm: bool, sms: bool? }
    }
    channel dm { consent consent.dm  window 10:00-21:00  cap 1 per 1d }
    stage buyer when orders >= 1
    stage fan otherwise
    rule thanks {
      stage buyer
      when tier == "gold"
      then send "thanks {id}, {tags}" via dm with { spend: spend, joined: joined }
    }
    rule welcome { stage fan  then tag "new" }
"#;

fn shop() -> Playbook {
    Playbook::from_source("shop.rules", SHOP).expect("compiles")
}

fn shop_rows() -> Vec<Value> {
    vec![
        json!({"id": "a", "tier": "gold", "orders": 2, "spend": 99.5, "joined": "2026-01-02",
               "seen": "2026-11-20T10:00:00+08:00", "tags": ["x", "y"],
               "consent": {"dm": true, "sms": null}}),
        json!({"id": "b", "tier": "none", "orders": 0, "tags": [], "consent": {"dm": false}}),
        json!({"id": "c", "tier": "gold", "orders": 3, "tags": ["z"], "consent": {"dm": true},
               "touches": [{"rule": "thanks", "channel": "dm", "at": "2026-11-25T08:00:00+08:00"}]}),
    ]
}

#[test]
fn a_members_schema_follows_the_member_block() {
    let schema = shop().member_schema().expect("a member block");
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        ["id", "tier", "orders", "spend", "joined", "seen", "tags", "consent", "touches"]
    );
    let ty = |name: &str| {
        schema
            .field_with_name(name)
            .expect(name)
            .data_type()
            .clone()
    };
    assert_eq!(ty("orders"), DataType::Int64);
    assert_eq!(ty("spend"), DataType::Float64);
    assert_eq!(ty("joined"), DataType::Date32);
    assert_eq!(
        ty("seen"),
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert!(schema.fields().iter().all(|f| f.is_nullable()));
    let untyped = Playbook::from_source(
        "u.rules",
        "playbook \"u\" {}\nrule r { when x > 1 then tag \"t\" }",
    )
    .expect("compiles");
    assert!(untyped.member_schema().is_none());
}

#[test]
fn plans_come_back_in_the_plans_schema() {
    let playbook = shop();
    let members = batch(&playbook.member_schema().expect("schema"), &shop_rows());
    let planned = playbook.plan_arrow(&members, as_of()).expect("planned");
    let rows = plans(&planned, playbook.time_zone());
    let first = rows[0].as_ref().expect("planned");
    assert_eq!(first["stage"], "buyer");
    let action = &first["actions"][0];
    assert_eq!(action["content"], "thanks a, x, y");
    assert_eq!(action["at"], "2026-11-25T10:00:00+08:00");
    assert_eq!(
        action["args"],
        json!({"spend": 99.5, "joined": "2026-01-02"})
    );
    // The cap counts the touch history read from the `touches` column.
    let third = rows[2].as_ref().expect("planned");
    assert_eq!(
        third["suppressed"],
        json!([{"rule": "thanks", "reason": "channel_cap", "channel": "dm"}])
    );
    // `at` is an instant labelled with the playbook's zone, written as Arrow writes it.
    let actions = planned
        .column_by_name("actions")
        .expect("actions")
        .as_list::<i32>();
    let at = actions
        .values()
        .as_struct()
        .column_by_name("at")
        .expect("at")
        .clone();
    assert_eq!(
        at.data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("+08:00".into()))
    );
    assert_eq!(rows, by_lines(&playbook, &jsonl(&shop_rows()), 1));
}

fn jsonl(rows: &[Value]) -> String {
    rows.iter().map(|r| format!("{r}\n")).collect()
}

#[test]
fn a_value_that_does_not_fit_is_its_rows_error_and_no_row_is_lost() {
    let playbook = shop();
    let mut rows = shop_rows();
    rows.push(
        json!({"id": "d", "tier": "silver", "orders": 1, "tags": [], "consent": {"dm": true}}),
    );
    rows.push(json!({"id": "e", "tier": "none", "tags": [], "consent": {"dm": true}}));
    rows.push(json!({"id": " ", "tier": "none", "orders": 1, "tags": [], "consent": {"dm": true}}));
    rows.push(json!({"tier": "none", "orders": 1, "tags": [], "consent": {"dm": true}}));
    rows.push(json!({"id": "f", "tier": "none", "orders": 1, "tags": ["a", null], "consent": {"dm": true}}));
    rows.push(json!({"id": "g", "tier": "none", "orders": 1, "tags": [], "consent": {}}));
    rows.push(
        json!({"id": "h", "tier": "none", "orders": 1, "tags": [], "consent": {"dm": true},
                     "touches": [{"channel": "dm"}]}),
    );
    rows.push(json!({"id": "i", "tier": "none", "orders": 1, "tags": [], "consent": {"dm": true}}));
    let members = batch(&playbook.member_schema().expect("schema"), &rows);
    let planned = playbook.plan_arrow(&members, as_of()).expect("planned");
    let results = plans(&planned, playbook.time_zone());
    let errors: Vec<Option<&str>> = results
        .iter()
        .map(|r| r.as_ref().err().map(String::as_str))
        .collect();
    assert_eq!(
        errors,
        [
            None,
            None,
            None,
            Some("field `tier`: expected one of \"none\" | \"gold\", found string \"silver\""),
            Some("missing field `orders`"),
            Some("field `id`: expected a member id, found an empty string"),
            Some("missing field `id`"),
            Some("field `tags[1]`: expected string, found null"),
            Some("missing field `consent.dm`"),
            Some("missing field `touches[0].at`"),
            None,
        ]
    );
    let member = planned
        .column_by_name("member")
        .expect("member")
        .as_string::<i32>();
    assert_eq!(member.value(3), "d", "an error row keeps its id");
    assert!(member.is_null(6), "no id to keep");
    let error = planned.column_by_name("error").expect("error").as_struct();
    assert!(error.is_null(0) && error.is_valid(3));
    assert!(planned
        .column_by_name("actions")
        .expect("actions")
        .is_null(3));
}

#[test]
fn a_list_with_a_null_item_says_so_like_the_json_decoder() {
    // Most messages are the JSON decoder's own: the same snapshot through both paths.
    let playbook = shop();
    let rows = vec![
        json!({"id": "f", "tier": "none", "orders": 1, "tags": ["a", null], "consent": {"dm": true}}),
    ];
    let members = batch(&playbook.member_schema().expect("schema"), &rows);
    let planned = playbook.plan_arrow(&members, as_of()).expect("planned");
    assert_eq!(
        plans(&planned, playbook.time_zone()),
        by_lines(&playbook, &jsonl(&rows), 1)
    );
}

fn with_column(members: &RecordBatch, name: &str, column: ArrayRef) -> RecordBatch {
    let schema = members.schema();
    let mut fields: Vec<_> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns = members.columns().to_vec();
    let index = schema.index_of(name).expect("a column");
    fields[index] = field(name, column.data_type().clone());
    columns[index] = column;
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("a batch")
}

#[test]
fn a_column_of_the_wrong_type_is_a_batch_error() {
    let playbook = shop();
    let members = batch(&playbook.member_schema().expect("schema"), &shop_rows());
    let texts: ArrayRef = Arc::new(StringArray::from(vec!["1", "2", "3"]));
    let error = playbook
        .plan_arrow(&with_column(&members, "orders", texts), as_of())
        .expect_err("orders as strings");
    assert!(matches!(error, BatchError::WrongType { .. }));
    assert_eq!(
        error.to_string(),
        "column `orders`: expected int (an Arrow integer column), found Arrow type Utf8"
    );
    let naive: ArrayRef = Arc::new(TimestampSecondArray::from(vec![Some(1), None, None]));
    let error = playbook
        .plan_arrow(&with_column(&members, "seen", naive), as_of())
        .expect_err("naive");
    assert_eq!(
        error.to_string(),
        "column `seen`: a timestamp without a time zone is not an instant"
    );
    let without: Vec<_> = (0..members.num_columns())
        .filter(|&i| members.schema().field(i).name() != "orders")
        .collect();
    let error = playbook
        .plan_arrow(&members.project(&without).expect("projected"), as_of())
        .expect_err("no orders");
    assert_eq!(
        error.to_string(),
        "the members have no column `orders`, which the member block declares as int"
    );
}

#[test]
fn other_arrow_types_hold_the_same_values() {
    let playbook = shop();
    let members = batch(&playbook.member_schema().expect("schema"), &shop_rows());
    let expected = playbook.plan_arrow(&members, as_of()).expect("planned");
    let variants: Vec<(&str, ArrayRef)> = vec![
        ("orders", Arc::new(Int32Array::from(vec![2, 0, 3]))),
        ("orders", Arc::new(UInt64Array::from(vec![2, 0, 3]))),
        ("id", Arc::new(LargeStringArray::from(vec!["a", "b", "c"]))),
        ("id", Arc::new(StringViewArray::from(vec!["a", "b", "c"]))),
        (
            "spend",
            Arc::new(
                Decimal128Array::from(vec![Some(9950), None, None])
                    .with_precision_and_scale(10, 2)
                    .expect("a decimal"),
            ),
        ),
        (
            "joined",
            Arc::new(StringArray::from(vec![Some("2026-01-02"), None, None])),
        ),
        (
            "seen",
            Arc::new(
                TimestampNanosecondArray::from(vec![Some(1_795_140_000_000_000_000), None, None])
                    .with_timezone("Asia/Shanghai"),
            ),
        ),
    ];
    for (name, column) in variants {
        let ty = column.data_type().clone();
        let planned = playbook.plan_arrow(&with_column(&members, name, column), as_of());
        assert_eq!(planned.as_ref().ok(), Some(&expected), "`{name}` as {ty}");
    }
}

#[test]
fn without_a_member_block_columns_are_read_as_they_come() {
    let source = r#"
        playbook "u" {}
        channel dm {}
        rule big { when spend > 100 and profile.city == "上海" then send "hi {profile.city}" via dm }
    "#;
    let playbook = Playbook::from_source("u.rules", source).expect("compiles");
    let rows = vec![
        json!({"id": 7, "spend": 150, "profile": {"city": "上海"}, "other": "ignored"}),
        json!({"id": 8, "spend": 50.5, "profile": {"city": "上海"}}),
    ];
    let schema = Arc::new(Schema::new(vec![
        field("id", DataType::Int64),
        field("spend", DataType::Float64),
        field(
            "profile",
            DataType::Struct(vec![field("city", DataType::Utf8)].into()),
        ),
    ]));
    let planned = playbook
        .plan_arrow(&batch(&schema, &rows), as_of())
        .expect("planned");
    assert_eq!(
        plans(&planned, playbook.time_zone()),
        by_lines(&playbook, &jsonl(&rows), 1)
    );
}

#[test]
fn a_run_time_error_takes_back_the_row_begun() {
    let source = r#"
        playbook "u" {}
        channel dm {}
        rule first { then tag "ok" }
        rule second { then send "{name + 1}" via dm }
        rule third { then tag "after" }
    "#;
    let playbook = Playbook::from_source("u.rules", source).expect("compiles");
    let rows = vec![
        json!({"id": "a", "name": 3}),
        json!({"id": "b", "name": "x"}),
        json!({"id": "c", "name": 4}),
    ];
    let schema = Arc::new(Schema::new(vec![
        field("id", DataType::Utf8),
        field("name", DataType::Utf8),
    ]));
    let mut rows_as_text = rows.clone();
    for row in &mut rows_as_text {
        row["name"] = Value::from(row["name"].to_string().trim_matches('"'));
    }
    let planned = playbook
        .plan_arrow(&batch(&schema, &rows_as_text), as_of())
        .expect("planned");
    let results = plans(&planned, playbook.time_zone());
    assert!(results.iter().all(Result::is_err), "{results:?}");
    let actions = planned
        .column_by_name("actions")
        .expect("actions")
        .as_list::<i32>();
    assert_eq!(
        actions.values().len(),
        0,
        "no action of a failed row is left"
    );
}

#[test]
fn batch_streams_equal_the_json_lines_stream_with_duplicates_and_errors() {
    let playbook = shop();
    let mut rows = shop_rows();
    rows.push(json!({"id": "a", "tier": "none", "orders": 0, "tags": [], "consent": {"dm": true}}));
    rows.push(
        json!({"id": "d", "tier": "silver", "orders": 1, "tags": [], "consent": {"dm": true}}),
    );
    for i in 0..40 {
        rows.push(json!({"id": format!("m{i}"), "tier": "gold", "orders": i % 3, "tags": [], "consent": {"dm": i % 2 == 0}}));
    }
    rows.push(
        json!({"id": "m7", "tier": "gold", "orders": 1, "tags": [], "consent": {"dm": true}}),
    );
    let schema = playbook.member_schema().expect("schema");
    let batches: Vec<RecordBatch> = rows.chunks(7).map(|chunk| batch(&schema, chunk)).collect();
    let input = jsonl(&rows);
    for threads in [1, 2, 3] {
        let options = PlanOptions::default().threads(threads);
        let mut lines = Vec::new();
        let mut errors = Vec::new();
        let mut summary = playbook.summary();
        let items = batches.iter().cloned().map(Ok::<_, String>);
        for chunk in playbook.plan_batches_json(items, as_of(), options.clone()) {
            lines.extend_from_slice(&chunk.plans);
            errors.extend(chunk.error);
            summary.merge(&chunk.summary);
        }
        let mut expected_lines = Vec::new();
        let mut expected_errors = Vec::new();
        let mut expected_summary = playbook.summary();
        for chunk in playbook.plan_lines_json(input.as_bytes(), as_of(), options.clone()) {
            expected_lines.extend_from_slice(&chunk.plans);
            expected_errors.extend(chunk.error);
            expected_summary.merge(&chunk.summary);
        }
        assert_eq!(
            support::text(&lines),
            support::text(&expected_lines),
            "{threads} threads"
        );
        assert_eq!(errors, expected_errors);
        assert!(errors
            .iter()
            .any(|e| e.error == "duplicate id `a`, first at line 1"));
        assert_eq!(summary, expected_summary);

        let mut arrow_summary = playbook.summary();
        let mut arrow_errors = Vec::new();
        let mut arrow_rows = Vec::new();
        let items = batches.iter().cloned().map(Ok::<_, String>);
        for chunk in playbook.plan_batches_arrow(items, as_of(), options) {
            arrow_rows.extend(plans(&chunk.plans, playbook.time_zone()));
            arrow_errors.extend(chunk.error);
            arrow_summary.merge(&chunk.summary);
        }
        let expected_rows: Vec<Result<Value, String>> = by_lines(&playbook, &input, threads)
            .into_iter()
            .filter(Result::is_ok)
            .collect();
        assert_eq!(arrow_rows, expected_rows);
        assert_eq!(arrow_errors, expected_errors);
        assert_eq!(arrow_summary, expected_summary);
    }
}

#[test]
fn a_batch_that_cannot_be_read_or_does_not_fit_ends_the_stream() {
    let playbook = shop();
    let schema = playbook.member_schema().expect("schema");
    let good = batch(&schema, &shop_rows());
    let items = vec![Ok(good.clone()), Err("the disk is gone".to_string())];
    let chunks: Vec<_> = playbook
        .plan_batches_json(items, as_of(), PlanOptions::default())
        .collect();
    let last = chunks
        .last()
        .and_then(|c| c.error.clone())
        .expect("an error record");
    assert_eq!(last.kind, siyu::ErrorKind::Input);
    assert_eq!(
        (last.line, last.error.as_str()),
        (4, "cannot read the members: the disk is gone")
    );
    let texts: ArrayRef = Arc::new(StringArray::from(vec!["1", "2", "3"]));
    let items = vec![Ok::<_, String>(with_column(&good, "orders", texts))];
    let chunks: Vec<_> = playbook
        .plan_batches_json(items, as_of(), PlanOptions::default())
        .collect();
    let record = chunks[0].error.clone().expect("an error record");
    assert!(
        record
            .error
            .starts_with("the members do not fit the playbook: column `orders`"),
        "{}",
        record.error
    );
}

#[test]
fn experiments_give_a_variants_column() {
    let path = root().join("rules/beauty_fmcg.rules");
    let playbook = Playbook::from_file(&path).expect("compiles");
    let schema = playbook.plan_schema();
    let Ok(variants) = schema.field_with_name("variants") else {
        panic!("the beauty playbook has an experiment");
    };
    assert!(matches!(variants.data_type(), DataType::Struct(fields) if !fields.is_empty()));
    assert!(shop().plan_schema().field_with_name("variants").is_err());
}

#[test]
fn plans_built_from_plan_values_equal_plan_arrow() {
    let playbook = shop();
    let members = batch(&playbook.member_schema().expect("schema"), &shop_rows());
    let expected = playbook.plan_arrow(&members, as_of()).expect("planned");
    let mut builder = siyu::PlanBatchBuilder::new(&playbook);
    for row in shop_rows() {
        builder.push_plan(&playbook.plan(&row, as_of()).expect("a plan"));
    }
    assert_eq!(builder.finish().expect("a batch"), expected);
}
