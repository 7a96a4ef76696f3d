//! `check --deep`: findings proven over the schema's types, or shown by an example
//! member that is planned before it is reported.
//!
//! - `unreachable_stage` and `rule_never_fires` are reported only when the decision
//!   procedure of [`logic`] proves that no valid snapshot gets there;
//! - `stage_overlap` (a note), `touch_budget` are reported only with an example member
//!   for which planning (or evaluating the stages' conditions) confirms the finding;
//! - `touch_without_consent` is read from the playbook's text.
//!
//! What the procedure cannot decide (functions, arithmetic, dates, lists, two fields
//! compared) it treats as unknown booleans: it then proves less, and says nothing
//! rather than guess.

pub(crate) mod logic;
pub(crate) mod witness;

use serde_json::Value as Json;

use crate::compile::Program;
use crate::diagnostics::{codes, Diagnostic};
use crate::eval::expr::Evaluator;
use crate::eval::Value;
use crate::ingest::decode;
use crate::plan::Reason;
use crate::{AsOf, Playbook};
use logic::{decide, Formula, Translator, Verdict};

/// How many possible conjunctions are tried for an example before giving up.
const EXAMPLE_TRIES: usize = 64;

/// The deep findings of a compiled playbook, planned at `as_of`.
pub(crate) fn findings(playbook: &Playbook, as_of: AsOf) -> Vec<Diagnostic> {
    let program = playbook.program();
    if !program.layout.typed {
        // Without a schema a field may hold anything: nothing is proven.
        return Vec::new();
    }
    let analysis = Analysis {
        playbook,
        program,
        translator: Translator::new(program),
        as_of,
    };
    let mut out = Vec::new();
    analysis.stages(&mut out);
    analysis.rules(&mut out);
    analysis.consent(&mut out);
    analysis.budgets(&mut out);
    analysis.member_budget(&mut out);
    // Warnings before notes, each kind in the order of the files and lines, as `check`
    // orders its own diagnostics.
    out.sort_by_key(|d| (d.severity, d.span.file, d.span.start));
    out
}

struct Analysis<'a> {
    playbook: &'a Playbook,
    program: &'a Program,
    translator: Translator<'a>,
    as_of: AsOf,
}

