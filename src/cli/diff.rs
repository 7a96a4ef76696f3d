//! `siyu diff OLD NEW --members M`: plans every member under both playbooks with the
//! same planner, in step (the members file is read twice, side by side, each stream
//! planned on every core), and says who is affected: stage moves, members who gain or
//! lose a rule's actions, touches per channel before and after, the control group.
//! Memory is bounded: counts per name and three example ids per line of the table.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;
use siyu::{Action, AsOf, Plan, PlanOptions, Playbook, StreamItem, Suppression};

use super::output::{AtomicFile, Output};
use super::run::{as_of, load_playbook, open_members};
use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Example member ids kept per line of the table.
const EXAMPLES: usize = 3;

/// Arguments of `siyu diff`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The playbook as it is.
    pub old: PathBuf,
    /// The playbook as it would be.
    pub new: PathBuf,
    /// Member snapshots: JSON Lines, or a `.csv` file (read twice, so not stdin).
    #[arg(long, value_name = "PATH")]
    pub members: PathBuf,
    /// The format of `--members`: `jsonl` or `csv` (default: from the file's
    /// extension; JSON Lines for stdin).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub members_format: Option<super::run::MembersFormat>,
    /// The as-of time, RFC 3339 (default: now).
    #[arg(long, value_name = "DATETIME")]
    pub as_of: Option<String>,
    /// Where to write one JSON line per member whose plan differs.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Where to write the counts as JSON.
    #[arg(long, value_name = "PATH")]
    pub summary: Option<PathBuf>,
    /// Where to write the diff as a page to open in the browser.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Exit with 1 when any member's plan differs.
    #[arg(long)]
    pub fail_on_change: bool,
    /// Worker threads per playbook (default: half the cores each, at least one, so
    /// that the two together use every core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No table on stderr.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub ledger: super::ledger::LedgerArg,
}

/// One member under one playbook, as the worker threads hand it over: its plan, or its
/// error record.
struct Side {
    /// The member's id (of the plan, or of the error record when it could be read).
    member: Option<Arc<str>>,
    /// The plan, or `None` for an invalid snapshot. It is written out (as `run` writes
    /// it) only when the member changed.
    plan: Option<Plan>,
    /// The error, for an invalid snapshot.
    error: Option<String>,
    /// Whether the input itself could not be read (the stream ends there).
    input_error: bool,
}

impl Side {
    fn of(item: StreamItem) -> Side {
        match item {
            Ok(plan) => Side {
                member: Some(plan.member.clone()),
                plan: Some(plan),
                error: None,
                input_error: false,
            },
            Err(record) => Side {
                member: record.member.clone(),
                plan: None,
                input_error: record.kind.is_fatal(),
                error: Some(record.error),
            },
        }
    }

    /// The channel of each planned touch.
    fn touches(&self) -> impl Iterator<Item = &Arc<str>> {
        let actions = self.plan.iter().flat_map(|plan| &plan.actions);
        actions.filter_map(|action| action.channel.as_ref())
    }

    /// Whether rule `rule` has at least one action planned.
    fn has_action_of(&self, rule: &str) -> bool {
        let mut actions = self.plan.iter().flat_map(|plan| &plan.actions);
        actions.any(|action| &*action.rule == rule)
    }

    /// The rules with at least one action planned, each once, in planning order.
    fn rules(&self) -> Vec<&Arc<str>> {
        let mut rules: Vec<&Arc<str>> = Vec::new();
        for action in self.plan.iter().flat_map(|plan| &plan.actions) {
            if !rules.contains(&&action.rule) {
                rules.push(&action.rule);
            }
        }
        rules
    }

    /// The stage, `None` for no stage or an invalid snapshot.
    fn stage(&self) -> Option<Arc<str>> {
        self.plan.as_ref().and_then(|plan| plan.stage.clone())
    }

    /// The member's variant of each experiment.
    fn variants(&self) -> &[(Arc<str>, Arc<str>)] {
        self.plan.as_ref().map_or(&[], |plan| &plan.variants)
    }
}

/// A count with a few example member ids.
#[derive(Debug, Default)]
struct Examples {
    members: u64,
    examples: Vec<String>,
}

