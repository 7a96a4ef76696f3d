//! The plan of one member: stage, holdout, candidates in priority order, exclusive
//! groups, consent, send time and window, caps, exactly as "Evaluation of one member"
//! describes. Nothing here looks a name up: every table is indexed.
//!
//! Caps count the snapshot's touches whose `at` lies in (T − D, T], T the as-of time,
//! plus every touch already planned for the member in this run. A duration of `1d` is
//! 86 400 seconds, whatever the zone's clock changes.

use jiff::{SignedDuration, Timestamp};

use super::expr::{Clock, EvalBuffers, EvalError, Evaluator, MemberData};
use super::holdout::holdout_bucket;
use super::output::{Content, PlanBuilder, PlanOutput, PlannedAction};
use super::time::send_time;
use super::value::Value;
use crate::compile::{ActionSpec, CapLimit, Program, Rule, TemplatePiece};
use crate::limits::MAX_TEXT_BYTES;
use crate::plan::{ErrorKind, MemberError, Plan, Reason};

/// Which touches a cap counts, by rule and channel.
type TouchFilter<'a> = &'a dyn Fn(Option<u32>, Option<u32>) -> bool;

/// A touch planned earlier in this run for the member.
#[derive(Debug, Clone, Copy)]
struct PlannedTouch {
    rule: u32,
    channel: u32,
}

/// The stage chosen for a member: the first whose condition is true.
pub(crate) fn choose_stage(evaluator: &mut Evaluator<'_>) -> Result<Option<u32>, MemberError> {
    let program = evaluator.program;
    for (index, stage) in program.stages.iter().enumerate() {
        let holds = match &stage.condition {
            None => true,
            Some(condition) => evaluator.condition(condition).map_err(|error| {
                let message = format!("in stage `{}`: {}", stage.name, error.message);
                runtime_error(evaluator.member, None, message)
            })?,
        };
        if holds {
            return Ok(Some(index as u32));
        }
    }
    Ok(None)
}

/// Whether the member is in the control group.
pub(crate) fn is_held_out(program: &Program, id: &str) -> bool {
    program.holdout_buckets > 0 && holdout_bucket(&program.key, id) < program.holdout_buckets
}

/// Whether a rule is a candidate: active, admits the stage and the member's variants
/// (and, for `on enter`, the member is entering the stage), and its `when` is true.
pub(crate) fn is_candidate(
    evaluator: &mut Evaluator<'_>,
    rule: &Rule,
    stage: Option<u32>,
    variants: &[Option<u16>],
) -> Result<bool, MemberError> {
    if !rule.active || !rule.admits(stage) || !rule.admits_variants(variants) {
        return Ok(false);
    }
    if rule.on_enter && !entering(evaluator, stage) {
        return Ok(false);
    }
    match &rule.when {
        None => Ok(true),
        Some(when) => evaluator
            .condition(when)
            .map_err(|error| rule_error(evaluator.member, rule, *error)),
    }
}

/// Whether the member is entering `stage` in this run: never seen by an earlier run, or
/// seen in another stage. Without a ledger every member is entering.
pub(crate) fn entering(evaluator: &Evaluator<'_>, stage: Option<u32>) -> bool {
    let Some(history) = &evaluator.member.history else {
        return true;
    };
    let name = stage
        .and_then(|s| evaluator.program.stages.get(s as usize))
        .map(|s| &*s.name);
    history.entering(name)
}

pub(crate) fn runtime_error(
    member: &MemberData,
    rule: Option<&Rule>,
    message: String,
) -> MemberError {
    MemberError {
        kind: ErrorKind::Runtime,
        member: Some(member.id.clone()),
        rule: rule.map(|r| r.name.clone()),
        message,
    }
}

fn too_long_content(member: &MemberData, rule: &Rule) -> MemberError {
    let limit = crate::limits::bytes_in_words(MAX_TEXT_BYTES);
    runtime_error(
        member,
        Some(rule),
        format!("the content of rule `{}` is longer than {limit}", rule.name),
    )
}

fn rule_error(member: &MemberData, rule: &Rule, error: EvalError) -> MemberError {
    runtime_error(member, Some(rule), error.message)
}

