//! The commands that read members or look at the session: `:members`, `:member`,
//! `:stage`, `:plan`, `:explain`, `:run`, `:asof`, and the lists (`:rules`, `:stages`,
//! `:segments`, `:channels`, `:fields`, `:show`).

use std::path::Path;

use siyu::{did_you_mean, AsOf, Declaration, MemberError, Plan, Trace};

use super::members::{Entry, Members};
use super::render;
use super::session::{no_member, Session};

impl Session {
    /// `:members FILE`: reads the snapshots and keeps the current member if the file
    /// has it, else picks the first.
    pub fn read_members(&mut self, argument: &str) {
        let members = match Members::read(Path::new(argument), &self.playbook) {
            Ok(members) => members,
            Err(message) => return self.fail(&message),
        };
        let kept = self
            .current_id()
            .and_then(|id| members.find(id))
            .or_else(|| (members.len() > 0).then_some(0));
        let mut line = format!("read {} members from {argument}", members.len());
        if !members.unreadable.is_empty() {
            let (first_line, why) = &members.unreadable[0];
            line.push_str(&format!(
                " ({} unreadable, the first at line {first_line}: {why})",
                members.unreadable.len()
            ));
        }
        self.members = members;
        self.current = kept;
        self.say(&line);
        if let Some(id) = self.current_id().map(str::to_string) {
            self.say(&format!("current member: {id}"));
        }
    }

    /// `:member ID`: picks the current member.
    pub fn pick_member(&mut self, id: &str) {
        if self.members.len() == 0 {
            return self.fail("no members read yet: `:members FILE` reads snapshots");
        }
        let Some(index) = self.members.find(id) else {
            let hint = did_you_mean(id, self.members.ids())
                .map(|close| format!("; did you mean `{close}`?"))
                .unwrap_or_default();
            return self.fail(&format!("no member with id `{id}`{hint}"));
        };
        self.current = Some(index);
        let summary = match self.plan_current() {
            Ok((_, plan)) => format!(
                "current member: {id} · stage {}",
                plan.stage.as_deref().unwrap_or("none")
            ),
            Err(message) => format!("current member: {id} ({message})"),
        };
        self.say(&summary);
    }

    /// `:member`: the current member's snapshot.
    pub fn show_member(&mut self) {
        match self.current_entry() {
            Some(entry) => {
                let text = serde_json::to_string_pretty(&entry.snapshot)
                    .unwrap_or_else(|_| entry.snapshot.to_string());
                let heading = format!("member {} (line {})", entry.id, entry.line);
                self.say(&format!("{heading}\n{text}"));
            }
            None => self.fail(&no_member()),
        }
    }

    fn current_entry(&self) -> Option<Entry> {
        self.current.and_then(|i| self.members.get(i)).cloned()
    }

    /// The current member and its plan, or why there is none.
    fn plan_current(&self) -> Result<(Entry, Plan), String> {
        let entry = self.current_entry().ok_or_else(no_member)?;
        let plan = match self.history(&entry.id)? {
            Some(history) => self
                .playbook
                .plan_with_history(&entry.snapshot, self.as_of, &history),
            None => self.playbook.plan(&entry.snapshot, self.as_of),
        };
        let plan = plan.map_err(|error| member_problem(&entry, &error))?;
        Ok((entry, plan))
    }

    fn trace_current(&self) -> Result<Trace, String> {
        let entry = self.current_entry().ok_or_else(no_member)?;
        let trace = match self.history(&entry.id)? {
            Some(history) => {
                self.playbook
                    .explain_with_history(&entry.snapshot, self.as_of, &history)
            }
            None => self.playbook.explain(&entry.snapshot, self.as_of),
        };
        trace.map_err(|error| member_problem(&entry, &error))
    }

    /// A member's history, when the session has a ledger.
    pub(super) fn history(&self, id: &str) -> Result<Option<siyu::History>, String> {
        let Some(ledger) = &self.ledger else {
            return Ok(None);
        };
        ledger
            .history_of(&self.playbook, self.as_of, id)
            .map(Some)
            .map_err(|error| error.to_string())
    }

    /// `:ledger`: which ledger histories come from.
    pub fn show_ledger(&mut self) {
        let text = match &self.ledger {
            Some(ledger) => format!("ledger: {} (read only)", ledger.location()),
            None => "no ledger: members are planned as if never seen (`:ledger FILE` reads one)"
                .to_string(),
        };
        self.say(&text);
    }

    /// `:ledger LOCATION`: reads members' histories from an existing ledger.
    pub fn set_ledger(&mut self, location: &str) {
        match siyu::Ledger::open_existing(location) {
            Ok(ledger) => {
                self.ledger = Some(ledger);
                self.show_ledger();
            }
            Err(error) => self.fail(&error.to_string()),
        }
    }

