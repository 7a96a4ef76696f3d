//! The session: the playbook being worked on (a loaded file plus every declaration
//! typed so far), the member snapshots and the current member, the as-of time, and
//! what each kind of input does to them. Commands that only look at the session live
//! in `inspect.rs`.
//!
//! The session's playbook is a [`siyu::Session`], re-checked as a whole after each
//! declaration: each typed declaration is a source file of its own, named `<repl:N>`
//! after the input's number, so that diagnostics point into what was typed. A
//! declaration naming a rule, segment, stage, channel or test already there replaces it
//! in place. Without a loaded file the session starts from an empty `playbook "repl" {}`.

use std::io::Write;
use std::path::PathBuf;

use siyu::{
    AsOf, Diagnostic, Draft, Expression, FileId, Member, Playbook, PlaybookError, SourceMap,
};

use super::input::{self, Kind};
use super::members::Members;
use super::{commands, render};

/// The playbook a session starts from when no file is loaded.
const IMPLICIT: &str = "playbook \"repl\" {}\n";

/// Whether the session goes on after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next input.
    Continue,
    /// `:quit`.
    Quit,
}

/// A declaration typed in the session and kept.
#[derive(Debug, Clone)]
pub(super) struct Typed {
    /// Its file in the session's source map.
    pub file: FileId,
    /// `<repl:N>`.
    pub name: String,
    /// What was typed.
    pub text: String,
}

/// Where output goes, and whether it may be coloured.
pub struct Output {
    /// Results.
    pub out: Box<dyn Write>,
    /// Diagnostics and errors.
    pub err: Box<dyn Write>,
    /// Colour diagnostics.
    pub colour: bool,
}

/// Everything the REPL knows.
pub struct Session {
    pub(super) path: Option<PathBuf>,
    pub(super) typed: Vec<Typed>,
    pub(super) state: siyu::Session,
    pub(super) playbook: Playbook,
    pub(super) members: Members,
    pub(super) current: Option<usize>,
    pub(super) as_of: AsOf,
    /// The ledger members' histories are read from (read only), if any.
    pub(super) ledger: Option<siyu::Ledger>,
    inputs: u32,
    output: Output,
    drawer: render::Diagnostics,
    failed: bool,
}

impl Session {
    /// A session with the implicit empty playbook.
    pub fn new(output: Output, as_of: AsOf) -> Result<Session, PlaybookError> {
        let state = siyu::Session::start("<repl>", None, IMPLICIT).accept()?;
        Ok(Session {
            path: None,
            typed: Vec::new(),
            playbook: state.playbook().clone(),
            state,
            members: Members::default(),
            current: None,
            as_of,
            ledger: None,
            inputs: 0,
            drawer: render::Diagnostics::new(output.colour),
            output,
            failed: false,
        })
    }

    /// Whether any input so far failed (an error shown).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The session's playbook.
    pub fn playbook(&self) -> &Playbook {
        &self.playbook
    }

    /// The library's session: the playbook's declarations and sources.
    pub fn state(&self) -> &siyu::Session {
        &self.state
    }

    /// The loaded members.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// The current member's id.
    pub fn current_id(&self) -> Option<&str> {
        self.current
            .and_then(|i| self.members.get(i))
            .map(|e| e.id.as_str())
    }

    /// Handles one complete input.
    pub fn handle(&mut self, text: &str) -> Flow {
        self.inputs += 1;
        let name = format!("<repl:{}>", self.inputs);
        match input::classify(text) {
            Kind::Empty => {}
            Kind::Command => {
                let (command, argument) = input::split_command(text);
                let flow = commands::run(self, command, argument);
                self.flush();
                return flow;
            }
            Kind::Declaration => self.declare(text, &name),
            Kind::Expression => self.evaluate(text, &name),
        }
        self.flush();
        Flow::Continue
    }

