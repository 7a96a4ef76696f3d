//! Writing a trace in words: what `siyu explain` and the REPL's `:explain` print.

use std::fmt::{self, Write as _};

use super::*;
use crate::eval::value::Value;
use crate::plan;

fn mark(holds: bool) -> &'static str {
    if holds {
        "✓"
    } else {
        "✗"
    }
}

fn is_literal(text: &str, value: &Value) -> bool {
    text == value.to_string()
        || matches!(value, Value::Str(s) if text.trim_matches(['"', '\'']) == &**s)
}

impl Explained {
    /// One line with the expression and its value.
    fn write_whole(&self, out: &mut String, indent: usize) {
        let _ = writeln!(
            out,
            "{}{} {} is {}",
            " ".repeat(indent),
            mark(self.value.is_true()),
            self.text,
            self.value
        );
    }

    /// This expression as one part of a larger condition: its own line with its truth,
    /// then, indented under it, the parts that decided it.
    fn write_as_part(&self, out: &mut String, indent: usize) {
        match self.detail {
            Detail::Leaf => self.write_whole(out, indent),
            Detail::Parts(_) => {
                self.write_whole(out, indent);
                self.write_parts(out, indent + 2);
            }
            _ => self.write_parts(out, indent),
        }
    }

    /// The parts that decided the value, one line each, indented by `indent`.
    fn write_parts(&self, out: &mut String, indent: usize) {
        let pad = " ".repeat(indent);
        match &self.detail {
            Detail::Leaf => {}
            Detail::Comparison { left, op, right } => {
                let holds = mark(self.value.is_true());
                let _ = write!(out, "{pad}{holds} ");
                if is_literal(&left.0, &left.1) {
                    let _ = write!(out, "{}", left.1);
                } else {
                    let _ = write!(out, "{} = {}", left.0, left.1);
                }
                match right {
                    None => {
                        let _ = writeln!(out, ", needs {op}");
                    }
                    Some((text, value)) if is_literal(text, value) => {
                        let _ = writeln!(out, ", needs {op} {value}");
                    }
                    Some((text, value)) => {
                        let _ = writeln!(out, ", needs {op} {text} (= {value})");
                    }
                }
            }
            Detail::Parts(parts) => {
                for part in parts {
                    part.write_as_part(out, indent);
                }
            }
            Detail::Not(inner) => {
                // The truth of the whole `not …` first, then what it negates, so that a
                // false part under a true `not` does not read as the failure.
                self.write_whole(out, indent);
                inner.write_as_part(out, indent + 2);
            }
            Detail::Segment { name, condition } => {
                let _ = writeln!(
                    out,
                    "{pad}{} segment `{name}` is {}: {}",
                    mark(self.value.is_true()),
                    condition.value.is_true(),
                    condition.text
                );
                condition.write_parts(out, indent + 2);
            }
        }
    }
}

fn duration_words(seconds: i64) -> String {
    Value::Duration(seconds).render(&jiff::tz::TimeZone::UTC)
}

impl Step {
    fn write(&self, out: &mut String, rule: &RuleStep) {
        match self {
            Step::HeldOut => {
                let _ = writeln!(
                    out,
                    "    ✗ suppressed: the member is in the holdout (control) group"
                );
            }
            Step::GroupTaken { group } => {
                let _ = writeln!(
                    out,
                    "    ✗ suppressed: an earlier rule already took the group `{group}`"
                );
            }
            Step::GroupCapped {
                group,
                counted,
                limit,
                per_seconds,
            } => {
                let _ = writeln!(
                    out,
                    "    ✗ suppressed: the group `{group}` is at its cap ({counted} touches of its rules in the last {}, cap {limit})",
                    duration_words(*per_seconds)
                );
            }
            Step::NoConsent {
                verb,
                channel,
                consent,
            } => {
                let _ = writeln!(out, "    ✗ {verb} via {channel} suppressed: no consent");
                if let Some(consent) = consent {
                    let _ = writeln!(out, "      {} is {}", consent.text, consent.value);
                    consent.write_parts(out, 8);
                }
            }
            Step::Capped {
                verb,
                channel,
                reason,
                counted,
                limit,
                per_seconds,
            } => {
                let whose = match reason {
                    Reason::RuleCap => format!("the rule `{}`", rule.rule),
                    Reason::ChannelCap => format!("the channel `{channel}`"),
                    _ => "the member".to_string(),
                };
                let _ = writeln!(
                    out,
                    "    ✗ {verb} via {channel} suppressed ({reason}): {whose} already has {counted} touch(es), cap {limit} per {}",
                    duration_words(*per_seconds)
                );
            }
            Step::Planned { action, asked } => {
                let via = action
                    .channel
                    .as_ref()
                    .map(|c| format!(" via {c}"))
                    .unwrap_or_default();
                let at = plan::format_rfc3339(&action.at);
                let _ = write!(out, "    ✓ {}{via} planned at {at}", action.verb);
                if asked.timestamp() != action.at.timestamp() {
                    let _ = write!(
                        out,
                        " ({} is outside the channel's window; moved to its next opening)",
                        asked.strftime("%H:%M")
                    );
                }
                let _ = writeln!(out);
                let _ = writeln!(out, "      content: {}", action.content);
                for (key, value) in &action.args {
                    let _ = writeln!(out, "      {key}: {value}");
                }
            }
        }
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "member {} at {}",
            self.member,
            plan::format_rfc3339(&self.as_of)
        );
        let _ = writeln!(out);
        match &self.stage {
            Some(stage) => {
                let label = self
                    .stages
                    .iter()
                    .find(|s| s.chosen)
                    .map(|s| &*s.label)
                    .unwrap_or("");
                let _ = writeln!(out, "stage: {stage} ({label})");
            }
            None => {
                let _ = writeln!(out, "stage: none (no stage condition is true)");
            }
        }
        for step in &self.stages {
            match &step.condition {
                None => {
                    let _ = writeln!(out, "  ✓ {} (otherwise)", step.stage);
                }
                Some(condition) => {
                    let holds = condition.value.is_true();
                    let _ = writeln!(
                        out,
                        "  {} {}: {} is {}",
                        mark(holds),
                        step.stage,
                        condition.text,
                        holds
                    );
                    condition.write_parts(&mut out, 6);
                }
            }
        }
        let holdout = &self.holdout;
        if holdout.threshold == 0 {
            let _ = writeln!(out, "holdout: no (the playbook holds no one out)");
        } else {
            let _ = writeln!(
                out,
                "holdout: {} (bucket {} of 10000; {}% holds out buckets below {})",
                if holdout.held_out { "yes" } else { "no" },
                holdout.bucket,
                holdout.percent,
                holdout.threshold
            );
        }
        for step in &self.variants {
            step.write(&mut out);
        }
        if let Some(history) = &self.history {
            history.write(&mut out, self.stage.as_deref());
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "rules, by priority:");
        for rule in &self.rules {
            rule.write(&mut out, self);
        }
        let _ = writeln!(
            out,
            "\n{} action(s) planned, {} suppressed",
            self.plan.actions.len(),
            self.plan.suppressed.len()
        );
        f.write_str(&out)
    }
}

