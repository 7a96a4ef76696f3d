//! The PostgreSQL back end: a database named by URL, shared by the machines and jobs
//! that run playbooks on one member base. siyu makes its tables (prefixed `siyu_`) on
//! first use. A run holds a transaction-scoped advisory lock on its playbook key, so
//! two runs of one key never interleave (the second waits up to the lock wait, then
//! fails), while runs of other keys go on. Plans are written with `COPY` into the run's
//! transaction and become visible at its commit; a run that dies before it leaves
//! nothing behind. Planning threads read histories through their own connections, a
//! batch of members per query.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Config, NoTls, Transaction};

use super::history::{StoredHistory, StoredTouch};
use super::ids::hex_string;
use super::store::{
    HistoryQuery, HistoryReader, Later, MemberRow, MemberRun, PastAction, RunInfo, RunWriter,
    Store, TouchRef, SCHEMA_VERSION,
};
use super::view::ReaderFactory;
use super::{shown_location, LedgerError};

/// The statements that make siyu's tables in a database that has none.
const SCHEMA: &str = "
CREATE TABLE siyu_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE siyu_playbooks (id BIGSERIAL PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE SEQUENCE siyu_run_numbers;
CREATE TABLE siyu_runs (
    run BIGINT PRIMARY KEY,
    playbook BIGINT NOT NULL,
    as_of BIGINT NOT NULL,
    as_of_text TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    members BIGINT NOT NULL,
    planned BIGINT NOT NULL,
    invalid BIGINT NOT NULL,
    summary TEXT NOT NULL,
    UNIQUE (playbook, as_of)
);
CREATE TABLE siyu_stages (
    playbook BIGINT NOT NULL,
    member TEXT NOT NULL,
    as_of BIGINT NOT NULL,
    run BIGINT NOT NULL,
    stage TEXT,
    since BIGINT NOT NULL,
    PRIMARY KEY (playbook, member, as_of)
);
CREATE INDEX siyu_stages_by_run ON siyu_stages (run);
CREATE TABLE siyu_actions (
    playbook BIGINT NOT NULL,
    member TEXT NOT NULL,
    at BIGINT NOT NULL,
    id BIGINT NOT NULL,
    as_of BIGINT NOT NULL,
    run BIGINT NOT NULL,
    rule TEXT NOT NULL,
    position INTEGER NOT NULL,
    verb TEXT NOT NULL,
    channel TEXT,
    at_text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned',
    PRIMARY KEY (playbook, member, at, id)
);
CREATE INDEX siyu_actions_by_run ON siyu_actions (run);
CREATE INDEX siyu_actions_by_id ON siyu_actions (id);
";

/// The advisory lock key that guards making the tables.
const SCHEMA_LOCK: i64 = 0x7369_7975_0000_0001;

/// How long connecting may take when the URL does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A PostgreSQL ledger.
pub(crate) struct PostgresStore {
    url: String,
    shown: String,
    client: Client,
    wait: Duration,
}

impl PostgresStore {
    /// Connects, and makes siyu's tables when the database has none.
    pub(crate) fn open(url: &str, wait: Duration) -> Result<PostgresStore, LedgerError> {
        let shown = shown_location(url);
        let client = connect(url, &shown)?;
        let mut store = PostgresStore {
            url: url.to_string(),
            shown,
            client,
            wait,
        };
        store.prepare_schema()?;
        Ok(store)
    }

    fn error(&self, error: &postgres::Error) -> LedgerError {
        database_error(&self.shown, error, self.wait)
    }

    fn prepare_schema(&mut self) -> Result<(), LedgerError> {
        let shown = self.shown.clone();
        let wait = self.wait;
        let error = |e: postgres::Error| database_error(&shown, &e, wait);
        let mut transaction = self.client.transaction().map_err(error)?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .map_err(error)?;
        let exists: bool = transaction
            .query_one("SELECT to_regclass('siyu_meta') IS NOT NULL", &[])
            .map_err(error)?
            .get(0);
        if !exists {
            transaction.batch_execute(SCHEMA).map_err(error)?;
            transaction
                .execute(
                    "INSERT INTO siyu_meta (name, value) VALUES ('application', 'siyu'),
                         ('schema_version', $1)",
                    &[&SCHEMA_VERSION.to_string()],
                )
                .map_err(error)?;
            return transaction.commit().map_err(error);
        }
        let version: Option<String> = transaction
            .query_opt(
                "SELECT value FROM siyu_meta WHERE name = 'schema_version'",
                &[],
            )
            .map_err(error)?
            .map(|row| row.get(0));
        transaction.commit().map_err(error)?;
        super::check_version(&shown, version.as_deref())
    }
}

/// Opens a connection.
fn connect(url: &str, shown: &str) -> Result<Client, LedgerError> {
    let mut config: Config =
        url.parse()
            .map_err(|error: postgres::Error| LedgerError::Connect {
                location: shown.into(),
                message: format!("not a PostgreSQL URL ({error})"),
            })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.application_name("siyu");
    config.connect(NoTls).map_err(|error| LedgerError::Connect {
        location: shown.into(),
        message: connect_words(&error),
    })
}

/// Why a connection failed, in plain words.
fn connect_words(error: &postgres::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

/// Any other error, with a lock wait that ran out said as such.
fn database_error(location: &str, error: &postgres::Error, wait: Duration) -> LedgerError {
    if error.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
        return LedgerError::Busy {
            location: location.into(),
            waited: wait,
        };
    }
    if error.is_closed() {
        return LedgerError::Connect {
            location: location.into(),
            message: connect_words(error),
        };
    }
    let message = match error.as_db_error() {
        Some(db) => db.message().to_string(),
        None => connect_words(error),
    };
    LedgerError::Database {
        location: location.into(),
        message,
    }
}

impl Store for PostgresStore {
    fn begin(
        &mut self,
        key: &str,
        as_of: i64,
        later: Later,
    ) -> Result<Box<dyn RunWriter + '_>, LedgerError> {
        let shown = self.shown.clone();
        let wait = self.wait;
        let mut transaction = self
            .client
            .transaction()
            .map_err(|e| database_error(&shown, &e, wait))?;
        let mut run = PostgresRun {
            shown,
            wait,
            playbook: 0,
            run: 0,
            as_of,
            transaction: None,
        };
        run.start(&mut transaction, key, later)?;
        run.transaction = Some(transaction);
        Ok(Box::new(run))
    }

    fn readers(&self) -> Result<ReaderFactory, LedgerError> {
        let url = self.url.clone();
        let shown = self.shown.clone();
        let wait = self.wait;
        Ok(Arc::new(move || {
            let client = connect(&url, &shown)?;
            Ok(Box::new(PostgresReader {
                shown: shown.clone(),
                wait,
                client,
                playbook: None,
            }) as Box<dyn HistoryReader>)
        }))
    }

    fn runs(&mut self, key: Option<&str>) -> Result<Vec<RunInfo>, LedgerError> {
        let rows = self
            .client
            .query(
                "SELECT r.run, p.key, r.as_of_text, r.source_hash, r.members, r.planned,
                        r.invalid, r.started, r.finished, r.summary
                 FROM siyu_runs r JOIN siyu_playbooks p ON p.id = r.playbook
                 WHERE $1::TEXT IS NULL OR p.key = $1
                 ORDER BY r.as_of, r.run",
                &[&key],
            )
            .map_err(|e| self.error(&e))?;
        Ok(rows
            .iter()
            .map(|row| RunInfo {
                run: row.get(0),
                playbook: row.get(1),
                as_of: row.get(2),
                source_hash: row.get(3),
                members: row.get::<_, i64>(4) as u64,
                planned: row.get::<_, i64>(5) as u64,
                invalid: row.get::<_, i64>(6) as u64,
                started: row.get(7),
                finished: row.get(8),
                summary: row.get(9),
            })
            .collect())
    }

    fn history(&mut self, member: &str, key: Option<&str>) -> Result<Vec<MemberRun>, LedgerError> {
        let runs = self
            .client
            .query(
                "SELECT s.run, p.key, r.as_of_text, s.stage, s.playbook
                 FROM siyu_stages s
                 JOIN siyu_playbooks p ON p.id = s.playbook
                 JOIN siyu_runs r ON r.run = s.run
                 WHERE s.member = $1 AND ($2::TEXT IS NULL OR p.key = $2)
                 ORDER BY s.as_of, s.run",
                &[&member, &key],
            )
            .map_err(|e| self.error(&e))?;
        let mut out = Vec::with_capacity(runs.len());
        for row in runs {
            let run: i64 = row.get(0);
            let playbook: i64 = row.get(4);
            let actions = self
                .client
                .query(
                    "SELECT id, rule, verb, channel, at_text, status FROM siyu_actions
                     WHERE playbook = $1 AND member = $2 AND run = $3
                     ORDER BY at, position, rule",
                    &[&playbook, &member, &run],
                )
                .map_err(|e| self.error(&e))?;
            out.push(MemberRun {
                run,
                playbook: row.get(1),
                as_of: row.get(2),
                stage: row.get(3),
                actions: actions
                    .iter()
                    .map(|a| PastAction {
                        id: hex_string(a.get::<_, i64>(0) as u64),
                        rule: a.get(1),
                        verb: a.get(2),
                        channel: a.get(3),
                        at: a.get(4),
                        status: a.get(5),
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    fn set_status(&mut self, touch: &TouchRef, status: &str) -> Result<u64, LedgerError> {
        let changed = match touch {
            TouchRef::Id(id) => self.client.execute(
                "UPDATE siyu_actions SET status = $1 WHERE id = $2",
                &[&status, &(*id as i64)],
            ),
            TouchRef::Fields {
                member,
                rule,
                channel,
                at,
            } => self.client.execute(
                "UPDATE siyu_actions SET status = $1
                 WHERE playbook IN (SELECT id FROM siyu_playbooks)
                   AND member = $2 AND at = $3 AND rule = $4 AND channel = $5",
                &[&status, member, at, rule, channel],
            ),
        };
        changed.map_err(|e| self.error(&e))
    }

    fn begin_receipts(&mut self) -> Result<(), LedgerError> {
        self.client
            .batch_execute("BEGIN")
            .map_err(|e| self.error(&e))
    }

    fn commit_receipts(&mut self) -> Result<(), LedgerError> {
        self.client
            .batch_execute("COMMIT")
            .map_err(|e| self.error(&e))
    }

    fn rollback_receipts(&mut self) -> Result<(), LedgerError> {
        self.client
            .batch_execute("ROLLBACK")
            .map_err(|e| self.error(&e))
    }
}

/// A run in its transaction.
struct PostgresRun<'a> {
    shown: String,
    wait: Duration,
    playbook: i64,
    run: i64,
    as_of: i64,
    transaction: Option<Transaction<'a>>,
}

impl PostgresRun<'_> {
    fn error(&self, error: &postgres::Error) -> LedgerError {
        database_error(&self.shown, error, self.wait)
    }

    /// Takes the key's lock, finds or adds the playbook, checks the order of runs, and
    /// clears what is replaced.
    fn start(
        &mut self,
        transaction: &mut Transaction<'_>,
        key: &str,
        later: Later,
    ) -> Result<(), LedgerError> {
        let wait = format!("{}ms", self.wait.as_millis().max(1));
        transaction
            .execute("SELECT set_config('lock_timeout', $1, true)", &[&wait])
            .map_err(|e| self.error(&e))?;
        transaction
            .execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('siyu run ' || $1, 0))",
                &[&key],
            )
            .map_err(|e| self.error(&e))?;
        transaction
            .execute(
                "INSERT INTO siyu_playbooks (key) VALUES ($1) ON CONFLICT (key) DO NOTHING",
                &[&key],
            )
            .map_err(|e| self.error(&e))?;
        self.playbook = transaction
            .query_one("SELECT id FROM siyu_playbooks WHERE key = $1", &[&key])
            .map_err(|e| self.error(&e))?
            .get(0);
        let latest = transaction
            .query_opt(
                "SELECT run, as_of_text, as_of FROM siyu_runs WHERE playbook = $1
                 ORDER BY as_of DESC LIMIT 1",
                &[&self.playbook],
            )
            .map_err(|e| self.error(&e))?;
        if let Some(row) = latest {
            let latest: i64 = row.get(2);
            if latest > self.as_of && later == Later::Refuse {
                return Err(LedgerError::LaterRun {
                    key: key.into(),
                    run: row.get(0),
                    as_of: row.get(1),
                });
            }
        }
        let same_day = transaction
            .query_opt(
                "SELECT run FROM siyu_runs WHERE playbook = $1 AND as_of = $2",
                &[&self.playbook, &self.as_of],
            )
            .map_err(|e| self.error(&e))?
            .map(|row| row.get::<_, i64>(0));
        self.run = match same_day {
            Some(run) => run,
            None => transaction
                .query_one("SELECT nextval('siyu_run_numbers')", &[])
                .map_err(|e| self.error(&e))?
                .get(0),
        };
        let replaced = transaction
            .query(
                "SELECT run FROM siyu_runs WHERE playbook = $1 AND as_of >= $2",
                &[&self.playbook, &self.as_of],
            )
            .map_err(|e| self.error(&e))?;
        for row in replaced {
            let run: i64 = row.get(0);
            for table in ["siyu_stages", "siyu_actions", "siyu_runs"] {
                transaction
                    .execute(&format!("DELETE FROM {table} WHERE run = $1"), &[&run])
                    .map_err(|e| self.error(&e))?;
            }
        }
        Ok(())
    }
}

impl RunWriter for PostgresRun<'_> {
    fn record(&mut self, rows: &[MemberRow]) -> Result<(), LedgerError> {
        let (playbook, as_of, run) = (self.playbook, self.as_of, self.run);
        let mut stages = String::new();
        let mut actions = String::new();
        for row in rows {
            copy_line(
                &mut stages,
                &[
                    Some(&playbook.to_string()),
                    Some(&row.member),
                    Some(&as_of.to_string()),
                    Some(&run.to_string()),
                    row.stage.as_deref(),
                    Some(&row.since.to_string()),
                ],
            );
            for action in &row.actions {
                copy_line(
                    &mut actions,
                    &[
                        Some(&playbook.to_string()),
                        Some(&row.member),
                        Some(&action.at.to_string()),
                        Some(&(action.id as i64).to_string()),
                        Some(&as_of.to_string()),
                        Some(&run.to_string()),
                        Some(&action.rule),
                        Some(&action.position.to_string()),
                        Some(action.verb),
                        action.channel.as_deref(),
                        Some(&action.at_text),
                    ],
                );
            }
        }
        let shown = self.shown.clone();
        let wait = self.wait;
        let Some(transaction) = self.transaction.as_mut() else {
            return Ok(());
        };
        let copies = [
            (
                "COPY siyu_stages (playbook, member, as_of, run, stage, since) FROM STDIN",
                stages,
            ),
            (
                "COPY siyu_actions (playbook, member, at, id, as_of, run, rule, position, verb,
                                    channel, at_text) FROM STDIN",
                actions,
            ),
        ];
        for (statement, data) in copies {
            if data.is_empty() {
                continue;
            }
            let mut writer = transaction
                .copy_in(statement)
                .map_err(|e| database_error(&shown, &e, wait))?;
            writer
                .write_all(data.as_bytes())
                .map_err(|error| LedgerError::Database {
                    location: shown.clone(),
                    message: error.to_string(),
                })?;
            writer
                .finish()
                .map_err(|e| database_error(&shown, &e, wait))?;
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>, run: &RunInfo) -> Result<i64, LedgerError> {
        let Some(mut transaction) = self.transaction.take() else {
            return Err(LedgerError::Database {
                location: self.shown.clone(),
                message: "the run's transaction is gone".into(),
            });
        };
        transaction
            .execute(
                "INSERT INTO siyu_runs (run, playbook, as_of, as_of_text, source_hash, started,
                                        finished, members, planned, invalid, summary)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                &[
                    &self.run,
                    &self.playbook,
                    &self.as_of,
                    &run.as_of,
                    &run.source_hash,
                    &run.started,
                    &run.finished,
                    &(run.members as i64),
                    &(run.planned as i64),
                    &(run.invalid as i64),
                    &run.summary,
                ],
            )
            .map_err(|e| self.error(&e))?;
        transaction.commit().map_err(|e| self.error(&e))?;
        Ok(self.run)
    }
}