    /// `:stage`.
    pub fn show_stage(&mut self) {
        match self.trace_current() {
            Ok(trace) => self.say(&render::stage(&trace)),
            Err(message) => self.fail(&message),
        }
    }

    /// `:plan`.
    pub fn show_plan(&mut self) {
        match self.plan_current() {
            Ok((_, plan)) => self.say(&render::plan(&plan)),
            Err(message) => self.fail(&message),
        }
    }

    /// `:explain`.
    pub fn show_explain(&mut self) {
        match self.trace_current() {
            Ok(trace) => self.say(&trace.to_string()),
            Err(message) => self.fail(&message),
        }
    }

    /// `:run`: every loaded member planned (in parallel), then the summary table.
    pub fn run_all(&mut self) {
        if self.members.len() == 0 {
            return self.fail("no members read yet: `:members FILE` reads snapshots");
        }
        let view = match &self.ledger {
            Some(ledger) => match ledger.view(&self.playbook, self.as_of) {
                Ok(view) => Some(view),
                Err(error) => return self.fail(&error.to_string()),
            },
            None => None,
        };
        let view = view.as_ref();
        let playbook = &self.playbook;
        let as_of = self.as_of;
        let entries = &self.members.entries;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let share = entries.len().div_ceil(threads).max(1);
        let results: Vec<Result<Plan, MemberError>> = std::thread::scope(|scope| {
            let parts: Vec<_> = entries
                .chunks(share)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|entry| plan_entry(playbook, view, entry, as_of))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut summary = playbook.summary();
        let mut first_invalid = None;
        for (entry, result) in self.members.entries.iter().zip(&results) {
            match result {
                Ok(plan) => summary.add_plan(plan),
                Err(error) => {
                    summary.add_invalid();
                    first_invalid.get_or_insert_with(|| member_problem(entry, error));
                }
            }
        }
        for _ in &self.members.unreadable {
            summary.add_invalid();
        }
        let table = crate::cli::run::summary_table(&summary);
        self.say(&format!("as of {}\n{table}", self.as_of_text()));
        if let Some(problem) = first_invalid {
            self.note(&format!("the first invalid snapshot: {problem}"));
        }
    }

    /// The as-of time in the playbook's zone.
    fn as_of_text(&self) -> String {
        let zoned = self
            .as_of
            .timestamp()
            .to_zoned(self.playbook.time_zone().clone());
        siyu::format_rfc3339(&zoned)
    }

    /// `:asof`.
    pub fn show_as_of(&mut self) {
        let text = format!("as of {}", self.as_of_text());
        self.say(&text);
    }

    /// `:asof DATETIME` (or `now`).
    pub fn set_as_of(&mut self, argument: &str) {
        let parsed = if argument == "now" {
            Ok(now())
        } else {
            AsOf::parse(argument)
        };
        match parsed {
            Ok(as_of) => {
                self.as_of = as_of;
                self.show_as_of();
            }
            Err(error) => self.fail(&format!(
                "{error}: write it like 2026-11-25T09:00:00+08:00, or `now`"
            )),
        }
    }

    /// `:rules`: each rule with its label, stages, priority and group; `*` marks the
    /// ones typed in this session.
    pub fn list_rules(&mut self) {
        let lines: Vec<String> = self
            .state
            .declarations()
            .filter_map(|declaration| {
                let outline = declaration.rule_outline()?;
                Some(format!("{}{outline}", self.typed_mark(&declaration)))
            })
            .collect();
        self.say_list(lines, "no rules yet");
    }

    fn typed_mark(&self, declaration: &Declaration) -> &'static str {
        let file = declaration.file();
        if self.typed.iter().any(|typed| typed.file == file) {
            "* "
        } else {
            "  "
        }
    }

    fn say_list(&mut self, lines: Vec<String>, empty: &str) {
        if lines.is_empty() {
            self.say(empty);
        } else {
            self.say(&lines.join("\n"));
        }
    }

    /// `:stages`, in order, with labels.
    pub fn list_stages(&mut self) {
        let lines = self.list_of("stage");
        self.say_list(lines, "no stages yet");
    }

    /// `:segments`.
    pub fn list_segments(&mut self) {
        let lines = self.list_of("segment");
        self.say_list(lines, "no segments yet");
    }

    /// `:channels`.
    pub fn list_channels(&mut self) {
        let lines = self.list_of("channel");
        self.say_list(lines, "no channels yet");
    }