impl Analysis<'_> {
    fn nullable(&self) -> impl Fn(&logic::Path) -> bool + '_ {
        |path| witness::nullable(self.program, path)
    }

    fn decide(&self, formula: &Formula) -> Verdict {
        decide(formula, &self.nullable())
    }

    /// The condition of stage `i` (`otherwise` is true).
    fn stage_condition(&self, i: usize) -> Formula {
        match self.program.stages.get(i).and_then(|s| s.condition.as_ref()) {
            Some(node) => self.translator.condition(node),
            None => Formula::True,
        }
    }

    /// The members whose stage is `i`: its condition, and no earlier stage's.
    fn reaches(&self, i: usize) -> Formula {
        let mut parts = vec![self.stage_condition(i)];
        parts.extend((0..i).map(|j| self.stage_condition(j).negate()));
        Formula::and(parts)
    }

    fn stages(&self, out: &mut Vec<Diagnostic>) {
        let stages = &self.program.stages;
        for (i, stage) in stages.iter().enumerate() {
            // After an `otherwise` the checker already warns.
            if stages[..i].iter().any(|s| s.condition.is_none()) {
                continue;
            }
            if self.decide(&self.reaches(i)) == Verdict::Never {
                let own = self.decide(&self.stage_condition(i)) == Verdict::Never;
                let help = if own {
                    "its condition can never hold for a valid snapshot: check the comparisons"
                        .to_string()
                } else {
                    let shadows: Vec<String> = (0..i)
                        .filter(|&j| {
                            let both =
                                Formula::and(vec![self.stage_condition(i), self.stage_condition(j)]);
                            self.decide(&both) != Verdict::Never
                        })
                        .map(|j| format!("`{}`", stages[j].name))
                        .collect();
                    format!(
                        "every member it would take is taken first by {}: move it above them \
                         or narrow their conditions",
                        shadows.join(", ")
                    )
                };
                out.push(
                    Diagnostic::warning(
                        codes::DEEP_UNREACHABLE_STAGE,
                        format!("no member can reach stage `{}`", stage.name),
                        stage.span,
                    )
                    .with_label("proven unreachable")
                    .with_help(help),
                );
            }
            for j in (i + 1)..stages.len() {
                self.overlap(i, j, out);
            }
        }
    }

    /// `stage_overlap`: stages `i` and `j` (`i` first) both true for an example member.
    fn overlap(&self, i: usize, j: usize, out: &mut Vec<Diagnostic>) {
        let stages = &self.program.stages;
        let (Some(first), Some(second)) = (&stages[i].condition, &stages[j].condition) else {
            return;
        };
        let both = Formula::and(vec![self.stage_condition(i), self.stage_condition(j)]);
        let Some((example, ())) = self.example(&both, |snapshot| {
            let member = decode::decode_value(self.program, snapshot).ok()?;
            let clock = self.playbook.clock(self.as_of);
            let mut evaluator = Evaluator::new(self.program, &member, &clock);
            let holds = |evaluator: &mut Evaluator<'_>, node| {
                matches!(evaluator.eval(node), Ok(Value::Bool(true)))
            };
            (holds(&mut evaluator, first) && holds(&mut evaluator, second)).then_some(())
        }) else {
            return;
        };
        let winner = self
            .playbook
            .plan(&example, self.as_of)
            .ok()
            .and_then(|plan| plan.stage)
            .map_or("no stage".to_string(), |s| format!("`{s}`"));
        out.push(
            Diagnostic::note(
                codes::DEEP_STAGE_OVERLAP,
                format!(
                    "stages `{}` and `{}` both hold for some members",
                    stages[i].name, stages[j].name
                ),
                stages[j].span,
            )
            .with_label("also true here")
            .with_secondary("checked first", stages[i].span)
            .with_help(format!(
                "stages are tried in order, so such a member gets {winner}: the example shows one"
            ))
            .with_example(example),
        );
    }

    /// The members for whom rule `r` is a candidate (its stages, its `when`).
    fn candidate(&self, r: usize) -> Formula {
        let rule = &self.program.rules[r];
        let mut parts = Vec::new();
        match &rule.stages {
            None => {}
            Some(stages) => parts.push(Formula::or(
                stages.iter().map(|&s| self.reaches(s as usize)).collect(),
            )),
        }
        if let Some(when) = &rule.when {
            parts.push(self.translator.condition(when));
        }
        Formula::and(parts)
    }

    fn rules(&self, out: &mut Vec<Diagnostic>) {
        for (r, rule) in self.program.rules.iter().enumerate() {
            // A quadrant guard that never matches is the checker's own warning.
            if !rule.active {
                continue;
            }
            if self.decide(&self.candidate(r)) != Verdict::Never {
                continue;
            }
            let when_alone = rule
                .when
                .as_ref()
                .is_some_and(|w| self.decide(&self.translator.condition(w)) == Verdict::Never);
            let help = if when_alone {
                "its `when` contradicts itself: no value of the fields satisfies it".to_string()
            } else {
                "its `when` contradicts the conditions of its stages: no member of those \
                 stages satisfies it"
                    .to_string()
            };
            out.push(
                Diagnostic::warning(
                    codes::DEEP_RULE_NEVER_FIRES,
                    format!("rule `{}` can never be a candidate", rule.name),
                    rule.span,
                )
                .with_label("proven never to fire")
                .with_help(help),
            );
        }
    }

    fn consent(&self, out: &mut Vec<Diagnostic>) {
        let channels = &self.program.channels;
        let Some(guarded) = channels.iter().find(|c| c.consent.is_some()) else {
            return;
        };
        for rule in &self.program.rules {
            for action in &rule.actions {
                let Some(channel) = action.channel.and_then(|c| channels.get(c as usize)) else {
                    continue;
                };
                if channel.consent.is_some() || !action.verb.is_touch() {
                    continue;
                }
                out.push(
                    Diagnostic::warning(
                        codes::DEEP_TOUCH_WITHOUT_CONSENT,
                        format!(
                            "rule `{}` touches members on `{}`, which asks for no consent",
                            rule.name, channel.name
                        ),
                        action.span,
                    )
                    .with_label("sent without consent")
                    .with_secondary("no `consent` clause", channel.span)
                    .with_help(format!(
                        "add a `consent` clause to channel `{}`, as channel `{}` has",
                        channel.name, guarded.name
                    )),
                );
            }
        }
    }

    /// `touch_budget`: a channel whose cap some member's candidate rules always exceed.
    fn budgets(&self, out: &mut Vec<Diagnostic>) {
        for (c, channel) in self.program.channels.iter().enumerate() {
            let Some(cap) = channel.cap else { continue };
            let mut formula = Vec::new();
            if let Some(consent) = &channel.consent {
                formula.push(self.translator.condition(consent));
            }
            let mut taken_groups = Vec::new();
            let mut touches = 0i64;
            for &r in &self.program.order {
                let rule = &self.program.rules[r as usize];
                let on_channel = rule
                    .actions
                    .iter()
                    .filter(|a| a.verb.is_touch() && a.channel == Some(c as u32))
                    .count() as i64;
                if on_channel == 0 || !rule.active {
                    continue;
                }
                if rule.group.is_some_and(|g| taken_groups.contains(&g)) {
                    continue;
                }
                let mut with = formula.clone();
                with.push(self.candidate(r as usize));
                if matches!(self.decide(&Formula::and(with.clone())), Verdict::Maybe(_)) {
                    formula = with;
                    touches += on_channel;
                    taken_groups.extend(rule.group);
                }
            }
            // The rules that can be candidates together cannot exceed the cap.
            if touches <= cap.count {
                continue;
            }
            let channel_index = c as u32;
            let Some((example, suppressed)) = self.example(&Formula::and(formula), |snapshot| {
                let plan = self.playbook.plan(snapshot, self.as_of).ok()?;
                let capped = plan
                    .suppressed
                    .iter()
                    .filter(|s| {
                        s.reason == Reason::ChannelCap
                            && s.channel.as_deref() == Some(&*channel.name)
                    })
                    .count();
                let planned = plan
                    .actions
                    .iter()
                    .filter(|a| a.channel_index == Some(channel_index))
                    .count();
                let tried = planned as i64 + capped as i64;
                (capped > 0 && tried > cap.count).then_some((planned, capped))
            }) else {
                continue;
            };
            let (planned, capped) = suppressed;
            out.push(
                Diagnostic::warning(
                    codes::DEEP_TOUCH_BUDGET,
                    format!(
                        "a member can have {} touches in one run on `{}`, past its cap of {}",
                        planned + capped,
                        channel.name,
                        cap.count
                    ),
                    channel.span,
                )
                .with_label("over its cap")
                .with_help(format!(
                    "the example member gets {planned} planned and {capped} suppressed \
                     `channel_cap`: raise the cap, or put the rules in one `group`"
                ))
                .with_example(example),
            );
        }
    }

    /// `touch_budget` on the policy: the rules that can be candidates together (one per
    /// `group`, each with the consent of its channels) plan more touches than
    /// `max_touches` allows, so an example member, planned, gets a `member_cap`
    /// suppression.
    fn member_budget(&self, out: &mut Vec<Diagnostic>) {
        let Some(cap) = self.program.max_touches else {
            return;
        };
        let channels = &self.program.channels;
        // The touches planned, each channel counted up to its own cap.
        let touches = |per_channel: &[i64]| -> i64 {
            per_channel
                .iter()
                .zip(channels)
                .map(|(&n, channel)| channel.cap.map_or(n, |c| n.min(c.count)))
                .sum()
        };
        let mut formula = Vec::new();
        let mut consented = vec![false; channels.len()];
        let mut per_channel = vec![0i64; channels.len()];
        let mut taken_groups = Vec::new();
        for &r in &self.program.order {
            let rule = &self.program.rules[r as usize];
            let touched: Vec<usize> = rule
                .actions
                .iter()
                .filter(|a| a.verb.is_touch())
                .filter_map(|a| a.channel.map(|c| c as usize))
                .filter(|&c| c < channels.len())
                .collect();
            if touched.is_empty() || !rule.active {
                continue;
            }
            if rule.group.is_some_and(|g| taken_groups.contains(&g)) {
                continue;
            }
            let mut with = formula.clone();
            with.push(self.candidate(r as usize));
            for &c in &touched {
                if let (false, Some(consent)) = (consented[c], &channels[c].consent) {
                    with.push(self.translator.condition(consent));
                }
            }
            if matches!(self.decide(&Formula::and(with.clone())), Verdict::Maybe(_)) {
                formula = with;
                for &c in &touched {
                    consented[c] = true;
                    per_channel[c] += 1;
                }
                taken_groups.extend(rule.group);
            }
            // One touch past the policy's cap is enough, and keeps the formula (and
            // the time to decide it) small.
            if touches(&per_channel) > cap.count {
                break;
            }
        }
        if touches(&per_channel) <= cap.count {
            return;
        }
        let Some((example, (planned, capped))) = self.example(&Formula::and(formula), |snapshot| {
            let plan = self.playbook.plan(snapshot, self.as_of).ok()?;
            let capped = plan
                .suppressed
                .iter()
                .filter(|s| s.reason == Reason::MemberCap)
                .count();
            let planned = plan.actions.iter().filter(|a| a.channel.is_some()).count();
            (capped > 0 && planned as i64 + capped as i64 > cap.count).then_some((planned, capped))
        }) else {
            return;
        };
        out.push(
            Diagnostic::warning(
                codes::DEEP_TOUCH_BUDGET,
                format!(
                    "a member can have {} touches in one run, past the policy's `max_touches` \
                     of {}",
                    planned + capped,
                    cap.count
                ),
                cap.span,
            )
            .with_label("over this cap")
            .with_help(format!(
                "the example member gets {planned} planned and {capped} suppressed \
                 `member_cap`: raise `max_touches`, or put the rules in one `group`"
            ))
            .with_example(example),
        );
    }

    /// An example member satisfying `formula` that `check` confirms, with what `check`
    /// returned.
    fn example<T>(
        &self,
        formula: &Formula,
        check: impl Fn(&Json) -> Option<T>,
    ) -> Option<(Json, T)> {
        let Verdict::Maybe(conjunctions) = self.decide(formula) else {
            return None;
        };
        conjunctions
            .iter()
            .take(EXAMPLE_TRIES)
            .find_map(|conjunction| {
                let snapshot = witness::snapshot(self.program, conjunction)?;
                let found = check(&snapshot)?;
                Some((snapshot, found))
            })
    }
}
