//! Output that never takes the process down and never leaves a half-written file that
//! looks whole.
//!
//! - [`AtomicFile`]: an output file (`--out`, `--errors`, `--summary`) is written to a
//!   temporary file beside it, named `NAME.partial-XXXXXX`, and renamed over `NAME` only
//!   when the command commits it. A run that fails or is cut short leaves `NAME` as it
//!   was (absent, or its old contents); a run killed outright leaves at most the
//!   `.partial-XXXXXX` file, whose name says what it is. A path that is not a regular
//!   file (`/dev/stdout`, a named pipe) is written directly: there is nothing to
//!   replace.
//! - The `eprint!`/`eprintln!`/`print!`/`println!` macros of this module shadow the
//!   standard ones in every command: a closed stderr or stdout (`siyu run … 2>&1 |
//!   head`) loses the text instead of panicking. Commands that stream to stdout still
//!   check their writes and stop quietly on a closed pipe.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes to stderr, ignoring a closed or failing stream (never panics).
#[doc(hidden)]
pub fn stderr_fmt(arguments: std::fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(arguments);
}

/// Writes to stdout, ignoring a closed or failing stream (never panics).
#[doc(hidden)]
pub fn stdout_fmt(arguments: std::fmt::Arguments<'_>) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_fmt(arguments);
    let _ = stdout.flush();
}

/// `eprint!` that never panics on a closed stderr.
macro_rules! eprint {
    ($($argument:tt)*) => {
        $crate::cli::output::stderr_fmt(format_args!($($argument)*))
    };
}

/// `eprintln!` that never panics on a closed stderr.
macro_rules! eprintln {
    () => {
        $crate::cli::output::stderr_fmt(format_args!("\n"))
    };
    ($($argument:tt)*) => {
        $crate::cli::output::stderr_fmt(format_args!("{}\n", format_args!($($argument)*)))
    };
}

/// `print!` that never panics on a closed stdout.
#[allow(unused_macros)]
macro_rules! print {
    ($($argument:tt)*) => {
        $crate::cli::output::stdout_fmt(format_args!($($argument)*))
    };
}

/// `println!` that never panics on a closed stdout.
#[allow(unused_macros)]
macro_rules! println {
    () => {
        $crate::cli::output::stdout_fmt(format_args!("\n"))
    };
    ($($argument:tt)*) => {
        $crate::cli::output::stdout_fmt(format_args!("{}\n", format_args!($($argument)*)))
    };
}

/// Where plans go: stdout, or a file written whole or not at all.
pub enum Output {
    /// Standard output, buffered.
    Stdout(BufWriter<io::StdoutLock<'static>>),
    /// A file.
    File(AtomicFile),
}

impl Output {
    /// Buffered standard output.
    pub fn stdout() -> Output {
        Output::Stdout(BufWriter::with_capacity(1 << 16, io::stdout().lock()))
    }

    /// Flushes stdout, or puts the file in place.
    pub fn commit(self) -> io::Result<()> {
        match self {
            Output::Stdout(mut stdout) => stdout.flush(),
            Output::File(file) => file.commit(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(stdout) => stdout.write(buffer),
            Output::File(file) => file.write(buffer),
        }
    }

    fn write_all(&mut self, buffer: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(stdout) => stdout.write_all(buffer),
            Output::File(file) => file.write_all(buffer),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(stdout) => stdout.flush(),
            Output::File(file) => file.flush(),
        }
    }
}

/// An output file written whole or not at all. Dropped without [`AtomicFile::commit`],
/// its temporary file is removed and the target is left untouched.
pub struct AtomicFile {
    writer: Option<Writer>,
}

/// Where an [`AtomicFile`] writes.
enum Writer {
    /// A temporary file beside the target, renamed over it on commit.
    Beside(BufWriter<tempfile::NamedTempFile>, PathBuf),
    /// The target itself (a named pipe, a device).
    Direct(BufWriter<File>),
}

impl AtomicFile {
    /// Starts writing `path`: a temporary file beside it, or `path` itself when it is
    /// not a regular file.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        // Through a symbolic link, the file it points to is replaced, not the link.
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let existing = std::fs::metadata(&target).ok();
        if existing.as_ref().is_some_and(|m| !m.is_file()) {
            let file = OpenOptions::new().write(true).open(&target)?;
            return Ok(AtomicFile {
                writer: Some(Writer::Direct(BufWriter::with_capacity(1 << 18, file))),
            });
        }
        let temporary = create_temporary(&target, existing.map(|m| m.permissions()))?;
        Ok(AtomicFile {
            writer: Some(Writer::Beside(
                BufWriter::with_capacity(1 << 18, temporary),
                target,
            )),
        })
    }

    /// Flushes everything and puts the file in place.
    pub fn commit(mut self) -> io::Result<()> {
        match self.writer.take() {
            None => Ok(()),
            Some(Writer::Direct(writer)) => {
                let file = writer.into_inner().map_err(|error| error.into_error())?;
                file.sync_all().or_else(ignore_unsupported)
            }
            Some(Writer::Beside(writer, target)) => {
                let temporary = writer.into_inner().map_err(|error| error.into_error())?;
                temporary.as_file().sync_all().or_else(ignore_unsupported)?;
                temporary
                    .persist(&target)
                    .map(drop)
                    .map_err(|error| error.error)
            }
        }
    }

