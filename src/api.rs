//! The public API, in one place: everything a program embedding siyu (and the `siyu`
//! command itself) may use. The stages behind it stay private; `tests/public_api.rs`
//! keeps this surface listed in `tests/public_api.txt`.

pub use crate::ast::Level;
pub use crate::check::read_source;
#[cfg(feature = "arrow")]
pub use crate::columnar::{ArrowChunk, BatchError, BatchStream, PlanBatchBuilder};
pub use crate::diagnostics::{
    did_you_mean, edit_distance, Code, Diagnostic, FileId, JsonDiagnostic, JsonLabel, Label,
    Report, Severity, SourceFile, SourceMap, Span,
};
pub use crate::eval::trace::{
    Detail, Explained, HoldoutStep, RuleOutcome, RuleStep, StageStep, Step, Trace, VariantStep,
};
pub use crate::eval::{Object, Value};
pub use crate::format::format_source;
pub use crate::ingest::{InputFormat, JsonChunk, PlanOptions, PlanStream, Snapshots, StreamItem};
pub use crate::ledger::{
    History, Ledger, LedgerError, LedgerRun, LedgerView, MemberRun, PastAction, ReceiptProblem,
    ReceiptReport, Recorded, RunInfo, LOCK_WAIT,
};
pub use crate::plan::{
    format_rfc3339, Action, ErrorKind, ErrorRecord, MemberError, Plan, Reason, RuleCounts, Summary,
    Suppression, VariantCounts, Verb,
};
pub use crate::playbook::{AsOf, AsOfError, EvaluateError, Member, Playbook, PlaybookError};
pub use crate::session::{check_source, CheckReport, Declaration, Draft, Expression, Session};
