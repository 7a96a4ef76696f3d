//! Checks of the declarations other than rules and tests: the playbook's clauses and
//! timezone, channels (consent, window, cap), segments, stage conditions, and the
//! policy. Also the small helpers every block shares: clauses given twice, caps and
//! windows.

use std::collections::HashMap;

use super::exprs::{bad_time, ExprChecker};
use super::names::Names;
use super::Context;
use crate::ast::{
    Cap, ChannelClause, ChannelDecl, PlaybookClause, PlaybookDecl, PolicyClause, PolicyDecl,
    SegmentDecl, StageCondition, StageDecl, StrLit, Window,
};
use crate::diagnostics::{codes, Diagnostic, Span};

/// Remembers the first clause of each kind in one block, to report the second.
pub(super) struct Clauses<'w> {
    block: &'w str,
    first: HashMap<&'static str, Span>,
}

impl<'w> Clauses<'w> {
    /// For the block described by `block` (`` channel `dm` ``).
    pub fn new(block: &'w str) -> Self {
        Clauses {
            block,
            first: HashMap::new(),
        }
    }

    /// Records a clause; reports it when its kind was already given in this block.
    pub fn see(&mut self, clause: &'static str, span: Span, cx: &mut Context) {
        match self.first.get(clause) {
            Some(&first) => cx.push(
                Diagnostic::error(
                    codes::DUPLICATE_CLAUSE,
                    format!("`{clause}` is given twice in {}", self.block),
                    span,
                )
                .with_label("given again here")
                .with_secondary("first given here", first)
                .with_help(match clause {
                    "when" => "combine the conditions with `and` in one `when`".to_string(),
                    "stage" => "list every stage in one clause: `stage a, b`".to_string(),
                    _ => format!("keep one `{clause}`"),
                }),
            ),
            None => {
                self.first.insert(clause, span);
            }
        }
    }
}

/// The playbook's clauses: each once; a timezone that exists.
pub(super) fn playbook(decl: &PlaybookDecl, cx: &mut Context) {
    let mut clauses = Clauses::new("the `playbook`");
    for clause in &decl.clauses {
        match clause {
            PlaybookClause::Quadrant(spec) => clauses.see("quadrant", spec.span, cx),
            PlaybookClause::Timezone(zone) => {
                clauses.see("timezone", zone.span, cx);
                timezone(zone, cx);
            }
            PlaybookClause::Key(key, span) => {
                clauses.see("key", *span, cx);
                super::history::key(key, cx);
            }
        }
    }
}

/// A fixed offset such as `+08:00`, or an IANA name such as `Asia/Shanghai`.
fn timezone(zone: &StrLit, cx: &mut Context) {
    let name = zone.value.as_str();
    if fixed_offset(name).is_some() || jiff::tz::TimeZone::get(name).is_ok() {
        return;
    }
    let looks_like_offset = name.starts_with(['+', '-']);
    let help = if looks_like_offset {
        "write a fixed offset as a sign, two digits, a colon and two digits: `+08:00`"
    } else {
        "write a fixed offset such as `+08:00` or a time zone name such as `Asia/Shanghai`"
    };
    cx.push(
        Diagnostic::error(
            codes::BAD_TIMEZONE,
            format!("unknown timezone `{name}`"),
            zone.span,
        )
        .with_label("not an offset nor a known time zone")
        .with_help(help),
    );
}