    fn writer(&mut self) -> io::Result<&mut dyn Write> {
        match self.writer.as_mut() {
            Some(Writer::Beside(writer, _)) => Ok(writer),
            Some(Writer::Direct(writer)) => Ok(writer),
            None => Err(io::Error::other("the file was already committed")),
        }
    }
}

/// Some files (pipes, character devices) cannot be synced; that is no failure.
fn ignore_unsupported(error: io::Error) -> io::Result<()> {
    match error.kind() {
        io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported => Ok(()),
        _ => Err(error),
    }
}

/// Creates `TARGET.partial-XXXXXX` beside the target, with the permissions of the file
/// it replaces (or those a new file gets), so that the rename changes only the contents.
fn create_temporary(
    target: &Path,
    permissions: Option<std::fs::Permissions>,
) -> io::Result<tempfile::NamedTempFile> {
    let name = target
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = format!("{name}.partial-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).rand_bytes(6);
    #[cfg(unix)]
    let permissions = permissions.or_else(|| {
        use std::os::unix::fs::PermissionsExt;
        // As a newly created file gets them, before the umask.
        Some(std::fs::Permissions::from_mode(0o666))
    });
    if let Some(permissions) = permissions {
        builder.permissions(permissions);
    }
    builder.tempfile_in(folder)
}

impl Write for AtomicFile {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        self.writer()?.write(buffer)
    }

    fn write_all(&mut self, buffer: &[u8]) -> io::Result<()> {
        self.writer()?.write_all(buffer)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        tempfile::tempdir().expect("temporary folder")
    }

    fn entries(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .expect("listing")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_committed_file_appears_whole() {
        let dir = folder();
        let folder = dir.path();
        let target = folder.join("plans.jsonl");
        let mut file = AtomicFile::create(&target).expect("created");
        file.write_all(b"one\n").expect("written");
        let names = entries(folder);
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(names[0].starts_with("plans.jsonl.partial-"), "{names:?}");
        file.commit().expect("committed");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "one\n");
        assert_eq!(entries(folder), ["plans.jsonl"]);
    }

    #[test]
    fn a_dropped_file_leaves_the_target_untouched() {
        let dir = folder();
        let folder = dir.path();
        let target = folder.join("plans.jsonl");
        std::fs::write(&target, "old\n").expect("old contents");
        let mut file = AtomicFile::create(&target).expect("created");
        file.write_all(b"half a plan").expect("written");
        drop(file);
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "old\n");
        assert_eq!(entries(folder), ["plans.jsonl"]);
    }

    #[test]
    fn a_stale_temporary_file_is_stepped_around() {
        let dir = folder();
        let folder = dir.path();
        let target = folder.join("out.json");
        let stale = folder.join("out.json.partial-abcdef");
        std::fs::write(&stale, "stale").expect("stale file");
        let mut file = AtomicFile::create(&target).expect("created");
        file.write_all(b"{}").expect("written");
        file.commit().expect("committed");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "{}");
        assert_eq!(std::fs::read_to_string(&stale).expect("read"), "stale");
    }

    #[test]
    fn a_named_pipe_is_written_directly() {
        let dir = folder();
        let folder = dir.path();
        let fifo = folder.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|status| status.success()) {
            eprintln!("SKIPPED a_named_pipe_is_written_directly: no mkfifo here");
            return;
        }
        let reader_path = fifo.clone();
        let reader = std::thread::spawn(move || std::fs::read_to_string(reader_path));
        let mut file = AtomicFile::create(&fifo).expect("opened");
        file.write_all(b"through the pipe").expect("written");
        file.commit().expect("committed");
        let read = reader.join().expect("reader").expect("read");
        assert_eq!(read, "through the pipe");
        assert_eq!(entries(folder), ["pipe"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions_and_a_new_one_gets_the_usual_ones() {
        use std::os::unix::fs::PermissionsExt;
        let dir = folder();
        let folder = dir.path();
        let kept = folder.join("kept.json");
        std::fs::write(&kept, "old").expect("old contents");
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).expect("mode");
        let mut file = AtomicFile::create(&kept).expect("created");
        file.write_all(b"new").expect("written");
        file.commit().expect("committed");
        let mode = std::fs::metadata(&kept)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);

        let fresh = folder.join("fresh.json");
        let mut file = AtomicFile::create(&fresh).expect("created");
        file.write_all(b"new").expect("written");
        file.commit().expect("committed");
        let mode = std::fs::metadata(&fresh)
            .expect("metadata")
            .permissions()
            .mode();
        let reference = folder.join("reference");
        std::fs::write(&reference, "").expect("reference file");
        let usual = std::fs::metadata(&reference)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, usual & 0o777);
    }
}
