//! Evaluation of compiled expressions against one member: slots by index, segments
//! computed once per member, short-circuit `and`/`or`, the null rules of the language.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::budget::{self, Budget};
use super::ops::{self, Arith};
use super::value::Value;
use crate::compile::{Compare, Function, Node, NodeKind, Program, Quantifier};
use crate::diagnostics::Span;

/// One touch of a member's history, resolved against the playbook.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Touch {
    /// The rule, when it names one of this playbook's rules.
    pub rule: Option<u32>,
    /// The channel, when it names one of this playbook's channels.
    pub channel: Option<u32>,
    /// When it happened.
    pub at: Timestamp,
}

/// A decoded snapshot: its id, its slots, its touch history.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MemberData {
    pub id: Arc<str>,
    pub slots: Vec<Value>,
    pub touches: Vec<Touch>,
    /// What earlier runs remember of the member; `None` without a ledger.
    pub history: Option<History>,
}

/// What a ledger remembers of a member: its stage at the latest earlier run, if any
/// run saw it. (Earlier planned touches are merged into the member's touches.)
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct History {
    /// `None`: no earlier run planned the member.
    pub previous: Option<PreviousStage>,
}

/// The member's stage at the latest earlier run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PreviousStage {
    /// The stage's name (`None`: no stage); it may be a stage this playbook no longer has.
    pub name: Option<Arc<str>>,
    /// When the member entered it: the as-of of the first run of the unbroken series of
    /// runs that saw it in that stage.
    pub since: Timestamp,
}

impl History {
    /// Whether a member now in `stage` is entering it: never seen, or seen in another.
    pub(crate) fn entering(&self, stage: Option<&str>) -> bool {
        match &self.previous {
            None => true,
            Some(previous) => previous.name.as_deref() != stage,
        }
    }

    /// Since when a member now in `stage` has been in it, a run at `now` being the entry
    /// when it is entering.
    pub(crate) fn since(&self, stage: Option<&str>, now: Timestamp) -> Timestamp {
        match &self.previous {
            Some(previous) if previous.name.as_deref() == stage => previous.since,
            _ => now,
        }
    }
}

/// The as-of time of a run, seen in the playbook's time zone.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    pub now: Timestamp,
    pub today: Date,
    pub zone: TimeZone,
}

impl Clock {
    /// The clock of a run at `now` in `zone`.
    pub(crate) fn new(now: Timestamp, zone: &TimeZone) -> Self {
        Clock {
            now,
            today: zone.to_datetime(now).date(),
            zone: zone.clone(),
        }
    }
}

/// A type error met while evaluating (possible only without a schema).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EvalError {
    /// The problem and the expression it happened in.
    pub message: String,
    /// The expression.
    pub span: Span,
}

/// What evaluating gives: a value, or a type error, boxed so that a result is no
/// larger than its value (results pass through every level of an expression).
pub(crate) type Evaluated<T> = Result<T, Box<EvalError>>;

/// What an evaluator keeps from one member to the next.
#[derive(Debug, Default)]
pub(crate) struct EvalBuffers {
    locals: Vec<Value>,
    segments: Vec<Option<Value>>,
}

/// Evaluates expressions for one member.
pub(crate) struct Evaluator<'a> {
    pub program: &'a Program,
    pub member: &'a MemberData,
    pub clock: &'a Clock,
    /// The member's stage, once chosen (what `stage_days` counts from).
    pub stage: Option<Option<u32>>,
    locals: Vec<Value>,
    segments: Vec<Option<Value>>,
    budget: Budget,
}

impl<'a> Evaluator<'a> {
    /// An evaluator for one member at one as-of time.
    pub(crate) fn new(program: &'a Program, member: &'a MemberData, clock: &'a Clock) -> Self {
        Self::reusing(program, member, clock, EvalBuffers::default())
    }

    /// An evaluator that keeps its values in buffers used before.
    pub(crate) fn reusing(
        program: &'a Program,
        member: &'a MemberData,
        clock: &'a Clock,
        buffers: EvalBuffers,
    ) -> Self {
        let EvalBuffers {
            mut locals,
            mut segments,
        } = buffers;
        locals.clear();
        segments.clear();
        Evaluator {
            program,
            member,
            clock,
            stage: None,
            locals,
            segments,
            budget: Budget::new(),
        }
    }

    /// The evaluator's buffers, for the next member.
    pub(crate) fn into_buffers(self) -> EvalBuffers {
        EvalBuffers {
            locals: self.locals,
            segments: self.segments,
        }
    }

    pub(crate) fn error(&self, problem: String, span: Span) -> Box<EvalError> {
        Box::new(EvalError {
            message: format!("{problem} in `{}`", self.program.snippet(span)),
            span,
        })
    }

