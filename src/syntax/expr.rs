//! Lowering of expressions, templates and data literals. The one precedence table of
//! the language is [`pratt`] below.
//!
//! Comparisons (`== != < <= > >=`, `in`, `not in`, `is null`, `is not null`) do not
//! chain: `a < b < c` and `a == b == c` are syntax errors with a hint to write
//! `a < b and b < c` (a parenthesised comparison may be compared: `(a < b) == c`).
//! `??` groups to the left; `(a ?? b) ?? c` and `a ?? (b ?? c)` mean the same.
//!
//! A `%` inside an expression is always the remainder; percentages are only written
//! where a clause asks for one (`holdout 5%`), so `ExprKind::Percent` is never built here.

use std::cell::RefCell;
use std::sync::OnceLock;

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::grammar::Rule;
use super::literal;
use super::lower::{significant, Lowerer};
use super::{too_deep, MAX_EXPRESSION_HEIGHT, MAX_NESTING};
use crate::ast::*;
use crate::diagnostics::{codes, Diagnostic, FileId, Span};

/// The precedence table, loosest first.
fn pratt() -> &'static PrattParser<Rule> {
    static TABLE: OnceLock<PrattParser<Rule>> = OnceLock::new();
    TABLE.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left)
                | Op::infix(Rule::op_in, Assoc::Left)
                | Op::infix(Rule::op_not_in, Assoc::Left)
                | Op::postfix(Rule::op_is_null)
                | Op::postfix(Rule::op_is_not_null))
            .op(Op::infix(Rule::op_default, Assoc::Left))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left)
                | Op::infix(Rule::op_div, Assoc::Left)
                | Op::infix(Rule::op_rem, Assoc::Left))
            .op(Op::prefix(Rule::op_neg))
            .op(Op::postfix(Rule::op_field) | Op::postfix(Rule::op_index))
    })
}

/// An expression under construction, with the height of its tree.
type Built = Result<(Expr, usize), Box<Diagnostic>>;

/// A failed build.
fn fail(diagnostic: Diagnostic) -> Built {
    Err(Box::new(diagnostic))
}

fn is_comparison(kind: &ExprKind) -> bool {
    matches!(
        kind,
        ExprKind::Binary(
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge,
            _,
            _
        ) | ExprKind::In { .. }
            | ExprKind::IsNull { .. }
    )
}

/// Builds a node over `children`, checking the height limit.
fn node(kind: ExprKind, span: Span, heights: &[usize]) -> Built {
    let height = 1 + heights.iter().copied().max().unwrap_or(0);
    if height > MAX_EXPRESSION_HEIGHT {
        return fail(
            Diagnostic::error(
                codes::TOO_DEEP,
                format!("this expression is too long (more than {MAX_EXPRESSION_HEIGHT} levels)"),
                span,
            )
            .with_help("split it into named segments"),
        );
    }
    Ok((Expr { kind, span }, height))
}

fn span_of(file: FileId, offset: usize, pair: &Pair<'_, Rule>) -> Span {
    let span = pair.as_span();
    Span::new(file, offset + span.start(), offset + span.end())
}

fn chained(operator: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        codes::SYNTAX,
        format!("comparisons cannot be chained: `{operator}` follows another comparison"),
        span,
    )
    .with_help("write `a < b and b < c`, or add parentheses to compare a comparison's result")
}

