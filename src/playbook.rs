//! The embedding API: a [`Playbook`] checked and compiled once, then asked for any
//! number of plans, one member at a time ([`Playbook::plan`]) or a whole stream
//! ([`Playbook::plan_lines`]), in any number of threads at once.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::ast;
use crate::compile::{self, Program};
use crate::diagnostics::{codes, Diagnostic, Report, SourceMap, Span};
use crate::eval::expr::{Clock, Evaluator, MemberData};
use crate::eval::planner::plan_member;
use crate::eval::trace::{self, Trace};
use crate::eval::value::Value;
use crate::ingest::{self, decode, JsonChunk, PlanOptions, PlanStream, StreamItem};
use crate::ledger::{History, LedgerView};
use crate::plan::{MemberError, Plan, Summary};

/// The as-of time of a run: the instant `now` means, whose date in the playbook's zone
/// is `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AsOf(Timestamp);

/// An as-of time that is not RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("`{text}` is not an RFC 3339 date-time")]
#[diagnostic(
    code(siyu::run::bad_as_of),
    help("write it like 2026-11-25T09:00:00+08:00")
)]
pub struct AsOfError {
    text: String,
}

impl AsOf {
    /// Parses an RFC 3339 date-time with its offset.
    ///
    /// ```
    /// let as_of = siyu::AsOf::parse("2026-11-25T09:00:00+08:00")?;
    /// assert_eq!(as_of.timestamp().as_second(), 1_795_568_400);
    /// # Ok::<(), siyu::AsOfError>(())
    /// ```
    pub fn parse(text: &str) -> Result<AsOf, AsOfError> {
        decode::parse_datetime(text.trim())
            .map(AsOf)
            .ok_or_else(|| AsOfError { text: text.into() })
    }

    /// The current instant.
    pub fn now() -> AsOf {
        AsOf(Timestamp::now())
    }

    /// An as-of time from an instant.
    pub fn from_timestamp(timestamp: Timestamp) -> AsOf {
        AsOf(timestamp)
    }

    /// The as-of time `days` whole days (of 86 400 seconds) earlier.
    pub fn days_before(self, days: i64) -> AsOf {
        let earlier = self
            .0
            .checked_sub(jiff::SignedDuration::from_secs(days.saturating_mul(86_400)))
            .unwrap_or(Timestamp::MIN);
        AsOf(earlier)
    }

    /// The instant.
    pub fn timestamp(self) -> Timestamp {
        self.0
    }
}

impl std::str::FromStr for AsOf {
    type Err = AsOfError;
    fn from_str(text: &str) -> Result<AsOf, AsOfError> {
        AsOf::parse(text)
    }
}

/// A playbook that could not be loaded: unreadable, or with errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlaybookError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The playbook has errors; each diagnostic carries its span.
    #[error("the playbook has {} error{}", error_count(.diagnostics), if error_count(.diagnostics) == 1 { "" } else { "s" })]
    Invalid {
        /// The sources the spans point into.
        sources: SourceMap,
        /// Every error (and warning) found.
        diagnostics: Vec<Diagnostic>,
        /// The same diagnostics with their sources attached (miette's `related`).
        reports: Vec<Report>,
    },
}

fn error_count(diagnostics: &[Diagnostic]) -> usize {
    diagnostics.iter().filter(|d| d.is_error()).count()
}

impl PlaybookError {
    fn invalid(sources: SourceMap, diagnostics: Vec<Diagnostic>) -> Self {
        let known = |d: &&Diagnostic| {
            let files = sources.files().count();
            (d.span.file.0 as usize) < files
                && d.labels.iter().all(|l| (l.span.file.0 as usize) < files)
        };
        let reports = diagnostics
            .iter()
            .filter(known)
            .map(|d| d.report(&sources))
            .collect();
        PlaybookError::Invalid {
            sources,
            diagnostics,
            reports,
        }
    }

