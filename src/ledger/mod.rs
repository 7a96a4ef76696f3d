//! The ledger: siyu's memory across runs. A run with a ledger records what it planned
//! (each member's stage, each planned action) in one transaction at its end; the next
//! run reads it back, so caps count earlier runs' touches, `on enter` fires on the day
//! a member changes stage, and `previous_stage` and `stage_days` have values.
//!
//! Two back ends share the same tables ([`store`]): an SQLite file (a path; created on
//! first use) and a PostgreSQL database (a `postgres://` or `postgresql://` URL).
//! Planning threads read histories through their own connections ([`LedgerView`]); the
//! run's writer ([`LedgerRun`]) records plans as they come and commits them at once.
//! Everything a run does becomes visible at its commit, or not at all.

mod history;
mod ids;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
mod postgres_run;
mod receipts;
mod record;
mod run;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_run;
mod store;
mod touches;
mod view;

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;

pub use history::History;
pub use receipts::{ReceiptProblem, ReceiptReport};
pub use record::Recorded;
pub use run::LedgerRun;
pub use store::{MemberRun, PastAction, RunInfo};
pub use view::LedgerView;

pub(crate) use history::{StoredHistory, StoredTouch};
pub(crate) use ids::{hex, ActionIds};
pub(crate) use record::{record_member, Recording};
pub(crate) use store::{HistoryReader, MemberRow};

use crate::playbook::{AsOf, Playbook};
use store::{Later, Store};

/// How long a run waits, by default, for another run holding the ledger's lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// A ledger could not be used. The ledger is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// No ledger at that location (when reading one, which never creates it).
    #[error("there is no ledger at `{location}`")]
    Missing {
        /// The path or URL given.
        location: String,
    },
    /// The file is not a siyu ledger (another kind of file, or another database).
    #[error("`{location}` is not a siyu ledger: {why}")]
    NotALedger {
        /// The path given.
        location: String,
        /// What it is instead.
        why: String,
    },
    /// The ledger is damaged.
    #[error("the ledger `{location}` is damaged: {message}")]
    Corrupt {
        /// The path given.
        location: String,
        /// What the database said.
        message: String,
    },
    /// Another run holds the ledger's lock and did not let go in time.
    #[error("the ledger `{location}` is in use by another run (waited {} s)", .waited.as_secs())]
    Busy {
        /// The path or URL given.
        location: String,
        /// How long this run waited.
        waited: Duration,
    },
    /// Written by a newer siyu: refused, never changed.
    #[error("the ledger `{location}` was written by a newer siyu (schema {found}; this siyu reads {supported} and older)")]
    Newer {
        /// The path or URL given.
        location: String,
        /// Its schema version.
        found: i64,
        /// The newest this siyu reads.
        supported: i64,
    },
    /// A run of the same playbook key at a later as-of is already committed.
    #[error("the ledger already holds a later run of `{key}` (run {run}, as of {as_of}); runs go forward in time, or give --replace-later to delete the later runs first")]
    LaterRun {
        /// The playbook's key.
        key: String,
        /// That run's number.
        run: i64,
        /// That run's as-of time.
        as_of: String,
    },
    /// The database server could not be reached or refused the connection.
    #[error("cannot connect to the ledger `{location}`: {message}")]
    Connect {
        /// The URL, password hidden.
        location: String,
        /// Why.
        message: String,
    },
    /// This build of siyu has no support for that kind of ledger.
    #[error("this siyu was built without {what} support, so it cannot open `{location}`")]
    Unsupported {
        /// The path or URL given.
        location: String,
        /// `SQLite` or `PostgreSQL`.
        what: &'static str,
    },
    /// Any other database error.
    #[error("the ledger `{location}` failed: {message}")]
    Database {
        /// The path or URL given.
        location: String,
        /// What the database said.
        message: String,
    },
    /// A view was used for another playbook or as-of time than it was opened for.
    #[error("the ledger view was opened for another playbook or as-of time")]
    ViewMismatch,
}