/// What happened to one rule or action, for the explain trace.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// The member is held out; the rule is suppressed.
    HeldOut { rule: u32 },
    /// The rule's group was already taken.
    GroupTaken { rule: u32, group: u32 },
    /// The group's own cap was full: how many touches it counted, and its limit.
    GroupCapped {
        rule: u32,
        group: u32,
        counted: i64,
        cap: CapLimit,
    },
    /// The channel's consent was not true.
    NoConsent { rule: u32, action: usize },
    /// A cap was full: how many touches it counted, and its limit.
    Capped {
        rule: u32,
        action: usize,
        reason: Reason,
        counted: i64,
        cap: CapLimit,
    },
    /// The action was planned: the time asked for (as-of or `at`) and the time given.
    Planned { rule: u32, asked: Timestamp },
}

/// Plans one member.
pub(crate) fn plan_member(
    program: &Program,
    member: &MemberData,
    clock: &Clock,
) -> Result<Plan, MemberError> {
    plan_member_logged(program, member, clock, None).map(|(plan, _)| plan)
}

/// Plans one member, recording what happened to each rule when `events` is given.
pub(crate) fn plan_member_logged(
    program: &Program,
    member: &MemberData,
    clock: &Clock,
    events: Option<Vec<Event>>,
) -> Result<(Plan, Vec<Event>), MemberError> {
    let mut builder = PlanBuilder::new(program, &clock.zone);
    let mut buffers = PlanBuffers::default();
    let events = plan_into(program, member, clock, &mut builder, events, &mut buffers)?;
    Ok((builder.finish(), events))
}

/// What the planner keeps from one member to the next, so that planning a member
/// allocates nothing once these have grown (a worker thread keeps one set).
#[derive(Debug, Default)]
pub(crate) struct PlanBuffers {
    evaluation: EvalBuffers,
    /// Exclusive groups already taken.
    taken: Vec<bool>,
    /// Touches planned so far, for the caps.
    planned: Vec<PlannedTouch>,
    /// A rendered template.
    text: String,
    /// An action's evaluated `with` values.
    args: Vec<Value>,
    /// The member's variant of each experiment.
    variants: Vec<Option<u16>>,
}

/// The member's variant of each experiment, into `out`.
pub(crate) fn assign_variants(program: &Program, id: &str, out: &mut Vec<Option<u16>>) {
    out.clear();
    out.extend(program.experiments.iter().map(|e| e.assign(&program.key, id)));
}

/// Plans one member into `output`; gives back the events when asked to record them.
/// After an error, `output` holds part of a plan and should be dropped.
pub(crate) fn plan_into<O: PlanOutput>(
    program: &Program,
    member: &MemberData,
    clock: &Clock,
    output: &mut O,
    events: Option<Vec<Event>>,
    buffers: &mut PlanBuffers,
) -> Result<Vec<Event>, MemberError> {
    let evaluation = std::mem::take(&mut buffers.evaluation);
    buffers.taken.clear();
    buffers.taken.resize(program.groups.len(), false);
    buffers.planned.clear();
    let mut planner = Planner {
        evaluator: Evaluator::reusing(program, member, clock, evaluation),
        output,
        holdout: false,
        buffers,
        events,
    };
    let planned = planner.plan();
    planner.buffers.evaluation = planner.evaluator.into_buffers();
    planned.map(|()| planner.events.unwrap_or_default())
}

struct Planner<'a, 'o, 'b, O> {
    evaluator: Evaluator<'a>,
    output: &'o mut O,
    holdout: bool,
    buffers: &'b mut PlanBuffers,
    events: Option<Vec<Event>>,
}

