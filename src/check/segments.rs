//! Segments that use each other in a cycle. Each cycle is reported once, at the
//! segment where a search in declaration order enters it, naming the whole cycle, with
//! a label on the use that closes it. The search walks an
//! explicit stack, so a long chain of segments cannot overflow the call stack.

use std::collections::HashMap;

use super::names::Names;
use super::Context;
use crate::diagnostics::{codes, Diagnostic, Span};

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    Open,
    Done,
}

/// Reports every cycle among segments.
pub(super) fn cycles(names: &Names, cx: &mut Context) {
    let order: Vec<&str> = names.segments.keys().copied().collect();
    let edges = edges(&order, cx);
    for (members, closing) in find_cycles(&edges) {
        cx.push(cycle_diagnostic(names, &order, &members, closing));
    }
}

/// The segments each segment uses: (index in `order`, where it is used).
fn edges(order: &[&str], cx: &Context) -> Vec<Vec<(usize, Span)>> {
    let index: HashMap<&str, usize> = order.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    order
        .iter()
        .map(|name| {
            cx.segment_uses
                .get(*name)
                .map(|uses| {
                    uses.iter()
                        .filter_map(|(used, span)| Some((*index.get(used.as_str())?, *span)))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// Every cycle a depth-first search meets: its members in order, and the use that
/// closes it.
fn find_cycles(edges: &[Vec<(usize, Span)>]) -> Vec<(Vec<usize>, Span)> {
    let mut marks = vec![Mark::New; edges.len()];
    let mut found = Vec::new();
    for start in 0..edges.len() {
        if marks.get(start) != Some(&Mark::New) {
            continue;
        }
        // (segment, next edge to follow)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        set(&mut marks, start, Mark::Open);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(&(target, span)) = edges.get(node).and_then(|e| e.get(*next)) else {
                set(&mut marks, node, Mark::Done);
                stack.pop();
                continue;
            };
            *next += 1;
            match marks.get(target) {
                Some(Mark::New) => {
                    set(&mut marks, target, Mark::Open);
                    stack.push((target, 0));
                }
                Some(Mark::Open) => {
                    let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                    let members = stack.iter().skip(from).map(|(n, _)| *n).collect();
                    found.push((members, span));
                }
                _ => {}
            }
        }
    }
    found
}

fn set(marks: &mut [Mark], index: usize, mark: Mark) {
    if let Some(slot) = marks.get_mut(index) {
        *slot = mark;
    }
}

fn cycle_diagnostic(names: &Names, order: &[&str], members: &[usize], closing: Span) -> Diagnostic {
    let first = members.first().copied().unwrap_or(0);
    let mut chain: Vec<String> = members
        .iter()
        .filter_map(|i| order.get(*i))
        .map(|n| format!("`{n}`"))
        .collect();
    let head = order.get(first).copied().unwrap_or("");
    chain.push(format!("`{head}`"));
    let span = names
        .segments
        .get(head)
        .map(|s| s.name.span)
        .unwrap_or(closing);
    let message = if members.len() == 1 {
        format!("segment `{head}` uses itself")
    } else {
        format!("segments use each other in a cycle: {}", chain.join(" → "))
    };
    Diagnostic::error(codes::SEGMENT_CYCLE, message, span)
        .with_label("part of the cycle")
        .with_secondary("the cycle closes here", closing)
        .with_help("a segment may use other segments, but not itself, directly or through others")
}
