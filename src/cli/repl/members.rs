//! The member snapshots loaded with `:members`: read once into memory as JSON, and
//! decoded against the session's playbook whenever they are used, so that a schema
//! typed later applies to them too.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use siyu::{InputFormat, Playbook, Snapshots};

/// One snapshot and where it came from.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The member's id, as a string.
    pub id: String,
    /// Its 1-based line in the file.
    pub line: u64,
    /// The snapshot as read.
    pub snapshot: serde_json::Value,
}

/// The loaded snapshots, in file order.
#[derive(Debug, Default)]
pub struct Members {
    /// The snapshots with a readable id.
    pub entries: Vec<Entry>,
    /// Lines that could not be read as a snapshot with an id.
    pub unreadable: Vec<(u64, String)>,
    by_id: HashMap<String, usize>,
    /// Every top-level key of the snapshots, in order of first appearance.
    keys: Vec<String>,
}

impl Members {
    /// Reads a JSON Lines or CSV file (CSV cells typed by `playbook`'s schema).
    pub fn read(path: &Path, playbook: &Playbook) -> Result<Members, String> {
        if path.as_os_str() == "-" {
            return Err("the REPL reads members from a file, not from standard input".into());
        }
        let file =
            File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let reader = BufReader::with_capacity(1 << 16, file);
        let mut members = Members::default();
        for (line, snapshot) in Snapshots::new(playbook, reader, InputFormat::from_path(path)) {
            match snapshot {
                Ok(snapshot) => match id_of(&snapshot) {
                    Some(id) => members.push(Entry { id, line, snapshot }),
                    None => members
                        .unreadable
                        .push((line, "the snapshot has no `id`".into())),
                },
                Err(error) if error.kind.is_fatal() => {
                    return Err(format!("`{}`, line {line}: {error}", path.display()));
                }
                Err(error) => members.unreadable.push((line, error.message)),
            }
        }
        Ok(members)
    }

    fn push(&mut self, entry: Entry) {
        if let Some(object) = entry.snapshot.as_object() {
            for key in object.keys() {
                if !self.keys.contains(key) {
                    self.keys.push(key.clone());
                }
            }
        }
        self.by_id
            .entry(entry.id.clone())
            .or_insert(self.entries.len());
        self.entries.push(entry);
    }

    /// The position of the first snapshot with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The snapshot at a position.
    pub fn get(&self, index: usize) -> Option<&Entry> {
        self.entries.get(index)
    }

    /// Every id, in file order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| entry.id.as_str())
    }

    /// The top-level keys the snapshots have (what a playbook without a schema can
    /// read), in order of first appearance.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// How many snapshots were read.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A snapshot's id as a string: a string or an integer.
fn id_of(snapshot: &serde_json::Value) -> Option<String> {
    match snapshot.get("id")? {
        serde_json::Value::String(id) => Some(id.clone()),
        serde_json::Value::Number(id) if id.is_i64() || id.is_u64() => Some(id.to_string()),
        _ => None,
    }
}
