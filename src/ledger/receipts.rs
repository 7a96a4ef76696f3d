//! Delivery receipts: JSON Lines from the system that sends, each naming a planned
//! touch (by its `id`, or by `member`, `rule`, `channel` and `at`) and its `status`,
//! `delivered` or `failed`. A failed touch no longer counts against any cap. A line
//! that is malformed or names no planned touch is reported with its line number and
//! skipped; the others are applied in one transaction.

use std::io::BufRead;

use serde::Serialize;

use super::ids::parse_hex;
use super::store::{Receipt, Store, TouchRef};
use super::LedgerError;

/// What importing receipts did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReceiptReport {
    /// Receipts applied.
    pub applied: u64,
    /// Receipts skipped, with why.
    pub skipped: Vec<ReceiptProblem>,
}

/// A receipt that was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReceiptProblem {
    /// Its line, from 1 (blank lines counted).
    pub line: u64,
    /// Why it was skipped.
    pub reason: String,
}

/// Receipts applied per batch (each batch is one pass over the actions' log).
const BATCH: usize = 50_000;

/// Reads and applies receipts, all in one transaction.
pub(crate) fn import<R: BufRead>(
    store: &mut dyn Store,
    reader: R,
) -> Result<ReceiptReport, LedgerError> {
    store.begin_receipts()?;
    match import_lines(store, reader) {
        Ok(report) => {
            store.commit_receipts()?;
            Ok(report)
        }
        Err(error) => {
            let _ = store.rollback_receipts();
            Err(error)
        }
    }
}

fn import_lines<R: BufRead>(
    store: &mut dyn Store,
    reader: R,
) -> Result<ReceiptReport, LedgerError> {
    let mut report = ReceiptReport::default();
    let mut batch: Vec<(u64, Receipt)> = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let number = index as u64 + 1;
        let line = match line {
            Ok(line) => line,
            Err(error) => {
                report
                    .skipped
                    .push(problem(number, format!("cannot be read: {error}")));
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match parse(&line) {
            Ok((touch, status)) => batch.push((number, Receipt { touch, status })),
            Err(reason) => report.skipped.push(problem(number, reason)),
        }
        if batch.len() >= BATCH {
            apply(store, &mut batch, &mut report)?;
        }
    }
    apply(store, &mut batch, &mut report)?;
    report.skipped.sort_by_key(|problem| problem.line);
    Ok(report)
}

/// Applies a batch; the receipts that matched nothing are reported.
fn apply(
    store: &mut dyn Store,
    batch: &mut Vec<(u64, Receipt)>,
    report: &mut ReceiptReport,
) -> Result<(), LedgerError> {
    if batch.is_empty() {
        return Ok(());
    }
    let receipts: Vec<Receipt> = batch.iter().map(|(_, r)| r.clone()).collect();
    let matched = store.apply_receipts(&receipts)?;
    for ((line, receipt), found) in batch.iter().zip(matched) {
        if found == 0 {
            report.skipped.push(problem(*line, unknown(&receipt.touch)));
        } else {
            report.applied += 1;
        }
    }
    batch.clear();
    Ok(())
}

fn problem(line: u64, reason: String) -> ReceiptProblem {
    ReceiptProblem { line, reason }
}

fn unknown(touch: &TouchRef) -> String {
    match touch {
        TouchRef::Id(id) => format!(
            "no planned touch has the id `{}`",
            super::ids::hex_string(*id)
        ),
        TouchRef::Fields {
            member,
            rule,
            channel,
            ..
        } => format!(
            "no planned touch of rule `{rule}` on `{channel}` for member `{member}` at that time"
        ),
    }
}

/// A receipt line: the touch it names and its status.
fn parse(line: &str) -> Result<(TouchRef, &'static str), String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|error| format!("malformed JSON: {error}"))?;
    let object = value
        .as_object()
        .ok_or_else(|| "a receipt is a JSON object".to_string())?;
    let status = match object.get("status").and_then(|s| s.as_str()) {
        Some("delivered") => "delivered",
        Some("failed") => "failed",
        Some(other) => {
            return Err(format!(
                "`status` is `delivered` or `failed`, found `{other}`"
            ))
        }
        None => return Err("`status` is missing (`delivered` or `failed`)".into()),
    };
    if let Some(id) = object.get("id") {
        let text = id.as_str().unwrap_or_default();
        let id = parse_hex(text)
            .ok_or_else(|| format!("`id` is an action id of 16 hexadecimal digits, found {id}"))?;
        return Ok((TouchRef::Id(id), status));
    }
    let text = |field: &str| -> Result<String, String> {
        match object.get(field) {
            Some(serde_json::Value::String(text)) => Ok(text.clone()),
            Some(serde_json::Value::Number(number)) if field == "member" => Ok(number.to_string()),
            Some(other) => Err(format!("`{field}` should be a string, found {other}")),
            None => Err(format!(
                "`{field}` is missing (a receipt names a touch by `id`, or by `member`, `rule`, `channel` and `at`)"
            )),
        }
    };
    let (member, rule, channel, at) = (
        text("member")?,
        text("rule")?,
        text("channel")?,
        text("at")?,
    );
    let at = crate::ingest::decode::parse_datetime(&at)
        .ok_or_else(|| format!("`at` is not an RFC 3339 date-time: `{at}`"))?;
    Ok((
        TouchRef::Fields {
            member,
            rule,
            channel,
            at: at.as_second(),
        },
        status,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_read_by_id_or_by_fields() {
        let (touch, status) =
            parse(r#"{"id": "00000000000000ff", "status": "failed"}"#).expect("ok");
        assert_eq!(touch, TouchRef::Id(255));
        assert_eq!(status, "failed");
        let (touch, _) = parse(
            r#"{"member": 7, "rule": "r", "channel": "dm", "at": "2026-11-25T10:00:00+08:00", "status": "delivered"}"#,
        )
        .expect("ok");
        assert!(
            matches!(touch, TouchRef::Fields { ref member, at: 1_795_572_000, .. } if member == "7")
        );
    }

    #[test]
    fn bad_receipts_say_why() {
        assert!(parse("{").expect_err("bad").starts_with("malformed JSON"));
        assert!(parse(r#"{"id": "ff", "status": "failed"}"#)
            .expect_err("bad")
            .contains("16 hexadecimal"));
        assert!(parse(r#"{"id": "00000000000000ff", "status": "sent"}"#)
            .expect_err("bad")
            .contains("`sent`"));
        assert!(parse(r#"{"member": "m", "status": "failed"}"#)
            .expect_err("bad")
            .contains("`rule` is missing"));
    }
}
