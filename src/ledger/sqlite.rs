//! The SQLite back end: one file, created on first use, embedded (SQLite is compiled
//! into siyu). The file is in WAL mode, so planning threads read committed runs through
//! their own connections while the run's writer holds its transaction open.
//!
//! A run takes SQLite's write lock when it begins (`BEGIN IMMEDIATE`); a second run on
//! the same file waits for it up to [`super::LOCK_WAIT`], then fails with a clear message.
//! A run killed before its `COMMIT` leaves nothing behind: SQLite discards an unfinished
//! transaction when the file is next opened.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::ids::hex_string;
use super::store::{
    HistoryReader, Later, MemberRun, PastAction, Receipt, RunInfo, RunWriter, Store, SCHEMA_VERSION,
};
use super::view::ReaderFactory;
use super::LedgerError;

/// The statements that make a new ledger.
const SCHEMA: &str = "
CREATE TABLE siyu_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE siyu_playbooks (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE siyu_runs (
    run INTEGER PRIMARY KEY,
    playbook INTEGER NOT NULL,
    as_of INTEGER NOT NULL,
    as_of_text TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    members INTEGER NOT NULL,
    planned INTEGER NOT NULL,
    invalid INTEGER NOT NULL,
    summary TEXT NOT NULL,
    UNIQUE (playbook, as_of)
);
CREATE TABLE siyu_members (
    playbook INTEGER NOT NULL,
    member TEXT NOT NULL,
    as_of INTEGER NOT NULL,
    stage TEXT,
    since INTEGER NOT NULL,
    touches TEXT NOT NULL,
    stale INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (playbook, member)
) WITHOUT ROWID;
CREATE TABLE siyu_stages (
    playbook INTEGER NOT NULL,
    as_of INTEGER NOT NULL,
    member TEXT NOT NULL,
    run INTEGER NOT NULL,
    stage TEXT,
    since INTEGER NOT NULL,
    PRIMARY KEY (playbook, as_of, member)
) WITHOUT ROWID;
CREATE TABLE siyu_actions (
    playbook INTEGER NOT NULL,
    as_of INTEGER NOT NULL,
    member TEXT NOT NULL,
    id INTEGER NOT NULL,
    run INTEGER NOT NULL,
    rule TEXT NOT NULL,
    position INTEGER NOT NULL,
    verb TEXT NOT NULL,
    channel TEXT,
    at INTEGER NOT NULL,
    at_text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned',
    PRIMARY KEY (playbook, as_of, member, id)
) WITHOUT ROWID;
";

/// Page cache per connection, in KiB (negative `cache_size` is KiB in SQLite).
/// The run's writer holds the members' rows it updates in its cache; each planning
/// thread's reader needs less.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
const READER_CACHE_KIB: i64 = 16 * 1024;

/// An SQLite ledger file.
pub(crate) struct SqliteStore {
    path: PathBuf,
    connection: Connection,
    wait: Duration,
}

impl SqliteStore {
    /// Opens the ledger at `path`; creates it when `create` and it does not exist.
    pub(crate) fn open(
        path: &Path,
        create: bool,
        wait: Duration,
    ) -> Result<SqliteStore, LedgerError> {
        let shown = path.display().to_string();
        let exists = path.exists();
        if !exists && !create {
            return Err(LedgerError::Missing { location: shown });
        }
        if path.is_dir() {
            return Err(LedgerError::NotALedger {
                location: shown,
                why: "it is a folder".into(),
            });
        }
        let flags = if create {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let connection = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|error| open_error(&shown, &error, wait))?;
        let store = SqliteStore {
            path: path.to_path_buf(),
            connection,
            wait,
        };
        store.configure()?;
        store.prepare_schema(create)?;
        Ok(store)
    }

    fn configure(&self) -> Result<(), LedgerError> {
        configure(
            &self.connection,
            &self.path.display().to_string(),
            self.wait,
            WRITER_CACHE_KIB,
        )
    }

    /// Checks that the file is a siyu ledger this siyu can read; makes the tables in a
    /// file that has none.
    fn prepare_schema(&self, create: bool) -> Result<(), LedgerError> {
        let shown = self.path.display().to_string();
        let tables: i64 = self
            .connection
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
            .map_err(|e| open_error(&shown, &e, self.wait))?;
        if tables == 0 {
            if !create {
                return Err(LedgerError::NotALedger {
                    location: shown,
                    why: "the file has no siyu tables".into(),
                });
            }
            return self.create_schema();
        }
        let version: Option<String> = self
            .connection
            .query_row(
                "SELECT value FROM siyu_meta WHERE name = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|_| LedgerError::NotALedger {
                location: shown.clone(),
                why: "it is an SQLite database of something else".into(),
            })?;
        super::check_version(&shown, version.as_deref())
    }

    fn create_schema(&self) -> Result<(), LedgerError> {
        let shown = self.path.display().to_string();
        let journal: String = self
            .connection
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| open_error(&shown, &e, self.wait))?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(LedgerError::Database {
                location: shown,
                message: format!("cannot use write-ahead logging (journal mode {journal})"),
            });
        }
        let statements = format!(
            "BEGIN IMMEDIATE;{SCHEMA}
             INSERT INTO siyu_meta (name, value) VALUES ('application', 'siyu'),
                 ('schema_version', '{SCHEMA_VERSION}');
             COMMIT;"
        );
        self.connection
            .execute_batch(&statements)
            .map_err(|e| database_error(&shown, &e, self.wait))
    }

    fn error(&self, error: &rusqlite::Error) -> LedgerError {
        database_error(&self.path.display().to_string(), error, self.wait)
    }
}

