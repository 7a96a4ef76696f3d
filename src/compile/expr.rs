//! Expressions compiled for evaluation: names resolved to slots, segments and lambda
//! parameters, nested fields to positions when the schema fixes them, regexes compiled,
//! literals turned into values. Compilation never panics: anything odd becomes a
//! diagnostic.

use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;

use super::schema::{FieldType, Layout};
use crate::ast::{BinaryOp, Expr, ExprKind};
use crate::diagnostics::{codes, did_you_mean, Diagnostic, Span};
use crate::vocabulary::Returns;
use crate::eval::ops::Arith;
use crate::eval::value::Value;

/// Deeper expressions than this are refused, so evaluation cannot exhaust the stack.
pub(crate) const MAX_DEPTH: usize = crate::limits::MAX_EVALUATION_DEPTH;

/// A compiled expression node, with the span it came from (for messages and traces).
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

/// The comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Compare {
    /// The operator as written.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Compare::Eq => "==",
            Compare::Ne => "!=",
            Compare::Lt => "<",
            Compare::Le => "<=",
            Compare::Gt => ">",
            Compare::Ge => ">=",
        }
    }
}

/// The built-in functions, as the vocabulary's table names them.
pub(crate) use crate::vocabulary::Builtin as Function;

/// `any`, `all`, `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quantifier {
    Any,
    All,
    Count,
}

/// What a node computes.
#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Const(Value),
    Slot(u32),
    MemberId,
    Local(u32),
    Segment(u32),
    Now,
    Today,
    List(Vec<Node>),
    FieldAt(Box<Node>, u32),
    FieldNamed(Box<Node>, Arc<str>),
    Index(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare(Compare, Box<Node>, Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    Default(Box<Node>, Box<Node>),
    In {
        needle: Box<Node>,
        haystack: Box<Node>,
        negated: bool,
    },
    IsNull {
        operand: Box<Node>,
        negated: bool,
    },
    Call(Function, Vec<Node>),
    /// `variant(EXP)`: the member's variant of the experiment of this index.
    Variant(u16),
    /// `previous_stage`: the member's stage at the latest earlier run (the ledger's).
    PreviousStage,
    /// `stage_days`: whole days since the member entered its current stage.
    StageDays,
    Matches(Box<Node>, Arc<Regex>),
    Quantify {
        kind: Quantifier,
        list: Box<Node>,
        local: u32,
        body: Box<Node>,
    },
}

impl Node {
    fn new(kind: NodeKind, span: Span) -> Self {
        Node { kind, span }
    }

    /// The segments this node reads, directly.
    pub(crate) fn segments(&self, out: &mut Vec<u32>) {
        self.visit(&mut |node| {
            if let NodeKind::Segment(id) = node.kind {
                out.push(id);
            }
        });
    }

    /// The depth of evaluating this node, segments included, given each segment's
    /// evaluation depth.
    pub(crate) fn depth_with(&self, segment_depths: &[usize]) -> usize {
        let own = match self.kind {
            NodeKind::Segment(id) => segment_depths.get(id as usize).copied().unwrap_or(0),
            _ => 0,
        };
        let mut deepest = own;
        for child in self.children() {
            deepest = deepest.max(child.depth_with(segment_depths));
        }
        deepest + 1
    }

    fn visit(&self, f: &mut dyn FnMut(&Node)) {
        f(self);
        for child in self.children() {
            child.visit(f);
        }
    }

    /// The direct children of a node.
    pub(crate) fn children(&self) -> Vec<&Node> {
        match &self.kind {
            NodeKind::Const(_)
            | NodeKind::Slot(_)
            | NodeKind::MemberId
            | NodeKind::Local(_)
            | NodeKind::Segment(_)
            | NodeKind::Now
            | NodeKind::Variant(_)
            | NodeKind::PreviousStage
            | NodeKind::StageDays
            | NodeKind::Today => Vec::new(),
            NodeKind::List(items) | NodeKind::Call(_, items) => items.iter().collect(),
            NodeKind::FieldAt(base, _)
            | NodeKind::FieldNamed(base, _)
            | NodeKind::Not(base)
            | NodeKind::Neg(base)
            | NodeKind::Matches(base, _)
            | NodeKind::IsNull { operand: base, .. } => vec![base],
            NodeKind::Index(a, b)
            | NodeKind::And(a, b)
            | NodeKind::Or(a, b)
            | NodeKind::Compare(_, a, b)
            | NodeKind::Arith(_, a, b)
            | NodeKind::Default(a, b)
            | NodeKind::In {
                needle: a,
                haystack: b,
                ..
            }
            | NodeKind::Quantify {
                list: a, body: b, ..
            } => vec![a, b],
        }
    }
}

/// The names an expression can see while it is compiled.
pub(crate) struct Scope<'a> {
    pub layout: &'a mut Layout,
    pub segments: &'a HashMap<String, u32>,
    pub diagnostics: &'a mut Vec<Diagnostic>,
    locals: Vec<(String, FieldType)>,
}