    /// Spends evaluation steps; past the member's budget, an error at `span`.
    fn charge(&mut self, steps: u64, span: Span) -> Evaluated<()> {
        if self.budget.spend(steps) {
            Ok(())
        } else {
            Err(self.error(budget::exhausted(), span))
        }
    }

    /// Evaluates a condition: true only when the value is `true`; null is false.
    /// `and`, `or`, `not`, comparisons, membership and null tests are decided here
    /// without making a value; the recursive cases are dispatched from a small frame,
    /// so that deep conditions stay far from the stack's end.
    pub(crate) fn condition(&mut self, node: &Node) -> Evaluated<bool> {
        match &node.kind {
            NodeKind::And(left, right) => Ok(self.condition(left)? && self.condition(right)?),
            NodeKind::Or(left, right) => Ok(self.condition(left)? || self.condition(right)?),
            NodeKind::Not(inner) => Ok(!self.condition(inner)?),
            NodeKind::Segment(id) => Ok(self.segment(*id)?.is_true()),
            NodeKind::Compare(..) | NodeKind::In { .. } | NodeKind::IsNull { .. } => {
                self.test(node)
            }
            _ => self.truth_of(node),
        }
    }

    /// Whether a value that must be a boolean is true.
    #[inline(never)]
    fn truth_of(&mut self, node: &Node) -> Evaluated<bool> {
        let value = self.eval(node)?;
        ops::truth(&value).map_err(|problem| self.error(problem, node.span))
    }

    /// A comparison, a membership or a null test, on operands read in place.
    #[inline(never)]
    fn test(&mut self, node: &Node) -> Evaluated<bool> {
        match &node.kind {
            NodeKind::Compare(op, left, right) => match (self.place(left), self.place(right)) {
                (Some(left), Some(right)) => {
                    self.charge(budget::cost(left), node.span)?;
                    self.compare(*op, left, right, node.span)
                }
                _ => {
                    let left = self.operand(left)?;
                    let right = self.operand(right)?;
                    self.charge(budget::cost(&left), node.span)?;
                    self.compare(*op, &left, &right, node.span)
                }
            },
            NodeKind::In {
                needle,
                haystack,
                negated,
            } => {
                let found = match (self.place(needle), self.place(haystack)) {
                    (Some(needle), Some(haystack)) => {
                        self.charge(budget::cost(haystack), node.span)?;
                        ops::contains(haystack, needle)
                    }
                    _ => {
                        let needle = self.operand(needle)?;
                        let haystack = self.operand(haystack)?;
                        self.charge(budget::cost(&haystack), node.span)?;
                        ops::contains(&haystack, &needle)
                    }
                };
                Ok(found.map_err(|problem| self.error(problem, node.span))? != *negated)
            }
            NodeKind::IsNull { operand, negated } => match self.place(operand) {
                Some(value) => Ok(value.is_null() != *negated),
                None => Ok(self.operand(operand)?.is_null() != *negated),
            },
            _ => self.truth_of(node),
        }
    }

