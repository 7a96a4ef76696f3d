//! Ordered parallel planning. The caller's thread reads the input into batches (a
//! block of JSON Lines lines, or CSV records); worker threads decode and plan each
//! batch; results are handed back in input order. At most a fixed number of batches
//! are in flight (read but not yet handed back), so memory stays bounded however large
//! the input, and a slow batch holds back reading rather than piling results up. With
//! one thread everything runs on the caller's thread.
//!
//! What a worker makes of a batch is up to the caller ([`super::work`]): one item per
//! member, or the whole batch written as plan lines. Every worker has its own
//! [`Work`], so it can keep its buffers from one batch to the next.

use std::collections::{BTreeMap, VecDeque};
use std::io::BufRead;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::records::{Batch, RecordReader};
use super::PlanOptions;

/// What one worker does with each batch: the items it yields, in order.
pub(crate) type Work<T> = Box<dyn FnMut(Batch) -> Vec<T> + Send>;
/// Makes the [`Work`] of each worker.
pub(crate) type WorkFactory<T> = Arc<dyn Fn() -> Work<T> + Send + Sync>;

type JobQueue = Arc<Mutex<Receiver<(u64, Batch)>>>;

/// Batches in flight per worker thread.
const CHUNKS_PER_THREAD: usize = 4;
/// The stack of a worker thread (evaluation depth is bounded by compilation).
const WORKER_STACK: usize = 16 << 20;

/// A stream of planned members (or of what was made of them), in input order.
pub struct PlanStream<R, T> {
    reader: RecordReader<R>,
    chunk_size: usize,
    ready: VecDeque<T>,
    mode: Mode<T>,
}

enum Mode<T> {
    Inline { work: Work<T>, finished: bool },
    Parallel(Pool<T>),
}

struct Pool<T> {
    jobs: Option<SyncSender<(u64, Batch)>>,
    results: Receiver<(u64, Vec<T>)>,
    workers: Vec<JoinHandle<()>>,
    pending: BTreeMap<u64, Vec<T>>,
    next_to_send: u64,
    next_to_emit: u64,
    max_in_flight: usize,
    input_done: bool,
}

/// Starts a stream over `reader` whose batches are handled by work from `factory`.
pub(crate) fn stream<R, T>(
    reader: R,
    options: &PlanOptions,
    factory: WorkFactory<T>,
) -> PlanStream<R, T>
where
    R: BufRead,
    T: Send + 'static,
{
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let pool = (threads > 1)
        .then(|| Pool::start(&factory, threads))
        .flatten();
    let mode = match pool {
        Some(pool) => Mode::Parallel(pool),
        None => Mode::Inline {
            work: factory(),
            finished: false,
        },
    };
    PlanStream {
        reader: RecordReader::new(reader, options.format).with_duplicate_check(),
        chunk_size: options.chunk_size.max(1),
        ready: VecDeque::new(),
        mode,
    }
}

impl<T: Send + 'static> Pool<T> {
    fn start(factory: &WorkFactory<T>, threads: usize) -> Option<Self> {
        let max_in_flight = threads * CHUNKS_PER_THREAD;
        let (jobs, job_receiver) = mpsc::sync_channel::<(u64, Batch)>(max_in_flight);
        let job_receiver = Arc::new(Mutex::new(job_receiver));
        let (result_sender, results) = mpsc::channel();
        let mut workers = Vec::with_capacity(threads);
        for index in 0..threads {
            let worker = Worker {
                work: factory(),
                jobs: job_receiver.clone(),
                results: result_sender.clone(),
            };
            let spawned = std::thread::Builder::new()
                .name(format!("siyu-plan-{index}"))
                .stack_size(WORKER_STACK)
                .spawn(move || worker.run());
            match spawned {
                Ok(handle) => workers.push(handle),
                Err(_) if workers.is_empty() => return None,
                Err(_) => break,
            }
        }
        Some(Pool {
            jobs: Some(jobs),
            results,
            workers,
            pending: BTreeMap::new(),
            next_to_send: 0,
            next_to_emit: 0,
            max_in_flight,
            input_done: false,
        })
    }
}

struct Worker<T> {
    work: Work<T>,
    jobs: JobQueue,
    results: Sender<(u64, Vec<T>)>,
}

impl<T> Worker<T> {
    fn run(mut self) {
        loop {
            let job = {
                let receiver = self
                    .jobs
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                receiver.recv()
            };
            let Ok((sequence, batch)) = job else { return };
            let items = (self.work)(batch);
            if self.results.send((sequence, items)).is_err() {
                return;
            }
        }
    }
}

impl<R: BufRead, T> PlanStream<R, T> {
    fn read_chunk(&mut self) -> Option<Batch> {
        self.reader.next_batch(self.chunk_size)
    }
}

impl<R: BufRead, T: Send + 'static> Iterator for PlanStream<R, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            match &self.mode {
                Mode::Inline { finished: true, .. } => return None,
                Mode::Inline { .. } => {
                    let chunk = self.read_chunk();
                    let Mode::Inline { work, finished } = &mut self.mode else {
                        return None;
                    };
                    let Some(batch) = chunk else {
                        *finished = true;
                        return None;
                    };
                    self.ready.extend(work(batch));
                }
                Mode::Parallel(_) => {
                    let items = self.next_parallel()?;
                    self.ready.extend(items);
                }
            }
        }
    }
}

impl<R: BufRead, T: Send + 'static> PlanStream<R, T> {
    /// Keeps the pool fed, then waits for the next chunk in order.
    fn next_parallel(&mut self) -> Option<Vec<T>> {
        loop {
            let Mode::Parallel(pool) = &self.mode else {
                return None;
            };
            let in_flight = (pool.next_to_send - pool.next_to_emit) as usize;
            if pool.input_done || in_flight >= pool.max_in_flight {
                break;
            }
            let chunk = self.read_chunk();
            let Mode::Parallel(pool) = &mut self.mode else {
                return None;
            };
            let Some(chunk) = chunk else {
                pool.input_done = true;
                pool.jobs = None;
                break;
            };
            let sent = pool
                .jobs
                .as_ref()
                .map(|jobs| jobs.send((pool.next_to_send, chunk)));
            if !matches!(sent, Some(Ok(()))) {
                pool.input_done = true;
                pool.jobs = None;
                break;
            }
            pool.next_to_send += 1;
        }
        let Mode::Parallel(pool) = &mut self.mode else {
            return None;
        };
        if pool.next_to_emit == pool.next_to_send {
            return None;
        }
        loop {
            if let Some(items) = pool.pending.remove(&pool.next_to_emit) {
                pool.next_to_emit += 1;
                return Some(items);
            }
            let (sequence, items) = pool.results.recv().ok()?;
            pool.pending.insert(sequence, items);
        }
    }
}

impl<R, T> Drop for PlanStream<R, T> {
    fn drop(&mut self) {
        if let Mode::Parallel(pool) = &mut self.mode {
            pool.jobs = None;
            // Drain so that no worker waits on a full queue, then let them finish.
            while pool.results.try_recv().is_ok() {}
            for worker in pool.workers.drain(..) {
                let _ = worker.join();
            }
        }
    }
}
