//! The SQLite back end's runs: the writer that records a run in its transaction, the
//! readers that give planning threads the members' histories, the rebuilding of a
//! member's row from the logs, and receipts matched against the actions' log.
//!
//! A run reads one row per member (`siyu_members`). A row written by a run that this
//! run replaces (a re-run of the same as-of, or `--replace-later`) is not what the
//! member's history was before: such a member's history is rebuilt from the logs, of
//! the runs before this one, both when the threads read it and, for the members this
//! run does not plan again, when it commits.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::history::{StoredHistory, StoredTouch};
use super::sqlite::database_error;
use super::store::{
    HistoryQuery, HistoryReader, Later, MemberRow, Receipt, RunInfo, RunWriter, TouchRef, LEAD,
};
use super::touches;
use super::LedgerError;

/// A run in its transaction.
pub(super) struct SqliteRun<'a> {
    connection: &'a Connection,
    location: String,
    wait: Duration,
    playbook: i64,
    /// The run's number: the one of the run it replaces (a re-run of the same as-of),
    /// or the next one.
    run: i64,
    as_of: i64,
    /// How long members' rows keep touches, in seconds.
    keep: i64,
    /// Whether runs were replaced (members' rows to rebuild at commit).
    replaced: bool,
    open: bool,
}

impl<'a> SqliteRun<'a> {
    /// Takes the write lock and starts the run: finds or adds the playbook, checks the
    /// order of runs, deletes the runs it replaces.
    pub(super) fn begin(
        connection: &'a Connection,
        (location, wait): (String, Duration),
        key: &str,
        (as_of, keep): (i64, i64),
        later: Later,
    ) -> Result<SqliteRun<'a>, LedgerError> {
        connection
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| database_error(&location, &e, wait))?;
        let mut run = SqliteRun {
            connection,
            location,
            wait,
            playbook: 0,
            run: 0,
            as_of,
            keep,
            replaced: false,
            open: true,
        };
        run.start(key, later)?;
        Ok(run)
    }

    fn error(&self, error: &rusqlite::Error) -> LedgerError {
        database_error(&self.location, error, self.wait)
    }

    fn start(&mut self, key: &str, later: Later) -> Result<(), LedgerError> {
        let connection = self.connection;
        let found: Option<i64> = connection
            .query_row("SELECT id FROM siyu_playbooks WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.error(&e))?;
        self.playbook = match found {
            Some(id) => id,
            None => {
                connection
                    .execute("INSERT INTO siyu_playbooks (key) VALUES (?1)", [key])
                    .map_err(|e| self.error(&e))?;
                connection.last_insert_rowid()
            }
        };
        let latest: Option<(i64, String, i64)> = connection
            .query_row(
                "SELECT run, as_of_text, as_of FROM siyu_runs WHERE playbook = ?1
                 ORDER BY as_of DESC LIMIT 1",
                [self.playbook],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(|e| self.error(&e))?;
        if let Some((run, as_of_text, latest)) = latest {
            if latest > self.as_of && later == Later::Refuse {
                return Err(LedgerError::LaterRun {
                    key: key.into(),
                    run,
                    as_of: as_of_text,
                });
            }
        }
        let same_day: Option<i64> = connection
            .query_row(
                "SELECT run FROM siyu_runs WHERE playbook = ?1 AND as_of = ?2",
                params![self.playbook, self.as_of],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(&e))?;
        self.run = match same_day {
            Some(run) => run,
            None => connection
                .query_row("SELECT coalesce(max(run), 0) + 1 FROM siyu_runs", [], |r| {
                    r.get(0)
                })
                .map_err(|e| self.error(&e))?,
        };
        let replaced = connection
            .execute(
                "DELETE FROM siyu_runs WHERE playbook = ?1 AND as_of >= ?2",
                params![self.playbook, self.as_of],
            )
            .map_err(|e| self.error(&e))?;
        if replaced > 0 {
            self.replaced = true;
            for statement in [
                "DELETE FROM siyu_stages WHERE playbook = ?1 AND as_of >= ?2",
                "DELETE FROM siyu_actions WHERE playbook = ?1 AND as_of >= ?2",
                "UPDATE siyu_members SET stale = 1 WHERE playbook = ?1 AND as_of >= ?2",
            ] {
                connection
                    .execute(statement, params![self.playbook, self.as_of])
                    .map_err(|e| self.error(&e))?;
            }
        }
        Ok(())
    }

    /// Rebuilds, from the logs of the runs before this one, the rows of the members
    /// the replaced runs planned and this run did not.
    fn rebuild_stale(&self) -> rusqlite::Result<()> {
        let stale: Vec<String> = {
            let mut statement = self
                .connection
                .prepare("SELECT member FROM siyu_members WHERE playbook = ?1 AND stale = 1")?;
            let rows = statement.query_map([self.playbook], |row| row.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        if stale.is_empty() {
            return Ok(());
        }
        let earlier = earlier_runs(self.connection, self.playbook, self.as_of)?;
        for member in stale {
            let keep_from = self.as_of - self.keep;
            let history = from_logs(self.connection, self.playbook, &member, &earlier, keep_from)?;
            match (&history.previous, history.latest) {
                (Some((stage, since)), Some(as_of)) => {
                    self.connection.execute(
                        "UPDATE siyu_members SET as_of = ?3, stage = ?4, since = ?5,
                             touches = ?6, stale = 0
                         WHERE playbook = ?1 AND member = ?2",
                        params![
                            self.playbook,
                            member,
                            as_of,
                            stage.as_deref(),
                            since.as_second(),
                            touches::encode(history.touches.iter()),
                        ],
                    )?;
                }
                _ => {
                    self.connection.execute(
                        "DELETE FROM siyu_members WHERE playbook = ?1 AND member = ?2",
                        params![self.playbook, member],
                    )?;
                }
            }
        }
        Ok(())
    }
}

impl RunWriter for SqliteRun<'_> {
    fn record(&mut self, rows: &[MemberRow]) -> Result<(), LedgerError> {
        let connection = self.connection;
        let mut stages = connection
            .prepare_cached(
                "INSERT INTO siyu_stages (playbook, as_of, member, run, stage, since)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(|e| self.error(&e))?;
        let mut actions = connection
            .prepare_cached(
                "INSERT INTO siyu_actions (playbook, as_of, member, id, run, rule, position,
                                           verb, channel, at, at_text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(|e| self.error(&e))?;
        let mut members = connection
            .prepare_cached(
                "INSERT INTO siyu_members (playbook, member, as_of, stage, since, touches, stale)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)
                 ON CONFLICT (playbook, member) DO UPDATE SET as_of = excluded.as_of,
                     stage = excluded.stage, since = excluded.since,
                     touches = excluded.touches, stale = 0",
            )
            .map_err(|e| self.error(&e))?;
        let (playbook, as_of, run) = (self.playbook, self.as_of, self.run);
        for row in rows {
            let member = &*row.member;
            let stage = row.stage.as_deref();
            stages
                .execute(params![playbook, as_of, member, run, stage, row.since])
                .map_err(|e| self.error(&e))?;
            for action in &row.actions {
                actions
                    .execute(params![
                        playbook,
                        as_of,
                        member,
                        action.id as i64,
                        run,
                        &*action.rule,
                        action.position,
                        action.verb,
                        action.channel.as_deref(),
                        action.at,
                        &*action.at_text,
                    ])
                    .map_err(|e| self.error(&e))?;
            }
            members
                .execute(params![
                    playbook,
                    member,
                    as_of,
                    stage,
                    row.since,
                    row.touches
                ])
                .map_err(|e| self.error(&e))?;
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>, run: &RunInfo) -> Result<i64, LedgerError> {
        if self.replaced {
            self.rebuild_stale().map_err(|e| self.error(&e))?;
        }
        self.connection
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
        self.connection
            .execute_batch("COMMIT")
            .map_err(|e| self.error(&e))?;
        self.open = false;
        Ok(self.run)
    }
}

impl Drop for SqliteRun<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.connection.execute_batch("ROLLBACK");
        }
    }
}

/// A member's history rebuilt from the logs: the stage at the latest of `earlier`
/// (as-of times, latest first) that planned it, and the touches those runs planned
/// after `keep_from` (seconds) that did not fail; `latest` is that run's as-of.
pub(super) struct Rebuilt {
    pub previous: Option<(Option<Arc<str>>, jiff::Timestamp)>,
    pub touches: Vec<StoredTouch>,
    pub latest: Option<i64>,
}

/// The as-of times of the runs of `playbook` before `as_of`, latest first.
pub(super) fn earlier_runs(
    connection: &Connection,
    playbook: i64,
    as_of: i64,
) -> rusqlite::Result<Vec<i64>> {
    let mut statement = connection.prepare_cached(
        "SELECT as_of FROM siyu_runs WHERE playbook = ?1 AND as_of < ?2 ORDER BY as_of DESC",
    )?;
    let rows = statement.query_map(params![playbook, as_of], |row| row.get(0))?;
    rows.collect()
}

/// Rebuilds a member's history from the logs of the `earlier` runs.
pub(super) fn from_logs(
    connection: &Connection,
    playbook: i64,
    member: &str,
    earlier: &[i64],
    keep_from: i64,
) -> rusqlite::Result<Rebuilt> {
    let mut stage = connection.prepare_cached(
        "SELECT stage, since FROM siyu_stages WHERE playbook = ?1 AND as_of = ?2 AND member = ?3",
    )?;
    let mut actions = connection.prepare_cached(
        "SELECT id, rule, channel, at FROM siyu_actions
         WHERE playbook = ?1 AND as_of = ?2 AND member = ?3
           AND channel IS NOT NULL AND status <> 'failed'",
    )?;
    let mut rebuilt = Rebuilt {
        previous: None,
        touches: Vec::new(),
        latest: None,
    };
    for &as_of in earlier {
        if rebuilt.previous.is_none() {
            let found = stage
                .query_row(params![playbook, as_of, member], |row| {
                    let name: Option<String> = row.get(0)?;
                    let since: i64 = row.get(1)?;
                    Ok((name.map(Arc::from), super::timestamp(since)))
                })
                .optional()?;
            if found.is_some() {
                rebuilt.previous = found;
                rebuilt.latest = Some(as_of);
            }
        }
        if as_of + LEAD > keep_from {
            let rows = actions.query_map(params![playbook, as_of, member], |row| {
                let rule: String = row.get(1)?;
                let channel: Option<String> = row.get(2)?;
                Ok(StoredTouch {
                    id: row.get::<_, i64>(0)? as u64,
                    as_of,
                    rule: Some(Arc::from(rule)),
                    channel: channel.map(Arc::from),
                    at: super::timestamp(row.get(3)?),
                })
            })?;
            for touch in rows {
                let touch = touch?;
                if touch.at.as_second() > keep_from {
                    rebuilt.touches.push(touch);
                }
            }
        } else if rebuilt.previous.is_some() {
            break;
        }
    }
    Ok(rebuilt)
}

/// Reads histories through its own read-only connection: one row per member.
pub(super) struct SqliteReader {
    location: String,
    connection: Connection,
    wait: Duration,
    /// The playbook key's id, once looked up (`Some(None)`: the key has no run).
    playbook: Option<Option<i64>>,
    /// The runs before this one, latest first, once a member's row needed rebuilding.
    earlier: Option<Vec<i64>>,
}

impl SqliteReader {
    pub(super) fn new(location: String, connection: Connection, wait: Duration) -> Self {
        SqliteReader {
            location,
            connection,
            wait,
            playbook: None,
            earlier: None,
        }
    }

    fn read_all(
        &mut self,
        query: &HistoryQuery,
        members: &[&str],
        out: &mut Vec<StoredHistory>,
    ) -> rusqlite::Result<()> {
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
                    .optional()?;
                self.playbook = Some(found);
                found
            }
        };
        let Some(playbook) = playbook else {
            out.resize(members.len(), StoredHistory::default());
            return Ok(());
        };
        for member in members {
            let mut history = StoredHistory::default();
            let row = {
                let mut statement = self.connection.prepare_cached(
                    "SELECT as_of, stage, since, touches FROM siyu_members
                     WHERE playbook = ?1 AND member = ?2",
                )?;
                statement
                    .query_row(params![playbook, member], |row| {
                        let as_of: i64 = row.get(0)?;
                        if as_of < query.as_of {
                            let stage = row.get_ref(1)?.as_str_or_null()?.map(Arc::from);
                            let since: i64 = row.get(2)?;
                            history.previous = Some((stage, super::timestamp(since)));
                            touches::decode(row.get_ref(3)?.as_str()?, &mut history.touches);
                        }
                        Ok(as_of)
                    })
                    .optional()?
            };
            match row {
                None => {}
                Some(as_of) if as_of < query.as_of => {}
                Some(_) => {
                    // Written by a run this one replaces: rebuilt from the earlier runs.
                    if self.earlier.is_none() {
                        self.earlier = Some(earlier_runs(&self.connection, playbook, query.as_of)?);
                    }
                    let earlier = self.earlier.as_deref().unwrap_or_default();
                    let keep_from = query.as_of - query.keep;
                    let rebuilt =
                        from_logs(&self.connection, playbook, member, earlier, keep_from)?;
                    history.previous = rebuilt.previous;
                    history.touches = rebuilt.touches;
                }
            }
            out.push(history);
        }
        Ok(())
    }
}