impl Examples {
    fn add(&mut self, member: &Option<Arc<str>>) {
        self.members += 1;
        if let Some(member) = member {
            if self.examples.len() < EXAMPLES {
                self.examples.push(member.to_string());
            }
        }
    }
}

/// What changed for one rule.
#[derive(Debug, Default)]
struct RuleChange {
    gained: Examples,
    lost: Examples,
}

impl Serialize for RuleChange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("RuleChange", 4)?;
        out.serialize_field("gained", &self.gained.members)?;
        out.serialize_field("lost", &self.lost.members)?;
        out.serialize_field("examples_gained", &self.gained.examples)?;
        out.serialize_field("examples_lost", &self.lost.examples)?;
        out.end()
    }
}

/// Before and after.
#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Counts {
    before: u64,
    after: u64,
}

/// A stage move: the stage before and after (`None`: no stage, or invalid).
type Move = (Option<Arc<str>>, Option<Arc<str>>);

/// A variant move: the experiment, the variant before and after (`none` when in none,
/// or when the experiment is not in that playbook).
type VariantMove = (Arc<str>, Arc<str>, Arc<str>);

/// The counts of a diff.
#[derive(Debug, Default)]
struct Diff {
    members: u64,
    changed: Examples,
    /// Stage moves, `(from, to)` (`None`: no stage or invalid), in first-seen order.
    stages: IndexMap<Move, Examples>,
    /// Members whose variant of an experiment changed, in first-seen order.
    variants: IndexMap<VariantMove, Examples>,
    /// Whether either playbook has an experiment.
    experiments: bool,
    rules: IndexMap<Arc<str>, RuleChange>,
    channels: IndexMap<Arc<str>, Counts>,
    holdout: Counts,
    invalid: Counts,
}

impl Diff {
    /// A diff over the two playbooks' rules and channels, new declaration order first.
    fn new(old: &Playbook, new: &Playbook) -> Diff {
        let mut diff = Diff {
            experiments: new
                .experiment_labels()
                .chain(old.experiment_labels())
                .count()
                > 0,
            ..Diff::default()
        };
        for name in new.rules().chain(old.rules()) {
            diff.rules.entry(Arc::from(name)).or_default();
        }
        for name in new.channels().chain(old.channels()) {
            diff.channels.entry(Arc::from(name)).or_default();
        }
        diff
    }

    /// Counts one member; whether its plan differs.
    fn add(&mut self, before: &Side, after: &Side) -> bool {
        self.members += 1;
        let member = after.member.clone().or_else(|| before.member.clone());
        let member = &member;
        for touch in before.touches() {
            self.channels.entry(touch.clone()).or_default().before += 1;
        }
        for touch in after.touches() {
            self.channels.entry(touch.clone()).or_default().after += 1;
        }
        let held_out = |side: &Side| side.plan.as_ref().is_some_and(|plan| plan.holdout);
        self.holdout.before += u64::from(held_out(before));
        self.holdout.after += u64::from(held_out(after));
        self.invalid.before += u64::from(before.plan.is_none());
        self.invalid.after += u64::from(after.plan.is_none());
        let same = match (&before.plan, &after.plan) {
            (Some(a), Some(b)) => same_line(a, b),
            (None, None) => before.error == after.error,
            _ => false,
        };
        if same {
            return false;
        }
        if before.plan.is_some() && after.plan.is_some() {
            self.variant_moves(before, after, member);
        }
        self.changed.add(member);
        let (from, to) = (before.stage(), after.stage());
        if from != to || before.plan.is_none() != after.plan.is_none() {
            self.stages.entry((from, to)).or_default().add(member);
        }
        for rule in after.rules() {
            if !before.has_action_of(rule) {
                self.rules
                    .entry(rule.clone())
                    .or_default()
                    .gained
                    .add(member);
            }
        }
        for rule in before.rules() {
            if !after.has_action_of(rule) {
                self.rules.entry(rule.clone()).or_default().lost.add(member);
            }
        }
        true
    }

