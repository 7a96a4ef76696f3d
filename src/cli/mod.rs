//! The command line: argument definitions (clap) and one module per command. Commands
//! use the library's public API only.

use clap::{Parser, Subcommand};

// First, so that its non-panicking `eprintln!` and friends shadow the standard ones in
// every command below.
#[macro_use]
mod output;

mod check;
mod diff;
mod explain;
mod fmt;
mod ledger;
mod render;
mod repl;
mod report;
mod run;
mod run_io;
mod test;
mod variants;

/// siyu (私域): check, run and test private-domain marketing playbooks.
#[derive(Parser, Debug)]
#[command(name = "siyu", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and check playbooks; report every problem found.
    Check(check::Args),
    /// Plan every member of a snapshot file.
    Run(run::Args),
    /// Show one member's trace: stage, rules, actions and why.
    Explain(explain::Args),
    /// Run the `test` blocks of playbooks.
    Test(test::Args),
    /// Rewrite playbooks into the canonical layout.
    Fmt(fmt::Args),
    /// The interactive shell.
    Repl(repl::Args),
    /// Plan every member and write a page with the funnel, reach and suppressions drawn.
    Report(report::Args),
    /// Plan every member under two playbooks and say who is affected by the change.
    Diff(diff::Args),
    /// What the ledger holds (`runs`, `history`); delivery receipts (`receipts`).
    Ledger(ledger::Args),
}

/// Exit code for success.
pub const EXIT_OK: i32 = 0;
/// Exit code for a playbook error, a failed test, a `--check` with changes, or an
/// invalid snapshot under `--on-invalid fail`.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for a usage error (unknown flag, missing file).
pub const EXIT_USAGE: i32 = 2;

/// Parses the command line and runs the command; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            };
            let _ = error.print();
            return code;
        }
    };
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Run(args) => run::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Test(args) => test::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Repl(args) => repl::run(args),
        Command::Report(args) => report::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Ledger(args) => ledger::run(args),
    }
}
