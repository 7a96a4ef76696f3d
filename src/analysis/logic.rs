//! Conditions as formulas over atoms, and a decision procedure for them.
//!
//! The language's conditions are two-valued: comparisons never yield null, and `and`,
//! `or`, `not` and `when` treat null as false (a comparison with a null side is false,
//! `null == null` is true, `null in […]` is false). So a condition is true or false for
//! every member, and `not c` is true exactly where `c` is not.
//!
//! A condition is translated into a formula whose atoms each constrain one field (a
//! path of the schema) against constants: numeric comparisons, equality with strings,
//! enum values and booleans, `in` lists of constants, `is null`. Every other
//! sub-condition (functions, arithmetic, two fields compared, lists, dates, `now`) is an
//! *opaque* atom: a boolean the procedure knows nothing about, the same one wherever the
//! same expression (the same place in the source) occurs.
//!
//! Soundness of "never": a formula is turned into a disjunction of conjunctions
//! (bounded; past the bound the procedure answers "unknown"), and a conjunction is
//! *unsatisfiable* only when, for some field, the values its atoms allow have an empty
//! intersection within the field's type (integers, floats, the enum's values, strings,
//! booleans, null when the field may be null), or an opaque atom is required both true
//! and false. Fields are independent of each other in a snapshot, and an opaque atom
//! may be true or false, so every member satisfying the formula satisfies some
//! conjunction that the procedure keeps: it never calls satisfiable formulas
//! unsatisfiable. The converse does not hold (opaque atoms may be dependent), which is
//! why examples are checked by planning them before they are reported.

use std::sync::Arc;

use crate::compile::{Compare, FieldType, Node, NodeKind, Program};
use crate::diagnostics::Span;
use crate::eval::Value;

/// How many conjunctions a formula may grow into before the procedure gives up.
pub(crate) const MAX_CONJUNCTIONS: usize = 4096;

/// A field of the snapshot: the top-level slot, then positions in nested objects.
pub(crate) type Path = Vec<u32>;

/// A condition on one field, or an opaque boolean.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Atom {
    /// The field compared with a number (`integer`: the field is an int).
    Number {
        path: Path,
        op: Compare,
        value: f64,
        integer: bool,
    },
    /// The field equal to one of these strings (or enum values); `domain`: the enum's
    /// values, when the field is an enum.
    Text {
        path: Path,
        values: Vec<Arc<str>>,
        domain: Option<Arc<[Arc<str>]>>,
    },
    /// The field equal to a boolean.
    Bool { path: Path, value: bool },
    /// The field is null.
    Null { path: Path },
    /// Something else, known by where it is written.
    Opaque(Span),
}

/// A formula in negation normal form.
#[derive(Debug, Clone)]
pub(crate) enum Formula {
    True,
    False,
    Literal(Atom, bool),
    And(Vec<Formula>),
    Or(Vec<Formula>),
}

impl Formula {
    pub(crate) fn and(parts: Vec<Formula>) -> Formula {
        Formula::And(parts)
    }

    pub(crate) fn or(parts: Vec<Formula>) -> Formula {
        Formula::Or(parts)
    }

    /// The formula true exactly where this one is false.
    pub(crate) fn negate(self) -> Formula {
        match self {
            Formula::True => Formula::False,
            Formula::False => Formula::True,
            Formula::Literal(atom, positive) => Formula::Literal(atom, !positive),
            Formula::And(parts) => Formula::Or(parts.into_iter().map(Formula::negate).collect()),
            Formula::Or(parts) => Formula::And(parts.into_iter().map(Formula::negate).collect()),
        }
    }

