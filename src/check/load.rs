//! Reading and parsing the files of a playbook and splicing `include`s in place.
//!
//! An included path is relative to the folder of the file that includes it (to the
//! current directory when that file has no path, as in the REPL). Files are told apart
//! by their canonical path, so `a/../common.rules` and `common.rules` are one file.
//! A file is spliced in at its first `include` only: a later `include` of a file
//! already spliced (two libraries that both include `common.rules`) adds nothing,
//! rather than declaring every name twice. An `include` that leads back to a file
//! still being read is a cycle.
//!
//! The splicing walks an explicit stack, so a long chain of includes cannot overflow
//! the call stack.

use std::collections::{HashMap, HashSet};
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use crate::ast::{Comment, Include, Item};
use crate::diagnostics::{codes, Diagnostic, FileId, SourceFile, SourceMap};

/// What loading produced: the spliced declarations and every file's comments.
pub(super) struct Loaded {
    /// Declarations, includes spliced in and removed.
    pub items: Vec<Item>,
    /// Comments by file.
    pub comments: Vec<(FileId, Vec<Comment>)>,
    /// Syntax diagnostics, file by file.
    pub syntax: Vec<Diagnostic>,
    /// Problems with includes.
    pub problems: Vec<Diagnostic>,
}

/// One file being spliced: its remaining declarations.
struct Frame {
    file: FileId,
    items: std::vec::IntoIter<Item>,
}

struct Loader<'s> {
    sources: &'s mut SourceMap,
    /// Files known by canonical path.
    by_path: HashMap<PathBuf, FileId>,
    /// Files already spliced (or being spliced).
    spliced: HashSet<FileId>,
    loaded: Loaded,
}

/// Parses `root` and each of `extra` in turn, splicing their includes.
pub(super) fn load(sources: &mut SourceMap, root: FileId, extra: &[FileId]) -> Loaded {
    let by_path = sources
        .files()
        .filter_map(|(id, file)| Some((canonical(file.path.as_deref()?)?, id)))
        .collect();
    let mut loader = Loader {
        sources,
        by_path,
        spliced: HashSet::new(),
        loaded: Loaded {
            items: Vec::new(),
            comments: Vec::new(),
            syntax: Vec::new(),
            problems: Vec::new(),
        },
    };
    for &file in std::iter::once(&root).chain(extra) {
        if loader.spliced.insert(file) {
            loader.splice(file);
        }
    }
    loader.loaded
}

impl Loader<'_> {
    /// Splices `top` and, depth first, everything it includes.
    fn splice(&mut self, top: FileId) {
        let mut stack = vec![self.parse(top)];
        while let Some(frame) = stack.last_mut() {
            let Some(item) = frame.items.next() else {
                stack.pop();
                continue;
            };
            let including = frame.file;
            match item {
                Item::Include(include) => {
                    let on_stack: Vec<FileId> = stack.iter().map(|f| f.file).collect();
                    if let Some(file) = self.resolve(&include, including, &on_stack) {
                        stack.push(self.parse(file));
                    }
                }
                other => self.loaded.items.push(other),
            }
        }
    }

    /// Parses a file of the source map into a frame, keeping its comments and syntax
    /// diagnostics.
    fn parse(&mut self, file: FileId) -> Frame {
        let text = self.sources.get(file).text.clone();
        let parsed = crate::syntax::parse(&text, file);
        self.loaded.syntax.extend(parsed.diagnostics);
        self.loaded.comments.push((file, parsed.comments));
        Frame {
            file,
            items: parsed.module.items.into_iter(),
        }
    }

    /// The file an `include` names, if it is to be spliced now; reports a missing or
    /// unreadable file and a cycle.
    fn resolve(&mut self, include: &Include, from: FileId, on_stack: &[FileId]) -> Option<FileId> {
        let written = include.path.value.as_str();
        let (path, name) = self.locate(written, from);
        let key = canonical(&path);
        let known = key.as_ref().and_then(|k| self.by_path.get(k).copied());
        let file = match known {
            Some(file) => file,
            None => {
                let text = match super::read_source(&path) {
                    Ok(text) => text,
                    Err(error) => {
                        self.loaded
                            .problems
                            .push(read_problem(include, &name, &error));
                        return None;
                    }
                };
                let file = self.sources.add(SourceFile::new(name, Some(path), text));
                if let Some(key) = key {
                    self.by_path.insert(key, file);
                }
                file
            }
        };
        if on_stack.contains(&file) {
            self.loaded
                .problems
                .push(self.cycle(include, file, on_stack));
            return None;
        }
        // A file already spliced elsewhere adds nothing the second time.
        self.spliced.insert(file).then_some(file)
    }

    /// Where an included path points, and the name to show for it.
    fn locate(&self, written: &str, from: FileId) -> (PathBuf, String) {
        match self.sources.get(from).path.as_deref() {
            Some(including) => {
                let folder = including.parent().unwrap_or(Path::new(""));
                let path = folder.join(written);
                let name = normalize(&path).to_string_lossy().into_owned();
                (path, name)
            }
            None => (PathBuf::from(written), written.to_string()),
        }
    }

    fn cycle(&self, include: &Include, file: FileId, on_stack: &[FileId]) -> Diagnostic {
        let start = on_stack.iter().position(|f| *f == file).unwrap_or(0);
        let mut chain: Vec<String> = on_stack
            .get(start..)
            .unwrap_or_default()
            .iter()
            .map(|f| format!("`{}`", self.sources.get(*f).name))
            .collect();
        chain.push(format!("`{}`", self.sources.get(file).name));
        Diagnostic::error(
            codes::INCLUDE_CYCLE,
            format!("include cycle: {}", chain.join(" → ")),
            include.span,
        )
        .with_label("this include leads back to a file that is still being read")
        .with_help("a file cannot include itself, directly or through other files; remove one of these includes")
    }
}

fn read_problem(include: &Include, name: &str, error: &std::io::Error) -> Diagnostic {
    let written = &include.path.value;
    match error.kind() {
        ErrorKind::NotFound => Diagnostic::error(
            codes::INCLUDE_MISSING,
            format!("cannot find the included file `{written}`"),
            include.span,
        )
        .with_label("no such file")
        .with_help(format!(
            "looked for `{name}`; an included path is relative to the file that includes it"
        )),
        ErrorKind::InvalidData => Diagnostic::error(
            codes::UNREADABLE,
            format!("the included file `{written}` is not UTF-8 text"),
            include.span,
        )
        .with_label("cannot be read")
        .with_help("save the file as UTF-8"),
        _ => Diagnostic::error(
            codes::UNREADABLE,
            format!("cannot read the included file `{written}`: {error}"),
            include.span,
        )
        .with_label("cannot be read"),
    }
}

/// The canonical form of a path, when the file exists.
fn canonical(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Removes `.` and resolvable `..` components, for a readable name.
fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().collect()
}