    /// Prints a result line (or lines) on the output.
    pub fn say(&mut self, text: &str) {
        let _ = self.output.out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = self.output.out.write_all(b"\n");
        }
    }

    /// Prints a note on the error stream without counting it as a failure.
    pub fn note(&mut self, text: &str) {
        let _ = self.output.out.flush();
        let _ = writeln!(self.output.err, "{text}");
    }

    /// Prints an error and remembers that something failed.
    pub fn fail(&mut self, message: &str) {
        self.failed = true;
        let _ = self.output.out.flush();
        let _ = writeln!(self.output.err, "error: {message}");
    }

    fn flush(&mut self) {
        let _ = self.output.out.flush();
        let _ = self.output.err.flush();
    }

    /// Draws diagnostics; any error among them counts as a failure.
    pub(super) fn draw(&mut self, diagnostics: &[Diagnostic], sources: &SourceMap) {
        let _ = self.output.out.flush();
        for diagnostic in diagnostics {
            self.failed |= diagnostic.is_error();
            let drawn = self.drawer.draw(diagnostic, sources);
            let _ = writeln!(self.output.err, "{}", drawn.trim_end());
        }
    }

    /// `:load FILE` (without a file, the one loaded last, read again): the file becomes the session's playbook; the declarations typed
    /// so far are added again, and those that no longer check are dropped.
    pub fn load(&mut self, argument: &str) {
        let argument = match (argument, &self.path) {
            ("", Some(path)) => path.to_string_lossy().into_owned(),
            ("", None) => return self.fail("no playbook loaded yet: `:load FILE` loads one"),
            (argument, _) => argument.to_string(),
        };
        let argument = argument.as_str();
        let path = PathBuf::from(argument);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => return self.fail(&format!("cannot read `{argument}`: {error}")),
        };
        if self.replace_root(argument, Some(path.clone()), text) {
            self.path = Some(path);
        } else {
            self.fail(&format!("`{argument}` was not loaded"));
        }
    }

    /// Makes `text` the session's root file (what `:load` reads, or a `playbook`
    /// declaration typed without a loaded file), then adds the typed declarations again;
    /// false (and the session unchanged) when it does not check.
    fn replace_root(&mut self, name: &str, path: Option<PathBuf>, text: String) -> bool {
        let draft = siyu::Session::start(name, path, text);
        let typed_here = name.starts_with("<repl");
        let warnings = draft.diagnostics().len();
        let Some(state) = self.compile(draft, None) else {
            return false;
        };
        let typed = std::mem::take(&mut self.typed);
        self.playbook = state.playbook().clone();
        self.state = state;
        let line = if typed_here {
            format!("replaced playbook {:?}", self.playbook.name())
        } else {
            format!("loaded {name}: {}", self.census(warnings))
        };
        self.say(&line);
        self.reapply(typed);
        true
    }

    /// Adds earlier typed declarations to a newly loaded playbook, one by one.
    fn reapply(&mut self, typed: Vec<Typed>) {
        for old in typed {
            let draft = self.state.declare(&old.name, old.text.clone());
            let file = draft.file();
            let compiled = match draft.diagnostics().iter().find(|d| d.is_error()) {
                Some(error) => Err(error.message.clone()),
                None => draft.accept().map_err(|error| error.to_string()),
            };
            let first_line = old.text.lines().next().unwrap_or("").trim().to_string();
            match compiled {
                Ok(state) => {
                    self.say(&format!("kept {}: {first_line}", old.name));
                    self.playbook = state.playbook().clone();
                    self.state = state;
                    self.typed.push(Typed { file, ..old });
                }
                Err(why) => self.note(&format!("dropped {} ({first_line}): {why}", old.name)),
            }
        }
    }

    /// `7 stages, 20 rules, …` of the session's playbook.
    fn census(&self, warnings: usize) -> String {
        let count = |n: usize, word: &str| match n {
            1 => format!("1 {word}"),
            n => format!("{n} {word}s"),
        };
        let playbook = &self.playbook;
        let mut parts = vec![
            count(playbook.stages().count(), "stage"),
            count(playbook.rules().count(), "rule"),
            count(playbook.channels().count(), "channel"),
            count(playbook.segments().count(), "segment"),
        ];
        let experiments = playbook.experiment_labels().count();
        if experiments > 0 {
            parts.push(count(experiments, "experiment"));
        }
        if warnings > 0 {
            parts.push(format!(
                "{} (`siyu check` shows them)",
                count(warnings, "warning")
            ));
        }
        parts.join(", ")
    }

    /// Compiles a checked playbook, drawing its errors (and, for `only` a typed file,
    /// that file's warnings); `None` when it has errors.
    fn compile(&mut self, draft: Draft, only: Option<FileId>) -> Option<siyu::Session> {
        let shown: Vec<Diagnostic> = draft
            .diagnostics()
            .iter()
            .filter(|d| d.is_error() || Some(d.span.file) == only)
            .cloned()
            .collect();
        self.draw(&shown, draft.sources());
        if draft.has_errors() {
            return None;
        }
        match draft.accept() {
            Ok(state) => Some(state),
            Err(PlaybookError::Invalid {
                sources,
                diagnostics,
                ..
            }) => {
                self.draw(&diagnostics, &sources);
                None
            }
            Err(error) => {
                self.fail(&error.to_string());
                None
            }
        }
    }

    /// A declaration typed: checked with the session's playbook and kept if it checks.
    fn declare(&mut self, text: &str, name: &str) {
        if text.trim_start().starts_with("playbook") {
            return self.declare_playbook(text, name);
        }
        let known_files = self.state.sources().files().count();
        let draft = self.state.declare(name, text);
        let file = draft.file();
        let Some(state) = self.compile(draft, Some(file)) else {
            return;
        };
        let mut lines = Vec::new();
        let mut included: Vec<&'static str> = Vec::new();
        for item in state.declarations() {
            let item_file = item.file();
            if item_file == file {
                let (kind, item_name) = (item.kind(), item.name());
                let verb = if self.declares(kind, &item_name) {
                    "replaced"
                } else {
                    "added"
                };
                lines.push(format!("{verb} {kind} {item_name}").trim_end().to_string());
            } else if item_file.0 as usize >= known_files {
                included.push(item.kind());
            }
        }
        if !included.is_empty() {
            lines.push(format!("included {}", tally(&included)));
        }
        if lines.is_empty() {
            lines.push("nothing new declared (a file is included once)".to_string());
        }
        self.playbook = state.playbook().clone();
        self.state = state;
        self.typed.push(Typed {
            file,
            name: name.to_string(),
            text: text.to_string(),
        });
        self.say(&lines.join("\n"));
    }

    /// A `playbook` declaration typed: without a loaded file it replaces the implicit
    /// one (with what follows it in the input); a loaded file keeps its own.
    fn declare_playbook(&mut self, text: &str, name: &str) {
        if let Some(path) = &self.path {
            let path = path.display().to_string();
            return self.fail(&format!(
                "the `playbook` declaration of `{path}` stays as it is: edit the file and `:load` it again"
            ));
        }
        if !self.replace_root(name, None, text.to_string()) {
            self.failed = true;
        }
    }

    /// Whether the session's playbook has a declaration of this kind and name.
    fn declares(&self, kind: &str, name: &str) -> bool {
        self.state
            .declarations()
            .any(|d| d.kind() == kind && d.name() == name)
    }

    /// An expression typed: parsed, checked against the session's playbook, evaluated
    /// for the current member.
    fn evaluate(&mut self, text: &str, name: &str) {
        let expression = self
            .state
            .expression_with_keys(name, text, self.members.keys());
        let sources = expression.sources().clone();
        self.draw(expression.diagnostics(), &sources);
        if expression.has_errors() {
            return;
        }
        let (playbook, member) = match self.target(&expression) {
            Ok(target) => target,
            Err(message) => return self.fail(&message),
        };
        match expression.evaluate(&playbook, &member, self.as_of) {
            Ok(value) => {
                let shown = render::value(&value, playbook.time_zone());
                self.say(&shown);
            }
            Err(siyu::EvaluateError::Compile(diagnostics)) => self.draw(&diagnostics, &sources),
            Err(siyu::EvaluateError::Runtime(message)) => self.fail(&message),
            Err(other) => self.fail(&other.to_string()),
        }
    }

    /// The playbook and member an expression is evaluated with: the session's playbook
    /// and the current member; without one, for an expression that reads no member
    /// data, a member with only an id (of the session's `playbook` declaration alone
    /// when the schema would reject such a member).
    fn target(&self, expression: &Expression) -> Result<(Playbook, Member), String> {
        if let Some(entry) = self.current.and_then(|i| self.members.get(i)) {
            let member = self
                .playbook
                .decode(&entry.snapshot)
                .map_err(|error| format!("member `{}` is invalid: {error}", entry.id))?;
            let member = match self.history(&entry.id)? {
                Some(history) => self.playbook.with_history(&member, &history),
                None => member,
            };
            return Ok((self.playbook.clone(), member));
        }
        let blank = serde_json::json!({ "id": "(no member)" });
        if !self.playbook.has_schema() {
            let member = self.playbook.decode(&blank).map_err(|e| e.to_string())?;
            return Ok((self.playbook.clone(), member));
        }
        if expression.reads_member() {
            return Err(no_member());
        }
        let playbook = self.state.declaration_only().ok_or_else(no_member)?;
        let member = playbook.decode(&blank).map_err(|e| e.to_string())?;
        Ok((playbook, member))
    }
}

