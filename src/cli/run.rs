//! `siyu run`: plan every member of a snapshot file. Plans go to `--out` (default
//! stdout) in input order; error records to `--errors` (JSON Lines) or to stderr as
//! readable lines; the summary to `--summary` as JSON and, unless `--quiet`, as a table
//! on stderr. A closed stdout pipe (`| head`) ends the run quietly. Which formats the
//! members and plans are read and written in is `run_io`'s business.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use siyu::{
    AsOf, ErrorKind, ErrorRecord, InputFormat, LedgerRun, PlanOptions, Playbook, PlaybookError,
    Summary,
};

use super::output::AtomicFile;
use super::run_io::{self, Members, Plans};
use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// What to do with an invalid snapshot.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnInvalid {
    /// Report it and go on.
    #[default]
    Skip,
    /// Stop at the first one, exit 1.
    Fail,
}

/// The format of `--members`, when its name does not say it.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembersFormat {
    /// One JSON object a line.
    Jsonl,
    /// A header row, then one record a member.
    Csv,
    /// A Parquet file (`siyu run` only, in a build with the `parquet` feature).
    Parquet,
}

/// Arguments of `siyu run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The playbook to run.
    pub playbook: PathBuf,
    /// Member snapshots: JSON Lines, a `.csv` file, or a `.parquet` file; `-` reads
    /// stdin.
    #[arg(long, value_name = "PATH")]
    pub members: PathBuf,
    /// The format of `--members`: `jsonl`, `csv` or `parquet` (default: from the
    /// file's extension; JSON Lines for stdin).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub members_format: Option<MembersFormat>,
    /// The as-of time, RFC 3339 (default: now).
    #[arg(long, value_name = "DATETIME")]
    pub as_of: Option<String>,
    /// Where to write the plans (default: stdout); a `.parquet` name writes Parquet.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Where to write error records as JSON Lines (default: readable lines on stderr).
    #[arg(long, value_name = "PATH")]
    pub errors: Option<PathBuf>,
    /// Where to write the summary as JSON.
    #[arg(long, value_name = "PATH")]
    pub summary: Option<PathBuf>,
    /// `skip` reports invalid snapshots and goes on; `fail` stops at the first.
    #[arg(long, value_enum, default_value_t = OnInvalid::Skip)]
    pub on_invalid: OnInvalid,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No summary table and no progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// The ledger that remembers runs: an SQLite file (created on first use) or a
    /// postgres:// URL (default: $SIYU_LEDGER). Caps then count earlier runs' touches,
    /// `on enter` fires on the day a member changes stage, and the run is recorded.
    #[arg(long, value_name = "LOCATION", env = "SIYU_LEDGER")]
    pub ledger: Option<String>,
    /// Run at an as-of earlier than the ledger's latest run of this playbook, deleting
    /// the later runs (in the same transaction).
    #[arg(long, requires = "ledger")]
    pub replace_later: bool,
    /// How long to wait for another run holding the ledger, in seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10,
        requires = "ledger"
    )]
    pub ledger_wait: u64,
}

/// Loads a playbook for `run` and `explain`; on failure prints why and gives the exit
/// code.
pub(super) fn load_playbook(path: &Path) -> Result<Playbook, i32> {
    match Playbook::from_file(path) {
        Ok(playbook) => Ok(playbook),
        Err(PlaybookError::Io { path, source }) => {
            eprintln!("error: cannot read `{path}`: {source}");
            Err(EXIT_USAGE)
        }
        Err(error) => {
            render_reports(&error);
            Err(EXIT_FAILURE)
        }
    }
}

fn render_reports(error: &PlaybookError) {
    let handler = super::render::handler();
    for report in error.reports() {
        eprintln!("{}", super::render::draw(&handler, &report));
    }
    eprintln!("{error}");
}

/// Parses `--as-of`, or takes the current time.
pub(super) fn as_of(text: Option<&str>) -> Result<AsOf, i32> {
    match text {
        None => Ok(AsOf::now()),
        Some(text) => AsOf::parse(text).map_err(|error| {
            eprintln!("error: {error} (write it like 2026-11-25T09:00:00+08:00)");
            EXIT_USAGE
        }),
    }
}

