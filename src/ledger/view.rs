//! A ledger as planning sees it: for one playbook and one as-of time, each member's
//! history, read by every planning thread through its own connection. A run's view
//! also gives each planned action its id and records what is planned.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use super::history::StoredHistory;
use super::ids::ActionIds;
use super::store::{HistoryQuery, HistoryReader};
use super::LedgerError;
use crate::playbook::{AsOf, Playbook};

/// Opens a reader (a connection) for one planning thread.
pub(crate) type ReaderFactory =
    Arc<dyn Fn() -> Result<Box<dyn HistoryReader>, LedgerError> + Send + Sync>;

/// The ledger as one run's planning reads it: cheap to clone and to hand to threads.
/// Give it to a stream with [`crate::PlanOptions::ledger`].
#[derive(Clone)]
pub struct LedgerView {
    inner: Arc<Inner>,
}

struct Inner {
    readers: ReaderFactory,
    query: HistoryQuery,
    as_of: Timestamp,
    /// The playbook's source, to tell a view opened for another playbook.
    program: usize,
    /// A run's view: action ids, and the plans recorded.
    ids: Option<ActionIds>,
    /// A reader for single look-ups on the caller's thread.
    single: Mutex<Option<Box<dyn HistoryReader>>>,
}

impl std::fmt::Debug for LedgerView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerView")
            .field("key", &self.inner.query.key)
            .field("as_of", &self.inner.as_of)
            .field("records", &self.inner.ids.is_some())
            .finish()
    }
}

impl PartialEq for LedgerView {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for LedgerView {}

impl LedgerView {
    pub(crate) fn new(
        readers: ReaderFactory,
        playbook: &Playbook,
        as_of: AsOf,
        records: bool,
    ) -> Result<LedgerView, LedgerError> {
        let program = playbook.program();
        let key = program.key.clone();
        let as_of = as_of.timestamp();
        Ok(LedgerView {
            inner: Arc::new(Inner {
                readers,
                query: HistoryQuery {
                    key: key.clone(),
                    as_of: as_of.as_second(),
                    keep: program.longest_cap.max(super::store::MIN_KEEP),
                },
                as_of,
                program: std::ptr::from_ref(program) as usize,
                ids: records.then(|| ActionIds::new(&key, as_of)),
                single: Mutex::new(None),
            }),
        })
    }

    /// Whether this view was opened for `playbook` at `as_of`.
    pub(crate) fn fits(&self, playbook: &Playbook, as_of: AsOf) -> bool {
        self.inner.program == std::ptr::from_ref(playbook.program()) as usize
            && self.inner.as_of == as_of.timestamp()
    }

    /// A reader for one planning thread.
    pub(crate) fn reader(&self) -> Result<Box<dyn HistoryReader>, LedgerError> {
        (self.inner.readers)()
    }

    /// What every read of this view asks.
    pub(crate) fn query(&self) -> &HistoryQuery {
        &self.inner.query
    }

    /// The ids of a run's actions (`None` for a read-only view).
    pub(crate) fn ids(&self) -> Option<&ActionIds> {
        self.inner.ids.as_ref()
    }

    /// One member's history, read on the caller's thread (threads that share the view
    /// take turns).
    pub fn history(&self, member: &str) -> Result<super::History, LedgerError> {
        self.read_one(member)
            .map(|stored| super::History::from_stored(&stored))
    }

    /// One member's history, read on the caller's thread.
    pub(crate) fn read_one(&self, member: &str) -> Result<StoredHistory, LedgerError> {
        let mut single = self
            .inner
            .single
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if single.is_none() {
            *single = Some(self.reader()?);
        }
        let mut out = Vec::with_capacity(1);
        if let Some(reader) = single.as_mut() {
            reader.read(&self.inner.query, &[member], &mut out)?;
        }
        Ok(out.pop().unwrap_or_default())
    }
}
