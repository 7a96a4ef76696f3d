//! The PostgreSQL back end: a database named by URL, shared by the machines and jobs
//! that run playbooks on one member base. siyu makes its tables (prefixed `siyu_`) on
//! first use. A run holds a transaction-scoped advisory lock on its playbook key, so
//! two runs of one key never interleave (the second waits up to the lock wait, then
//! fails), while runs of other keys go on. Plans are written with `COPY` into the run's
//! transaction and become visible at its commit; a run that dies before it leaves
//! nothing behind. Planning threads read histories through their own connections, a
//! batch of members per query.

use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};

use super::store::SCHEMA_VERSION;
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
CREATE TABLE siyu_members (
    playbook BIGINT NOT NULL,
    member TEXT NOT NULL,
    as_of BIGINT NOT NULL,
    stage TEXT,
    since BIGINT NOT NULL,
    touches TEXT NOT NULL,
    stale BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (playbook, member)
);
CREATE TABLE siyu_stages (
    playbook BIGINT NOT NULL,
    as_of BIGINT NOT NULL,
    member TEXT NOT NULL,
    run BIGINT NOT NULL,
    stage TEXT,
    since BIGINT NOT NULL,
    PRIMARY KEY (playbook, as_of, member)
);
CREATE TABLE siyu_actions (
    playbook BIGINT NOT NULL,
    as_of BIGINT NOT NULL,
    member TEXT NOT NULL,
    id BIGINT NOT NULL,
    run BIGINT NOT NULL,
    rule TEXT NOT NULL,
    position INTEGER NOT NULL,
    verb TEXT NOT NULL,
    channel TEXT,
    at BIGINT NOT NULL,
    at_text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned',
    PRIMARY KEY (playbook, as_of, member, id)
);
";

/// The advisory lock key that guards making the tables.
const SCHEMA_LOCK: i64 = 0x7369_7975_0000_0001;

/// How long connecting may take when the URL does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A PostgreSQL ledger.
pub(crate) struct PostgresStore {
    pub(super) url: String,
    pub(super) shown: String,
    pub(super) client: Client,
    pub(super) wait: Duration,
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

    pub(super) fn error(&self, error: &postgres::Error) -> LedgerError {
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
pub(super) fn connect(url: &str, shown: &str) -> Result<Client, LedgerError> {
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
pub(super) fn database_error(
    location: &str,
    error: &postgres::Error,
    wait: Duration,
) -> LedgerError {
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
