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

use super::history::{StoredHistory, StoredTouch};
use super::ids::hex_string;
use super::store::{
    HistoryQuery, HistoryReader, Later, MemberRow, MemberRun, PastAction, RunInfo, RunWriter,
    Store, TouchRef, SCHEMA_VERSION,
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
CREATE TABLE siyu_stages (
    playbook INTEGER NOT NULL,
    member TEXT NOT NULL,
    as_of INTEGER NOT NULL,
    run INTEGER NOT NULL,
    stage TEXT,
    since INTEGER NOT NULL,
    PRIMARY KEY (playbook, member, as_of)
) WITHOUT ROWID;
CREATE INDEX siyu_stages_by_run ON siyu_stages (run);
CREATE TABLE siyu_actions (
    playbook INTEGER NOT NULL,
    member TEXT NOT NULL,
    at INTEGER NOT NULL,
    id INTEGER NOT NULL,
    as_of INTEGER NOT NULL,
    run INTEGER NOT NULL,
    rule TEXT NOT NULL,
    position INTEGER NOT NULL,
    verb TEXT NOT NULL,
    channel TEXT,
    at_text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned',
    PRIMARY KEY (playbook, member, at, id)
) WITHOUT ROWID;
CREATE INDEX siyu_actions_by_run ON siyu_actions (run);
CREATE INDEX siyu_actions_by_id ON siyu_actions (id);
";

/// Page cache per connection, in KiB (negative `cache_size` is KiB in SQLite).
const CACHE_KIB: i64 = 32 * 1024;

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

    fn playbook_id(&self, key: &str) -> Result<Option<i64>, LedgerError> {
        self.connection
            .query_row(
                "SELECT id FROM siyu_playbooks WHERE key = ?1",
                [key],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(&e))
    }
}

/// A connection's lock wait and page cache.
fn configure(connection: &Connection, location: &str, wait: Duration) -> Result<(), LedgerError> {
    connection
        .busy_timeout(wait)
        .map_err(|e| open_error(location, &e, wait))?;
    connection
        .pragma_update(None, "cache_size", -CACHE_KIB)
        .map_err(|e| open_error(location, &e, wait))
}

/// The message for a file SQLite cannot open as a database.
fn open_error(location: &str, error: &rusqlite::Error, wait: Duration) -> LedgerError {
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
fn database_error(location: &str, error: &rusqlite::Error, wait: Duration) -> LedgerError {
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
        later: Later,
    ) -> Result<Box<dyn RunWriter + '_>, LedgerError> {
        self.connection
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.error(&e))?;
        let mut writer = SqliteRun {
            store: self,
            playbook: 0,
            run: 0,
            as_of,
            open: true,
        };
        writer.start(key, as_of, later)?;
        Ok(Box::new(writer))
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
            configure(&connection, &shown, wait)?;
            Ok(Box::new(SqliteReader {
                location: shown,
                connection,
                wait,
                playbook: None,
            }) as Box<dyn HistoryReader>)
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
        let location = self.path.display().to_string();
        let wait = self.wait;
        let database_error =
            |location: &str, e: &rusqlite::Error| database_error(location, e, wait);
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
            .map_err(|e| database_error(&location, &e))?;
        let found = runs
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
                ))
            })
            .map_err(|e| database_error(&location, &e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| database_error(&location, &e))?;
        let mut actions = self
            .connection
            .prepare(
                "SELECT id, rule, verb, channel, at_text, status FROM siyu_actions
                 WHERE playbook = ?1 AND member = ?2 AND run = ?3
                 ORDER BY at, position, rule",
            )
            .map_err(|e| database_error(&location, &e))?;
        let mut out = Vec::with_capacity(found.len());
        for (mut run, playbook) in found {
            run.actions = actions
                .query_map(params![playbook, member, run.run], |row| {
                    Ok(PastAction {
                        id: hex_string(row.get::<_, i64>(0)? as u64),
                        rule: row.get(1)?,
                        verb: row.get(2)?,
                        channel: row.get(3)?,
                        at: row.get(4)?,
                        status: row.get(5)?,
                    })
                })
                .map_err(|e| database_error(&location, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| database_error(&location, &e))?;
            out.push(run);
        }
        Ok(out)
    }

    fn set_status(&mut self, touch: &TouchRef, status: &str) -> Result<u64, LedgerError> {
        let changed = match touch {
            TouchRef::Id(id) => self
                .connection
                .prepare_cached("UPDATE siyu_actions SET status = ?1 WHERE id = ?2")
                .and_then(|mut s| s.execute(params![status, *id as i64])),
            TouchRef::Fields {
                member,
                rule,
                channel,
                at,
            } => self
                .connection
                .prepare_cached(
                    "UPDATE siyu_actions SET status = ?1
                     WHERE playbook IN (SELECT id FROM siyu_playbooks)
                       AND member = ?2 AND at = ?3 AND rule = ?4 AND channel = ?5",
                )
                .and_then(|mut s| s.execute(params![status, member, at, rule, channel])),
        };
        changed.map(|n| n as u64).map_err(|e| self.error(&e))
    }

    fn begin_receipts(&mut self) -> Result<(), LedgerError> {
        self.connection
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.error(&e))
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

/// A run in its transaction.
struct SqliteRun<'a> {
    store: &'a SqliteStore,
    playbook: i64,
    /// The run's number: the one of the run it replaces (a re-run of the same as-of),
    /// or the next one.
    run: i64,
    as_of: i64,
    open: bool,
}

