//! The `siyu` command: parse arguments, install the miette hook, dispatch.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