    /// The conjunctions whose disjunction is this formula, or `None` past
    /// [`MAX_CONJUNCTIONS`].
    pub(crate) fn conjunctions(&self) -> Option<Vec<Vec<(Atom, bool)>>> {
        match self {
            Formula::True => Some(vec![Vec::new()]),
            Formula::False => Some(Vec::new()),
            Formula::Literal(atom, positive) => Some(vec![vec![(atom.clone(), *positive)]]),
            Formula::Or(parts) => {
                let mut out = Vec::new();
                for part in parts {
                    out.extend(part.conjunctions()?);
                    if out.len() > MAX_CONJUNCTIONS {
                        return None;
                    }
                }
                Some(out)
            }
            Formula::And(parts) => {
                let mut out: Vec<Vec<(Atom, bool)>> = vec![Vec::new()];
                for part in parts {
                    let alternatives = part.conjunctions()?;
                    let mut next = Vec::new();
                    for left in &out {
                        for right in &alternatives {
                            let mut both = left.clone();
                            both.extend(right.iter().cloned());
                            // Keep only conjunctions that may hold, so contradictions
                            // prune the product early.
                            next.push(both);
                            if next.len() > MAX_CONJUNCTIONS * 4 {
                                return None;
                            }
                        }
                    }
                    next.retain(|c| may_hold(c, &|_| true));
                    if next.len() > MAX_CONJUNCTIONS {
                        return None;
                    }
                    out = next;
                }
                Some(out)
            }
        }
    }
}

/// What the procedure says of a formula.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// No member satisfies it.
    Never,
    /// These conjunctions may hold (each passed the per-field check).
    Maybe(Vec<Vec<(Atom, bool)>>),
    /// Too large to decide.
    Unknown,
}

/// Decides a formula; `nullable` says which fields may be null.
pub(crate) fn decide(formula: &Formula, nullable: &dyn Fn(&Path) -> bool) -> Verdict {
    match formula.conjunctions() {
        None => Verdict::Unknown,
        Some(conjunctions) => {
            let possible: Vec<_> = conjunctions
                .into_iter()
                .filter(|c| may_hold(c, nullable))
                .collect();
            if possible.is_empty() {
                Verdict::Never
            } else {
                Verdict::Maybe(possible)
            }
        }
    }
}

/// Whether a conjunction passes the per-field check (see the module's comment);
/// `nullable` says which fields may be null (answering `true` for all only weakens the
/// check).
pub(crate) fn may_hold(conjunction: &[(Atom, bool)], nullable: &dyn Fn(&Path) -> bool) -> bool {
    let mut opaque: Vec<(Span, bool)> = Vec::new();
    for (atom, positive) in conjunction {
        if let Atom::Opaque(span) = atom {
            if opaque.iter().any(|(s, p)| s == span && p != positive) {
                return false;
            }
            opaque.push((*span, *positive));
        }
    }
    let mut paths: Vec<&Path> = Vec::new();
    for (atom, _) in conjunction {
        if let Some(path) = atom.path() {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths
        .iter()
        .all(|path| field_set(conjunction, path, nullable(path)).is_some())
}

impl Atom {
    fn path(&self) -> Option<&Path> {
        match self {
            Atom::Number { path, .. }
            | Atom::Text { path, .. }
            | Atom::Bool { path, .. }
            | Atom::Null { path } => Some(path),
            Atom::Opaque(_) => None,
        }
    }
}

/// A value a field can take, chosen to satisfy a conjunction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Choice {
    Null,
    /// Any value but null.
    Any,
    Number(f64),
    Text(Arc<str>),
    Bool(bool),
}

/// The constraints on one field, as the field's literals leave them: `None` when no
/// value (null included) satisfies them all, else one value that does.
///
/// The literals of one field all have the same kind (the translation makes atoms of the
/// kind the field's type allows), except `is null`, which any field may have.
pub(crate) fn field_set(
    conjunction: &[(Atom, bool)],
    path: &Path,
    nullable: bool,
) -> Option<Choice> {
    let literals: Vec<&(Atom, bool)> = conjunction
        .iter()
        .filter(|(atom, _)| atom.path() == Some(path))
        .collect();
    // Null satisfies a literal when the atom is false for null and the literal is
    // negative, or the atom is `is null` and the literal positive.
    let null_ok = nullable
        && literals.iter().all(|(atom, positive)| match atom {
        Atom::Null { .. } => *positive,
        _ => !*positive,
    });
    let must_be_null = literals
        .iter()
        .any(|(atom, positive)| matches!(atom, Atom::Null { .. }) && *positive);
    let values: Vec<&(Atom, bool)> = literals
        .iter()
        .copied()
        .filter(|(atom, _)| !matches!(atom, Atom::Null { .. }))
        .collect();
    let value = if must_be_null {
        None
    } else {
        non_null_choice(&values)
    };
    match value {
        Some(choice) => Some(choice),
        None if null_ok => Some(Choice::Null),
        None => None,
    }
}

/// A non-null value satisfying every literal, if there is one: numbers over the reals
/// with open and closed bounds (an integer inside them for int fields), strings and
/// enum values as allowed and excluded sets, booleans by trying both.
fn non_null_choice(literals: &[&(Atom, bool)]) -> Option<Choice> {
    let Some((first, _)) = literals.first() else {
        // No constraint besides `is not null`: any value; the caller picks.
        return Some(Choice::Any);
    };
    match first {
        Atom::Number { .. } => number_choice(literals),
        Atom::Text { .. } => text_choice(literals),
        Atom::Bool { .. } => bool_choice(literals),
        _ => None,
    }
}

/// Interval arithmetic over the reals: the allowed set is a union of intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    low: f64,
    low_open: bool,
    high: f64,
    high_open: bool,
}