impl SqliteRun<'_> {
    fn connection(&self) -> &Connection {
        &self.store.connection
    }

    fn error(&self, error: &rusqlite::Error) -> LedgerError {
        self.store.error(error)
    }

    /// Finds or adds the playbook, checks the order of runs, clears what is replaced.
    fn start(&mut self, key: &str, as_of: i64, later: Later) -> Result<(), LedgerError> {
        self.playbook = match self.store.playbook_id(key)? {
            Some(id) => id,
            None => {
                self.connection()
                    .execute("INSERT INTO siyu_playbooks (key) VALUES (?1)", [key])
                    .map_err(|e| self.error(&e))?;
                self.connection().last_insert_rowid()
            }
        };
        let latest: Option<(i64, String, i64)> = self
            .connection()
            .query_row(
                "SELECT run, as_of_text, as_of FROM siyu_runs WHERE playbook = ?1
                 ORDER BY as_of DESC LIMIT 1",
                [self.playbook],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(|e| self.error(&e))?;
        if let Some((run, as_of_text, latest)) = latest {
            if latest > as_of && later == Later::Refuse {
                return Err(LedgerError::LaterRun {
                    key: key.into(),
                    run,
                    as_of: as_of_text,
                });
            }
        }
        let same_day: Option<i64> = self
            .connection()
            .query_row(
                "SELECT run FROM siyu_runs WHERE playbook = ?1 AND as_of = ?2",
                params![self.playbook, as_of],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(&e))?;
        self.run = match same_day {
            Some(run) => run,
            None => self
                .connection()
                .query_row(
                    "SELECT coalesce(max(run), 0) + 1 FROM siyu_runs",
                    [],
                    |row| row.get(0),
                )
                .map_err(|e| self.error(&e))?,
        };
        let replaced: Vec<i64> = {
            let mut statement = self
                .connection()
                .prepare("SELECT run FROM siyu_runs WHERE playbook = ?1 AND as_of >= ?2")
                .map_err(|e| self.error(&e))?;
            let rows = statement
                .query_map(params![self.playbook, as_of], |row| row.get(0))
                .map_err(|e| self.error(&e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.error(&e))?
        };
        for run in replaced {
            for table in ["siyu_stages", "siyu_actions", "siyu_runs"] {
                self.connection()
                    .execute(&format!("DELETE FROM {table} WHERE run = ?1"), [run])
                    .map_err(|e| self.error(&e))?;
            }
        }
        Ok(())
    }
}

impl RunWriter for SqliteRun<'_> {
    fn record(&mut self, rows: &[MemberRow]) -> Result<(), LedgerError> {
        let connection = self.connection();
        let mut stages = connection
            .prepare_cached(
                "INSERT INTO siyu_stages (playbook, member, as_of, run, stage, since)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(|e| self.error(&e))?;
        let mut actions = connection
            .prepare_cached(
                "INSERT INTO siyu_actions (playbook, member, at, id, as_of, run, rule, position,
                                           verb, channel, at_text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(|e| self.error(&e))?;
        for row in rows {
            stages
                .execute(params![
                    self.playbook,
                    &*row.member,
                    self.as_of,
                    self.run,
                    row.stage.as_deref(),
                    row.since
                ])
                .map_err(|e| self.error(&e))?;
            for action in &row.actions {
                actions
                    .execute(params![
                        self.playbook,
                        &*row.member,
                        action.at,
                        action.id as i64,
                        self.as_of,
                        self.run,
                        &*action.rule,
                        action.position,
                        action.verb,
                        action.channel.as_deref(),
                        &*action.at_text,
                    ])
                    .map_err(|e| self.error(&e))?;
            }
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>, run: &RunInfo) -> Result<i64, LedgerError> {
        let connection = self.connection();
        connection
            .execute(
                "INSERT INTO siyu_runs (run, playbook, as_of, as_of_text, source_hash, started,
                                        finished, members, planned, invalid, summary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    self.run,
                    self.playbook,
                    self.as_of,
                    run.as_of,
                    run.source_hash,
                    run.started,
                    run.finished,
                    run.members as i64,
                    run.planned as i64,
                    run.invalid as i64,
                    run.summary,
                ],
            )
            .map_err(|e| self.error(&e))?;
        let number = self.run;
        connection
            .execute_batch("COMMIT")
            .map_err(|e| self.error(&e))?;
        self.open = false;
        Ok(number)
    }
}

impl Drop for SqliteRun<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.store.connection.execute_batch("ROLLBACK");
        }
    }
}

