//! A playbook as a bundle of its source files, so that it pickles: a Spark job's driver
//! compiles the playbook, the bundle travels with the job, and each executor process
//! compiles it from the bundle once (the first time it is unpickled) and shares the
//! compiled playbook with every later task.
//!
//! A bundle holds each source file's text and path (made absolute against the
//! directory the driver ran in). To compile it, the files are written under a fresh
//! temporary directory at the same paths, so that `include`s resolve exactly as they
//! did on the driver, and the directory is removed again.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use serde::{Deserialize, Serialize};

/// The source files of a playbook; the first is the one that was compiled.
#[derive(Debug, Serialize, Deserialize)]
struct Bundle {
    /// The directory includes of a playbook without a path resolve against.
    directory: PathBuf,
    /// Each file's absolute path (none for a playbook given as text) and text.
    files: Vec<(Option<PathBuf>, String)>,
}

/// The bundle of a playbook, as bytes.
pub fn bundle(playbook: &siyu::Playbook) -> PyResult<Vec<u8>> {
    let directory = std::env::current_dir().map_err(|e| PyOSError::new_err(e.to_string()))?;
    let files = playbook
        .sources()
        .files()
        .map(|(_, file)| {
            (
                file.path.as_ref().map(|p| directory.join(p)),
                file.text.to_string(),
            )
        })
        .collect();
    let bundle = Bundle { directory, files };
    serde_json::to_vec(&bundle).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The playbooks this process compiled from bundles, by bundle.
static COMPILED: LazyLock<Mutex<HashMap<Vec<u8>, Py<PyAny>>>> = LazyLock::new(Mutex::default);

/// The playbook of a bundle: compiled the first time this process sees the bundle,
/// shared afterwards.
pub fn restore<'py, T: pyo3::PyClass>(
    py: Python<'py>,
    bytes: &[u8],
    wrap: impl FnOnce(siyu::Playbook) -> PyResult<Py<T>>,
) -> PyResult<Py<T>> {
    let known = COMPILED
        .lock()
        .map_err(|_| PyValueError::new_err("a poisoned cache"))?
        .get(bytes)
        .map(|p| p.clone_ref(py));
    if let Some(known) = known {
        return Ok(known.into_bound(py).cast_into::<T>()?.unbind());
    }
    let bundle: Bundle = serde_json::from_slice(bytes)
        .map_err(|e| PyValueError::new_err(format!("not a playbook bundle: {e}")))?;
    let playbook = py
        .detach(|| compile(&bundle))
        .map_err(|error| super::errors::playbook_error(py, error))?;
    let wrapped = wrap(playbook)?;
    let mut compiled = COMPILED
        .lock()
        .map_err(|_| PyValueError::new_err("a poisoned cache"))?;
    let shared = compiled
        .entry(bytes.to_vec())
        .or_insert_with(|| wrapped.clone_ref(py).into_any());
    Ok(shared
        .clone_ref(py)
        .into_bound(py)
        .cast_into::<T>()?
        .unbind())
}

/// A fresh directory for one bundle.
fn scratch_directory() -> std::io::Result<PathBuf> {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "siyu-playbook-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    let directory = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&directory)?;
    Ok(directory)
}

/// `path` placed under `base`: `/a/b.rules` becomes `base/a/b.rules`.
fn under(base: &Path, path: &Path) -> PathBuf {
    let mut out = base.to_path_buf();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Writes the bundle's files under a scratch directory and compiles the first.
fn compile(bundle: &Bundle) -> Result<siyu::Playbook, siyu::PlaybookError> {
    let io = |source: std::io::Error| siyu::PlaybookError::Io {
        path: "a playbook bundle".into(),
        source,
    };
    let scratch = scratch_directory().map_err(io)?;
    let written = (|| {
        let mut root = None;
        for (index, (path, text)) in bundle.files.iter().enumerate() {
            let target = match path {
                Some(path) => under(&scratch, path),
                None => under(&scratch, &bundle.directory).join(format!("playbook-{index}.rules")),
            };
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&target, text)?;
            root.get_or_insert(target);
        }
        Ok(root)
    })();
    let compiled = match written {
        Ok(Some(root)) => siyu::Playbook::from_file(root),
        Ok(None) => Err(io(std::io::Error::other("the bundle has no file"))),
        Err(error) => Err(io(error)),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    compiled
}
