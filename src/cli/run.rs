//! `siyu run`: plan every member of a snapshot file. Plans go to `--out` (default
//! stdout) in input order; error records to `--errors` (JSON Lines) or to stderr as
//! readable lines; the summary to `--summary` as JSON and, unless `--quiet`, as a table
//! on stderr. A closed stdout pipe (`| head`) ends the run quietly.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use siyu::{
    AsOf, ErrorKind, ErrorRecord, InputFormat, PlanOptions, Playbook, PlaybookError, Summary,
};

use super::output::{AtomicFile, Output};
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

/// Arguments of `siyu run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The playbook to run.
    pub playbook: PathBuf,
    /// Member snapshots: JSON Lines, or a `.csv` file; `-` reads stdin.
    #[arg(long, value_name = "PATH")]
    pub members: PathBuf,
    /// The as-of time, RFC 3339 (default: now).
    #[arg(long, value_name = "DATETIME")]
    pub as_of: Option<String>,
    /// Where to write the plans (default: stdout).
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
pub(super) fn open_members(path: &Path) -> Result<(Box<dyn BufRead>, InputFormat), i32> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(io::stdin().lock()), InputFormat::JsonLines));
    }
    match File::open(path) {
        Ok(file) => Ok((
            Box::new(BufReader::with_capacity(1 << 18, file)),
            InputFormat::from_path(path),
        )),
        Err(error) => {
            eprintln!("error: cannot read `{}`: {error}", path.display());
            Err(EXIT_USAGE)
        }
    }
}

/// An output file, put in place only when the run completes (see `output`).
fn create(path: &Path) -> Result<AtomicFile, i32> {
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
    let (reader, format) = open_members(&args.members)?;
    let mut out = match &args.out {
        Some(path) => Output::File(create(path)?),
        None => Output::stdout(),
    };
    let mut errors = args.errors.as_deref().map(create).transpose()?;
    let options = PlanOptions::default()
        .threads(args.threads.unwrap_or(0))
        .format(format);
    let mut summary = playbook.summary();
    let mut progress = Progress::new(args.quiet);
    let mut code = EXIT_OK;
    for chunk in playbook.plan_lines_json(reader, as_of, options) {
        if let Err(error) = out.write_all(&chunk.plans) {
            return write_failed(&error, "the plans");
        }
        summary.merge(&chunk.summary);
        progress.tick(summary.members());
        let Some(record) = &chunk.error else {
            continue;
        };
        if record.kind == ErrorKind::Input {
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
    Ok(code)
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
    let _ = writeln!(out, "{:width$}  {:>8}", "stage", "members");
    for (name, count) in summary.stages() {
        let _ = writeln!(out, "{name:width$}  {count:>8}");
    }
    let _ = writeln!(
        out,
        "{:width$}  {:>8}  {:>8}  suppressed",
        "rule", "fired", "planned"
    );
    for (name, counts) in summary.rules() {
        let reasons: Vec<String> = siyu::Reason::ALL
            .iter()
            .filter(|reason| counts.suppressed(**reason) > 0)
            .map(|reason| format!("{reason} {}", counts.suppressed(*reason)))
            .collect();
        let _ = writeln!(
            out,
            "{name:width$}  {:>8}  {:>8}  {}",
            counts.fired,
            counts.planned,
            reasons.join(", ")
        );
    }
    let _ = writeln!(out, "{:width$}  {:>8}", "channel", "planned");
    for (name, count) in summary.channels() {
        let _ = writeln!(out, "{name:width$}  {count:>8}");
    }
    out
}

/// A progress spinner on stderr, shown only on a terminal and only once a run has
/// lasted long enough to need one.
struct Progress {
    enabled: bool,
    started: Instant,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        Progress {
            enabled: !quiet && io::stderr().is_terminal(),
            started: Instant::now(),
            bar: None,
        }
    }

    fn tick(&mut self, members: u64) {
        if !self.enabled {
            return;
        }
        if self.bar.is_none() && self.started.elapsed() > Duration::from_millis(500) {
            let bar = indicatif::ProgressBar::new_spinner();
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {pos} members planned ({per_sec})",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(members);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
