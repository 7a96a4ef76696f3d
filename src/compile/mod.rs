//! The checked syntax tree turned into what evaluation runs ([`Program`]): fields
//! resolved to slots, segments indexed, regexes compiled, rules pre-sorted by priority,
//! stage, channel and rule tables indexed by integers, templates pre-split.
//!
//! Compilation assumes a tree the checker has accepted, but it never panics on anything
//! odd: whatever it cannot compile becomes a [`Diagnostic`]. Choices made here where the
//! language description is silent:
//!
//! - A file without a `playbook` declaration is a library meant to be included; it
//!   checks (with a warning) but is refused here, since it cannot be run.
//! - A rule's quadrant guard matches only when every axis it names equals the
//!   playbook's; an axis the playbook leaves out matches no guard.
//! - Inside `any`, `all`, `count`, the lambda's parameter hides a segment or field of
//!   the same name.
//! - Evaluation depth (expressions, with segments expanded) is limited so that no
//!   playbook can exhaust the stack.

mod expr;
mod names;
mod program;
mod rules;
mod schema;

use std::collections::HashMap;
use std::sync::Arc;

use jiff::tz::{Offset, TimeZone};

use crate::ast::{self, Item, Level, PlaybookClause, PolicyClause};
use crate::diagnostics::{codes, Diagnostic, SourceMap, Span};
use names::NameIndex;

pub(crate) use expr::{Compare, Function, Node, NodeKind, Quantifier, Scope};
pub use program::Program;
pub(crate) use program::{ActionSpec, CapLimit, DayWindow, Rule, Segment, TemplatePiece};
pub(crate) use schema::{FieldType, IdType, Layout, ObjectSchema};

/// The deepest evaluation (segments expanded) a playbook may ask for.
const MAX_EVALUATION_DEPTH: usize = crate::limits::MAX_EVALUATION_DEPTH;

/// Compiles a playbook's declarations (includes already spliced in) into a [`Program`].
/// Returns every error found; warnings are never returned.
pub fn compile(sources: &SourceMap, items: &[Item]) -> Result<Program, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let header = playbook_header(items, &mut diagnostics);
    let mut layout = member_layout(items, &mut diagnostics);
    let experiments = experiments(items);
    layout.experiments = experiments
        .iter()
        .map(|e| {
            let variants = e.variants.iter().map(|(name, _, _)| name.clone()).collect();
            (e.name.clone(), variants)
        })
        .collect();
    let segment_ids = segment_names(items, &layout, &mut diagnostics);
    let segments = compile_segments(items, &mut layout, &segment_ids, &mut diagnostics);
    let segment_depths = segment_depths(&segments, &mut diagnostics);
    let mut tables = rules::Tables::default();
    rules::stages(
        items,
        &mut tables,
        &mut layout,
        &segment_ids,
        &mut diagnostics,
    );
    rules::channels(
        items,
        &mut tables,
        &mut layout,
        &segment_ids,
        &mut diagnostics,
    );
    rules::rules(
        items,
        &mut tables,
        &mut layout,
        &segment_ids,
        &header.quadrant,
        &mut diagnostics,
    );
    let policy = policy(items, &mut diagnostics);
    tables.check_depths(&segment_depths, MAX_EVALUATION_DEPTH, &mut diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect());
    }
    let mut order: Vec<u32> = (0..tables.rules.len() as u32).collect();
    order.sort_by_key(|&i| {
        let priority = tables.rules.get(i as usize).map_or(0, |r| r.priority);
        (std::cmp::Reverse(priority), i)
    });
    let channel_ids = NameIndex::from_names(tables.channels.iter().map(|c| &*c.name));
    let rule_ids = NameIndex::from_names(tables.rules.iter().map(|r| &*r.name));
    let reads_history = layout.reads_history || tables.rules.iter().any(|r| r.on_enter);
    let longest_cap = tables
        .rules
        .iter()
        .filter_map(|r| r.cap)
        .chain(tables.channels.iter().filter_map(|c| c.cap))
        .chain(tables.group_caps.iter().flatten().copied())
        .chain(policy.max_touches)
        .map(|cap| cap.seconds)
        .max()
        .unwrap_or(0);
    let key = header.key.unwrap_or_else(|| header.name.clone());
    Ok(Program {
        sources: sources.clone(),
        name: header.name,
        quadrant: header.quadrant,
        zone: header.zone,
        zone_name: header.zone_name,
        layout,
        segments,
        stages: tables.stages,
        channels: tables.channels,
        rules: tables.rules,
        order,
        groups: tables.groups,
        group_caps: tables.group_caps,
        key,
        reads_history,
        longest_cap,
        max_touches: policy.max_touches,
        holdout_buckets: (policy.holdout * 100.0).round() as u32,
        holdout_percent: policy.holdout,
        channel_ids,
        rule_ids,
        experiments,
    })
}

