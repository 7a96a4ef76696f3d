//! One member's history as planning sees it: its stage at the latest earlier run and
//! since when it has been in it, and the touches planned for it by earlier runs. A
//! ledger reads these for every member of a run; a host (or a `test` block) may give
//! one by hand with [`History`].

use std::sync::Arc;

use jiff::Timestamp;

use crate::compile::Program;
use crate::eval::expr::{History as EvalHistory, MemberData, PreviousStage, Touch};
use crate::playbook::AsOf;

/// What earlier runs remember of one member, given by hand (the ledger reads its own).
///
/// ```
/// let playbook = siyu::Playbook::from_source("demo.rules", r#"
///     playbook "demo" {}
///     member { id: string, orders: int }
///     stage buyer when orders >= 1
///     stage fan otherwise
///     rule thanks { on enter buyer  then tag "first order" }
/// "#).map_err(|e| e.to_string())?;
/// let as_of = siyu::AsOf::parse("2026-11-25T09:00:00+08:00").map_err(|e| e.to_string())?;
/// let member = serde_json::json!({"id": "m1", "orders": 1});
/// let entering = siyu::History::seen_in(Some("fan"), as_of.days_before(3));
/// let staying = siyu::History::seen_in(Some("buyer"), as_of.days_before(3));
/// let plan = |h| playbook.plan_with_history(&member, as_of, h).map_err(|e| e.to_string());
/// assert_eq!(plan(&entering)?.actions.len(), 1);
/// assert_eq!(plan(&staying)?.actions.len(), 0);
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    previous: Option<(Option<String>, AsOf)>,
    touches: Vec<(Option<String>, Option<String>, AsOf)>,
}

impl History {
    /// A member no earlier run planned: it is entering whatever stage it is in.
    pub fn never_seen() -> History {
        History::default()
    }

    /// A member whose stage at the latest earlier run was `stage` (`None`: no stage),
    /// which it entered at `since`.
    pub fn seen_in(stage: Option<&str>, since: AsOf) -> History {
        History {
            previous: Some((stage.map(str::to_string), since)),
            touches: Vec::new(),
        }
    }

    /// With one more touch planned by an earlier run: its rule, its channel, its time.
    pub fn with_touch(mut self, rule: Option<&str>, channel: Option<&str>, at: AsOf) -> History {
        self.touches
            .push((rule.map(str::to_string), channel.map(str::to_string), at));
        self
    }

    /// A history as a ledger stored it.
    pub(crate) fn from_stored(stored: &StoredHistory) -> History {
        let at = |t: Timestamp| AsOf::from_timestamp(t);
        History {
            previous: stored
                .previous
                .as_ref()
                .map(|(stage, since)| (stage.as_deref().map(str::to_string), at(*since))),
            touches: stored
                .touches
                .iter()
                .map(|t| {
                    let text = |name: &Option<Arc<str>>| name.as_deref().map(str::to_string);
                    (text(&t.rule), text(&t.channel), at(t.at))
                })
                .collect(),
        }
    }

    /// Whether an earlier run planned the member.
    pub fn seen(&self) -> bool {
        self.previous.is_some()
    }

    /// The member's stage at the latest earlier run (the inner `None`: no stage), and
    /// since when it was in it; `None` when never seen.
    pub fn previous_stage(&self) -> Option<(Option<&str>, AsOf)> {
        self.previous
            .as_ref()
            .map(|(stage, since)| (stage.as_deref(), *since))
    }

    /// The touches earlier runs planned: rule, channel, time.
    pub fn touches(&self) -> impl Iterator<Item = (Option<&str>, Option<&str>, AsOf)> {
        self.touches
            .iter()
            .map(|(rule, channel, at)| (rule.as_deref(), channel.as_deref(), *at))
    }

    /// Gives this history to a decoded member.
    pub(crate) fn apply(&self, program: &Program, member: &mut MemberData) {
        let stored = StoredHistory {
            previous: self
                .previous
                .as_ref()
                .map(|(stage, since)| (stage.as_deref().map(Arc::from), since.timestamp())),
            touches: self
                .touches
                .iter()
                .map(|(rule, channel, at)| StoredTouch {
                    id: 0,
                    as_of: at.timestamp().as_second(),
                    rule: rule.as_deref().map(Arc::from),
                    channel: channel.as_deref().map(Arc::from),
                    at: at.timestamp(),
                })
                .collect(),
        };
        stored.apply(program, member);
    }
}

/// A member's history as a ledger stores it, names as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StoredHistory {
    /// The stage at the latest earlier run (`None` inside: no stage) and its entry.
    pub previous: Option<(Option<Arc<str>>, Timestamp)>,
    /// Touches planned by earlier runs (failed deliveries left out).
    pub touches: Vec<StoredTouch>,
}

/// A touch an earlier run planned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredTouch {
    /// The action's id (0 for a touch given by hand).
    pub id: u64,
    /// The as-of time of the run that planned it, in seconds.
    pub as_of: i64,
    pub rule: Option<Arc<str>>,
    pub channel: Option<Arc<str>>,
    pub at: Timestamp,
}

impl StoredHistory {
    /// Gives this history to a decoded member: its previous stage, and the touches not
    /// already in its snapshot (the same rule, channel and time are one touch).
    pub(crate) fn apply(&self, program: &Program, member: &mut MemberData) {
        let previous = self.previous.as_ref().map(|(name, since)| PreviousStage {
            // The playbook's own name when it has the stage: no new text per member.
            name: name.as_ref().map(|name| {
                program
                    .stages
                    .iter()
                    .find(|s| *s.name == **name)
                    .map_or_else(|| name.clone(), |s| s.name.clone())
            }),
            since: *since,
        });
        member.history = Some(EvalHistory { previous });
        let snapshot_touches = member.touches.len();
        for touch in &self.touches {
            let resolved = Touch {
                rule: touch.rule.as_deref().and_then(|r| program.rule_ids.get(r)),
                channel: touch
                    .channel
                    .as_deref()
                    .and_then(|c| program.channel_ids.get(c)),
                at: touch.at,
            };
            let known = resolved.rule.is_some() == touch.rule.is_some()
                && resolved.channel.is_some() == touch.channel.is_some();
            let duplicate = known && member.touches[..snapshot_touches].contains(&resolved);
            if !duplicate {
                member.touches.push(resolved);
            }
        }
    }
}
