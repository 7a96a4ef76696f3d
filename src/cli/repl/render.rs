//! How the REPL shows things: values in the playbook's notation, plans and stages in
//! short readable lines, and diagnostics drawn the way `siyu check` draws them.

use std::fmt::Write as _;

use jiff::tz::TimeZone;
use miette::{GraphicalReportHandler, GraphicalTheme};
use siyu::{Diagnostic, Plan, SourceMap, Trace, Value};

/// A value as the language writes it: strings quoted, dates and date-times as
/// literals (date-times in the playbook's zone), durations like `7d`, lists in
/// brackets, objects in braces.
pub fn value(value: &Value, zone: &TimeZone) -> String {
    let mut out = String::new();
    write_value(&mut out, value, zone);
    out
}

fn write_value(out: &mut String, value: &Value, zone: &TimeZone) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Str(text) => write_string(out, text),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, zone);
            }
            out.push(']');
        }
        Value::Object(object) if object.is_empty() => out.push_str("{}"),
        Value::Object(object) => {
            out.push_str("{ ");
            for (i, (key, item)) in object.fields().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push_str(": ");
                write_value(out, item, zone);
            }
            out.push_str(" }");
        }
        Value::Float(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
            // Keep a float recognisable as one: `2047.0`, not `2047`.
            let _ = write!(out, "{number:.1}");
        }
        other => other.render_into(out, zone),
    }
}

/// A string literal with the language's escapes.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Draws diagnostics with source snippets, like `siyu check`.
pub struct Diagnostics {
    handler: GraphicalReportHandler,
}

impl Diagnostics {
    /// A renderer: the one every command draws with when `colour` (which the REPL
    /// allows only on a terminal), else the same without colour.
    pub fn new(colour: bool) -> Self {
        let handler = if colour {
            crate::cli::render::handler()
        } else {
            GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100)
        };
        Diagnostics { handler }
    }

    /// One diagnostic drawn with its snippet; the plain message if drawing fails or a
    /// span points into no known file.
    pub fn draw(&self, diagnostic: &Diagnostic, sources: &SourceMap) -> String {
        let known = |file: siyu::FileId| sources.files().any(|(id, _)| id == file);
        let plain = format!("{}: {}\n", diagnostic.code, diagnostic.message);
        if !known(diagnostic.span.file) || !diagnostic.labels.iter().all(|l| known(l.span.file)) {
            return plain;
        }
        crate::cli::render::draw(&self.handler, &diagnostic.report(sources))
    }
}

/// The stage line of `:stage`, with each condition tried up to the chosen one.
pub fn stage(trace: &Trace) -> String {
    let mut out = String::new();
    match &trace.stage {
        Some(name) => {
            let label = trace
                .stages
                .iter()
                .find(|step| step.chosen)
                .map(|step| &*step.label)
                .unwrap_or("");
            let _ = writeln!(out, "{name} ({label})");
        }
        None => out.push_str("none: no stage condition is true\n"),
    }
    for step in &trace.stages {
        match &step.condition {
            None => {
                let _ = writeln!(out, "  ✓ {} (otherwise)", step.stage);
            }
            Some(condition) => {
                let holds = condition.value.is_true();
                let mark = if holds { "✓" } else { "✗" };
                let _ = writeln!(
                    out,
                    "  {mark} {}: {} is {holds}",
                    step.stage, condition.text
                );
            }
        }
    }
    out
}

/// A plan in short lines: the stage, each planned action and each suppression.
pub fn plan(plan: &Plan) -> String {
    let mut out = String::new();
    let stage = plan.stage.as_deref().unwrap_or("none");
    let holdout = if plan.holdout { ", held out" } else { "" };
    let _ = writeln!(out, "member {} · stage {stage}{holdout}", plan.member);
    if !plan.variants.is_empty() {
        let variants: Vec<String> = plan
            .variants
            .iter()
            .map(|(experiment, variant)| format!("{experiment}.{variant}"))
            .collect();
        let _ = writeln!(out, "  variant {}", variants.join(", "));
    }
    if plan.actions.is_empty() {
        out.push_str("  no action planned\n");
    }
    for action in &plan.actions {
        let channel = action
            .channel
            .as_deref()
            .map(|c| format!(" via {c}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  ✓ {} {}{channel} at {} (priority {})",
            action.rule,
            action.verb.name(),
            siyu::format_rfc3339(&action.at),
            action.priority
        );
        if !action.content.is_empty() {
            let _ = writeln!(out, "      {}", action.content);
        }
        if !action.args.is_empty() {
            let args: Vec<String> = action
                .args
                .iter()
                .map(|(key, value)| format!("{key}: {value}"))
                .collect();
            let _ = writeln!(out, "      with {{ {} }}", args.join(", "));
        }
    }
    for suppression in &plan.suppressed {
        let channel = suppression
            .channel
            .as_deref()
            .map(|c| format!(" via {c}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  ✗ {}{channel} suppressed: {}",
            suppression.rule, suppression.reason
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn values_are_written_as_the_language_writes_them() {
        let zone = TimeZone::fixed(jiff::tz::offset(8));
        let list = Value::List(Arc::from(vec![
            Value::str("新\"粉"),
            Value::Null,
            Value::Int(3),
            Value::Float(2047.0),
            Value::Float(0.5),
            Value::Duration(7 * 86_400),
            Value::Duration(3 * 86_400),
        ]));
        assert_eq!(
            value(&list, &zone),
            r#"["新\"粉", null, 3, 2047.0, 0.5, 1w, 3d]"#
        );
        let at: jiff::Timestamp = "2026-11-25T01:00:00Z".parse().unwrap();
        assert_eq!(
            value(&Value::DateTime(at), &zone),
            "2026-11-25T09:00:00+08:00"
        );
        let date = jiff::civil::date(2026, 11, 28);
        assert_eq!(value(&Value::Date(date), &zone), "2026-11-28");
    }
}