/// Opens `--members` (`-` is stdin) with its format.
///
/// `--members-format` wins; otherwise a `.csv` name is CSV and anything else,
/// stdin included, is JSON Lines.
pub(super) fn open_members(
    path: &Path,
    format: Option<MembersFormat>,
) -> Result<(Box<dyn BufRead>, InputFormat), i32> {
    let stdin = path.as_os_str() == "-";
    let parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let format = match format {
        Some(MembersFormat::Jsonl) => InputFormat::JsonLines,
        Some(MembersFormat::Csv) => InputFormat::Csv,
        Some(MembersFormat::Parquet) => return Err(parquet_elsewhere()),
        None if stdin => InputFormat::JsonLines,
        None if parquet => return Err(parquet_elsewhere()),
        None => InputFormat::from_path(path),
    };
    if stdin {
        return Ok((Box::new(io::stdin().lock()), format));
    }
    match File::open(path) {
        Ok(file) => Ok((Box::new(BufReader::with_capacity(1 << 18, file)), format)),
        Err(error) => {
            eprintln!("error: cannot read `{}`: {error}", path.display());
            Err(EXIT_USAGE)
        }
    }
}

/// Parquet members reach a command that reads text.
fn parquet_elsewhere() -> i32 {
    eprintln!(
        "error: Parquet members are read by `siyu run` only; give this command JSON Lines or CSV"
    );
    EXIT_USAGE
}

