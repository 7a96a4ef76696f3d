//! A run being recorded. The ledger is handed to a writer thread of its own, which
//! opens the run's transaction, writes each chunk of planned members as it comes (so
//! recording overlaps planning), and commits when told; a run dropped without
//! [`LedgerRun::commit`] is rolled back. At most a few chunks wait for the writer, so
//! memory stays bounded.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use jiff::Timestamp;

use super::ids;
use super::record::Recorded;
use super::store::{Later, RunInfo, Store};
use super::view::LedgerView;
use super::LedgerError;
use crate::plan::Summary;
use crate::playbook::{AsOf, Playbook};

/// Chunks waiting for the writer at most.
const QUEUE: usize = 8;

/// What the writer thread is asked.
enum Job {
    Record(Recorded),
    Commit(Box<RunInfo>),
}

/// A run being recorded: feed it what every chunk of the run's stream planned
/// ([`crate::JsonChunk::recorded`]), then commit it. Dropped without
/// [`LedgerRun::commit`], it leaves the ledger as it was.
pub struct LedgerRun {
    jobs: Option<SyncSender<Job>>,
    writer: Option<JoinHandle<Result<i64, LedgerError>>>,
    view: LedgerView,
    playbook: Playbook,
    as_of: AsOf,
    started: Timestamp,
}

impl std::fmt::Debug for LedgerRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerRun")
            .field("as_of", &self.as_of)
            .finish_non_exhaustive()
    }
}

impl LedgerRun {
    /// Starts the writer thread and waits until it has begun the run (or failed to).
    pub(super) fn start(
        store: Box<dyn Store>,
        view: LedgerView,
        playbook: &Playbook,
        as_of: AsOf,
        later: Later,
    ) -> Result<LedgerRun, LedgerError> {
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let (begun, begun_answer) = mpsc::sync_channel(1);
        let key = playbook.key().to_string();
        let query = view.query().clone();
        let spawned = std::thread::Builder::new()
            .name("siyu-ledger".into())
            .spawn(move || write(store, (key, query.as_of, query.keep, later), begun, queue));
        let writer = spawned.map_err(|error| LedgerError::Database {
            location: String::new(),
            message: format!("cannot start the ledger's writer: {error}"),
        })?;
        let run = LedgerRun {
            jobs: Some(jobs),
            writer: Some(writer),
            view,
            playbook: playbook.clone(),
            as_of,
            started: Timestamp::now(),
        };
        match begun_answer.recv() {
            Ok(Ok(())) => Ok(run),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(run.finish()),
        }
    }

    /// The view the run's stream plans with ([`crate::PlanOptions::ledger`]): it reads
    /// histories, gives each planned action its id, and records what is planned.
    pub fn view(&self) -> LedgerView {
        self.view.clone()
    }

    /// Records the members a chunk planned (in the run's transaction, not yet visible).
    /// An error the writer met earlier is given here.
    pub fn record(&mut self, recorded: Recorded) -> Result<(), LedgerError> {
        if recorded.is_empty() {
            return Ok(());
        }
        let sent = self
            .jobs
            .as_ref()
            .map(|jobs| jobs.send(Job::Record(recorded)));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(self.take_error()),
        }
    }

    /// Makes the whole run visible at once, with its summary; gives the run's number.
    pub fn commit(mut self, summary: &Summary) -> Result<i64, LedgerError> {
        let program = self.playbook.program();
        let files = program.sources.files().map(|(_, f)| (&*f.name, &*f.text));
        let info = RunInfo {
            run: 0,
            playbook: self.playbook.key().to_string(),
            as_of: crate::plan::format_rfc3339(
                &self.as_of.timestamp().to_zoned(program.zone.clone()),
            ),
            source_hash: ids::source_hash(files),
            members: summary.members(),
            planned: summary.planned(),
            invalid: summary.invalid(),
            started: self.started.to_string(),
            finished: Timestamp::now().to_string(),
            summary: serde_json::to_string(summary).unwrap_or_else(|_| "{}".into()),
        };
        let jobs = self.jobs.take();
        if let Some(jobs) = &jobs {
            let _ = jobs.send(Job::Commit(Box::new(info)));
        }
        drop(jobs);
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(writer_gone()),
        }
    }

    /// Stops the writer (rolling the run back) and gives the error it met.
    fn take_error(&mut self) -> LedgerError {
        self.jobs = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(Err(error))) => error,
            _ => writer_gone(),
        }
    }

    fn finish(mut self) -> LedgerError {
        self.take_error()
    }
}

impl Drop for LedgerRun {
    fn drop(&mut self) {
        // Without a commit, the writer rolls the run back when its queue closes.
        self.jobs = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn writer_gone() -> LedgerError {
    LedgerError::Database {
        location: String::new(),
        message: "the ledger's writer stopped unexpectedly".into(),
    }
}

/// The writer thread: begins the run, records what comes, commits when asked. Returns
/// the run's number once committed.
fn write(
    mut store: Box<dyn Store>,
    (key, as_of, keep, later): (String, i64, i64, Later),
    begun: SyncSender<Result<(), LedgerError>>,
    jobs: Receiver<Job>,
) -> Result<i64, LedgerError> {
    let mut writer = match store.begin(&key, as_of, keep, later) {
        Ok(writer) => {
            let _ = begun.send(Ok(()));
            writer
        }
        Err(error) => {
            let _ = begun.send(Err(error.clone()));
            return Err(error);
        }
    };
    for job in jobs {
        match job {
            Job::Record(recorded) => writer.record(recorded.rows())?,
            Job::Commit(info) => return writer.commit(&info),
        }
    }
    // The queue closed without a commit: dropping the writer rolls the run back.
    Err(LedgerError::Database {
        location: String::new(),
        message: "the run was not committed".into(),
    })
}