/// The experiments, in declaration order (the checker has vouched for their shares).
fn experiments(items: &[Item]) -> Vec<program::Experiment> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Experiment(decl) => Some(decl),
            _ => None,
        })
        .map(|decl| {
            let shares: Vec<(Arc<str>, f64)> = decl
                .variants
                .iter()
                .map(|v| (Arc::from(v.name.name.as_str()), v.share))
                .collect();
            let name = Arc::from(decl.name.name.as_str());
            program::Experiment::new(name, rules::label(&decl.label, &decl.name), &shares)
        })
        .collect()
}

struct Header {
    name: Arc<str>,
    key: Option<Arc<str>>,
    quadrant: (Option<Level>, Option<Level>),
    zone: TimeZone,
    zone_name: String,
}

fn playbook_header(items: &[Item], diagnostics: &mut Vec<Diagnostic>) -> Header {
    let mut header = Header {
        name: Arc::from(""),
        key: None,
        quadrant: (None, None),
        zone: TimeZone::fixed(jiff::tz::offset(8)),
        zone_name: "+08:00".into(),
    };
    let mut first: Option<Span> = None;
    for item in items {
        let Item::Playbook(decl) = item else { continue };
        if let Some(first) = first {
            diagnostics.push(
                Diagnostic::error(
                    codes::PLAYBOOK_DECL,
                    "a playbook has only one `playbook` declaration",
                    decl.span,
                )
                .with_secondary("first declared here", first),
            );
            continue;
        }
        first = Some(decl.span);
        header.name = Arc::from(decl.name.value.as_str());
        for clause in &decl.clauses {
            match clause {
                PlaybookClause::Quadrant(spec) => {
                    header.quadrant = (
                        spec.online.map(|(level, _)| level),
                        spec.frequency.map(|(level, _)| level),
                    );
                }
                PlaybookClause::Key(key, _) => header.key = Some(Arc::from(key.value.as_str())),
                PlaybookClause::Timezone(name) => match parse_zone(&name.value) {
                    Some(zone) => {
                        header.zone = zone;
                        header.zone_name = name.value.clone();
                    }
                    None => diagnostics.push(
                        Diagnostic::error(
                            codes::BAD_TIMEZONE,
                            format!("unknown time zone `{}`", name.value),
                            name.span,
                        )
                        .with_help("write a fixed offset such as \"+08:00\" or an IANA name such as \"Asia/Shanghai\""),
                    ),
                },
            }
        }
    }
    if first.is_none() {
        let span = items.first().map(Item::span).unwrap_or_default();
        diagnostics.push(
            Diagnostic::error(
                codes::NO_PLAYBOOK,
                "this file has no `playbook` declaration, so it cannot be run",
                span,
            )
            .with_help("add `playbook \"name\" { … }`, or include this file from a playbook"),
        );
    }
    header
}

/// A fixed offset (`+08:00`, `-05:30`, `+08`) or an IANA name (`Asia/Shanghai`).
pub fn parse_zone(text: &str) -> Option<TimeZone> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return TimeZone::get(text).ok(),
    };
    let rest = text.get(1..)?;
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => (rest.get(..2)?, rest.get(2..)?),
        None => (rest, "0"),
    };
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hours) || !all_digits(minutes) {
        return None;
    }
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    let offset = Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()?;
    Some(TimeZone::fixed(offset))
}

fn member_layout(items: &[Item], diagnostics: &mut Vec<Diagnostic>) -> Layout {
    let mut layout: Option<(Layout, Span)> = None;
    for item in items {
        let Item::Member(decl) = item else { continue };
        if let Some((_, first)) = &layout {
            diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    "a playbook has at most one `member` block",
                    decl.span,
                )
                .with_secondary("first declared here", *first),
            );
            continue;
        }
        layout = Some((Layout::typed(decl, diagnostics), decl.span));
    }
    layout.map_or_else(Layout::untyped, |(layout, _)| layout)
}

