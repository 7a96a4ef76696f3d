//! `siyu explain`: find one member in a snapshot file and show, in words, how it was
//! planned: the stage and the values that decided it, each rule's `when` with the
//! values of its parts, each action planned or suppressed and why.

use std::path::PathBuf;

use siyu::Snapshots;

use super::run::{as_of, load_playbook, open_members};
use super::{EXIT_FAILURE, EXIT_OK};

/// Arguments of `siyu explain`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The playbook.
    pub playbook: PathBuf,
    /// Member snapshots: JSON Lines, or a `.csv` file; `-` reads stdin.
    #[arg(long, value_name = "PATH")]
    pub members: PathBuf,
    /// The format of `--members`: `jsonl` or `csv` (default: from the file's
    /// extension; JSON Lines for stdin).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub members_format: Option<super::run::MembersFormat>,
    /// The id of the member to explain.
    #[arg(long)]
    pub id: String,
    /// The as-of time, RFC 3339 (default: now).
    #[arg(long, value_name = "DATETIME")]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub ledger: super::ledger::LedgerArg,
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> i32 {
    match explain(&args) {
        Ok(code) | Err(code) => code,
    }
}

fn explain(args: &Args) -> Result<i32, i32> {
    let playbook = load_playbook(&args.playbook)?;
    let as_of = as_of(args.as_of.as_deref())?;
    let ledger = match &args.ledger.ledger {
        Some(location) => Some(super::ledger::open_existing(location)?),
        None if playbook.reads_history() => {
            return Err(super::ledger::needs_ledger(&args.playbook))
        }
        None => None,
    };
    let (reader, format) = open_members(&args.members, args.members_format)?;
    let mut close = CloseIds::new(&args.id);
    for (line, snapshot) in Snapshots::new(&playbook, reader, format) {
        let snapshot = match snapshot {
            Ok(snapshot) => snapshot,
            Err(error) if error.member.as_deref() == Some(args.id.as_str()) => {
                eprintln!("line {line}: member `{}` cannot be read: {error}", args.id);
                return Ok(EXIT_FAILURE);
            }
            Err(error) if error.kind.is_fatal() => {
                eprintln!("error: line {line}: {error}");
                return Ok(super::EXIT_USAGE);
            }
            Err(_) => continue,
        };
        let id = match snapshot.get("id") {
            Some(serde_json::Value::String(id)) => id.clone(),
            Some(serde_json::Value::Number(id)) => id.to_string(),
            _ => continue,
        };
        if id != args.id {
            close.offer(&id);
            continue;
        }
        let history = super::ledger::history_of(ledger.as_ref(), &playbook, as_of, &id)?;
        let trace = match &history {
            Some(history) => playbook.explain_with_history(&snapshot, as_of, history),
            None => playbook.explain(&snapshot, as_of),
        };
        return Ok(match trace {
            Ok(trace) => {
                let text = trace.to_string();
                if text.ends_with('\n') {
                    print!("{text}");
                } else {
                    println!("{text}");
                }
                EXIT_OK
            }
            Err(error) => {
                let rule = error
                    .rule
                    .as_ref()
                    .map(|r| format!(" (rule `{r}`)"))
                    .unwrap_or_default();
                eprintln!(
                    "line {line}: member `{}` gets no plan{rule}: {error}",
                    args.id
                );
                EXIT_FAILURE
            }
        });
    }
    eprintln!(
        "no member with id `{}` in `{}`",
        args.id,
        args.members.display()
    );
    if let Some(help) = close.help() {
        eprintln!("help: {help}");
    }
    Ok(EXIT_FAILURE)
}

/// Ids suggested when the one asked for is not found.
const MAX_SUGGESTED_IDS: usize = 3;

/// The ids closest to the one asked for, among those read so far: at most
/// [`MAX_SUGGESTED_IDS`], each within `max(1, length / 3)` edits, so the memory stays
/// bounded however many members the file holds.
struct CloseIds<'a> {
    wanted: &'a str,
    wanted_chars: usize,
    limit: usize,
    /// (distance, id), closest first; on a tie the id read first stays first.
    best: Vec<(usize, String)>,
}

impl<'a> CloseIds<'a> {
    fn new(wanted: &'a str) -> Self {
        let wanted_chars = wanted.chars().count();
        CloseIds {
            wanted,
            wanted_chars,
            limit: (wanted_chars / 3).max(1),
            best: Vec::new(),
        }
    }

    fn offer(&mut self, id: &str) {
        // Cheap rejections first: the distance is at least the difference in length.
        if id.len() > 4 * (self.wanted_chars + self.limit) + 4 || self.wanted_chars > 100 {
            return;
        }
        if id.chars().count().abs_diff(self.wanted_chars) > self.limit {
            return;
        }
        let worst = match self.best.last() {
            Some((distance, _)) if self.best.len() == MAX_SUGGESTED_IDS => *distance,
            _ => self.limit + 1,
        };
        let distance = siyu::edit_distance(self.wanted, id);
        if distance >= worst || distance > self.limit {
            return;
        }
        if self.best.iter().any(|(_, known)| known == id) {
            return;
        }
        let at = self.best.partition_point(|(d, _)| *d <= distance);
        self.best.insert(at, (distance, id.to_string()));
        self.best.truncate(MAX_SUGGESTED_IDS);
    }

    fn help(&self) -> Option<String> {
        let ids: Vec<String> = self.best.iter().map(|(_, id)| format!("`{id}`")).collect();
        (!ids.is_empty()).then(|| format!("did you mean {}?", ids.join(", ")))
    }
}