impl Interval {
    const ALL: Interval = Interval {
        low: f64::NEG_INFINITY,
        low_open: true,
        high: f64::INFINITY,
        high_open: true,
    };

    fn is_empty(&self) -> bool {
        self.low > self.high || (self.low == self.high && (self.low_open || self.high_open))
    }

    fn intersect(&self, other: &Interval) -> Interval {
        let (low, low_open) = if self.low > other.low {
            (self.low, self.low_open)
        } else if other.low > self.low {
            (other.low, other.low_open)
        } else {
            (self.low, self.low_open || other.low_open)
        };
        let (high, high_open) = if self.high < other.high {
            (self.high, self.high_open)
        } else if other.high < self.high {
            (other.high, other.high_open)
        } else {
            (self.high, self.high_open || other.high_open)
        };
        Interval {
            low,
            low_open,
            high,
            high_open,
        }
    }
}

/// The values (non-null) where `path OP value` is true, as intervals.
fn truth(op: Compare, value: f64, positive: bool) -> Vec<Interval> {
    let point = Interval {
        low: value,
        low_open: false,
        high: value,
        high_open: false,
    };
    let below = |open| Interval {
        low: f64::NEG_INFINITY,
        low_open: true,
        high: value,
        high_open: open,
    };
    let above = |open| Interval {
        low: value,
        low_open: open,
        high: f64::INFINITY,
        high_open: true,
    };
    let (op, positive) = match (op, positive) {
        (Compare::Ne, p) => (Compare::Eq, !p),
        other => other,
    };
    match (op, positive) {
        (Compare::Eq, true) => vec![point],
        (Compare::Eq, false) => vec![below(true), above(true)],
        (Compare::Lt, true) | (Compare::Ge, false) => vec![below(true)],
        (Compare::Le, true) | (Compare::Gt, false) => vec![below(false)],
        (Compare::Gt, true) | (Compare::Le, false) => vec![above(true)],
        (Compare::Ge, true) | (Compare::Lt, false) => vec![above(false)],
        (Compare::Ne, _) => vec![Interval::ALL],
    }
}

fn number_choice(literals: &[&(Atom, bool)]) -> Option<Choice> {
    let integer = literals
        .iter()
        .any(|(atom, _)| matches!(atom, Atom::Number { integer: true, .. }));
    let mut set = vec![Interval::ALL];
    for (atom, positive) in literals {
        let Atom::Number { op, value, .. } = atom else {
            return None;
        };
        let allowed = truth(*op, *value, *positive);
        let mut next = Vec::new();
        for a in &set {
            for b in &allowed {
                let both = a.intersect(b);
                if !both.is_empty() {
                    next.push(both);
                }
            }
        }
        set = next;
        if set.is_empty() {
            return None;
        }
    }
    set.iter()
        .find_map(|interval| pick(interval, integer))
        .map(Choice::Number)
}