/// Reads histories through its own read-only connection.
struct SqliteReader {
    location: String,
    connection: Connection,
    wait: Duration,
    /// The playbook key's id, once looked up (`Some(None)`: the key has no run).
    playbook: Option<Option<i64>>,
}

impl HistoryReader for SqliteReader {
    fn read(
        &mut self,
        query: &HistoryQuery,
        members: &[&str],
        out: &mut Vec<StoredHistory>,
    ) -> Result<(), LedgerError> {
        out.clear();
        let location = self.location.clone();
        let wait = self.wait;
        let error = |e: rusqlite::Error| database_error(&location, &e, wait);
        let playbook = match self.playbook {
            Some(playbook) => playbook,
            None => {
                let found = self
                    .connection
                    .query_row(
                        "SELECT id FROM siyu_playbooks WHERE key = ?1",
                        [&*query.key],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(error)?;
                self.playbook = Some(found);
                found
            }
        };
        let Some(playbook) = playbook else {
            out.resize(members.len(), StoredHistory::default());
            return Ok(());
        };
        let mut stages = self
            .connection
            .prepare_cached(
                "SELECT stage, since FROM siyu_stages
                 WHERE playbook = ?1 AND member = ?2 AND as_of < ?3
                 ORDER BY as_of DESC LIMIT 1",
            )
            .map_err(error)?;
        let mut touches = self
            .connection
            .prepare_cached(
                "SELECT rule, channel, at FROM siyu_actions
                 WHERE playbook = ?1 AND member = ?2 AND at > ?3 AND at <= ?4 AND as_of < ?4
                   AND channel IS NOT NULL AND status <> 'failed'",
            )
            .map_err(error)?;
        let since = query.as_of.saturating_sub(query.window);
        for member in members {
            let previous = stages
                .query_row(params![playbook, member, query.as_of], |row| {
                    let stage: Option<String> = row.get(0)?;
                    let since: i64 = row.get(1)?;
                    Ok((stage.map(Arc::from), super::timestamp(since)))
                })
                .optional()
                .map_err(error)?;
            let mut history = StoredHistory {
                previous,
                touches: Vec::new(),
            };
            if query.window > 0 && history.previous.is_some() {
                let rows = touches
                    .query_map(params![playbook, member, since, query.as_of], |row| {
                        let rule: String = row.get(0)?;
                        let channel: Option<String> = row.get(1)?;
                        Ok(StoredTouch {
                            rule: Some(Arc::from(rule)),
                            channel: channel.map(Arc::from),
                            at: super::timestamp(row.get(2)?),
                        })
                    })
                    .map_err(error)?;
                for touch in rows {
                    history.touches.push(touch.map_err(error)?);
                }
            }
            out.push(history);
        }
        Ok(())
    }
}