    /// The value of a constant, a field or a nested field, read in place (a small
    /// result, for the commonest operands); `None` for any other expression.
    fn place<'v>(&self, node: &'v Node) -> Option<&'v Value>
    where
        'a: 'v,
    {
        match &node.kind {
            NodeKind::Const(value) => Some(value),
            NodeKind::Slot(slot) => Some(
                self.member
                    .slots
                    .get(*slot as usize)
                    .unwrap_or(&Value::Null),
            ),
            NodeKind::FieldAt(base, index) => match self.place(base)? {
                Value::Object(object) => Some(object.at(*index as usize)),
                Value::Null => Some(&Value::Null),
                _ => None,
            },
            _ => None,
        }
    }

    /// An expression's value, read in place when the expression names one (a constant,
    /// a field, a nested field, `a ?? b` of those), computed otherwise.
    pub(crate) fn operand<'v>(&mut self, node: &'v Node) -> Evaluated<Cow<'v, Value>>
    where
        'a: 'v,
    {
        if let Some(value) = self.place(node) {
            return Ok(Cow::Borrowed(value));
        }
        Ok(match &node.kind {
            NodeKind::FieldAt(base, index) => match self.operand(base)? {
                Cow::Borrowed(Value::Object(object)) => Cow::Borrowed(object.at(*index as usize)),
                Cow::Owned(Value::Object(object)) => Cow::Owned(object.at(*index as usize).clone()),
                Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) => Cow::Owned(Value::Null),
                other => {
                    let problem = format!("{} has no fields", other.kind());
                    return Err(self.error(problem, node.span));
                }
            },
            NodeKind::Default(left, right) => {
                let left = self.operand(left)?;
                if left.is_null() {
                    self.operand(right)?
                } else {
                    left
                }
            }
            _ => Cow::Owned(self.eval(node)?),
        })
    }

    /// Evaluates an expression. The common and the recursive cases are dispatched from
    /// a small frame, so that deep conditions stay far from the stack's end.
    pub(crate) fn eval(&mut self, node: &Node) -> Evaluated<Value> {
        match &node.kind {
            NodeKind::Const(value) => Ok(value.clone()),
            NodeKind::Slot(slot) => Ok(self.slot(*slot)),
            NodeKind::And(..)
            | NodeKind::Or(..)
            | NodeKind::Not(..)
            | NodeKind::Compare(..)
            | NodeKind::In { .. }
            | NodeKind::IsNull { .. } => self.condition(node).map(Value::Bool),
            NodeKind::Segment(id) => self.segment(*id),
            _ => self.eval_other(node),
        }
    }

    fn slot(&self, slot: u32) -> Value {
        self.member
            .slots
            .get(slot as usize)
            .cloned()
            .unwrap_or(Value::Null)
    }

    #[inline(never)]
    fn eval_other(&mut self, node: &Node) -> Evaluated<Value> {
        match &node.kind {
            NodeKind::Const(value) => Ok(value.clone()),
            NodeKind::Slot(slot) => Ok(self
                .member
                .slots
                .get(*slot as usize)
                .cloned()
                .unwrap_or(Value::Null)),
            NodeKind::MemberId => Ok(Value::Str(self.member.id.clone())),
            NodeKind::Variant(experiment) => {
                let experiment = &self.program.experiments[*experiment as usize];
                let variant = experiment.assign(&self.program.key, &self.member.id);
                Ok(Value::Str(Arc::from(experiment.variant_name(variant))))
            }
            NodeKind::Local(index) => Ok(self
                .locals
                .get(*index as usize)
                .cloned()
                .unwrap_or(Value::Null)),
            NodeKind::Segment(id) => self.segment(*id),
            NodeKind::Now => Ok(Value::DateTime(self.clock.now)),
            NodeKind::Today => Ok(Value::Date(self.clock.today)),
            NodeKind::PreviousStage => Ok(self.previous_stage()),
            NodeKind::StageDays => Ok(self.stage_days()),
            NodeKind::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.eval(item)?);
                }
                Ok(Value::List(Arc::from(values)))
            }
            NodeKind::FieldAt(base, index) => {
                let base_value = self.eval(base)?;
                match base_value {
                    Value::Object(object) => Ok(object.at(*index as usize).clone()),
                    Value::Null => Ok(Value::Null),
                    other => Err(self.error(format!("{} has no fields", other.kind()), node.span)),
                }
            }
            NodeKind::FieldNamed(base, name) => {
                let base_value = self.eval(base)?;
                match base_value {
                    Value::Object(object) => {
                        self.charge(object.len() as u64 / 16, node.span)?;
                        Ok(object.get(name).clone())
                    }
                    Value::Null => Ok(Value::Null),
                    other => Err(self.error(format!("{} has no fields", other.kind()), node.span)),
                }
            }
            NodeKind::Index(base, index) => {
                let base_value = self.eval(base)?;
                let index_value = self.eval(index)?;
                if let Value::Object(object) = &base_value {
                    self.charge(object.len() as u64 / 16, node.span)?;
                }
                self.index(base_value, index_value, node.span)
            }
            NodeKind::Neg(inner) => {
                let value = self.eval(inner)?;
                ops::negate(&value).map_err(|problem| self.error(problem, node.span))
            }
            NodeKind::And(..)
            | NodeKind::Or(..)
            | NodeKind::Not(..)
            | NodeKind::Compare(..)
            | NodeKind::In { .. }
            | NodeKind::IsNull { .. } => self.condition(node).map(Value::Bool),
            NodeKind::Arith(op, left, right) => {
                let left = self.eval(left)?;
                let right = self.eval(right)?;
                self.charge(budget::cost(&left) + budget::cost(&right), node.span)?;
                self.arith(*op, &left, &right, node.span)
            }
            NodeKind::Default(left, right) => match self.eval(left)? {
                Value::Null => self.eval(right),
                value => Ok(value),
            },
            NodeKind::Call(function, args) => self.call(*function, args, node.span),
            NodeKind::Matches(subject, regex) => match self.eval(subject)? {
                Value::Null => Ok(Value::Null),
                Value::Str(text) => {
                    self.charge(text.len() as u64 / 64, node.span)?;
                    Ok(Value::Bool(regex.is_match(&text)))
                }
                other => Err(self.error(
                    format!("cannot match {} against a pattern", other.kind()),
                    node.span,
                )),
            },
            NodeKind::Quantify {
                kind,
                list,
                local,
                body,
            } => self.quantify(*kind, list, *local, body, node.span),
        }
    }

    /// `a OP b` for comparisons; an error names the expression.
    pub(crate) fn compare(
        &self,
        op: Compare,
        left: &Value,
        right: &Value,
        span: Span,
    ) -> Evaluated<bool> {
        use std::cmp::Ordering::{Equal, Greater, Less};
        Ok(match op {
            Compare::Eq => ops::equal(left, right),
            Compare::Ne => !ops::equal(left, right),
            _ => {
                let ordering =
                    ops::order(left, right).map_err(|problem| self.error(problem, span))?;
                match (op, ordering) {
                    (_, None) => false,
                    (Compare::Lt, Some(o)) => o == Less,
                    (Compare::Le, Some(o)) => o != Greater,
                    (Compare::Gt, Some(o)) => o == Greater,
                    (Compare::Ge, Some(o)) => o != Less,
                    (_, Some(o)) => o == Equal,
                }
            }
        })
    }

    fn arith(&self, op: Arith, left: &Value, right: &Value, span: Span) -> Evaluated<Value> {
        ops::arithmetic(op, left, right).map_err(|problem| self.error(problem, span))
    }

    /// A segment's value, computed once per member.
    #[inline(never)]
    pub(crate) fn segment(&mut self, id: u32) -> Evaluated<Value> {
        let index = id as usize;
        if let Some(Some(value)) = self.segments.get(index) {
            return Ok(value.clone());
        }
        let program = self.program;
        let Some(segment) = program.segments.get(index) else {
            return Ok(Value::Null);
        };
        let value = Value::Bool(self.condition(&segment.condition)?);
        if self.segments.len() <= index {
            self.segments
                .resize(program.segments.len().max(index + 1), None);
        }
        if let Some(slot) = self.segments.get_mut(index) {
            *slot = Some(value.clone());
        }
        Ok(value)
    }

    fn index(&self, base: Value, index: Value, span: Span) -> Evaluated<Value> {
        match (&base, &index) {
            (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
            (Value::List(items), Value::Int(i)) => Ok(usize::try_from(*i)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .unwrap_or(Value::Null)),
            (Value::Object(object), Value::Str(key)) => Ok(object.get(key).clone()),
            _ => Err(self.error(
                format!("cannot index {} with {}", base.kind(), index.kind()),
                span,
            )),
        }
    }

    fn quantify(
        &mut self,
        kind: Quantifier,
        list: &Node,
        local: u32,
        body: &Node,
        span: Span,
    ) -> Evaluated<Value> {
        let items = match self.eval(list)? {
            Value::Null => return Ok(Value::Null),
            Value::List(items) => items,
            other => {
                return Err(self.error(format!("expected a list, found {}", other.kind()), span));
            }
        };
        let slot = local as usize;
        if self.locals.len() <= slot {
            self.locals.resize(slot + 1, Value::Null);
        }
        let mut count: i64 = 0;
        for item in items.iter() {
            self.charge(1, span)?;
            if let Some(local) = self.locals.get_mut(slot) {
                *local = item.clone();
            }
            let holds = self.condition(body)?;
            match kind {
                Quantifier::Any if holds => return Ok(Value::Bool(true)),
                Quantifier::All if !holds => return Ok(Value::Bool(false)),
                Quantifier::Count if holds => count += 1,
                _ => {}
            }
        }
        Ok(match kind {
            Quantifier::Any => Value::Bool(false),
            Quantifier::All => Value::Bool(true),
            Quantifier::Count => Value::Int(count),
        })
    }

    fn call(&mut self, function: Function, args: &[Node], span: Span) -> Evaluated<Value> {
        let first = match args.first() {
            Some(node) => self.eval(node)?,
            None => Value::Null,
        };
        let second = match args.get(1) {
            Some(node) => self.eval(node)?,
            None => Value::Null,
        };
        self.charge(budget::cost(&first), span)?;
        call_function(function, first, second).map_err(|problem| self.error(problem, span))
    }
}