/// A number inside the interval (an integer for int fields), near zero.
fn pick(interval: &Interval, integer: bool) -> Option<f64> {
    if integer {
        let low = if interval.low_open {
            interval.low.floor() + 1.0
        } else {
            interval.low.ceil()
        };
        let high = if interval.high_open {
            interval.high.ceil() - 1.0
        } else {
            interval.high.floor()
        };
        let low = low.max(-9.0e15);
        let high = high.min(9.0e15);
        if low > high {
            return None;
        }
        return Some(if low > 0.0 {
            low
        } else if high < 0.0 {
            high
        } else {
            0.0
        });
    }
    if interval.is_empty() {
        return None;
    }
    let inside = |x: f64| {
        (x > interval.low || (x == interval.low && !interval.low_open))
            && (x < interval.high || (x == interval.high && !interval.high_open))
    };
    if inside(0.0) {
        return Some(0.0);
    }
    for candidate in [interval.low + 1.0, interval.high - 1.0] {
        if candidate.is_finite() && inside(candidate) {
            return Some(candidate);
        }
    }
    let middle = interval.low / 2.0 + interval.high / 2.0;
    (middle.is_finite() && inside(middle)).then_some(middle)
}

fn text_choice(literals: &[&(Atom, bool)]) -> Option<Choice> {
    let mut allowed: Option<Vec<Arc<str>>> = None;
    let mut excluded: Vec<Arc<str>> = Vec::new();
    for (atom, positive) in literals {
        let Atom::Text { values, domain, .. } = atom else {
            return None;
        };
        if let (None, Some(domain)) = (&allowed, domain) {
            allowed = Some(domain.to_vec());
        }
        if *positive {
            allowed = Some(match allowed {
                None => values.clone(),
                Some(current) => current.into_iter().filter(|v| values.contains(v)).collect(),
            });
        } else {
            excluded.extend(values.iter().cloned());
        }
    }
    match allowed {
        Some(allowed) => allowed
            .into_iter()
            .find(|v| !excluded.contains(v))
            .map(Choice::Text),
        None => (0..)
            .map(|i| Arc::<str>::from(format!("example{i}")))
            .find(|v| !excluded.contains(v))
            .map(Choice::Text),
    }
}

fn bool_choice(literals: &[&(Atom, bool)]) -> Option<Choice> {
    [false, true]
        .into_iter()
        .find(|candidate| {
            literals.iter().all(|(atom, positive)| match atom {
                Atom::Bool { value, .. } => (candidate == value) == *positive,
                _ => false,
            })
        })
        .map(Choice::Bool)
}

/// Translates compiled conditions into formulas.
pub(crate) struct Translator<'p> {
    program: &'p Program,
}

/// How deep segments may nest in one translation (cycles are refused earlier).
const MAX_SEGMENT_DEPTH: usize = 64;

impl<'p> Translator<'p> {
    pub(crate) fn new(program: &'p Program) -> Self {
        Translator { program }
    }

    /// The formula true exactly where `node` is true.
    pub(crate) fn condition(&self, node: &Node) -> Formula {
        self.translate(node, 0)
    }

    fn translate(&self, node: &Node, depth: usize) -> Formula {
        let opaque = || Formula::Literal(Atom::Opaque(node.span), true);
        match &node.kind {
            NodeKind::Const(Value::Bool(b)) => {
                if *b {
                    Formula::True
                } else {
                    Formula::False
                }
            }
            NodeKind::Const(Value::Null) => Formula::False,
            NodeKind::Not(inner) => self.translate(inner, depth).negate(),
            NodeKind::And(a, b) => Formula::and(vec![
                self.translate(a, depth),
                self.translate(b, depth),
            ]),
            NodeKind::Or(a, b) => Formula::or(vec![
                self.translate(a, depth),
                self.translate(b, depth),
            ]),
            NodeKind::Segment(id) if depth < MAX_SEGMENT_DEPTH => {
                match self.program.segments.get(*id as usize) {
                    Some(segment) => self.translate(&segment.condition, depth + 1),
                    None => opaque(),
                }
            }
            NodeKind::Slot(_) | NodeKind::FieldAt(..) => match self.field(node) {
                Some((path, FieldType::Bool)) => {
                    Formula::Literal(Atom::Bool { path, value: true }, true)
                }
                _ => opaque(),
            },
            NodeKind::Compare(op, left, right) => self
                .comparison(*op, left, right)
                .or_else(|| self.comparison(flip(*op), right, left))
                .unwrap_or_else(opaque),
            NodeKind::In {
                needle,
                haystack,
                negated,
            } => match self.membership(needle, haystack) {
                Some(formula) if *negated => formula.negate(),
                Some(formula) => formula,
                None => opaque(),
            },
            NodeKind::IsNull { operand, negated } => match self.field(operand) {
                Some((path, _)) => Formula::Literal(Atom::Null { path }, !negated),
                None => opaque(),
            },
            _ => opaque(),
        }
    }