impl<O: PlanOutput> Planner<'_, '_, '_, O> {
    /// The stage, the holdout, then every rule in candidate order.
    fn plan(&mut self) -> Result<(), MemberError> {
        let program = self.evaluator.program;
        let member = self.evaluator.member;
        let stage = choose_stage(&mut self.evaluator)?;
        self.evaluator.stage = Some(stage);
        self.holdout = is_held_out(program, &member.id);
        let mut variants = std::mem::take(&mut self.buffers.variants);
        assign_variants(program, &member.id, &mut variants);
        self.output
            .begin(&member.id, stage, self.holdout, &variants);
        self.buffers.variants = variants;
        for &index in &program.order {
            let Some(rule) = program.rules.get(index as usize) else {
                continue;
            };
            if !is_candidate(&mut self.evaluator, rule, stage, &self.buffers.variants)? {
                continue;
            }
            self.output.fired(index);
            self.candidate(index, rule)?;
        }
        Ok(())
    }

    fn log(&mut self, event: impl FnOnce() -> Event) {
        if let Some(events) = &mut self.events {
            events.push(event());
        }
    }

    fn suppress(&mut self, index: u32, reason: Reason, channel: Option<u32>) {
        self.output.suppressed(index, reason, channel);
    }

    fn candidate(&mut self, index: u32, rule: &Rule) -> Result<(), MemberError> {
        if self.holdout {
            self.log(|| Event::HeldOut { rule: index });
            self.suppress(index, Reason::Holdout, None);
            return Ok(());
        }
        let group = rule.group.map(|g| g as usize);
        if let Some(g) = group.filter(|&g| self.buffers.taken.get(g) == Some(&true)) {
            self.log(|| Event::GroupTaken {
                rule: index,
                group: g as u32,
            });
            self.suppress(index, Reason::Group, None);
            return Ok(());
        }
        if let Some((g, counted, cap)) = group.and_then(|g| self.full_group_cap(g)) {
            self.log(|| Event::GroupCapped {
                rule: index,
                group: g as u32,
                counted,
                cap,
            });
            self.suppress(index, Reason::GroupCap, None);
            return Ok(());
        }
        let mut any_planned = false;
        for (position, action) in rule.actions.iter().enumerate() {
            any_planned |= self.action(index, position, rule, action)?;
        }
        if any_planned {
            if let Some(taken) = group.and_then(|g| self.buffers.taken.get_mut(g)) {
                *taken = true;
            }
        }
        Ok(())
    }

    /// Plans or suppresses one action; true when planned.
    fn action(
        &mut self,
        index: u32,
        position: usize,
        rule: &Rule,
        action: &ActionSpec,
    ) -> Result<bool, MemberError> {
        let program = self.evaluator.program;
        let clock = self.evaluator.clock;
        let member = self.evaluator.member;
        let Some(channel_index) = action.channel else {
            let at = send_time(&clock.zone, clock.now, action.at, None)
                .ok_or_else(|| out_of_range(member, rule))?;
            self.push(index, position, rule, action, at, None)?;
            self.log(|| Event::Planned {
                rule: index,
                asked: at,
            });
            return Ok(true);
        };
        let Some(channel) = program.channels.get(channel_index as usize) else {
            return Ok(false);
        };
        if let Some(consent) = &channel.consent {
            let given = self.evaluator.condition(consent).map_err(|error| {
                let message = format!(
                    "in the consent of channel `{}`: {}",
                    channel.name, error.message
                );
                runtime_error(member, Some(rule), message)
            })?;
            if !given {
                self.log(|| Event::NoConsent {
                    rule: index,
                    action: position,
                });
                self.suppress(index, Reason::Consent, Some(channel_index));
                return Ok(false);
            }
        }
        let at = send_time(&clock.zone, clock.now, action.at, channel.window)
            .ok_or_else(|| out_of_range(member, rule))?;
        if let Some((reason, counted, cap)) = self.full_cap(index, rule, channel_index, channel.cap)
        {
            self.log(|| Event::Capped {
                rule: index,
                action: position,
                reason,
                counted,
                cap,
            });
            self.suppress(index, reason, Some(channel_index));
            return Ok(false);
        }
        self.push(index, position, rule, action, at, Some(channel_index))?;
        self.log(|| Event::Planned {
            rule: index,
            asked: send_time(&clock.zone, clock.now, action.at, None).unwrap_or(at),
        });
        self.buffers.planned.push(PlannedTouch {
            rule: index,
            channel: channel_index,
        });
        Ok(true)
    }

    /// The first full cap, in order: the rule's, the channel's, the member's.
    fn full_cap(
        &self,
        rule_index: u32,
        rule: &Rule,
        channel: u32,
        channel_cap: Option<CapLimit>,
    ) -> Option<(Reason, i64, CapLimit)> {
        let member = self.evaluator.member;
        let now = self.evaluator.clock.now;
        let caps: [(Option<CapLimit>, Reason, TouchFilter<'_>); 3] = [
            (rule.cap, Reason::RuleCap, &|r, _| r == Some(rule_index)),
            (channel_cap, Reason::ChannelCap, &|_, c| c == Some(channel)),
            (
                self.evaluator.program.max_touches,
                Reason::MemberCap,
                &|_, _| true,
            ),
        ];
        for (cap, reason, counts) in caps {
            let Some(cap) = cap else { continue };
            let since = window_start(now, cap.seconds);
            let history = member
                .touches
                .iter()
                .filter(|t| t.at > since && t.at <= now && counts(t.rule, t.channel))
                .count();
            let planned = self
                .buffers
                .planned
                .iter()
                .filter(|t| counts(Some(t.rule), Some(t.channel)))
                .count();
            let counted = (history + planned) as i64;
            if counted >= cap.count {
                return Some((reason, counted, cap));
            }
        }
        None
    }

    /// The group's own cap, when it is full: the touches of the group's rules in
    /// (T − D, T], from the snapshot and earlier runs. (A touch planned in this run would
    /// have taken the group already.)
    fn full_group_cap(&self, group: usize) -> Option<(usize, i64, CapLimit)> {
        let program = self.evaluator.program;
        let cap = (*program.group_caps.get(group)?)?;
        let now = self.evaluator.clock.now;
        let since = window_start(now, cap.seconds);
        let in_group = |rule: Option<u32>| {
            rule.and_then(|r| program.rules.get(r as usize))
                .is_some_and(|r| r.group == Some(group as u32))
        };
        let counted = self
            .evaluator
            .member
            .touches
            .iter()
            .filter(|t| t.at > since && t.at <= now && in_group(t.rule))
            .count() as i64;
        (counted >= cap.count).then_some((group, counted, cap))
    }

    /// Renders the action's template, evaluates its arguments and hands it over.
    fn push(
        &mut self,
        index: u32,
        position: usize,
        rule: &Rule,
        action: &ActionSpec,
        at: Timestamp,
        channel: Option<u32>,
    ) -> Result<(), MemberError> {
        let member = self.evaluator.member;
        let zone = &self.evaluator.clock.zone;
        if action.template.constant.is_none() {
            self.buffers.text.clear();
            for piece in &action.template.parts {
                match piece {
                    TemplatePiece::Text(text) => self.buffers.text.push_str(text),
                    TemplatePiece::Expr(node) => {
                        let value = self
                            .evaluator
                            .operand(node)
                            .map_err(|error| rule_error(member, rule, *error))?;
                        value.render_into(&mut self.buffers.text, zone);
                    }
                }
                if self.buffers.text.len() > MAX_TEXT_BYTES {
                    return Err(too_long_content(member, rule));
                }
            }
        }
        self.buffers.args.clear();
        for (_, node) in &action.args {
            let value = self
                .evaluator
                .eval(node)
                .map_err(|error| rule_error(member, rule, *error))?;
            self.buffers.args.push(value);
        }
        let content = match &action.template.constant {
            Some(text) => Content::Constant(text),
            None => Content::Rendered(&self.buffers.text),
        };
        self.output.action(PlannedAction {
            rule: index,
            position,
            id: None,
            spec: action,
            channel,
            content,
            at,
            args: &self.buffers.args,
        });
        Ok(())
    }
}

/// T − D, or the earliest instant when that is out of range.
pub(crate) fn window_start(now: Timestamp, seconds: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_secs(seconds))
        .unwrap_or(Timestamp::MIN)
}

fn out_of_range(member: &MemberData, rule: &Rule) -> MemberError {
    runtime_error(
        member,
        Some(rule),
        "the send time falls outside the supported range of dates".into(),
    )
}
