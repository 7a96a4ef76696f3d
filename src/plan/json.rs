//! Plan lines written as the planner makes them: the bytes `serde_json` writes for the
//! same [`Plan`](super::Plan), without building the `Plan`. Strings and numbers go
//! through `serde_json` itself, so escaping and number formats cannot drift; the key
//! order and the optional keys follow `Plan`'s `Serialize`, and a test holds the two
//! equal over the golden cases and the shipped playbooks.
//!
//! The names of rules, channels and stages are quoted once, when a worker starts. The
//! actions are written straight into the line; the suppressions, which the
//! planner interleaves with them, wait in a buffer of their own until the line ends.
//! The member's counts are kept aside and added to the summary only when its plan is
//! complete, so a member whose planning fails leaves no trace.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;

use super::counts::MemberCounts;
use super::{write_local_rfc3339, Reason, Summary};
use crate::compile::Program;
use crate::eval::output::{PlanOutput, PlannedAction};
use crate::eval::value::Value;

/// What a writer keeps from one member to the next, for one playbook.
#[derive(Debug)]
pub(crate) struct JsonBuffers {
    names: Names,
    suppressed: Vec<u8>,
    counts: MemberCounts,
    text: String,
}

impl JsonBuffers {
    /// Buffers for plans of `program`.
    pub(crate) fn new(program: &Program) -> Self {
        let quoted = |name: &str| {
            let mut out = Vec::with_capacity(name.len() + 2);
            put(&mut out, name);
            out.into_boxed_slice()
        };
        JsonBuffers {
            names: Names {
                rules: program.rules.iter().map(|r| quoted(&r.name)).collect(),
                channels: program.channels.iter().map(|c| quoted(&c.name)).collect(),
                stages: program.stages.iter().map(|s| quoted(&s.name)).collect(),
            },
            suppressed: Vec::new(),
            counts: MemberCounts::default(),
            text: String::new(),
        }
    }
}

/// The playbook's names as JSON strings, by index.
#[derive(Debug)]
struct Names {
    rules: Vec<Box<[u8]>>,
    channels: Vec<Box<[u8]>>,
    stages: Vec<Box<[u8]>>,
}

impl Names {
    fn of(names: &[Box<[u8]>], index: u32) -> &[u8] {
        names.get(index as usize).map_or(b"\"\"", |name| name)
    }
}

/// Writes one member's plan line.
pub(crate) struct JsonPlan<'a> {
    program: &'a Program,
    zone: &'a TimeZone,
    line: &'a mut Vec<u8>,
    buffers: &'a mut JsonBuffers,
    actions: usize,
}

impl<'a> JsonPlan<'a> {
    /// A writer appending to `line`.
    pub(crate) fn new(
        program: &'a Program,
        zone: &'a TimeZone,
        line: &'a mut Vec<u8>,
        buffers: &'a mut JsonBuffers,
    ) -> Self {
        buffers.suppressed.clear();
        buffers.counts.clear();
        JsonPlan {
            program,
            zone,
            line,
            buffers,
            actions: 0,
        }
    }

    /// Ends the line and adds the member's counts to `summary`.
    pub(crate) fn finish(self, summary: &mut Summary) {
        self.line.extend_from_slice(b"],\"suppressed\":[");
        self.line.extend_from_slice(&self.buffers.suppressed);
        self.line.extend_from_slice(b"]}\n");
        self.buffers.counts.add_to(summary);
    }
}