    /// `field OP constant`, when the field's type makes it an atom.
    fn comparison(&self, op: Compare, field: &Node, constant: &Node) -> Option<Formula> {
        let (path, ty) = self.field(field)?;
        let NodeKind::Const(value) = &constant.kind else {
            let NodeKind::Neg(inner) = &constant.kind else {
                return None;
            };
            let NodeKind::Const(value) = &inner.kind else {
                return None;
            };
            let negated = match value {
                Value::Int(i) => Value::Float(-(*i as f64)),
                Value::Float(f) => Value::Float(-f),
                _ => return None,
            };
            return self.compare_with(op, path, &ty, &negated);
        };
        self.compare_with(op, path, &ty, value)
    }

    fn compare_with(
        &self,
        op: Compare,
        path: Path,
        ty: &FieldType,
        value: &Value,
    ) -> Option<Formula> {
        let equality = matches!(op, Compare::Eq | Compare::Ne);
        let positive = op != Compare::Ne;
        match (ty, value) {
            (_, Value::Null) if equality => {
                Some(Formula::Literal(Atom::Null { path }, positive))
            }
            (FieldType::Int | FieldType::Float, Value::Int(_) | Value::Float(_)) => {
                let number = match value {
                    Value::Int(i) => *i as f64,
                    Value::Float(f) => *f,
                    _ => return None,
                };
                Some(Formula::Literal(
                    Atom::Number {
                        path,
                        op,
                        value: number,
                        integer: *ty == FieldType::Int,
                    },
                    true,
                ))
            }
            (FieldType::String | FieldType::Enum(_), Value::Str(text)) if equality => {
                Some(Formula::Literal(
                    Atom::Text {
                        path,
                        values: vec![text.clone()],
                        domain: enum_domain(ty),
                    },
                    positive,
                ))
            }
            (FieldType::Bool, Value::Bool(b)) if equality => Some(Formula::Literal(
                Atom::Bool { path, value: *b },
                positive,
            )),
            _ => None,
        }
    }

    /// `field in [constants…]`.
    fn membership(&self, needle: &Node, haystack: &Node) -> Option<Formula> {
        let (path, ty) = self.field(needle)?;
        let NodeKind::List(items) = &haystack.kind else {
            return None;
        };
        let mut texts = Vec::new();
        let mut parts = Vec::new();
        for item in items {
            let NodeKind::Const(value) = &item.kind else {
                return None;
            };
            match (&ty, value) {
                (FieldType::String | FieldType::Enum(_), Value::Str(text)) => {
                    texts.push(text.clone())
                }
                (_, Value::Null) => {}
                _ => parts.push(self.compare_with(Compare::Eq, path.clone(), &ty, value)?),
            }
        }
        if !texts.is_empty() {
            parts.push(Formula::Literal(
                Atom::Text {
                    path,
                    values: texts,
                    domain: enum_domain(&ty),
                },
                true,
            ));
        }
        Some(Formula::or(parts))
    }

    /// The path and (non-optional) type of a field read, if `node` reads one.
    fn field(&self, node: &Node) -> Option<(Path, FieldType)> {
        match &node.kind {
            NodeKind::Slot(slot) => {
                let ty = self.program.layout.fields.types.get(*slot as usize)?;
                Some((vec![*slot], ty.required().clone()))
            }
            NodeKind::FieldAt(base, index) => {
                let (mut path, ty) = self.field(base)?;
                let FieldType::Object(object) = ty else {
                    return None;
                };
                let ty = object.types.get(*index as usize)?;
                path.push(*index);
                Some((path, ty.required().clone()))
            }
            _ => None,
        }
    }
}

/// The values of an enum type.
fn enum_domain(ty: &FieldType) -> Option<Arc<[Arc<str>]>> {
    match ty {
        FieldType::Enum(values) => Some(values.clone()),
        _ => None,
    }
}

/// `a OP b` as `b OP' a`.
fn flip(op: Compare) -> Compare {
    match op {
        Compare::Lt => Compare::Gt,
        Compare::Le => Compare::Ge,
        Compare::Gt => Compare::Lt,
        Compare::Ge => Compare::Le,
        other => other,
    }
}