fn segment_names(
    items: &[Item],
    layout: &Layout,
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<String, u32> {
    let mut ids = HashMap::new();
    let mut spans: Vec<Span> = Vec::new();
    for item in items {
        let Item::Segment(decl) = item else { continue };
        let name = &decl.name.name;
        if let Some(&first) = ids.get(name) {
            let first_span = spans.get(first as usize).copied().unwrap_or_default();
            diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("segment `{name}` is declared twice"),
                    decl.name.span,
                )
                .with_secondary("first declared here", first_span),
            );
        } else if layout.typed && layout.fields.field(name).is_some() {
            diagnostics.push(Diagnostic::error(
                codes::SEGMENT_FIELD_CLASH,
                format!("segment `{name}` has the name of a member field"),
                decl.name.span,
            ));
        }
        if !ids.contains_key(name) {
            ids.insert(name.clone(), spans.len() as u32);
        }
        spans.push(decl.name.span);
    }
    ids
}

fn compile_segments(
    items: &[Item],
    layout: &mut Layout,
    segment_ids: &HashMap<String, u32>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for item in items {
        let Item::Segment(decl) = item else { continue };
        if !seen.insert(decl.name.name.clone()) {
            continue;
        }
        let condition = Scope::new(layout, segment_ids, diagnostics).compile(&decl.condition);
        segments.push(Segment {
            name: Arc::from(decl.name.name.as_str()),
            condition: condition.unwrap_or(Node {
                kind: NodeKind::Const(crate::eval::value::Value::Null),
                span: decl.span,
            }),
        });
    }
    segments
}

/// Each segment's evaluation depth (its references expanded); reports cycles.
fn segment_depths(segments: &[Segment], diagnostics: &mut Vec<Diagnostic>) -> Vec<usize> {
    let references: Vec<Vec<u32>> = segments
        .iter()
        .map(|segment| {
            let mut out = Vec::new();
            segment.condition.segments(&mut out);
            out
        })
        .collect();
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; segments.len()];
    let mut depths = vec![0usize; segments.len()];
    for start in 0..segments.len() {
        if state.get(start) != Some(&0) {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(s) = state.get_mut(start) {
            *s = 1;
        }
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let refs = references.get(node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&child) = refs.get(*next) {
                *next += 1;
                let child = child as usize;
                match state.get(child) {
                    Some(0) => {
                        state[child] = 1;
                        stack.push((child, 0));
                    }
                    Some(1) => {
                        let (name, span) = segments
                            .get(node)
                            .map(|s| (s.name.to_string(), s.condition.span))
                            .unwrap_or_default();
                        diagnostics.push(Diagnostic::error(
                            codes::SEGMENT_CYCLE,
                            format!("segment `{name}` depends on itself"),
                            span,
                        ));
                        // Break the cycle so depths stay finite.
                        state[child] = 2;
                    }
                    _ => {}
                }
            } else {
                stack.pop();
                if let Some(segment) = segments.get(node) {
                    depths[node] = segment.condition.depth_with(&depths);
                }
                state[node] = 2;
            }
        }
    }
    depths
}

struct Policy {
    max_touches: Option<CapLimit>,
    holdout: f64,
}

fn policy(items: &[Item], diagnostics: &mut Vec<Diagnostic>) -> Policy {
    let mut policy = Policy {
        max_touches: None,
        holdout: 0.0,
    };
    let mut first: Option<Span> = None;
    for item in items {
        let Item::Policy(decl) = item else { continue };
        if let Some(first) = first {
            diagnostics.push(
                Diagnostic::error(
                    codes::DUPLICATE,
                    "a playbook has at most one `policy` block",
                    decl.span,
                )
                .with_secondary("first declared here", first),
            );
            continue;
        }
        first = Some(decl.span);
        for clause in &decl.clauses {
            match clause {
                PolicyClause::MaxTouches(cap) => {
                    policy.max_touches = rules::cap_limit(cap, diagnostics);
                }
                PolicyClause::Holdout(percent, span) => {
                    if percent.is_finite() && (0.0..=100.0).contains(percent) {
                        policy.holdout = *percent;
                    } else {
                        diagnostics.push(Diagnostic::error(
                            codes::BAD_NUMBER,
                            "a holdout is a share between 0% and 100%",
                            *span,
                        ));
                    }
                }
            }
        }
    }
    policy
}

/// Whether a rule's quadrant guard matches the playbook's quadrant.
pub(crate) fn quadrant_matches(
    guard: &ast::QuadrantSpec,
    playbook: &(Option<Level>, Option<Level>),
) -> bool {
    let axis = |wanted: Option<(Level, Span)>, actual: Option<Level>| match wanted {
        None => true,
        Some((level, _)) => actual == Some(level),
    };
    axis(guard.online, playbook.0) && axis(guard.frequency, playbook.1)
}