fn infix(file: FileId, offset: usize, left: Built, op: Pair<'_, Rule>, right: Built) -> Built {
    let (left, left_height) = left?;
    let (right, right_height) = right?;
    let span = left.span.to(right.span);
    let comparison = |kind: &ExprKind| is_comparison(kind);
    let operator = match op.as_rule() {
        Rule::op_or => Some(BinaryOp::Or),
        Rule::op_and => Some(BinaryOp::And),
        Rule::op_eq => Some(BinaryOp::Eq),
        Rule::op_ne => Some(BinaryOp::Ne),
        Rule::op_lt => Some(BinaryOp::Lt),
        Rule::op_le => Some(BinaryOp::Le),
        Rule::op_gt => Some(BinaryOp::Gt),
        Rule::op_ge => Some(BinaryOp::Ge),
        Rule::op_default => Some(BinaryOp::Default),
        Rule::op_add => Some(BinaryOp::Add),
        Rule::op_sub => Some(BinaryOp::Sub),
        Rule::op_mul => Some(BinaryOp::Mul),
        Rule::op_div => Some(BinaryOp::Div),
        Rule::op_rem => Some(BinaryOp::Rem),
        _ => None,
    };
    let is_compare = match operator {
        Some(operator) => matches!(
            operator,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        ),
        None => true,
    };
    if is_compare && (comparison(&left.kind) || comparison(&right.kind)) {
        let words = op.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
        return fail(chained(&words, span_of(file, offset, &op)));
    }
    let kind = match operator {
        Some(operator) => ExprKind::Binary(operator, Box::new(left), Box::new(right)),
        None => ExprKind::In {
            needle: Box::new(left),
            haystack: Box::new(right),
            negated: op.as_rule() == Rule::op_not_in,
        },
    };
    node(kind, span, &[left_height, right_height])
}