/// The offset in seconds of `+HH:MM` / `-HH:MM`, hours 0 to 23, minutes 0 to 59.
pub(crate) fn fixed_offset(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    if bytes.len() != 6 || bytes.get(3) != Some(&b':') {
        return None;
    }
    let sign = match bytes.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let digits = |range: std::ops::Range<usize>| -> Option<i32> {
        let part = text.get(range)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let hours = digits(1..3)?;
    let minutes = digits(4..6)?;
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

/// A channel's clauses: consent a condition, a sound window, a sound cap.
pub(super) fn channel(decl: &ChannelDecl, names: &Names, cx: &mut Context) {
    let block = format!("channel `{}`", decl.name.name);
    let mut clauses = Clauses::new(&block);
    for clause in &decl.clauses {
        match clause {
            ChannelClause::Consent(expr) => {
                clauses.see("consent", expr.span, cx);
                let before = cx.diagnostics.len();
                ExprChecker::new(cx, names).condition(expr, "`consent`");
                consent_field_help(&mut cx.diagnostics[before..]);
            }
            ChannelClause::Window(window) => {
                clauses.see("window", window.span, cx);
                check_window(window, cx);
            }
            ChannelClause::Cap(cap) => {
                clauses.see("cap", cap.span, cx);
                check_cap(cap, "cap", cx);
            }
        }
    }
}

/// A window's ends in range and different.
fn check_window(window: &Window, cx: &mut Context) {
    let mut sound = true;
    for end in [&window.start, &window.end] {
        if bad_time(end).is_some() {
            sound = false;
            let help = if end.hour == 24 && end.minute == 0 {
                "midnight is written `00:00`"
            } else {
                "hours go from 00 to 23 and minutes from 00 to 59"
            };
            cx.push(
                Diagnostic::error(
                    codes::BAD_WINDOW,
                    format!("`{:02}:{:02}` is not a time of day", end.hour, end.minute),
                    end.span,
                )
                .with_label("out of range")
                .with_help(help),
            );
        }
    }
    let same = (window.start.hour, window.start.minute) == (window.end.hour, window.end.minute);
    if sound && same {
        cx.push(
            Diagnostic::error(
                codes::BAD_WINDOW,
                "the window opens and closes at the same time",
                window.span,
            )
            .with_label("empty window")
            .with_help("a window includes its start and excludes its end; leave `window` out for a channel that is always open"),
        );
    }
}

/// `cap N per D` and `max_touches N per D`: at least one touch, over a positive
/// duration.
pub(super) fn check_cap(cap: &Cap, keyword: &str, cx: &mut Context) {
    if cap.count < 1 {
        cx.push(
            Diagnostic::error(
                codes::BAD_NUMBER,
                format!(
                    "`{keyword}` must allow at least one touch, found {}",
                    cap.count
                ),
                cap.span,
            )
            .with_label("fewer than one")
            .with_help(format!(
                "write e.g. `{keyword} 1 per 7d`; to stop a rule or channel, remove it"
            )),
        );
    }
    if cap.per.amount < 1 {
        cx.push(
            Diagnostic::error(
                codes::BAD_NUMBER,
                format!(
                    "`{keyword}` counts over a duration of at least one unit, found `{}{}`",
                    cap.per.amount,
                    cap.per.unit.suffix()
                ),
                cap.per.span,
            )
            .with_label("no time to count over")
            .with_help("write e.g. `per 1d` or `per 7d`"),
        );
    }
}

/// A segment's condition, and its name against the schema's fields.
pub(super) fn segment(decl: &SegmentDecl, names: &Names, cx: &mut Context) {
    let schema_field = names
        .schema
        .as_ref()
        .and_then(|s| s.fields.get(&decl.name.name).map(|f| f.span));
    if let Some(field) = schema_field {
        cx.push(
            Diagnostic::error(
                codes::SEGMENT_FIELD_CLASH,
                format!(
                    "segment `{}` has the name of a member field",
                    decl.name.name
                ),
                decl.name.span,
            )
            .with_label("segment")
            .with_secondary("field declared here", field)
            .with_help("rename the segment; a bare name would otherwise mean two things"),
        );
    }
    let mut checker = ExprChecker::new(cx, names);
    checker.condition(&decl.condition, &format!("segment `{}`", decl.name.name));
    let uses = std::mem::take(&mut checker.segments_used);
    let stage_days = checker.stage_days_used;
    let is_first = names
        .segments
        .get(decl.name.name.as_str())
        .is_some_and(|first| std::ptr::eq(*first, decl));
    if is_first {
        cx.segment_uses.insert(decl.name.name.clone(), uses);
        if let Some(span) = stage_days {
            cx.stage_days_in_segments
                .insert(decl.name.name.clone(), span);
        }
    }
}

/// A stage's condition.
pub(super) fn stage(decl: &StageDecl, names: &Names, cx: &mut Context) {
    if let StageCondition::When(expr) = &decl.condition {
        let mut checker = ExprChecker::new(cx, names);
        checker.condition(expr, &format!("stage `{}`", decl.name.name));
        let uses = std::mem::take(&mut checker.segments_used);
        if let Some(span) = checker.stage_days_used {
            cx.push(super::history::stage_days_in_stage(&decl.name.name, span, None));
        }
        cx.stage_segment_uses.push((decl.name.name.clone(), uses));
    }
}

/// The policy's clauses: each once; sound numbers.
pub(super) fn policy(decl: &PolicyDecl, cx: &mut Context) {
    let mut clauses = Clauses::new("the `policy`");
    for clause in &decl.clauses {
        match clause {
            PolicyClause::MaxTouches(cap) => {
                clauses.see("max_touches", cap.span, cx);
                check_cap(cap, "max_touches", cx);
            }
            PolicyClause::Holdout(percent, span) => {
                clauses.see("holdout", *span, cx);
                if !(0.0..=100.0).contains(percent) {
                    cx.push(
                        Diagnostic::error(
                            codes::BAD_NUMBER,
                            format!("a holdout is between 0% and 100%, found {percent}%"),
                            *span,
                        )
                        .with_label("out of range")
                        .with_help("write e.g. `holdout 5%`"),
                    );
                }
            }
        }
    }
}

/// A consent flag missing from the schema is a `bool`: say so in the help.
fn consent_field_help(new: &mut [Diagnostic]) {
    for diagnostic in new.iter_mut().filter(|d| d.code == codes::UNKNOWN_FIELD) {
        let Some(help) = &diagnostic.help else {
            continue;
        };
        // "add `live` to `consent` in the `member` block, with its type"
        let Some(rest) = help.strip_prefix("add `") else {
            continue;
        };
        let Some((field, place)) = rest.split_once('`') else {
            continue;
        };
        let Some(place) = place.strip_suffix(", with its type") else {
            continue;
        };
        diagnostic.help = Some(format!(
            "add `{field}: bool`{place} (a consent flag is a `bool`)"
        ));
    }
}