/// What to tell someone who asks about a member before picking one.
pub(super) fn no_member() -> String {
    "no member picked: read snapshots with `:members FILE`, then pick one with `:member ID`"
        .to_string()
}

/// `1 channel, 2 segments`: how many declarations of each kind, in order of appearance.
fn tally(kinds: &[&'static str]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for kind in kinds {
        match counts.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((kind, 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(kind, n)| match n {
            1 => format!("1 {kind}"),
            n => format!("{n} {kind}s"),
        })
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn quiet() -> Session {
        let output = Output {
            out: Box::new(std::io::sink()),
            err: Box::new(std::io::sink()),
            colour: false,
        };
        let as_of = AsOf::parse("2026-11-25T09:00:00+08:00").expect("a valid time");
        Session::new(output, as_of).expect("the empty session starts")
    }

    const PIECES: [&str; 32] = [
        "segment", "stage", "rule", "member", "playbook", "include", "policy", "channel", "x", "y",
        "=", "{", "}", "[", "]", "(", ")", "\"s\"", "'", "1", "7d", "and", "not", ":member",
        ":plan", ":load", ":asof", ":show", "when", "then tag", "via", "\n",
    ];

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 200,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn no_input_ends_the_session_by_a_panic(
            inputs in prop::collection::vec(
                prop::collection::vec(prop::sample::select(PIECES.to_vec()), 0..12),
                1..6,
            )
        ) {
            let mut session = quiet();
            for pieces in inputs {
                let text = pieces.join(" ");
                let _ = session.handle(&text);
            }
        }

        #[test]
        fn arbitrary_text_is_handled(text in "\\PC{0,60}") {
            let mut session = quiet();
            let _ = session.handle(&text);
        }
    }

    #[test]
    fn a_rejected_declaration_leaves_the_session_as_it_was() {
        let mut session = quiet();
        assert_eq!(session.handle("segment a = 1 > 0"), Flow::Continue);
        assert!(!session.failed());
        session.handle("segment b = lenght(tags) > 1");
        assert!(session.failed());
        let segments: Vec<&str> = session.playbook().segments().collect();
        assert_eq!(segments, ["a"]);
        assert_eq!(session.handle(":quit"), Flow::Quit);
    }
}