impl Lowerer {
    /// `expr`: applies the precedence table to the flat sequence of operands and
    /// operators. Never fails: a problem becomes a diagnostic and a `null` in its place.
    pub fn lower_expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        match self.build_expr(pair, 0) {
            Ok((expr, _)) => expr,
            Err(diagnostic) => {
                self.diagnostics.push(*diagnostic);
                Expr {
                    kind: ExprKind::Null,
                    span,
                }
            }
        }
    }

    fn build_expr(&mut self, pair: Pair<'_, Rule>, depth: usize) -> Built {
        let span = self.span(&pair);
        let pieces: Vec<Pair<'_, Rule>> = significant(pair).collect();
        let longest_prefix_run = pieces
            .split(|p| !matches!(p.as_rule(), Rule::op_not | Rule::op_neg))
            .map(<[_]>::len)
            .max()
            .unwrap_or(0);
        // Counted like the pre-scan: nesting plus the prefix operators met on the way.
        let depth = depth + longest_prefix_run;
        if depth > MAX_NESTING {
            return fail(too_deep(span.start as usize, self.file));
        }
        let (file, offset) = (self.file, self.offset);
        let this = RefCell::new(self);
        let built = pratt()
            .map_primary(|primary| this.borrow_mut().build_primary(primary, depth))
            .map_prefix(move |op, operand| {
                let (operand, height) = operand?;
                let span = span_of(file, offset, &op).to(operand.span);
                let kind = if op.as_rule() == Rule::op_not {
                    ExprKind::Not(Box::new(operand))
                } else {
                    ExprKind::Neg(Box::new(operand))
                };
                node(kind, span, &[height])
            })
            .map_postfix(|operand, op| this.borrow_mut().build_postfix(operand, op, depth))
            .map_infix(move |left, op, right| infix(file, offset, left, op, right))
            .parse(pieces.into_iter());
        built
    }

    /// `.field`, `[index]`, `is null`, `is not null`.
    fn build_postfix(&mut self, operand: Built, op: Pair<'_, Rule>, depth: usize) -> Built {
        let (operand, height) = operand?;
        let op_span = self.span(&op);
        let span = operand.span.to(op_span);
        let rule = op.as_rule();
        if matches!(rule, Rule::op_is_null | Rule::op_is_not_null) && is_comparison(&operand.kind) {
            return fail(chained("is", op_span));
        }
        let Some(inner) = significant(op)
            .find(|p| !matches!(p.as_rule(), Rule::kw_is | Rule::kw_not | Rule::kw_null))
        else {
            let negated = rule == Rule::op_is_not_null;
            let kind = ExprKind::IsNull {
                operand: Box::new(operand),
                negated,
            };
            return node(kind, span, &[height]);
        };
        if rule == Rule::op_field {
            let name = self.lower_field_key(inner);
            return node(ExprKind::Field(Box::new(operand), name), span, &[height]);
        }
        let (index, index_height) = self.build_expr(inner, depth + 1)?;
        node(
            ExprKind::Index(Box::new(operand), Box::new(index)),
            span,
            &[height, index_height],
        )
    }

    /// One operand: literals, names, calls, lists, parentheses.
    fn build_primary(&mut self, pair: Pair<'_, Rule>, depth: usize) -> Built {
        let span = self.span(&pair);
        let leaf = |kind: ExprKind| Ok((Expr { kind, span }, 1));
        match pair.as_rule() {
            Rule::int => match literal::integer(pair.as_str()) {
                Ok(value) => leaf(ExprKind::Int(value)),
                Err(error) => self.bad_leaf(error, span),
            },
            Rule::float => match literal::float(pair.as_str()) {
                Ok(value) => leaf(ExprKind::Float(value)),
                Err(error) => self.bad_leaf(error, span),
            },
            Rule::string => {
                let text = self.lower_string(pair);
                leaf(ExprKind::Str(text.value))
            }
            Rule::kw_true => leaf(ExprKind::Bool(true)),
            Rule::kw_false => leaf(ExprKind::Bool(false)),
            Rule::kw_null => leaf(ExprKind::Null),
            Rule::kw_now => leaf(ExprKind::Now),
            Rule::kw_today => leaf(ExprKind::Today),
            Rule::duration => leaf(ExprKind::Duration(self.lower_duration(pair))),
            Rule::time_of_day => leaf(ExprKind::Time(self.lower_time_of_day(pair))),
            Rule::datetime => leaf(ExprKind::DateTime(self.lower_datetime(pair))),
            Rule::date => match literal::date(pair.as_str()) {
                Ok(date) => leaf(ExprKind::Date(date)),
                Err(error) => self.bad_leaf(error, span),
            },
            Rule::name => leaf(ExprKind::Name(pair.as_str().to_string())),
            Rule::member_field => {
                let field =
                    significant(pair).find(|p| matches!(p.as_rule(), Rule::ident | Rule::string));
                match field {
                    Some(field) => leaf(ExprKind::MemberField(self.lower_field_key(field))),
                    None => fail(Diagnostic::error(
                        codes::SYNTAX,
                        "expected a field name after `member.`",
                        span,
                    )),
                }
            }
            Rule::paren => {
                let Some(inner) = significant(pair).next() else {
                    return fail(Diagnostic::error(
                        codes::SYNTAX,
                        "expected an expression",
                        span,
                    ));
                };
                let (inner, height) = self.build_expr(inner, depth + 1)?;
                node(ExprKind::Paren(Box::new(inner)), span, &[height])
            }
            Rule::list => {
                let mut items = Vec::new();
                let mut heights = Vec::new();
                for item in significant(pair) {
                    let (item, height) = self.build_expr(item, depth + 1)?;
                    items.push(item);
                    heights.push(height);
                }
                node(ExprKind::List(items), span, &heights)
            }
            Rule::call => self.build_call(pair, depth),
            _ => fail(Diagnostic::error(
                codes::SYNTAX,
                "expected an expression",
                span,
            )),
        }
    }

    fn bad_leaf(&mut self, error: literal::LiteralError, span: Span) -> Built {
        self.bad_literal(error, span);
        Ok((
            Expr {
                kind: ExprKind::Null,
                span,
            },
            1,
        ))
    }

    /// `call`: `f(x, y)`, with lambdas allowed as arguments.
    fn build_call(&mut self, pair: Pair<'_, Rule>, depth: usize) -> Built {
        let span = self.span(&pair);
        let mut parts = significant(pair);
        let Some(name) = parts.next() else {
            return fail(Diagnostic::error(
                codes::SYNTAX,
                "expected a function name",
                span,
            ));
        };
        let name = self.lower_ident(name);
        let mut arguments = Vec::new();
        let mut heights = Vec::new();
        for argument in parts {
            let (argument, height) = if argument.as_rule() == Rule::lambda {
                let lambda_span = self.span(&argument);
                let mut lambda = significant(argument);
                let (Some(parameter), Some(body)) = (lambda.next(), lambda.next()) else {
                    return fail(Diagnostic::error(
                        codes::SYNTAX,
                        "expected `x => condition`",
                        lambda_span,
                    ));
                };
                let parameter = self.lower_ident(parameter);
                let (body, height) = self.build_expr(body, depth + 1)?;
                node(
                    ExprKind::Lambda(parameter, Box::new(body)),
                    lambda_span,
                    &[height],
                )?
            } else {
                self.build_expr(argument, depth + 1)?
            };
            arguments.push(argument);
            heights.push(height);
        }
        node(ExprKind::Call(name, arguments), span, &heights)
    }

    /// `template`: literal text and `{expr}` interpolations.
    pub fn lower_template(&mut self, pair: Pair<'_, Rule>) -> Template {
        let span = self.span(&pair);
        let mut parts: Vec<TemplatePart> = Vec::new();
        let push_text = |parts: &mut Vec<TemplatePart>, text: &str| match parts.last_mut() {
            Some(TemplatePart::Text(previous)) => previous.push_str(text),
            _ => parts.push(TemplatePart::Text(text.to_string())),
        };
        for piece in significant(pair) {
            let piece_span = self.span(&piece);
            match piece.as_rule() {
                Rule::template_text_double | Rule::template_text_single => {
                    push_text(&mut parts, piece.as_str())
                }
                Rule::template_escape => match literal::unescape(piece.as_str()) {
                    Ok(text) => push_text(&mut parts, &text),
                    Err(error) => self.bad_literal(error, piece_span),
                },
                Rule::template_open => push_text(&mut parts, "{"),
                Rule::template_close => push_text(&mut parts, "}"),
                Rule::template_stray_close => {
                    self.syntax_error("a `}` in a message must be doubled", piece_span)
                        .help = Some(
                        "write `}}` for a literal `}`, or `{…}` around an expression to insert it"
                            .into(),
                    );
                }
                Rule::template_interpolation => {
                    if let Some(expr) = significant(piece).next() {
                        parts.push(TemplatePart::Expr(self.lower_expr(expr)));
                    }
                }
                _ => {}
            }
        }
        Template { parts, span }
    }

    /// `data_value` (a test's snapshot literal).
    pub fn lower_data_value(&mut self, pair: Pair<'_, Rule>) -> DataValue {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::data_object => {
                let mut entries = Vec::new();
                for entry in significant(pair) {
                    let mut parts = significant(entry);
                    if let (Some(key), Some(value)) = (parts.next(), parts.next()) {
                        let key = self.lower_field_key(key);
                        entries.push((key, self.lower_data_value(value)));
                    }
                }
                DataKind::Object(entries)
            }
            Rule::data_list => DataKind::List(
                significant(pair)
                    .map(|item| self.lower_data_value(item))
                    .collect(),
            ),
            Rule::data_number => self.lower_data_number(pair.as_str(), span),
            Rule::string => DataKind::Str(self.lower_string(pair).value),
            Rule::kw_true => DataKind::Bool(true),
            Rule::kw_false => DataKind::Bool(false),
            _ => DataKind::Null,
        };
        DataValue { kind, span }
    }

    fn lower_data_number(&mut self, raw: &str, span: Span) -> DataKind {
        let result = if raw.contains('.') {
            literal::float(raw).map(DataKind::Float)
        } else {
            literal::integer(raw).map(DataKind::Int)
        };
        result.unwrap_or_else(|error| {
            self.bad_literal(error, span);
            DataKind::Null
        })
    }
}