/// Applies a built-in function to its (evaluated) arguments; null in, null out.
fn call_function(function: Function, first: Value, second: Value) -> Result<Value, String> {
    use Value::{Duration, Float, Int, List, Null, Str};
    let wrong = |name: &str, value: &Value| Err(format!("`{name}` cannot take {}", value.kind()));
    match function {
        Function::Len => match first {
            Null => Ok(Null),
            Str(text) => Ok(Int(text.chars().count() as i64)),
            List(items) => Ok(Int(items.len() as i64)),
            other => wrong("len", &other),
        },
        Function::Lower | Function::Upper => match first {
            Null => Ok(Null),
            Str(text) if function == Function::Lower => Ok(Value::str(&text.to_lowercase())),
            Str(text) => Ok(Value::str(&text.to_uppercase())),
            other => wrong("lower", &other),
        },
        Function::StartsWith | Function::EndsWith => match (first, second) {
            (Null, _) | (_, Null) => Ok(Null),
            (Str(text), Str(part)) => Ok(Value::Bool(if function == Function::StartsWith {
                text.starts_with(&*part)
            } else {
                text.ends_with(&*part)
            })),
            (Str(_), other) | (other, _) => wrong("starts_with", &other),
        },
        Function::Min | Function::Max => {
            let ordering = ops::order(&first, &second)?;
            Ok(match ordering {
                None => Null,
                Some(o) if function == Function::Min && o == std::cmp::Ordering::Greater => second,
                Some(o) if function == Function::Max && o == std::cmp::Ordering::Less => second,
                Some(_) => first,
            })
        }
        Function::Abs => match first {
            Null => Ok(Null),
            Int(i) => Ok(i.checked_abs().map_or(Null, Int)),
            Float(f) => Ok(Float(f.abs())),
            Duration(d) => Ok(d.checked_abs().map_or(Null, Duration)),
            other => wrong("abs", &other),
        },
        Function::Round => match first {
            Null => Ok(Null),
            Int(i) => Ok(Int(i)),
            Float(f) => {
                let rounded = f.round();
                let in_range = (-ops::TWO_POW_63..ops::TWO_POW_63).contains(&rounded);
                Ok(if in_range { Int(rounded as i64) } else { Null })
            }
            other => wrong("round", &other),
        },
        Function::Days => match first {
            Null => Ok(Null),
            Duration(seconds) => Ok(Int(seconds / 86_400)),
            other => wrong("days", &other),
        },
        // Compiled into nodes of their own, never into a call.
        Function::Matches | Function::Variant | Function::Any | Function::All | Function::Count => {
            Err("this function is not called with plain values".to_string())
        }
    }
}