/// Regexes larger than this (compiled) are refused.
const REGEX_SIZE_LIMIT: usize = crate::limits::MAX_REGEX_BYTES;

impl<'a> Scope<'a> {
    /// A scope over a layout and the segment names.
    pub(crate) fn new(
        layout: &'a mut Layout,
        segments: &'a HashMap<String, u32>,
        diagnostics: &'a mut Vec<Diagnostic>,
    ) -> Self {
        Scope {
            layout,
            segments,
            diagnostics,
            locals: Vec::new(),
        }
    }

    /// Compiles an expression; `None` when it has an error (already reported).
    pub(crate) fn compile(&mut self, expr: &Expr) -> Option<Node> {
        self.expr(expr, 0).map(|(node, _)| node)
    }

    fn error(&mut self, code: &'static str, message: String, span: Span) {
        self.diagnostics
            .push(Diagnostic::error(code, message, span));
    }

    fn expr(&mut self, expr: &Expr, depth: usize) -> Option<(Node, FieldType)> {
        if depth > MAX_DEPTH {
            self.error(
                codes::TOO_DEEP,
                "this expression is nested too deeply".into(),
                expr.span,
            );
            return None;
        }
        let span = expr.span;
        let constant =
            |value: Value| Some((Node::new(NodeKind::Const(value), span), FieldType::Any));
        match &expr.kind {
            ExprKind::Int(i) => constant(Value::Int(*i)),
            ExprKind::Float(f) => constant(Value::float(*f)),
            ExprKind::Str(s) => constant(Value::str(s)),
            ExprKind::Bool(b) => constant(Value::Bool(*b)),
            ExprKind::Null => constant(Value::Null),
            ExprKind::Duration(d) => constant(Value::Duration(d.seconds())),
            ExprKind::Date(d) => constant(Value::Date(*d)),
            ExprKind::DateTime(d) => constant(Value::DateTime(d.timestamp)),
            ExprKind::Time(t) => {
                if t.hour > 23 || t.minute > 59 {
                    self.error(
                        codes::BAD_TIME,
                        "this time of day does not exist".into(),
                        span,
                    );
                    return None;
                }
                constant(Value::Time(t.hour * 3600 + t.minute * 60))
            }
            ExprKind::Percent(_) => {
                self.error(
                    codes::MISPLACED,
                    "a percentage is only allowed in `holdout`".into(),
                    span,
                );
                None
            }
            ExprKind::List(items) => self.list(items, span, depth),
            ExprKind::Name(name) => self.name(name, span),
            ExprKind::MemberField(ident) => self.field(&ident.name, ident.span),
            ExprKind::Now => Some((Node::new(NodeKind::Now, span), FieldType::DateTime)),
            ExprKind::Today => Some((Node::new(NodeKind::Today, span), FieldType::Date)),
            ExprKind::Field(base, name) => self.field_access(base, &name.name, span, depth),
            ExprKind::Index(base, index) => {
                let (base, base_type) = self.expr(base, depth + 1)?;
                let (index, _) = self.expr(index, depth + 1)?;
                let element = match base_type.required() {
                    FieldType::List(inner) => (**inner).clone(),
                    _ => FieldType::Any,
                };
                let kind = NodeKind::Index(Box::new(base), Box::new(index));
                Some((Node::new(kind, span), element))
            }
            ExprKind::Call(name, args) => self.call(&name.name, name.span, args, span, depth),
            ExprKind::Lambda(..) => {
                self.error(
                    codes::MISPLACED,
                    "`x => …` is only allowed inside `any`, `all` or `count`".into(),
                    span,
                );
                None
            }
            ExprKind::Not(inner) => self.unary(inner, depth, span, NodeKind::Not),
            ExprKind::Neg(inner) => self.unary(inner, depth, span, NodeKind::Neg),
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right, span, depth),
            ExprKind::In {
                needle,
                haystack,
                negated,
            } => {
                let (needle, _) = self.expr(needle, depth + 1)?;
                let (haystack, _) = self.expr(haystack, depth + 1)?;
                let kind = NodeKind::In {
                    needle: Box::new(needle),
                    haystack: Box::new(haystack),
                    negated: *negated,
                };
                Some((Node::new(kind, span), FieldType::Bool))
            }
            ExprKind::IsNull { operand, negated } => {
                let (operand, _) = self.expr(operand, depth + 1)?;
                let kind = NodeKind::IsNull {
                    operand: Box::new(operand),
                    negated: *negated,
                };
                Some((Node::new(kind, span), FieldType::Bool))
            }
            ExprKind::Paren(inner) => self.expr(inner, depth + 1),
        }
    }

    fn unary(
        &mut self,
        inner: &Expr,
        depth: usize,
        span: Span,
        make: fn(Box<Node>) -> NodeKind,
    ) -> Option<(Node, FieldType)> {
        let (inner, ty) = self.expr(inner, depth + 1)?;
        Some((Node::new(make(Box::new(inner)), span), ty))
    }

    fn list(&mut self, items: &[Expr], span: Span, depth: usize) -> Option<(Node, FieldType)> {
        let mut nodes = Vec::with_capacity(items.len());
        let mut failed = false;
        for item in items {
            match self.expr(item, depth + 1) {
                Some((node, _)) => nodes.push(node),
                None => failed = true,
            }
        }
        if failed {
            return None;
        }
        let constants: Option<Vec<Value>> = nodes
            .iter()
            .map(|node| match &node.kind {
                NodeKind::Const(value) => Some(value.clone()),
                _ => None,
            })
            .collect();
        let kind = match constants {
            Some(values) => NodeKind::Const(Value::List(Arc::from(values))),
            None => NodeKind::List(nodes),
        };
        Some((
            Node::new(kind, span),
            FieldType::List(Box::new(FieldType::Any)),
        ))
    }

    fn name(&mut self, name: &str, span: Span) -> Option<(Node, FieldType)> {
        if let Some(position) = self.locals.iter().rposition(|(local, _)| local == name) {
            let ty = self
                .locals
                .get(position)
                .map_or(FieldType::Any, |(_, ty)| ty.clone());
            return Some((Node::new(NodeKind::Local(position as u32), span), ty));
        }
        if let Some(&id) = self.segments.get(name) {
            return Some((Node::new(NodeKind::Segment(id), span), FieldType::Bool));
        }
        let history = match name {
            crate::vocabulary::PREVIOUS_STAGE => Some((NodeKind::PreviousStage, FieldType::String)),
            crate::vocabulary::STAGE_DAYS => Some((NodeKind::StageDays, FieldType::Int)),
            _ => None,
        };
        if let Some((kind, ty)) = history {
            self.layout.reads_history = true;
            return Some((Node::new(kind, span), ty));
        }
        self.field(name, span)
    }

    fn field(&mut self, name: &str, span: Span) -> Option<(Node, FieldType)> {
        if let Some((slot, ty)) = self.layout.slot(name) {
            return Some((Node::new(NodeKind::Slot(slot), span), ty));
        }
        if name == "id" {
            return Some((Node::new(NodeKind::MemberId, span), FieldType::String));
        }
        let mut candidates: Vec<&str> = self.layout.fields.keys.iter().map(|k| &**k).collect();
        candidates.extend(self.segments.keys().map(String::as_str));
        let help = did_you_mean(name, candidates).map(|close| format!("did you mean `{close}`?"));
        let mut diagnostic = Diagnostic::error(
            codes::UNKNOWN_FIELD,
            format!("the member schema has no field `{name}`"),
            span,
        );
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        self.diagnostics.push(diagnostic);
        None
    }

    fn field_access(
        &mut self,
        base: &Expr,
        name: &str,
        span: Span,
        depth: usize,
    ) -> Option<(Node, FieldType)> {
        let (base, base_type) = self.expr(base, depth + 1)?;
        match base_type.required() {
            FieldType::Object(schema) => match schema.field(name) {
                Some((index, ty)) => {
                    let mut ty = ty.clone();
                    if matches!(base_type, FieldType::Optional(_)) {
                        ty = FieldType::Optional(Box::new(ty));
                    }
                    Some((
                        Node::new(NodeKind::FieldAt(Box::new(base), index), span),
                        ty,
                    ))
                }
                None => {
                    let help = did_you_mean(name, schema.keys.iter().map(|k| &**k));
                    let mut diagnostic = Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("this object has no field `{name}`"),
                        span,
                    );
                    if let Some(close) = help {
                        diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
                    }
                    self.diagnostics.push(diagnostic);
                    None
                }
            },
            FieldType::Any => {
                let kind = NodeKind::FieldNamed(Box::new(base), Arc::from(name));
                Some((Node::new(kind, span), FieldType::Any))
            }
            other => {
                let message = format!("a {} has no field `{name}`", other.describe());
                self.error(codes::TYPE_MISMATCH, message, span);
                None
            }
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        span: Span,
        depth: usize,
    ) -> Option<(Node, FieldType)> {
        let left = self.expr(left, depth + 1);
        let right = self.expr(right, depth + 1);
        let ((left, left_type), (right, _)) = (left?, right?);
        let (left, right) = (Box::new(left), Box::new(right));
        let (kind, ty) = match op {
            BinaryOp::Or => (NodeKind::Or(left, right), FieldType::Bool),
            BinaryOp::And => (NodeKind::And(left, right), FieldType::Bool),
            BinaryOp::Eq => (NodeKind::Compare(Compare::Eq, left, right), FieldType::Bool),
            BinaryOp::Ne => (NodeKind::Compare(Compare::Ne, left, right), FieldType::Bool),
            BinaryOp::Lt => (NodeKind::Compare(Compare::Lt, left, right), FieldType::Bool),
            BinaryOp::Le => (NodeKind::Compare(Compare::Le, left, right), FieldType::Bool),
            BinaryOp::Gt => (NodeKind::Compare(Compare::Gt, left, right), FieldType::Bool),
            BinaryOp::Ge => (NodeKind::Compare(Compare::Ge, left, right), FieldType::Bool),
            BinaryOp::Default => {
                let ty = left_type.required().clone();
                (NodeKind::Default(left, right), ty)
            }
            BinaryOp::Add => (NodeKind::Arith(Arith::Add, left, right), FieldType::Any),
            BinaryOp::Sub => (NodeKind::Arith(Arith::Sub, left, right), FieldType::Any),
            BinaryOp::Mul => (NodeKind::Arith(Arith::Mul, left, right), FieldType::Any),
            BinaryOp::Div => (NodeKind::Arith(Arith::Div, left, right), FieldType::Float),
            BinaryOp::Rem => (NodeKind::Arith(Arith::Rem, left, right), FieldType::Any),
        };
        Some((Node::new(kind, span), ty))
    }

    fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Expr],
        span: Span,
        depth: usize,
    ) -> Option<(Node, FieldType)> {
        let Some(function) = crate::vocabulary::function_named(name) else {
            let known = crate::vocabulary::function_names();
            let mut diagnostic = Diagnostic::error(
                codes::UNKNOWN_FUNCTION,
                format!("there is no function `{name}`"),
                name_span,
            );
            if let Some(close) = did_you_mean(name, known) {
                diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
            }
            self.diagnostics.push(diagnostic);
            return None;
        };
        match function.builtin {
            Function::Any => return self.quantify(Quantifier::Any, args, span, depth),
            Function::All => return self.quantify(Quantifier::All, args, span, depth),
            Function::Count => return self.quantify(Quantifier::Count, args, span, depth),
            Function::Matches => return self.matches(args, span, depth),
            Function::Variant => return self.variant(args, span),
            _ => {}
        }
        if !self.arity(name, args.len(), function.arity(), span) {
            return None;
        }
        let mut nodes = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for arg in args {
            let (node, ty) = self.expr(arg, depth + 1)?;
            nodes.push(node);
            types.push(ty);
        }
        let ty = match function.returns {
            Returns::Int => FieldType::Int,
            Returns::Text => FieldType::String,
            Returns::Bool => FieldType::Bool,
            // `abs`, `min`, `max`: typed as their first argument.
            _ => types
                .first()
                .map_or(FieldType::Any, |t| t.required().clone()),
        };
        let function = function.builtin;
        Some((Node::new(NodeKind::Call(function, nodes), span), ty))
    }

    /// `variant(EXP)`: the member's variant of an experiment, as a string.
    fn variant(&mut self, args: &[Expr], span: Span) -> Option<(Node, FieldType)> {
        let name = match args {
            [Expr {
                kind: ExprKind::Name(name),
                ..
            }] => name,
            _ => {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        "`variant` takes the name of an experiment",
                        span,
                    )
                    .with_help("write `variant(first_coupon)`"),
                );
                return None;
            }
        };
        let Some(index) = self.layout.experiments.iter().position(|(n, _)| **n == **name) else {
            self.diagnostics.push(Diagnostic::error(
                codes::UNKNOWN_EXPERIMENT,
                format!("unknown experiment `{name}`"),
                span,
            ));
            return None;
        };
        Some((
            Node::new(NodeKind::Variant(index as u16), span),
            FieldType::String,
        ))
    }

    fn arity(&mut self, name: &str, given: usize, wanted: usize, span: Span) -> bool {
        if given == wanted {
            return true;
        }
        let plural = if wanted == 1 { "" } else { "s" };
        self.error(
            codes::ARITY,
            format!("`{name}` takes {wanted} argument{plural}, not {given}"),
            span,
        );
        false
    }

    fn matches(&mut self, args: &[Expr], span: Span, depth: usize) -> Option<(Node, FieldType)> {
        if !self.arity("matches", args.len(), 2, span) {
            return None;
        }
        let (subject, pattern) = (args.first()?, args.get(1)?);
        let (subject, _) = self.expr(subject, depth + 1)?;
        let ExprKind::Str(text) = &pattern.kind else {
            self.error(
                codes::REGEX_NOT_LITERAL,
                "the pattern of `matches` must be a string literal".into(),
                pattern.span,
            );
            return None;
        };
        match regex::RegexBuilder::new(text)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(regex) => {
                let kind = NodeKind::Matches(Box::new(subject), Arc::new(regex));
                Some((Node::new(kind, span), FieldType::Bool))
            }
            Err(error) => {
                let message = match error {
                    regex::Error::CompiledTooBig(_) => "this pattern is too large".to_string(),
                    other => format!("this pattern is not a valid regex: {other}"),
                };
                let first_line = message.lines().next().unwrap_or_default().to_string();
                self.error(codes::BAD_REGEX, first_line, pattern.span);
                None
            }
        }
    }

    fn quantify(
        &mut self,
        kind: Quantifier,
        args: &[Expr],
        span: Span,
        depth: usize,
    ) -> Option<(Node, FieldType)> {
        let name = match kind {
            Quantifier::Any => "any",
            Quantifier::All => "all",
            Quantifier::Count => "count",
        };
        if !self.arity(name, args.len(), 2, span) {
            return None;
        }
        let (list, lambda) = (args.first()?, args.get(1)?);
        let (list, list_type) = self.expr(list, depth + 1)?;
        let ExprKind::Lambda(parameter, body) = &lambda.kind else {
            self.error(
                codes::MISPLACED,
                format!("the second argument of `{name}` must be `x => condition`"),
                lambda.span,
            );
            return None;
        };
        let element = match list_type.required() {
            FieldType::List(inner) => (**inner).clone(),
            _ => FieldType::Any,
        };
        let local = self.locals.len() as u32;
        self.locals.push((parameter.name.clone(), element));
        let body = self.expr(body, depth + 1);
        self.locals.pop();
        let body = body?.0;
        let ty = if kind == Quantifier::Count {
            FieldType::Int
        } else {
            FieldType::Bool
        };
        let node = NodeKind::Quantify {
            kind,
            list: Box::new(list),
            local,
            body: Box::new(body),
        };
        Some((Node::new(node, span), ty))
    }
}
