//! # siyu (私域)
//!
//! A rules engine for private-domain marketing. Marketers write playbooks in a small
//! language (`.rules` files); siyu checks them, compiles them once, and evaluates them
//! against member snapshots to produce an outreach plan per member: what to send, on
//! which channel, when, and for every action held back, why.
//!
//! The pipeline runs one way: source text → [`syntax`] (parse) → [`ast`] → [`check`] →
//! [`compile`] → [`eval`] (one member) → [`plan`].
#![warn(missing_docs)]

pub mod ast;
pub mod check;
pub mod compile;
pub mod diagnostics;
pub mod eval;
pub mod format;
pub mod ingest;
pub mod plan;
pub mod syntax;
pub mod testing;

pub use diagnostics::{Diagnostic, Severity, SourceMap, Span};
