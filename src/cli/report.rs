//! `siyu report`: plans every member as `siyu run` does and writes one self-contained
//! HTML page (no script, no network: styles inline, charts as inline SVG) with the
//! funnel by stage, planned touches per channel, per rule the members reached and
//! suppressed by reason, the held-out members per stage, the playbook's warnings and
//! `check --deep` findings, and the invalid snapshots. The page itself is drawn by `page`.

use std::io::Write;
use std::path::PathBuf;

use siyu::PlanOptions;

use super::output::AtomicFile;
use super::run::{as_of, load_playbook, open_members};
use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

pub(super) mod page;
mod runs;
mod variants;

/// How many invalid snapshots the page lists by line and reason.
const FIRST_INVALID: usize = 10;

/// Arguments of `siyu report`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The playbook to run.
    pub playbook: PathBuf,
    /// Member snapshots: JSON Lines, or a `.csv` file; `-` reads stdin.
    #[arg(long, value_name = "PATH")]
    pub members: PathBuf,
    /// The format of `--members`: `jsonl` or `csv` (default: from the file's
    /// extension; JSON Lines for stdin).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub members_format: Option<super::run::MembersFormat>,
    /// The as-of time, RFC 3339 (default: now).
    #[arg(long, value_name = "DATETIME")]
    pub as_of: Option<String>,
    /// Where to write the page.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub ledger: super::ledger::LedgerArg,
}

/// An invalid snapshot, as the page lists it.
pub(super) struct Invalid {
    pub line: u64,
    pub member: Option<String>,
    pub error: String,
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> i32 {
    match run_inner(&args) {
        Ok(code) | Err(code) => code,
    }
}

fn run_inner(args: &Args) -> Result<i32, i32> {
    // The page's file is opened first: a path that cannot be written is said before any
    // planning is done.
    let mut out = AtomicFile::create(&args.out).map_err(|error| {
        eprintln!("error: cannot write `{}`: {error}", args.out.display());
        EXIT_USAGE
    })?;
    let playbook = load_playbook(&args.playbook)?;
    let as_of = as_of(args.as_of.as_deref())?;
    let mut ledger = match &args.ledger.ledger {
        Some(location) => Some(super::ledger::open_existing(location)?),
        None if playbook.reads_history() => {
            return Err(super::ledger::needs_ledger(&args.playbook))
        }
        None => None,
    };
    let (reader, format) = open_members(&args.members, args.members_format)?;
    let mut options = PlanOptions::default()
        .threads(args.threads.unwrap_or(0))
        .format(format);
    let mut runs = None;
    if let Some(ledger) = &mut ledger {
        let view = ledger
            .view(&playbook, as_of)
            .map_err(|error| super::ledger::failed(&error))?;
        options = options.ledger(view);
        let all = ledger
            .runs(Some(playbook.key()))
            .map_err(|error| super::ledger::failed(&error))?;
        let skip = all.len().saturating_sub(runs::LAST_RUNS);
        runs = Some(all.into_iter().skip(skip).collect::<Vec<_>>());
    }
    let mut summary = playbook.summary();
    let mut invalid = Vec::new();
    for chunk in playbook.plan_lines_json(reader, as_of, options) {
        summary.merge(&chunk.summary);
        let Some(record) = chunk.error else {
            continue;
        };
        if record.kind == siyu::ErrorKind::Ledger {
            eprintln!("error: {}", record.error);
            return Err(EXIT_FAILURE);
        }
        if record.kind.is_fatal() {
            eprintln!("error: line {}: {}", record.line, record.error);
            return Err(EXIT_USAGE);
        }
        if invalid.len() < FIRST_INVALID {
            invalid.push(Invalid {
                line: record.line,
                member: record.member.as_deref().map(str::to_string),
                error: record.error,
            });
        }
    }
    let deep = playbook.deep_check(as_of);
    let html = page::draw(&page::Report {
        playbook: &playbook,
        as_of: args.as_of.as_deref().unwrap_or("now · 现在"),
        summary: &summary,
        invalid: &invalid,
        runs: runs.as_deref(),
        deep: &deep,
    });
    let written = out.write_all(html.as_bytes()).and_then(|()| out.commit());
    if let Err(error) = written {
        eprintln!("error: cannot write `{}`: {error}", args.out.display());
        return Err(EXIT_FAILURE);
    }
    eprintln!(
        "wrote {}: {} members read = planned {} + invalid {}",
        args.out.display(),
        summary.members(),
        summary.planned(),
        summary.invalid()
    );
    if let Some(warning) = super::run::all_invalid(&summary, Some(format)) {
        eprintln!("{warning}");
    }
    Ok(EXIT_OK)
}