/// One line of `COPY … FROM STDIN` in text format: tab-separated, `\N` for null.
fn copy_line(out: &mut String, fields: &[Option<&str>]) {
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            out.push('\t');
        }
        match field {
            None => out.push_str("\\N"),
            Some(text) => {
                for c in text.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
        }
    }
    out.push('\n');
}

/// Reads histories through its own connection, one query per batch.
struct PostgresReader {
    shown: String,
    wait: Duration,
    client: Client,
    /// The playbook key's id, once looked up (`Some(None)`: the key has no run).
    playbook: Option<Option<i64>>,
}

impl HistoryReader for PostgresReader {
    fn read(
        &mut self,
        query: &HistoryQuery,
        members: &[&str],
        out: &mut Vec<StoredHistory>,
    ) -> Result<(), LedgerError> {
        out.clear();
        out.resize(members.len(), StoredHistory::default());
        let (shown, wait) = (self.shown.clone(), self.wait);
        let error = |e: postgres::Error| database_error(&shown, &e, wait);
        let playbook = match self.playbook {
            Some(playbook) => playbook,
            None => {
                let found = self
                    .client
                    .query_opt(
                        "SELECT id FROM siyu_playbooks WHERE key = $1",
                        &[&&*query.key],
                    )
                    .map_err(error)?
                    .map(|row| row.get::<_, i64>(0));
                self.playbook = Some(found);
                found
            }
        };
        let Some(playbook) = playbook else {
            return Ok(());
        };
        if members.is_empty() {
            return Ok(());
        }
        let position: HashMap<&str, usize> =
            members.iter().enumerate().map(|(i, m)| (*m, i)).collect();
        let stages = self
            .client
            .query(
                "SELECT DISTINCT ON (member) member, stage, since FROM siyu_stages
                 WHERE playbook = $1 AND member = ANY($2) AND as_of < $3
                 ORDER BY member, as_of DESC",
                &[&playbook, &members, &query.as_of],
            )
            .map_err(error)?;
        for row in stages {
            let member: &str = row.get(0);
            let Some(&index) = position.get(member) else {
                continue;
            };
            let stage: Option<String> = row.get(1);
            out[index].previous = Some((stage.map(Arc::from), super::timestamp(row.get(2))));
        }
        if query.window <= 0 {
            return Ok(());
        }
        let since = query.as_of.saturating_sub(query.window);
        let touches = self
            .client
            .query(
                "SELECT member, rule, channel, at FROM siyu_actions
                 WHERE playbook = $1 AND member = ANY($2) AND at > $3 AND at <= $4
                   AND as_of < $4 AND channel IS NOT NULL AND status <> 'failed'",
                &[&playbook, &members, &since, &query.as_of],
            )
            .map_err(error)?;
        for row in touches {
            let member: &str = row.get(0);
            let Some(&index) = position.get(member) else {
                continue;
            };
            let rule: String = row.get(1);
            let channel: Option<String> = row.get(2);
            out[index].touches.push(StoredTouch {
                rule: Some(Arc::from(rule)),
                channel: channel.map(Arc::from),
                at: super::timestamp(row.get(3)),
            });
        }
        Ok(())
    }
}
