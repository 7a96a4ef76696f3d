//! Which files `siyu test` reads: the files named, and every `*.rules` file under the
//! directories named, searched recursively in name order. Symbolic links to
//! directories are not followed, so a link loop cannot make the search endless.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

/// A path given on the command line that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPath {
    /// The path as given.
    pub path: PathBuf,
}

impl fmt::Display for MissingPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot find `{}`", self.path.display())
    }
}

impl std::error::Error for MissingPath {}

/// The files to test: each file given, and every `*.rules` file under each directory
/// given, in order, each file once.
///
/// ```
/// let files = siyu::testing::collect_files(&["rules".into()])?;
/// assert!(files.iter().all(|f| f.extension().is_some_and(|e| e == "rules")));
/// # Ok::<(), siyu::testing::MissingPath>(())
/// ```
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, MissingPath> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(rules_under(path));
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(MissingPath { path: path.clone() });
        }
    }
    let mut seen = HashSet::new();
    files.retain(|file| seen.insert(canonical(file).unwrap_or_else(|| file.clone())));
    Ok(files)
}

/// Every `*.rules` file under `root`, in name order, directories walked with an
/// explicit stack.
fn rules_under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|entry| entry.file_name());
        let mut subdirectories = Vec::new();
        for entry in entries {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                subdirectories.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "rules")
                && path.is_file()
            {
                found.push(path);
            }
        }
        // Files of a directory first, then its subdirectories in name order.
        pending.extend(subdirectories.into_iter().rev());
    }
    found
}

/// The canonical form of a path, to tell files apart; `None` when it cannot be had.
pub(super) fn canonical(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_path_is_named() {
        let missing = collect_files(&["no/such/place.rules".into()]).unwrap_err();
        assert_eq!(missing.to_string(), "cannot find `no/such/place.rules`");
    }

    #[test]
    fn a_directory_gives_its_rules_files_once_each() {
        let files = collect_files(&["rules".into(), "rules/common.rules".into()]).unwrap();
        assert!(files.iter().any(|f| f.ends_with("common.rules")));
        assert!(files.iter().any(|f| f.ends_with("channels/sms.rules")));
        let commons = files.iter().filter(|f| f.ends_with("common.rules")).count();
        assert_eq!(commons, 1);
        let position = |name: &str| files.iter().position(|f| f.ends_with(name));
        assert!(position("auto_dealer.rules") < position("channels/douyin_dm.rules"));
        assert!(position("channels/douyin_dm.rules") < position("channels/sms.rules"));
    }
}