/// An output file, put in place only when the run completes (see `output`).
pub(super) fn create(path: &Path) -> Result<AtomicFile, i32> {
    AtomicFile::create(path).map_err(|error| {
        eprintln!("error: cannot write `{}`: {error}", path.display());
        EXIT_USAGE
    })
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> i32 {
    match run_inner(&args) {
        Ok(code) | Err(code) => code,
    }
}

fn run_inner(args: &Args) -> Result<i32, i32> {
    let playbook = load_playbook(&args.playbook)?;
    let as_of = as_of(args.as_of.as_deref())?;
    let Some(location) = &args.ledger else {
        if playbook.reads_history() {
            return Err(super::ledger::needs_ledger(&args.playbook));
        }
        return plan_all(args, &playbook, as_of, None);
    };
    if run_io::is_parquet_run(args) {
        eprintln!("error: a run with a ledger reads and writes JSON Lines or CSV, not Parquet");
        return Err(EXIT_USAGE);
    }
    let wait = Duration::from_secs(args.ledger_wait);
    let ledger = super::ledger::open_for_run(location, wait)?;
    let run = ledger
        .begin(&playbook, as_of, args.replace_later)
        .map_err(|error| super::ledger::failed(&error))?;
    plan_all(args, &playbook, as_of, Some(run))
}

/// Plans every member, with a ledger run when there is one; commits the run (before
/// the plans are put in place) only when the whole input was planned.
fn plan_all(
    args: &Args,
    playbook: &Playbook,
    as_of: AsOf,
    mut run: Option<LedgerRun>,
) -> Result<i32, i32> {
    let mut out = Plans::create(args.out.as_deref(), playbook)?;
    let mut errors = args.errors.as_deref().map(create).transpose()?;
    let mut options = PlanOptions::default().threads(args.threads.unwrap_or(0));
    if let Some(run) = &run {
        options = options.ledger(run.view());
    }
    let (chunks, members, input) = run_io::plan(args, playbook, as_of, &out, options)?;
    let mut summary = playbook.summary();
    let mut progress = Progress::new(args.quiet, input);
    let mut code = EXIT_OK;
    for mut chunk in chunks {
        if let Err(error) = out.write(&chunk) {
            return write_failed(&error, "the plans");
        }
        summary.merge(chunk.summary());
        progress.tick(summary.members());
        if let Some(run) = &mut run {
            if let Err(error) = run.record(chunk.take_recorded()) {
                progress.finish();
                return Err(super::ledger::failed(&error));
            }
        }
        let Some(record) = chunk.error() else {
            continue;
        };
        if record.kind == ErrorKind::Ledger {
            progress.finish();
            eprintln!("error: {}", record.error);
            code = EXIT_FAILURE;
            break;
        }
        if record.kind.is_fatal() {
            progress.finish();
            eprintln!("error: line {}: {}", record.line, record.error);
            code = EXIT_USAGE;
            break;
        }
        report_error(record, errors.as_mut())?;
        if args.on_invalid == OnInvalid::Fail {
            progress.finish();
            eprintln!(
                "error: stopped at line {}: the snapshot is invalid",
                record.line
            );
            code = EXIT_FAILURE;
            break;
        }
    }
    progress.finish();
    if let Err(error) = out.flush() {
        return write_failed(&error, "the plans");
    }
    // The error records say why a run stopped, so they are kept whatever happened;
    // the plans and the summary of a run that stopped early are not put in place.
    if let Some(errors) = errors {
        if let Err(error) = errors.commit() {
            return write_failed(&error, "the error records");
        }
    }
    if code == EXIT_OK {
        if let Some(run) = run.take() {
            match run.commit(&summary) {
                Ok(number) if !args.quiet => {
                    let location = run_location(args);
                    eprintln!(
                        "ledger: run {number} of `{}` recorded in {location}",
                        playbook.key()
                    );
                }
                Ok(_) => {}
                Err(error) => return Err(super::ledger::failed(&error)),
            }
        }
        if let Err(error) = out.commit() {
            return write_failed(&error, "the plans");
        }
        if let Some(path) = &args.summary {
            write_summary(path, &summary)?;
        }
    }
    if !args.quiet {
        eprint!("{}", summary_table(&summary));
    }
    let format = match members {
        Members::Text(format) => Some(format),
        Members::Parquet => None,
    };
    if let Some(warning) = all_invalid(&summary, format) {
        eprintln!("{warning}");
    }
    Ok(code)
}

/// The ledger's location as messages show it.
fn run_location(args: &Args) -> String {
    args.ledger
        .as_deref()
        .map(siyu::Ledger::shown)
        .unwrap_or_default()
}

/// The plain warning for an input of which no snapshot could be planned; it is
/// printed even with `--quiet`, since a run that planned nobody is seldom meant. A text
/// input's format is named, in case it was taken for the other one.
pub(super) fn all_invalid(summary: &Summary, format: Option<InputFormat>) -> Option<String> {
    if summary.members() == 0 || summary.invalid() < summary.members() {
        return None;
    }
    let hint = match format {
        None => "",
        Some(InputFormat::JsonLines) => "; if the input is CSV, say so with `--members-format csv`",
        Some(_) => "; if the input is JSON Lines, say so with `--members-format jsonl`",
    };
    Some(format!(
        "warning: every snapshot of the input was invalid ({} of {}), so nothing was planned{hint}",
        summary.invalid(),
        summary.members()
    ))
}

/// A closed pipe ends quietly; any other write error is reported.
fn write_failed(error: &io::Error, what: &str) -> Result<i32, i32> {
    if error.kind() == io::ErrorKind::BrokenPipe {
        return Ok(EXIT_OK);
    }
    eprintln!("error: cannot write {what}: {error}");
    Err(EXIT_FAILURE)
}

fn report_error(record: &ErrorRecord, errors: Option<&mut AtomicFile>) -> Result<(), i32> {
    match errors {
        Some(file) => {
            let written = serde_json::to_writer(&mut *file, record)
                .map_err(io::Error::from)
                .and_then(|()| file.write_all(b"\n"));
            if let Err(error) = written {
                eprintln!("error: cannot write the error records: {error}");
                return Err(EXIT_FAILURE);
            }
        }
        None => eprintln!("invalid: {record}"),
    }
    Ok(())
}

fn write_summary(path: &Path, summary: &Summary) -> Result<(), i32> {
    let mut file = create(path)?;
    let written = serde_json::to_writer_pretty(&mut file, summary)
        .map_err(io::Error::from)
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.commit());
    written.map_err(|error| {
        eprintln!("error: cannot write `{}`: {error}", path.display());
        EXIT_FAILURE
    })
}

