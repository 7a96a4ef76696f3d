//! `siyu explain` (to be written).

/// Arguments of `siyu explain`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files.
    pub files: Vec<std::path::PathBuf>,
}

/// Runs the command; returns the exit code.
pub fn run(_args: Args) -> i32 {
    eprintln!("siyu explain: not available in this build");
    super::EXIT_USAGE
}