    /// Counts each experiment whose variant differs for the member.
    fn variant_moves(&mut self, before: &Side, after: &Side, member: &Option<Arc<str>>) {
        let none: Arc<str> = Arc::from("none");
        let of = |side: &Side, experiment: &Arc<str>| {
            side.variants()
                .iter()
                .find(|(e, _)| e == experiment)
                .map_or_else(|| none.clone(), |(_, v)| v.clone())
        };
        let experiments = after
            .variants()
            .iter()
            .chain(before.variants())
            .map(|(e, _)| e);
        let mut seen: Vec<&Arc<str>> = Vec::new();
        for experiment in experiments {
            if seen.contains(&experiment) {
                continue;
            }
            seen.push(experiment);
            let (from, to) = (of(before, experiment), of(after, experiment));
            if from != to {
                self.variants
                    .entry((experiment.clone(), from, to))
                    .or_default()
                    .add(member);
            }
        }
    }

    /// The stage moves, most members first (first seen first among equals).
    fn stage_moves(&self) -> Vec<(&Move, &Examples)> {
        let mut moves: Vec<_> = self.stages.iter().collect();
        moves.sort_by_key(|(_, examples)| std::cmp::Reverse(examples.members));
        moves
    }
}

/// Whether two plans are written as the same line: every field a plan line holds is
/// compared (the planner's own indices, which differ from one playbook to the other,
/// are not), times by their instant and offset as RFC 3339 writes them. Comparing the
/// values spares serialising the plans of the members that did not change.
fn same_line(a: &Plan, b: &Plan) -> bool {
    let same_action = |x: &Action, y: &Action| {
        x.id == y.id
            && x.rule == y.rule
            && x.verb == y.verb
            && x.channel == y.channel
            && x.content == y.content
            && x.at.timestamp() == y.at.timestamp()
            && x.at.offset() == y.at.offset()
            && x.priority == y.priority
            && x.args == y.args
    };
    let same_suppression = |x: &Suppression, y: &Suppression| {
        x.rule == y.rule && x.reason == y.reason && x.channel == y.channel
    };
    a.member == b.member
        && a.stage == b.stage
        && a.holdout == b.holdout
        && a.variants == b.variants
        && a.actions.len() == b.actions.len()
        && a.actions
            .iter()
            .zip(&b.actions)
            .all(|(x, y)| same_action(x, y))
        && a.suppressed.len() == b.suppressed.len()
        && a.suppressed
            .iter()
            .zip(&b.suppressed)
            .all(|(x, y)| same_suppression(x, y))
}

/// A stage's name in the diff, `null` for none.
fn stage_name(stage: &Option<Arc<str>>) -> &str {
    stage.as_deref().unwrap_or("null")
}

impl Serialize for Diff {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        #[derive(Serialize)]
        struct StageMove<'a> {
            from: &'a str,
            to: &'a str,
            members: u64,
            examples: &'a [String],
        }
        let stages: Vec<StageMove<'_>> = self
            .stage_moves()
            .into_iter()
            .map(|((from, to), examples)| StageMove {
                from: stage_name(from),
                to: stage_name(to),
                members: examples.members,
                examples: &examples.examples,
            })
            .collect();
        struct Named<'a, T>(&'a IndexMap<Arc<str>, T>);
        impl<T: Serialize> Serialize for Named<'_, T> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(name, value)| (&**name, value)))
            }
        }
        #[derive(Serialize)]
        struct VariantMoveOut<'a> {
            experiment: &'a str,
            from: &'a str,
            to: &'a str,
            members: u64,
            examples: &'a [String],
        }
        let variants: Vec<VariantMoveOut<'_>> = self
            .variants
            .iter()
            .map(|((experiment, from, to), examples)| VariantMoveOut {
                experiment,
                from,
                to,
                members: examples.members,
                examples: &examples.examples,
            })
            .collect();
        let mut out = serializer.serialize_struct("Diff", 9)?;
        out.serialize_field("members", &self.members)?;
        out.serialize_field("changed", &self.changed.members)?;
        out.serialize_field("stages", &stages)?;
        if !variants.is_empty() {
            out.serialize_field("variants", &variants)?;
        }
        out.serialize_field("rules", &Named(&self.rules))?;
        out.serialize_field("channels", &Named(&self.channels))?;
        out.serialize_field("holdout", &self.holdout)?;
        out.serialize_field("invalid", &self.invalid)?;
        out.serialize_field("examples_changed", &self.changed.examples)?;
        out.end()
    }
}

