//! The PostgreSQL back end's work: runs (written with `COPY` into the run's
//! transaction, the members' rows upserted from a temporary table), the readers
//! (a batch of members per query), the inspections, and receipts (joined against the
//! actions' log in the database). As in SQLite, a member's row written by a run this
//! one replaces is rebuilt from the logs of the runs before it.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use postgres::{Client, Transaction};

use super::history::{StoredHistory, StoredTouch};
use super::ids::hex_string;
use super::postgres::{connect, database_error, PostgresStore};
use super::store::{
    HistoryQuery, HistoryReader, Later, MemberRow, MemberRun, PastAction, Receipt, RunInfo,
    RunWriter, Store, TouchRef, LEAD,
};
use super::touches;
use super::view::ReaderFactory;
use super::LedgerError;

impl Store for PostgresStore {
    fn begin(
        &mut self,
        key: &str,
        as_of: i64,
        keep: i64,
        later: Later,
    ) -> Result<Box<dyn RunWriter + '_>, LedgerError> {
        let (shown, wait) = (self.shown.clone(), self.wait);
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
            keep,
            replaced: false,
            transaction: None,
        };
        run.start(&mut transaction, key, later)?;
        run.transaction = Some(transaction);
        Ok(Box::new(run))
    }

    fn readers(&self) -> Result<ReaderFactory, LedgerError> {
        let (url, shown, wait) = (self.url.clone(), self.shown.clone(), self.wait);
        Ok(Arc::new(move || {
            let client = connect(&url, &shown)?;
            Ok(Box::new(PostgresReader {
                shown: shown.clone(),
                wait,
                client,
                playbook: None,
                earlier: None,
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
                "SELECT s.run, p.key, r.as_of_text, s.stage, s.playbook, s.as_of
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
            let (playbook, as_of): (i64, i64) = (row.get(4), row.get(5));
            let actions = self
                .client
                .query(
                    "SELECT id, rule, verb, channel, at_text, status FROM siyu_actions
                     WHERE playbook = $1 AND as_of = $2 AND member = $3
                     ORDER BY at, position, rule",
                    &[&playbook, &as_of, &member],
                )
                .map_err(|e| self.error(&e))?;
            out.push(MemberRun {
                run: row.get(0),
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

    fn begin_receipts(&mut self) -> Result<(), LedgerError> {
        self.client
            .batch_execute(
                "BEGIN;
                 CREATE TEMP TABLE siyu_receipts (
                     seq BIGINT PRIMARY KEY, id BIGINT, member TEXT, rule TEXT,
                     channel TEXT, at BIGINT, status TEXT NOT NULL) ON COMMIT DROP;",
            )
            .map_err(|e| self.error(&e))
    }

    fn apply_receipts(&mut self, receipts: &[Receipt]) -> Result<Vec<u64>, LedgerError> {
        let (shown, wait) = (self.shown.clone(), self.wait);
        apply_receipts(&mut self.client, receipts).map_err(|e| database_error(&shown, &e, wait))
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
    keep: i64,
    replaced: bool,
    transaction: Option<Transaction<'a>>,
}

impl PostgresRun<'_> {
    fn error(&self, error: &postgres::Error) -> LedgerError {
        database_error(&self.shown, error, self.wait)
    }

    /// Takes the key's lock, finds or adds the playbook, checks the order of runs, and
    /// deletes the runs it replaces.
    fn start(
        &mut self,
        transaction: &mut Transaction<'_>,
        key: &str,
        later: Later,
    ) -> Result<(), LedgerError> {
        let wait = format!("{}ms", self.wait.as_millis().max(1));
        let error = |e: postgres::Error| database_error(&self.shown, &e, self.wait);
        transaction
            .execute("SELECT set_config('lock_timeout', $1, true)", &[&wait])
            .map_err(error)?;
        transaction
            .execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('siyu run ' || $1, 0))",
                &[&key],
            )
            .map_err(error)?;
        transaction
            .execute(
                "INSERT INTO siyu_playbooks (key) VALUES ($1) ON CONFLICT (key) DO NOTHING",
                &[&key],
            )
            .map_err(error)?;
        self.playbook = transaction
            .query_one("SELECT id FROM siyu_playbooks WHERE key = $1", &[&key])
            .map_err(error)?
            .get(0);
        let latest = transaction
            .query_opt(
                "SELECT run, as_of_text, as_of FROM siyu_runs WHERE playbook = $1
                 ORDER BY as_of DESC LIMIT 1",
                &[&self.playbook],
            )
            .map_err(error)?;
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
            .map_err(error)?
            .map(|row| row.get::<_, i64>(0));
        self.run = match same_day {
            Some(run) => run,
            None => transaction
                .query_one("SELECT nextval('siyu_run_numbers')", &[])
                .map_err(error)?
                .get(0),
        };
        let replaced = transaction
            .execute(
                "DELETE FROM siyu_runs WHERE playbook = $1 AND as_of >= $2",
                &[&self.playbook, &self.as_of],
            )
            .map_err(error)?;
        if replaced > 0 {
            self.replaced = true;
            transaction
                .batch_execute(&format!(
                    "DELETE FROM siyu_stages WHERE playbook = {p} AND as_of >= {t};
                     DELETE FROM siyu_actions WHERE playbook = {p} AND as_of >= {t};
                     UPDATE siyu_members SET stale = true WHERE playbook = {p} AND as_of >= {t};",
                    p = self.playbook,
                    t = self.as_of
                ))
                .map_err(error)?;
        }
        transaction
            .batch_execute(
                "CREATE TEMP TABLE siyu_new_members (member TEXT, stage TEXT, since BIGINT,
                     touches TEXT) ON COMMIT DROP",
            )
            .map_err(error)?;
        Ok(())
    }

    /// Rebuilds, from the logs of the runs before this one, the rows of the members the
    /// replaced runs planned and this run did not.
    fn rebuild_stale(&mut self, transaction: &mut Transaction<'_>) -> Result<(), postgres::Error> {
        let stale: Vec<String> = transaction
            .query(
                "SELECT member FROM siyu_members WHERE playbook = $1 AND stale",
                &[&self.playbook],
            )?
            .iter()
            .map(|row| row.get(0))
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        let earlier = earlier_runs(transaction, self.playbook, self.as_of)?;
        let keep_from = self.as_of - self.keep;
        for chunk in stale.chunks(1_000) {
            let members: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let rebuilt = from_logs(transaction, self.playbook, &members, &earlier, keep_from)?;
            for (member, (history, latest)) in members.iter().zip(rebuilt) {
                match (history.previous, latest) {
                    (Some((stage, since)), Some(as_of)) => {
                        let text = touches::encode(history.touches.iter());
                        transaction.execute(
                            "UPDATE siyu_members SET as_of = $3, stage = $4, since = $5,
                                 touches = $6, stale = false
                             WHERE playbook = $1 AND member = $2",
                            &[
                                &self.playbook,
                                member,
                                &as_of,
                                &stage.as_deref(),
                                &since.as_second(),
                                &text,
                            ],
                        )?;
                    }
                    _ => {
                        transaction.execute(
                            "DELETE FROM siyu_members WHERE playbook = $1 AND member = $2",
                            &[&self.playbook, member],
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl RunWriter for PostgresRun<'_> {
    fn record(&mut self, rows: &[MemberRow]) -> Result<(), LedgerError> {
        let (playbook, as_of, run) = (
            self.playbook.to_string(),
            self.as_of.to_string(),
            self.run.to_string(),
        );
        let mut stages = String::new();
        let mut actions = String::new();
        let mut members = String::new();
        for row in rows {
            let since = row.since.to_string();
            copy_line(
                &mut stages,
                &[
                    Some(&playbook),
                    Some(&as_of),
                    Some(&row.member),
                    Some(&run),
                    row.stage.as_deref(),
                    Some(&since),
                ],
            );
            copy_line(
                &mut members,
                &[
                    Some(&row.member),
                    row.stage.as_deref(),
                    Some(&since),
                    Some(&row.touches),
                ],
            );
            for action in &row.actions {
                copy_line(
                    &mut actions,
                    &[
                        Some(&playbook),
                        Some(&as_of),
                        Some(&row.member),
                        Some(&(action.id as i64).to_string()),
                        Some(&run),
                        Some(&action.rule),
                        Some(&action.position.to_string()),
                        Some(action.verb),
                        action.channel.as_deref(),
                        Some(&action.at.to_string()),
                        Some(&action.at_text),
                    ],
                );
            }
        }
        let (shown, wait) = (self.shown.clone(), self.wait);
        let error = |e: postgres::Error| database_error(&shown, &e, wait);
        let (playbook, as_of) = (self.playbook, self.as_of);
        let Some(transaction) = self.transaction.as_mut() else {
            return Ok(());
        };
        let copies = [
            (
                "COPY siyu_stages (playbook, as_of, member, run, stage, since) FROM STDIN",
                stages,
            ),
            (
                "COPY siyu_actions (playbook, as_of, member, id, run, rule, position, verb,
                                    channel, at, at_text) FROM STDIN",
                actions,
            ),
            (
                "COPY siyu_new_members (member, stage, since, touches) FROM STDIN",
                members,
            ),
        ];
        for (statement, data) in copies {
            if data.is_empty() {
                continue;
            }
            let mut writer = transaction.copy_in(statement).map_err(error)?;
            writer
                .write_all(data.as_bytes())
                .map_err(|e| LedgerError::Database {
                    location: shown.clone(),
                    message: e.to_string(),
                })?;
            writer.finish().map_err(error)?;
        }
        transaction
            .execute(
                "INSERT INTO siyu_members (playbook, member, as_of, stage, since, touches, stale)
                 SELECT $1, member, $2, stage, since, touches, false FROM siyu_new_members
                 ON CONFLICT (playbook, member) DO UPDATE SET as_of = excluded.as_of,
                     stage = excluded.stage, since = excluded.since,
                     touches = excluded.touches, stale = false",
                &[&playbook, &as_of],
            )
            .map_err(error)?;
        transaction
            .batch_execute("TRUNCATE siyu_new_members")
            .map_err(error)?;
        Ok(())
    }

    fn commit(mut self: Box<Self>, run: &RunInfo) -> Result<i64, LedgerError> {
        let Some(mut transaction) = self.transaction.take() else {
            return Err(LedgerError::Database {
                location: self.shown.clone(),
                message: "the run's transaction is gone".into(),
            });
        };
        if self.replaced {
            self.rebuild_stale(&mut transaction)
                .map_err(|e| self.error(&e))?;
        }
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

/// The as-of times of the runs of `playbook` before `as_of`, latest first.
fn earlier_runs(
    client: &mut impl postgres::GenericClient,
    playbook: i64,
    as_of: i64,
) -> Result<Vec<i64>, postgres::Error> {
    Ok(client
        .query(
            "SELECT as_of FROM siyu_runs WHERE playbook = $1 AND as_of < $2
             ORDER BY as_of DESC",
            &[&playbook, &as_of],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// Members' histories rebuilt from the logs of the `earlier` runs (latest first), with
/// the as-of of the run whose stage they have: one query per run, for the batch.
fn from_logs(
    client: &mut impl postgres::GenericClient,
    playbook: i64,
    members: &[&str],
    earlier: &[i64],
    keep_from: i64,
) -> Result<Vec<(StoredHistory, Option<i64>)>, postgres::Error> {
    let position: HashMap<&str, usize> = members.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut out = vec![(StoredHistory::default(), None); members.len()];
    let mut unresolved: Vec<&str> = members.to_vec();
    for &as_of in earlier {
        if !unresolved.is_empty() {
            let rows = client.query(
                "SELECT member, stage, since FROM siyu_stages
                 WHERE playbook = $1 AND as_of = $2 AND member = ANY($3)",
                &[&playbook, &as_of, &unresolved],
            )?;
            for row in &rows {
                let member: &str = row.get(0);
                if let Some(&index) = position.get(member) {
                    let stage: Option<String> = row.get(1);
                    out[index].0.previous =
                        Some((stage.map(Arc::from), super::timestamp(row.get(2))));
                    out[index].1 = Some(as_of);
                }
            }
            unresolved.retain(|m| position.get(m).is_some_and(|&i| out[i].1.is_none()));
        }
        if as_of + LEAD > keep_from {
            let rows = client.query(
                "SELECT member, id, rule, channel, at FROM siyu_actions
                 WHERE playbook = $1 AND as_of = $2 AND member = ANY($3)
                   AND channel IS NOT NULL AND status <> 'failed' AND at > $4",
                &[&playbook, &as_of, &members, &keep_from],
            )?;
            for row in &rows {
                let member: &str = row.get(0);
                if let Some(&index) = position.get(member) {
                    let rule: String = row.get(2);
                    let channel: Option<String> = row.get(3);
                    out[index].0.touches.push(StoredTouch {
                        id: row.get::<_, i64>(1) as u64,
                        as_of,
                        rule: Some(Arc::from(rule)),
                        channel: channel.map(Arc::from),
                        at: super::timestamp(row.get(4)),
                    });
                }
            }
        } else if unresolved.is_empty() {
            break;
        }
    }
    Ok(out)
}

/// Reads histories through its own connection, one query per batch.
struct PostgresReader {
    shown: String,
    wait: Duration,
    client: Client,
    /// The playbook key's id, once looked up (`Some(None)`: the key has no run).
    playbook: Option<Option<i64>>,
    /// The runs before this one, latest first, once a member's row needed rebuilding.
    earlier: Option<Vec<i64>>,
}

impl PostgresReader {
    fn read_all(
        &mut self,
        query: &HistoryQuery,
        members: &[&str],
        out: &mut [StoredHistory],
    ) -> Result<(), postgres::Error> {
        let playbook = match self.playbook {
            Some(playbook) => playbook,
            None => {
                let found = self
                    .client
                    .query_opt(
                        "SELECT id FROM siyu_playbooks WHERE key = $1",
                        &[&&*query.key],
                    )?
                    .map(|row| row.get::<_, i64>(0));
                self.playbook = Some(found);
                found
            }
        };
        let Some(playbook) = playbook else {
            return Ok(());
        };
        let position: HashMap<&str, usize> =
            members.iter().enumerate().map(|(i, m)| (*m, i)).collect();
        let rows = self.client.query(
            "SELECT member, as_of, stage, since, touches FROM siyu_members
             WHERE playbook = $1 AND member = ANY($2)",
            &[&playbook, &members],
        )?;
        let mut replaced: Vec<&str> = Vec::new();
        for row in &rows {
            let member: &str = row.get(0);
            let Some(&index) = position.get(member) else {
                continue;
            };
            let as_of: i64 = row.get(1);
            if as_of >= query.as_of {
                replaced.push(members[index]);
                continue;
            }
            let stage: Option<String> = row.get(2);
            out[index].previous = Some((stage.map(Arc::from), super::timestamp(row.get(3))));
            let text: &str = row.get(4);
            touches::decode(text, &mut out[index].touches);
        }
        if replaced.is_empty() {
            return Ok(());
        }
        // Rows written by a run this one replaces: rebuilt from the earlier runs.
        if self.earlier.is_none() {
            self.earlier = Some(earlier_runs(&mut self.client, playbook, query.as_of)?);
        }
        let earlier = self.earlier.clone().unwrap_or_default();
        let keep_from = query.as_of - query.keep;
        let rebuilt = from_logs(&mut self.client, playbook, &replaced, &earlier, keep_from)?;
        for (member, (history, _)) in replaced.iter().zip(rebuilt) {
            if let Some(&index) = position.get(member) {
                out[index] = history;
            }
        }
        Ok(())
    }
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
        self.read_all(query, members, out)
            .map_err(|e| database_error(&self.shown, &e, self.wait))
    }
}

/// Applies a batch of receipts in the open transaction: each matched action's status,
/// then the members' rows (failed touches out, delivered ones back in).
fn apply_receipts(client: &mut Client, receipts: &[Receipt]) -> Result<Vec<u64>, postgres::Error> {
    client.batch_execute("TRUNCATE siyu_receipts")?;
    let mut data = String::new();
    for (index, receipt) in receipts.iter().enumerate() {
        let seq = index.to_string();
        match &receipt.touch {
            TouchRef::Id(id) => copy_line(
                &mut data,
                &[
                    Some(&seq),
                    Some(&(*id as i64).to_string()),
                    None,
                    None,
                    None,
                    None,
                    Some(receipt.status),
                ],
            ),
            TouchRef::Fields {
                member,
                rule,
                channel,
                at,
            } => copy_line(
                &mut data,
                &[
                    Some(&seq),
                    None,
                    Some(member),
                    Some(rule),
                    Some(channel),
                    Some(&at.to_string()),
                    Some(receipt.status),
                ],
            ),
        }
    }
    {
        let mut writer = client.copy_in(
            "COPY siyu_receipts (seq, id, member, rule, channel, at, status) FROM STDIN",
        )?;
        let _ = writer.write_all(data.as_bytes());
        writer.finish()?;
    }
    let mut matched = Vec::new();
    for join in [
        "a.id = r.id",
        "a.member = r.member AND a.at = r.at AND a.rule = r.rule AND a.channel = r.channel",
    ] {
        matched.extend(client.query(
            &format!(
                "UPDATE siyu_actions a SET status = r.status FROM siyu_receipts r WHERE {join}
                 RETURNING r.seq, a.playbook, a.as_of, a.member, a.id, a.rule, a.channel,
                           a.at, r.status"
            ),
            &[],
        )?);
    }
    let mut counts = vec![0; receipts.len()];
    for row in &matched {
        let seq = row.get::<_, i64>(0) as usize;
        if let Some(count) = counts.get_mut(seq) {
            *count += 1;
        }
        let channel: Option<String> = row.get(6);
        if channel.is_none() {
            continue;
        }
        let (playbook, as_of, member): (i64, i64, String) = (row.get(1), row.get(2), row.get(3));
        let status: String = row.get(8);
        let rule: String = row.get(5);
        let touch = StoredTouch {
            id: row.get::<_, i64>(4) as u64,
            as_of,
            rule: Some(Arc::from(rule)),
            channel: channel.map(Arc::from),
            at: super::timestamp(row.get(7)),
        };
        let Some(found) = client.query_opt(
            "SELECT as_of, touches FROM siyu_members WHERE playbook = $1 AND member = $2",
            &[&playbook, &member],
        )?
        else {
            continue;
        };
        let (row_as_of, text): (i64, String) = (found.get(0), found.get(1));
        let mut kept = Vec::new();
        touches::decode(&text, &mut kept);
        let present = kept.iter().any(|t| t.id == touch.id);
        let changed = match status.as_str() {
            "failed" if present => {
                kept.retain(|t| t.id != touch.id);
                true
            }
            "delivered" if !present && as_of <= row_as_of => {
                kept.push(touch);
                true
            }
            _ => false,
        };
        if changed {
            client.execute(
                "UPDATE siyu_members SET touches = $3 WHERE playbook = $1 AND member = $2",
                &[&playbook, &member, &touches::encode(kept.iter())],
            )?;
        }
    }
    Ok(counts)
}