    /// The declarations of one kind, each as its first line of source.
    fn list_of(&self, kind: &str) -> Vec<String> {
        self.state
            .declarations()
            .filter(|declaration| declaration.kind() == kind)
            .map(|declaration| {
                let text = declaration.text();
                let first = text.lines().next().unwrap_or("").trim_end();
                let first = first.strip_suffix('{').unwrap_or(first).trim_end();
                format!("{}{first}", self.typed_mark(&declaration))
            })
            .collect()
    }

    /// `:fields`.
    pub fn list_fields(&mut self) {
        let fields: Vec<String> = self.playbook.fields().map(str::to_string).collect();
        if fields.is_empty() {
            self.say("no fields: the playbook has no `member` schema and reads no field");
        } else {
            let note = if self.playbook.has_schema() {
                ""
            } else {
                "\n(no `member` schema: these are the names the playbook reads)"
            };
            self.say(&format!("{}{note}", fields.join(", ")));
        }
    }

    /// `:save FILE` (`:save! FILE` when `overwrite`): the session's playbook, the
    /// loaded file's declarations and the typed ones, formatted, in one file. An
    /// existing file is kept unless overwritten on purpose.
    pub fn save(&mut self, path: &str, overwrite: bool) {
        let target = std::path::Path::new(path);
        if target.exists() && !overwrite {
            return self.fail(&format!("`{path}` exists: `:save! {path}` overwrites it"));
        }
        let text = self.state.to_source(target);
        let formatted = match siyu::format_source(&text) {
            Ok(formatted) => formatted,
            Err(_) => text,
        };
        match std::fs::write(target, &formatted) {
            Ok(()) => {
                let count = self.state.declarations().filter(|d| {
                    let file = d.file();
                    self.state.typed_files().contains(&file) || file == self.state.root_file()
                });
                let count = count.count();
                let noun = if count == 1 {
                    "declaration"
                } else {
                    "declarations"
                };
                self.say(&format!("saved {count} {noun} to {path}"));
                self.check_saved(path, target, &formatted);
            }
            Err(error) => self.fail(&format!("cannot write `{path}`: {error}")),
        }
    }

    /// A saved file is checked as `siyu check` would: a declaration typed to replace
    /// one of an included file is saved, but the included file still has its own.
    fn check_saved(&mut self, path: &str, target: &std::path::Path, text: &str) {
        let report = siyu::check_source(path, Some(target), text);
        let errors: Vec<&siyu::Diagnostic> =
            report.diagnostics.iter().filter(|d| d.is_error()).collect();
        let Some(first) = errors.first() else {
            return;
        };
        let more = match errors.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let hint = if errors
            .iter()
            .any(|d| d.code == siyu::Code::Duplicate.as_str())
        {
            "; a declaration typed to replace one of an included file is saved here while \
             that file keeps its own: remove one of the two"
        } else {
            ""
        };
        self.fail(&format!(
            "`{path}` does not check on its own: {}{more}{hint}; `siyu check {path}` shows where",
            first.message
        ));
    }

    /// `:show NAME`: the source of every declaration with that name.
    pub fn show_declaration(&mut self, name: &str) {
        let found: Vec<String> = self
            .state
            .declarations()
            .filter(|declaration| declaration.name() == name || declaration.kind() == name)
            .map(|declaration| declaration.text().to_string())
            .collect();
        if found.is_empty() {
            let names: Vec<String> = self.state.declarations().map(|d| d.name()).collect();
            let hint = did_you_mean(name, names.iter().map(String::as_str))
                .map(|close| format!("; did you mean `{close}`?"))
                .unwrap_or_default();
            return self.fail(&format!("nothing is declared as `{name}`{hint}"));
        }
        self.say(&found.join("\n\n"));
    }
}

/// The current time, to the second (what `:asof now` and the default show).
pub fn now() -> AsOf {
    let second = AsOf::now().timestamp().as_second();
    jiff::Timestamp::from_second(second).map_or_else(|_| AsOf::now(), AsOf::from_timestamp)
}

/// Why a member has no plan, in one line.
fn member_problem(entry: &Entry, error: &MemberError) -> String {
    let rule = error
        .rule
        .as_deref()
        .map(|r| format!(" (rule `{r}`)"))
        .unwrap_or_default();
    format!(
        "member `{}` (line {}) gets no plan{rule}: {error}",
        entry.id, entry.line
    )
}

/// One loaded member planned, with its history when there is a ledger.
fn plan_entry(
    playbook: &siyu::Playbook,
    view: Option<&siyu::LedgerView>,
    entry: &Entry,
    as_of: AsOf,
) -> Result<Plan, MemberError> {
    let Some(view) = view else {
        return playbook.plan(&entry.snapshot, as_of);
    };
    match view.history(&entry.id) {
        Ok(history) => playbook.plan_with_history(&entry.snapshot, as_of, &history),
        Err(error) => Err(MemberError::ledger(&entry.id, &error.to_string())),
    }
}