/// Runs the command; returns the exit code.
pub fn run(args: Args) -> i32 {
    match run_inner(&args) {
        Ok(code) | Err(code) => code,
    }
}

fn run_inner(args: &Args) -> Result<i32, i32> {
    if args.members.as_os_str() == "-" {
        eprintln!(
            "error: `siyu diff` reads the members twice, side by side: give a file, not stdin"
        );
        return Err(EXIT_USAGE);
    }
    let old = load_playbook(&args.old)?;
    let new = load_playbook(&args.new)?;
    let as_of = as_of(args.as_of.as_deref())?;
    let mut out = match &args.out {
        Some(path) => Some(create(path)?),
        None => None,
    };
    // Opened before planning, so that a path that cannot be written is said first.
    let html = match &args.html {
        Some(path) => Some((path, create(path)?)),
        None => None,
    };
    let diff = plan_both(&old, &new, as_of, args, out.as_mut())?;
    if let Some(out) = out {
        if let Err(error) = out.commit() {
            return write_failed(&error, "the changed plans");
        }
    }
    if let Some(path) = &args.summary {
        let mut file = create(path)?;
        let written = serde_json::to_writer_pretty(&mut file, &diff)
            .map_err(io::Error::from)
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.commit());
        if let Err(error) = written {
            return write_failed(&error, "the summary");
        }
    }
    if let Some((path, mut file)) = html {
        let title = format!("{} → {}", old.name(), new.name());
        let subtitle = format!(
            "改动影响 · Diff — {} → {}, 计划时间 as of {}",
            args.old.display(),
            args.new.display(),
            args.as_of.as_deref().unwrap_or("now · 现在")
        );
        let written = file
            .write_all(page(&diff, &title, &subtitle).as_bytes())
            .and_then(|()| file.commit());
        if let Err(error) = written {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            return Err(EXIT_FAILURE);
        }
    }
    if !args.quiet {
        eprint!("{}", table(&diff));
    }
    Ok(if args.fail_on_change && diff.changed.members > 0 {
        EXIT_FAILURE
    } else {
        EXIT_OK
    })
}

fn create(path: &Path) -> Result<Output, i32> {
    AtomicFile::create(path).map(Output::File).map_err(|error| {
        eprintln!("error: cannot write `{}`: {error}", path.display());
        EXIT_USAGE
    })
}

fn write_failed(error: &io::Error, what: &str) -> Result<i32, i32> {
    eprintln!("error: cannot write {what}: {error}");
    Err(EXIT_FAILURE)
}

/// Plans the members under both playbooks in step, writing the changed plans to `out`.
fn plan_both(
    old: &Playbook,
    new: &Playbook,
    as_of: AsOf,
    args: &Args,
    mut out: Option<&mut Output>,
) -> Result<Diff, i32> {
    let (old_reader, format) = open_members(&args.members, args.members_format)?;
    let (new_reader, _) = open_members(&args.members, args.members_format)?;
    let options = PlanOptions::default()
        .threads(args.threads.unwrap_or_else(threads_per_side))
        .format(format);
    let (old_options, new_options) = match &args.ledger.ledger {
        None if old.reads_history() || new.reads_history() => {
            let path = if old.reads_history() {
                &args.old
            } else {
                &args.new
            };
            return Err(super::ledger::needs_ledger(path));
        }
        None => (options.clone(), options),
        Some(location) => {
            // Read only: both playbooks see the same ledger; nothing is recorded.
            let ledger = super::ledger::open_existing(location)?;
            let view = |playbook: &Playbook| {
                ledger
                    .view(playbook, as_of)
                    .map_err(|error| super::ledger::failed(&error))
            };
            (
                options.clone().ledger(view(old)?),
                options.ledger(view(new)?),
            )
        }
    };
    let before = old.plan_lines_with(old_reader, as_of, old_options, Side::of);
    let after = new.plan_lines_with(new_reader, as_of, new_options, Side::of);
    let mut diff = Diff::new(old, new);
    let mut line = Vec::new();
    for (before, after) in before.zip(after) {
        if before.input_error || after.input_error {
            let error = before.error.as_deref().or(after.error.as_deref());
            eprintln!("error: {}", error.unwrap_or("the members cannot be read"));
            return Err(EXIT_USAGE);
        }
        if !diff.add(&before, &after) {
            continue;
        }
        let Some(out) = out.as_deref_mut() else {
            continue;
        };
        line.clear();
        changed_line(&mut line, &before, &after);
        if let Err(error) = out.write_all(&line) {
            write_failed(&error, "the changed plans")?;
        }
    }
    Ok(diff)
}