impl miette::Diagnostic for LedgerError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let code = match self {
            LedgerError::Missing { .. } => "siyu::ledger::missing",
            LedgerError::NotALedger { .. } => "siyu::ledger::not_a_ledger",
            LedgerError::Corrupt { .. } => "siyu::ledger::corrupt",
            LedgerError::Busy { .. } => "siyu::ledger::busy",
            LedgerError::Newer { .. } => "siyu::ledger::newer",
            LedgerError::LaterRun { .. } => "siyu::ledger::later_run",
            LedgerError::Connect { .. } => "siyu::ledger::connect",
            LedgerError::Unsupported { .. } => "siyu::ledger::unsupported",
            LedgerError::Database { .. } => "siyu::ledger::database",
            LedgerError::ViewMismatch => "siyu::ledger::view_mismatch",
        };
        Some(Box::new(code))
    }
}

/// A ledger, opened by location: a file path (SQLite) or a `postgres://` URL.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # #[cfg(feature = "sqlite")] {
/// let folder = std::env::temp_dir().join(format!("siyu-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&folder)?;
/// let path = folder.join("ledger.db");
/// let playbook = siyu::Playbook::from_source("demo.rules", r#"
///     playbook "demo" {}
///     member { id: string }
///     rule hello { on enter fan  then tag "welcome" }
///     stage fan otherwise
/// "#).map_err(|e| e.to_string())?;
/// let input = "{\"id\": \"m1\"}\n";
/// for day in ["2026-11-25T09:00:00+08:00", "2026-11-26T09:00:00+08:00"] {
///     let as_of = siyu::AsOf::parse(day)?;
///     let ledger = siyu::Ledger::open(path.to_str().unwrap_or_default())?;
///     let mut run = ledger.begin(&playbook, as_of, false)?;
///     let options = siyu::PlanOptions::default().ledger(run.view());
///     let mut summary = playbook.summary();
///     let mut lines = Vec::new();
///     for chunk in playbook.plan_lines_json(input.as_bytes(), as_of, options) {
///         lines.extend_from_slice(&chunk.plans);
///         summary.merge(&chunk.summary);
///         run.record(chunk.recorded)?;
///     }
///     run.commit(&summary)?;
///     // The welcome is planned on the first day only: the member entered `fan` then.
///     let welcomed = String::from_utf8(lines)?.contains("\"rule\":\"hello\"");
///     assert_eq!(welcomed, day.starts_with("2026-11-25"));
/// }
/// assert_eq!(siyu::Ledger::open(path.to_str().unwrap_or_default())?.runs(None)?.len(), 2);
/// # std::fs::remove_dir_all(&folder)?;
/// # }
/// # Ok(())
/// # }
/// ```
pub struct Ledger {
    location: String,
    store: Box<dyn Store>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens a ledger for runs: an SQLite file is created when it does not exist; a
    /// PostgreSQL database gets siyu's tables when it has none.
    pub fn open(location: &str) -> Result<Ledger, LedgerError> {
        Self::open_with(location, true, LOCK_WAIT)
    }

    /// Opens an existing ledger (to read it, or to import receipts): a missing file is
    /// an error, never created.
    pub fn open_existing(location: &str) -> Result<Ledger, LedgerError> {
        Self::open_with(location, false, LOCK_WAIT)
    }

    /// Opens a ledger, waiting up to `wait` for another run's lock when a run begins.
    pub fn open_with(location: &str, create: bool, wait: Duration) -> Result<Ledger, LedgerError> {
        let store = open_store(location, create, wait)?;
        Ok(Ledger {
            location: shown_location(location),
            store,
        })
    }

    /// The location, as shown in messages (a URL's password hidden).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// A location as messages show it: a PostgreSQL URL's password hidden.
    pub fn shown(location: &str) -> String {
        shown_location(location)
    }

    /// A read-only view of the members' histories for a run of `playbook` at `as_of`,
    /// for planning (`explain`, `diff`, `report`): nothing is recorded.
    pub fn view(&self, playbook: &Playbook, as_of: AsOf) -> Result<LedgerView, LedgerError> {
        LedgerView::new(self.store.readers()?, playbook, as_of, false)
    }

