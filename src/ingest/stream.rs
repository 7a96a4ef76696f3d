//! Ordered parallel planning. The caller's thread reads the input into chunks of
//! records; worker threads decode, plan and map each chunk; results are handed back in
//! input order. At most a fixed number of chunks are in flight (read but not yet
//! handed back), so memory stays bounded however large the input, and a slow chunk
//! holds back reading rather than piling results up. With one thread everything runs
//! on the caller's thread.

use std::collections::{BTreeMap, VecDeque};
use std::io::BufRead;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::records::{Batch, Record, RecordReader};
use super::{PlanOptions, StreamItem};
use crate::eval::expr::Clock;
use crate::eval::planner::plan_member;
use crate::plan::{ErrorKind, ErrorRecord};
use crate::playbook::{AsOf, Playbook};

type Mapper<T> = Arc<dyn Fn(StreamItem) -> T + Send + Sync>;
type JobQueue = Arc<Mutex<Receiver<(u64, Batch)>>>;

/// Chunks in flight per worker thread.
const CHUNKS_PER_THREAD: usize = 4;
/// The stack of a worker thread (evaluation depth is bounded by compilation).
const WORKER_STACK: usize = 16 << 20;

/// A stream of planned members (or of what `map` made of them), in input order.
pub struct PlanStream<R, T> {
    reader: RecordReader<R>,
    chunk_size: usize,
    ready: VecDeque<T>,
    mode: Mode<T>,
}

enum Mode<T> {
    Inline {
        playbook: Playbook,
        clock: Clock,
        map: Mapper<T>,
        finished: bool,
    },
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

/// Starts planning a stream.
pub(crate) fn stream<R, T, F>(
    playbook: Playbook,
    reader: R,
    as_of: AsOf,
    options: PlanOptions,
    map: F,
) -> PlanStream<R, T>
where
    R: BufRead,
    T: Send + 'static,
    F: Fn(StreamItem) -> T + Send + Sync + 'static,
{
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let map: Mapper<T> = Arc::new(map);
    let clock = playbook.clock(as_of);
    let mut mode = Mode::Inline {
        playbook: playbook.clone(),
        clock: clock.clone(),
        map: map.clone(),
        finished: false,
    };
    if threads > 1 {
        if let Some(pool) = Pool::start(&playbook, &clock, &map, threads) {
            mode = Mode::Parallel(pool);
        }
    }
    PlanStream {
        reader: RecordReader::new(reader, options.format),
        chunk_size: options.chunk_size.max(1),
        ready: VecDeque::new(),
        mode,
    }
}

/// Decodes and plans one record.
pub(crate) fn plan_record(playbook: &Playbook, clock: &Clock, record: Record) -> StreamItem {
    let program = playbook.program();
    match record {
        Record::Failed(error) => Err(error),
        Record::Json { line, bytes } => plan_line(playbook, clock, line, &bytes),
        Record::Csv {
            line,
            header,
            cells,
        } => super::csv_cells::record_to_json(&program.layout, &header, &cells)
            .and_then(|json| super::decode::decode_value(program, &json))
            .and_then(|member| plan_member(program, &member, clock))
            .map_err(|error| ErrorRecord::new(line, error)),
    }
}

/// Decodes and plans one JSON Lines line.
fn plan_line(playbook: &Playbook, clock: &Clock, line: u64, bytes: &[u8]) -> StreamItem {
    let program = playbook.program();
    let text = std::str::from_utf8(bytes).map_err(|error| ErrorRecord {
        line,
        member: None,
        rule: None,
        error: format!(
            "the line is not valid UTF-8 (at byte {})",
            error.valid_up_to() + 1
        ),
        kind: ErrorKind::Malformed,
    })?;
    super::decode::decode_text(program, text)
        .and_then(|member| plan_member(program, &member, clock))
        .map_err(|error| ErrorRecord::new(line, error))
}

/// Plans every member of a batch, in order.
fn plan_batch<T>(playbook: &Playbook, clock: &Clock, map: &Mapper<T>, batch: Batch) -> Vec<T> {
    match batch {
        Batch::Lines(block) => block
            .lines()
            .map(|(line, bytes)| map(guarded(line, || plan_line(playbook, clock, line, bytes))))
            .collect(),
        Batch::Records(records) => records
            .into_iter()
            .map(|record| {
                let line = record_line(&record);
                map(guarded(line, || plan_record(playbook, clock, record)))
            })
            .collect(),
    }
}

/// Runs `plan`; a panic, which would be a bug, becomes this member's error record.
fn guarded(line: u64, plan: impl FnOnce() -> StreamItem) -> StreamItem {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(plan)).unwrap_or_else(|_| {
        Err(ErrorRecord {
            line,
            member: None,
            rule: None,
            error: "internal error while planning this member".into(),
            kind: ErrorKind::Runtime,
        })
    })
}

fn record_line(record: &Record) -> u64 {
    match record {
        Record::Json { line, .. } | Record::Csv { line, .. } => *line,
        Record::Failed(error) => error.line,
    }
}

impl<T: Send + 'static> Pool<T> {
    fn start(playbook: &Playbook, clock: &Clock, map: &Mapper<T>, threads: usize) -> Option<Self> {
        let max_in_flight = threads * CHUNKS_PER_THREAD;
        let (jobs, job_receiver) = mpsc::sync_channel::<(u64, Batch)>(max_in_flight);
        let job_receiver = Arc::new(Mutex::new(job_receiver));
        let (result_sender, results) = mpsc::channel();
        let mut workers = Vec::with_capacity(threads);
        for index in 0..threads {
            let worker = Worker {
                playbook: playbook.clone(),
                clock: clock.clone(),
                map: map.clone(),
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
    playbook: Playbook,
    clock: Clock,
    map: Mapper<T>,
    jobs: JobQueue,
    results: Sender<(u64, Vec<T>)>,
}

impl<T> Worker<T> {
    fn run(self) {
        loop {
            let job = {
                let receiver = self
                    .jobs
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                receiver.recv()
            };
            let Ok((sequence, batch)) = job else { return };
            let items = plan_batch(&self.playbook, &self.clock, &self.map, batch);
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
                    let Mode::Inline {
                        playbook,
                        clock,
                        map,
                        finished,
                    } = &mut self.mode
                    else {
                        return None;
                    };
                    let Some(batch) = chunk else {
                        *finished = true;
                        return None;
                    };
                    self.ready.extend(plan_batch(playbook, clock, map, batch));
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
