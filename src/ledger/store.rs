//! What a ledger back end does, whatever it stores into: the SQLite file and the
//! PostgreSQL database implement [`Store`] (the run's writer and the inspections) and
//! [`HistoryReader`] (one per planning thread), over the same tables.
//!
//! The tables, in both back ends (names prefixed with `siyu_` so a shared database
//! stays readable):
//! - `siyu_meta (name, value)`: `application = siyu`, `schema_version = 1`;
//! - `siyu_playbooks (id, key)`: one row per playbook key;
//! - `siyu_runs (run, playbook, as_of, as_of_text, source_hash, started, finished,
//!   members, planned, invalid, summary)`: one row per committed run, unique per
//!   playbook and as-of, `summary` the run's summary as JSON;
//! - `siyu_members (playbook, member, as_of, stage, since, touches, stale)`: each
//!   member's state after the latest run that planned it: that run's as-of, the stage
//!   and since when, and the recent touches (see `touches.rs`). It is what a run reads:
//!   one row per member. (`stale` marks, inside a run that replaces runs, the rows those
//!   runs wrote, to be rebuilt from the logs at commit.)
//! - `siyu_stages (playbook, as_of, member, run, stage, since)`: the log of each planned
//!   member's stage at each run;
//! - `siyu_actions (playbook, as_of, member, id, run, rule, position, verb, channel, at,
//!   at_text, status)`: the log of each planned action; `status` is `planned`,
//!   `delivered` or `failed`.
//!
//! The logs are keyed by playbook and as-of first, so a run appends to them and a run
//! is deleted as one range; the members' rows are keyed by playbook and member, so a
//! member's history is one look-up.
//!
//! Times are whole seconds since 1970-01-01T00:00:00Z; ids are the action ids as
//! signed 64-bit integers.

use std::sync::Arc;

use serde::Serialize;

use super::history::StoredHistory;
use super::LedgerError;

/// The schema version this siyu writes and reads.
pub(crate) const SCHEMA_VERSION: i64 = 1;

/// Reads members' histories for one run (one reader per planning thread).
pub(crate) trait HistoryReader: Send {
    /// The histories of `members`, in order, for a run of `key` at `as_of` whose caps
    /// look back `window` seconds: the stage at the latest run before `as_of`, and the
    /// touches of runs before `as_of` whose time lies in (as_of − window, as_of].
    fn read(
        &mut self,
        query: &HistoryQuery,
        members: &[&str],
        out: &mut Vec<StoredHistory>,
    ) -> Result<(), LedgerError>;
}

/// What a run asks the ledger about its members.
#[derive(Debug, Clone)]
pub(crate) struct HistoryQuery {
    pub key: Arc<str>,
    pub as_of: i64,
    /// How long a member's row keeps touches, in seconds: the playbook's longest cap
    /// window, and [`MIN_KEEP`] at least.
    pub keep: i64,
}

/// Touches are kept 30 days at least, whatever the caps.
pub(crate) const MIN_KEEP: i64 = 30 * 86_400;

/// Runs a touch may be planned ahead of its run's as-of (an `at` time, a window's next
/// opening): the logs are searched this much further back.
pub(crate) const LEAD: i64 = 7 * 86_400;

/// One planned member of a run, as the ledger records it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MemberRow {
    pub member: Arc<str>,
    pub stage: Option<Arc<str>>,
    pub since: i64,
    pub actions: Vec<ActionRow>,
    /// The member's row's touches of earlier runs still kept, and this run's: what its
    /// row holds after the run.
    pub touches: String,
}

/// One planned action.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionRow {
    pub id: u64,
    pub rule: Arc<str>,
    pub position: u32,
    pub verb: &'static str,
    pub channel: Option<Arc<str>>,
    pub at: i64,
    pub at_text: Box<str>,
}