impl PlanOutput for JsonPlan<'_> {
    fn begin(
        &mut self,
        member: &std::sync::Arc<str>,
        stage: Option<u32>,
        holdout: bool,
        variants: &[Option<u16>],
    ) {
        let line = &mut *self.line;
        line.extend_from_slice(b"{\"member\":");
        put(line, &**member);
        line.extend_from_slice(b",\"stage\":");
        match stage {
            Some(stage) => line.extend_from_slice(Names::of(&self.buffers.names.stages, stage)),
            None => line.extend_from_slice(b"null"),
        }
        line.extend_from_slice(if holdout {
            b",\"holdout\":true"
        } else {
            b",\"holdout\":false"
        });
        if !self.program.experiments.is_empty() {
            line.extend_from_slice(b",\"variants\":{");
            for (index, (experiment, &variant)) in
                self.program.experiments.iter().zip(variants).enumerate()
            {
                if index > 0 {
                    line.push(b',');
                }
                put(line, &*experiment.name);
                line.push(b':');
                put(line, experiment.variant_name(variant));
            }
            line.push(b'}');
        }
        line.extend_from_slice(b",\"actions\":[");
        self.buffers.counts.begin(stage, holdout, variants);
    }

    fn fired(&mut self, rule: u32) {
        self.buffers.counts.fired(rule);
    }

    fn action(&mut self, action: PlannedAction<'_>) {
        let names = &self.buffers.names;
        let rule = Names::of(&names.rules, action.rule);
        let channel = action.channel.map(|c| Names::of(&names.channels, c));
        let priority = self
            .program
            .rules
            .get(action.rule as usize)
            .map_or(0, |r| r.priority);
        let line = &mut *self.line;
        if self.actions > 0 {
            line.push(b',');
        }
        self.actions += 1;
        line.push(b'{');
        if let Some(id) = action.id {
            line.extend_from_slice(b"\"id\":\"");
            line.extend_from_slice(&crate::ledger::hex(id));
            line.extend_from_slice(b"\",");
        }
        line.extend_from_slice(b"\"rule\":");
        line.extend_from_slice(rule);
        line.extend_from_slice(b",\"verb\":\"");
        line.extend_from_slice(action.spec.verb.name().as_bytes());
        line.push(b'"');
        if let Some(channel) = channel {
            line.extend_from_slice(b",\"channel\":");
            line.extend_from_slice(channel);
        }
        line.extend_from_slice(b",\"content\":");
        put(line, action.content.text());
        line.extend_from_slice(b",\"at\":");
        put_time(line, self.zone, action.at);
        line.extend_from_slice(b",\"priority\":");
        put(line, &priority);
        line.extend_from_slice(b",\"args\":{");
        for (position, ((key, _), value)) in action.spec.args.iter().zip(action.args).enumerate() {
            if position > 0 {
                line.push(b',');
            }
            put(line, &**key);
            line.push(b':');
            put_value(line, value, self.zone, &mut self.buffers.text);
        }
        line.extend_from_slice(b"}}");
        self.buffers.counts.action(action.rule, action.channel);
    }

    fn suppressed(&mut self, rule: u32, reason: Reason, channel: Option<u32>) {
        let names = &self.buffers.names;
        let out = &mut self.buffers.suppressed;
        if !out.is_empty() {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"rule\":");
        out.extend_from_slice(Names::of(&names.rules, rule));
        out.extend_from_slice(b",\"reason\":\"");
        out.extend_from_slice(reason.code().as_bytes());
        out.push(b'"');
        if let Some(channel) = channel {
            out.extend_from_slice(b",\"channel\":");
            out.extend_from_slice(Names::of(&names.channels, channel));
        }
        out.push(b'}');
        self.buffers.counts.suppressed(rule, reason);
    }
}

/// Appends a string (escaped and quoted) or a number the way `serde_json` writes it.
fn put<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing into a `Vec` cannot fail, and these values always serialise.
    let _ = serde_json::to_writer(&mut *out, value);
}

fn put_time(out: &mut Vec<u8>, zone: &TimeZone, at: Timestamp) {
    let offset = zone.to_offset(at);
    let mut buffer = [0u8; 48];
    let length = write_local_rfc3339(offset.to_datetime(at), offset, &mut buffer);
    out.push(b'"');
    out.extend_from_slice(buffer.get(..length).unwrap_or_default());
    out.push(b'"');
}

/// Appends a `with` value as [`Value::to_json`] would give it, serialised.
pub(crate) fn put_value(out: &mut Vec<u8>, value: &Value, zone: &TimeZone, text: &mut String) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => put(out, b),
        Value::Int(i) => put(out, i),
        Value::Float(f) => put(out, f),
        Value::Str(s) => put(out, &**s),
        Value::Date(_) | Value::DateTime(_) | Value::Duration(_) | Value::Time(_) => {
            text.clear();
            value.render_into(text, zone);
            put(out, text.as_str());
        }
        Value::List(items) => {
            out.push(b'[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                put_value(out, item, zone, text);
            }
            out.push(b']');
        }
        Value::Object(object) => {
            out.push(b'{');
            for (position, (key, item)) in object.fields().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                put(out, key);
                out.push(b':');
                put_value(out, item, zone, text);
            }
            out.push(b'}');
        }
    }
}