    /// The history of one member for a run of `playbook` at `as_of`.
    pub fn history_of(
        &self,
        playbook: &Playbook,
        as_of: AsOf,
        member: &str,
    ) -> Result<History, LedgerError> {
        self.view(playbook, as_of)?.history(member)
    }

    /// Begins a run of `playbook` at `as_of`, handing the ledger to the run's writer (a
    /// thread of its own, so that recording overlaps planning): takes the playbook key's
    /// lock (waiting for another run), refuses when a later run is committed unless
    /// `replace_later` (then deletes the later runs, in the run's transaction), and
    /// replaces a run at the same as-of.
    pub fn begin(
        self,
        playbook: &Playbook,
        as_of: AsOf,
        replace_later: bool,
    ) -> Result<LedgerRun, LedgerError> {
        let readers = self.store.readers()?;
        let view = LedgerView::new(readers, playbook, as_of, true)?;
        let later = if replace_later {
            Later::Replace
        } else {
            Later::Refuse
        };
        LedgerRun::start(self.store, view, playbook, as_of, later)
    }

    /// The committed runs, oldest first: of the playbook with this key, or all.
    pub fn runs(&mut self, key: Option<&str>) -> Result<Vec<RunInfo>, LedgerError> {
        self.store.runs(key)
    }

    /// The runs that planned a member, oldest first, with what each planned for it.
    pub fn member_history(
        &mut self,
        member: &str,
        key: Option<&str>,
    ) -> Result<Vec<MemberRun>, LedgerError> {
        self.store.history(member, key)
    }

    /// Reads delivery receipts (JSON Lines) and marks the touches they name
    /// `delivered` or `failed`, all in one transaction. A line that is malformed or
    /// names no planned touch is reported in the result and skipped.
    pub fn import_receipts<R: std::io::BufRead>(
        &mut self,
        reader: R,
    ) -> Result<ReceiptReport, LedgerError> {
        receipts::import(&mut *self.store, reader)
    }
}

/// Opens the back end a location names.
fn open_store(location: &str, create: bool, wait: Duration) -> Result<Box<dyn Store>, LedgerError> {
    if is_url(location) {
        #[cfg(feature = "postgres")]
        {
            return Ok(Box::new(postgres::PostgresStore::open(location, wait)?));
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = (create, wait);
            return Err(LedgerError::Unsupported {
                location: shown_location(location),
                what: "PostgreSQL",
            });
        }
    }
    #[cfg(feature = "sqlite")]
    {
        Ok(Box::new(sqlite::SqliteStore::open(
            Path::new(location),
            create,
            wait,
        )?))
    }
    #[cfg(not(feature = "sqlite"))]
    {
        let _ = (create, wait, Path::new(location));
        Err(LedgerError::Unsupported {
            location: location.into(),
            what: "SQLite",
        })
    }
}

/// Whether a location is a PostgreSQL URL rather than a file path.
fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A location as messages show it: a URL's password replaced by `***`.
pub(crate) fn shown_location(location: &str) -> String {
    if !is_url(location) {
        return location.to_string();
    }
    let Some((scheme, rest)) = location.split_once("://") else {
        return location.to_string();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return location.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => location.to_string(),
    }
}

/// Refuses a ledger whose schema this siyu does not know.
pub(crate) fn check_version(location: &str, version: Option<&str>) -> Result<(), LedgerError> {
    let Some(version) = version else {
        return Err(LedgerError::NotALedger {
            location: location.into(),
            why: "it has no siyu schema version".into(),
        });
    };
    let found: i64 = version
        .trim()
        .parse()
        .map_err(|_| LedgerError::NotALedger {
            location: location.into(),
            why: format!("its schema version `{version}` is not a number"),
        })?;
    if found > store::SCHEMA_VERSION {
        return Err(LedgerError::Newer {
            location: location.into(),
            found,
            supported: store::SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Seconds since 1970 as a time (out of range: the earliest time).
pub(crate) fn timestamp(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::MIN)
}