impl HistoryReader for SqliteReader {
    fn read(
        &mut self,
        query: &HistoryQuery,
        members: &[&str],
        out: &mut Vec<StoredHistory>,
    ) -> Result<(), LedgerError> {
        out.clear();
        // One read transaction per batch: one snapshot, and the file's lock taken once
        // rather than once per member.
        let read = self
            .connection
            .execute_batch("BEGIN")
            .and_then(|()| self.read_all(query, members, out));
        let ended = self.connection.execute_batch("COMMIT");
        read.and(ended)
            .map_err(|e| database_error(&self.location, &e, self.wait))
    }
}

/// An action a receipt matched.
pub(super) struct Matched {
    /// The receipt's index in its batch.
    pub receipt: usize,
    pub playbook: i64,
    pub as_of: i64,
    pub member: String,
    pub touch: StoredTouch,
    pub status: &'static str,
}

/// The actions each receipt names, found in one pass over the actions' log per kind of
/// receipt (by id, by fields).
pub(super) fn match_receipts(
    connection: &Connection,
    receipts: &[Receipt],
) -> rusqlite::Result<Vec<Matched>> {
    connection.execute("DELETE FROM temp.siyu_receipts", [])?;
    {
        let mut insert = connection.prepare_cached(
            "INSERT INTO temp.siyu_receipts (seq, id, member, rule, channel, at, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (index, receipt) in receipts.iter().enumerate() {
            match &receipt.touch {
                TouchRef::Id(id) => insert.execute(params![
                    index as i64,
                    *id as i64,
                    None::<String>,
                    None::<String>,
                    None::<String>,
                    None::<i64>,
                    receipt.status
                ])?,
                TouchRef::Fields {
                    member,
                    rule,
                    channel,
                    at,
                } => insert.execute(params![
                    index as i64,
                    None::<i64>,
                    member,
                    rule,
                    channel,
                    at,
                    receipt.status
                ])?,
            };
        }
    }
    let mut found = Vec::new();
    for join in [
        "r.id = a.id",
        "r.member = a.member AND r.at = a.at AND r.rule = a.rule AND r.channel = a.channel",
    ] {
        let sql = format!(
            "SELECT r.seq, a.playbook, a.as_of, a.member, a.id, a.rule, a.channel, a.at
             FROM siyu_actions a JOIN temp.siyu_receipts r ON {join}"
        );
        let mut statement = connection.prepare(&sql)?;
        let rows = statement.query_map([], |row| {
            let receipt = row.get::<_, i64>(0)? as usize;
            let as_of: i64 = row.get(2)?;
            let rule: String = row.get(5)?;
            let channel: Option<String> = row.get(6)?;
            Ok(Matched {
                receipt,
                playbook: row.get(1)?,
                as_of,
                member: row.get(3)?,
                touch: StoredTouch {
                    id: row.get::<_, i64>(4)? as u64,
                    as_of,
                    rule: Some(Arc::from(rule)),
                    channel: channel.map(Arc::from),
                    at: super::timestamp(row.get(7)?),
                },
                status: receipts.get(receipt).map_or("planned", |r| r.status),
            })
        })?;
        for matched in rows {
            found.push(matched?);
        }
    }
    Ok(found)
}

