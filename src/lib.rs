//! # siyu (私域)
//!
//! A rules engine for private-domain marketing. Marketers write playbooks in a small
//! language (`.rules` files); siyu checks them, compiles them once, and evaluates them
//! against member snapshots to produce an outreach plan per member: what to send, on
//! which channel, when, and for every action held back, why.
//!
//! The pipeline runs one way: source text → [`syntax`] (parse) → [`ast`] → [`check`] →
//! [`compile`] → [`eval`] (one member) → [`plan`]. [`ingest`] reads snapshots and plans
//! whole streams in parallel.
//!
//! ```
//! let playbook = siyu::Playbook::from_source("shop.rules", r#"
//!     playbook "shop" { timezone "+08:00" }
//!     member { id: string, orders: int, consent: { dm: bool } }
//!     channel dm { consent consent.dm  window 10:00-21:00 }
//!     stage customer when orders >= 1
//!     rule thanks { stage customer  then send "thank you" via dm }
//! "#).map_err(|e| e.to_string())?;
//! let as_of = siyu::AsOf::parse("2026-11-25T09:00:00+08:00").map_err(|e| e.to_string())?;
//! let snapshot = serde_json::json!({"id": "m1", "orders": 3, "consent": {"dm": true}});
//! let plan = playbook.plan(&snapshot, as_of).map_err(|e| e.to_string())?;
//! let line = serde_json::to_string(&plan).map_err(|e| e.to_string())?;
//! assert!(line.contains(r#""at":"2026-11-25T10:00:00+08:00""#));
//! # Ok::<(), String>(())
//! ```
#![warn(missing_docs)]

pub mod ast;
pub mod check;
pub mod compile;
pub mod diagnostics;
pub mod eval;
pub mod format;
pub mod ingest;
pub mod limits;
pub mod plan;
mod playbook;
pub mod syntax;
pub mod testing;

pub use diagnostics::{Diagnostic, Severity, SourceMap, Span};
pub use eval::trace::Trace;
pub use eval::Value;
pub use ingest::{InputFormat, JsonChunk, PlanOptions, PlanStream, Snapshots, StreamItem};
pub use plan::{
    Action, ErrorKind, ErrorRecord, MemberError, Plan, Reason, RuleCounts, Summary, Suppression,
    Verb,
};
pub use playbook::{AsOf, AsOfError, EvaluateError, Member, Playbook, PlaybookError};