impl VariantStep {
    fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "experiment {}: {} (bucket {} of 10000; ",
            self.experiment, self.variant, self.bucket
        );
        let _ = match self.buckets {
            Some((low, high)) => writeln!(out, "{} holds buckets {low} to {})", self.variant, high - 1),
            None => writeln!(out, "no variant holds it)"),
        };
    }
}

impl RuleStep {
    fn write(&self, out: &mut String, trace: &Trace) {
        let stage = trace.stage.as_deref();
        let label = if *self.label == *self.rule {
            String::new()
        } else {
            format!(" \"{}\"", self.label)
        };
        let _ = write!(out, "  {}{label} (priority {})", self.rule, self.priority);
        match &self.outcome {
            RuleOutcome::QuadrantMismatch => {
                let _ = writeln!(out, ": skipped, its quadrant does not match the playbook's");
            }
            RuleOutcome::StageNotAdmitted { stages } => {
                let names: Vec<&str> = stages.iter().map(|s| &**s).collect();
                let _ = writeln!(
                    out,
                    ": skipped, not for stage {} (only {})",
                    stage.unwrap_or("null"),
                    names.join(", ")
                );
            }
            RuleOutcome::NotEntering { stage } => {
                let _ = writeln!(
                    out,
                    ": skipped, `on enter`: the member was already in {} at the latest run",
                    stage.as_deref().map_or("no stage".to_string(), |s| format!("`{s}`"))
                );
            }
            RuleOutcome::VariantNotAdmitted { variants } => {
                let member = |experiment: &str| {
                    let step = trace.variants.iter().find(|s| &*s.experiment == experiment);
                    step.map_or("none", |s| &*s.variant)
                };
                let mut experiments: Vec<&str> = Vec::new();
                for (experiment, _) in variants {
                    if !experiments.contains(&&**experiment) {
                        experiments.push(experiment);
                    }
                }
                let theirs: Vec<String> = experiments
                    .iter()
                    .map(|e| format!("{e}.{}", member(e)))
                    .collect();
                let admitted: Vec<String> =
                    variants.iter().map(|(e, v)| format!("{e}.{v}")).collect();
                let _ = writeln!(
                    out,
                    ": skipped, not for variant {} (only {})",
                    theirs.join(", "),
                    admitted.join(", ")
                );
            }
            RuleOutcome::WhenFalse(when) => {
                let _ = writeln!(out, ": skipped, `when {}` is {}", when.text, when.value);
                when.write_parts(out, 6);
            }
            RuleOutcome::Candidate { when, steps } => {
                let _ = writeln!(out);
                if let Some(when) = when {
                    let _ = writeln!(out, "    when {} is true", when.text);
                    when.write_parts(out, 6);
                }
                for step in steps {
                    step.write(out, self);
                }
            }
        }
    }
}

impl HistoryStep {
    fn write(&self, out: &mut String, stage: Option<&str>) {
        let stage = stage.map_or("no stage".to_string(), |s| format!("`{s}`"));
        match &self.previous {
            None => {
                let _ = writeln!(
                    out,
                    "history: never planned by an earlier run, so entering {stage} today"
                );
            }
            Some((previous, since)) => {
                let previous = previous
                    .as_deref()
                    .map_or("no stage".to_string(), |s| format!("`{s}`"));
                let since = plan::format_rfc3339(since);
                if self.entering {
                    let _ = writeln!(
                        out,
                        "history: {previous} at the latest run (since {since}), entering {stage} today"
                    );
                } else {
                    let days = match self.stage_days {
                        1 => "1 day".to_string(),
                        n => format!("{n} days"),
                    };
                    let _ = writeln!(out, "history: in {stage} since {since} ({days})");
                }
            }
        }
    }
}