/// A connection's lock wait and page cache (in KiB).
fn configure(
    connection: &Connection,
    location: &str,
    wait: Duration,
    cache_kib: i64,
) -> Result<(), LedgerError> {
    connection
        .busy_timeout(wait)
        .map_err(|e| open_error(location, &e, wait))?;
    connection
        .pragma_update(None, "cache_size", -cache_kib)
        .map_err(|e| open_error(location, &e, wait))
}

/// The message for a file SQLite cannot open as a database.
pub(super) fn open_error(location: &str, error: &rusqlite::Error, wait: Duration) -> LedgerError {
    if let rusqlite::Error::SqliteFailure(failure, _) = error {
        match failure.code {
            rusqlite::ErrorCode::NotADatabase => {
                return LedgerError::NotALedger {
                    location: location.into(),
                    why: "it is not an SQLite database".into(),
                }
            }
            rusqlite::ErrorCode::DatabaseCorrupt => {
                return LedgerError::Corrupt {
                    location: location.into(),
                    message: error.to_string(),
                }
            }
            _ => {}
        }
    }
    database_error(location, error, wait)
}

/// Any other SQLite error.
pub(super) fn database_error(
    location: &str,
    error: &rusqlite::Error,
    wait: Duration,
) -> LedgerError {
    if let rusqlite::Error::SqliteFailure(failure, _) = error {
        match failure.code {
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                return LedgerError::Busy {
                    location: location.into(),
                    waited: wait,
                }
            }
            rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt => {
                return LedgerError::Corrupt {
                    location: location.into(),
                    message: error.to_string(),
                }
            }
            _ => {}
        }
    }
    LedgerError::Database {
        location: location.into(),
        message: error.to_string(),
    }
}