/// The worker threads each side gets by default: half the cores, at least one. Both
/// sides plan at once, so together they use every core, without more threads than
/// cores competing for them.
fn threads_per_side() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (cores / 2).max(1)
}

/// `{"member": …, "before": PLAN, "after": PLAN}`; an invalid side is
/// `{"error": "…"}`.
fn changed_line(line: &mut Vec<u8>, before: &Side, after: &Side) {
    let member = after.member.as_ref().or(before.member.as_ref());
    line.extend_from_slice(b"{\"member\":");
    let _ = serde_json::to_writer(&mut *line, &member.map(|m| &**m));
    for (key, side) in [("before", before), ("after", after)] {
        let _ = write!(line, ",\"{key}\":");
        match &side.plan {
            Some(plan) => {
                let _ = serde_json::to_writer(&mut *line, plan);
            }
            None => {
                let _ = serde_json::to_writer(
                    &mut *line,
                    &serde_json::json!({ "error": side.error.as_deref().unwrap_or("") }),
                );
            }
        }
    }
    line.extend_from_slice(b"}\n");
}

/// The readable table shown on stderr.
fn table(diff: &Diff) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let examples = |e: &Examples| {
        if e.examples.is_empty() {
            String::new()
        } else {
            format!("  e.g. {}", e.examples.join(", "))
        }
    };
    let _ = writeln!(
        out,
        "members {}  changed {}{}",
        diff.members,
        diff.changed.members,
        examples(&diff.changed)
    );
    let moves = diff.stage_moves();
    if !moves.is_empty() {
        let _ = writeln!(out, "stage moves (from → to)            members");
        for ((from, to), e) in moves {
            let pair = format!("{} → {}", stage_name(from), stage_name(to));
            let _ = writeln!(out, "  {pair:32} {:>7}{}", e.members, examples(e));
        }
    }
    if !diff.variants.is_empty() {
        let _ = writeln!(out, "variant moves (experiment: from → to) members");
        for ((experiment, from, to), e) in &diff.variants {
            let pair = format!("{experiment}: {from} → {to}");
            let _ = writeln!(out, "  {pair:32} {:>7}{}", e.members, examples(e));
        }
    }
    let changed_rules: Vec<_> = diff
        .rules
        .iter()
        .filter(|(_, c)| c.gained.members > 0 || c.lost.members > 0)
        .collect();
    if !changed_rules.is_empty() {
        let _ = writeln!(out, "rule                                gained     lost");
        for (name, change) in changed_rules {
            let mut both = examples(&change.gained);
            if !change.lost.examples.is_empty() {
                both.push_str(&format!("  lost e.g. {}", change.lost.examples.join(", ")));
            }
            let _ = writeln!(
                out,
                "  {name:32} {:>7}  {:>7}{both}",
                change.gained.members, change.lost.members
            );
        }
    }
    let _ = writeln!(out, "channel                             before    after");
    for (name, counts) in &diff.channels {
        let _ = writeln!(out, "  {name:32} {:>7}  {:>7}", counts.before, counts.after);
    }
    let _ = writeln!(
        out,
        "held out                           {:>7}  {:>7}",
        diff.holdout.before, diff.holdout.after
    );
    if diff.invalid.before + diff.invalid.after > 0 {
        let _ = writeln!(
            out,
            "invalid                            {:>7}  {:>7}",
            diff.invalid.before, diff.invalid.after
        );
    }
    out
}