    /// The diagnostics, each with its source attached, ready for miette to render.
    pub fn reports(&self) -> Vec<Report> {
        match self {
            PlaybookError::Io { .. } => Vec::new(),
            PlaybookError::Invalid { reports, .. } => reports.clone(),
        }
    }
}

impl miette::Diagnostic for PlaybookError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            PlaybookError::Io { .. } => "siyu::run::unreadable_playbook",
            PlaybookError::Invalid { .. } => "siyu::run::invalid_playbook",
        }))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        match self {
            PlaybookError::Io { .. } => None,
            PlaybookError::Invalid { reports, .. } => Some(Box::new(
                reports
                    .iter()
                    .map(|report| report as &dyn miette::Diagnostic),
            )),
        }
    }
}

/// A playbook compiled once and reused for every member. Cheap to clone and to share
/// across threads.
///
/// ```
/// let playbook = siyu::Playbook::from_source("demo.rules", r#"
///     playbook "demo" { timezone "+08:00" }
///     member { id: string, orders: int }
///     stage buyer when orders >= 1
///     rule thanks { stage buyer  then tag "buyer" }
/// "#).map_err(|e| e.to_string())?;
/// let as_of = siyu::AsOf::parse("2026-11-25T09:00:00+08:00").map_err(|e| e.to_string())?;
/// let plan = playbook.plan(&serde_json::json!({"id": "m1", "orders": 2}), as_of)
///     .map_err(|e| e.to_string())?;
/// assert_eq!(plan.stage.as_deref(), Some("buyer"));
/// assert_eq!(plan.actions.len(), 1);
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone)]
pub struct Playbook {
    program: Arc<Program>,
    warnings: Arc<[Diagnostic]>,
}

/// A decoded snapshot, ready to be planned or evaluated against.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    data: MemberData,
    snapshot: Option<Arc<serde_json::Value>>,
}

impl Member {
    /// The member's id, as a string.
    pub fn id(&self) -> &str {
        &self.data.id
    }
}

/// An expression the REPL or a host asked to evaluate could not be.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvaluateError {
    /// The expression does not compile against this playbook.
    #[error("the expression has errors")]
    Compile(Vec<Diagnostic>),
    /// A type error met while evaluating.
    #[error("{0}")]
    Runtime(String),
}

impl Playbook {
    /// Reads, checks and compiles a playbook file (its includes too). A file that
    /// cannot be read is [`PlaybookError::Io`]; a playbook with errors is
    /// [`PlaybookError::Invalid`] with every diagnostic.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Playbook, PlaybookError> {
        let path = path.as_ref();
        let text = crate::check::read_source(path).map_err(|source| PlaybookError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let name = path.display().to_string();
        Self::compile_checked(&crate::check::check_source(&name, Some(path), &text))
    }

    /// Checks and compiles a playbook from its text; `name` is shown in diagnostics.
    /// Includes are resolved relative to the current directory.
    pub fn from_source(name: &str, text: &str) -> Result<Playbook, PlaybookError> {
        Self::compile_checked(&crate::check::check_source(name, None, text))
    }

    /// Compiles a checked playbook; its errors, if any, are returned instead, and its
    /// warnings are kept ([`Playbook::warnings`]).
    pub(crate) fn compile_checked(
        checked: &crate::check::Checked,
    ) -> Result<Playbook, PlaybookError> {
        if checked.has_errors() {
            return Err(PlaybookError::invalid(
                checked.sources.clone(),
                checked.diagnostics.clone(),
            ));
        }
        if !checked
            .items
            .iter()
            .any(|item| matches!(item, ast::Item::Playbook(_)))
        {
            // A library: say so at the file that was run, not at its first
            // declaration, which may come from a file it includes.
            let root = &checked.sources.get(checked.root).text;
            let first_line = root.find('\n').unwrap_or(root.len());
            let diagnostic = Diagnostic::error(
                codes::NO_PLAYBOOK,
                "this file has no `playbook` declaration, so it cannot be run",
                Span::new(checked.root, 0, first_line),
            )
            .with_label("the file that was run")
            .with_help(
                "run a playbook that includes this file, or add `playbook \"name\" { … }` to it",
            );
            return Err(PlaybookError::invalid(
                checked.sources.clone(),
                vec![diagnostic],
            ));
        }
        let warnings: Vec<Diagnostic> = checked
            .diagnostics
            .iter()
            .filter(|d| !d.is_error())
            .cloned()
            .collect();
        let mut playbook = Self::compile_items(&checked.sources, &checked.items)?;
        playbook.warnings = Arc::from(warnings);
        Ok(playbook)
    }