impl Store for SqliteStore {
    fn begin(
        &mut self,
        key: &str,
        as_of: i64,
        keep: i64,
        later: Later,
    ) -> Result<Box<dyn RunWriter + '_>, LedgerError> {
        let location = self.path.display().to_string();
        let run = super::sqlite_run::SqliteRun::begin(
            &self.connection,
            (location, self.wait),
            key,
            (as_of, keep),
            later,
        )?;
        Ok(Box::new(run))
    }

    fn readers(&self) -> Result<ReaderFactory, LedgerError> {
        let path = self.path.clone();
        let wait = self.wait;
        Ok(Arc::new(move || {
            let shown = path.display().to_string();
            let connection = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| open_error(&shown, &e, wait))?;
            configure(&connection, &shown, wait, READER_CACHE_KIB)?;
            Ok(Box::new(super::sqlite_run::SqliteReader::new(
                shown, connection, wait,
            )) as Box<dyn HistoryReader>)
        }))
    }

    fn runs(&mut self, key: Option<&str>) -> Result<Vec<RunInfo>, LedgerError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT r.run, p.key, r.as_of_text, r.source_hash, r.members, r.planned,
                        r.invalid, r.started, r.finished, r.summary
                 FROM siyu_runs r JOIN siyu_playbooks p ON p.id = r.playbook
                 WHERE ?1 IS NULL OR p.key = ?1
                 ORDER BY r.as_of, r.run",
            )
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([key], |row| {
                Ok(RunInfo {
                    run: row.get(0)?,
                    playbook: row.get(1)?,
                    as_of: row.get(2)?,
                    source_hash: row.get(3)?,
                    members: row.get::<_, i64>(4)? as u64,
                    planned: row.get::<_, i64>(5)? as u64,
                    invalid: row.get::<_, i64>(6)? as u64,
                    started: row.get(7)?,
                    finished: row.get(8)?,
                    summary: row.get(9)?,
                })
            })
            .map_err(|e| self.error(&e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(&e))
    }

    fn history(&mut self, member: &str, key: Option<&str>) -> Result<Vec<MemberRun>, LedgerError> {
        // The stage log is keyed by run, not member: this reads it whole, once.
        let found: Vec<(MemberRun, i64, i64)> = {
            let mut runs = self
                .connection
                .prepare(
                    "SELECT s.run, p.key, r.as_of_text, s.stage, s.playbook, s.as_of
                     FROM siyu_stages s
                     JOIN siyu_playbooks p ON p.id = s.playbook
                     JOIN siyu_runs r ON r.run = s.run
                     WHERE s.member = ?1 AND (?2 IS NULL OR p.key = ?2)
                     ORDER BY s.as_of, s.run",
                )
                .map_err(|e| self.error(&e))?;
            let rows = runs
                .query_map(params![member, key], |row| {
                    Ok((
                        MemberRun {
                            run: row.get(0)?,
                            playbook: row.get(1)?,
                            as_of: row.get(2)?,
                            stage: row.get(3)?,
                            actions: Vec::new(),
                        },
                        row.get::<_, i64>(4)?,
                        row.get::<_, i64>(5)?,
                    ))
                })
                .map_err(|e| self.error(&e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.error(&e))?
        };
        let mut actions = self
            .connection
            .prepare(
                "SELECT id, rule, verb, channel, at_text, status FROM siyu_actions
                 WHERE playbook = ?1 AND as_of = ?2 AND member = ?3
                 ORDER BY at, position, rule",
            )
            .map_err(|e| self.error(&e))?;
        let mut out = Vec::with_capacity(found.len());
        for (mut run, playbook, as_of) in found {
            let rows = actions
                .query_map(params![playbook, as_of, member], |row| {
                    Ok(PastAction {
                        id: hex_string(row.get::<_, i64>(0)? as u64),
                        rule: row.get(1)?,
                        verb: row.get(2)?,
                        channel: row.get(3)?,
                        at: row.get(4)?,
                        status: row.get(5)?,
                    })
                })
                .map_err(|e| database_error(&self.path.display().to_string(), &e, self.wait))?;
            run.actions = rows
                .collect::<Result<_, _>>()
                .map_err(|e| database_error(&self.path.display().to_string(), &e, self.wait))?;
            out.push(run);
        }
        Ok(out)
    }

    fn begin_receipts(&mut self) -> Result<(), LedgerError> {
        self.connection
            .execute_batch(
                "BEGIN IMMEDIATE;
                 CREATE TEMP TABLE IF NOT EXISTS siyu_receipts (
                     seq INTEGER PRIMARY KEY, id INTEGER, member TEXT, rule TEXT,
                     channel TEXT, at INTEGER, status TEXT NOT NULL);
                 CREATE INDEX IF NOT EXISTS temp.siyu_receipts_by_id ON siyu_receipts (id);
                 CREATE INDEX IF NOT EXISTS temp.siyu_receipts_by_touch
                     ON siyu_receipts (member, at, rule, channel);",
            )
            .map_err(|e| self.error(&e))
    }

    fn apply_receipts(&mut self, receipts: &[Receipt]) -> Result<Vec<u64>, LedgerError> {
        let matches = super::sqlite_run::match_receipts(&self.connection, receipts)
            .map_err(|e| self.error(&e))?;
        super::sqlite_run::apply_matches(&self.connection, &matches).map_err(|e| self.error(&e))?;
        let mut counts = vec![0; receipts.len()];
        for found in &matches {
            if let Some(count) = counts.get_mut(found.receipt) {
                *count += 1;
            }
        }
        Ok(counts)
    }

    fn commit_receipts(&mut self) -> Result<(), LedgerError> {
        self.connection
            .execute_batch("COMMIT")
            .map_err(|e| self.error(&e))
    }

    fn rollback_receipts(&mut self) -> Result<(), LedgerError> {
        self.connection
            .execute_batch("ROLLBACK")
            .map_err(|e| self.error(&e))
    }
}
