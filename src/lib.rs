//! # siyu (私域)
//!
//! A rules engine for private-domain marketing. Marketers write playbooks in a small
//! language (`.rules` files); siyu checks them, compiles them once, and evaluates them
//! against member snapshots to produce an outreach plan per member: what to send, on
//! which channel, when, and for every action held back, why.
//!
//! The pipeline runs one way: source text → parse → AST → check → compile → evaluate
//! one member → plan; the ingest stage reads snapshots and plans whole streams in
//! parallel. The stages are private (the `internals` feature makes them public, outside
//! semver); what a program uses is re-exported here: [`Playbook`] (compile once, plan
//! many members), [`Session`] (a playbook built one declaration at a time, expressions
//! evaluated against a member), [`check_source`] and [`Diagnostic`] (reports the host
//! renders), [`testing`] (the `test` blocks). `docs/architecture.md` describes the
//! stages.
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
// Without `internals`, the stages are private modules: their `pub` items are the
// crate's own interfaces between stages, and some are only used by the crate's tests.
#![cfg_attr(not(feature = "internals"), allow(dead_code, unused_imports))]

/// Declares the pipeline's stages: public modules with the `internals` feature (for the
/// crate's own tests and tools, outside semver), private ones otherwise.
macro_rules! stages {
    ($($(#[$attr:meta])* $name:ident;)*) => {
        $(
            $(#[$attr])*
            #[cfg(feature = "internals")]
            pub mod $name;
            $(#[$attr])*
            #[cfg(not(feature = "internals"))]
            mod $name;
        )*
    };
}

stages! {
    analysis;
    ast;
    check;
    compile;
    diagnostics;
    eval;
    format;
    ingest;
    limits;
    plan;
    syntax;
}
mod api;
#[cfg(feature = "arrow")]
mod columnar;
mod ledger;
mod playbook;
mod session;
pub mod testing;
pub mod vocabulary;

pub use api::*;