    /// Compiles declarations that were already parsed and checked (includes spliced in),
    /// for hosts that run the checker themselves.
    pub(crate) fn compile_items(
        sources: &SourceMap,
        items: &[ast::Item],
    ) -> Result<Playbook, PlaybookError> {
        match compile::compile(sources, items) {
            Ok(program) => Ok(Playbook {
                program: Arc::new(program),
                warnings: Arc::from(Vec::new()),
            }),
            Err(diagnostics) => Err(PlaybookError::invalid(sources.clone(), diagnostics)),
        }
    }

    /// The playbook's name (it seeds the holdout hash).
    pub fn name(&self) -> &str {
        &self.program.name
    }

    /// The playbook's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.program.zone
    }

    /// The playbook's time zone as written (`+08:00`, `Asia/Shanghai`).
    pub fn time_zone_name(&self) -> &str {
        &self.program.zone_name
    }

    /// The playbook's quadrant: online (线上化程度) and frequency (消费频次) levels, each
    /// `None` when not declared.
    pub fn quadrant(&self) -> (Option<ast::Level>, Option<ast::Level>) {
        self.program.quadrant
    }

    /// The warnings found while loading (errors stop loading instead).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The source files the playbook was read from.
    pub fn sources(&self) -> &SourceMap {
        &self.program.sources
    }

    /// Stage names, in declaration order.
    pub fn stages(&self) -> impl Iterator<Item = &str> {
        self.program.stages.iter().map(|s| &*s.name)
    }

    /// Stage names with their labels (`stage first_buyer "首购客" …`; the name when
    /// there is no label), in declaration order.
    pub fn stage_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.program.stages.iter().map(|s| (&*s.name, &*s.label))
    }

    /// Rule names with their labels (the name when there is no label), in declaration
    /// order.
    pub fn rule_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.program.rules.iter().map(|r| (&*r.name, &*r.label))
    }

    /// Experiment names with their labels (the name when there is no label), in
    /// declaration order.
    pub fn experiment_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.program
            .experiments
            .iter()
            .map(|e| (&*e.name, &*e.label))
    }

    /// The variants of an experiment with their shares in percent (as assigned, to the
    /// hundredth of a point), in declaration order; none for an unknown experiment.
    pub fn variants(&self, experiment: &str) -> impl Iterator<Item = (&str, f64)> {
        let found = self
            .program
            .experiments
            .iter()
            .find(|e| &*e.name == experiment);
        found.into_iter().flat_map(|e| {
            e.variants
                .iter()
                .map(|(name, low, high)| (&**name, f64::from(high - low) / 100.0))
        })
    }

    /// Rule names, in declaration order.
    pub fn rules(&self) -> impl Iterator<Item = &str> {
        self.program.rules.iter().map(|r| &*r.name)
    }

    /// Channel names, in declaration order.
    pub fn channels(&self) -> impl Iterator<Item = &str> {
        self.program.channels.iter().map(|c| &*c.name)
    }

    /// Segment names, in declaration order.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.program.segments.iter().map(|s| &*s.name)
    }

    /// Top-level member fields: the schema's, or without one the names the playbook reads.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.program.layout.fields.keys.iter().map(|k| &**k)
    }

    /// Whether the playbook has a `member` schema.
    pub fn has_schema(&self) -> bool {
        self.program.layout.typed
    }

    /// Validates and decodes a snapshot.
    pub fn decode(&self, snapshot: &serde_json::Value) -> Result<Member, MemberError> {
        decode::decode_value(&self.program, snapshot).map(|data| Member {
            data,
            snapshot: (!self.program.layout.typed).then(|| Arc::new(snapshot.clone())),
        })
    }

    /// Plans one member from its JSON snapshot.
    pub fn plan(&self, snapshot: &serde_json::Value, as_of: AsOf) -> Result<Plan, MemberError> {
        let member = decode::decode_value(&self.program, snapshot)?;
        plan_member(&self.program, &member, &self.clock(as_of))
    }

    /// Plans one member from one line of JSON text (what `plan_lines` does per line).
    pub fn plan_json(&self, line: &str, as_of: AsOf) -> Result<Plan, MemberError> {
        let member = decode::decode_text(&self.program, line)?;
        plan_member(&self.program, &member, &self.clock(as_of))
    }

    /// Plans a decoded member.
    pub fn plan_member(&self, member: &Member, as_of: AsOf) -> Result<Plan, MemberError> {
        plan_member(&self.program, &member.data, &self.clock(as_of))
    }

    /// Plans one member from its JSON snapshot as a run with a ledger would, given what
    /// earlier runs remember of it: its previous stage (for `on enter`,
    /// `previous_stage`, `stage_days`) and the touches they planned (for caps).
    pub fn plan_with_history(
        &self,
        snapshot: &serde_json::Value,
        as_of: AsOf,
        history: &History,
    ) -> Result<Plan, MemberError> {
        let mut member = decode::decode_value(&self.program, snapshot)?;
        history.apply(&self.program, &mut member);
        plan_member(&self.program, &member, &self.clock(as_of))
    }

    /// Gives a decoded member what earlier runs remember of it.
    pub fn with_history(&self, member: &Member, history: &History) -> Member {
        let mut member = member.clone();
        history.apply(&self.program, &mut member.data);
        member
    }

    /// Whether planning reads members' histories (`on enter`, `previous_stage`,
    /// `stage_days`): a run of such a playbook needs a ledger to mean what it says.
    pub fn reads_history(&self) -> bool {
        self.program.reads_history
    }

    /// The playbook's key: its `key "…"`, or its name. The holdout and variant hashes
    /// and the ledger use it.
    pub fn key(&self) -> &str {
        &self.program.key
    }

    /// Plans every snapshot of a JSON Lines or CSV stream, in parallel, and yields the
    /// plans and error records in input order. Memory stays bounded whatever the input
    /// size; the plans do not depend on the number of threads.
    ///
    /// ```
    /// let playbook = siyu::Playbook::from_source("demo.rules", r#"
    ///     playbook "demo" {}
    ///     member { id: string, orders: int }
    ///     rule hello { when orders == 0  then tag "new" }
    /// "#).map_err(|e| e.to_string())?;
    /// let input = "{\"id\": \"a\", \"orders\": 0}\n\n{\"id\": \"b\"}\n";
    /// let as_of = siyu::AsOf::parse("2026-11-25T09:00:00+08:00").map_err(|e| e.to_string())?;
    /// let items: Vec<_> = playbook
    ///     .plan_lines(input.as_bytes(), as_of, siyu::PlanOptions::default())
    ///     .collect();
    /// assert!(matches!(&items[0], Ok(plan) if plan.actions.len() == 1));
    /// assert!(matches!(&items[1], Err(record) if record.line == 3));
    /// # Ok::<(), String>(())
    /// ```
    pub fn plan_lines<R: std::io::BufRead>(
        &self,
        reader: R,
        as_of: AsOf,
        options: PlanOptions,
    ) -> PlanStream<R, StreamItem> {
        self.plan_lines_with(reader, as_of, options, |item| item)
    }

    /// Like [`Playbook::plan_lines`], with `map` applied to each item on the worker
    /// threads (to serialise plans in parallel, say); results still come in input order.
    pub fn plan_lines_with<R, T, F>(
        &self,
        reader: R,
        as_of: AsOf,
        options: PlanOptions,
        map: F,
    ) -> PlanStream<R, T>
    where
        R: std::io::BufRead,
        T: Send + 'static,
        F: Fn(StreamItem) -> T + Send + Sync + 'static,
    {
        let ledger = self.ledger_of(&options, as_of);
        let work = ingest::work::items(self.clone(), self.clock(as_of), ledger, Arc::new(map));
        ingest::stream(reader, &options, work)
    }

    /// Plans a stream like [`Playbook::plan_lines`] and writes the plans as JSON Lines
    /// on the worker threads: each [`JsonChunk`] carries a run of plan lines (the bytes
    /// `serde_json::to_writer` gives for each [`Plan`], one per line), then at most one
    /// error record, and their counts, ready to be written and added up. No `Plan`
    /// value is built: this is the fast way to plan a whole member base, and what
    /// `siyu run` does.
    ///
    /// ```
    /// let playbook = siyu::Playbook::from_source("demo.rules", r#"
    ///     playbook "demo" {}
    ///     member { id: string, orders: int }
    ///     rule hello { when orders == 0  then tag "new" }
    /// "#).map_err(|e| e.to_string())?;
    /// let input = "{\"id\": \"a\", \"orders\": 0}\n{\"id\": \"b\"}\n";
    /// let as_of = siyu::AsOf::parse("2026-11-25T09:00:00+08:00").map_err(|e| e.to_string())?;
    /// let mut summary = playbook.summary();
    /// let mut out = Vec::new();
    /// let mut errors = Vec::new();
    /// for chunk in playbook.plan_lines_json(input.as_bytes(), as_of, siyu::PlanOptions::default()) {
    ///     out.extend_from_slice(&chunk.plans);
    ///     errors.extend(chunk.error);
    ///     summary.merge(&chunk.summary);
    /// }
    /// assert_eq!(errors[0].line, 2);
    /// assert!(out.starts_with(br#"{"member":"a","stage":null,"holdout":false,"actions":[{"rule":"hello""#));
    /// assert_eq!((summary.planned(), summary.invalid()), (1, 1));
    /// # Ok::<(), String>(())
    /// ```
    pub fn plan_lines_json<R: std::io::BufRead>(
        &self,
        reader: R,
        as_of: AsOf,
        options: PlanOptions,
    ) -> PlanStream<R, JsonChunk> {
        let ledger = self.ledger_of(&options, as_of);
        let work = ingest::work::json(self.clone(), self.clock(as_of), ledger);
        ingest::stream(reader, &options, work)
    }

    /// The options' ledger view, and whether it was opened for this playbook at `as_of`.
    fn ledger_of(&self, options: &PlanOptions, as_of: AsOf) -> Option<(LedgerView, bool)> {
        let view = options.ledger.clone()?;
        let fits = view.fits(self, as_of);
        Some((view, fits))
    }

    /// An empty summary for this playbook's stages, rules and channels.
    pub fn summary(&self) -> Summary {
        let names = |it: &mut dyn Iterator<Item = Arc<str>>| it.collect::<Vec<_>>();
        Summary::new(
            names(&mut self.program.stages.iter().map(|s| s.name.clone())),
            names(&mut self.program.rules.iter().map(|r| r.name.clone())),
            names(&mut self.program.channels.iter().map(|c| c.name.clone())),
        )
        .with_experiments(
            self.program
                .experiments
                .iter()
                .map(|e| {
                    let variants = e.variants.iter().map(|(v, _, _)| v.clone()).collect();
                    (e.name.clone(), variants)
                })
                .collect(),
        )
    }

    /// A readable account of how one member was planned: the stage and why, every
    /// rule and why it applied or not, every action planned or suppressed and why.
    pub fn explain(&self, snapshot: &serde_json::Value, as_of: AsOf) -> Result<Trace, MemberError> {
        let member = decode::decode_value(&self.program, snapshot)?;
        trace::explain(&self.program, &member, &self.clock(as_of))
    }

    /// Like [`Playbook::explain`], for a run with a ledger that remembers `history`.
    pub fn explain_with_history(
        &self,
        snapshot: &serde_json::Value,
        as_of: AsOf,
        history: &History,
    ) -> Result<Trace, MemberError> {
        let mut member = decode::decode_value(&self.program, snapshot)?;
        history.apply(&self.program, &mut member);
        trace::explain(&self.program, &member, &self.clock(as_of))
    }

    /// The findings of `check --deep`: stages no member can reach and rules that can
    /// never fire (proven), touches on channels without consent, and, each with an
    /// example member confirmed by planning it at `as_of`, channels over their cap and
    /// stages that overlap (notes). A playbook without a `member` block gets none.
    pub fn deep_check(&self, as_of: AsOf) -> Vec<Diagnostic> {
        crate::analysis::findings(self, as_of)
    }

    /// Evaluates an expression (parsed and checked by the caller) for a member.
    pub(crate) fn evaluate_expr(
        &self,
        expr: &ast::Expr,
        member: &Member,
        as_of: AsOf,
    ) -> Result<Value, EvaluateError> {
        let mut layout = self.program.layout.clone();
        let segments = self
            .program
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.to_string(), i as u32))
            .collect();
        let mut diagnostics = Vec::new();
        let node = compile::Scope::new(&mut layout, &segments, &mut diagnostics).compile(expr);
        let node = match node {
            Some(node) if !diagnostics.iter().any(Diagnostic::is_error) => node,
            _ => return Err(EvaluateError::Compile(diagnostics)),
        };
        // Without a schema, a name the playbook never read has no slot in the decoded
        // member: decode the snapshot again against the widened layout.
        let clock = self.clock(as_of);
        let mut data = match &member.snapshot {
            Some(snapshot) if layout.len() > member.data.slots.len() => {
                decode::decode_value_with(&self.program, &layout, snapshot)
                    .map_err(|e| EvaluateError::Runtime(e.message))?
            }
            _ => member.data.clone(),
        };
        data.slots.resize(layout.len(), Value::Null);
        let mut evaluator = Evaluator::new(&self.program, &data, &clock);
        evaluator
            .eval(&node)
            .map_err(|e| EvaluateError::Runtime(e.message))
    }

    pub(crate) fn program(&self) -> &Program {
        &self.program
    }

    pub(crate) fn clock(&self, as_of: AsOf) -> Clock {
        Clock::new(as_of.0, &self.program.zone)
    }
}

/// The stages' entry points, for the crate's own tests and tools.
#[cfg(feature = "internals")]
impl Playbook {
    /// Compiles a checked playbook; its errors, if any, are returned instead, and its
    /// warnings are kept ([`Playbook::warnings`]).
    pub fn from_checked(checked: &crate::check::Checked) -> Result<Playbook, PlaybookError> {
        Self::compile_checked(checked)
    }

    /// Compiles declarations that were already parsed and checked (includes spliced in).
    pub fn from_items(sources: &SourceMap, items: &[ast::Item]) -> Result<Playbook, PlaybookError> {
        Self::compile_items(sources, items)
    }

    /// Evaluates an expression (parsed by the caller) for a member.
    pub fn evaluate(
        &self,
        expr: &ast::Expr,
        member: &Member,
        as_of: AsOf,
    ) -> Result<Value, EvaluateError> {
        self.evaluate_expr(expr, member, as_of)
    }
}