/// A committed run, as `siyu ledger runs` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RunInfo {
    /// The run's number.
    pub run: i64,
    /// The playbook's key.
    pub playbook: String,
    /// The run's as-of time, RFC 3339, as it was given.
    pub as_of: String,
    /// The hash of the playbook's source files (16 hexadecimal digits).
    pub source_hash: String,
    /// Members read.
    pub members: u64,
    /// Members planned.
    pub planned: u64,
    /// Invalid snapshots.
    pub invalid: u64,
    /// When the run started and finished (RFC 3339, UTC).
    #[serde(skip)]
    pub started: String,
    /// When the run was committed.
    #[serde(skip)]
    pub finished: String,
    /// The run's summary as JSON (what `--summary` writes).
    #[serde(skip)]
    pub summary: String,
}

/// One run that planned a member, as `siyu ledger history` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MemberRun {
    /// The run's number.
    pub run: i64,
    /// The playbook's key.
    pub playbook: String,
    /// The run's as-of time.
    pub as_of: String,
    /// The member's stage at that run.
    pub stage: Option<String>,
    /// The actions planned for the member.
    pub actions: Vec<PastAction>,
}

/// An action a run planned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PastAction {
    /// The action's id.
    pub id: String,
    /// The rule.
    pub rule: String,
    /// The verb.
    pub verb: String,
    /// The channel, for touches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// When it was planned for.
    pub at: String,
    /// `planned`, `delivered` or `failed`.
    pub status: String,
}

/// A receipt: the touch it names and its status.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Receipt {
    pub touch: TouchRef,
    pub status: &'static str,
}

/// How a receipt names the touch it is about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TouchRef {
    /// By its action id.
    Id(u64),
    /// By its member, rule, channel and time (seconds).
    Fields {
        member: String,
        rule: String,
        channel: String,
        at: i64,
    },
}

/// A run being written: opened by [`Store::begin`], fed member rows, then committed.
pub(crate) trait RunWriter {
    /// Records planned members (in the run's transaction, not yet visible).
    fn record(&mut self, rows: &[MemberRow]) -> Result<(), LedgerError>;
    /// Records the run row and makes the whole run visible at once.
    fn commit(self: Box<Self>, run: &RunInfo) -> Result<i64, LedgerError>;
}

/// What to do with runs of the same key at a later as-of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Later {
    /// Refuse the run.
    Refuse,
    /// Delete them first (in the run's transaction).
    Replace,
}

/// A ledger back end.
pub(crate) trait Store: Send {
    /// Starts a run of `key` at `as_of` (seconds): takes the key's lock, refuses or
    /// deletes later runs, and deletes a run at the same as-of (a re-run replaces it).
    fn begin(
        &mut self,
        key: &str,
        as_of: i64,
        keep: i64,
        later: Later,
    ) -> Result<Box<dyn RunWriter + '_>, LedgerError>;
    /// What opens a reader for each planning thread.
    fn readers(&self) -> Result<super::view::ReaderFactory, LedgerError>;
    /// Committed runs, oldest first (of one key, or all).
    fn runs(&mut self, key: Option<&str>) -> Result<Vec<RunInfo>, LedgerError>;
    /// The runs that planned a member, oldest first.
    fn history(&mut self, member: &str, key: Option<&str>) -> Result<Vec<MemberRun>, LedgerError>;
    /// Starts the one transaction receipts are applied in.
    fn begin_receipts(&mut self) -> Result<(), LedgerError>;
    /// Applies a batch of receipts: sets the status of the actions each names, and
    /// takes failed touches out of the members' rows. Gives, for each receipt, how many
    /// actions it matched.
    fn apply_receipts(&mut self, receipts: &[Receipt]) -> Result<Vec<u64>, LedgerError>;
    /// Commits the receipts' transaction.
    fn commit_receipts(&mut self) -> Result<(), LedgerError>;
    /// Rolls the receipts' transaction back.
    fn rollback_receipts(&mut self) -> Result<(), LedgerError>;
}