/// The readable summary shown on stderr.
pub(super) fn summary_table(summary: &Summary) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "members read {}  =  planned {} + invalid {}   (held out: {})",
        summary.members(),
        summary.planned(),
        summary.invalid(),
        summary.holdout()
    );
    let width = summary
        .stages()
        .map(|(name, _)| name.chars().count())
        .chain(summary.rules().map(|(name, _)| name.chars().count()))
        .chain(summary.channels().map(|(name, _)| name.chars().count()))
        .max()
        .unwrap_or(0)
        .max(8);
    let _ = writeln!(
        out,
        "{:width$}  {:>8}  {:>8}",
        "stage", "members", "held out"
    );
    for ((name, count), (_, held)) in summary.stages().zip(summary.holdout_stages()) {
        let _ = writeln!(out, "{name:width$}  {count:>8}  {held:>8}");
    }
    let _ = writeln!(
        out,
        "{:width$}  {:>10}  {:>8}  {:>8}  suppressed (members)",
        "rule", "candidates", "reached", "actions"
    );
    for (name, counts) in summary.rules() {
        let reasons: Vec<String> = siyu::Reason::ALL
            .iter()
            .filter(|reason| counts.suppressed_members(**reason) > 0)
            .map(|reason| format!("{reason} {}", counts.suppressed_members(*reason)))
            .collect();
        let _ = writeln!(
            out,
            "{name:width$}  {:>10}  {:>8}  {:>8}  {}",
            counts.fired,
            counts.reached,
            counts.planned,
            reasons.join(", ")
        );
    }
    let _ = writeln!(out, "{:width$}  {:>8}", "channel", "planned");
    for (name, count) in summary.channels() {
        let _ = writeln!(out, "{name:width$}  {count:>8}");
    }
    super::variants::table(&mut out, summary, width);
    out
}

/// A progress bar on stderr, shown only on a terminal and only once a run has lasted
/// long enough to need one. With a file, it shows how much of the file is read (a
/// percentage and the time left); from stdin, the members planned so far. The rate is
/// members per second since the start, in whole members.
struct Progress {
    enabled: bool,
    started: Instant,
    bar: Option<indicatif::ProgressBar>,
    /// The input's size and how much of it has been read, when it is a file.
    input: InputCount,
}

impl Progress {
    fn new(quiet: bool, input: InputCount) -> Self {
        Progress {
            enabled: !quiet && io::stderr().is_terminal(),
            started: Instant::now(),
            bar: None,
            input,
        }
    }

    fn tick(&mut self, members: u64) {
        if !self.enabled {
            return;
        }
        let elapsed = self.started.elapsed();
        if self.bar.is_none() && elapsed > Duration::from_millis(500) {
            self.bar = Some(self.start_bar());
        }
        let Some(bar) = &self.bar else {
            return;
        };
        let input = self
            .input
            .as_ref()
            .map(|(size, read)| (*size, read.load(Ordering::Relaxed).min(*size)));
        bar.set_position(input.map_or(members, |(_, read)| read));
        bar.set_message(progress_message(members, elapsed, input));
    }

