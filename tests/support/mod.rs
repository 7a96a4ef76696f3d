//! What the command-line tests share: the binary with colours off, the golden cases,
//! and scratch folders that remove themselves.
#![allow(dead_code)] // each test file uses some of these

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `siyu` binary under test, with colours off (`NO_COLOR=1`).
pub fn siyu() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_siyu"));
    command.env("NO_COLOR", "1");
    command
}

/// The folder of a golden case under `tests/golden/`.
pub fn golden(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(case)
}

/// Bytes as text, invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh folder for one test, removed when dropped. It reads as a [`Path`].
pub struct Scratch(tempfile::TempDir);

/// A fresh scratch folder whose name starts with `siyu-NAME-`.
pub fn scratch(name: &str) -> Scratch {
    Scratch(
        tempfile::Builder::new()
            .prefix(&format!("siyu-{name}-"))
            .tempdir()
            .expect("scratch folder"),
    )
}

/// A fresh scratch folder holding `files` (name, contents).
pub fn scratch_with(name: &str, files: &[(&str, &str)]) -> Scratch {
    let folder = scratch(name);
    for (file, contents) in files {
        std::fs::write(folder.join(file), contents).expect("scratch file");
    }
    folder
}

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.path().as_os_str()
    }
}

/// A new, empty ledger in `folder` (an SQLite file), for commands that read one: the
/// shipped beauty playbook reads members' histories, so it runs with a ledger.
pub fn empty_ledger(folder: &Path) -> PathBuf {
    let path = folder.join("empty-ledger.db");
    siyu::Ledger::open(&path.display().to_string()).expect("a new ledger");
    path
}

#[cfg(feature = "arrow")]
pub mod arrow;