impl Evaluator<'_> {
    /// `previous_stage`: the stage's name at the latest earlier run, or null.
    fn previous_stage(&self) -> Value {
        let previous = self.member.history.as_ref().and_then(|h| h.previous.as_ref());
        match previous.and_then(|p| p.name.clone()) {
            Some(name) => Value::Str(name),
            None => Value::Null,
        }
    }

    /// `stage_days`: whole days since the member entered its current stage; null
    /// without a ledger or before the stage is chosen.
    pub(crate) fn stage_days_value(&self) -> Value {
        self.stage_days()
    }

    fn stage_days(&self) -> Value {
        let (Some(history), Some(stage)) = (&self.member.history, self.stage) else {
            return Value::Null;
        };
        let name = stage
            .and_then(|s| self.program.stages.get(s as usize))
            .map(|s| &*s.name);
        let since = history.since(name, self.clock.now);
        let seconds = self.clock.now.as_second().saturating_sub(since.as_second());
        Value::Int(seconds.max(0) / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_goes_half_away_from_zero_and_days_toward_zero() {
        let round = |f| call_function(Function::Round, Value::Float(f), Value::Null).unwrap();
        assert_eq!(round(2.5), Value::Int(3));
        assert_eq!(round(-2.5), Value::Int(-3));
        assert_eq!(round(2.4), Value::Int(2));
        assert_eq!(round(1e300), Value::Null);
        let days = |s| call_function(Function::Days, Value::Duration(s), Value::Null).unwrap();
        assert_eq!(days(86_400 * 2 - 1), Value::Int(1));
        assert_eq!(days(-(86_400 * 2 - 1)), Value::Int(-1));
    }

    #[test]
    fn len_counts_characters_and_min_keeps_the_type() {
        let len = call_function(Function::Len, Value::str("杭州市"), Value::Null).unwrap();
        assert_eq!(len, Value::Int(3));
        let min = call_function(Function::Min, Value::Float(2.5), Value::Int(3)).unwrap();
        assert_eq!(min, Value::Float(2.5));
        let max = call_function(Function::Max, Value::Float(2.5), Value::Int(3)).unwrap();
        assert_eq!(max, Value::Int(3));
        let null = call_function(Function::Max, Value::Null, Value::Int(3)).unwrap();
        assert_eq!(null, Value::Null);
    }
}