/// Sets the matched actions' status, and takes failed touches out of (or a delivered
/// one back into) the member's row.
pub(super) fn apply_matches(connection: &Connection, matches: &[Matched]) -> rusqlite::Result<()> {
    let mut status = connection.prepare_cached(
        "UPDATE siyu_actions SET status = ?5
         WHERE playbook = ?1 AND as_of = ?2 AND member = ?3 AND id = ?4",
    )?;
    let mut read = connection.prepare_cached(
        "SELECT as_of, touches FROM siyu_members WHERE playbook = ?1 AND member = ?2",
    )?;
    let mut write = connection.prepare_cached(
        "UPDATE siyu_members SET touches = ?3 WHERE playbook = ?1 AND member = ?2",
    )?;
    for matched in matches {
        status.execute(params![
            matched.playbook,
            matched.as_of,
            matched.member,
            matched.touch.id as i64,
            matched.status
        ])?;
        if matched.touch.channel.is_none() {
            continue;
        }
        let row: Option<(i64, String)> = read
            .query_row(params![matched.playbook, matched.member], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        let Some((row_as_of, text)) = row else {
            continue;
        };
        let mut kept = Vec::new();
        touches::decode(&text, &mut kept);
        let present = kept.iter().any(|t| t.id == matched.touch.id);
        let changed = match matched.status {
            "failed" if present => {
                kept.retain(|t| t.id != matched.touch.id);
                true
            }
            // Delivered after all: it counts again, if the row still covers its run.
            "delivered" if !present && matched.as_of <= row_as_of => {
                kept.push(matched.touch.clone());
                true
            }
            _ => false,
        };
        if changed {
            write.execute(params![
                matched.playbook,
                matched.member,
                touches::encode(kept.iter())
            ])?;
        }
    }
    Ok(())
}