    fn start_bar(&self) -> indicatif::ProgressBar {
        let (bar, template) = match &self.input {
            Some((size, _)) => (
                indicatif::ProgressBar::new(*size),
                "{bar:30} {percent:>3}%  {msg}",
            ),
            None => (
                indicatif::ProgressBar::new_spinner(),
                "{spinner} {pos} members planned  ({msg})",
            ),
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// The words beside the bar, `members` planned `elapsed` after the start: the rate in
/// whole members per second since the start and, when the input is a file (its size
/// and the bytes read so far), the time left at that pace, by the share of the file read.
fn progress_message(members: u64, elapsed: Duration, input: Option<(u64, u64)>) -> String {
    let rate = (members as f64 / elapsed.as_secs_f64().max(0.001)) as u64;
    match input {
        Some((size, read)) => {
            let left =
                elapsed.as_secs_f64() * size.saturating_sub(read) as f64 / read.max(1) as f64;
            format!(
                "{members} members, {rate} members/s, about {} left",
                duration_words(left)
            )
        }
        None => format!("{rate} members/s"),
    }
}

/// `42 s`, `3 min 05 s`, `1 h 20 min`: a duration in seconds, rounded up.
fn duration_words(seconds: f64) -> String {
    let seconds = seconds.ceil().clamp(0.0, 1e9) as u64;
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3599 => format!("{} min {:02} s", seconds / 60, seconds % 60),
        _ => format!("{} h {:02} min", seconds / 3600, seconds % 3600 / 60),
    }
}

/// A reader that counts the bytes taken from it, for the progress bar.
pub(super) struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R> Counted<R> {
    /// Wraps `inner`; the count is shared with whoever holds `read`.
    pub(super) fn new(inner: R, read: Arc<AtomicU64>) -> Self {
        Counted { inner, read }
    }
}

impl<R: io::Read> io::Read for Counted<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.read.fetch_add(amount as u64, Ordering::Relaxed);
        self.inner.consume(amount);
    }
}

/// An input's size in bytes and the count of bytes read from it so far.
pub(super) type InputCount = Option<(u64, Arc<AtomicU64>)>;

/// The members' reader, counted when the input is a file whose size is known (for the
/// progress bar), with that size and count.
pub(super) fn counted(path: &Path, reader: Box<dyn BufRead>) -> (Box<dyn BufRead>, InputCount) {
    let size = (path.as_os_str() != "-")
        .then(|| std::fs::metadata(path).ok())
        .flatten()
        .filter(|metadata| metadata.is_file() && metadata.len() > 0)
        .map(|metadata| metadata.len());
    match size {
        Some(size) => {
            let read = Arc::new(AtomicU64::new(0));
            let reader = Box::new(Counted::new(reader, read.clone()));
            (reader, Some((size, read)))
        }
        None => (reader, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_progress_message_gives_whole_members_per_second_and_the_time_left() {
        let elapsed = Duration::from_millis(2500);
        // A quarter of the file in 2.5 s: 7.5 s to go, said as 8 s.
        assert_eq!(
            progress_message(12_345, elapsed, Some((1000, 250))),
            "12345 members, 4938 members/s, about 8 s left"
        );
        assert_eq!(progress_message(12_345, elapsed, None), "4938 members/s");
        // Nothing read yet, or all of it: no division by zero, no negative time.
        assert!(progress_message(0, elapsed, Some((1000, 0))).ends_with("left"));
        assert!(progress_message(9, elapsed, Some((1000, 1000))).ends_with("about 0 s left"));
    }

    #[test]
    fn no_bar_is_drawn_in_the_first_half_second() {
        let mut progress = Progress::new(false, None);
        progress.enabled = true;
        progress.tick(1);
        assert!(
            progress.bar.is_none(),
            "a run that ends quickly draws no bar"
        );
        progress.started = Instant::now() - Duration::from_secs(1);
        progress.tick(5000);
        assert!(progress.bar.is_some(), "a longer run gets its bar");
        progress.finish();
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(0.0), "0 s");
        assert_eq!(duration_words(41.2), "42 s");
        assert_eq!(duration_words(185.0), "3 min 05 s");
        assert_eq!(duration_words(4800.0), "1 h 20 min");
        assert_eq!(duration_words(f64::NAN), "0 s");
    }

    #[test]
    fn a_counted_reader_counts_what_is_read_and_consumed() {
        let read = Arc::new(AtomicU64::new(0));
        let mut reader = Counted::new(io::Cursor::new(b"abcdef\nghi\n".to_vec()), read.clone());
        let mut line = String::new();
        reader.read_line(&mut line).expect("a line");
        assert_eq!(read.load(Ordering::Relaxed), 7);
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).expect("the rest");
        assert_eq!(read.load(Ordering::Relaxed), 11);
    }
}