/// The diff as a page, in the style of `siyu report`.
fn page(diff: &Diff, title: &str, subtitle: &str) -> String {
    use super::report::page::{bar_chart, page_start, section_start, tile_row, Row};
    let mut page = String::with_capacity(32 * 1024);
    page_start(&mut page, title, "改动影响 Diff", subtitle);
    tile_row(
        &mut page,
        &[
            (diff.members, "读取会员 · members read"),
            (diff.changed.members, "计划有变 · changed"),
            (diff.holdout.before, "对照组（改前）· held out before"),
            (diff.holdout.after, "对照组（改后）· held out after"),
        ],
    );
    let examples = |e: &Examples| {
        if e.examples.is_empty() {
            String::new()
        } else {
            format!(" · e.g. {}", e.examples.join(", "))
        }
    };
    section_start(&mut page, "阶段变化", "Stage moves", "stages");
    let moves: Vec<Row> = diff
        .stage_moves()
        .into_iter()
        .map(|((from, to), e)| Row {
            label: format!("{} → {}", stage_name(from), stage_name(to)),
            segments: vec![(e.members, "#fe2c55")],
            value: format!("{}{}", e.members, examples(e)),
        })
        .collect();
    if moves.is_empty() {
        page.push_str("<p class=\"none\">没有会员换阶段 · no member changes stage</p>\n");
    } else {
        bar_chart(&mut page, &moves, "members per stage move");
    }
    page.push_str("</section>\n");
    if diff.experiments {
        variant_moves(&mut page, diff, &examples);
    }
    section_start(
        &mut page,
        "规则得失",
        "Members who gain or lose a rule",
        "rules",
    );
    page.push_str(
        "<p class=\"legend\"><span><i style=\"background:#2da44e\"></i>新增 gained</span>\
         <span><i style=\"background:#cf222e\"></i>失去 lost</span></p>\n",
    );
    let mut rows = Vec::new();
    for (name, change) in &diff.rules {
        if change.gained.members == 0 && change.lost.members == 0 {
            continue;
        }
        rows.push(Row {
            label: name.to_string(),
            segments: vec![(change.gained.members, "#2da44e")],
            value: format!("+{}{}", change.gained.members, examples(&change.gained)),
        });
        rows.push(Row {
            label: String::new(),
            segments: vec![(change.lost.members, "#cf222e")],
            value: format!("−{}{}", change.lost.members, examples(&change.lost)),
        });
    }
    if rows.is_empty() {
        page.push_str("<p class=\"none\">没有规则得失 · no rule gains or loses a member</p>\n");
    } else {
        bar_chart(&mut page, &rows, "members who gain or lose each rule");
    }
    page.push_str("</section>\n");
    section_start(
        &mut page,
        "渠道触达",
        "Planned touches per channel, before and after",
        "channels",
    );
    page.push_str(
        "<p class=\"legend\"><span><i style=\"background:#8c959f\"></i>改前 before</span>\
         <span><i style=\"background:#25b8c8\"></i>改后 after</span></p>\n",
    );
    let mut rows = Vec::new();
    for (name, counts) in &diff.channels {
        rows.push(Row {
            label: name.to_string(),
            segments: vec![(counts.before, "#8c959f")],
            value: counts.before.to_string(),
        });
        rows.push(Row {
            label: String::new(),
            segments: vec![(counts.after, "#25b8c8")],
            value: counts.after.to_string(),
        });
    }
    bar_chart(
        &mut page,
        &rows,
        "planned touches per channel before and after",
    );
    page.push_str("</section>\n");
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// The page's section on members who change variant, for playbooks with experiments.
fn variant_moves(page: &mut String, diff: &Diff, examples: &dyn Fn(&Examples) -> String) {
    use super::report::page::{bar_chart, section_start, Row};
    section_start(page, "实验分组变化", "Variant moves", "variants");
    let moves: Vec<Row> = diff
        .variants
        .iter()
        .map(|((experiment, from, to), e)| Row {
            label: format!("{experiment}: {from} → {to}"),
            segments: vec![(e.members, "#8250df")],
            value: format!("{}{}", e.members, examples(e)),
        })
        .collect();
    if moves.is_empty() {
        page.push_str("<p class=\"none\">没有会员换分组 · no member changes variant</p>\n");
    } else {
        bar_chart(page, &moves, "members per variant move");
    }
    page.push_str("</section>\n");
}
