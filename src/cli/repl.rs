//! `siyu repl [PLAYBOOK] [--members PATH] [--as-of DATETIME]`: the interactive shell.
//!
//! On a terminal (standard input and output both), input is edited with rustyline:
//! history kept in a file between sessions (`$SIYU_HISTORY`, else
//! `$XDG_STATE_HOME/siyu/history`, else `~/.siyu_history`), Ctrl-C clears the line,
//! Ctrl-D on an empty line leaves, an open bracket or block continues on the next
//! line, Tab completes, hints show the rest of a unique name.
//!
//! Otherwise (a script piped in) lines are read as they come, with no prompt and no
//! echo; an input still open at a line's end takes the next line too. Results go to
//! standard output and diagnostics to standard error, without colour. An error never
//! ends the session; but a piped session that met one exits with 1 at the end of its
//! input (or at `:quit`), so a script can be checked in automation. A terminal session
//! always exits with 0.
//!
//! A playbook or member file named on the command line that cannot be read is a usage
//! error (exit 2), as for the other commands; a playbook with errors shows them and the
//! session starts without it.

mod commands;
mod helper;
mod input;
mod inspect;
mod members;
mod render;
mod session;
mod terminal;

use std::io::{self, BufRead, IsTerminal};
use std::path::PathBuf;

use session::{Flow, Output, Session};

use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Arguments of `siyu repl`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A playbook to start with.
    pub playbook: Option<PathBuf>,
    /// Member snapshots to start with: JSON Lines, or a `.csv` file.
    #[arg(long, value_name = "PATH")]
    pub members: Option<PathBuf>,
    /// The as-of time, RFC 3339 (default: now).
    #[arg(long, value_name = "DATETIME")]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub ledger: super::ledger::LedgerArg,
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> i32 {
    let as_of = match args.as_of.as_deref() {
        None => inspect::now(),
        Some(text) => match super::run::as_of(Some(text)) {
            Ok(as_of) => as_of,
            Err(code) => return code,
        },
    };
    for path in args.playbook.iter().chain(&args.members) {
        if let Err(error) = std::fs::metadata(path) {
            eprintln!("error: cannot read `{}`: {error}", path.display());
            return EXIT_USAGE;
        }
    }
    let interactive = io::stdin().is_terminal() && io::stdout().is_terminal();
    let colour =
        interactive && io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let output = Output {
        out: Box::new(io::stdout()),
        err: Box::new(io::stderr()),
        colour,
    };
    let mut session = match Session::new(output, as_of) {
        Ok(session) => session,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_FAILURE;
        }
    };
    if let Some(path) = &args.playbook {
        session.load(&path.to_string_lossy());
    }
    if let Some(location) = &args.ledger.ledger {
        match super::ledger::open_existing(location) {
            Ok(ledger) => session.ledger = Some(ledger),
            Err(code) => return code,
        }
    }
    if let Some(path) = &args.members {
        session.read_members(&path.to_string_lossy());
    }
    if interactive {
        if let Some(code) = terminal::run(&mut session, colour) {
            return code;
        }
    }
    piped(&mut session)
}

/// Reads inputs from standard input, a line at a time, until its end or `:quit`.
fn piped(session: &mut Session) -> i32 {
    let mut stdin = io::stdin().lock();
    let mut buffer = String::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) => {
                session.fail(&format!("cannot read standard input: {error}"));
                break;
            }
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(text);
        if input::is_complete(&buffer) {
            let flow = session.handle(&buffer);
            buffer.clear();
            if flow == Flow::Quit {
                return exit_code(session);
            }
        }
    }
    if !buffer.trim().is_empty() {
        session.handle(&buffer);
    }
    exit_code(session)
}

fn exit_code(session: &Session) -> i32 {
    if session.failed() {
        EXIT_FAILURE
    } else {
        EXIT_OK
    }
}
