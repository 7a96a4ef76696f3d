//! `siyu ledger`: what the ledger holds (`runs`, `history`) and delivery receipts
//! (`receipts`); and the `--ledger` flag the evaluating commands share.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::PathBuf;
use std::time::Duration;

use siyu::{AsOf, History, Ledger, LedgerError, Playbook};

use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// `--ledger LOCATION` (or `SIYU_LEDGER`), for commands that read members' histories.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LedgerArg {
    /// The ledger: an SQLite file, or a postgres:// URL (default: $SIYU_LEDGER). Read
    /// only: members' previous stages and earlier touches.
    #[arg(long, value_name = "LOCATION", env = "SIYU_LEDGER")]
    pub ledger: Option<String>,
}

/// Arguments of `siyu ledger`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// One JSON line per committed run, oldest first.
    Runs {
        #[command(flatten)]
        ledger: Required,
        /// Only the runs of the playbook with this key.
        #[arg(long, value_name = "KEY")]
        playbook: Option<String>,
    },
    /// One JSON line per run that planned a member, oldest first.
    History {
        #[command(flatten)]
        ledger: Required,
        /// The member's id.
        #[arg(long, value_name = "ID")]
        id: String,
        /// Only the runs of the playbook with this key.
        #[arg(long, value_name = "KEY")]
        playbook: Option<String>,
    },
    /// Read delivery receipts (JSON Lines): a failed touch no longer counts against caps.
    Receipts {
        /// The receipts, one JSON object a line; `-` reads stdin.
        file: PathBuf,
        #[command(flatten)]
        ledger: Required,
    },
}

/// `--ledger` where a ledger is required.
#[derive(clap::Args, Debug)]
struct Required {
    /// The ledger: an SQLite file, or a postgres:// URL (default: $SIYU_LEDGER).
    #[arg(long, value_name = "LOCATION", env = "SIYU_LEDGER")]
    ledger: String,
}

/// Runs `siyu ledger …`; returns the exit code.
pub fn run(args: Args) -> i32 {
    match args.command {
        Command::Runs { ledger, playbook } => runs(&ledger.ledger, playbook.as_deref()),
        Command::History {
            ledger,
            id,
            playbook,
        } => history(&ledger.ledger, &id, playbook.as_deref()),
        Command::Receipts { file, ledger } => receipts(&ledger.ledger, &file),
    }
}

/// Opens an existing ledger to read it; on failure says why and gives the exit code.
pub(super) fn open_existing(location: &str) -> Result<Ledger, i32> {
    Ledger::open_existing(location).map_err(|error| failed(&error))
}

/// Opens (or creates) a ledger for a run, waiting `wait` for another run's lock.
pub(super) fn open_for_run(location: &str, wait: Duration) -> Result<Ledger, i32> {
    Ledger::open_with(location, true, wait).map_err(|error| failed(&error))
}

/// Prints a ledger error; the exit code for it.
pub(super) fn failed(error: &LedgerError) -> i32 {
    eprintln!("error: {error}");
    EXIT_FAILURE
}

/// A playbook that reads members' histories, run without a ledger: refused.
pub(super) fn needs_ledger(path: &std::path::Path) -> i32 {
    eprintln!(
        "error: `{}` uses `on enter`, `previous_stage` or `stage_days`, which need the ledger's memory of earlier runs",
        path.display()
    );
    eprintln!(
        "  help: give `--ledger FILE` (an SQLite file, created on first use) or set SIYU_LEDGER"
    );
    EXIT_USAGE
}

/// One member's history from an optional ledger (for `explain` and the REPL).
pub(super) fn history_of(
    ledger: Option<&Ledger>,
    playbook: &Playbook,
    as_of: AsOf,
    member: &str,
) -> Result<Option<History>, i32> {
    let Some(ledger) = ledger else {
        return Ok(None);
    };
    ledger
        .history_of(playbook, as_of, member)
        .map(Some)
        .map_err(|error| failed(&error))
}

fn runs(location: &str, playbook: Option<&str>) -> i32 {
    let mut ledger = match open_existing(location) {
        Ok(ledger) => ledger,
        Err(code) => return code,
    };
    match ledger.runs(playbook) {
        Ok(runs) => json_lines(&runs),
        Err(error) => failed(&error),
    }
}

fn history(location: &str, member: &str, playbook: Option<&str>) -> i32 {
    let mut ledger = match open_existing(location) {
        Ok(ledger) => ledger,
        Err(code) => return code,
    };
    match ledger.member_history(member, playbook) {
        Ok(runs) => json_lines(&runs),
        Err(error) => failed(&error),
    }
}

fn receipts(location: &str, file: &std::path::Path) -> i32 {
    let mut ledger = match open_existing(location) {
        Ok(ledger) => ledger,
        Err(code) => return code,
    };
    let imported = if file.as_os_str() == "-" {
        ledger.import_receipts(io::stdin().lock())
    } else {
        match File::open(file) {
            Ok(opened) => ledger.import_receipts(BufReader::new(opened)),
            Err(error) => {
                eprintln!("error: cannot read `{}`: {error}", file.display());
                return EXIT_USAGE;
            }
        }
    };
    match imported {
        Ok(report) => {
            for problem in &report.skipped {
                eprintln!("skipped: line {}: {}", problem.line, problem.reason);
            }
            eprintln!(
                "receipts: {} applied, {} skipped",
                report.applied,
                report.skipped.len()
            );
            EXIT_OK
        }
        Err(error) => failed(&error),
    }
}

/// Writes values as JSON Lines on stdout.
fn json_lines<T: serde::Serialize>(values: &[T]) -> i32 {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for value in values {
        let written = serde_json::to_writer(&mut out, value)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        if let Err(error) = written {
            if error.kind() == io::ErrorKind::BrokenPipe {
                return EXIT_OK;
            }
            eprintln!("error: cannot write: {error}");
            return EXIT_FAILURE;
        }
    }
    match out.flush() {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write: {error}");
            EXIT_FAILURE
        }
        _ => EXIT_OK,
    }
}
